package results

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err }); err != nil {
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
	assertOnly(t, dir, "out.txt")
}

func TestWriteFileAtomicFailure(t *testing.T) {
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
			err := WriteFileAtomic(path, failing)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want boom", err)
			}
			b, rerr := os.ReadFile(path)
			if tt.old == "" {
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Errorf("target exists after a failed write: %q", b)
				}
				assertOnly(t, dir)
			} else {
				if string(b) != tt.old {
					t.Errorf("target = %q, want the old %q", b, tt.old)
				}
				assertOnly(t, dir, "out.csv")
			}
		})
	}
}

func TestWriteFileAtomicMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "out.txt")
	err := WriteFileAtomic(path, func(io.Writer) error { return nil })
	if err == nil {
		t.Fatal("want an error for a missing folder")
	}
}

// assertOnly fails unless dir holds exactly the named entries (no leftover
// temporary files).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if len(got) != len(names) {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
	for i := range got {
		if got[i] != names[i] {
			t.Fatalf("%s holds %v, want %v", dir, got, names)
		}
	}
}
