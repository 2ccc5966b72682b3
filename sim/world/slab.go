package world

import "slices"

// slab keeps the variable-length payloads of events in flight (peer lists,
// gossip), which do not fit an event's Arg: an event carries the slot
// index, and its handler reads the payload and releases the slot. Slots
// are reused, so the steady state allocates nothing.
type slab[T any] struct {
	items [][]T
	free  []int64
}

// hold copies e into a slot and returns the slot's index.
func (s *slab[T]) hold(e []T) int64 {
	if k := len(s.free); k > 0 {
		i := s.free[k-1]
		s.free = s.free[:k-1]
		s.items[i] = append(s.items[i][:0], e...)
		return i
	}
	s.items = append(s.items, slices.Clone(e))
	return int64(len(s.items) - 1)
}

// get returns slot i's payload, valid until the slot is released.
func (s *slab[T]) get(i int64) []T { return s.items[i] }

// release frees slot i for reuse.
func (s *slab[T]) release(i int64) { s.free = append(s.free, i) }
