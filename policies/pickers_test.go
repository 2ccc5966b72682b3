package policies

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
)

// view is a node.PeerView over a fixed peer list sorted by id.
type view struct {
	peers []node.Peer
	m     *node.Metrics
	mode  node.ChurnMode
}

func (v *view) Peer(id node.PeerID) *node.Peer {
	i, ok := slices.BinarySearchFunc(v.peers, id, func(p node.Peer, id node.PeerID) int { return cmp.Compare(p.ID, id) })
	if !ok {
		return nil
	}
	return &v.peers[i]
}
func (v *view) Peers() []node.Peer     { return v.peers }
func (v *view) Metrics() *node.Metrics { return v.m }
func (v *view) Mode() node.ChurnMode   { return v.mode }
func ms(n int) time.Duration           { return time.Duration(n) * time.Millisecond }
func seeded(seed uint64) *rand.Rand    { return rand.New(rand.NewPCG(seed, 0x9e3779b9)) }
func idsOf(ps []node.Peer) (ids []node.PeerID) {
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

// numDecisions is the number of node.Decision values (share … forget).
const numDecisions = int(node.PickForget) + 1

// drawView draws a peer table of up to 40 peers with ids in [0, 60]:
// unmeasured or measured RTTs (few distinct values, so ties happen),
// random states, in-progress bits, tepid flags, fail counts and a few big
// ledger peers; with metrics fed random header arrivals half the time.
func drawView(t *rapid.T) *view {
	ids := rapid.SliceOfNDistinct(rapid.Int32Range(0, 60), 1, 40, rapid.ID[int32]).Draw(t, "ids")
	slices.Sort(ids)
	v := &view{mode: node.ChurnMode(rapid.IntRange(0, 1).Draw(t, "mode"))}
	for _, id := range ids {
		p := node.Peer{ID: id, Group: -1, Source: node.SrcLedger,
			State:     node.PeerState(rapid.IntRange(0, 2).Draw(t, "state")),
			Progress:  node.Progress(rapid.IntRange(0, 31).Draw(t, "progress")),
			Tepid:     rapid.Bool().Draw(t, "tepid"),
			FailCount: uint8(rapid.IntRange(0, 255).Draw(t, "fails")),
		}
		if rapid.IntRange(0, 9).Draw(t, "blp") == 0 {
			p.Source = node.SrcBigLedger
		}
		if rapid.IntRange(0, 3).Draw(t, "measured") > 0 {
			p.RTT = ms(rapid.IntRange(1, 30).Draw(t, "rtt") * 10)
		}
		v.peers = append(v.peers, p)
	}
	if rapid.Bool().Draw(t, "metrics") {
		v.m = drawMetrics(t, ids)
	}
	return v
}

// drawMetrics returns real peer metrics fed random header arrivals from
// the given peers.
func drawMetrics(t *rapid.T, ids []node.PeerID) *node.Metrics {
	m, err := node.NewMetrics(node.MetricsConfig{MaxSlots: rapid.IntRange(1, 30).Draw(t, "maxSlots")})
	if err != nil {
		t.Fatal(err)
	}
	for range rapid.IntRange(0, 80).Draw(t, "headers") {
		slot := rapid.Int64Range(0, 40).Draw(t, "slot")
		at := clock.Time(slot)*clock.Time(time.Second) + clock.Time(ms(rapid.IntRange(0, 900).Draw(t, "delay")))
		m.HeaderArrived(slot, rapid.SampledFrom(ids).Draw(t, "peer"), at)
	}
	return m
}

// drawCandidates draws a non-empty subset of the view's peers (plus, for
// the inbound decision, unknown ids), sorted by id.
func drawCandidates(t *rapid.T, v *view, d node.Decision) []node.PeerID {
	pool := idsOf(v.peers)
	if d == node.PickInbound {
		pool = []node.PeerID{100, 101, 102, 103, 104, 105}
	}
	c := rapid.SliceOfNDistinct(rapid.SampledFrom(pool), 1, len(pool), rapid.ID[node.PeerID]).Draw(t, "candidates")
	slices.Sort(c)
	return c
}

// drawPolicy draws one of the named policies with random parameters.
func drawPolicy(t *rapid.T) node.Policy {
	switch rapid.IntRange(0, 4).Draw(t, "policy") {
	case 0:
		return RandomPolicy{}
	case 1:
		return &CloseRandomPolicy{Close: rapid.IntRange(0, 12).Draw(t, "close")}
	case 2:
		return &TwoGroupsPolicy{Threshold: ms(rapid.IntRange(1, 300).Draw(t, "threshold")),
			Keep: rapid.IntRange(0, 10).Draw(t, "keep"), Share: rapid.Float64Range(0.01, 1).Draw(t, "share")}
	case 3:
		return &PeerScorePolicy{Fraction: rapid.Float64Range(0.01, 0.99).Draw(t, "fraction"), Margin: rapid.Bool().Draw(t, "margin")}
	}
	return &node.CardanoPolicy{}
}

// checkContract fails t unless out is dst followed by 1..n distinct
// candidates.
func checkContract(t interface{ Fatalf(string, ...any) }, d node.Decision, dst, out, cands []node.PeerID, n int) []node.PeerID {
	if len(out) < len(dst) || !slices.Equal(out[:len(dst)], dst) {
		t.Fatalf("%v: dst %v became %v", d, dst, out)
	}
	got := out[len(dst):]
	if len(got) < 1 || len(got) > n {
		t.Fatalf("%v: %d picks %v of %v, want 1..%d", d, len(got), got, cands, n)
	}
	sorted := slices.Sorted(slices.Values(got))
	for i, id := range sorted {
		if _, ok := slices.BinarySearch(cands, id); !ok || (i > 0 && sorted[i-1] == id) {
			t.Fatalf("%v: picks %v are not distinct candidates of %v", d, got, cands)
		}
	}
	return got
}

// TestPolicyContract: every policy, every decision, any table: 1..n
// distinct candidates after an untouched dst, the same picks for the same
// seed.
func TestPolicyContract(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		pol := drawPolicy(t)
		d := node.Decision(rapid.IntRange(0, numDecisions-1).Draw(t, "decision"))
		cands := drawCandidates(t, v, d)
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		seed := rapid.Uint64().Draw(t, "seed")
		// A prefix with spare capacity, so an overwrite of dst would show.
		dst := append(make([]node.PeerID, 0, 64), -1, -2, -3)
		saved := slices.Clone(cands)
		out := pol.Pick(d, v, cands, n, seeded(seed), dst)
		got := checkContract(t, d, dst[:3], out, cands, n)
		if !slices.Equal(cands, saved) {
			t.Fatalf("%T %v: candidates changed from %v to %v", pol, d, saved, cands)
		}
		again := pol.Pick(d, v, cands, n, seeded(seed), nil)
		if !slices.Equal(got, again) {
			t.Fatalf("%T %v seed %d: picked %v, then %v", pol, d, seed, got, again)
		}
	})
}

// TestPickersTakeExactlyN: the research pickers always take n (they sort
// keys and take the first n, like the production policy) and draw exactly
// one uint32 per candidate, so the stream advances the same way whatever
// is picked (one node's picks never reshuffle its later ones).
func TestPickersTakeExactlyN(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		pol := drawPolicy(t)
		if _, ok := pol.(*node.CardanoPolicy); ok {
			pol = RandomPolicy{}
		}
		d := node.Decision(rapid.IntRange(0, numDecisions-1).Draw(t, "decision"))
		cands := drawCandidates(t, v, d)
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		seed := rapid.Uint64().Draw(t, "seed")
		rng := seeded(seed)
		if got := pol.Pick(d, v, cands, n, rng, nil); len(got) != n {
			t.Fatalf("%T %v: %d picks, want n = %d", pol, d, len(got), n)
		}
		ref := seeded(seed)
		for range cands {
			ref.Uint32()
		}
		if a, b := rng.Uint64(), ref.Uint64(); a != b {
			t.Fatalf("%T %v: the stream did not advance by one draw per candidate (%d candidates)", pol, d, len(cands))
		}
	})
}

// tepidCount counts the tepid picks.
func tepidCount(v *view, ids []node.PeerID) int {
	k := 0
	for _, id := range ids {
		if p := v.Peer(id); p != nil && p.Tepid {
			k++
		}
	}
	return k
}

// TestRandomPickTepid: peers just demoted from hot are the first closed
// and the last reconnected or reactivated, so a replacement is a new peer.
func TestRandomPickTepid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		d := rapid.SampledFrom([]node.Decision{node.PickWarmToCold, node.PickColdToWarm, node.PickWarmToHot}).Draw(t, "decision")
		cands := drawCandidates(t, v, d)
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		got := RandomPolicy{}.Pick(d, v, cands, n, seeded(rapid.Uint64().Draw(t, "seed")), nil)
		tepid := tepidCount(v, cands)
		want := min(n, tepid) // tepid first
		if d != node.PickWarmToCold {
			want = n - min(n, len(cands)-tepid) // tepid last
		}
		if k := tepidCount(v, got); k != want {
			t.Fatalf("%v: %d tepid among picks %v of %v (%d tepid), want %d", d, k, got, cands, tepid, want)
		}
	})
}

// pickRate returns how often each candidate is the single pick of d over
// trials seeds.
func pickRate(pol node.Policy, v *view, d node.Decision, trials int) map[node.PeerID]float64 {
	cands := idsOf(v.peers)
	rng := seeded(42)
	count := map[node.PeerID]int{}
	for range trials {
		count[pol.Pick(d, v, cands, 1, rng, nil)[0]]++
	}
	rate := map[node.PeerID]float64{}
	for id, c := range count {
		rate[id] = float64(c) / float64(trials)
	}
	return rate
}

// TestRandomPickRates: forgetting keys r/(failCount+1) as in production
// (a peer that failed three times against one that never failed goes with
// probability 1 − 1/8), and the undisturbed decisions are uniform.
func TestRandomPickRates(t *testing.T) {
	const trials = 10000
	const tol = 0.02 // over 4σ of a proportion over 10 000 trials
	cases := []struct {
		name  string
		d     node.Decision
		peers []node.Peer
		want  map[node.PeerID]float64
	}{
		{"forget failed thrice", node.PickForget, []node.Peer{{ID: 1}, {ID: 2, FailCount: 3}}, map[node.PeerID]float64{1: 0.125, 2: 0.875}},
		{"forget failed once", node.PickForget, []node.Peer{{ID: 1, FailCount: 1}, {ID: 2}}, map[node.PeerID]float64{1: 0.75, 2: 0.25}},
		{"share uniform", node.PickShare, []node.Peer{{ID: 1, Tepid: true}, {ID: 2, FailCount: 9}, {ID: 3}, {ID: 4}},
			map[node.PeerID]float64{1: 0.25, 2: 0.25, 3: 0.25, 4: 0.25}},
		{"connect uniform among non-tepid", node.PickColdToWarm, []node.Peer{{ID: 1, FailCount: 5}, {ID: 2}, {ID: 3, Tepid: true}},
			map[node.PeerID]float64{1: 0.5, 2: 0.5, 3: 0}},
		{"close tepid", node.PickWarmToCold, []node.Peer{{ID: 1}, {ID: 2, Tepid: true}}, map[node.PeerID]float64{1: 0, 2: 1}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			rate := pickRate(RandomPolicy{}, &view{peers: cs.peers}, cs.d, trials)
			for id, w := range cs.want {
				if math.Abs(rate[id]-w) > tol {
					t.Errorf("peer %d picked at rate %.4f, want %.3f ± %.2f (seed 42)", id, rate[id], w, tol)
				}
			}
		})
	}
}

// closeTable is the hand-computed close-random case. Close 4: of the
// measured non-BLP peers 2 (10 ms, hot), 3 (30), 8 (35), 6 (40, cold), 1
// (50), 7 (80), the closest four are 2, 3, 8, 6; the big ledger peer 5 (20
// ms) never counts. Warm and idle: 1, 3, 4 (unmeasured), 7, 8.
func closeTable() (*view, []node.PeerID) {
	return &view{peers: []node.Peer{
		{ID: 1, RTT: ms(50), State: node.Warm},
		{ID: 2, RTT: ms(10), State: node.Hot},
		{ID: 3, RTT: ms(30), State: node.Warm},
		{ID: 4, State: node.Warm},
		{ID: 5, RTT: ms(20), Source: node.SrcBigLedger},
		{ID: 6, RTT: ms(40)},
		{ID: 7, RTT: ms(80), State: node.Warm},
		{ID: 8, RTT: ms(35), State: node.Warm, Tepid: true},
	}}, []node.PeerID{1, 3, 4, 7, 8}
}

func TestCloseRandomTable(t *testing.T) {
	v, cands := closeTable()
	pol := &CloseRandomPolicy{Close: 4}
	cases := []struct {
		n          int
		prefix     []node.PeerID // the close picks, in RTT order
		restFromOf []node.PeerID // the random rest comes from these
	}{
		{1, []node.PeerID{3}, nil},
		{2, []node.PeerID{3, 8}, nil},
		{3, []node.PeerID{3, 8}, []node.PeerID{1, 4, 7}},
		{5, []node.PeerID{3, 8}, []node.PeerID{1, 4, 7}},
	}
	for _, cs := range cases {
		for seed := range uint64(20) {
			got := pol.Pick(node.PickWarmToHot, v, cands, cs.n, seeded(seed), nil)
			if len(got) != cs.n || !slices.Equal(got[:len(cs.prefix)], cs.prefix) {
				t.Fatalf("n = %d seed %d: picked %v, want %v first", cs.n, seed, got, cs.prefix)
			}
			for _, id := range got[len(cs.prefix):] {
				if !slices.Contains(cs.restFromOf, id) {
					t.Fatalf("n = %d seed %d: random pick %d not among %v", cs.n, seed, id, cs.restFromOf)
				}
			}
		}
	}
	// Close 1: the closest (2) is already hot, so nothing is preferred and
	// the pick is random among all candidates.
	seen := map[node.PeerID]bool{}
	for seed := range uint64(50) {
		seen[(&CloseRandomPolicy{Close: 1}).Pick(node.PickWarmToHot, v, cands, 1, seeded(seed), nil)[0]] = true
	}
	if len(seen) < 3 {
		t.Errorf("Close 1 with the closest peer hot: 50 seeds picked only %v, want a random spread", seen)
	}
	// Other decisions are randomPick's: the tepid 8 is closed first.
	if got := pol.Pick(node.PickWarmToCold, v, cands, 1, seeded(1), nil); !slices.Equal(got, []node.PeerID{8}) {
		t.Errorf("warm→cold picked %v, want the tepid [8]", got)
	}
}

// closestOf returns the close measured non-BLP peers of v, by (RTT, id),
// computed independently of the policy.
func closestOf(v *view, close int) []node.PeerID {
	var ps []node.Peer
	for _, p := range v.peers {
		if p.RTT > 0 && !p.IsBLP() {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b node.Peer) int { return cmp.Or(cmp.Compare(a.RTT, b.RTT), cmp.Compare(a.ID, b.ID)) })
	return idsOf(ps[:min(close, len(ps))])
}

// TestCloseRandomProperty: activating from any table, the idle warm
// candidates among the Close closest measured peers come first, by RTT.
func TestCloseRandomProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		// Candidates as the governor passes them: idle warm peers of one
		// kind (here not big ledger peers).
		var idle []node.PeerID
		for _, p := range v.peers {
			if p.State == node.Warm && p.Progress&node.PromoteWarm == 0 && !p.IsBLP() {
				idle = append(idle, p.ID)
			}
		}
		if len(idle) == 0 {
			t.Skip("no idle warm peer")
		}
		cands := rapid.SliceOfNDistinct(rapid.SampledFrom(idle), 1, len(idle), rapid.ID[node.PeerID]).Draw(t, "candidates")
		slices.Sort(cands)
		close := rapid.IntRange(0, 12).Draw(t, "close")
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		got := (&CloseRandomPolicy{Close: close}).Pick(node.PickWarmToHot, v, cands, n, seeded(rapid.Uint64().Draw(t, "seed")), nil)
		var first []node.PeerID
		for _, id := range closestOf(v, close) {
			if slices.Contains(cands, id) {
				first = append(first, id)
			}
		}
		k := min(n, len(first))
		if !slices.Equal(got[:k], first[:k]) {
			t.Fatalf("close %d, n %d: picked %v, want %v first (closest %v)", close, n, got, first[:k], closestOf(v, close))
		}
	})
}

// twoGroupsTable: threshold 100 ms, hot peers 1 (20 ms), 2 (50), 3 (90),
// 4 (100: on the threshold, close), 5 (150), 6 (unmeasured), 7 (300).
var twoGroupsTable = &view{peers: []node.Peer{
	{ID: 1, RTT: ms(20), State: node.Hot}, {ID: 2, RTT: ms(50), State: node.Hot},
	{ID: 3, RTT: ms(90), State: node.Hot}, {ID: 4, RTT: ms(100), State: node.Hot},
	{ID: 5, RTT: ms(150), State: node.Hot}, {ID: 6, State: node.Hot}, {ID: 7, RTT: ms(300), State: node.Hot},
}}

func TestTwoGroupsReplace(t *testing.T) {
	all := idsOf(twoGroupsTable.peers)
	cases := []struct {
		name  string
		keep  int
		share float64
		hot   []node.PeerID
		want  int
	}{
		{"keep 2 of 4 close, half of 5", 2, 0.5, all, 3}, // ⌈0.5·5⌉
		{"keep all 4 close, half of 3", 6, 0.5, all, 2},  // ⌈1.5⌉
		{"keep none, half of 7", 0, 0.5, all, 4},         // ⌈3.5⌉
		{"share 1 replaces all unkept", 2, 1, all, 5},
		{"tiny share replaces one", 2, 0.01, all, 1},
		{"all kept", 4, 0.5, []node.PeerID{1, 2, 3, 4}, 0},
		{"none hot", 4, 0.5, nil, 0},
		{"unknown hot peer is unkept", 1, 1, []node.PeerID{1, 99}, 1},
		// An exact product must not round up through float error: in
		// float64 0.28·25 is 7.000000000000001, 0.14·50 too, 0.07·100 too.
		{"share 0.28 of 25", 0, 0.28, seq(10, 35), 7},
		{"share 0.14 of 50", 0, 0.14, seq(10, 60), 7},
		{"share 0.07 of 100", 0, 0.07, seq(10, 110), 7},
	}
	for _, cs := range cases {
		tg := &TwoGroupsPolicy{Threshold: ms(100), Keep: cs.keep, Share: cs.share}
		if got := tg.Replace(twoGroupsTable, cs.hot, seeded(1)); got != cs.want {
			t.Errorf("%s: Replace = %d, want %d", cs.name, got, cs.want)
		}
	}
}

// seq returns the ids lo, lo+1, …, hi−1.
func seq(lo, hi node.PeerID) []node.PeerID {
	var out []node.PeerID
	for id := lo; id < hi; id++ {
		out = append(out, id)
	}
	return out
}

func TestTwoGroupsDemoteTable(t *testing.T) {
	tg := &TwoGroupsPolicy{Threshold: ms(100), Keep: 3}
	cands := idsOf(twoGroupsTable.peers)
	// Kept: 1, 2, 3 (the three closest within 100 ms); unkept 4, 5, 6, 7.
	unkept := []node.PeerID{4, 5, 6, 7}
	for seed := range uint64(20) {
		for n := 1; n <= len(cands); n++ {
			got := tg.Pick(node.PickHotToWarm, twoGroupsTable, cands, n, seeded(seed), nil)
			k := min(n, len(unkept))
			for _, id := range got[:k] {
				if !slices.Contains(unkept, id) {
					t.Fatalf("n = %d seed %d: picked %v, kept peer %d before the unkept %v", n, seed, got, id, unkept)
				}
			}
			// Then the kept ones, farthest first.
			if want := []node.PeerID{3, 2, 1}[:n-k]; !slices.Equal(got[k:], want) {
				t.Fatalf("n = %d seed %d: picked %v, want the kept tail %v", n, seed, got, want)
			}
		}
	}
}

// TestTwoGroupsProperty: with any table, demotions take every unkept
// candidate before a kept one, the kept farthest first, and Replace is
// ⌈Share·(hot − kept)⌉ with kept ≤ Keep peers of RTT ≤ Threshold.
func TestTwoGroupsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		tg := &TwoGroupsPolicy{Threshold: ms(rapid.IntRange(1, 300).Draw(t, "threshold")),
			Keep: rapid.IntRange(0, 10).Draw(t, "keep"), Share: float64(rapid.IntRange(1, 8).Draw(t, "eighths")) / 8}
		cands := drawCandidates(t, v, node.PickHotToWarm)
		var close []node.Peer
		for _, id := range cands {
			if p := v.Peer(id); p.RTT > 0 && p.RTT <= tg.Threshold {
				close = append(close, *p)
			}
		}
		slices.SortFunc(close, func(a, b node.Peer) int { return cmp.Or(cmp.Compare(a.RTT, b.RTT), cmp.Compare(a.ID, b.ID)) })
		kept := idsOf(close[:min(tg.Keep, len(close))])
		unkept := len(cands) - len(kept)
		// Eighths are exact in float64, so the ceiling is exact too.
		if got, want := tg.Replace(v, cands, seeded(0)), (unkept*int(tg.Share*8)+7)/8; got != want {
			t.Fatalf("Replace = %d, want ⌈%v·%d⌉ = %d", got, tg.Share, unkept, want)
		}
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		got := tg.Pick(node.PickHotToWarm, v, cands, n, seeded(rapid.Uint64().Draw(t, "seed")), nil)
		k := min(n, unkept)
		for _, id := range got[:k] {
			if slices.Contains(kept, id) {
				t.Fatalf("picked %v: kept peer %d before an unkept one (kept %v)", got, id, kept)
			}
		}
		slices.Reverse(kept)
		if !slices.Equal(got[k:], kept[:n-k]) {
			t.Fatalf("picked %v: want the kept tail %v, farthest first", got, kept[:n-k])
		}
	})
}

// scoreMetrics: peer 1 is first in slots 1-3 by 1 ms each (3 wins, 3 ms
// margin), peer 2 in slot 4 by 10 ms (1 win, 10 ms), peer 3 in slots 5-6
// by 50 ms (2 wins, 100 ms), peer 4 never (0, 0).
func scoreMetrics(t *testing.T) *node.Metrics {
	m, err := node.NewMetrics(node.MetricsConfig{MaxSlots: 100})
	if err != nil {
		t.Fatal(err)
	}
	at := func(slot int64, d int) clock.Time {
		return clock.Time(slot)*clock.Time(time.Second) + clock.Time(ms(d))
	}
	for _, e := range []struct {
		slot         int64
		first, other node.PeerID
		lead         int
	}{{1, 1, 3, 1}, {2, 1, 2, 1}, {3, 1, 4, 1}, {4, 2, 1, 10}, {5, 3, 1, 50}, {6, 3, 2, 50}} {
		m.HeaderArrived(e.slot, e.first, at(e.slot, 100))
		m.HeaderArrived(e.slot, e.other, at(e.slot, 100+e.lead))
	}
	for _, c := range []struct {
		id     node.PeerID
		wins   int
		margin time.Duration
	}{{1, 3, ms(3)}, {2, 1, ms(10)}, {3, 2, ms(100)}, {4, 0, 0}} {
		if u, h := m.Upstreamyness(c.id), m.HeaderMargin(c.id); u != c.wins || h != c.margin {
			t.Fatalf("fixture: peer %d has %d wins and margin %v, want %d and %v", c.id, u, h, c.wins, c.margin)
		}
	}
	return m
}

func TestPeerScoreDemoteTable(t *testing.T) {
	v := &view{peers: []node.Peer{{ID: 1, State: node.Hot}, {ID: 2, State: node.Hot}, {ID: 3, State: node.Hot}, {ID: 4, State: node.Hot}}, m: scoreMetrics(t)}
	cands := []node.PeerID{1, 2, 3, 4}
	cases := []struct {
		margin bool
		order  []node.PeerID
	}{
		{false, []node.PeerID{4, 2, 3, 1}}, // wins 0, 1, 2, 3
		{true, []node.PeerID{4, 1, 2, 3}},  // margins 0, 3, 10, 100 ms
	}
	for _, cs := range cases {
		pol := &PeerScorePolicy{Fraction: 0.2, Margin: cs.margin}
		for n := 1; n <= 4; n++ {
			got := pol.Pick(node.PickHotToWarm, v, cands, n, seeded(uint64(n)), nil)
			if !slices.Equal(got, cs.order[:n]) {
				t.Errorf("margin %v, n = %d: picked %v, want %v", cs.margin, n, got, cs.order[:n])
			}
		}
	}
	// Without metrics the demotion is random: every peer is picked by
	// some seed.
	v.m = nil
	seen := map[node.PeerID]bool{}
	for seed := range uint64(60) {
		seen[(&PeerScorePolicy{Fraction: 0.2}).Pick(node.PickHotToWarm, v, cands, 1, seeded(seed), nil)[0]] = true
	}
	if len(seen) != 4 {
		t.Errorf("without metrics 60 seeds picked %v, want all four peers", seen)
	}
}

func TestPeerScoreReplace(t *testing.T) {
	cases := []struct {
		fraction float64
		hot      int
		want     int
	}{
		{0.2, 10, 2}, {0.4, 10, 4}, {0.25, 10, 3}, // 2.5 rounds half away from zero
		{0.2, 3, 1}, {0.1, 4, 1}, // at least one
		{0.2, 0, 1}, // the calibration clamps to the hot peers
		{0.99, 20, 20},
	}
	for _, cs := range cases {
		hot := seq(0, node.PeerID(cs.hot))
		if got := (&PeerScorePolicy{Fraction: cs.fraction}).Replace(&view{}, hot, seeded(1)); got != cs.want {
			t.Errorf("fraction %v of %d hot: Replace = %d, want %d", cs.fraction, cs.hot, got, cs.want)
		}
	}
}

// TestPeerScoreProperty: with any metrics, no unpicked candidate scores
// strictly lower than a picked one.
func TestPeerScoreProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := drawView(t)
		if v.m == nil {
			v.m = drawMetrics(t, idsOf(v.peers))
		}
		pol := &PeerScorePolicy{Fraction: 0.2, Margin: rapid.Bool().Draw(t, "margin")}
		score := func(id node.PeerID) int64 {
			if pol.Margin {
				return int64(v.m.HeaderMargin(id) / time.Microsecond)
			}
			return int64(v.m.Upstreamyness(id))
		}
		cands := drawCandidates(t, v, node.PickHotToWarm)
		n := rapid.IntRange(1, len(cands)).Draw(t, "n")
		got := pol.Pick(node.PickHotToWarm, v, cands, n, seeded(rapid.Uint64().Draw(t, "seed")), nil)
		for i := 1; i < len(got); i++ {
			if score(got[i-1]) > score(got[i]) {
				t.Fatalf("picks %v not in ascending score", got)
			}
		}
		worst := score(got[len(got)-1])
		for _, id := range cands {
			if !slices.Contains(got, id) && score(id) < worst {
				t.Fatalf("picked %v (last score %d) but left %d with score %d", got, worst, id, score(id))
			}
		}
	})
}

func BenchmarkPick(b *testing.B) {
	v := &view{}
	cands := make([]node.PeerID, 40)
	for i := range cands {
		cands[i] = node.PeerID(i)
		v.peers = append(v.peers, node.Peer{ID: node.PeerID(i), RTT: ms(10 + i*7%90), State: node.Warm, Tepid: i%5 == 0})
	}
	m, err := node.NewMetrics(node.MetricsConfig{MaxSlots: 100})
	if err != nil {
		b.Fatal(err)
	}
	for s := range int64(100) {
		m.HeaderArrived(s, node.PeerID(s%40), clock.Time(s)*clock.Time(time.Second))
	}
	v.m = m
	for _, c := range []struct {
		pol node.Policy
		d   node.Decision
	}{
		{RandomPolicy{}, node.PickColdToWarm},
		{&CloseRandomPolicy{Close: 6}, node.PickWarmToHot},
		{&TwoGroupsPolicy{Threshold: ms(100), Keep: 6, Share: 0.5}, node.PickHotToWarm},
		{&PeerScorePolicy{Fraction: 0.2}, node.PickHotToWarm},
	} {
		b.Run(fmt.Sprintf("%T/%v", c.pol, c.d), func(b *testing.B) {
			b.ReportAllocs()
			rng := seeded(1)
			dst := make([]node.PeerID, 0, 10)
			for b.Loop() {
				dst = c.pol.Pick(c.d, v, cands, 10, rng, dst[:0])
			}
		})
	}
}
