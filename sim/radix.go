package sim

import (
	"math"
	"math/bits"

	"github.com/dpsim/dpsim/clock"
)

// Shape of the radix queue: digits of radixBits bits, radixLevels of them
// for 64-bit times, one bucket per (level, digit); buckets store their
// events in chunks of chunkLen from one slab; a bucket that fits in one
// chunk is sorted into the run rather than redistributed.
const (
	radixBits    = 8
	radixDigits  = 1 << radixBits
	radixMask    = radixDigits - 1
	radixLevels  = (64 + radixBits - 1) / radixBits
	radixBuckets = radixLevels * radixDigits
	radixWords   = (radixBuckets + 63) / 64
	chunkShift   = 4
	chunkLen     = 1 << chunkShift
	// runLevels: only buckets of the lowest levels (at most 65 µs wide)
	// become the run when small. A wider run would take every push in its
	// range by insertion: with no bound, production-3000 ran 1.9× slower.
	runLevels = 3
)

// radixQueue is the engine's queue: a monotone priority queue ordered by
// (At, scheduling order). Every push is at or after the last popped time,
// which the engine guarantees by refusing events in the past.
//
// It is a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990) with digits
// radixBits wide instead of one bit, ending in a sorted run. An event whose
// time first differs from the reference time last in digit l, where its
// digit is d, is in bucket (l, d); buckets in index order hold ever later
// times. Events are popped from the run, which holds every pending event
// before runEnd, sorted. When the run is empty, the lowest bucket becomes
// the run if it is small (one chunk, insertion-sorted) and narrow (below
// runLevels) or of level 0 (one time); otherwise it is redistributed around its minimum, which becomes
// last, into lower buckets. An event thus moves about twice in a flood
// where the binary radix heap this replaced moved it six times and
// redistributed once per pop (an 80 ms step spans 27 bits but four 8-bit
// digits).
//
// Buckets are chunk lists in one slab, not slices, so memory follows the
// pending events rather than the largest size each of the 2,048 buckets
// ever had.
//
// Events at equal times stay in scheduling order without a sequence number:
// two pending events with the same time are always both in the run or both
// in the same bucket; push appends to a bucket and inserts into the run
// after equal times; a redistribution moves a bucket's events in order into
// buckets that were empty, and the run is filled by a stable sort.
// TestQueuesMatchSort checks this against a stable sort.
type radixQueue struct {
	last   clock.Time
	run    []Event
	off    int        // next event of the run
	runEnd clock.Time // every pending event before runEnd is in the run
	n      int

	// first[b] is bucket b's first chunk; wpos[b] the slab index after its
	// last event, 0 when b is empty (chunk 0 is never used).
	first   [radixBuckets]int32
	wpos    [radixBuckets]int32
	used    [radixWords]uint64 // bit b set when bucket b is not empty
	summary uint64             // bit w set when used[w] is not zero
	slab    []Event
	next    []int32 // next chunk of a bucket, or of the free list
	free    int32   // free chunk list, 0 when empty
}

func (q *radixQueue) len() int { return q.n }

// bucketOf returns t's bucket. t == last lands in the level-0 bucket of
// last's low digit (-1/radixBits is 0 in Go).
func (q *radixQueue) bucketOf(t clock.Time) int {
	l := (bits.Len64(uint64(t^q.last)) - 1) / radixBits
	return l<<radixBits | int(uint64(t)>>(uint(l)*radixBits))&radixMask
}

func (q *radixQueue) unmark(b int) {
	w := b >> 6
	q.used[w] &^= 1 << (b & 63)
	if q.used[w] == 0 {
		q.summary &^= 1 << w
	}
}

// lowest returns the lowest non-empty bucket; there must be one.
func (q *radixQueue) lowest() int {
	w := bits.TrailingZeros64(q.summary)
	return w<<6 | bits.TrailingZeros64(q.used[w])
}

func (q *radixQueue) alloc() int32 {
	if c := q.free; c != 0 {
		q.free = q.next[c]
		return c
	}
	if len(q.next) == 0 {
		q.slab = make([]Event, chunkLen, 64*chunkLen)
		q.next = make([]int32, 1, 64)
	}
	c := int32(len(q.next))
	q.next = append(q.next, 0)
	q.slab = append(q.slab, make([]Event, chunkLen)...)
	return c
}

// add appends ev to bucket b.
func (q *radixQueue) add(b int, ev Event) {
	p := q.wpos[b]
	if p&(chunkLen-1) == 0 { // b is empty or its last chunk is full
		c := q.alloc()
		if p == 0 {
			q.first[b] = c
			q.used[b>>6] |= 1 << (b & 63)
			q.summary |= 1 << (b >> 6)
		} else {
			q.next[(p-1)>>chunkShift] = c
		}
		p = c << chunkShift
	}
	q.slab[p] = ev
	q.wpos[b] = p + 1
}

func (q *radixQueue) push(ev Event) {
	q.n++
	if ev.At >= q.runEnd {
		q.add(q.bucketOf(ev.At), ev)
		return
	}
	// Insert after every event at or before ev.At: most insertions are at
	// the end (the run's instant, or later).
	q.run = append(q.run, ev)
	j := len(q.run) - 1
	for j > q.off && q.run[j-1].At > ev.At {
		q.run[j] = q.run[j-1]
		j--
	}
	q.run[j] = ev
}

// refill makes the run non-empty; the queue must not be empty.
func (q *radixQueue) refill() {
	q.run, q.off = q.run[:0], 0
	for {
		b := q.lowest()
		c, end := q.first[b], q.wpos[b]
		if b < radixDigits || (b < runLevels*radixDigits && (end-1)>>chunkShift == c) {
			q.take(b)
			return
		}
		// Redistribute b around its minimum.
		m := clock.Time(math.MaxInt64)
		for c := c; ; c = q.next[c] {
			lo, hi := c<<chunkShift, c<<chunkShift+chunkLen
			tail := (end-1)>>chunkShift == c
			if tail {
				hi = end
			}
			for _, ev := range q.slab[lo:hi] {
				m = min(m, ev.At)
			}
			if tail {
				break
			}
		}
		q.last = m
		q.wpos[b] = 0
		q.unmark(b)
		for {
			lo, hi := c<<chunkShift, c<<chunkShift+chunkLen
			tail := (end-1)>>chunkShift == c
			if tail {
				hi = end
			}
			for p := lo; p < hi; p++ {
				ev := q.slab[p]
				q.add(q.bucketOf(ev.At), ev)
			}
			nc := q.next[c]
			q.next[c], q.free = q.free, c
			if tail {
				break
			}
			c = nc
		}
	}
}

// take moves bucket b, the lowest, into the empty run, stably sorted, and
// sets runEnd to the end of b's time range.
func (q *radixQueue) take(b int) {
	c, end := q.first[b], q.wpos[b]
	for {
		lo, hi := c<<chunkShift, c<<chunkShift+chunkLen
		tail := (end-1)>>chunkShift == c
		if tail {
			hi = end
		}
		for _, ev := range q.slab[lo:hi] {
			q.run = append(q.run, ev)
			j := len(q.run) - 1
			for j > 0 && q.run[j-1].At > ev.At {
				q.run[j] = q.run[j-1]
				j--
			}
			q.run[j] = ev
		}
		nc := q.next[c]
		q.next[c], q.free = q.free, c
		if tail {
			break
		}
		c = nc
	}
	q.wpos[b] = 0
	q.unmark(b)
	l := uint(b >> radixBits)
	width := uint64(1) << (l * radixBits)
	start := uint64(q.last)&^(width<<radixBits-1) | uint64(b&radixMask)<<(l*radixBits)
	if start+width > math.MaxInt64 {
		q.runEnd = math.MaxInt64
	} else {
		q.runEnd = clock.Time(start + width)
	}
}

func (q *radixQueue) head() *Event {
	if q.off == len(q.run) {
		q.refill()
	}
	return &q.run[q.off]
}

// popUntil moves the earliest event into dst and returns true if there is
// one at or before t; otherwise it leaves dst and returns false.
func (q *radixQueue) popUntil(t clock.Time, dst *Event) bool {
	if q.off == len(q.run) {
		if q.n == 0 {
			return false
		}
		q.refill()
	}
	ev := &q.run[q.off]
	if ev.At > t {
		return false
	}
	*dst = *ev
	q.off++
	q.n--
	return true
}

func (q *radixQueue) pop() Event {
	if q.off == len(q.run) {
		q.refill()
	}
	q.off++
	q.n--
	return q.run[q.off-1]
}

func (q *radixQueue) reset() {
	for q.summary != 0 {
		b := q.lowest()
		q.wpos[b] = 0
		q.unmark(b)
	}
	if len(q.next) > 0 {
		q.slab, q.next, q.free = q.slab[:chunkLen], q.next[:1], 0
	}
	q.run, q.off, q.runEnd, q.n, q.last = q.run[:0], 0, 0, 0, 0
}
