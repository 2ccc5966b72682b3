package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := Write(path, func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	sharedtest.AssertOnly(t, dir, "out.txt")
}

func TestWriteFailure(t *testing.T) {
	boom := errors.New("boom")
	failing := func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	}
	tests := []struct {
		name string
		old  string // content before the failed write; "" = no file
	}{
		{"no previous file", ""},
		{"previous file kept", "old content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.csv")
			if tt.old != "" {
				if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := Write(path, failing)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			b, rerr := os.ReadFile(path)
			if tt.old == "" {
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Errorf("target exists after a failed write: %q", b)
				}
				sharedtest.AssertOnly(t, dir)
			} else {
				if string(b) != tt.old {
					t.Errorf("target = %q, want the old %q", b, tt.old)
				}
				sharedtest.AssertOnly(t, dir, "out.csv")
			}
		})
	}
}

func TestWriteMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "out.txt")
	err := Write(path, func(io.Writer) error { return nil })
	if err == nil {
		t.Fatal("want an error for a missing folder")
	}
}
