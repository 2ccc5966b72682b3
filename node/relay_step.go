package node

import (
	"fmt"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// RelayInputKind names what a relay is told (Node.Step).
type RelayInputKind uint8

// The relay's inputs. From is a peer, Block a block, Count a length; the
// fields an input does not use are ignored.
const (
	// RelayHeader: From's chain-sync brought Block's header.
	RelayHeader RelayInputKind = iota + 1
	// RelayHeaderValidated: the WakeHeader action for Block fell due.
	RelayHeaderValidated
	// RelayBody: From's block-fetch brought Block's body.
	RelayBody
	// RelayBodyValidated: the WakeBody action for Block fell due.
	RelayBodyValidated
	// RelayBodyServable: the WakeServe action for Block fell due
	// (pipelining: Block's body may now be served).
	RelayBodyServable
	// RelayRequest: From asks for the Count blocks ending at Block.
	RelayRequest
	// RelayNoBlocks: From answered the request for the Count blocks
	// ending at Block with MsgNoBlocks.
	RelayNoBlocks
	// RelayForge: the node leads a slot and made Block on its tip.
	RelayForge
	// RelayPeerUp: From made the node a hot peer: the node announces its
	// blocks to From from now on.
	RelayPeerUp
	// RelayPeerDown: From no longer has the node hot.
	RelayPeerDown
	// RelayPeersGone: every peer is gone (the node crashed).
	RelayPeersGone
	// RelayDropFrom: the connection to From is lost: the node forgets
	// what it was waiting for from it, and the requests from it it keeps.
	RelayDropFrom
	// RelayRestart: the node restarts; it keeps its chain (the database
	// survives) and forgets the rest.
	RelayRestart
)

// RelayInput is one input of the relay.
type RelayInput struct {
	Kind  RelayInputKind
	From  int32
	Block BlockID
	Count int32
}

// Step is the relay's one door: it applies one input at time now and
// appends the actions it takes to out (sends, wake-ups, adoptions). It
// panics on an unknown kind, a programming error.
func (n *Node) Step(now clock.Time, in RelayInput, out *Outbox) {
	switch in.Kind {
	case RelayHeader:
		n.onHeader(now, in.From, in.Block, out)
	case RelayHeaderValidated:
		n.onHeaderValidated(now, in.Block, out)
	case RelayBody:
		n.onBody(now, in.From, in.Block, out)
	case RelayBodyValidated:
		n.onBodyValidated(now, in.Block, out)
	case RelayBodyServable:
		n.onBodyServable(now, in.Block, out)
	case RelayRequest:
		n.onRequest(now, in.From, in.Block, in.Count, out)
	case RelayNoBlocks:
		n.onNoBlocks(now, in.From, in.Block, in.Count, out)
	case RelayForge:
		n.forge(now, in.Block, out)
	case RelayPeerUp:
		if i, found := slices.BinarySearch(n.peers, in.From); !found {
			n.peers = slices.Insert(n.peers, i, in.From)
			n.peersGen++
		}
	case RelayPeerDown:
		if i, found := slices.BinarySearch(n.peers, in.From); found {
			n.peers = slices.Delete(n.peers, i, i+1)
			n.peersGen++
		}
	case RelayPeersGone:
		n.peers = n.peers[:0]
		n.peersGen++
	case RelayDropFrom:
		n.dropFrom(in.From)
	case RelayRestart:
		n.restart()
	default:
		panic(fmt.Sprintf("node: relay input kind %d", in.Kind))
	}
}

// Peers returns the node's relay peers, the nodes it announces to, in
// ascending id order. The slice is the node's: read it, do not keep it.
func (n *Node) Peers() []int32 { return n.peers }

// PeersGen returns a number that changes whenever Peers does, so that a
// caller keeping something aligned with the list can tell it is unchanged
// without comparing it.
func (n *Node) PeersGen() uint32 { return n.peersGen }
