package main

import (
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/dpsim/dpsim/results"
)

// TestHelpNamesEveryFile: run --help names every file a run can write
// (every part's), and compare --help every file of a comparison, so the
// help cannot fall behind the outputs.
func TestHelpNamesEveryFile(t *testing.T) {
	help, _, code := dpsim(t, "run", "--help")
	if code != 0 {
		t.Fatal(code)
	}
	for _, p := range run.AllParts {
		for _, f := range p.Files() {
			if !strings.Contains(help, f) {
				t.Errorf("run --help does not name %s (part %s)", f, p)
			}
		}
	}
	help, _, code = dpsim(t, "compare", "--help")
	if code != 0 {
		t.Fatal(code)
	}
	for _, f := range []string{results.CompareFile, results.CompareMDFile, results.CompareSeedsFile, results.CompareRoundsFile,
		results.CompareCDFFile, results.CompareOverheadFile, results.CompareCDFPNGFile, results.CompareRoundsPNGFile, run.RunsDir} {
		if !strings.Contains(help, f) {
			t.Errorf("compare --help does not name %s", f)
		}
	}
}

// TestCompletion: shells complete scenario files for run and compare,
// folders for --out, and the accepted words for --variant.
func TestCompletion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "run", ""}, []string{"yaml", "yml", ":8"}},
		{[]string{"__complete", "compare", "a.yaml", ""}, []string{"yaml", ":8"}},
		{[]string{"__complete", "run", "a.yaml", "--out", ""}, []string{":16"}},
		{[]string{"__complete", "flood", "--variant", ""}, []string{"A\tpure latency", "B\tserial uplink", ":4"}},
		{[]string{"__complete", "validate", "--kind", ""}, []string{"scenario\t", "topology\t", "config\t", ":4"}},
		{[]string{"__complete", "validate", ""}, []string{"json", ":8"}},
	} {
		out, _, code := dpsim(t, c.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: completion %q lacks %q", c.args, out, w)
			}
		}
	}
}
