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

// Delays of the environment (spec/governor.md §2.3, §2.6, §2.7).
const (
	ledgerTTL       = 5 * time.Second  // ledger peers' TTL
	publicRootTTL   = 60 * time.Second // DNS TTL clip floor for public roots
	activateFailDly = time.Second      // warm→hot job's sleep after a failure
	errorDelay      = 10 * time.Second // repromoteErrorDelay
)

// Env is the Dynamic P2P environment the governors run in, less the relay:
// the ledger and the public roots (what a root or big-ledger request
// resolves to, and the TTL the governor is told), the bearer with its
// random stream (dials, handshakes, activation, closes), the faults (when
// a node's next network drop comes and which connection it takes, what a
// crash tears down, an adversarial node's replies, with one fault stream
// per node) and the sampled peer metrics computed from the governors and
// the bearer.
//
// It is a type of its own so that these decisions can be tested without
// an engine, nodes or events: Env answers, and the World (p2p.go) turns
// the answers into events and keeps the relay and its mirrors in step.
// Its streams are sim.Derive(seed, "bearer", 0) and, per node i,
// ("ledger", i) and ("faults", i), drawn only when the World's events call
// Env: a run's outputs depend on these labels and that order, so neither
// may change without new golden digests.
type Env struct {
	cfg    P2PConfig
	lat    netmodel.Latency
	ledger *Ledger
	bearer *netmodel.Bearer
	brng   *rand.Rand   // the bearer's stream
	lrng   []*rand.Rand // ledger-request streams
	frng   []*rand.Rand // fault streams
	conns  []netmodel.ConnID
	// attackers lists the eclipse attackers in order; pool is scratch.
	attackers, pool []node.PeerID

	drops, crashes int64

	// The sampled rows and each node's stats at its previous sample,
	// made at the first Sample.
	values  [][]int64
	include []bool
	last    []node.GovStats
}

// NewEnv returns the environment of cfg's nodes over lat (lat.N() nodes),
// its random streams derived from seed. It reads cfg's Governors (ledger
// peers or public roots), Stake, LedgerRelays, Bearer, Adversarial and
// Faults; an error names a list of the wrong length, an invalid bearer
// configuration or a crash outside the nodes.
func NewEnv(cfg P2PConfig, lat netmodel.Latency, seed uint64) (*Env, error) {
	b, err := netmodel.NewBearer(lat, cfg.Bearer)
	if err != nil {
		return nil, err
	}
	n := lat.N()
	if len(cfg.Governors) != n || len(cfg.Stake) != n || len(cfg.Adversarial) != n {
		return nil, fmt.Errorf("world: environment for %d governors, %d stakes, %d adversarial flags: want %d each", len(cfg.Governors), len(cfg.Stake), len(cfg.Adversarial), n)
	}
	if cfg.Attacks != nil && len(cfg.Attacks) != n {
		return nil, fmt.Errorf("world: environment for %d attacks: want %d", len(cfg.Attacks), n)
	}
	for ci, c := range cfg.Faults.Crashes {
		if c.Node < 0 || int(c.Node) >= n || c.At < 0 || c.Down <= 0 {
			return nil, fmt.Errorf("world: crash %d %+v: accepted a node in [0, %d), a time ≥ 0 and a positive down time", ci, c, n)
		}
	}
	e := &Env{cfg: cfg, lat: lat, bearer: b, brng: sim.Derive(seed, "bearer", 0),
		ledger: NewLedger(cfg.Stake, cfg.LedgerRelays),
		lrng:   make([]*rand.Rand, n), frng: make([]*rand.Rand, n)}
	for i := range n {
		e.lrng[i] = sim.Derive(seed, "ledger", uint64(i))
		e.frng[i] = sim.Derive(seed, "faults", uint64(i))
		if cfg.Attacks != nil && cfg.Attacks[i].Eclipse {
			e.attackers = append(e.attackers, node.PeerID(i))
		}
	}
	return e, nil
}

// Bearer returns the connection table; callers outside Env must only read
// it.
func (e *Env) Bearer() *netmodel.Bearer { return e.bearer }

// Ledger returns the ledger the root and big-ledger requests read.
func (e *Env) Ledger() *Ledger { return e.ledger }

// Roots resolves node self's request for n root peers, appended to dst:
// ledger peers drawn by √stake from self's ledger stream if its governor
// uses ledger peers, else its configured public roots (DNS, whatever n).
// ttl is what the governor is told with the answer (InputDelay).
func (e *Env) Roots(self int32, n int, dst []node.PeerID) (ids []node.PeerID, ttl time.Duration) {
	g := &e.cfg.Governors[self]
	if g.LedgerPeers {
		return e.ledger.Peers(n, self, e.lrng[self], dst), ledgerTTL
	}
	for _, r := range g.PublicRoots {
		dst = append(dst, r.Peer)
	}
	return dst, publicRootTTL
}

// BigLedgerPeers resolves node self's request for n big ledger peers,
// appended to dst, drawn by stake from self's ledger stream, and their TTL.
func (e *Env) BigLedgerPeers(self int32, n int, dst []node.PeerID) (ids []node.PeerID, ttl time.Duration) {
	return e.ledger.BigLedgerPeers(n, self, e.lrng[self], dst), ledgerTTL
}

// InputDelay returns the Delay node self's governor is told with an input
// of kind k about peer: the handshake's round trip for InConnected, the
// repromote delay after an asynchronous demotion, the TTL of a root or
// big-ledger answer (as Roots and BigLedgerPeers return it), else 0.
func (e *Env) InputDelay(self, peer int32, k node.InputKind) time.Duration {
	switch k {
	case node.InConnected:
		// The handshake measured the round-trip time (jitter aside).
		there, _ := e.lat.OneWay(int(self), int(peer))
		back, _ := e.lat.OneWay(int(peer), int(self))
		return there + back
	case node.InAsyncWarm, node.InAsyncCold:
		return errorDelay
	case node.InRoots:
		if e.cfg.Governors[self].LedgerPeers {
			return ledgerTTL
		}
		return publicRootTTL
	case node.InBigLedger:
		return ledgerTTL
	}
	return 0
}

// Dial answers self's cold→warm job to peer at now (netmodel.Bearer.Dial,
// drawing from the bearer's stream). A peer that is down never answers
// the handshake: the dial fails at its timeout and the bearer is left
// alone.
func (e *Env) Dial(now clock.Time, self, peer int32, peerDown bool) netmodel.DialResult {
	if peerDown {
		return netmodel.DialResult{Outcome: netmodel.DialFailed, Conn: netmodel.NoConn,
			At: now.Add(e.cfg.Bearer.HandshakeTimeout), Reason: netmodel.FailTimeout, Pruned: netmodel.NoConn}
	}
	return e.bearer.Dial(now, int(self), int(peer), e.brng)
}

// Ready completes a dial at the DialResult's At: whether connection id,
// as outcome made it, is established now (a new one finishes its
// handshake here).
func (e *Env) Ready(now clock.Time, id netmodel.ConnID, outcome netmodel.DialOutcome) bool {
	if outcome == netmodel.DialNew {
		return e.bearer.Established(now, id)
	}
	return e.bearer.Info(now, id).State == netmodel.StateEstablished
}

// Connected reports whether a and b share an established connection.
func (e *Env) Connected(a, b int32) bool { return e.bearer.Connected(int(a), int(b)) }

// rtt returns the round trip between a and b and whether both ways have
// a path.
func (e *Env) rtt(a, b int32) (time.Duration, bool) {
	x, ok1 := e.lat.OneWay(int(a), int(b))
	y, ok2 := e.lat.OneWay(int(b), int(a))
	return x + y, ok1 && ok2
}

// Activate answers self's warm→hot job for peer at now: when the hot
// protocols run (a round trip later), or, with no connection or path,
// false and when the job's failure is known.
func (e *Env) Activate(now clock.Time, self, peer int32) (at clock.Time, ok bool) {
	if rtt, ok := e.rtt(self, peer); ok && e.Connected(self, peer) {
		return now.Add(rtt), true
	}
	return now.Add(activateFailDly), false
}

// Deactivate answers self's hot→warm job for peer at now: when the hot
// protocols have stopped (a round trip later).
func (e *Env) Deactivate(now clock.Time, self, peer int32) clock.Time {
	rtt, _ := e.rtt(self, peer)
	return now.Add(rtt)
}

// Close releases self's use of its connection to peer at now (warm→cold)
// and reports whether there was a live one.
func (e *Env) Close(now clock.Time, self, peer int32) bool {
	id, ok := e.bearer.Lookup(int(self), int(peer))
	if ok {
		e.bearer.Release(now, id, int(self))
	}
	return ok
}

// Fail drops the connection between a and b at now and returns it, or
// false if they had none live.
func (e *Env) Fail(now clock.Time, a, b int32) (netmodel.ConnID, bool) {
	if id, ok := e.bearer.Lookup(int(a), int(b)); ok && e.bearer.Fail(now, id) {
		return id, true
	}
	return netmodel.NoConn, false
}

// NextDrop draws from node i's fault stream the time to its next network
// drop: exponential with mean Faults.DropEvery (0 when drops are off; the
// World then schedules none).
func (e *Env) NextDrop(i int32) time.Duration {
	return time.Duration(e.frng[i].ExpFloat64() * float64(e.cfg.Faults.DropEvery))
}

// Drop fails one of node i's live connections at now, drawn uniformly
// from its fault stream, and returns it; false if it has none (no draw).
func (e *Env) Drop(now clock.Time, i int32) (netmodel.ConnID, bool) {
	e.conns = e.bearer.AppendConns(e.conns[:0], int(i))
	if len(e.conns) == 0 {
		return netmodel.NoConn, false
	}
	id := e.conns[e.frng[i].IntN(len(e.conns))]
	if !e.bearer.Fail(now, id) {
		return netmodel.NoConn, false
	}
	e.drops++
	return id, true
}

// Crash fails every live connection of node i at now, as its crash does,
// and returns them in ascending order; the slice is valid until the next
// Drop or Crash.
func (e *Env) Crash(now clock.Time, i int32) []netmodel.ConnID {
	e.crashes++
	e.conns = e.bearer.AppendConns(e.conns[:0], int(i))
	k := 0
	for _, id := range e.conns {
		if e.bearer.Fail(now, id) {
			e.conns[k] = id
			k++
		}
	}
	return e.conns[:k]
}

// Drops counts the connections Drop failed.
func (e *Env) Drops() int64 { return e.drops }

// Crashes counts the calls of Crash.
func (e *Env) Crashes() int64 { return e.crashes }

// ShareReply returns self's peer-sharing reply to a request for asked
// peers, given the peers its governor offers (ids, reused): an eclipse
// attacker names attackers only (eclipseReply); an adversarial node (or an
// OversizedShare attacker) pads it with peers from its fault stream past
// asked, a protocol violation; any other's is ids.
func (e *Env) ShareReply(self int32, ids []node.PeerID, asked int) []node.PeerID {
	if e.cfg.Attacks != nil && e.cfg.Attacks[self].Eclipse {
		return e.eclipseReply(self, ids[:0], asked)
	}
	if e.cfg.Adversarial[self] || e.cfg.Attacks != nil && e.cfg.Attacks[self].OversizedShare {
		for len(ids) <= asked {
			ids = append(ids, int32(e.frng[self].IntN(len(e.frng))))
		}
	}
	return ids
}

// The sampled peer metrics, as indices into a sample's rows (a
// PeerSampler's values[m]); PeerMetricNames names them in this order.
const (
	sampleKnown          = iota // known peers
	sampleEstablished           // warm + hot
	sampleActive                // hot
	sampleKnownBLP              // the same for big ledger peers
	sampleEstablishedBLP        //
	sampleActiveBLP             //
	sampleOutboundWarm          // peers this node holds warm
	sampleOutboundHot           // peers this node holds hot
	sampleInboundWarm           // nodes holding this node warm
	sampleInboundHot            // nodes holding this node hot
	sampleUnidirectional        // connections used one way
	sampleDuplex                // connections used both ways
	samplePromotions            // since the last sample: cold→warm and warm→hot
	sampleDemotions             // hot→warm, warm→cold and asynchronous
	sampleChurn                 // hot→warm demotions
	sampleForgotten             // peers forgotten
	numSamples
)

// PeerMetricNames are the sampled metrics, in sampling order (documented
// in docs/outputs.md).
var PeerMetricNames = [numSamples]string{
	sampleKnown: "known", sampleEstablished: "established", sampleActive: "active",
	sampleKnownBLP: "known_blp", sampleEstablishedBLP: "established_blp", sampleActiveBLP: "active_blp",
	sampleOutboundWarm: "outbound_warm", sampleOutboundHot: "outbound_hot",
	sampleInboundWarm: "inbound_warm", sampleInboundHot: "inbound_hot",
	sampleUnidirectional: "unidirectional", sampleDuplex: "duplex",
	samplePromotions: "promotions", sampleDemotions: "demotions", sampleChurn: "churn", sampleForgotten: "forgotten",
}

// Sample computes every node's peer metrics, the rows a PeerSampler
// receives: values[m][i] is metric m (PeerMetricNames) of node i from its
// governor gov[i] and the bearer, include[i] = live(i). A node that is
// not live has zero rows and counts towards no one's inbound peers. The
// promotions, demotions, churn and forgotten peers count since node i's
// previous Sample (or its governor's start, when gov[i] is a fresh one).
// The slices are Env's, overwritten by the next call.
func (e *Env) Sample(gov []*node.Governor, live func(i int) bool) (values [][]int64, include []bool) {
	if e.values == nil {
		n := len(e.frng)
		e.values = make([][]int64, numSamples)
		for m := range e.values {
			e.values[m] = make([]int64, n)
		}
		e.include, e.last = make([]bool, n), make([]node.GovStats, n)
	}
	v := e.values
	for m := range v {
		clear(v[m])
	}
	for i, g := range gov {
		e.include[i] = live(i)
		if !e.include[i] {
			continue
		}
		c := g.Counts()
		v[sampleKnown][i], v[sampleEstablished][i], v[sampleActive][i] = int64(c.Known), int64(c.Established), int64(c.Active)
		v[sampleKnownBLP][i], v[sampleEstablishedBLP][i], v[sampleActiveBLP][i] = int64(c.KnownBLP), int64(c.EstablishedBLP), int64(c.ActiveBLP)
		for _, pe := range g.Peers() {
			switch pe.State {
			case node.Warm:
				v[sampleOutboundWarm][i]++
				v[sampleInboundWarm][pe.ID]++
			case node.Hot:
				v[sampleOutboundHot][i]++
				v[sampleInboundHot][pe.ID]++
			}
		}
		in, out, dup := e.bearer.Inbound(i), e.bearer.Outbound(i), e.bearer.Duplex(i)
		v[sampleUnidirectional][i], v[sampleDuplex][i] = int64(in+out-2*dup), int64(dup)
		s, l := g.Stats(), &e.last[i]
		if s.Decisions < l.Decisions { // restarted: a fresh governor
			*l = node.GovStats{}
		}
		v[samplePromotions][i] = s.PromotedCold + s.PromotedWarm - l.PromotedCold - l.PromotedWarm
		v[sampleDemotions][i] = s.DemotedHot + s.DemotedWarm + s.AsyncDemotions - l.DemotedHot - l.DemotedWarm - l.AsyncDemotions
		v[sampleChurn][i] = s.DemotedHot - l.DemotedHot
		v[sampleForgotten][i] = s.Forgotten - l.Forgotten
		*l = s
	}
	return v, e.include
}

// eclipseReply is an eclipse attacker's peer-sharing reply: as many
// attackers as an honest node may name (min(asked, PeerShareMaxReply)),
// other than itself, drawn without repeats from its fault stream.
func (e *Env) eclipseReply(self int32, dst []node.PeerID, asked int) []node.PeerID {
	n := min(asked, e.cfg.Governors[self].Timing.PeerShareMaxReply)
	pool := append(e.pool[:0], e.attackers...)
	if i, ok := slices.BinarySearch(pool, self); ok {
		pool = slices.Delete(pool, i, i+1)
	}
	for k := 0; k < n && k < len(pool); k++ {
		j := k + e.frng[self].IntN(len(pool)-k)
		pool[k], pool[j] = pool[j], pool[k]
		dst = append(dst, pool[k])
	}
	e.pool = pool
	return dst
}
