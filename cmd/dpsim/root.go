package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; it is
// part of every run's meta.json.
var version = "0.1.0-dev"

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
	root.AddCommand(newRunCmd(), newCompareCmd(), newValidateCmd(), newPlotCmd(), newFloodCmd(), newSwarmCmd(), newVersionCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print dpsim's version, the Go version and the source revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rev := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dpsim %s (%s, revision %s)\n", version, runtime.Version(), rev)
			return nil
		},
	}
}

// positional wraps a cobra.PositionalArgs so that a wrong argument count
// is an input error.
func positional(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return badInput(check(cmd, args))
	}
}
