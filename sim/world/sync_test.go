package world

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// syncWorld is 6 honest producers (0–5, each with the others as public
// roots), 6 eclipse attackers that relay nothing (6–11) and a syncing
// node 12 that joins at join with mode. The syncing node's public roots are
// the attackers (an eclipse already in place: whom it would ask first);
// its bootstrap peers are honest nodes 0–2. With Genesis it also uses the
// ledger, whose big ledger peers are the honest producers (the attackers
// have no stake). Everyone is 10 ms apart.
func syncWorld(t *testing.T, mode SyncMode, join time.Duration, behind int32, crashes ...Crash) (*World, *recorder) {
	t.Helper()
	const n, honest, victim = 13, 6, 12
	stake := make([]float64, n)
	var producers []int32
	var rngs []*rand.Rand
	var st []float64
	for i := range honest {
		stake[i] = float64(i + 1)
		producers, st = append(producers, int32(i)), append(st, stake[i])
		rngs = append(rngs, sim.Derive(11, "praos", uint64(i)))
	}
	sched, err := node.NewLeaderSchedule(producers, st, 0.05, rngs)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &P2PConfig{
		Governors: make([]node.GovernorConfig, n), Churn: make([]*node.ChurnConfig, n),
		Bearer: netmodel.DefaultBearerConfig(), Stake: stake, Adversarial: make([]bool, n),
		Metrics: node.DefaultMetricsConfig(), Attacks: make([]Attack, n), Sync: make([]Sync, n),
		Faults: Faults{Crashes: crashes},
	}
	targets := node.Targets{Root: 6, Known: 10, Established: 4, Active: 3}
	for i := range n {
		g := node.GovernorConfig{Self: int32(i), Timing: node.DefaultTiming(), ShareSalt: uint64(i), Targets: targets, PeerSharing: true}
		lo, hi := 0, honest // honest nodes know each other, attackers each other and the honest
		if i >= honest {
			cfg.Attacks[i] = Attack{Eclipse: true, RelayDelay: -1, NoInboundLimit: true}
			hi = n - 1
		}
		if i == victim {
			lo, hi = honest, n-1
		}
		for p := lo; p < hi; p++ {
			if p != i {
				g.PublicRoots = append(g.PublicRoots, node.PublicRoot{Peer: int32(p)})
			}
		}
		cfg.Governors[i] = g
	}
	v := &cfg.Governors[victim]
	v.InitialJudgement = node.TooOld
	switch mode {
	case SyncBootstrap:
		v.UseBootstrap, v.Bootstrap = true, []node.PeerID{0, 1, 2}
	case SyncGenesis:
		v.Genesis, v.LedgerPeers = true, true
		v.Targets.KnownBLP, v.Targets.EstablishedBLP, v.Targets.ActiveBLP = 6, 6, 5
	}
	cfg.Sync[victim] = Sync{Mode: mode, Join: clock.Time(join), Behind: behind}
	rec := &recorder{adopted: map[[2]int]clock.Time{}}
	wc := p2pSetup{seed: 11}.config()
	wc.P2P = cfg
	return runChecked(t, wc, fullMesh(n), sched, rec, 2*time.Hour, "the world's invariants with a syncing node"), rec
}

// TestSyncingNode: a node joining after an hour catches up within a
// minute when it can reach honest nodes: with bootstrap peers (the
// sensitive state talks to them only) and with Genesis (big ledger peers,
// all honest here), and it then judges itself caught up. Without either
// defence (Praos) its roots are the attackers, who relay nothing: it never
// catches up, and yet judges itself caught up (its peers are idle), the
// weakness the defences close.
func TestSyncingNode(t *testing.T) {
	const join = time.Hour
	for _, mode := range []SyncMode{SyncPraos, SyncBootstrap, SyncGenesis} {
		w, rec := syncWorld(t, mode, join, 0)
		rs := w.SyncRecords()
		if len(rs) != 1 {
			t.Fatalf("%v: %d sync records", mode, len(rs))
		}
		r := rs[0]
		before := 0
		for b, made := range rec.made {
			if made < clock.Time(join) && w.onChain(0, node.BlockID(b)) { // forks aside
				before++
				if _, ok := rec.adopted[[2]int{b, 12}]; ok != (mode != SyncPraos) {
					t.Fatalf("%v: block %d (made %v, before the join) adopted %v", mode, b, made, ok)
				}
			}
		}
		t.Logf("%v: joined at %v behind %d blocks: %+v", mode, join, before, r)
		if before < 100 {
			t.Fatalf("only %d blocks before the join", before)
		}
		switch mode {
		case SyncPraos:
			if r.CaughtUp != clock.Never || r.Height != 0 || r.YoungEnough == clock.Never {
				t.Fatalf("praos behind attackers: %+v, want never caught up, at height 0, judged young enough", r)
			}
		default:
			if r.CaughtUp == clock.Never || r.CaughtUp.Sub(clock.Time(join)) > time.Minute {
				t.Fatalf("%v: caught up at %v, want within a minute of %v", mode, r.CaughtUp, join)
			}
			if r.YoungEnough == clock.Never || r.YoungEnough < r.CaughtUp {
				t.Fatalf("%v: young enough at %v, caught up at %v", mode, r.YoungEnough, r.CaughtUp)
			}
			if r.CriticalTimeouts != 0 {
				t.Fatalf("%v: %d critical timeouts", mode, r.CriticalTimeouts)
			}
		}
	}
}

// TestSyncingNodeBehind: a node set to start 100 blocks behind joins the
// moment the honest majority's chain reaches 100 blocks, and (with
// bootstrap peers) catches up from there.
func TestSyncingNodeBehind(t *testing.T) {
	w, rec := syncWorld(t, SyncBootstrap, 0, 100)
	r := w.SyncRecords()[0]
	if r.Join == clock.Never || r.CaughtUp == clock.Never || r.CaughtUp.Sub(r.Join) > time.Minute {
		t.Fatalf("%+v: want joined, and caught up within a minute", r)
	}
	// The 100th block of the final chain was adopted by half of the
	// honest nodes at the join; none of the chain's later blocks had been
	// made before it.
	var hundredth node.BlockID = node.NoBlock
	for b := w.Nodes[0].Tip(); b != node.NoBlock; b = w.Chain.Get(b).Parent {
		if w.Chain.Get(b).Height == 100 {
			hundredth = b
		}
	}
	if hundredth == node.NoBlock || rec.made[hundredth] > r.Join {
		t.Fatalf("block 100 (%d) made after the join at %v", hundredth, r.Join)
	}
	for b := w.Nodes[0].Tip(); b != node.NoBlock; b = w.Chain.Get(b).Parent {
		if w.Chain.Get(b).Height == 102 && rec.made[b] <= r.Join-clock.Time(time.Minute) {
			t.Fatalf("block 102 made at %v, a minute before the join at %v: the node joined late", rec.made[b], r.Join)
		}
	}
}

// TestSyncingNodeRestart: a caught-up bootstrap node that crashes for 5
// minutes restarts caught up (its tip is young: the GSM's marker). Here
// its only other roots are the attackers, so it then adopts nothing until
// its tip is 20 minutes old, turns TooOld, and catches up through its
// bootstrap peers: the restart trusted a young tip. One down for 30
// minutes restarts TooOld and catches up at once. Each is TooOld again
// once, and caught up at the end.
func TestSyncingNodeRestart(t *testing.T) {
	const crashAt = 70 * time.Minute
	for _, tc := range []struct {
		down    time.Duration
		stalled bool // adopts nothing in the 10 minutes after the restart
	}{{5 * time.Minute, true}, {30 * time.Minute, false}} {
		crash := Crash{Node: 12, At: clock.Time(crashAt), Down: tc.down}
		w, rec := syncWorld(t, SyncBootstrap, time.Hour, 0, crash)
		r := w.SyncRecords()[0]
		if r.CaughtUp == clock.Never || r.Judgement != node.YoungEnough || r.Height < r.Majority-1 || w.p2p.gov[12].Sensitive() {
			t.Fatalf("down %v: %+v, want caught up and young enough at the end", tc.down, r)
		}
		if r.TooOldAgain != 1 {
			t.Fatalf("down %v: TooOld again %d times, want 1", tc.down, r.TooOldAgain)
		}
		back := clock.Time(crashAt + tc.down)
		adopted := 0
		for k, at := range rec.adopted {
			if k[1] == 12 && at > back && at < back+clock.Time(10*time.Minute) {
				adopted++
			}
		}
		if (adopted == 0) != tc.stalled {
			t.Fatalf("down %v: %d blocks adopted in the 10 minutes after the restart; stalled: want %v", tc.down, adopted, tc.stalled)
		}
	}
}
