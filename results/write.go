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

	"github.com/dpsim/dpsim/internal/atomicfile"
)

// The files of a run's output folder written by this file's functions.
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
	// DpsimRevision is the source revision of the build (its VCS revision,
	// "-dirty" when modified), written when known.
	DpsimRevision string
	// Command is the command line that made the run, written when known.
	Command []string
	// Extra holds any other run facts, written as top-level keys of
	// meta.json. Values must be JSON-encodable; float64 values are written
	// with strconv.FormatFloat(x, 'g', -1, 64). A key may not repeat one of
	// the fixed keys.
	Extra map[string]any
}

// WriteMeta writes dir/meta.json, creating dir if needed. An empty
// GoVersion becomes runtime.Version(), a zero Nodes the collector's count.
func WriteMeta(dir string, c *Collector, meta Meta) error {
	if meta.GoVersion == "" {
		meta.GoVersion = runtime.Version()
	}
	if meta.Nodes == 0 {
		meta.Nodes = c.Nodes()
	}
	if meta.Nodes != c.Nodes() {
		return fmt.Errorf("results: meta says %d nodes but the collector recorded %d", meta.Nodes, c.Nodes())
	}
	b, err := metaBytes(meta)
	if err != nil {
		return err
	}
	return writeFile(dir, MetaFile, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// WriteSummary writes dir/summary.json: the pooled percentiles and the
// run's counters.
func WriteSummary(dir string, c *Collector) error {
	return writeFile(dir, SummaryFile, func(w io.Writer) error { return writeSummary(w, c) })
}

// WriteBlocks writes dir/blocks.csv: one row of percentiles per block.
func WriteBlocks(dir string, c *Collector) error {
	return writeFile(dir, BlocksFile, func(w io.Writer) error { return writeBlocks(w, c) })
}

// WriteCDF writes dir/cdf.csv and draws dir/cdf.png and dir/cdf.svg,
// titled with the scenario's name: the header arrival and adoption CDFs.
func WriteCDF(dir, scenario string, c *Collector) error {
	cdf := RunCDF{Adoption: c.CDF(), Header: c.HeaderCDF(), HasHeader: true}
	if err := writeFile(dir, CDFFile, func(w io.Writer) error { return writeCDF(w, cdf) }); err != nil {
		return err
	}
	return plotRun(dir, scenario, cdf)
}

// WriteArrivals writes dir/arrivals.csv, one row per (block, node) pair
// with an adoption or a header arrival. It is large: about 22 bytes per row.
func WriteArrivals(dir string, c *Collector) error {
	return writeFile(dir, ArrivalsFile, func(w io.Writer) error { return writeArrivals(w, c) })
}

// writeFile writes dir/name atomically through write, creating dir if
// needed: a failure leaves no partial file.
func writeFile(dir, name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, name), write); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
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
	if m.DpsimRevision != "" {
		obj["dpsim_revision"] = m.DpsimRevision
	}
	if m.Command != nil {
		obj["command"] = m.Command
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
	s, h := c.Pooled(), c.HeaderPooled()
	ok, hok := s.Reached > 0, h.Reached > 0
	counters := make(map[string]int64, len(c.names))
	for _, ct := range c.Counters() {
		counters[ct.Name] = ct.Value
	}
	obj := map[string]any{
		"adoptions": c.adoptions,
		"blocks":    len(c.blocks),
		"nodes":     c.nodes,
		"unreached": int64(len(c.blocks))*int64(c.nodes-c.nExcl) - c.adoptions,
		"saturated": c.saturated,
		"counters":  counters,
		"p50_ms":    msOrNull(s.P50, ok),
		"p90_ms":    msOrNull(s.P90, ok),
		"p95_ms":    msOrNull(s.P95, ok),
		"p99_ms":    msOrNull(s.P99, ok),
		"max_ms":    msOrNull(s.Max, ok),

		"header_arrivals":  c.headers,
		"header_saturated": c.headerSat,
		"header_p50_ms":    msOrNull(h.P50, hok),
		"header_p90_ms":    msOrNull(h.P90, hok),
		"header_p95_ms":    msOrNull(h.P95, hok),
		"header_p99_ms":    msOrNull(h.P99, hok),
	}
	for k, v := range c.extra {
		if _, clash := obj[k]; clash {
			return fmt.Errorf("results: summary key %q set twice", k)
		}
		obj[k] = v
	}
	if c.warmup > 0 {
		// The percentiles leave the warm-up's blocks out.
		obj["warmup_s"] = float64(c.warmup) / 1e9
		obj["measured_adoptions"] = s.Reached
		obj["measured_header_arrivals"] = h.Reached
	}
	b, err := marshalSorted(obj)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// blocksHeader is the header line of blocks.csv: the header arrival
// columns come after the adoption ones, so that the older columns keep
// their positions.
const blocksHeader = "block,slot,producer,reached,p50_ms,p90_ms,p95_ms,p99_ms,max_ms," +
	"header_reached,header_p50_ms,header_p90_ms,header_p95_ms,header_p99_ms"

func writeBlocks(w io.Writer, c *Collector) error {
	if _, err := io.WriteString(w, blocksHeader+"\n"); err != nil {
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
		line = append(line, ',')
		line = strconv.AppendInt(line, s.Header.Reached, 10)
		line = appendHeaderPercentiles(line, s.Header)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// cdfHeader is the header line of cdf.csv; cdfHeaderV1 that of the files
// written before header arrivals were recorded, which ReadCDF still reads.
const (
	cdfHeader   = "adoption_ms,fraction,header_ms,header_fraction"
	cdfHeaderV1 = "adoption_ms,fraction"
)

// writeCDF writes cdf.csv: row k holds the k-th point of the adoption CDF
// and the k-th point of the header arrival CDF, the shorter curve's fields
// empty past its end. Without cdf.HasHeader it writes the older
// two-column format (FuzzReadCDF round-trips old files through it).
func writeCDF(w io.Writer, cdf RunCDF) error {
	header := cdfHeader
	if !cdf.HasHeader {
		header = cdfHeaderV1
	}
	if _, err := io.WriteString(w, header+"\n"); err != nil {
		return err
	}
	var line []byte
	for k := range max(len(cdf.Adoption), len(cdf.Header)) {
		line = appendCDFPoint(line[:0], cdf.Adoption, k)
		if cdf.HasHeader {
			line = append(line, ',')
			line = appendCDFPoint(line, cdf.Header, k)
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// appendCDFPoint appends "ms,fraction" of pts[k], or "," past pts' end.
func appendCDFPoint(line []byte, pts []CDFPoint, k int) []byte {
	if k >= len(pts) {
		return append(line, ',')
	}
	line = append(line, FormatMS(pts[k].US)...)
	line = append(line, ',')
	return strconv.AppendFloat(line, pts[k].Fraction, 'g', -1, 64)
}

// arrivalsHeader is the header line of arrivals.csv.
const arrivalsHeader = "block,node,adopted_us,header_us"

// writeArrivals writes arrivals.csv: one row per (block, node) pair with an
// adoption or a header arrival, by block then node, an absent time empty.
func writeArrivals(w io.Writer, c *Collector) error {
	if _, err := io.WriteString(w, arrivalsHeader+"\n"); err != nil {
		return err
	}
	var line []byte
	for b := range c.blocks {
		r := &c.blocks[b]
		for n, v := range r.offsetUS {
			h := r.headerUS[n]
			if v == never && h == never {
				continue
			}
			line = strconv.AppendInt(line[:0], int64(b), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, int64(n), 10)
			line = append(line, ',')
			if v != never {
				line = strconv.AppendInt(line, int64(v), 10)
			}
			line = append(line, ',')
			if h != never {
				line = strconv.AppendInt(line, int64(h), 10)
			}
			line = append(line, '\n')
			if _, err := w.Write(line); err != nil {
				return err
			}
		}
	}
	return nil
}
