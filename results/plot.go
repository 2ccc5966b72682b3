package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one CDF curve of a plot.
type Series struct {
	Name   string     // legend entry
	Points []CDFPoint // ascending US, as CDF, CDFOf or ReadCDF return
	Dashed bool       // e.g. a lower bound drawn under measured curves
	// Marks lists percentiles (1..100) to mark on the curve, each with a
	// glyph where the curve reaches it and a legend entry with its value.
	Marks []int64
	// Color is the curve's colour; nil gives the series at index i the
	// i-th colour of the Okabe–Ito palette.
	Color color.Color
	// none is the legend note of a series without points; "" means
	// "no adoptions".
	none string
	// dashes, when set, is the curve's line style (Dashed is then
	// ignored): the comparison plot gives each policy its own.
	dashes []vg.Length
}

// Plot size: the axes of a CDF plot; the legend column is added on the
// right.
const (
	plotWidth  = 7 * vg.Inch
	plotHeight = 4.5 * vg.Inch
)

// markShapes are filled glyphs, which stay visible on top of the curve.
var markShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}

// runMarks are the percentiles marked on a run's CDF plot.
var runMarks = []int64{50, 95, 99}

// axisLabels are a CDF plot's axis titles.
type axisLabels struct{ x, y string }

// adoptionAxes are the axis titles of PlotCDFs.
var adoptionAxes = axisLabels{
	x: "adoption time since slot start (s)",
	y: "fraction of (block, node) adoptions",
}

// PlotCDFs draws the CDF series overlaid in one plot (x: adoption time since
// slot start in seconds, y: fraction of adoptions), with the legend in a
// column right of the axes, and writes it atomically to path, as PNG or
// SVG by the extension (.png or .svg). The bytes depend only on the
// arguments, so equal inputs give identical files.
func PlotCDFs(path, title string, series []Series) error {
	return plotCDFs(path, title, adoptionAxes, series)
}

// plotCDFs is PlotCDFs with the given axis titles.
func plotCDFs(path, title string, axes axisLabels, series []Series) error {
	if _, err := plotFormat(path); err != nil {
		return err
	}
	p, leg, err := cdfPlot(title, axes, series)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	return plotWithLegend{p: p, legend: leg, axesW: plotWidth, h: plotHeight}.write(path)
}

// cdfTicks are the ticks of a CDF plot: seconds on x, fractions on y
// (labels every 0.2, minor ticks every 0.1).
var (
	cdfXTicks = linearTicks{n: 10}
	cdfYTicks = linearTicks{n: 5}
)

// cdfPlot returns the plot of series and its legend, to be drawn beside
// it.
func cdfPlot(title string, axes axisLabels, series []Series) (*plot.Plot, plot.Legend, error) {
	p := newStyledPlot(title)
	p.X.Label.Text = axes.x
	p.Y.Label.Text = axes.y
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 1
	p.X.Tick.Marker, p.Y.Tick.Marker = cdfXTicks, cdfYTicks
	p.Add(plotter.NewGrid())
	leg := newLegend()
	plotted := false
	for i, s := range series {
		col := s.Color
		if col == nil {
			col = categoryColor(i)
		}
		if len(s.Points) == 0 {
			none := s.none
			if none == "" {
				none = "no adoptions"
			}
			leg.Add(s.Name + " (" + none + ")")
			continue
		}
		plotted = true
		xys := make(plotter.XYs, 0, len(s.Points)+1)
		xys = append(xys, plotter.XY{X: seconds(s.Points[0].US), Y: 0})
		for _, pt := range s.Points {
			xys = append(xys, plotter.XY{X: seconds(pt.US), Y: pt.Fraction})
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, leg, fmt.Errorf("series %q: %w", s.Name, err)
		}
		// The empirical CDF is right-continuous: flat until the next
		// sample, then a jump.
		line.StepStyle = plotter.PostStep
		line.LineStyle.Color = col
		line.LineStyle.Width = vg.Points(1.5)
		switch {
		case s.dashes != nil:
			line.LineStyle.Dashes = s.dashes
		case s.Dashed:
			line.LineStyle.Dashes = boundDashes
		}
		p.Add(line)
		leg.Add(s.Name, line)
		for j, m := range s.Marks {
			if err := addMark(p, &leg, s, m, col, markShapes[j%len(markShapes)]); err != nil {
				return nil, leg, err
			}
		}
	}
	if !plotted {
		p.X.Max = 1 // nothing to autoscale on
	}
	clipTail(p, series)
	return p, leg, nil
}

// clipTail cuts the x axis after the curves' p99.9 when a few far
// outliers (a node restarting, a fork switch adopting an old block) would
// otherwise squeeze every curve against the y axis, and says so in the
// axis label.
func clipTail(p *plot.Plot, series []Series) {
	var tail, last int64
	for _, s := range series {
		if n := len(s.Points); n > 0 {
			i := 0
			for i < n-1 && s.Points[i].Fraction < 0.999 {
				i++
			}
			tail, last = max(tail, s.Points[i].US), max(last, s.Points[n-1].US)
		}
	}
	if tail > 0 && last > 2*tail {
		p.X.Max = seconds(tail) * 1.25
		p.X.Label.Text += fmt.Sprintf(" (cut after p99.9; max %.3g s)", seconds(last))
	}
}

// addMark marks percentile m of s where the step curve crosses m/100: at
// the first point whose fraction reaches it, which is the nearest-rank
// percentile when the points come from CDF or CDFOf.
func addMark(p *plot.Plot, leg *plot.Legend, s Series, m int64, col color.Color, shape draw.GlyphDrawer) error {
	if m < 1 || m > 100 {
		return fmt.Errorf("series %q: mark p%d outside 1..100", s.Name, m)
	}
	want := float64(m) / 100
	i := 0
	for i < len(s.Points)-1 && s.Points[i].Fraction < want {
		i++
	}
	x := seconds(s.Points[i].US)
	sc, err := plotter.NewScatter(plotter.XYs{{X: x, Y: want}})
	if err != nil {
		return err
	}
	sc.GlyphStyle.Shape = shape
	sc.GlyphStyle.Radius = vg.Points(4)
	sc.GlyphStyle.Color = col
	p.Add(sc)
	label := "p" + strconv.FormatInt(m, 10) + " = " + strconv.FormatFloat(x, 'f', 3, 64) + " s"
	if s.Name != "" {
		label = s.Name + " " + label
	}
	leg.Add(label, sc)
	return nil
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

// The run plot's curves: one colour each, whichever curves a cdf.csv holds.
var (
	headerColor   = categoryColor(0) // blue
	adoptionColor = categoryColor(1) // vermillion
)

// runAxes are the axis titles of a run's CDF plot, which may show header
// arrival beside adoption; each curve's fractions are of its own samples.
var runAxes = axisLabels{
	x: "time since slot start (s)",
	y: "fraction of (block, node) pairs",
}

// plotRun draws a run's cdf.png and cdf.svg: the header arrival and the
// adoption curves, or for an older cdf.csv without the header curve the
// adoption curve alone, as older builds drew it. WriteCDF and PlotDir share
// it, so re-plotting a folder reproduces the run's own images byte for
// byte.
func plotRun(dir, scenario string, cdf RunCDF) error {
	title, axes := "Header arrival and block adoption time CDF", runAxes
	series := []Series{
		{Name: "header arrival", Points: cdf.Header, Marks: runMarks, Color: headerColor, none: "no header arrivals"},
		{Name: "adoption", Points: cdf.Adoption, Marks: runMarks, Color: adoptionColor},
	}
	if !cdf.HasHeader {
		// An older cdf.csv: its run's own plot, as that build drew it.
		title, axes = "Block adoption time CDF", adoptionAxes
		series = []Series{{Name: "all blocks", Points: cdf.Adoption, Marks: runMarks, Color: adoptionColor}}
	}
	if scenario != "" {
		title += ": " + scenario
	}
	for _, name := range []string{CDFPNGFile, CDFSVGFile} {
		if err := plotCDFs(filepath.Join(dir, name), title, axes, series); err != nil {
			return err
		}
	}
	return nil
}

// PlotDir redraws cdf.png and cdf.svg in a run folder from its cdf.csv, with
// the scenario name from meta.json in the title (no name if meta.json is
// absent): both curves, or the adoption curve alone from an older cdf.csv
// without header arrivals. It backs `dpsim plot DIR`. A missing or malformed cdf.csv, or a
// malformed meta.json, is an error naming the file (and line and value).
func PlotDir(dir string) error {
	cdfPath := filepath.Join(dir, CDFFile)
	f, err := input.Open(cdfPath, MaxReadBytes)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	cdf, err := ReadCDF(f, cdfPath)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	scenario, err := readScenarioName(filepath.Join(dir, MetaFile))
	if err != nil {
		return err
	}
	return plotRun(dir, scenario, cdf)
}

func readScenarioName(path string) (string, error) {
	b, err := input.ReadFile(path, MaxMetaBytes)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	var m struct {
		Scenario string `json:"scenario"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		where := path
		var se *json.SyntaxError
		if errors.As(err, &se) {
			where += ": line " + strconv.Itoa(1+strings.Count(string(b[:se.Offset]), "\n"))
		}
		return "", fmt.Errorf("results: %s: %v; want the JSON object WriteMeta writes, with a string \"scenario\"", where, err)
	}
	return m.Scenario, nil
}
