package netmodel

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// ConnID identifies a connection. IDs are assigned 0, 1, 2, ... in creation
// order and never reused.
type ConnID int32

// NoConn is the ConnID of no connection.
const NoConn ConnID = -1

// ConnState is the life-cycle state of a connection.
type ConnState uint8

const (
	// StateClosed: gone; the pair may connect again.
	StateClosed ConnState = iota
	// StateConnecting: dialled, handshake (and accept delay) in progress.
	StateConnecting
	// StateEstablished: the handshake finished; usable.
	StateEstablished
	// StateTimeWait: closed, but the pair cannot reconnect until the
	// time-wait expires (the CM's TerminatingState, governor.md §7).
	StateTimeWait
)

var connStateNames = [...]string{"closed", "connecting", "established", "time-wait"}

func (s ConnState) String() string {
	if int(s) < len(connStateNames) {
		return connStateNames[s]
	}
	return fmt.Sprintf("ConnState(%d)", uint8(s))
}

// live reports whether the connection counts towards the limits.
func (s ConnState) live() bool { return s == StateConnecting || s == StateEstablished }

// DialOutcome says what a Dial did.
type DialOutcome uint8

const (
	// DialNew: a new connection was created; it is established at At.
	DialNew DialOutcome = iota + 1
	// DialReused: the remote's connection to us was reused (it is now
	// duplex); no new handshake. Usable at At (now, or the end of its
	// pending handshake).
	DialReused
	// DialExisting: the dialler already uses a connection to the remote;
	// nothing changed. Usable at At.
	DialExisting
	// DialFailed: no connection; the dialler learns the failure at At.
	DialFailed
)

var dialOutcomeNames = [...]string{"", "new", "reused", "existing", "failed"}

func (o DialOutcome) String() string {
	if o != 0 && int(o) < len(dialOutcomeNames) {
		return dialOutcomeNames[o]
	}
	return fmt.Sprintf("DialOutcome(%d)", uint8(o))
}

// FailReason says why a Dial failed.
type FailReason uint8

const (
	// FailNone: the dial did not fail.
	FailNone FailReason = iota
	// FailUnreachable: the latency source has no path between the pair.
	FailUnreachable
	// FailTimeWait: the pair's previous connection is still in time-wait;
	// the CM answers such a request at once with "disconnected".
	FailTimeWait
	// FailInboundLimit: the remote is at its hard inbound limit, or the
	// duplex promotion pruned this very connection.
	FailInboundLimit
	// FailTimeout: the handshake would take longer than HandshakeTimeout.
	FailTimeout
	// FailInjected: an injected fault (BearerConfig.FailureProb).
	FailInjected
)

var failReasonNames = [...]string{"none", "unreachable", "time-wait", "inbound-limit", "timeout", "injected"}

func (r FailReason) String() string {
	if int(r) < len(failReasonNames) {
		return failReasonNames[r]
	}
	return fmt.Sprintf("FailReason(%d)", uint8(r))
}

// EndReason records how a connection stopped being live.
type EndReason uint8

const (
	// EndNone: still live.
	EndNone EndReason = iota
	// EndClosed: Close, or Release by its last user.
	EndClosed
	// EndFailed: Fail (dropped by the network).
	EndFailed
	// EndPruned: pruned to respect an inbound hard limit; skips time-wait.
	EndPruned
)

var endReasonNames = [...]string{"none", "closed", "failed", "pruned"}

func (r EndReason) String() string {
	if int(r) < len(endReasonNames) {
		return endReasonNames[r]
	}
	return fmt.Sprintf("EndReason(%d)", uint8(r))
}

// DialResult is the answer to Dial. The engine schedules the dialler's
// connect-result event at At: success for DialNew (after calling
// Established at At), DialReused and DialExisting; failure for DialFailed.
type DialResult struct {
	Outcome DialOutcome
	// Conn is the connection used or created; NoConn when Outcome is
	// DialFailed.
	Conn ConnID
	// At is when the connection is usable, or when the failure is known.
	At clock.Time
	// Reason is set when Outcome is DialFailed.
	Reason FailReason
	// AcceptDelay is the part of a new connection's set-up spent in the
	// remote's accept rate limit (0 below the soft limit).
	AcceptDelay time.Duration
	// Pruned is a connection the remote closed to stay within its hard
	// limit when a reuse promoted a connection to duplex (NoConn if none).
	// If the pruned connection is the reused one itself, Outcome is
	// DialFailed (FailInboundLimit). The engine must tell both ends of the
	// pruned connection that it is gone.
	Pruned ConnID
}

// BearerConfig holds the connection-layer parameters. Start from
// DefaultBearerConfig; the zero value is not valid.
type BearerConfig struct {
	// HandshakeRTTs is the number of round trips a new connection costs.
	// Default 1: the project's brief charges "a handshake round trip". The
	// real stack pays about 2 (TCP SYN/SYN-ACK, then the version
	// negotiation propose/accept of governor.md §7); set 2 to model that.
	HandshakeRTTs int
	// HandshakeTimeout bounds a connection attempt: 10 s, the handshake's
	// shortWait limit (governor.md §7). Attempts to an unreachable peer or
	// to one at its hard limit fail after it.
	HandshakeTimeout time.Duration
	// HardLimit and SoftLimit are the accepted-connections limits, 512 and
	// 384 (governor.md §7, defaultAcceptedConnectionsLimit).
	HardLimit, SoftLimit int
	// AcceptDelayMax is the accept delay reached at the hard limit, 5 s
	// (governor.md §7).
	AcceptDelayMax time.Duration
	// TimeWait is how long a closed pair cannot reconnect, 60 s
	// (governor.md §7, TimeWaitTimeout).
	TimeWait time.Duration
	// FailureProb is the probability that a new connection attempt fails
	// (injected faults); 0 disables it and draws no randomness.
	FailureProb float64
	// Unlimited, when set (one entry per node), marks the nodes that
	// accept every connection, past both limits: attackers that want
	// every node they can get (world.Attack.NoInboundLimit).
	Unlimited []bool
}

// DefaultBearerConfig returns the Cardano defaults of governor.md §7.
func DefaultBearerConfig() BearerConfig {
	return BearerConfig{
		HandshakeRTTs:    1,
		HandshakeTimeout: 10 * time.Second,
		HardLimit:        512,
		SoftLimit:        384,
		AcceptDelayMax:   5 * time.Second,
		TimeWait:         60 * time.Second,
	}
}

// Bounds that keep AcceptDelay and handshake arithmetic inside int64.
const (
	maxHandshakeRTTs  = 16
	maxInboundLimit   = 1 << 20
	maxBearerDuration = time.Hour
)

// Validate reports every problem of the configuration, one line each,
// naming the field, the bad value and what is accepted.
func (c BearerConfig) Validate() error {
	var errs []error
	bad := func(field string, v any, want string) {
		errs = append(errs, fmt.Errorf("netmodel: bearer %s = %v: want %s", field, v, want))
	}
	if c.HandshakeRTTs < 0 || c.HandshakeRTTs > maxHandshakeRTTs {
		bad("HandshakeRTTs", c.HandshakeRTTs, fmt.Sprintf("an integer in [0, %d]", maxHandshakeRTTs))
	}
	if c.HandshakeTimeout <= 0 || c.HandshakeTimeout > maxBearerDuration {
		bad("HandshakeTimeout", c.HandshakeTimeout, "a duration in (0, 1h]")
	}
	if c.HardLimit < 1 || c.HardLimit > maxInboundLimit {
		bad("HardLimit", c.HardLimit, fmt.Sprintf("an integer in [1, %d]", maxInboundLimit))
	}
	if c.SoftLimit < 0 || c.SoftLimit > c.HardLimit {
		bad("SoftLimit", c.SoftLimit, fmt.Sprintf("an integer in [0, HardLimit=%d]", c.HardLimit))
	}
	if c.AcceptDelayMax < 0 || c.AcceptDelayMax > maxBearerDuration {
		bad("AcceptDelayMax", c.AcceptDelayMax, "a duration in [0, 1h]")
	}
	if c.TimeWait < 0 || c.TimeWait > maxBearerDuration {
		bad("TimeWait", c.TimeWait, "a duration in [0, 1h]")
	}
	if !(c.FailureProb >= 0 && c.FailureProb <= 1) {
		bad("FailureProb", c.FailureProb, "a probability in [0, 1]")
	}
	return errors.Join(errs...)
}

// AcceptDelay is how long a node with inbound current inbound connections
// waits before accepting the next one (governor.md §7): 0 below SoftLimit,
// (inbound−Soft)·AcceptDelayMax/(Hard−Soft) rounded down to the nanosecond
// between the limits, and ok=false at or above HardLimit (not accepted).
func (c BearerConfig) AcceptDelay(inbound int) (d time.Duration, ok bool) {
	switch {
	case inbound >= c.HardLimit:
		return 0, false
	case inbound < c.SoftLimit:
		return 0, true
	}
	// Validate bounds keep the product below 2^20 · 1h < 2^63.
	return time.Duration(int64(inbound-c.SoftLimit) * int64(c.AcceptDelayMax) / int64(c.HardLimit-c.SoftLimit)), true
}

// conn is one connection; a is the initiator, b the responder. useA/useB
// say which ends use it outbound (their governor has the peer warm/hot);
// the initiator always does at creation, the responder after a duplex reuse.
type conn struct {
	a, b       int32
	useA, useB bool
	state      ConnState
	end        EndReason
	opened     clock.Time
	ready      clock.Time
	ended      clock.Time
	until      clock.Time // end of time-wait
}

// ConnInfo is a read-only snapshot of a connection.
type ConnInfo struct {
	ID                           ConnID
	Initiator, Responder         int
	InitiatorUses, ResponderUses bool
	State                        ConnState
	End                          EndReason
	// Opened is the Dial time, Ready the end of the handshake, Ended when
	// it stopped being live (clock.Never while live) and TimeWaitUntil the
	// end of its time-wait (clock.Never unless it entered time-wait).
	Opened, Ready, Ended, TimeWaitUntil clock.Time
}

// Duplex reports whether both ends use the connection outbound.
func (i ConnInfo) Duplex() bool { return i.InitiatorUses && i.ResponderUses }

// Bearer is the simulated connection layer of N nodes: a pure state table
// that answers "does this connect, and when" and records the answer. It
// never schedules anything; the caller turns answers into events. Rules
// (governor.md §7):
//
//   - at most one live connection per unordered pair; a dial towards a
//     peer that already uses a connection to us reuses it (duplex);
//   - Inbound(x) counts the live connections whose remote end uses them
//     outbound — remote-initiated ones, plus ours that the remote reuses
//     (the CM's InboundState and DuplexState). It never exceeds HardLimit:
//     new connections are refused at the limit, and a duplex promotion
//     past it prunes one of the remote's inbound connections;
//   - a closed pair stays in time-wait for TimeWait, except when pruned.
//
// Connections nobody uses close at once; the engine may model the CM's
// 5 s ProtocolIdleTimeout by delaying its Release call.
type Bearer struct {
	cfg   BearerConfig
	lat   Latency
	conns []conn
	// pair maps an unordered pair to its latest connection while that is
	// live or in time-wait; lookup only, never ranged over. Entries go
	// when their connection is pruned or its time-wait has passed
	// (expiring, swept by Dial), so the map holds today's connections, not
	// every pair that ever connected: in a 10,000-node day with churn that
	// is millions, and each lookup missed the cache and the TLB.
	pair     map[uint64]ConnID
	expiring []pairExpiry // time-waits in the order they end
	// live lists each node's live connections in ascending ID order, the
	// order every per-node iteration uses.
	live [][]ConnID
	// established holds the pairs with an established connection, for
	// Connected: one probe of a flat table, where the pair map and the
	// connection table cost a cache miss each.
	established               pairSet
	inbound, outbound, duplex []int32
}

// pairExpiry is a pair whose connection id leaves time-wait at until.
type pairExpiry struct {
	until clock.Time
	key   uint64
	id    ConnID
}

// sweep drops the pair entries whose time-wait has passed by now (a
// pair that redialled since maps to its new connection and stays).
func (b *Bearer) sweep(now clock.Time) {
	k := 0
	for k < len(b.expiring) && b.expiring[k].until <= now {
		if e := b.expiring[k]; b.pair[e.key] == e.id {
			delete(b.pair, e.key)
		}
		k++
	}
	if k > 0 {
		b.expiring = b.expiring[:copy(b.expiring, b.expiring[k:])]
	}
}

// NewBearer returns an empty bearer over lat's nodes, or an error when cfg
// is invalid or lat is missing or too large.
func NewBearer(lat Latency, cfg BearerConfig) (*Bearer, error) {
	if lat == nil {
		return nil, errors.New("netmodel: NewBearer: no latency source")
	}
	n := lat.N()
	if n < 1 || n > math.MaxInt32 {
		return nil, fmt.Errorf("netmodel: NewBearer: latency source has %d nodes: want 1 to %d", n, math.MaxInt32)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Unlimited != nil && len(cfg.Unlimited) != n {
		return nil, fmt.Errorf("netmodel: NewBearer: %d Unlimited flags for %d nodes", len(cfg.Unlimited), n)
	}
	return &Bearer{
		cfg:      cfg,
		lat:      lat,
		pair:     make(map[uint64]ConnID),
		live:     make([][]ConnID, n),
		inbound:  make([]int32, n),
		outbound: make([]int32, n),
		duplex:   make([]int32, n),
	}, nil
}

// Config returns the configuration the bearer was built with.
func (b *Bearer) Config() BearerConfig { return b.cfg }

// N returns the number of nodes.
func (b *Bearer) N() int { return len(b.live) }

// NumConns returns how many connections were ever created; valid IDs are
// 0..NumConns()-1.
func (b *Bearer) NumConns() int { return len(b.conns) }

// Inbound returns how many live connections of node its remote uses
// outbound (what the accept limits count). It panics on an invalid node.
func (b *Bearer) Inbound(node int) int { return int(b.inbound[node]) }

// Outbound returns how many live connections node uses outbound, including
// those still connecting.
func (b *Bearer) Outbound(node int) int { return int(b.outbound[node]) }

// Duplex returns how many live connections of node both ends use.
func (b *Bearer) Duplex(node int) int { return int(b.duplex[node]) }

// AppendConns appends node's live connections in ascending ID order to dst.
func (b *Bearer) AppendConns(dst []ConnID, node int) []ConnID {
	return append(dst, b.live[node]...)
}

// Lookup returns the live connection between x and y, if any. It panics
// on invalid nodes or x == y.
func (b *Bearer) Lookup(x, y int) (ConnID, bool) {
	b.checkPair(x, y)
	id, ok := b.pair[pairKey(x, y)]
	if !ok || !b.conns[id].state.live() {
		return NoConn, false
	}
	return id, true
}

// Info returns a snapshot of connection id as seen at now: a time-wait that
// has expired by now reads as StateClosed. It panics on an unknown id.
func (b *Bearer) Info(now clock.Time, id ConnID) ConnInfo {
	c := &b.conns[id]
	st := c.state
	if st == StateTimeWait && c.until <= now {
		st = StateClosed
	}
	return ConnInfo{
		ID: id, Initiator: int(c.a), Responder: int(c.b),
		InitiatorUses: c.useA, ResponderUses: c.useB,
		State: st, End: c.end,
		Opened: c.opened, Ready: c.ready, Ended: c.ended, TimeWaitUntil: c.until,
	}
}

// Dial answers "from wants an outbound connection to to at now". In order:
//
//  1. a live connection of the pair that from already uses: DialExisting;
//  2. a live connection that only to uses: reused, now duplex, no
//     handshake (DialReused). If that lifts to's inbound count above
//     HardLimit, to prunes one inbound connection (DialResult.Pruned);
//  3. the pair in time-wait: DialFailed(FailTimeWait) at now;
//  4. no path either way: DialFailed(FailUnreachable) at now+HandshakeTimeout;
//  5. injected fault (one rng.Float64 draw iff FailureProb > 0):
//     DialFailed(FailInjected) when the handshake would have finished;
//  6. to at its hard limit: DialFailed(FailInboundLimit) at
//     now+HandshakeTimeout (the server never answers the handshake; a slot
//     freeing during the wait is not modelled);
//  7. otherwise a new connection, established at now + accept delay +
//     HandshakeRTTs·(one-way there + one-way back), or
//     DialFailed(FailTimeout) at now+HandshakeTimeout if that is later.
//
// The new connection counts towards both ends' limits from now on. rng is
// used only in steps 2 (pruning) and 5. It panics on invalid nodes or
// from == to.
func (b *Bearer) Dial(now clock.Time, from, to int, rng *rand.Rand) DialResult {
	b.checkPair(from, to)
	b.sweep(now)
	key := pairKey(from, to)
	if id, ok := b.pair[key]; ok {
		c := &b.conns[id]
		switch {
		case c.state.live():
			return b.dialLive(now, id, from, to, rng)
		case c.state == StateTimeWait && now < c.until:
			return failed(FailTimeWait, now)
		}
	}
	there, ok1 := b.lat.OneWay(from, to)
	back, ok2 := b.lat.OneWay(to, from)
	if !ok1 || !ok2 {
		return failed(FailUnreachable, now.Add(b.cfg.HandshakeTimeout))
	}
	handshake := time.Duration(b.cfg.HandshakeRTTs) * (there + back)
	if b.cfg.FailureProb > 0 && rng.Float64() < b.cfg.FailureProb {
		return failed(FailInjected, now.Add(handshake))
	}
	delay, ok := b.cfg.AcceptDelay(int(b.inbound[to]))
	if b.unlimited(to) {
		delay, ok = 0, true
	}
	if !ok {
		return failed(FailInboundLimit, now.Add(b.cfg.HandshakeTimeout))
	}
	setup := handshake + delay
	if setup > b.cfg.HandshakeTimeout {
		return failed(FailTimeout, now.Add(b.cfg.HandshakeTimeout))
	}
	if len(b.conns) >= math.MaxInt32 {
		panic("netmodel: more than 2^31-1 connections")
	}
	id := ConnID(len(b.conns))
	b.conns = append(b.conns, conn{
		a: int32(from), b: int32(to), useA: true,
		state: StateConnecting, opened: now, ready: now.Add(setup),
		ended: clock.Never, until: clock.Never,
	})
	b.pair[key] = id
	b.live[from] = append(b.live[from], id)
	b.live[to] = append(b.live[to], id)
	b.account(&b.conns[id], 1)
	return DialResult{Outcome: DialNew, Conn: id, At: now.Add(setup), AcceptDelay: delay, Pruned: NoConn}
}

func failed(r FailReason, at clock.Time) DialResult {
	return DialResult{Outcome: DialFailed, Conn: NoConn, At: at, Reason: r, Pruned: NoConn}
}

// dialLive handles Dial steps 1 and 2.
func (b *Bearer) dialLive(now clock.Time, id ConnID, from, to int, rng *rand.Rand) DialResult {
	c := &b.conns[id]
	at := clock.Max(now, c.ready)
	if c.uses(from) {
		return DialResult{Outcome: DialExisting, Conn: id, At: at, Pruned: NoConn}
	}
	b.account(c, -1)
	c.setUse(from, true)
	b.account(c, 1)
	res := DialResult{Outcome: DialReused, Conn: id, At: at, Pruned: NoConn}
	if int(b.inbound[to]) > b.cfg.HardLimit && !b.unlimited(to) {
		victim := b.pruneOne(now, to, rng)
		res.Pruned = victim
		if victim == id {
			res = failed(FailInboundLimit, now)
			res.Pruned = victim
		}
	}
	return res
}

// unlimited reports whether node i accepts every connection.
func (b *Bearer) unlimited(i int) bool { return b.cfg.Unlimited != nil && b.cfg.Unlimited[i] }

// Established records that connection id finished its handshake at now
// (the engine calls it at DialResult.At). It returns false, changing
// nothing, when the connection is no longer connecting (closed, failed or
// pruned meanwhile, or already established): the engine then reports a
// failure or ignores the stale event. It panics when now is before the
// handshake can end.
func (b *Bearer) Established(now clock.Time, id ConnID) bool {
	c := &b.conns[id]
	if c.state != StateConnecting {
		return false
	}
	if now < c.ready {
		panic(fmt.Sprintf("netmodel: Established(%v, %d) before its handshake ends at %v", now, id, c.ready))
	}
	c.state = StateEstablished
	b.established.add(pairKey(int(c.a), int(c.b)))
	return true
}

// Connected reports whether x and y share an established connection: a
// live one past its handshake (the state Lookup and Info would give).
func (b *Bearer) Connected(x, y int) bool {
	b.checkPair(x, y)
	return b.established.has(pairKey(x, y))
}

// Close closes connection id for both ends at now; the pair enters
// time-wait. It returns false, changing nothing, if it was not live.
func (b *Bearer) Close(now clock.Time, id ConnID) bool {
	return b.end(now, id, EndClosed)
}

// Fail records that the network dropped connection id at now. Like Close
// the pair enters time-wait: the CM terminates every connection through
// TerminatingState except pruned ones (governor.md §7).
func (b *Bearer) Fail(now clock.Time, id ConnID) bool {
	return b.end(now, id, EndFailed)
}

// Release records that node stops using connection id outbound (its
// governor demoted the peer to cold). If the other end still uses it, the
// connection stays open and is no longer duplex; otherwise it closes and
// enters time-wait. It returns whether the connection closed. It panics if
// node is not an end of id.
func (b *Bearer) Release(now clock.Time, id ConnID, node int) bool {
	c := &b.conns[id]
	if int(c.a) != node && int(c.b) != node {
		panic(fmt.Sprintf("netmodel: Release(%d, node %d): not an end of the connection %d-%d", id, node, c.a, c.b))
	}
	if !c.state.live() || !c.uses(node) {
		return false
	}
	other := int(c.a)
	if other == node {
		other = int(c.b)
	}
	if !c.uses(other) {
		return b.end(now, id, EndClosed)
	}
	b.account(c, -1)
	c.setUse(node, false)
	b.account(c, 1)
	return false
}

// Prune closes up to count of node's inbound connections (those its remote
// uses), in the CM's order (governor.md §7): sorted by (node also uses it
// outbound, random), so inbound-only connections go first. Pruned
// connections skip time-wait. It draws one rng.Uint64 per candidate, in
// ascending ID order, and returns the pruned IDs in pruning order.
func (b *Bearer) Prune(now clock.Time, node, count int, rng *rand.Rand) []ConnID {
	if count <= 0 {
		return nil
	}
	type cand struct {
		upstream bool
		r        uint64
		id       ConnID
	}
	var cs []cand
	for _, id := range b.live[node] {
		c := &b.conns[id]
		if c.remoteUses(node) {
			cs = append(cs, cand{c.uses(node), rng.Uint64(), id})
		}
	}
	slices.SortFunc(cs, func(x, y cand) int {
		if x.upstream != y.upstream {
			if y.upstream {
				return -1
			}
			return 1
		}
		if x.r != y.r {
			if x.r < y.r {
				return -1
			}
			return 1
		}
		return int(x.id - y.id)
	})
	out := make([]ConnID, 0, min(count, len(cs)))
	for _, c := range cs[:min(count, len(cs))] {
		b.end(now, c.id, EndPruned)
		out = append(out, c.id)
	}
	return out
}

// pruneOne is Prune with count 1 and no allocation: the same draws and the
// same choice.
func (b *Bearer) pruneOne(now clock.Time, node int, rng *rand.Rand) ConnID {
	best, bestUp, bestR := NoConn, false, uint64(0)
	for _, id := range b.live[node] {
		c := &b.conns[id]
		if !c.remoteUses(node) {
			continue
		}
		up, r := c.uses(node), rng.Uint64()
		// IDs ascend, so a tie on (up, r) keeps the earlier, smaller ID.
		if best == NoConn || (!up && bestUp) || (up == bestUp && r < bestR) {
			best, bestUp, bestR = id, up, r
		}
	}
	if best != NoConn {
		b.end(now, best, EndPruned)
	}
	return best
}

// end takes a live connection out of the counts and lists.
func (b *Bearer) end(now clock.Time, id ConnID, why EndReason) bool {
	c := &b.conns[id]
	if !c.state.live() {
		return false
	}
	b.account(c, -1)
	b.live[c.a] = removeID(b.live[c.a], id)
	b.live[c.b] = removeID(b.live[c.b], id)
	key := pairKey(int(c.a), int(c.b))
	if c.state == StateEstablished {
		b.established.remove(key)
	}
	c.end, c.ended = why, now
	if why == EndPruned {
		c.state = StateClosed
		delete(b.pair, key)
		return true
	}
	c.state = StateTimeWait
	c.until = now.Add(b.cfg.TimeWait)
	b.expiring = append(b.expiring, pairExpiry{until: c.until, key: key, id: id})
	return true
}

// account adds sign times c's contribution to its ends' counters.
func (b *Bearer) account(c *conn, sign int32) {
	if c.useA {
		b.outbound[c.a] += sign
		b.inbound[c.b] += sign
	}
	if c.useB {
		b.outbound[c.b] += sign
		b.inbound[c.a] += sign
	}
	if c.useA && c.useB {
		b.duplex[c.a] += sign
		b.duplex[c.b] += sign
	}
}

func (c *conn) uses(node int) bool {
	return (int(c.a) == node && c.useA) || (int(c.b) == node && c.useB)
}

// remoteUses reports whether the end opposite node uses c outbound.
func (c *conn) remoteUses(node int) bool {
	if int(c.a) == node {
		return c.useB
	}
	return c.useA
}

func (c *conn) setUse(node int, v bool) {
	if int(c.a) == node {
		c.useA = v
	} else {
		c.useB = v
	}
}

func (b *Bearer) checkPair(x, y int) {
	n := len(b.live)
	if x < 0 || x >= n || y < 0 || y >= n || x == y {
		panic(fmt.Sprintf("netmodel: bearer pair (%d, %d) invalid for %d nodes", x, y, n))
	}
}

func pairKey(x, y int) uint64 {
	if x > y {
		x, y = y, x
	}
	return uint64(x)<<32 | uint64(y)
}

func removeID(s []ConnID, id ConnID) []ConnID {
	i, ok := slices.BinarySearch(s, id)
	if !ok {
		panic(fmt.Sprintf("netmodel: connection %d missing from a node's list", id))
	}
	return slices.Delete(s, i, i+1)
}
