package clock

import (
	"math"
	"strconv"
	"time"
)

// Time is virtual time: nanoseconds since the start of a run.
type Time int64

// Never is a time later than any event; it means "no deadline".
const Never Time = math.MaxInt64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Before reports whether t < u.
func (t Time) Before(u Time) bool { return t < u }

// After reports whether t > u.
func (t Time) After(u Time) bool { return t > u }

// Seconds returns t in seconds as a float, for display only.
func (t Time) Seconds() float64 { return float64(t) / 1e9 }

// Micros returns t in whole microseconds, truncated.
func (t Time) Micros() int64 { return int64(t) / 1000 }

// String formats t as seconds with nanosecond precision, e.g. "12.000350000s".
func (t Time) String() string {
	if t == Never {
		return "never"
	}
	return strconv.FormatFloat(t.Seconds(), 'f', 9, 64) + "s"
}

// FromSeconds converts whole seconds to a Time.
func FromSeconds(s int64) Time { return Time(s) * Time(time.Second) }

// Min returns the earlier of a and b.
func Min(a, b Time) Time {
	if a < b {
		return a
	}
	return b
}

// Max returns the later of a and b.
func Max(a, b Time) Time {
	if a > b {
		return a
	}
	return b
}

// Clock is the only way the node stack learns the current time.
type Clock interface {
	Now() Time
}

// Manual is a Clock for tests: it stays where it is put.
type Manual struct{ T Time }

// Now returns the manual clock's time.
func (m *Manual) Now() Time { return m.T }

// Advance moves the clock forward by d; it panics on a negative d because
// virtual time never runs backwards.
func (m *Manual) Advance(d time.Duration) {
	if d < 0 {
		panic("clock: Advance by a negative duration")
	}
	m.T = m.T.Add(d)
}
