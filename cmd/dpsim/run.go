package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
	"github.com/spf13/cobra"
)

type runOptions struct {
	out      string
	seed     uint64
	seedSet  bool
	arrivals bool
	cpuprof  string
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml --out DIR",
		Short: "Run a scenario and write its results and CDF plots",
		Long: `run simulates a scenario and writes into DIR: blocks.csv (per-block adoption
percentiles), summary.json (pooled percentiles and counters), meta.json (seed,
scenario hash, versions), cdf.csv, cdf.png and cdf.svg, stake.csv (adoption
time by share of the stake), and with --arrivals
every (block, node) adoption time in arrivals.csv. docs/outputs.md describes
every file and column. The same scenario and seed give byte-identical files.`,
		Example: `  dpsim run scenarios/quickstart.yaml --out out/quickstart
  dpsim run scenarios/static-3000.yaml --out out/static-3000 --seed 7 --arrivals`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			return o.run(cmd.OutOrStdout(), args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output folder (required; created if missing)")
	f.Uint64Var(&o.seed, "seed", 0, "master seed (default: the scenario's seed)")
	f.BoolVar(&o.arrivals, "arrivals", false, "also write arrivals.csv with every adoption and header arrival time")
	f.StringVar(&o.cpuprof, "cpuprofile", "", "write a Go CPU profile of the simulation to this file (for go tool pprof)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (o *runOptions) run(stdout io.Writer, path string) error {
	s, err := scenarios.Load(path)
	if err != nil {
		return badInput(err)
	}
	seed := s.Seed
	if o.seedSet {
		seed = o.seed
	}
	col := results.NewCollector(s.Nodes.Count)
	col.SetWarmup(clock.Time(s.Warmup))
	r, err := scenarios.Build(s, seed, col)
	if err != nil {
		return badInput(err)
	}
	for _, w := range r.Warnings() {
		fmt.Fprintln(os.Stderr, w)
	}
	var series *results.PeerSeries
	if s.Topology.Model == scenarios.TopologyP2P && !s.Overlay() {
		if series, err = peerSeries(s, r); err != nil {
			return err
		}
		r.World.SetPeerSampler(series)
	}
	p := newProgress(os.Stderr, clock.Time(s.Duration))
	stop, err := startCPUProfile(o.cpuprof)
	if err != nil {
		return err
	}
	err = r.Execute(p.update)
	stop()
	if err != nil {
		return limitHint(err)
	}
	p.done()
	meta := results.Meta{
		Seed: seed, Scenario: s.Name, ScenarioSHA256: s.Hash, DpsimVersion: version,
		Nodes: s.Nodes.Count, DurationS: s.Duration.Seconds(),
	}
	var stake []results.StakeRow
	err = staged(o.out, runOutputs, func(dir string) error {
		if err := results.WriteRun(dir, col, meta, results.Options{Arrivals: o.arrivals}); err != nil {
			return err
		}
		if series != nil {
			if err := results.WritePeers(dir, series); err != nil {
				return err
			}
		}
		if err := writeRounds(dir, s, col); err != nil {
			return err
		}
		stake, err = writeStake(dir, r, col)
		return err
	})
	if err != nil {
		return err
	}
	pooled := col.Pooled()
	fmt.Fprintf(stdout, "%s: %d nodes, %d blocks, %s simulated, seed %d\n", s.Name, s.Nodes.Count, col.Blocks(), s.Duration, seed)
	fmt.Fprintf(stdout, "adoption time since slot start: p50 %s ms, p95 %s ms, p99 %s ms, max %s ms\n",
		results.FormatMS(pooled.P50), results.FormatMS(pooled.P95), results.FormatMS(pooled.P99), results.FormatMS(pooled.Max))
	fmt.Fprint(stdout, "adoption by share of stake, p50 over blocks:")
	for _, row := range stake {
		if row.Reached > 0 {
			fmt.Fprintf(stdout, " %d %% %s ms;", row.Percent, results.FormatMS(row.P50))
		} else {
			fmt.Fprintf(stdout, " %d %% never;", row.Percent)
		}
	}
	fmt.Fprintln(stdout, " (stake.csv)")
	fmt.Fprintf(stdout, "wrote %s (plots: %s, %s", o.out,
		filepath.Join(o.out, results.CDFPNGFile), filepath.Join(o.out, results.CDFSVGFile))
	fmt.Fprintf(stdout, ", %s", filepath.Join(o.out, results.RoundsPNGFile))
	if series != nil {
		fmt.Fprintf(stdout, ", %s", filepath.Join(o.out, results.PeersPNGFile))
	}
	fmt.Fprintln(stdout, ")")
	return nil
}

// limitHint adds to an engine bound error (sim.ErrQueueFull,
// sim.ErrLivelock) what the bound is and how to stay within it: the
// bounds are fixed, so a scenario cannot raise them.
func limitHint(err error) error {
	switch {
	case errors.Is(err, sim.ErrQueueFull):
		return fmt.Errorf("%w; the engine holds at most %d pending events (sim.DefaultMaxQueue, not settable from a scenario): accepted a scenario with fewer nodes, fewer peers or a lower bandwidth-delay load, or raise the constant in sim/engine.go and rebuild", err, sim.DefaultMaxQueue)
	case errors.Is(err, sim.ErrLivelock):
		return fmt.Errorf("%w; at most %d events may share one instant (sim.DefaultMaxPerInstant): this is a livelock in the model, please report it with the scenario and seed", err, sim.DefaultMaxPerInstant)
	}
	return err
}

// writeRounds writes rounds.csv and rounds.png: the diffusion percentiles
// per convergence round (the scenario's calibration period, or an hour)
// after the warm-up.
func writeRounds(dir string, s *scenarios.Scenario, col *results.Collector) error {
	ws := results.Windows(col, clock.Time(s.Warmup), s.CompareWindow())
	if err := atomicfile.Write(filepath.Join(dir, results.RoundsFile), func(w io.Writer) error {
		return results.WriteRoundsCSV(w, ws)
	}); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return results.PlotRounds(filepath.Join(dir, results.RoundsPNGFile), s.Name, ws)
}

// writeStake writes stake.csv: per share of the total stake, the
// percentiles over blocks of the time that share took to adopt a block.
func writeStake(dir string, r *scenarios.Run, col *results.Collector) ([]results.StakeRow, error) {
	rows, err := col.StakeTable(r.Stake, results.StakePercents)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(dir, results.StakeFile), func(w io.Writer) error {
		return results.WriteStakeCSV(w, rows)
	}); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return rows, nil
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
	ps, err := results.NewPeerSeries(classes, classOf, world.PeerMetricNames)
	if err != nil {
		return nil, err
	}
	ps.Grow(int(s.Duration/s.P2P.SampleEvery) + 2)
	return ps, nil
}

// progress prints one updating line on a terminal for runs longer than a
// couple of seconds; it is silent when stderr is not a terminal, so logs
// and CI output stay clean. Wall-clock time is read here, in cmd, and never
// reaches the simulation.
type progress struct {
	w      io.Writer
	tty    bool
	start  time.Time
	end    clock.Time
	shown  bool
	lastEv uint64
	last   time.Time
}

func newProgress(f *os.File, end clock.Time) *progress {
	st, err := f.Stat()
	tty := err == nil && st.Mode()&os.ModeCharDevice != 0
	now := time.Now()
	return &progress{w: f, tty: tty, start: now, last: now, end: end}
}

func (p *progress) update(now clock.Time, blocks int, events uint64) {
	if !p.tty {
		return
	}
	t := time.Now()
	if t.Sub(p.start) < 2*time.Second || t.Sub(p.last) < 500*time.Millisecond {
		return
	}
	rate := float64(events-p.lastEv) / t.Sub(p.last).Seconds()
	p.last, p.lastEv, p.shown = t, events, true
	fmt.Fprintf(p.w, "\rsimulated %s of %s (%.0f%%), %d blocks, %.2f M events/s   ",
		time.Duration(now).Round(time.Second), time.Duration(p.end), 100*float64(now)/float64(p.end), blocks, rate/1e6)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

func newPlotCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "plot DIR",
		Short: "Redraw a run's plots from its CSVs (or a comparison's)",
		Example: `  dpsim plot out/quickstart
  dpsim plot out/blog-fig3`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := os.Stat(filepath.Join(args[0], results.CompareCDFFile)); err == nil {
				if err := results.PlotCompareDir(args[0]); err != nil {
					return badInput(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\n",
					filepath.Join(args[0], results.CompareCDFPNGFile), filepath.Join(args[0], results.CompareRoundsPNGFile))
				return nil
			}
			if err := results.PlotDir(args[0]); err != nil {
				return badInput(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\n",
				filepath.Join(args[0], results.CDFPNGFile), filepath.Join(args[0], results.CDFSVGFile))
			if _, err := os.Stat(filepath.Join(args[0], results.PeersFile)); err == nil {
				if err := results.PlotPeersDir(args[0]); err != nil {
					return badInput(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s and %s\n",
					filepath.Join(args[0], results.PeersPNGFile), filepath.Join(args[0], results.PeersSVGFile))
			}
			return nil
		},
	}
}

// startCPUProfile starts a CPU profile into path ("" = none) and returns
// the function that stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
