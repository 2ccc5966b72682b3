package results

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/internal/input"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Panel grid of the peers figure: small multiples, one per metric, four
// to a row, each big enough to read the lines of a few classes.
const (
	peerCols        = 4
	peerPanelWidth  = 3.2 * vg.Inch
	peerPanelHeight = 2.3 * vg.Inch
	peerTitleHeight = 0.45 * vg.Inch
)

// peerDashes marks the min and max lines.
var peerDashes = []vg.Length{vg.Points(3), vg.Points(2)}

// PlotPeers draws rows (as ReadPeersCSV or PeerSeries.Rows return them) as
// one figure and writes it atomically to path, as PNG or SVG by the
// extension (.png or .svg). The figure is a grid of panels, one per metric
// in order of first appearance, four to a row. In each panel x is the
// sample time, in hours, or in minutes when the last sample is before 2 h;
// y is the count; each class (colours in order of first appearance) has
// its mean as a solid line and its min and max as thin dashed lines. The
// first panel carries the legend. Rows that WritePeersCSV would reject are
// an error. The bytes depend only on the arguments.
func PlotPeers(path, title string, rows []PeerRow) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	for i, r := range rows {
		if err := checkPeerRow(r); err != nil {
			return fmt.Errorf("results: plot %s: peers row %d: %v", path, i, err)
		}
	}
	var c vg.CanvasWriterTo
	plots, cols := peerPanels(rows)
	w := vg.Length(cols) * peerPanelWidth
	h := vg.Length(len(plots))*peerPanelHeight + peerTitleHeight
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	case "svg":
		c = vgsvg.New(w, h)
	default:
		return fmt.Errorf("results: plot %s: unknown extension %q; want .png or .svg", path, filepath.Ext(path))
	}
	drawPeerFigure(draw.New(c), title, plots)
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := c.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// peerPanels builds the panel grid (rows of plots; trailing cells of the
// last row are nil) and returns it with the column count.
func peerPanels(rows []PeerRow) ([][]*plot.Plot, int) {
	classes, metrics := firstSeen(rows, func(r PeerRow) string { return r.Class }), firstSeen(rows, func(r PeerRow) string { return r.Metric })
	if len(metrics) == 0 {
		p := plot.New()
		p.Title.Text = "no samples"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return [][]*plot.Plot{{p}}, 1
	}
	last := 0.0
	for _, r := range rows {
		last = max(last, r.TimeS)
	}
	unit, div := "h", 3600.0
	if last < 2*3600 {
		unit, div = "min", 60.0
	}
	// lines[m][c] holds the min, mean and max points of class c, metric m.
	type lines struct{ lo, mean, hi plotter.XYs }
	ls := make([][]lines, len(metrics))
	for m := range ls {
		ls[m] = make([]lines, len(classes))
	}
	ci, mi := indexOf(classes), indexOf(metrics)
	for _, r := range rows {
		l := &ls[mi[r.Metric]][ci[r.Class]]
		x := r.TimeS / div
		l.lo = append(l.lo, plotter.XY{X: x, Y: float64(r.Min)})
		l.mean = append(l.mean, plotter.XY{X: x, Y: r.Mean})
		l.hi = append(l.hi, plotter.XY{X: x, Y: float64(r.Max)})
	}
	cols := min(peerCols, len(metrics))
	grid := make([][]*plot.Plot, (len(metrics)+cols-1)/cols)
	for j := range grid {
		grid[j] = make([]*plot.Plot, cols)
	}
	for m, name := range metrics {
		p := plot.New()
		p.Title.Text = name
		p.X.Label.Text = "time (" + unit + ")"
		p.Y.Min = 0 // counts: keep zero in view so panels compare
		p.Add(plotter.NewGrid())
		for c, l := range ls[m] {
			if len(l.mean) == 0 {
				continue
			}
			col := plotutil.Color(c)
			mean := peerLine(l.mean, col, 1.5, nil)
			p.Add(mean, peerLine(l.lo, col, 0.75, peerDashes), peerLine(l.hi, col, 0.75, peerDashes))
			if m == 0 {
				p.Legend.Add(classes[c], mean)
			}
		}
		if m == 0 {
			p.Legend.Add("min, max", peerLine(nil, color.Gray{Y: 0x60}, 0.75, peerDashes))
			p.Legend.Top, p.Legend.Left = true, true
			p.Legend.TextStyle.Font.Size = vg.Points(8)
		}
		grid[m/cols][m%cols] = p
	}
	return grid, cols
}

func peerLine(xys plotter.XYs, col color.Color, widthPt float64, dashes []vg.Length) *plotter.Line {
	l := &plotter.Line{XYs: xys}
	l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(widthPt), Dashes: dashes}
	return l
}

// drawPeerFigure draws the title across the top and the aligned panels
// below it.
func drawPeerFigure(dc draw.Canvas, title string, grid [][]*plot.Plot) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(14)
	sty.XAlign, sty.YAlign = text.XCenter, text.YTop
	dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(8)}, title)
	tiles := draw.Tiles{
		Rows: len(grid), Cols: len(grid[0]),
		PadTop: peerTitleHeight, PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12),
		PadX: vg.Points(18), PadY: vg.Points(12),
	}
	canvases := plot.Align(grid, tiles, dc)
	for j, row := range grid {
		for i, p := range row {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
}

// firstSeen lists the distinct keys of rows in order of first appearance.
func firstSeen(rows []PeerRow, key func(PeerRow) string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, r := range rows {
		if k := key(r); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func indexOf(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// plotPeersRun draws a run's peers.png and peers.svg. WritePeers and
// PlotPeersDir share it, so a redraw reproduces the run's images.
func plotPeersRun(dir, scenario string, rows []PeerRow) error {
	title := "Peer metrics per node: mean (solid), min and max (dashed)"
	if scenario != "" {
		title += ": " + scenario
	}
	for _, name := range []string{PeersPNGFile, PeersSVGFile} {
		if err := PlotPeers(filepath.Join(dir, name), title, rows); err != nil {
			return err
		}
	}
	return nil
}

// PlotPeersDir redraws peers.png and peers.svg in a run folder from its
// peers.csv, with the scenario name from meta.json in the title (none if
// meta.json is absent). `dpsim plot DIR` calls it when peers.csv exists. A
// missing or malformed peers.csv, or a malformed meta.json, is an error
// naming the file (and line, field and value).
func PlotPeersDir(dir string) error {
	path := filepath.Join(dir, PeersFile)
	f, err := input.Open(path, MaxReadBytes)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	rows, err := ReadPeersCSV(f, path)
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	scenario, err := readScenarioName(filepath.Join(dir, MetaFile))
	if err != nil {
		return err
	}
	return plotPeersRun(dir, scenario, rows)
}
