package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/run"
)

// TestProgressLines: on a terminal a run's line gives simulated time,
// blocks, events per second, elapsed and time left, and a comparison's
// gives runs done of the total and the runs under way; off a terminal
// nothing is drawn.
func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true, start: time.Now().Add(-10 * time.Second), lastAt: time.Now().Add(-time.Second)}
	p.update(run.Progress{Now: clock.FromSeconds(3600), End: clock.FromSeconds(4 * 3600), Blocks: 180, Events: 2_000_000})
	got := buf.String()
	for _, want := range []string{"simulated 1h0m0s of 4h0m0s (25 %)", "180 blocks", "M events/s", "10s elapsed", "about 30s left"} {
		if !strings.Contains(got, want) {
			t.Errorf("run line %q lacks %q", got, want)
		}
	}
	buf.Reset()
	p.last = time.Time{}
	p.compare("fig3", run.CompareProgress{Done: 3, Total: 12, Running: []float64{0.5, 0.25}})
	got = buf.String()
	for _, want := range []string{"fig3: 3 of 12 runs done", "running 50 % 25 %", "elapsed", "left"} {
		if !strings.Contains(got, want) {
			t.Errorf("compare line %q lacks %q", got, want)
		}
	}
	if !strings.HasPrefix(got, "\r") {
		t.Errorf("compare line %q does not redraw the status line", got)
	}

	buf.Reset()
	quiet := &progress{w: &buf, start: time.Now().Add(-time.Hour)}
	quiet.update(run.Progress{Now: 1, End: 2})
	quiet.compare("x", run.CompareProgress{Total: 1})
	quiet.done()
	if buf.Len() != 0 {
		t.Errorf("off a terminal, progress wrote %q", buf.String())
	}
}

// TestETA: time left is elapsed × (1 − share) / share.
func TestETA(t *testing.T) {
	for _, c := range []struct {
		elapsed time.Duration
		share   float64
		want    string
	}{
		{10 * time.Second, 0.5, "about 10s left"},
		{2 * time.Minute, 0.25, "about 6m0s left"},
		{time.Minute, 0, "time left unknown"},
	} {
		if got := eta(c.elapsed, c.share); got != c.want {
			t.Errorf("eta(%v, %v) = %q, want %q", c.elapsed, c.share, got, c.want)
		}
	}
}

// TestMemoryGuard: a run whose estimated memory exceeds what the machine
// has available stops before it starts, with the estimate and the flag
// that goes on anyway (a 20,000-node, 400-day scenario needs hundreds of
// GB).
func TestMemoryGuard(t *testing.T) {
	if _, ok := run.AvailableMemory(); !ok {
		t.Skip("this system does not say how much memory is available (/proc/meminfo)")
	}
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.yaml")
	os.WriteFile(huge, []byte("version: 1\nname: huge\nduration: 9600h\nnodes: {count: 20000}\ntopology: {model: p2p}\n"), 0o644)
	stdout, stderr, code := dpsim(t, "run", huge, "--out", filepath.Join(dir, "out"))
	if code != 2 || stdout != "" || !strings.Contains(stderr, "of memory and this machine has") || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
