package netmodel

import "math/bits"

// pairSet is a set of node pairs (pairKey values, never 0) in a flat
// open-addressing table with linear probing: a lookup usually reads one
// cache line. Deletion shifts the following run back (no tombstones), so
// the table stays as if the remaining keys had been inserted alone. The
// layout depends only on the sequence of adds and removes, never on
// addresses or a random seed.
type pairSet struct {
	slots []uint64 // 0: empty; a power of two
	shift uint     // 64 − log2(len(slots))
	n     int
}

// slot is key's home slot (Fibonacci hashing).
func (s *pairSet) slot(key uint64) int {
	return int((key * 0x9e3779b97f4a7c15) >> s.shift)
}

func (s *pairSet) has(key uint64) bool {
	if s.n == 0 {
		return false
	}
	mask := len(s.slots) - 1
	for i := s.slot(key); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case key:
			return true
		case 0:
			return false
		}
	}
}

// add inserts key (not 0); adding a present key changes nothing.
func (s *pairSet) add(key uint64) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	i := s.slot(key)
	for ; s.slots[i] != 0; i = (i + 1) & mask {
		if s.slots[i] == key {
			return
		}
	}
	s.slots[i] = key
	s.n++
}

// remove deletes key if present.
func (s *pairSet) remove(key uint64) {
	if s.n == 0 {
		return
	}
	mask := len(s.slots) - 1
	i := s.slot(key)
	for ; s.slots[i] != key; i = (i + 1) & mask {
		if s.slots[i] == 0 {
			return
		}
	}
	// Backward-shift: move each later key of the run into the hole if
	// its home slot is not in (hole, its place].
	for j := (i + 1) & mask; s.slots[j] != 0; j = (j + 1) & mask {
		h := s.slot(s.slots[j])
		if (j > i && (h <= i || h > j)) || (j < i && h <= i && h > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = 0
	s.n--
}

// grow doubles the table (at least 64 slots) and reinserts the keys in
// slot order.
func (s *pairSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(64, 2*len(old)))
	s.shift = uint(64 - bits.Len(uint(len(s.slots))-1))
	s.n = 0
	for _, k := range old {
		if k != 0 {
			s.add(k)
		}
	}
}
