package datadriven

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestData is one case of a test file.
type TestData struct {
	// Pos is "file:line" of the case's command, for messages.
	Pos string
	// Cmd is the command: the first word of the command line.
	Cmd string
	// CmdArgs are the command's arguments in the order written.
	CmdArgs []CmdArg
	// Input is the text between the command and "----", without a final
	// newline ("" when there is none).
	Input string
	// Expected is the expected output, each line with its newline.
	Expected string

	used []bool // per CmdArgs: the test read it
	path string // the file, and the command's line (1-based)
	line int
	subs []*TestData // InputCommands' commands, checked for unread arguments too
}

// CmdArg is one argument of a command: a bare key (no Vals), key=value
// (one Val) or key=(v1, v2, ...).
type CmdArg struct {
	Key  string
	Vals []string
}

// String returns the argument as written in a file.
func (a CmdArg) String() string {
	switch {
	case a.Vals == nil:
		return a.Key
	case len(a.Vals) == 1:
		return a.Key + "=" + a.Vals[0]
	}
	return a.Key + "=(" + strings.Join(a.Vals, ", ") + ")"
}

// String returns the command line.
func (d *TestData) String() string {
	var b strings.Builder
	b.WriteString(d.Cmd)
	for _, a := range d.CmdArgs {
		b.WriteByte(' ')
		b.WriteString(a.String())
	}
	return b.String()
}

// Arg returns the argument named key and marks it read.
func (d *TestData) Arg(key string) (CmdArg, bool) {
	for i, a := range d.CmdArgs {
		if a.Key == key {
			if i < len(d.used) {
				d.used[i] = true
			}
			return a, true
		}
	}
	return CmdArg{}, false
}

// HasArg reports whether the command has an argument named key, and
// marks it read.
func (d *TestData) HasArg(key string) bool {
	_, ok := d.Arg(key)
	return ok
}

// InputCommands parses each input line that is neither blank nor a '#'
// comment as a command line (the syntax of a case's command), for a case
// whose input is a list of commands. Each gets the Pos of its own line,
// and its arguments must be read as the case's must. A line that does not
// parse fails the test.
func (d *TestData) InputCommands(t testing.TB) []*TestData {
	t.Helper()
	if d.Input == "" {
		return nil
	}
	var cmds []*TestData
	for i, line := range strings.Split(d.Input, "\n") {
		if isBlank(line) || strings.HasPrefix(line, "#") {
			continue
		}
		pos := fmt.Sprintf("%s:%d", d.path, d.line+1+i)
		cmd, args, err := parseCommand(line)
		if err != nil {
			t.Fatalf("%s: %v", pos, err)
		}
		sub := &TestData{Pos: pos, Cmd: cmd, CmdArgs: args, used: make([]bool, len(args))}
		d.subs = append(d.subs, sub)
		cmds = append(cmds, sub)
	}
	return cmds
}

// unread returns "pos: cmd: argument" for every argument of d and of its
// input commands that the test never read.
func (d *TestData) unread() []string {
	var out []string
	for i, used := range d.used {
		if !used {
			out = append(out, fmt.Sprintf("%s: %s: argument %s", d.Pos, d.Cmd, d.CmdArgs[i]))
		}
	}
	for _, sub := range d.subs {
		out = append(out, sub.unread()...)
	}
	return out
}

// Fatalf fails the test with a message that starts with the case's file
// and line.
func (d *TestData) Fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s: %s: %s", d.Pos, d.Cmd, fmt.Sprintf(format, args...))
}

// ScanArgs stores the values of argument key in dests, and fails the test
// (naming the file and line) if the argument is missing or a value does
// not parse. With one dest that points to a slice, every value is parsed
// into the slice; otherwise there must be one dest per value. A dest
// points to a string, a bool (a bare key sets it), an integer or float
// type (named types such as an ID type included), a time.Duration
// (written as time.ParseDuration reads it), or a slice of those.
func (d *TestData) ScanArgs(t testing.TB, key string, dests ...any) {
	t.Helper()
	if !d.MaybeScanArgs(t, key, dests...) {
		d.Fatalf(t, "missing argument %s", key)
	}
}

// MaybeScanArgs is ScanArgs for an optional argument: it reports whether
// the argument is present, and leaves dests alone if it is not.
func (d *TestData) MaybeScanArgs(t testing.TB, key string, dests ...any) bool {
	t.Helper()
	a, ok := d.Arg(key)
	if !ok {
		return false
	}
	if err := scanArg(a, dests); err != nil {
		d.Fatalf(t, "argument %s: %v", a, err)
	}
	return true
}

var durationType = reflect.TypeFor[time.Duration]()

// scanArg parses a's values into dests.
func scanArg(a CmdArg, dests []any) error {
	if len(dests) == 1 {
		v := reflect.ValueOf(dests[0])
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("destination %T is not a non-nil pointer", dests[0])
		}
		if e := v.Elem(); e.Kind() == reflect.Slice {
			s := reflect.MakeSlice(e.Type(), len(a.Vals), len(a.Vals))
			for i, val := range a.Vals {
				if err := scanValue(val, s.Index(i)); err != nil {
					return err
				}
			}
			e.Set(s)
			return nil
		}
		if e := v.Elem(); e.Kind() == reflect.Bool && a.Vals == nil {
			e.SetBool(true)
			return nil
		}
	}
	if len(dests) != len(a.Vals) {
		return fmt.Errorf("%d values for %d destinations", len(a.Vals), len(dests))
	}
	for i, dst := range dests {
		v := reflect.ValueOf(dst)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("destination %T is not a non-nil pointer", dst)
		}
		if err := scanValue(a.Vals[i], v.Elem()); err != nil {
			return err
		}
	}
	return nil
}

// scanValue parses s into the settable value v.
func scanValue(s string, v reflect.Value) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q: want true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want an integer that fits %s", s, v.Type())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want an unsigned integer that fits %s", s, v.Type())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q: want a number", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("cannot scan into a %s", v.Type())
	}
	return nil
}
