package world

import (
	"fmt"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
)

// mirror is what the world keeps of the relays to decide, at send time,
// which announcements it need not deliver (sendHeader): per node a
// receiver (its tip, a brief of its work list, its hot-link epoch), and
// the log of announcements skipped while a node was fetching the block,
// to replay if that fetch is lost. Its exactness is what lets the world
// skip events: check compares it with the nodes, and the world's tests and
// the swarm compare skipping against delivering every header
// (Config.ExactHeaders).
type mirror struct {
	// everyHeader turns off the skipping of redundant header events
	// (sendHeader; Config.ExactHeaders).
	everyHeader bool
	// skipped lists the announcements not scheduled because the receiver
	// was fetching the block (sendHeader), in sending order, from
	// skipped[skipHead]; entries before skipHead have arrived or were
	// discarded. One shared log rather than a list per receiver: an append
	// to it stays in the cache, while one to a per-receiver list missed it;
	// replays, which scan it, are rare and find it short (what is in
	// flight).
	skipped  []skippedHeader
	skipHead int
	// rx[i] is what an announcement to node i reads (receiver).
	rx []receiver
	// checkMarks checks every header event's hot mark against the
	// upstream lists, and the work mirror against the node
	// (Config.CheckEvents).
	checkMarks bool
	// replayed counts the skipped announcements scheduled after all.
	replayed int64
	// warmed takes warm's reads, so that they are not optimised away.
	warmed node.BlockID
}

// receiver holds, on one cache line, what sendHeader reads about the
// receiving node, so that an announcement (about 1.1 G in a 10,000-node
// day) touches one line instead of a slice each, or the node itself:
//
//   - tip mirrors Nodes[i].Tip() (kept by apply on Adopt), for the most
//     common skip;
//   - fetching mirrors Nodes[i].WorkBrief(): whether the node's work
//     list is empty, holds one block (which) or more, so the node itself
//     is asked only in the last, rare case (inWork); nodeInput and the
//     other callers of the node's handlers keep it (brief);
//   - down: crashed (Dynamic P2P);
//   - epoch changes whenever a hot link of the node ends (stillHot);
//   - metrics are the node's peer metrics (Dynamic P2P).
type receiver struct {
	tip      node.BlockID
	fetching node.BlockID
	epoch    uint32
	down     bool
	metrics  *node.Metrics
	// pend is the block of the earliest header event scheduled to this
	// node from announce, arriving at pendAt (see announce).
	pend   node.BlockID
	pendAt clock.Time
}

// skippedHeader is an announcement of block from peer from to node to
// that would have arrived at at; to is -1 once the entry is discarded.
type skippedHeader struct {
	at    clock.Time
	block node.BlockID
	from  int32
	to    int32
}

// check returns the first node whose mirror differs from it (its tip or
// the brief of its work list), or nil. Down nodes are skipped: their
// mirror is rebuilt at restart.
func (m *mirror) check(nodes []*node.Node) error {
	for i, n := range nodes {
		r := &m.rx[i]
		if r.down {
			continue
		}
		if r.tip != n.Tip() {
			return fmt.Errorf("node %d: tip %d, mirrored %d", i, n.Tip(), r.tip)
		}
		if r.fetching != n.WorkBrief() {
			return fmt.Errorf("node %d: mirrored work %d, the node's %d", i, r.fetching, n.WorkBrief())
		}
	}
	return nil
}

// remember adds a skipped announcement to the log, first dropping the
// leading entries that can no longer be replayed (arrived or discarded).
// For each receiver the log holds what a list of its own did: entries are
// discarded by replaySkipped only, and an entry of a block that left the
// work list otherwise (the old list's pruning) is never replayed, as the
// block can no longer beat the tip.
func (m *mirror) remember(now clock.Time, h skippedHeader) {
	m.trimSkipped(now)
	if len(m.skipped) == cap(m.skipped) && m.skipHead >= len(m.skipped)/2 {
		n := copy(m.skipped, m.skipped[m.skipHead:])
		m.skipped, m.skipHead = m.skipped[:n], 0
	}
	m.skipped = append(m.skipped, h)
}

// trimSkipped advances skipHead past the leading entries arrived by now or
// discarded, emptying the log when none is left.
func (m *mirror) trimSkipped(now clock.Time) {
	s, k := m.skipped, m.skipHead
	for k < len(s) && (s[k].at <= now || s[k].to < 0) {
		k++
	}
	if k == len(s) {
		m.skipped, k = s[:0], 0
	}
	m.skipHead = k
}
