package results

import (
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Panel grid of the peers figure: small multiples, one per metric, four
// to a row, each big enough to read the lines of a few classes, under the
// title and a legend row.
const (
	peerCols         = 4
	peerPanelWidth   = 3.2 * vg.Inch
	peerPanelHeight  = 2.3 * vg.Inch
	peerTitleHeight  = 0.45 * vg.Inch
	peerLegendHeight = 0.3 * vg.Inch
)

// peerDashes marks the min and max lines.
var peerDashes = []vg.Length{vg.Points(3), vg.Points(2)}

// peerTicks: whole counts on y, round times on x.
var (
	peerYTicks = linearTicks{n: 4, integer: true}
	peerXTicks = linearTicks{n: 6}
)

// PlotPeers draws rows (as ReadPeersCSV or PeerSeries.Rows return them) as
// one figure and writes it atomically to path, as PNG or SVG by the
// extension (.png or .svg). The figure is a grid of panels, one per metric
// in order of first appearance, four to a row, under the title and a
// legend row. In each panel x is the sample time, in hours, or in minutes
// when the last sample is before 2 h; y is the count, from 0, with whole
// ticks and the metric's unit (peers, connections, or events per sample
// interval); each class (Okabe–Ito colours in order of first appearance)
// has its mean as a solid line and its min and max as thin dashed lines.
// Rows that WritePeersCSV would reject are an error. The bytes depend only
// on the arguments.
func PlotPeers(path, title string, rows []PeerRow) error {
	if _, err := plotFormat(path); err != nil {
		return err
	}
	for i, r := range rows {
		if err := checkPeerRow(r); err != nil {
			return fmt.Errorf("results: plot %s: peers row %d: %v", path, i, err)
		}
	}
	plots, cols, legend := peerPanels(rows)
	w := vg.Length(cols) * peerPanelWidth
	h := vg.Length(len(plots))*peerPanelHeight + peerTitleHeight + peerLegendHeight
	return writeFigure(path, w, h, func(dc draw.Canvas) error {
		drawPeerFigure(dc, title, plots, legend)
		return nil
	})
}

// peerUnit is the y axis title of a metric's panel: what it counts (see
// docs/outputs.md), the events per sample interval for the metrics that
// count events since the previous sample.
func peerUnit(metric, interval string) string {
	switch metric {
	case "known", "established", "active", "known_blp", "established_blp", "active_blp",
		"outbound_warm", "outbound_hot", "inbound_warm", "inbound_hot":
		return "peers"
	case "unidirectional", "duplex":
		return "connections"
	case "promotions", "demotions", "churn", "forgotten":
		return "events per " + interval
	}
	return "count"
}

// sampleInterval writes the smallest gap between sample times of rows as
// "min", "10 min" or "30 s" ("sample" with fewer than two times).
func sampleInterval(rows []PeerRow) string {
	gap := 0.0
	for i := 1; i < len(rows); i++ {
		if d := rows[i].TimeS - rows[i-1].TimeS; d > 0 && (gap == 0 || d < gap) {
			gap = d
		}
	}
	if gap == 0 {
		return "sample"
	}
	t := spanText(gap)
	if rest, ok := strings.CutPrefix(t, "1 "); ok {
		return rest
	}
	return t
}

// peerPanels builds the panel grid (rows of plots; trailing cells of the
// last row are nil) and returns it with the column count and the legend
// entries.
func peerPanels(rows []PeerRow) ([][]*plot.Plot, int, []legendItem) {
	classes, metrics := firstSeen(rows, func(r PeerRow) string { return r.Class }), firstSeen(rows, func(r PeerRow) string { return r.Metric })
	if len(metrics) == 0 {
		p := plot.New()
		p.Title.Text = "no samples"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return [][]*plot.Plot{{p}}, 1, nil
	}
	last := 0.0
	for _, r := range rows {
		last = max(last, r.TimeS)
	}
	unit, div := timeAxis(last)
	interval := sampleInterval(rows)
	// lines[m][c] holds the min, mean and max points of class c, metric m.
	type lines struct{ lo, mean, hi plotter.XYs }
	ls := make([][]lines, len(metrics))
	for m := range ls {
		ls[m] = make([]lines, len(classes))
	}
	ci, mi := indexOf(classes), indexOf(metrics)
	top := make([]float64, len(metrics))
	for _, r := range rows {
		m := mi[r.Metric]
		l := &ls[m][ci[r.Class]]
		x := r.TimeS / div
		l.lo = append(l.lo, plotter.XY{X: x, Y: float64(r.Min)})
		l.mean = append(l.mean, plotter.XY{X: x, Y: r.Mean})
		l.hi = append(l.hi, plotter.XY{X: x, Y: float64(r.Max)})
		top[m] = max(top[m], float64(r.Max))
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
		p.Y.Label.Text = peerUnit(name, interval)
		p.X.Min, p.X.Max = 0, max(last/div, 1e-9)
		p.X.Tick.Marker = peerXTicks
		// Counts: from zero so panels compare, to a whole tick.
		p.Y.Min, p.Y.Max = 0, peerYTicks.niceTop(top[m])
		p.Y.Tick.Marker = peerYTicks
		p.Add(plotter.NewGrid())
		for c, l := range ls[m] {
			if len(l.mean) == 0 {
				continue
			}
			col := categoryColor(c)
			p.Add(peerLine(l.lo, col, 0.75, peerDashes), peerLine(l.hi, col, 0.75, peerDashes), peerLine(l.mean, col, 1.5, nil))
		}
		grid[m/cols][m%cols] = p
	}
	var legend []legendItem
	for c, name := range classes {
		legend = append(legend, legendItem{text: name, thumbs: []plot.Thumbnailer{peerLine(nil, categoryColor(c), 1.5, nil)}})
	}
	legend = append(legend, legendItem{text: "min, max", thumbs: []plot.Thumbnailer{peerLine(nil, color.Gray{Y: 0x60}, 0.75, peerDashes)}})
	return grid, cols, legend
}

func peerLine(xys plotter.XYs, col color.Color, widthPt float64, dashes []vg.Length) *plotter.Line {
	l := &plotter.Line{XYs: xys}
	l.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(widthPt), Dashes: dashes}
	return l
}

// drawPeerFigure draws the title across the top, the legend row under it
// and the aligned panels below.
func drawPeerFigure(dc draw.Canvas, title string, grid [][]*plot.Plot, legend []legendItem) {
	top := drawFigureTitle(dc, title, 14)
	if len(legend) > 0 {
		drawLegendRow(dc, dc.Max.Y-top-peerLegendHeight/2, 11, legend)
	}
	tiles := draw.Tiles{
		Rows: len(grid), Cols: len(grid[0]),
		PadTop: top + peerLegendHeight, PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12),
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
