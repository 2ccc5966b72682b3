package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/sim/world"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// The files of a run with attackers (WriteAttack).
const (
	AttackFile    = "adversary.csv"
	AttackPNGFile = "adversary.png"
)

// attackHeader is adversary.csv's header line.
const attackHeader = "time_s,class,nodes,eclipsed,no_honest_hot,attacker_hot_share,attacker_known_share,gap_mean,gap_max"

// AttackSeries records, at each peer sample of a run with attackers, what
// the attack does to each class of honest nodes (world.AttackSampler): the
// share eclipsed (every hot peer an attacker), the share without an honest
// hot peer, the attackers' share of the hot links, and how far the nodes'
// chains are behind the honest majority's. It also follows each node's
// eclipses from sample to sample, for how long they last. It observes a
// run and never feeds back into it.
type AttackSeries struct {
	classes []string
	classOf []int32 // node → class; -1: not followed (an attacker)
	times   []clock.Time
	cells   []attackCell // per (sample, class)
	since   []clock.Time // per node: when its current eclipse began; Never: none
	ep      []episodes   // per class
	heights []int32      // scratch
}

type attackCell struct {
	nodes, eclipsed, noHonest int32
	hot, hotAttackers         int64
	known, knownAttackers     int64
	gapSum                    int64
	gapMax                    int32
}

// episodes sums the eclipses of a class that ended, in sample time.
type episodes struct {
	count    int64
	sum, max clock.Time
}

// NewAttackSeries returns an empty series of the honest classes (display
// order); classOf[i] is node i's index into classes, or -1 for an
// attacker. Names follow NewPeerSeries's rules.
func NewAttackSeries(classes []string, classOf []int) (*AttackSeries, error) {
	if err := checkNames("class", classes); err != nil {
		return nil, err
	}
	s := &AttackSeries{classes: slices.Clone(classes), classOf: make([]int32, len(classOf)),
		since: make([]clock.Time, len(classOf)), ep: make([]episodes, len(classes))}
	for i, c := range classOf {
		if c < -1 || c >= len(classes) {
			return nil, fmt.Errorf("results: attack series: classOf[%d] = %d; want -1 or a class index in 0..%d", i, c, len(classes)-1)
		}
		s.classOf[i] = int32(c)
		s.since[i] = clock.Never
	}
	return s, nil
}

// SampleAttack implements world.AttackSampler.
func (s *AttackSeries) SampleAttack(t clock.Time, v *world.AttackView) {
	// The honest majority's height: the median of the included nodes'.
	s.heights = s.heights[:0]
	for i, h := range v.Height {
		if v.Include[i] && s.classOf[i] >= 0 {
			s.heights = append(s.heights, h)
		}
	}
	slices.Sort(s.heights)
	majority := int32(0)
	if len(s.heights) > 0 {
		majority = s.heights[(len(s.heights)-1)/2]
	}
	s.times = append(s.times, t)
	base := len(s.cells)
	s.cells = append(s.cells, make([]attackCell, len(s.classes))...)
	for i, c := range s.classOf {
		if c < 0 || !v.Include[i] {
			continue
		}
		cell := &s.cells[base+int(c)]
		cell.nodes++
		hot, att := v.Hot[i], v.HotAttackers[i]
		cell.hot += int64(hot)
		cell.hotAttackers += int64(att)
		if v.Known != nil {
			cell.known += int64(v.Known[i])
			cell.knownAttackers += int64(v.KnownAttackers[i])
		}
		eclipsed := hot > 0 && att == hot
		if eclipsed {
			cell.eclipsed++
		}
		if att == hot {
			cell.noHonest++
		}
		gap := max(majority-v.Height[i], 0)
		cell.gapSum += int64(gap)
		cell.gapMax = max(cell.gapMax, gap)
		switch {
		case eclipsed && s.since[i] == clock.Never:
			s.since[i] = t
		case !eclipsed && s.since[i] != clock.Never:
			d := t - s.since[i]
			e := &s.ep[c]
			e.count++
			e.sum += d
			e.max = max(e.max, d)
			s.since[i] = clock.Never
		}
	}
}

// Classes returns the honest classes, in order.
func (s *AttackSeries) Classes() []string { return s.classes }

// AttackRow is one line of adversary.csv.
type AttackRow struct {
	TimeS float64
	Class string
	Nodes int32
	// Eclipsed and NoHonestHot are shares of Nodes; AttackerHotShare and
	// AttackerKnownShare the attackers' share of the class's hot links and
	// of the peers it knows (0 with none).
	Eclipsed, NoHonestHot, AttackerHotShare, AttackerKnownShare float64
	// GapMean and GapMax: blocks behind the honest majority's height.
	GapMean float64
	GapMax  int32
}

// Rows returns adversary.csv's rows, sample by sample, classes in order;
// a class with no node included at a sample has no row there.
func (s *AttackSeries) Rows() []AttackRow {
	var out []AttackRow
	for k, t := range s.times {
		for c, name := range s.classes {
			cell := s.cells[k*len(s.classes)+c]
			if cell.nodes == 0 {
				continue
			}
			n := float64(cell.nodes)
			r := AttackRow{TimeS: t.Seconds(), Class: name, Nodes: cell.nodes,
				Eclipsed: float64(cell.eclipsed) / n, NoHonestHot: float64(cell.noHonest) / n,
				GapMean: float64(cell.gapSum) / n, GapMax: cell.gapMax}
			if cell.hot > 0 {
				r.AttackerHotShare = float64(cell.hotAttackers) / float64(cell.hot)
			}
			if cell.known > 0 {
				r.AttackerKnownShare = float64(cell.knownAttackers) / float64(cell.known)
			}
			out = append(out, r)
		}
	}
	return out
}

// Summary returns summary.json's "adversary" object: per honest class,
// the largest and the last share eclipsed, the attackers' last share of
// its hot links and known peers, the eclipses that ended (how
// many, their mean and longest length in seconds, at the sample
// interval's resolution) and the nodes still eclipsed at the last sample,
// and the largest gap behind the honest majority.
func (s *AttackSeries) Summary() map[string]any {
	out := map[string]any{}
	rows := s.Rows()
	for c, name := range s.classes {
		m := map[string]any{"eclipsed_max": 0.0, "eclipsed_end": 0.0, "gap_max": int32(0),
			"attacker_hot_share_end": 0.0, "attacker_known_share_end": 0.0}
		for _, r := range rows {
			if r.Class != name {
				continue
			}
			m["eclipsed_max"] = max(m["eclipsed_max"].(float64), r.Eclipsed)
			m["eclipsed_end"] = r.Eclipsed
			m["gap_max"] = max(m["gap_max"].(int32), r.GapMax)
			m["attacker_hot_share_end"], m["attacker_known_share_end"] = r.AttackerHotShare, r.AttackerKnownShare
		}
		e := s.ep[c]
		m["eclipses"] = e.count
		m["eclipse_mean_s"], m["eclipse_max_s"] = 0.0, 0.0
		if e.count > 0 {
			m["eclipse_mean_s"] = (e.sum / clock.Time(e.count)).Seconds()
			m["eclipse_max_s"] = e.max.Seconds()
		}
		ongoing := 0
		for i, ci := range s.classOf {
			if int(ci) == c && s.since[i] != clock.Never {
				ongoing++
			}
		}
		m["eclipsed_at_end"] = ongoing
		out[name] = m
	}
	return out
}

// MissedBlocks returns, per honest class, the mean number of blocks a
// node of the class never adopted among those the honest majority did
// (blocks made after the warm-up that at least half of the honest nodes
// adopted); classOf as NewAttackSeries. Nodes the collector excludes
// (syncing nodes) are not counted: a class of them only gets NaN.
func MissedBlocks(c *Collector, classOf []int, classes int) []float64 {
	n := c.Nodes()
	classOf = slices.Clone(classOf)
	for i := range classOf {
		if c.excluded != nil && c.excluded[i] {
			classOf[i] = -1
		}
	}
	honest := 0
	for _, k := range classOf {
		if k >= 0 {
			honest++
		}
	}
	missed := make([]int64, classes)
	size := make([]int64, classes)
	for _, k := range classOf {
		if k >= 0 {
			size[k]++
		}
	}
	for b := range c.blocks {
		if !c.measured(b) {
			continue
		}
		r := &c.blocks[b]
		got := 0
		for i := range n {
			if classOf[i] >= 0 && r.offsetUS[i] != never {
				got++
			}
		}
		if 2*got < honest {
			continue
		}
		for i := range n {
			if classOf[i] >= 0 && r.offsetUS[i] == never {
				missed[classOf[i]]++
			}
		}
	}
	out := make([]float64, classes)
	for k := range out {
		out[k] = math.NaN()
		if size[k] > 0 {
			out[k] = float64(missed[k]) / float64(size[k])
		}
	}
	return out
}

// WriteAttack writes adversary.csv and adversary.png into dir.
func WriteAttack(dir, title string, s *AttackSeries) error {
	rows := s.Rows()
	if err := writeFile(dir, AttackFile, func(w io.Writer) error { return writeAttackCSV(w, rows) }); err != nil {
		return err
	}
	return plotAttack(filepath.Join(dir, AttackPNGFile), title, s.classes, rows)
}

func writeAttackCSV(w io.Writer, rows []AttackRow) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, attackHeader)
	for _, r := range rows {
		fmt.Fprintf(bw, "%s,%s,%d,%s,%s,%s,%s,%s,%d\n", formatF(r.TimeS), r.Class, r.Nodes,
			formatF(r.Eclipsed), formatF(r.NoHonestHot), formatF(r.AttackerHotShare), formatF(r.AttackerKnownShare), formatF(r.GapMean), r.GapMax)
	}
	return bw.Flush()
}

// plotAttack draws adversary.png: three panels over time, the share of
// each honest class eclipsed, the attackers' share of its hot links, and
// its mean gap behind the honest majority in blocks; a line per class.
func plotAttack(path, title string, classes []string, rows []AttackRow) error {
	last := 0.0
	for _, r := range rows {
		last = max(last, r.TimeS)
	}
	unit, div := timeAxis(last)
	panels := []struct {
		label string
		of    func(AttackRow) float64
	}{
		{"share eclipsed", func(r AttackRow) float64 { return r.Eclipsed }},
		{"attackers' share of hot links", func(r AttackRow) float64 { return r.AttackerHotShare }},
		{"attackers' share of known peers", func(r AttackRow) float64 { return r.AttackerKnownShare }},
		{"blocks behind the majority (mean)", func(r AttackRow) float64 { return r.GapMean }},
	}
	bounds := make([]bool, len(classes))
	styles := policyStyles(bounds)
	leg := newLegend()
	var grid [][]*plot.Plot
	for k, pc := range panels {
		p := newStyledPlot("")
		p.Add(plotter.NewGrid())
		p.Y.Label.Text = pc.label
		top := 0.0
		for c, name := range classes {
			var xys plotter.XYs
			for _, r := range rows {
				if r.Class == name {
					y := pc.of(r)
					xys = append(xys, plotter.XY{X: r.TimeS / div, Y: y})
					top = max(top, y)
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return fmt.Errorf("results: plot %s: %w", path, err)
			}
			l.LineStyle.Color, l.LineStyle.Dashes = styles[c].color, styles[c].dashes
			l.LineStyle.Width = 1.5
			p.Add(l)
			if k == 0 {
				leg.Add(name, l)
			}
		}
		t := linearTicks{n: 4}
		if k < 3 {
			top = math.Max(top, 1) // shares: 0 … 1
		}
		p.Y.Min, p.Y.Max = 0, t.niceTop(math.Max(top, 1e-9))
		p.Y.Tick.Marker = t
		p.X.Min, p.X.Max = 0, math.Max(last/div, 1e-9)
		p.X.Tick.Marker = linearTicks{n: 8}
		if k == len(panels)-1 {
			p.X.Label.Text = "time since the start (" + unit + ")"
		}
		grid = append(grid, []*plot.Plot{p})
	}
	if strings.TrimSpace(title) == "" {
		title = "adversary"
	}
	return writePanels(path, title+": what the attack does to the honest nodes, by class", grid, leg)
}
