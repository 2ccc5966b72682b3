package netmodel

import (
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// nsPerSecond converts bits per second into bits per nanosecond.
const nsPerSecond = uint64(time.Second)

// CheckBitsPerSecond reports whether bps is a usable uplink bandwidth:
// 0 (infinite) or positive. field names the setting in the error.
func CheckBitsPerSecond(field string, bps int64) error {
	if bps < 0 {
		return fmt.Errorf("netmodel: %s = %d bit/s: want 0 (infinite bandwidth) or a positive bit rate", field, bps)
	}
	return nil
}

// SerialisationDelay is the time a link of bitsPerSecond needs to put bytes
// on the wire: ceil(bytes·8·10⁹ / bitsPerSecond) nanoseconds, computed in
// 128-bit integers so it is exact, and saturating at the largest Duration.
// It is 0 when bitsPerSecond is 0 (infinite bandwidth) or bytes is 0.
// 1,000,000 bytes at 100 Mbit/s is exactly 80 ms (flood MODEL.md §1, S).
// It panics on negative arguments: callers validate input first.
func SerialisationDelay(bytes, bitsPerSecond int64) time.Duration {
	if bytes < 0 || bitsPerSecond < 0 {
		panic(fmt.Sprintf("netmodel: SerialisationDelay(%d, %d): negative argument", bytes, bitsPerSecond))
	}
	if bytes == 0 || bitsPerSecond == 0 {
		return 0
	}
	// bytes < 2^63 and 8·10⁹ < 2^33, so the product fits in 96 bits.
	hi, lo := bits.Mul64(uint64(bytes), 8*nsPerSecond)
	// Round up: add divisor-1 before dividing.
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(bitsPerSecond)-1, 0)
	hi += carry
	if hi >= uint64(bitsPerSecond) {
		return math.MaxInt64 // the quotient needs more than 64 bits
	}
	q, _ := bits.Div64(hi, lo, uint64(bitsPerSecond))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(q)
}

// Uplink is one node's outgoing link modelled as a serial FIFO: a copy can
// start only when the previous one has left, and occupies the link for its
// serialisation delay. This is the serial uplink of the flood benchmark
// (MODEL.md §3.4, variant B): k copies handed over at the same instant r
// finish at r+S, r+2S, ..., r+kS. Downlinks are not modelled (unlimited).
//
// The zero value is an uplink of infinite bandwidth that is idle.
type Uplink struct {
	bitsPerSecond int64
	busyUntil     clock.Time
}

// NewUplink returns an idle uplink of bitsPerSecond; 0 means infinite
// bandwidth (every copy finishes when it is handed over). It panics on a
// negative rate: validate configuration with CheckBitsPerSecond.
func NewUplink(bitsPerSecond int64) Uplink {
	if bitsPerSecond < 0 {
		panic(fmt.Sprintf("netmodel: NewUplink(%d): negative bit rate", bitsPerSecond))
	}
	return Uplink{bitsPerSecond: bitsPerSecond}
}

// BitsPerSecond returns the link rate; 0 means infinite.
func (u *Uplink) BitsPerSecond() int64 { return u.bitsPerSecond }

// Send queues a copy of bytes handed to the link at now and returns the
// instant its last bit leaves: the copy occupies [max(now, BusyUntil), done).
// The arrival at the receiver is done plus the one-way latency. Times
// saturate at clock.Never instead of overflowing. It panics on negative
// bytes.
func (u *Uplink) Send(now clock.Time, bytes int64) (done clock.Time) {
	return u.Occupy(now, SerialisationDelay(bytes, u.bitsPerSecond))
}

// Occupy is Send for a copy whose serialisation d the caller has computed
// (SerialisationDelay at BitsPerSecond): a network repeats a few sizes.
func (u *Uplink) Occupy(now clock.Time, d time.Duration) (done clock.Time) {
	start := clock.Max(now, u.busyUntil)
	if start > clock.Never-clock.Time(d) {
		done = clock.Never
	} else {
		done = start.Add(d)
	}
	u.busyUntil = done
	return done
}

// BusyUntil returns when the last queued copy leaves the link; a copy
// handed over at or after that instant starts at once.
func (u *Uplink) BusyUntil() clock.Time { return u.busyUntil }

// Backlog returns how long a copy handed over at now would wait before it
// starts (0 when the link is idle).
func (u *Uplink) Backlog(now clock.Time) time.Duration {
	if u.busyUntil <= now {
		return 0
	}
	return u.busyUntil.Sub(now)
}

// Reset empties the queue, keeping the rate; use it between independent
// runs (e.g. blocks of the flood benchmark, which share nothing).
func (u *Uplink) Reset() { u.busyUntil = 0 }
