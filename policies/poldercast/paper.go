package poldercast

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// Entry is a node descriptor in a paper-mode view: the node and the
// number of gossip rounds since its descriptor was fresh.
type Entry struct {
	Node int32
	Age  int32
}

// RingView is a node's ring neighbours in one topic, nearest first.
type RingView struct {
	Pred, Succ []Entry
}

// PaperNode is one node's paper-mode state. Views never hold the node
// itself or a node twice; Cyc and Vic hold at most View entries, each
// side of a ring at most Ring/2.
type PaperNode struct {
	Cyc, Vic []Entry
	Rings    [NumTopics]RingView
	// Prio is each topic's priority: Ring minus the filled ring slots, so
	// incomplete rings pull Vicinity towards their topic (spec §1).
	Prio [NumTopics]int
	sent []Entry // the Cyclon entries of the shuffle in flight
}

// PaperState returns node x's paper-mode state (read only; nil in ITN
// mode).
func (o *Overlay) PaperState(x int32) *PaperNode {
	if o.paper == nil {
		return nil
	}
	return &o.paper[x]
}

func indexOf(v []Entry, x int32) int {
	for i := range v {
		if v[i].Node == x {
			return i
		}
	}
	return -1
}

// oldest returns the index of the entry with the highest age, ties to the
// smallest id, or −1 for an empty view.
func (o *Overlay) oldest(v []Entry) int {
	best := -1
	for i, e := range v {
		if best < 0 || e.Age > v[best].Age || (e.Age == v[best].Age && o.lessID(e.Node, v[best].Node)) {
			best = i
		}
	}
	return best
}

func age(v []Entry) {
	for i := range v {
		v[i].Age++
	}
}

// CyclonStart begins node p's Cyclon round (spec §6.2): it ages the view,
// removes the oldest entry Q (proactive removal: a dead Q never comes
// back through p) and appends to dst the shuffle for Q: p's fresh
// descriptor and Gossip−1 random entries. It returns −1 when the view is
// empty.
func (o *Overlay) CyclonStart(p int32, rng *rand.Rand, dst []Entry) (int32, []Entry) {
	s := &o.paper[p]
	age(s.Cyc)
	qi := o.oldest(s.Cyc)
	if qi < 0 {
		return -1, dst
	}
	q := s.Cyc[qi].Node
	s.Cyc = slices.Delete(s.Cyc, qi, qi+1)
	dst = append(dst, Entry{Node: p})
	s.sent = s.sent[:0]
	o.idx = sample(rng, len(s.Cyc), o.P.Gossip-1, o.idx[:0])
	for _, i := range o.idx {
		dst = append(dst, s.Cyc[i])
		s.sent = append(s.sent, s.Cyc[i])
	}
	return q, dst
}

// CyclonReply handles at q the shuffle recv from p: it appends to dst its
// reply (q's fresh descriptor and Gossip−1 random entries) and merges
// recv, giving up the entries it sent.
func (o *Overlay) CyclonReply(q, p int32, recv []Entry, rng *rand.Rand, dst []Entry) []Entry {
	s := &o.paper[q]
	dst = append(dst, Entry{Node: q})
	start := len(dst)
	o.idx = sample(rng, len(s.Cyc), o.P.Gossip-1, o.idx[:0])
	for _, i := range o.idx {
		dst = append(dst, s.Cyc[i])
	}
	o.cyclonMerge(q, recv, dst[start:])
	return dst
}

// CyclonFinish merges at p the reply recv to its shuffle.
func (o *Overlay) CyclonFinish(p int32, recv []Entry) {
	s := &o.paper[p]
	o.cyclonMerge(p, recv, s.sent)
	s.sent = s.sent[:0]
}

// cyclonMerge is the Cyclon swap: received entries fill empty slots, then
// replace entries x sent away; a known node keeps the younger age.
func (o *Overlay) cyclonMerge(x int32, recv, away []Entry) {
	s := &o.paper[x]
	r := append(o.ents[:0], recv...)
	o.ents = r
	slices.SortFunc(r, func(a, b Entry) int { return o.cmpID(a.Node, b.Node) })
	for _, e := range r {
		if e.Node == x || e.Node < 0 || int(e.Node) >= len(o.Prof) {
			continue
		}
		if i := indexOf(s.Cyc, e.Node); i >= 0 {
			s.Cyc[i].Age = min(s.Cyc[i].Age, e.Age)
			continue
		}
		if len(s.Cyc) < o.P.View {
			s.Cyc = append(s.Cyc, e)
			continue
		}
		best := -1
		for _, a := range away {
			if j := indexOf(s.Cyc, a.Node); j >= 0 && (best < 0 || o.lessID(a.Node, s.Cyc[best].Node)) {
				best = j
			}
		}
		if best >= 0 {
			s.Cyc[best] = e
		}
	}
}

// pool appends to dst the entries of the given views, deduplicated (the
// younger age wins) and without the nodes in skip or out of range, sorted
// by node.
func (o *Overlay) pool(dst []Entry, skip []int32, views ...[]Entry) []Entry {
	start := len(dst)
	for _, v := range views {
		for _, e := range v {
			if e.Node >= 0 && int(e.Node) < len(o.Prof) && !slices.Contains(skip, e.Node) {
				dst = append(dst, e)
			}
		}
	}
	r := dst[start:]
	slices.SortFunc(r, func(a, b Entry) int {
		if a.Node != b.Node {
			return cmp.Compare(a.Node, b.Node)
		}
		return cmp.Compare(a.Age, b.Age)
	})
	r = slices.CompactFunc(r, func(a, b Entry) bool { return a.Node == b.Node })
	return dst[:start+len(r)]
}

// closest sorts cand by Vicinity proximity to x (spec §6.3: x's topic
// priorities over shared topics, then shared topics, descending; then the
// younger age; then a hash of (salt, x, candidate), so ties never depend on
// order) and keeps the first k.
func (o *Overlay) closest(x int32, cand []Entry, k int) []Entry {
	xs, prio := o.Prof[x].Subs, &o.paper[x].Prio
	slices.SortFunc(cand, func(a, b Entry) int {
		pa := PriorityProximity(xs, prio, o.Prof[a.Node].Subs)
		pb := PriorityProximity(xs, prio, o.Prof[b.Node].Subs)
		if c := pb.Compare(pa); c != 0 {
			return c
		}
		if a.Age != b.Age {
			return cmp.Compare(a.Age, b.Age)
		}
		ha := mix(o.salt ^ uint64(x)<<32 ^ uint64(a.Node))
		hb := mix(o.salt ^ uint64(x)<<32 ^ uint64(b.Node))
		if ha != hb {
			if ha < hb {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Node, b.Node)
	})
	return cand[:min(k, len(cand))]
}

// VicinityStart begins node p's Vicinity round: it ages the view, picks
// the oldest entry Q (from Cyclon when Vicinity is empty), removes it from
// Vicinity, and appends to dst p's fresh descriptor and the Gossip−1
// entries of its views closest to Q. It returns −1 when both views are
// empty.
func (o *Overlay) VicinityStart(p int32, dst []Entry) (int32, []Entry) {
	s := &o.paper[p]
	age(s.Vic)
	var q int32 = -1
	if qi := o.oldest(s.Vic); qi >= 0 {
		q = s.Vic[qi].Node
		s.Vic = slices.Delete(s.Vic, qi, qi+1)
	} else if qi := o.oldest(s.Cyc); qi >= 0 {
		q = s.Cyc[qi].Node
	}
	if q < 0 {
		return -1, dst
	}
	dst = append(dst, Entry{Node: p})
	o.ents = o.pool(o.ents[:0], []int32{p, q}, s.Vic, s.Cyc)
	return q, append(dst, o.closest(q, o.ents, o.P.Gossip-1)...)
}

// VicinityReply handles at q the Vicinity gossip recv from p: it appends
// to dst q's fresh descriptor and the Gossip−1 entries closest to p, then
// merges recv.
func (o *Overlay) VicinityReply(q, p int32, recv []Entry, dst []Entry) []Entry {
	s := &o.paper[q]
	dst = append(dst, Entry{Node: q})
	o.ents = o.pool(o.ents[:0], []int32{p, q}, s.Vic, s.Cyc)
	dst = append(dst, o.closest(p, o.ents, o.P.Gossip-1)...)
	o.VicinityFinish(q, recv)
	return dst
}

// VicinityFinish merges received entries: Vicinity keeps the View
// entries of Vicinity ∪ Cyclon ∪ recv closest to x, and Rings take their
// pick of them (Vicinity feeds Rings).
func (o *Overlay) VicinityFinish(x int32, recv []Entry) {
	s := &o.paper[x]
	o.ents = o.pool(o.ents[:0], []int32{x}, s.Vic, s.Cyc, recv)
	s.Vic = append(s.Vic[:0], o.closest(x, o.ents, o.P.View)...)
	o.rebuildRings(x, recv)
}

// cw is the clockwise distance from a to b on the circular id space.
func cw(a, b uint64) uint64 { return b - a }

// nearest appends to dst, for each topic x and target both subscribe to,
// the Ring/2 candidates nearest target clockwise and counter-clockwise
// (cand sorted by node, no target in it), deduplicated.
func (o *Overlay) nearest(x, target int32, cand []Entry, dst []Entry) []Entry {
	start := len(dst)
	xs, ts, tid := o.Prof[x].Subs, o.Prof[target].Subs, o.Prof[target].ID
	for t := range NumTopics {
		if !xs.Has(Topic(t)) || !ts.Has(Topic(t)) {
			continue
		}
		dst = o.side(cand, Topic(t), func(c uint64) uint64 { return cw(tid, c) }, dst)
		dst = o.side(cand, Topic(t), func(c uint64) uint64 { return cw(c, tid) }, dst)
	}
	r := dst[start:]
	slices.SortFunc(r, func(a, b Entry) int { return cmp.Compare(a.Node, b.Node) })
	r = slices.CompactFunc(r, func(a, b Entry) bool { return a.Node == b.Node })
	return dst[:start+len(r)]
}

// side appends the Ring/2 candidates subscribed to t with the smallest
// dist(id), nearest first.
func (o *Overlay) side(cand []Entry, t Topic, dist func(uint64) uint64, dst []Entry) []Entry {
	start := len(dst)
	for _, c := range cand {
		if !o.Prof[c.Node].Subs.Has(t) {
			continue
		}
		d := dist(o.Prof[c.Node].ID)
		// insertion into a list of at most Ring/2, nearest first
		i := len(dst)
		for i > start && dist(o.Prof[dst[i-1].Node].ID) > d {
			i--
		}
		if i-start < o.P.Ring/2 {
			dst = slices.Insert(dst, i, c)
			if len(dst)-start > o.P.Ring/2 {
				dst = dst[:start+o.P.Ring/2]
			}
		}
	}
	return dst
}

// ringPick appends x's fresh descriptor and its best ring candidates for
// target's position, at most Gossip−1 of them (a random subset when more).
func (o *Overlay) ringPick(x, target int32, rng *rand.Rand, dst []Entry) []Entry {
	s := &o.paper[x]
	dst = append(dst, Entry{Node: x})
	skip := []int32{x, target}
	o.ents = o.pool(o.ents[:0], skip, s.Rings[0].Pred, s.Rings[0].Succ, s.Rings[1].Pred, s.Rings[1].Succ, s.Vic, s.Cyc)
	start := len(dst)
	dst = o.nearest(x, target, o.ents, dst)
	if n := len(dst) - start; n > o.P.Gossip-1 {
		o.idx = sample(rng, n, o.P.Gossip-1, o.idx[:0])
		for j, i := range o.idx {
			dst[start+j] = dst[start+i] // i ≥ j: ascending distinct indices
		}
		dst = dst[:start+len(o.idx)]
	}
	return dst
}

// RingsStart begins node p's Rings round: it ages its ring entries, picks
// the oldest Q over all rings (from Vicinity, then Cyclon, while the rings
// are empty), removes Q from its rings and appends to dst p's fresh
// descriptor and its best candidates for Q's ring position. It returns −1
// when p knows nobody.
func (o *Overlay) RingsStart(p int32, rng *rand.Rand, dst []Entry) (int32, []Entry) {
	s := &o.paper[p]
	var q int32 = -1
	var qa int32
	for t := range NumTopics {
		for _, v := range [][]Entry{s.Rings[t].Pred, s.Rings[t].Succ} {
			age(v)
			if i := o.oldest(v); i >= 0 && (q < 0 || v[i].Age > qa || (v[i].Age == qa && o.lessID(v[i].Node, q))) {
				q, qa = v[i].Node, v[i].Age
			}
		}
	}
	if q < 0 {
		if i := o.oldest(s.Vic); i >= 0 {
			q = s.Vic[i].Node
		} else if i := o.oldest(s.Cyc); i >= 0 {
			q = s.Cyc[i].Node
		} else {
			return -1, dst
		}
	}
	for t := range NumTopics {
		r := &s.Rings[t]
		r.Pred = slices.DeleteFunc(r.Pred, func(e Entry) bool { return e.Node == q })
		r.Succ = slices.DeleteFunc(r.Succ, func(e Entry) bool { return e.Node == q })
	}
	return q, o.ringPick(p, q, rng, dst)
}

// RingsReply handles at q the Rings gossip recv from p: it appends to dst
// q's answer (its best candidates for p's position) and rebuilds q's rings.
func (o *Overlay) RingsReply(q, p int32, recv []Entry, rng *rand.Rand, dst []Entry) []Entry {
	dst = o.ringPick(q, p, rng, dst)
	o.rebuildRings(q, recv)
	return dst
}

// RingsFinish rebuilds p's rings with the reply recv.
func (o *Overlay) RingsFinish(p int32, recv []Entry) { o.rebuildRings(p, recv) }

// rebuildRings sets, for each topic x subscribes to, its Ring/2 nearest
// successors and predecessors among the subscribers in its views and
// recv, and the topic priorities (spec §6.4).
func (o *Overlay) rebuildRings(x int32, recv []Entry) {
	s := &o.paper[x]
	o.ents = o.pool(o.ents[:0], []int32{x}, recv, s.Rings[0].Pred, s.Rings[0].Succ, s.Rings[1].Pred, s.Rings[1].Succ, s.Vic, s.Cyc)
	xid, xs := o.Prof[x].ID, o.Prof[x].Subs
	for t := range NumTopics {
		r := &s.Rings[t]
		r.Pred, r.Succ = r.Pred[:0], r.Succ[:0]
		if xs.Has(Topic(t)) {
			r.Succ = o.side(o.ents, Topic(t), func(c uint64) uint64 { return cw(xid, c) }, r.Succ)
			r.Pred = o.side(o.ents, Topic(t), func(c uint64) uint64 { return cw(c, xid) }, r.Pred)
			s.Prio[t] = o.P.Ring - len(r.Pred) - len(r.Succ)
		} else {
			s.Prio[t] = 0
		}
	}
}

// firstUp returns the first ring entry not known to be down (up == nil:
// all up), or −1.
func firstUp(v []Entry, up []bool) int32 {
	for _, e := range v {
		if up == nil || up[e.Node] {
			return e.Node
		}
	}
	return -1
}

// PaperTargets appends to dst, sorted, whom self forwards an event of
// topic t to when it first has it from `from` (−1: self published it),
// per spec §3/§6.5: from the ring predecessor, to the successor and
// Fanout−1 random Vicinity neighbours subscribed to t; from the successor,
// symmetrically; otherwise to both ring neighbours and Fanout−2 shortcuts.
// Ring slots fall back to the backup entry when up (nil: all up) says the
// nearest is down, as a failed connection would.
func (o *Overlay) PaperTargets(self, from int32, t Topic, up []bool, rng *rand.Rand, dst []int32) []int32 {
	s := &o.paper[self]
	pred, succ := firstUp(s.Rings[t].Pred, up), firstUp(s.Rings[t].Succ, up)
	start := len(dst)
	add := func(n int32) {
		if n >= 0 && n != self && !slices.Contains(dst[start:], n) {
			dst = append(dst, n)
		}
	}
	k := o.P.Fanout - 2
	switch {
	case from >= 0 && from == pred:
		add(succ)
		k++
	case from >= 0 && from == succ:
		add(pred)
		k++
	default:
		add(pred)
		add(succ)
	}
	ids := o.ids[:0]
	for _, e := range s.Vic {
		n := e.Node
		if n != self && n != from && o.Prof[n].Subs.Has(t) && (up == nil || up[n]) && !slices.Contains(dst[start:], n) {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	o.idx = sample(rng, len(ids), k, o.idx[:0])
	for _, i := range o.idx {
		dst = append(dst, ids[i])
	}
	o.ids = ids
	slices.Sort(dst[start:])
	return dst
}
