// Command dpsim is the deterministic discrete-event simulator of Cardano's
// Dynamic P2P networking. See README.md for a tour; `dpsim --help` lists
// the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/spf13/cobra"
)

func main() {
	// Ctrl-C or a TERM stops a run between two simulated minutes; its
	// outputs are staged, so the output folder stays as it was.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCmd()
	root.SetContext(ctx)
	code := runCmd(root, os.Args[1:])
	stop()
	os.Exit(code)
}

// runCmd executes root with args and maps errors to exit codes: 0
// success, 2 bad input (flags, files, scenarios), 1 any other failure.
// The error goes to root's error writer.
func runCmd(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	ctx := root.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	root.SetContext(context.WithValue(ctx, commandLineKey{}, append([]string{"dpsim"}, args...)))
	ran := false
	markRan(root, &ran)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var stopped *interruptedError
	if errors.As(err, &stopped) {
		fmt.Fprintln(root.ErrOrStderr(), "dpsim: interrupted;", stopped.kept)
		return 1
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(root.ErrOrStderr(), "dpsim: interrupted; the output folder was left as it was")
		return 1
	}
	fmt.Fprintln(root.ErrOrStderr(), "dpsim:", err)
	var in *inputError
	var runIn *run.InputError
	if errors.As(err, &in) || errors.As(err, &runIn) || !ran {
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

// interruptedError is a command stopped by Ctrl-C that kept part of its
// work (a sweep's finished runs): kept says what is there.
type interruptedError struct {
	kept string
	err  error
}

func (e *interruptedError) Error() string { return "interrupted; " + e.kept }
func (e *interruptedError) Unwrap() error { return e.err }
