// Package datadriven runs tests written as text scripts, in the manner of
// etcd-io/raft's interaction tests and github.com/cockroachdb/datadriven
// (which this project chooses not to depend on; this is a small
// equivalent written for it, not a copy).
//
// # File format
//
// A test file is a sequence of cases. Blank lines and lines starting with
// '#' between cases are comments: they are skipped when running and kept
// as they are when rewriting. A case is
//
//	command arg key=value key=(v1, v2) ...
//	optional input lines
//	----
//	expected output
//	<blank line or end of file>
//
// The command line is split on spaces: its first word is TestData.Cmd and
// the rest are TestData.CmdArgs. An argument is a bare key ("verbose"), a
// key with one value ("at=10s") or a key with a parenthesised list of
// values separated by commas ("peers=(1, 2, 3)"); spaces inside the
// parentheses are allowed. Every line between the command and the line
// "----" is input, verbatim (blank lines and '#' lines included).
//
// The expected output runs from the line after "----" to the first line
// that is empty or holds only spaces and tabs, or to the end of the file.
// An output that contains such a line uses the doubled separator
// instead: the lines "----" and "----", then the output, then the lines
// "----" and "----", then a blank line or the end of the file. An output
// whose first or last line is "----", or with two "----" lines in a row,
// cannot be written in either form; rewriting reports it as an error.
//
// An output is compared as text with its final newline made present: the
// test function may return "x" or "x\n" for the output line x. The empty
// output is a "----" line directly followed by a blank line.
//
// # Running
//
// RunTest runs the cases of one file in order, calling the test function
// with each case; it reports every output that differs from the expected
// one, naming the file and the line of the case's command, and goes on
// with the next case (the function may call t.Fatal to stop). Walk runs a
// subtest per file of a folder; RunDir runs each file of a folder with a
// test function of its own.
//
// The function must read every argument of a case (ScanArgs, MaybeScanArgs,
// HasArg or Arg): an argument it never looked at is reported as an error,
// so a misspelt key fails instead of being ignored.
//
// A case whose input is itself a list of commands (a configuration, say)
// reads it with InputCommands: each input line that is neither blank nor
// a '#' comment parses as a command line, with the Pos of its own line and
// the same rule on unread arguments.
//
// # Rewriting
//
// The package registers the test flag -rewrite (unless a flag of that
// name is already registered, which it then reads). With it, RunTest does
// not compare: it writes the actual outputs into the file in place,
// keeping comments, commands, inputs and the blank lines between cases as
// they are, and choosing the single or doubled separator for each output
// by the rule above. A rewritten file passes when run again without the
// flag. Rewriting is skipped if the test failed (a parse error, a call of
// t.Fatal or t.Error), so a broken run never overwrites good scripts.
//
//	go test ./node -run TestGovernorScripts -rewrite
//
// Review the diff of a rewrite as you would review code.
package datadriven
