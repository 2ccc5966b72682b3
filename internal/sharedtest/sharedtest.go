// Package sharedtest finds the project's reference folder ../shared (beside
// the repository: the flood benchmark, the specs and the real data) for
// tests. Tests skip with a clear message when it is absent, as CI on a
// machine without it would; nothing from it is copied into the repository.
// It also holds small helpers several packages' tests share (Gzip, AssertOnly).
package sharedtest

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// Root returns the module root: the nearest folder above the working
// directory that holds go.mod.
func Root() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// Find returns ../shared/<parts...> beside the module root and whether it
// exists.
func Find(parts ...string) (string, bool) {
	root, ok := Root()
	if !ok {
		return "", false
	}
	p := filepath.Join(append([]string{root, "..", "shared"}, parts...)...)
	_, err := os.Stat(p)
	return p, err == nil
}

// Path returns ../shared/<parts...>, or skips t when it is absent.
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	p, ok := Find(parts...)
	if !ok {
		t.Skipf("%s not found: clone the project's shared folder beside the repository to run this test", filepath.Join(append([]string{"../shared"}, parts...)...))
	}
	return p
}

// Gzip returns data gzip-compressed, for tests of the readers that accept
// .gz files.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
