package netmodel

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// Transports (network.transport in a scenario).
const (
	// TransportIdeal: a message costs one-way latency, and a body also its
	// serialisation on the sender's uplink. The AUEB research simulators
	// have no bandwidth model at all; set bandwidth 0 to match them.
	TransportIdeal = "ideal"
	// TransportTCP: every message rides one direction of a TCP connection
	// with slow start, a receive window and restart after idle (TCPModel).
	TransportTCP = "tcp"
)

// TCP defaults: Linux's, which cardano-node leaves alone (it sets only
// TCP_NODELAY): a 1,460-byte segment (Ethernet MTU 1,500 less 40 bytes of
// IPv4 and TCP headers), an initial window of 10 segments (RFC 6928, Linux
// since 2.6.39), tcp_slow_start_after_idle on. The multiplexer's SDU is
// ouroboros-network's 12,288-byte segment (network-mux).
const (
	DefaultSegmentBytes  = 1460
	DefaultInitialWindow = 10
	DefaultSDUBytes      = 12288
	// MinIdleRestart is the idle time beyond which a sender falls back to
	// the initial window; the model uses max(MinIdleRestart, RTT). Beyond,
	// not at: Linux restarts when the idle time exceeds the retransmission
	// timeout, which is longer than a round trip, so a sender that answers
	// an acknowledgement the moment it returns is never idle.
	MinIdleRestart = time.Second
	// Largest accepted parameters: a segment of a 9,000-byte jumbo frame,
	// an initial window of 1,000 segments and a receive window of 1 GiB.
	MaxSegmentBytes  = 9000
	MaxInitialWindow = 1000
	MaxReceiveWindow = 1 << 30
	MaxSDUBytes      = 1 << 20
)

// TCPConfig holds the parameters of the TCP transfer model.
type TCPConfig struct {
	SegmentBytes  int64 // maximum segment size (payload bytes)
	InitialWindow int64 // initial congestion window, in segments
	IdleRestart   bool  // restart from the initial window after idle
	// ReceiveWindow caps the congestion window, in bytes; 0 takes per
	// connection max(initial window, 2 × bandwidth × one-way latency),
	// the bandwidth-delay product that keeps the link busy.
	ReceiveWindow int64
	// SDUBytes is the multiplexer's segment: a small message (at most one
	// SDU) to a peer that is receiving a larger one waits for at most one
	// SDU of it instead of all of it.
	SDUBytes int64
}

// DefaultTCPConfig returns the Linux defaults above.
func DefaultTCPConfig() TCPConfig {
	return TCPConfig{SegmentBytes: DefaultSegmentBytes, InitialWindow: DefaultInitialWindow, IdleRestart: true, SDUBytes: DefaultSDUBytes}
}

// TCPProblem is one bad TCP parameter: the scenario field it maps to
// (relative to network.tcp), the value and what is accepted.
type TCPProblem struct {
	Field, Value, Accepted string
}

// Check returns every bad parameter.
func (c TCPConfig) Check() []TCPProblem {
	var out []TCPProblem
	bad := func(field string, v int64, accepted string) {
		out = append(out, TCPProblem{Field: field, Value: fmt.Sprint(v), Accepted: accepted})
	}
	if c.SegmentBytes < 1 || c.SegmentBytes > MaxSegmentBytes {
		bad("segment_bytes", c.SegmentBytes, fmt.Sprintf("1 to %d bytes", MaxSegmentBytes))
	}
	if c.InitialWindow < 1 || c.InitialWindow > MaxInitialWindow {
		bad("initial_window", c.InitialWindow, fmt.Sprintf("1 to %d segments", MaxInitialWindow))
	}
	if c.ReceiveWindow < 0 || c.ReceiveWindow > MaxReceiveWindow {
		bad("receive_window", c.ReceiveWindow, fmt.Sprintf("0 (the bandwidth-delay product) or up to %d bytes", MaxReceiveWindow))
	} else if c.ReceiveWindow > 0 && c.ReceiveWindow < c.SegmentBytes*c.InitialWindow && c.SegmentBytes >= 1 && c.InitialWindow >= 1 {
		bad("receive_window", c.ReceiveWindow, fmt.Sprintf("0 or at least the initial window, %d bytes", c.SegmentBytes*c.InitialWindow))
	}
	if c.SDUBytes < 1 || c.SDUBytes > MaxSDUBytes {
		bad("sdu_bytes", c.SDUBytes, fmt.Sprintf("1 to %d bytes", MaxSDUBytes))
	}
	return out
}

// Err joins Check's problems into one error, or nil.
func (c TCPConfig) Err() error {
	p := c.Check()
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("netmodel: tcp %s = %s: accepted %s (and %d more)", p[0].Field, p[0].Value, p[0].Accepted, len(p)-1)
}

// Path is what a transfer needs to know of its route.
type Path struct {
	RTT           time.Duration // round trip: one-way latency there and back
	BitsPerSecond int64         // the sender's link rate; 0 = infinite
}

// TCPFlow is the sender's state of one direction of a connection, 24
// bytes. The zero value is a flow that has sent nothing.
//
// The model works in rounds (the "chunks" of the issue that asked for it):
// a round is what the window lets the sender put on the wire back to back;
// its acknowledgement returns one round trip after the round started, and
// grows the window by the bytes it acknowledges (slow start), up to the
// receive window. The next round starts when that acknowledgement returns
// or when the link has finished the round, whichever is later.
type TCPFlow struct {
	ack  clock.Time // when the current round's acknowledgement returns
	end  clock.Time // when the last byte sent so far left the sender
	cwnd uint32     // window at the start of the current round, bytes; 0: fresh
	sent uint32     // bytes sent in the current round
}

// segCost returns the time to serialise n bytes cut into segments of mss
// (each rounded up to the nanosecond on its own, as a per-segment sender
// does); full is the cost of one full segment.
func segCost(n, mss int64, full time.Duration, bps int64) time.Duration {
	if bps == 0 || n == 0 {
		return 0
	}
	return time.Duration(n/mss)*full + SerialisationDelay(n%mss, bps)
}

// rwnd returns the window cap of a path.
func (c *TCPConfig) rwnd(p Path) int64 {
	if c.ReceiveWindow > 0 {
		return c.ReceiveWindow
	}
	if p.BitsPerSecond == 0 {
		return math.MaxUint32
	}
	return min(max(c.SegmentBytes*c.InitialWindow, bdp(p)), math.MaxUint32)
}

// bdp is 2 × bandwidth × one-way latency = bandwidth × RTT in bytes,
// rounded down, computed at whole-microsecond RTT resolution in integers
// (bytes/s < 2^34 and RTT µs < 2^29 within the scenario limits; larger
// products saturate).
func bdp(p Path) int64 {
	hi, lo := bits.Mul64(uint64(p.BitsPerSecond/8), uint64(p.RTT/time.Microsecond))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo / 1e6)
}

// Send hands bytes (> 0) to the flow at t and returns when its first and
// last bytes leave the sender. The bytes go after everything the flow
// sent before (first ≥ the previous last), except that a message of at
// most one SDU sent while a larger transfer is still leaving is
// interleaved by the multiplexer: it leaves after at most one SDU of that
// transfer, and does not change the flow (its few bytes are ignored).
//
// Cost: a loop over the rounds of slow start (about log₂ of the message
// over the initial window) and O(1) for the rounds at the window cap.
func (c *TCPConfig) Send(f *TCPFlow, t clock.Time, bytes int64, p Path) (first, last clock.Time) {
	full := SerialisationDelay(c.SegmentBytes, p.BitsPerSecond)
	return c.send(f, t, bytes, p, full, segCost(bytes, c.SegmentBytes, full, p.BitsPerSecond))
}

// send is Send with full, the serialisation time of one full segment,
// and whole, that of the message (segCost of bytes): the callers that
// repeat a size compute them once.
func (c *TCPConfig) send(f *TCPFlow, t clock.Time, bytes int64, p Path, full, whole time.Duration) (first, last clock.Time) {
	if bytes <= 0 {
		panic(fmt.Sprintf("netmodel: TCP Send of %d bytes", bytes))
	}
	mss := c.SegmentBytes
	if t < f.end && bytes <= c.SDUBytes && f.cwnd != 0 {
		// Interleaved by the mux behind the SDU now leaving.
		at := t.Add(SerialisationDelay(min(c.SDUBytes, f.sentAfter(t, p)), p.BitsPerSecond))
		return at, at.Add(whole)
	}
	iw := mss * c.InitialWindow
	// The cap costs a multiplication and a division, and most messages
	// (headers into a window with room) never reach it: -1 until needed.
	cap := int64(-1)
	capOf := func() int64 {
		if cap < 0 {
			cap = c.rwnd(p)
		}
		return cap
	}
	now := clock.Max(t, f.end)
	cwnd, sent := int64(f.cwnd), int64(f.sent)
	switch {
	case cwnd == 0:
		cwnd, sent, f.ack = iw, 0, now.Add(p.RTT)
		if c.ReceiveWindow > 0 { // otherwise the cap is at least iw
			cwnd = min(iw, capOf())
		}
	case now >= f.ack:
		// The current round is acknowledged: grow, then maybe restart.
		if c.IdleRestart && now.Sub(f.end) > max(MinIdleRestart, p.RTT) {
			cwnd = min(cwnd+sent, iw) // min(min(cwnd+sent, cap), iw)
			if c.ReceiveWindow > 0 {
				cwnd = min(cwnd, capOf())
			}
		} else {
			cwnd = min(cwnd+sent, capOf())
		}
		sent, f.ack = 0, now.Add(p.RTT)
	}
	first = now
	rem := bytes
	for {
		n := min(cwnd-sent, rem)
		if n > 0 {
			if n == bytes {
				now = now.Add(whole)
			} else {
				now = now.Add(segCost(n, mss, full, p.BitsPerSecond))
			}
			sent += n
			rem -= n
		}
		if rem == 0 {
			break
		}
		// Window used up: the next round starts when the acknowledgement
		// returns, or when the link is free if that is later.
		start := clock.Max(f.ack, now)
		cap := capOf()
		cwnd, sent = min(cwnd+sent, cap), 0
		now = start
		f.ack = start.Add(p.RTT)
		if cwnd == cap && rem > cap {
			// At the cap every round is full and takes max(RTT, its
			// serialisation): jump over all but the last.
			m := (rem - 1) / cap
			step := max(p.RTT, segCost(cap, mss, full, p.BitsPerSecond))
			now = now.Add(time.Duration(m) * step)
			f.ack = now.Add(p.RTT)
			rem -= m * cap
		}
	}
	f.cwnd, f.sent, f.end = uint32(cwnd), uint32(sent), now
	return first, now
}

// sentAfter bounds the bytes of the transfer in progress still to leave
// after t: what the link can send from t to the end.
func (f *TCPFlow) sentAfter(t clock.Time, p Path) int64 {
	if p.BitsPerSecond == 0 {
		return 0
	}
	return int64(float64(f.end.Sub(t)) * float64(p.BitsPerSecond) / 8e9)
}

// Idle reports whether the flow, at now, is equivalent to a fresh one for
// every later send on a path of round trip at most maxRTT: idle restart is
// on and the flow has been idle for longer than max(MinIdleRestart,
// maxRTT). (Its round is then acknowledged, as the round started before
// the flow's last byte left, and the restart takes the window back to the
// initial one, which a fresh flow starts with.)
func (c *TCPConfig) Idle(f *TCPFlow, now clock.Time, maxRTT time.Duration) bool {
	return f.cwnd == 0 || c.IdleRestart && now.Sub(f.end) > max(MinIdleRestart, maxRTT)
}

// Flows holds the TCP flows of a network in two places. A sender's flows
// to the receivers of one list its caller keeps (a relay's peers, which it
// announces every block to) are tied to that list, in its order (Tie), so
// an announcement finds its flow by index. Every other flow is in the
// sender's table, sorted by receiver, with the receivers kept apart from
// the flows (16 to a cache line), so a search reads a line or two of keys
// and then the one flow it wants. With idle restart on, a flow idle for
// max(MinIdleRestart, its RTT) is the same as a fresh one, so such flows
// are dropped whenever a table is full: the tables hold the flows active
// in the last second or so, not every pair that ever exchanged a message.
//
// An announcement usually finds every tied flow idle (blocks are 20 s
// apart), and a header on an idle flow leaves it in a state that depends
// only on the send's time, the header's size and the pair's round trip.
// SendAll then sends on all of them at once without reading them: it
// records the send in the sender (its "bulk"), and a flow that has not
// been sent on since (its end before the bulk's time) takes the bulk's
// state when it is next read (settle).
type Flows struct {
	cfg TCPConfig
	snd []sender
	n   int
	// hintFrom, hintAt: where the last table lookup found its flow. A
	// node announcing a block to receivers it has not tied (an overlay's,
	// a static list with repeats) asks in ascending receiver order, so the
	// next one is usually a little further on.
	hintFrom int32
	hintAt   int
	rtt      func(from, to int32) time.Duration
	// bps and full cache the serialisation of a full segment at the
	// last rate seen (one rate per network, usually).
	bps  int64
	full time.Duration
	memo [2]wireMemo // Flows.whole's; bytes 0 is never asked
	// maxRTT is at least the round trip of every pair sent on or tied: a
	// flow quiet for longer than max(MinIdleRestart, maxRTT) is idle
	// without asking rtt for its own.
	maxRTT time.Duration
	// tieTo, tieFlows: Tie's scratch when a list changes.
	tieTo    []int32
	tieFlows []TCPFlow
	touched  clock.Time // Tie's reads land here, so they are not optimised away
}

// wireMemo is a message size and its segCost.
type wireMemo struct {
	bytes int64
	cost  time.Duration
}

// senderFlows is one sender's flows: to[i] receives flows[i], to ascending.
type senderFlows struct {
	to    []int32
	flows []TCPFlow
}

// sender is one sender's flows, three cache lines. The first holds the
// flows tied to its caller's list (Tie), in that list's order, with a
// 128-bit filter of their receivers (bit to mod 128): a lookup by pair
// reads it first and skips the tied list for most receivers that are not
// there. The second holds what Tie and SendAll check (the list's
// generation, bounds on the tied flows' ends) and the pending bulk send
// (SendAll). The third holds its table. A pair's flow is tied or in the
// table, never both.
type sender struct {
	tied senderFlows
	mask [2]uint64

	gen uint64 // the tied list's generation + 1 (Tie); 0: none given
	// maxEnd bounds the end of every tied flow; second bounds those of
	// all but receiver maxTo's (-1: none). A relay's request for a body
	// rides its flow to the peer it heard the block from, just before it
	// announces the block to all the others.
	maxEnd clock.Time
	second clock.Time
	maxTo  int32
	// The bulk send (SendAll): at bulkAt (> 0; 0: none), bulkBytes on
	// every tied flow whose end is before bulkAt, except the one to
	// bulkSkip, leaving their last bytes at bulkEnd.
	bulkSkip  int32
	bulkAt    clock.Time
	bulkEnd   clock.Time
	bulkBytes uint32
	tiedOK    bool // the list of the last Tie is tied (ascending, no repeats)
	_         [11]byte

	table senderFlows
	_     [16]byte
}

func (s *sender) has(to int32) bool { return s.mask[to>>6&1]&(1<<(to&63)) != 0 }

// note records that tied flow to's end is now end (ends only grow).
func (s *sender) note(to int32, end clock.Time) {
	switch {
	case to == s.maxTo:
		s.maxEnd = max(s.maxEnd, end)
	case end > s.maxEnd:
		s.second, s.maxEnd, s.maxTo = s.maxEnd, end, to
	default:
		s.second = max(s.second, end)
	}
}

// NewFlows returns empty flows for nodes senders; rtt gives a pair's round
// trip, the one of the paths its messages are sent on, for dropping idle
// flows. It panics on a bad configuration: validate
// it with TCPConfig.Check.
func NewFlows(cfg TCPConfig, nodes int, rtt func(from, to int32) time.Duration) *Flows {
	if err := cfg.Err(); err != nil {
		panic(err)
	}
	t := &Flows{cfg: cfg, snd: make([]sender, nodes), rtt: rtt, hintFrom: -1}
	for i := range t.snd {
		t.snd[i].maxTo = -1
	}
	return t
}

// Config returns the model's parameters.
func (t *Flows) Config() TCPConfig { return t.cfg }

// Len returns the number of flows held, tied or in the tables.
func (t *Flows) Len() int { return t.n }

// Send hands a message of bytes from→to at now to the pair's flow
// (TCPConfig.Send) and returns when its first and last bytes leave.
func (t *Flows) Send(now clock.Time, from, to int32, bytes int64, p Path) (first, last clock.Time) {
	f, tied := t.flow(now, from, to)
	first, last = t.sendOn(f, now, bytes, p)
	if tied {
		t.snd[from].note(to, last)
	}
	return first, last
}

// SendOn is Send on from's i-th tied flow (after a Tie that tied them).
func (t *Flows) SendOn(from int32, i int, now clock.Time, bytes int64, p Path) (first, last clock.Time) {
	sd := &t.snd[from]
	first, last = t.sendOn(&sd.tied.flows[i], now, bytes, p)
	sd.note(sd.tied.to[i], last)
	return first, last
}

func (t *Flows) sendOn(f *TCPFlow, now clock.Time, bytes int64, p Path) (first, last clock.Time) {
	t.maxRTT = max(t.maxRTT, p.RTT)
	t.rate(p.BitsPerSecond)
	return t.cfg.send(f, now, bytes, p, t.full, t.whole(bytes))
}

// rate makes bps the rate whole and full are for.
func (t *Flows) rate(bps int64) {
	if bps != t.bps {
		t.bps, t.full = bps, SerialisationDelay(t.cfg.SegmentBytes, bps)
		t.memo = [2]wireMemo{}
	}
}

// Tie ties from's flows to the receivers to, in to's order, and reports
// whether it did: then SendOn(from, i, …) sends on the flow to to[i] until
// the next Tie or SendAll for from. A relay announces every block to the
// same peers, block after block, so their flows are kept in a list
// aligned with its list of peers, and an announcement needs no search:
// the flows of receivers that left the list go back to the table (or are
// dropped if idle), those of new receivers come from it. Send finds a
// tied pair's flow too. When to is not ascending without repeats (a
// static topology's list may repeat a peer), Tie ties nothing and returns
// false: the caller then sends by pair.
//
// gen is the list's generation: a number that changes whenever the list
// does (node.Node.PeersGen); Tie compares the list itself only when gen
// changed. A caller without one passes NoGen.
func (t *Flows) Tie(now clock.Time, from int32, gen uint32, to []int32) bool {
	if !t.tie(now, from, gen, to) {
		return false
	}
	sd := &t.snd[from]
	if t.settleAll(now, from, sd) {
		return true
	}
	s := &sd.tied
	// Touch the flows' lines now, all at once: the loads are independent,
	// so their cache misses overlap, where the caller's sends, each far
	// apart in its loop, would wait for them one by one.
	var sum clock.Time
	for i := 0; i < len(s.flows); i += 2 {
		sum += s.flows[i].end
	}
	t.touched = sum
	return true
}

// tie is Tie without reading the flows.
func (t *Flows) tie(now clock.Time, from int32, gen uint32, to []int32) bool {
	sd := &t.snd[from]
	if g := uint64(gen) + 1; g != sd.gen || gen == NoGen {
		if !slices.Equal(sd.tied.to, to) {
			t.retie(now, from, to)
		}
		sd.gen = g
		sd.tiedOK = len(sd.tied.flows) == len(to)
	}
	return sd.tiedOK
}

// SendAll ties from's flows to to, as Tie does, and sends a message of
// bytes at now on every one of them but the one to except (-1: none), if
// all those are idle (TCPConfig.Idle): then every message's last byte
// leaves at last, which it returns with true; the flows are not read.
// Otherwise it sends nothing and returns false; the flows are then tied if
// Tie would tie them, and the caller sends on them one by one (SendOn)
// after a Tie. After SendAll, Unsend(from, i) takes back the message to
// to[i] (one the caller found no path for).
//
// The shortcut needs idle restart on and a message within the initial
// window: it then leaves each flow with the initial window, that message
// as its round and the round's acknowledgement a round trip away.
func (t *Flows) SendAll(now clock.Time, from int32, gen uint32, to []int32, except int32, bytes int64, bps int64) (last clock.Time, ok bool) {
	if !t.cfg.IdleRestart || bytes <= 0 || bytes > t.cfg.SegmentBytes*t.cfg.InitialWindow || !t.tie(now, from, gen, to) {
		return 0, false
	}
	sd := &t.snd[from]
	// The bound on the ends of all flows but except's (if except is not
	// tied, second is still one: it bounds all but maxTo's).
	bound, xb := sd.maxEnd, sd.second
	if except == sd.maxTo {
		bound, xb = sd.second, sd.maxEnd
	}
	if now.Sub(bound) <= max(MinIdleRestart, t.maxRTT) {
		return 0, false
	}
	t.rate(bps)
	end := now.Add(t.whole(bytes))
	// except's flow needs no settling if the last bulk is pending on it:
	// its end under that bulk is within xb and idle, and idle, its own
	// state and the bulk's are both the same as fresh.
	sd.bulkAt, sd.bulkEnd, sd.bulkBytes, sd.bulkSkip = now, end, uint32(bytes), except
	sd.maxEnd, sd.second, sd.maxTo = end, end, -1
	if except >= 0 {
		sd.maxEnd, sd.maxTo = max(xb, end), except
	}
	return end, true
}

// Unsend takes back SendAll's message on from's flow to its i-th tied
// receiver (not the skipped one). That flow was idle, which is the same as
// fresh; it is marked fresh as of the bulk, so the bulk does not apply to
// it.
func (t *Flows) Unsend(from int32, i int) {
	sd := &t.snd[from]
	sd.tied.flows[i] = TCPFlow{end: sd.bulkAt}
}

// settle gives from's i-th tied flow its own state if the bulk send is
// still pending on it: that is, if its end is before the bulk's time and
// it is not the skipped one.
func (t *Flows) settle(now clock.Time, from int32, sd *sender, i int) {
	f := &sd.tied.flows[i]
	if f.end >= sd.bulkAt || sd.tied.to[i] == sd.bulkSkip {
		return
	}
	if now.Sub(sd.bulkEnd) > max(MinIdleRestart, t.maxRTT) {
		*f = TCPFlow{end: sd.bulkAt} // idle since: as fresh
		return
	}
	*f = TCPFlow{
		ack:  sd.bulkAt.Add(t.rtt(from, sd.tied.to[i])),
		end:  sd.bulkEnd,
		cwnd: uint32(t.cfg.SegmentBytes * t.cfg.InitialWindow),
		sent: sd.bulkBytes,
	}
}

// settleAll settles every tied flow of from and ends its bulk send, if it
// has one pending (which it reports).
func (t *Flows) settleAll(now clock.Time, from int32, sd *sender) bool {
	if sd.bulkAt == 0 {
		return false
	}
	for i := range sd.tied.flows {
		t.settle(now, from, sd, i)
	}
	sd.bulkAt = 0
	return true
}

// Tied returns the receivers from's flows are tied to, in order (the
// list of the last Tie); read it, do not keep it.
func (t *Flows) Tied(from int32) []int32 { return t.snd[from].tied.to }

// NoGen is Tie's generation for a list that has none: the list is
// compared every time.
const NoGen = math.MaxUint32

// retie makes from's tied list to by one merge of the old list with it.
func (t *Flows) retie(now clock.Time, from int32, to []int32) {
	sd := &t.snd[from]
	t.settleAll(now, from, sd)
	s := &sd.tied
	nt, nf := t.tieTo[:0], t.tieFlows[:0]
	for k := 1; k < len(to); k++ {
		if to[k] <= to[k-1] {
			to = nil // untie them all: the list is not one Tie can follow
			break
		}
	}
	i := 0
	for _, r := range to {
		for ; i < len(s.to) && s.to[i] < r; i++ {
			t.untie(now, from, s.to[i], &s.flows[i])
		}
		var f TCPFlow
		if i < len(s.to) && s.to[i] == r {
			f = s.flows[i]
			i++
		} else {
			f = t.take(from, r)
			t.maxRTT = max(t.maxRTT, t.rtt(from, r))
			sd.note(r, f.end)
		}
		nt, nf = append(nt, r), append(nf, f)
	}
	for ; i < len(s.to); i++ {
		t.untie(now, from, s.to[i], &s.flows[i])
	}
	t.n += len(nt) - len(s.to)
	s.to, s.flows = append(s.to[:0], nt...), append(s.flows[:0], nf...)
	m := &sd.mask
	*m = [2]uint64{}
	for _, r := range nt {
		m[r>>6&1] |= 1 << (r & 63)
	}
	t.tieTo, t.tieFlows = nt, nf
}

// take removes from→to's flow from the table and returns it (a fresh
// one if the table has none).
func (t *Flows) take(from, to int32) TCPFlow {
	s := &t.snd[from].table
	i, ok := slices.BinarySearch(s.to, to)
	if !ok {
		return TCPFlow{}
	}
	f := s.flows[i]
	s.to, s.flows = slices.Delete(s.to, i, i+1), slices.Delete(s.flows, i, i+1)
	t.n--
	t.hintFrom = -1
	return f
}

// untie puts a flow leaving from's tied list into the table, unless it
// is idle at now (the same as a fresh one).
func (t *Flows) untie(now clock.Time, from, to int32, f *TCPFlow) {
	if t.idle(f, now, from, to) {
		return
	}
	s := &t.snd[from].table
	i, _ := slices.BinarySearch(s.to, to)
	s.to, s.flows = slices.Insert(s.to, i, to), slices.Insert(s.flows, i, *f)
	t.n++
	t.hintFrom = -1
}

// whole returns segCost of a message of bytes at the current rate,
// remembering the last two sizes asked: a network repeats its header and
// request sizes.
func (t *Flows) whole(bytes int64) time.Duration {
	switch bytes {
	case t.memo[0].bytes:
		return t.memo[0].cost
	case t.memo[1].bytes:
		t.memo[0], t.memo[1] = t.memo[1], t.memo[0]
		return t.memo[0].cost
	}
	d := segCost(bytes, t.cfg.SegmentBytes, t.full, t.bps)
	t.memo[1], t.memo[0] = t.memo[0], wireMemo{bytes, d}
	return d
}

// hintScan is how far past the last hit a lookup scans before it falls
// back to a binary search: the gap between a node's consecutive hot peers
// in its list of receivers is usually a few entries.
const hintScan = 16

// flow returns the flow from→to, inserting a fresh one, and whether it
// is tied.
func (t *Flows) flow(now clock.Time, from, to int32) (*TCPFlow, bool) {
	sd := &t.snd[from]
	if sd.has(to) {
		// A forward scan, not a binary search: its loads do not wait on
		// one another, so a list not in cache costs one miss, not several.
		for i, r := range sd.tied.to {
			if r >= to {
				if r > to {
					break
				}
				if sd.bulkAt != 0 {
					t.settle(now, from, sd, i)
				}
				return &sd.tied.flows[i], true
			}
		}
	}
	s := &sd.table
	keys := s.to
	lo, hi := 0, len(keys)
	if from == t.hintFrom && t.hintAt < len(keys) && keys[t.hintAt] < to {
		// Forward from the last hit, then a binary search of what is left.
		lo = t.hintAt + 1
		for i := lo; i < min(lo+hintScan, hi); i++ {
			if keys[i] >= to {
				hi = i + 1
				break
			}
			lo = i + 1
		}
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] < to {
			lo = m + 1
		} else {
			hi = m
		}
	}
	t.hintFrom, t.hintAt = from, lo
	if lo < len(keys) && keys[lo] == to {
		return &s.flows[lo], false
	}
	if len(keys) == cap(keys) && t.cfg.IdleRestart {
		if k := t.dropIdle(now, from); k < len(keys) {
			t.hintFrom = -1
			return t.flow(now, from, to) // positions moved
		}
	}
	s.to = slices.Insert(keys, lo, to)
	s.flows = slices.Insert(s.flows, lo, TCPFlow{})
	t.n++
	return &s.flows[lo], false
}

// idle is cfg.Idle for the pair from→to, asking its round trip only
// when the flow has been quiet for less than the longest one sent on.
func (t *Flows) idle(f *TCPFlow, now clock.Time, from, to int32) bool {
	if t.cfg.Idle(f, now, t.maxRTT) {
		return true
	}
	return t.cfg.IdleRestart && now.Sub(f.end) > MinIdleRestart && t.cfg.Idle(f, now, t.rtt(from, to))
}

// dropIdle removes from's flows idle at now, keeping the order, and
// returns how many are left.
func (t *Flows) dropIdle(now clock.Time, from int32) int {
	s := &t.snd[from].table
	k := 0
	for i, to := range s.to {
		if !t.idle(&s.flows[i], now, from, to) {
			s.to[k], s.flows[k] = to, s.flows[i]
			k++
		}
	}
	t.n -= len(s.to) - k
	s.to, s.flows = s.to[:k], s.flows[:k]
	return k
}

// BodyAfterHeader returns how long a body of bodyBytes takes to leave
// (first byte to last) on a connection that was idle, then carried a
// header of headerBytes whose acknowledgement has returned: the relay's
// usual case, a header announced and the body requested a round trip
// later. It is nondecreasing in the round trip. The god's-view bound uses
// it as the body's cost per hop.
func (c *TCPConfig) BodyAfterHeader(headerBytes, bodyBytes int64, p Path) time.Duration {
	var f TCPFlow
	c.Send(&f, 0, max(headerBytes, 1), p)
	first, last := c.Send(&f, clock.Max(f.end, clock.Time(p.RTT)), max(bodyBytes, 1), p)
	return last.Sub(first)
}

// BodyAfterHeaderFunc returns BodyAfterHeader(headerBytes, bodyBytes,
// Path{rtt, bps}) as a function of rtt, fast for the god's-view bound,
// which asks it for every pair of nodes. The body's rounds (their sizes
// and serialisation) do not depend on the round trip while the window
// stays under the cap; then the time is Σ max(RTT, round) over all rounds
// but the last, plus the last's serialisation. Otherwise it falls back to
// BodyAfterHeader.
func (c *TCPConfig) BodyAfterHeaderFunc(headerBytes, bodyBytes, bps int64) func(rtt time.Duration) time.Duration {
	headerBytes, bodyBytes = max(headerBytes, 1), max(bodyBytes, 1)
	full := SerialisationDelay(c.SegmentBytes, bps)
	// Rounds of the body after a header on a fresh flow, without a cap
	// (and without the fixed receive window, if any, which we check).
	var rounds []time.Duration
	// The header's round is acknowledged when the body starts, so the
	// body's first window is the initial one plus the header.
	w := c.SegmentBytes*c.InitialWindow + headerBytes
	largest := w
	for rem := bodyBytes; rem > 0; {
		n := min(w, rem)
		rounds = append(rounds, segCost(n, c.SegmentBytes, full, bps))
		largest = max(largest, w)
		rem -= n
		w += n
	}
	slow := func(rtt time.Duration) time.Duration {
		return c.BodyAfterHeader(headerBytes, bodyBytes, Path{RTT: rtt, BitsPerSecond: bps})
	}
	if headerBytes > c.SegmentBytes*c.InitialWindow || c.ReceiveWindow > 0 && c.ReceiveWindow < largest {
		return slow
	}
	return func(rtt time.Duration) time.Duration {
		if c.ReceiveWindow == 0 && bps > 0 && bdp(Path{RTT: rtt, BitsPerSecond: bps}) < largest {
			return slow(rtt)
		}
		var t time.Duration
		for _, d := range rounds[:len(rounds)-1] {
			t += max(rtt, d)
		}
		return t + rounds[len(rounds)-1]
	}
}
