package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/clock"
)

// The files WritePeers writes into a run's output folder.
const (
	PeersFile    = "peers.csv"
	PeersPNGFile = "peers.png"
	PeersSVGFile = "peers.svg"
)

// peersHeader is the header line of peers.csv.
const peersHeader = "time_s,class,metric,min,mean,max"

// PeerSeries accumulates, at each sample time, the per-class minimum, mean
// and maximum of per-node metrics (peer counts such as known, established
// and active peers). It observes a run and never feeds back into it; it is
// not safe for concurrent use.
//
// Storage is compact: per sample, one count per class and one {min, max,
// sum} cell per (class, metric), 24 bytes per cell whatever the node count,
// so a day of 60 s samples of 16 metrics in 4 classes takes 2.2 MB.
type PeerSeries struct {
	classes []string
	metrics []string
	classOf []int32 // node -> index into classes
	times   []clock.Time
	counts  []int32    // per (sample, class): nodes included
	cells   []peerCell // per (sample, class, metric), metric fastest
}

type peerCell struct{ min, max, sum int64 }

// PeerRow is one line of peers.csv: the statistics of one metric over the
// included nodes of one class at one sample time.
type PeerRow struct {
	TimeS  float64 // sample time in seconds since the start of the run
	Class  string
	Metric string
	Min    int64
	Mean   float64 // sum/count, within [Min, Max]
	Max    int64
}

// NewPeerSeries returns an empty series. classes are the node classes in
// display order, classOf[i] is the index into classes of node i, and
// metrics are the metric names in output order. It returns an error for
// empty classes or metrics, an empty or repeated name, a name holding a
// comma, double quote or line break (peers.csv does no quoting), or a
// classOf entry out of range. The slices are copied.
func NewPeerSeries(classes []string, classOf []int, metrics []string) (*PeerSeries, error) {
	if err := checkNames("class", classes); err != nil {
		return nil, err
	}
	if err := checkNames("metric", metrics); err != nil {
		return nil, err
	}
	s := &PeerSeries{
		classes: append([]string(nil), classes...),
		metrics: append([]string(nil), metrics...),
		classOf: make([]int32, len(classOf)),
	}
	for i, c := range classOf {
		if c < 0 || c >= len(classes) {
			return nil, fmt.Errorf("results: peer series: classOf[%d] = %d; want a class index in 0..%d", i, c, len(classes)-1)
		}
		s.classOf[i] = int32(c)
	}
	return s, nil
}

func checkNames(kind string, names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("results: peer series: no %s names; want at least one", kind)
	}
	for i, n := range names {
		if err := checkPeerName(n); err != nil {
			return fmt.Errorf("results: peer series: %s name %d %q: %v", kind, i, n, err)
		}
		for _, prev := range names[:i] {
			if prev == n {
				return fmt.Errorf("results: peer series: %s name %q repeated; want distinct names", kind, n)
			}
		}
	}
	return nil
}

// checkPeerName accepts what a peers.csv field can hold unquoted.
func checkPeerName(n string) error {
	if n == "" {
		return fmt.Errorf("want a non-empty name")
	}
	if strings.ContainsAny(n, ",\"\n\r") {
		return fmt.Errorf("want a name without commas, double quotes or line breaks")
	}
	return nil
}

// Samples returns the number of samples recorded so far.
func (s *PeerSeries) Samples() int { return len(s.times) }

// Grow reserves room for n more samples, so that the next n calls of
// Sample do not allocate. Without it the storage grows by amortised
// doubling.
func (s *PeerSeries) Grow(n int) {
	nc, nm := len(s.classes), len(s.metrics)
	s.times = growCap(s.times, n)
	s.counts = growCap(s.counts, n*nc)
	s.cells = growCap(s.cells, n*nc*nm)
}

func growCap[T any](x []T, n int) []T {
	if cap(x)-len(x) >= n {
		return x
	}
	y := make([]T, len(x), len(x)+n)
	copy(y, x)
	return y
}

// Sample records one sample at time t: values[m][i] is metric m of node i.
// Nodes with include[i] false (e.g. crashed nodes) are left out; a nil
// include includes every node. It does not allocate per node.
//
// It panics, as a programmer error, if t is negative or not after the
// previous sample's time, if len(values) differs from the number of
// metrics, or if a values row or a non-nil include differs in length from
// the number of nodes.
func (s *PeerSeries) Sample(t clock.Time, values [][]int64, include []bool) {
	if t < 0 || (len(s.times) > 0 && t <= s.times[len(s.times)-1]) {
		panic(fmt.Sprintf("results: PeerSeries.Sample(%v): time not after the previous sample", t))
	}
	nodes := len(s.classOf)
	if len(values) != len(s.metrics) {
		panic(fmt.Sprintf("results: PeerSeries.Sample: %d value rows for %d metrics", len(values), len(s.metrics)))
	}
	for m, row := range values {
		if len(row) != nodes {
			panic(fmt.Sprintf("results: PeerSeries.Sample: metric %q has %d values for %d nodes", s.metrics[m], len(row), nodes))
		}
	}
	if include != nil && len(include) != nodes {
		panic(fmt.Sprintf("results: PeerSeries.Sample: include has %d entries for %d nodes", len(include), nodes))
	}
	nc, nm := len(s.classes), len(s.metrics)
	s.times = append(s.times, t)
	s.counts = extend(s.counts, nc)
	counts := s.counts[len(s.counts)-nc:]
	s.cells = extend(s.cells, nc*nm)
	cells := s.cells[len(s.cells)-nc*nm:]
	for k := range cells {
		cells[k] = peerCell{min: math.MaxInt64, max: math.MinInt64}
	}
	for i, c := range s.classOf {
		if include == nil || include[i] {
			counts[c]++
		}
	}
	// Metric-major, so each values row is read sequentially.
	for m, row := range values {
		for i, v := range row {
			if include != nil && !include[i] {
				continue
			}
			cell := &cells[int(s.classOf[i])*nm+m]
			cell.min = min(cell.min, v)
			cell.max = max(cell.max, v)
			cell.sum += v // peer counts: no overflow below 2^63 / nodes
		}
	}
}

// extend appends n zero elements, reallocating by amortised doubling.
func extend[T any](x []T, n int) []T {
	if cap(x)-len(x) < n {
		x = growCap(x, max(n, cap(x)))
	}
	x = x[:len(x)+n]
	clear(x[len(x)-n:])
	return x
}

// Rows returns the series as peers.csv rows: by sample time, then class in
// display order, then metric in output order. A class with no included
// node at a sample has no rows for that time.
func (s *PeerSeries) Rows() []PeerRow {
	nc, nm := len(s.classes), len(s.metrics)
	n := 0
	for _, c := range s.counts {
		if c > 0 {
			n += nm
		}
	}
	rows := make([]PeerRow, 0, n)
	for k, t := range s.times {
		for c := range nc {
			count := s.counts[k*nc+c]
			if count == 0 {
				continue
			}
			for m := range nm {
				cell := s.cells[(k*nc+c)*nm+m]
				rows = append(rows, PeerRow{
					TimeS:  t.Seconds(),
					Class:  s.classes[c],
					Metric: s.metrics[m],
					Min:    cell.min,
					Mean:   peerMean(cell, count),
					Max:    cell.max,
				})
			}
		}
	}
	return rows
}

// peerMean is sum/count, clamped to [min, max] in case rounding of huge
// sums pushes it out, so that a written file always passes ReadPeersCSV.
func peerMean(c peerCell, count int32) float64 {
	m := float64(c.sum) / float64(count)
	return min(max(m, float64(c.min)), float64(c.max))
}

// WritePeers writes dir/peers.csv atomically, creating dir if needed, then
// draws dir/peers.png and dir/peers.svg titled with the scenario's name
// (PlotPeersDir redraws the same images byte for byte from peers.csv and
// meta.json).
func WritePeers(dir, scenario string, s *PeerSeries) error {
	rows := s.Rows()
	if err := writeFile(dir, PeersFile, func(w io.Writer) error { return WritePeersCSV(w, rows) }); err != nil {
		return err
	}
	return plotPeersRun(dir, scenario, rows)
}

// WritePeersCSV writes rows as peers.csv: the header, then one line per
// row in the given order, integers in decimal and floats with
// strconv.FormatFloat(x, 'g', -1, 64). It returns an error, before
// writing anything, for a row that ReadPeersCSV would not read back.
func WritePeersCSV(w io.Writer, rows []PeerRow) error {
	for i, r := range rows {
		if err := checkPeerRow(r); err != nil {
			return fmt.Errorf("peers row %d: %v", i, err)
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(peersHeader + "\n")
	var line []byte
	for _, r := range rows {
		line = strconv.AppendFloat(line[:0], r.TimeS, 'g', -1, 64)
		line = append(line, ',')
		line = append(line, r.Class...)
		line = append(line, ',')
		line = append(line, r.Metric...)
		line = append(line, ',')
		line = strconv.AppendInt(line, r.Min, 10)
		line = append(line, ',')
		line = strconv.AppendFloat(line, r.Mean, 'g', -1, 64)
		line = append(line, ',')
		line = strconv.AppendInt(line, r.Max, 10)
		line = append(line, '\n')
		bw.Write(line)
	}
	return bw.Flush() // reports the first write error
}

// checkPeerRow checks the per-row rules ReadPeersCSV enforces.
func checkPeerRow(r PeerRow) error {
	if !validTimeS(r.TimeS) {
		return fmt.Errorf("time_s %v; want a finite number of seconds >= 0", r.TimeS)
	}
	if err := checkPeerName(r.Class); err != nil {
		return fmt.Errorf("class %q: %v", r.Class, err)
	}
	if err := checkPeerName(r.Metric); err != nil {
		return fmt.Errorf("metric %q: %v", r.Metric, err)
	}
	if r.Min > r.Max {
		return fmt.Errorf("min %d above max %d", r.Min, r.Max)
	}
	if !validMean(r) {
		return fmt.Errorf("mean %v; want a number in [min, max] = [%d, %d]", r.Mean, r.Min, r.Max)
	}
	return nil
}

func validTimeS(t float64) bool {
	return t >= 0 && !math.IsInf(t, 1) && !math.Signbit(t) // NaN fails t >= 0
}

func validMean(r PeerRow) bool { return r.Mean >= float64(r.Min) && r.Mean <= float64(r.Max) }

// ReadPeersCSV reads a peers.csv as WritePeersCSV writes it. name is used
// in errors, which read "name:line: field F: bad value "V"; want ...".
// Besides the format of each field it checks that times never decrease,
// that min <= mean <= max, and that no (time, class, metric) repeats. A
// file with only the header gives no rows.
func ReadPeersCSV(r io.Reader, name string) ([]PeerRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var out []PeerRow
	type key struct{ class, metric string }
	seen := make(map[key]bool) // keys at the current time
	var fields [7]string       // one spare to detect extra fields
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if text != peersHeader {
				return nil, fmt.Errorf("%s:1: header %q; want %q", name, clip(text), peersHeader)
			}
			continue
		}
		n := splitFields(text, fields[:])
		if n != 6 {
			return nil, fmt.Errorf("%s:%d: %q has %d fields; want 6 (%s)", name, line, clip(text), strings.Count(text, ",")+1, peersHeader)
		}
		bad := func(field, value, want string) error {
			return fmt.Errorf("%s:%d: field %s: bad value %q; want %s", name, line, field, clip(value), want)
		}
		var row PeerRow
		var err error
		row.TimeS, err = strconv.ParseFloat(fields[0], 64)
		if err != nil || !validTimeS(row.TimeS) {
			return nil, bad("time_s", fields[0], "a finite number of seconds >= 0")
		}
		row.Class, row.Metric = fields[1], fields[2]
		if checkPeerName(row.Class) != nil {
			return nil, bad("class", row.Class, "a non-empty name without double quotes")
		}
		if checkPeerName(row.Metric) != nil {
			return nil, bad("metric", row.Metric, "a non-empty name without double quotes")
		}
		if row.Min, err = strconv.ParseInt(fields[3], 10, 64); err != nil {
			return nil, bad("min", fields[3], "a decimal integer")
		}
		if row.Max, err = strconv.ParseInt(fields[5], 10, 64); err != nil {
			return nil, bad("max", fields[5], "a decimal integer")
		}
		if row.Max < row.Min {
			return nil, bad("max", fields[5], "an integer >= min "+fields[3])
		}
		row.Mean, err = strconv.ParseFloat(fields[4], 64)
		if err != nil || !validMean(row) {
			return nil, bad("mean", fields[4], "a number in [min, max] = ["+fields[3]+", "+fields[5]+"]")
		}
		if k := len(out); k > 0 {
			prev := out[k-1].TimeS
			if row.TimeS < prev {
				return nil, bad("time_s", fields[0], "a time >= the previous line's "+strconv.FormatFloat(prev, 'g', -1, 64))
			}
			if row.TimeS > prev {
				clear(seen)
			}
		}
		k := key{row.Class, row.Metric}
		if seen[k] {
			return nil, bad("metric", row.Metric, "one row per (time_s, class, metric); class "+row.Class+" already has it at this time")
		}
		seen[k] = true
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s: empty file; want the header %q", name, peersHeader)
	}
	return out, nil
}

// splitFields splits s at commas into dst without allocating and returns
// the field count, which exceeds len(dst) when s has more fields.
func splitFields(s string, dst []string) int {
	n := 0
	for {
		f, rest, more := strings.Cut(s, ",")
		if n < len(dst) {
			dst[n] = f
		}
		n++
		if !more {
			return n
		}
		s = rest
	}
}
