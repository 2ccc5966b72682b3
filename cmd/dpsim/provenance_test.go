package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
)

// TestMetaRecordsCommandLine: meta.json records the command line that
// made the run (and, with compare --runs, each run's), next to the
// scenario's sha256, so a result can be traced to how it was made.
func TestMetaRecordsCommandLine(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join("..", "..", "scenarios", "quickstart.yaml")
	out := filepath.Join(dir, "q")
	args := []string{"run", q, "--out", out, "--seed", "4"}
	if _, stderr, code := dpsim(t, args...); code != 0 {
		t.Fatal(stderr)
	}
	var meta struct {
		Command []string `json:"command"`
		SHA     string   `json:"scenario_sha256"`
		Version string   `json:"dpsim_version"`
	}
	b, _ := os.ReadFile(filepath.Join(out, results.MetaFile))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if want := append([]string{"dpsim"}, args...); !slices.Equal(meta.Command, want) {
		t.Errorf("meta.json command %q, want %q", meta.Command, want)
	}
	s, err := scenarios.Load(q)
	if err != nil {
		t.Fatal(err)
	}
	if meta.SHA != s.Hash || meta.Version == "" {
		t.Errorf("meta.json sha256 %q version %q, want %q and a version", meta.SHA, meta.Version, s.Hash)
	}
	v, _, code := dpsim(t, "version")
	if code != 0 || !strings.Contains(v, "revision") || !strings.Contains(v, meta.Version) {
		t.Errorf("dpsim version = %q, want the version %q and a revision", v, meta.Version)
	}
}

// TestConsoleRoundsWords: the console table says what compare.md says,
// never for a series that ends outside its band and – for too few
// windows, and a number when it converged.
func TestConsoleRoundsWords(t *testing.T) {
	var buf bytes.Buffer
	s := &scenarios.Scenario{Name: "x"}
	cmp := &results.Comparison{Policies: []results.PolicyResult{
		{Policy: "a", Converge: results.Convergence{Status: results.Converged, Round: 3}},
		{Policy: "b", Converge: results.Convergence{Status: results.NeverConverged}},
		{Policy: "c", Converge: results.Convergence{Status: results.TooFewRounds}},
	}}
	printComparison(&buf, s, cmp, 1, "out")
	lines := strings.Split(buf.String(), "\n")
	for i, want := range []string{" 3", " never", " –"} {
		if l := lines[2+i]; !strings.HasSuffix(l, want) {
			t.Errorf("row %d %q does not end with %q", i, l, want)
		}
	}
}
