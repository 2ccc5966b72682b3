package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/sim/flood"
	"github.com/spf13/cobra"
)

type floodOptions struct {
	caseDir       string
	variant       string
	processing    time.Duration
	serialisation time.Duration
	out           string
	impl          string
}

func newFloodCmd() *cobra.Command {
	o := &floodOptions{}
	cmd := &cobra.Command{
		Use:   "flood --case DIR --variant A|B --out FILE",
		Short: "Run the cross-simulator block-flood benchmark (benchmarks/flood/MODEL.md)",
		Long: `flood runs the exactly specified block-flood model shared with ns-3, SimGrid
and SimPy implementations, on dpsim's own engine and network model. It reads
the case's edges.csv and blocks.csv, writes the arrival file
(block,node,arrival_us; -1 = unreached) and prints the model's RESULT line.
wall_s covers simulating the blocks only, not reading or writing files.`,
		Example: `  dpsim flood --case ../shared/benchmarks/flood/example-n200 --variant B --out /tmp/dpsim_B.csv
  dpsim flood generate --nodes 10000 --k 20 --blocks 20 --seed 1 --out /tmp/case-n10000
  dpsim flood --case /tmp/case-n10000 --variant A --out /tmp/n10000_A.csv`,
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.OutOrStdout(), cmd.ErrOrStderr()) },
	}
	f := cmd.Flags()
	f.StringVar(&o.caseDir, "case", "", "case directory with case.txt, edges.csv and blocks.csv (required)")
	f.StringVar(&o.variant, "variant", "B", "model variant: A (pure latency) or B (serial uplink)")
	f.DurationVar(&o.processing, "processing", 10*time.Millisecond, "processing delay P at every node but the source (> 0, whole µs)")
	f.DurationVar(&o.serialisation, "serialization", 80*time.Millisecond, "serialisation time S of one copy (variant B, whole µs)")
	f.StringVar(&o.out, "out", "", "arrival file to write (required)")
	f.StringVar(&o.impl, "impl", "dpsim", "implementation name in the RESULT line")
	cmd.MarkFlagRequired("case")
	cmd.MarkFlagRequired("out")
	completeFolders(cmd, "case")
	completeWords(cmd, "variant", "A\tpure latency", "B\tserial uplink")
	cmd.AddCommand(newFloodGenerateCmd())
	return cmd
}

func (o *floodOptions) run(stdout, stderr io.Writer) error {
	if len(o.variant) != 1 {
		return badInput(fmt.Errorf("--variant %q: accepted A or B", o.variant))
	}
	p := flood.Params{Variant: flood.Variant(o.variant[0]), Processing: o.processing, Serialisation: o.serialisation}
	if err := p.Validate(); err != nil {
		return badInput(fmt.Errorf("flag %w", err))
	}
	c, err := flood.LoadCase(o.caseDir)
	if err != nil {
		return badInput(err)
	}
	r, err := flood.NewRunner(c, p)
	if err != nil {
		return badInput(err)
	}
	start := time.Now()
	rows, err := r.RunAll()
	wall := time.Since(start).Seconds()
	if err != nil {
		return err
	}
	sum := &flood.Summary{}
	err = atomicfile.Write(o.out, func(w io.Writer) error { return flood.WriteArrivalRows(w, rows, sum) })
	if err != nil {
		return err
	}
	sum.Events = r.Events()
	fmt.Fprintln(stdout, flood.ResultLine(o.impl, p.Variant, c, sum, wall))
	if sum.UnreachedPercentiles > 0 {
		fmt.Fprintf(stderr, "dpsim: warning: %d block percentiles fell on unreached nodes (counted as 0 in the means)\n", sum.UnreachedPercentiles)
	}
	return nil
}

type floodGenOptions struct {
	spec flood.GenSpec
	out  string
}

func newFloodGenerateCmd() *cobra.Command {
	o := &floodGenOptions{}
	cmd := &cobra.Command{
		Use:   "generate --nodes N --k K --blocks B --seed S --out DIR",
		Short: "Generate a flood benchmark case (MODEL.md §2) into a new folder",
		Long: `generate makes a case with the generator of MODEL.md §2 (regions, placement,
K random peers per node, haversine latency ms = km/200·1.5 + 2, distinct
sources). It uses dpsim's own random stream, so it makes cases of the same
distribution as the reference generator but not the same files.
--whole-ms rounds every latency to a whole millisecond (a tie-stress case).`,
		Example: `  dpsim flood generate --nodes 1000 --k 10 --blocks 50 --seed 1 --out cases/n1000
  dpsim flood generate --nodes 1000 --k 10 --blocks 50 --seed 1 --whole-ms --out cases/n1000-ties`,
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := flood.Generate(o.spec)
			if err != nil {
				return badInput(err)
			}
			if err := g.Write(o.out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: nodes=%d edges=%d blocks=%d components=%d\n",
				filepath.Clean(o.out), g.Nodes, g.Graph.Edges(), len(g.Sources), g.Components())
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.spec.Nodes, "nodes", 1000, "number of nodes N")
	f.IntVar(&o.spec.K, "k", 10, "peers each node picks (degree is about 2K)")
	f.IntVar(&o.spec.Blocks, "blocks", 50, "number of blocks (distinct sources)")
	f.Uint64Var(&o.spec.Seed, "seed", 1, "random seed")
	f.BoolVar(&o.spec.WholeMs, "whole-ms", false, "round latencies to whole milliseconds (tie-stress case)")
	f.StringVar(&o.out, "out", "", "folder to write the case into (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}
