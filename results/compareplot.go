package results

import (
	"bufio"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The comparison plots are drawn only from the rows of compare-cdf.csv and
// compare-rounds.csv, whether WriteCompare has them in memory or
// PlotCompareDir reads them back, so a redraw is byte-identical.

const (
	compareCDFHeader    = "policy,bound,adoption_ms,fraction"
	compareRoundsHeader = "policy,bound,round,start_s,end_s,seeds,p50_ms,p95_ms,p99_ms"
)

// CompareCDF is one policy's curve in compare-cdf.csv: the CDF of adoption
// time over all its seeds' adoptions.
type CompareCDF struct {
	Policy string
	Bound  bool
	Points []CDFPoint
}

// CompareRound is one line of compare-rounds.csv: round Round (1-based) of
// Policy spans [StartS, EndS) seconds of virtual time; P50MS, P95MS and
// P99MS are the means, over the Seeds seeds with adoptions in that window,
// of the window's nearest-rank percentiles in milliseconds.
type CompareRound struct {
	Policy              string
	Bound               bool
	Round               int
	StartS, EndS        float64
	Seeds               int
	P50MS, P95MS, P99MS float64
}

// cdfCurves lists each policy's pooled CDF, in policy order.
func (c *Comparison) cdfCurves() []CompareCDF {
	out := make([]CompareCDF, len(c.Policies))
	for i, p := range c.Policies {
		out[i] = CompareCDF{Policy: p.Policy, Bound: p.Bound, Points: p.CDF}
	}
	return out
}

// roundRows lists every policy's windows, policy by policy.
func (c *Comparison) roundRows() []CompareRound {
	var out []CompareRound
	for _, p := range c.Policies {
		for _, r := range p.Rounds {
			out = append(out, CompareRound{Policy: p.Policy, Bound: p.Bound, Round: r.Index + 1,
				StartS: r.Start.Seconds(), EndS: r.End.Seconds(), Seeds: r.Seeds,
				P50MS: r.P50US / 1000, P95MS: r.P95US / 1000, P99MS: r.P99US / 1000})
		}
	}
	return out
}

func writeCompareCDF(w io.Writer, cdfs []CompareCDF) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(compareCDFHeader + "\n")
	for _, c := range cdfs {
		prefix := c.Policy + "," + strconv.FormatBool(c.Bound) + ","
		for _, p := range c.Points {
			bw.WriteString(prefix + FormatMS(p.US) + "," + formatF(p.Fraction) + "\n")
		}
	}
	return bw.Flush()
}

func writeCompareRounds(w io.Writer, rows []CompareRound) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(compareRoundsHeader + "\n")
	for _, r := range rows {
		bw.WriteString(r.Policy + "," + strconv.FormatBool(r.Bound) + "," + strconv.Itoa(r.Round) + "," +
			formatF(r.StartS) + "," + formatF(r.EndS) + "," + strconv.Itoa(r.Seeds) + "," +
			formatF(r.P50MS) + "," + formatF(r.P95MS) + "," + formatF(r.P99MS) + "\n")
	}
	return bw.Flush()
}

// csvLines reads a header-first CSV strictly: it checks the header, splits
// each further line into exactly len(fields of header) fields and hands
// them to row with the line number. Errors name the file and line.
func csvLines(r io.Reader, name, header string, row func(line int, f []string) error) error {
	want := strings.Count(header, ",") + 1
	fields := make([]string, want+1) // one spare to detect extra fields
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if text != header {
				return fmt.Errorf("%s:1: header %q; want %q", name, clip(text), header)
			}
			continue
		}
		if n := splitFields(text, fields); n != want {
			return fmt.Errorf("%s:%d: %q has %d fields; want %d (%s)", name, line, clip(text), strings.Count(text, ",")+1, want, header)
		}
		if err := row(line, fields[:want]); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return fmt.Errorf("%s: empty file; want the header %q", name, header)
	}
	return nil
}

// policyRuns checks that each policy's rows are contiguous and carry one
// bound flag; next reports whether a row starts a new policy.
type policyRuns struct {
	seen  map[string]bool
	cur   string
	bound bool
}

func (p *policyRuns) next(policy string, bound bool) (first bool, err error) {
	if err := checkPolicyName(policy); err != nil {
		return false, fieldErr("policy", policy, "a policy name without commas, double quotes, '|' or control characters")
	}
	if p.seen == nil {
		p.seen = make(map[string]bool)
	}
	if len(p.seen) > 0 && policy == p.cur {
		if bound != p.bound {
			return false, fieldErr("bound", strconv.FormatBool(bound), "the policy's earlier value "+strconv.FormatBool(p.bound))
		}
		return false, nil
	}
	if p.seen[policy] {
		return false, fieldErr("policy", policy, "each policy's rows together; it appeared before another policy's rows")
	}
	p.seen[policy], p.cur, p.bound = true, policy, bound
	return true, nil
}

// fieldError is a bad field, placed by the reader in its file and line.
type fieldError struct{ field, value, want string }

func (e *fieldError) Error() string {
	return fmt.Sprintf("field %s: bad value %q; want %s", e.field, clip(e.value), e.want)
}

func fieldErr(field, value, want string) error { return &fieldError{field, value, want} }

func parseBoundField(s string) (bool, error) {
	switch s {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fieldErr("bound", s, "true or false")
}

// parseNonNeg parses a finite float ≥ 0.
func parseNonNeg(field, s, unit string) (float64, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		return 0, fieldErr(field, s, "a finite number of "+unit+" ≥ 0")
	}
	return x, nil
}

// ReadCompareCDF reads compare-cdf.csv (header
// "policy,bound,adoption_ms,fraction"): each policy's rows together, with
// one bound flag (true or false), adoption_ms in exact ms (at most three
// decimals) and fraction in (0, 1], both strictly increasing within the
// policy. name is used in errors, which give the line, field, bad value and
// what is accepted. A file with only the header gives no curves.
func ReadCompareCDF(r io.Reader, name string) ([]CompareCDF, error) {
	var out []CompareCDF
	var pol policyRuns
	err := csvLines(r, name, compareCDFHeader, func(line int, f []string) error {
		err := func() error {
			bound, err := parseBoundField(f[1])
			if err != nil {
				return err
			}
			first, err := pol.next(f[0], bound)
			if err != nil {
				return err
			}
			us, err := parseMS(f[2])
			if err != nil {
				return fieldErr("adoption_ms", f[2], "a number of milliseconds ≥ 0 with at most 3 decimals")
			}
			frac, err := strconv.ParseFloat(f[3], 64)
			if err != nil || math.IsNaN(frac) || frac <= 0 || frac > 1 {
				return fieldErr("fraction", f[3], "a number in (0, 1]")
			}
			if first {
				out = append(out, CompareCDF{Policy: f[0], Bound: bound})
			}
			c := &out[len(out)-1]
			if n := len(c.Points); n > 0 {
				prev := c.Points[n-1]
				if us <= prev.US {
					return fieldErr("adoption_ms", f[2], "a time above the policy's previous "+FormatMS(prev.US))
				}
				if frac <= prev.Fraction {
					return fieldErr("fraction", f[3], "a fraction above the policy's previous "+formatF(prev.Fraction))
				}
			}
			c.Points = append(c.Points, CDFPoint{US: us, Fraction: frac})
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadCompareRounds reads compare-rounds.csv (header
// "policy,bound,round,start_s,end_s,seeds,p50_ms,p95_ms,p99_ms"): each
// policy's rows together with one bound flag, round an integer ≥ 1
// strictly increasing within the policy, start_s < end_s finite seconds
// ≥ 0, seeds an integer ≥ 1 and the percentiles finite ms ≥ 0. name is
// used in errors, which give the line, field, bad value and what is
// accepted. A file with only the header gives no rows.
func ReadCompareRounds(r io.Reader, name string) ([]CompareRound, error) {
	var out []CompareRound
	var pol policyRuns
	err := csvLines(r, name, compareRoundsHeader, func(line int, f []string) error {
		err := func() error {
			var row CompareRound
			var err error
			row.Policy = f[0]
			if row.Bound, err = parseBoundField(f[1]); err != nil {
				return err
			}
			first, err := pol.next(row.Policy, row.Bound)
			if err != nil {
				return err
			}
			if row.Round, err = strconv.Atoi(f[2]); err != nil || row.Round < 1 {
				return fieldErr("round", f[2], "an integer ≥ 1")
			}
			if !first && row.Round <= out[len(out)-1].Round {
				return fieldErr("round", f[2], "a round above the policy's previous "+strconv.Itoa(out[len(out)-1].Round))
			}
			if row.StartS, err = parseNonNeg("start_s", f[3], "seconds"); err != nil {
				return err
			}
			if row.EndS, err = parseNonNeg("end_s", f[4], "seconds"); err != nil {
				return err
			}
			if row.EndS <= row.StartS {
				return fieldErr("end_s", f[4], "a time above start_s "+f[3])
			}
			if row.Seeds, err = strconv.Atoi(f[5]); err != nil || row.Seeds < 1 {
				return fieldErr("seeds", f[5], "an integer ≥ 1")
			}
			for i, dst := range [...]*float64{&row.P50MS, &row.P95MS, &row.P99MS} {
				field := [...]string{"p50_ms", "p95_ms", "p99_ms"}[i]
				if *dst, err = parseNonNeg(field, f[6+i], "milliseconds"); err != nil {
					return err
				}
			}
			out = append(out, row)
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// legendName marks the bound in legends.
func legendName(policy string, bound bool) string {
	if bound {
		return policy + " (bound)"
	}
	return policy
}

// lineStyle is how one policy is drawn in both comparison plots.
type lineStyle struct {
	color  color.Color
	dashes []vg.Length
	shape  draw.GlyphDrawer
}

// policyStyles gives each policy, in order, its colour, line style and
// glyph: the policies in the Okabe–Ito colours and the line styles in
// turn, bounds in black and dashed. Both comparison plots use it, so a
// policy looks the same in each.
func policyStyles(bounds []bool) []lineStyle {
	out := make([]lineStyle, len(bounds))
	k := 0
	for i, b := range bounds {
		if b {
			out[i] = lineStyle{color: boundColor, dashes: boundDashes, shape: draw.RingGlyph{}}
			continue
		}
		out[i] = lineStyle{color: categoryColor(k), dashes: categoryDashes(k), shape: categoryShape(k)}
		k++
	}
	return out
}

// plotCompare draws compare-cdf.png and compare-rounds.png into dir.
func plotCompare(dir string, cdfs []CompareCDF, rounds []CompareRound) error {
	title, series := compareCDFSeries(cdfs)
	if err := PlotCDFs(filepath.Join(dir, CompareCDFPNGFile), title, series); err != nil {
		return err
	}
	return plotCompareRounds(filepath.Join(dir, CompareRoundsPNGFile), rounds)
}

// compareCDFSeries returns the title and curves of compare-cdf.png: one
// per policy in its policyStyles colour and line style. A few late
// adoptions (a block that waited for a calibration) would stretch the x
// axis over seconds of flat lines: the curves are cut at 1.25 × the
// largest 99.9th percentile, and the title says so.
func compareCDFSeries(cdfs []CompareCDF) (string, []Series) {
	var cut int64
	for _, c := range cdfs {
		for _, pt := range c.Points {
			if pt.Fraction >= 0.999 {
				cut = max(cut, pt.US)
				break
			}
		}
	}
	cut += cut / 4
	bounds := make([]bool, len(cdfs))
	for i, c := range cdfs {
		bounds[i] = c.Bound
	}
	styles := policyStyles(bounds)
	series := make([]Series, len(cdfs))
	clipped := false
	for i, c := range cdfs {
		pts := c.Points
		if k := slices.IndexFunc(pts, func(p CDFPoint) bool { return p.US > cut }); k > 0 {
			pts = append(slices.Clip(pts[:k]), CDFPoint{US: cut, Fraction: pts[k-1].Fraction})
			clipped = true
		}
		series[i] = Series{Name: legendName(c.Policy, c.Bound), Points: pts, Color: styles[i].color, dashes: styles[i].dashes}
	}
	title := "Adoption time CDF per policy (seeds pooled; bound black, dashed)"
	if clipped {
		title = "Adoption time CDF per policy (seeds pooled; bound black, dashed; x cut at 1.25 × the largest p99.9)"
	}
	return title, series
}

// Size of compare-rounds.png: one panel per percentile, stacked, sharing
// the time axis.
const (
	comparePanelHeight = 2.4 * vg.Inch
	compareBottomPad   = 4 // points
)

// comparePercentiles are the panels of compare-rounds.png, top to bottom.
var comparePercentiles = []struct {
	name string
	of   func(CompareRound) float64 // seconds
}{
	{"p50", func(r CompareRound) float64 { return r.P50MS / 1000 }},
	{"p95", func(r CompareRound) float64 { return r.P95MS / 1000 }},
	{"p99", func(r CompareRound) float64 { return r.P99MS / 1000 }},
}

// plotCompareRounds draws compare-rounds.png: a panel per percentile
// (p50, p95, p99), each with a line per policy through the window means,
// on a logarithmic seconds axis fitted to that panel's values (linear
// from 0 if one is 0), so that one slow window of one policy does not
// flatten the others; the legend, one entry per policy, is beside the
// panels.
func plotCompareRounds(path string, rounds []CompareRound) error {
	if _, err := plotFormat(path); err != nil {
		return err
	}
	// Policies in order of first appearance.
	var names []string
	var bounds []bool
	index := make(map[string]int)
	for _, r := range rounds {
		if _, ok := index[r.Policy]; !ok {
			index[r.Policy] = len(names)
			names = append(names, legendName(r.Policy, r.Bound))
			bounds = append(bounds, r.Bound)
		}
	}
	styles := policyStyles(bounds)
	var ax windowAxis
	if len(rounds) > 0 {
		first, last := rounds[0].StartS, rounds[0].EndS
		for _, r := range rounds {
			first, last = min(first, r.StartS), max(last, r.EndS)
		}
		ax = newWindowAxis(first, last, rounds[0].EndS-rounds[0].StartS)
	} else {
		ax = newWindowAxis(0, 0, 0)
	}
	leg := newLegend()
	panels := make([][]*plot.Plot, len(comparePercentiles))
	for k, pc := range comparePercentiles {
		lines := make([]roundLine, len(names))
		for i, n := range names {
			lines[i] = roundLine{name: n, color: styles[i].color, dashes: styles[i].dashes, shape: styles[i].shape}
		}
		for _, r := range rounds {
			i := index[r.Policy]
			lines[i].xys = append(lines[i].xys, plotter.XY{X: ax.x(r.StartS, r.EndS), Y: pc.of(r)})
		}
		p := newStyledPlot("")
		p.Y.Label.Text = pc.name + " adoption time (s)"
		p.Add(plotter.NewGrid())
		var l *plot.Legend
		if k == 0 {
			l = &leg
		}
		lo, _ := rangeY(lines)
		lines = secondsAxis(p, lines, lo > 0, linearTicks{n: 4})
		if _, err := addRoundLines(p, l, lines); err != nil {
			return fmt.Errorf("results: plot %s: %w", path, err)
		}
		ax.apply(p, k == len(comparePercentiles)-1)
		panels[k] = []*plot.Plot{p}
	}
	return writePanels(path, "Adoption time per window, mean over seeds (log scale; bound black, dashed)", panels, leg)
}

// writePanels writes a figure of panels stacked in one column, sharing
// their x axis, under title, with the legend in a column on the right.
func writePanels(path, title string, panels [][]*plot.Plot, leg plot.Legend) error {
	axesW := plotWidth
	w := axesW + vg.Points(legendGap) + legendWidth(leg) + vg.Points(8)
	h := vg.Length(len(panels))*comparePanelHeight + vg.Points(40)
	return writeFigure(path, w, h, func(dc draw.Canvas) error {
		top := drawFigureTitle(draw.Crop(dc, 0, -(w-axesW), 0, 0), title, 12)
		tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: top, PadBottom: vg.Points(compareBottomPad), PadY: vg.Points(10)}
		canvases := plot.Align(panels, tiles, draw.Crop(dc, 0, -(w-axesW), 0, 0))
		for k, row := range panels {
			row[0].Draw(canvases[k][0])
		}
		leg.Draw(draw.Crop(dc, axesW+vg.Points(legendGap), 0, 0, -top))
		return nil
	})
}

// secondsAxis sets p's y axis for lines, whose values are seconds, and
// returns the lines to draw. With log (which needs every value > 0) the
// axis is logarithmic, from a little below the smallest value to a little
// above the largest: the lines are drawn as the log10 of their values on a
// linear axis whose ticks (log10Ticks) are labelled in seconds, because
// gonum centres a log axis's title at the arithmetic middle of its range,
// which pushes the axes down. Otherwise it is linear from 0 to the first
// tick of t at or above the largest value.
func secondsAxis(p *plot.Plot, lines []roundLine, log bool, t linearTicks) []roundLine {
	lo, hi := rangeY(lines)
	if !log || !(lo > 0) {
		p.Y.Min, p.Y.Max = 0, t.niceTop(hi)
		p.Y.Tick.Marker = t
		return lines
	}
	out := make([]roundLine, len(lines))
	for i, l := range lines {
		out[i] = l
		out[i].xys = make(plotter.XYs, len(l.xys))
		for j, xy := range l.xys {
			out[i].xys[j] = plotter.XY{X: xy.X, Y: math.Log10(xy.Y)}
		}
	}
	p.Y.Min, p.Y.Max = math.Log10(lo/1.08), math.Log10(hi*1.08)
	p.Y.Tick.Marker = log10Ticks{max: 7}
	return out
}

// PlotCompareDir redraws compare-cdf.png and compare-rounds.png in a
// comparison folder from its compare-cdf.csv and compare-rounds.csv,
// byte-identical to WriteCompare's. A missing or malformed file, or two
// files that list different policies, is an error naming the file (and
// line, field and value).
func PlotCompareDir(dir string) error {
	cdfPath, roundsPath := filepath.Join(dir, CompareCDFFile), filepath.Join(dir, CompareRoundsFile)
	var cdfs []CompareCDF
	var rounds []CompareRound
	err := readFile(cdfPath, func(r io.Reader) (err error) { cdfs, err = ReadCompareCDF(r, cdfPath); return err })
	if err == nil {
		err = readFile(roundsPath, func(r io.Reader) (err error) { rounds, err = ReadCompareRounds(r, roundsPath); return err })
	}
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	var inRounds []string
	for i, r := range rounds {
		if i == 0 || r.Policy != rounds[i-1].Policy {
			inRounds = append(inRounds, legendName(r.Policy, r.Bound))
		}
	}
	inCDF := make([]string, len(cdfs))
	for i, c := range cdfs {
		inCDF[i] = legendName(c.Policy, c.Bound)
	}
	if strings.Join(inCDF, "\n") != strings.Join(inRounds, "\n") {
		return fmt.Errorf("results: %s lists the policies %q but %s lists %q; want the same policies, bound flags and order (files of one comparison)", roundsPath, inRounds, cdfPath, inCDF)
	}
	return plotCompare(dir, cdfs, rounds)
}

func readFile(path string, read func(io.Reader) error) error {
	f, err := input.Open(path, MaxReadBytes)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(f)
}
