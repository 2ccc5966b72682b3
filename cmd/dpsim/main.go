// Command dpsim is the deterministic discrete-event simulator of Cardano's
// Dynamic P2P networking. See README.md for a tour; `dpsim --help` lists
// the commands.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and maps errors to exit codes: 0 success,
// 2 bad input (flags, files, scenarios), 1 any other failure.
func run(args []string) int {
	return runCmd(newRootCmd(), args)
}

// runCmd executes root with args; see run.
func runCmd(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	ran := false
	markRan(root, &ran)
	err := root.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "dpsim:", err)
	var in *inputError
	if errors.As(err, &in) || !ran {
		// Errors before a command's RunE (unknown command, missing
		// required flag, wrong argument count) are usage errors too.
		return 2
	}
	return 1
}

// markRan wraps every RunE in the tree so that *ran tells whether the
// command itself started.
func markRan(c *cobra.Command, ran *bool) {
	if f := c.RunE; f != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			*ran = true
			return f(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRan(sub, ran)
	}
}
