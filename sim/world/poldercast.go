package world

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies/poldercast"
	"github.com/dpsim/dpsim/sim"
)

// PolderCastConfig makes the PolderCast overlay the relay graph: nodes
// gossip profiles every interval, and a node that adopts a block announces
// it to the overlay's targets (paper: ring neighbours and random
// shortcuts; itn: the whole merged view), which pull the body from it.
type PolderCastConfig struct {
	Params poldercast.Params
	// Subs are each node's subscriptions (nil: poldercast.DefaultSubs for
	// every node).
	Subs []poldercast.Subs
	// Trusted is how many random trusted peers each node starts with (0:
	// DefaultTrusted), as Jörmungandr's p2p.trusted_peers; Seeds, when set,
	// lists each node's trusted peers instead.
	Trusted int
	Seeds   [][]int32
	// Churn takes nodes out of the network and brings them (back) in, in
	// time order; a node whose first event brings it in starts outside.
	Churn []OverlayChurn
}

// OverlayChurn takes Node out (Up false) or brings it in (Up true) at At.
// A leaving node stops gossiping, forwarding and answering (its peers find
// out when they fail to reach it); a joining node starts with empty views
// and its trusted peers, and keeps its chain.
type OverlayChurn struct {
	Node int32
	At   clock.Time
	Up   bool
}

// DefaultTrusted is the number of trusted peers per node when the
// configuration gives none.
const DefaultTrusted = 4

// Approximate gossip sizes: a profile is a 24-byte id, an address (about
// 18 bytes), topics and an age (spec §1), framed; a message adds a header.
const (
	profileBytes = 64
	gossipHeader = 16
)

// polderCast drives the overlay inside a World; it is the World's
// Forwarder.
type polderCast struct {
	w       *World
	o       *poldercast.Overlay
	cfg     PolderCastConfig
	trusted [][]int32
	grng    []*rand.Rand // gossip draws
	frng    []*rand.Rand // paper fanout draws
	prng    []*rand.Rand // tick phases
	up      []bool
	gen     []int64 // tick generation: a stale tick is ignored
	peers   []poldercast.PeerMap
	churn   []OverlayChurn

	payload slab[poldercast.Entry]
	buf     []poldercast.Entry
	ibuf    []int32
	view    []int32

	// recvAnn counts the announcements each node received.
	recvAnn []int64

	kTick, kCycReq, kCycRep, kVicReq, kVicRep, kRingReq, kRingRep, kGossip, kHeader, kChurn sim.Kind

	gossipMsgs, gossipBytes, gossipLost, conns, announce, redundant, quarantined int64
}

func (w *World) initPolderCast(cfg PolderCastConfig, seed uint64) error {
	n := len(w.Nodes)
	if w.p2p != nil {
		return fmt.Errorf("world: poldercast and p2p both set: accepted one relay graph")
	}
	for i, nd := range w.Nodes {
		if len(nd.Peers()) > 0 {
			return fmt.Errorf("world: poldercast: node %d has %d static peers: accepted none (the overlay picks the targets)", i, len(nd.Peers()))
		}
	}
	if cfg.Subs != nil && len(cfg.Subs) != n {
		return fmt.Errorf("world: poldercast subs for %d nodes: accepted %d or none", len(cfg.Subs), n)
	}
	if cfg.Seeds != nil && len(cfg.Seeds) != n {
		return fmt.Errorf("world: poldercast seeds for %d nodes: accepted %d or none", len(cfg.Seeds), n)
	}
	if cfg.Trusted < 0 || cfg.Trusted >= max(n, 1) {
		return fmt.Errorf("world: poldercast trusted %d: accepted 0 to %d", cfg.Trusted, n-1)
	}
	d := &polderCast{w: w, cfg: cfg, up: make([]bool, n), gen: make([]int64, n),
		peers: make([]poldercast.PeerMap, n), trusted: make([][]int32, n), recvAnn: make([]int64, n)}
	prof := make([]poldercast.Profile, n)
	for i := range n {
		prof[i] = poldercast.Profile{ID: sim.Derive(seed, "poldercast-id", uint64(i)).Uint64(), Subs: poldercast.DefaultSubs}
		if cfg.Subs != nil {
			prof[i].Subs = cfg.Subs[i]
		}
		d.grng = append(d.grng, sim.Derive(seed, "poldercast-gossip", uint64(i)))
		d.frng = append(d.frng, sim.Derive(seed, "poldercast-fanout", uint64(i)))
		d.prng = append(d.prng, sim.Derive(seed, "poldercast-phase", uint64(i)))
		d.peers[i].Cap = cfg.Params.PeerMap
		d.up[i] = true
	}
	o, err := poldercast.New(cfg.Params, prof, seed)
	if err != nil {
		return fmt.Errorf("world: %w", err)
	}
	d.o = o
	k := cfg.Trusted
	if k == 0 {
		k = min(DefaultTrusted, n-1)
	}
	for i := range n {
		if cfg.Seeds != nil {
			for _, s := range cfg.Seeds[i] {
				if s < 0 || int(s) >= n || int(s) == i {
					return fmt.Errorf("world: poldercast seeds[%d]: node %d: accepted another node in [0, %d)", i, s, n)
				}
			}
			d.trusted[i] = slices.Clone(cfg.Seeds[i])
			continue
		}
		rng := sim.Derive(seed, "poldercast-bootstrap", uint64(i))
		for len(d.trusted[i]) < k {
			if s := int32(rng.IntN(n)); int(s) != i && !slices.Contains(d.trusted[i], s) {
				d.trusted[i] = append(d.trusted[i], s)
			}
		}
		slices.Sort(d.trusted[i])
	}
	d.churn = slices.Clone(cfg.Churn)
	slices.SortStableFunc(d.churn, func(a, b OverlayChurn) int { return cmp.Compare(a.At, b.At) })
	seen := make([]bool, n)
	for ci, c := range d.churn {
		if c.Node < 0 || int(c.Node) >= n || c.At < 0 {
			return fmt.Errorf("world: poldercast churn %d %+v: accepted a node in [0, %d) and a time ≥ 0", ci, c, n)
		}
		if !seen[c.Node] {
			seen[c.Node] = true
			d.up[c.Node] = !c.Up // first brought in: starts outside
		}
	}
	d.kTick = w.Eng.Register("poldercast.tick", d.onTick)
	d.kCycReq = w.Eng.Register("poldercast.cyclon", d.onCyclonReq)
	d.kCycRep = w.Eng.Register("poldercast.cyclon-reply", d.onCyclonRep)
	d.kVicReq = w.Eng.Register("poldercast.vicinity", d.onVicinityReq)
	d.kVicRep = w.Eng.Register("poldercast.vicinity-reply", d.onVicinityRep)
	d.kRingReq = w.Eng.Register("poldercast.rings", d.onRingsReq)
	d.kRingRep = w.Eng.Register("poldercast.rings-reply", d.onRingsRep)
	d.kGossip = w.Eng.Register("poldercast.gossip", d.onGossip)
	d.kHeader = w.Eng.Register("poldercast.announce", d.onHeader)
	d.kChurn = w.Eng.Register("poldercast.churn", d.onChurn)
	for i := range n {
		if d.up[i] {
			d.start(int32(i), 0)
		}
	}
	for ci, c := range d.churn {
		w.Eng.At(c.At, d.kChurn, c.Node, -1, int64(ci))
	}
	w.fwd = d
	return nil
}

// Overlay returns the PolderCast overlay (nil without one).
func (w *World) Overlay() *poldercast.Overlay {
	if d, ok := w.fwd.(*polderCast); ok {
		return d.o
	}
	return nil
}

// start (re)starts node i's overlay at now: fresh state, its trusted
// peers, and its first gossip round at a seeded phase in [0, interval).
func (d *polderCast) start(i int32, now clock.Time) {
	d.o.Reset(i)
	d.o.Bootstrap(i, d.trusted[i], now)
	d.gen[i]++
	phase := clock.Time(d.prng[i].Int64N(int64(d.cfg.Params.Interval)))
	d.w.Eng.At(now+phase, d.kTick, i, -1, d.gen[i])
}

// connect returns when a message from→to sent at now can leave, opening a
// connection (a handshake round trip) if from has none to to. A departed
// target fails at once: a known connection is dropped, a new one is a
// strike in ITN mode (spec §3 step 3, §4).
func (d *polderCast) connect(now clock.Time, from, to int32) (clock.Time, bool) {
	m := &d.peers[from]
	if !d.up[to] {
		if m.Has(to) {
			m.Drop(to)
		} else if d.o.P.Mode == poldercast.ITN && d.o.ItnStrike(from, to, now) {
			d.quarantined++
		}
		return 0, false
	}
	rtt, ok := d.w.rtt(from, to)
	if !ok {
		return 0, false
	}
	ready, opened := m.Use(to, now, rtt)
	if opened {
		d.conns++
	}
	return ready, true
}

// msg sends a gossip message from→to at now: a request opens a connection
// if needed, a reply rides the requester's.
func (d *polderCast) msg(now clock.Time, from, to int32, k sim.Kind, e []poldercast.Entry, request bool) {
	leave := now
	if request {
		var ok bool
		if leave, ok = d.connect(now, from, to); !ok {
			d.gossipLost++
			return
		}
	} else if !d.up[to] {
		d.gossipLost++
		return
	}
	at, ok := d.w.arrival(leave, from, to)
	if !ok {
		return
	}
	d.gossipMsgs++
	d.gossipBytes += gossipHeader + profileBytes*int64(len(e))
	d.w.Eng.At(at, k, to, from, d.payload.hold(e))
}

func (d *polderCast) onTick(ev *sim.Event) {
	i := ev.Node
	if !d.up[i] || ev.Arg != d.gen[i] {
		return
	}
	now, rng, o := ev.At, d.grng[i], d.o
	if o.P.Mode == poldercast.Paper {
		if q, e := o.CyclonStart(i, rng, d.buf[:0]); q >= 0 {
			d.msg(now, i, q, d.kCycReq, e, true)
		}
		if q, e := o.VicinityStart(i, d.buf[:0]); q >= 0 {
			d.msg(now, i, q, d.kVicReq, e, true)
		}
		if q, e := o.RingsStart(i, rng, d.buf[:0]); q >= 0 {
			d.msg(now, i, q, d.kRingReq, e, true)
		}
	} else {
		// Jörmungandr 0.8 pushes a fresh gossip to every peer of its
		// whole view (spec §3 step 5).
		d.view = o.ItnView(i, poldercast.AnyTopic, rng, d.view[:0])
		for _, p := range d.view {
			d.ibuf = o.ItnGossip(i, p, rng, d.ibuf[:0])
			d.buf = d.buf[:0]
			for _, x := range d.ibuf {
				d.buf = append(d.buf, poldercast.Entry{Node: x})
			}
			d.msg(now, i, p, d.kGossip, d.buf, true)
		}
	}
	d.w.Eng.At(now.Add(o.P.Interval), d.kTick, i, -1, d.gen[i])
}

// exchange handles a paper-mode request: the receiver answers (if up).
func (d *polderCast) exchange(ev *sim.Event, reply sim.Kind, answer func(q, p int32, recv []poldercast.Entry) []poldercast.Entry) {
	recv := d.payload.get(ev.Arg)
	if d.up[ev.Node] {
		e := answer(ev.Node, ev.From, recv)
		d.payload.release(ev.Arg)
		d.msg(ev.At, ev.Node, ev.From, reply, e, false)
		return
	}
	d.payload.release(ev.Arg)
}

// finish handles a paper-mode reply.
func (d *polderCast) finish(ev *sim.Event, merge func(p int32, recv []poldercast.Entry)) {
	if d.up[ev.Node] {
		merge(ev.Node, d.payload.get(ev.Arg))
	}
	d.payload.release(ev.Arg)
}

func (d *polderCast) onCyclonReq(ev *sim.Event) {
	d.exchange(ev, d.kCycRep, func(q, p int32, recv []poldercast.Entry) []poldercast.Entry {
		return d.o.CyclonReply(q, p, recv, d.grng[q], d.buf[:0])
	})
}

func (d *polderCast) onCyclonRep(ev *sim.Event) { d.finish(ev, d.o.CyclonFinish) }

func (d *polderCast) onVicinityReq(ev *sim.Event) {
	d.exchange(ev, d.kVicRep, func(q, p int32, recv []poldercast.Entry) []poldercast.Entry {
		return d.o.VicinityReply(q, p, recv, d.buf[:0])
	})
}

func (d *polderCast) onVicinityRep(ev *sim.Event) { d.finish(ev, d.o.VicinityFinish) }

func (d *polderCast) onRingsReq(ev *sim.Event) {
	d.exchange(ev, d.kRingRep, func(q, p int32, recv []poldercast.Entry) []poldercast.Entry {
		return d.o.RingsReply(q, p, recv, d.grng[q], d.buf[:0])
	})
}

func (d *polderCast) onRingsRep(ev *sim.Event) { d.finish(ev, d.o.RingsFinish) }

// onGossip is an ITN node accepting a pushed gossip.
func (d *polderCast) onGossip(ev *sim.Event) {
	if d.up[ev.Node] {
		d.ibuf = d.ibuf[:0]
		for _, e := range d.payload.get(ev.Arg) {
			d.ibuf = append(d.ibuf, e.Node)
		}
		d.o.ItnAccept(ev.Node, d.ibuf, ev.At)
	}
	d.payload.release(ev.Arg)
}

// Forward implements Forwarder: the overlay's targets for a block self has
// just adopted from `from`. Targets over an established connection are
// returned (the World announces to them now); the others get the header
// once their connection is up (onHeader).
func (d *polderCast) Forward(now clock.Time, self, from int32, b node.BlockID, dst []int32) []int32 {
	if !d.up[self] {
		return dst
	}
	if d.o.P.Mode == poldercast.Paper {
		d.view = d.o.PaperTargets(self, from, poldercast.Blocks, d.up, d.frng[self], d.view[:0])
	} else {
		// The whole merged view, sender included (spec §3 step 2).
		d.view = d.o.ItnView(self, poldercast.Blocks, d.grng[self], d.view[:0])
	}
	for _, to := range d.view {
		leave, ok := d.connect(now, self, to)
		if !ok {
			continue
		}
		d.announce++
		d.recvAnn[to]++
		if nd := d.w.Nodes[to]; !d.w.Chain.Better(b, nd.Tip()) || nd.Fetching(b) {
			d.redundant++
		}
		if leave == now {
			dst = append(dst, to)
		} else {
			d.w.Eng.At(leave, d.kHeader, to, self, int64(b))
		}
	}
	return dst
}

// onHeader announces a block over a connection that has just opened.
func (d *polderCast) onHeader(ev *sim.Event) {
	if !d.up[ev.From] {
		return
	}
	d.w.headers++
	d.w.sendHeader(ev.At, ev.From, ev.Node, node.BlockID(ev.Arg))
}

func (d *polderCast) onChurn(ev *sim.Event) {
	c := d.churn[ev.Arg]
	i := c.Node
	switch {
	case c.Up && !d.up[i]:
		d.up[i] = true
		d.start(i, ev.At)
	case !c.Up && d.up[i]:
		d.up[i] = false
		d.peers[i].Clear()
		d.gen[i]++
	}
}

// finishPolderCast reports the overlay's counters (per-node figures are
// these divided by the number of nodes).
func (w *World) finishPolderCast() {
	d, ok := w.fwd.(*polderCast)
	if !ok {
		return
	}
	w.obs.Count(CountGossipMessages, d.gossipMsgs)
	w.obs.Count(CountGossipBytes, d.gossipBytes)
	w.obs.Count(CountGossipLost, d.gossipLost)
	w.obs.Count(CountConnectionsOpened, d.conns)
	w.obs.Count(CountAnnouncements, d.announce)
	w.obs.Count(CountAnnouncementsRedundant, d.redundant)
	if d.o.P.Mode == poldercast.ITN {
		w.obs.Count(CountQuarantined, d.quarantined)
	}
}
