package world

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// chainWorld is three nodes 10 ms apart, each with one local root and
// nothing else: the victim 0 takes blocks from 1 only, 1 from the
// producer 2 only (2 from 1, so that it has a peer). Node 1 runs attack;
// the producer holds all the stake but share of it, which 1 holds.
func chainWorld(t *testing.T, attack Attack, share float64) (*World, *recorder) {
	t.Helper()
	const n = 3
	stake := []float64{0, share, 1 - share}
	producers := []int32{1, 2}
	rngs := []*rand.Rand{sim.Derive(7, "praos", 1), sim.Derive(7, "praos", 2)}
	if share == 0 {
		producers, rngs = producers[1:], rngs[1:]
	}
	var st []float64
	for _, p := range producers {
		st = append(st, stake[p])
	}
	sched, err := node.NewLeaderSchedule(producers, st, 0.05, rngs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &P2PConfig{
		Governors: make([]node.GovernorConfig, n), Churn: make([]*node.ChurnConfig, n),
		Bearer: netmodel.DefaultBearerConfig(), Stake: stake, Adversarial: make([]bool, n),
		Metrics: node.DefaultMetricsConfig(), Attacks: make([]Attack, n),
	}
	cfg.Attacks[1] = attack
	for i, root := range []int32{1, 2, 1} {
		cfg.Governors[i] = node.GovernorConfig{Self: int32(i), Timing: node.DefaultTiming(), ShareSalt: uint64(i),
			Targets:    node.Targets{Root: 1, Known: 1, Established: 1, Active: 1},
			LocalRoots: []node.LocalRootGroup{{Peers: []node.PeerID{root}, HotValency: 1, WarmValency: 1}}}
	}
	rec := &recorder{adopted: map[[2]int]clock.Time{}}
	wc := p2pSetup{seed: 7}.config()
	wc.P2P = cfg
	w, err := New(wc, fullMesh(n), nil, sched, rec)
	if err != nil {
		t.Fatal(err)
	}
	return w, rec
}

// TestEclipseWithholds: a victim whose only upstream is an eclipse
// attacker never adopts an honest block when the attacker relays never,
// adopts each at least the delay after the attacker did when it relays
// late, and adopts the attacker's own blocks at once; an honest upstream
// (the defence: one honest hot peer) passes every block on.
func TestEclipseWithholds(t *testing.T) {
	run := func(a Attack, share float64) (*World, *recorder) {
		w, rec := chainWorld(t, a, share)
		for now := clock.Time(0); now < clock.Time(2*time.Hour); {
			now += clock.Time(10 * time.Minute)
			if err := w.RunUntil(now); err != nil {
				t.Fatal(err)
			}
			checkAll(t, w, now, "the world's invariants under an attack")
		}
		w.Finish()
		return w, rec
	}
	count := func(w *World, rec *recorder, who int, honest bool) (adopted, blocks int) {
		for b := range rec.made {
			if (w.Chain.Get(node.BlockID(b)).Producer == 2) != honest {
				continue
			}
			blocks++
			if _, ok := rec.adopted[[2]int{b, who}]; ok {
				adopted++
			}
		}
		return
	}
	w, rec := run(Attack{}, 0)
	if got, blocks := count(w, rec, 0, true); blocks < 200 || got < blocks-2 {
		t.Fatalf("honest relay: the victim adopted %d of %d blocks", got, blocks)
	}
	w, rec = run(Attack{Eclipse: true, RelayDelay: Never}, 0)
	got, blocks := count(w, rec, 0, true)
	if got != 0 || blocks < 200 {
		t.Fatalf("eclipse, never: the victim adopted %d of %d honest blocks, want 0", got, blocks)
	}
	if got, _ := count(w, rec, 1, true); got < blocks-2 {
		t.Fatalf("the attacker itself adopted only %d of %d blocks", got, blocks)
	}
	const delay = 5 * time.Second
	_, rec = run(Attack{Eclipse: true, RelayDelay: delay}, 0)
	late := 0
	for b := range rec.made {
		at0, ok0 := rec.adopted[[2]int{b, 0}]
		at1, ok1 := rec.adopted[[2]int{b, 1}]
		if !ok0 || !ok1 {
			continue
		}
		if at0.Sub(at1) < delay {
			t.Fatalf("block %d: adopted by the victim %v after the attacker, want ≥ %v", b, at0.Sub(at1), delay)
		}
		late++
	}
	if late < 200 {
		t.Fatalf("late relay: only %d blocks reached the victim", late)
	}
	// The attacker's own blocks go at once (and carry the honest blocks
	// below them along, fetched as their ancestors).
	w, rec = run(Attack{Eclipse: true, RelayDelay: Never}, 0.3)
	own := 0
	for b := range rec.made {
		if w.Chain.Get(node.BlockID(b)).Producer != 1 {
			continue
		}
		at0, ok0 := rec.adopted[[2]int{b, 0}]
		at1, ok1 := rec.adopted[[2]int{b, 1}]
		if ok0 && ok1 {
			own++
			// At once, but the honest ancestors it brings cost their
			// bodies and validation: seconds, not never.
			if at0.Sub(at1) > 10*time.Second {
				t.Fatalf("the attacker's own block %d reached the victim %v after it, want at once", b, at0.Sub(at1))
			}
		}
	}
	if own < 50 {
		t.Fatalf("only %d of the attacker's own blocks reached the victim", own)
	}
}

// TestEclipseShareReply: an eclipse attacker names attackers only, never
// itself, no more than an honest reply may (PeerShareMaxReply), without
// repeats; an honest node answers with its governor's peers.
func TestEclipseShareReply(t *testing.T) {
	stake := make([]float64, 40)
	cfg := envConfig(stake)
	cfg.Attacks = make([]Attack, 40)
	var attackers []node.PeerID
	for i := 20; i < 40; i += 2 {
		cfg.Attacks[i] = Attack{Eclipse: true, RelayDelay: Never}
		attackers = append(attackers, node.PeerID(i))
	}
	e := newEnv(t, cfg, 3)
	for _, asked := range []int{1, 3, 10, 50} {
		got := e.ShareReply(20, []node.PeerID{1, 2, 3}, asked)
		if want := min(asked, node.DefaultTiming().PeerShareMaxReply, len(attackers)-1); len(got) != want {
			t.Fatalf("asked %d: %d peers %v, want %d", asked, len(got), got, want)
		}
		for k, p := range got {
			if p == 20 || !slices.Contains(attackers, p) || slices.Contains(got[:k], p) {
				t.Fatalf("asked %d: reply %v names %d (itself, an honest node or a repeat)", asked, got, p)
			}
		}
	}
	if got := e.ShareReply(5, []node.PeerID{1, 2, 3}, 10); !slices.Equal(got, []node.PeerID{1, 2, 3}) {
		t.Fatalf("an honest node's reply %v", got)
	}
}

// TestWithholdTimesOut: a victim with two upstreams, a withholding
// attacker close by and an honest relay far off, asks the attacker (first
// to announce), waits block-fetch's time limit, and then takes the block
// from the honest relay: it still adopts every block, some a minute late;
// without the attack no block is late.
func TestWithholdTimesOut(t *testing.T) {
	lat := nearFar(4, [2]int{0, 2}, [2]int{2, 3}) // the honest relay is far
	run := func(withhold bool) (*World, *recorder) {
		sched, err := node.NewLeaderSchedule([]int32{3}, []float64{1}, 0.05, []*rand.Rand{sim.Derive(9, "praos", 3)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := rootsConfig([]float64{0, 0, 0, 1}, [][]node.PeerID{{1, 2}, {3}, {3}, {1, 2}})
		cfg.Attacks[1].Withhold = withhold
		rec := &recorder{adopted: map[[2]int]clock.Time{}}
		wc := p2pSetup{seed: 9}.config()
		wc.P2P = cfg
		return runChecked(t, wc, lat, sched, rec, 2*time.Hour, "the world's invariants under withholding"), rec
	}
	for _, withhold := range []bool{false, true} {
		_, rec := run(withhold)
		late, missed := 0, 0
		for b, made := range rec.made {
			at, ok := rec.adopted[[2]int{b, 0}]
			switch {
			case !ok && made < clock.Time(2*time.Hour-5*FetchTimeout):
				missed++
			case !ok: // made in the last minutes: its waits (one per ask of the attacker) may not be over
			case at.Sub(made) >= FetchTimeout:
				late++
			}
		}
		switch {
		case len(rec.made) < 200:
			t.Fatalf("only %d blocks", len(rec.made))
		case !withhold && (late > 0 || missed > 0):
			t.Fatalf("no attack: %d blocks a minute late, %d missed", late, missed)
		case withhold && (late < 5 || missed > 0):
			t.Fatalf("withholding: %d of %d blocks a minute late (want some), %d missed (want none)", late, len(rec.made), missed)
		}
		t.Logf("withhold %v: %d of %d blocks at least %v late", withhold, late, len(rec.made), FetchTimeout)
	}
}

// TestGoDark: a victim 5 ms from a go-dark attacker and 80 ms from an
// honest relay adopts every block as fast as with an honest node in the
// attacker's place while the honest relay is up (the attacker relays
// promptly, so it looks good). While the honest relay is crashed, the
// attacker holds the victim's every hot link and hides the honest blocks:
// the victim adopts none of them then, where an honest node in its place
// would have passed them on; once the relay is back, the victim catches
// up.
func TestGoDark(t *testing.T) {
	const n = 4
	lat := nearFar(n, [2]int{0, 3})
	const crashAt, down = 30 * time.Minute, 20 * time.Minute
	run := func(dark bool) *recorder {
		sched, err := node.NewLeaderSchedule([]int32{2}, []float64{1}, 0.05, []*rand.Rand{sim.Derive(5, "praos", 2)})
		if err != nil {
			t.Fatal(err)
		}
		cfg := rootsConfig([]float64{0, 0, 1, 0}, [][]node.PeerID{{1, 3}, {2}, {1, 3}, {2}})
		cfg.Faults = Faults{Crashes: []Crash{{Node: 3, At: clock.Time(crashAt), Down: down}}}
		if dark {
			cfg.Attacks[1] = Attack{Eclipse: true, Dark: true, NoInboundLimit: true}
		}
		rec := &recorder{adopted: map[[2]int]clock.Time{}}
		wc := p2pSetup{seed: 5}.config()
		wc.P2P = cfg
		runChecked(t, wc, lat, sched, rec, 90*time.Minute, "the world's invariants with a go-dark attacker")
		return rec
	}
	honest, dark := run(false), run(true)
	before, during, hidden, after := 0, 0, 0, 0
	for b, made := range dark.made {
		h, hok := honest.adopted[[2]int{b, 0}]
		d, dok := dark.adopted[[2]int{b, 0}]
		switch {
		case made < clock.Time(crashAt-time.Minute):
			before++
			if !hok || !dok || h != d {
				t.Fatalf("block %d made at %v, before the crash: victim adopted at %v (%v) with an honest node, %v (%v) with the attacker", b, made, h, hok, d, dok)
			}
		case made > clock.Time(crashAt+time.Minute) && made < clock.Time(crashAt+down-time.Minute):
			during++
			if !hok {
				t.Fatalf("block %d: an honest node in the attacker's place did not pass it on", b)
			}
			if dok && d < clock.Time(crashAt+down) {
				t.Fatalf("block %d made at %v: adopted at %v through the captured link", b, made, d)
			}
			hidden++
		case made > clock.Time(crashAt+down+5*time.Minute) && made < clock.Time(85*time.Minute):
			after++
			if !dok {
				t.Fatalf("block %d made at %v, after the relay's return: never adopted", b, made)
			}
		}
	}
	if before < 50 || during < 30 || after < 20 {
		t.Fatalf("blocks before/during/after: %d/%d/%d, too few to tell", before, during, after)
	}
	t.Logf("%d blocks before the crash adopted as with an honest node; %d hidden while captured; %d after", before, hidden, after)
}

// nearFar is a latency matrix of n nodes 5 ms apart but for the pairs
// in far (both ways), 80 ms apart.
func nearFar(n int, far ...[2]int) *netmodel.Matrix {
	lat := netmodel.NewMatrix(n)
	for a := range n {
		for b := range n {
			if a != b {
				lat.Set(a, b, 5*time.Millisecond)
			}
		}
	}
	for _, p := range far {
		lat.Set(p[0], p[1], 80*time.Millisecond)
		lat.Set(p[1], p[0], 80*time.Millisecond)
	}
	return lat
}

// rootsConfig is a P2P world of len(roots) nodes, each with roots[i] as
// its one local-root group, all of it hot, and nothing else; stake as
// given, no attacks yet.
func rootsConfig(stake []float64, roots [][]node.PeerID) *P2PConfig {
	n := len(roots)
	cfg := &P2PConfig{
		Governors: make([]node.GovernorConfig, n), Churn: make([]*node.ChurnConfig, n),
		Bearer: netmodel.DefaultBearerConfig(), Stake: stake, Adversarial: make([]bool, n),
		Metrics: node.DefaultMetricsConfig(), Attacks: make([]Attack, n),
	}
	for i, r := range roots {
		cfg.Governors[i] = node.GovernorConfig{Self: int32(i), Timing: node.DefaultTiming(), ShareSalt: uint64(i),
			Targets:    node.Targets{Root: 2, Known: 2, Established: 2, Active: 2},
			LocalRoots: []node.LocalRootGroup{{Peers: r, HotValency: len(r), WarmValency: len(r)}}}
	}
	return cfg
}
