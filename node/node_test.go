package node

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

func TestChainSelection(t *testing.T) {
	var c Chain
	a := c.Add(NoBlock, 1, 0, 500, 0).ID
	b := c.Add(NoBlock, 1, 1, 100, 0).ID // slot battle: same height, lower VRF
	d := c.Add(a, 2, 0, 900, 0).ID
	cases := []struct {
		x, y BlockID
		want bool
	}{
		{a, NoBlock, true}, {NoBlock, a, false}, {b, a, true}, {a, b, false}, {d, b, true}, {b, d, false}, {a, a, false},
	}
	for _, cs := range cases {
		if got := c.Better(cs.x, cs.y); got != cs.want {
			t.Errorf("Better(%d, %d) = %v, want %v", cs.x, cs.y, got, cs.want)
		}
	}
	if c.Get(d).Height != 2 || c.Len() != 3 {
		t.Fatalf("height %d len %d", c.Get(d).Height, c.Len())
	}
}

func kinds(o *Outbox) []ActionKind {
	var k []ActionKind
	for _, a := range o.Actions {
		k = append(k, a.Kind)
	}
	return k
}

// TestRelaySequence walks one block through a downstream node: header,
// header validation, request to the first announcer, body, validation,
// adoption and onward announcement.
func TestRelaySequence(t *testing.T) {
	var c Chain
	cfg := RelayConfig{HeaderValidation: 5 * time.Millisecond, BodyValidation: 50 * time.Millisecond}
	up := NewNode(0, &c, cfg, []int32{1})
	down := NewNode(1, &c, cfg, []int32{0, 2, 3})
	var out Outbox
	b := c.Add(NoBlock, 0, 0, 1, 0).ID
	up.forge(0, b, &out)
	if got := kinds(&out); len(got) != 2 || got[0] != Adopt || got[1] != Announce || out.Actions[1].To != -1 {
		t.Fatalf("forge actions %+v", out.Actions)
	}
	out.Reset()
	down.onHeader(10, 0, b, &out)
	down.onHeader(11, 2, b, &out) // a later announcer is ignored
	if len(out.Actions) != 1 || out.Actions[0].Kind != WakeHeader || out.Actions[0].At != clock.Time(10+5*time.Millisecond) {
		t.Fatalf("header actions %+v", out.Actions)
	}
	out.Reset()
	down.onHeaderValidated(15, b, &out)
	if len(out.Actions) != 1 || out.Actions[0].Kind != SendRequest || out.Actions[0].To != 0 || out.Actions[0].Count != 1 {
		t.Fatalf("request %+v", out.Actions)
	}
	out.Reset()
	up.onRequest(20, 1, b, 1, &out)
	if len(out.Actions) != 1 || out.Actions[0].Kind != SendBody || out.Actions[0].To != 1 {
		t.Fatalf("serve %+v", out.Actions)
	}
	out.Reset()
	down.onBody(100, 0, b, &out)
	down.onBody(101, 0, b, &out) // a duplicate body is ignored
	if len(out.Actions) != 1 || out.Actions[0].At != clock.Time(100+50*time.Millisecond) {
		t.Fatalf("body %+v", out.Actions)
	}
	out.Reset()
	down.onBodyValidated(200, b, &out)
	got := kinds(&out)
	if len(got) != 2 || got[0] != Adopt || got[1] != Announce || out.Actions[1].To != 0 {
		t.Fatalf("adopt %+v (must announce to all but the sender, 0)", out.Actions)
	}
	if down.Tip() != b || !down.OnChain(b) || len(down.work) != 0 {
		t.Fatalf("tip %d work %v", down.Tip(), down.work)
	}
}

// TestFetchFragment: a node that missed a block fetches it with its child
// in one request and adopts both, oldest first.
func TestFetchFragment(t *testing.T) {
	var c Chain
	cfg := RelayConfig{}
	n := NewNode(1, &c, cfg, []int32{0})
	a := c.Add(NoBlock, 0, 0, 1, 0).ID
	b := c.Add(a, 1, 0, 1, 0).ID
	var out Outbox
	n.onHeader(0, 0, b, &out)
	out.Reset()
	n.onHeaderValidated(0, b, &out)
	if out.Actions[0].Count != 2 {
		t.Fatalf("request %+v, want a 2-block fragment", out.Actions)
	}
	up := NewNode(0, &c, cfg, nil)
	up.tip = b
	out.Reset()
	up.onRequest(0, 1, b, 2, &out)
	if out.Actions[0].Block != a || out.Actions[1].Block != b {
		t.Fatalf("bodies %+v, want oldest first", out.Actions)
	}
	out.Reset()
	n.onBody(1, 0, b, &out) // out of order: the child first
	n.onBody(2, 0, a, &out)
	out.Reset()
	n.onBodyValidated(3, b, &out)
	if len(out.Actions) != 0 {
		t.Fatalf("adopted a block whose parent is missing: %+v", out.Actions)
	}
	n.onBodyValidated(4, a, &out)
	if len(out.Actions) != 2 || out.Actions[0].Block != a || out.Actions[1].Block != b || n.Tip() != b {
		t.Fatalf("adoptions %+v tip %d", out.Actions, n.Tip())
	}
}

// TestLeaderRate checks the schedule against Praos: with total relative
// stake 1, a slot has at least one leader with probability f, and a pool
// with stake σ leads a fraction 1-(1-f)^σ of slots.
func TestLeaderRate(t *testing.T) {
	const pools, f, slots = 50, 0.05, 400_000
	nodes := make([]int32, pools)
	stake := make([]float64, pools)
	rngs := make([]*rand.Rand, pools)
	for i := range nodes {
		nodes[i], stake[i], rngs[i] = int32(i), float64(i+1), rand.New(rand.NewPCG(uint64(i), 7))
	}
	ls, err := NewLeaderSchedule(nodes, stake, f, rngs)
	if err != nil {
		t.Fatal(err)
	}
	led := make([]int, pools)
	nonEmpty := 0
	var buf []Leader
	for s := ls.NextSlot(); s < slots; s = ls.NextSlot() {
		buf = ls.Leaders(s, buf[:0])
		nonEmpty++
		for _, l := range buf {
			led[l.Node]++
		}
	}
	if got := float64(nonEmpty) / slots; math.Abs(got-f) > 0.002 {
		t.Errorf("non-empty slot fraction %.4f, want %.3f±0.002", got, f)
	}
	total := float64(pools * (pools + 1) / 2)
	big := pools - 1
	want := 1 - math.Pow(1-f, float64(big+1)/total)
	if got := float64(led[big]) / slots; math.Abs(got-want)/want > 0.1 {
		t.Errorf("largest pool leads %.5f of slots, want %.5f±10%%", got, want)
	}
}

func TestLeaderScheduleErrors(t *testing.T) {
	r := []*rand.Rand{rand.New(rand.NewPCG(1, 1))}
	if _, err := NewLeaderSchedule([]int32{0}, []float64{0}, 0.05, r); err == nil {
		t.Error("zero total stake accepted")
	}
	if _, err := NewLeaderSchedule([]int32{0}, []float64{1}, 0, r); err == nil {
		t.Error("f = 0 accepted")
	}
	if _, err := NewLeaderSchedule([]int32{0}, []float64{math.NaN()}, 0.05, r); err == nil {
		t.Error("NaN stake accepted")
	}
}

func TestTargetsSanity(t *testing.T) {
	for _, ok := range []Targets{RelayTargets, BlockProducerTargets, SyncTargets, {}} {
		if !ok.Sane() {
			t.Errorf("%+v rejected: %v", ok, ok.Check())
		}
	}
	bad := []Targets{
		{Known: 10, Established: 11},
		{Known: 10, Established: 5, Active: 6},
		{Known: 10, Root: 11},
		{Known: 10, Active: -1},
		{KnownBLP: 1, EstablishedBLP: 2},
		{Known: 200, Established: 200, Active: 101},
		{Known: 2000, Established: 1001},
		{Known: 10001},
	}
	for _, b := range bad {
		if b.Sane() {
			t.Errorf("%+v accepted", b)
		}
	}
}

// cloneNode copies a node with its own work list, to try a handler on.
func cloneNode(n *Node) *Node {
	c := *n
	c.work = slices.Clone(n.work)
	c.peers = slices.Clone(n.peers)
	if n.pipe != nil {
		p := *n.pipe
		p.early, p.kept = slices.Clone(p.early), slices.Clone(p.kept)
		c.pipe = &p
	}
	return &c
}

// TestFetchingSkipArgument checks, over random relay histories on a forking
// chain, the argument of sim's header skip (World.sendHeader): when b is
// Fetching or not better than the tip, OnHeader ignores it; a block that
// is not better than the tip stays so; and a block stops Fetching while
// still better than the tip only through DropFrom or Restart.
func TestFetchingSkipArgument(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var c Chain
		nb := rapid.IntRange(1, 10).Draw(t, "blocks")
		for i := range nb {
			parent := NoBlock
			if i > 0 {
				parent = BlockID(rapid.IntRange(-1, i-1).Draw(t, "parent"))
			}
			c.Add(parent, int64(i), 0, rapid.Uint64Range(0, 3).Draw(t, "vrf"), 0)
		}
		cfg := RelayConfig{HeaderValidation: time.Millisecond, BodyValidation: time.Millisecond}
		n := NewNode(0, &c, cfg, []int32{1, 2})
		var out Outbox
		now := clock.Time(0)
		for step := range rapid.IntRange(1, 60).Draw(t, "steps") {
			before := make([]bool, nb)
			notBetter := make([]bool, nb)
			for b := range nb {
				before[b] = n.Fetching(BlockID(b))
				notBetter[b] = !c.Better(BlockID(b), n.Tip())
				if before[b] || notBetter[b] {
					m := cloneNode(n)
					out.Reset()
					m.onHeader(now, 1, BlockID(b), &out)
					if len(out.Actions) != 0 || !slices.Equal(m.work, n.work) {
						t.Fatalf("step %d: OnHeader(%d) acted on a block Fetching %v, better %v", step, b, before[b], !notBetter[b])
					}
				}
			}
			now += clock.Time(time.Millisecond)
			b := BlockID(rapid.IntRange(0, nb-1).Draw(t, "block"))
			peer := int32(rapid.IntRange(1, 2).Draw(t, "peer"))
			out.Reset()
			forgets := false
			switch op := rapid.IntRange(0, 5).Draw(t, "op"); op {
			case 0:
				n.onHeader(now, peer, b, &out)
			case 1:
				n.onHeaderValidated(now, b, &out)
			case 2:
				n.onBody(now, peer, b, &out)
			case 3:
				n.onBodyValidated(now, b, &out)
			case 4:
				n.dropFrom(peer)
				forgets = true
			case 5:
				n.restart()
				n.peers = append(n.peers, 1, 2)
				forgets = true
			}
			for x := range nb {
				better := c.Better(BlockID(x), n.Tip())
				if notBetter[x] && better {
					t.Fatalf("step %d: block %d became better than the tip again", step, x)
				}
				if before[x] && !n.Fetching(BlockID(x)) && better && !forgets {
					t.Fatalf("step %d: block %d left the work list still better than the tip", step, x)
				}
			}
		}
	})
}

// TestNodeFillsCacheLines keeps NewNodes' layout claim: a Node is a whole
// number of 64-byte lines, so nodes in one array start at line boundaries.
func TestNodeFillsCacheLines(t *testing.T) {
	if size := unsafe.Sizeof(Node{}); size%64 != 0 || size != 192 {
		t.Errorf("a Node is %d bytes, not three lines (192): adjust its padding", size)
	}
	if size := unsafe.Sizeof(Block{}); size != 48 {
		t.Errorf("a Block is %d bytes, want 48 (Bytes in Producer's padding)", size)
	}
	c := &Chain{}
	ns := NewNodes(c, RelayConfig{}, [][]int32{{1}, {0}})
	if len(ns) != 2 || ns[1].ID != 1 || ns[0].Tip() != NoBlock || len(ns[1].peers) != 1 || ns[0].WorkLen() != 0 {
		t.Fatalf("NewNodes: %+v", ns)
	}
}
