package datadriven

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

const sample = `# A comment before the first case.
make-thing n=3 name=alpha peers=(1, 2,3) verbose
input one

# not a comment: input
----
line 1
line 2

# Between cases.
empty
----

blank-lines
----
----
a

b
----
----

last at=1.5s
----
final`

func TestParse(t *testing.T) {
	_, cases, err := parseFile("f.txt", sample)
	if err != nil {
		t.Fatal(err)
	}
	want := []TestData{
		{Pos: "f.txt:2", Cmd: "make-thing", CmdArgs: []CmdArg{
			{Key: "n", Vals: []string{"3"}}, {Key: "name", Vals: []string{"alpha"}},
			{Key: "peers", Vals: []string{"1", "2", "3"}}, {Key: "verbose"},
		}, Input: "input one\n\n# not a comment: input", Expected: "line 1\nline 2\n"},
		{Pos: "f.txt:11", Cmd: "empty", CmdArgs: []CmdArg{}, Expected: ""},
		{Pos: "f.txt:14", Cmd: "blank-lines", CmdArgs: []CmdArg{}, Expected: "a\n\nb\n"},
		{Pos: "f.txt:23", Cmd: "last", CmdArgs: []CmdArg{{Key: "at", Vals: []string{"1.5s"}}}, Expected: "final\n"},
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d: %+v", len(cases), len(want), cases)
	}
	for i, c := range cases {
		c.data.path, c.data.line = "", 0 // unexported
		if !reflect.DeepEqual(c.data, want[i]) {
			t.Errorf("case %d:\n got %#v\nwant %#v", i, c.data, want[i])
		}
	}
	if got := cases[0].data.String(); got != "make-thing n=3 name=alpha peers=(1, 2, 3) verbose" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"cmd\ninput\n", `f.txt:1: command "cmd" has no "----" line`},
		{"\n\ncmd\n----\n----\nout\n", `f.txt:3: command "cmd": output opened with a doubled "----" (line 4) is never closed`},
		{"cmd\n----\n----\nout\n----\n----\nmore\n", `f.txt:7: after the doubled "----" that closes the output of line 1`},
		{"cmd a=(1,2\n----\n", `f.txt:1: argument "a=(1,2": unclosed '('`},
		{"cmd a=(1)b\n----\n", `f.txt:1: argument "a=(1)b": want a space after ')'`},
		{"cmd a b a=1\n----\n", `f.txt:1: argument "a" given twice`},
		{"cmd =1\n----\n", `f.txt:1: argument "=1"`},
		{"x=1 cmd\n----\n", `f.txt:1: command "x=1"`},
		{"cmd a=1)\n----\n", `f.txt:1: argument "a=1)": parentheses only around a whole list`},
	} {
		_, _, err := parseFile("f.txt", tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse %q: error %v, want it to contain %q", tc.text, err, tc.want)
		}
	}
}

// outputsOf returns the expected outputs of cases.
func outputsOf(cases []testCase) []string {
	var out []string
	for _, c := range cases {
		out = append(out, c.data.Expected)
	}
	return out
}

func TestRewriteKeepsFile(t *testing.T) {
	lines, cases, err := parseFile("f.txt", sample)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rewriteText(lines, cases, outputsOf(cases))
	if err != nil {
		t.Fatal(err)
	}
	if got != sample+"\n" {
		t.Errorf("rewriting with the expected outputs changed the file:\n%s", got)
	}
}

func TestRewriteRoundTrip(t *testing.T) {
	lines, cases, err := parseFile("f.txt", sample)
	if err != nil {
		t.Fatal(err)
	}
	// Every case changes form: multi-line to empty, empty to blank lines,
	// blank lines to single, single to multi-line without final newline.
	actual := []string{"", "x\n\n  \ny", "one line", "a\n----\nb"}
	text, err := rewriteText(lines, cases, actual)
	if err != nil {
		t.Fatal(err)
	}
	want := `# A comment before the first case.
make-thing n=3 name=alpha peers=(1, 2,3) verbose
input one

# not a comment: input
----

# Between cases.
empty
----
----
x

  
y
----
----

blank-lines
----
one line

last at=1.5s
----
a
----
b
`
	if text != want {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", text, want)
	}
	_, again, err := parseFile("f.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(cases) {
		t.Fatalf("%d cases after the rewrite, want %d", len(again), len(cases))
	}
	for i, c := range again {
		if c.data.Expected != normalise(actual[i]) || c.data.Cmd != cases[i].data.Cmd || c.data.Input != cases[i].data.Input {
			t.Errorf("case %d after the rewrite: %+v, want output %q", i, c.data, actual[i])
		}
	}
}

// TestRewriteRoundTripRapid: any representable outputs survive a rewrite
// and a parse, and a second rewrite changes nothing.
func TestRewriteRoundTripRapid(t *testing.T) {
	lineGen := rapid.SampledFrom([]string{"", " ", "\t", "----", "#c", "a", "b c", "-----", "x=1"})
	rapid.Check(t, func(t *rapid.T) {
		lines, cases, err := parseFile("f.txt", sample)
		if err != nil {
			t.Fatal(err)
		}
		actual := make([]string, len(cases))
		for i := range actual {
			ls := rapid.SliceOfN(lineGen, 0, 6).Draw(t, fmt.Sprint("output", i))
			actual[i] = joinOutput(ls)
			if _, err := formatOutput(actual[i]); err != nil {
				t.Skip("not representable:", err)
			}
		}
		text, err := rewriteText(lines, cases, actual)
		if err != nil {
			t.Fatal(err)
		}
		lines2, again, err := parseFile("f.txt", text)
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, text)
		}
		if got := outputsOf(again); !reflect.DeepEqual(got, actual) {
			t.Fatalf("outputs after a round trip %q, want %q\n%s", got, actual, text)
		}
		text2, err := rewriteText(lines2, again, actual)
		if err != nil || text2 != text {
			t.Fatalf("second rewrite changed the file (%v):\n%s\nthen\n%s", err, text, text2)
		}
	})
}

func TestFormatOutputErrors(t *testing.T) {
	for _, out := range []string{"----\n", "a\n----\n", "a\n----\n----\nb\n"} {
		if _, err := formatOutput(out); err == nil {
			t.Errorf("formatOutput(%q) succeeded; no separator can enclose it", out)
		}
	}
	for _, out := range []string{"a\n----\nb\n", "-----\n", "a\n\n----\nb\n"} {
		if _, err := formatOutput(out); err != nil {
			t.Errorf("formatOutput(%q): %v", out, err)
		}
	}
}

// recorder is a reporter that keeps what it is told.
type recorder struct {
	errors, fatals []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}
func (r *recorder) Failed() bool { return len(r.errors)+len(r.fatals) > 0 }

// echo is a test function: the output is the command line, then the input.
func echo(t *testing.T, d *TestData) string {
	for _, a := range d.CmdArgs {
		d.Arg(a.Key)
	}
	return d.String() + "\n" + d.Input
}

func writeTemp(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "case.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunFileReportsMismatch(t *testing.T) {
	path := writeTemp(t, "# c\na x=1\n----\na x=1\n\nb\nin\n----\nwrong\n")
	var r recorder
	runFile(t, &r, path, echo, false)
	if len(r.fatals) != 0 || len(r.errors) != 1 {
		t.Fatalf("fatals %q errors %q, want one error", r.fatals, r.errors)
	}
	for _, want := range []string{path + ":6: b", `output line 1: expected "wrong", found "b"`, "found:\nb\nin\n"} {
		if !strings.Contains(r.errors[0], want) {
			t.Errorf("error %q does not contain %q", r.errors[0], want)
		}
	}
}

func TestRunFileUnreadArgument(t *testing.T) {
	path := writeTemp(t, "cmd used=1 typo=2\n----\n\n")
	var r recorder
	runFile(t, &r, path, func(t *testing.T, d *TestData) string {
		var n int
		d.ScanArgs(t, "used", &n)
		return ""
	}, false)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], path+":1: cmd: argument typo=2 was never read") {
		t.Fatalf("errors %q, want one about typo", r.errors)
	}
}

func TestInputCommands(t *testing.T) {
	path := writeTemp(t, "# c\nconfig a=1\nsub x=1 y=(2, 3)\n\n# comment\nother z\n----\n")
	var r recorder
	var got []string
	runFile(t, &r, path, func(t *testing.T, d *TestData) string {
		d.HasArg("a")
		for _, c := range d.InputCommands(t) {
			got = append(got, c.Pos+" "+c.String())
			c.HasArg("x")
			c.HasArg("y")
		}
		return ""
	}, false)
	want := []string{path + ":3 sub x=1 y=(2, 3)", path + ":6 other z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("input commands %q, want %q", got, want)
	}
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], path+":6: other: argument z was never read") {
		t.Errorf("errors %q, want one about z", r.errors)
	}
	_, cases, err := parseFile(path, "cmd\nx=1\n----\n")
	if err != nil {
		t.Fatal(err)
	}
	ft := &fatalRecorder{}
	func() {
		defer func() { recover() }()
		cases[0].data.InputCommands(ft)
	}()
	if len(ft.fatals) != 1 || !strings.Contains(ft.fatals[0], path+":2: command \"x=1\"") {
		t.Errorf("fatals %q, want one naming line 2", ft.fatals)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records and stops the caller.
type fatalRecorder struct {
	testing.TB
	fatals []string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
	panic("fatal")
}

func TestRunFileRewrite(t *testing.T) {
	orig := "# keep me\nfirst k=(1, 2)\n----\nstale\n\n\n# and me\nsecond\nline\n----\n----\nold\n\nold\n----\n----\n"
	path := writeTemp(t, orig)
	var r recorder
	runFile(t, &r, path, echo, true)
	if r.Failed() {
		t.Fatalf("rewrite reported %q %q", r.errors, r.fatals)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# keep me\nfirst k=(1, 2)\n----\nfirst k=(1, 2)\n\n\n# and me\nsecond\nline\n----\nsecond\nline\n"
	if string(got) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	runFile(t, &r, path, echo, false)
	if r.Failed() {
		t.Fatalf("the rewritten file fails: %q %q", r.errors, r.fatals)
	}
}

func TestRunFileNoRewriteAfterFailure(t *testing.T) {
	orig := "cmd\n----\nold\n"
	path := writeTemp(t, orig)
	r := recorder{errors: []string{"an earlier failure"}}
	runFile(t, &r, path, echo, true)
	if got, _ := os.ReadFile(path); string(got) != orig {
		t.Fatalf("a failed test rewrote its file:\n%s", got)
	}
}

func TestRunFileParseError(t *testing.T) {
	path := writeTemp(t, "ok\n----\n\nbroken\n")
	var r recorder
	ran := false
	runFile(t, &r, path, func(*testing.T, *TestData) string { ran = true; return "" }, false)
	if ran || len(r.fatals) != 1 || !strings.Contains(r.fatals[0], path+":4: command \"broken\"") {
		t.Fatalf("ran %v, fatals %q", ran, r.fatals)
	}
}

type peerID int32

func TestScanArgs(t *testing.T) {
	_, cases, err := parseFile("f.txt", "cmd s=hi n=-3 u=7 p=12 d=1m30s f=0.25 b=false flag list=(1, 2, 3) pair=(4, 5s) none=()\n----\n")
	if err != nil {
		t.Fatal(err)
	}
	d := &cases[0].data
	d.used = make([]bool, len(d.CmdArgs))
	var (
		s       string
		n       int
		u       uint64
		p       peerID
		dur     time.Duration
		f       float64
		b, flag bool
		list    []peerID
		first   int
		second  time.Duration
		none    []string
	)
	d.ScanArgs(t, "s", &s)
	d.ScanArgs(t, "n", &n)
	d.ScanArgs(t, "u", &u)
	d.ScanArgs(t, "p", &p)
	d.ScanArgs(t, "d", &dur)
	d.ScanArgs(t, "f", &f)
	d.ScanArgs(t, "b", &b)
	d.ScanArgs(t, "flag", &flag)
	d.ScanArgs(t, "list", &list)
	d.ScanArgs(t, "pair", &first, &second)
	d.ScanArgs(t, "none", &none)
	if s != "hi" || n != -3 || u != 7 || p != 12 || dur != 90*time.Second || f != 0.25 || b || !flag ||
		!reflect.DeepEqual(list, []peerID{1, 2, 3}) || first != 4 || second != 5*time.Second || len(none) != 0 {
		t.Errorf("scanned %q %d %d %d %v %v %v %v %v %d %v %q", s, n, u, p, dur, f, b, flag, list, first, second, none)
	}
	if d.MaybeScanArgs(t, "absent", &n) {
		t.Error("MaybeScanArgs found an absent argument")
	}
	for i, used := range d.used {
		if !used {
			t.Errorf("argument %s not marked read", d.CmdArgs[i])
		}
	}
}

func TestScanArgErrors(t *testing.T) {
	var n int8
	var d time.Duration
	var m map[string]int
	for _, tc := range []struct {
		a     CmdArg
		dests []any
		want  string
	}{
		{CmdArg{"n", []string{"300"}}, []any{&n}, "fits int8"},
		{CmdArg{"n", []string{"x"}}, []any{&d}, "invalid duration"},
		{CmdArg{"n", []string{"1", "2"}}, []any{&n}, "2 values for 1 destinations"},
		{CmdArg{"n", []string{"1"}}, []any{n}, "not a non-nil pointer"},
		{CmdArg{"n", []string{"1"}}, []any{&m}, "cannot scan into a map"},
	} {
		if err := scanArg(tc.a, tc.dests); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("scanArg(%v): %v, want %q", tc.a, err, tc.want)
		}
	}
}

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.txt", "a.txt", "sub/c.txt", ".hidden", "d.txt~"} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	Walk(t, dir, func(t *testing.T, path string) {
		rel, _ := filepath.Rel(dir, path)
		seen = append(seen, rel+" as "+t.Name())
	})
	want := []string{"a.txt as TestWalk/a", "b.txt as TestWalk/b", "sub/c.txt as TestWalk/sub/c"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("walked %q, want %q", seen, want)
	}
}

func TestRunDir(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.txt", "b.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("count\n----\n1\n\ncount\n----\n2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := 0
	RunDir(t, dir, func() func(*testing.T, *TestData) string {
		files++
		n := 0 // fresh per file: each file counts from 1
		return func(*testing.T, *TestData) string {
			n++
			return fmt.Sprint(n)
		}
	})
	if files != 2 {
		t.Errorf("%d test functions made, want one per file", files)
	}
}

func TestRewriteFlagRegistered(t *testing.T) {
	if Rewrite() {
		t.Skip("-rewrite is set")
	}
	f := flag.Lookup(rewriteFlag)
	if f == nil || f.DefValue != "false" {
		t.Fatalf("flag -%s: %+v", rewriteFlag, f)
	}
}
