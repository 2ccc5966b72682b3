package node

// This file freezes the relay as it was before BodyValidationPerKiB and
// Pipelining (commit 25c48ee, node/relay.go), as the reference that
// TestRelayZeroConfigUnchanged compares the relay with when those fields
// are zero. Do not edit it to follow changes of relay.go; the one exception
// is a fix of chain selection both needed (holdOldFork: a fork left in a
// switch is kept while something builds on it), applied here too so that
// the comparison still isolates the new fields.

import (
	"slices"

	"github.com/dpsim/dpsim/clock"
)

type legacyPending struct {
	block BlockID
	from  int32
	state uint8
}

type legacyNode struct {
	tip      BlockID
	ID       int32
	work     []legacyPending
	chain    *Chain
	cfg      RelayConfig
	Peers    []int32
	bodyBusy clock.Time
	path     []BlockID
}

// Restart models a node restart: it keeps its chain (the database
// survives) and forgets blocks in flight and its peers.
func (n *legacyNode) restart() {
	n.work = n.work[:0]
	n.Peers = n.Peers[:0]
}

// DropFrom forgets the blocks the node is still waiting for from peer:
// headers under validation and bodies requested but not received. The
// engine calls it when the connection to peer is lost; the blocks are
// fetched again, with any missing ancestors, from the next announcement.
func (n *legacyNode) dropFrom(peer int32) {
	n.work = slices.DeleteFunc(n.work, func(p legacyPending) bool {
		return p.from == peer && (p.state == stHeader || p.state == stRequested)
	})
}

// Tip returns the tip of the node's selected chain (NoBlock at genesis).
func (n *legacyNode) Tip() BlockID { return n.tip }

// OnChain reports whether block b is on the node's selected chain.
func (n *legacyNode) OnChain(b BlockID) bool {
	if n.tip == NoBlock {
		return false
	}
	target := n.chain.Get(b).Height
	x := n.tip
	for x != NoBlock && n.chain.Get(x).Height > target {
		x = n.chain.Get(x).Parent
	}
	return x == b
}

func (n *legacyNode) find(b BlockID) int {
	for i := range n.work {
		if n.work[i].block == b {
			return i
		}
	}
	return -1
}

// Forge makes block b (already added to the chain by the engine, on top of
// this node's tip) the node's tip and announces it.
func (n *legacyNode) forge(now clock.Time, b BlockID, out *Outbox) {
	n.adopt(now, b, -1, out)
}

// OnHeader handles a header announcement of b from peer from. The first
// announcement of a block that would improve the chain starts header
// validation; later ones are ignored (the body comes from the first).
func (n *legacyNode) onHeader(now clock.Time, from int32, b BlockID, out *Outbox) {
	if !n.chain.Better(b, n.tip) || n.find(b) >= 0 || n.OnChain(b) {
		return
	}
	n.work = append(n.work, legacyPending{block: b, from: from, state: stHeader})
	out.add(Action{Kind: WakeHeader, Block: b, At: now.Add(n.cfg.HeaderValidation)})
}

// OnHeaderValidated requests the body of b, with any ancestors the node
// lacks, from the peer that announced it first: one request per run of
// consecutive missing blocks (a gap arises when an earlier fetch was lost
// with its connection while later blocks arrived).
func (n *legacyNode) onHeaderValidated(now clock.Time, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stHeader {
		return
	}
	if !n.chain.Better(b, n.tip) { // overtaken while validating
		n.work = append(n.work[:i], n.work[i+1:]...)
		return
	}
	from := n.work[i].from
	top, count := NoBlock, int32(0)
	flush := func() {
		if count > 0 {
			out.add(Action{Kind: SendRequest, To: from, Block: top, Count: count})
		}
		top, count = NoBlock, 0
	}
	for x := b; x != NoBlock && !n.OnChain(x); x = n.chain.Get(x).Parent {
		j := n.find(x)
		if j >= 0 && n.work[j].state != stHeader {
			flush() // already fetched or being fetched
			continue
		}
		if j >= 0 {
			n.work[j].state, n.work[j].from = stRequested, from
		} else {
			n.work = append(n.work, legacyPending{block: x, from: from, state: stRequested})
		}
		if count == 0 {
			top = x
		}
		count++
	}
	flush()
}

// OnRequest serves a block-fetch request: the bodies of b's count-block
// fragment, oldest first.
func (n *legacyNode) onRequest(now clock.Time, from int32, b BlockID, count int32, out *Outbox) {
	start := len(out.Actions)
	for x, k := b, int32(0); k < count && x != NoBlock; x, k = n.chain.Get(x).Parent, k+1 {
		out.add(Action{Kind: SendBody, To: from, Block: x})
	}
	acts := out.Actions[start:]
	for i, j := 0, len(acts)-1; i < j; i, j = i+1, j-1 {
		acts[i], acts[j] = acts[j], acts[i]
	}
}

// OnBody queues the body of b for validation; bodies validate one at a
// time, in arrival order.
func (n *legacyNode) onBody(now clock.Time, from int32, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stRequested {
		return
	}
	n.work[i].state = stBody
	n.bodyBusy = clock.Max(now, n.bodyBusy).Add(n.cfg.BodyValidation)
	out.add(Action{Kind: WakeBody, Block: b, At: n.bodyBusy})
}

// OnBodyValidated marks b valid and switches to the best chain the node can
// now assemble.
func (n *legacyNode) onBodyValidated(now clock.Time, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stBody {
		return
	}
	n.work[i].state = stValid
	n.selectChain(now, out)
}

// selectChain adopts, repeatedly, any valid held block that extends the
// tip and beats it; then drops held blocks that can no longer win.
func (n *legacyNode) selectChain(now clock.Time, out *Outbox) {
	for changed := true; changed; {
		changed = false
		for i := range n.work {
			p := n.work[i]
			if p.state != stValid || !n.chain.Better(p.block, n.tip) {
				continue
			}
			if n.pathToChain(p.block) {
				// Switching forks: the held ancestors join the chain first.
				n.holdOldFork(n.chain.Get(n.path[len(n.path)-1]).Parent)
				for k := len(n.path) - 1; k >= 1; k-- {
					n.tip = n.path[k]
					out.add(Action{Kind: Adopt, Block: n.path[k], To: -1})
				}
				n.adopt(now, p.block, p.from, out)
				changed = true
				break
			}
		}
	}
	kept := n.work[:0]
	for _, p := range n.work {
		if p.state == stValid && !n.chain.Better(p.block, n.tip) && !n.hasValidChild(p.block) {
			continue
		}
		if n.OnChain(p.block) {
			continue
		}
		kept = append(kept, p)
	}
	n.work = kept
}

// pathToChain reports whether b connects to the selected chain through
// validated held blocks, leaving in n.path b and those blocks, newest
// first. A block that does not beat the tip on its own (a fork sibling)
// can still join as the ancestor of one that does.
func (n *legacyNode) pathToChain(b BlockID) bool {
	n.path = append(n.path[:0], b)
	for x := n.chain.Get(b).Parent; x != NoBlock && !n.OnChain(x); x = n.chain.Get(x).Parent {
		if j := n.find(x); j < 0 || n.work[j].state != stValid {
			return false
		}
		n.path = append(n.path, x)
	}
	return true
}

// holdOldFork is Node.holdOldFork.
func (n *legacyNode) holdOldFork(fork BlockID) {
	for x := n.tip; x != NoBlock && x != fork; x = n.chain.Get(x).Parent {
		if n.find(x) < 0 {
			n.work = append(n.work, legacyPending{block: x, from: -1, state: stValid})
		}
	}
}

// hasValidChild reports whether a held block builds on b (so b may still
// join the chain as an ancestor).
func (n *legacyNode) hasValidChild(b BlockID) bool {
	for _, p := range n.work {
		if p.block != b && n.chain.Get(p.block).Parent == b {
			return true
		}
	}
	return false
}

// adopt makes b the tip, reports it and announces its header to every peer
// but the one it came from.
func (n *legacyNode) adopt(now clock.Time, b BlockID, from int32, out *Outbox) {
	n.tip = b
	out.add(Action{Kind: Adopt, Block: b, To: from, Count: 1})
	if len(n.Peers) > 1 || len(n.Peers) == 1 && n.Peers[0] != from {
		out.add(Action{Kind: Announce, To: from, Block: b})
	}
}
