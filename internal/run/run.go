package run

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/feed"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/dpsim/dpsim/sim/world"
)

// InputError marks an error in what the user gave (a scenario, a file it
// names, an option): the command line exits 2 for it, 1 for the others.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{Err: err}
}

// Options of one run.
type Options struct {
	// Seed is the master seed.
	Seed uint64
	// Parts are the outputs the run is prepared for and writes (Part);
	// nil means DefaultParts.
	Parts []Part
	// Label names a variant of the scenario (compare's policy label): it
	// is appended to the scenario's name in meta.json and the plot titles,
	// and recorded as meta.json's "policy".
	Label string
	// Version and Revision are dpsim's version and source revision, and
	// Command the command line, for meta.json (Revision and Command are
	// left out when empty).
	Version  string
	Revision string
	Command  []string
	// Progress, when set, is called after every simulated minute, on the
	// goroutine that runs the simulation.
	Progress func(Progress)
	// Warn, when set, is told what writing the outputs noticed and
	// repaired (a staging folder left by a killed run, removed).
	Warn func(string)
	// Feed applies the peer-metrics reports on a second goroutine
	// (package internal/feed): faster when a core is free (FreeCore), the
	// same outputs either way.
	Feed bool
}

// FreeCore reports whether each of runs simulations at once has a core
// to spare for its feed (Options.Feed): GOMAXPROCS is at least twice runs.
func FreeCore(runs int) bool { return 2*runs <= runtime.GOMAXPROCS(0) }

// Progress is how far a run has got.
type Progress struct {
	Now, End clock.Time
	Blocks   int
	Events   uint64
}

// Job is a built run, ready to execute: building every run of a command
// before executing any reports input problems before any simulation time
// is spent.
type Job struct {
	opt      Options
	parts    []Part
	scenario *scenarios.Scenario
	built    *scenarios.Run
	warnings []string // the build\'s, then the unreachable nodes (computed once)
	col      *results.Collector
	peers    *results.PeerSeries
	attack   *results.AttackSeries
	// attackClass is each node's honest class (index into the attack
	// series' classes), -1 for an attacker.
	attackClass []int
}

// Prepare builds scenario s for opt.Seed with the observers opt.Parts
// need. Its errors are *InputError.
func Prepare(s *scenarios.Scenario, opt Options) (*Job, error) {
	parts, err := checkParts(opt.Parts)
	if err != nil {
		return nil, badInput(err)
	}
	col := results.NewCollector(s.Nodes.Count)
	col.SetWarmup(clock.Time(s.Warmup))
	if ex := s.SyncNodes(); ex != nil {
		col.Exclude(ex) // their catch-up is not diffusion: sync.csv measures it
	}
	r, err := scenarios.Build(s, opt.Seed, col)
	if err != nil {
		return nil, badInput(err)
	}
	j := &Job{opt: opt, parts: parts, scenario: s, built: r, col: col,
		warnings: append(r.Warnings(), r.Unreached()...)}
	if slices.Contains(parts, Peers) && s.Topology.Model == scenarios.TopologyP2P && !s.Overlay() {
		if j.peers, err = peerSeries(s, r); err != nil {
			return nil, err
		}
		r.World.SetPeerSampler(j.peers)
	}
	if len(s.Adversary) > 0 {
		if j.attack, j.attackClass, err = attackSeries(s); err != nil {
			return nil, err
		}
		r.World.SetAttackSampler(j.attack)
	}
	return j, nil
}

// Warnings returns what the build noticed without refusing it: repairs of
// the scenario's cardano-node files (options dpsim does not model, say),
// then nodes a static topology cannot reach, in a fixed order (the lines
// dpsim validate prints).
func (j *Job) Warnings() []string { return j.warnings }

// Execute runs the job to the scenario's duration and returns its result.
// It stops between two simulated minutes when ctx is cancelled, with
// ctx's error. A job executes once.
func (j *Job) Execute(ctx context.Context) (*Result, error) {
	if j.built == nil {
		return nil, fmt.Errorf("run: %s seed %d executed twice", j.scenario.Name, j.opt.Seed)
	}
	w := j.built.World
	end := clock.Time(j.scenario.Duration)
	step := clock.Time(time.Minute)
	every := clock.Time(j.scenario.Check.Invariants)
	check := clock.Never
	if every > 0 {
		check = every
	}
	if j.opt.Feed {
		w.SetReportFeed(feed.New())
		defer w.SetReportFeed(nil) // stops its goroutine, whatever the end
	}
	for now := clock.Time(0); now < end; {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		t := min((now/step+1)*step, end, check)
		if err := w.RunUntil(t); err != nil {
			return nil, fmt.Errorf("%s: run stopped: %w", j.scenario.Path, limitHint(err))
		}
		if t == check {
			if err := w.Check(t); err != nil {
				return nil, fmt.Errorf("%s (seed %d): invariant broken at %s: %w", j.scenario.Path, j.opt.Seed, time.Duration(t), err)
			}
			check += every
		}
		if j.opt.Progress != nil && (t%step == 0 || t == end) {
			j.opt.Progress(Progress{Now: t, End: end, Blocks: w.Chain.Len(), Events: w.Eng.Executed()})
		}
		now = t
	}
	w.Finish()
	if j.attack != nil {
		summary := j.attack.Summary()
		missed := results.MissedBlocks(j.col, j.attackClass, len(summary))
		for k, name := range j.attack.Classes() {
			var v any = missed[k]
			if math.IsNaN(missed[k]) {
				v = nil // a class of syncing nodes: sync.csv measures them
			}
			summary[name].(map[string]any)["blocks_missed_mean"] = v
		}
		j.col.SetSummary("adversary", summary)
	}
	var syncT *results.SyncTable
	if recs := w.SyncRecords(); recs != nil {
		syncT = &results.SyncTable{Records: recs}
		for _, rec := range recs {
			syncT.Class = append(syncT.Class, j.built.Class[rec.Node])
		}
		j.col.SetSummary("sync", syncT.Summary())
	}
	r := &Result{
		Scenario: j.scenario, Seed: j.opt.Seed, Label: j.opt.Label, Version: j.opt.Version, Revision: j.opt.Revision, Command: j.opt.Command,
		Collector: j.col, Peers: j.peers, Attack: j.attack, SyncNodes: syncT, Parts: j.parts,
		Hop: results.HopCostOf(w.Config()), ForgeDelay: w.Config().ForgeDelay, Latency: j.built.Latency,
		Stake: j.built.Stake, Warnings: j.warnings, warn: j.opt.Warn,
	}
	j.built = nil // the world (governors, tables, queue) can go now
	return r, nil
}

// Run builds and executes scenario s: Prepare, then Execute.
func Run(ctx context.Context, s *scenarios.Scenario, opt Options) (*Result, error) {
	j, err := Prepare(s, opt)
	if err != nil {
		return nil, err
	}
	return j.Execute(ctx)
}

// peerSeries prepares peers.csv: the scenario's classes in order and the
// sampled metrics.
func peerSeries(s *scenarios.Scenario, r *scenarios.Run) (*results.PeerSeries, error) {
	var classes []string
	classOf := make([]int, len(r.Class))
	for _, c := range s.Nodes.Classes {
		classes = append(classes, c.Name)
	}
	for i, name := range r.Class {
		classOf[i] = slices.Index(classes, name)
	}
	ps, err := results.NewPeerSeries(classes, classOf, world.PeerMetricNames[:])
	if err != nil {
		return nil, err
	}
	ps.Grow(int(s.Duration/s.P2P.SampleEvery) + 2)
	return ps, nil
}

// attackSeries prepares adversary.csv: the honest classes in order, and
// each node's honest class (-1 for an attacker).
func attackSeries(s *scenarios.Scenario) (*results.AttackSeries, []int, error) {
	var classes []string
	var classOf []int
	for _, c := range s.Nodes.Classes {
		_, attacker := s.Attacker(c)
		k := -1
		if !attacker {
			k = len(classes)
			classes = append(classes, c.Name)
		}
		for range c.Count {
			classOf = append(classOf, k)
		}
	}
	a, err := results.NewAttackSeries(classes, classOf)
	return a, classOf, err
}
