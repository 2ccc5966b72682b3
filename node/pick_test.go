package node

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
)

// stubView is a PeerView over a fixed peer list, for policy tests.
type stubView struct {
	peers []Peer // sorted by id
	m     *Metrics
	mode  ChurnMode
}

func (v *stubView) Peer(id PeerID) *Peer {
	i, ok := slices.BinarySearchFunc(v.peers, id, func(p Peer, id PeerID) int { return int(p.ID) - int(id) })
	if !ok {
		return nil
	}
	return &v.peers[i]
}
func (v *stubView) Peers() []Peer     { return v.peers }
func (v *stubView) Metrics() *Metrics { return v.m }
func (v *stubView) Mode() ChurnMode   { return v.mode }

// checkingPolicy wraps a Policy and fails the test when either side breaks
// the Policy contract (DESIGN.md example 5): the governor must pass sorted
// distinct candidates that fit the decision and 0 < n ≤ len; the policy
// must return 1..n distinct candidates after an untouched dst.
type checkingPolicy struct {
	inner Policy
	fail  func(format string, args ...any)
	// now and g, when set, enable the checks that need the time or the
	// local-root groups.
	now clock.Time
	g   *Governor
	// contractOnly skips the checks that candidates fit the decision.
	contractOnly bool
	calls        [numDecisions]int
}

func (c *checkingPolicy) Pick(d Decision, v PeerView, cands []PeerID, n int, rng *rand.Rand, dst []PeerID) []PeerID {
	c.calls[d]++
	if n <= 0 || n > len(cands) {
		c.fail("%v: n = %d for %d candidates", d, n, len(cands))
	}
	for i := 1; i < len(cands); i++ {
		if cands[i-1] >= cands[i] {
			c.fail("%v: candidates %v not sorted and distinct", d, cands)
		}
	}
	blp := 0
	for _, id := range cands {
		if msg := c.unfit(d, v, id); msg != "" && !c.contractOnly {
			c.fail("%v: candidate %d %s", d, id, msg)
		}
		if p := v.Peer(id); p != nil && p.IsBLP() {
			blp++
		}
	}
	if blp != 0 && blp != len(cands) && d != PickShare && !c.contractOnly {
		c.fail("%v: candidates %v mix big ledger peers and others", d, cands)
	}
	before := slices.Clone(dst)
	out := c.inner.Pick(d, v, cands, n, rng, dst)
	if len(out) < len(before) || !slices.Equal(out[:len(before)], before) {
		c.fail("%v: policy changed dst's prefix %v to %v", d, before, out)
	}
	got := slices.Clone(out[len(before):])
	if len(got) < 1 || len(got) > n {
		c.fail("%v: picked %d of %v, want 1..%d", d, len(got), cands, n)
	}
	slices.Sort(got)
	for i, id := range got {
		if _, ok := slices.BinarySearch(cands, id); !ok || (i > 0 && got[i-1] == id) {
			c.fail("%v: picks %v are not distinct candidates of %v", d, got, cands)
		}
	}
	return out
}

// unfit says why id is not a valid candidate for d, or "".
func (c *checkingPolicy) unfit(d Decision, v PeerView, id PeerID) string {
	p := v.Peer(id)
	if d == PickInbound {
		if p != nil {
			return "is already known"
		}
		return ""
	}
	if p == nil {
		return "is unknown"
	}
	idleWarmPeer := p.State == Warm && p.Progress&(PromoteWarm|DemoteWarm|DemoteToCold) == 0
	switch d {
	case PickShare:
		if !p.Established() || p.Sharing != SharingEnabled || p.cooling() || p.NextShare > c.now {
			return "cannot be asked for peers"
		}
	case PickColdToWarm:
		if p.State != Cold || p.Progress&PromoteCold != 0 || p.NextConnect > c.now {
			return "is not available to connect"
		}
	case PickWarmToHot:
		if !idleWarmPeer || p.NextActivate > c.now {
			return "is not ready to activate"
		}
	case PickHotToWarm:
		if p.State != Hot || p.Progress&DemoteHot != 0 {
			return "is not idle hot"
		}
		if p.IsLocal() && c.g != nil && !c.groupAboveHot(int(p.Group)) {
			return "is a local root of a group within its hot valency"
		}
	case PickWarmToCold:
		if !idleWarmPeer || p.IsLocal() {
			return "is not an idle warm non-local peer"
		}
	case PickForget:
		if p.State != Cold || p.Progress&PromoteCold != 0 || p.IsLocal() {
			return "is not a forgettable cold peer"
		}
	}
	return ""
}

func (c *checkingPolicy) groupAboveHot(gi int) bool {
	hot := 0
	for _, p := range c.g.Peers() {
		if p.IsLocal() && int(p.Group) == gi && p.State == Hot {
			hot++
		}
	}
	return hot > c.g.LocalRoots()[gi].HotValency
}

// scriptedPolicy draws every pick from rapid, so failures shrink to the
// simplest choices (the reference suite's scripted pick policies, spec
// governor.md §6.3).
type scriptedPolicy struct{ t *rapid.T }

func (s *scriptedPolicy) Pick(d Decision, _ PeerView, cands []PeerID, n int, _ *rand.Rand, dst []PeerID) []PeerID {
	k := rapid.IntRange(1, n).Draw(s.t, "pick."+d.String()+".n")
	// A permutation never rejects, unlike drawing distinct elements.
	perm := rapid.Permutation(slices.Clone(cands)).Draw(s.t, "pick."+d.String())
	return append(dst, perm[:k]...)
}

func TestCardanoPolicyContract(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ids := rapid.SliceOfNDistinct(rapid.Int32Range(0, 60), 1, 30, rapid.ID[int32]).Draw(rt, "ids")
		slices.Sort(ids)
		v := &stubView{}
		for _, id := range ids {
			v.peers = append(v.peers, Peer{ID: id, Group: -1, Tepid: rapid.Bool().Draw(rt, "tepid"),
				FailCount: uint8(rapid.IntRange(0, 255).Draw(rt, "fails")), State: Hot})
		}
		if rapid.Bool().Draw(rt, "metrics") {
			v.m = newTestMetrics(rt, 10, drawEvents(rt, 60)...)
		}
		d := Decision(rapid.IntRange(0, int(numDecisions)-1).Draw(rt, "decision"))
		n := rapid.IntRange(1, len(ids)).Draw(rt, "n")
		seed := rapid.Uint64().Draw(rt, "seed")
		chk := &checkingPolicy{inner: &CardanoPolicy{}, fail: rt.Fatalf, contractOnly: true}
		prefix := []PeerID{-7, -8}
		got := chk.Pick(d, v, ids, n, rand.New(rand.NewPCG(seed, 1)), prefix)
		// The production policy always takes exactly n (spec §2.2: it sorts
		// and takes the first n).
		if len(got) != len(prefix)+n {
			rt.Fatalf("%v: picked %d, want n = %d", d, len(got)-len(prefix), n)
		}
		// Same seed, same picks: the policy keeps no hidden random state.
		again := (&CardanoPolicy{}).Pick(d, v, ids, n, rand.New(rand.NewPCG(seed, 1)), nil)
		if !slices.Equal(got[len(prefix):], again) {
			rt.Fatalf("%v: seed %d gave %v then %v", d, seed, got[len(prefix):], again)
		}
	})
}

// pickRates runs trials single picks of d over view v's peers and returns
// how often each peer was picked.
func pickRates(v *stubView, d Decision, trials int, seed uint64) map[PeerID]float64 {
	ids := make([]PeerID, len(v.peers))
	for i, p := range v.peers {
		ids[i] = p.ID
	}
	pol := &CardanoPolicy{}
	rng := rand.New(rand.NewPCG(seed, 2))
	counts := map[PeerID]int{}
	var buf []PeerID
	for range trials {
		buf = pol.Pick(d, v, ids, 1, rng, buf[:0])
		counts[buf[0]]++
	}
	rates := map[PeerID]float64{}
	for id, c := range counts {
		rates[id] = float64(c) / float64(trials)
	}
	return rates
}

// TestRandomDemotionBias is prop_randomDemotion (spec/governor.md §4.3)
// with exact expectations: with keys r/2 for tepid peers, one tepid peer
// against one other is picked with probability 3/4; with keys
// r/(failCount+1), a peer that failed once against one that never failed
// is forgotten with probability 3/4, one that failed three times 7/8.
// Undisturbed decisions (connect) stay uniform.
func TestRandomDemotionBias(t *testing.T) {
	const trials = 10000
	// 4σ of a binomial proportion over 10 000 trials is at most 0.02.
	const tol = 0.02
	cases := []struct {
		name  string
		d     Decision
		peers []Peer
		want  map[PeerID]float64
	}{
		{"tepid warm→cold", PickWarmToCold, []Peer{{ID: 1, Tepid: true}, {ID: 2}}, map[PeerID]float64{1: 0.75, 2: 0.25}},
		{"tepid second", PickWarmToCold, []Peer{{ID: 1}, {ID: 2, Tepid: true}}, map[PeerID]float64{1: 0.25, 2: 0.75}},
		{"no tepid", PickWarmToCold, []Peer{{ID: 1}, {ID: 2}}, map[PeerID]float64{1: 0.5, 2: 0.5}},
		{"failed once", PickForget, []Peer{{ID: 1, FailCount: 1}, {ID: 2}}, map[PeerID]float64{1: 0.75, 2: 0.25}},
		{"failed thrice", PickForget, []Peer{{ID: 1}, {ID: 2, FailCount: 3}}, map[PeerID]float64{1: 0.125, 2: 0.875}},
		{"tepid ignored when connecting", PickColdToWarm, []Peer{{ID: 1, Tepid: true}, {ID: 2, FailCount: 3}}, map[PeerID]float64{1: 0.5, 2: 0.5}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			rates := pickRates(&stubView{peers: cs.peers}, cs.d, trials, 42)
			for id, w := range cs.want {
				if math.Abs(rates[id]-w) > tol {
					t.Errorf("peer %d picked at rate %.4f, want %.3f ± %.2f (replay: go test ./node -run TestRandomDemotionBias, seed 42)", id, rates[id], w, tol)
				}
			}
		})
	}
	// Many peers, half tepid: each tepid peer goes more often than any
	// other (the reference property's form).
	v := &stubView{}
	for i := range PeerID(10) {
		v.peers = append(v.peers, Peer{ID: i, Tepid: i%2 == 0})
	}
	rates := pickRates(v, PickWarmToCold, trials, 43)
	minTepid, maxOther := 1.0, 0.0
	for _, p := range v.peers {
		if p.Tepid {
			minTepid = min(minTepid, rates[p.ID])
		} else {
			maxOther = max(maxOther, rates[p.ID])
		}
	}
	if minTepid <= maxOther {
		t.Errorf("least picked tepid peer %.4f, most picked other %.4f: want tepid peers picked more", minTepid, maxOther)
	}
}

// TestCardanoPolicyHotToWarm: with metrics, hot→warm picks the lowest
// scores (prop_hotToWarm: no unpicked peer scores strictly lower than a
// picked one); without metrics the pick is uniform.
func TestCardanoPolicyHotToWarm(t *testing.T) {
	// Upstreamyness: peer 3 first in 3 slots, peer 1 in 2, peer 2 in 1, peer 4 none.
	m := newTestMetrics(t, 180,
		hdr(1, 3, 1), hdr(2, 3, 1), hdr(3, 3, 1), hdr(4, 1, 1), hdr(5, 1, 1), hdr(6, 2, 1))
	v := &stubView{peers: []Peer{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}}, m: m, mode: ChurnDeadline}
	cases := []struct {
		n    int
		want []PeerID
	}{{1, []PeerID{4}}, {2, []PeerID{4, 2}}, {3, []PeerID{4, 2, 1}}, {4, []PeerID{4, 2, 1, 3}}}
	for _, cs := range cases {
		got := (&CardanoPolicy{}).Pick(PickHotToWarm, v, []PeerID{1, 2, 3, 4}, cs.n, rand.New(rand.NewPCG(1, 1)), nil)
		if !slices.Equal(got, cs.want) {
			t.Errorf("n = %d: picked %v, want %v (lowest score first)", cs.n, got, cs.want)
		}
	}
	v.m = nil
	rates := pickRates(v, PickHotToWarm, 10000, 44)
	for id := range PeerID(4) {
		if r := rates[id+1]; math.Abs(r-0.25) > 0.02 {
			t.Errorf("without metrics peer %d picked at rate %.4f, want 0.25", id+1, r)
		}
	}
}

// TestCardanoPolicyNoAllocs: once its scratch has grown, a pick allocates
// nothing (the governor picks on every decision).
func TestCardanoPolicyNoAllocs(t *testing.T) {
	v := &stubView{}
	ids := make([]PeerID, 50)
	for i := range ids {
		ids[i] = PeerID(i)
		v.peers = append(v.peers, Peer{ID: PeerID(i), Tepid: i%3 == 0})
	}
	pol := &CardanoPolicy{}
	rng := rand.New(rand.NewPCG(5, 5))
	dst := make([]PeerID, 0, 50)
	for _, d := range []Decision{PickShare, PickWarmToCold, PickForget, PickHotToWarm} {
		pol.Pick(d, v, ids, 10, rng, dst[:0])
		if a := testing.AllocsPerRun(100, func() { pol.Pick(d, v, ids, 10, rng, dst[:0]) }); a != 0 {
			t.Errorf("%v: %v allocations per pick, want 0", d, a)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d := range numDecisions {
		if s := d.String(); s == "" || s[0] == 'D' {
			t.Errorf("decision %d has no name: %q", d, s)
		}
	}
	if got := Decision(99).String(); got != "Decision(99)" {
		t.Errorf("unknown decision prints %q", got)
	}
}

// TestSmallestIsSortPrefix checks the partial selection against a sort.
func TestSmallestIsSortPrefix(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ids := rapid.SliceOfNDistinct(rapid.Int32Range(0, 1000), 1, 200, rapid.ID[int32]).Draw(rt, "ids")
		keys := make([]pickKey, len(ids))
		for i, id := range ids {
			keys[i] = pickKey{k: rapid.Uint32Range(0, 20).Draw(rt, "k"), id: id}
		}
		n := rapid.IntRange(1, len(keys)).Draw(rt, "n")
		want := slices.Clone(keys)
		slices.SortFunc(want, cmpPickKey)
		if got := smallest(keys, n); !slices.Equal(got, want[:n]) {
			rt.Fatalf("smallest %d: %v, sorted prefix %v", n, got, want[:n])
		}
	})
}
