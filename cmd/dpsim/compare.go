package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/spf13/cobra"
)

type compareOptions struct {
	out     string
	jobs    int
	seeds   []string
	runs    bool
	command []string // the command line, for meta.json
	force   bool     // run even if the memory estimate exceeds what is available
}

func newCompareCmd() *cobra.Command {
	o := &compareOptions{}
	cmd := &cobra.Command{
		Use:   "compare SCENARIO.yaml... --out DIR",
		Short: "Run a scenario's policies on several seeds and compare their diffusion times",
		Long: `compare runs every policy of each scenario's compare section on every seed:
each seed's runs share the network and the block schedule, and god's view
(when listed) adds the lower bound of diffusion over the complete latency
graph for the same blocks. It writes into DIR (into DIR/NAME for each
scenario when given several): compare.csv and compare.md (per policy p50, p95
and p99 with a 95 % confidence interval over seeds, the ratio to god's view
and the rounds to converge), compare-seeds.csv, compare-rounds.csv,
compare-cdf.csv, compare-overhead.csv (each policy's headers, bodies,
connections and discovery messages per node and hour), and the plots
compare-cdf.png and compare-rounds.png. With --runs it also writes each
run's own files, the same set dpsim run writes, into DIR/runs/LABEL/seed-N.
Runs use every core (--jobs); the results never depend on which run finished
first. docs/outputs.md describes every file and column.`,
		Example: `  dpsim compare scenarios/blog-fig3.yaml --out out/blog-fig3
  dpsim compare scenarios/blog-fig1.yaml scenarios/blog-fig2.yaml --out out/blog --jobs 2
  dpsim compare scenarios/blog-fig3.yaml --out out/one-seed --seeds 7`,
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.command = commandLine(cmd)
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output folder (required; created if missing)")
	f.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "runs simulated at once")
	f.StringSliceVar(&o.seeds, "seeds", nil, "seeds to run instead of the scenario's compare.seeds (comma-separated)")
	f.BoolVar(&o.runs, "runs", false, "also write each run's own results into DIR/runs/LABEL/seed-N")
	f.BoolVar(&o.force, "force", false, "run even if the estimated memory of the runs at once exceeds what the machine has available")
	cmd.MarkFlagRequired("out")
	cmd.ValidArgsFunction = scenarioArgs
	completeFolders(cmd, "out")
	return cmd
}

func (o *compareOptions) run(ctx context.Context, stdout, stderr io.Writer, paths []string) error {
	v, rev := buildVersion()
	opt := run.CompareOptions{Jobs: o.jobs, Runs: o.runs, Version: v, Revision: rev, Command: o.command}
	if len(o.seeds) > scenarios.MaxCompareSeeds {
		return badInput(fmt.Errorf("--seeds: %d seeds: accepted at most %d, as in compare.seeds", len(o.seeds), scenarios.MaxCompareSeeds))
	}
	for _, v := range o.seeds {
		x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil || slices.Contains(opt.Seeds, x) {
			return badInput(fmt.Errorf("--seeds %q: accepted distinct integers 0 … 2^64-1, comma-separated", v))
		}
		opt.Seeds = append(opt.Seeds, x)
	}
	if o.jobs < 1 || o.jobs > run.MaxJobs {
		return badInput(fmt.Errorf("--jobs %d: accepted 1 … %d", o.jobs, run.MaxJobs))
	}
	if err := run.CheckOut(o.out); err != nil {
		return err
	}
	var list []*scenarios.Scenario
	for _, p := range paths {
		s, err := scenarios.Load(p)
		if err != nil {
			return badInput(err)
		}
		if s.Topology.Model != scenarios.TopologyP2P {
			return badInput(fmt.Errorf("%s: topology.model %s: compare runs peer-selection policies; accepted: p2p", p, s.Topology.Model))
		}
		list = append(list, s)
	}
	for _, s := range list {
		dir := o.out
		if len(list) > 1 {
			dir = filepath.Join(o.out, s.Name)
		}
		p := newProgress(stderr)
		seeds := len(opt.Seeds)
		if seeds == 0 {
			seeds = len(s.Seeds())
		}
		est, runs := run.EstimateCompare(s, seeds, o.jobs)
		if p.tty {
			fmt.Fprintf(stderr, "%s: %d runs, %d at once: %s in all\n", s.Name, runs, min(o.jobs, runs), est)
		}
		if !o.force {
			if err := run.CheckMemory(s, est); err != nil {
				return err
			}
		}
		opt.Done = func(d run.RunDone) {
			p.println(fmt.Sprintf("%s: %s seed %d done in %.1f s (%d of %d)", s.Name, d.Label, d.Seed, d.Wall.Seconds(), d.Done, d.Total))
		}
		opt.Progress = func(c run.CompareProgress) { p.compare(s.Name, c) }
		opt.Warn = func(w string) { p.println(w) } // the builds' warnings, and the writing's
		c, err := run.Compare(ctx, s, opt)
		p.done()
		if err != nil {
			return err
		}
		if err := c.Write(dir); err != nil {
			return err
		}
		printComparison(stdout, s, c.Table, len(c.Seeds), dir)
	}
	return nil
}

func printComparison(w io.Writer, s *scenarios.Scenario, cmp *results.Comparison, seeds int, dir string) {
	fmt.Fprintf(w, "%s: %d nodes, %s simulated, %d seed(s), warm-up %s, round %s\n",
		s.Name, s.Nodes.Count, s.Duration, seeds, s.Warmup, s.CompareWindow())
	fmt.Fprintf(w, "%-20s %10s %10s %10s %8s %s\n", "policy", "p50 ms", "p95 ms", "p99 ms", "p99/god", "rounds")
	for _, p := range cmp.Policies {
		ratio := "–" // no bound row, as in compare.md
		if p.P99.HasRatio {
			ratio = strconv.FormatFloat(p.P99.Ratio, 'f', 2, 64)
		}
		// As compare.md says it: never, or – for too few windows to tell.
		rounds := "–"
		switch p.Converge.Status {
		case results.Converged:
			rounds = strconv.Itoa(p.Converge.Round)
		case results.NeverConverged:
			rounds = "never"
		}
		fmt.Fprintf(w, "%-20s %10.1f %10.1f %10.1f %8s %s\n", p.Policy, p.P50.MeanUS/1000, p.P95.MeanUS/1000, p.P99.MeanUS/1000, ratio, rounds)
	}
	fmt.Fprintf(w, "wrote %s (table: %s; plots: %s, %s)\n", dir, filepath.Join(dir, results.CompareMDFile),
		filepath.Join(dir, "compare-cdf.png"), filepath.Join(dir, "compare-rounds.png"))
}
