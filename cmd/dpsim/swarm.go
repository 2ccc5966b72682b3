package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/spf13/cobra"
)

// maxSwarmRuns bounds --runs (a run takes about a second).
const maxSwarmRuns = 1_000_000

type swarmOptions struct {
	seed  uint64
	runs  int
	keep  string
	print bool
}

func newSwarmCmd() *cobra.Command {
	o := &swarmOptions{}
	cmd := &cobra.Command{
		Use:   "swarm --seed S [--runs N]",
		Short: "Run random small scenarios with every check on, fast against exact (a VOPR)",
		Long: `swarm draws a random small scenario from each seed (node count, stake,
transport, bandwidth, jitter, block sizes and timings, static or Dynamic P2P
topology, targets, churn, the research policies and the PolderCast overlay,
adversarial nodes and attackers, syncing classes, connection faults and
crashes) and runs it twice: skipping the header events a receiver would
ignore, as every run does, and delivering every one (check.exact_headers),
with every invariant checked each simulated minute (check.invariants). The two runs must write the same files but for the
counters the fast path changes by design (events, headers_not_hot).

It runs seeds S, S+1, ... S+N-1 and stops at the first failure, printing the
command that replays it and keeping that seed's scenario and outputs.`,
		Example: `  dpsim swarm --seed 1 --runs 200
  dpsim swarm --seed 1234 --print > swarm-1234.yaml`,
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.seed, "seed", 1, "first seed")
	f.IntVar(&o.runs, "runs", 1, "seeds to run, from --seed on")
	f.StringVar(&o.keep, "keep", "", "folder for the failing seed's scenario and outputs (default: a new temporary folder)")
	f.BoolVar(&o.print, "print", false, "print the scenario of --seed and run nothing")
	completeFolders(cmd, "keep")
	return cmd
}

func (o *swarmOptions) run(cmd *cobra.Command, stdout io.Writer) error {
	if o.print {
		fmt.Fprint(stdout, run.SwarmScenario(o.seed))
		return nil
	}
	if o.runs < 1 || o.runs > maxSwarmRuns {
		return badInput(fmt.Errorf("--runs %d: accepted 1 … %d", o.runs, maxSwarmRuns))
	}
	if o.seed > ^uint64(0)-uint64(o.runs-1) {
		return badInput(fmt.Errorf("--seed %d with --runs %d passes 2^64-1", o.seed, o.runs))
	}
	keep := o.keep
	if keep == "" {
		var err error
		if keep, err = os.MkdirTemp("", "dpsim-swarm-"); err != nil {
			return err
		}
	}
	for k := range o.runs {
		seed := o.seed + uint64(k)
		scratch := filepath.Join(keep, "seed-"+strconv.FormatUint(seed, 10))
		rep, err := run.Swarm(cmd.Context(), seed, scratch)
		if err != nil {
			if rep != nil {
				if werr := os.MkdirAll(scratch, 0o755); werr == nil {
					os.WriteFile(filepath.Join(scratch, "scenario.yaml"), []byte(rep.Scenario), 0o644)
				}
			}
			return fmt.Errorf("%w\nreplay: dpsim swarm --seed %d (scenario and outputs kept in %s)", err, seed, scratch)
		}
		fmt.Fprintf(stdout, "seed %d: ok, %d blocks, %d events fast, %d exact\n", seed, rep.Blocks, rep.Events[0], rep.Events[1])
	}
	if o.keep == "" {
		os.Remove(keep)
	}
	return nil
}
