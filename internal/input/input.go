// Package input opens the files dpsim reads (scenario references, latency
// matrices, edge lists, stake CSVs, flood cases, a run's own CSVs) with the
// limits every reader shares, so that no input can exhaust the machine or
// hang a reader: a path longer than MaxPathBytes is refused, a regular file
// larger than the reader's byte limit is refused unread, and reading more
// than the limit from anything else (a FIFO, a device, a gzip stream that
// inflates far beyond its size) stops with an error instead of going on.
//
// Every refusal is a *LimitError naming the file, the value found and the
// limit. The package reads no clock and starts no goroutine.
package input

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// MaxPathBytes bounds a path named in an input (PATH_MAX on Linux): a longer
// one is refused before the file system is asked.
const MaxPathBytes = 4096

// LimitError is an input refused for a limit.
type LimitError struct {
	File  string // the path, clipped to 200 bytes
	What  string // "path", "size" or "decompressed size"
	Value string // what was found, e.g. "5000 bytes" or "more than 1048576 bytes"
	Limit int64  // the largest accepted value, in bytes
}

// Error reads "FILE: VALUE: WHAT over the limit; accepted: at most LIMIT".
func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: %s: %s over the limit; accepted: at most %s", e.File, e.Value, e.What, FormatBytes(e.Limit))
}

// FormatBytes writes n as a byte count with a binary unit when exact,
// e.g. "1048576 bytes (1 MiB)".
func FormatBytes(n int64) string {
	s := strconv.FormatInt(n, 10) + " bytes"
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return s + " (" + strconv.FormatInt(n>>u.shift, 10) + " " + u.name + ")"
		}
	}
	return s
}

func clipPath(p string) string {
	if len(p) > 200 {
		return p[:200] + "…"
	}
	return p
}

// CheckPath refuses a path that is empty, contains a NUL byte or is longer
// than MaxPathBytes.
func CheckPath(path string) error {
	switch {
	case len(path) > MaxPathBytes:
		return &LimitError{File: clipPath(path), What: "path length", Value: strconv.Itoa(len(path)) + " bytes", Limit: MaxPathBytes}
	case path == "":
		return fmt.Errorf("empty path: accepted a file name")
	case strings.ContainsRune(path, 0):
		return fmt.Errorf("path %q: accepted a path without NUL bytes", clipPath(path))
	}
	return nil
}

// Open opens path for reading at most max bytes (max > 0). A path ending in
// ".gz" is decompressed, and then max bounds both the compressed file and
// the decompressed stream. It refuses, unread, a bad path (CheckPath), a
// folder and a regular file larger than max. The returned reader fails
// with a *LimitError once more than max bytes would be read. Close closes
// the file.
func Open(path string, max int64) (io.ReadCloser, error) {
	if max <= 0 {
		panic("input.Open: max must be > 0")
	}
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.IsDir():
		f.Close()
		return nil, fmt.Errorf("%s: a folder: accepted a file", clipPath(path))
	case st.Mode().IsRegular() && st.Size() > max:
		f.Close()
		return nil, &LimitError{File: clipPath(path), What: "size", Value: strconv.FormatInt(st.Size(), 10) + " bytes", Limit: max}
	}
	rc := &file{f: f}
	rc.r = &Capped{R: f, Left: max, Limit: max, Name: path, What: "size"}
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(rc.r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: not a gzip file (%v): accepted a gzip-compressed file for a name ending in .gz", clipPath(path), err)
		}
		rc.r = &Capped{R: gz, Left: max, Limit: max, Name: path, What: "decompressed size"}
	}
	return rc, nil
}

// ReadFile reads all of path through Open.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := Open(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return b, nil
}

type file struct {
	f *os.File
	r io.Reader
}

func (f *file) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *file) Close() error               { return f.f.Close() }

// Capped reads from R until Limit bytes have been read; reading a byte
// more fails with a *LimitError for Name. Unlike io.LimitReader it never
// truncates silently. Left starts equal to Limit.
type Capped struct {
	R     io.Reader
	Left  int64
	Limit int64
	Name  string
	What  string // "size" when empty
}

// Read implements io.Reader.
func (c *Capped) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.Left <= 0 {
		// At the limit: one probe byte tells a file that ends here from
		// one that goes on.
		var one [1]byte
		for range 100 { // io.Reader's contract allows a few (0, nil) reads
			n, err := c.R.Read(one[:])
			if n > 0 {
				what := c.What
				if what == "" {
					what = "size"
				}
				return 0, &LimitError{File: clipPath(c.Name), What: what,
					Value: "more than " + strconv.FormatInt(c.Limit, 10) + " bytes", Limit: c.Limit}
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if int64(len(p)) > c.Left {
		p = p[:c.Left]
	}
	n, err := c.R.Read(p)
	c.Left -= int64(n)
	return n, err
}
