package node

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// score is the hot-demotion score of spec/governor.md §4.3: header plus
// body wins in deadline mode, bytes of body wins in bulk sync and Genesis.
func (w peerWins) score(mode ChurnMode) int64 {
	if mode == ChurnDeadline {
		return int64(w.upstream) + int64(w.blocks)
	}
	return w.bytes
}

// Upstreamyness returns the number of tracked slots in which p delivered
// the header first (spec/governor.md §4.2).
func (m *Metrics) Upstreamyness(p PeerID) int {
	m.flush()
	if i, ok := m.find(p); ok {
		return int(m.wins[i].upstream)
	}
	return 0
}

// HeaderMargin returns by how much p led the other peers with headers in
// the tracked slots, the score of the SCRamble paper (spec/research.md):
// the sum, over the slots whose header p delivered first, of
// min(t2 − t1, MarginCap), where t1 is p's arrival time and t2 the earliest
// arrival of the slot's header from another peer; a slot with no other
// arrival counts MarginCap. It scans the header window (at most MaxSlots
// entries), which suits periodic calibration, not a call per event.
func (m *Metrics) HeaderMargin(p PeerID) time.Duration {
	m.flush()
	var sum clock.Time
	t := &m.headers
	for i := range t.n {
		e := t.at(i)
		if e.peer != p {
			continue
		}
		d := m.marginCap
		if e.has2 {
			d = min(e.at2-e.at, d)
		}
		sum += d
	}
	return time.Duration(sum)
}

// FetchynessBlocks returns the number of tracked slots in which p
// delivered the body first (spec/governor.md §4.2).
func (m *Metrics) FetchynessBlocks(p PeerID) int {
	m.flush()
	if i, ok := m.find(p); ok {
		return int(m.wins[i].blocks)
	}
	return 0
}

// FetchynessBytes returns the bytes of the bodies p delivered first in the
// tracked slots (spec/governor.md §4.2).
func (m *Metrics) FetchynessBytes(p PeerID) int64 {
	m.flush()
	if i, ok := m.find(p); ok {
		return m.wins[i].bytes
	}
	return 0
}

// JoinedAt returns the slot at which p joined the board, if p is in the
// peer registry (spec/governor.md §4.1).
func (m *Metrics) JoinedAt(p PeerID) (slot int64, ok bool) {
	m.flush()
	if i, found := m.find(p); found && m.joined[i] != noSlot {
		return m.joined[i], true
	}
	return 0, false
}

// Len returns the number of slots tracked in the header and the body
// table; each is at most MaxSlots.
func (m *Metrics) Len() (headers, bodies int) {
	m.flush()
	return m.headers.n, m.fetches.n
}

// PeerScore is one peer's entry in the hot-demotion score map
// (spec/governor.md §4.3): its score in the mode (see peerWins.score) and
// its joined-at slot.
type PeerScore struct {
	Peer  PeerID
	Score int64
	// Joined is the joined-at slot, valid if HasJoined.
	Joined    int64
	HasJoined bool
}

// Scores appends to dst the score map of mode, sorted by peer id, and
// returns it. Like the reference, the map holds every peer with a win
// counted by the mode and every registered peer; a registered peer with no
// wins scores 0, because the newcomer correction adjustAvg is disabled
// (spec/governor.md §4.2). A peer absent from the map sorts as (0, none).
func (m *Metrics) Scores(mode ChurnMode, dst []PeerScore) []PeerScore {
	m.flush()
	for i := range m.ids {
		w := m.wins[i]
		wins := w.blocks > 0
		if mode == ChurnDeadline {
			wins = wins || w.upstream > 0
		}
		if !wins && m.joined[i] == noSlot {
			continue
		}
		s := PeerScore{Peer: m.ids[i], Score: w.score(mode)}
		if j := m.joined[i]; j != noSlot {
			s.Joined, s.HasJoined = j, true
		}
		dst = append(dst, s)
	}
	return dst
}

// demoteKey is a candidate's sort key in HotDemotionOrder.
type demoteKey struct {
	score     int64
	joined    int64
	hasJoined bool
	r         uint32
	peer      PeerID
}

// cmpDemoteKey orders by (score; joined slot, none first; r), ascending
// (spec/governor.md §4.3); the peer id breaks ties of r, as the stable sort
// over the reference's id-ordered map does.
func cmpDemoteKey(a, b demoteKey) int {
	switch {
	case a.score != b.score:
		return cmpInt64(a.score, b.score)
	case a.hasJoined != b.hasJoined:
		if a.hasJoined {
			return 1
		}
		return -1
	case a.joined != b.joined:
		return cmpInt64(a.joined, b.joined)
	case a.r != b.r:
		if a.r < b.r {
			return -1
		}
		return 1
	}
	return cmpInt64(int64(a.peer), int64(b.peer))
}

func cmpInt64(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// HotDemotionOrder appends the distinct candidates to dst in hot-demotion
// order, first demoted first, and returns it; the governor demotes a
// prefix. The key is that of simpleChurnModePeerSelectionPolicy
// (spec/governor.md §4.3): the mode's score, a peer outside the score map
// counting 0; then the joined-at slot, no entry first and earlier joins
// next, so that newer peers, whose results are less certain, are kept; then
// a fresh uniform uint32 per candidate. The numbers are drawn from rng (which
// must not be nil) in ascending peer-id order, one per distinct candidate,
// so the result depends on the set of candidates, not on their order.
// It allocates only when dst or its scratch grows.
func (m *Metrics) HotDemotionOrder(mode ChurnMode, candidates []PeerID, rng *rand.Rand, dst []PeerID) []PeerID {
	m.flush()
	start := len(dst)
	dst = append(dst, candidates...)
	slices.Sort(dst[start:])
	out := slices.Compact(dst[start:])
	dst = dst[:start+len(out)]
	keys := m.keys[:0]
	for _, p := range out {
		k := demoteKey{peer: p, r: rng.Uint32()}
		if i, ok := m.find(p); ok {
			k.score = m.wins[i].score(mode)
			if j := m.joined[i]; j != noSlot {
				k.joined, k.hasJoined = j, true
			}
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpDemoteKey)
	for i := range keys {
		out[i] = keys[i].peer
	}
	m.keys = keys
	return dst
}
