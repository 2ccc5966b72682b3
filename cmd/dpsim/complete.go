package main

import (
	"github.com/spf13/cobra"
)

// Shell completion (dpsim completion bash|zsh|fish|powershell) of the
// commands' arguments and flag values: scenario files for positional
// arguments, folders for --out and --case, the accepted words for the
// flags that take one of a few.

// scenarioArgs completes a command's arguments with YAML files.
func scenarioArgs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
}

// folderArgs completes a command's arguments with folders.
func folderArgs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

// completeFolders makes each named flag of cmd complete with folders.
func completeFolders(cmd *cobra.Command, flags ...string) {
	for _, f := range flags {
		cmd.RegisterFlagCompletionFunc(f, folderArgs)
	}
}

// completeWords makes flag complete with words, each with its meaning
// (shown by shells that show descriptions).
func completeWords(cmd *cobra.Command, flag string, words ...string) {
	cmd.RegisterFlagCompletionFunc(flag, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return words, cobra.ShellCompDirectiveNoFileComp
	})
}
