package poldercast

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// AnyTopic selects every topic in ItnView (Jörmungandr's Selection::Any).
const AnyTopic Topic = NumTopics

// tEntry is one node of an ITN node's table (poldercast 0.11 Nodes).
type tEntry struct {
	node  int32
	quar  bool
	since clock.Time // when quarantined
	heard clock.Time // last gossip about it
	count int32      // quarantines so far
}

// itnNode is one node's ITN-mode state: its table of known nodes and the
// layers last built from it.
type itnNode struct {
	pos  []int32 // node → 1 + index in ents; 0: unknown
	ents []tEntry
	// sorted lists the available nodes by id; class the same per
	// subscription class.
	sorted []int32
	class  [numClasses][]int32
	// Layers: Cyclon, Vicinity, and per topic the ring (≤ Ring/2 below
	// self, then the Ring/2 highest ids above).
	cyc, vic []int32
	ring     [NumTopics][]int32
	built    bool
	// dirty: a gossip arrived since the layers were built.
	dirty bool
}

// ItnKnown returns how many nodes x's table holds and how many of them
// are quarantined.
func (o *Overlay) ItnKnown(x int32) (known, quarantined int) {
	s := &o.itn[x]
	return len(s.ents), len(s.ents) - len(s.sorted)
}

// ItnQuarantined reports whether x holds q in quarantine.
func (o *Overlay) ItnQuarantined(x, q int32) bool {
	s := &o.itn[x]
	if s.pos == nil || s.pos[q] == 0 {
		return false
	}
	return s.ents[s.pos[q]-1].quar
}

// ItnAccept is x's accept_gossips: every profile in nodes (other than x)
// enters or refreshes its table as heard now; a quarantined node whose
// quarantine has lasted Quarantine is lifted (spec §4: a check on touch;
// whether it is lifted or forgotten and re-learnt, it is available
// again). The layers will be rebuilt from the table before their next use.
func (o *Overlay) ItnAccept(x int32, nodes []int32, now clock.Time) {
	o.itnLearn(x, nodes, now)
}

func (o *Overlay) itnLearn(x int32, nodes []int32, now clock.Time) {
	s := &o.itn[x]
	if s.pos == nil {
		s.pos = make([]int32, len(o.Prof))
	}
	for _, g := range nodes {
		if g == x || g < 0 || int(g) >= len(o.Prof) {
			continue
		}
		if s.pos[g] == 0 {
			s.ents = append(s.ents, tEntry{node: g, heard: now})
			s.pos[g] = int32(len(s.ents))
			o.insertAvail(s, g)
			continue
		}
		e := &s.ents[s.pos[g]-1]
		if e.quar && now.Sub(e.since) >= o.P.Quarantine {
			e.quar = false
			o.insertAvail(s, g)
		}
		e.heard = now
	}
	s.dirty = true
}

// ItnStrike records at x a failed connection to q: a single strike
// quarantines it (spec §4). It reports whether q was newly quarantined.
func (o *Overlay) ItnStrike(x, q int32, now clock.Time) bool {
	s := &o.itn[x]
	if s.pos == nil || s.pos[q] == 0 {
		return false
	}
	e := &s.ents[s.pos[q]-1]
	if e.quar {
		return false
	}
	e.quar, e.since = true, now
	e.count++
	o.removeAvail(s, q)
	s.dirty = true
	return true
}

func (o *Overlay) idPos(list []int32, id uint64) (int, bool) {
	return slices.BinarySearchFunc(list, id, func(n int32, id uint64) int {
		switch x := o.Prof[n].ID; {
		case x < id:
			return -1
		case x > id:
			return 1
		}
		return 0
	})
}

func (o *Overlay) insertAvail(s *itnNode, g int32) {
	id := o.Prof[g].ID
	i, _ := o.idPos(s.sorted, id)
	s.sorted = slices.Insert(s.sorted, i, g)
	c := o.Prof[g].Subs.class()
	i, _ = o.idPos(s.class[c], id)
	s.class[c] = slices.Insert(s.class[c], i, g)
}

func (o *Overlay) removeAvail(s *itnNode, g int32) {
	id := o.Prof[g].ID
	if i, ok := o.idPos(s.sorted, id); ok {
		s.sorted = slices.Delete(s.sorted, i, i+1)
	}
	c := o.Prof[g].Subs.class()
	if i, ok := o.idPos(s.class[c], id); ok {
		s.class[c] = slices.Delete(s.class[c], i, i+1)
	}
}

// itnRing appends the ring of topic t around id, as poldercast 0.11 builds
// it (spec §2): the Ring/2 available subscribers with the nearest ids
// below id, then, iterating from the top down, the Ring/2 highest ids
// above id — not the nearest — and no wrap-around. Node skip is left out.
func (o *Overlay) itnRing(s *itnNode, t Topic, id uint64, skip int32, dst []int32) []int32 {
	half := o.P.Ring / 2
	p, _ := o.idPos(s.sorted, id)
	for i, k := p-1, 0; i >= 0 && k < half; i-- {
		if n := s.sorted[i]; n != skip && o.Prof[n].Subs.Has(t) {
			dst = append(dst, n)
			k++
		}
	}
	for i, k := len(s.sorted)-1, 0; i >= 0 && k < half && o.Prof[s.sorted[i]].ID > id; i-- {
		if n := s.sorted[i]; n != skip && o.Prof[n].Subs.Has(t) {
			dst = append(dst, n)
			k++
		}
	}
	return dst
}

// lowest appends k available nodes other than skip picked as poldercast
// 0.11.4+ Vicinity does (spec §2): shuffle, sort ascending by proximity
// to subs, keep the first k — so the least proximate nodes, uniformly
// among equals. Nodes are grouped by subscription class, so a pick costs
// O(k) draws, not a sort of the table.
func (o *Overlay) lowest(s *itnNode, subs Subs, skip int32, k int, rng *rand.Rand, dst []int32) []int32 {
	var cls [numClasses]int
	var key [numClasses]Proximity
	nc := 0
	for c := range numClasses {
		if len(s.class[c]) > 0 {
			cls[nc], key[c] = c, ScoreProximity(subs, classSubs(c))
			nc++
		}
	}
	order := cls[:nc]
	slices.SortFunc(order, func(a, b int) int {
		if d := key[a].Compare(key[b]); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	})
	skipID := uint64(0)
	if skip >= 0 {
		skipID = o.Prof[skip].ID
	}
	// skipAt returns the position of skip in class c's list, or −1.
	skipAt := func(c int) int {
		if skip < 0 || o.Prof[skip].Subs.class() != c {
			return -1
		}
		if i, ok := o.idPos(s.class[c], skipID); ok {
			return i
		}
		return -1
	}
	for g := 0; g < len(order) && k > 0; {
		h := g
		total := 0
		for h < len(order) && key[order[h]] == key[order[g]] {
			total += len(s.class[order[h]])
			if skipAt(order[h]) >= 0 {
				total--
			}
			h++
		}
		o.idx = sample(rng, total, k, o.idx[:0])
		// Map tier index i to its node, walking the tier's classes.
		ci, base := g, 0
		for _, i := range o.idx {
			for {
				c := order[ci]
				n := len(s.class[c])
				sk := skipAt(c)
				if sk >= 0 {
					n--
				}
				if i-base < n {
					j := i - base
					if sk >= 0 && j >= sk {
						j++
					}
					dst = append(dst, s.class[c][j])
					break
				}
				base += n
				ci++
			}
		}
		k -= len(o.idx)
		g = h
	}
	return dst
}

// itnRebuild is reset_layers: every layer drawn afresh from the table.
func (o *Overlay) itnRebuild(x int32, rng *rand.Rand) {
	s := &o.itn[x]
	s.cyc = s.cyc[:0]
	o.idx = sample(rng, len(s.sorted), o.P.View, o.idx[:0])
	for _, i := range o.idx {
		s.cyc = append(s.cyc, s.sorted[i])
	}
	s.vic = o.lowest(s, o.Prof[x].Subs, -1, o.P.View, rng, s.vic[:0])
	for t := range NumTopics {
		s.ring[t] = s.ring[t][:0]
		if o.Prof[x].Subs.Has(Topic(t)) {
			s.ring[t] = o.itnRing(s, Topic(t), o.Prof[x].ID, x, s.ring[t])
		}
	}
	s.built, s.dirty = true, false
}

// ItnView appends to dst, sorted, x's merged view for topic t (AnyTopic:
// all): the rings of t (or of every topic) ∪ Vicinity ∪ Cyclon. Jörmungandr
// rebuilds all layers on every received gossip; as each rebuild is a fresh
// draw from the table, rebuilding once before a use, if a gossip arrived
// since the last one, gives the same views in distribution.
func (o *Overlay) ItnView(x int32, t Topic, rng *rand.Rand, dst []int32) []int32 {
	s := &o.itn[x]
	if s.dirty || !s.built {
		o.itnRebuild(x, rng)
	}
	start := len(dst)
	for u := range NumTopics {
		if t == AnyTopic || t == Topic(u) {
			dst = append(dst, s.ring[u]...)
		}
	}
	dst = append(dst, s.vic...)
	dst = append(dst, s.cyc...)
	return append(dst[:start], sortedUnique(dst[start:])...)
}

// ItnGossip appends to dst, sorted, the profiles x gossips to r (spec
// §6.6 buildGossip): for each topic both subscribe to, r's ring as x's
// table gives it; the Gossip least proximate to r (the Vicinity rule); a
// random Gossip; and x itself; never r.
func (o *Overlay) ItnGossip(x, r int32, rng *rand.Rand, dst []int32) []int32 {
	s := &o.itn[x]
	start := len(dst)
	xs, rs := o.Prof[x].Subs, o.Prof[r].Subs
	for t := range NumTopics {
		if xs.Has(Topic(t)) && rs.Has(Topic(t)) {
			dst = o.itnRing(s, Topic(t), o.Prof[r].ID, r, dst)
		}
	}
	dst = o.lowest(s, rs, r, o.P.Gossip, rng, dst)
	o.idx = sample(rng, len(s.sorted), o.P.Gossip, o.idx[:0])
	for _, i := range o.idx {
		dst = append(dst, s.sorted[i])
	}
	dst = append(dst, x)
	g := slices.DeleteFunc(sortedUnique(dst[start:]), func(n int32) bool { return n == r }) // r drops itself anyway
	return append(dst[:start], g...)
}
