package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tempLeftovers lists atomicfile.Write's temporary files under dir.
func tempLeftovers(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			left = append(left, path)
		}
		return nil
	})
	return left
}

// quickstartWith writes the quickstart scenario with old replaced by new
// into dir and returns its path.
func quickstartWith(t *testing.T, dir, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(old)) {
		t.Fatalf("quickstart.yaml no longer contains %q", old)
	}
	p := filepath.Join(dir, "q.yaml")
	if err := os.WriteFile(p, bytes.Replace(src, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNoHalfWrittenOutput: a scenario that passes validation but fails
// while being built (its stake file is bad) is an input error that creates
// no output folder and leaves an existing one exactly as it was; a failure
// while writing results leaves no partial or temporary file.
func TestNoHalfWrittenOutput(t *testing.T) {
	dir := t.TempDir()
	stake := filepath.Join(dir, "stake.csv")
	os.WriteFile(stake, []byte("pool,stake\np1,10\np2,-1\n"), 0o644)
	bad := quickstartWith(t, dir, "distribution: pareto\n    pareto_alpha: 1.16", "distribution: file\n    file: stake.csv")

	fresh := filepath.Join(dir, "fresh")
	_, stderr, code := dpsim(t, "run", bad, "--out", fresh)
	if code != 2 || !strings.Contains(stderr, "stake.csv:3") || !strings.Contains(stderr, "nodes.stake.file") {
		t.Fatalf("exit %d, stderr %q; want 2 and the stake file's line 3 and field", code, stderr)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a build failure created %s", fresh)
	}

	// An earlier run's folder is left byte for byte as it was.
	prev := filepath.Join(dir, "prev")
	if _, stderr, code := dpsim(t, "run", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), "--out", prev); code != 0 {
		t.Fatal(stderr)
	}
	before := readDir(t, prev)
	if _, _, code := dpsim(t, "run", bad, "--out", prev); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	after := readDir(t, prev)
	if len(after) != len(before) {
		t.Errorf("%d files after the failed run, %d before", len(after), len(before))
	}
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("%s changed by a run that failed to build", name)
		}
	}

	// Outputs that cannot be put in place (summary.json is taken by a
	// folder) fail the run before any is moved: no file of the failed run
	// mixed with the folder's own, no temporary file, no staging folder.
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(filepath.Join(blocked, "summary.json", "x"), 0o755)
	_, stderr, code = dpsim(t, "run", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), "--out", blocked)
	if code == 0 || !strings.Contains(stderr, "summary.json") {
		t.Fatalf("exit %d, stderr %q; want a failure naming summary.json", code, stderr)
	}
	if got, _ := os.ReadDir(blocked); len(got) != 1 || got[0].Name() != "summary.json" {
		t.Errorf("the folder of a failed run holds %v; want only its summary.json folder", got)
	}
	if left := tempLeftovers(t, dir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*partial*")); len(m) > 0 {
		t.Errorf("staging folders left behind: %v", m)
	}
}

// TestStaleOutputsRemoved: a run into the folder of an earlier run
// replaces its files and removes those this run does not write (here
// arrivals.csv), so the folder never mixes two runs; files that are not
// dpsim's stay.
func TestStaleOutputsRemoved(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	q := filepath.Join("..", "..", "scenarios", "quickstart.yaml")
	if _, stderr, code := dpsim(t, "run", q, "--out", out, "--arrivals"); code != 0 {
		t.Fatal(stderr)
	}
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	if _, stderr, code := dpsim(t, "run", q, "--out", out, "--seed", "2"); code != 0 {
		t.Fatal(stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "arrivals.csv")); !os.IsNotExist(err) {
		t.Errorf("the earlier run's arrivals.csv is still there: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(out, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("a file dpsim does not own was touched: %v %q", err, b)
	}
	meta, _ := os.ReadFile(filepath.Join(out, "meta.json"))
	if !bytes.Contains(meta, []byte(`"seed": 2`)) {
		t.Errorf("meta.json is not the second run's: %s", meta)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*partial*")); len(m) > 0 {
		t.Errorf("staging folders left behind: %v", m)
	}
}

// TestFlagLimits: out-of-range flags are input errors that name the flag
// and what is accepted, before anything runs.
func TestFlagLimits(t *testing.T) {
	small := filepath.Join("testdata", "compare-small.yaml")
	out := filepath.Join(t.TempDir(), "out")
	seeds := make([]string, 101)
	for i := range seeds {
		seeds[i] = strconv.Itoa(i)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", small, "--out", out, "--jobs", "0"}, "--jobs 0: accepted 1 … 1024"},
		{[]string{"compare", small, "--out", out, "--jobs", "100000"}, "--jobs 100000: accepted 1 … 1024"},
		{[]string{"compare", small, "--out", out, "--seeds", strings.Join(seeds, ",")}, "--seeds: 101 seeds: accepted at most 100"},
		{[]string{"compare", small, "--out", out, "--seeds", "1,1"}, `--seeds "1": accepted distinct integers`},
		{[]string{"compare", small, "--out", out, "--seeds", "-1"}, `--seeds "-1"`},
		{[]string{"run", small, "--out", out, "--seed", "x"}, "invalid argument"},
		{[]string{"flood", "--case", t.TempDir(), "--out", out, "--processing", "1.5us"}, "processing"},
	} {
		_, stderr, code := dpsim(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("dpsim %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("bad flags left %s behind", out)
	}
}
