package netmodel

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"time"
)

// Jitter perturbs each message's latency independently: a latency d becomes
// a whole number of nanoseconds drawn uniformly from
// [d − ⌊d·Fraction⌋, d + ⌊d·Fraction⌋]. Fraction must lie in [0, 1), so a
// positive latency stays positive and the mean is unchanged.
//
// The only floating-point step is the single product d·Fraction, which
// IEEE 754 rounds identically on every GOARCH; the draw itself is an integer
// (one rng.Uint64), so results are byte-identical across machines.
type Jitter struct {
	// Fraction is the half-width of the uniform band relative to the
	// latency; 0 disables jitter.
	Fraction float64
}

// Validate reports whether the jitter parameters are usable.
func (j Jitter) Validate() error {
	f := j.Fraction
	// The comparison form also rejects NaN.
	if !(f >= 0 && f < 1) {
		return fmt.Errorf("netmodel: jitter fraction %v: want a number in [0, 1)", f)
	}
	return nil
}

// Apply returns d with jitter. When Fraction is 0 it returns d unchanged and
// draws nothing, so turning jitter on in one place does not shift another
// component's random stream; otherwise it draws exactly one rng.Uint64,
// whatever d is, so the stream position does not depend on latencies. A
// positive d never yields a result below 1 ns. It panics on a negative d or
// on parameters Validate rejects.
func (j Jitter) Apply(d time.Duration, rng *rand.Rand) time.Duration {
	if j.Fraction == 0 {
		return d
	}
	if err := j.Validate(); err != nil {
		panic(err)
	}
	if d < 0 {
		panic(fmt.Sprintf("netmodel: Jitter.Apply(%v): negative latency", d))
	}
	span := int64(float64(d) * j.Fraction)
	// float64(d) may round up for huge d; keep d−span ≥ 1 and d+span in range.
	if span >= int64(d) {
		span = int64(d) - 1
	}
	if span > math.MaxInt64-int64(d) {
		span = math.MaxInt64 - int64(d)
	}
	if span < 0 {
		span = 0 // d == 0
	}
	// span ≤ (MaxInt64−1)/2 here, so 2·span+1 cannot overflow. Mapping one
	// Uint64 by multiply-high (Lemire without rejection) always draws exactly
	// once; its bias, below (2·span+1)/2^64, is far under any measurable effect.
	k, _ := bits.Mul64(rng.Uint64(), uint64(2*span+1))
	return d + time.Duration(int64(k)-span)
}
