package datadriven

import (
	"fmt"
	"strings"
)

// separator is the line that ends a case's input and starts its output.
const separator = "----"

// testCase is one parsed case and where it sits in its file.
type testCase struct {
	data TestData
	// sep is the index of the case's first "----" line; end is the index
	// of the first line after its output (its terminating blank line, or
	// len(lines)). Rewriting replaces lines[sep:end].
	sep, end int
}

// parseFile splits content into its lines and parses the cases. path
// names the file in TestData.Pos and in errors; every error names the
// file and the line.
func parseFile(path, content string) (lines []string, cases []testCase, err error) {
	lines = splitLines(content)
	for i := 0; i < len(lines); {
		line := lines[i]
		if isBlank(line) || strings.HasPrefix(line, "#") {
			i++
			continue
		}
		c, next, err := parseCase(path, lines, i)
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, c)
		i = next
	}
	return lines, cases, nil
}

// splitLines splits content into lines without their "\n" (or "\r\n");
// a final newline does not start another line.
func splitLines(content string) []string {
	if content == "" {
		return nil
	}
	content = strings.ReplaceAll(content, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(content, "\n"), "\n")
}

// isBlank reports whether line ends a single-separator output.
func isBlank(line string) bool { return strings.Trim(line, " \t") == "" }

// parseCase parses the case whose command is lines[at] and returns it and
// the index of the first line after it.
func parseCase(path string, lines []string, at int) (testCase, int, error) {
	pos := fmt.Sprintf("%s:%d", path, at+1)
	cmd, args, err := parseCommand(lines[at])
	if err != nil {
		return testCase{}, 0, fmt.Errorf("%s: %w", pos, err)
	}
	c := testCase{data: TestData{Pos: pos, Cmd: cmd, CmdArgs: args, path: path, line: at + 1}}
	i := at + 1
	for i < len(lines) && lines[i] != separator {
		i++
	}
	if i == len(lines) {
		return testCase{}, 0, fmt.Errorf("%s: command %q has no %q line before the end of the file", pos, cmd, separator)
	}
	c.data.Input = strings.Join(lines[at+1:i], "\n")
	c.sep = i
	i++
	if i < len(lines) && lines[i] == separator { // doubled separator
		start := i + 1
		for i = start; i+1 < len(lines) && !(lines[i] == separator && lines[i+1] == separator); i++ {
		}
		if i+1 >= len(lines) {
			return testCase{}, 0, fmt.Errorf("%s: command %q: output opened with a doubled %q (line %d) is never closed by a doubled %q",
				pos, cmd, separator, c.sep+1, separator)
		}
		c.data.Expected = joinOutput(lines[start:i])
		c.end = i + 2
		if c.end < len(lines) && !isBlank(lines[c.end]) {
			return testCase{}, 0, fmt.Errorf("%s:%d: after the doubled %q that closes the output of line %d: want a blank line or the end of the file, found %q",
				path, c.end+1, separator, at+1, lines[c.end])
		}
		return c, c.end, nil
	}
	start := i
	for i < len(lines) && !isBlank(lines[i]) {
		i++
	}
	c.data.Expected = joinOutput(lines[start:i])
	c.end = i
	return c, i, nil
}

// joinOutput joins output lines, each with its newline.
func joinOutput(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// parseCommand splits a command line into the command and its arguments.
func parseCommand(line string) (string, []CmdArg, error) {
	var words []string
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimLeft(rest, " \t") {
		end := strings.IndexAny(rest, " \t(")
		if end >= 0 && rest[end] == '(' {
			close := strings.IndexByte(rest[end:], ')')
			if close < 0 {
				return "", nil, fmt.Errorf("argument %q: unclosed '('", rest)
			}
			end += close + 1
			if end < len(rest) && rest[end] != ' ' && rest[end] != '\t' {
				return "", nil, fmt.Errorf("argument %q: want a space after ')'", rest)
			}
		}
		if end < 0 {
			end = len(rest)
		}
		words = append(words, rest[:end])
		rest = rest[end:]
	}
	cmd := words[0]
	if strings.ContainsAny(cmd, "=()") {
		return "", nil, fmt.Errorf("command %q: want a name first, without '=' or parentheses", cmd)
	}
	args := make([]CmdArg, 0, len(words)-1)
	for _, w := range words[1:] {
		a, err := parseArg(w)
		if err != nil {
			return "", nil, err
		}
		for _, b := range args {
			if b.Key == a.Key {
				return "", nil, fmt.Errorf("argument %q given twice", a.Key)
			}
		}
		args = append(args, a)
	}
	return cmd, args, nil
}

// parseArg parses one argument: key, key=value or key=(v1, v2, ...).
func parseArg(w string) (CmdArg, error) {
	key, val, hasVal := strings.Cut(w, "=")
	if key == "" || strings.ContainsAny(key, "()") {
		return CmdArg{}, fmt.Errorf("argument %q: want key, key=value or key=(v1, v2)", w)
	}
	a := CmdArg{Key: key}
	switch {
	case !hasVal:
		if strings.ContainsAny(w, "()") {
			return CmdArg{}, fmt.Errorf("argument %q: want key=(v1, v2) for a list", w)
		}
	case strings.HasPrefix(val, "("):
		if !strings.HasSuffix(val, ")") {
			return CmdArg{}, fmt.Errorf("argument %q: want key=(v1, v2)", w)
		}
		inner := strings.TrimSpace(val[1 : len(val)-1])
		if inner == "" {
			a.Vals = []string{}
			break
		}
		for v := range strings.SplitSeq(inner, ",") {
			a.Vals = append(a.Vals, strings.TrimSpace(v))
		}
	default:
		if strings.ContainsAny(val, "()") {
			return CmdArg{}, fmt.Errorf("argument %q: parentheses only around a whole list of values", w)
		}
		a.Vals = []string{val}
	}
	return a, nil
}

// formatOutput returns the lines that replace a case's separator and
// output when rewriting: the single separator when the output allows it,
// the doubled one otherwise. It returns an error for an output that
// neither form can hold: one whose first or last line is "----", or with
// two "----" lines in a row.
func formatOutput(actual string) ([]string, error) {
	out := splitLines(actual)
	if n := len(out); n > 0 && (out[0] == separator || out[n-1] == separator) {
		return nil, fmt.Errorf("output begins or ends with a %q line, which no separator can enclose", separator)
	}
	doubled := false
	for i, l := range out {
		if isBlank(l) {
			doubled = true
		}
		if l == separator && i+1 < len(out) && out[i+1] == separator {
			return nil, fmt.Errorf("output has two %q lines in a row (lines %d and %d of the output), which no separator can enclose",
				separator, i+1, i+2)
		}
	}
	if !doubled {
		return append([]string{separator}, out...), nil
	}
	lines := append([]string{separator, separator}, out...)
	return append(lines, separator, separator), nil
}

// normalise makes an output end with exactly the newline of its last line.
func normalise(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// rewriteText returns the file's lines with each case's output replaced by
// actual[i] (cases in file order, lines as parseFile returned them).
func rewriteText(lines []string, cases []testCase, actual []string) (string, error) {
	var b strings.Builder
	emit := func(ls []string) {
		for _, l := range ls {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	prev := 0
	for i, c := range cases {
		out, err := formatOutput(normalise(actual[i]))
		if err != nil {
			return "", fmt.Errorf("%s: command %q: %w", c.data.Pos, c.data.Cmd, err)
		}
		emit(lines[prev:c.sep])
		emit(out)
		prev = c.end
	}
	emit(lines[prev:])
	return b.String(), nil
}
