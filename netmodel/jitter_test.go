package netmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestJitterValidate(t *testing.T) {
	tests := []struct {
		f  float64
		ok bool
	}{
		{0, true}, {0.1, true}, {0.999, true},
		{-0.1, false}, {1, false}, {1.5, false}, {math.NaN(), false}, {math.Inf(1), false},
	}
	for _, tt := range tests {
		err := Jitter{Fraction: tt.f}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%v) = %v, want ok=%v", tt.f, err, tt.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), fmt.Sprint(tt.f)) || !strings.Contains(err.Error(), "[0, 1)")) {
			t.Errorf("error %q does not name the value and the accepted range", err)
		}
	}
}

// TestJitterOffDrawsNothing: Fraction 0 returns d and leaves the stream
// where it was, so enabling jitter elsewhere shifts no other stream.
func TestJitterOffDrawsNothing(t *testing.T) {
	a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	for _, d := range []time.Duration{0, 1, 37 * time.Millisecond} {
		if got := (Jitter{}).Apply(d, a); got != d {
			t.Fatalf("Apply(%v) with no jitter = %v", d, got)
		}
	}
	if a.Uint64() != b.Uint64() {
		t.Fatal("Fraction 0 consumed randomness")
	}
}

// TestJitterOneDrawWhateverLatency: the stream advances by one draw per
// call, independent of d, so latencies do not shift later draws.
func TestJitterOneDrawWhateverLatency(t *testing.T) {
	j := Jitter{Fraction: 0.3}
	for _, d := range []time.Duration{0, 1, 2, time.Second, math.MaxInt64} {
		a, b := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
		j.Apply(d, a)
		b.Uint64()
		if a.Uint64() != b.Uint64() {
			t.Fatalf("Apply(%v) did not draw exactly once", d)
		}
	}
}

func TestJitterBounds(t *testing.T) {
	tests := []struct {
		name   string
		f      float64
		d      time.Duration
		lo, hi time.Duration
	}{
		{"10% of 100 ms", 0.1, 100 * time.Millisecond, 90 * time.Millisecond, 110 * time.Millisecond},
		{"1 ns stays 1 ns", 0.999, 1, 1, 1},
		{"2 ns at 90%", 0.9, 2, 1, 3},
		{"zero stays zero", 0.5, 0, 0, 0},
		{"large latency", 0.5, 1 << 62, 1 << 61, 3 << 61},
		{"band clamped to stay in range", 0.999999, math.MaxInt64, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			j := Jitter{Fraction: tt.f}
			sawLo, sawHi := false, false
			for i := 0; i < 20000; i++ {
				got := j.Apply(tt.d, rng)
				if got < tt.lo || got > tt.hi {
					t.Fatalf("Apply(%v) = %v, outside [%v, %v]", tt.d, got, tt.lo, tt.hi)
				}
				sawLo = sawLo || got < tt.d || tt.lo == tt.d
				sawHi = sawHi || got > tt.d || tt.hi == tt.d
			}
			if !sawLo || !sawHi {
				t.Fatalf("Apply(%v) never went below (%v) or above (%v) the latency", tt.d, sawLo, sawHi)
			}
		})
	}
}

// TestJitterMean: with a fixed seed the result is deterministic; the mean
// of a uniform band centred on d is d.
func TestJitterMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	j := Jitter{Fraction: 0.2}
	const d, n = 50 * time.Millisecond, 100000
	var sum float64
	for i := 0; i < n; i++ {
		sum += float64(j.Apply(d, rng))
	}
	if mean := sum / n; math.Abs(mean-float64(d)) > 0.002*float64(d) {
		t.Fatalf("mean %v, want %v within 0.2%%", time.Duration(mean), d)
	}
}

func TestJitterDeterministic(t *testing.T) {
	j := Jitter{Fraction: 0.25}
	a, b := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		if x, y := j.Apply(d, a), j.Apply(d, b); x != y {
			t.Fatalf("same seed, different jitter: %v vs %v", x, y)
		}
	}
}

func TestJitterPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tt := range []struct {
		name string
		j    Jitter
		d    time.Duration
	}{
		{"negative latency", Jitter{Fraction: 0.1}, -1},
		{"invalid fraction", Jitter{Fraction: 2}, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tt.j.Apply(tt.d, rng)
		})
	}
}

func BenchmarkJitterApply(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	j := Jitter{Fraction: 0.1}
	b.ReportAllocs()
	for b.Loop() {
		if j.Apply(80*time.Millisecond, rng) <= 0 {
			b.Fatal("non-positive latency")
		}
	}
}

// ExampleJitter draws a jittered latency from a seeded stream: the same
// seed always gives the same value.
func ExampleJitter() {
	j := Jitter{Fraction: 0.1}
	if err := j.Validate(); err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(42, 0))
	d := j.Apply(100*time.Millisecond, rng)
	fmt.Println(d >= 90*time.Millisecond && d <= 110*time.Millisecond)
	// Output: true
}
