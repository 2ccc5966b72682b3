package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
)

// The files WriteRun writes into a run's output folder.
const (
	BlocksFile   = "blocks.csv"
	SummaryFile  = "summary.json"
	MetaFile     = "meta.json"
	CDFFile      = "cdf.csv"
	ArrivalsFile = "arrivals.csv"
	CDFPNGFile   = "cdf.png"
	CDFSVGFile   = "cdf.svg"
)

// Meta describes a run for meta.json. It must hold nothing that changes
// between two runs of the same scenario, seed and build (no wall-clock time).
type Meta struct {
	Seed           uint64
	Scenario       string // scenario name; also the plot title
	ScenarioSHA256 string // hex SHA-256 of the scenario file's bytes
	DpsimVersion   string
	GoVersion      string  // runtime.Version() when empty
	Nodes          int     // the Collector's node count when 0
	DurationS      float64 // simulated run length in seconds
	// Extra holds any other run facts, written as top-level keys of
	// meta.json. Values must be JSON-encodable; float64 values are written
	// with strconv.FormatFloat(x, 'g', -1, 64). A key may not repeat one of
	// the fixed keys.
	Extra map[string]any
}

// Options selects optional outputs of WriteRun.
type Options struct {
	// Arrivals writes arrivals.csv, one row per adoption. It is large:
	// about 15 bytes per (block, node) adoption.
	Arrivals bool
}

// WriteRun writes a run's results into dir, creating it if needed:
// meta.json, summary.json, blocks.csv, cdf.csv, arrivals.csv when
// opt.Arrivals, cdf.png and cdf.svg. Each file is written atomically, so a
// failure leaves no partial file (files completed before it stay).
func WriteRun(dir string, c *Collector, meta Meta, opt Options) error {
	if meta.GoVersion == "" {
		meta.GoVersion = runtime.Version()
	}
	if meta.Nodes == 0 {
		meta.Nodes = c.Nodes()
	}
	if meta.Nodes != c.Nodes() {
		return fmt.Errorf("results: meta says %d nodes but the collector recorded %d", meta.Nodes, c.Nodes())
	}
	metaJSON, err := metaBytes(meta)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	cdf := c.CDF()
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{MetaFile, func(w io.Writer) error { _, err := w.Write(metaJSON); return err }},
		{SummaryFile, func(w io.Writer) error { return writeSummary(w, c) }},
		{BlocksFile, func(w io.Writer) error { return writeBlocks(w, c) }},
		{CDFFile, func(w io.Writer) error { return writeCDF(w, cdf) }},
		{ArrivalsFile, func(w io.Writer) error { return writeArrivals(w, c) }},
	}
	for _, f := range files {
		if f.name == ArrivalsFile && !opt.Arrivals {
			continue
		}
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("results: %w", err)
		}
	}
	return plotRun(dir, meta.Scenario, cdf)
}

// metaBytes renders meta.json: one object, keys sorted, two-space indent.
func metaBytes(m Meta) ([]byte, error) {
	if math.IsNaN(m.DurationS) || math.IsInf(m.DurationS, 0) {
		return nil, fmt.Errorf("results: meta duration_s is %v; want a finite number of seconds", m.DurationS)
	}
	obj := map[string]any{
		"seed":            json.Number(strconv.FormatUint(m.Seed, 10)),
		"scenario":        m.Scenario,
		"scenario_sha256": m.ScenarioSHA256,
		"dpsim_version":   m.DpsimVersion,
		"go_version":      m.GoVersion,
		"nodes":           m.Nodes,
		"duration_s":      json.Number(strconv.FormatFloat(m.DurationS, 'g', -1, 64)),
	}
	// Sorted, so that with several bad keys the same one is always reported.
	for _, k := range slices.Sorted(maps.Keys(m.Extra)) {
		v := m.Extra[k]
		if _, clash := obj[k]; clash {
			return nil, fmt.Errorf("results: meta Extra key %q repeats a fixed meta.json key", k)
		}
		if f, ok := v.(float64); ok {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("results: meta Extra[%q] is %v; want a finite number", k, f)
			}
			v = json.Number(strconv.FormatFloat(f, 'g', -1, 64))
		}
		obj[k] = v
	}
	b, err := marshalSorted(obj)
	if err != nil {
		return nil, fmt.Errorf("results: meta.json: %w", err)
	}
	return b, nil
}

// marshalSorted encodes v (maps, which encoding/json writes with sorted
// keys) indented, without HTML escaping, with a final newline.
func marshalSorted(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// msOrNull is a JSON value for a µs statistic: exact ms, or null when there
// were no samples.
func msOrNull(us int64, ok bool) any {
	if !ok {
		return nil
	}
	return json.Number(FormatMS(us))
}

func writeSummary(w io.Writer, c *Collector) error {
	s := c.Pooled()
	ok := s.Reached > 0
	counters := make(map[string]int64, len(c.names))
	for _, ct := range c.Counters() {
		counters[ct.Name] = ct.Value
	}
	obj := map[string]any{
		"adoptions": c.adoptions,
		"blocks":    len(c.blocks),
		"nodes":     c.nodes,
		"unreached": int64(len(c.blocks))*int64(c.nodes) - c.adoptions,
		"saturated": c.saturated,
		"counters":  counters,
		"p50_ms":    msOrNull(s.P50, ok),
		"p90_ms":    msOrNull(s.P90, ok),
		"p95_ms":    msOrNull(s.P95, ok),
		"p99_ms":    msOrNull(s.P99, ok),
		"max_ms":    msOrNull(s.Max, ok),
	}
	if c.warmup > 0 {
		// The percentiles leave the warm-up's blocks out.
		obj["warmup_s"] = float64(c.warmup) / 1e9
		obj["measured_adoptions"] = s.Reached
	}
	b, err := marshalSorted(obj)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func writeBlocks(w io.Writer, c *Collector) error {
	if _, err := io.WriteString(w, "block,slot,producer,reached,p50_ms,p90_ms,p95_ms,p99_ms,max_ms\n"); err != nil {
		return err
	}
	var scratch []int64
	var line []byte
	for b := range c.blocks {
		s := c.blockStats(b, &scratch)
		line = strconv.AppendInt(line[:0], int64(s.Block), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, s.Slot, 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(s.Producer), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, s.Reached, 10)
		line = appendPercentiles(line, s.Stats)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// cdfHeader is the header line of cdf.csv.
const cdfHeader = "adoption_ms,fraction"

func writeCDF(w io.Writer, cdf []CDFPoint) error {
	if _, err := io.WriteString(w, cdfHeader+"\n"); err != nil {
		return err
	}
	for _, p := range cdf {
		line := FormatMS(p.US) + "," + strconv.FormatFloat(p.Fraction, 'g', -1, 64) + "\n"
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

func writeArrivals(w io.Writer, c *Collector) error {
	if _, err := io.WriteString(w, "block,node,adopted_us\n"); err != nil {
		return err
	}
	var line []byte
	for b := range c.blocks {
		for n, v := range c.blocks[b].offsetUS {
			if v == never {
				continue
			}
			line = strconv.AppendInt(line[:0], int64(b), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(n), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(v), 10)
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
	}
	return nil
}
