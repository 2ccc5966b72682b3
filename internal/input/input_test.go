package input

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := write("small.csv", []byte("a,b\n0,1\n"))
	exact := write("exact.csv", bytes.Repeat([]byte("x"), 100))
	big := write("big.csv", bytes.Repeat([]byte("x"), 101))
	gzOK := write("ok.csv.gz", sharedtest.Gzip(t, []byte("stake\n1\n")))
	// 1 MiB of zeros compresses to about 1 KiB: a small bomb.
	bomb := write("bomb.csv.gz", sharedtest.Gzip(t, make([]byte, 1<<20)))
	notGz := write("plain.gz", []byte("not gzip"))
	for _, c := range []struct {
		name, path string
		max        int64
		want       string // data read, when no error
		errHas     []string
		limit      bool // a *LimitError
	}{
		{name: "small", path: small, max: 100, want: "a,b\n0,1\n"},
		{name: "exactly the limit", path: exact, max: 100, want: strings.Repeat("x", 100)},
		{name: "one byte over", path: big, max: 100, errHas: []string{big, "101 bytes", "size", "at most 100 bytes"}, limit: true},
		{name: "gzip", path: gzOK, max: 100, want: "stake\n1\n"},
		{name: "gzip bomb", path: bomb, max: 64 << 10, errHas: []string{bomb, "decompressed size", "more than 65536 bytes", "65536 bytes (64 KiB)"}, limit: true},
		{name: "not gzip", path: notGz, max: 100, errHas: []string{notGz, "not a gzip file"}},
		{name: "folder", path: dir, max: 100, errHas: []string{dir, "a folder"}},
		{name: "missing", path: filepath.Join(dir, "nope.csv"), max: 100, errHas: []string{"nope.csv", "no such file"}},
		{name: "long path", path: strings.Repeat("a/", 3000), max: 100, errHas: []string{"path length", "6000 bytes", "at most 4096 bytes"}, limit: true},
		{name: "NUL", path: "a\x00b", max: 100, errHas: []string{"NUL"}},
		{name: "empty path", path: "", max: 100, errHas: []string{"empty path"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadFile(c.path, c.max)
			if c.errHas == nil {
				if err != nil || string(got) != c.want {
					t.Fatalf("got %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; read %d bytes", len(got))
			}
			for _, w := range c.errHas {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var le *LimitError
			if errors.As(err, &le) != c.limit {
				t.Errorf("error %T: LimitError %v, want %v", err, !c.limit, c.limit)
			}
		})
	}
}

// TestOpenDevice reads an endless device: the cap stops it.
func TestOpenDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero on this system")
	}
	_, err := ReadFile("/dev/zero", 1000)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != 1000 {
		t.Fatalf("err = %v; want a LimitError at 1000 bytes", err)
	}
}

// TestCapped is the cap's contract: for any data and limit, reading gives
// all the data when it fits, and otherwise at most limit bytes, then a
// LimitError; never a silent truncation.
func TestCapped(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "data")
		limit := rapid.Int64Range(1, 300).Draw(t, "limit")
		chunk := rapid.IntRange(1, 50).Draw(t, "chunk")
		c := &Capped{R: bytes.NewReader(data), Left: limit, Limit: limit, Name: "f"}
		var got []byte
		buf := make([]byte, chunk)
		var err error
		for {
			var n int
			n, err = c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		var le *LimitError
		if int64(len(data)) <= limit {
			if err != io.EOF || !bytes.Equal(got, data) {
				t.Fatalf("read %d of %d bytes, err %v; want all, EOF", len(got), len(data), err)
			}
			return
		}
		if !errors.As(err, &le) || int64(len(got)) > limit || !bytes.Equal(got, data[:len(got)]) {
			t.Fatalf("read %d bytes of %d with limit %d, err %v; want a LimitError", len(got), len(data), limit, err)
		}
	})
}

func TestFormatBytes(t *testing.T) {
	for in, want := range map[int64]string{
		100: "100 bytes", 1024: "1024 bytes (1 KiB)", 1 << 20: "1048576 bytes (1 MiB)", 3 << 30: "3221225472 bytes (3 GiB)", 1025: "1025 bytes",
	} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
}
