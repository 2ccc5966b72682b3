package netmodel

import (
	"math/bits"
	"unsafe"
)

// pairMap maps node pairs (uint64 keys, never 0) to values of type V in a
// flat open-addressing table with linear probing: a lookup usually reads
// one cache line. Deletion shifts the following run back (no tombstones),
// so the table stays as if the remaining keys had been inserted alone. The
// layout depends only on the sequence of adds and removes, never on
// addresses or a random seed.
type pairMap[V any] struct {
	slots []uint64 // 0: empty; a power of two
	vals  []V      // vals[i] belongs to slots[i]; empty for zero-size V
	shift uint     // 64 − log2(len(slots))
	n     int
}

// pairSet is a set of node pairs: a pairMap without values.
type pairSet = pairMap[struct{}]

// slot is key's home slot (Fibonacci hashing).
func (s *pairMap[V]) slot(key uint64) int {
	return int((key * 0x9e3779b97f4a7c15) >> s.shift)
}

// find returns key's slot, or -1 when it is absent.
func (s *pairMap[V]) find(key uint64) int {
	if s.n == 0 {
		return -1
	}
	mask := len(s.slots) - 1
	for i := s.slot(key); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case key:
			return i
		case 0:
			return -1
		}
	}
}

func (s *pairMap[V]) has(key uint64) bool { return s.find(key) >= 0 }

// add inserts key (not 0) with a zero value; adding a present key changes
// nothing.
func (s *pairMap[V]) add(key uint64) { s.put(key) }

// put returns the value of key, inserting key with a zero value when it
// is absent. The pointer is valid until the next put or remove.
func (s *pairMap[V]) put(key uint64) *V {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	i := s.slot(key)
	for ; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == key {
			return s.val(i)
		}
	}
	s.slots[i] = key
	s.n++
	v := s.val(i)
	var zero V
	*v = zero
	return v
}

// val returns the value in slot i (a shared dummy for zero-size V).
func (s *pairMap[V]) val(i int) *V {
	if len(s.vals) == 0 {
		var dummy V
		return &dummy
	}
	return &s.vals[i]
}

// remove deletes key if present.
func (s *pairMap[V]) remove(key uint64) {
	i := s.find(key)
	if i < 0 {
		return
	}
	mask := len(s.slots) - 1
	// Backward-shift: move each later key of the run into the hole if
	// its home slot is not in (hole, its place].
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		h := s.slot(s.slots[j])
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			s.slots[i] = s.slots[j]
			if len(s.vals) > 0 {
				s.vals[i] = s.vals[j]
			}
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
}

// grow doubles the table (at least 64 slots) and reinserts the entries in
// slot order.
func (s *pairMap[V]) grow() { s.rebuild(max(64, 2*len(s.slots)), nil) }

// rebuild makes a table of size slots (a power of two) holding the
// entries for which keep (nil: all) is true, reinserted in slot order.
func (s *pairMap[V]) rebuild(size int, keep func(*V) bool) {
	old, oldVals := s.slots, s.vals
	s.slots = make([]uint64, size)
	var zero V
	if unsafe.Sizeof(zero) > 0 {
		s.vals = make([]V, size)
	}
	s.shift = uint(64 - bits.Len(uint(size)-1))
	s.n = 0
	for i, k := range old {
		if k == 0 {
			continue
		}
		if len(oldVals) > 0 {
			if keep != nil && !keep(&oldVals[i]) {
				continue
			}
			*s.put(k) = oldVals[i]
		} else {
			s.put(k)
		}
	}
}
