package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/spf13/cobra"
)

// maxJobs bounds --jobs: more simulations at once than this only costs
// memory (each run holds its whole world).
const maxJobs = 1024

type compareOptions struct {
	out   string
	jobs  int
	seeds []string
	runs  bool
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
compare-cdf.csv, and the plots compare-cdf.png and compare-rounds.png.
Runs use every core (--jobs); the results never depend on which run finished
first. docs/outputs.md describes every file and column.`,
		Example: `  dpsim compare scenarios/blog-fig3.yaml --out out/blog-fig3
  dpsim compare scenarios/blog-fig1.yaml scenarios/blog-fig2.yaml --out out/blog --jobs 2
  dpsim compare scenarios/blog-fig3.yaml --out out/one-seed --seeds 7`,
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output folder (required; created if missing)")
	f.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "runs simulated at once")
	f.StringSliceVar(&o.seeds, "seeds", nil, "seeds to run instead of the scenario's compare.seeds (comma-separated)")
	f.BoolVar(&o.runs, "runs", false, "also write each run's own results into DIR/runs/LABEL/seed-N")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (o *compareOptions) run(stdout io.Writer, paths []string) error {
	if o.jobs < 1 || o.jobs > maxJobs {
		return badInput(fmt.Errorf("--jobs %d: accepted 1 … %d", o.jobs, maxJobs))
	}
	if len(o.seeds) > scenarios.MaxCompareSeeds {
		return badInput(fmt.Errorf("--seeds: %d seeds: accepted at most %d, as in compare.seeds", len(o.seeds), scenarios.MaxCompareSeeds))
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
		if err := o.compareOne(stdout, s, dir); err != nil {
			return err
		}
	}
	return nil
}

// compareTask is one simulation of a comparison.
type compareTask struct {
	variant scenarios.Variant
	seed    uint64
	col     *results.Collector
	run     *scenarios.Run
	err     error
}

func (o *compareOptions) compareOne(stdout io.Writer, s *scenarios.Scenario, dir string) error {
	seeds := s.Seeds()
	if len(o.seeds) > 0 {
		seeds = nil
		for _, v := range o.seeds {
			x, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil || slices.Contains(seeds, x) {
				return badInput(fmt.Errorf("--seeds %q: accepted distinct integers 0 … 2^64-1, comma-separated", v))
			}
			seeds = append(seeds, x)
		}
	}
	variants := s.Variants()
	var tasks []*compareTask
	for _, seed := range seeds {
		for _, v := range variants {
			if !v.Bound {
				tasks = append(tasks, &compareTask{variant: v, seed: seed})
			}
		}
	}
	if len(tasks) == 0 {
		return badInput(fmt.Errorf("%s: compare.policies lists no runnable policy; accepted: at least one besides gods-view", s.Path))
	}
	// Build every run first, in order, so input problems surface before
	// any simulation starts.
	for _, t := range tasks {
		t.col = results.NewCollector(s.Nodes.Count)
		r, err := scenarios.Build(s.WithPolicy(t.variant.Policy), t.seed, t.col)
		if err != nil {
			return badInput(fmt.Errorf("%s (policy %s, seed %d): %w", s.Path, t.variant.Label, t.seed, err))
		}
		t.run = r
	}
	o.execute(s, tasks)
	for _, t := range tasks {
		if t.err != nil {
			return fmt.Errorf("policy %s, seed %d: %w", t.variant.Label, t.seed, limitHint(t.err))
		}
	}
	warmup := clock.Time(s.Warmup)
	var runs []results.CompareRun
	for _, v := range variants {
		for _, seed := range seeds {
			if v.Bound {
				gv, err := godsView(s, tasks, seed)
				if err != nil {
					return err
				}
				runs = append(runs, results.CompareRun{Policy: v.Label, Seed: seed, Run: gv, Bound: true})
				continue
			}
			for _, t := range tasks {
				if t.seed == seed && t.variant.Label == v.Label {
					runs = append(runs, results.CompareRun{Policy: v.Label, Seed: seed, Run: t.col})
				}
			}
		}
	}
	cmp, err := results.Compare(runs, results.CompareOptions{From: warmup, Window: s.CompareWindow(), Duration: s.Duration})
	if err != nil {
		return err
	}
	err = staged(dir, compareOutputs, func(tmp string) error {
		if err := results.WriteCompare(tmp, cmp); err != nil {
			return err
		}
		if o.runs {
			for _, t := range tasks {
				if err := writeTaskRun(s, t, filepath.Join(tmp, compareRunsDir, t.variant.Label, "seed-"+strconv.FormatUint(t.seed, 10))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	printComparison(stdout, s, cmp, len(seeds), dir)
	return nil
}

// execute simulates the tasks on o.jobs goroutines. Each run is
// single-threaded and independent; results land in the task by index.
func (o *compareOptions) execute(s *scenarios.Scenario, tasks []*compareTask) {
	next := make(chan *compareTask)
	var wg sync.WaitGroup
	for range min(o.jobs, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				start := time.Now()
				t.err = t.run.Execute(nil)
				fmt.Fprintf(os.Stderr, "%s: %s seed %d done in %.1f s\n", s.Name, t.variant.Label, t.seed, time.Since(start).Seconds())
				t.run = keepLatency(t.run)
			}
		}()
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
}

// keepLatency drops a finished run's world (its governors, tables and
// queue) but keeps what god's view needs.
func keepLatency(r *scenarios.Run) *scenarios.Run {
	return &scenarios.Run{Scenario: r.Scenario, Seed: r.Seed, Latency: r.Latency}
}

// godsView computes the lower bound for seed's blocks from the first run
// of that seed (every run of a seed makes the same blocks).
func godsView(s *scenarios.Scenario, tasks []*compareTask, seed uint64) (*results.Collector, error) {
	for _, t := range tasks {
		if t.seed != seed {
			continue
		}
		return results.GodsView(t.col, t.run.Latency, hopCost(s), s.Blocks.ForgeDelay, results.GodsViewOptions{MaxSources: s.Compare.GodsViewSources})
	}
	return nil, errors.New("compare: god's view needs a run of seed " + strconv.FormatUint(seed, 10))
}

// writeTaskRun writes one run's own results (--runs).
func writeTaskRun(s *scenarios.Scenario, t *compareTask, dir string) error {
	t.col.SetWarmup(clock.Time(s.Warmup))
	meta := results.Meta{
		Seed: t.seed, Scenario: s.Name + " " + t.variant.Label, ScenarioSHA256: s.Hash, DpsimVersion: version,
		Nodes: s.Nodes.Count, DurationS: s.Duration.Seconds(),
		Extra: map[string]any{"policy": t.variant.Label},
	}
	return results.WriteRun(dir, t.col, meta, results.Options{})
}

func printComparison(w io.Writer, s *scenarios.Scenario, cmp *results.Comparison, seeds int, dir string) {
	fmt.Fprintf(w, "%s: %d nodes, %s simulated, %d seed(s), warm-up %s, round %s\n",
		s.Name, s.Nodes.Count, s.Duration, seeds, s.Warmup, s.CompareWindow())
	fmt.Fprintf(w, "%-20s %10s %10s %10s %8s %s\n", "policy", "p50 ms", "p95 ms", "p99 ms", "p99/god", "rounds")
	for _, p := range cmp.Policies {
		ratio := "—"
		if p.P99.HasRatio {
			ratio = strconv.FormatFloat(p.P99.Ratio, 'f', 2, 64)
		}
		rounds := "—"
		if p.Converge.Status == results.Converged {
			rounds = strconv.Itoa(p.Converge.Round)
		}
		fmt.Fprintf(w, "%-20s %10.1f %10.1f %10.1f %8s %s\n", p.Policy, p.P50.MeanUS/1000, p.P95.MeanUS/1000, p.P99.MeanUS/1000, ratio, rounds)
	}
	fmt.Fprintf(w, "wrote %s (table: %s; plots: %s, %s)\n", dir, filepath.Join(dir, results.CompareMDFile),
		filepath.Join(dir, "compare-cdf.png"), filepath.Join(dir, "compare-rounds.png"))
}

// hopCost is the relay's per-hop cost under the scenario's transport and
// node timings, for the god's-view bound.
func hopCost(s *scenarios.Scenario) results.HopCost {
	bps := int64(math.Round(s.Network.BandwidthMbps * 1e6))
	body := int64(s.Blocks.BodyBytes)
	if len(s.Blocks.BodySizes) > 0 {
		// Drawn sizes: the smallest keeps the bound a lower bound.
		body = math.MaxInt64
		for _, e := range s.Blocks.BodySizes {
			body = min(body, int64(e.Bytes))
		}
	}
	hop := results.HopCost{
		HeaderValidation: s.Blocks.HeaderValidation,
		BodyValidation:   s.Blocks.BodyValidation + s.Blocks.BodyValidationPerKiB*time.Duration(body)/1024,
		BodyTransmit:     netmodel.SerialisationDelay(body, bps),
		Pipelining:       s.Blocks.Pipelining,
		ServeDelay:       s.Blocks.ServeDelay,
	}
	if s.Network.Transport == netmodel.TransportTCP {
		tcp := s.Network.TCP.Config()
		header := int64(s.Blocks.HeaderBytes)
		hop.HeaderTransmit = netmodel.SerialisationDelay(header, bps)
		hop.BodyTransfer = tcp.BodyAfterHeaderFunc(header, body, bps)
	}
	return hop
}
