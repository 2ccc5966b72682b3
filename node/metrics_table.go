package node

import "github.com/dpsim/dpsim/clock"

// metricEntry is the earliest report for one slot. A header entry also
// keeps the earliest report from any other peer (at2, valid if has2), for
// the header margin; body entries leave it unset.
type metricEntry struct {
	slot  int64
	peer  PeerID
	has2  bool
	at    clock.Time
	at2   clock.Time
	bytes int64
}

// metricTable is a ring of at most len(buf) entries sorted by slot, oldest
// at head.
type metricTable struct {
	buf   []metricEntry
	head  int
	n     int
	first int64 // the oldest entry's slot, valid if n > 0
}

func (t *metricTable) at(i int) *metricEntry {
	j := t.head + i
	if j >= len(t.buf) {
		j -= len(t.buf)
	}
	return &t.buf[j]
}

func (t *metricTable) oldest() (int64, bool) { return t.first, t.n > 0 }

// search returns the position of slot in the table, or where it would go.
// The newest slot is checked first: most reports are for it.
func (t *metricTable) search(slot int64) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	if last := t.at(t.n - 1).slot; slot >= last {
		if slot == last {
			return t.n - 1, true
		}
		return t.n, false
	}
	lo, hi := 0, t.n-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.at(mid).slot < slot {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, t.at(lo).slot == slot
}

func (t *metricTable) dropOldest() {
	t.head++
	if t.head == len(t.buf) {
		t.head = 0
	}
	t.n--
	if t.n > 0 {
		t.first = t.buf[t.head].slot
	}
}

// insertAt puts e at position i, shifting the newer entries up; the table
// must not be full.
func (t *metricTable) insertAt(i int, e metricEntry) {
	for k := t.n; k > i; k-- {
		*t.at(k) = *t.at(k - 1)
	}
	*t.at(i) = e
	t.n++
	if i == 0 {
		t.first = e.slot
	}
}
