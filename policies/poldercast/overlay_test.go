package poldercast

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// testNet is a synchronous harness: every round each node in turn runs its
// three paper-mode exchanges with instant delivery.
type testNet struct {
	o    *Overlay
	rngs []*rand.Rand
	buf  []Entry
	rep  []Entry
}

func rng(seed, id uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, id)) }

func profiles(n int, seed uint64, subs func(i int) Subs) []Profile {
	r := rng(seed, 1<<40)
	prof := make([]Profile, n)
	for i := range prof {
		prof[i] = Profile{ID: r.Uint64(), Subs: subs(i)}
	}
	return prof
}

func mixedSubs(i int) Subs { return Subs{Interest(i % 4), Interest(1 + i%3)} }

func newTestNet(t testing.TB, p Params, prof []Profile, seed uint64, trusted int) *testNet {
	t.Helper()
	o, err := New(p, prof, seed)
	if err != nil {
		t.Fatal(err)
	}
	nt := &testNet{o: o}
	n := len(prof)
	for i := range n {
		nt.rngs = append(nt.rngs, rng(seed, uint64(i)))
		var seeds []int32
		for len(seeds) < trusted {
			if s := int32(nt.rngs[i].IntN(n)); int(s) != i && !slices.Contains(seeds, s) {
				seeds = append(seeds, s)
			}
		}
		o.Bootstrap(int32(i), seeds, 0)
	}
	return nt
}

// round runs one paper-mode round at every node; down nodes neither start
// nor answer.
func (nt *testNet) round(down []bool) {
	o := nt.o
	for i := range o.N() {
		p := int32(i)
		if down != nil && down[p] {
			continue
		}
		var q int32
		if q, nt.buf = o.CyclonStart(p, nt.rngs[p], nt.buf[:0]); q >= 0 && (down == nil || !down[q]) {
			nt.rep = o.CyclonReply(q, p, nt.buf, nt.rngs[q], nt.rep[:0])
			o.CyclonFinish(p, nt.rep)
		}
		if q, nt.buf = o.VicinityStart(p, nt.buf[:0]); q >= 0 && (down == nil || !down[q]) {
			nt.rep = o.VicinityReply(q, p, nt.buf, nt.rep[:0])
			o.VicinityFinish(p, nt.rep)
		}
		if q, nt.buf = o.RingsStart(p, nt.rngs[p], nt.buf[:0]); q >= 0 && (down == nil || !down[q]) {
			nt.rep = o.RingsReply(q, p, nt.buf, nt.rngs[q], nt.rep[:0])
			o.RingsFinish(p, nt.rep)
		}
	}
}

// trueNeighbours returns, for topic t, each subscriber's true successor and
// predecessor on the circular id space among the nodes alive.
func trueNeighbours(o *Overlay, t Topic, down []bool) (succ, pred map[int32]int32) {
	var subs []int32
	for i, p := range o.Prof {
		if p.Subs.Has(t) && (down == nil || !down[i]) {
			subs = append(subs, int32(i))
		}
	}
	slices.SortFunc(subs, o.cmpID)
	succ, pred = map[int32]int32{}, map[int32]int32{}
	for k, x := range subs {
		succ[x] = subs[(k+1)%len(subs)]
		pred[x] = subs[(k+len(subs)-1)%len(subs)]
	}
	return succ, pred
}

// ringsCorrect counts the subscribers whose nearest ring entries are the
// true neighbours.
func ringsCorrect(o *Overlay, t Topic, down []bool) (ok, total int) {
	succ, pred := trueNeighbours(o, t, down)
	for i := range o.N() {
		x := int32(i)
		s, in := succ[x]
		if !in {
			continue
		}
		total++
		r := o.PaperState(x).Rings[t]
		if len(r.Succ) > 0 && len(r.Pred) > 0 && r.Succ[0].Node == s && r.Pred[0].Node == pred[x] {
			ok++
		}
	}
	return ok, total
}

// TestRingsConverge: in a stable network of 200 nodes bootstrapped from 4
// random trusted peers each, every subscriber's rings hold its true
// successor and predecessor within 30 rounds, in both topics (the Messages
// topic has only three quarters of the nodes as subscribers), and the
// successor links form one cycle over the subscribers.
func TestRingsConverge(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			nt := newTestNet(t, DefaultParams(Paper), profiles(200, seed, mixedSubs), seed, 4)
			rounds := 0
			for ; rounds < 30; rounds++ {
				a, na := ringsCorrect(nt.o, Blocks, nil)
				b, nb := ringsCorrect(nt.o, Messages, nil)
				if a == na && b == nb {
					break
				}
				nt.round(nil)
			}
			for _, tp := range []Topic{Blocks, Messages} {
				if ok, total := ringsCorrect(nt.o, tp, nil); ok != total {
					t.Fatalf("seed %d: after %d rounds only %d of %d %v rings are correct", seed, rounds, ok, total, tp)
				}
			}
			t.Logf("seed %d: rings correct after %d rounds", seed, rounds)
			// One cycle: following successors from any subscriber visits
			// every subscriber once.
			start := int32(0)
			seen := map[int32]bool{}
			for x := start; !seen[x]; x = nt.o.PaperState(x).Rings[Blocks].Succ[0].Node {
				seen[x] = true
			}
			if len(seen) != 200 {
				t.Fatalf("the Blocks successor cycle has %d nodes, want 200", len(seen))
			}
		})
	}
}

// disseminate floods one event of topic t from src over PaperTargets with
// instant delivery, returning the nodes that received it and the messages
// sent.
func disseminate(o *Overlay, src int32, t Topic, r *rand.Rand, up []bool) (got []bool, msgs int) {
	got = make([]bool, o.N())
	got[src] = true
	type hop struct{ to, from int32 }
	queue := []hop{{src, -1}}
	var dst []int32
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		dst = o.PaperTargets(h.to, h.from, t, up, r, dst[:0])
		for _, n := range dst {
			msgs++
			if !got[n] {
				got[n] = true
				queue = append(queue, hop{n, h.to})
			}
		}
	}
	return got, msgs
}

// TestPaperFanoutReachesEverySubscriber: with fanout 2 (ring only) and 3
// on converged rings, an event reaches every subscriber of its topic and
// no one else, and each holder sends at most F messages.
func TestPaperFanoutReachesEverySubscriber(t *testing.T) {
	for _, f := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("F%d", f), func(t *testing.T) {
			p := DefaultParams(Paper)
			p.Fanout = f
			nt := newTestNet(t, p, profiles(150, 7, mixedSubs), 7, 4)
			for range 30 {
				nt.round(nil)
			}
			r := rng(7, 99)
			for _, tp := range []Topic{Blocks, Messages} {
				for src := int32(0); src < 150; src += 13 {
					if !nt.o.Prof[src].Subs.Has(tp) {
						continue
					}
					got, msgs := disseminate(nt.o, src, tp, r, nil)
					subs := 0
					for i, g := range got {
						if g != nt.o.Prof[i].Subs.Has(tp) {
							t.Fatalf("%v from %d: node %d received %v, subscribed %v", tp, src, i, g, nt.o.Prof[i].Subs.Has(tp))
						}
						if g {
							subs++
						}
					}
					// Every holder sends at most F messages (spec §3: the
					// other ring neighbour and F−1 shortcuts, or both and
					// F−2).
					if msgs > f*subs {
						t.Fatalf("F=%d sent %d messages for %d subscribers: more than F per node", f, msgs, subs)
					}
				}
			}
		})
	}
}

// TestRingsHealAfterChurn: after 20 % of nodes leave, the rings converge
// again to the true neighbours among the remaining nodes, and F=2 reaches
// every remaining subscriber.
func TestRingsHealAfterChurn(t *testing.T) {
	nt := newTestNet(t, DefaultParams(Paper), profiles(200, 11, func(int) Subs { return DefaultSubs }), 11, 4)
	for range 25 {
		nt.round(nil)
	}
	down := make([]bool, 200)
	r := rng(11, 5)
	for _, i := range r.Perm(200)[:40] {
		down[i] = true
	}
	rounds := 0
	for ; rounds < 60; rounds++ {
		if ok, total := ringsCorrect(nt.o, Blocks, down); ok == total {
			break
		}
		nt.round(down)
	}
	if ok, total := ringsCorrect(nt.o, Blocks, down); ok != total {
		t.Fatalf("after %d rounds %d of %d rings are correct", rounds, ok, total)
	}
	t.Logf("rings healed in %d rounds", rounds)
	up := make([]bool, 200)
	for i := range up {
		up[i] = !down[i]
	}
	p := nt.o.P
	p.Fanout = 2
	nt.o.P = p
	got, _ := disseminate(nt.o, int32(slices.Index(up, true)), Blocks, r, up)
	for i := range got {
		if got[i] != up[i] {
			t.Fatalf("node %d (up %v) received %v", i, up[i], got[i])
		}
	}
}

// checkPaper asserts the view invariants of node x.
func checkPaper(o *Overlay, x int32) error {
	s := o.PaperState(x)
	views := map[string][]Entry{"cyclon": s.Cyc, "vicinity": s.Vic}
	for tp := range NumTopics {
		views[fmt.Sprintf("pred[%d]", tp)] = s.Rings[tp].Pred
		views[fmt.Sprintf("succ[%d]", tp)] = s.Rings[tp].Succ
		if len(s.Rings[tp].Pred) > o.P.Ring/2 || len(s.Rings[tp].Succ) > o.P.Ring/2 {
			return fmt.Errorf("node %d topic %d: ring sides %d/%d > %d", x, tp, len(s.Rings[tp].Pred), len(s.Rings[tp].Succ), o.P.Ring/2)
		}
		if !o.Prof[x].Subs.Has(Topic(tp)) && len(s.Rings[tp].Pred)+len(s.Rings[tp].Succ) > 0 {
			return fmt.Errorf("node %d has a ring in unsubscribed topic %d", x, tp)
		}
	}
	for _, name := range []string{"cyclon", "vicinity", "pred[0]", "succ[0]", "pred[1]", "succ[1]"} {
		v := views[name]
		if (name == "cyclon" || name == "vicinity") && len(v) > o.P.View {
			return fmt.Errorf("node %d %s: %d entries > %d", x, name, len(v), o.P.View)
		}
		seen := map[int32]bool{}
		for _, e := range v {
			if e.Node == x {
				return fmt.Errorf("node %d %s holds itself", x, name)
			}
			if seen[e.Node] {
				return fmt.Errorf("node %d %s holds %d twice", x, name, e.Node)
			}
			if e.Age < 0 {
				return fmt.Errorf("node %d %s: negative age", x, name)
			}
			seen[e.Node] = true
		}
	}
	return nil
}

// TestPaperViewsProperty: over random sequences of exchanges (some lost,
// as when the target is down), joins and resets, every view stays within
// its bound, never holds its owner and never holds a node twice.
func TestPaperViewsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 40).Draw(rt, "n")
		p := DefaultParams(Paper)
		p.View = rapid.IntRange(1, 12).Draw(rt, "view")
		p.Gossip = rapid.IntRange(1, p.View).Draw(rt, "gossip")
		p.Ring = 2 * rapid.IntRange(1, 3).Draw(rt, "ringHalf")
		seed := rapid.Uint64().Draw(rt, "seed")
		o, err := New(p, profiles(n, seed, mixedSubs), seed)
		if err != nil {
			rt.Fatal(err)
		}
		r := rng(seed, 0)
		var buf, rep []Entry
		for step := range rapid.IntRange(1, 200).Draw(rt, "steps") {
			x := int32(r.IntN(n))
			lost := r.IntN(4) == 0
			var q int32
			switch op := r.IntN(6); op {
			case 0:
				var seeds []int32
				for range r.IntN(5) {
					seeds = append(seeds, int32(r.IntN(n)))
				}
				o.Bootstrap(x, seeds, 0)
			case 1:
				if q, buf = o.CyclonStart(x, r, buf[:0]); q >= 0 && !lost {
					rep = o.CyclonReply(q, x, buf, r, rep[:0])
					o.CyclonFinish(x, rep)
				}
			case 2:
				if q, buf = o.VicinityStart(x, buf[:0]); q >= 0 && !lost {
					rep = o.VicinityReply(q, x, buf, rep[:0])
					o.VicinityFinish(x, rep)
				}
			case 3:
				if q, buf = o.RingsStart(x, r, buf[:0]); q >= 0 && !lost {
					rep = o.RingsReply(q, x, buf, r, rep[:0])
					o.RingsFinish(x, rep)
				}
			case 4:
				if r.IntN(10) == 0 {
					o.Reset(x)
				}
			case 5:
				dst := o.PaperTargets(x, int32(r.IntN(n+1))-1, Topic(r.IntN(2)), nil, r, nil)
				if !slices.IsSorted(dst) || len(slices.Compact(slices.Clone(dst))) != len(dst) || slices.Contains(dst, x) {
					rt.Fatalf("step %d: targets %v of %d: want sorted, distinct, without self", step, dst, x)
				}
				if len(dst) > p.Fanout {
					rt.Fatalf("step %d: %d targets > fanout %d", step, len(dst), p.Fanout)
				}
			}
			if len(buf) > p.Gossip || len(rep) > p.Gossip {
				rt.Fatalf("step %d: gossip of %d/%d entries > %d", step, len(buf), len(rep), p.Gossip)
			}
			for i := range n {
				if err := checkPaper(o, int32(i)); err != nil {
					rt.Fatalf("step %d: %v", step, err)
				}
			}
		}
	})
}

// fullTable gives every ITN node every other node.
func fullTable(t testing.TB, n int, seed uint64, subs func(int) Subs) *Overlay {
	t.Helper()
	p := DefaultParams(ITN)
	o, err := New(p, profiles(n, seed, subs), seed)
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	for i := range n {
		o.ItnAccept(int32(i), all, 0)
	}
	return o
}

// TestItnRingsQuirk: jorm-0.8 rings (spec §2): the "successors" of every
// node are the two highest ids in the table, the predecessors the two
// nearest below, and nothing wraps around.
func TestItnRingsQuirk(t *testing.T) {
	o := fullTable(t, 100, 3, func(int) Subs { return DefaultSubs })
	byID := make([]int32, 100)
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, o.cmpID)
	top := []int32{byID[99], byID[98]}
	r := rng(3, 3)
	for rank, x := range byID {
		o.itnRebuild(x, r)
		ring := o.itn[x].ring[Blocks]
		var want []int32
		for k := rank - 1; k >= 0 && k >= rank-2; k-- {
			want = append(want, byID[k])
		}
		for _, h := range top {
			if o.Prof[h].ID > o.Prof[x].ID {
				want = append(want, h)
			}
		}
		if !slices.Equal(ring, want) {
			t.Fatalf("rank %d: ring %v, want %v (two below, then the two highest above)", rank, ring, want)
		}
	}
	if len(o.itn[byID[99]].ring[Blocks]) != 2 {
		t.Fatalf("the highest id has %d ring entries, want its 2 predecessors only (no wrap)", len(o.itn[byID[99]].ring[Blocks]))
	}
}

// TestItnVicinityLeastProximate: jorm-0.8 Vicinity keeps the least
// proximate nodes: with 30 low/low nodes among high/high ones, a high/high
// node's Vicinity of 20 holds only low/low nodes, drawn at random.
func TestItnVicinityLeastProximate(t *testing.T) {
	subs := func(i int) Subs {
		if i%4 == 0 {
			return Subs{Low, Low}
		}
		return Subs{High, High}
	}
	o := fullTable(t, 120, 5, subs)
	seen := map[int32]bool{}
	r := rng(5, 5)
	for range 10 {
		o.itn[1].dirty = true
		o.itnRebuild(1, r)
		v := o.itn[1].vic
		if len(v) != 20 {
			t.Fatalf("vicinity of %d entries, want 20", len(v))
		}
		for _, x := range v {
			if x%4 != 0 {
				t.Fatalf("vicinity holds %d (%v), want only low/low nodes", x, o.Prof[x].Subs)
			}
			seen[x] = true
		}
	}
	if len(seen) <= 20 {
		t.Fatalf("10 rebuilds picked only %d distinct nodes: want a fresh random draw each time", len(seen))
	}
	// The gossip for a low/low recipient takes its least proximate: the
	// high/high ones (score 10 beats 1 ... ascending: low/low score 2 is
	// least), so it holds low/low nodes other than the recipient.
	g := o.ItnGossip(1, 0, r, nil)
	if !slices.Contains(g, 1) || slices.Contains(g, 0) {
		t.Fatalf("gossip %v: want the sender and not the recipient", g)
	}
}

// TestItnQuarantineLifecycle: a single strike quarantines; the node leaves
// the views; gossip about it within the quarantine keeps it there; gossip
// after the quarantine lifts it.
func TestItnQuarantineLifecycle(t *testing.T) {
	o := fullTable(t, 30, 9, func(int) Subs { return DefaultSubs })
	r := rng(9, 9)
	t0 := clock.FromSeconds(100)
	const x, q = 4, 7
	if !o.ItnStrike(x, q, t0) {
		t.Fatal("first strike did not quarantine")
	}
	if o.ItnStrike(x, q, t0) {
		t.Fatal("a second strike re-quarantined a quarantined node")
	}
	if known, quar := o.ItnKnown(x); known != 29 || quar != 1 {
		t.Fatalf("known %d quarantined %d, want 29 and 1", known, quar)
	}
	for range 20 {
		o.itn[x].dirty = true
		if v := o.ItnView(x, AnyTopic, r, nil); slices.Contains(v, q) {
			t.Fatalf("quarantined node %d in the view %v", q, v)
		}
		if g := o.ItnGossip(x, 1, r, nil); slices.Contains(g, q) {
			t.Fatalf("quarantined node %d gossiped: %v", q, g)
		}
	}
	o.ItnAccept(x, []int32{q}, t0.Add(DefaultQuarantine-time.Second))
	if !o.ItnQuarantined(x, q) {
		t.Fatal("gossip within the quarantine lifted it")
	}
	o.ItnAccept(x, []int32{q}, t0.Add(DefaultQuarantine))
	if o.ItnQuarantined(x, q) {
		t.Fatal("gossip after the quarantine did not lift it")
	}
	if _, quar := o.ItnKnown(x); quar != 0 {
		t.Fatalf("%d still quarantined", quar)
	}
	if o.ItnStrike(x, x, t0) {
		t.Fatal("a node quarantined itself")
	}
}

// TestItnViewBounds: views hold no self, no duplicates, nothing
// quarantined, and at most Ring·topics + 2·View entries.
func TestItnViewBounds(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 80).Draw(rt, "n")
		seed := rapid.Uint64().Draw(rt, "seed")
		o, err := New(DefaultParams(ITN), profiles(n, seed, mixedSubs), seed)
		if err != nil {
			rt.Fatal(err)
		}
		r := rng(seed, 1)
		now := clock.Time(0)
		for step := range rapid.IntRange(1, 100).Draw(rt, "steps") {
			x := int32(r.IntN(n))
			now = now.Add(time.Duration(r.IntN(600)) * time.Second)
			switch r.IntN(3) {
			case 0:
				var g []int32
				for range r.IntN(30) {
					g = append(g, int32(r.IntN(n)))
				}
				o.ItnAccept(x, g, now)
			case 1:
				o.ItnStrike(x, int32(r.IntN(n)), now)
			case 2:
				to := int32(r.IntN(n))
				g := o.ItnGossip(x, to, r, nil)
				if slices.Contains(g, to) || (to != x && !slices.Contains(g, x)) || !slices.IsSorted(g) {
					rt.Fatalf("step %d: gossip %v from %d to %d", step, g, x, to)
				}
			}
			v := o.ItnView(x, AnyTopic, r, nil)
			if len(v) > 2*o.P.Ring+2*o.P.View || slices.Contains(v, x) || !slices.IsSorted(v) || len(slices.Compact(slices.Clone(v))) != len(v) {
				rt.Fatalf("step %d: view %v of %d", step, v, x)
			}
			for _, y := range v {
				if o.ItnQuarantined(x, y) {
					rt.Fatalf("step %d: quarantined %d in the view of %d", step, y, x)
				}
			}
		}
	})
}

func TestPeerMapLRU(t *testing.T) {
	m := PeerMap{Cap: 2}
	hs := 10 * time.Millisecond
	steps := []struct {
		peer   int32
		now    clock.Time
		ready  clock.Time
		opened bool
	}{
		{1, 0, clock.Time(hs), true},
		{1, 5, clock.Time(hs), false}, // still opening: leaves at the handshake's end
		{2, 20, 20 + clock.Time(hs), true},
		{1, clock.Time(hs) + 1, clock.Time(hs) + 1, false},
		{3, clock.Time(2 * hs), clock.Time(3 * hs), true}, // evicts 2, the least recently used
		{1, clock.Time(4 * hs), clock.Time(4 * hs), false},
		{2, clock.Time(5 * hs), clock.Time(6 * hs), true},
	}
	for i, s := range steps {
		ready, opened := m.Use(s.peer, s.now, hs)
		if ready != s.ready || opened != s.opened {
			t.Fatalf("step %d: Use(%d, %v) = %v, %v; want %v, %v", i, s.peer, s.now, ready, opened, s.ready, s.opened)
		}
		if m.Len() > m.Cap {
			t.Fatalf("step %d: %d connections > cap %d", i, m.Len(), m.Cap)
		}
	}
	if m.Has(3) || !m.Has(2) || !m.Has(1) {
		t.Fatal("wrong entry evicted")
	}
	m.Drop(1)
	if m.Has(1) || m.Len() != 1 {
		t.Fatal("Drop kept the connection")
	}
	m.Clear()
	if m.Len() != 0 {
		t.Fatal("Clear kept connections")
	}
}

func TestParamsCheck(t *testing.T) {
	ok := []Params{DefaultParams(Paper), DefaultParams(ITN)}
	for _, p := range ok {
		if err := p.Check(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	mod := func(m Mode, f func(*Params)) Params {
		p := DefaultParams(m)
		f(&p)
		return p
	}
	bad := []struct {
		p    Params
		want string
	}{
		{mod(Paper, func(p *Params) { p.Mode = 7 }), "mode"},
		{mod(Paper, func(p *Params) { p.View = 0 }), "view 0"},
		{mod(Paper, func(p *Params) { p.Gossip = 21 }), "gossip 21"},
		{mod(Paper, func(p *Params) { p.Ring = 3 }), "ring 3"},
		{mod(Paper, func(p *Params) { p.Fanout = 1 }), "fanout 1"},
		{mod(ITN, func(p *Params) { p.Fanout = 3 }), "fanout 3"},
		{mod(ITN, func(p *Params) { p.Interval = 0 }), "interval 0s"},
		{mod(ITN, func(p *Params) { p.PeerMap = 0 }), "peer map 0"},
		{mod(Paper, func(p *Params) { p.Quarantine = time.Minute }), "quarantine 1m0s"},
	}
	for _, c := range bad {
		err := c.p.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "accepted") {
			t.Errorf("%+v: error %v, want one naming %q and what is accepted", c.p, err, c.want)
		}
	}
}

func TestScores(t *testing.T) {
	cases := []struct {
		a, b Interest
		want int
	}{{Low, Low, 1}, {Low, Normal, 2}, {Low, High, 3}, {Normal, Normal, 5}, {Normal, High, 6}, {High, High, 10}, {None, High, 0}}
	for _, c := range cases {
		if got, back := PairScore(c.a, c.b), PairScore(c.b, c.a); got != c.want || back != c.want {
			t.Errorf("PairScore(%v, %v) = %d/%d, want %d (symmetric)", c.a, c.b, got, back, c.want)
		}
	}
	p := ScoreProximity(Subs{High, Normal}, Subs{Low, Normal})
	if p != (Proximity{Prio: 3 + 5, Count: 2}) {
		t.Errorf("ScoreProximity = %+v", p)
	}
	if ScoreProximity(Subs{High, None}, Subs{None, High}) != (Proximity{}) {
		t.Error("no shared topic must give zero proximity")
	}
	if (Proximity{5, 1}).Compare(Proximity{5, 2}) >= 0 || (Proximity{6, 1}).Compare(Proximity{5, 2}) <= 0 {
		t.Error("Compare must order by Prio, then Count")
	}
	for c := range numClasses {
		if classSubs(c).class() != c {
			t.Fatalf("class %d does not round-trip", c)
		}
	}
}

func TestNewRejectsBadProfiles(t *testing.T) {
	if _, err := New(DefaultParams(Paper), []Profile{{ID: 5}, {ID: 5}}, 0); err == nil || !strings.Contains(err.Error(), "distinct") {
		t.Errorf("duplicate ids: %v", err)
	}
	if _, err := New(DefaultParams(Paper), []Profile{{ID: 5, Subs: Subs{9, 0}}}, 0); err == nil || !strings.Contains(err.Error(), "interest 9") {
		t.Errorf("bad interest: %v", err)
	}
}

// TestSample: Floyd's sample is k distinct sorted indices in range, and
// every index is drawn.
func TestSample(t *testing.T) {
	r := rng(1, 1)
	hits := make([]int, 10)
	for range 2000 {
		s := sample(r, 10, 3, nil)
		if len(s) != 3 || !slices.IsSorted(s) || len(slices.Compact(slices.Clone(s))) != 3 || s[0] < 0 || s[2] >= 10 {
			t.Fatalf("sample %v", s)
		}
		for _, i := range s {
			hits[i]++
		}
	}
	for i, h := range hits {
		if h < 450 || h > 750 { // expectation 600
			t.Fatalf("index %d drawn %d times of 6000: not uniform (%v)", i, h, hits)
		}
	}
	if s := sample(r, 2, 5, nil); len(s) != 2 {
		t.Fatalf("k > n gave %v", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"paper", "itn", "low", "normal", "high", "none", "", "Paper", "jorm-0.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMode(s)
		if (err == nil) != (s == "paper" || s == "itn") || (err == nil && m.String() != s) {
			t.Fatalf("ParseMode(%q) = %v, %v", s, m, err)
		}
		if err != nil && !strings.Contains(err.Error(), "accepted paper, itn") {
			t.Fatalf("error %q does not say what is accepted", err)
		}
		i, err := ParseInterest(s)
		if err == nil && i.String() != s {
			t.Fatalf("ParseInterest(%q) = %v", s, i)
		}
		if err != nil && !strings.Contains(err.Error(), "accepted") {
			t.Fatalf("error %q does not say what is accepted", err)
		}
	})
}
