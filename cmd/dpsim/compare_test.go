package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCompareDeterministic: a comparison gives byte-identical files
// whether its runs execute one at a time or two at once (in whatever order
// they finish), and god's view bounds every policy.
func TestCompareDeterministic(t *testing.T) {
	scenario := filepath.Join("testdata", "compare-small.yaml")
	var dirs []map[string][]byte
	for _, jobs := range []string{"1", "2"} {
		out := filepath.Join(t.TempDir(), "cmp")
		stdout, stderr, code := dpsim(t, "compare", scenario, "--out", out, "--jobs", jobs)
		if code != 0 {
			t.Fatalf("compare --jobs %s: exit %d: %s", jobs, code, stderr)
		}
		if !strings.Contains(stdout, "gods-view") || !strings.Contains(stdout, "C4R2") || !strings.Contains(stdout, "poldercast-paper-F3") {
			t.Errorf("stdout lacks the policy rows:\n%s", stdout)
		}
		dirs = append(dirs, readDir(t, out))
	}
	want := []string{"compare.csv", "compare.md", "compare-seeds.csv", "compare-rounds.csv", "compare-cdf.csv", "compare-cdf.png", "compare-rounds.png", "compare-overhead.csv"}
	for _, name := range want {
		if len(dirs[0][name]) == 0 {
			t.Fatalf("%s missing or empty", name)
		}
	}
	if len(dirs[0]) != len(want) {
		t.Errorf("%d files, want exactly %v", len(dirs[0]), want)
	}
	for name, b := range dirs[0] {
		if !bytes.Equal(b, dirs[1][name]) {
			t.Errorf("%s differs between --jobs 1 and --jobs 2", name)
		}
	}
	// compare.csv: the bound's p50/p95/p99 are below every policy's.
	lines := strings.Split(strings.TrimSpace(string(dirs[0]["compare.csv"])), "\n")
	head := strings.Split(lines[0], ",")
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("compare.csv has no column %s: %s", name, lines[0])
		return -1
	}
	rows := map[string][]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		rows[f[0]] = f
	}
	if len(rows) != 4 {
		t.Fatalf("compare.csv rows %v, want C4R2, score-40%%, poldercast-paper-F3, gods-view", lines[1:])
	}
	for _, p := range []string{"p50_ms", "p95_ms", "p99_ms"} {
		bound, _ := strconv.ParseFloat(rows["gods-view"][col(p)], 64)
		for name, r := range rows {
			v, _ := strconv.ParseFloat(r[col(p)], 64)
			if name != "gods-view" && !(bound > 0 && v >= bound) {
				t.Errorf("%s %s = %v below the god's-view bound %v", name, p, v, bound)
			}
		}
	}
	// Overhead: only the overlay gossips (peer sharing is off), and every
	// policy sends about one body per block and node.
	for _, l := range strings.Split(strings.TrimSpace(string(dirs[0]["compare-overhead.csv"])), "\n")[1:] {
		f := strings.Split(l, ",")
		bodies, _ := strconv.ParseFloat(f[3], 64)
		disc, _ := strconv.ParseFloat(f[5], 64)
		if gossips := f[0] == "poldercast-paper-F3"; gossips != (disc > 0) {
			t.Errorf("compare-overhead.csv %s: %v discovery messages per node-hour", f[0], disc)
		}
		if bodies < 100 || bodies > 250 { // 180 blocks an hour at f = 0.05
			t.Errorf("compare-overhead.csv %s: %v bodies per node-hour, want about 180", f[0], bodies)
		}
	}
}

// TestCompareBadInput: a scenario without p2p, an unknown policy and bad
// flags are input errors (exit 2) and write nothing.
func TestCompareBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	src, err := os.ReadFile(filepath.Join("testdata", "compare-small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bad, bytes.Replace(src, []byte("name: peer-score"), []byte("name: peer-scor"), 1), 0o644)
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"compare", bad, "--out", out},
		{"compare", filepath.Join("..", "..", "scenarios", "quickstart.yaml"), "--out", out},
		{"compare", filepath.Join("testdata", "compare-small.yaml"), "--out", out, "--jobs", "0"},
		{"compare", filepath.Join("testdata", "compare-small.yaml"), "--out", out, "--seeds", "1,x"},
	} {
		_, stderr, code := dpsim(t, args...)
		if code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("bad input left %s behind", out)
	}
}
