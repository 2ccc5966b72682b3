package poldercast

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// Overlay holds every node's PolderCast state. Nodes are numbered 0..n−1;
// a node's address is its number and its ring position its Profile.ID.
// Methods take the acting node and, where they draw, its random source;
// they keep no random state of their own.
type Overlay struct {
	P     Params
	Prof  []Profile
	paper []PaperNode
	itn   []itnNode
	salt  uint64

	// scratch
	ents []Entry
	idx  []int
	ids  []int32
}

// New returns an overlay of len(prof) nodes with empty views. Profile ids
// must be distinct; salt seeds the paper mode's Vicinity tie-break hash.
func New(p Params, prof []Profile, salt uint64) (*Overlay, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	ids := make([]uint64, len(prof))
	for i, x := range prof {
		ids[i] = x.ID
		for t := range NumTopics {
			if x.Subs[t] > High {
				return nil, fmt.Errorf("poldercast: node %d: interest %d in %v: accepted none, low, normal, high", i, x.Subs[t], Topic(t))
			}
		}
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return nil, fmt.Errorf("poldercast: two nodes share the id %#x: accepted distinct ids", ids[i])
		}
	}
	o := &Overlay{P: p, Prof: prof, salt: salt}
	if p.Mode == Paper {
		o.paper = make([]PaperNode, len(prof))
	} else {
		o.itn = make([]itnNode, len(prof))
	}
	return o, nil
}

// N returns the number of nodes.
func (o *Overlay) N() int { return len(o.Prof) }

// Reset empties node x's state (it rejoins as a new node).
func (o *Overlay) Reset(x int32) {
	if o.P.Mode == Paper {
		o.paper[x] = PaperNode{}
	} else {
		o.itn[x] = itnNode{}
	}
}

// Bootstrap gives node x its trusted peers at now: in paper mode they
// enter its Cyclon view at age 0 (spec §6.2), in ITN mode its table.
func (o *Overlay) Bootstrap(x int32, trusted []int32, now clock.Time) {
	if o.P.Mode == ITN {
		o.itnLearn(x, trusted, now)
		return
	}
	s := &o.paper[x]
	for _, t := range trusted {
		if t != x && indexOf(s.Cyc, t) < 0 && len(s.Cyc) < o.P.View {
			s.Cyc = append(s.Cyc, Entry{Node: t})
		}
	}
	o.rebuildRings(x, nil)
}

// lessID orders nodes by profile id.
func (o *Overlay) lessID(a, b int32) bool { return o.Prof[a].ID < o.Prof[b].ID }

// cmpID orders nodes by profile id (a total order: ids are distinct).
func (o *Overlay) cmpID(a, b int32) int {
	x, y := o.Prof[a].ID, o.Prof[b].ID
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// sample appends to dst k distinct indices drawn uniformly from [0, n)
// (Floyd's algorithm: k draws, whatever n), in ascending order.
func sample(rng *rand.Rand, n, k int, dst []int) []int {
	k = min(k, n)
	start := len(dst)
	for j := n - k; j < n; j++ {
		t := rng.IntN(j + 1)
		if slices.Contains(dst[start:], t) {
			t = j
		}
		dst = append(dst, t)
	}
	slices.Sort(dst[start:])
	return dst
}

// mix is SplitMix64's finaliser, for hash tie-breaks.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// sortedUnique sorts s and removes duplicates.
func sortedUnique(s []int32) []int32 {
	slices.Sort(s)
	return slices.Compact(s)
}
