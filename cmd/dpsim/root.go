package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; it is
// part of every run's meta.json.
// defaultVersion is the version of a build that was not stamped.
const defaultVersion = "0.1.0-dev"

// version is set by the Makefile's build (-ldflags "-X main.version=...").
var version = defaultVersion

// inputError marks an error caused by the user's input: exit code 2.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// badInput wraps err (if not nil) as an input error.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "dpsim",
		Short: "Deterministic simulator of Cardano's Dynamic P2P networking",
		Long: `dpsim simulates Cardano's peer selection, churn and block diffusion on a
virtual clock over a simulated network, reproducibly: the same scenario and
seed give byte-identical outputs.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Flag errors are input errors (exit 2), like every other bad input.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	root.AddCommand(newRunCmd(), newCompareCmd(), newSweepCmd(), newMergeCmd(), newValidateCmd(), newPlotCmd(), newFloodCmd(), newSwarmCmd(), newVersionCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dpsim's version, the Go version and the source revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, rev := buildVersion()
			if rev == "" {
				rev = "unknown (build with make build, or go build in a git checkout, to stamp it)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dpsim %s (%s, revision %s)\n", v, runtime.Version(), rev)
			return nil
		},
	}
}

// buildVersion returns dpsim's version and source revision: the version
// stamped by the Makefile (-ldflags -X main.version), else the module
// version go install records (vX.Y.Z or a pseudo-version), else version's
// default; the revision is the VCS revision go build records in a checkout
// ("-dirty" when the tree had changes), "" when the build has none.
func buildVersion() (v, rev string) {
	v = version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v, ""
	}
	if v == defaultVersion && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return v, rev
}

// commandLine returns the command line a command runs under (set by
// runCmd), for meta.json.
func commandLine(cmd *cobra.Command) []string {
	if args, ok := cmd.Context().Value(commandLineKey{}).([]string); ok {
		return args
	}
	return nil
}

type commandLineKey struct{}

// positional wraps a cobra.PositionalArgs so that a wrong argument count
// is an input error.
func positional(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return badInput(check(cmd, args))
	}
}
