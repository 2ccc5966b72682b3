package world

import (
	"math"
	"slices"
	"testing"

	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// TestLedger uses the ledger on its own, as a governor test can: big
// ledger peers are the largest pools until 90 % of the stake; draws never
// return self or a repeat, are pools, and come with a frequency ∝ √stake
// (ledger peers) or ∝ stake (big ledger peers); a pool with relays is
// answered by its relays.
func TestLedger(t *testing.T) {
	stake := []float64{0, 40, 30, 20, 5, 3, 2, 0} // nodes 0 and 7 are no pools
	l := NewLedger(stake, nil)
	if got := l.BigLedger(); !slices.Equal(got, []int32{1, 2, 3}) {
		t.Fatalf("big ledger peers %v, want [1 2 3] (40+30+20 = 90 %%)", got)
	}
	rng := sim.Derive(7, "ledger-test", 0)
	count := map[node.PeerID]int{}
	const draws = 20000
	for range draws {
		ids := l.Peers(3, 2, rng, nil)
		// At most 4n+8 tries: a draw may come back short, never long.
		if len(ids) == 0 || len(ids) > 3 || slices.Contains(ids, 2) {
			t.Fatalf("drew %v for node 2: want 1 to 3 peers, never itself", ids)
		}
		for k, id := range ids {
			if stake[id] == 0 || slices.Contains(ids[:k], id) {
				t.Fatalf("drew %v: %d is no pool or repeated", ids, id)
			}
		}
		one := l.Peers(1, -1, rng, nil)
		count[one[0]]++
	}
	sum := 0.0
	for _, s := range stake {
		sum += math.Sqrt(s)
	}
	for id, s := range stake {
		want := math.Sqrt(s) / sum
		if got := float64(count[node.PeerID(id)]) / draws; math.Abs(got-want) > 0.015 {
			t.Errorf("pool %d drawn %.3f of the time, want √stake share %.3f", id, got, want)
		}
	}
	// Relays: pool 1 answers with its relays 10 or 11, never node 10 itself
	// when 10 asks.
	relays := make([][]int32, len(stake))
	relays[1] = []int32{10, 11}
	withRelays := NewLedger(stake, relays)
	for range 200 {
		for _, id := range withRelays.BigLedgerPeers(3, 10, rng, []node.PeerID{99}) {
			if id == 1 || id == 10 {
				t.Fatalf("pool 1 answered as %d for node 10: want its relay 11", id)
			}
		}
	}
}
