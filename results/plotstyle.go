package results

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The house style every plot of the package shares: a categorical palette
// that colour-blind readers can tell apart, a line style and a glyph per
// category so that the curves stay apart in grey print too, tick marks at
// round values with one number format per axis (whole numbers for counts),
// legends beside the data rather than over it, and a margin above the
// title. Nothing here depends on anything but its arguments, so equal
// inputs still give identical bytes.

// okabeIto is the Okabe–Ito palette (Okabe and Ito, "Color Universal
// Design", 2008) without black, which marks bounds, in the order used for
// categories: the darker colours first, yellow, the faintest on white,
// last.
var okabeIto = []color.Color{
	color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	color.RGBA{R: 0xF0, G: 0xE4, B: 0x42, A: 0xFF}, // yellow
}

// boundColor draws lower bounds (god's view), apart from every category.
var boundColor color.Color = color.Black

// categoryColor is the colour of category i (cycling after seven).
func categoryColor(i int) color.Color { return okabeIto[i%len(okabeIto)] }

// lineDashes are the line styles of categories: solid, dotted, dash-dot,
// long dash, dash-dot-dot (boundDashes, plain dashes, is kept for
// bounds). Their cycle (5) is prime to the palette's (7), so the first 35
// categories differ in colour or style.
var lineDashes = [][]vg.Length{
	nil,
	{vg.Points(1.5), vg.Points(2.5)},
	{vg.Points(7), vg.Points(2.5), vg.Points(1.5), vg.Points(2.5)},
	{vg.Points(13), vg.Points(4)},
	{vg.Points(7), vg.Points(2), vg.Points(1.5), vg.Points(2), vg.Points(1.5), vg.Points(2)},
}

// categoryDashes is the line style of category i.
func categoryDashes(i int) []vg.Length { return lineDashes[i%len(lineDashes)] }

// boundDashes is the line style of a bound, long enough to read as dashed
// in a legend thumbnail.
var boundDashes = []vg.Length{vg.Points(6), vg.Points(3)}

// glyphShapes are the point markers of categories, the filled ones
// first (a bound's is a ring).
var glyphShapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.SquareGlyph{},
	draw.TriangleGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// categoryShape is the point marker of category i.
func categoryShape(i int) draw.GlyphDrawer { return glyphShapes[i%len(glyphShapes)] }

// Figure spacing.
const (
	figureTopMargin = 8 * vg.Length(1) // points above the title
	titlePadding    = 6                // points between a title and its axes
	legendGap       = 12               // points between the axes and a legend column
	legendThumb     = 30               // points: long enough to show a dash pattern
)

// plotFormat returns "png" or "svg" from path's extension.
func plotFormat(path string) (string, error) {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "png" && format != "svg" {
		return "", fmt.Errorf("results: plot %s: unknown extension %q; want .png or .svg", path, filepath.Ext(path))
	}
	return format, nil
}

// writeFigure draws a w × h figure on a white background with fig and
// writes it atomically to path, as PNG or SVG by the extension. Errors
// name the path.
func writeFigure(path string, w, h vg.Length, fig func(dc draw.Canvas) error) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	if err := fig(dc); err != nil {
		return fmt.Errorf("results: plot %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := c.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// newStyledPlot returns a plot with the house title padding and grid.
func newStyledPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(titlePadding)
	p.Legend.ThumbnailWidth = vg.Points(legendThumb)
	return p
}

// newLegend returns an empty legend column, top left aligned, with the
// house thumbnail width.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(legendThumb)
	l.Padding = vg.Points(2)
	return l
}

// legendWidth is the width l needs: its thumbnails and widest text.
func legendWidth(l plot.Legend) vg.Length {
	return l.Rectangle(draw.Canvas{}).Size().X
}

// titleHeight is the height p's title takes above its axes, padding
// included (0 without a title).
func titleHeight(p *plot.Plot) vg.Length {
	if p.Title.Text == "" {
		return 0
	}
	return p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
}

// plotWithLegend is a figure of one plot of axes width axesW and height h
// with its legend in a column on the right, top aligned with the axes.
type plotWithLegend struct {
	p      *plot.Plot
	legend plot.Legend
	axesW  vg.Length
	h      vg.Length
}

// size returns the figure's width and height.
func (f plotWithLegend) size() (vg.Length, vg.Length) {
	return f.axesW + vg.Points(legendGap) + legendWidth(f.legend) + vg.Points(8), f.h
}

// draw draws the figure on dc, which has f.size().
func (f plotWithLegend) draw(dc draw.Canvas) error {
	right := dc.Max.X - dc.Min.X - f.axesW
	f.p.Draw(draw.Crop(dc, 0, -right, 0, -figureTopMargin))
	f.legend.Draw(draw.Crop(dc, f.axesW+vg.Points(legendGap), 0, 0, -(figureTopMargin + titleHeight(f.p))))
	return nil
}

// write writes the figure to path, as PNG or SVG by the extension.
func (f plotWithLegend) write(path string) error {
	w, h := f.size()
	return writeFigure(path, w, h, f.draw)
}

// drawFigureTitle draws title centred across the top of dc below the
// margin and returns the height it took, padding included.
func drawFigureTitle(dc draw.Canvas, title string, sizePt float64) vg.Length {
	sty := plot.New().Title.TextStyle
	sty.Font.Size = vg.Points(sizePt)
	sty.XAlign, sty.YAlign = text.XCenter, text.YTop
	dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - figureTopMargin}, title)
	return figureTopMargin + sty.Rectangle(title).Size().Y + vg.Points(titlePadding)
}

// legendItem is one entry of a legend row.
type legendItem struct {
	text   string
	thumbs []plot.Thumbnailer
}

// drawLegendRow draws items side by side, centred on dc horizontally, with
// their vertical middle at y, and returns the row's height.
func drawLegendRow(dc draw.Canvas, y vg.Length, sizePt float64, items []legendItem) vg.Length {
	sty := plot.NewLegend().TextStyle
	sty.Font.Size = vg.Points(sizePt)
	sty.XAlign, sty.YAlign = text.XLeft, text.YCenter
	thumb, gap, space := vg.Points(legendThumb), vg.Points(4), vg.Points(16)
	var total vg.Length
	h := vg.Length(0)
	for i, it := range items {
		if i > 0 {
			total += space
		}
		r := sty.Rectangle(it.text).Size()
		total += thumb + gap + r.X
		h = max(h, r.Y)
	}
	x := dc.Center().X - total/2
	for _, it := range items {
		c := &draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: y - h/2}, Max: vg.Point{X: x + thumb, Y: y + h/2}}}
		for _, t := range it.thumbs {
			t.Thumbnail(c)
		}
		x += thumb + gap
		dc.FillText(sty, vg.Point{X: x, Y: y}, it.text)
		x += sty.Rectangle(it.text).Size().X + space
	}
	return h
}

// linearTicks is a plot.Ticker for a linear axis: labelled ticks at the
// multiples of a 1-2-5 step that gives at least n/2.5 labels (so two from
// n = 5) and at most n+1, all written with the step's number of decimals
// (in 'g' form beyond 10^±12), and unlabelled minor ticks between them.
// integer keeps the step and the minor ticks whole (counts). n < 2 counts
// as 2.
type linearTicks struct {
	n       int
	integer bool
}

// niceStep returns the 1-2-5 step for raw (> 0) as mantissa·10^exp with
// mantissa in {1, 2, 5}, rounded up; integer steps are at least 1.
func niceStep(raw float64, integer bool) (mant int, exp int) {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1, 0
	}
	exp = int(math.Floor(math.Log10(raw)))
	m := raw / math.Pow10(exp)
	switch {
	case m <= 1+1e-9:
		mant = 1
	case m <= 2+1e-9:
		mant = 2
	case m <= 5+1e-9:
		mant = 5
	default:
		mant, exp = 1, exp+1
	}
	if integer && exp < 0 {
		mant, exp = 1, 0
	}
	return mant, exp
}

// scaled returns k·10^exp, exactly rounded for small k.
func scaled(k int64, exp int) float64 {
	if exp >= 0 {
		return float64(k) * math.Pow10(exp)
	}
	return float64(k) / math.Pow10(-exp)
}

// step returns the axis's tick step over [lo, hi] as mantissa·10^exp.
func (t linearTicks) step(lo, hi float64) (mant, exp int) {
	return niceStep((hi-lo)/float64(max(t.n, 2)), t.integer)
}

// Ticks implements plot.Ticker.
func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	mant, exp := t.step(lo, hi)
	dec := max(0, -exp)
	unit := scaled(int64(mant), exp)
	const eps = 1e-9
	kLo, kHi := math.Ceil(lo/unit-eps), math.Floor(hi/unit+eps)
	if !(kHi-kLo < 1000) || math.Abs(kLo) > 1<<50 || math.Abs(kHi) > 1<<50 {
		// A range too wide, or too narrow for its magnitude, for round
		// steps (only hand-made input): label its ends.
		return []plot.Tick{
			{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)},
			{Value: hi, Label: strconv.FormatFloat(hi, 'g', 4, 64)},
		}
	}
	format := func(v float64) string { return strconv.FormatFloat(v, 'f', dec, 64) }
	if exp > 12 || exp < -12 {
		format = func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }
	}
	var ticks []plot.Tick
	for k := int64(kLo); k <= int64(kHi); k++ {
		v := scaled(k*int64(mant), exp)
		ticks = append(ticks, plot.Tick{Value: v, Label: format(v)})
	}
	div := int64(5) // minor ticks per major step
	if mant == 2 {
		div = 2
	}
	if t.integer && mant == 1 && exp == 0 {
		return ticks // no whole number between the labels
	}
	minorExp := exp
	minorMant := int64(mant) * 10 / div // minor step = minorMant·10^(exp-1)
	minorExp--
	minor := scaled(minorMant, minorExp)
	for j := int64(math.Ceil(lo/minor - eps)); j <= int64(math.Floor(hi/minor+eps)); j++ {
		if j%div != 0 {
			ticks = append(ticks, plot.Tick{Value: scaled(j*minorMant, minorExp)})
		}
	}
	return ticks
}

// niceTop returns the smallest labelled tick of linearTicks t over
// [0, top] that is at least hi (≥ 0), so the axis ends on a label; it
// returns 1 for hi = 0.
func (t linearTicks) niceTop(hi float64) float64 {
	if !(hi > 0) {
		return 1
	}
	if hi > 1<<50 {
		return hi // beyond round steps (see Ticks)
	}
	top := hi
	for range 8 { // the step only grows, through a few 1-2-5 values
		mant, exp := t.step(0, top)
		unit := scaled(int64(mant), exp)
		next := scaled(int64(math.Ceil(hi/unit-1e-9))*int64(mant), exp)
		if next == top {
			break
		}
		top = next
	}
	return top
}

// logTicks is a plot.Ticker for a logarithmic axis: labels at the values
// m·10^k of the finest mantissa set that gives at most max labels in the
// range (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 down to 1 alone; over many
// decades every few powers of ten), all with the same number of decimals,
// and unlabelled minor ticks at the other whole multiples of each power of
// ten. A range so narrow that this gives fewer than four labels gets
// linearTicks{n: max} when they label more.
type logTicks struct{ max int }

// logMantissas are mantissa sets in tenths, finest first.
var logMantissas = [][]int64{
	{10, 12, 15, 20, 25, 30, 40, 50, 60, 80},
	{10, 15, 20, 30, 50, 70},
	{10, 20, 30, 50},
	{10, 20, 50},
	{10, 30},
	{10},
}

// Ticks implements plot.Ticker.
func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return linearTicks{n: t.max}.Ticks(lo, hi)
	}
	in := func(v float64) bool { return v >= lo*(1-1e-9) && v <= hi*(1+1e-9) }
	// values lists m·10^k in [lo, hi] for the mantissas (in tenths), with
	// their decimals.
	type val struct {
		v   float64
		dec int
	}
	values := func(ms []int64) []val {
		var out []val
		for k := int(math.Floor(math.Log10(lo))) - 1; k <= int(math.Ceil(math.Log10(hi))); k++ {
			for _, m := range ms {
				v := scaled(m, k-1)
				if in(v) {
					dec := max(0, 1-k)
					if m%10 == 0 {
						dec = max(0, -k)
					}
					out = append(out, val{v, dec})
				}
			}
		}
		return out
	}
	if math.Log10(hi/lo) > 30 {
		return linearTicks{n: t.max}.Ticks(lo, hi) // only hand-made input
	}
	var labels []val
	for _, ms := range logMantissas {
		if labels = values(ms); len(labels) <= t.max {
			break
		}
	}
	if len(labels) > t.max { // many decades: every few powers of ten
		every := (len(labels) + t.max - 1) / t.max
		kept := labels[:0]
		for i := 0; i < len(labels); i += every {
			kept = append(kept, labels[i])
		}
		labels = kept
	}
	if len(labels) < 4 {
		// A narrow range (under a factor of about 2.5): round linear
		// steps label it more densely.
		lin := linearTicks{n: t.max}.Ticks(lo, hi)
		n := 0
		for _, tk := range lin {
			if tk.Label != "" {
				n++
			}
		}
		if n > len(labels) {
			return lin
		}
	}
	dec := 0
	for _, l := range labels {
		dec = max(dec, l.dec)
	}
	var ticks []plot.Tick
	labelled := make(map[float64]bool, len(labels))
	for _, l := range labels {
		ticks = append(ticks, plot.Tick{Value: l.v, Label: strconv.FormatFloat(l.v, 'f', dec, 64)})
		labelled[l.v] = true
	}
	for _, m := range values([]int64{10, 20, 30, 40, 50, 60, 70, 80, 90}) {
		if !labelled[m.v] {
			ticks = append(ticks, plot.Tick{Value: m.v})
		}
	}
	return ticks
}

// log10Ticks is logTicks for an axis that holds the log10 of the values:
// the same labels, at the log10 of their values.
type log10Ticks struct{ max int }

// Ticks implements plot.Ticker.
func (t log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	ticks := logTicks(t).Ticks(math.Pow(10, lo), math.Pow(10, hi))
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}

// timeAxis returns the unit and divisor for a time axis whose data ends
// at lastS seconds: minutes below 2 h, hours from there.
func timeAxis(lastS float64) (unit string, div float64) {
	if lastS < 2*3600 {
		return "min", 60
	}
	return "h", 3600
}

// spanText writes a duration in seconds as "N h", "N min" or "N s",
// whichever is whole, for axis labels.
func spanText(s float64) string {
	switch {
	case s >= 3600 && math.Mod(s, 3600) == 0:
		return strconv.FormatFloat(s/3600, 'f', -1, 64) + " h"
	case s >= 60 && math.Mod(s, 60) == 0:
		return strconv.FormatFloat(s/60, 'f', -1, 64) + " min"
	}
	return strconv.FormatFloat(s, 'g', 6, 64) + " s"
}
