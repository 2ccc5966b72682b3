package datadriven

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/atomicfile"
)

// rewriteFlag is the name of the test flag that rewrites expected outputs.
const rewriteFlag = "rewrite"

func init() {
	if flag.Lookup(rewriteFlag) == nil {
		flag.Bool(rewriteFlag, false, "datadriven: rewrite the expected outputs of test files from the actual ones")
	}
}

// Rewrite reports whether the -rewrite test flag is set.
func Rewrite() bool {
	f := flag.Lookup(rewriteFlag)
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	b, _ := g.Get().(bool)
	return b
}

// reporter is the part of testing.TB that RunTest reports through; the
// package's own tests record what it reports.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Failed() bool
}

// RunTest runs the cases of the test file at path in order (see the
// package documentation for the format): f gets each case and returns its
// actual output. Every output that differs from the expected one is
// reported with the file and line of its case; with -rewrite the file is
// rewritten from the actual outputs instead. A file that does not parse
// fails the test before any case runs.
func RunTest(t *testing.T, path string, f func(t *testing.T, d *TestData) string) {
	t.Helper()
	runFile(t, t, path, f, Rewrite())
}

// runFile is RunTest reporting through r, rewriting when rewrite is set.
func runFile(t *testing.T, r reporter, path string, f func(t *testing.T, d *TestData) string, rewrite bool) {
	r.Helper()
	content, err := os.ReadFile(path)
	if err != nil {
		r.Fatalf("datadriven: %v", err)
		return
	}
	lines, cases, err := parseFile(path, string(content))
	if err != nil {
		r.Fatalf("datadriven: %v", err)
		return
	}
	actual := make([]string, len(cases))
	for i := range cases {
		d := &cases[i].data
		d.used = make([]bool, len(d.CmdArgs))
		actual[i] = normalise(f(t, d))
		for _, u := range d.unread() {
			r.Errorf("datadriven: %s was never read by the test", u)
		}
		if !rewrite && actual[i] != d.Expected {
			r.Errorf("datadriven: %s: %s\n%s\nexpected:\n%sfound:\n%s", d.Pos, d, firstDifference(d.Expected, actual[i]), d.Expected, actual[i])
		}
	}
	if !rewrite || r.Failed() || t.Failed() {
		return
	}
	text, err := rewriteText(lines, cases, actual)
	if err != nil {
		r.Fatalf("datadriven: rewrite: %v", err)
		return
	}
	if text == string(content) {
		return
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}); err != nil {
		r.Fatalf("datadriven: rewrite: %v", err)
	}
}

// firstDifference describes the first output line that differs.
func firstDifference(want, got string) string {
	w, g := splitLines(want), splitLines(got)
	for i := range max(len(w), len(g)) {
		switch {
		case i >= len(w):
			return fmt.Sprintf("output line %d: expected nothing more, found %q", i+1, g[i])
		case i >= len(g):
			return fmt.Sprintf("output line %d: expected %q, found nothing more", i+1, w[i])
		case w[i] != g[i]:
			return fmt.Sprintf("output line %d: expected %q, found %q", i+1, w[i], g[i])
		}
	}
	return "outputs differ only in their final newline"
}

// RunDir runs every file under dir in a subtest of its own (Walk), as
// RunTest does, with a test function fresh from newTest for each file, so
// that no state passes from one file to the next.
func RunDir(t *testing.T, dir string, newTest func() func(t *testing.T, d *TestData) string) {
	t.Helper()
	Walk(t, dir, func(t *testing.T, path string) { RunTest(t, path, newTest()) })
}

// Walk runs f in a subtest for every file under dir, in name order,
// recursing into folders (a subtest per folder). Subtests are named after
// the file without its extension. Files whose names start with '.' or end
// with '~' are skipped. Walk fails the test if it finds no file: a typo in
// dir must not pass silently.
func Walk(t *testing.T, dir string, f func(t *testing.T, path string)) {
	t.Helper()
	if walk(t, dir, f) == 0 {
		t.Fatalf("datadriven: no test files under %s", dir)
	}
}

func walk(t *testing.T, dir string, f func(t *testing.T, path string)) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("datadriven: %v", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(dir, name)
		if e.IsDir() {
			t.Run(name, func(t *testing.T) { n += walk(t, path, f) })
			continue
		}
		n++
		t.Run(strings.TrimSuffix(name, filepath.Ext(name)), func(t *testing.T) { f(t, path) })
	}
	return n
}
