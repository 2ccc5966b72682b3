package world

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dpsim/dpsim/node"
)

// Ledger answers a governor's ledger requests as the ledger state would
// (spec/governor.md §1.2): ledger peers are pools drawn with a weight of
// √stake, and big ledger peers the largest pools until 90 % of all stake
// (bigLedgerPeerQuota), drawn by stake. A pool that registered relays
// (P2PConfig.LedgerRelays) is answered by one of them, as a ledger entry
// is a pool's relay address. It holds no random state (the caller's
// stream draws) and can be used without a world.
type Ledger struct {
	pools, blps     []int32   // ledger peers; big ledger peers
	poolCum, blpCum []float64 // cumulative √stake; cumulative stake
	relays          [][]int32 // per pool, its relays; nil: pools are their own
}

// NewLedger returns the ledger of stake (per node; 0 for a node that is no
// pool) and, if not nil, each node's relays (one entry per node, as
// P2PConfig.LedgerRelays).
func NewLedger(stake []float64, relays [][]int32) *Ledger {
	l := &Ledger{relays: relays}
	total, cum := 0.0, 0.0
	for i, s := range stake {
		if s > 0 {
			l.pools = append(l.pools, int32(i))
			cum += math.Sqrt(s)
			l.poolCum = append(l.poolCum, cum)
			total += s
		}
	}
	byStake := slices.Clone(l.pools)
	slices.SortStableFunc(byStake, func(a, b int32) int {
		switch {
		case stake[a] > stake[b]:
			return -1
		case stake[a] < stake[b]:
			return 1
		}
		return int(a - b)
	})
	acc := 0.0
	for _, id := range byStake {
		if acc >= 0.9*total {
			break
		}
		acc += stake[id]
		l.blps = append(l.blps, id)
		l.blpCum = append(l.blpCum, acc)
	}
	return l
}

// BigLedger returns the big ledger peers, largest stake first.
func (l *Ledger) BigLedger() []int32 { return l.blps }

// Peers appends to dst up to n distinct ledger peers for node self (never
// self), drawn from rng.
func (l *Ledger) Peers(n int, self int32, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	return l.relaysOf(draw(l.pools, l.poolCum, n, self, rng, dst), len(dst), self, rng)
}

// BigLedgerPeers appends to dst up to n distinct big ledger peers for
// node self (never self), drawn from rng.
func (l *Ledger) BigLedgerPeers(n int, self int32, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	return l.relaysOf(draw(l.blps, l.blpCum, n, self, rng, dst), len(dst), self, rng)
}

// draw picks up to n distinct ids from ids (weights as cumulative sums),
// excluding self, with at most 4n+8 draws.
func draw(ids []int32, cum []float64, n int, self int32, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	if len(ids) == 0 {
		return dst
	}
	start := len(dst)
	total := cum[len(cum)-1]
	for tries := 0; len(dst)-start < n && tries < 4*n+8; tries++ {
		u := rng.Float64() * total
		i, _ := slices.BinarySearch(cum, u)
		i = min(i, len(ids)-1)
		if id := ids[i]; id != self && !slices.Contains(dst[start:], id) {
			dst = append(dst, id)
		}
	}
	return dst
}

// relaysOf replaces each pool drawn into ids[start:] by one of its relays,
// drawn from rng; duplicates and self are dropped. Without relays the
// pools are their own relays and ids come back unchanged.
func (l *Ledger) relaysOf(ids []node.PeerID, start int, self int32, rng *rand.Rand) []node.PeerID {
	if l.relays == nil {
		return ids
	}
	out := ids[:start]
	for _, id := range ids[start:] {
		r := id
		if rs := l.relays[id]; len(rs) > 0 {
			r = rs[rng.IntN(len(rs))]
		}
		if r != self && !slices.Contains(out[start:], r) {
			out = append(out, r)
		}
	}
	return out
}
