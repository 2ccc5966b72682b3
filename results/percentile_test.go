package results

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dpsim/dpsim/clock"
)

func TestQuantile(t *testing.T) {
	ten := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	ties := []int64{5, 5, 5, 7, 7, 9}
	thousand := make([]int64, 1000)
	for i := range thousand {
		thousand[i] = int64(i + 1)
	}
	tests := []struct {
		name     string
		sorted   []int64
		num, den int64
		want     int64
	}{
		{"N=1 p50", []int64{42}, 50, 100, 42},
		{"N=1 p100", []int64{42}, 100, 100, 42},
		{"N=1 p0 is the minimum", []int64{42}, 0, 100, 42},
		{"p50 of 10 is the 5th", ten, 50, 100, 5},
		{"p51 of 10 rounds up to the 6th", ten, 51, 100, 6},
		{"p90 of 10", ten, 90, 100, 9},
		{"p95 of 10 rounds up to the 10th", ten, 95, 100, 10},
		{"p100 is the max", ten, 100, 100, 10},
		{"tiny p is the minimum", ten, 1, 1_000_000, 1},
		{"p0 is the minimum", ten, 0, 100, 1},
		{"ties p50", ties, 50, 100, 5},
		{"ties p51", ties, 51, 100, 7},
		{"ties p67 rounds to rank 5", ties, 67, 100, 7},
		{"ties p84 is rank 6", ties, 84, 100, 9},
		// 99.9 % of 1000 in floats is 999.0000000000001, whose ceiling is 1000.
		{"99.9% of 1000 is exact", thousand, 999, 1000, 999},
		{"0.1% of 1000", thousand, 1, 1000, 1},
		{"0.15% of 1000 rounds up", thousand, 15, 10000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.sorted, tt.num, tt.den); got != tt.want {
				t.Errorf("Quantile(%v, %d/%d) = %d, want %d", tt.sorted, tt.num, tt.den, got, tt.want)
			}
		})
	}
}

func TestPercentileMatchesQuantile(t *testing.T) {
	s := []int64{3, 8, 8, 20, 31}
	for p := int64(0); p <= 100; p++ {
		if got, want := Percentile(s, p), Quantile(s, p, 100); got != want {
			t.Fatalf("Percentile(%d) = %d, Quantile = %d", p, got, want)
		}
	}
}

func TestQuantilePanics(t *testing.T) {
	tests := []struct {
		name     string
		sorted   []int64
		num, den int64
	}{
		{"empty", nil, 50, 100},
		{"above 1", []int64{1}, 101, 100},
		{"negative", []int64{1}, -1, 100},
		{"zero den", []int64{1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Quantile(%v, %d/%d) did not panic", tt.sorted, tt.num, tt.den)
				}
			}()
			Quantile(tt.sorted, tt.num, tt.den)
		})
	}
}

func TestSummarise(t *testing.T) {
	tests := []struct {
		name   string
		sorted []int64
		want   Stats
	}{
		{"empty", nil, Stats{}},
		{"one", []int64{7}, Stats{Reached: 1, P50: 7, P90: 7, P95: 7, P99: 7, Max: 7}},
		{"hundred", seq(1, 100), Stats{Reached: 100, P50: 50, P90: 90, P95: 95, P99: 99, Max: 100}},
		{"twenty", seq(1, 20), Stats{Reached: 20, P50: 10, P90: 18, P95: 19, P99: 20, Max: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarise(tt.sorted); got != tt.want {
				t.Errorf("Summarise = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func seq(from, to int64) []int64 {
	var s []int64
	for v := from; v <= to; v++ {
		s = append(s, v)
	}
	return s
}

func TestCDFOf(t *testing.T) {
	tests := []struct {
		name   string
		sorted []int64
		want   []CDFPoint
	}{
		{"empty", nil, nil},
		{"one", []int64{5}, []CDFPoint{{5, 1}}},
		{"ties collapse to one point with the full fraction", []int64{1, 2, 2, 2}, []CDFPoint{{1, 0.25}, {2, 1}}},
		{"distinct", []int64{10, 20, 30, 40}, []CDFPoint{{10, 0.25}, {20, 0.5}, {30, 0.75}, {40, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CDFOf(tt.sorted); !slices.Equal(got, tt.want) {
				t.Errorf("CDFOf(%v) = %v, want %v", tt.sorted, got, tt.want)
			}
		})
	}
}

func TestCDFOfDownsamples(t *testing.T) {
	s := seq(1, 100_000)
	cdf := CDFOf(s)
	if len(cdf) != CDFSteps {
		t.Fatalf("len = %d, want %d", len(cdf), CDFSteps)
	}
	if cdf[499] != (CDFPoint{50_000, 0.5}) || cdf[CDFSteps-1] != (CDFPoint{100_000, 1}) {
		t.Errorf("cdf[499] = %v, last = %v", cdf[499], cdf[CDFSteps-1])
	}
}

// randomCollector fills a collector with adoption times spread over several
// histogram buckets, with ties, unreached nodes and a few huge outliers.
func randomCollector(seed uint64, nodes, blocks int) *Collector {
	r := rand.New(rand.NewPCG(seed, 1))
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
				c.Adopted(b, n, start+usT(int64(r.IntN(600_000_000)))) // far tail
			default:
				c.Adopted(b, n, start+usT(int64(r.IntN(3_000_000))))
			}
		}
	}
	return c
}

// withRandomHeaders adds header arrivals to c's blocks: most nodes get one
// before their adoption, a few none, a few only a header (the block is
// never adopted there), with ties and a repeated later report; the producer
// is reported too and must be ignored. It returns c.
func withRandomHeaders(c *Collector, seed uint64) *Collector {
	r := rand.New(rand.NewPCG(seed, 2))
	for b := range c.Blocks() {
		start := c.blocks[b].slotStart
		for n := range c.Nodes() {
			adopted, ok := c.AdoptionUS(b, n)
			var us int64
			k := r.IntN(20)
			switch {
			case k == 0: // no header
				continue
			case k == 1:
				us = int64(r.IntN(3)) * 1000 // ties on bucket edges
			case !ok:
				us = int64(r.IntN(5_000_000)) // header only
			default:
				us = adopted - int64(r.IntN(int(adopted)+1))
			}
			c.HeaderArrived(b, n, start+usT(us))
			if k%3 == 0 {
				c.HeaderArrived(b, n, start+usT(us+int64(r.IntN(1000)))) // a later report: ignored
			}
		}
	}
	return c
}

// allHeadersSorted is the brute-force pooled header sample over the blocks
// whose slot starts at or after from.
func allHeadersSorted(c *Collector, from clock.Time) []int64 {
	var s []int64
	for b := range c.Blocks() {
		if c.Block(b).SlotStart < from {
			continue
		}
		for n := range c.Nodes() {
			if v, ok := c.HeaderUS(b, n); ok {
				s = append(s, v)
			}
		}
	}
	slices.Sort(s)
	return s
}

// allSorted is the brute-force pooled sample the histogram must agree with.
func allSorted(c *Collector) []int64 {
	var s []int64
	for b := range c.Blocks() {
		for n := range c.Nodes() {
			if v, ok := c.AdoptionUS(b, n); ok {
				s = append(s, v)
			}
		}
	}
	slices.Sort(s)
	return s
}

func TestPooledMatchesSorting(t *testing.T) {
	for _, tc := range []struct {
		seed          uint64
		nodes, blocks int
	}{{1, 1, 1}, {2, 7, 3}, {3, 50, 40}, {4, 400, 30}} {
		c := randomCollector(tc.seed, tc.nodes, tc.blocks)
		s := allSorted(c)
		if got, want := c.Pooled(), Summarise(s); got != want {
			t.Errorf("seed %d: Pooled = %+v, sorting gives %+v", tc.seed, got, want)
		}
		if got, want := c.CDF(), CDFOf(s); !slices.Equal(got, want) {
			t.Errorf("seed %d: CDF differs from CDFOf: %d vs %d points", tc.seed, len(got), len(want))
		}
	}
}

// TestHeaderPooledMatchesSorting checks the pooled header percentiles and
// CDF against sorting every header arrival, with and without a warm-up, and
// that recording headers leaves the adoption statistics as they were.
func TestHeaderPooledMatchesSorting(t *testing.T) {
	for _, tc := range []struct {
		seed          uint64
		nodes, blocks int
	}{{1, 1, 1}, {2, 7, 3}, {3, 50, 40}, {4, 400, 30}} {
		plain := randomCollector(tc.seed, tc.nodes, tc.blocks)
		c := withRandomHeaders(randomCollector(tc.seed, tc.nodes, tc.blocks), tc.seed)
		if got, want := c.Pooled(), plain.Pooled(); got != want {
			t.Errorf("seed %d: headers changed Pooled: %+v, want %+v", tc.seed, got, want)
		}
		for _, warmup := range []clock.Time{0, secs(int64(tc.blocks) * 10)} {
			c.SetWarmup(warmup)
			s := allHeadersSorted(c, warmup)
			if got := c.MeasuredHeaderArrivals(); got != int64(len(s)) {
				t.Errorf("seed %d, warm-up %v: MeasuredHeaderArrivals = %d, want %d", tc.seed, warmup, got, len(s))
			}
			if got, want := c.HeaderPooled(), Summarise(s); got != want {
				t.Errorf("seed %d, warm-up %v: HeaderPooled = %+v, sorting gives %+v", tc.seed, warmup, got, want)
			}
			if got, want := c.HeaderCDF(), CDFOf(s); !slices.Equal(got, want) {
				t.Errorf("seed %d, warm-up %v: HeaderCDF differs from CDFOf: %d vs %d points", tc.seed, warmup, len(got), len(want))
			}
		}
		if got, want := c.HeaderArrivals(), int64(len(allHeadersSorted(c, 0))); got != want {
			t.Errorf("seed %d: HeaderArrivals = %d, want %d", tc.seed, got, want)
		}
	}
}

// TestBlockHeaderStats checks each block's header percentiles against
// sorting its header arrivals.
func TestBlockHeaderStats(t *testing.T) {
	c := withRandomHeaders(randomCollector(5, 120, 6), 5)
	for b := range c.Blocks() {
		var s []int64
		for n := range c.Nodes() {
			if v, ok := c.HeaderUS(b, n); ok {
				s = append(s, v)
			}
		}
		slices.Sort(s)
		if got, want := c.Block(b).Header, Summarise(s); got != want {
			t.Errorf("block %d: Header = %+v, sorting gives %+v", b, got, want)
		}
		if _, ok := c.HeaderUS(b, c.Block(b).Producer); ok {
			t.Errorf("block %d: the producer has a header arrival", b)
		}
	}
}

func TestHeaderPooledEmpty(t *testing.T) {
	c := NewCollector(3)
	c.BlockMade(0, 1, 0, 0)
	c.Adopted(0, 1, usT(5))
	if got := c.HeaderPooled(); got != (Stats{}) {
		t.Errorf("HeaderPooled = %+v, want zero", got)
	}
	if got := c.HeaderCDF(); got != nil {
		t.Errorf("HeaderCDF = %v, want nil", got)
	}
	// Header arrivals only before the warm-up: none measured.
	c.HeaderArrived(0, 2, usT(3))
	c.SetWarmup(secs(1))
	if got := c.HeaderPooled(); got != (Stats{}) || c.MeasuredHeaderArrivals() != 0 || c.HeaderCDF() != nil {
		t.Errorf("HeaderPooled = %+v, MeasuredHeaderArrivals = %d after the warm-up cut; want none", got, c.MeasuredHeaderArrivals())
	}
}

func TestPooledEmpty(t *testing.T) {
	c := NewCollector(3)
	c.BlockMade(0, 1, 0, 0)
	if got := c.Pooled(); got != (Stats{}) {
		t.Errorf("Pooled = %+v, want zero", got)
	}
	if got := c.CDF(); got != nil {
		t.Errorf("CDF = %v, want nil", got)
	}
}
