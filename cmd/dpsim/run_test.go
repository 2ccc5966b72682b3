package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// readDir returns every file of dir by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// TestRunDeterministic is the product's one rule: the quickstart scenario
// run twice in one process, under GOMAXPROCS 1 and 2, gives byte-identical
// files, plots included.
func TestRunDeterministic(t *testing.T) {
	// The same command line each time (meta.json records it): the same
	// scenario path and a relative --out, in a fresh folder per run.
	scenario, err := filepath.Abs(filepath.Join("..", "..", "scenarios", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []map[string][]byte
	for _, procs := range []int{1, 2, 2} {
		prev := runtime.GOMAXPROCS(procs)
		t.Chdir(t.TempDir())
		out := "q"
		_, stderr, code := dpsim(t, "run", scenario, "--out", out, "--arrivals")
		runtime.GOMAXPROCS(prev)
		if code != 0 {
			t.Fatalf("run failed (exit %d): %s", code, stderr)
		}
		runs = append(runs, readDir(t, out))
	}
	want := []string{"blocks.csv", "summary.json", "meta.json", "cdf.csv", "cdf.png", "cdf.svg", "arrivals.csv", "rounds.csv", "rounds.png", "stake.csv"}
	for _, name := range want {
		if len(runs[0][name]) == 0 {
			t.Fatalf("%s missing or empty", name)
		}
	}
	if len(runs[0]) != len(want) {
		t.Errorf("output files %d, want exactly %v", len(runs[0]), want)
	}
	for i := 1; i < len(runs); i++ {
		for name, b := range runs[0] {
			if !bytes.Equal(b, runs[i][name]) {
				t.Errorf("%s differs between run 1 and run %d", name, i+1)
			}
		}
	}
	// Another seed must change the results, or the test above proves nothing.
	out := filepath.Join(t.TempDir(), "q2")
	if _, stderr, code := dpsim(t, "run", scenario, "--out", out, "--seed", "99"); code != 0 {
		t.Fatal(stderr)
	}
	if bytes.Equal(readDir(t, out)["blocks.csv"], runs[0]["blocks.csv"]) {
		t.Error("--seed 99 gave the same blocks.csv as the scenario's seed")
	}
}

func TestRunBadScenario(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nname: bad\nnodes:\n  count: 1\n  colour: red\n"), 0o644)
	out := filepath.Join(dir, "out")
	_, stderr, code := dpsim(t, "run", bad, "--out", out)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
	}
	for _, want := range []string{"bad.yaml:4", "nodes.count", "bad.yaml:5", "colour"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a rejected scenario created the output folder")
	}
	if _, stderr, code := dpsim(t, "validate", bad); code != 2 || !strings.Contains(stderr, "colour") {
		t.Errorf("validate: exit %d, stderr %q", code, stderr)
	}
}

func TestValidateShippedScenarios(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	if len(files) < 2 {
		t.Fatalf("shipped scenarios: %v", files)
	}
	stdout, stderr, code := dpsim(t, append([]string{"validate"}, files...)...)
	if code != 0 || strings.Count(stdout, ": ok") != len(files) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestPlotRedraws(t *testing.T) {
	out := filepath.Join(t.TempDir(), "q")
	if _, stderr, code := dpsim(t, "run", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), "--out", out); code != 0 {
		t.Fatal(stderr)
	}
	before := readDir(t, out)
	images := []string{"cdf.png", "cdf.svg", "rounds.png"}
	for _, f := range images {
		os.Remove(filepath.Join(out, f))
	}
	if _, stderr, code := dpsim(t, "plot", out); code != 0 {
		t.Fatal(stderr)
	}
	after := readDir(t, out)
	for _, f := range images {
		if len(before[f]) == 0 || !bytes.Equal(before[f], after[f]) {
			t.Errorf("dpsim plot drew a different %s than the run", f)
		}
	}
	if _, _, code := dpsim(t, "plot", t.TempDir()); code != 2 {
		t.Errorf("plot of an empty folder: exit %d, want 2", code)
	}
}

// TestRunBenchmarkCluster runs the shipped 52-node cluster scenario on the
// real data: stake.csv has one row per share of stake, every block of the
// run counted, and the summary names it.
func TestRunBenchmarkCluster(t *testing.T) {
	sharedDir(t, "data", "benchmark-cluster-52")
	out := filepath.Join(t.TempDir(), "bc")
	stdout, stderr, code := dpsim(t, "run", filepath.Join("..", "..", "scenarios", "benchmark-cluster-52.yaml"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "benchmark-cluster-52: 52 nodes") || !strings.Contains(stdout, "adoption by share of stake, p50 over blocks: 50 % ") {
		t.Errorf("stdout %q", stdout)
	}
	rows := strings.Split(strings.TrimSpace(string(readDir(t, out)["stake.csv"])), "\n")
	if len(rows) != 6 || rows[0] != "stake_pct,blocks,reached,p50_ms,p95_ms,p99_ms,max_ms,mean_ms" {
		t.Fatalf("stake.csv:\n%s", strings.Join(rows, "\n"))
	}
	for i, p := range []string{"50,", "80,", "90,", "95,", "100,"} {
		if !strings.HasPrefix(rows[i+1], p) {
			t.Errorf("row %d = %q, want it to start %q", i+1, rows[i+1], p)
		}
	}
}

// TestRunClusterWithoutData: a copy of the cluster scenario whose data
// folder does not exist fails with exit 2, naming the field, the line and
// the missing folder, and writes nothing.
func TestRunClusterWithoutData(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "benchmark-cluster-52.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Two levels down in the temp dir, so that the scenario's
	// ../../shared/data resolves inside it, whatever folders exist above
	// the temp dir (a shared folder beside it, as CI may have).
	dir := t.TempDir()
	scen := filepath.Join(dir, "repo", "scenarios")
	if err := os.MkdirAll(scen, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(scen, "bc.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	_, stderr, code := dpsim(t, "run", path, "--out", out)
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
	for _, want := range []string{"bc.yaml:", "operators.folder", filepath.Join("shared", "data", "benchmark-cluster-52", "node-configs"), "no such file or directory"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed build created the output folder")
	}
}
