package node

import (
	"fmt"
	"math"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// MetricsLog queues the peer-metrics reports of many nodes (0 to n-1) in a
// few shared queues, one per group of consecutive nodes, instead of each
// node's own. In a 10,000-node run a report to a node's own queue misses the
// cache twice (the Metrics and its queue), while the log's queue ends,
// about 80, stay in the cache. A group's queue is applied when full, and
// before any read of the metrics of one of its nodes (every exported
// Metrics method applies pending reports first), sorted by node stably, so
// each node's reports are applied in their order and in batches: every
// read sees exactly the state of applying each report at once
// (TestMetricsLogExact).
type MetricsLog struct {
	groupShift uint // a group is 1<<groupShift consecutive nodes
	groupNodes int
	groupCap   int
	groups     []logGroup
	nodes      []logNode
	count      []int32 // scratch of flushGroup
	sorted     []pendingReport
	chain      []int32         // scratch of flushNode
	picked     []pendingReport // scratch of flushNode
	// gate, when set, runs before anything reads the log from outside its
	// reports: a read of a node's metrics (Metrics.flush) or Attach
	// (SetGate).
	gate func()
}

// Report is a peer-metrics report for a MetricsLog: node Node's peer
// Peer delivered the header (Bytes < 0) or the Bytes-long body of the
// block of slot Slot at At. It is 32 bytes and holds no pointer, so a
// batch of them costs the garbage collector nothing.
type Report struct {
	Slot  int64
	At    clock.Time
	Node  int32
	Peer  PeerID
	Bytes int32
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

// Warm reads the entries of nodes and returns a value made of them, for
// a caller about to report to each: the loads are independent, so their
// cache misses overlap, where reports far apart in the caller's loop would
// wait for them one by one. It changes nothing.
func (l *MetricsLog) Warm(nodes []int32) int32 {
	var sum int32
	for _, n := range nodes {
		sum += l.nodes[n].last
	}
	return sum
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

func (l *MetricsLog) push(node int32, m *Metrics, r pendingReport) {
	if l.nodes[node].owner != m {
		l.attach(node, m)
	}
	l.add(node, r)
}

// Attach makes m the metrics that node's reports (Report) feed from now
// on: the reports queued for node's previous metrics are applied to them
// first, then m's own queue. It panics if m is fed by another log or for
// another node.
func (l *MetricsLog) Attach(node int32, m *Metrics) {
	if l.gate != nil {
		l.gate()
	}
	if l.nodes[node].owner != m {
		l.attach(node, m)
	}
}

func (l *MetricsLog) attach(node int32, m *Metrics) {
	if m.log != nil && (m.log != l || m.logNode != node) {
		panic(fmt.Sprintf("node: metrics of node %d fed as node %d's", m.logNode, node))
	}
	l.flushNode(node)
	m.flush() // its own queue goes first
	l.nodes[node].owner, m.log, m.logNode = m, l, node
}

// SetGate sets what runs before the log is read from outside its reports:
// before a read of any node's metrics applies the node's queued reports,
// and at Attach; nil unsets it. A log fed on another goroutine (Apply) is
// read on the caller's: gate is where the caller waits until every
// report made before is in the log and the feeding goroutine is idle.
func (l *MetricsLog) SetGate(gate func()) { l.gate = gate }

// Report queues r for the metrics attached to r.Node (Attach). It panics
// if none are, or on a negative slot.
func (l *MetricsLog) Report(r Report) {
	if l.nodes[r.Node].owner == nil {
		panic(fmt.Sprintf("node: peer metrics report for node %d, which has no metrics attached", r.Node))
	}
	l.add(r.Node, pendingReport{slot: r.Slot, at: r.At, peer: r.Peer, bytes: r.Bytes})
}

// Apply queues the reports rs in order, as Report does each.
func (l *MetricsLog) Apply(rs []Report) {
	for i := range rs {
		l.Report(rs[i])
	}
}

// add queues r for node's attached metrics.
func (l *MetricsLog) add(node int32, r pendingReport) {
	if r.slot < 0 {
		panic(fmt.Sprintf("node: peer metrics event at slot %d", r.slot))
	}
	ln := &l.nodes[node]
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
	rs := l.picked[:0]
	for i := len(ch) - 1; i >= 0; i-- {
		rs = append(rs, g.report(int(ch[i])))
		g.q[ch[i]].meta |= metaApplied
	}
	l.nodes[node].last = -1
	l.chain, l.picked = ch, rs
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
