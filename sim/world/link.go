package world

import (
	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// linkLayer is what differs between the relay graphs a world runs: a
// static graph (staticLink), the governors' hot links of Dynamic P2P
// (p2pLink) and the PolderCast overlay (overlayLink). The relay's events
// call it where the graph decides: whether a header is taken up, who
// learns of a body, whether a request can go, what an adoption sets off,
// and what a skipped announcement still reports.
type linkLayer interface {
	// headerIn is called for a header event before the relay sees it;
	// false drops the header (its link is no longer hot).
	headerIn(ev *sim.Event, b node.BlockID, mark int32) bool
	// bodyIn is called for a body event before the relay sees it.
	bodyIn(ev *sim.Event, b node.BlockID)
	// canRequest reports whether self can send a request to peer now; if
	// not, the layer has done what a lost connection means.
	canRequest(now clock.Time, self, peer int32) bool
	// skipped is called for an announcement not scheduled because its
	// receiver would ignore it (sendHeader), with its arrival time.
	skipped(from, to int32, blk *node.Block, at clock.Time, downstream bool)
	// adopted is called when self adopts b as its tip from peer from
	// (count 1: the block itself, not an ancestor taken with it).
	adopted(now clock.Time, self, from int32, b node.BlockID, count int32)
	// finish reports the layer's counters.
	finish()
}

// staticLink is a fixed relay graph: every link is always usable and
// nothing is measured.
type staticLink struct{}

func (staticLink) headerIn(*sim.Event, node.BlockID, int32) bool         { return true }
func (staticLink) bodyIn(*sim.Event, node.BlockID)                       {}
func (staticLink) canRequest(clock.Time, int32, int32) bool              { return true }
func (staticLink) skipped(int32, int32, *node.Block, clock.Time, bool)   {}
func (staticLink) adopted(clock.Time, int32, int32, node.BlockID, int32) {}
func (staticLink) finish()                                               {}

// p2pLink is Dynamic P2P: headers come over chain-sync, which runs only
// over hot links, and feed the peer metrics, as bodies do; a request
// needs the connection.
type p2pLink struct{ w *World }

func (l p2pLink) headerIn(ev *sim.Event, b node.BlockID, mark int32) bool {
	w := l.w
	replay := mark & 1
	// A replayed header (replaySkipped) was counted at send time.
	hot := w.stillHot(ev.Node, ev.From, mark)
	if w.checkMarks && hot != w.p2p.isHot(ev.Node, ev.From) {
		panicMark(ev, mark, hot)
	}
	if !hot {
		w.stale += int64(1 - replay)
		// Announcements skipped behind this one must come now.
		w.replaySkipped(ev.At, ev.Node)
		return false
	}
	if replay == 0 {
		w.report(node.Report{Node: ev.Node, Slot: w.Chain.Get(b).Slot, Peer: ev.From, At: ev.At, Bytes: -1})
	}
	return true
}

func (l p2pLink) bodyIn(ev *sim.Event, b node.BlockID) {
	w := l.w
	blk := w.Chain.Get(b)
	w.report(node.Report{Node: ev.Node, Slot: blk.Slot, Peer: ev.From, At: ev.At, Bytes: blk.Bytes})
}

func (l p2pLink) canRequest(now clock.Time, self, peer int32) bool {
	w := l.w
	if w.connected(self, peer) {
		return true
	}
	w.dropFrom(now, self, peer) // the connection is gone
	w.unroutable++
	return false
}

func (l p2pLink) skipped(from, to int32, blk *node.Block, at clock.Time, downstream bool) {
	w := l.w
	r := &w.rx[to]
	if r.down {
		return
	}
	if !downstream && !w.p2p.isHot(to, from) {
		w.stale++
		return
	}
	w.report(node.Report{Node: to, Slot: blk.Slot, Peer: from, At: at, Bytes: -1})
}

func (p2pLink) adopted(clock.Time, int32, int32, node.BlockID, int32) {}

func (l p2pLink) finish() {
	l.w.obs.Count(CountHeadersNotHot, l.w.stale)
	l.w.finishP2P()
}

// overlayLink is the PolderCast overlay: it picks each adopted block's
// announcement targets (Forwarder); links are opened on demand.
type overlayLink struct {
	staticLink
	w *World
}

func (l overlayLink) adopted(now clock.Time, self, from int32, b node.BlockID, count int32) {
	w := l.w
	if count != 1 {
		return
	}
	w.fwdDst = w.fwd.Forward(now, self, from, b, w.fwdDst[:0])
	for _, to := range w.fwdDst {
		w.headers++
		w.sendHeader(now, self, to, b)
	}
}

func (l overlayLink) finish() { l.w.finishPolderCast() }
