package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

// dpsim runs the command line in-process and returns stdout, stderr and
// the exit code: every command writes through the root's writers.
func dpsim(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	root := newRootCmd()
	var out, errs bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errs)
	code := runCmd(root, args)
	return out.String(), errs.String(), code
}

func sharedDir(t *testing.T, parts ...string) string {
	return sharedtest.Path(t, parts...)
}

func TestFloodExample(t *testing.T) {
	dir := sharedDir(t, "benchmarks", "flood", "example-n200")
	for _, v := range []string{"A", "B"} {
		out := filepath.Join(t.TempDir(), v+".csv")
		stdout, stderr, code := dpsim(t, "flood", "--case", dir, "--variant", v, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		got, _ := os.ReadFile(out)
		want, _ := os.ReadFile(filepath.Join(dir, "expected_"+v+".csv"))
		if !bytes.Equal(got, want) {
			t.Errorf("variant %s: arrival file differs from expected_%s.csv", v, v)
		}
		for _, field := range []string{"RESULT impl=dpsim variant=" + v, "N=200", "edges=1566", "blocks=10", "events=", "wall_s=", "p99_ms="} {
			if !strings.Contains(stdout, field) {
				t.Errorf("RESULT line %q lacks %q", stdout, field)
			}
		}
	}
}

func TestExitCodes(t *testing.T) {
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "case.txt"), []byte("nodes=3\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "edges.csv"), []byte("a,b,latency_ms\n0,1,-2\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "blocks.csv"), []byte("block,source\n0,0\n"), 0o644)
	out := filepath.Join(t.TempDir(), "out.csv")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"no-such-command"}, 2, "unknown command"},
		{[]string{"flood", "--variant", "A", "--out", out}, 2, "case"},
		{[]string{"flood", "--case", bad, "--variant", "C", "--out", out}, 2, "accepted A or B"},
		{[]string{"flood", "--case", bad, "--out", out, "--processing", "0s"}, 2, "processing"},
		{[]string{"flood", "--case", bad, "--out", out, "--bogus"}, 2, "unknown flag"},
		{[]string{"flood", "--case", bad, "--out", out}, 2, `edges.csv:2: field latency_ms: value "-2"`},
	}
	for _, c := range cases {
		_, stderr, code := dpsim(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("dpsim %v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}

func TestFloodGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "case")
	stdout, stderr, code := dpsim(t, "flood", "generate", "--nodes", "120", "--k", "5", "--blocks", "3", "--seed", "9", "--out", dir)
	if code != 0 || !strings.Contains(stdout, "nodes=120") {
		t.Fatalf("exit %d, %s %s", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "a.csv")
	if _, stderr, code := dpsim(t, "flood", "--case", dir, "--variant", "A", "--out", out); code != 0 {
		t.Fatalf("flood on a generated case: exit %d: %s", code, stderr)
	}
	if _, _, code := dpsim(t, "flood", "generate", "--nodes", "5", "--k", "9", "--out", dir); code != 2 {
		t.Errorf("k > nodes-1: exit %d, want 2", code)
	}
}
