package results

import (
	"fmt"
	"image/color"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/dpsim/dpsim/clock"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Convergence windows: the blog post plots diffusion-time percentiles per
// calibration round to show a churn policy settling. A Window is one such
// round: the blocks whose slot starts in [Start, End), summarised together.

// The files a convergence (single-run) output may hold.
const (
	RoundsFile    = "rounds.csv"
	RoundsPNGFile = "rounds.png"
)

// roundsHeader is the header line of rounds.csv.
const roundsHeader = "round,start_s,end_s,blocks,adoptions,p50_ms,p90_ms,p95_ms,p99_ms,max_ms"

// Window summarises the blocks whose slot starts in [Start, End): Index is k
// in [from + k·width, from + (k+1)·width), counted from 0 (rounds.csv
// writes it 1-based as "round"). Blocks counts the blocks in the window
// and Stats is over every adoption of those blocks (zero when Reached is 0).
type Window struct {
	Index      int
	Start, End clock.Time
	Blocks     int
	Stats
}

// Windows groups c's blocks by slot start into consecutive windows
// [from + k·width, from + (k+1)·width), k = 0, 1, …, up to the window of
// the last block; blocks before from (a warm-up) are left out. Windows in
// between that hold no block are kept (Blocks 0), so Index always maps to
// the same time span. The percentiles are exact nearest-rank values over
// the window's adoptions, found by histogram rather than by copying them.
// No block at or after from gives nil. It panics if width ≤ 0.
func Windows(c *Collector, from clock.Time, width time.Duration) []Window {
	if width <= 0 {
		panic(fmt.Sprintf("results: Windows: width %v; want > 0", width))
	}
	groups := windowBlocks(c, from, width)
	out := make([]Window, len(groups))
	var h histScratch
	for k, blocks := range groups {
		start := from.Add(time.Duration(k) * width)
		out[k] = Window{Index: k, Start: start, End: start.Add(width), Blocks: len(blocks),
			Stats: h.stats([]blockSet{{c: c, blocks: blocks}})}
	}
	return out
}

// windowBlocks lists, per window k, the ids of the blocks whose slot starts
// in [from + k·width, from + (k+1)·width), in block order.
func windowBlocks(c *Collector, from clock.Time, width time.Duration) [][]int {
	var groups [][]int
	for b := range c.blocks {
		d := c.blocks[b].slotStart - from
		if d < 0 {
			continue
		}
		k := int(int64(d) / int64(width))
		for len(groups) <= k {
			groups = append(groups, nil)
		}
		groups[k] = append(groups[k], b)
	}
	return groups
}

// blockSet is some blocks of one run: their adoption times, or their header
// arrival times when header is set.
type blockSet struct {
	c      *Collector
	blocks []int
	header bool
}

// times returns the samples of block b of the set and how many there are
// (block b's adoption or header arrival times, never included).
func (s blockSet) times(b int) ([]int32, int) { return s.c.blocks[b].times(s.header) }

// histScratch holds pooledQuantiles-style histograms between calls, so
// summarising many windows allocates them once.
type histScratch struct {
	cum  []int64
	slot []int32
	fine []int64
}

// samplesOf counts the samples of the blocks in sets: their adoptions, or
// their header arrivals for the sets that select them.
func samplesOf(sets []blockSet) int64 {
	n := int64(0)
	for _, s := range sets {
		for _, b := range s.blocks {
			_, k := s.times(b)
			n += int64(k)
		}
	}
	return n
}

// stats returns the Stats over every adoption of the blocks in sets.
func (h *histScratch) stats(sets []blockSet) Stats {
	n := samplesOf(sets)
	if n == 0 {
		return Stats{}
	}
	var ranks [len(statsPercents)]int64
	for i, p := range statsPercents {
		ranks[i] = nearestRank(n, p, 100)
	}
	vals, _ := h.quantiles(sets, ranks[:])
	return statsFrom(n, [len(statsPercents)]int64(vals))
}

// cdf returns the empirical CDF of every adoption of the blocks in sets at
// the nearest-rank quantiles 1/n (the minimum) and k/CDFSteps for k = 1 …
// CDFSteps, one point per distinct value with its exact fraction: at most
// CDFSteps+1 points, always the minimum and the maximum (fraction 1).
func (h *histScratch) cdf(sets []blockSet) []CDFPoint {
	n := samplesOf(sets)
	if n == 0 {
		return nil
	}
	ranks := make([]int64, 0, CDFSteps+1)
	ranks = append(ranks, 1)
	for k := int64(1); k <= CDFSteps; k++ {
		ranks = append(ranks, nearestRank(n, k, CDFSteps))
	}
	vals, le := h.quantiles(sets, ranks)
	var out []CDFPoint
	for i, v := range vals {
		if len(out) > 0 && out[len(out)-1].US == v {
			continue
		}
		out = append(out, CDFPoint{US: v, Fraction: float64(le[i]) / float64(n)})
	}
	return out
}

// quantiles is Collector.pooledQuantiles restricted to the blocks in sets
// (possibly of several runs): for each 1-based rank of the ascending ranks,
// each within [1, samplesOf(sets)], the rank-th smallest sample (adoption
// or header arrival time, as each set selects) and the number of samples ≤
// it. Exact, in two passes over the samples: one
// counts per ~1 ms bucket, one counts µs inside the buckets holding a rank.
func (h *histScratch) quantiles(sets []blockSet, ranks []int64) (vals, countLE []int64) {
	// Sized by the largest sample of sets, not of the whole runs: one
	// saturated outlier elsewhere must not make every window clear 2 M
	// buckets.
	cum := h.cum[:0]
	for _, s := range sets {
		for _, b := range s.blocks {
			times, _ := s.times(b)
			for _, v := range times {
				if v == never {
					continue
				}
				i := int(v >> bucketShift)
				if i >= len(cum) {
					cum = grow(cum, i+1)
				}
				cum[i]++
			}
		}
	}
	h.cum = cum
	nb := len(cum)
	if nb == 0 {
		panic("results: quantiles of no adoptions")
	}
	for i := 1; i < nb; i++ {
		cum[i] += cum[i-1]
	}
	h.slot = resize(h.slot, nb)
	slot := h.slot
	for i := range slot {
		slot[i] = -1
	}
	bucket := make([]int, len(ranks))
	var wanted int32
	for i, r := range ranks {
		b := sort.Search(nb, func(j int) bool { return cum[j] >= r })
		if b == nb {
			panic(fmt.Sprintf("results: rank %d beyond %d adoptions", r, cum[nb-1]))
		}
		bucket[i] = b
		if slot[b] < 0 {
			slot[b] = wanted
			wanted++
		}
	}
	const width = 1 << bucketShift
	h.fine = resize(h.fine, int(wanted)*width)
	fine := h.fine
	clear(fine)
	for _, s := range sets {
		for _, b := range s.blocks {
			times, _ := s.times(b)
			for _, v := range times {
				if v == never {
					continue
				}
				if j := slot[v>>bucketShift]; j >= 0 {
					fine[int(j)*width+int(v&(width-1))]++
				}
			}
		}
	}
	vals = make([]int64, len(ranks))
	countLE = make([]int64, len(ranks))
	for i, r := range ranks {
		b := bucket[i]
		le := int64(0)
		if b > 0 {
			le = cum[b-1]
		}
		for off, n := range fine[int(slot[b])*width:][:width] {
			le += n
			if le >= r {
				vals[i] = int64(b)<<bucketShift + int64(off)
				countLE[i] = le
				break
			}
		}
	}
	return vals, countLE
}

// grow extends x with zeros to length n > len(x), at least doubling its
// capacity when it must reallocate.
func grow(x []int64, n int) []int64 {
	if n <= cap(x) {
		old := len(x)
		x = x[:n]
		clear(x[old:])
		return x
	}
	y := make([]int64, n, max(n, 2*cap(x)))
	copy(y, x)
	return y
}

// resize returns x with length n, reusing its array when it is big enough.
func resize[T any](x []T, n int) []T {
	if cap(x) >= n {
		return x[:n]
	}
	return make([]T, n)
}

// formatS formats a virtual time in seconds, shortest exact form.
func formatS(t clock.Time) string { return strconv.FormatFloat(t.Seconds(), 'g', -1, 64) }

// RoundRow is one line of rounds.csv, as WriteRoundsCSV writes it and
// ReadRoundsCSV reads it back: window Round (1-based) spans [StartS, EndS)
// seconds since the run start and holds Blocks blocks; Stats is over their
// adoptions (Reached, the adoptions column, and the percentiles in µs,
// zero when Reached is 0).
type RoundRow struct {
	Round        int
	StartS, EndS float64
	Blocks       int
	Stats
}

// roundRowsOf returns the rows rounds.csv holds for ws.
func roundRowsOf(ws []Window) []RoundRow {
	rows := make([]RoundRow, len(ws))
	for i, w := range ws {
		rows[i] = RoundRow{Round: w.Index + 1, StartS: w.Start.Seconds(), EndS: w.End.Seconds(), Blocks: w.Blocks, Stats: w.Stats}
	}
	return rows
}

// WriteRoundsCSV writes ws as rounds.csv: the header
// "round,start_s,end_s,blocks,adoptions,p50_ms,p90_ms,p95_ms,p99_ms,max_ms",
// then one line per window, round being Index+1 (1-based, as
// rounds_to_converge in compare.csv), start_s and end_s the window's bounds
// in seconds, adoptions its Reached, and the percentiles in exact ms (empty
// when the window has no adoption).
func WriteRoundsCSV(w io.Writer, ws []Window) error {
	return writeRoundRows(w, roundRowsOf(ws))
}

// writeRoundRows writes rows as rounds.csv.
func writeRoundRows(w io.Writer, rows []RoundRow) error {
	if _, err := io.WriteString(w, roundsHeader+"\n"); err != nil {
		return err
	}
	var line []byte
	for _, r := range rows {
		line = strconv.AppendInt(line[:0], int64(r.Round), 10)
		line = append(line, ',')
		line = strconv.AppendFloat(line, r.StartS, 'g', -1, 64)
		line = append(line, ',')
		line = strconv.AppendFloat(line, r.EndS, 'g', -1, 64)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(r.Blocks), 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, r.Reached, 10)
		line = appendPercentiles(line, r.Stats)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// roundLine is one curve of a percentile-vs-time plot, a glyph per window.
type roundLine struct {
	name   string
	xys    plotter.XYs // x: time since the run start in the axis's unit, y: seconds
	color  color.Color
	dashes []vg.Length
	shape  draw.GlyphDrawer
}

// windowAxis describes the time axis of windows spanning [firstS, lastS)
// seconds of a run: the unit (minutes below 2 h, else hours), its divisor
// and the axis title, which gives the window width.
type windowAxis struct {
	unit          string
	div           float64
	firstS, lastS float64
	widthS        float64
}

func newWindowAxis(firstS, lastS, widthS float64) windowAxis {
	unit, div := timeAxis(lastS)
	return windowAxis{unit: unit, div: div, firstS: firstS, lastS: lastS, widthS: widthS}
}

// x is the position of the middle of [startS, endS) on the axis.
func (a windowAxis) x(startS, endS float64) float64 { return (startS/2 + endS/2) / a.div }

func (a windowAxis) label() string {
	l := "time since run start (" + a.unit + ")"
	if a.widthS > 0 {
		l += "; one point per window of " + spanText(a.widthS) + ", at its middle"
	}
	return l
}

// apply sets p's x axis: exactly the windows' span (0 to 1 without
// windows), with round ticks.
func (a windowAxis) apply(p *plot.Plot, label bool) {
	p.X.Min, p.X.Max = a.firstS/a.div, a.lastS/a.div
	if !(p.X.Max > p.X.Min) {
		p.X.Min, p.X.Max = 0, 1
	}
	p.X.Tick.Marker = linearTicks{n: 10}
	if label {
		p.X.Label.Text = a.label()
	}
}

// addRoundLines draws lines on p, each a line through its points with a
// glyph per point, and lists them in leg (a line without points as
// "(no adoptions)"). It reports whether any line had points.
func addRoundLines(p *plot.Plot, leg *plot.Legend, lines []roundLine) (bool, error) {
	plotted := false
	for _, l := range lines {
		if len(l.xys) == 0 {
			if leg != nil {
				leg.Add(l.name + " (no adoptions)")
			}
			continue
		}
		plotted = true
		lp, sc, err := plotter.NewLinePoints(l.xys)
		if err != nil {
			return false, fmt.Errorf("%s: %w", l.name, err)
		}
		lp.LineStyle.Color, sc.GlyphStyle.Color = l.color, l.color
		lp.LineStyle.Width = vg.Points(1.5)
		lp.LineStyle.Dashes = l.dashes
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Shape = l.shape
		p.Add(lp, sc)
		if leg != nil {
			leg.Add(l.name, lp, sc)
		}
	}
	return plotted, nil
}

// rangeY returns the smallest and largest y of lines' points (0, 0
// without points).
func rangeY(lines []roundLine) (lo, hi float64) {
	first := true
	for _, l := range lines {
		for _, xy := range l.xys {
			if first {
				lo, hi, first = xy.Y, xy.Y, false
			}
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	return lo, hi
}

// roundsYTicks are the seconds ticks of a rounds plot.
var roundsYTicks = linearTicks{n: 6}

// PlotRounds draws the p50, p95 and p99 of each window that has adoptions
// against time (x: the window's middle since the run start, in minutes, or
// in hours from 2 h, the axis spanning exactly the windows; y: adoption
// time in seconds from 0, or on a log scale when the largest value is over
// ten times the smallest) with the legend beside the axes, and writes it
// atomically to path, as PNG or SVG by the extension. Equal inputs give
// identical bytes, and PlotRoundsDir redraws the same bytes from
// rounds.csv.
func PlotRounds(path, title string, ws []Window) error {
	return plotRoundRows(path, title, roundRowsOf(ws))
}

// roundsPercentiles are the curves of a rounds plot, top to bottom, with
// their colour and glyph indices.
var roundsPercentiles = []struct {
	name     string
	of       func(Stats) int64
	category int
}{
	{"p99", func(s Stats) int64 { return s.P99 }, 1},
	{"p95", func(s Stats) int64 { return s.P95 }, 2},
	{"p50", func(s Stats) int64 { return s.P50 }, 0},
}

// plotRoundRows is PlotRounds from the rows of rounds.csv.
func plotRoundRows(path, title string, rows []RoundRow) error {
	if _, err := plotFormat(path); err != nil {
		return err
	}
	f, err := roundsFigure(title, rows)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return f.write(path)
}

// roundsFigure lays out the rounds plot of rows.
func roundsFigure(title string, rows []RoundRow) (plotWithLegend, error) {
	var ax windowAxis
	if n := len(rows); n > 0 {
		ax = newWindowAxis(rows[0].StartS, rows[n-1].EndS, rows[0].EndS-rows[0].StartS)
	} else {
		ax = newWindowAxis(0, 0, 0)
	}
	lines := make([]roundLine, len(roundsPercentiles))
	for i, pc := range roundsPercentiles {
		lines[i] = roundLine{name: pc.name, color: categoryColor(pc.category), shape: categoryShape(pc.category)}
		for _, r := range rows {
			if r.Reached > 0 {
				lines[i].xys = append(lines[i].xys, plotter.XY{X: ax.x(r.StartS, r.EndS), Y: seconds(pc.of(r.Stats))})
			}
		}
	}
	p := newStyledPlot(title)
	p.Y.Label.Text = "adoption time since slot start (s)"
	p.Add(plotter.NewGrid())
	// A window with a far tail (a fault phase) would press the other
	// percentiles against 0: a log scale then.
	if lo, hi := rangeY(lines); lo > 0 && hi > 10*lo {
		lines = secondsAxis(p, lines, true, roundsYTicks)
		p.Y.Label.Text += ", log scale"
	} else {
		lines = secondsAxis(p, lines, false, roundsYTicks)
	}
	leg := newLegend()
	if _, err := addRoundLines(p, &leg, lines); err != nil {
		return plotWithLegend{}, err
	}
	ax.apply(p, true)
	return plotWithLegend{p: p, legend: leg, axesW: plotWidth, h: plotHeight}, nil
}
