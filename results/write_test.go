package results

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// tinyRun is a hand-built run whose outputs are checked by eye in
// testdata/golden: block 0 has an unreached node that had its header, block
// 1 ties and a repeated adoption, block 2 was never adopted but its header
// reached node 1 (a lost slot battle). Every header arrives before the
// adoption; the producers have none.
func tinyRun() (*Collector, Meta) {
	c := NewCollector(5)
	c.BlockMade(0, 3, 2, secs(3))
	c.Adopted(0, 2, secs(3)+usT(150))
	c.HeaderArrived(0, 2, secs(3)+usT(100))    // ignored: the producer
	c.HeaderArrived(0, 0, secs(3)+300_500_999) // truncates to 300500 µs
	c.Adopted(0, 0, secs(3)+412_345_678)       // truncates to 412345 µs
	c.HeaderArrived(0, 1, secs(3).Add(700*time.Millisecond))
	c.HeaderArrived(0, 1, secs(3).Add(800*time.Millisecond)) // ignored: later
	c.Adopted(0, 1, secs(3).Add(900*time.Millisecond))
	c.HeaderArrived(0, 3, secs(3).Add(1100*time.Millisecond))
	c.Adopted(0, 3, secs(3).Add(1234500*time.Microsecond))
	c.HeaderArrived(0, 4, secs(3).Add(2*time.Second)) // never adopted
	c.BlockMade(1, 7, 0, secs(7))
	c.Adopted(1, 0, secs(7)+usT(200))
	c.HeaderArrived(1, 1, secs(7).Add(400*time.Millisecond))
	c.HeaderArrived(1, 2, secs(7).Add(400*time.Millisecond))
	c.Adopted(1, 1, secs(7).Add(500*time.Millisecond))
	c.Adopted(1, 2, secs(7).Add(500*time.Millisecond))
	c.Adopted(1, 1, secs(7).Add(100*time.Millisecond)) // ignored: node 1 already adopted
	c.HeaderArrived(1, 3, secs(7).Add(1800*time.Millisecond))
	c.Adopted(1, 3, secs(7).Add(2500*time.Millisecond))
	c.HeaderArrived(1, 4, secs(7).Add(2900*time.Millisecond))
	c.Adopted(1, 4, secs(7)+3_000_001_000)
	c.BlockMade(2, 9, 4, secs(9))
	c.HeaderArrived(2, 1, secs(9).Add(250*time.Millisecond))
	c.count("slot_battles", 1)
	c.count("events", 12345)
	c.count("messages_sent", 678)
	meta := Meta{
		Seed:           42,
		Scenario:       "tiny",
		ScenarioSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		DpsimVersion:   "v0.0.0-test",
		GoVersion:      "go1.26-test",
		DurationS:      10,
		Extra:          map[string]any{"policy": "close-random", "churn_interval_s": 900.5, "note": "a<b & c"},
	}
	return c, meta
}

// writeRun writes every part of a run the way the run layer does
// (internal/run): meta.json first, then summary.json, blocks.csv, the CDF
// and, when asked, arrivals.csv.
func writeRun(dir string, c *Collector, meta Meta, arrivals bool) error {
	if err := WriteMeta(dir, c, meta); err != nil {
		return err
	}
	if err := WriteSummary(dir, c); err != nil {
		return err
	}
	if err := WriteBlocks(dir, c); err != nil {
		return err
	}
	if err := WriteCDF(dir, meta.Scenario, c); err != nil {
		return err
	}
	if arrivals {
		return WriteArrivals(dir, c)
	}
	return nil
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	c, meta := tinyRun()
	if err := writeRun(dir, c, meta, true); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{BlocksFile, SummaryFile, MetaFile, CDFFile, ArrivalsFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, golden, got, want)
		}
	}
	sharedtest.AssertOnly(t, dir, ArrivalsFile, BlocksFile, CDFFile, CDFPNGFile, CDFSVGFile, MetaFile, SummaryFile)
}

func TestWriteRunWithoutArrivals(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "run") // created by the writers
	c, meta := tinyRun()
	if err := writeRun(dir, c, meta, false); err != nil {
		t.Fatal(err)
	}
	sharedtest.AssertOnly(t, dir, BlocksFile, CDFFile, CDFPNGFile, CDFSVGFile, MetaFile, SummaryFile)
}

func TestWriteRunDefaultsMeta(t *testing.T) {
	dir := t.TempDir()
	c, meta := tinyRun()
	meta.GoVersion, meta.Nodes = "", 0
	if err := writeRun(dir, c, meta, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, MetaFile))
	for _, want := range []string{`"nodes": 5`, `"go_version": "go1.`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("meta.json lacks %s:\n%s", want, b)
		}
	}
}

func TestWriteRunErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Meta)
		wantErr string
	}{
		{"node count mismatch", func(m *Meta) { m.Nodes = 6 }, "meta says 6 nodes but the collector recorded 5"},
		{"extra key clash", func(m *Meta) { m.Extra = map[string]any{"seed": 1, "zz": 2} }, `Extra key "seed" repeats`},
		{"NaN duration", func(m *Meta) { m.DurationS = nan() }, "duration_s is NaN"},
		{"unencodable extra", func(m *Meta) { m.Extra = map[string]any{"f": func() {}} }, "meta.json: json: unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			c, meta := tinyRun()
			tt.edit(&meta)
			err := writeRun(dir, c, meta, false)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("writeRun created %s despite invalid input", dir)
			}
		})
	}
}

func nan() float64 { zero := 0.0; return zero / zero }

// TestWriteRunFailureLeavesNoPartialFile blocks cdf.csv with a directory of
// that name: the files before it are complete, nothing after it is written,
// and no temporary file is left.
func TestWriteRunFailureLeavesNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, CDFFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, CDFFile, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, meta := tinyRun()
	err := writeRun(dir, c, meta, false)
	if err == nil || !strings.Contains(err.Error(), CDFFile) {
		t.Fatalf("err = %v, want a failure naming %s", err, CDFFile)
	}
	sharedtest.AssertOnly(t, dir, BlocksFile, CDFFile, MetaFile, SummaryFile)
	got, _ := os.ReadFile(filepath.Join(dir, BlocksFile))
	want, _ := os.ReadFile(filepath.Join("testdata", "golden", BlocksFile))
	if !bytes.Equal(got, want) {
		t.Errorf("blocks.csv written before the failure is not complete:\n%s", got)
	}
}

func TestWriteRunIsByteStable(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		c := withRandomHeaders(randomCollector(11, 300, 20), 11)
		c.count("events", 99)
		if err := writeRun(dir, c, Meta{Scenario: "random", GoVersion: "go-test"}, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{BlocksFile, SummaryFile, MetaFile, CDFFile, ArrivalsFile, CDFPNGFile, CDFSVGFile} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: %d and %d bytes, not identical", name, len(x), len(y))
		}
	}
}

// TestSummaryHeaderFigures checks summary.json's header keys: null
// percentiles without header arrivals, and with a warm-up the percentiles
// and measured_header_arrivals over the measured blocks only while
// header_arrivals counts every block.
func TestSummaryHeaderFigures(t *testing.T) {
	decode := func(c *Collector) map[string]any {
		t.Helper()
		var buf bytes.Buffer
		if err := writeSummary(&buf, c); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	c := NewCollector(3)
	c.BlockMade(0, 1, 0, secs(1))
	c.Adopted(0, 0, secs(1))
	m := decode(c)
	for _, k := range []string{"header_p50_ms", "header_p90_ms", "header_p95_ms", "header_p99_ms"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v); want null", k, v, ok)
		}
	}
	if m["header_arrivals"] != 0.0 || m["p50_ms"] != 0.0 {
		t.Errorf("header_arrivals = %v, p50_ms = %v; want 0, 0", m["header_arrivals"], m["p50_ms"])
	}
	if _, ok := m["measured_header_arrivals"]; ok {
		t.Error("measured_header_arrivals written without a warm-up")
	}

	c.HeaderArrived(0, 1, secs(1)+usT(9_000)) // warm-up block
	c.BlockMade(1, 20, 1, secs(20))
	c.HeaderArrived(1, 0, secs(20)+usT(100_000))
	c.HeaderArrived(1, 2, secs(20)+usT(300_000))
	c.SetWarmup(secs(10))
	m = decode(c)
	want := map[string]any{"header_arrivals": 3.0, "measured_header_arrivals": 2.0,
		"header_p50_ms": 100.0, "header_p90_ms": 300.0, "header_p95_ms": 300.0, "header_p99_ms": 300.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}
