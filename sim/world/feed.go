package world

import "github.com/dpsim/dpsim/node"

// ReportFeed applies the peer-metrics reports on another goroutine, the
// one use of a second core in a run (package internal/feed implements it;
// this package starts no goroutine). The world adds reports in order and
// waits on the feed (Wait) before anything reads the metrics, so each
// read sees exactly the reports made before it, as when the world applies
// them itself: outputs do not depend on whether a feed is set.
type ReportFeed interface {
	// Start begins feeding: apply applies a batch of reports, in order,
	// on the feed's goroutine.
	Start(apply func([]node.Report))
	// Add queues a report.
	Add(r node.Report)
	// Wait returns when every report added is applied and apply is not
	// running.
	Wait()
	// Stop waits as Wait does and ends the goroutine.
	Stop()
}

// SetReportFeed makes f apply the peer-metrics reports from now on, or
// (nil) has the world apply them itself again, after the reports f holds
// are applied and f is stopped. A world without Dynamic P2P makes no
// reports and ignores f. The run layer sets it when a core is free.
func (w *World) SetReportFeed(f ReportFeed) {
	if w.p2p == nil {
		return
	}
	if w.feed != nil {
		w.feed.Stop()
		w.feed = nil
		w.reports().SetGate(nil)
	}
	if f == nil {
		return
	}
	l := w.reports()
	f.Start(l.Apply)
	w.feed = f
	l.SetGate(f.Wait)
}

// report queues r for the peer metrics: in the log, or in the feed.
func (w *World) report(r node.Report) {
	if w.feed == nil {
		w.reports().Report(r)
		return
	}
	w.feed.Add(r)
}
