package results

import (
	"math/rand/v2"
	"slices"
	"testing"
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
