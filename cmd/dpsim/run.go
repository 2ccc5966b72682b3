package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/spf13/cobra"
)

type runOptions struct {
	out      string
	seed     uint64
	seedSet  bool
	arrivals bool
	cpuprof  string
	command  []string // the command line, for meta.json
	force    bool     // run even if the memory estimate exceeds what is available
}

func newRunCmd() *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml --out DIR",
		Short: "Run a scenario and write its results and CDF plots",
		Long: `run simulates a scenario and writes into DIR: meta.json (seed, scenario
hash, versions, command line), summary.json (pooled percentiles and counters),
blocks.csv (per-block adoption and header percentiles), cdf.csv, cdf.png and
cdf.svg (the CDFs), rounds.csv and rounds.png (percentiles per convergence
round), stake.csv (adoption time by share of the stake), with the peer
selection governor peers.csv, peers.png and peers.svg (peer counts over time),
with an adversary section adversary.csv and adversary.png (what the attack
does to each honest class), with syncing classes sync.csv and sync.png
(each syncing node's catch-up), and with --arrivals every (block, node) adoption
and header time in arrivals.csv. docs/outputs.md describes every file and column. The same
scenario and seed give byte-identical files.

On a terminal it prints an estimate of the run's cost first and a progress
line while it runs; it refuses a run whose estimated memory exceeds what the
machine has available, unless --force. Ctrl-C stops it and leaves DIR as it
was.`,
		Example: `  dpsim run scenarios/quickstart.yaml --out out/quickstart
  dpsim run scenarios/static-3000.yaml --out out/static-3000 --seed 7 --arrivals`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			o.command = commandLine(cmd)
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output folder (required; created if missing)")
	f.Uint64Var(&o.seed, "seed", 0, "master seed, 0 … 18446744073709551615 (default: the scenario's seed)")
	f.BoolVar(&o.arrivals, "arrivals", false, "also write arrivals.csv with every adoption and header arrival time")
	f.StringVar(&o.cpuprof, "cpuprofile", "", "write a Go CPU profile of the simulation to this file (for go tool pprof)")
	f.BoolVar(&o.force, "force", false, "run even if the estimated memory exceeds what the machine has available")
	cmd.MarkFlagRequired("out")
	cmd.ValidArgsFunction = scenarioArgs
	completeFolders(cmd, "out")
	return cmd
}

func (o *runOptions) run(ctx context.Context, stdout, stderr io.Writer, path string) error {
	s, err := scenarios.Load(path)
	if err != nil {
		return badInput(err)
	}
	if err := run.CheckOut(o.out); err != nil {
		return err
	}
	p := newProgress(stderr)
	est := run.EstimateCost(s)
	if p.tty {
		fmt.Fprintf(stderr, "%s: %s\n", s.Name, est)
	}
	if !o.force {
		if err := run.CheckMemory(s, est); err != nil {
			return err
		}
	}
	v, rev := buildVersion()
	opt := run.Options{Seed: s.Seed, Version: v, Revision: rev, Command: o.command, Progress: p.update, Warn: func(w string) { fmt.Fprintln(stderr, "dpsim:", w) }, Feed: run.FreeCore(1)}
	if o.seedSet {
		opt.Seed = o.seed
	}
	if o.arrivals {
		opt.Parts = append(slices.Clone(run.DefaultParts), run.Arrivals)
	}
	job, err := run.Prepare(s, opt)
	if err != nil {
		return err
	}
	for _, w := range job.Warnings() {
		fmt.Fprintln(stderr, w)
	}
	stop, err := startCPUProfile(o.cpuprof)
	if err != nil {
		return err
	}
	res, err := job.Execute(ctx)
	stop()
	if err != nil {
		return err
	}
	p.done()
	if err := res.Write(o.out); err != nil {
		return err
	}
	stake, err := res.StakeTable()
	if err != nil {
		return err
	}
	pooled := res.Collector.Pooled()
	fmt.Fprintf(stdout, "%s: %d nodes, %d blocks, %s simulated, seed %d\n", s.Name, s.Nodes.Count, res.Collector.Blocks(), s.Duration, res.Seed)
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
	if res.Peers != nil {
		fmt.Fprintf(stdout, ", %s", filepath.Join(o.out, results.PeersPNGFile))
	}
	if res.Attack != nil {
		fmt.Fprintf(stdout, ", %s", filepath.Join(o.out, results.AttackPNGFile))
	}
	if res.SyncNodes != nil {
		fmt.Fprintf(stdout, ", %s", filepath.Join(o.out, results.SyncPNGFile))
	}
	fmt.Fprintln(stdout, ")")
	if res.Attack != nil {
		printAttack(stdout, res.Attack.Summary())
	}
	if res.SyncNodes != nil {
		printSync(stdout, res.SyncNodes.Summary())
	}
	return nil
}

// printSync prints a line per syncing class: how many caught up and how
// fast, and how many judged themselves caught up while behind.
func printSync(w io.Writer, summary map[string]any) {
	for _, name := range slices.Sorted(maps.Keys(summary)) {
		c := summary[name].(map[string]any)
		fmt.Fprintf(w, "syncing class %s (%s): %d of %d caught up", name, c["mode"], c["caught_up"], c["nodes"])
		if p50, ok := c["catch_up_p50_s"].(float64); ok {
			fmt.Fprintf(w, ", in %.1f s (median), %.1f s (slowest)", p50, c["catch_up_max_s"])
		}
		fmt.Fprintf(w, "; %d judged themselves caught up while behind at the end; %d critical timeouts (%s)\n",
			c["young_enough_behind_at_end"], c["critical_timeouts"], results.SyncFile)
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
			if _, err := os.Stat(filepath.Join(args[0], results.RoundsFile)); err == nil {
				if err := results.PlotRoundsDir(args[0]); err != nil {
					return badInput(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", filepath.Join(args[0], results.RoundsPNGFile))
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

// printAttack prints, per honest class, what the attack did (summary.json's
// "adversary", without the blocks missed, which the run adds there).
func printAttack(w io.Writer, sum map[string]any) {
	for _, name := range slices.Sorted(maps.Keys(sum)) {
		m := sum[name].(map[string]any)
		fmt.Fprintf(w, "adversary: %s: eclipsed at most %.1f %%, %.1f %% at the end; %d eclipses ended (longest %.0f s); largest gap behind the majority %d blocks (adversary.csv)\n",
			name, 100*m["eclipsed_max"].(float64), 100*m["eclipsed_end"].(float64), m["eclipses"].(int64), m["eclipse_max_s"].(float64), m["gap_max"].(int32))
	}
}
