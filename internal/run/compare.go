package run

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
)

// MaxJobs bounds CompareOptions.Jobs: more simulations at once than this
// only costs memory (each run holds its whole world).
const MaxJobs = 1024

// RunsDir is the folder of a comparison that holds each run's own parts
// (CompareOptions.Runs), as RunsDir/LABEL/seed-N.
const RunsDir = "runs"

// CompareOptions of a comparison.
type CompareOptions struct {
	// Seeds replaces the scenario's compare.seeds when not empty.
	Seeds []uint64
	// Jobs is how many runs are simulated at once (1 … MaxJobs).
	Jobs int
	// Runs keeps every run's result, and Write writes each run's parts
	// (DefaultParts, as dpsim run does) under RunsDir.
	Runs bool
	// Version, Revision and Command are for the runs' meta.json (Options).
	Version  string
	Revision string
	Command  []string
	// Warn, when set, is given each of the builds' warnings once, after
	// every run is built and before any executes.
	Warn func(string)
	// Done, when set, is told of every finished run, one call at a time.
	Done func(RunDone)
	// Progress, when set, is told how far the comparison has got after
	// every simulated minute of any run, one call at a time.
	Progress func(CompareProgress)
}

// RunDone reports one finished run of a comparison, with the wall-clock
// time it took (the only wall-clock reading of a comparison, never
// written to a file), and how many of the comparison's runs are done.
type RunDone struct {
	Label       string
	Seed        uint64
	Wall        time.Duration
	Done, Total int
}

// CompareProgress is how far a comparison has got: runs done of the
// total, and the simulated share of each run under way (0 … 1) in task
// order.
type CompareProgress struct {
	Done, Total int
	Running     []float64
}

// Work is the share of the whole comparison done, 0 … 1, counting each
// run as one unit.
func (p CompareProgress) Work() float64 {
	w := float64(p.Done)
	for _, f := range p.Running {
		w += f
	}
	return w / float64(max(p.Total, 1))
}

// Comparison is a finished comparison.
type Comparison struct {
	Scenario *scenarios.Scenario
	Seeds    []uint64
	Table    *results.Comparison
	// Runs holds each run's result, seed by seed in the scenario's policy
	// order, when CompareOptions.Runs.
	Runs []*Result
	// Warnings are the builds' warnings, each once, in the order first met.
	Warnings []string

	warn func(string) // CompareOptions.Warn
}

// Compare runs every policy of scenario s's compare section on every seed
// (each seed's runs share the network and the block schedule), adds
// god's view when listed, and summarises them. Runs execute on opt.Jobs
// goroutines; results never depend on which finished first. Every run is
// built before any executes, so input problems (*InputError) come first.
// Cancelling ctx stops the runs between two simulated minutes.
func Compare(ctx context.Context, s *scenarios.Scenario, opt CompareOptions) (*Comparison, error) {
	if opt.Jobs < 1 || opt.Jobs > MaxJobs {
		return nil, badInput(fmt.Errorf("jobs %d: accepted 1 … %d", opt.Jobs, MaxJobs))
	}
	if s.Topology.Model != scenarios.TopologyP2P {
		return nil, badInput(fmt.Errorf("%s: topology.model %s: compare runs peer-selection policies; accepted: p2p", s.Path, s.Topology.Model))
	}
	seeds := s.Seeds()
	if len(opt.Seeds) > 0 {
		if len(opt.Seeds) > scenarios.MaxCompareSeeds {
			return nil, badInput(fmt.Errorf("%d seeds: accepted at most %d, as in compare.seeds", len(opt.Seeds), scenarios.MaxCompareSeeds))
		}
		for i, x := range opt.Seeds {
			if slices.Contains(opt.Seeds[:i], x) {
				return nil, badInput(fmt.Errorf("seed %d listed twice: accepted distinct seeds", x))
			}
		}
		seeds = opt.Seeds
	}
	variants := s.Variants()
	type task struct {
		v     scenarios.Variant
		seed  uint64
		index int
		job   *Job
		res   *Result
		err   error
	}
	var tasks []*task
	var parts []Part // the summary's observations only, unless each run is written
	if opt.Runs {
		parts = DefaultParts
	} else {
		parts = []Part{Summary}
	}
	c := &Comparison{Scenario: s, Seeds: seeds, warn: opt.Warn}
	// What each run reports goes through mu: done counts, running shares.
	var mu sync.Mutex
	done := 0
	share := map[int]float64{} // task index → simulated share, while running
	report := func() {
		if opt.Progress == nil {
			return
		}
		opt.Progress(CompareProgress{Done: done, Total: len(tasks), Running: runningShares(share)})
	}
	for _, seed := range seeds {
		for _, v := range variants {
			if v.Bound {
				continue
			}
			k := len(tasks)
			progress := func(p Progress) {
				mu.Lock()
				share[k] = float64(p.Now) / float64(max(p.End, 1))
				report()
				mu.Unlock()
			}
			j, err := Prepare(s.WithPolicy(v.Policy), Options{Seed: seed, Parts: parts, Label: v.Label, Version: opt.Version, Revision: opt.Revision, Command: opt.Command, Progress: progress})
			if err != nil {
				return nil, badInput(fmt.Errorf("%s (policy %s, seed %d): %w", s.Path, v.Label, seed, err))
			}
			for _, w := range j.Warnings() {
				if !slices.Contains(c.Warnings, w) {
					c.Warnings = append(c.Warnings, w)
				}
			}
			tasks = append(tasks, &task{v: v, seed: seed, job: j, index: k})
		}
	}
	if len(tasks) == 0 {
		return nil, badInput(fmt.Errorf("%s: compare.policies lists no runnable policy; accepted: at least one besides gods-view", s.Path))
	}

	if opt.Warn != nil {
		for _, w := range c.Warnings {
			opt.Warn(w)
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *task)
	var wg sync.WaitGroup
	feed := FreeCore(min(opt.Jobs, len(tasks)))
	for _, t := range tasks {
		t.job.opt.Feed = feed
	}
	for range min(opt.Jobs, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				start := time.Now()
				t.res, t.err = t.job.Execute(ctx)
				t.job = nil
				if t.err != nil {
					cancel() // one failure stops the others
					continue
				}
				mu.Lock()
				delete(share, t.index)
				done++
				if opt.Done != nil {
					opt.Done(RunDone{Label: t.v.Label, Seed: t.res.Seed, Wall: time.Since(start), Done: done, Total: len(tasks)})
				}
				report()
				mu.Unlock()
			}
		}()
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
	// The first failure in task order, not in finishing order; a run
	// cancelled because another failed gives way to that failure.
	var failed error
	for _, t := range tasks {
		if t.err != nil && (failed == nil || errors.Is(failed, context.Canceled) && !errors.Is(t.err, context.Canceled)) {
			failed = fmt.Errorf("policy %s, seed %d: %w", t.v.Label, t.seed, t.err)
		}
	}
	if failed != nil {
		return nil, failed
	}

	var runs []results.CompareRun
	for _, v := range variants {
		for _, seed := range seeds {
			for _, t := range tasks {
				if t.seed != seed {
					continue
				}
				if v.Bound {
					// Every run of a seed makes the same blocks over the
					// same network: the first one's give the bound.
					r := t.res
					gv, err := results.GodsView(r.Collector, r.Latency, r.Hop, r.ForgeDelay, results.GodsViewOptions{MaxSources: s.Compare.GodsViewSources, Stop: ctx.Err})
					if err != nil {
						return nil, err
					}
					runs = append(runs, results.CompareRun{Policy: v.Label, Seed: seed, Run: gv, Bound: true})
					break
				}
				if t.v.Label == v.Label {
					runs = append(runs, results.CompareRun{Policy: v.Label, Seed: seed, Run: t.res.Collector})
				}
			}
		}
	}
	table, err := results.Compare(runs, results.CompareOptions{From: clock.Time(s.Warmup), Window: s.CompareWindow(), Duration: s.Duration})
	if err != nil {
		return nil, err
	}
	c.Table = table
	if opt.Runs {
		for _, t := range tasks {
			c.Runs = append(c.Runs, t.res)
		}
	}
	return c, nil
}

// compareFiles are the files of a comparison's folder.
var compareFiles = []string{
	results.CompareFile, results.CompareSeedsFile, results.CompareRoundsFile,
	results.CompareCDFFile, results.CompareMDFile, results.CompareCDFPNGFile,
	results.CompareRoundsPNGFile, results.CompareOverheadFile, RunsDir,
}

// Write puts the comparison's files into the folder dir (staged, as
// Result.Write), with each run's parts under RunsDir when kept.
func (c *Comparison) Write(dir string) error {
	return staged(dir, compareFiles, c.warn, func(tmp string) error {
		if err := results.WriteCompare(tmp, c.Table); err != nil {
			return err
		}
		for _, r := range c.Runs {
			if err := r.WriteParts(filepath.Join(tmp, RunsDir, r.Label, "seed-"+strconv.FormatUint(r.Seed, 10))); err != nil {
				return err
			}
		}
		return nil
	})
}

// runningShares lists the simulated shares of the runs under way (share:
// task index → share), in task order.
func runningShares(share map[int]float64) []float64 {
	var out []float64
	for _, k := range slices.Sorted(maps.Keys(share)) {
		out = append(out, share[k])
	}
	return out
}
