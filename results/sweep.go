package results

import (
	"bufio"
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Files a sweep's merge writes; one plot per axis, named by its path.
const (
	SweepCSVFile = "sweep.csv"
	SweepMDFile  = "sweep.md"
)

// SweepPlotFile is the plot of the axis with the given path, its list
// indices written as dotted elements so that the name needs no quoting
// in a shell: sweep-compare.policies.0.close.png.
func SweepPlotFile(path string) string {
	path = strings.ReplaceAll(strings.ReplaceAll(path, "[", "."), "]", "")
	return "sweep-" + path + ".png"
}

// SweepPlotted reports whether axis a has a plot of its own: every axis
// but the later members of a zip group, which move with the first and
// would repeat its plot.
func (t *SweepTable) SweepPlotted(a int) bool {
	if !t.Axes[a].Zip {
		return true
	}
	for b := range a {
		if t.Axes[b].Zip {
			return false
		}
	}
	return true
}

// policyAxis reports whether a path is a policy's field: a god's-view
// bound does not depend on it.
func policyAxis(path string) bool {
	return strings.HasPrefix(path, "compare.policies") || path == "p2p.policy" || strings.HasPrefix(path, "p2p.policy.")
}

// SweepTable is a merged sweep: every planned run, and per point and
// policy the mean over the seeds present.
type SweepTable struct {
	Name   string
	Axes   []SweepAxis
	Runs   []SweepRunRow
	Points []SweepPointRow
}

// SweepAxis is a swept field and its values in the sweep's order; Zip
// marks the axes that move together (their values may repeat).
type SweepAxis struct {
	Path   string
	Values []string
	Zip    bool
}

// SweepStats are one run's pooled percentiles (ms) and counts, as its
// summary.json gives them; a percentile is NaN when the run adopted
// nothing.
type SweepStats struct {
	Blocks, Adoptions    int64
	P50, P95, P99        float64
	HeaderP50, HeaderP95 float64
	HeaderP99            float64
	// Attack is what attackers did, from summary.json's "adversary"; nil
	// for a run without them.
	Attack *SweepAttack
	// Sync is what happened to the syncing nodes, from summary.json's
	// "sync"; nil for a run without them.
	Sync *SweepSync
}

// SweepSync is a run's syncing nodes, the mean over its syncing classes
// (in name order): the share that caught up, the median time to catch up
// (s; NaN when none did), and the share that judged itself caught up while
// behind at the end.
type SweepSync struct {
	CaughtUp, CatchUpP50, Fooled float64
}

// SweepAttack is a run's attack summary, the mean over its honest classes
// (in name order): the largest share eclipsed, the attackers' last share
// of the hot links and of the known peers, and the blocks a node missed.
type SweepAttack struct {
	EclipsedMax, HotShare, KnownShare, BlocksMissed float64
}

// sweepExtra is one metric of a group beyond the percentiles.
type sweepExtra struct {
	name, label string
	unit        string  // the plot's axis unit, "" for a share or a count
	floor       float64 // the least top of its plot's y axis
	share       bool    // a share: bands are cut at 1
}

// sweepGroup is a set of metrics a run may have beyond the adoption
// percentiles, read from one object of its summary.json: sweep.csv gets
// their columns, and each axis a plot of its own (PlotFile), when any
// present run has them.
type sweepGroup struct {
	what    string // the plot title's note
	suffix  string // of the plot file
	metrics []sweepExtra
	// of returns a run's values (metrics order), nil when it has none.
	of func(SweepStats) []float64
	// point is a point row's estimates of the group.
	point func(*SweepPointRow) *[]Estimate
}

// sweepGroups: the attack (summary.json's "adversary") and the syncing
// nodes ("sync").
var sweepGroups = []sweepGroup{
	{"the attack", "adversary", []sweepExtra{
		{"attacker_hot_share", "attackers' share of hot links", "", 0.1, true},
		{"attacker_known_share", "attackers' share of known peers", "", 0.1, true},
		{"eclipsed_max", "largest share eclipsed", "", 0.1, true},
		{"blocks_missed", "blocks missed per node", "", 1, false},
	}, func(s SweepStats) []float64 {
		if a := s.Attack; a != nil {
			return []float64{a.HotShare, a.KnownShare, a.EclipsedMax, a.BlocksMissed}
		}
		return nil
	}, func(p *SweepPointRow) *[]Estimate { return &p.Attack }},
	{"the syncing nodes", "sync", []sweepExtra{
		{"sync_caught_up", "share of syncing nodes caught up", "", 0.1, true},
		{"sync_catch_up_p50_s", "median time to catch up", "s", 1, false},
		{"sync_fooled", "share judged caught up while behind", "", 0.1, true},
	}, func(s SweepStats) []float64 {
		if y := s.Sync; y != nil {
			return []float64{y.CaughtUp, y.CatchUpP50, y.Fooled}
		}
		return nil
	}, func(p *SweepPointRow) *[]Estimate { return &p.Sync }},
}

// PlotFile is the group's plot of the axis with the given path.
func (g *sweepGroup) PlotFile(path string) string {
	return strings.TrimSuffix(SweepPlotFile(path), ".png") + "-" + g.suffix + ".png"
}

// SweepAttackPlotFile is the attack plot of the axis with the given path.
func SweepAttackPlotFile(path string) string { return sweepGroups[0].PlotFile(path) }

// SweepSyncPlotFile is the syncing nodes' plot of the axis with the given path.
func SweepSyncPlotFile(path string) string { return sweepGroups[1].PlotFile(path) }

// has reports whether any present run has group g: then sweep.csv has
// its columns and each axis its plot.
func (t *SweepTable) has(g *sweepGroup) bool {
	return slices.ContainsFunc(t.Runs, func(r SweepRunRow) bool { return r.Present && g.of(r.Stats) != nil })
}

// Attacked reports whether any present run has an attack summary: then
// sweep.csv has the attack's columns and each axis an attack plot.
func (t *SweepTable) Attacked() bool { return t.has(&sweepGroups[0]) }

// Synced reports whether any present run has syncing nodes.
func (t *SweepTable) Synced() bool { return t.has(&sweepGroups[1]) }

// SweepRunRow is one planned run; Present is false when its folder is
// missing (a shard that has not run, or failed).
type SweepRunRow struct {
	ID      string
	Point   int
	Values  []string
	Policy  string
	Bound   bool
	Seed    uint64
	Present bool
	Stats   SweepStats
}

// SweepPointRow is one point and policy over its present seeds: each
// percentile's mean and 95 % Student-t half-width (Estimate, in µs as
// everywhere in the package).
type SweepPointRow struct {
	Point                           int
	Values                          []string
	Policy                          string
	Bound                           bool
	Planned                         int // seeds planned
	P50, P95, P99                   Estimate
	HeaderP50, HeaderP95, HeaderP99 Estimate
	// Attack and Sync hold the groups' estimates over the seeds with one
	// (sweepGroups' metric order; MeanUS is the plain value).
	Attack, Sync []Estimate
}

// sweepMetrics name the percentiles of sweep.csv in column order, with
// how to read them from a run and a point row.
var sweepMetrics = []struct {
	name  string
	run   func(SweepStats) float64
	point func(*SweepPointRow) *Estimate
}{
	{"p50", func(s SweepStats) float64 { return s.P50 }, func(p *SweepPointRow) *Estimate { return &p.P50 }},
	{"p95", func(s SweepStats) float64 { return s.P95 }, func(p *SweepPointRow) *Estimate { return &p.P95 }},
	{"p99", func(s SweepStats) float64 { return s.P99 }, func(p *SweepPointRow) *Estimate { return &p.P99 }},
	{"header_p50", func(s SweepStats) float64 { return s.HeaderP50 }, func(p *SweepPointRow) *Estimate { return &p.HeaderP50 }},
	{"header_p95", func(s SweepStats) float64 { return s.HeaderP95 }, func(p *SweepPointRow) *Estimate { return &p.HeaderP95 }},
	{"header_p99", func(s SweepStats) float64 { return s.HeaderP99 }, func(p *SweepPointRow) *Estimate { return &p.HeaderP99 }},
}

// Summarise fills t.Points from t.Runs: one row per point and policy, in
// the order first met, each the mean over its present runs (seed order)
// of every percentile a run has.
func (t *SweepTable) Summarise() {
	t.Points = nil
	index := map[string]int{}
	var xs [][][]float64 // per point row, per metric, the present values
	for _, r := range t.Runs {
		key := strconv.Itoa(r.Point) + "\x00" + r.Policy
		k, ok := index[key]
		if !ok {
			k = len(t.Points)
			index[key] = k
			t.Points = append(t.Points, SweepPointRow{Point: r.Point, Values: r.Values, Policy: r.Policy, Bound: r.Bound})
			xs = append(xs, make([][]float64, len(sweepMetrics)))
		}
		t.Points[k].Planned++
		if !r.Present {
			continue
		}
		for m, sm := range sweepMetrics {
			if v := sm.run(r.Stats); !math.IsNaN(v) {
				xs[k][m] = append(xs[k][m], v*1000) // Estimate is in µs
			}
		}
	}
	for k := range t.Points {
		for m, sm := range sweepMetrics {
			*sm.point(&t.Points[k]) = estimate(xs[k][m])
		}
	}
	for gi := range sweepGroups {
		t.summariseGroup(&sweepGroups[gi], index)
	}
}

// summariseGroup fills each point row's estimates of group g, when any
// run has it; index maps a point and policy to its row.
func (t *SweepTable) summariseGroup(g *sweepGroup, index map[string]int) {
	if !t.has(g) {
		return
	}
	ax := make([][][]float64, len(t.Points))
	for _, r := range t.Runs {
		vs := g.of(r.Stats)
		if !r.Present || vs == nil {
			continue
		}
		k := index[strconv.Itoa(r.Point)+"\x00"+r.Policy]
		if ax[k] == nil {
			ax[k] = make([][]float64, len(g.metrics))
		}
		for m, v := range vs {
			if !math.IsNaN(v) {
				ax[k][m] = append(ax[k][m], v)
			}
		}
	}
	for k := range t.Points {
		est := make([]Estimate, len(g.metrics))
		for m := range g.metrics {
			if ax[k] != nil {
				est[m] = estimate(ax[k][m])
			}
		}
		*g.point(&t.Points[k]) = est
	}
}

// Missing returns the runs that are not present.
func (t *SweepTable) Missing() []SweepRunRow {
	var out []SweepRunRow
	for _, r := range t.Runs {
		if !r.Present {
			out = append(out, r)
		}
	}
	return out
}

// WriteSweep writes sweep.csv, sweep.md and a plot per axis into dir.
func WriteSweep(dir string, t *SweepTable) error {
	if err := writeFile(dir, SweepCSVFile, func(w io.Writer) error { return writeSweepCSV(w, t) }); err != nil {
		return err
	}
	if err := writeFile(dir, SweepMDFile, func(w io.Writer) error { return writeSweepMD(w, t) }); err != nil {
		return err
	}
	for a := range t.Axes {
		if !t.SweepPlotted(a) {
			continue
		}
		if err := plotSweepAxis(filepath.Join(dir, SweepPlotFile(t.Axes[a].Path)), t, a, nil); err != nil {
			return err
		}
		for gi := range sweepGroups {
			if g := &sweepGroups[gi]; t.has(g) {
				if err := plotSweepAxis(filepath.Join(dir, g.PlotFile(t.Axes[a].Path)), t, a, g); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// writeSweepCSV: the run rows (kind run), then the point rows (kind
// point). A run row has its seed and its own percentiles; a point row the
// number of seeds present and each percentile's mean and 95 % half-width.
// Unknown values are empty.
func writeSweepCSV(w io.Writer, t *SweepTable) error {
	bw := bufio.NewWriter(w)
	head := []string{"kind", "id"}
	for _, a := range t.Axes {
		head = append(head, csvField(a.Path))
	}
	head = append(head, "policy", "bound", "seed", "seeds", "status", "blocks", "adoptions")
	for _, m := range sweepMetrics {
		head = append(head, m.name+"_ms", m.name+"_ci95_ms")
	}
	var groups []*sweepGroup
	for gi := range sweepGroups {
		if g := &sweepGroups[gi]; t.has(g) {
			groups = append(groups, g)
			for _, m := range g.metrics {
				head = append(head, m.name, m.name+"_ci95")
			}
		}
	}
	fmt.Fprintln(bw, strings.Join(head, ","))
	ms := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return formatF(v)
	}
	for _, r := range t.Runs {
		row := []string{"run", r.ID}
		for _, v := range r.Values {
			row = append(row, csvField(v))
		}
		status, blocks, adoptions := "missing", "", ""
		if r.Present {
			status, blocks, adoptions = "ok", strconv.FormatInt(r.Stats.Blocks, 10), strconv.FormatInt(r.Stats.Adoptions, 10)
		}
		row = append(row, csvField(r.Policy), strconv.FormatBool(r.Bound), strconv.FormatUint(r.Seed, 10), "", status, blocks, adoptions)
		for _, m := range sweepMetrics {
			v := math.NaN()
			if r.Present {
				v = m.run(r.Stats)
			}
			row = append(row, ms(v), "")
		}
		for _, g := range groups {
			var vs []float64
			if r.Present {
				vs = g.of(r.Stats)
			}
			for m := range g.metrics {
				v := ""
				if vs != nil && !math.IsNaN(vs[m]) {
					v = formatF(vs[m])
				}
				row = append(row, v, "")
			}
		}
		fmt.Fprintln(bw, strings.Join(row, ","))
	}
	for i := range t.Points {
		p := &t.Points[i]
		row := []string{"point", ""}
		for _, v := range p.Values {
			row = append(row, csvField(v))
		}
		status := "ok"
		if p.P50.Seeds < p.Planned {
			status = fmt.Sprintf("%d of %d seeds", p.P50.Seeds, p.Planned)
		}
		row = append(row, csvField(p.Policy), strconv.FormatBool(p.Bound), "", strconv.Itoa(p.P50.Seeds), status, "", "")
		for _, m := range sweepMetrics {
			row = append(row, estimateCells(*m.point(p), msF)...)
		}
		for _, g := range groups {
			for _, e := range *g.point(p) {
				row = append(row, estimateCells(e, formatF)...)
			}
		}
		fmt.Fprintln(bw, strings.Join(row, ","))
	}
	return bw.Flush()
}

// estimateCells are a point row's two cells of an estimate: the mean and
// the 95 % half-width, each empty when unknown.
func estimateCells(e Estimate, format func(float64) string) []string {
	mean, half := "", ""
	if e.Seeds > 0 {
		mean = format(e.MeanUS)
	}
	if e.HasCI {
		half = format(e.HalfUS)
	}
	return []string{mean, half}
}

// csvField quotes a field holding a comma, a quote or a line break.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// writeSweepMD: a table of the points (mean ± half-width over seeds, ms),
// then the missing runs.
func writeSweepMD(w io.Writer, t *SweepTable) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Sweep %s\n\n", t.Name)
	fmt.Fprintf(bw, "%d runs planned, %d present. Adoption and header-arrival percentiles pooled over (block, node) in each run, then averaged over seeds: mean ± half-width of the 95 %% Student-t interval, in ms.\n\n", len(t.Runs), len(t.Runs)-len(t.Missing()))
	head := []string{}
	for _, a := range t.Axes {
		head = append(head, "`"+a.Path+"`")
	}
	head = append(head, "policy", "seeds", "p50", "p95", "p99", "header p50", "header p99")
	fmt.Fprintf(bw, "| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat(" --- |", len(head)))
	cell := func(e Estimate) string {
		switch {
		case e.Seeds == 0:
			return "–"
		case e.HasCI:
			return humanMS(e.MeanUS) + " ± " + humanMS(e.HalfUS)
		}
		return humanMS(e.MeanUS)
	}
	for _, p := range t.Points {
		row := append([]string{}, p.Values...)
		seeds := strconv.Itoa(p.P50.Seeds)
		if p.P50.Seeds < p.Planned {
			seeds += " of " + strconv.Itoa(p.Planned)
		}
		row = append(row, legendName(p.Policy, p.Bound), seeds, cell(p.P50), cell(p.P95), cell(p.P99), cell(p.HeaderP50), cell(p.HeaderP99))
		for i := range row {
			row[i] = strings.ReplaceAll(row[i], "|", `\|`)
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(row, " | "))
	}
	if miss := t.Missing(); len(miss) > 0 {
		fmt.Fprintf(bw, "\n## Missing runs (%d)\n\n", len(miss))
		for _, r := range miss {
			var vals []string
			for a, v := range r.Values {
				vals = append(vals, t.Axes[a].Path+"="+v)
			}
			fmt.Fprintf(bw, "- `%s`: %s, policy %s, seed %d\n", r.ID, strings.Join(vals, ", "), r.Policy, r.Seed)
		}
	}
	return bw.Flush()
}

// sweepPanels are the panels of a sweep plot, top to bottom.
var sweepPanels = []struct {
	name string
	of   func(*SweepPointRow) Estimate
	run  func(SweepStats) float64 // ms
}{
	{"p50", func(p *SweepPointRow) Estimate { return p.P50 }, func(s SweepStats) float64 { return s.P50 }},
	{"p95", func(p *SweepPointRow) Estimate { return p.P95 }, func(s SweepStats) float64 { return s.P95 }},
	{"p99", func(p *SweepPointRow) Estimate { return p.P99 }, func(s SweepStats) float64 { return s.P99 }},
}

// sweepLine is one line of a sweep plot: a policy (and, with several
// axes, one combination of the other axes' values) across the axis.
type sweepLine struct {
	name  string
	bound bool
	pts   []sweepPt // in order of x
}

// sweepRunPt is a run at its place on the axis.
type sweepRunPt struct {
	x     float64
	stats SweepStats
}

// sweepPt is a point row at its place on the axis.
type sweepPt struct {
	x   float64
	row *SweepPointRow
}

// plotSweepAxis draws the plot of axis a: a panel per percentile, the
// mean adoption time over seeds against the axis's values, a line per
// policy (and per combination of the other axes' values), each with its
// 95 % interval as a band. Values that are all numbers are placed on a
// linear axis; others at even steps, labelled.
func plotSweepAxis(path string, t *SweepTable, a int, g *sweepGroup) error {
	attack := g != nil // a group's metrics rather than the percentiles
	ax := t.Axes[a]
	xs := make([]float64, len(ax.Values))
	numeric := true
	for i, v := range ax.Values {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			numeric = false
			break
		}
		xs[i] = f
	}
	// The distinct values, in order (a zipped axis may repeat one).
	var distinct []string
	for _, v := range ax.Values {
		if !slices.Contains(distinct, v) {
			distinct = append(distinct, v)
		}
	}
	if !numeric {
		for i, v := range ax.Values {
			xs[i] = float64(slices.Index(distinct, v))
		}
	}
	// x of each value: the number, or the position of its first
	// occurrence.
	xOf := map[string]float64{}
	for i, v := range ax.Values {
		if _, ok := xOf[v]; !ok {
			xOf[v] = xs[i]
		}
	}
	// lineName names the line of a point's values and policy.
	lineName := func(values []string, policy string, bound bool) string {
		name := legendName(policy, bound)
		var others []string
		for b, v := range values {
			// The axes that move with this one are not other lines, nor
			// are a bound's policy axes: it is the same bound.
			// A zip group is named by its first axis (they move together).
			if b != a && !(ax.Zip && t.Axes[b].Zip) && !(bound && policyAxis(t.Axes[b].Path)) && t.SweepPlotted(b) {
				others = append(others, lastElem(t.Axes[b].Path)+"="+v)
			}
		}
		if len(others) > 0 {
			name += ", " + strings.Join(others, ", ")
		}
		return name
	}
	var lines []*sweepLine
	byName := map[string]*sweepLine{}
	for i := range t.Points {
		p := &t.Points[i]
		name := lineName(p.Values, p.Policy, p.Bound)
		l := byName[name]
		if l == nil {
			l = &sweepLine{name: name, bound: p.Bound}
			byName[name] = l
			lines = append(lines, l)
		}
		x := xOf[p.Values[a]]
		if slices.ContainsFunc(l.pts, func(q sweepPt) bool { return q.x == x }) {
			continue // a bound already drawn at x, from a point with another policy
		}
		l.pts = append(l.pts, sweepPt{x: x, row: p})
	}
	for _, l := range lines {
		slices.SortStableFunc(l.pts, func(a, b sweepPt) int { return cmp.Compare(a.x, b.x) })
	}
	// Each seed's own runs, by line: seeds share the network and blocks
	// across points, so a seed's path shows the trend the band (over
	// seeds) hides.
	type seedRuns struct {
		seed uint64
		runs []sweepRunPt
	}
	perSeed := make([][]seedRuns, len(lines))
	index := map[*sweepLine]int{}
	for i, l := range lines {
		index[l] = i
	}
	for _, r := range t.Runs {
		if !r.Present {
			continue
		}
		i := index[byName[lineName(r.Values, r.Policy, r.Bound)]]
		k := slices.IndexFunc(perSeed[i], func(s seedRuns) bool { return s.seed == r.Seed })
		if k < 0 {
			k = len(perSeed[i])
			perSeed[i] = append(perSeed[i], seedRuns{seed: r.Seed})
		}
		x := xOf[r.Values[a]]
		if slices.ContainsFunc(perSeed[i][k].runs, func(q sweepRunPt) bool { return q.x == x }) {
			continue // the same bound again
		}
		perSeed[i][k].runs = append(perSeed[i][k].runs, sweepRunPt{x: x, stats: r.Stats})
	}
	for i := range perSeed {
		for k := range perSeed[i] {
			slices.SortStableFunc(perSeed[i][k].runs, func(a, b sweepRunPt) int { return cmp.Compare(a.x, b.x) })
		}
	}
	bounds := make([]bool, len(lines))
	for i, l := range lines {
		bounds[i] = l.bound
	}
	styles := policyStyles(bounds)
	leg := newLegend()
	// The panels: adoption percentiles (µs estimates, ms runs, drawn in
	// seconds), or the attack's metrics (plain values, linear axes).
	type panel struct {
		label string
		of    func(*SweepPointRow) Estimate
		run   func(SweepStats) float64
		scale float64 // an estimate's MeanUS and a run's value to the axis unit
		runs  float64
	}
	var list []panel
	if attack {
		for m, gm := range g.metrics {
			label := gm.label
			if gm.unit != "" {
				label += " (" + gm.unit + ")"
			}
			list = append(list, panel{label, func(p *SweepPointRow) Estimate {
				if es := *g.point(p); es != nil {
					return es[m]
				}
				return Estimate{}
			}, func(s SweepStats) float64 {
				if vs := g.of(s); vs != nil {
					return vs[m]
				}
				return math.NaN()
			}, 1, 1})
		}
	} else {
		for _, pc := range sweepPanels {
			list = append(list, panel{pc.name + " adoption time", pc.of, pc.run, 1e-6, 1e-3})
		}
	}
	panels := make([][]*plot.Plot, len(list))
	for k, pc := range list {
		p := newStyledPlot("")
		p.Add(plotter.NewGrid())
		// Each line's means and band ends, in seconds.
		type curve struct{ mid, lo, hi plotter.XYs }
		curves := make([]curve, len(lines))
		ymin, ymax := math.Inf(1), 0.0
		for i, l := range lines {
			c := &curves[i]
			for _, pt := range l.pts {
				e := pc.of(pt.row)
				if e.Seeds == 0 {
					continue
				}
				y, half := e.MeanUS*pc.scale, e.HalfUS*pc.scale
				c.mid = append(c.mid, plotter.XY{X: pt.x, Y: y})
				ymin, ymax = min(ymin, y), max(ymax, y)
				if e.HasCI {
					c.lo = append(c.lo, plotter.XY{X: pt.x, Y: y - half})
					c.hi = append(c.hi, plotter.XY{X: pt.x, Y: y + half})
					ymax = max(ymax, y+half)
				}
			}
		}
		// Each seed's path, in ms.
		seedXYs := make([][]plotter.XYs, len(lines))
		for i := range lines {
			for _, sr := range perSeed[i] {
				var xys plotter.XYs
				for _, rp := range sr.runs {
					if v := pc.run(rp.stats); !math.IsNaN(v) {
						y := v * pc.runs
						xys = append(xys, plotter.XY{X: rp.x, Y: y})
						ymin, ymax = min(ymin, y), max(ymax, y)
					}
				}
				seedXYs[i] = append(seedXYs[i], xys)
			}
		}
		// Means over more than a decade (block sizes, a partitioned
		// network) on a log10 axis labelled in seconds, as compare's
		// rounds plot draws them; a band's lower end is kept above half
		// the smallest mean there.
		log := !attack && ymin > 0 && ymax/ymin >= 10
		// A band over few seeds may reach below 0 s: cut there.
		fy := func(y float64) float64 { return max(y, 0) }
		if attack && g.metrics[k].share {
			fy = func(y float64) float64 { return min(max(y, 0), 1) }
		}
		if log {
			floor := ymin / 2
			fy = func(y float64) float64 { return math.Log10(max(y, floor)) }
			p.Y.Label.Text = pc.label + " (s, log scale)"
			p.Y.Min, p.Y.Max = math.Log10(floor/1.08), math.Log10(ymax*1.08)
			p.Y.Tick.Marker = log10Ticks{max: 7}
		} else {
			p.Y.Label.Text = pc.label + " (s)"
			if attack {
				p.Y.Label.Text = pc.label
			}
			t := linearTicks{n: 4}
			floor := 1e-3
			if attack {
				// Shares of 0 stay readable as 0 on a 0 … 0.1 axis, a
				// count of blocks on 0 … 1.
				floor = g.metrics[k].floor
			}
			top := max(ymax, floor)
			if attack && g.metrics[k].share {
				top = min(top, 1)
			}
			p.Y.Min, p.Y.Max = 0, t.niceTop(top)
			p.Y.Tick.Marker = t
		}
		scaled := func(xys plotter.XYs) plotter.XYs {
			out := make(plotter.XYs, len(xys))
			for j, xy := range xys {
				out[j] = plotter.XY{X: xy.X, Y: fy(xy.Y)}
			}
			return out
		}
		for i := range lines {
			r, g, b, _ := styles[i].color.RGBA()
			faint := color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x80}
			for _, xys := range seedXYs[i] {
				if len(xys) < 2 {
					continue
				}
				ln, err := plotter.NewLine(scaled(xys))
				if err != nil {
					return fmt.Errorf("results: plot %s: %w", path, err)
				}
				ln.LineStyle.Color, ln.LineStyle.Width = faint, vg.Points(0.6)
				p.Add(ln)
			}
		}
		for i, l := range lines {
			c := curves[i]
			if len(c.mid) == 0 {
				continue
			}
			if len(c.lo) == len(c.mid) && len(c.mid) > 1 {
				band := scaled(c.lo)
				hi := scaled(c.hi)
				for j := len(hi) - 1; j >= 0; j-- {
					band = append(band, hi[j])
				}
				poly, err := plotter.NewPolygon(band)
				if err != nil {
					return fmt.Errorf("results: plot %s: %w", path, err)
				}
				r, g, b, _ := styles[i].color.RGBA()
				poly.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x38}
				poly.LineStyle.Width = 0
				p.Add(poly)
			}
			lp, sc, err := plotter.NewLinePoints(scaled(c.mid))
			if err != nil {
				return fmt.Errorf("results: plot %s: %w", path, err)
			}
			lp.LineStyle.Color, sc.GlyphStyle.Color = styles[i].color, styles[i].color
			lp.LineStyle.Width = vg.Points(1.5)
			lp.LineStyle.Dashes = styles[i].dashes
			sc.GlyphStyle.Radius = vg.Points(2.5)
			sc.GlyphStyle.Shape = styles[i].shape
			p.Add(lp, sc)
			if k == 0 {
				leg.Add(l.name, lp, sc)
			}
		}
		if numeric {
			// A tick at each value when they are few; a margin so that the
			// end points are not on the frame.
			lo, hi := slices.Min(xs), slices.Max(xs)
			if lo > 0 && hi/lo >= 20 {
				// Values over decades (block sizes): a logarithmic axis.
				p.X.Scale = plot.LogScale{}
				pad := math.Pow(hi/lo, 0.04)
				p.X.Min, p.X.Max = lo/pad, hi*pad
			} else {
				pad := (hi - lo) * 0.04
				if pad == 0 {
					pad = math.Max(math.Abs(lo)*0.1, 1)
				}
				p.X.Min, p.X.Max = lo-pad, hi+pad
			}
			if len(distinct) <= 12 {
				var ticks []plot.Tick
				for _, v := range distinct {
					ticks = append(ticks, plot.Tick{Value: xOf[v], Label: v})
				}
				p.X.Tick.Marker = plot.ConstantTicks(ticks)
			} else if _, log := p.X.Scale.(plot.LogScale); log {
				p.X.Tick.Marker = logTicks{max: 8}
			} else {
				p.X.Tick.Marker = linearTicks{n: 6}
			}
		} else {
			var ticks []plot.Tick
			for i, v := range distinct {
				ticks = append(ticks, plot.Tick{Value: float64(i), Label: v})
			}
			p.X.Tick.Marker = plot.ConstantTicks(ticks)
			p.X.Min, p.X.Max = -0.5, float64(len(distinct))-0.5
		}
		if k == len(list)-1 {
			p.X.Label.Text = ax.Path
			var with []string
			for b, o := range t.Axes {
				if b != a && ax.Zip && o.Zip {
					with = append(with, o.Path)
				}
			}
			if len(with) > 0 {
				p.X.Label.Text += " (with " + strings.Join(with, ", ") + ")"
			}
		}
		panels[k] = []*plot.Plot{p}
	}
	what := ""
	if attack {
		what = " (" + g.what + ")"
	}
	title := fmt.Sprintf("%s%s against %s: mean of seeds, 95 %% band, thin lines per seed", t.Name, what, lastElem(ax.Path))
	return writePanels(path, title, panels, leg)
}

// lastElem is a field path's last element ("active" of
// "p2p.targets.active").
func lastElem(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
