package world

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
)

// recorder is a minimal Observer.
type recorder struct {
	made    []clock.Time // slot start per block
	adopted map[[2]int]clock.Time
}

func (r *recorder) BlockMade(block int, slot int64, producer int, slotStart clock.Time) {
	r.made = append(r.made, slotStart)
}
func (r *recorder) HeaderArrived(int, int, clock.Time) {}

func (r *recorder) Adopted(block, node int, at clock.Time) {
	if _, ok := r.adopted[[2]int{block, node}]; !ok {
		r.adopted[[2]int{block, node}] = at
	}
}
func (r *recorder) Count(Counter, int64) {}

const (
	testHV   = 5 * time.Millisecond
	testBV   = 50 * time.Millisecond
	testBody = 90112
)

// oracleWorld builds a world where only node 0 produces, one slot in two
// on average, with slots far longer than diffusion so blocks never overlap.
func oracleWorld(t *testing.T, lat netmodel.Latency, peers [][]int32, bps int64) (*World, *recorder) {
	t.Helper()
	n := lat.N()
	stake := make([]float64, n)
	stake[0] = 1
	nodes := make([]int32, n)
	rngs := make([]*rand.Rand, n)
	for i := range nodes {
		nodes[i], rngs[i] = int32(i), sim.Derive(9, "praos", uint64(i))
	}
	sched, err := node.NewLeaderSchedule(nodes, stake, 0.5, rngs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{adopted: map[[2]int]clock.Time{}}
	w, err := New(Config{
		Slot: 30 * time.Second, BodyBytes: testBody, BitsPerSecond: bps,
		Relay: node.RelayConfig{HeaderValidation: testHV, BodyValidation: testBV}, Seed: 9,
	}, lat, peers, sched, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.RunUntil(clock.FromSeconds(600)); err != nil {
		t.Fatal(err)
	}
	// Only blocks that had time to diffuse before the run ended count.
	for len(rec.made) > 0 && rec.made[len(rec.made)-1] > clock.FromSeconds(590) {
		rec.made = rec.made[:len(rec.made)-1]
	}
	if len(rec.made) < 5 {
		t.Fatalf("only %d blocks made", len(rec.made))
	}
	return w, rec
}

// hopCost is the documented per-hop cost without contention (node/doc.go).
func hopCost(lat netmodel.Latency, u, v int, bps int64) int64 {
	luv, _ := lat.OneWay(u, v)
	lvu, _ := lat.OneWay(v, u)
	return int64(luv + testHV + lvu + netmodel.SerialisationDelay(testBody, bps) + luv + testBV)
}

// dijkstraCheck compares every adoption time with gonum's Dijkstra from
// node 0 under hopCost.
func dijkstraCheck(t *testing.T, lat netmodel.Latency, peers [][]int32, bps int64, rec *recorder) {
	g := simple.NewWeightedDirectedGraph(0, 0)
	for u := range peers {
		g.AddNode(simple.Node(u))
	}
	for u, ps := range peers {
		for _, v := range ps {
			g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(u), simple.Node(v), float64(hopCost(lat, u, int(v), bps))))
		}
	}
	sp := path.DijkstraFrom(simple.Node(0), g)
	for b, start := range rec.made {
		for v := range peers {
			want := int64(sp.WeightTo(int64(v)))
			got, ok := rec.adopted[[2]int{b, v}]
			if !ok {
				t.Fatalf("block %d never reached node %d", b, v)
			}
			if int64(got-start) != want {
				t.Fatalf("block %d node %d: adopted %d ns after the slot, shortest path %d ns", b, v, got-start, want)
			}
		}
	}
}

func geo(t *testing.T, n int) netmodel.Latency {
	g, err := netmodel.NewGeo(n, sim.Derive(5, "geo", 0), netmodel.DefaultGeoParams())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// randomTree links node i to a random earlier node: each node's only path
// from node 0 is unique, so its first announcer is its tree parent.
func randomTree(n int, seed uint64) [][]int32 {
	rng := sim.Derive(seed, "tree", 0)
	peers := make([][]int32, n)
	for i := 1; i < n; i++ {
		p := rng.IntN(i)
		peers[i] = append(peers[i], int32(p))
		peers[p] = append(peers[p], int32(i))
	}
	return peers
}

// TestRelayMatchesDijkstraTree: on a random tree with unlimited bandwidth
// (no uplink queueing), adoption = shortest path under the per-hop cost.
func TestRelayMatchesDijkstraTree(t *testing.T) {
	lat := geo(t, 300)
	peers := randomTree(300, 1)
	_, rec := oracleWorld(t, lat, peers, 0)
	dijkstraCheck(t, lat, peers, 0, rec)
}

// TestRelayMatchesDijkstraLine: on a line every node serves one peer, so a
// finite uplink never queues and the serialisation term is exact.
func TestRelayMatchesDijkstraLine(t *testing.T) {
	lat := geo(t, 40)
	peers := make([][]int32, 40)
	for i := 1; i < 40; i++ {
		peers[i] = append(peers[i], int32(i-1))
		peers[i-1] = append(peers[i-1], int32(i))
	}
	_, rec := oracleWorld(t, lat, peers, 100_000_000)
	dijkstraCheck(t, lat, peers, 100_000_000, rec)
}

// TestRelayFirstAnnouncerOracle: on a random graph a node fetches from the
// first peer whose header arrives, which is not always the peer on the
// shortest path; a label-setting oracle of that rule predicts every time.
func TestRelayFirstAnnouncerOracle(t *testing.T) {
	const n = 400
	lat := geo(t, n)
	rng := sim.Derive(3, "graph", 0)
	peers := make([][]int32, n)
	linked := map[[2]int]bool{}
	for i := 0; i < n; i++ {
		for k := 0; k < 5; k++ {
			j := rng.IntN(n)
			a, b := min(i, j), max(i, j)
			if i == j || linked[[2]int{a, b}] {
				continue
			}
			linked[[2]int{a, b}] = true
			peers[a] = append(peers[a], int32(b))
			peers[b] = append(peers[b], int32(a))
		}
	}
	_, rec := oracleWorld(t, lat, peers, 0)
	// adopt(v) = h(v) + HV + L(v,u*) + L(u*,v) + BV where h(v) is the
	// earliest header arrival min_u adopt(u)+L(u,v) and u* its sender.
	adopt := make([]int64, n)
	done := make([]bool, n)
	for i := range adopt {
		adopt[i] = -1
	}
	adopt[0] = 0
	for {
		u := -1
		for v := 0; v < n; v++ {
			if !done[v] && adopt[v] >= 0 && (u < 0 || adopt[v] < adopt[u]) {
				u = v
			}
		}
		if u < 0 {
			break
		}
		done[u] = true
		for v := 0; v < n; v++ {
			if done[v] {
				continue
			}
			best := int64(-1)
			for _, w := range peers[v] {
				if !done[w] {
					continue
				}
				l, _ := lat.OneWay(int(w), v)
				h := adopt[w] + int64(l)
				if best < 0 || h < best {
					luv, _ := lat.OneWay(int(w), v)
					lvu, _ := lat.OneWay(v, int(w))
					best = h
					adopt[v] = h + int64(testHV+lvu+luv+testBV)
				}
			}
		}
	}
	for b, start := range rec.made {
		for v := 0; v < n; v++ {
			got, ok := rec.adopted[[2]int{b, v}]
			if adopt[v] < 0 {
				if ok {
					t.Fatalf("node %d unreachable but adopted block %d", v, b)
				}
				continue
			}
			if int64(got-start) != adopt[v] {
				t.Fatalf("block %d node %d: adopted at +%d ns, oracle +%d ns", b, v, got-start, adopt[v])
			}
		}
	}
}

// countingRecorder is a recorder that also keeps the counters.
type countingRecorder struct {
	recorder
	counts map[Counter]int64
}

func (r *countingRecorder) Count(c Counter, d int64) { r.counts[c] += d }

// TestRedundantHeadersSkipped: without Dynamic P2P, skipping the header
// events whose receiver already has the block on its chain leaves every
// adoption time exactly as delivering them, with forks (every node
// produces, a block every 2 s on average over 5 s of diffusion), jitter
// and a finite uplink; and it does skip most header events.
func TestRedundantHeadersSkipped(t *testing.T) {
	const n = 300
	lat := geo(t, n)
	rng := sim.Derive(4, "graph", 0)
	peers := make([][]int32, n)
	for i := range n {
		for range 4 {
			j := rng.IntN(n)
			if i != j {
				peers[i] = insertSorted(peers[i], int32(j))
				peers[j] = insertSorted(peers[j], int32(i))
			}
		}
	}
	run := func(every bool) (*World, *countingRecorder) {
		nodes := make([]int32, n)
		stake := make([]float64, n)
		rngs := make([]*rand.Rand, n)
		for i := range nodes {
			nodes[i], stake[i], rngs[i] = int32(i), 1, sim.Derive(4, "praos", uint64(i))
		}
		sched, err := node.NewLeaderSchedule(nodes, stake, 0.5, rngs)
		if err != nil {
			t.Fatal(err)
		}
		rec := &countingRecorder{recorder{adopted: map[[2]int]clock.Time{}}, map[Counter]int64{}}
		w, err := New(Config{
			Slot: 4 * time.Second, BodyBytes: testBody, BitsPerSecond: 20_000_000,
			Relay:  node.RelayConfig{HeaderValidation: testHV, BodyValidation: testBV},
			Jitter: netmodel.Jitter{Fraction: 0.2}, Seed: 4,
		}, lat, peers, sched, rec)
		if err != nil {
			t.Fatal(err)
		}
		w.everyHeader = every
		if err := w.RunUntil(clock.FromSeconds(300)); err != nil {
			t.Fatal(err)
		}
		w.Finish()
		return w, rec
	}
	wAll, all := run(true)
	wSkip, skip := run(false)
	if len(all.made) < 30 || len(all.adopted) < 30*n/2 {
		t.Fatalf("only %d blocks, %d adoptions", len(all.made), len(all.adopted))
	}
	if !slices.Equal(all.made, skip.made) {
		t.Fatalf("blocks made differ: %d vs %d", len(all.made), len(skip.made))
	}
	if !maps.Equal(all.adopted, skip.adopted) {
		for k, v := range all.adopted {
			if skip.adopted[k] != v {
				t.Fatalf("block %d node %d adopted at %v delivering every header, %v skipping", k[0], k[1], v, skip.adopted[k])
			}
		}
		t.Fatalf("adoptions differ: %d vs %d", len(all.adopted), len(skip.adopted))
	}
	for _, c := range []Counter{CountHeadersSent, CountRequestsSent, CountBodiesSent, CountSlotBattles} {
		if all.counts[c] != skip.counts[c] {
			t.Errorf("%s: %d delivering every header, %d skipping", c, all.counts[c], skip.counts[c])
		}
	}
	if all.counts[CountSlotBattles] == 0 {
		t.Errorf("no slot battles: the run does not exercise forks")
	}
	saved := wAll.Eng.Executed() - wSkip.Eng.Executed()
	if saved < uint64(all.counts[CountHeadersSent])/4 {
		t.Errorf("skipped %d events of %d headers sent: want at least a quarter", saved, all.counts[CountHeadersSent])
	}
}
