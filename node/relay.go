package node

import (
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// ActionKind says what an Action asks the engine to do.
type ActionKind uint8

// The actions a node emits.
const (
	// Announce announces Block (chain-sync roll-forward) to each of the
	// node's relay peers (Node.Peers(), in order) but To, the peer the
	// block came from (-1: none). One action for all peers rather than
	// one each: the engine reads the list from the node, which is in its
	// cache, instead of a copy in the outbox.
	Announce ActionKind = iota
	// SendRequest asks peer To for the bodies of Block and its Count-1
	// nearest ancestors (block-fetch request for a chain fragment).
	SendRequest
	// SendBody sends the body of Block to peer To; it occupies the
	// sender's uplink.
	SendBody
	// WakeHeader wakes the node at At: header validation of Block ended.
	WakeHeader
	// WakeBody wakes the node at At: body validation of Block ended.
	WakeBody
	// Adopt reports that Block joined the node's selected chain now; To
	// is the peer it came from (-1: forged), and Count is 1 for the block
	// the node announces (the new tip), 0 for ancestors that joined with it.
	Adopt
	// WakeServe wakes the node at At (onBodyServable): the body of Block,
	// received at At-ServeDelay, may now be sent onward. Only with
	// RelayConfig.Pipelining.
	WakeServe
	// SendNoBlocks answers peer To's request for Block's Count-block
	// fragment with block-fetch's MsgNoBlocks: the node announced Block
	// early (Pipelining) but no longer has it and never will, so the
	// requester must fetch it elsewhere (onNoBlocks).
	SendNoBlocks
)

// Action is one thing a handler asks the engine to do.
type Action struct {
	Kind  ActionKind
	To    int32
	Block BlockID
	Count int32
	At    clock.Time
}

// Outbox collects a handler's actions. The engine owns one, resets it
// before each call and carries the actions out in order, so handlers
// allocate nothing in the steady state.
type Outbox struct{ Actions []Action }

// Reset empties the outbox, keeping its storage.
func (o *Outbox) Reset() { o.Actions = o.Actions[:0] }

func (o *Outbox) add(a Action) { o.Actions = append(o.Actions, a) }

// RelayConfig holds the delays of the relay. With BodyValidationPerKiB 0
// and Pipelining false (ServeDelay is read only with Pipelining) the relay
// is the one of before those fields, action for action.
type RelayConfig struct {
	HeaderValidation time.Duration
	// BodyValidation is the constant part of a body's validation time.
	BodyValidation time.Duration
	// BodyValidationPerKiB is the part per KiB of body (Block.Bytes):
	// see BodyValidationOf.
	BodyValidationPerKiB time.Duration
	// Pipelining is cardano-node's diffusion pipelining (≥ 8.x): a header
	// that extends the tip is announced when its validation ends, and a
	// body is served ServeDelay after it arrived, before its adoption.
	Pipelining bool
	// ServeDelay is how long after its arrival a body can be sent onward
	// with Pipelining (measured on a 52-node cluster: 45.5 ms, against
	// 84.6 ms from arrival to adoption).
	ServeDelay time.Duration
}

// BodyValidationOf returns the validation time of a body of the given
// size: BodyValidation + ⌊BodyValidationPerKiB·bytes/1024⌋ nanoseconds,
// exact (a 128-bit product), rounded down, saturating at the largest
// Duration. A size or rate ≤ 0 adds nothing.
func (c *RelayConfig) BodyValidationOf(bytes int32) time.Duration {
	d := c.BodyValidation
	if c.BodyValidationPerKiB <= 0 || bytes <= 0 {
		return d
	}
	hi, lo := bits.Mul64(uint64(c.BodyValidationPerKiB), uint64(bytes))
	if hi >= 1<<10 { // the quotient needs more than 64 bits
		return math.MaxInt64
	}
	q := hi<<54 | lo>>10
	if q > math.MaxInt64 || d > 0 && time.Duration(q) > math.MaxInt64-d {
		return math.MaxInt64
	}
	return d + time.Duration(q)
}

// pending is a block the node is fetching or holds off its chain.
type pending struct {
	block BlockID
	from  int32
	state uint8
	// servable: the body arrived at least ServeDelay ago (onBodyServable),
	// so the node sends it on request before adopting it.
	servable bool
}

const (
	stHeader    uint8 = iota // header under validation
	stRequested              // body requested from `from`
	stBody                   // body received, under validation or waiting for its parent
	stValid                  // body validated, not on the selected chain
)

// Node is one simulated node: its selected chain and its relay state.
type Node struct {
	// The fields an event reads first come first, so that with the node
	// at a cache-line boundary (NewNodes) a typical event reads one line.
	tip BlockID
	ID  int32
	// work lists blocks in flight or held off-chain; it stays small
	// (a few entries) because settled blocks leave it, and lives in
	// workBuf meanwhile, on the node's own cache lines.
	work    []pending
	workBuf [6]pending
	chain   *Chain
	// cfg is read-only, one copy for all the nodes of NewNodes (so it
	// stays in cache and the node stays three lines).
	cfg *RelayConfig
	// peers are the node's relay peers in ascending id order: it takes
	// headers from them and announces to them. The governor will own them.
	peers []int32
	// bodyBusy is when the node's (sequential) body validation is free.
	bodyBusy clock.Time
	path     []BlockID // scratch of pathToChain
	// pipe holds the pipelining state, made when first needed.
	pipe *pipeline
	// peersGen changes whenever peers does (PeersGen).
	peersGen uint32
	_        [4]byte // to 192 bytes, three cache lines
}

// pipeline is a node's diffusion-pipelining state: the blocks it announced
// at header validation and the requests it keeps until it can serve them.
type pipeline struct {
	// early lists the blocks announced at header validation that may still
	// be adopted (they beat the tip): adopt does not announce them again,
	// nor does onHeaderValidated after dropFrom made the node fetch one
	// again. A block leaves when the tip beats it.
	early []BlockID
	// kept are the requests waiting for servable bodies, in arrival order.
	kept []request
	// abandoned counts kept requests dropped because a block of theirs can
	// never be served (see Abandoned).
	abandoned int
}

// request is a block-fetch request kept until its bodies are servable.
type request struct {
	from  int32
	block BlockID
	count int32
}

// NewNode returns a node at genesis.
func NewNode(id int32, chain *Chain, cfg RelayConfig, peers []int32) *Node {
	n := &Node{}
	n.init(id, chain, &cfg, peers)
	return n
}

// NewNodes returns nodes 0 to len(peers)-1 at genesis, node i with relay
// peers peers[i], in one array: nodes then start at cache-line
// boundaries (a large allocation is page-aligned and a Node is three
// lines), where separate allocations would straddle lines. The nodes
// share one copy of cfg.
func NewNodes(chain *Chain, cfg RelayConfig, peers [][]int32) []*Node {
	arr := make([]Node, len(peers))
	out := make([]*Node, len(peers))
	shared := &cfg
	for i := range arr {
		arr[i].init(int32(i), chain, shared, peers[i])
		out[i] = &arr[i]
	}
	return out
}

func (n *Node) init(id int32, chain *Chain, cfg *RelayConfig, peers []int32) {
	*n = Node{ID: id, chain: chain, cfg: cfg, tip: NoBlock, peers: peers}
	n.work = n.workBuf[:0]
}

// restart models a node restart: it keeps its chain (the database
// survives) and forgets blocks in flight, its peers, the requests it
// kept and which blocks it announced early (its peers will be new
// connections).
func (n *Node) restart() {
	n.work = n.work[:0]
	n.peers = n.peers[:0]
	n.peersGen++
	if p := n.pipe; p != nil {
		p.kept, p.early = p.kept[:0], p.early[:0]
	}
}

// dropFrom forgets the blocks the node is still waiting for from peer:
// headers under validation and bodies requested but not received, and
// the requests from peer it keeps. The engine calls it when the
// connection to peer is lost; the blocks are fetched again, with any
// missing ancestors, from the next announcement.
func (n *Node) dropFrom(peer int32) {
	n.work = slices.DeleteFunc(n.work, func(p pending) bool {
		return p.from == peer && (p.state == stHeader || p.state == stRequested)
	})
	if p := n.pipe; p != nil {
		p.kept = slices.DeleteFunc(p.kept, func(r request) bool { return r.from == peer })
	}
}

// onNoBlocks handles peer from's MsgNoBlocks for the count-block fragment
// ending at b: the blocks of it still requested from that peer leave the
// work list, so that the next announcement of any of them fetches it
// elsewhere (as dropFrom does for a lost connection). Without it a node
// would wait for ever for a body its upstream announced early and then
// dropped (it lost a fork there), and hold every later block that builds
// on it.
func (n *Node) onNoBlocks(now clock.Time, from int32, b BlockID, count int32, out *Outbox) {
	for x, k := b, int32(0); k < count && x != NoBlock; x, k = n.chain.Get(x).Parent, k+1 {
		if i := n.find(x); i >= 0 && n.work[i].from == from && n.work[i].state == stRequested {
			n.work = slices.Delete(n.work, i, i+1)
		}
	}
}

// Waiting returns the number of block-fetch requests the node keeps until
// their bodies are servable (Pipelining).
func (n *Node) Waiting() int {
	if n.pipe == nil {
		return 0
	}
	return len(n.pipe.kept)
}

// Abandoned returns the number of kept requests the node has dropped
// because a block of theirs can never be served: it is neither on the
// chain nor in the work list (its fetch was lost, or it was dropped
// unvalidated) and the tip beats it, so no announcement brings it back.
// restart and dropFrom forget requests without counting them here.
func (n *Node) Abandoned() int {
	if n.pipe == nil {
		return 0
	}
	return n.pipe.abandoned
}

// pipeline returns the pipelining state, making it at first use.
func (n *Node) pipeline() *pipeline {
	if n.pipe == nil {
		n.pipe = &pipeline{}
	}
	return n.pipe
}

// Tip returns the tip of the node's selected chain (NoBlock at genesis).
func (n *Node) Tip() BlockID { return n.tip }

// OnChain reports whether block b is on the node's selected chain.
func (n *Node) OnChain(b BlockID) bool {
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

func (n *Node) find(b BlockID) int {
	for i := range n.work {
		if n.work[i].block == b {
			return i
		}
	}
	return -1
}

// forge makes block b (already added to the chain by the engine, on top of
// this node's tip) the node's tip and announces it.
func (n *Node) forge(now clock.Time, b BlockID, out *Outbox) {
	n.adopt(now, b, -1, out)
	n.serveKept(out)
}

// onHeader handles a header announcement of b from peer from. The first
// announcement of a block that would improve the chain starts header
// validation; later ones are ignored (the body comes from the first).
func (n *Node) onHeader(now clock.Time, from int32, b BlockID, out *Outbox) {
	if !n.chain.Better(b, n.tip) || n.find(b) >= 0 || n.OnChain(b) {
		return
	}
	n.work = append(n.work, pending{block: b, from: from, state: stHeader})
	out.add(Action{Kind: WakeHeader, Block: b, At: now.Add(n.cfg.HeaderValidation)})
}

// onHeaderValidated requests the body of b, with any ancestors the node
// lacks, from the peer that announced it first: one request per run of
// consecutive missing blocks (a gap arises when an earlier fetch was lost
// with its connection while later blocks arrived). With Pipelining, when
// b extends the tip (its parent is the tip; at genesis, NoBlock), it then
// announces b at once to every peer but that one, unless it already did
// (announceEarly).
func (n *Node) onHeaderValidated(now clock.Time, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stHeader {
		return
	}
	if !n.chain.Better(b, n.tip) { // overtaken while validating
		n.work = append(n.work[:i], n.work[i+1:]...)
		return
	}
	from := n.work[i].from
	early := n.cfg.Pipelining && n.chain.Get(b).Parent == n.tip
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
			n.work = append(n.work, pending{block: x, from: from, state: stRequested})
		}
		if count == 0 {
			top = x
		}
		count++
	}
	flush()
	if early {
		n.announceEarly(b, from, out)
	}
}

// announceEarly announces b, whose header is valid and which extends the
// tip, to every peer but from, unless the node announced it before (its
// fetch was lost and started again). With no peer to announce to it does
// not record b, so that adopt announces it to the peers of that time.
func (n *Node) announceEarly(b BlockID, from int32, out *Outbox) {
	p := n.pipeline()
	if slices.Contains(p.early, b) || !n.hasPeerBut(from) {
		return
	}
	p.early = append(p.early, b)
	out.add(Action{Kind: Announce, To: from, Block: b})
}

// hasPeerBut reports whether the node has a relay peer other than from.
func (n *Node) hasPeerBut(from int32) bool {
	return len(n.peers) > 1 || len(n.peers) == 1 && n.peers[0] != from
}

// onRequest serves a block-fetch request: the bodies of b's count-block
// fragment, oldest first. With Pipelining, a request for a fragment with
// a block in the work list whose body is not yet servable is kept, and
// served (in arrival order among kept requests) by onBodyServable or by
// an adoption once every block of the fragment is on the chain or
// servable. A fragment of blocks on the chain, servable or unknown to the
// node is served at once, as without Pipelining.
func (n *Node) onRequest(now clock.Time, from int32, b BlockID, count int32, out *Outbox) {
	if n.cfg.Pipelining && n.holdsBack(b, count) {
		p := n.pipeline()
		p.kept = append(p.kept, request{from: from, block: b, count: count})
		return
	}
	n.serve(from, b, count, out)
}

// holdsBack reports whether a block of b's count-block fragment is in the
// work list with its body not yet servable.
func (n *Node) holdsBack(b BlockID, count int32) bool {
	for x, k := b, int32(0); k < count && x != NoBlock; x, k = n.chain.Get(x).Parent, k+1 {
		if j := n.find(x); j >= 0 && !n.work[j].servable {
			return true
		}
	}
	return false
}

// Fragment states for kept requests.
const (
	fragWait  = iota // a block may still become servable
	fragReady        // every block is on the chain or servable
	fragLost         // a block can never become servable
)

// fragment classifies b's count-block fragment for a kept request: each
// block must be on the chain or servable; one neither on the chain nor in
// the work list may still be fetched again while it beats the tip, and
// never after (onHeader ignores it for good).
func (n *Node) fragment(b BlockID, count int32) int {
	st := fragReady
	for x, k := b, int32(0); k < count && x != NoBlock; x, k = n.chain.Get(x).Parent, k+1 {
		switch j := n.find(x); {
		case j >= 0:
			if !n.work[j].servable {
				st = fragWait
			}
		case n.OnChain(x):
		case n.chain.Better(x, n.tip):
			st = fragWait
		default:
			return fragLost
		}
	}
	return st
}

// serveKept serves, in arrival order, the kept requests whose fragments
// are now servable, and abandons those that never can be. It must not
// run while the work list holds blocks on the chain (inside selectChain).
func (n *Node) serveKept(out *Outbox) {
	p := n.pipe
	if p == nil || len(p.kept) == 0 {
		return
	}
	kept := p.kept[:0]
	for _, r := range p.kept {
		switch n.fragment(r.block, r.count) {
		case fragReady:
			n.serve(r.from, r.block, r.count, out)
		case fragLost:
			p.abandoned++
			out.add(Action{Kind: SendNoBlocks, To: r.from, Block: r.block, Count: r.count})
		default:
			kept = append(kept, r)
		}
	}
	p.kept = kept
}

// serve sends the bodies of b's count-block fragment to from, oldest
// first (as far as the fragment goes before genesis).
func (n *Node) serve(from int32, b BlockID, count int32, out *Outbox) {
	start := len(out.Actions)
	for x, k := b, int32(0); k < count && x != NoBlock; x, k = n.chain.Get(x).Parent, k+1 {
		out.add(Action{Kind: SendBody, To: from, Block: x})
	}
	acts := out.Actions[start:]
	for i, j := 0, len(acts)-1; i < j; i, j = i+1, j-1 {
		acts[i], acts[j] = acts[j], acts[i]
	}
}

// onBody queues the body of b for validation; bodies validate one at a
// time, in arrival order, each for cfg.BodyValidationOf(its Bytes). With
// Pipelining it also asks to be woken ServeDelay later (WakeServe).
func (n *Node) onBody(now clock.Time, from int32, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stRequested {
		return
	}
	n.work[i].state = stBody
	d := n.cfg.BodyValidation
	if n.cfg.BodyValidationPerKiB > 0 {
		d = n.cfg.BodyValidationOf(n.chain.Get(b).Bytes)
	}
	n.bodyBusy = clock.Max(now, n.bodyBusy).Add(d)
	out.add(Action{Kind: WakeBody, Block: b, At: n.bodyBusy})
	if n.cfg.Pipelining {
		out.add(Action{Kind: WakeServe, Block: b, At: now.Add(n.cfg.ServeDelay)})
	}
}

// onBodyServable marks the body of b servable (WakeServe: it arrived
// ServeDelay ago) and serves the kept requests that were waiting for it.
// It ignores b if its body is no longer held: b joined the chain (and is
// servable as such) or left the work list.
func (n *Node) onBodyServable(now clock.Time, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state < stBody {
		return
	}
	n.work[i].servable = true
	n.serveKept(out)
}

// onBodyValidated marks b valid and switches to the best chain the node can
// now assemble.
func (n *Node) onBodyValidated(now clock.Time, b BlockID, out *Outbox) {
	i := n.find(b)
	if i < 0 || n.work[i].state != stBody {
		return
	}
	n.work[i].state = stValid
	n.selectChain(now, out)
}

// selectChain adopts, repeatedly, any valid held block that extends the
// tip and beats it; then drops held blocks that can no longer win, and
// serves the kept requests an adoption made servable.
func (n *Node) selectChain(now clock.Time, out *Outbox) {
	adopted := false
	for changed := true; changed; {
		changed = false
		for i := range n.work {
			p := n.work[i]
			if p.state != stValid || !n.chain.Better(p.block, n.tip) {
				continue
			}
			if n.pathToChain(p.block) {
				// Switching forks: the blocks of the old fork are kept as
				// validated (a child of one may still make it the better
				// chain again, as the node's volatile store keeps them);
				// the held ancestors join the chain first.
				n.holdOldFork(n.chain.Get(n.path[len(n.path)-1]).Parent)
				for k := len(n.path) - 1; k >= 1; k-- {
					n.tip = n.path[k]
					out.add(Action{Kind: Adopt, Block: n.path[k], To: -1})
				}
				n.adopt(now, p.block, p.from, out)
				changed, adopted = true, true
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
	if adopted {
		n.serveKept(out)
	}
}

// pathToChain reports whether b connects to the selected chain through
// validated held blocks, leaving in n.path b and those blocks, newest
// first. A block that does not beat the tip on its own (a fork sibling)
// can still join as the ancestor of one that does.
// holdOldFork puts the blocks of the selected chain above fork (an
// ancestor of the tip) back into the work list as validated blocks, before
// the chain switches to another fork there: cardano-node's ChainDB keeps
// them in its volatile store, so a block that extends one of them later
// can still win chain selection without fetching it again. The selection's
// clean-up drops those that nothing builds on.
func (n *Node) holdOldFork(fork BlockID) {
	for x := n.tip; x != NoBlock && x != fork; x = n.chain.Get(x).Parent {
		if n.find(x) < 0 {
			n.work = append(n.work, pending{block: x, from: -1, state: stValid})
		}
	}
}

func (n *Node) pathToChain(b BlockID) bool {
	n.path = append(n.path[:0], b)
	for x := n.chain.Get(b).Parent; x != NoBlock && !n.OnChain(x); x = n.chain.Get(x).Parent {
		if j := n.find(x); j < 0 || n.work[j].state != stValid {
			return false
		}
		n.path = append(n.path, x)
	}
	return true
}

// hasValidChild reports whether a held block builds on b (so b may still
// join the chain as an ancestor).
func (n *Node) hasValidChild(b BlockID) bool {
	for _, p := range n.work {
		if p.block != b && n.chain.Get(p.block).Parent == b {
			return true
		}
	}
	return false
}

// adopt makes b the tip, reports it and announces its header to every peer
// but the one it came from, unless it announced b at header validation.
func (n *Node) adopt(now clock.Time, b BlockID, from int32, out *Outbox) {
	n.tip = b
	out.add(Action{Kind: Adopt, Block: b, To: from, Count: 1})
	if n.pipe != nil && n.settleEarly(b) {
		return
	}
	if n.hasPeerBut(from) {
		out.add(Action{Kind: Announce, To: from, Block: b})
	}
}

// settleEarly reports whether b, the new tip, was announced early, and
// forgets the early announcements the tip now beats (b among them): none
// of them can be announced again.
func (n *Node) settleEarly(b BlockID) bool {
	p := n.pipe
	found := false
	p.early = slices.DeleteFunc(p.early, func(x BlockID) bool {
		found = found || x == b
		return !n.chain.Better(x, b)
	})
	return found
}

// Fetching reports whether b is in the node's work list: its header under
// validation, its body requested, validating or held off the chain.
// onHeader ignores an announcement of such a block. b leaves the list when
// it joins the chain or can no longer beat the tip (after which onHeader
// ignores b for good, as the tip only gets better), or when dropFrom or
// restart forget it (after which the next announcement fetches it again).
func (n *Node) Fetching(b BlockID) bool { return n.find(b) >= 0 }

// ManyBlocks is WorkBrief's answer for a work list of two or more blocks.
const ManyBlocks BlockID = -2

// WorkBrief sums up the work list for a dense mirror: NoBlock when it is
// empty, its block when it holds one (the usual case), ManyBlocks
// otherwise, when only Fetching can say whether a block is in it.
func (n *Node) WorkBrief() BlockID {
	switch len(n.work) {
	case 0:
		return NoBlock
	case 1:
		return n.work[0].block
	}
	return ManyBlocks
}

// WorkLen returns the number of blocks in flight or held off-chain.
func (n *Node) WorkLen() int { return len(n.work) }
