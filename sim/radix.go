package sim

import (
	"math"
	"math/bits"

	"github.com/dpsim/dpsim/clock"
)

// Shape of the radix queue: the digits of a 64-bit time, lowest first,
// levelBits[l] bits wide for level l; one bucket per (level, digit).
// Buckets keep their events in chunks of chunkLen from one slab.
//
// The digits are not all 8 bits wide. Level 2 has 12 bits: 4,096 buckets of
// 262 µs (bits 18 to 29), 1.07 s in all, so that an event tens of ms ahead,
// a network's usual delay, lands in its 262 µs bucket at once whenever its
// time and the reference time share their bits from 30 up, rather than in a
// coarse bucket to be redistributed later (with 8-bit digits, an 80 ms step
// always went to a 16 ms bucket first). Level 1 has 10 bits (256 ns buckets)
// so that level 2 starts at bit 18.
var levelBits = [...]uint{8, 10, 12, 8, 8, 8, 8, 2}

const (
	radixLevels = len(levelBits)
	chunkShift  = 3
	chunkLen    = 1 << chunkShift
	// takeChunks: a bucket of the run levels becomes the run when it holds
	// at most this many chunks (32 events), insertion-sorted; a larger one
	// is redistributed.
	takeChunks = 32 / chunkLen
	// runLevels: only buckets of the lowest levels (at most 262 µs wide)
	// become the run when small. A wider run would take every push in its
	// range by insertion: with no bound, production-3000 ran 1.9× slower.
	runLevels = 3
)

// radixBuckets and radixWords size the queue's arrays; init checks them
// against levelBits, and fills the tables of the digits: a level's first
// bucket and lowest bit, and per bit length of t^last, the level's first
// bucket, shift and mask.
const (
	radixBuckets = 256 + 1024 + 4096 + 256*4 + 4
	radixWords   = (radixBuckets + 63) / 64
)

var (
	levelBase  [radixLevels + 1]int
	levelShift [radixLevels]uint
	// digitOfLen[bits.Len64(t^last)] is the level of t's bucket, its
	// first bucket, shift and mask.
	digitOfLen [65]digitShape
)

// digitShape is 8 bytes, so that bucketOf's lookup is one scaled load.
type digitShape struct {
	base  uint16
	shift uint8
	mask  uint32
}

func init() {
	shift := uint(0)
	for l, w := range levelBits {
		levelBase[l+1] = levelBase[l] + 1<<w
		levelShift[l] = shift
		for p := shift; p < shift+w; p++ {
			digitOfLen[p+1] = digitShape{base: uint16(levelBase[l]), shift: uint8(shift), mask: 1<<w - 1}
		}
		shift += w
	}
	digitOfLen[0] = digitOfLen[1]
	if shift != 64 || levelBase[radixLevels] != radixBuckets || radixBuckets > 1<<16 || radixWords > 128 {
		panic("sim: radix queue shape: levelBits must sum to 64 and radixBuckets match it, in at most 128 words")
	}
}

// radixQueue is the engine's queue: a monotone priority queue ordered by
// (At, scheduling order). Every push is at or after the last popped time,
// which the engine guarantees by refusing events in the past.
//
// It is a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990) with digits
// of several bits instead of one (levelBits), ending in a sorted run. An
// event whose time first differs from the reference time last in digit l,
// where its digit is d, is in bucket (l, d); buckets in index order hold
// ever later times. Events are popped from the run, which holds every
// pending event before runEnd, sorted. When the run is empty, the lowest
// bucket becomes the run if it is small (at most takeChunks chunks,
// insertion-sorted) and narrow (below runLevels) or of level 0 (one time);
// otherwise it is redistributed around its minimum, which becomes last,
// into lower buckets. A bucket of one chunk is sorted in place and is the
// run; a longer one is copied into buf. In the flood benchmark an event is
// appended to a bucket 1.06 times on average (the 8-bit digits this
// replaced: 1.95; the binary radix heap before them: about six).
//
// Buckets are chunk lists in one slab, not slices, so memory follows the
// pending events rather than the largest size each of the 6,404 buckets
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
	// The run is either the events of its bucket's one chunk, sorted in
	// place (runChunk is that chunk, freed at the next refill), or buf
	// (runChunk is 0): a bucket of several chunks, or a run that outgrew
	// its chunk.
	runChunk int32
	buf      []Event

	// first[b] is bucket b's first chunk; wpos[b] the slab index after its
	// last event, 0 when b is empty (chunk 0 is never used).
	first   [radixBuckets]int32
	wpos    [radixBuckets]int32
	used    [radixWords]uint64 // bit b set when bucket b is not empty
	summary [2]uint64          // bit w%64 of word w/64 set when used[w] is not zero
	slab    []Event
	next    []int32 // next chunk of a bucket, or of the free list
	free    int32   // free chunk list, 0 when empty
}

func (q *radixQueue) len() int { return q.n }

// bucketOf returns t's bucket. t == last lands in the level-0 bucket of
// last's low digit.
func (q *radixQueue) bucketOf(t clock.Time) int {
	d := digitOfLen[bits.Len64(uint64(t^q.last))]
	return int(d.base) + int(uint32(uint64(t)>>(d.shift&63))&d.mask)
}

func (q *radixQueue) unmark(b int) {
	w := b >> 6
	q.used[w] &^= 1 << (b & 63)
	if q.used[w] == 0 {
		q.summary[w>>6] &^= 1 << (w & 63)
	}
}

// lowest returns the lowest non-empty bucket; there must be one.
func (q *radixQueue) lowest() int {
	w := bits.TrailingZeros64(q.summary[0])
	if w == 64 {
		w += bits.TrailingZeros64(q.summary[1])
	}
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
	if len(q.next) == cap(q.next) {
		// Double, where append would grow a large slice by a quarter: the
		// first run of a large engine would copy its slab a dozen times.
		n := 2 * cap(q.next)
		q.next = append(make([]int32, 0, n), q.next...)
		q.slab = append(make([]Event, 0, n*chunkLen), q.slab...)
	}
	q.next = append(q.next, 0)
	q.slab = q.slab[:len(q.slab)+chunkLen]
	return c
}

// add appends ev to bucket b.
func (q *radixQueue) add(b int, ev Event) {
	p := q.wpos[b]
	if p&(chunkLen-1) == 0 { // b is empty or its last chunk is full
		p = q.grow(b, p)
	}
	// Field by field: ev arrives in registers, and a whole-struct copy
	// would go through the stack, where the 16-byte loads of the copy
	// cannot be forwarded from the narrower stores of the spill.
	d := &q.slab[p]
	d.At, d.Arg, d.Node, d.From, d.Gen, d.Kind = ev.At, ev.Arg, ev.Node, ev.From, ev.Gen, ev.Kind
	q.wpos[b] = p + 1
}

// grow gives bucket b, whose write position p is at a chunk boundary (0
// when b is empty), a new chunk and returns the new write position.
func (q *radixQueue) grow(b int, p int32) int32 {
	c := q.alloc()
	if p == 0 {
		q.first[b] = c
		q.used[b>>6] |= 1 << (b & 63)
		q.summary[b>>12] |= 1 << (b >> 6 & 63)
	} else {
		q.next[(p-1)>>chunkShift] = c
	}
	return c << chunkShift
}

// push queues ev; ev.At must not be before the last popped time.
func (q *radixQueue) push(ev Event) {
	q.n++
	if ev.At >= q.runEnd {
		q.add(q.bucketOf(ev.At), ev)
		return
	}
	q.insert(ev)
}

// insert puts ev into the run after every event at or before ev.At: most
// insertions are at the end (the run's instant, or later).
func (q *radixQueue) insert(ev Event) {
	if q.runChunk != 0 && len(q.run) == cap(q.run) {
		q.toBuf()
	}
	q.run = append(q.run, ev)
	j := len(q.run) - 1
	for j > q.off && q.run[j-1].At > ev.At {
		q.run[j] = q.run[j-1]
		j--
	}
	q.run[j] = ev
}

// toBuf moves the rest of a run held in a chunk into buf and frees the
// chunk.
func (q *radixQueue) toBuf() {
	q.buf = append(q.buf[:0], q.run[q.off:]...)
	q.run, q.off = q.buf, 0
	q.next[q.runChunk], q.free = q.free, q.runChunk
	q.runChunk = 0
}

// refill makes the run non-empty; the queue must not be empty.
func (q *radixQueue) refill() {
	if c := q.runChunk; c != 0 {
		q.next[c], q.free = q.free, c
		q.runChunk = 0
	}
	q.run, q.off = q.buf[:0], 0
	for {
		b := q.lowest()
		c, end := q.first[b], q.wpos[b]
		if b < levelBase[1] || (b < levelBase[runLevels] && q.short(c, end)) {
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

// short reports whether the bucket from chunk c to slab index end holds at
// most takeChunks chunks.
func (q *radixQueue) short(c, end int32) bool {
	for range takeChunks {
		if (end-1)>>chunkShift == c {
			return true
		}
		c = q.next[c]
	}
	return false
}

// take makes bucket b, the lowest, the run, stably sorted, and sets runEnd
// to the end of b's time range. A bucket of one chunk is sorted in place
// and the run is that chunk; a longer one (of level 0: one time, already in
// order) is copied into buf.
func (q *radixQueue) take(b int) {
	c, end := q.first[b], q.wpos[b]
	if lo := c << chunkShift; (end-1)>>chunkShift == c {
		r := q.slab[lo : end : lo+chunkLen]
		for i := 1; i < len(r); i++ {
			if ev := r[i]; r[i-1].At > ev.At {
				j := i
				for ; j > 0 && r[j-1].At > ev.At; j-- {
					r[j] = r[j-1]
				}
				r[j] = ev
			}
		}
		q.run, q.runChunk = r, c
	} else {
		q.buf = q.buf[:0]
		for {
			lo, hi := c<<chunkShift, c<<chunkShift+chunkLen
			tail := (end-1)>>chunkShift == c
			if tail {
				hi = end
			}
			for _, ev := range q.slab[lo:hi] {
				q.buf = append(q.buf, ev)
				j := len(q.buf) - 1
				for j > 0 && q.buf[j-1].At > ev.At {
					q.buf[j] = q.buf[j-1]
					j--
				}
				q.buf[j] = ev
			}
			nc := q.next[c]
			q.next[c], q.free = q.free, c
			if tail {
				break
			}
			c = nc
		}
		q.run = q.buf
	}
	q.wpos[b] = 0
	q.unmark(b)
	l := 0
	for b >= levelBase[l+1] {
		l++
	}
	width := uint64(1) << levelShift[l]
	start := uint64(q.last)&^(width<<levelBits[l]-1) | uint64(b-levelBase[l])<<levelShift[l]
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
	for q.summary != [2]uint64{} {
		b := q.lowest()
		q.wpos[b] = 0
		q.unmark(b)
	}
	if len(q.next) > 0 {
		q.slab, q.next, q.free = q.slab[:chunkLen], q.next[:1], 0
	}
	q.run, q.off, q.runEnd, q.n, q.last = q.buf[:0], 0, 0, 0, 0
	q.runChunk = 0
}
