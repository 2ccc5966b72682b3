package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Decision names what a pick is for.
type Decision uint8

// The governor's pick decisions (spec/governor.md §2.2).
const (
	PickShare      Decision = iota // established peers to ask for peers
	PickInbound                    // inbound peers to learn (light peer sharing)
	PickColdToWarm                 // cold peers to connect to
	PickWarmToHot                  // warm peers to activate
	PickHotToWarm                  // hot peers to deactivate
	PickWarmToCold                 // warm peers to disconnect
	PickForget                     // cold peers to forget
	numDecisions
)

var decisionNames = [numDecisions]string{"share", "inbound", "cold-to-warm", "warm-to-hot", "hot-to-warm", "warm-to-cold", "forget"}

func (d Decision) String() string {
	if d < numDecisions {
		return decisionNames[d]
	}
	return fmt.Sprintf("Decision(%d)", uint8(d))
}

// PeerView is what a policy may read about the governor's peers.
type PeerView interface {
	// Peer returns the record of a known peer (nil if unknown). It must
	// not be modified or kept.
	Peer(id PeerID) *Peer
	// Peers returns every known peer in id order; read-only, and valid
	// only during the call.
	Peers() []Peer
	// Metrics returns the node's peer metrics (nil when it keeps none).
	Metrics() *Metrics
	// Mode returns the current churn (fetch) mode.
	Mode() ChurnMode
}

// Policy picks peers for the governor's decisions. The contract
// (ouroboros-network's pick policies, spec/governor.md §2.2): candidates
// are distinct and sorted by id, 0 < n ≤ len(candidates); Pick appends to
// dst between 1 and n distinct candidates and returns it. All randomness
// comes from rng. A policy keeps no state that the governor cannot see
// beyond its own configuration.
type Policy interface {
	Pick(d Decision, v PeerView, candidates []PeerID, n int, rng *rand.Rand, dst []PeerID) []PeerID
}

// CardanoPolicy is the production policy (simpleChurnModePeerSelectionPolicy,
// spec/governor.md §2.2 and §4.3): every candidate gets a fresh uniform
// uint32 r, drawn in candidate order, and the smallest keys are picked:
// r for sharing, connecting, activating and inbound peers; r/2 for tepid
// peers and r otherwise when disconnecting (tepid peers are about twice as
// likely to go); r/(failCount+1) when forgetting; and for hot→warm the
// metrics order (score, joined slot, r). The zero value is ready to use.
type CardanoPolicy struct {
	keys []pickKey
}

type pickKey struct {
	k  uint32
	id PeerID
}

func cmpPickKey(a, b pickKey) int {
	if a.k != b.k {
		if a.k < b.k {
			return -1
		}
		return 1
	}
	return int(a.id) - int(b.id)
}

// Pick implements Policy.
func (c *CardanoPolicy) Pick(d Decision, v PeerView, candidates []PeerID, n int, rng *rand.Rand, dst []PeerID) []PeerID {
	n = min(n, len(candidates))
	if d == PickHotToWarm && v.Metrics() != nil {
		start := len(dst)
		dst = v.Metrics().HotDemotionOrder(v.Mode(), candidates, rng, dst)
		return dst[:start+n]
	}
	// The candidates and the peer table are both sorted by id: one walk
	// finds each candidate's record (the tepid and forget keys need it)
	// without a search per candidate.
	keys := c.keys[:0]
	peers, j := []Peer(nil), 0
	if d == PickWarmToCold || d == PickForget {
		peers = v.Peers()
	}
	for _, id := range candidates {
		r := rng.Uint32()
		if peers != nil {
			for j < len(peers) && peers[j].ID < id {
				j++
			}
			if j < len(peers) && peers[j].ID == id {
				if d == PickWarmToCold && peers[j].Tepid {
					r /= 2
				} else if d == PickForget {
					r /= uint32(peers[j].FailCount) + 1
				}
			}
		}
		keys = append(keys, pickKey{r, id})
	}
	for _, k := range smallest(keys, n) {
		dst = append(dst, k.id)
	}
	c.keys = keys
	return dst
}

// smallest returns the n smallest keys in ascending order, as the first n
// of a sort would (keys are distinct: ids break ties). The governor often
// wants a few of many (forgetting the excess of 150 known peers), so for
// small n it keeps a sorted prefix instead of sorting everything; keys is
// reordered either way.
func smallest(keys []pickKey, n int) []pickKey {
	if n*8 >= len(keys) {
		slices.SortFunc(keys, cmpPickKey)
		return keys[:n]
	}
	// keys[:n] is kept sorted and holds the n smallest seen so far.
	slices.SortFunc(keys[:n], cmpPickKey)
	for i := n; i < len(keys); i++ {
		k := keys[i]
		if cmpPickKey(k, keys[n-1]) >= 0 {
			continue
		}
		at, _ := slices.BinarySearchFunc(keys[:n], k, cmpPickKey)
		copy(keys[at+1:n], keys[at:n-1])
		keys[at] = k
	}
	return keys[:n]
}
