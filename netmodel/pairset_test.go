package netmodel

import (
	"testing"

	"pgregory.net/rapid"
)

// TestPairSetMatchesMap drives the set and a map with the same adds and
// removes over a small key space (long probe runs, wrap-around, growth)
// and compares every key's membership after each step.
func TestPairSetMatchesMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s pairSet
		want := map[uint64]bool{}
		keys := rapid.Uint64Range(1, 300)
		for range rapid.IntRange(0, 400).Draw(t, "steps") {
			k := keys.Draw(t, "key")
			if rapid.IntRange(0, 2).Draw(t, "op") == 0 {
				s.remove(k)
				delete(want, k)
			} else {
				s.add(k)
				want[k] = true
			}
			if s.n != len(want) {
				t.Fatalf("%d keys, want %d", s.n, len(want))
			}
			for q := uint64(1); q <= 300; q++ {
				if s.has(q) != want[q] {
					t.Fatalf("has(%d) = %v, want %v", q, s.has(q), want[q])
				}
			}
		}
	})
}
