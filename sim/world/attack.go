package world

import (
	"fmt"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// Never is an Attack's RelayDelay for blocks it never relays.
const Never time.Duration = -1

// Attack is what an attacker node does beyond (or instead of) the honest
// protocol; the zero value is an honest node. An attacker otherwise runs
// the node stack as every node does: its governor picks peers, its relay
// fetches and adopts blocks, so it looks like a relay to its peers.
type Attack struct {
	// Eclipse hides the honest network from the nodes that take the
	// attacker as a peer, without a visible violation that would demote
	// it: its peer-sharing replies name only attackers (no more than an
	// honest reply would), and it announces the blocks of honest
	// producers RelayDelay after it adopts them, or never (Never). Its
	// own blocks it relays at once.
	Eclipse    bool
	RelayDelay time.Duration
	// Dark (with Eclipse's peer sharing) relays honest blocks at once, as
	// an honest relay does, except to a node whose hot upstreams are all
	// attackers (captured): to it, the attacker announces only its own
	// blocks. It so scores well until it holds a node, then goes dark.
	// RelayDelay does not apply.
	Dark bool
	// InvalidHeader: an invalid header to every node that makes it hot (a
	// violation: the node demotes it at once). OversizedShare: peer-sharing
	// replies longer than asked (a violation). Adversarial is both.
	InvalidHeader, OversizedShare bool
	// NoInboundLimit: the attacker accepts every connection, past the
	// accepted-connections limits an honest node keeps.
	NoInboundLimit bool
	// Withhold: the attacker announces headers as an honest relay does
	// but never serves a body. A node that asks it waits block-fetch's
	// time limit (FetchTimeout), then the connection fails, the node
	// demotes the attacker and fetches the block from another peer.
	Withhold bool
}

// FetchTimeout is block-fetch's time limit for an answer to a request:
// ouroboros-network's longWait, 60 s, in its BFBusy and BFStreaming
// states (Ouroboros.Network.Protocol.BlockFetch.Codec,
// timeLimitsBlockFetch). Past it the connection is torn down.
const FetchTimeout = 60 * time.Second

// serves reports whether node self answers block-fetch requests.
func (w *World) serves(self int32) bool {
	return w.p2p == nil || w.p2p.cfg.Attacks == nil || !w.p2p.cfg.Attacks[self].Withhold
}

// onFetchTimeout ends node ev.Node's wait for the bodies it asked
// withholding attacker ev.From for: their connection fails, as
// block-fetch's time limit makes it.
func (w *World) onFetchTimeout(ev *sim.Event) {
	if id, ok := w.env.Fail(ev.At, ev.Node, ev.From); ok {
		w.lost(ev.At, id)
	} else if !w.rx[ev.Node].down {
		// The connection closed meanwhile (the governor demoted the
		// attacker): its block-fetch client went with it, and what it
		// was fetching must be fetched elsewhere.
		w.dropFrom(ev.At, ev.Node, ev.From)
	}
	// Block-fetch then asks the other peers whose chains hold a better
	// block (chain-sync keeps every hot peer's candidate chain): the
	// node's other upstreams offer their tips again. A lost connection
	// elsewhere waits for the next announcement instead, as before.
	i := ev.Node
	if w.rx[i].down {
		return
	}
	for _, u := range w.p2p.up[i] {
		if tip := w.Nodes[u].Tip(); u != ev.From && tip != node.NoBlock && w.Chain.Better(tip, w.Nodes[i].Tip()) {
			w.Eng.At(ev.At, w.kHeader, i, u, pack(tip, 0))
		}
	}
}

// attack returns node i's attack (the zero value without Attacks).
func (p *p2p) attack(i int32) Attack {
	if p.cfg.Attacks == nil {
		return Attack{}
	}
	return p.cfg.Attacks[i]
}

// holdsBack reports whether attacker self holds back its announcement of
// block b at now, scheduling it for when its delay ends (none for Never).
func (w *World) holdsBack(now clock.Time, self int32, b node.BlockID) bool {
	if w.p2p == nil || w.p2p.cfg.Attacks == nil {
		return false
	}
	a := &w.p2p.cfg.Attacks[self]
	if !a.Eclipse || a.Dark || w.p2p.cfg.Attacks[w.Chain.Get(b).Producer].Eclipse {
		return false
	}
	if a.RelayDelay >= 0 {
		w.Eng.At(now.Add(a.RelayDelay), w.p2p.kLateAnnounce, self, -1, int64(b))
	}
	return true
}

// announceAll announces block b from self to each of its relay peers but
// except (-1: none).
func (w *World) announceAll(now clock.Time, self int32, b node.BlockID, except int32) {
	h := w.outgoing(b)
	dark := w.p2p != nil && w.p2p.attack(self).Dark && !w.p2p.attack(h.blk.Producer).Eclipse
	nd := w.Nodes[self]
	peers := nd.Peers()
	// Under tcp the flows to the peers come in the peers' order, so an
	// announcement needs no lookup (netmodel.Flows.Tie), and when they are
	// all idle (all but except's), one send stands for all of them
	// (netmodel.Flows.SendAll).
	var on onFlow
	if w.flows != nil {
		gen := nd.PeersGen()
		if last, ok := w.flows.SendAll(now, self, gen, peers, except, max(w.cfg.HeaderBytes, 1), w.cfg.BitsPerSecond); ok {
			on.sent = last
		} else {
			on.tied = w.flows.Tie(now, self, gen, peers)
		}
		// Tied or not (a list Tie cannot follow), never out of step.
		tied, ok := w.flows.Tied(self), on.tied || on.sent > 0
		if w.checkMarks && (ok && !slices.Equal(tied, peers) || !ok && len(tied) > 0) {
			panic(fmt.Sprintf("world: node %d's flows are tied to %v, its peers are %v", self, tied, peers))
		}
	}
	w.warm(peers)
	for i, to := range peers {
		switch {
		case to != except && !(dark && w.p2p.captured(to)):
			w.headers++
			on.i = i
			w.announce(now, self, to, &h, true, on)
		case on.sent > 0 && to != except:
			w.flows.Unsend(self, i) // not sent after all
		}
	}
}

// warm reads what the announcements to peers will read of each receiver
// (its mirror, its slot in the metrics log) before the loop, so that the
// cache misses, one or two per receiver, overlap instead of stalling each
// announcement in turn. It changes nothing.
func (w *World) warm(peers []int32) {
	var sum node.BlockID
	for _, to := range peers {
		sum += w.rx[to].tip
	}
	if w.mlog != nil && w.feed == nil {
		sum += node.BlockID(w.mlog.Warm(peers))
	}
	w.warmed = sum
}

// captured reports whether node i's hot upstreams are all attackers (at
// least one): a go-dark attacker then hides honest blocks from it.
func (p *p2p) captured(i int32) bool {
	if p.cfg.Attacks == nil || len(p.up[i]) == 0 {
		return false
	}
	for _, u := range p.up[i] {
		if p.cfg.Attacks[u] == (Attack{}) && !p.cfg.Adversarial[u] {
			return false
		}
	}
	return true
}

// darkTo reports whether attacker self hides honest block b from node
// to (Attack.Dark).
func (w *World) darkTo(self, to int32, b node.BlockID) bool {
	p := w.p2p
	return p != nil && p.attack(self).Dark && !p.attack(w.Chain.Get(b).Producer).Eclipse && p.captured(to)
}

// onLateAnnounce announces an honest block an eclipse attacker held back,
// to the peers it has now, if it still holds the block as its tip's
// ancestor or tip (a node announces what is on its chain).
func (w *World) onLateAnnounce(ev *sim.Event) {
	if w.rx[ev.Node].down {
		return
	}
	b := node.BlockID(ev.Arg)
	if !w.onChain(ev.Node, b) {
		return
	}
	w.announceAll(ev.At, ev.Node, b, -1)
}

// onChain reports whether block b is on node i's selected chain.
func (w *World) onChain(i int32, b node.BlockID) bool {
	target := w.Chain.Get(b).Height
	for t := w.Nodes[i].Tip(); t != node.NoBlock; {
		blk := w.Chain.Get(t)
		if blk.Height < target {
			return false
		}
		if t == b {
			return true
		}
		t = blk.Parent
	}
	return false
}

// announceTip sends from's tip to its new downstream to as chain-sync
// starts, unless from is an attacker holding it back: then its peers
// (to among them) hear of it when the delay ends.
func (w *World) announceTip(now clock.Time, from, to int32) {
	tip := w.Nodes[from].Tip()
	if tip == node.NoBlock {
		return
	}
	if w.holdsBack(now, from, tip) || w.darkTo(from, to, tip) {
		return
	}
	w.send(now, from, to, w.kHeader, pack(tip, 0), w.cfg.HeaderBytes)
}

// AttackView is what an attack does to the honest nodes at one sample:
// per node, its hot peers, how many of them are attackers, and its tip's
// height (its chain's length; 0 with no block). Include is false for an attacker and for a
// node that is down.
type AttackView struct {
	Hot, HotAttackers     []int32
	Known, KnownAttackers []int32 // every peer the governor knows, hot ones too
	Height                []int32
	Include               []bool
}

// AttackSampler receives an AttackView at every peer sample
// (P2PConfig.SampleEvery) of a run with attackers. The view is reused:
// read it during the call.
type AttackSampler interface {
	SampleAttack(t clock.Time, v *AttackView)
}

// SetAttackSampler sets the receiver of the attack's view, sampled with
// the peer metrics; call it before running. No-op without attackers.
func (w *World) SetAttackSampler(s AttackSampler) {
	if w.p2p != nil && w.p2p.cfg.Attacks != nil {
		w.p2p.attackSampler = s
	}
}

// sampleAttack fills the attack's view from the governors and tips.
func (w *World) sampleAttack(t clock.Time) {
	p := w.p2p
	v := &p.attackView
	n := len(w.Nodes)
	if v.Hot == nil {
		v.Hot, v.HotAttackers, v.Height, v.Include = make([]int32, n), make([]int32, n), make([]int32, n), make([]bool, n)
		v.Known, v.KnownAttackers = make([]int32, n), make([]int32, n)
	}
	for i := range n {
		v.Hot[i], v.HotAttackers[i], v.Height[i] = 0, 0, 0
		v.Known[i], v.KnownAttackers[i] = 0, 0
		a := p.cfg.Attacks[i]
		v.Include[i] = !w.rx[i].down && a == (Attack{}) && !p.cfg.Adversarial[i]
		if !v.Include[i] {
			continue
		}
		for _, pe := range p.gov[i].Peers() {
			bad := p.cfg.Attacks[pe.ID] != (Attack{}) || p.cfg.Adversarial[pe.ID]
			v.Known[i]++
			if bad {
				v.KnownAttackers[i]++
			}
			if pe.State != node.Hot {
				continue
			}
			v.Hot[i]++
			if bad {
				v.HotAttackers[i]++
			}
		}
		if tip := w.Nodes[i].Tip(); tip != node.NoBlock {
			v.Height[i] = w.Chain.Get(tip).Height
		}
	}
	p.attackSampler.SampleAttack(t, v)
}

// withholding reports whether any node of cfg withholds bodies. Such a
// world delivers every header as an event (Config.ExactHeaders): the
// connections a withholder's time limit fails drop the headers in flight
// on them, which the fast path would already have counted, at their
// sending, in the receivers' peer metrics and header arrivals. The swarm
// found it (seed 2336: fast and exact delivery differed).
func withholding(cfg *P2PConfig) bool {
	return cfg != nil && slices.ContainsFunc(cfg.Attacks, func(a Attack) bool { return a.Withhold })
}
