package world

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// Observer receives what a run produces. results.Collector implements it;
// an observer must not influence the run.
type Observer interface {
	BlockMade(block int, slot int64, producer int, slotStart clock.Time)
	Adopted(block, node int, at clock.Time)
	// HeaderArrived reports the arrival of a header that node took up
	// (it started validating it): the first for a (block, node) pair is
	// its header arrival time.
	HeaderArrived(block, node int, at clock.Time)
	Count(c Counter, delta int64)
}

// Config is everything a World needs besides its nodes and network.
type Config struct {
	Slot        time.Duration
	ForgeDelay  time.Duration
	HeaderBytes int64
	BodyBytes   int64
	// BodySizes, when not empty, replaces BodyBytes: each block's body
	// size is drawn from these values, weighted by BodyWeights.
	BodySizes     []int64
	BodyWeights   []float64
	BitsPerSecond int64 // per-node uplink; 0 = unlimited
	// TCP, when set, sends every message over the TCP transfer model
	// (transport tcp); nil is the ideal transport: latency only, and
	// bodies serialised on the uplink.
	TCP    *netmodel.TCPConfig
	Relay  node.RelayConfig
	Jitter netmodel.Jitter
	Seed   uint64
	Limits sim.Limits
	// P2P, when set, runs Dynamic P2P: the relay graph comes from the
	// governors' hot peers instead of New's peers argument.
	P2P *P2PConfig
	// PolderCast, when set, makes the PolderCast overlay the relay graph
	// (poldercast.go); the peers argument must be all empty.
	PolderCast *PolderCastConfig
	// ExactHeaders delivers every header announcement as an event, instead
	// of skipping those the receiver would ignore (sendHeader). Adoption
	// is the same either way; the skipped headers' peer-metric reports
	// are then made at their arrival rather than when they are sent. It
	// costs about twice the events.
	ExactHeaders bool
	// CheckEvents checks the world's mirrors against the nodes at every
	// header event and work-list query (hot marks, work lists), and
	// panics on a difference: for tests and the swarm.
	CheckEvents bool
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
	Eng   *sim.Engine
	Chain node.Chain
	Nodes []*node.Node
	cfg   Config
	lat   netmodel.Latency
	up    []netmodel.Uplink
	flows *netmodel.Flows // transport tcp; nil: ideal
	// hdrWire is a header's serialisation, asked for every announcement.
	hdrWire time.Duration
	sym     bool // lat is netmodel.Symmetric: a round trip is twice one way
	sched   *node.LeaderSchedule
	obs     Observer
	jrng    *rand.Rand
	srng    *rand.Rand // body sizes (Config.BodySizes)
	scum    []float64  // cumulative BodyWeights
	out     node.Outbox
	// peerOut receives the (no) actions of the relays' peer inputs, which
	// may come while out is being applied.
	peerOut node.Outbox
	lead    []node.Leader

	kSlot, kHeader, kRequest, kBody, kWakeHeader, kWakeBody, kWakeServe, kNoBlocks sim.Kind

	// link is the relay graph's layer: static, Dynamic P2P or the overlay.
	link linkLayer
	p2p  *p2p
	// env is Dynamic P2P's environment (env.go); nil without P2P.
	env *Env
	// fwd, when set, adds per-block announcement targets (Forwarder).
	fwd    Forwarder
	fwdDst []int32

	// Counters, flushed to the observer by Finish.
	headers, requests, bodies, unroutable, battles, stale, noBlocks int64

	// The world's mirrors of the relays (mirror.go).
	mirror
	// mlog queues the peer-metrics reports (reports), applied on
	// another goroutine when feed is set (feed.go).
	mlog *node.MetricsLog
	feed ReportFeed
}

// New builds a world. peers[i] are node i's relay peers (sorted).
func New(cfg Config, lat netmodel.Latency, peers [][]int32, sched *node.LeaderSchedule, obs Observer) (*World, error) {
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
		Eng: sim.NewEngine(cfg.Limits), cfg: cfg, lat: lat, sched: sched, obs: obs,
		up:     make([]netmodel.Uplink, n),
		jrng:   sim.Derive(cfg.Seed, "jitter", 0),
		mirror: mirror{rx: make([]receiver, n), everyHeader: cfg.ExactHeaders || withholding(cfg.P2P), checkMarks: cfg.CheckEvents},
	}
	if len(cfg.BodySizes) > 0 {
		if len(cfg.BodyWeights) != len(cfg.BodySizes) {
			return nil, fmt.Errorf("world: %d body sizes, %d weights", len(cfg.BodySizes), len(cfg.BodyWeights))
		}
		w.srng = sim.Derive(cfg.Seed, "body-size", 0)
		sum := 0.0
		for _, x := range cfg.BodyWeights {
			sum += x
			w.scum = append(w.scum, sum)
		}
	}
	w.Nodes = node.NewNodes(&w.Chain, cfg.Relay, peers)
	if s, ok := lat.(netmodel.Symmetric); ok {
		w.sym = s.Symmetric()
	}
	if cfg.TCP != nil {
		if err := cfg.TCP.Err(); err != nil {
			return nil, err
		}
		w.flows = netmodel.NewFlows(*cfg.TCP, n, func(a, b int32) time.Duration { d, _ := w.rtt(a, b); return d })
		w.hdrWire = netmodel.SerialisationDelay(cfg.HeaderBytes, cfg.BitsPerSecond)
	}
	for i := 0; i < n; i++ {
		w.up[i] = netmodel.NewUplink(cfg.BitsPerSecond)
		w.rx[i].tip, w.rx[i].fetching, w.rx[i].pend = node.NoBlock, node.NoBlock, node.NoBlock
	}
	w.kSlot = w.Eng.Register("praos.slot", w.onSlot)
	w.kHeader = w.Eng.Register("relay.header", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, mark int32) {
		if !w.link.headerIn(ev, b, mark) {
			return
		}
		before := n.WorkLen()
		n.Step(ev.At, node.RelayInput{Kind: node.RelayHeader, From: ev.From, Block: b}, &w.out)
		if n.WorkLen() > before {
			w.obs.HeaderArrived(int(b), int(ev.Node), ev.At)
		}
	}))
	w.kRequest = w.Eng.Register("relay.request", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, count int32) {
		n.Step(ev.At, node.RelayInput{Kind: node.RelayRequest, From: ev.From, Block: b, Count: count}, &w.out)
	}))
	w.kBody = w.Eng.Register("relay.body", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, _ int32) {
		w.link.bodyIn(ev, b)
		n.Step(ev.At, node.RelayInput{Kind: node.RelayBody, From: ev.From, Block: b}, &w.out)
	}))
	w.kWakeHeader = w.Eng.Register("relay.header-valid", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, _ int32) {
		n.Step(ev.At, node.RelayInput{Kind: node.RelayHeaderValidated, Block: b}, &w.out)
	}))
	w.kWakeBody = w.Eng.Register("relay.body-valid", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, _ int32) {
		n.Step(ev.At, node.RelayInput{Kind: node.RelayBodyValidated, Block: b}, &w.out)
	}))
	w.kWakeServe = w.Eng.Register("relay.body-serve", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, _ int32) {
		n.Step(ev.At, node.RelayInput{Kind: node.RelayBodyServable, Block: b}, &w.out)
	}))
	w.kNoBlocks = w.Eng.Register("relay.no-blocks", w.nodeInput(func(n *node.Node, ev *sim.Event, b node.BlockID, count int32) {
		n.Step(ev.At, node.RelayInput{Kind: node.RelayNoBlocks, From: ev.From, Block: b, Count: count}, &w.out)
		w.brief(ev.Node)
		w.replaySkipped(ev.At, ev.Node) // announcements skipped while it waited
	}))
	if s := sched.NextSlot(); s >= 0 {
		w.Eng.At(w.slotStart(s).Add(cfg.ForgeDelay), w.kSlot, -1, -1, s)
	}
	w.link = staticLink{}
	if cfg.P2P != nil {
		if err := w.initP2P(*cfg.P2P, cfg.Seed); err != nil {
			return nil, err
		}
		w.link = p2pLink{w}
	}
	if cfg.PolderCast != nil {
		if err := w.initPolderCast(*cfg.PolderCast, cfg.Seed); err != nil {
			return nil, err
		}
		w.link = overlayLink{w: w}
	}
	return w, nil
}

// panicMark reports a header event whose hot mark disagrees with the
// upstream lists (Config.CheckEvents).
func panicMark(ev *sim.Event, mark int32, hot bool) {
	panic(fmt.Sprintf("world: header %d→%d marked %#x: stillHot %v, isHot %v", ev.From, ev.Node, mark, hot, !hot))
}

// bodySize returns the next block's body size.
func (w *World) bodySize() int64 {
	if w.srng == nil {
		return w.cfg.BodyBytes
	}
	u := w.srng.Float64() * w.scum[len(w.scum)-1]
	i, _ := slices.BinarySearch(w.scum, u)
	return w.cfg.BodySizes[min(i, len(w.scum)-1)]
}

func (w *World) slotStart(slot int64) clock.Time { return clock.Time(slot) * clock.Time(w.cfg.Slot) }

// RunUntil advances the run to t.
func (w *World) RunUntil(t clock.Time) error { return w.Eng.RunUntil(t) }

// Config returns the configuration the world was built with (results.HopCostOf
// reads the relay's cost per hop from it).
func (w *World) Config() Config { return w.cfg }

// Finish reports the run's counters to the observer.
func (w *World) Finish() {
	w.obs.Count(CountEvents, int64(w.Eng.Executed()))
	w.obs.Count(CountHeadersSent, w.headers)
	w.obs.Count(CountRequestsSent, w.requests)
	w.obs.Count(CountBodiesSent, w.bodies)
	w.obs.Count(CountUnroutable, w.unroutable)
	w.obs.Count(CountSlotBattles, w.battles)
	if w.cfg.Relay.Pipelining {
		var waiting, abandoned int64
		for _, n := range w.Nodes {
			waiting += int64(n.Waiting())
			abandoned += int64(n.Abandoned())
		}
		w.obs.Count(CountRequestsWaitingAtEnd, waiting)
		w.obs.Count(CountRequestsAbandoned, abandoned)
		w.obs.Count(CountNoBlocksSent, w.noBlocks)
	}
	w.link.finish()
}

func (w *World) onSlot(ev *sim.Event) {
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
		b.Bytes = int32(w.bodySize())
		w.obs.BlockMade(int(b.ID), slot, int(l.Node), w.slotStart(slot))
		w.out.Reset()
		nd.Step(ev.At, node.RelayInput{Kind: node.RelayForge, Block: b.ID}, &w.out)
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
func (w *World) nodeInput(in func(n *node.Node, ev *sim.Event, b node.BlockID, count int32)) sim.Handler {
	return func(ev *sim.Event) {
		if w.Down(int(ev.Node)) {
			return
		}
		b, count := unpack(ev.Arg)
		w.out.Reset()
		in(w.Nodes[ev.Node], ev, b, count)
		w.brief(ev.Node)
		w.apply(ev.At, ev.Node)
	}
}

// apply carries out the actions node self left in the outbox.
func (w *World) apply(now clock.Time, self int32) {
	for _, a := range w.out.Actions {
		switch a.Kind {
		case node.Announce:
			if w.holdsBack(now, self, a.Block) {
				continue
			}
			w.announceAll(now, self, a.Block, a.To)
		case node.SendRequest:
			if !w.link.canRequest(now, self, a.To) {
				continue
			}
			w.requests++
			w.send(now, self, a.To, w.kRequest, pack(a.Block, a.Count), requestBytes)
			if !w.serves(a.To) {
				w.Eng.At(now.Add(FetchTimeout), w.p2p.kFetchTimeout, self, a.To, 0)
			}
		case node.SendBody:
			if !w.serves(self) {
				continue // a withholding attacker
			}
			w.bodies++
			w.sendBody(now, self, a.To, a.Block)
		case node.WakeHeader:
			w.Eng.At(a.At, w.kWakeHeader, self, -1, pack(a.Block, 0))
		case node.WakeBody:
			w.Eng.At(a.At, w.kWakeBody, self, -1, pack(a.Block, 0))
		case node.WakeServe:
			w.Eng.At(a.At, w.kWakeServe, self, -1, pack(a.Block, 0))
		case node.SendNoBlocks:
			if !w.serves(self) {
				continue
			}
			w.noBlocks++
			w.send(now, self, a.To, w.kNoBlocks, pack(a.Block, a.Count), noBlocksBytes)
		case node.Adopt:
			w.rx[self].tip = w.Nodes[self].Tip()
			w.obs.Adopted(int(a.Block), int(self), now)
			if w.p2p != nil && w.p2p.sync != nil {
				w.syncAdopted(now, self)
			}
			w.link.adopted(now, self, a.To, a.Block, a.Count)
		}
	}
}

// requestBytes is the size of a block-fetch request (MsgRequestRange: two
// points, each a slot and a 32-byte hash, in CBOR), for the TCP transport.
const requestBytes = 90

// noBlocksBytes is the size of block-fetch's MsgNoBlocks.
const noBlocksBytes = 10

// send delivers a control message of bytes from→to handed over at now
// (see transfer).
func (w *World) send(now clock.Time, from, to int32, k sim.Kind, arg int64, bytes int64) {
	if at, ok := w.transfer(now, from, to, bytes, false, onFlow{}); ok {
		w.Eng.At(at, k, to, from, arg)
	}
}

// sendBody sends the body of b from→to.
func (w *World) sendBody(now clock.Time, from, to int32, b node.BlockID) {
	if at, ok := w.transfer(now, from, to, int64(w.Chain.Get(b).Bytes), true, onFlow{}); ok {
		w.Eng.At(at, w.kBody, to, from, pack(b, 0))
	}
}

// transfer returns when a message of bytes from→to handed over at now
// arrives, or false (counted as unroutable) if there is no path.
//
// Ideal transport: control messages cost the one-way latency; a body
// first waits for and occupies the sender's uplink (a FIFO), then costs
// the latency. TCP transport: every message rides the pair's flow
// (netmodel.TCPConfig.Send: slow start, receive window, restart after
// idle), and its last byte leaves no earlier than the uplink, which still
// serialises, in hand-over order, all that the node sends: the later of
// the two bounds, the usual fluid approximation of a shared bottleneck.
// Jitter, when on, is drawn once per message on the latency. on says how
// the message finds its flow.
func (w *World) transfer(now clock.Time, from, to int32, bytes int64, body bool, on onFlow) (clock.Time, bool) {
	leave := now
	if w.flows == nil && body {
		leave = w.up[from].Send(now, bytes) // before the path check, as always
	}
	d, ok := w.lat.OneWay(int(from), int(to))
	if !ok {
		w.unroutable++
		if on.sent > 0 {
			w.flows.Unsend(from, on.i)
		}
		return 0, false
	}
	if w.flows != nil {
		last := on.sent
		if last == 0 {
			back := d
			if !w.sym {
				back, _ = w.lat.OneWay(int(to), int(from))
			}
			// An empty body is still a message: a byte stands for its framing.
			p := netmodel.Path{RTT: d + back, BitsPerSecond: w.cfg.BitsPerSecond}
			if on.tied {
				_, last = w.flows.SendOn(from, on.i, now, max(bytes, 1), p)
			} else {
				_, last = w.flows.Send(now, from, to, max(bytes, 1), p)
			}
		}
		wire := w.hdrWire
		if bytes != w.cfg.HeaderBytes {
			wire = netmodel.SerialisationDelay(bytes, w.cfg.BitsPerSecond)
		}
		leave = clock.Max(last, w.up[from].Occupy(now, wire))
	}
	if w.cfg.Jitter.Fraction > 0 {
		d = w.cfg.Jitter.Apply(d, w.jrng)
	}
	return leave.Add(d), true
}

// onFlow is how a message finds its pair's flow under tcp: by pair (the
// zero value), as the sender's i-th tied flow (netmodel.Flows.SendOn), or
// already sent with the sender's others, its last byte leaving at sent (>
// 0; netmodel.Flows.SendAll), i again its place.
type onFlow struct {
	tied bool
	i    int
	sent clock.Time
}

// arrival returns when a message from→to that leaves at t arrives after
// the latency alone (the overlay's gossip, which has no transport model).
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
// that already has or is fetching b, and for the relay such an arrival is
// a no-op: onHeader ignores a block that is not better than the tip (which
// includes the chain's blocks) or in the node's work list (Fetching).
// Those announcements are not scheduled; only their arrival time is
// computed, so the jitter stream is that of delivering them. This leaves
// the relay's outcome exactly as delivering them (TestRedundantHeadersSkipped,
// TestFetchingHeadersSkippedP2P), because the condition holds until
// arrival in all but one case:
//
//   - a block not better than the tip stays so, as the tip only gets
//     better (a restart keeps the chain);
//   - a block leaves the work list when it joins the chain or can no longer
//     beat the tip (onHeaderValidated's "overtaken while validating",
//     selectChain), and is then ignored for good; or
//   - when dropFrom or Restart forget it (a lost connection, a request on
//     a dead one, a crash). Then the relay would fetch it again from the
//     next announcement to arrive, so the announcements skipped because
//     the node was fetching it are remembered (skipped) and those still in
//     flight are scheduled then, at their arrival times (replaySkipped).
//     Those that arrived before were ignored, as the block was in work.
//
// The replayed events are scheduled later than the real ones would have
// been, so among events at the very same nanosecond they run later, and an
// announcement arriving at the instant of the drop counts as arrived
// before it. Such ties need equal times to the nanosecond and changed no
// adoption in TestFetchingHeadersSkippedP2P, with or without jitter.
//
// With pipelining headers run ahead of bodies, so many announcements of a
// block are in flight to a node at once, before it has taken any up. An
// announcement that arrives after another header of the same block already
// on its way to that node is skipped too (receiver.pend): that earlier one
// arrives first and the node takes the block up or ignores it for good, as
// above, unless it is lost on arrival: the link no longer hot (the skipped
// ones are replayed then) or the node down (replayed at its restart). This
// halved the events of production.yaml's six hours (17.1 M to 7.6 M) with
// identical outputs.
//
// In production-3000.yaml, of 13.8 M announcements, skipping those to
// nodes that had the block left 5.4 M header events (8.5 M events in all);
// skipping those to nodes fetching it too leaves about 1 M (4.1 M in all).
// The checks read dense mirrors first (receiver) so that the usual
// skip does not miss the cache on the receiver's node.
//
// With Dynamic P2P the arrival still feeds the receiver's peer metrics,
// which is recorded here, at send time, with the computed arrival time.
// This approximates the event in two ways: whether the receiver has the
// sender as a hot upstream is checked at send time, not at arrival (a
// demotion within one latency is rare; the headers_not_hot counter counts
// at send time for these), and a receiver that crashes between the two
// still records it (a receiver down at send time records nothing; a
// replayed header records nothing again). The
// metrics keep the earliest arrival per slot whatever the order of the
// reports, so reporting early changes only ties, the joined-at and
// last-seen registries' order by a latency, and what a sample taken in
// between sees. Over production-10k.yaml's day this changes some churn
// picks and moves p95 and p99 by under 0.4 % (docs/performance.md); the
// relay part alone leaves the outputs byte-identical.
func (w *World) sendHeader(now clock.Time, from, to int32, b node.BlockID) {
	h := w.outgoing(b)
	w.announce(now, from, to, &h, false, onFlow{})
}

// header is a block being announced: its record, read once per
// announcing node rather than per receiver.
type header struct {
	b   node.BlockID
	blk node.Block
}

func (w *World) outgoing(b node.BlockID) header { return header{b: b, blk: *w.Chain.Get(b)} }

func (w *World) announce(now clock.Time, from, to int32, h *header, downstream bool, on onFlow) {
	at, ok := w.transfer(now, from, to, w.cfg.HeaderBytes, false, on)
	if !ok {
		return
	}
	b, r := h.b, &w.rx[to]
	switch {
	case w.everyHeader:
		w.Eng.At(at, w.kHeader, to, from, pack(b, 0))
		return
	case !w.Chain.Beats(&h.blk, r.tip):
	case w.inWork(to, b):
		w.remember(now, skippedHeader{at: at, block: b, from: from, to: to})
	case r.pend == b && now < r.pendAt && r.pendAt < at:
		// A header of b is already on its way and arrives first: by
		// this one's arrival the node has taken b up or ignored it for
		// good, as in the case above, unless that header is lost on
		// arrival (the link no longer hot: replayed there; the node
		// down: replayed at its restart).
		w.remember(now, skippedHeader{at: at, block: b, from: from, to: to})
	default:
		w.Eng.At(at, w.kHeader, to, from, pack(b, w.hotMark(to, downstream)))
		if r.pend != b || at < r.pendAt || r.pendAt <= now {
			r.pend, r.pendAt = b, at
		}
		return
	}
	w.link.skipped(from, to, &h.blk, at, downstream)
}

// reports returns the log that feeds the nodes' peer metrics (made at the
// first report): queueing a report there rather than in the node's own
// Metrics saves two cache misses per report (node.MetricsLog).
func (w *World) reports() *node.MetricsLog {
	if w.mlog == nil {
		w.mlog = node.NewMetricsLog(len(w.Nodes))
	}
	return w.mlog
}

// dropFrom forgets node i's fetches from peer (Node.dropFrom) and replays
// what the relay would now act on.
func (w *World) dropFrom(now clock.Time, i, peer int32) {
	w.Nodes[i].Step(now, node.RelayInput{Kind: node.RelayDropFrom, From: peer}, &w.out)
	w.brief(i)
	w.replaySkipped(now, i)
}

// brief refreshes node i's fetching mirror.
func (w *World) brief(i int32) { w.rx[i].fetching = w.Nodes[i].WorkBrief() }

// inWork is Nodes[to].Fetching(b), read from the mirror unless the node
// works on several blocks.
func (w *World) inWork(to int32, b node.BlockID) bool {
	in := false
	switch f := w.rx[to].fetching; f {
	case b:
		in = true
	case node.ManyBlocks:
		in = w.Nodes[to].Fetching(b)
	}
	if w.checkMarks && in != w.Nodes[to].Fetching(b) {
		panic(fmt.Sprintf("world: node %d's work mirror %d says %v for block %d", to, w.rx[to].fetching, in, b))
	}
	return in
}

// replaySkipped is called when node i has forgotten fetches (dropFrom,
// Restart): it schedules, at their arrival times, the skipped
// announcements still in flight of blocks that onHeader would now accept,
// as header events marked as replays (their metrics were recorded at
// send time). It keeps the entries of blocks still in work and discards
// the rest: arrived ones were ignored (the block was in work then), and a
// block out of work and not better than the tip is ignored for good.
func (w *World) replaySkipped(now clock.Time, i int32) {
	w.trimSkipped(now)
	nd := w.Nodes[i]
	s := w.skipped[w.skipHead:]
	for k := range s {
		h := &s[k]
		if h.to != i {
			continue
		}
		switch {
		case h.at <= now:
		case nd.Fetching(h.block):
			continue
		case w.Chain.Better(h.block, nd.Tip()):
			w.Eng.At(h.at, w.kHeader, i, h.from, pack(h.block, 1))
			w.replayed++
		}
		h.to = -1
	}
}
