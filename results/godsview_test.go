package results_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

const ms = time.Millisecond

// matrix builds a Matrix from a table of one-way latencies in ms; -1 means
// unroutable.
func matrix(rows [][]int) *netmodel.Matrix {
	m := netmodel.NewMatrix(len(rows))
	for a, row := range rows {
		for b, d := range row {
			if a != b && d >= 0 {
				m.Set(a, b, time.Duration(d)*ms)
			}
		}
	}
	return m
}

// hop8 has a fixed per-hop cost of 8 ms, easy to add by hand.
var hop8 = results.HopCost{HeaderValidation: 1 * ms, BodyValidation: 5 * ms, BodyTransmit: 2 * ms}

func TestHopCostWeight(t *testing.T) {
	lat := matrix([][]int{
		{0, 10, 7},
		{40, 0, -1},
		{-1, 3, 0},
	})
	tests := []struct {
		u, v int
		want time.Duration
		ok   bool
	}{
		{0, 1, (2*10 + 40 + 8) * ms, true}, // asymmetric: header and body 0→1, request 1→0
		{1, 0, (2*40 + 10 + 8) * ms, true},
		{0, 2, 0, false}, // the request 2→0 has no route
		{2, 0, 0, false}, // the header 2→0 has no route
		{1, 2, 0, false},
		{0, 0, 8 * ms, true},
	}
	for _, tc := range tests {
		got, ok := hop8.Weight(lat, tc.u, tc.v)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Weight(%d→%d) = %v, %v; want %v, %v", tc.u, tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestGodsViewFromHand(t *testing.T) {
	U := results.Unreached
	tests := []struct {
		name   string
		rows   [][]int
		hop    results.HopCost
		source int
		want   []time.Duration
	}{{
		// Triangle: 0→1 direct costs 3·100+8 = 308 ms; via 2 it is
		// (3·10+8) + (3·10+8) = 76 ms. Node 3 has no routes at all.
		name: "two hops beat one",
		rows: [][]int{
			{0, 100, 10, -1},
			{100, 0, 10, -1},
			{10, 10, 0, -1},
			{-1, -1, -1, 0},
		},
		hop: hop8, source: 0,
		want: []time.Duration{0, 76 * ms, 38 * ms, U},
	}, {
		name: "symmetric line, no validation cost",
		rows: [][]int{
			{0, 5, -1},
			{5, 0, 20},
			{-1, 20, 0},
		},
		source: 2,
		want:   []time.Duration{75 * ms, 60 * ms, 0},
	}, {
		// 0→1 costs 2·10+40; 1→0 costs 2·40+10; 1→2 costs 2·1+1 and 2→0
		// costs 2·1+1: from 1, the detour through 2 reaches 0 at 6 < 90.
		name: "asymmetric",
		rows: [][]int{
			{0, 10, 1},
			{40, 0, 1},
			{1, 1, 0},
		},
		source: 1,
		want:   []time.Duration{6 * ms, 0, 3 * ms},
	}, {
		// 0 can send to 1 but never hear 1's request: no edge either way.
		name: "one direction routable only",
		rows: [][]int{
			{0, 10},
			{-1, 0},
		},
		hop: hop8, source: 0,
		want: []time.Duration{0, U},
	}, {
		name:   "single node",
		rows:   [][]int{{0}},
		hop:    hop8,
		source: 0,
		want:   []time.Duration{0},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := results.GodsViewFrom(matrix(tc.rows), tc.hop, tc.source, nil)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("GodsViewFrom(source %d) = %v; want %v", tc.source, got, tc.want)
			}
		})
	}
}

// TestGodsViewFromReusesDist: a buffer of enough capacity is filled in
// place with no allocation; a short one is replaced.
func TestGodsViewFromReusesDist(t *testing.T) {
	lat := geo(t, 50)
	buf := make([]time.Duration, 3, 64)
	got := results.GodsViewFrom(lat, hop8, 7, buf)
	if len(got) != 50 || &got[0] != &buf[:1][0] {
		t.Fatalf("len %d, reused %v; want 50 entries in the given buffer", len(got), &got[0] == &buf[:1][0])
	}
	if allocs := testing.AllocsPerRun(5, func() { results.GodsViewFrom(lat, hop8, 3, got) }); allocs != 0 {
		t.Fatalf("%v allocations per call with a reused buffer; want 0", allocs)
	}
	short := make([]time.Duration, 10)
	if got := results.GodsViewFrom(lat, hop8, 0, short); len(got) != 50 || got[0] != 0 {
		t.Fatalf("short buffer: len %d, dist[source] %v", len(got), got[0])
	}
}

func TestGodsViewFromPanics(t *testing.T) {
	lat := matrix([][]int{{0, 1}, {1, 0}})
	tests := []struct {
		name   string
		hop    results.HopCost
		source int
	}{
		{"source below range", hop8, -1},
		{"source above range", hop8, 2},
		{"negative hop cost", results.HopCost{BodyValidation: -1}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			results.GodsViewFrom(lat, tc.hop, tc.source, nil)
		})
	}
}

// floydWarshall is the brute-force reference: all-pairs shortest paths
// under hop.Weight, -1 for "no path".
func floydWarshall(lat netmodel.Latency, hop results.HopCost) [][]int64 {
	n := lat.N()
	d := make([][]int64, n)
	for u := range d {
		d[u] = make([]int64, n)
		for v := range d[u] {
			if w, ok := hop.Weight(lat, u, v); ok && u != v {
				d[u][v] = int64(w)
			} else {
				d[u][v] = -1
			}
		}
		d[u][u] = 0
	}
	for k := range n {
		for i := range n {
			for j := range n {
				if d[i][k] < 0 || d[k][j] < 0 {
					continue
				}
				if s := d[i][k] + d[k][j]; d[i][j] < 0 || s < d[i][j] {
					d[i][j] = s
				}
			}
		}
	}
	return d
}

// TestGodsViewFromMatchesFloydWarshall: on random small matrices, with
// unroutable and asymmetric pairs, Dijkstra from every source equals the
// brute-force all-pairs answer.
func TestGodsViewFromMatchesFloydWarshall(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 7).Draw(t, "n")
		lat := netmodel.NewMatrix(n)
		for a := range n {
			for b := range n {
				// Few distinct values make ties between paths common.
				if us := rapid.IntRange(-1, 6).Draw(t, "lat"); a != b && us >= 0 {
					lat.Set(a, b, time.Duration(us*100)*time.Microsecond)
				}
			}
		}
		hop := results.HopCost{
			HeaderValidation: time.Duration(rapid.IntRange(0, 500).Draw(t, "hv")) * time.Microsecond,
			BodyValidation:   time.Duration(rapid.IntRange(0, 500).Draw(t, "bv")) * time.Microsecond,
			BodyTransmit:     time.Duration(rapid.IntRange(0, 500).Draw(t, "bt")) * time.Microsecond,
		}
		fw := floydWarshall(lat, hop)
		var dist []time.Duration
		for s := range n {
			dist = results.GodsViewFrom(lat, hop, s, dist)
			for v := range n {
				want := time.Duration(fw[s][v])
				if fw[s][v] < 0 {
					want = results.Unreached
				}
				if dist[v] != want {
					t.Fatalf("source %d node %d: Dijkstra %v, Floyd–Warshall %v", s, v, dist[v], want)
				}
			}
		}
	})
}

func TestGodsViewErrors(t *testing.T) {
	c := results.NewCollector(2)
	c.BlockMade(0, 1, 0, clock.FromSeconds(1))
	lat := matrix([][]int{{0, 1}, {1, 0}})
	tests := []struct {
		name  string
		c     *results.Collector
		lat   netmodel.Latency
		hop   results.HopCost
		forge time.Duration
		opt   results.GodsViewOptions
		want  string
	}{
		{"node counts differ", c, matrix([][]int{{0}}), hop8, 0, results.GodsViewOptions{}, "2 nodes but the latency model 1"},
		{"negative header validation", c, lat, results.HopCost{HeaderValidation: -ms}, 0, results.GodsViewOptions{}, "HeaderValidation = -1ms"},
		{"negative body transmit", c, lat, results.HopCost{BodyTransmit: -1}, 0, results.GodsViewOptions{}, "BodyTransmit = -1ns"},
		{"negative forge delay", c, lat, hop8, -ms, results.GodsViewOptions{}, "forge delay -1ms"},
		{"negative MaxSources", c, lat, hop8, 0, results.GodsViewOptions{MaxSources: -3}, "MaxSources = -3"},
		{"no collector", nil, lat, hop8, 0, results.GodsViewOptions{}, "no collector"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := results.GodsView(tc.c, tc.lat, tc.hop, tc.forge, tc.opt)
			if err == nil || got != nil {
				t.Fatalf("got %v, %v; want an error", got, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestGodsViewCollector checks the bound collector on the triangle: the
// same blocks, adoptions at slot start + forge delay + distance, and
// MaxSources keeping the first producers in block order.
func TestGodsViewCollector(t *testing.T) {
	lat := matrix([][]int{
		{0, 100, 10, -1},
		{100, 0, 10, -1},
		{10, 10, 0, -1},
		{-1, -1, -1, 0},
	})
	run := results.NewCollector(4)
	made := []struct {
		slot     int64
		producer int
	}{{3, 1}, {5, 0}, {9, 1}, {12, 2}}
	for b, m := range made {
		run.BlockMade(b, m.slot, m.producer, clock.FromSeconds(m.slot))
		run.Adopted(b, m.producer, clock.FromSeconds(m.slot)) // ignored by the bound
	}
	run.Count(world.CountEvents, 99)
	const forge = 250 * time.Microsecond
	// Offsets in µs after the slot start; -1 = unreached. From 1: 1→2 is
	// 38 ms, 1→2→0 76 ms. From 0: symmetric. From 2: 38 ms to both.
	byProducer := map[int][]int64{
		0: {250, 76_250, 38_250, -1},
		1: {76_250, 250, 38_250, -1},
		2: {38_250, 38_250, 250, -1},
	}
	tests := []struct {
		maxSources      int
		bound           []bool // per block
		blocks, sources int64
	}{
		{0, []bool{true, true, true, true}, 4, 3},
		{5, []bool{true, true, true, true}, 4, 3},
		{3, []bool{true, true, true, true}, 4, 3},
		{2, []bool{true, true, true, false}, 3, 2},
		{1, []bool{true, false, true, false}, 2, 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("MaxSources=", tc.maxSources), func(t *testing.T) {
			g, err := results.GodsView(run, lat, hop8, forge, results.GodsViewOptions{MaxSources: tc.maxSources})
			if err != nil {
				t.Fatal(err)
			}
			if g.Nodes() != 4 || g.Blocks() != len(made) {
				t.Fatalf("%d nodes, %d blocks; want 4, %d", g.Nodes(), g.Blocks(), len(made))
			}
			for b, m := range made {
				bs := g.Block(b)
				if bs.Slot != m.slot || bs.Producer != m.producer || bs.SlotStart != clock.FromSeconds(m.slot) {
					t.Fatalf("block %d: %+v; want slot %d producer %d", b, bs, m.slot, m.producer)
				}
				for v, want := range byProducer[m.producer] {
					if !tc.bound[b] {
						want = -1
					}
					got, ok := g.AdoptionUS(b, v)
					if !ok {
						got = -1
					}
					if got != want {
						t.Fatalf("block %d node %d: %d µs; want %d", b, v, got, want)
					}
				}
			}
			want := fmt.Sprint([]results.Counter{{Name: results.GodsViewBlocksBound, Value: tc.blocks}, {Name: results.GodsViewSources, Value: tc.sources}})
			if got := fmt.Sprint(g.Counters()); got != want {
				t.Fatalf("counters %s; want %s", got, want)
			}
		})
	}
}

// TestGodsViewSaturates: bounds beyond the Collector's 2,147 s range are
// recorded as saturated adoptions, not dropped or wrapped.
func TestGodsViewSaturates(t *testing.T) {
	lat := netmodel.NewMatrix(2)
	lat.Set(0, 1, 30*time.Minute)
	lat.Set(1, 0, 30*time.Minute)
	run := results.NewCollector(2)
	run.BlockMade(0, 0, 0, 0)
	g, err := results.GodsView(run, lat, results.HopCost{}, 0, results.GodsViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := g.AdoptionUS(0, 1)
	if !ok || got != 2_147_483_647 || g.Saturated() != 1 {
		t.Fatalf("adoption %d µs (%v), %d saturated; want 2147483647 µs, 1 saturated", got, ok, g.Saturated())
	}
}

func geo(tb testing.TB, n int) *netmodel.Geo {
	tb.Helper()
	g, err := netmodel.NewGeo(n, sim.Derive(5, "geo", 0), netmodel.DefaultGeoParams())
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// simRun runs a static-topology world with jitter 0 in which the nodes in
// producers share the stake equally, and returns its collector.
func simRun(t *testing.T, lat netmodel.Latency, peers [][]int32, cfg world.Config, producers []int32, f float64, end clock.Time) *results.Collector {
	t.Helper()
	stake := make([]float64, len(producers))
	rngs := make([]*rand.Rand, len(producers))
	for i, p := range producers {
		stake[i], rngs[i] = 1, sim.Derive(cfg.Seed, "praos", uint64(p))
	}
	sched, err := node.NewLeaderSchedule(producers, stake, f, rngs)
	if err != nil {
		t.Fatal(err)
	}
	c := results.NewCollector(lat.N())
	w, err := world.New(cfg, lat, peers, sched, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.RunUntil(end); err != nil {
		t.Fatal(err)
	}
	return c
}

// mode is a transport and relay variant the god's-view tests run under.
type mode struct {
	name       string
	tcp        bool
	pipelining bool
}

var modes = []mode{{"ideal", false, false}, {"ideal+pipelining", false, true}, {"tcp", true, false}, {"tcp+pipelining", true, true}}

// with returns cfg in mode m (serve delay 20 ms, 1,100-byte headers).
func (m mode) with(cfg world.Config) world.Config {
	cfg.HeaderBytes = 1100
	if m.tcp {
		c := netmodel.DefaultTCPConfig()
		cfg.TCP = &c
	}
	if m.pipelining {
		r := cfg.Relay
		r.Pipelining, r.ServeDelay = true, 20*ms
		cfg.Relay = r
	}
	return cfg
}

func link(peers [][]int32, a, b int) {
	peers[a] = append(peers[a], int32(b))
	peers[b] = append(peers[b], int32(a))
}

// TestGodsViewBoundsSimulation: on a random overlay with a finite uplink
// (so queues form) and 1 s slots (so blocks overlap and slot battles
// happen; 8 s with tcp), no simulated adoption beats the god's-view bound, and the bound
// is strictly lower for some nodes (the overlay is not the complete graph).
func TestGodsViewBoundsSimulation(t *testing.T) {
	for _, m := range modes {
		for _, seed := range []uint64{1, 2} {
			t.Run(fmt.Sprint(m.name, "/seed=", seed), func(t *testing.T) {
				const n = 120
				lat := geo(t, n)
				rng := sim.Derive(seed, "overlay", 0)
				peers := make([][]int32, n)
				for v := 1; v < n; v++ {
					link(peers, v, rng.IntN(v)) // a spanning tree keeps it connected
					if u := rng.IntN(n); u != v && !slices.Contains(peers[v], int32(u)) {
						link(peers, v, u)
					}
				}
				for i := range peers {
					slices.Sort(peers[i])
				}
				// With tcp the bound assumes idle connections (blocks 20 s
				// apart on mainnet, idle restart after 1 s): there, slots
				// far enough apart that a block's transfers end before the
				// next (battles still happen).
				slot := time.Second
				if m.tcp {
					slot = 8 * time.Second
				}
				cfg := m.with(world.Config{
					Slot: slot, ForgeDelay: 120 * ms, BodyBytes: 90_112, BitsPerSecond: 20_000_000,
					Relay: node.RelayConfig{HeaderValidation: 5 * ms, BodyValidation: 50 * ms}, Seed: seed,
				})
				producers := []int32{0, 7, 19, 33, 64, 101}
				run := simRun(t, lat, peers, cfg, producers, 0.3, clock.Time(300*slot))
				bound, err := results.GodsView(run, lat, results.HopCostOf(cfg), cfg.ForgeDelay, results.GodsViewOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if run.Blocks() < 20 {
					t.Fatalf("only %d blocks made", run.Blocks())
				}
				// With tcp a slot battle's two blocks share warm
				// connections, which the bound (idle connections) does
				// not cover.
				slots := map[int64]int{}
				for b := range run.Blocks() {
					slots[run.Block(b).Slot]++
				}
				checked, lower := 0, 0
				for b := range run.Blocks() {
					if m.tcp && slots[run.Block(b).Slot] > 1 {
						continue
					}
					for v := range n {
						got, ok := run.AdoptionUS(b, v)
						if !ok {
							continue
						}
						lb, ok := bound.AdoptionUS(b, v)
						if !ok || got < lb {
							for bb := max(0, b-2); bb < min(run.Blocks(), b+3); bb++ {
								t.Logf("block %d slot %d producer %d", bb, run.Block(bb).Slot, run.Block(bb).Producer)
							}
							t.Fatalf("seed %d block %d node %d: simulated %d µs beats the bound %d µs (reached %v)", seed, b, v, got, lb, ok)
						}
						checked++
						if got > lb {
							lower++
						}
					}
				}
				if checked < 1000 || lower == 0 {
					t.Fatalf("%d adoptions checked, %d strictly above the bound: the test is vacuous", checked, lower)
				}
			})
		}
	}
}

// TestGodsViewExactOnTree: when only the edges of a tree are routable,
// the complete latency graph is that tree, every node has one upstream,
// and with unlimited bandwidth and slots far apart nothing queues: the
// simulated adoption times equal the bound exactly, for every producer.
func TestGodsViewExactOnTree(t *testing.T) {
	const n = 80
	g := geo(t, n)
	lat := netmodel.NewMatrix(n)
	peers := make([][]int32, n)
	rng := sim.Derive(4, "tree", 0)
	for v := 1; v < n; v++ {
		u := rng.IntN(v)
		link(peers, u, v)
		d, _ := g.OneWay(u, v)
		lat.Set(u, v, d)
		// A little asymmetry, so a swapped direction in the cost would show.
		lat.Set(v, u, d+time.Duration(v)*time.Microsecond)
	}
	for i := range peers {
		slices.Sort(peers[i])
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { exactOnTree(t, lat, peers, m) })
	}
}

func exactOnTree(t *testing.T, lat netmodel.Latency, peers [][]int32, m mode) {
	n := lat.N()
	cfg := m.with(world.Config{
		Slot: 30 * time.Second, ForgeDelay: 150 * ms, BodyBytes: 90_112,
		Relay: node.RelayConfig{HeaderValidation: 5 * ms, BodyValidation: 50 * ms}, Seed: 4,
	})
	end := clock.FromSeconds(4800)
	run := simRun(t, lat, peers, cfg, []int32{0, 13, 42, 79}, 0.25, end)
	bound, err := results.GodsView(run, lat, results.HopCostOf(cfg), cfg.ForgeDelay, results.GodsViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slots := map[int64]int{}
	for b := range run.Blocks() {
		slots[run.Block(b).Slot]++
	}
	checked := 0
	for b := range run.Blocks() {
		bs := run.Block(b)
		// A slot battle makes nodes validate both bodies; the last
		// slot may not have finished diffusing.
		if slots[bs.Slot] > 1 || bs.SlotStart > end-clock.FromSeconds(30) {
			continue
		}
		for v := range n {
			got, ok := run.AdoptionUS(b, v)
			want, wantOK := bound.AdoptionUS(b, v)
			if got != want || ok != wantOK || !ok {
				t.Fatalf("block %d (producer %d) node %d: simulated %d µs (%v), bound %d µs (%v)", b, bs.Producer, v, got, ok, want, wantOK)
			}
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d blocks checked", checked)
	}
}

func BenchmarkGodsViewFrom(b *testing.B) {
	for _, c := range []struct {
		n   int
		tcp bool
	}{{1000, false}, {10_000, false}, {1000, true}} {
		n, tcp := c.n, c.tcp
		b.Run(fmt.Sprint("n=", n, "/tcp+pipelining=", tcp), func(b *testing.B) {
			lat := geo(b, n)
			cfg := world.Config{BodyBytes: 90_112, BitsPerSecond: 100_000_000, Relay: node.RelayConfig{HeaderValidation: 5 * ms, BodyValidation: 50 * ms}}
			hop := results.HopCostOf(cfg)
			if tcp {
				hop = results.HopCostOf(modes[3].with(cfg))
			}
			dist := make([]time.Duration, n)
			src := 0
			b.ReportAllocs()
			for b.Loop() {
				dist = results.GodsViewFrom(lat, hop, src, dist)
				src = (src + 1) % n
			}
		})
	}
}

func ExampleGodsViewFrom() {
	// A triangle where relaying through node 2 beats the direct hop 0→1.
	lat := netmodel.NewMatrix(3)
	set := func(a, b int, d time.Duration) { lat.Set(a, b, d); lat.Set(b, a, d) }
	set(0, 1, 100*time.Millisecond)
	set(0, 2, 10*time.Millisecond)
	set(1, 2, 10*time.Millisecond)
	hop := results.HopCost{HeaderValidation: time.Millisecond, BodyValidation: 5 * time.Millisecond}
	// Each hop costs 3 one-way latencies + 6 ms: direct 306 ms, via 2 72 ms.
	fmt.Println(results.GodsViewFrom(lat, hop, 0, nil))
	// Output: [0s 72ms 36ms]
}

// TestGodsViewStop: Stop is asked before each producer, and its error
// ends the bound (Ctrl-C during a bound of thousands of nodes).
func TestGodsViewStop(t *testing.T) {
	lat := matrix([][]int{{0, 10, 20}, {10, 0, 10}, {20, 10, 0}})
	run := results.NewCollector(3)
	for b, p := range []int{0, 1, 2, 0} {
		run.BlockMade(b, int64(b), p, clock.FromSeconds(int64(b)))
	}
	asked := 0
	stop := errors.New("stopped")
	_, err := results.GodsView(run, lat, results.HopCost{}, 0, results.GodsViewOptions{Stop: func() error {
		asked++
		if asked == 2 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) || asked != 2 {
		t.Fatalf("error %v after %d asks; want the Stop error at the second producer", err, asked)
	}
	asked = 0
	if _, err := results.GodsView(run, lat, results.HopCost{}, 0, results.GodsViewOptions{Stop: func() error { asked++; return nil }}); err != nil || asked != 3 {
		t.Fatalf("error %v, %d asks; want none and one per producer (3)", err, asked)
	}
}
