package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
)

// Observer receives what a run produces. results.Collector implements it;
// an observer must not influence the run.
type Observer interface {
	BlockMade(block int, slot int64, producer int, slotStart clock.Time)
	Adopted(block, node int, at clock.Time)
	Count(name string, delta int64)
}

// WorldConfig is everything a World needs besides its nodes and network.
type WorldConfig struct {
	Slot          time.Duration
	ForgeDelay    time.Duration
	BodyBytes     int64
	BitsPerSecond int64 // per-node uplink; 0 = unlimited
	Relay         node.RelayConfig
	Jitter        netmodel.Jitter
	Seed          uint64
	Limits        Limits
	// P2P, when set, runs Dynamic P2P: the relay graph comes from the
	// governors' hot peers instead of NewWorld's peers argument.
	P2P *P2PConfig
}

// Forwarder chooses whom a node announces a block it has just adopted as
// its tip, in addition to its relay peers (an overlay such as PolderCast
// decides per block, not by a fixed peer list).
type Forwarder interface {
	// Forward appends to dst the nodes self announces b to; from is the
	// peer b came from (-1: self forged it).
	Forward(now clock.Time, self, from int32, b node.BlockID, dst []int32) []int32
}

// World wires nodes to the engine and the network model: it turns the
// nodes' actions into events and events into node inputs.
type World struct {
	Eng   *Engine
	Chain node.Chain
	Nodes []*node.Node
	cfg   WorldConfig
	lat   netmodel.Latency
	up    []netmodel.Uplink
	sched *node.LeaderSchedule
	obs   Observer
	jrng  *rand.Rand
	out   node.Outbox
	lead  []node.Leader

	kSlot, kHeader, kRequest, kBody, kWakeHeader, kWakeBody Kind

	p2p *p2p
	// fwd, when set, adds per-block announcement targets (Forwarder).
	fwd    Forwarder
	fwdDst []int32

	// Counters, flushed to the observer by Finish.
	headers, requests, bodies, unroutable, battles, stale int64

	// everyHeader turns off the skipping of redundant header events
	// (sendHeader); tests set it to compare.
	everyHeader bool
	// held[i] is the last block whose body node i received (see hasBody).
	held []heldBody
}

// heldBody is a block whose body a node received, with the node's
// incarnation at the time: with Dynamic P2P its metrics, which a restart
// replaces.
type heldBody struct {
	block node.BlockID
	inc   *node.Metrics
}

// NewWorld builds a world. peers[i] are node i's relay peers (sorted).
func NewWorld(cfg WorldConfig, lat netmodel.Latency, peers [][]int32, sched *node.LeaderSchedule, obs Observer) (*World, error) {
	n := lat.N()
	if cfg.P2P != nil && peers == nil {
		peers = make([][]int32, n)
	}
	if len(peers) != n {
		return nil, fmt.Errorf("world: %d peer lists for %d nodes", len(peers), n)
	}
	if cfg.Slot <= 0 {
		return nil, fmt.Errorf("world: slot %v: accepted > 0", cfg.Slot)
	}
	w := &World{
		Eng: NewEngine(cfg.Limits), cfg: cfg, lat: lat, sched: sched, obs: obs,
		up:   make([]netmodel.Uplink, n),
		held: make([]heldBody, n),
		jrng: Derive(cfg.Seed, "jitter", 0),
	}
	for i := 0; i < n; i++ {
		w.Nodes = append(w.Nodes, node.NewNode(int32(i), &w.Chain, cfg.Relay, peers[i]))
		w.up[i] = netmodel.NewUplink(cfg.BitsPerSecond)
		w.held[i].block = node.NoBlock
	}
	w.kSlot = w.Eng.Register("praos.slot", w.onSlot)
	w.kHeader = w.Eng.Register("relay.header", w.nodeInput(func(n *node.Node, ev *Event, b node.BlockID, _ int32) {
		if w.p2p != nil {
			// Headers come over chain-sync, which runs only with hot peers.
			if !w.p2p.isHot(ev.Node, ev.From) {
				w.stale++
				return
			}
			w.p2p.metrics[ev.Node].HeaderArrived(w.Chain.Get(b).Slot, ev.From, ev.At)
		}
		n.OnHeader(ev.At, ev.From, b, &w.out)
	}))
	w.kRequest = w.Eng.Register("relay.request", w.nodeInput(func(n *node.Node, ev *Event, b node.BlockID, count int32) {
		n.OnRequest(ev.At, ev.From, b, count, &w.out)
	}))
	w.kBody = w.Eng.Register("relay.body", w.nodeInput(func(n *node.Node, ev *Event, b node.BlockID, _ int32) {
		if w.p2p != nil {
			w.p2p.metrics[ev.Node].BodyArrived(w.Chain.Get(b).Slot, ev.From, w.cfg.BodyBytes, ev.At)
		}
		n.OnBody(ev.At, ev.From, b, &w.out)
	}))
	w.kWakeHeader = w.Eng.Register("relay.header-valid", w.nodeInput(func(n *node.Node, ev *Event, b node.BlockID, _ int32) {
		n.OnHeaderValidated(ev.At, b, &w.out)
	}))
	w.kWakeBody = w.Eng.Register("relay.body-valid", w.nodeInput(func(n *node.Node, ev *Event, b node.BlockID, _ int32) {
		n.OnBodyValidated(ev.At, b, &w.out)
	}))
	if s := sched.NextSlot(); s >= 0 {
		w.Eng.At(w.slotStart(s).Add(cfg.ForgeDelay), w.kSlot, -1, -1, s)
	}
	if cfg.P2P != nil {
		if err := w.initP2P(*cfg.P2P, cfg.Seed); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *World) slotStart(slot int64) clock.Time { return clock.Time(slot) * clock.Time(w.cfg.Slot) }

// RunUntil advances the run to t.
func (w *World) RunUntil(t clock.Time) error { return w.Eng.RunUntil(t) }

// Finish reports the run's counters to the observer.
func (w *World) Finish() {
	w.obs.Count("events", int64(w.Eng.Executed()))
	w.obs.Count("headers_sent", w.headers)
	w.obs.Count("requests_sent", w.requests)
	w.obs.Count("bodies_sent", w.bodies)
	w.obs.Count("unroutable_messages", w.unroutable)
	w.obs.Count("slot_battles", w.battles)
	if w.p2p != nil {
		w.obs.Count("headers_not_hot", w.stale)
		w.finishP2P()
	}
}

func (w *World) onSlot(ev *Event) {
	slot := ev.Arg
	w.lead = w.sched.Leaders(slot, w.lead[:0])
	if len(w.lead) > 1 {
		w.battles++
	}
	for _, l := range w.lead {
		if w.Down(int(l.Node)) {
			continue // a crashed leader misses its slot
		}
		nd := w.Nodes[l.Node]
		b := w.Chain.Add(nd.Tip(), slot, l.Node, l.VRF, ev.At)
		w.obs.BlockMade(int(b.ID), slot, int(l.Node), w.slotStart(slot))
		w.out.Reset()
		nd.Forge(ev.At, b.ID, &w.out)
		w.apply(ev.At, l.Node)
	}
	if s := w.sched.NextSlot(); s >= 0 {
		w.Eng.At(w.slotStart(s).Add(w.cfg.ForgeDelay), w.kSlot, -1, -1, s)
	}
}

// packs a block id and a fragment length into an event argument.
func pack(b node.BlockID, count int32) int64 { return int64(b) | int64(count)<<32 }
func unpack(a int64) (node.BlockID, int32)   { return node.BlockID(int32(a)), int32(a >> 32) }

// nodeInput adapts a node handler to an engine handler: it unpacks the
// event, resets the outbox, runs the node and carries out its actions.
func (w *World) nodeInput(in func(n *node.Node, ev *Event, b node.BlockID, count int32)) Handler {
	return func(ev *Event) {
		if w.Down(int(ev.Node)) {
			return
		}
		b, count := unpack(ev.Arg)
		w.out.Reset()
		in(w.Nodes[ev.Node], ev, b, count)
		w.apply(ev.At, ev.Node)
	}
}

// apply carries out the actions node self left in the outbox.
func (w *World) apply(now clock.Time, self int32) {
	for _, a := range w.out.Actions {
		switch a.Kind {
		case node.SendHeader:
			w.headers++
			w.sendHeader(now, self, a.To, a.Block)
		case node.SendRequest:
			if w.p2p != nil && !w.connected(now, self, a.To) {
				w.Nodes[self].DropFrom(a.To) // the connection is gone
				w.unroutable++
				continue
			}
			w.requests++
			w.send(now, self, a.To, w.kRequest, pack(a.Block, a.Count))
		case node.SendBody:
			w.bodies++
			done := w.up[self].Send(now, w.cfg.BodyBytes)
			w.send(done, self, a.To, w.kBody, pack(a.Block, 0))
		case node.WakeHeader:
			w.Eng.At(a.At, w.kWakeHeader, self, -1, pack(a.Block, 0))
		case node.WakeBody:
			w.held[self] = heldBody{a.Block, w.incarnation(self)}
			w.Eng.At(a.At, w.kWakeBody, self, -1, pack(a.Block, 0))
		case node.Adopt:
			w.obs.Adopted(int(a.Block), int(self), now)
			if w.fwd != nil && a.Count == 1 {
				w.fwdDst = w.fwd.Forward(now, self, a.To, a.Block, w.fwdDst[:0])
				for _, to := range w.fwdDst {
					w.headers++
					w.sendHeader(now, self, to, a.Block)
				}
			}
		}
	}
}

// incarnation returns what identifies node i's current run: with Dynamic
// P2P its metrics (a restart makes new ones), else nil (no restarts).
func (w *World) incarnation(i int32) *node.Metrics {
	if w.p2p == nil {
		return nil
	}
	return w.p2p.metrics[i]
}

// hasBody reports whether node i received the body of b in its current
// run, as far as the last body it received tells.
func (w *World) hasBody(i int32, b node.BlockID) bool {
	h := w.held[i]
	return h.block == b && h.inc == w.incarnation(i)
}

// send delivers a message from→to that leaves at t, after the one-way
// latency (with jitter when configured).
func (w *World) send(t clock.Time, from, to int32, k Kind, arg int64) {
	if at, ok := w.arrival(t, from, to); ok {
		w.Eng.At(at, k, to, from, arg)
	}
}

// arrival returns when a message from→to that leaves at t arrives, drawing
// the jitter, or false (counted as unroutable) if there is no path.
func (w *World) arrival(t clock.Time, from, to int32) (clock.Time, bool) {
	d, ok := w.lat.OneWay(int(from), int(to))
	if !ok {
		w.unroutable++
		return 0, false
	}
	if w.cfg.Jitter.Fraction > 0 {
		d = w.cfg.Jitter.Apply(d, w.jrng)
	}
	return t.Add(d), true
}

// sendHeader announces block b from→to. Most announcements reach a node
// that already has b, and for the relay such an arrival is a no-op:
// OnHeader ignores a block that is on the chain, not better than the tip,
// or held. A block on the chain now is on it or not better than the tip at
// arrival, since a tip only gets better. A block whose body the node holds
// (OnBody accepted it: it is validating or valid off the chain) stays held
// until it is on the chain or cannot win, as only a restart clears held
// bodies (DropFrom keeps them). Those announcements are not scheduled: in
// production-3000.yaml 8.4 M of 13.8 M, half of the run's events. The arrival
// time is still computed, so the jitter stream and the relay outcome are
// exactly those of delivering them (but for a crash and restart within one
// header latency, which we ignore).
//
// With Dynamic P2P the arrival still feeds the receiver's peer metrics,
// which is recorded here, at send time, with the computed arrival time.
// This approximates the event in two ways: whether the receiver has the
// sender as a hot upstream is checked at send time, not at arrival (a
// demotion within one latency is rare; the headers_not_hot counter counts
// at send time for these), and a receiver that crashes between the two
// still records it (a receiver down at send time records nothing). The
// metrics keep the earliest arrival per slot whatever the order of the
// reports, so reporting early changes only ties, the joined-at and
// last-seen registries' order by a latency, and what a sample taken in
// between sees.
func (w *World) sendHeader(now clock.Time, from, to int32, b node.BlockID) {
	at, ok := w.arrival(now, from, to)
	if !ok {
		return
	}
	if w.everyHeader || !(w.Nodes[to].OnChain(b) || w.hasBody(to, b)) {
		w.Eng.At(at, w.kHeader, to, from, pack(b, 0))
		return
	}
	if w.p2p == nil || w.Down(int(to)) {
		return
	}
	if !w.p2p.isHot(to, from) {
		w.stale++
		return
	}
	w.p2p.metrics[to].HeaderArrived(w.Chain.Get(b).Slot, from, at)
}
