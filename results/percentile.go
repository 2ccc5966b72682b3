package results

import (
	"fmt"
	"sort"
)

// Stats holds nearest-rank percentiles of adoption times (or of header
// arrival times), in whole microseconds after the slot start, over the
// adoptions (arrivals) that happened. Nodes that never adopted are not
// samples; they only lower Reached. When Reached is 0 the percentile fields
// are 0 and mean nothing.
type Stats struct {
	Reached int64 // number of samples (adoptions, or header arrivals)
	P50     int64
	P90     int64
	P95     int64
	P99     int64
	Max     int64
}

// statsPercents are the percentiles Stats reports, in field order.
var statsPercents = [...]int64{50, 90, 95, 99, 100}

func statsFrom(n int64, v [len(statsPercents)]int64) Stats {
	return Stats{Reached: n, P50: v[0], P90: v[1], P95: v[2], P99: v[3], Max: v[4]}
}

// nearestRank returns the 1-based nearest rank ⌈num·n/den⌉ of the quantile
// num/den among n samples, at least 1 so that a tiny quantile is the
// minimum (benchmarks/flood/MODEL.md §5 defines the percentile p as the
// ⌈p·N/100⌉-th smallest value). Integer arithmetic keeps it exact: 99.9 %
// of 1,000 is rank 999, which float arithmetic can get wrong.
func nearestRank(n, num, den int64) int64 {
	if den <= 0 || num < 0 || num > den {
		panic(fmt.Sprintf("results: quantile %d/%d outside [0, 1]", num, den))
	}
	r := (num*n + den - 1) / den
	return max(r, 1)
}

// Quantile returns the nearest-rank quantile num/den of sorted: its
// ⌈num·N/den⌉-th smallest element (1-based), or the smallest when that rank
// is 0. It panics if sorted is empty or num/den is not within [0, 1]; sorted
// must be in ascending order.
func Quantile(sorted []int64, num, den int64) int64 {
	if len(sorted) == 0 {
		panic("results: Quantile of no samples")
	}
	return sorted[nearestRank(int64(len(sorted)), num, den)-1]
}

// Percentile returns the nearest-rank percentile p (0..100) of sorted, i.e.
// Quantile(sorted, p, 100). It panics under the same conditions.
func Percentile(sorted []int64, p int64) int64 {
	return Quantile(sorted, p, 100)
}

// Summarise returns the Stats of the ascending samples sorted (any unit;
// the package uses microseconds). An empty slice gives the zero Stats.
func Summarise(sorted []int64) Stats {
	if len(sorted) == 0 {
		return Stats{}
	}
	var v [len(statsPercents)]int64
	for i, p := range statsPercents {
		v[i] = Percentile(sorted, p)
	}
	return statsFrom(int64(len(sorted)), v)
}

// CDFSteps is how finely a CDF is sampled: one point per 1/CDFSteps of the
// samples (0.1 %), so a CDF has at most CDFSteps points.
const CDFSteps = 1000

// CDFPoint is one point of an empirical CDF: Fraction of the samples are at
// most US microseconds.
type CDFPoint struct {
	US       int64
	Fraction float64
}

// CDFOf returns the empirical CDF of the ascending samples sorted, sampled at
// the nearest-rank quantile k/CDFSteps for k = 1..CDFSteps, one point per
// distinct value, each with the exact fraction of samples ≤ that value. With
// at most CDFSteps samples every distinct value appears, so it is the full
// CDF. The last point is the maximum with fraction 1. Empty in, nil out.
func CDFOf(sorted []int64) []CDFPoint {
	n := int64(len(sorted))
	if n == 0 {
		return nil
	}
	var out []CDFPoint
	for k := int64(1); k <= CDFSteps; k++ {
		v := sorted[nearestRank(n, k, CDFSteps)-1]
		if len(out) > 0 && out[len(out)-1].US == v {
			continue
		}
		le := sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })
		out = append(out, CDFPoint{US: v, Fraction: float64(le) / float64(n)})
	}
	return out
}

// Pooled returns the Stats over every (block, node) adoption of the run,
// warm-up blocks excepted (SetWarmup).
func (c *Collector) Pooled() Stats { return c.pooled(false) }

// HeaderPooled returns the Stats over every (block, node) header arrival of
// the run, warm-up blocks excepted (SetWarmup), exactly as Pooled does for
// adoptions.
func (c *Collector) HeaderPooled() Stats { return c.pooled(true) }

// pooled is Pooled, or HeaderPooled when header is set.
func (c *Collector) pooled(header bool) Stats {
	n := c.measuredCount(header)
	if n == 0 {
		return Stats{}
	}
	ranks := make([]int64, len(statsPercents))
	for i, p := range statsPercents {
		ranks[i] = nearestRank(n, p, 100)
	}
	vals, _ := c.pooledQuantiles(header, ranks)
	return statsFrom(n, [len(statsPercents)]int64(vals))
}

// CDF returns the pooled empirical CDF of every adoption of the run, sampled
// as CDFOf describes.
func (c *Collector) CDF() []CDFPoint { return c.pooledCDF(false) }

// HeaderCDF returns the pooled empirical CDF of every header arrival of the
// run, sampled as CDFOf describes.
func (c *Collector) HeaderCDF() []CDFPoint { return c.pooledCDF(true) }

// pooledCDF is CDF, or HeaderCDF when header is set.
func (c *Collector) pooledCDF(header bool) []CDFPoint {
	n := c.measuredCount(header)
	if n == 0 {
		return nil
	}
	ranks := make([]int64, CDFSteps)
	for k := range ranks {
		ranks[k] = nearestRank(n, int64(k+1), CDFSteps)
	}
	vals, le := c.pooledQuantiles(header, ranks)
	var out []CDFPoint
	for i, v := range vals {
		if len(out) > 0 && out[len(out)-1].US == v {
			continue
		}
		out = append(out, CDFPoint{US: v, Fraction: float64(le[i]) / float64(n)})
	}
	return out
}

// bucketShift splits a µs value into a coarse bucket (v>>10, about 1 ms) and
// a fine offset inside it, for pooledQuantiles' two-level histogram.
const bucketShift = 10

// pooledQuantiles returns, for each 1-based rank in the ascending ranks
// (each within [1, measuredCount(header)]), the rank-th smallest adoption
// time (header arrival time when header is set) over the measured blocks
// and the number of samples ≤ that value: histScratch.quantiles over every
// block past the warm-up.
func (c *Collector) pooledQuantiles(header bool, ranks []int64) (vals, countLE []int64) {
	set := blockSet{c: c, header: header}
	for i := range c.blocks {
		if c.measured(i) {
			set.blocks = append(set.blocks, i)
		}
	}
	var h histScratch
	return h.quantiles([]blockSet{set}, ranks)
}

// appendPercentiles appends ",p50,p90,p95,p99,max" in ms as blocks.csv and
// rounds.csv write them: empty fields when there are no samples.
func appendPercentiles(line []byte, s Stats) []byte {
	return appendMS(line, s.Reached > 0, s.P50, s.P90, s.P95, s.P99, s.Max)
}

// appendHeaderPercentiles appends ",p50,p90,p95,p99" in ms as blocks.csv
// writes a block's header arrival percentiles: empty fields when there are
// no samples.
func appendHeaderPercentiles(line []byte, s Stats) []byte {
	return appendMS(line, s.Reached > 0, s.P50, s.P90, s.P95, s.P99)
}

// appendMS appends "," and each of us in ms, or only the commas when !ok.
func appendMS(line []byte, ok bool, us ...int64) []byte {
	for _, v := range us {
		line = append(line, ',')
		if ok {
			line = append(line, FormatMS(v)...)
		}
	}
	return line
}
