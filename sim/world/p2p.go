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

// P2PConfig turns a World's relay graph into Dynamic P2P: every node runs
// the peer selection governor, churn and peer metrics over the simulated
// bearer, and blocks travel over hot connections only.
type P2PConfig struct {
	// Governors holds one configuration per node; Self must equal the index.
	Governors []node.GovernorConfig
	// Churn holds one churn configuration per node; nil leaves the node's
	// targets fixed at its governor's.
	Churn []*node.ChurnConfig
	// Calibration holds one research-policy calibration per node (nil
	// slice or entry: none); a node may have churn or a calibration, not
	// both.
	Calibration []*node.CalibrationConfig
	Bearer      netmodel.BearerConfig
	// Stake is each node's relative stake. Pools are the nodes with stake
	// > 0, each its own relay: ledger peers are drawn by √stake, big
	// ledger peers are the largest pools holding 90 % of stake.
	Stake []float64
	// LedgerRelays, when set, lists for each pool node the relays it
	// registers in the ledger: ledger and big ledger peers are those
	// relays, not the pool's own node (a block producer behind relays).
	LedgerRelays [][]int32
	// Adversarial nodes break the protocols: an invalid header to every
	// node that makes them hot, and over-long peer-sharing replies.
	Adversarial []bool
	// Attacks holds each node's attack (attack.go), nil when no node
	// attacks beyond Adversarial's violations.
	Attacks []Attack
	Metrics node.MetricsConfig
	Faults  Faults
	// SampleEvery is the peer-sampling interval (0: no sampling).
	SampleEvery time.Duration
	Sampler     PeerSampler
	// ChurnLog keeps every completed churn step per node (ChurnLog); off,
	// only counts are kept.
	ChurnLog bool
	// Bidirectional relays blocks both ways over a hot link, as the
	// research simulators and Bitcoin do, instead of only from the peer
	// made hot to the node that made it hot (Cardano's chain-sync).
	Bidirectional bool
	// Sync holds each node's sync mode and join time (sync.go); nil when
	// every node starts caught up.
	Sync []Sync
}

// Faults are injected failures.
type Faults struct {
	// DropEvery is the mean time between network drops of one of a node's
	// connections (exponential); 0 disables drops.
	DropEvery time.Duration
	// Crashes stop nodes for a while; a crashed node loses its
	// connections and restarts with empty peer tables and its chain.
	Crashes []Crash
}

// Crash stops Node at At for Down.
type Crash struct {
	Node int32
	At   clock.Time
	Down time.Duration
}

// PeerSampler receives the peer metrics: values[m][i] is metric m of node
// i, include[i] false for a node that is down. results.PeerSeries
// implements it.
type PeerSampler interface {
	Sample(t clock.Time, values [][]int64, include []bool)
}

// p2p is the World's Dynamic P2P state besides the environment (Env,
// World.env): the governors and their drivers, timers and events, and the
// hot links the relay reads.
type p2p struct {
	cfg   P2PConfig
	gov   []*node.Governor
	churn []*node.Churn
	cal   []*node.Calibration
	grng  []*rand.Rand // governor streams
	crng  []*rand.Rand // churn streams
	// up[i] lists node i's hot upstream peers (sorted): a short list that
	// the header filter scans instead of searching the peer table.
	up     [][]int32
	gtimer []sim.Timer
	ctimer []sim.Timer
	out    node.GovOutbox
	// payload holds peer lists in flight (replies).
	payload slab[node.PeerID]
	scratch []node.PeerID

	kGov, kGovWake, kChurnWake, kShareReq, kReady, kDrop, kCrash, kRestart, kSample sim.Kind
	kLateAnnounce, kFetchTimeout                                                    sim.Kind // only with Attacks
	attackSampler                                                                   AttackSampler
	attackView                                                                      AttackView
	sync                                                                            *syncState // nil without syncing nodes
	churnSteps, churnTimeouts                                                       int64
	calRounds, calTimeouts, calReplaced                                             int64
	log                                                                             [][]node.ChurnEvent
}

// gov input event encoding: Arg = input kind | flag<<8 | (payload+1)<<16.
func govArg(k node.InputKind, flag bool, payload int64) int64 {
	a := int64(k) | (payload+1)<<16
	if flag {
		a |= 1 << 8
	}
	return a
}

func (w *World) initP2P(cfg P2PConfig, seed uint64) error {
	n := len(w.Nodes)
	if len(cfg.Governors) != n || len(cfg.Churn) != n || len(cfg.Stake) != n || len(cfg.Adversarial) != n {
		return fmt.Errorf("world: p2p config for %d/%d/%d/%d nodes, want %d", len(cfg.Governors), len(cfg.Churn), len(cfg.Stake), len(cfg.Adversarial), n)
	}
	env, err := NewEnv(cfg, w.lat, seed)
	if err != nil {
		return err
	}
	p := &p2p{cfg: cfg,
		up: make([][]int32, n), gtimer: make([]sim.Timer, n), ctimer: make([]sim.Timer, n),
		gov: make([]*node.Governor, n), churn: make([]*node.Churn, n), cal: make([]*node.Calibration, n),
		log: make([][]node.ChurnEvent, n),
	}
	for i := 0; i < n; i++ {
		p.grng = append(p.grng, sim.Derive(seed, "governor", uint64(i)))
		p.crng = append(p.crng, sim.Derive(seed, "churn", uint64(i)))
		if cfg.Governors[i].Self != int32(i) {
			return fmt.Errorf("world: governor %d has Self %d", i, cfg.Governors[i].Self)
		}
		if cfg.Churn[i] != nil {
			if err := cfg.Churn[i].Check(); err != nil {
				return fmt.Errorf("world: node %d: %w", i, err)
			}
		}
		if c := p.calibration(i); c != nil {
			if cfg.Churn[i] != nil {
				return fmt.Errorf("world: node %d has both churn and a calibration", i)
			}
			if err := c.Check(); err != nil {
				return fmt.Errorf("world: node %d: %w", i, err)
			}
		}
	}
	w.p2p, w.env = p, env
	p.kGov = w.Eng.Register("gov.input", w.onGovInput)
	p.kGovWake = w.Eng.Register("gov.wake", w.onGovWake)
	p.kChurnWake = w.Eng.Register("churn.wake", w.onChurnWake)
	p.kShareReq = w.Eng.Register("gov.share-request", w.onShareRequest)
	p.kReady = w.Eng.Register("bearer.ready", w.onReady)
	p.kDrop = w.Eng.Register("fault.drop", w.onDrop)
	p.kCrash = w.Eng.Register("fault.crash", w.onCrash)
	p.kRestart = w.Eng.Register("fault.restart", w.onRestart)
	p.kSample = w.Eng.Register("peers.sample", w.onSample)
	if cfg.Attacks != nil {
		if len(cfg.Attacks) != n {
			return fmt.Errorf("world: %d attacks for %d nodes", len(cfg.Attacks), n)
		}
		p.kLateAnnounce = w.Eng.Register("attack.late-announce", w.onLateAnnounce)
		p.kFetchTimeout = w.Eng.Register("attack.fetch-timeout", w.onFetchTimeout)
	}
	if cfg.Sync != nil {
		if err := w.initSync(cfg.Sync); err != nil {
			return err
		}
	}
	for i := 0; i < n; i++ {
		w.peerInput(0, int32(i), node.RelayPeersGone, -1) // the governor makes them
		if p.joinsLater(int32(i)) {
			// Checked now; made when it joins.
			if err := cfg.Governors[i].Check(); err != nil {
				return fmt.Errorf("world: node %d: %w", i, err)
			}
		} else if err := w.startNode(int32(i), 0); err != nil {
			return err
		}
		if cfg.Faults.DropEvery > 0 {
			w.Eng.At(clock.Time(0).Add(env.NextDrop(int32(i))), p.kDrop, int32(i), -1, 0)
		}
	}
	// NewEnv checked the crashes.
	for ci, c := range cfg.Faults.Crashes {
		w.Eng.At(c.At, p.kCrash, c.Node, -1, int64(ci))
	}
	if cfg.SampleEvery > 0 {
		w.Eng.At(0, p.kSample, -1, -1, 0)
	}
	if p.sync != nil {
		w.scheduleJoins()
	}
	return nil
}

// startNode creates node i's governor, churn and metrics and runs its
// first step.
func (w *World) startNode(i int32, now clock.Time) error {
	p := w.p2p
	m, err := node.NewMetrics(p.cfg.Metrics)
	if err != nil {
		return err
	}
	cfg := p.cfg.Governors[i]
	cfg.InitialJudgement = p.judgement(i)
	g, err := node.NewGovernor(cfg, p.grng[i], m)
	if err != nil {
		return fmt.Errorf("world: node %d: %w", i, err)
	}
	p.gov[i], w.rx[i].metrics = g, m
	w.reports().Attach(i, m)
	p.churn[i] = nil
	if c := p.cfg.Churn[i]; c != nil {
		p.churn[i] = node.NewChurn(*c, p.crng[i])
	}
	p.cal[i] = nil
	if c := p.calibration(int(i)); c != nil {
		p.cal[i] = node.NewCalibration(*c, p.crng[i])
	}
	w.stepNode(i, now, node.Input{Kind: node.InTick})
	return nil
}

// stepNode gives node i's governor one input, lets churn react to the new
// counters (feeding changed targets back), and re-arms both timers.
func (w *World) stepNode(i int32, now clock.Time, in node.Input) {
	p := w.p2p
	g := p.gov[i]
	p.out.Reset()
	wake := g.Step(now, in, &p.out)
	w.applyGov(i, now)
	// The drivers of the targets, in a fixed order: churn, then calibration.
	for _, d := range [...]targetsDriver{p.churnOf(i), p.calibrationOf(i)} {
		if d == nil {
			continue
		}
		for k := 0; k < 16; k++ {
			t, changed, dw := d.drive(now, g)
			w.arm(&p.ctimer[i], dw, now, p.kChurnWake, i)
			d.account(p, i)
			if !changed {
				break
			}
			p.out.Reset()
			wake = g.Step(now, node.Input{Kind: node.InTargets, Targets: t}, &p.out)
			w.applyGov(i, now)
		}
	}
	w.arm(&p.gtimer[i], wake, now, p.kGovWake, i)
}

// targetsDriver moves a governor's targets over time: the churn governor
// (node.Churn) and the research policies' calibration (node.Calibration).
// drive steps it at now and returns the new targets when they change and
// when to wake it next; account adds its trace to the world's counters.
type targetsDriver interface {
	drive(now clock.Time, g *node.Governor) (t node.Targets, changed bool, wake clock.Time)
	account(p *p2p, i int32)
}

type churnDriver struct {
	c    *node.Churn
	mode node.ChurnMode
}

func (d churnDriver) drive(now clock.Time, g *node.Governor) (node.Targets, bool, clock.Time) {
	return d.c.Step(now, d.mode, g.Counts())
}

func (d churnDriver) account(p *p2p, i int32) {
	for _, e := range d.c.Trace() {
		p.churnSteps++
		if e.Timeout {
			p.churnTimeouts++
		}
		if p.cfg.ChurnLog {
			p.log[i] = append(p.log[i], e)
		}
	}
}

type calibrationDriver struct{ c *node.Calibration }

func (d calibrationDriver) drive(now clock.Time, g *node.Governor) (node.Targets, bool, clock.Time) {
	return d.c.Step(now, g, g.Counts())
}

func (d calibrationDriver) account(p *p2p, _ int32) {
	for _, e := range d.c.Trace() {
		p.calRounds++
		p.calReplaced += int64(e.Replaced)
		if e.Timeout {
			p.calTimeouts++
		}
	}
}

// churnOf and calibrationOf return node i's drivers, nil when it has none.
func (p *p2p) churnOf(i int32) targetsDriver {
	if c := p.churn[i]; c != nil {
		return churnDriver{c, p.churnMode(i)}
	}
	return nil
}

func (p *p2p) calibrationOf(i int32) targetsDriver {
	if c := p.cal[i]; c != nil {
		return calibrationDriver{c}
	}
	return nil
}

// calibration returns node i's calibration configuration, or nil.
func (p *p2p) calibration(i int) *node.CalibrationConfig {
	if i < len(p.cfg.Calibration) {
		return p.cfg.Calibration[i]
	}
	return nil
}

// arm sets a wake-up timer unless one at or before t is already armed (an
// early wake-up is harmless and saves queue churn).
func (w *World) arm(tm *sim.Timer, t, now clock.Time, k sim.Kind, i int32) {
	if t == clock.Never || t <= now {
		return
	}
	if at, ok := tm.Armed(); ok && at <= t && at > now {
		return
	}
	w.Eng.Arm(tm, t, k, i, 0)
}

func (w *World) onGovWake(ev *sim.Event) {
	p := w.p2p
	if !p.gtimer[ev.Node].Fire(ev) || w.rx[ev.Node].down {
		return
	}
	w.stepNode(ev.Node, ev.At, node.Input{Kind: node.InTick})
}

func (w *World) onChurnWake(ev *sim.Event) {
	p := w.p2p
	if !p.ctimer[ev.Node].Fire(ev) || w.rx[ev.Node].down {
		return
	}
	w.stepNode(ev.Node, ev.At, node.Input{Kind: node.InTick})
}

// input schedules a governor input for node to about peer at t.
func (w *World) input(t clock.Time, to, peer int32, k node.InputKind, flag bool, payload int64) {
	w.Eng.At(t, w.p2p.kGov, to, peer, govArg(k, flag, payload))
}

func (w *World) onGovInput(ev *sim.Event) {
	p := w.p2p
	k := node.InputKind(ev.Arg & 0xff)
	flag := ev.Arg&(1<<8) != 0
	payload := ev.Arg>>16 - 1
	var ids []node.PeerID
	if payload >= 0 {
		ids = p.payload.get(payload)
		defer p.payload.release(payload)
	}
	if w.rx[ev.Node].down {
		return
	}
	in := node.Input{Kind: k, Peer: ev.From, Peers: ids, Sharing: flag, Delay: w.env.InputDelay(ev.Node, ev.From, k)}
	w.stepNode(ev.Node, ev.At, in)
}

// hold stores a peer list for an event and returns its slot.
func (w *World) hold(ids []node.PeerID) int64 { return w.p2p.payload.hold(ids) }

// rtt returns the round trip between a and b (the TCP transport's flows
// read it) and whether both ways have a path.
func (w *World) rtt(a, b int32) (time.Duration, bool) {
	x, ok1 := w.lat.OneWay(int(a), int(b))
	y, ok2 := w.lat.OneWay(int(b), int(a))
	return x + y, ok1 && ok2
}

// applyGov carries out node self's governor actions: the environment
// (Env) answers the jobs, and the answers become inputs at their times.
func (w *World) applyGov(self int32, now clock.Time) {
	p, e := w.p2p, w.env
	for _, a := range p.out.Actions {
		switch a.Kind {
		case node.ActConnect:
			w.dial(self, a.Peer, now)
		case node.ActActivate:
			if at, ok := e.Activate(now, self, a.Peer); ok {
				w.input(at, self, a.Peer, node.InActivated, false, -1)
			} else {
				w.input(at, self, a.Peer, node.InActivateFailed, false, -1)
			}
		case node.ActDeactivate:
			w.input(e.Deactivate(now, self, a.Peer), self, a.Peer, node.InDeactivated, false, -1)
		case node.ActClose:
			if e.Close(now, self, a.Peer) {
				w.input(now, a.Peer, self, node.InInboundDown, false, -1)
			}
			w.input(now, self, a.Peer, node.InClosed, false, -1)
		case node.ActDrop:
			if id, ok := e.Fail(now, self, a.Peer); ok {
				w.lost(now, id)
			}
		case node.ActShareRequest:
			if d, ok := w.lat.OneWay(int(self), int(a.Peer)); ok && w.connected(self, a.Peer) {
				w.Eng.At(now.Add(d), p.kShareReq, a.Peer, self, int64(a.Count))
			}
		case node.ActRequestRoots:
			// The TTL is told with the input (Env.InputDelay).
			var ids []node.PeerID
			switch {
			case a.Bootstrap:
				// The sensitive state asks for the configured bootstrap peers.
				ids = append(p.scratch[:0], p.cfg.Governors[self].Bootstrap...)
			case w.ledgerTooOld(now, self):
				// Its ledger predates useLedgerAfterSlot: public roots only.
				ids = p.scratch[:0]
				for _, r := range p.cfg.Governors[self].PublicRoots {
					ids = append(ids, r.Peer)
				}
			default:
				ids, _ = e.Roots(self, int(a.Count), p.scratch[:0])
			}
			p.scratch = ids
			w.input(now, self, -1, node.InRoots, false, w.hold(ids))
		case node.ActRequestBLP:
			ids := p.scratch[:0]
			if !w.snapshotOnly(now, self) {
				ids, _ = e.BigLedgerPeers(self, int(a.Count), ids)
			}
			p.scratch = ids
			w.input(now, self, -1, node.InBigLedger, false, w.hold(ids))
		case node.NoteHot:
			fresh := p.cfg.Bidirectional && !p.isHot(self, a.Peer)
			p.up[self] = insertSorted(p.up[self], a.Peer)
			w.peerInput(now, a.Peer, node.RelayPeerUp, self)
			// Chain-sync starts: the upstream announces its tip.
			w.announceTip(now, a.Peer, self)
			if fresh {
				w.peerInput(now, self, node.RelayPeerUp, a.Peer)
				w.announceTip(now, self, a.Peer)
			}
			if p.cfg.Adversarial[a.Peer] || p.attack(a.Peer).InvalidHeader {
				d, _ := w.lat.OneWay(int(a.Peer), int(self))
				w.input(now.Add(d+w.cfg.Relay.HeaderValidation), self, a.Peer, node.InViolation, false, -1)
			}
		case node.ActCriticalTimeout:
			w.criticalTimeout(now, self)
		case node.NoteUnhot:
			p.up[self] = deleteSorted(p.up[self], a.Peer)
			w.rx[self].epoch++
			w.rx[a.Peer].epoch++
			if !p.isHot(self, a.Peer) { // bidirectional: the peer may still have self hot
				w.peerInput(now, a.Peer, node.RelayPeerDown, self)
				if p.cfg.Bidirectional {
					w.peerInput(now, self, node.RelayPeerDown, a.Peer)
				}
			}
		}
	}
}

func insertSorted(s []int32, x int32) []int32 {
	if i, ok := slices.BinarySearch(s, x); !ok {
		return slices.Insert(s, i, x)
	}
	return s
}

func deleteSorted(s []int32, x int32) []int32 {
	if i, ok := slices.BinarySearch(s, x); ok {
		return slices.Delete(s, i, i+1)
	}
	return s
}

// isHot reports whether node i takes headers from peer: i has peer hot,
// or, with bidirectional links, peer has i hot.
func (p *p2p) isHot(i, peer int32) bool {
	return slices.Contains(p.up[i], peer) || (p.cfg.Bidirectional && slices.Contains(p.up[peer], i))
}

// A header event's mark (the count of its packed argument): bit 0 says
// it is a replay (replaySkipped); bit 1 that its receiver had the sender
// as a hot upstream when it was sent, and bits 2… then hold the
// receiver's epoch at that time (30 bits).
const (
	markReplay = 1
	markHot    = 2
	epochBits  = 30
)

// hotMark returns the mark of a header sent to node to: hot (downstream:
// to is one of the sender's relay peers, so it has the sender hot) with
// to's epoch, or 0 (nothing known) without Dynamic P2P.
func (w *World) hotMark(to int32, downstream bool) int32 {
	if w.p2p == nil || !downstream {
		return 0
	}
	return int32(markHot | (w.rx[to].epoch&(1<<epochBits-1))<<2)
}

// stillHot is isHot(i, peer) for a header event with mark: a header sent
// while i had peer hot, with i's epoch unchanged since, is still from a
// hot upstream, since a hot link between them ends only by bumping both
// ends' epochs (NoteUnhot, a crash). That skips a scan of i's upstream
// list, a cache miss per header event. The epoch wraps after 2^30 link ends, far more than one
// header's flight can see.
func (w *World) stillHot(i, peer int32, mark int32) bool {
	if mark&markHot != 0 && uint32(mark)>>2 == w.rx[i].epoch&(1<<epochBits-1) {
		return true
	}
	return w.p2p.isHot(i, peer)
}

// connected reports whether a and b share an established connection (a
// block-fetch request asks it: the bearer read directly).
func (w *World) connected(a, b int32) bool {
	return w.env.bearer.Connected(int(a), int(b))
}

// dial runs a cold→warm job: the bearer answers when and whether it
// connects; the governor hears at that time.
func (w *World) dial(self, peer int32, now clock.Time) {
	res := w.env.Dial(now, self, peer, w.rx[peer].down)
	if res.Pruned != netmodel.NoConn {
		w.lost(now, res.Pruned)
	}
	if res.Outcome == netmodel.DialFailed {
		w.input(res.At, self, peer, node.InConnectFailed, false, -1)
		return
	}
	w.Eng.At(res.At, w.p2p.kReady, self, peer, int64(res.Conn)|int64(res.Outcome)<<32)
}

// onReady completes a dial at the end of its handshake.
func (w *World) onReady(ev *sim.Event) {
	id := netmodel.ConnID(int32(ev.Arg))
	outcome := netmodel.DialOutcome(ev.Arg >> 32)
	self, peer := ev.Node, ev.From
	ok := w.env.Ready(ev.At, id, outcome)
	if !ok || w.rx[peer].down {
		w.input(ev.At, self, peer, node.InConnectFailed, false, -1)
		return
	}
	w.input(ev.At, self, peer, node.InConnected, w.p2p.cfg.Governors[peer].PeerSharing, -1)
	w.input(ev.At, peer, self, node.InInboundUp, false, -1)
}

// lost tells both ends of a connection that ended without their asking
// (pruned, dropped or crashed) that the peer is cold.
func (w *World) lost(now clock.Time, id netmodel.ConnID) {
	info := w.env.bearer.Info(now, id)
	a, b := int32(info.Initiator), int32(info.Responder)
	w.dropFrom(now, a, b)
	w.dropFrom(now, b, a)
	w.input(now, a, b, node.InAsyncCold, false, -1)
	w.input(now, b, a, node.InAsyncCold, false, -1)
	w.input(now, a, b, node.InInboundDown, false, -1)
	w.input(now, b, a, node.InInboundDown, false, -1)
}

// onShareRequest answers a peer-sharing request at the responder.
func (w *World) onShareRequest(ev *sim.Event) {
	p := w.p2p
	self, from := ev.Node, ev.From
	d, ok := w.lat.OneWay(int(self), int(from))
	if w.rx[self].down || !ok {
		return
	}
	ids := p.gov[self].Shareable(ev.At, from, int(ev.Arg), p.scratch[:0])
	ids = w.env.ShareReply(self, ids, int(ev.Arg))
	p.scratch = ids
	w.input(ev.At.Add(d), from, self, node.InShareReply, false, w.hold(ids))
}

// onDrop drops one of node i's connections (Env.Drop) and schedules its
// next drop.
func (w *World) onDrop(ev *sim.Event) {
	i := ev.Node
	w.Eng.At(ev.At.Add(w.env.NextDrop(i)), w.p2p.kDrop, i, -1, 0)
	if w.rx[i].down {
		return
	}
	if id, ok := w.env.Drop(ev.At, i); ok {
		w.lost(ev.At, id)
	}
}

func (w *World) onCrash(ev *sim.Event) {
	i := ev.Node
	if w.rx[i].down {
		return
	}
	w.takeDown(ev.At, i)
	c := w.p2p.cfg.Faults.Crashes[ev.Arg]
	w.Eng.At(ev.At.Add(c.Down), w.p2p.kRestart, i, -1, 0)
}

// takeDown stops node i at now: its connections fail, its upstreams stop
// serving it and its timers stop, until a restart (onRestart).
func (w *World) takeDown(now clock.Time, i int32) {
	p := w.p2p
	// Failing them all before telling the ends is the same as one by one:
	// telling them does not touch the bearer.
	for _, id := range w.env.Crash(now, i) {
		w.lost(now, id)
	}
	// Its upstreams stop serving it.
	for _, u := range p.up[i] {
		w.peerInput(now, u, node.RelayPeerDown, i)
		w.rx[u].epoch++
	}
	w.rx[i].epoch++
	p.up[i] = p.up[i][:0]
	w.rx[i].down = true
	p.gtimer[i].Cancel()
	p.ctimer[i].Cancel()
	w.peerInput(now, i, node.RelayPeersGone, -1)
}

func (w *World) onRestart(ev *sim.Event) {
	w.rx[ev.Node].down = false
	w.restarted(ev.At, ev.Node)
	w.Nodes[ev.Node].Step(ev.At, node.RelayInput{Kind: node.RelayRestart}, &w.out)
	w.brief(ev.Node)
	w.replaySkipped(ev.At, ev.Node)
	// A restart re-reads the configuration: the error cannot occur, the
	// same configuration built the node at the start.
	if err := w.startNode(ev.Node, ev.At); err != nil {
		panic(err)
	}
}

// onSample samples every node's peer metrics (Env.Sample) for the
// PeerSampler.
func (w *World) onSample(ev *sim.Event) {
	p := w.p2p
	w.Eng.At(ev.At.Add(p.cfg.SampleEvery), p.kSample, -1, -1, 0)
	if p.cfg.Sampler == nil {
		if p.attackSampler != nil {
			w.sampleAttack(ev.At)
		}
		return
	}
	v, include := w.env.Sample(p.gov, func(i int) bool { return !w.rx[i].down })
	p.cfg.Sampler.Sample(ev.At, v, include)
	if p.attackSampler != nil {
		w.sampleAttack(ev.At)
	}
}

// SetPeerSampler sets the receiver of the peer metrics sampled every
// P2PConfig.SampleEvery; call it before running. No-op in a static world.
func (w *World) SetPeerSampler(s PeerSampler) {
	if w.p2p != nil {
		w.p2p.cfg.Sampler = s
	}
}

// finishP2P reports the P2P counters.
func (w *World) finishP2P() {
	p := w.p2p
	var s node.GovStats
	livelocks := int64(0)
	for _, g := range p.gov {
		x := g.Stats()
		s.PromotedCold += x.PromotedCold
		s.PromotedWarm += x.PromotedWarm
		s.DemotedHot += x.DemotedHot
		s.DemotedWarm += x.DemotedWarm
		s.AsyncDemotions += x.AsyncDemotions
		s.ConnectFailures += x.ConnectFailures
		s.Forgotten += x.Forgotten
		s.ShareRequests += x.ShareRequests
		s.Violations += x.Violations
		if g.Livelocked() {
			livelocks++
		}
	}
	w.obs.Count(CountGovPromotionsColdWarm, s.PromotedCold)
	w.obs.Count(CountGovPromotionsWarmHot, s.PromotedWarm)
	w.obs.Count(CountGovDemotionsHotWarm, s.DemotedHot)
	w.obs.Count(CountGovDemotionsWarmCold, s.DemotedWarm)
	w.obs.Count(CountGovAsyncDemotions, s.AsyncDemotions)
	w.obs.Count(CountGovConnectFailures, s.ConnectFailures)
	w.obs.Count(CountGovForgotten, s.Forgotten)
	w.obs.Count(CountGovShareRequests, s.ShareRequests)
	w.obs.Count(CountGovViolations, s.Violations)
	w.obs.Count(CountGovLivelocks, livelocks)
	w.obs.Count(CountChurnSteps, p.churnSteps)
	w.obs.Count(CountChurnTimeouts, p.churnTimeouts)
	if len(p.cfg.Calibration) > 0 {
		w.obs.Count(CountCalibrations, p.calRounds)
		w.obs.Count(CountCalibrationTimeouts, p.calTimeouts)
		w.obs.Count(CountCalibrationReplaced, p.calReplaced)
	}
	w.obs.Count(CountFaultDrops, w.env.Drops())
	w.obs.Count(CountFaultCrashes, w.env.Crashes())
	w.obs.Count(CountConnections, int64(w.env.bearer.NumConns()))
}

// Bearer returns the connection table (nil in a static world); callers
// must only read it.
func (w *World) Bearer() *netmodel.Bearer {
	if w.env == nil {
		return nil
	}
	return w.env.bearer
}

// Env returns the Dynamic P2P environment (nil in a static world or the
// overlay); callers must only read it, as drawing from it would change
// the run.
func (w *World) Env() *Env { return w.env }

// Governor returns node i's governor (nil in a static world).
func (w *World) Governor(i int) *node.Governor {
	if w.p2p == nil {
		return nil
	}
	return w.p2p.gov[i]
}

// Churn returns node i's churn governor (nil without churn).
func (w *World) Churn(i int) *node.Churn {
	if w.p2p == nil {
		return nil
	}
	return w.p2p.churn[i]
}

// ChurnLog returns node i's completed churn steps (P2PConfig.ChurnLog).
func (w *World) ChurnLog(i int) []node.ChurnEvent {
	if w.p2p == nil {
		return nil
	}
	return w.p2p.log[i]
}

// Down reports whether node i is crashed.
func (w *World) Down(i int) bool { return w.rx[i].down }

// Check returns the first broken invariant of the world at now, or nil:
// every live node's governor invariants (node.Governor.Check) and no
// governor livelock; its hot peers are exactly the relay's upstreams; the
// relay announces to exactly the nodes that have it hot; and the mirrors
// the world keeps of each node (tip, work list, metrics) equal the node.
// It reads everything and changes nothing; the swarm and the tests call
// it between events.
func (w *World) Check(now clock.Time) error {
	if err := w.mirror.check(w.Nodes); err != nil {
		return err
	}
	if w.p2p == nil {
		return nil
	}
	for i := range w.Nodes {
		if w.Down(i) {
			continue
		}
		n := w.Nodes[i]
		g := w.Governor(i)
		if err := g.Check(now); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if g.Livelocked() {
			return fmt.Errorf("node %d: governor livelock", i)
		}
		hot := 0
		for _, p := range g.Peers() {
			if p.State == node.Hot {
				hot++
				if !w.p2p.isHot(int32(i), p.ID) {
					return fmt.Errorf("node %d: hot peer %d is not an upstream", i, p.ID)
				}
			}
		}
		if hot != len(w.p2p.up[i]) {
			return fmt.Errorf("node %d: %d hot peers, %d upstreams", i, hot, len(w.p2p.up[i]))
		}
		// World.announce relies on this.
		for _, d := range n.Peers() {
			if !w.p2p.isHot(d, int32(i)) {
				return fmt.Errorf("node %d announces to %d, which does not have it hot", i, d)
			}
		}
		if w.rx[i].metrics != w.p2p.gov[i].Metrics() {
			return fmt.Errorf("node %d: mirrored metrics are not its governor's", i)
		}
	}
	return nil
}

// peerInput tells node i's relay of a change in who has it hot (an input
// that sets off no action).
func (w *World) peerInput(now clock.Time, i int32, k node.RelayInputKind, peer int32) {
	w.Nodes[i].Step(now, node.RelayInput{Kind: k, From: peer}, &w.peerOut)
}
