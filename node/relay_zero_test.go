package node

import (
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// drawChain fills c with a random block tree of 1 to 10 blocks (forks,
// slot battles, sizes) and returns its size.
func drawChain(t *rapid.T, c *Chain) int {
	nb := rapid.IntRange(1, 10).Draw(t, "blocks")
	for i := range nb {
		parent := NoBlock
		if i > 0 {
			parent = BlockID(rapid.IntRange(-1, i-1).Draw(t, "parent"))
		}
		b := c.Add(parent, int64(i), 9, rapid.Uint64Range(0, 3).Draw(t, "vrf"), 0)
		b.Bytes = rapid.Int32Range(0, 90_000).Draw(t, "bytes")
	}
	return nb
}

// TestRelayZeroConfigUnchanged: with Pipelining off and no cost per KiB
// (whatever ServeDelay and the block sizes), the relay emits exactly the
// actions of the relay before those fields (relay_legacy_test.go), and
// keeps the same tip and work list, for any sequence of inputs.
func TestRelayZeroConfigUnchanged(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c Chain
		nb := drawChain(t, &c)
		cfg := RelayConfig{
			HeaderValidation: time.Duration(rapid.IntRange(0, 3).Draw(t, "hv")) * time.Millisecond,
			BodyValidation:   time.Duration(rapid.IntRange(0, 3).Draw(t, "bv")) * time.Millisecond,
			ServeDelay:       time.Duration(rapid.IntRange(0, 3).Draw(t, "serve")) * time.Millisecond,
		}
		peers := []int32{1, 2, 3}
		n := NewNode(0, &c, cfg, slices.Clone(peers))
		old := &legacyNode{ID: 0, chain: &c, cfg: cfg, tip: NoBlock, Peers: slices.Clone(peers)}
		var got, want Outbox
		now := clock.Time(0)
		for step := range rapid.IntRange(1, 80).Draw(t, "steps") {
			now += clock.Time(rapid.IntRange(0, 2).Draw(t, "dt")) * clock.Time(time.Millisecond)
			b := BlockID(rapid.IntRange(0, nb-1).Draw(t, "block"))
			peer := peers[rapid.IntRange(0, len(peers)-1).Draw(t, "peer")]
			got.Reset()
			want.Reset()
			op := rapid.IntRange(0, 8).Draw(t, "op")
			switch op {
			case 0:
				n.onHeader(now, peer, b, &got)
				old.onHeader(now, peer, b, &want)
			case 1:
				n.onHeaderValidated(now, b, &got)
				old.onHeaderValidated(now, b, &want)
			case 2:
				n.onBody(now, peer, b, &got)
				old.onBody(now, peer, b, &want)
			case 3:
				n.onBodyValidated(now, b, &got)
				old.onBodyValidated(now, b, &want)
			case 4:
				count := int32(rapid.IntRange(1, 3).Draw(t, "count"))
				n.onRequest(now, peer, b, count, &got)
				old.onRequest(now, peer, b, count, &want)
			case 5:
				n.onBodyServable(now, b, &got) // never called without pipelining; harmless
			case 6:
				n.dropFrom(peer)
				old.dropFrom(peer)
			case 7:
				n.restart()
				old.restart()
				n.peers = append(n.peers, peers...)
				old.Peers = append(old.Peers, peers...)
			case 8:
				f := c.Add(n.Tip(), int64(100+step), 0, 0, now).ID
				nb++
				n.forge(now, f, &got)
				old.forge(now, f, &want)
			}
			if !slices.Equal(got.Actions, want.Actions) {
				t.Fatalf("step %d op %d: actions\n got %+v\nwant %+v", step, op, got.Actions, want.Actions)
			}
			if n.Tip() != old.Tip() || len(n.work) != len(old.work) {
				t.Fatalf("step %d: tip %d work %v, want tip %d work %v", step, n.Tip(), n.work, old.Tip(), old.work)
			}
			for i, p := range n.work {
				if q := old.work[i]; p.block != q.block || p.from != q.from || p.state != q.state {
					t.Fatalf("step %d: work %v, want %v", step, n.work, old.work)
				}
			}
			if n.pipe != nil {
				t.Fatalf("step %d: pipelining state made without pipelining", step)
			}
		}
	})
}
