package node

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// PeerID names a peer: the simulation's node id.
type PeerID = int32

// ChurnMode mirrors the block-fetch mode that churn and the hot-demotion
// policy read from consensus at every step (spec/governor.md §3.1, §4.3).
type ChurnMode uint8

// The churn modes.
const (
	// ChurnDeadline is FetchModeDeadline: the node is caught up.
	ChurnDeadline ChurnMode = iota
	// ChurnBulkSync is FetchModeBulkSync: the node is syncing.
	ChurnBulkSync
	// ChurnGenesis is GenesisFetchMode.
	ChurnGenesis
)

// String returns the mode's name.
func (c ChurnMode) String() string {
	switch c {
	case ChurnDeadline:
		return "deadline"
	case ChurnBulkSync:
		return "bulk-sync"
	case ChurnGenesis:
		return "genesis"
	}
	return fmt.Sprintf("ChurnMode(%d)", uint8(c))
}

// MetricsConfig configures peer metrics.
type MetricsConfig struct {
	// MaxSlots is maxEntriesToTrack: how many slots that had blocks each
	// table keeps (spec/governor.md §4.1).
	MaxSlots int
	// MarginCap caps one slot's header margin (see Metrics.HeaderMargin)
	// and is the margin of a slot whose header came from one peer only;
	// 0 means DefaultMarginCap.
	MarginCap time.Duration
}

// DefaultMarginCap is the MarginCap used when the configuration leaves it
// 0: longer than a header's one-way latency on any path, so only a slot
// where no other peer came close reaches it, and one such slot cannot
// outweigh many close wins.
const DefaultMarginCap = time.Second

// MaxMetricsSlots bounds MetricsConfig.MaxSlots; each table preallocates
// that many entries per node.
const MaxMetricsSlots = 1 << 16

// DefaultMetricsConfig returns the production configuration: 180 slots,
// about an hour of mainnet blocks at one per 20 s (peerMetricsConfiguration
// in ON/Diffusion/Policies.hs, spec/governor.md §4.1).
func DefaultMetricsConfig() MetricsConfig {
	return MetricsConfig{MaxSlots: 180, MarginCap: DefaultMarginCap}
}

// Check returns nil for a usable configuration, or an error naming the bad
// field, its value and the accepted range.
func (c MetricsConfig) Check() error {
	if c.MaxSlots < 1 || c.MaxSlots > MaxMetricsSlots {
		return fmt.Errorf("peer metrics: MaxSlots %d: accepted 1 to %d", c.MaxSlots, MaxMetricsSlots)
	}
	if c.MarginCap < 0 {
		return fmt.Errorf("peer metrics: MarginCap %v: accepted ≥ 0 (0 = the default %v)", c.MarginCap, DefaultMarginCap)
	}
	return nil
}

// Metrics is one node's peer metrics (spec/governor.md §4,
// ON/PeerSelection/PeerMetric.hs): which peer delivered each recent block's
// header and body first, and when each peer joined the board. The hot
// demotion policy orders hot peers by it.
//
// Two windowed tables (headers, bodies) keep one entry per slot in a ring
// sorted by slot, so the usual event (the newest slot, or one already
// tracked) costs a binary search; an out-of-order slot costs a shift within
// the ring. Per-peer win counts are kept incrementally in a slice sorted by
// peer id, so reading a score never iterates a map. Nothing allocates in the
// steady state.
//
// The per-peer state is kept in parallel slices sorted by peer id (ids,
// seen, joined, wins) rather than one record per peer: a report reads a
// peer's id and last-seen slot only, and touches a peer's joined-at slot
// or win counts rarely (a new peer, a win), so a batch of reports touches
// a few cache lines of ids and seen instead of every peer's whole record.
//
// Applying a report touches this node's tables and records, which in a
// 10,000-node run are not in the cache when reports of all nodes
// interleave: several cache misses per report. So reports are queued and
// applied in batches of metricsBatch, in arrival order, before any read
// (every exported method applies the queue first), which gives exactly
// the state of applying each at once while a batch's reports, mostly about
// the same few slots and hot peers, share their cache lines. Each table
// also caches its oldest slot (the board's threshold is read per report)
// and the ids are searched in their own dense slice.
type Metrics struct {
	queue   []pendingReport // reports not yet applied, oldest first
	headers metricTable
	fetches metricTable
	// The registry and win counts: an entry for every peer that has a
	// win in a table, a joined-at slot or a last-seen slot, sorted by id
	// (ids); no entry is empty. seen[i] and joined[i] are ids[i]'s
	// last-seen and joined-at slots, or noSlot; wins[i] its win counts.
	ids    []PeerID
	seen   []int64
	joined []int64
	wins   []peerWins
	hint   [256]uint8 // see find
	// regMin is a lower bound of every joined-at and last-seen slot, so
	// the registry is scanned for pruning only when something may go.
	regMin    int64
	marginCap clock.Time
	keys      []demoteKey // scratch of HotDemotionOrder
	// log, when set, holds this node's (number logNode) queued reports
	// instead of queue (MetricsLog).
	log     *MetricsLog
	logNode int32
}

// metricsBatch is how many reports Metrics queues before applying them: a
// batch stays in a few KB per node.
const metricsBatch = 128

// pendingReport is a queued report: a header if bytes < 0, else a body.
type pendingReport struct {
	slot  int64
	at    clock.Time
	peer  PeerID
	bytes int32
}

// MaxBodyBytes bounds the bytes of a body report (BodyArrived).
const MaxBodyBytes = math.MaxInt32

// metricEntry is the earliest report for one slot. A header entry also
// keeps the earliest report from any other peer (at2, valid if has2), for
// the header margin; body entries leave it unset.
type metricEntry struct {
	slot  int64
	peer  PeerID
	has2  bool
	at    clock.Time
	at2   clock.Time
	bytes int64
}

// metricTable is a ring of at most len(buf) entries sorted by slot, oldest
// at head.
type metricTable struct {
	buf   []metricEntry
	head  int
	n     int
	first int64 // the oldest entry's slot, valid if n > 0
}

// noSlot marks an absent joined-at or last-seen entry (slots are ≥ 0).
const noSlot = -1

// peerWins is a peer's win counts over the tables.
type peerWins struct {
	upstream int32 // header wins
	blocks   int32 // body wins
	bytes    int64 // bytes of the body wins
}

func (w peerWins) zero() bool { return w == peerWins{} }

// score is the hot-demotion score of spec/governor.md §4.3: header plus
// body wins in deadline mode, bytes of body wins in bulk sync and Genesis.
func (w peerWins) score(mode ChurnMode) int64 {
	if mode == ChurnDeadline {
		return int64(w.upstream) + int64(w.blocks)
	}
	return w.bytes
}

// empty reports whether entry i has nothing left: no win, not registered.
func (m *Metrics) empty(i int) bool {
	// Wins first: they are on the line credit just wrote.
	return m.wins[i].zero() && m.seen[i] == noSlot && m.joined[i] == noSlot
}

// NewMetrics returns empty metrics, or an error if cfg fails Check.
func NewMetrics(cfg MetricsConfig) (*Metrics, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	mc := cfg.MarginCap
	if mc == 0 {
		mc = DefaultMarginCap
	}
	return &Metrics{
		queue:     make([]pendingReport, 0, metricsBatch),
		headers:   metricTable{buf: make([]metricEntry, cfg.MaxSlots)},
		fetches:   metricTable{buf: make([]metricEntry, cfg.MaxSlots)},
		regMin:    math.MaxInt64,
		marginCap: clock.Time(mc),
	}, nil
}

// HeaderArrived records that peer delivered, via chain-sync, the header of
// the block of slot at time at. It panics if slot is negative (slots count
// from 0).
func (m *Metrics) HeaderArrived(slot int64, peer PeerID, at clock.Time) {
	m.push(pendingReport{slot: slot, peer: peer, at: at, bytes: -1})
}

// BodyArrived records that peer delivered, via block-fetch, the body
// (bytes long) of the block of slot at time at. It panics if slot is
// negative or bytes is outside 0…MaxBodyBytes.
func (m *Metrics) BodyArrived(slot int64, peer PeerID, bytes int64, at clock.Time) {
	checkBodyBytes(bytes)
	m.push(pendingReport{slot: slot, peer: peer, at: at, bytes: int32(bytes)})
}

// push queues a report, applying the queue when it is full.
func (m *Metrics) push(r pendingReport) {
	if r.slot < 0 {
		panic(fmt.Sprintf("node: peer metrics event at slot %d", r.slot))
	}
	m.queue = append(m.queue, r)
	// Fed by a log too, it applies at once, after the log's reports, so
	// that reports fed both ways keep their order.
	if len(m.queue) >= metricsBatch || m.log != nil {
		m.flush()
	}
}

// flush applies the queued reports in order: those in the log first (a
// report is queued directly only once the log's are applied).
func (m *Metrics) flush() {
	if m.log != nil {
		m.log.flushNode(m.logNode)
	}
	m.apply(m.queue)
	m.queue = m.queue[:0]
}

// apply applies reports in order. A batch holds runs of header reports of
// one slot (a block's header from each hot peer); after the first of a
// run, when the header table holds the slot and the board's threshold is
// below every registry entry (so below the slot, which the first entered
// into regMin), the rest of the run takes a shorter path with the same
// effect: nothing in the run changes the tables' slots, so the threshold
// stays and nothing is pruned, and the slot's entry stays where it is.
func (m *Metrics) apply(rs []pendingReport) {
	for k := 0; k < len(rs); k++ {
		r := &rs[k]
		if r.bytes >= 0 {
			m.event(&m.fetches, metricEntry{slot: r.slot, peer: r.peer, at: r.at, bytes: int64(r.bytes)})
			continue
		}
		m.event(&m.headers, metricEntry{slot: r.slot, peer: r.peer, at: r.at})
		s := r.slot
		if k+1 == len(rs) || rs[k+1].bytes >= 0 || rs[k+1].slot != s || m.threshold() >= m.regMin {
			continue
		}
		i, found := m.headers.search(s)
		if !found {
			continue
		}
		for k+1 < len(rs) && rs[k+1].bytes < 0 && rs[k+1].slot == s {
			k++
			m.see(s, rs[k].peer)
			m.recordFound(&m.headers, i, metricEntry{slot: s, peer: rs[k].peer, at: rs[k].at})
		}
	}
}

// MetricsLog queues the peer-metrics reports of many nodes (0 to n-1) in a
// few shared queues, one per group of consecutive nodes, instead of each
// node's own. In a 10,000-node run a report to a node's own queue misses the
// cache twice (the Metrics and its queue: 28 % of a production-10k.yaml
// profile), while the log's queue ends, about 80, stay in the cache. A
// group's queue is applied when full, and before any read of the metrics
// of one of its nodes (every exported Metrics method applies pending
// reports first), sorted by node stably, so each node's reports are
// applied in their order and in batches: every read sees exactly the state
// of applying each report at once (TestMetricsLogExact).
type MetricsLog struct {
	groupShift uint // a group is 1<<groupShift consecutive nodes
	groupNodes int
	groupCap   int
	groups     []logGroup
	nodes      []logNode
	count      []int32 // scratch of flushGroup
	sorted     []pendingReport
	chain      []int32 // scratch of flushNode
}

// logNode is a node's entry in a MetricsLog: the metrics its queued
// reports are for, and the index of its newest report in its group's
// queue, or -1 (a node's reports are chained by logGroup.prev). One
// struct, so that a report reads one line for both.
type logNode struct {
	owner *Metrics
	last  int32
}

// logGroup is one group's queue. Its entries are 16 bytes, half a
// pendingReport: writing the queue misses the cache (tens of MB of queues
// in production-10k.yaml), so an entry's size is its cost.
type logGroup struct {
	q    []logEntry
	prev []uint16 // prev[i] is the index of the previous report of entry i's node, or noPrev
	base int64    // the slot that entries' slot offsets count from
}

// logEntry is a queued report. meta packs, from bit 0: a body flag; an
// applied flag (flushNode applied it); the node's index in its group
// (metaNodeBits); the slot as a biased offset from the group's base. A body
// takes two entries, the second holding its bytes in at.
type logEntry struct {
	at   clock.Time
	peer PeerID
	meta uint32
}

const (
	metaBody      = 1
	metaApplied   = 2
	metaNodeShift = 2
	metaNodeBits  = 7
	metaSlotShift = metaNodeShift + metaNodeBits
	metaSlotBias  = 1 << (31 - metaSlotShift) // offsets −bias … bias−1
	noPrev        = math.MaxUint16
	maxGroupShift = metaNodeBits
	maxGroupCap   = noPrev - 1 // entries; noPrev is not an index
)

// Sizes of a MetricsLog's groups: 128 nodes share a queue of 16,384
// entries (256 KB), about 128 reports per node per batch. Larger batches
// amortise more of a node's cache misses over its reports; the log's own
// writes miss the cache whatever its size.
const (
	logGroupShift = 7
	logGroupCap   = 16384
)

// NewMetricsLog returns an empty log for nodes 0 to n-1.
func NewMetricsLog(n int) *MetricsLog { return newMetricsLog(n, logGroupShift, logGroupCap) }

func newMetricsLog(n int, groupShift uint, groupCap int) *MetricsLog {
	if groupShift > maxGroupShift || groupCap < 2 || groupCap > maxGroupCap {
		panic(fmt.Sprintf("node: metrics log groups of 2^%d nodes and %d entries", groupShift, groupCap))
	}
	groupNodes := 1 << groupShift
	return &MetricsLog{
		groupShift: groupShift, groupNodes: groupNodes, groupCap: groupCap,
		groups: make([]logGroup, (n+groupNodes-1)/groupNodes),
		nodes:  slices.Repeat([]logNode{{last: -1}}, n),
		count:  make([]int32, groupNodes+1),
	}
}

// HeaderArrived queues Metrics.HeaderArrived(slot, peer, at) for node's
// metrics m. A node's metrics may change (a restart makes new ones): the
// reports queued for the old ones are applied to them first. It panics if
// m is fed by another log or for another node, or on a negative slot.
func (l *MetricsLog) HeaderArrived(node int32, m *Metrics, slot int64, peer PeerID, at clock.Time) {
	l.push(node, m, pendingReport{slot: slot, peer: peer, at: at, bytes: -1})
}

// BodyArrived queues Metrics.BodyArrived(slot, peer, bytes, at) for node's
// metrics m, as HeaderArrived.
func (l *MetricsLog) BodyArrived(node int32, m *Metrics, slot int64, peer PeerID, bytes int64, at clock.Time) {
	checkBodyBytes(bytes)
	l.push(node, m, pendingReport{slot: slot, peer: peer, at: at, bytes: int32(bytes)})
}

func checkBodyBytes(bytes int64) {
	if bytes < 0 || bytes > MaxBodyBytes {
		panic(fmt.Sprintf("node: BodyArrived with %d bytes: accepted 0…%d", bytes, MaxBodyBytes))
	}
}

func (l *MetricsLog) push(node int32, m *Metrics, r pendingReport) {
	if r.slot < 0 {
		panic(fmt.Sprintf("node: peer metrics event at slot %d", r.slot))
	}
	ln := &l.nodes[node]
	if ln.owner != m {
		if m.log != nil && (m.log != l || m.logNode != node) {
			panic(fmt.Sprintf("node: metrics of node %d fed as node %d's", m.logNode, node))
		}
		l.flushNode(node)
		m.flush() // its own queue goes first
		ln.owner, m.log, m.logNode = m, l, node
	}
	g := &l.groups[int(node)>>l.groupShift]
	if g.q == nil {
		g.q = make([]logEntry, 0, l.groupCap)
		g.prev = make([]uint16, 0, l.groupCap)
	}
	off := r.slot - g.base
	if len(g.q)+2 > l.groupCap || off < -metaSlotBias || off >= metaSlotBias {
		l.flushGroup(node)
	}
	if len(g.q) == 0 {
		g.base, off = r.slot, 0
	}
	meta := uint32(off+metaSlotBias)<<metaSlotShift | uint32(node&(1<<l.groupShift-1))<<metaNodeShift
	prev := uint16(noPrev)
	if k := ln.last; k >= 0 {
		prev = uint16(k)
	}
	ln.last = int32(len(g.q))
	if r.bytes < 0 {
		g.q = append(g.q, logEntry{at: r.at, peer: r.peer, meta: meta})
		g.prev = append(g.prev, prev)
		return
	}
	meta |= metaBody
	g.q = append(g.q, logEntry{at: r.at, peer: r.peer, meta: meta}, logEntry{at: clock.Time(r.bytes), meta: meta})
	g.prev = append(g.prev, prev, noPrev)
}

// report decodes the report that starts at entry i of g's queue.
func (g *logGroup) report(i int) pendingReport {
	e := &g.q[i]
	r := pendingReport{slot: g.base + int64(e.meta>>metaSlotShift) - metaSlotBias, at: e.at, peer: e.peer, bytes: -1}
	if e.meta&metaBody != 0 {
		r.bytes = int32(g.q[i+1].at)
	}
	return r
}

// flushNode applies node's queued reports alone, in order, following its
// chain through the group's queue, and marks them applied. A read (the
// governor demoting hot peers, a calibration) flushes only the reading
// node: flushing its whole group would apply the other nodes' few reports
// in small batches, which costs the cache misses the batching saves
// (a read-triggered group flush averaged about 5 reports per node in
// production-10k.yaml).
func (l *MetricsLog) flushNode(node int32) {
	k := l.nodes[node].last
	if k < 0 {
		return
	}
	g := &l.groups[int(node)>>l.groupShift]
	ch := l.chain[:0]
	for ; k != noPrev; k = int32(g.prev[k]) {
		ch = append(ch, k)
	}
	rs := l.sorted[:0]
	for i := len(ch) - 1; i >= 0; i-- {
		rs = append(rs, g.report(int(ch[i])))
		g.q[ch[i]].meta |= metaApplied
	}
	l.nodes[node].last = -1
	l.chain, l.sorted = ch, rs
	l.nodes[node].owner.apply(rs)
}

// flushGroup applies the queued reports of node's group, by a counting
// sort on the node, which keeps each node's reports in order; reports
// flushNode applied are skipped.
func (l *MetricsLog) flushGroup(node int32) {
	gi := int(node) >> l.groupShift
	g := &l.groups[gi]
	q := g.q
	if len(q) == 0 {
		return
	}
	const nodeMask = 1<<metaNodeBits - 1
	cnt := l.count
	clear(cnt)
	live := 0
	for i := 0; i < len(q); i++ {
		meta := q[i].meta
		if meta&metaApplied == 0 {
			cnt[meta>>metaNodeShift&nodeMask+1]++
			live++
		}
		if meta&metaBody != 0 {
			i++ // the bytes entry
		}
	}
	for k := 1; k < len(cnt); k++ {
		cnt[k] += cnt[k-1]
	}
	l.sorted = slices.Grow(l.sorted[:0], live)[:live]
	for i := 0; i < len(q); i++ {
		meta := q[i].meta
		if meta&metaApplied == 0 {
			k := meta >> metaNodeShift & nodeMask
			l.sorted[cnt[k]] = g.report(i)
			cnt[k]++
		}
		if meta&metaBody != 0 {
			i++
		}
	}
	g.q, g.prev = q[:0], g.prev[:0]
	base := int32(gi * l.groupNodes)
	for k := base; k < base+int32(l.groupNodes) && int(k) < len(l.nodes); k++ {
		l.nodes[k].last = -1
	}
	start := int32(0)
	for k, end := range cnt[:l.groupNodes] {
		if end > start {
			l.nodes[base+int32(k)].owner.apply(l.sorted[start:end])
		}
		start = end
	}
}

// event applies one report in the reference order: the registry first
// (prune, insert, witness), then the table (spec/governor.md §4.1;
// peerRegistryTracer runs before metricsTracer in PeerMetric.hs).
func (m *Metrics) event(t *metricTable, e metricEntry) {
	m.register(e.slot, e.peer)
	m.record(t, e)
}

// threshold is the oldest slot on the board: the older of the two tables'
// oldest slots, or 0 while either table is empty (as PeerMetric.hs's
// afterSlot computes it).
func (m *Metrics) threshold() int64 {
	h, okh := m.headers.oldest()
	f, okf := m.fetches.oldest()
	if !okh || !okf {
		return 0
	}
	return min(h, f)
}

// register maintains the joined-at and last-seen registries
// (spec/governor.md §4.1). Entries at or before the board's oldest slot are
// pruned first: the spec says "older than"; the reference (atMostView)
// drops slots ≤ the oldest, which we follow. A peer is registered as
// joining now only if it is in neither registry, so a peer still seen on
// the board is not new again even after its joined-at entry was pruned.
// The last-seen slot is the slot of the peer's latest report.
func (m *Metrics) register(slot int64, peer PeerID) {
	if th := m.threshold(); th >= m.regMin {
		m.prune(th)
	}
	m.see(slot, peer)
}

// see is register after the pruning.
func (m *Metrics) see(slot int64, peer PeerID) {
	i := m.ensure(peer)
	if m.seen[i] == noSlot && m.joined[i] == noSlot {
		m.joined[i] = slot
	}
	m.seen[i] = slot
	m.regMin = min(m.regMin, slot)
}

// prune drops joined-at and last-seen entries at or before th, drops
// records left empty, and recomputes regMin. Because it runs only when
// th ≥ regMin, and each run either drops an entry or tightens a bound
// that a peer's newer report left stale, it runs about once per new slot.
func (m *Metrics) prune(th int64) {
	lo := int64(math.MaxInt64)
	k := 0
	for j := range m.ids {
		jn, sn := m.joined[j], m.seen[j]
		if jn <= th {
			jn = noSlot
		}
		if sn <= th {
			sn = noSlot
		}
		if jn != noSlot {
			lo = min(lo, jn)
		}
		if sn != noSlot {
			lo = min(lo, sn)
		}
		if jn != noSlot || sn != noSlot || !m.wins[j].zero() {
			m.ids[k], m.seen[k], m.joined[k], m.wins[k] = m.ids[j], sn, jn, m.wins[j]
			k++
		}
	}
	m.ids, m.seen, m.joined, m.wins = m.ids[:k], m.seen[:k], m.joined[:k], m.wins[:k]
	m.regMin = lo
}

// record applies a report to a table (spec/governor.md §4.1): one entry per
// slot, the earliest report wins and a later report replaces it only if
// strictly earlier; a new slot enters the window and pushes out the oldest
// when full, unless it is older than the whole window, when it is ignored.
// A header entry's second arrival is the earliest report of the slot from
// a peer other than the winner: a new winner's runner-up is the old winner,
// whose time was the earliest so far.
func (m *Metrics) record(t *metricTable, e metricEntry) {
	fetch := t == &m.fetches
	i, found := t.search(e.slot)
	if found {
		m.recordFound(t, i, e)
		return
	}
	if t.n == len(t.buf) {
		if i == 0 {
			return
		}
		m.credit(*t.at(0), fetch, -1)
		t.dropOldest()
		i--
	}
	t.insertAt(i, e)
	m.credit(e, fetch, 1)
}

// recordFound is record for a slot the table holds at position i.
func (m *Metrics) recordFound(t *metricTable, i int, e metricEntry) {
	fetch := t == &m.fetches
	old := t.at(i)
	if old.at <= e.at {
		if !fetch && e.peer != old.peer && (!old.has2 || e.at < old.at2) {
			old.at2, old.has2 = e.at, true
		}
		return
	}
	prev := *old
	*old = e
	if !fetch {
		if e.peer != prev.peer {
			old.at2, old.has2 = prev.at, true
		} else {
			old.at2, old.has2 = prev.at2, prev.has2
		}
	}
	if e.peer == prev.peer && !fetch {
		return // the same peer, only earlier: the wins are unchanged
	}
	m.credit(prev, fetch, -1)
	m.credit(e, fetch, 1)
}

// credit adds (sign 1) or removes (sign -1) a win of e's peer.
func (m *Metrics) credit(e metricEntry, fetch bool, sign int32) {
	i, ok := m.find(e.peer)
	if !ok {
		panic(fmt.Sprintf("node: peer metrics lost the record of peer %d", e.peer))
	}
	w := &m.wins[i]
	if fetch {
		w.blocks += sign
		w.bytes += int64(sign) * e.bytes
	} else {
		w.upstream += sign
	}
	if sign < 0 && m.empty(i) {
		m.ids = slices.Delete(m.ids, i, i+1)
		m.seen = slices.Delete(m.seen, i, i+1)
		m.joined = slices.Delete(m.joined, i, i+1)
		m.wins = slices.Delete(m.wins, i, i+1)
	}
}

// find returns the index of peer's entry, or where it would go. A
// report's peer is usually one of the node's twenty-odd hot peers, whose
// index the hint remembers (direct-mapped by id; 256 slots, as with 64 a
// third of the hot peers shared a slot with another and missed): a hit
// costs two loads instead of a binary search's mispredicted branches. A
// hint is checked against ids before use, so an insertion or deletion that
// moved the entries leaves only misses behind.
func (m *Metrics) find(peer PeerID) (int, bool) {
	ids := m.ids
	h := &m.hint[uint32(peer)%uint32(len(m.hint))]
	if i := int(*h); i < len(ids) && ids[i] == peer {
		return i, true
	}
	lo, hi := 0, len(ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ids[mid] < peer {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	found := lo < len(ids) && ids[lo] == peer
	if found && lo <= math.MaxUint8 {
		*h = uint8(lo)
	}
	return lo, found
}

// ensure returns the index of peer's entry, adding an empty one (which
// the caller must fill) if absent.
func (m *Metrics) ensure(peer PeerID) int {
	i, ok := m.find(peer)
	if !ok {
		m.ids = slices.Insert(m.ids, i, peer)
		m.seen = slices.Insert(m.seen, i, noSlot)
		m.joined = slices.Insert(m.joined, i, noSlot)
		m.wins = slices.Insert(m.wins, i, peerWins{})
	}
	return i
}

func (t *metricTable) at(i int) *metricEntry {
	j := t.head + i
	if j >= len(t.buf) {
		j -= len(t.buf)
	}
	return &t.buf[j]
}

func (t *metricTable) oldest() (int64, bool) { return t.first, t.n > 0 }

// search returns the position of slot in the table, or where it would go.
// The newest slot is checked first: most reports are for it.
func (t *metricTable) search(slot int64) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	if last := t.at(t.n - 1).slot; slot >= last {
		if slot == last {
			return t.n - 1, true
		}
		return t.n, false
	}
	lo, hi := 0, t.n-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if t.at(mid).slot < slot {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, t.at(lo).slot == slot
}

func (t *metricTable) dropOldest() {
	t.head++
	if t.head == len(t.buf) {
		t.head = 0
	}
	t.n--
	if t.n > 0 {
		t.first = t.buf[t.head].slot
	}
}

// insertAt puts e at position i, shifting the newer entries up; the table
// must not be full.
func (t *metricTable) insertAt(i int, e metricEntry) {
	for k := t.n; k > i; k-- {
		*t.at(k) = *t.at(k - 1)
	}
	*t.at(i) = e
	t.n++
	if i == 0 {
		t.first = e.slot
	}
}

// Upstreamyness returns the number of tracked slots in which p delivered
// the header first (spec/governor.md §4.2).
func (m *Metrics) Upstreamyness(p PeerID) int {
	m.flush()
	if i, ok := m.find(p); ok {
		return int(m.wins[i].upstream)
	}
	return 0
}

// HeaderMargin returns by how much p led the other peers with headers in
// the tracked slots, the score of the SCRamble paper (spec/research.md):
// the sum, over the slots whose header p delivered first, of
// min(t2 − t1, MarginCap), where t1 is p's arrival time and t2 the earliest
// arrival of the slot's header from another peer; a slot with no other
// arrival counts MarginCap. It scans the header window (at most MaxSlots
// entries), which suits periodic calibration, not a call per event.
func (m *Metrics) HeaderMargin(p PeerID) time.Duration {
	m.flush()
	var sum clock.Time
	t := &m.headers
	for i := range t.n {
		e := t.at(i)
		if e.peer != p {
			continue
		}
		d := m.marginCap
		if e.has2 {
			d = min(e.at2-e.at, d)
		}
		sum += d
	}
	return time.Duration(sum)
}

// FetchynessBlocks returns the number of tracked slots in which p
// delivered the body first (spec/governor.md §4.2).
func (m *Metrics) FetchynessBlocks(p PeerID) int {
	m.flush()
	if i, ok := m.find(p); ok {
		return int(m.wins[i].blocks)
	}
	return 0
}

// FetchynessBytes returns the bytes of the bodies p delivered first in the
// tracked slots (spec/governor.md §4.2).
func (m *Metrics) FetchynessBytes(p PeerID) int64 {
	m.flush()
	if i, ok := m.find(p); ok {
		return m.wins[i].bytes
	}
	return 0
}

// JoinedAt returns the slot at which p joined the board, if p is in the
// peer registry (spec/governor.md §4.1).
func (m *Metrics) JoinedAt(p PeerID) (slot int64, ok bool) {
	m.flush()
	if i, found := m.find(p); found && m.joined[i] != noSlot {
		return m.joined[i], true
	}
	return 0, false
}

// Len returns the number of slots tracked in the header and the body
// table; each is at most MaxSlots.
func (m *Metrics) Len() (headers, bodies int) {
	m.flush()
	return m.headers.n, m.fetches.n
}

// PeerScore is one peer's entry in the hot-demotion score map
// (spec/governor.md §4.3).
type PeerScore struct {
	Peer  PeerID
	Score int64
	// Joined is the joined-at slot, valid if HasJoined.
	Joined    int64
	HasJoined bool
}

// Scores appends to dst the score map of mode, sorted by peer id, and
// returns it. Like the reference, the map holds every peer with a win
// counted by the mode and every registered peer; a registered peer with no
// wins scores 0, because the newcomer correction adjustAvg is disabled
// (spec/governor.md §4.2). A peer absent from the map sorts as (0, none).
func (m *Metrics) Scores(mode ChurnMode, dst []PeerScore) []PeerScore {
	m.flush()
	for i := range m.ids {
		w := m.wins[i]
		wins := w.blocks > 0
		if mode == ChurnDeadline {
			wins = wins || w.upstream > 0
		}
		if !wins && m.joined[i] == noSlot {
			continue
		}
		s := PeerScore{Peer: m.ids[i], Score: w.score(mode)}
		if j := m.joined[i]; j != noSlot {
			s.Joined, s.HasJoined = j, true
		}
		dst = append(dst, s)
	}
	return dst
}

// demoteKey is a candidate's sort key in HotDemotionOrder.
type demoteKey struct {
	score     int64
	joined    int64
	hasJoined bool
	r         uint32
	peer      PeerID
}

// cmpDemoteKey orders by (score; joined slot, none first; r), ascending
// (spec/governor.md §4.3); the peer id breaks ties of r, as the stable sort
// over the reference's id-ordered map does.
func cmpDemoteKey(a, b demoteKey) int {
	switch {
	case a.score != b.score:
		return cmpInt64(a.score, b.score)
	case a.hasJoined != b.hasJoined:
		if a.hasJoined {
			return 1
		}
		return -1
	case a.joined != b.joined:
		return cmpInt64(a.joined, b.joined)
	case a.r != b.r:
		if a.r < b.r {
			return -1
		}
		return 1
	}
	return cmpInt64(int64(a.peer), int64(b.peer))
}

func cmpInt64(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// HotDemotionOrder appends the distinct candidates to dst in hot-demotion
// order, first demoted first, and returns it; the governor demotes a
// prefix. The key is that of simpleChurnModePeerSelectionPolicy
// (spec/governor.md §4.3): the mode's score, a peer outside the score map
// counting 0; then the joined-at slot, no entry first and earlier joins
// next, so that newer peers, whose results are less certain, are kept; then
// a fresh uniform uint32 per candidate. The numbers are drawn from rng (which
// must not be nil) in ascending peer-id order, one per distinct candidate,
// so the result depends on the set of candidates, not on their order.
// It allocates only when dst or its scratch grows.
func (m *Metrics) HotDemotionOrder(mode ChurnMode, candidates []PeerID, rng *rand.Rand, dst []PeerID) []PeerID {
	m.flush()
	start := len(dst)
	dst = append(dst, candidates...)
	slices.Sort(dst[start:])
	out := slices.Compact(dst[start:])
	dst = dst[:start+len(out)]
	keys := m.keys[:0]
	for _, p := range out {
		k := demoteKey{peer: p, r: rng.Uint32()}
		if i, ok := m.find(p); ok {
			k.score = m.wins[i].score(mode)
			if j := m.joined[i]; j != noSlot {
				k.joined, k.hasJoined = j, true
			}
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpDemoteKey)
	for i := range keys {
		out[i] = keys[i].peer
	}
	m.keys = keys
	return dst
}
