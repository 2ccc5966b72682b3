package node

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// pipeCfg is the cluster's measured relay: 85 ms body validation, bodies
// sent onward 45 ms after arrival.
func pipeCfg() RelayConfig {
	return RelayConfig{
		HeaderValidation: 5 * time.Millisecond, BodyValidation: 85 * time.Millisecond,
		Pipelining: true, ServeDelay: 45 * time.Millisecond,
	}
}

// TestPipelinedEarlyAnnounce: with pipelining, header validation of a
// block that extends the tip announces it at once, to every peer but the
// sender; other blocks wait for their adoption, as without pipelining.
func TestPipelinedEarlyAnnounce(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID   // the node's tip in most cases
	b := c.Add(a, 2, 9, 50, 0).ID         // extends a
	sib := c.Add(NoBlock, 1, 8, 10, 0).ID // a's sibling with a lower VRF: beats a
	d := c.Add(b, 3, 9, 50, 0).ID         // b's child
	off := pipeCfg()
	off.Pipelining = false
	cases := []struct {
		name   string
		cfg    RelayConfig
		tip    BlockID
		inWork []BlockID // headers of these validated first (from peer 1)
		peers  []int32
		block  BlockID
		want   []Action
	}{
		{name: "extends the tip", cfg: pipeCfg(), tip: a, peers: []int32{1, 2, 3}, block: b,
			want: []Action{{Kind: SendRequest, To: 1, Block: b, Count: 1}, {Kind: Announce, To: 1, Block: b}}},
		{name: "first block after genesis", cfg: pipeCfg(), tip: NoBlock, peers: []int32{1, 2}, block: a,
			want: []Action{{Kind: SendRequest, To: 1, Block: a, Count: 1}, {Kind: Announce, To: 1, Block: a}}},
		{name: "fork sibling of the tip", cfg: pipeCfg(), tip: a, peers: []int32{1, 2}, block: sib,
			want: []Action{{Kind: SendRequest, To: 1, Block: sib, Count: 1}}},
		{name: "parent still in flight", cfg: pipeCfg(), tip: a, inWork: []BlockID{b}, peers: []int32{1, 2}, block: d,
			want: []Action{{Kind: SendRequest, To: 1, Block: d, Count: 1}}},
		{name: "parent missing: fetched with it", cfg: pipeCfg(), tip: a, peers: []int32{1, 2}, block: d,
			want: []Action{{Kind: SendRequest, To: 1, Block: d, Count: 2}}},
		{name: "no peer but the sender", cfg: pipeCfg(), tip: a, peers: []int32{1}, block: b,
			want: []Action{{Kind: SendRequest, To: 1, Block: b, Count: 1}}},
		{name: "pipelining off", cfg: off, tip: a, peers: []int32{1, 2}, block: b,
			want: []Action{{Kind: SendRequest, To: 1, Block: b, Count: 1}}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			n := NewNode(0, &c, cs.cfg, cs.peers)
			n.tip = cs.tip
			for _, x := range append(slices.Clone(cs.inWork), cs.block) {
				run(func(out *Outbox) { n.onHeader(0, 1, x, out) })
			}
			for _, x := range cs.inWork {
				run(func(out *Outbox) { n.onHeaderValidated(5*ms, x, out) })
			}
			sameActions(t, "header validated", run(func(out *Outbox) { n.onHeaderValidated(5*ms, cs.block, out) }), cs.want)
		})
	}
}

// deliver brings the body of b (validated header, requested from `from`)
// into n at `at` and validates it then: it returns the actions of OnBody
// and OnBodyValidated.
func deliver(n *Node, at clock.Time, from int32, b BlockID) (body, valid []Action) {
	body = run(func(out *Outbox) { n.onBody(at, from, b, out) })
	valid = run(func(out *Outbox) { n.onBodyValidated(at.Add(n.cfg.BodyValidation), b, out) })
	return body, valid
}

// TestPipelinedAdoptionNotAnnouncedAgain: a block announced at header
// validation is not announced again when adopted, even when its fetch was
// lost with its connection and made again from another peer; a block the
// node could not announce early (no other peer then) is announced at
// adoption to the peers of that time.
func TestPipelinedAdoptionNotAnnouncedAgain(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID

	t.Run("adopted after the early announcement", func(t *testing.T) {
		n := NewNode(0, &c, pipeCfg(), []int32{1, 2, 3})
		n.tip = a
		n.onHeader(0, 1, b, &Outbox{})
		n.onHeaderValidated(5*ms, b, &Outbox{})
		_, valid := deliver(n, 30*ms, 1, b)
		sameActions(t, "adoption", valid, []Action{{Kind: Adopt, To: 1, Block: b, Count: 1}})
	})

	t.Run("fetch lost and made again", func(t *testing.T) {
		n := NewNode(0, &c, pipeCfg(), []int32{1, 2, 3})
		n.tip = a
		n.onHeader(0, 1, b, &Outbox{})
		n.onHeaderValidated(5*ms, b, &Outbox{})
		n.dropFrom(1)
		if n.Fetching(b) {
			t.Fatal("DropFrom kept the requested block")
		}
		n.onHeader(10*ms, 2, b, &Outbox{})
		sameActions(t, "second header validation", run(func(out *Outbox) { n.onHeaderValidated(15*ms, b, out) }),
			[]Action{{Kind: SendRequest, To: 2, Block: b, Count: 1}})
		_, valid := deliver(n, 30*ms, 2, b)
		sameActions(t, "adoption", valid, []Action{{Kind: Adopt, To: 2, Block: b, Count: 1}})
	})

	t.Run("no peer to announce to at header validation", func(t *testing.T) {
		n := NewNode(0, &c, pipeCfg(), []int32{1})
		n.tip = a
		n.onHeader(0, 1, b, &Outbox{})
		n.onHeaderValidated(5*ms, b, &Outbox{})
		n.peers = append(n.peers, 4) // a new hot peer before the adoption
		_, valid := deliver(n, 30*ms, 1, b)
		sameActions(t, "adoption", valid, []Action{{Kind: Adopt, To: 1, Block: b, Count: 1}, {Kind: Announce, To: 1, Block: b}})
	})
}

// servingNode returns a node at tip a that has validated b's header from
// peer 1 (announcing b early) and requested its body.
func servingNode(c *Chain, cfg RelayConfig, a, b BlockID) *Node {
	n := NewNode(0, c, cfg, []int32{1, 2, 3, 4})
	n.tip = a
	n.onHeader(0, 1, b, &Outbox{})
	n.onHeaderValidated(5*ms, b, &Outbox{})
	return n
}

// TestPipelinedServing: a request for a body the node does not hold yet,
// or has held for less than ServeDelay, is kept and served when the body
// has been there ServeDelay (or joins the chain, whichever is first); one
// for a servable or adopted body is served at once.
func TestPipelinedServing(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID
	const bodyAt = 30 * ms
	send := []Action{{Kind: SendBody, To: 2, Block: b}}

	cases := []struct {
		name      string
		cfg       RelayConfig
		requestAt clock.Time
		// the actions of the request, of OnBodyServable and of the adoption
		onRequest, onServable, onAdopt []Action
	}{
		{name: "before the body", cfg: pipeCfg(), requestAt: 20 * ms, onServable: send},
		{name: "after the body, before ServeDelay", cfg: pipeCfg(), requestAt: 50 * ms, onServable: send},
		{name: "servable, not yet adopted", cfg: pipeCfg(), requestAt: 80 * ms, onRequest: send},
		{name: "after adoption", cfg: pipeCfg(), requestAt: 120 * ms, onRequest: send},
		{name: "ServeDelay longer than validation: adoption serves", requestAt: 20 * ms, onAdopt: send,
			cfg: RelayConfig{HeaderValidation: 5 * time.Millisecond, BodyValidation: 85 * time.Millisecond,
				Pipelining: true, ServeDelay: 100 * time.Millisecond}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			n := servingNode(&c, cs.cfg, a, b)
			adoptAt := bodyAt.Add(cs.cfg.BodyValidation)
			servableAt := bodyAt.Add(cs.cfg.ServeDelay)
			var gotReq, gotServ, gotAdopt []Action
			request := func() { gotReq = run(func(out *Outbox) { n.onRequest(cs.requestAt, 2, b, 1, out) }) }
			if cs.requestAt < bodyAt {
				request()
			}
			body := run(func(out *Outbox) { n.onBody(bodyAt, 1, b, out) })
			sameActions(t, "body", body, []Action{{Kind: WakeBody, Block: b, At: adoptAt}, {Kind: WakeServe, Block: b, At: servableAt}})
			// The wake-ups and the request in time order.
			type ev struct {
				at clock.Time
				f  func()
			}
			evs := []ev{
				{servableAt, func() { gotServ = run(func(out *Outbox) { n.onBodyServable(servableAt, b, out) }) }},
				{adoptAt, func() { gotAdopt = run(func(out *Outbox) { n.onBodyValidated(adoptAt, b, out) }) }},
			}
			if cs.requestAt >= bodyAt {
				evs = append(evs, ev{cs.requestAt, request})
			}
			slices.SortStableFunc(evs, func(x, y ev) int { return int(x.at - y.at) })
			for _, e := range evs {
				e.f()
			}
			sameActions(t, "request", gotReq, cs.onRequest)
			sameActions(t, "servable", gotServ, cs.onServable)
			sameActions(t, "adoption", gotAdopt, append([]Action{{Kind: Adopt, To: 1, Block: b, Count: 1}}, cs.onAdopt...))
			if n.Waiting() != 0 || n.Abandoned() != 0 {
				t.Errorf("waiting %d abandoned %d after all, want 0 and 0", n.Waiting(), n.Abandoned())
			}
		})
	}
}

// TestPipelinedServingOrder: kept requests are served in arrival order,
// each as soon as its whole fragment is servable.
func TestPipelinedServingOrder(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID
	d := c.Add(b, 3, 9, 50, 0).ID
	n := servingNode(&c, pipeCfg(), a, b)
	n.onHeader(6*ms, 1, d, &Outbox{}) // d's parent b is in flight: d is not announced early
	n.onHeaderValidated(11*ms, d, &Outbox{})
	for _, r := range []struct {
		from  int32
		b     BlockID
		count int32
	}{{3, d, 2}, {2, b, 1}, {4, b, 1}, {2, a, 1}, {4, d, 1}} {
		got := run(func(out *Outbox) { n.onRequest(20*ms, r.from, r.b, r.count, out) })
		if r.b == a {
			sameActions(t, "request for the tip", got, []Action{{Kind: SendBody, To: 2, Block: a}})
		} else if len(got) != 0 {
			t.Errorf("request %+v served before its body: %+v", r, got)
		}
	}
	if n.Waiting() != 4 {
		t.Fatalf("waiting %d, want 4", n.Waiting())
	}
	n.onBody(30*ms, 1, b, &Outbox{})
	n.onBody(40*ms, 1, d, &Outbox{})
	sameActions(t, "b servable", run(func(out *Outbox) { n.onBodyServable(75*ms, b, out) }),
		[]Action{{Kind: SendBody, To: 2, Block: b}, {Kind: SendBody, To: 4, Block: b}})
	sameActions(t, "d servable", run(func(out *Outbox) { n.onBodyServable(85*ms, d, out) }),
		[]Action{{Kind: SendBody, To: 3, Block: b}, {Kind: SendBody, To: 3, Block: d}, {Kind: SendBody, To: 4, Block: d}})
	if n.Waiting() != 0 {
		t.Errorf("waiting %d, want 0", n.Waiting())
	}
}

// TestPipelinedForgetting: DropFrom forgets the kept requests of that peer
// and Restart all of them; a kept request for a block that left the work
// list and that the tip beats is abandoned and counted.
func TestPipelinedForgetting(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID

	t.Run("DropFrom", func(t *testing.T) {
		n := servingNode(&c, pipeCfg(), a, b)
		n.onRequest(10*ms, 2, b, 1, &Outbox{})
		n.onRequest(11*ms, 3, b, 1, &Outbox{})
		n.onRequest(12*ms, 2, b, 1, &Outbox{})
		n.dropFrom(2)
		if n.Waiting() != 1 {
			t.Fatalf("waiting %d after DropFrom(2), want 1", n.Waiting())
		}
		n.onBody(30*ms, 1, b, &Outbox{})
		sameActions(t, "servable", run(func(out *Outbox) { n.onBodyServable(75*ms, b, out) }),
			[]Action{{Kind: SendBody, To: 3, Block: b}})
	})

	t.Run("Restart", func(t *testing.T) {
		n := servingNode(&c, pipeCfg(), a, b)
		n.onRequest(10*ms, 2, b, 1, &Outbox{})
		n.restart()
		if n.Waiting() != 0 || n.Abandoned() != 0 {
			t.Fatalf("waiting %d abandoned %d after Restart, want 0 and 0", n.Waiting(), n.Abandoned())
		}
		// After the restart the node fetches b again and announces it again
		// (its peers are new connections), but serves no forgotten request.
		n.peers = append(n.peers, 1, 2)
		n.onHeader(20*ms, 1, b, &Outbox{})
		sameActions(t, "header validated after restart", run(func(out *Outbox) { n.onHeaderValidated(25*ms, b, out) }),
			[]Action{{Kind: SendRequest, To: 1, Block: b, Count: 1}, {Kind: Announce, To: 1, Block: b}})
		n.onBody(30*ms, 1, b, &Outbox{})
		sameActions(t, "servable", run(func(out *Outbox) { n.onBodyServable(75*ms, b, out) }), nil)
	})

	t.Run("abandoned", func(t *testing.T) {
		n := servingNode(&c, pipeCfg(), a, b)
		n.onRequest(10*ms, 2, b, 1, &Outbox{})
		n.dropFrom(1) // b's fetch is lost: the request waits for a new one
		n.onRequest(11*ms, 3, b, 1, &Outbox{})
		if n.Waiting() != 1 {
			t.Fatalf("waiting %d, want 1 (a request for a block the node no longer fetches is served at once)", n.Waiting())
		}
		// The node forges on a, past b: b can never be fetched again.
		f := c.Add(a, 3, 0, 99, 0)
		f2 := c.Add(f.ID, 4, 0, 99, 0).ID
		n.forge(40*ms, f.ID, &Outbox{})
		if n.Waiting() != 1 || n.Abandoned() != 0 {
			t.Fatalf("waiting %d abandoned %d with b as good as the tip, want 1 and 0", n.Waiting(), n.Abandoned())
		}
		acts := run(func(out *Outbox) { n.forge(50*ms, f2, out) })
		if n.Waiting() != 0 || n.Abandoned() != 1 {
			t.Fatalf("waiting %d abandoned %d with the tip past b, want 0 and 1", n.Waiting(), n.Abandoned())
		}
		// The requester is told (MsgNoBlocks) so that it fetches b elsewhere.
		if !slices.Contains(acts, Action{Kind: SendNoBlocks, To: 2, Block: b, Count: 1}) {
			t.Errorf("forging past b: actions %v, want MsgNoBlocks to 2 for b", acts)
		}
	})
}

// TestNoBlocksRefetchElsewhere: a node waiting for b's body from peer 1
// hears MsgNoBlocks (peer 1 lost b's fork); when the chain then builds on
// b after all, the child's announcement by peer 2 fetches b with it from
// peer 2, where without the answer b stayed "requested from 1" for ever.
func TestNoBlocksRefetchElsewhere(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID
	d := c.Add(b, 3, 9, 50, 0).ID
	n := NewNode(0, &c, pipeCfg(), []int32{1, 2})
	n.tip = a
	n.onHeader(0, 1, b, &Outbox{})
	n.onHeaderValidated(5*ms, b, &Outbox{})
	// Another peer's MsgNoBlocks changes nothing: b is requested from 1.
	n.onNoBlocks(20*ms, 2, b, 1, &Outbox{})
	if !n.Fetching(b) {
		t.Fatal("MsgNoBlocks from a peer b was not requested from dropped it")
	}
	n.onNoBlocks(30*ms, 1, b, 1, &Outbox{})
	if n.Fetching(b) {
		t.Fatal("b still in work after MsgNoBlocks from the peer it was requested from")
	}
	n.onHeader(40*ms, 2, d, &Outbox{})
	sameActions(t, "child validated", run(func(out *Outbox) { n.onHeaderValidated(45*ms, d, out) }),
		[]Action{{Kind: SendRequest, To: 2, Block: d, Count: 2}})
}

// TestPipelinedUnknownBlock: with pipelining, a request for blocks the
// node does not hold in its work list nor on its chain is served at once,
// as without pipelining (the body walk follows the chain table).
func TestPipelinedUnknownBlock(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 9, 50, 0).ID
	b := c.Add(a, 2, 9, 50, 0).ID
	for _, cfg := range []RelayConfig{{}, pipeCfg()} {
		n := NewNode(0, &c, cfg, []int32{1, 2})
		sameActions(t, fmt.Sprintf("pipelining %v", cfg.Pipelining), run(func(out *Outbox) { n.onRequest(0, 2, b, 3, out) }),
			[]Action{{Kind: SendBody, To: 2, Block: a}, {Kind: SendBody, To: 2, Block: b}})
	}
}

// pipeHarness drives one pipelining node as the engine would: wake-ups
// (WakeHeader, WakeBody, WakeServe) are delivered at their times in the
// order emitted, a restart loses those pending (the engine drops a down
// node's events), and inputs from peers come at random times between.
type pipeHarness struct {
	t     *rapid.T
	c     *Chain
	n     *Node
	now   clock.Time
	wakes []Action
	// bodyAt is when the node took each body (OnBody accepted it) since
	// its last restart; announced, the blocks it announced since then.
	bodyAt    map[BlockID]clock.Time
	announced map[BlockID]bool
}

// step runs one handler and checks its actions: no block announced twice,
// early announcements only of blocks extending the tip, a body sent only
// when on the chain or held ServeDelay, or, for a request arriving, when
// the node does not hold the block at all (the behaviour without
// pipelining); WakeServe exactly ServeDelay after each accepted body; and
// afterwards no kept request that could be served.
func (h *pipeHarness) step(what string, isRequest bool, f func(out *Outbox)) {
	n, t := h.n, h.t
	tipBefore := n.Tip()
	heldBefore := make([]bool, h.c.Len())
	for x := range heldBefore {
		heldBefore[x] = n.Fetching(BlockID(x))
	}
	var out Outbox
	f(&out)
	for i, a := range out.Actions {
		switch a.Kind {
		case Announce:
			if h.announced[a.Block] {
				t.Fatalf("%s at %v: block %d announced twice (%+v)", what, h.now, a.Block, out.Actions)
			}
			h.announced[a.Block] = true
			if a.Block != n.Tip() && h.c.Get(a.Block).Parent != tipBefore {
				t.Fatalf("%s: announced block %d neither the tip %d nor extending the tip %d", what, a.Block, n.Tip(), tipBefore)
			}
		case SendBody:
			at, held := h.bodyAt[a.Block]
			ok := n.OnChain(a.Block) || held && h.now >= at.Add(n.cfg.ServeDelay) || isRequest && !heldBefore[a.Block]
			if !ok {
				t.Fatalf("%s at %v: body of %d sent, not servable (on chain %v, body at %v held %v)", what, h.now, a.Block, n.OnChain(a.Block), at, held)
			}
		case WakeBody:
			h.bodyAt[a.Block] = h.now
			if i+1 >= len(out.Actions) || out.Actions[i+1] != (Action{Kind: WakeServe, Block: a.Block, At: h.now.Add(n.cfg.ServeDelay)}) {
				t.Fatalf("%s: WakeBody without its WakeServe: %+v", what, out.Actions)
			}
		}
		if a.Kind == WakeHeader || a.Kind == WakeBody || a.Kind == WakeServe {
			h.wakes = append(h.wakes, a)
		}
	}
	if n.pipe != nil {
		for _, r := range n.pipe.kept {
			if n.fragment(r.block, r.count) == fragReady {
				t.Fatalf("%s: kept request %+v is servable now", what, r)
			}
		}
	}
}

// advance delivers the wake-ups due within dt, in time order (emission
// order at equal times), then moves the clock on by dt.
func (h *pipeHarness) advance(dt clock.Time) {
	end := h.now + dt
	for {
		i := -1
		for j, a := range h.wakes {
			if a.At <= end && (i < 0 || a.At < h.wakes[i].At) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		a := h.wakes[i]
		h.wakes = slices.Delete(h.wakes, i, i+1)
		h.now = a.At
		switch a.Kind {
		case WakeHeader:
			h.step("OnHeaderValidated", false, func(out *Outbox) { h.n.onHeaderValidated(h.now, a.Block, out) })
		case WakeBody:
			h.step("OnBodyValidated", false, func(out *Outbox) { h.n.onBodyValidated(h.now, a.Block, out) })
		case WakeServe:
			h.step("OnBodyServable", false, func(out *Outbox) { h.n.onBodyServable(h.now, a.Block, out) })
		}
	}
	h.now = end
}

// TestPipelinedProperties runs a pipelining node on random inputs and
// checks pipeHarness.step's properties after every handler, and the
// bookkeeping of DropFrom and Restart.
func TestPipelinedProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := &Chain{}
		drawChain(t, c)
		cfg := RelayConfig{
			HeaderValidation:     time.Duration(rapid.IntRange(0, 3).Draw(t, "hv")) * time.Millisecond,
			BodyValidation:       time.Duration(rapid.IntRange(0, 5).Draw(t, "bv")) * time.Millisecond,
			BodyValidationPerKiB: time.Duration(rapid.IntRange(0, 50).Draw(t, "perKiB")) * time.Microsecond,
			Pipelining:           true,
			ServeDelay:           time.Duration(rapid.IntRange(0, 5).Draw(t, "serve")) * time.Millisecond,
		}
		peers := []int32{1, 2, 3}
		h := &pipeHarness{t: t, c: c, n: NewNode(0, c, cfg, slices.Clone(peers)),
			bodyAt: map[BlockID]clock.Time{}, announced: map[BlockID]bool{}}
		for range rapid.IntRange(1, 100).Draw(t, "steps") {
			b := BlockID(rapid.IntRange(0, c.Len()-1).Draw(t, "block"))
			peer := peers[rapid.IntRange(0, len(peers)-1).Draw(t, "peer")]
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 0:
				h.advance(clock.Time(rapid.IntRange(0, 4).Draw(t, "dt")) * ms)
			case 1:
				h.step("OnHeader", false, func(out *Outbox) { h.n.onHeader(h.now, peer, b, out) })
			case 2:
				h.step("OnBody", false, func(out *Outbox) { h.n.onBody(h.now, peer, b, out) })
			case 3:
				count := int32(rapid.IntRange(1, 3).Draw(t, "count"))
				h.step("OnRequest", true, func(out *Outbox) { h.n.onRequest(h.now, peer, b, count, out) })
			case 4:
				h.n.dropFrom(peer)
				if h.n.pipe != nil && slices.ContainsFunc(h.n.pipe.kept, func(r request) bool { return r.from == peer }) {
					t.Fatalf("DropFrom(%d) kept a request from %d", peer, peer)
				}
			case 5:
				h.n.restart()
				h.n.peers = append(h.n.peers, peers...)
				h.wakes = h.wakes[:0]
				clear(h.bodyAt)
				clear(h.announced)
				if h.n.Waiting() != 0 {
					t.Fatalf("%d requests kept after Restart", h.n.Waiting())
				}
			case 6:
				f := c.Add(h.n.Tip(), int64(c.Len()), 0, 0, h.now).ID
				h.step("Forge", false, func(out *Outbox) { h.n.forge(h.now, f, out) })
			}
		}
	})
}

// TestForkSwitchKeepsOldFork is the 52-node cluster's slot battle (seed 1,
// slots 82–83): a node adopts x, then switches to y of the same slot,
// which wins the VRF tie-break, while the header of z, built on x, is on
// its way; once z's body is validated the chain x←z is the longest, and
// the node must take it, x being still in its store, not wait for a next
// block (it waited 48 s before x's old fork was kept).
func TestForkSwitchKeepsOldFork(t *testing.T) {
	for _, cfg := range []RelayConfig{{}, pipeCfg()} {
		var c Chain
		p := c.Add(NoBlock, 1, 9, 50, 0).ID
		x := c.Add(p, 2, 7, 60, 0).ID // loses the tie-break to y
		y := c.Add(p, 2, 8, 40, 0).ID
		z := c.Add(x, 3, 7, 70, 0).ID
		n := NewNode(0, &c, cfg, []int32{1, 2})
		n.tip = p
		var out Outbox
		step := func(f func()) { out.Reset(); f() }
		// x arrives and is adopted.
		step(func() { n.onHeader(0, 1, x, &out) })
		step(func() { n.onHeaderValidated(2*ms, x, &out) })
		step(func() { n.onBody(50*ms, 1, x, &out) })
		step(func() { n.onBodyValidated(60*ms, x, &out) })
		if n.Tip() != x {
			t.Fatalf("pipelining %v: tip %d after x, want x=%d", cfg.Pipelining, n.Tip(), x)
		}
		// y (better by VRF) and z (on x) are fetched; y is validated first.
		step(func() { n.onHeader(100*ms, 2, y, &out) })
		step(func() { n.onHeaderValidated(102*ms, y, &out) })
		step(func() { n.onHeader(110*ms, 1, z, &out) })
		step(func() { n.onHeaderValidated(112*ms, z, &out) })
		step(func() { n.onBody(150*ms, 2, y, &out) })
		step(func() { n.onBodyValidated(160*ms, y, &out) })
		if n.Tip() != y {
			t.Fatalf("pipelining %v: tip %d after y, want y=%d", cfg.Pipelining, n.Tip(), y)
		}
		step(func() { n.onBody(170*ms, 1, z, &out) })
		step(func() { n.onBodyValidated(180*ms, z, &out) })
		if n.Tip() != z {
			t.Fatalf("pipelining %v: tip %d after z's body, want z=%d on the old fork x", cfg.Pipelining, n.Tip(), z)
		}
		// y, the fork left in turn, is dropped: nothing builds on it.
		if n.WorkLen() != 0 {
			t.Errorf("pipelining %v: %d blocks held after the switch back, want none", cfg.Pipelining, n.WorkLen())
		}
	}
}
