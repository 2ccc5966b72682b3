package results

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"pgregory.net/rapid"
)

// svgText is one text element of an SVG that gonum/plot wrote.
type svgText struct {
	text    string
	x       float64 // left, in points
	fromTop float64 // the baseline's distance from the top edge, in points
	size    float64 // font size
	rotated bool    // an axis title turned by 90°: x and fromTop are not page positions
}

var (
	svgHeightRE = regexp.MustCompile(`<svg width="[0-9.]+pt" height="([0-9.]+)pt"`)
	svgTextRE   = regexp.MustCompile(`(<g transform="rotate\(90\)">\s*)?<text x="([-0-9.e]+)" y="([-0-9.e]+)"[^>]*font-size:([0-9.]+)px">([^<]*)</text>`)
)

// svgTextsAt returns the text elements of svg with their positions.
func svgTextsAt(t *testing.T, svg []byte) []svgText {
	t.Helper()
	m := svgHeightRE.FindSubmatch(svg)
	if m == nil {
		t.Fatal("no <svg height> in the SVG")
	}
	h, _ := strconv.ParseFloat(string(m[1]), 64)
	var out []svgText
	for _, m := range svgTextRE.FindAllSubmatch(svg, -1) {
		x, _ := strconv.ParseFloat(string(m[2]), 64)
		y, _ := strconv.ParseFloat(string(m[3]), 64)
		size, _ := strconv.ParseFloat(string(m[4]), 64)
		out = append(out, svgText{text: string(m[5]), x: x, fromTop: h + y, size: size, rotated: len(m[1]) > 0})
	}
	return out
}

// findText returns the first unrotated text element equal to s.
func findText(t *testing.T, texts []svgText, s string) svgText {
	t.Helper()
	for _, x := range texts {
		if x.text == s && !x.rotated {
			return x
		}
	}
	t.Fatalf("no text %q in %v", s, texts)
	return svgText{}
}

// checkTitleClear fails if the title's glyphs (about 0.9 of the font size
// above the baseline) come within 4 pt of the top edge.
func checkTitleClear(t *testing.T, texts []svgText, title string) {
	t.Helper()
	tt := findText(t, texts, title)
	if top := tt.fromTop - 0.9*tt.size; top < 4 {
		t.Errorf("title %q starts %.1f pt below the top edge; want at least 4", title, top)
	}
}

// tickLabels returns the texts of size 10, gonum's tick label size.
func tickLabels(texts []svgText) []string {
	var out []string
	for _, x := range texts {
		if x.size == 10 && !x.rotated {
			out = append(out, x.text)
		}
	}
	return out
}

// xTickLabels returns the tick labels of the lowest row: a single
// plot's x axis.
func xTickLabels(texts []svgText) []string {
	low := 0.0
	for _, x := range texts {
		if x.size == 10 && !x.rotated {
			low = max(low, x.fromTop)
		}
	}
	var out []string
	for _, x := range texts {
		if x.size == 10 && !x.rotated && x.fromTop == low {
			out = append(out, x.text)
		}
	}
	return out
}

func decimals(label string) int {
	if _, frac, ok := strings.Cut(label, "."); ok {
		return len(frac)
	}
	return 0
}

func readSVG(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRoundsPlotShortRun: a run shorter than its one window (quickstart:
// 30 min in a 1 h window) gets an x axis that spans exactly the window,
// in minutes, with round ticks and nothing before the run; the title
// stays clear of the top edge.
func TestRoundsPlotShortRun(t *testing.T) {
	c := randomCollector(7, 20, 90) // blocks every 20 s for 30 min
	ws := Windows(c, 0, time.Hour)
	if len(ws) != 1 {
		t.Fatalf("%d windows; want 1", len(ws))
	}
	path := filepath.Join(t.TempDir(), "r.svg")
	if err := PlotRounds(path, "quickstart", ws); err != nil {
		t.Fatal(err)
	}
	texts := svgTextsAt(t, readSVG(t, path))
	checkTitleClear(t, texts, "quickstart")
	findText(t, texts, "time since run start (min); one point per window of 1 h, at its middle")
	ticks := xTickLabels(texts)
	for _, want := range []string{"0", "10", "20", "30", "40", "50", "60"} {
		if !slices.Contains(ticks, want) {
			t.Errorf("x tick %q missing: %q", want, ticks)
		}
	}
	for _, l := range ticks {
		if strings.HasPrefix(l, "-") {
			t.Errorf("tick %q before the run start: %q", l, ticks)
		}
		if v, _ := strconv.ParseFloat(l, 64); v > 60 {
			t.Errorf("tick %q beyond the window: %q", l, ticks)
		}
	}
}

// TestPeersPlotLegendTicksUnits: the legend is a row between the title
// and the panels, not inside a panel; every tick label is a whole number
// when the axes hold counts and whole hours (no "2.50" beside "0"); each
// y axis names its unit; the title stays clear of the top edge.
func TestPeersPlotLegendTicksUnits(t *testing.T) {
	metrics := []string{"known", "duplex", "churn", "other"}
	s, err := NewPeerSeries([]string{"relay", "bp"}, []int{0, 0, 1}, metrics)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 6*60 + 1 { // one sample a minute for 6 h
		vals := [][]int64{{150, 149, 150}, {int64(k % 6), 1, 0}, {int64(k % 5), 0, 1}, {5, 3, int64(k % 2)}}
		s.Sample(secs(int64(60*k)), vals, []bool{true, true, true})
	}
	path := filepath.Join(t.TempDir(), "p.svg")
	if err := PlotPeers(path, "peers figure", s.Rows()); err != nil {
		t.Fatal(err)
	}
	texts := svgTextsAt(t, readSVG(t, path))
	checkTitleClear(t, texts, "peers figure")
	title := findText(t, texts, "peers figure")
	for _, entry := range []string{"relay", "bp", "min, max"} {
		e := findText(t, texts, entry)
		if e.fromTop <= title.fromTop {
			t.Errorf("legend entry %q above the title", entry)
		}
		for _, m := range metrics {
			if p := findText(t, texts, m); e.fromTop >= p.fromTop {
				t.Errorf("legend entry %q (%.1f pt from the top) is not above panel %q (%.1f pt): it overlaps the panels", entry, e.fromTop, m, p.fromTop)
			}
		}
	}
	for _, l := range tickLabels(texts) {
		if _, err := strconv.Atoi(l); err != nil {
			t.Errorf("tick label %q is not a whole number", l)
		}
	}
	var units []string
	for _, x := range texts {
		if x.rotated {
			units = append(units, x.text)
		}
	}
	if want := []string{"peers", "connections", "events per min", "count"}; !slices.Equal(units, want) {
		t.Errorf("y axis titles %q; want %q", units, want)
	}
}

// TestCDFPlotTicks: a CDF over 0–2.6 s gets a label every 0.5 s (not
// only 0.00 and 2.50), one number format per axis, and a label every 0.2
// on the fraction axis.
func TestCDFPlotTicks(t *testing.T) {
	var us []int64
	for i := range 1000 {
		us = append(us, 40_000+int64(i*i)*26/10) // up to 2.64 s
	}
	path := filepath.Join(t.TempDir(), "c.svg")
	if err := PlotCDFs(path, "ticks", []Series{{Name: "adoption", Points: CDFOf(us), Marks: runMarks}}); err != nil {
		t.Fatal(err)
	}
	texts := svgTextsAt(t, readSVG(t, path))
	checkTitleClear(t, texts, "ticks")
	ticks := tickLabels(texts)
	want := []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}
	if !slices.Equal(ticks, want) {
		t.Errorf("tick labels %q; want %q", ticks, want)
	}
}

// TestCompareCDFStyles: compare-cdf gives each policy an Okabe–Ito colour
// and its own line style, the bound black and dashed, all different; the
// legend sits right of the axes.
func TestCompareCDFStyles(t *testing.T) {
	var cdfs []CompareCDF
	names := []string{"C6R4", "score-20%", "score-40%", "score-margin-20%", "random-10"}
	for i, n := range names {
		cdfs = append(cdfs, CompareCDF{Policy: n, Points: CDFOf([]int64{int64(100_000 * (i + 1)), int64(200_000 * (i + 1)), 900_000})})
	}
	cdfs = append(cdfs, CompareCDF{Policy: "gods-view", Bound: true, Points: CDFOf([]int64{50_000, 90_000})})
	title, series := compareCDFSeries(cdfs)
	seen := make(map[string]bool)
	for i, s := range series {
		col := colourHex(s.Color)
		if i < len(names) && !slices.Contains([]string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00"}, col) {
			t.Errorf("%s: colour %s is not one of the first five Okabe–Ito colours", s.Name, col)
		}
		key := col + " " + fmtLengths(s.dashes)
		if seen[key] {
			t.Errorf("%s: colour and line style %s repeat another policy's", s.Name, key)
		}
		seen[key] = true
	}
	if b := series[len(series)-1]; colourHex(b.Color) != "#000000" || len(b.dashes) == 0 {
		t.Errorf("bound: colour %s, dashes %v; want black and dashed", colourHex(b.Color), b.dashes)
	}
	for i := range names {
		for j := range i {
			if slices.Equal(series[i].dashes, series[j].dashes) {
				t.Errorf("%s and %s share a line style", names[i], names[j])
			}
		}
	}
	path := filepath.Join(t.TempDir(), "c.svg")
	if err := PlotCDFs(path, title, series); err != nil {
		t.Fatal(err)
	}
	texts := svgTextsAt(t, readSVG(t, path))
	checkTitleClear(t, texts, title)
	axisEnd := 0.0
	for _, l := range tickLabels(texts) {
		axisEnd = max(axisEnd, findText(t, texts, l).x)
	}
	for _, n := range append(slices.Clone(names), "gods-view (bound)") {
		if e := findText(t, texts, n); e.x <= axisEnd {
			t.Errorf("legend entry %q at x = %.1f pt, inside the axes (last tick label at %.1f pt)", n, e.x, axisEnd)
		}
	}
}

func colourHex(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	return "#" + strings.ToUpper(hex2(r>>8)+hex2(g>>8)+hex2(b>>8))
}

func hex2(v uint32) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 2-len(s)) + s
}

func fmtLengths[T ~float64](ls []T) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, strconv.FormatFloat(float64(l), 'g', -1, 64))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// TestCompareRoundsPanels: compare-rounds has a panel per percentile
// (its y axis titled with it), a legend entry per policy (not per policy
// and percentile), and a slow outlier window does not flatten the others:
// the axis is logarithmic with several labels in the policies' range.
func TestCompareRoundsPanels(t *testing.T) {
	var rows []CompareRound
	for i, pol := range []string{"C6R4", "score-20%", "score-40%"} {
		for k := range 8 {
			r := CompareRound{Policy: pol, Round: k + 1, StartS: 600 + 1000*float64(k), EndS: 1600 + 1000*float64(k), Seeds: 3,
				P50MS: 650 + 10*float64(i), P95MS: 1000 + 30*float64(i), P99MS: 1150 + 50*float64(i)}
			if pol == "score-40%" && k == 6 {
				r.P99MS = 4200
			}
			rows = append(rows, r)
		}
	}
	for k := range 8 {
		rows = append(rows, CompareRound{Policy: "gods-view", Bound: true, Round: k + 1, StartS: 600 + 1000*float64(k), EndS: 1600 + 1000*float64(k), Seeds: 3, P50MS: 430, P95MS: 680, P99MS: 780})
	}
	path := filepath.Join(t.TempDir(), "r.svg")
	if err := plotCompareRounds(path, rows); err != nil {
		t.Fatal(err)
	}
	svg := readSVG(t, path)
	texts := svgTextsAt(t, svg)
	checkTitleClear(t, texts, "Adoption time per window, mean over seeds (log scale; bound black, dashed)")
	var axes []string
	for _, x := range texts {
		if x.rotated {
			axes = append(axes, x.text)
		}
	}
	if want := []string{"p50 adoption time (s)", "p95 adoption time (s)", "p99 adoption time (s)"}; !slices.Equal(axes, want) {
		t.Errorf("y axis titles %q; want %q", axes, want)
	}
	for _, n := range []string{"C6R4", "score-20%", "score-40%", "gods-view (bound)"} {
		findText(t, texts, n)
	}
	for _, x := range texts {
		if strings.HasSuffix(x.text, " p50") || strings.HasSuffix(x.text, " p99") {
			t.Errorf("legend entry %q: want one entry per policy", x.text)
		}
	}
	// The p99 panel, with a 4.2 s outlier: a log scale, with labels at
	// 1.0 and 1.5 s where the other values are.
	lines := []roundLine{{xys: plotter.XYs{{X: 1, Y: 1.15}, {X: 2, Y: 1.25}, {X: 3, Y: 4.2}}}, {xys: plotter.XYs{{X: 1, Y: 0.78}}}}
	p := plot.New()
	drawn := secondsAxis(p, lines, true, linearTicks{n: 4})
	if _, ok := p.Y.Tick.Marker.(log10Ticks); !ok || drawn[0].xys[2].Y != math.Log10(4.2) {
		t.Fatalf("ticker %T, 4.2 s drawn at %v; want log10Ticks and log10(4.2)", p.Y.Tick.Marker, drawn[0].xys[2].Y)
	}
	if lines[0].xys[2].Y != 4.2 {
		t.Error("secondsAxis changed its argument's points")
	}
	var labels []string
	for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
			if math.Abs(tk.Value-math.Log10(mustFloat(t, tk.Label))) > 1e-12 {
				t.Errorf("label %q at %v; want at log10 of it", tk.Label, tk.Value)
			}
		}
	}
	if want := []string{"1.0", "1.5", "2.0", "3.0"}; !slices.Equal(labels, want) {
		t.Errorf("p99 labels %q; want %q", labels, want)
	}
	// Without positive values, a linear axis from 0.
	p = plot.New()
	secondsAxis(p, []roundLine{{xys: plotter.XYs{{X: 1, Y: 0}, {X: 2, Y: 0.3}}}}, true, linearTicks{n: 4})
	if _, ok := p.Y.Tick.Marker.(linearTicks); !ok || p.Y.Min != 0 || p.Y.Max != 0.3 {
		t.Errorf("with a 0: ticker %T [%v, %v]; want linearTicks [0, 0.3]", p.Y.Tick.Marker, p.Y.Min, p.Y.Max)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRoundsPlotFarTail: one window with a far tail (a fault phase: p99
// 176 s beside p50 0.5 s) puts the rounds plot on a log scale, so the
// other percentiles stay apart, and the gonum title placement bug of log
// axes does not squeeze the axes: the top tick label is near the top.
func TestRoundsPlotFarTail(t *testing.T) {
	rows := []RoundRow{
		{Round: 1, StartS: 0, EndS: 3600, Blocks: 180, Stats: Stats{Reached: 1000, P50: 500_000, P90: 800_000, P95: 900_000, P99: 1_100_000, Max: 2_000_000}},
		{Round: 2, StartS: 3600, EndS: 7200, Blocks: 180, Stats: Stats{Reached: 1000, P50: 520_000, P90: 850_000, P95: 950_000, P99: 176_000_000, Max: 300_000_000}},
	}
	path := filepath.Join(t.TempDir(), "r.svg")
	if err := plotRoundRows(path, "faults", rows); err != nil {
		t.Fatal(err)
	}
	texts := svgTextsAt(t, readSVG(t, path))
	findText(t, texts, "1")
	top := findText(t, texts, "100")
	if title := findText(t, texts, "faults"); top.fromTop-title.fromTop > 60 {
		t.Errorf("tick 100 is %.0f pt below the title; want the axes right under it", top.fromTop-title.fromTop)
	}
	for _, x := range texts {
		if x.rotated && x.text != "adoption time since slot start (s), log scale" {
			t.Errorf("y axis title %q", x.text)
		}
	}
}

func TestLinearTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		t      linearTicks
		want   []string
	}{
		{0, 2.7, linearTicks{n: 10}, []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5"}},
		{0, 1, linearTicks{n: 5}, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{0, 150, linearTicks{n: 4, integer: true}, []string{"0", "50", "100", "150"}},
		{0, 5, linearTicks{n: 4, integer: true}, []string{"0", "2", "4"}},
		{0, 1, linearTicks{n: 4, integer: true}, []string{"0", "1"}},
		{0.167, 8.22, linearTicks{n: 10}, []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		{5, 45, linearTicks{n: 10}, []string{"5", "10", "15", "20", "25", "30", "35", "40", "45"}},
		{-0.03, 0.031, linearTicks{n: 4}, []string{"-0.02", "0.00", "0.02"}},
		{0, 1e300, linearTicks{n: 4}, []string{"0", "5e+299", "1e+300"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range tt.t.Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v.Ticks(%v, %v) = %q; want %q", tt.t, tt.lo, tt.hi, got, tt.want)
		}
	}
	for _, tt := range []struct {
		t      linearTicks
		hi, to float64
	}{
		{linearTicks{n: 4, integer: true}, 0, 1},
		{linearTicks{n: 4, integer: true}, 6, 6},
		{linearTicks{n: 4, integer: true}, 151, 200},
		{linearTicks{n: 6}, 1.99, 2},
		{linearTicks{n: 6}, 0.97, 1},
	} {
		if got := tt.t.niceTop(tt.hi); got != tt.to {
			t.Errorf("%+v.niceTop(%v) = %v; want %v", tt.t, tt.hi, got, tt.to)
		}
	}
}

// TestTicksProperties: over random ranges, the tickers (n ≥ 5) label at
// least two values inside the range, in one number format (whole numbers for
// counts), in ascending order, and the minor ticks fall inside the range
// and off the labels.
func TestTicksProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lo := rapid.Float64Range(-1e6, 1e6).Draw(t, "lo")
		hi := lo + math.Pow(10, rapid.Float64Range(-3, 6).Draw(t, "log10Span"))
		if hi <= lo {
			t.Skip("span below the float resolution")
		}
		var ticks []plot.Tick
		integer := rapid.Bool().Draw(t, "integer")
		n := rapid.IntRange(5, 12).Draw(t, "n")
		if !integer && lo > 0 && rapid.Bool().Draw(t, "log") {
			ticks = logTicks{max: n}.Ticks(lo, hi)
		} else {
			ticks = linearTicks{n: n, integer: integer}.Ticks(lo, hi)
		}
		var labels []plot.Tick
		for _, tk := range ticks {
			if tol := 1e-6 * (hi - lo); tk.Value < lo-tol || tk.Value > hi+tol {
				t.Fatalf("tick %v outside [%v, %v]", tk, lo, hi)
			}
			if tk.Label != "" {
				labels = append(labels, tk)
			}
		}
		if len(labels) < 2 && !(integer && hi-lo < 2) {
			t.Fatalf("labels %v of [%v, %v]; want at least 2", labels, lo, hi)
		}
		for i, l := range labels {
			if decimals(l.Label) != decimals(labels[0].Label) {
				t.Fatalf("labels %v: mixed formats", labels)
			}
			if integer && decimals(l.Label) != 0 {
				t.Fatalf("integer labels %v", labels)
			}
			if i > 0 && l.Value <= labels[i-1].Value {
				t.Fatalf("labels %v not ascending", labels)
			}
		}
	})
}
