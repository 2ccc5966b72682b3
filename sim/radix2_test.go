package sim

import (
	"math/bits"

	"github.com/dpsim/dpsim/clock"
)

// radix2Queue is the engine's earlier queue, kept as a baseline of the queue
// tests and benchmarks: a monotone priority queue (a binary radix
// heap, Ahuja, Mehlhorn, Orlin and Tarjan 1990) ordered by (At, scheduling
// order). Every
// push is at or after the last popped time, which the engine guarantees by
// refusing events in the past. Bucket k>0 holds events whose time first
// differs from the last popped time in bit k-1; bucket 0 holds events at
// exactly that time. Push is O(1) and each event moves down at most 64
// buckets over its life, so pop is O(1) amortised, with no comparisons
// between unrelated events; it beats the 4-ary heap it replaced on the
// hold model and on the flood (docs/performance.md gives the figures).
//
// Events at equal times stay in scheduling order without a sequence number:
// two events with the same time are always in the same bucket (their
// highest bit differing from the last popped time is the same), every
// bucket is appended in scheduling order by push, and a redistribution moves a
// bucket's events in order, so the earlier-scheduled one stays ahead.
// TestQueuesMatchSort checks this against a stable sort.
type radix2Queue struct {
	last    clock.Time
	buckets [65][]Event
	head0   int // bucket 0 is consumed from the front
	n       int
	used    uint64 // bit k-1 set when bucket k (1..64) is not empty
}

func (q *radix2Queue) len() int { return q.n }

func (q *radix2Queue) bucketOf(t clock.Time) int {
	return bits.Len64(uint64(t ^ q.last))
}

func (q *radix2Queue) push(ev Event) {
	b := q.bucketOf(ev.At)
	q.buckets[b] = append(q.buckets[b], ev)
	if b > 0 {
		q.used |= 1 << (b - 1)
	}
	q.n++
}

// settle makes bucket 0 non-empty (if the queue is), redistributing the
// first non-empty bucket around its minimum time.
func (q *radix2Queue) settle() {
	if q.head0 < len(q.buckets[0]) {
		return
	}
	q.buckets[0], q.head0 = q.buckets[0][:0], 0
	if q.used == 0 {
		return
	}
	i := bits.TrailingZeros64(q.used) + 1
	q.used &^= 1 << (i - 1)
	src := q.buckets[i]
	m := src[0].At
	for _, ev := range src[1:] {
		m = min(m, ev.At)
	}
	q.last = m
	for _, ev := range src {
		b := q.bucketOf(ev.At)
		q.buckets[b] = append(q.buckets[b], ev)
		if b > 0 {
			q.used |= 1 << (b - 1)
		}
	}
	q.buckets[i] = src[:0]
}

func (q *radix2Queue) pop() Event {
	q.settle()
	ev := q.buckets[0][q.head0]
	q.head0++
	q.n--
	return ev
}
