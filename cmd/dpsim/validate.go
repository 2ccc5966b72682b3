package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/spf13/cobra"
)

type validateOptions struct{ kind string }

func newValidateCmd() *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [--kind scenario|topology|config] FILE...",
		Short: "Check scenarios and cardano-node topology/config files, reporting every problem with its line",
		Long: `validate reads each file and reports every problem at once, each as
FILE:LINE:COL: FIELD: value "V": what is accepted. Repairs cardano-node would
make silently (duplicate local roots, valencies above the group size, unknown
fields) are printed as FILE:LINE:COL: warning: … and do not fail the file.

A scenario's files are opened and checked too, with the readers and limits of
dpsim run: the latency matrix, edge list or pings file, the topology's edge
list, the stake file, the pools' metadata file, and the operators' folder,
address map and every node's topology.json and config.json. Each broken file
is reported, not only the first, and then the run is built (not run), so a
scenario that validates is one run accepts. A static topology (random, edges,
local-roots) that leaves nodes unreachable is a warning saying how many.

Kinds: scenario (a dpsim scenario), topology (a cardano-node P2P
topology.json), config (a cardano-node config.json or .yaml; only its P2P
settings are read). Without --kind each file's kind is detected: .yaml/.yml is
a scenario unless it holds cardano-node settings; otherwise the top-level keys
decide (localRoots/publicRoots/bootstrapPeers/useLedgerAfterSlot: topology;
TargetNumberOf*/Protocol/genesis files: config; version: scenario).

Exit status: 2 if any file has a problem, 0 otherwise (warnings alone exit 0).`,
		Example: `  dpsim validate scenarios/*.yaml
  dpsim validate topology.json config.json
  dpsim validate --kind topology relay-topology.txt`,
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.OutOrStdout(), cmd.ErrOrStderr(), args)
		},
	}
	cmd.Flags().StringVar(&o.kind, "kind", "", "kind of every FILE: scenario, topology or config (default: detected per file)")
	completeWords(cmd, "kind", "scenario\ta dpsim scenario (YAML)", "topology\ta cardano-node topology.json", "config\ta cardano-node config.json or .yaml")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return cmd
}

func (o *validateOptions) run(stdout, stderr io.Writer, paths []string) error {
	var kind scenarios.Kind
	if o.kind != "" {
		k, err := scenarios.ParseKind(o.kind)
		if err != nil {
			return badInput(err)
		}
		kind = k
	}
	bad := 0
	for _, path := range paths {
		k, warns, cost, err := validateFile(path, kind)
		for _, w := range warns {
			fmt.Fprintln(stderr, w)
		}
		if err != nil {
			bad++
			fmt.Fprintln(stderr, err)
			continue
		}
		switch {
		case len(warns) > 0:
			fmt.Fprintf(stdout, "%s: ok (%s, %d warnings)%s\n", path, k, len(warns), cost)
		default:
			fmt.Fprintf(stdout, "%s: ok (%s)%s\n", path, k, cost)
		}
	}
	if bad > 0 {
		return badInput(fmt.Errorf("%d of %d files have problems", bad, len(paths)))
	}
	return nil
}

// validateFile reads path once and checks it as kind ("" = detect); a
// scenario's files are opened and checked too (scenarios.ValidateFiles).
// An I/O error is returned with the path; content problems as a Problems.
// The warnings are formatted lines; cost is a scenario's estimated cost
// (": about … events, … of memory, …"), "" for the other kinds.
func validateFile(path string, kind scenarios.Kind) (_ scenarios.Kind, _ []string, cost string, _ error) {
	data, err := scenarios.ReadInput(path)
	if err != nil {
		return kind, nil, "", err
	}
	if kind == "" {
		if kind, err = scenarios.DetectKind(path, data); err != nil {
			return kind, nil, "", err
		}
	}
	var warns scenarios.Warnings
	switch kind {
	case scenarios.KindTopology:
		_, warns, err = scenarios.ParseTopologyJSON(path, data)
	case scenarios.KindConfig:
		_, warns, err = scenarios.ParseNodeConfig(path, data)
	default:
		if scenarios.IsSweep(data) {
			return validateSweep(path, data)
		}
		s, err := scenarios.Parse(data, path)
		if err != nil {
			// The rules failed, so the files were not read: still say
			// which of them are missing, in the same pass.
			var ps scenarios.Problems
			if errors.As(err, &ps) {
				if miss := scenarios.MissingFiles(data, path); len(miss) > 0 {
					err = ps.With(miss)
				}
			}
			return kind, nil, "", err
		}
		probs, lines := scenarios.ValidateFiles(s)
		if len(probs) > 0 {
			return kind, lines, "", probs
		}
		return kind, lines, ": " + run.EstimateCost(s).String(), nil
	}
	return kind, warns.Lines(), "", err
}

// validateSweep checks a sweep file: every point as a whole scenario,
// then each point's files and build, as dpsim sweep does before running.
func validateSweep(path string, data []byte) (scenarios.Kind, []string, string, error) {
	sw, err := scenarios.ParseSweep(data, path)
	if err != nil {
		return kindSweep, nil, "", err
	}
	var lines []string
	for i, pt := range sw.Points {
		probs, warns := scenarios.ValidateFiles(pt.Scenario)
		for _, w := range warns {
			if !slices.Contains(lines, w) {
				lines = append(lines, w)
			}
		}
		if len(probs) > 0 {
			return kindSweep, lines, "", fmt.Errorf("sweep point %s:\n%w", sw.PointLabel(i), probs)
		}
	}
	est, _ := run.EstimateSweep(sw, 0, 1, runtime.NumCPU())
	return kindSweep, lines, fmt.Sprintf(": %d points, %d runs: %s", len(sw.Points), len(sw.Runs()), est), nil
}

// kindSweep names a sweep file in validate's lines: a scenario with a
// sweep section.
const kindSweep = scenarios.Kind("sweep")
