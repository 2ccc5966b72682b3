package flood

import "sort"

// Summary is the model's per-run statistics (MODEL.md §5): the arithmetic
// mean over blocks of each block's nearest-rank percentiles, in µs, with
// unreached nodes counted as +∞.
type Summary struct {
	Blocks                         int
	Events                         uint64
	P50Us, P95Us, P99Us, MaxUs     float64
	UnreachedPercentiles           int // block percentiles that fell on an unreached node
	sumP50, sumP95, sumP99, sumMax int64
	scratch                        []int64
}

// Add folds one block's arrivals (µs, Unreached = -1) into the summary.
func (s *Summary) Add(arrivals []int64, events uint64) {
	s.scratch = append(s.scratch[:0], arrivals...)
	for i, v := range s.scratch {
		if v < 0 {
			s.scratch[i] = 1<<63 - 1
		}
	}
	sort.Slice(s.scratch, func(i, j int) bool { return s.scratch[i] < s.scratch[j] })
	pick := func(p int) int64 {
		v := s.scratch[NearestRank(len(s.scratch), p)]
		if v == 1<<63-1 {
			s.UnreachedPercentiles++
			return 0
		}
		return v
	}
	s.sumP50 += pick(50)
	s.sumP95 += pick(95)
	s.sumP99 += pick(99)
	s.sumMax += pick(100)
	s.Blocks++
	s.Events += events
	b := float64(s.Blocks)
	s.P50Us, s.P95Us, s.P99Us, s.MaxUs = float64(s.sumP50)/b, float64(s.sumP95)/b, float64(s.sumP99)/b, float64(s.sumMax)/b
}

// NearestRank returns the 0-based index of the nearest-rank p-th
// percentile of n sorted values: the ⌈p·n/100⌉-th smallest, 1-based.
func NearestRank(n, p int) int {
	k := (p*n + 99) / 100
	if k < 1 {
		k = 1
	}
	return k - 1
}
