package node

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
)

// LeaderSchedule draws Praos slot leaders. A pool with relative stake σ is
// leader of a slot with probability φ(σ) = 1 − (1 − f)^σ, independently per
// slot and per pool (Ouroboros Praos; f is the active slot coefficient,
// 0.05 on mainnet). Because the draws are independent, the slots a pool
// leads form a Bernoulli process, so each pool's next leader slot is its
// last one plus a geometric gap: the schedule costs O(log pools) per
// leadership instead of a draw per pool per slot. Several pools can lead one
// slot: a slot battle.
type LeaderSchedule struct {
	pools []poolState
	next  slotHeap
}

type poolState struct {
	node int32
	phi  float64
	rng  *rand.Rand
}

// Leader is one leadership: pool (node) Node leads Slot with VRF output VRF.
type Leader struct {
	Slot int64
	Node int32
	VRF  uint64
}

// NewLeaderSchedule prepares the schedule for producers with the given
// relative stakes (any non-negative weights; they are normalised) and
// active slot coefficient f in (0, 1]. rngs[i] is producer i's own stream.
func NewLeaderSchedule(nodes []int32, stake []float64, f float64, rngs []*rand.Rand) (*LeaderSchedule, error) {
	if len(nodes) != len(stake) || len(nodes) != len(rngs) {
		return nil, fmt.Errorf("leader schedule: %d nodes, %d stakes, %d streams", len(nodes), len(stake), len(rngs))
	}
	if !(f > 0 && f <= 1) {
		return nil, fmt.Errorf("active slot coefficient %v: accepted (0, 1]", f)
	}
	total := 0.0
	for i, s := range stake {
		if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("stake of node %d is %v: accepted a finite value ≥ 0", nodes[i], s)
		}
		total += s
	}
	if total <= 0 {
		return nil, fmt.Errorf("total stake is 0: at least one producer needs stake")
	}
	ls := &LeaderSchedule{}
	for i, s := range stake {
		sigma := s / total
		// φ(σ) = 1 − (1−f)^σ, computed as −expm1(σ·log1p(−f)) for accuracy at small σ.
		phi := -math.Expm1(sigma * math.Log1p(-f))
		if f == 1 && sigma > 0 {
			phi = 1
		}
		ls.pools = append(ls.pools, poolState{node: nodes[i], phi: phi, rng: rngs[i]})
		if phi > 0 {
			ls.next = append(ls.next, slotEntry{slot: ls.gap(i) - 1, pool: int32(i)})
		}
	}
	heap.Init(&ls.next)
	return ls, nil
}

// gap draws the number of slots until pool i's next leadership (≥ 1),
// geometric with success probability φ.
func (ls *LeaderSchedule) gap(i int) int64 {
	p := ls.pools[i].phi
	if p >= 1 {
		return 1
	}
	u := 1 - ls.pools[i].rng.Float64() // in (0, 1]
	g := math.Floor(math.Log(u)/math.Log1p(-p)) + 1
	if g > 1<<50 {
		return 1 << 50
	}
	return int64(g)
}

// NextSlot returns the earliest slot with a leader, or -1 if nobody has
// stake.
func (ls *LeaderSchedule) NextSlot() int64 {
	if len(ls.next) == 0 {
		return -1
	}
	return ls.next[0].slot
}

// Leaders appends to dst every leader of slot (which must be NextSlot),
// in producer order, and advances the schedule.
func (ls *LeaderSchedule) Leaders(slot int64, dst []Leader) []Leader {
	for len(ls.next) > 0 && ls.next[0].slot == slot {
		e := ls.next[0]
		p := &ls.pools[e.pool]
		dst = append(dst, Leader{Slot: slot, Node: p.node, VRF: p.rng.Uint64()})
		ls.next[0].slot += ls.gap(int(e.pool))
		heap.Fix(&ls.next, 0)
	}
	return dst
}

type slotEntry struct {
	slot int64
	pool int32
}

// slotHeap orders by slot, then pool index, so simultaneous leaders come
// out in a fixed order.
type slotHeap []slotEntry

func (h slotHeap) Len() int { return len(h) }
func (h slotHeap) Less(i, j int) bool {
	if h[i].slot != h[j].slot {
		return h[i].slot < h[j].slot
	}
	return h[i].pool < h[j].pool
}
func (h slotHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *slotHeap) Push(x any)   { *h = append(*h, x.(slotEntry)) }
func (h *slotHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
