package results

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

// t975df2 is the 0.975 quantile of Student's t with 2 degrees of freedom
// (tables give 4.303). For ν = 2 the CDF is ½ + t/(2√(2+t²)), so the
// p-quantile is (2p−1)/√(2p(1−p)): a closed form independent of gonum.
var t975df2 = 0.95 / math.Sqrt(2*0.975*0.025)

// oneSample is a run with a warm-up block (excluded) and one later block
// adopted by its producer only, after ms milliseconds.
func oneSample(ms int64) *Collector {
	return handRun(1, block{0, []int64{99_000}}, block{100, []int64{ms}})
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestCompareHandComputed(t *testing.T) {
	ten := make([]int64, 10) // 1..10 ms: p50 = 5th, p95 = p99 = 10th
	for i := range ten {
		ten[i] = int64(i + 1)
	}
	runs := []CompareRun{
		{Policy: "a", Seed: 3, Run: oneSample(300)},
		{Policy: "god", Seed: 1, Run: oneSample(100), Bound: true},
		{Policy: "a", Seed: 1, Run: oneSample(100)},
		{Policy: "b", Seed: 7, Run: handRun(10, block{200, ten})},
		{Policy: "a", Seed: 2, Run: oneSample(200)},
	}
	cmp, err := Compare(runs, CompareOptions{From: secs(50), Window: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Tolerance != DefaultTolerance {
		t.Errorf("Tolerance = %v, want the default %v", cmp.Tolerance, DefaultTolerance)
	}
	var names []string
	for _, p := range cmp.Policies {
		names = append(names, p.Policy)
	}
	if !slices.Equal(names, []string{"a", "god", "b"}) {
		t.Fatalf("policies %q, want first-appearance order a, god, b", names)
	}
	a, god, b := cmp.Policies[0], cmp.Policies[1], cmp.Policies[2]
	var seeds []uint64
	for _, s := range a.Seeds {
		seeds = append(seeds, s.Seed)
	}
	if !slices.Equal(seeds, []uint64{1, 2, 3}) || a.Seeds[0].P99 != 100_000 || a.Seeds[2].P50 != 300_000 {
		t.Errorf("seeds of a: %+v, want 1, 2, 3 with 100 ms … 300 ms", a.Seeds)
	}
	// Mean 200 ms, s = 100 ms over n = 3: half-width t(0.975, 2)·100/√3 ms.
	half := t975df2 * 100_000 / math.Sqrt(3)
	for _, e := range []Estimate{a.P50, a.P95, a.P99} {
		if e.Seeds != 3 || e.MeanUS != 200_000 || !e.HasCI || !near(e.HalfUS, half) {
			t.Errorf("a: %+v, want mean 200000 µs ± %v", e, half)
		}
		if !e.HasRatio || e.Ratio != 2 {
			t.Errorf("a: ratio %v (%v), want 2 (200 ms / the bound's 100 ms)", e.Ratio, e.HasRatio)
		}
	}
	if a.Blocks != 3 || a.Adoptions != 3 {
		t.Errorf("a: %d blocks, %d adoptions; want 3 and 3 (the warm-up block excluded)", a.Blocks, a.Adoptions)
	}
	if !god.Bound || god.P50.HasCI || god.P50.Ratio != 1 {
		t.Errorf("god: %+v, want a bound without interval (one seed), ratio 1", god)
	}
	if b.P50.MeanUS != 5000 || b.P95.MeanUS != 10_000 || b.P99.MeanUS != 10_000 || b.P50.Ratio != 0.05 {
		t.Errorf("b: p50 %v p95 %v p99 %v ratio %v; want 5000, 10000, 10000 µs and ratio 0.05", b.P50.MeanUS, b.P95.MeanUS, b.P99.MeanUS, b.P50.Ratio)
	}
	// One window each: too few to tell convergence.
	if a.Converge.Status != TooFewRounds || len(a.Rounds) != 1 || a.Rounds[0].Seeds != 3 || a.Rounds[0].P99US != 200_000 {
		t.Errorf("a: rounds %+v, convergence %+v; want one window of 3 seeds at 200 ms, too few rounds", a.Rounds, a.Converge)
	}
	// Pooled CDF of a over its seeds: 100, 200, 300 ms.
	wantCDF := []CDFPoint{{100_000, 1.0 / 3}, {200_000, 2.0 / 3}, {300_000, 1}}
	if !slices.Equal(a.CDF, wantCDF) {
		t.Errorf("a: CDF %v, want %v", a.CDF, wantCDF)
	}
}

func TestCompareNoBoundNoRatio(t *testing.T) {
	cmp, err := Compare([]CompareRun{{Policy: "a", Seed: 1, Run: oneSample(5)}}, CompareOptions{Window: time.Minute, Tolerance: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if p := cmp.Policies[0]; p.P50.HasRatio || p.P50.HasCI || cmp.Tolerance != 0.2 {
		t.Errorf("%+v: want no ratio and no interval, tolerance 0.2", p)
	}
	// A bound whose mean is 0 gives no ratio either.
	cmp, err = Compare([]CompareRun{{Policy: "a", Seed: 1, Run: oneSample(5)}, {Policy: "g", Seed: 1, Run: oneSample(0), Bound: true}}, CompareOptions{From: secs(50), Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Policies[0].P99.HasRatio {
		t.Error("ratio to a zero bound")
	}
}

func TestConverge(t *testing.T) {
	tests := []struct {
		name string
		vs   []float64
		tol  float64
		want Convergence
	}{
		{"none", nil, 0.1, Convergence{Status: TooFewRounds}},
		{"two", []float64{1, 1}, 0.1, Convergence{Status: TooFewRounds}},
		{"flat", []float64{100, 100, 100}, 0.1, Convergence{Status: Converged, Round: 1, LevelUS: 100}},
		{"settles at 3", []float64{300, 200, 100, 100, 100, 100}, 0.1, Convergence{Status: Converged, Round: 3, LevelUS: 100}},
		{"band edge is inside", []float64{200, 110, 100, 100}, 0.1, Convergence{Status: Converged, Round: 2, LevelUS: 100}},
		{"just outside", []float64{200, 110.5, 100, 100}, 0.1, Convergence{Status: Converged, Round: 3, LevelUS: 100}},
		{"excursion resets", []float64{100, 300, 100, 100, 100}, 0.1, Convergence{Status: Converged, Round: 3, LevelUS: 100}},
		{"last window jumps", []float64{100, 100, 100, 100, 100, 150}, 0.1, Convergence{Status: NeverConverged, LevelUS: 125}},
		{"level zero", []float64{5, 0, 0, 0}, 0.1, Convergence{Status: Converged, Round: 2}},
		{"tolerance zero", []float64{2, 1, 1}, 0, Convergence{Status: Converged, Round: 2, LevelUS: 1}},
		{"wide band", []float64{300, 200, 100}, 3, Convergence{Status: Converged, Round: 1, LevelUS: 100}},
		// n = 7: the last ⌈7/3⌉ = 3 windows, (90+100+110)/3 = 100.
		{"third rounds up", []float64{500, 400, 300, 95, 90, 100, 110}, 0.1, Convergence{Status: Converged, Round: 4, LevelUS: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := converge(tt.vs, tt.tol); got != tt.want {
				t.Errorf("converge(%v, %v) = %+v, want %+v", tt.vs, tt.tol, got, tt.want)
			}
		})
	}
}

// TestCompareRoundsSkipGaps: convergence is over the windows that have
// adoptions, and its round is the window's own number.
func TestCompareRoundsSkipGaps(t *testing.T) {
	// From 100 s in 10 s windows: rounds 1, 2, 4, 5, 6 have a block; 3
	// has none. p99s 900, 500, 100, 100, 100 ms.
	run := handRun(1,
		block{0, []int64{5}}, // warm-up
		block{100, []int64{900}}, block{110, []int64{500}}, block{130, []int64{100}},
		block{140, []int64{100}}, block{150, []int64{100}})
	cmp, err := Compare([]CompareRun{{Policy: "p", Seed: 1, Run: run}}, CompareOptions{From: secs(100), Window: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := cmp.Policies[0]
	var rounds []int
	for _, r := range p.Rounds {
		rounds = append(rounds, r.Index+1)
	}
	if !slices.Equal(rounds, []int{1, 2, 4, 5, 6}) {
		t.Errorf("rounds %v, want 1 2 4 5 6", rounds)
	}
	if want := (Convergence{Status: Converged, Round: 4, LevelUS: 100_000}); p.Converge != want {
		t.Errorf("convergence %+v, want %+v (round 4, the third window with adoptions)", p.Converge, want)
	}
}

// TestCompareRoundMeans: a window's mean is over the seeds with adoptions
// in it.
func TestCompareRoundMeans(t *testing.T) {
	runs := []CompareRun{
		{Policy: "p", Seed: 1, Run: handRun(1, block{0, []int64{100}}, block{60, []int64{300}})},
		{Policy: "p", Seed: 2, Run: handRun(1, block{0, []int64{200}})},
	}
	cmp, err := Compare(runs, CompareOptions{Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := cmp.Policies[0].Rounds
	want := []RoundMean{
		{Index: 0, Start: 0, End: secs(60), Seeds: 2, P50US: 150_000, P95US: 150_000, P99US: 150_000},
		{Index: 1, Start: secs(60), End: secs(120), Seeds: 1, P50US: 300_000, P95US: 300_000, P99US: 300_000},
	}
	if !slices.Equal(got, want) {
		t.Errorf("rounds %+v, want %+v", got, want)
	}
}

func TestCompareErrors(t *testing.T) {
	ok := oneSample(1)
	win := CompareOptions{Window: time.Minute}
	tests := []struct {
		name string
		runs []CompareRun
		opt  CompareOptions
		want string
	}{
		{"no runs", nil, win, "no runs"},
		{"empty policy", []CompareRun{{Seed: 1, Run: ok}}, win, `run 0 (policy "", seed 1): empty policy name`},
		{"comma", []CompareRun{{Policy: "a,b", Seed: 1, Run: ok}}, win, `policy name "a,b" has ","`},
		{"pipe", []CompareRun{{Policy: "a|b", Seed: 1, Run: ok}}, win, `has "|"`},
		{"newline", []CompareRun{{Policy: "a\nb", Seed: 1, Run: ok}}, win, `control characters`},
		{"nil run", []CompareRun{{Policy: "a", Seed: 4}}, win, `run 0 (policy "a", seed 4): Run is nil`},
		{"seed twice", []CompareRun{{Policy: "a", Seed: 2, Run: ok}, {Policy: "b", Seed: 2, Run: ok}, {Policy: "a", Seed: 2, Run: ok}}, win, `policy "a" has seed 2 twice`},
		{"mixed bound", []CompareRun{{Policy: "a", Seed: 1, Run: ok}, {Policy: "a", Seed: 2, Run: ok, Bound: true}}, win, `run 1 (policy "a", seed 2): Bound = true but an earlier run`},
		{"two bounds", []CompareRun{{Policy: "g", Seed: 1, Run: ok, Bound: true}, {Policy: "h", Seed: 1, Run: ok, Bound: true}}, win, `a second bound policy after "g"`},
		{"warm-up too long", []CompareRun{{Policy: "a", Seed: 9, Run: ok}}, CompareOptions{From: secs(101), Window: time.Minute}, `policy "a", seed 9: no adoption of a block whose slot starts at or after the warm-up end`},
		{"negative from", []CompareRun{{Policy: "a", Seed: 1, Run: ok}}, CompareOptions{From: -1, Window: time.Minute}, "From = "},
		{"zero window", []CompareRun{{Policy: "a", Seed: 1, Run: ok}}, CompareOptions{}, "Window = 0s; want a duration > 0"},
		{"negative tolerance", []CompareRun{{Policy: "a", Seed: 1, Run: ok}}, CompareOptions{Window: time.Minute, Tolerance: -0.1}, "Tolerance = -0.1"},
		{"NaN tolerance", []CompareRun{{Policy: "a", Seed: 1, Run: ok}}, CompareOptions{Window: time.Minute, Tolerance: math.NaN()}, "Tolerance = NaN"},
		{"infinite tolerance", []CompareRun{{Policy: "a", Seed: 1, Run: ok}}, CompareOptions{Window: time.Minute, Tolerance: math.Inf(1)}, "Tolerance = +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Compare(tt.runs, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compare = %v, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}
}

// TestComparePooledMatchesSorting: per-seed statistics and the pooled CDF
// agree with sorting every post-warm-up adoption.
func TestComparePooledMatchesSorting(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nSeeds := rapid.IntRange(1, 3).Draw(t, "seeds")
		nodes := rapid.IntRange(1, 40).Draw(t, "nodes")
		from := secs(rapid.Int64Range(0, 60).Draw(t, "fromS"))
		var runs []CompareRun
		var all []int64
		for s := range nSeeds {
			c := randomCollector(rapid.Uint64().Draw(t, "seed"), nodes, rapid.IntRange(4, 30).Draw(t, "blocks"))
			runs = append(runs, CompareRun{Policy: "p", Seed: uint64(s), Run: c})
			var mine []int64
			for b := range c.Blocks() {
				if c.Block(b).SlotStart < from {
					continue
				}
				for n := range nodes {
					if v, ok := c.AdoptionUS(b, n); ok {
						mine = append(mine, v)
					}
				}
			}
			slices.Sort(mine)
			all = append(all, mine...)
			if len(mine) == 0 {
				return // Compare rejects it; TestCompareErrors covers that
			}
		}
		cmp, err := Compare(runs, CompareOptions{From: from, Window: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		p := cmp.Policies[0]
		for i, s := range p.Seeds {
			c := runs[i].Run
			var mine []int64
			for b := range c.Blocks() {
				if c.Block(b).SlotStart >= from {
					for n := range nodes {
						if v, ok := c.AdoptionUS(b, n); ok {
							mine = append(mine, v)
						}
					}
				}
			}
			slices.Sort(mine)
			if s.Stats != Summarise(mine) {
				t.Fatalf("seed %d: %+v; sorting gives %+v", s.Seed, s.Stats, Summarise(mine))
			}
		}
		slices.Sort(all)
		want := CDFOf(all)
		if all[0] != want[0].US {
			le := 0
			for le < len(all) && all[le] == all[0] {
				le++
			}
			want = append([]CDFPoint{{all[0], float64(le) / float64(len(all))}}, want...)
		}
		if !slices.Equal(p.CDF, want) {
			t.Fatalf("pooled CDF (%d points) differs from sorting (%d points)", len(p.CDF), len(want))
		}
		if len(p.CDF) > CDFSteps+1 || p.CDF[len(p.CDF)-1].Fraction != 1 {
			t.Fatalf("CDF has %d points ending at %v", len(p.CDF), p.CDF[len(p.CDF)-1])
		}
	})
}

// calmCollector is randomCollector with a tail of 20 s instead of 600 s,
// so the many small histograms of a comparison stay cheap in rapid loops.
func calmCollector(seed uint64, nodes, blocks int) *Collector {
	r := rand.New(rand.NewPCG(seed, 2))
	c := NewCollector(nodes)
	for b := range blocks {
		start := secs(int64(b) * 20)
		c.BlockMade(b, int64(b)*20, r.IntN(nodes), start)
		for n := range nodes {
			switch k := r.IntN(20); {
			case k == 0: // unreached
			case k == 1:
				c.Adopted(b, n, start+usT(int64(r.IntN(3))*1000)) // ties on bucket edges
			case k == 2:
				c.Adopted(b, n, start+usT(int64(r.IntN(20_000_000))))
			default:
				c.Adopted(b, n, start+usT(int64(r.IntN(3_000_000))))
			}
		}
	}
	return c
}

// compareFixture is three policies (one a bound) of three seeds each over
// random collectors: the order-independence and golden tests use it.
func compareFixture(nodes, blocks int) []CompareRun {
	var runs []CompareRun
	for i, pol := range []string{"close-random", "gods-view", "peer-score"} {
		for seed := range uint64(3) {
			c := calmCollector(100*uint64(i)+seed, nodes, blocks)
			runs = append(runs, CompareRun{Policy: pol, Seed: 10 + seed, Run: c, Bound: pol == "gods-view"})
		}
	}
	return runs
}

var fixtureOpt = CompareOptions{From: secs(100), Window: 2 * time.Minute}

// textBytes renders every text file WriteCompare writes, by name.
func textBytes(t interface {
	Fatal(...any)
}, cmp *Comparison) map[string][]byte {
	out := make(map[string][]byte)
	for _, f := range compareTextFiles(cmp) {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			t.Fatal(err)
		}
		out[f.name] = buf.Bytes()
	}
	return out
}

// TestCompareOrderIndependent: any shuffle of the runs gives the same bytes
// as the canonical order with the same first appearance of policies.
func TestCompareOrderIndependent(t *testing.T) {
	base := compareFixture(6, 12)
	rapid.Check(t, func(t *rapid.T) {
		runs := rapid.Permutation(base).Draw(t, "runs")
		var order []string
		for _, r := range runs {
			if !slices.Contains(order, r.Policy) {
				order = append(order, r.Policy)
			}
		}
		canon := slices.Clone(base)
		slices.SortStableFunc(canon, func(a, b CompareRun) int {
			return slices.Index(order, a.Policy) - slices.Index(order, b.Policy)
		})
		got, err := Compare(runs, fixtureOpt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compare(canon, fixtureOpt)
		if err != nil {
			t.Fatal(err)
		}
		g, w := textBytes(t, got), textBytes(t, want)
		for name := range w {
			if !bytes.Equal(g[name], w[name]) {
				t.Fatalf("%s differs between input orders", name)
			}
		}
	})
}

// TestWriteCompareShuffled writes a comparison from two orders of the same
// runs (policies first seen in the same order) and checks every file,
// plots included, is byte-identical, that the plots are PNG, and that the
// folder holds exactly the listed files.
func TestWriteCompareShuffled(t *testing.T) {
	runs := compareFixture(8, 10)
	shuffled := slices.Clone(runs)
	slices.Reverse(shuffled[1:]) // close-random still first; the rest reversed
	slices.SortStableFunc(shuffled, func(a, b CompareRun) int {
		rank := map[string]int{"close-random": 0, "gods-view": 1, "peer-score": 2}
		return rank[a.Policy] - rank[b.Policy]
	})
	if slices.EqualFunc(runs, shuffled, func(a, b CompareRun) bool { return a.Seed == b.Seed }) {
		t.Fatal("the shuffle changed nothing")
	}
	var dirs [2]string
	for i, rs := range [][]CompareRun{runs, shuffled} {
		cmp, err := Compare(rs, fixtureOpt)
		if err != nil {
			t.Fatal(err)
		}
		dirs[i] = filepath.Join(t.TempDir(), "out") // created by WriteCompare
		if err := WriteCompare(dirs[i], cmp); err != nil {
			t.Fatal(err)
		}
	}
	names := []string{CompareCDFFile, CompareCDFPNGFile, CompareOverheadFile, CompareRoundsFile, CompareRoundsPNGFile, CompareSeedsFile, CompareFile, CompareMDFile}
	sharedtest.AssertOnly(t, dirs[0], names...)
	for _, name := range names {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between input orders", name)
		}
		if strings.HasSuffix(name, ".png") && !bytes.HasPrefix(a, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s is not a PNG", name)
		}
	}
}

// goldenRuns is a small comparison whose outputs are checked by eye in
// testdata/compare: a policy of three seeds that converges at round 2, a
// bound of two seeds (flat: round 1), a one-seed policy without interval
// whose last window jumps (never) and one with only two windows (too few).
func goldenRuns() []CompareRun {
	settle := func(first, later int64) *Collector {
		// A warm-up block, then a block a minute from 60 s to 360 s:
		// rounds 1 … 6 of 60 s, the first slower.
		return handRun(3,
			block{0, []int64{5000, 5000, 5000}},
			block{60, []int64{0, first, 2 * first}}, block{120, []int64{0, later, 2 * later}},
			block{180, []int64{0, later + 10, 2 * later}}, block{240, []int64{0, later, 2*later + 5}},
			block{300, []int64{1, later, 2 * later}}, block{360, []int64{0, later, -1}}, // a node missed the last block
			block{370, []int64{0, later, 2 * later}})
	}
	return []CompareRun{
		{Policy: "close-random", Seed: 2, Run: settle(900, 410)},
		{Policy: "close-random", Seed: 1, Run: settle(800, 400)},
		{Policy: "gods-view", Seed: 1, Run: settle(300, 300), Bound: true},
		{Policy: "close-random", Seed: 3, Run: settle(1000, 420)},
		{Policy: "gods-view", Seed: 2, Run: settle(310, 305), Bound: true},
		{Policy: "static-random", Seed: 1, Run: handRun(3,
			block{60, []int64{20, 500, 600}}, block{120, []int64{20, 500, 600}}, block{180, []int64{20, 500, 600}},
			block{240, []int64{20, 500, 600}}, block{300, []int64{20, 500, 600}}, block{360, []int64{20, 500, 1500}})},
		{Policy: "two-groups", Seed: 5, Run: handRun(3, block{60, []int64{20, 450, 700}}, block{120, []int64{20, 450, 650}})},
	}
}

func TestCompareGolden(t *testing.T) {
	cmp, err := Compare(goldenRuns(), CompareOptions{From: secs(60), Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := textBytes(t, cmp)
	for _, name := range []string{CompareFile, CompareSeedsFile, CompareRoundsFile, CompareCDFFile, CompareMDFile} {
		golden := filepath.Join("testdata", "compare", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got[name], want) {
			t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, golden, got[name], want)
		}
	}
}

// TestWriteCompareFailureLeavesNoPartialFile: a folder that cannot be
// created is an error, and nothing is left behind.
func TestWriteCompareErrors(t *testing.T) {
	cmp, err := Compare(goldenRuns(), CompareOptions{From: secs(60), Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteCompare(filepath.Join(file, "sub"), cmp); err == nil || !strings.Contains(err.Error(), "file") {
		t.Errorf("WriteCompare under a file: %v, want an error naming the path", err)
	}
}

func BenchmarkCompare(b *testing.B) {
	runs := compareFixture(500, 100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(runs, fixtureOpt); err != nil {
			b.Fatal(err)
		}
	}
}
