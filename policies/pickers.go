package policies

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/node"
)

// keyed is a candidate with its sort key; ties go by id, so an order never
// depends on anything but the keys and the ids.
type keyed struct {
	k  uint64
	id node.PeerID
}

func cmpKeyed(a, b keyed) int {
	if c := cmp.Compare(a.k, b.k); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// pickBy appends the n candidates of smallest key (drawn in candidate
// order, so the random stream advances the same way whatever is picked).
func pickBy(cands []node.PeerID, n int, dst []node.PeerID, key func(id node.PeerID) uint64) []node.PeerID {
	ks := make([]keyed, len(cands))
	for i, id := range cands {
		ks[i] = keyed{key(id), id}
	}
	slices.SortFunc(ks, cmpKeyed)
	for _, k := range ks[:min(n, len(ks))] {
		dst = append(dst, k.id)
	}
	return dst
}

// preferKey is a random key whose top bit puts the preferred candidates
// first: random among the preferred, then random among the rest.
func preferKey(rng *rand.Rand, preferred bool) uint64 {
	k := uint64(rng.Uint32())
	if !preferred {
		k |= 1 << 40
	}
	return k
}

// randomPick is the research policies' common picker: uniform random
// picks, except that peers just demoted from hot (tepid) are the first to
// go when closing connections and the last to come back when connecting
// or activating, so a replacement is a new peer ("replace with random
// picks", spec/research.md).
func randomPick(d node.Decision, v node.PeerView, cands []node.PeerID, n int, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	tepid := func(id node.PeerID) bool {
		p := v.Peer(id)
		return p != nil && p.Tepid
	}
	switch d {
	case node.PickWarmToCold:
		return pickBy(cands, n, dst, func(id node.PeerID) uint64 { return preferKey(rng, tepid(id)) })
	case node.PickColdToWarm, node.PickWarmToHot:
		return pickBy(cands, n, dst, func(id node.PeerID) uint64 { return preferKey(rng, !tepid(id)) })
	case node.PickForget:
		// Failing peers go first, as in production (r/(failCount+1)).
		return pickBy(cands, n, dst, func(id node.PeerID) uint64 {
			r := rng.Uint32()
			if p := v.Peer(id); p != nil {
				r /= uint32(p.FailCount) + 1
			}
			return uint64(r)
		})
	}
	return pickBy(cands, n, dst, func(node.PeerID) uint64 { return uint64(rng.Uint32()) })
}

// RandomPolicy keeps K random hot peers, static (the era of manual
// topologies): every pick is uniform, with randomPick's preference for new
// peers.
type RandomPolicy struct{}

// Pick implements node.Policy.
func (RandomPolicy) Pick(d node.Decision, v node.PeerView, cands []node.PeerID, n int, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	return randomPick(d, v, cands, n, rng, dst)
}

// rttKey orders by measured RTT, unmeasured peers last, then by id.
func rttKey(v node.PeerView, id node.PeerID) uint64 {
	if p := v.Peer(id); p != nil && p.RTT > 0 {
		return uint64(p.RTT)
	}
	return math.MaxUint64
}

// CloseRandomPolicy is CxRy (spec/research.md): Close hot peers of lowest
// RTT among every known peer the node has measured, the rest random. It
// is static: its calibration only has the construction phase, which
// connects to every known peer so that each RTT is measured over a warm
// connection before any peer is activated.
//
// Activation fills the close quota first: the Close known peers of lowest
// RTT (ties by id) that are not hot or being activated are picked by RTT,
// and the rest of n uniformly at random. A lost close peer is therefore
// replaced by the next closest, a lost random one by a random one.
type CloseRandomPolicy struct {
	Close int
}

// Pick implements node.Policy.
func (c *CloseRandomPolicy) Pick(d node.Decision, v node.PeerView, cands []node.PeerID, n int, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	if d != node.PickWarmToHot {
		return randomPick(d, v, cands, n, rng, dst)
	}
	closest := c.closest(v)
	need := 0
	for _, id := range closest {
		if p := v.Peer(id); p.State != node.Hot && p.Progress&node.PromoteWarm == 0 {
			need++
		}
	}
	// Candidates among the closest come first by RTT, the others after
	// them in random order.
	return pickBy(cands, n, dst, func(id node.PeerID) uint64 {
		r := uint64(rng.Uint32())
		if need > 0 && slices.Contains(closest, id) {
			return min(rttKey(v, id), 1<<40-1) // an RTT in ns is below 2^40: before every random key
		}
		return r | 1<<40
	})
}

// closest returns the Close measured known peers of lowest RTT.
func (c *CloseRandomPolicy) closest(v node.PeerView) []node.PeerID {
	var ks []keyed
	for _, p := range v.Peers() {
		if p.RTT > 0 && !p.IsBLP() {
			ks = append(ks, keyed{uint64(p.RTT), p.ID})
		}
	}
	slices.SortFunc(ks, cmpKeyed)
	out := make([]node.PeerID, 0, c.Close)
	for _, k := range ks[:min(c.Close, len(ks))] {
		out = append(out, k.id)
	}
	return out
}

// TwoGroupsPolicy is the blog's two-groups calibration (spec/research.md):
// at every calibration a node keeps up to Keep hot peers with RTT ≤
// Threshold (the closest of them) and replaces ⌈Share·r⌉ of the r
// others, chosen at random, with random new peers.
type TwoGroupsPolicy struct {
	Threshold time.Duration
	Keep      int
	Share     float64
}

// kept returns the hot peers the policy keeps: up to Keep close ones, the
// closest first.
func (t *TwoGroupsPolicy) kept(v node.PeerView, hot []node.PeerID) []node.PeerID {
	var ks []keyed
	for _, id := range hot {
		if p := v.Peer(id); p != nil && p.RTT > 0 && p.RTT <= t.Threshold {
			ks = append(ks, keyed{uint64(p.RTT), id})
		}
	}
	slices.SortFunc(ks, cmpKeyed)
	var out []node.PeerID
	for _, k := range ks[:min(t.Keep, len(ks))] {
		out = append(out, k.id)
	}
	return out
}

// Replace implements node.Replacer.
func (t *TwoGroupsPolicy) Replace(v node.PeerView, hot []node.PeerID, _ *rand.Rand) int {
	rest := len(hot) - len(t.kept(v, hot))
	return int(math.Ceil(t.Share*float64(rest) - 1e-9)) // 0.28·25 is 7.000000000000001 in float64
}

// Pick implements node.Policy: demotions take the unkept hot peers first
// (at random), then the kept ones farthest first.
func (t *TwoGroupsPolicy) Pick(d node.Decision, v node.PeerView, cands []node.PeerID, n int, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	if d != node.PickHotToWarm {
		return randomPick(d, v, cands, n, rng, dst)
	}
	kept := t.kept(v, cands)
	return pickBy(cands, n, dst, func(id node.PeerID) uint64 {
		r := uint64(rng.Uint32())
		if i := slices.Index(kept, id); i >= 0 {
			return 1<<40 | uint64(len(kept)-i) // farthest kept first
		}
		return r
	})
}

// PeerScorePolicy is the blog's score calibration (spec/research.md): at
// every calibration a node replaces the Fraction of its hot peers (at
// least one) with the lowest score, ties at random, with random new peers.
// The score is the number of slots in the peer-metrics window whose header
// the peer delivered first (Metrics.Upstreamyness), or with Margin the
// SCRamble score: the summed lead over the next deliverer
// (Metrics.HeaderMargin). Build sets the window to about one period.
type PeerScorePolicy struct {
	Fraction float64
	Margin   bool
}

// Replace implements node.Replacer.
func (s *PeerScorePolicy) Replace(_ node.PeerView, hot []node.PeerID, _ *rand.Rand) int {
	return max(1, int(math.Round(s.Fraction*float64(len(hot)))))
}

// Pick implements node.Policy: demotions by ascending score.
func (s *PeerScorePolicy) Pick(d node.Decision, v node.PeerView, cands []node.PeerID, n int, rng *rand.Rand, dst []node.PeerID) []node.PeerID {
	m := v.Metrics()
	if d != node.PickHotToWarm || m == nil {
		return randomPick(d, v, cands, n, rng, dst)
	}
	return pickBy(cands, n, dst, func(id node.PeerID) uint64 {
		var score uint64
		if s.Margin {
			score = uint64(m.HeaderMargin(id) / time.Microsecond)
		} else {
			score = uint64(m.Upstreamyness(id))
		}
		return min(score, 1<<31-1)<<32 | uint64(rng.Uint32())
	})
}
