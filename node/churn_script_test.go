package node

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/datadriven"
)

// TestChurnScripts runs the scripted tests of testdata/churn: a churn
// governor is made from a configuration and run against a model governor
// whose counters reach each new target a fixed lag after churn writes it
// (or never), printing every completed step and every target change with
// its time. Regenerate with
//
//	go test ./node -run TestChurnScripts -rewrite
//
// and check the diff against spec/governor.md §3.
//
// Commands:
//
//	churn base=(root, known, est, active, knownBLP, estBLP, activeBLP)
//	      [sync=(...)] [deadline=D] [deadline-jitter=D] [bulk=D]
//	      [bulk-jitter=D] [local-hot=N] [bootstrap-peers] [seed=N]
//	    makes a churn governor (defaults: DefaultChurnConfig);
//	run until=T [lag=D|frozen] [mode=deadline|bulk-sync|genesis]
//	    runs churn until time T: the counters become each new set of
//	    targets lag after churn writes it (default 1s), or stay where they
//	    are (frozen);
//	counts counts=(root, known, est, active, knownBLP, estBLP, activeBLP)
//	    sets the counters (for frozen runs).
func TestChurnScripts(t *testing.T) {
	datadriven.RunDir(t, "testdata/churn", func() func(*testing.T, *datadriven.TestData) string {
		return (&churnScript{}).run
	})
}

type churnScript struct {
	c       *Churn
	now     clock.Time
	wake    clock.Time
	started bool
	counts  Counts
	// pending are the targets written and not yet reached by the model
	// governor, with the time it reaches them, in time order.
	pending []pendingTargets
}

type pendingTargets struct {
	at      clock.Time
	targets Targets
}

func (s *churnScript) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "churn":
		return s.create(t, d)
	case "counts":
		var v []int
		d.ScanArgs(t, "counts", &v)
		if len(v) != 7 {
			d.Fatalf(t, "counts: want 7 values, got %d", len(v))
		}
		s.counts = Counts{Root: v[0], Known: v[1], Established: v[2], Active: v[3], KnownBLP: v[4], EstablishedBLP: v[5], ActiveBLP: v[6]}
		s.pending = nil
		return fmt.Sprintf("counts: %s", formatCounts(s.counts))
	case "run":
		if s.c == nil {
			d.Fatalf(t, "no churn governor: start the script with the churn command")
		}
		return s.runUntil(t, d)
	}
	d.Fatalf(t, "unknown command")
	return ""
}

func (s *churnScript) create(t *testing.T, d *datadriven.TestData) string {
	cfg := DefaultChurnConfig(scanTargets(t, d, "base"))
	if d.HasArg("sync") {
		cfg.Sync = scanTargets(t, d, "sync")
	}
	d.MaybeScanArgs(t, "deadline", &cfg.DeadlineInterval)
	d.MaybeScanArgs(t, "deadline-jitter", &cfg.DeadlineJitter)
	d.MaybeScanArgs(t, "bulk", &cfg.BulkInterval)
	d.MaybeScanArgs(t, "bulk-jitter", &cfg.BulkJitter)
	d.MaybeScanArgs(t, "local-hot", &cfg.LocalHotValency)
	cfg.BootstrapPeers = d.HasArg("bootstrap-peers")
	seed := uint64(1)
	d.MaybeScanArgs(t, "seed", &seed)
	if err := cfg.Check(); err != nil {
		return "error: " + err.Error()
	}
	*s = churnScript{c: NewChurn(cfg, rand.New(rand.NewPCG(seed, 2)))}
	return fmt.Sprintf("base: %s\nsync: %s", formatTargets(cfg.Base), formatTargets(cfg.Sync))
}

// runUntil steps churn at each of its wake-ups and each time the model
// governor's counters reach the targets, up to until.
func (s *churnScript) runUntil(t *testing.T, d *datadriven.TestData) string {
	var until, lag time.Duration
	d.ScanArgs(t, "until", &until)
	lag = time.Second
	d.MaybeScanArgs(t, "lag", &lag)
	frozen := d.HasArg("frozen")
	mode := ChurnDeadline
	scanMode(t, d, &mode)
	var b strings.Builder
	end := clock.Time(until)
	for {
		next := s.now
		if s.started {
			next = s.wake
			if len(s.pending) > 0 && s.pending[0].at < next {
				next = s.pending[0].at
			}
		}
		if next > end {
			break
		}
		s.now = next
		for len(s.pending) > 0 && s.pending[0].at <= s.now {
			s.counts = countsOf(s.pending[0].targets)
			s.pending = s.pending[1:]
		}
		targets, changed, wake := s.c.Step(s.now, mode, s.counts)
		s.started, s.wake = true, wake
		for _, e := range s.c.Trace() {
			fmt.Fprintf(&b, "%s\n", formatChurnEvent(e))
		}
		if changed {
			fmt.Fprintf(&b, "%s targets %s\n", FormatTime(s.now), formatTargets(targets))
			if !frozen {
				s.pending = append(s.pending, pendingTargets{s.now.Add(lag), targets})
			}
		}
	}
	fmt.Fprintf(&b, "wake at %s", FormatTime(s.wake))
	return b.String()
}

func countsOf(t Targets) Counts { return Counts(t) }

func formatCounts(c Counts) string {
	return fmt.Sprintf("root %d known %d established %d active %d, big ledger %d/%d/%d",
		c.Root, c.Known, c.Established, c.Active, c.KnownBLP, c.EstablishedBLP, c.ActiveBLP)
}

func formatChurnEvent(e ChurnEvent) string {
	how := "done"
	if e.Timeout {
		how = "timeout"
	}
	regime := ""
	if e.Regime != ChurnDefault {
		regime = " " + e.Regime.String()
	}
	return fmt.Sprintf("%s cycle %d %v%s: %s after %s (Δ %+d)", FormatTime(e.End), e.Cycle, e.Action, regime, how,
		FormatTime(clock.Time(e.Duration())), e.Delta)
}
