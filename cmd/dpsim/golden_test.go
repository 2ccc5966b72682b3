package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "pin testdata/golden/digests.txt again from this build's outputs")

// goldenDigests is where TestGoldenDigests pins its digests, in
// sha256sum's format (digest, two spaces, path under the case's folder).
const goldenDigests = "testdata/golden/digests.txt"

// TestGoldenDigests pins the sha256 of every output of five whole runs:
// quickstart (with arrivals.csv), faults, production cut to one hour,
// compare-small with every run's own files, and the quick sweep (its runs
// and its merge). A change that moves any output
// fails here until it is pinned again on purpose:
//
//	go test ./cmd/dpsim -run TestGoldenDigests -rewrite
//
// and the commit says why the outputs moved. Runs are byte-identical per
// GOARCH (floating point may fuse differently elsewhere), and the digests
// were taken on amd64, as are CI's.
func TestGoldenDigests(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("digests are pinned for amd64; this is %s", runtime.GOARCH)
	}
	// The runs read copies of the scenarios and write into the temp dir,
	// all named relative to it, so that the command lines meta.json
	// records are the same on every machine.
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := filepath.Abs(goldenDigests)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	prod := shortened(t, filepath.Join(repo, "scenarios", "production.yaml"), "duration: 6h", "duration: 1h")
	for _, src := range []string{filepath.Join(repo, "scenarios", "quickstart.yaml"), filepath.Join(repo, "scenarios", "faults.yaml"), filepath.Join("testdata", "compare-small.yaml"), prod, filepath.Join(repo, "scenarios", "sweep-quick.yaml"), filepath.Join(repo, "scenarios", "syncing.yaml")} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(src)
		if src == prod {
			name = "production-1h.yaml"
		}
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	cases := []struct {
		name string
		args []string
	}{
		{"quickstart", []string{"run", "quickstart.yaml", "--arrivals"}},
		{"faults", []string{"run", "faults.yaml"}},
		{"production-1h", []string{"run", "production-1h.yaml"}},
		{"compare-small", []string{"compare", "compare-small.yaml", "--runs", "--jobs", "2"}},
		{"sweep-quick", []string{"sweep", "sweep-quick.yaml", "--jobs", "2"}},
		{"syncing", []string{"run", "syncing.yaml"}},
	}
	var got []string
	for _, c := range cases {
		out := c.name
		if _, stderr, code := dpsim(t, append(c.args, "--out", out)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, stderr)
		}
		got = append(got, digestTree(t, ".", out)...)
	}
	slices.SortFunc(got, func(a, b string) int { return strings.Compare(a[64:], b[64:]) }) // by path
	text := "# sha256 of every output of TestGoldenDigests' runs (cmd/dpsim/golden_test.go);\n" +
		"# pinned again with: go test ./cmd/dpsim -run TestGoldenDigests -rewrite\n" +
		strings.Join(got, "\n") + "\n"
	if *rewrite {
		if err := os.WriteFile(pinned, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("pinned %d digests in %s", len(got), goldenDigests)
		return
	}
	pinnedText, err := os.ReadFile(pinned)
	if err != nil {
		t.Fatalf("%v: pin the digests with -rewrite", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(pinnedText), "\n") {
		if d, path, ok := strings.Cut(line, "  "); ok && !strings.HasPrefix(line, "#") {
			want[path] = d
		}
	}
	have := map[string]string{}
	for _, line := range got {
		d, path, _ := strings.Cut(line, "  ")
		have[path] = d
	}
	var moved []string
	for path, d := range have {
		switch w, ok := want[path]; {
		case !ok:
			moved = append(moved, path+": new output, not pinned")
		case w != d:
			moved = append(moved, path+": changed")
		}
	}
	for path := range want {
		if _, ok := have[path]; !ok {
			moved = append(moved, path+": pinned but no longer written")
		}
	}
	if len(moved) > 0 {
		slices.Sort(moved)
		t.Errorf("%d of %d outputs moved from %s:\n  %s\nIf the change is meant, pin them again: go test ./cmd/dpsim -run TestGoldenDigests -rewrite",
			len(moved), len(have), goldenDigests, strings.Join(moved, "\n  "))
	}
}

// shortened copies a scenario into the test's temp dir with one line
// replaced (which must be there).
func shortened(t *testing.T, path, old, repl string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(old+"\n")) != 1 {
		t.Fatalf("%s: want exactly one line %q to replace", path, old)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, bytes.Replace(b, []byte(old+"\n"), []byte(repl+"\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// digestTree returns "sha256  path" for every file under dir, paths
// relative to root with forward slashes.
func digestTree(t *testing.T, root, dir string) []string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%x  %s", sha256.Sum256(b), filepath.ToSlash(rel)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s: no outputs", dir)
	}
	return lines
}
