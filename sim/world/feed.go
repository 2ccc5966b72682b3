package world

import "github.com/dpsim/dpsim/node"

// ReportFeed applies the peer-metrics reports on another goroutine, the
// one use of a second core in a run (package internal/feed implements it;
// this package starts no goroutine). The world hands it full batches in
// order, and waits on it (Wait) before anything reads the metrics, so
// each read sees exactly the reports made before it, as when the world
// applies them itself: outputs do not depend on whether a feed is set.
type ReportFeed interface {
	// Start begins feeding: apply applies one batch, on the feed's
	// goroutine; Start returns the first (empty) batch to fill.
	Start(apply func([]node.Report)) []node.Report
	// Hand queues a full batch and returns an empty one to fill. The world
	// must not touch the batch it handed over again.
	Hand(batch []node.Report) []node.Report
	// Wait returns when every batch handed over is applied and apply is
	// not running.
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
		w.waitReports()
		w.feed.Stop()
		w.feed, w.batch = nil, nil
		w.reports().SetGate(nil)
	}
	if f == nil {
		return
	}
	l := w.reports()
	w.feed, w.batch = f, f.Start(l.Apply)
	l.SetGate(w.waitReports)
}

// report queues r for the peer metrics: in the log, or in the batch for
// the feed.
func (w *World) report(r node.Report) {
	if w.feed == nil {
		w.reports().Report(r)
		return
	}
	w.batch = append(w.batch, r)
	if len(w.batch) == cap(w.batch) {
		w.batch = w.feed.Hand(w.batch)
	}
}

// waitReports hands the feed the batch being filled and waits until it
// has applied everything (the log's gate).
func (w *World) waitReports() {
	if len(w.batch) > 0 {
		w.batch = w.feed.Hand(w.batch)
	}
	w.feed.Wait()
}
