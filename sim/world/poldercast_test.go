package world

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies/poldercast"
	"github.com/dpsim/dpsim/sim"
)

// pcRecorder keeps slot starts, first adoptions and counters.
type pcRecorder struct {
	made    []clock.Time
	adopted map[[2]int]clock.Time
	counts  map[Counter]int64
}

func (r *pcRecorder) BlockMade(block int, slot int64, producer int, slotStart clock.Time) {
	r.made = append(r.made, slotStart)
}

func (r *pcRecorder) HeaderArrived(int, int, clock.Time) {}

func (r *pcRecorder) Adopted(block, node int, at clock.Time) {
	if _, ok := r.adopted[[2]int{block, node}]; !ok {
		r.adopted[[2]int{block, node}] = at
	}
}

func (r *pcRecorder) Count(c Counter, d int64) { r.counts[c] += d }

// pcSetup describes a test world running the PolderCast overlay on the
// built-in geographic latency model.
type pcSetup struct {
	n      int
	params poldercast.Params
	f      float64 // active slot coefficient (1 s slots)
	seed   uint64
	churn  []OverlayChurn
	jitter bool
}

func (s pcSetup) replay(test string) string {
	return fmt.Sprintf("seed %d; replay: go test ./sim -run '^%s$' -v", s.seed, test)
}

func (s pcSetup) config() Config {
	cfg := Config{
		Slot: time.Second, BodyBytes: 90112, BitsPerSecond: 100e6,
		Relay: node.RelayConfig{HeaderValidation: 5 * time.Millisecond, BodyValidation: 50 * time.Millisecond},
		Seed:  s.seed, Limits: sim.Limits{MaxPerInstant: 100000},
		PolderCast: &PolderCastConfig{Params: s.params, Churn: s.churn},
	}
	if s.jitter {
		cfg.Jitter = netmodel.Jitter{Fraction: 0.1}
	}
	return cfg
}

func (s pcSetup) build(t testing.TB) (*World, *pcRecorder) {
	t.Helper()
	geo, _, sched := testNetwork(t, s.n, s.seed, s.f)
	rec := &pcRecorder{adopted: map[[2]int]clock.Time{}, counts: map[Counter]int64{}}
	w, err := New(s.config(), geo, make([][]int32, s.n), sched, rec)
	if err != nil {
		t.Fatal(err)
	}
	return w, rec
}

func (s pcSetup) run(t testing.TB, until clock.Time) (*World, *pcRecorder) {
	t.Helper()
	w, rec := s.build(t)
	if err := w.RunUntil(until); err != nil {
		t.Fatal(err)
	}
	w.Finish()
	return w, rec
}

// mainChain returns the blocks of the best chain any node holds, oldest
// first.
func mainChain(w *World) []node.BlockID {
	best := node.NoBlock
	for _, nd := range w.Nodes {
		if best == node.NoBlock || (nd.Tip() != node.NoBlock && w.Chain.Better(nd.Tip(), best)) {
			best = nd.Tip()
		}
	}
	var out []node.BlockID
	for b := best; b != node.NoBlock; b = w.Chain.Get(b).Parent {
		out = append(out, b)
	}
	slices.Reverse(out)
	return out
}

// checkDelivery asserts that every node in up (nil: all) adopted every
// main-chain block made in [from, to], within bound of its slot start.
func checkDelivery(t *testing.T, w *World, rec *pcRecorder, from, to clock.Time, up []bool, bound time.Duration, hint string) int {
	t.Helper()
	checked := 0
	for _, b := range mainChain(w) {
		start := rec.made[b]
		if start < from || start > to {
			continue
		}
		checked++
		for i := range w.Nodes {
			if up != nil && !up[i] {
				continue
			}
			at, ok := rec.adopted[[2]int{int(b), i}]
			if !ok {
				t.Fatalf("block %d (slot start %v) never reached node %d (%s)", b, start, i, hint)
			}
			if d := at.Sub(start); d > bound {
				t.Fatalf("block %d reached node %d after %v > %v (%s)", b, i, d, bound, hint)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("only %d main-chain blocks to check (%s)", checked, hint)
	}
	return checked
}

// TestPolderCastDelivers: on the geographic latency model, every node
// adopts every main-chain block within 15 s in both modes, and paper mode
// with fanout 2 and 3 too; the run opens connections and gossips.
func TestPolderCastDelivers(t *testing.T) {
	f2 := poldercast.DefaultParams(poldercast.Paper)
	f2.Fanout = 2
	cases := []struct {
		name string
		p    poldercast.Params
	}{
		{"paper-F2", f2},
		{"paper-F3", poldercast.DefaultParams(poldercast.Paper)},
		{"itn", poldercast.DefaultParams(poldercast.ITN)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := pcSetup{n: 100, params: c.p, f: 0.04, seed: 21, jitter: true}
			hint := s.replay("TestPolderCastDelivers/" + c.name)
			end := clock.FromSeconds(10 * 60)
			w, rec := s.run(t, end)
			// Blocks after the overlay's first minutes; the last minute
			// may still be diffusing.
			n := checkDelivery(t, w, rec, clock.FromSeconds(120), end-clock.FromSeconds(60), nil, 15*time.Second, hint)
			for _, k := range []Counter{CountGossipMessages, CountGossipBytes, CountConnectionsOpened, CountAnnouncements} {
				if rec.counts[k] <= 0 {
					t.Errorf("counter %s = %d, want > 0 (%s)", k, rec.counts[k], hint)
				}
			}
			t.Logf("%d blocks checked; counters %v", n, rec.counts)
		})
	}
}

// TestPolderCastDeterminism: the same configuration and seed give the
// same counters and adoption times, in both modes, with jitter and churn.
func TestPolderCastDeterminism(t *testing.T) {
	for _, mode := range []poldercast.Mode{poldercast.Paper, poldercast.ITN} {
		t.Run(mode.String(), func(t *testing.T) {
			s := pcSetup{n: 200, params: poldercast.DefaultParams(mode), f: 0.05, seed: 8, jitter: true,
				churn: []OverlayChurn{{Node: 3, At: clock.FromSeconds(100)}, {Node: 5, At: clock.FromSeconds(150), Up: true}}}
			end := clock.FromSeconds(200)
			_, a := s.run(t, end)
			_, b := s.run(t, end)
			if !maps.Equal(a.counts, b.counts) {
				t.Fatalf("counters differ:\n%v\n%v (%s)", a.counts, b.counts, s.replay("TestPolderCastDeterminism"))
			}
			if !maps.Equal(a.adopted, b.adopted) || !slices.Equal(a.made, b.made) {
				t.Fatalf("adoptions differ (%s)", s.replay("TestPolderCastDeterminism"))
			}
			if len(a.adopted) < 1000 {
				t.Fatalf("only %d adoptions", len(a.adopted))
			}
		})
	}
}

// viewGraph returns, for every node, its overlay out-neighbours (paper:
// Cyclon ∪ Vicinity ∪ rings) restricted to nodes that are up.
func viewGraph(w *World) [][]int32 {
	d := w.fwd.(*polderCast)
	g := make([][]int32, len(w.Nodes))
	for i := range g {
		if !d.up[i] {
			continue
		}
		s := d.o.PaperState(int32(i))
		views := [][]poldercast.Entry{s.Cyc, s.Vic}
		for _, r := range s.Rings {
			views = append(views, r.Pred, r.Succ)
		}
		for _, v := range views {
			for _, e := range v {
				if d.up[e.Node] {
					g[i] = append(g[i], e.Node)
				}
			}
		}
	}
	return g
}

// reach counts the up nodes reachable from src in g (or in its reverse).
func reach(g [][]int32, src int32, reverse bool) int {
	adj := g
	if reverse {
		adj = make([][]int32, len(g))
		for u, vs := range g {
			for _, v := range vs {
				adj[v] = append(adj[v], int32(u))
			}
		}
	}
	seen := map[int32]bool{src: true}
	stack := []int32{src}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, v := range adj[u] {
			if !seen[v] {
				seen[v] = true
				stack = append(stack, v)
			}
		}
	}
	return len(seen)
}

// TestPolderCastChurnConnected (paper mode): 20 % of 200 nodes leave at
// 5 min and 10 new nodes join at 6 min. Ten minutes later the overlay
// among the nodes that are up is strongly connected — every up node
// reaches every other through views and is reached by all, which gossip
// and the rings' dissemination need; weak connectivity would not do, as
// views are one-way links — few view entries still point to departed
// nodes, and every block made from then on reaches every up node.
func TestPolderCastChurnConnected(t *testing.T) {
	const n = 200
	var churn []OverlayChurn
	r := sim.Derive(4, "test-churn", 0)
	perm := r.Perm(n)
	for _, i := range perm[:40] {
		churn = append(churn, OverlayChurn{Node: int32(i), At: clock.FromSeconds(300)})
	}
	for _, i := range perm[40:50] {
		churn = append(churn, OverlayChurn{Node: int32(i), At: clock.FromSeconds(360), Up: true})
	}
	s := pcSetup{n: n, params: poldercast.DefaultParams(poldercast.Paper), f: 0.03, seed: 4, churn: churn}
	hint := s.replay("TestPolderCastChurnConnected")
	end := clock.FromSeconds(16 * 60)
	w, rec := s.run(t, end)
	d := w.fwd.(*polderCast)
	up := slices.Clone(d.up)
	nUp := 0
	for _, u := range up {
		if u {
			nUp++
		}
	}
	if nUp != n-40 {
		t.Fatalf("%d nodes up, want %d", nUp, n-40)
	}
	g := viewGraph(w)
	src := int32(slices.Index(up, true))
	if f, b := reach(g, src, false), reach(g, src, true); f != nUp || b != nUp {
		t.Fatalf("overlay not strongly connected: node %d reaches %d and is reached by %d of %d (%s)", src, f, b, nUp, hint)
	}
	// Stale entries (to departed nodes) in the views of up nodes.
	stale, total := 0, 0
	for i := range n {
		if !up[i] {
			continue
		}
		ps := d.o.PaperState(int32(i))
		for _, v := range [][]poldercast.Entry{ps.Cyc, ps.Vic, ps.Rings[poldercast.Blocks].Pred, ps.Rings[poldercast.Blocks].Succ} {
			for _, e := range v {
				total++
				if !up[e.Node] {
					stale++
				}
			}
		}
	}
	if stale*20 > total {
		t.Fatalf("%d of %d view entries point to departed nodes, want < 5 %% (%s)", stale, total, hint)
	}
	for _, i := range perm[40:50] {
		if ps := d.o.PaperState(int32(i)); len(ps.Cyc) == 0 || len(ps.Rings[poldercast.Blocks].Succ) == 0 {
			t.Fatalf("joined node %d has an empty view (%s)", i, hint)
		}
	}
	checkDelivery(t, w, rec, clock.FromSeconds(9*60), end-clock.FromSeconds(60), up, 15*time.Second, hint)
	t.Logf("stale entries %d of %d; counters %v", stale, total, rec.counts)
}

// TestPolderCastITNQuirks: in ITN mode every node's ring "successors" are
// the two highest ids, so those two receive the most announcements, over
// twice the median node's (spec §6.7); nodes that left are struck and quarantined
// by those that fail to reach them.
func TestPolderCastITNQuirks(t *testing.T) {
	const n = 100
	var churn []OverlayChurn
	for i := range 10 {
		churn = append(churn, OverlayChurn{Node: int32(i * 7), At: clock.FromSeconds(300)})
	}
	s := pcSetup{n: n, params: poldercast.DefaultParams(poldercast.ITN), f: 0.05, seed: 6, churn: churn}
	hint := s.replay("TestPolderCastITNQuirks")
	w, rec := s.run(t, clock.FromSeconds(600))
	d := w.fwd.(*polderCast)
	byID := make([]int32, n)
	for i := range byID {
		byID[i] = int32(i)
	}
	slices.SortFunc(byID, func(a, b int32) int {
		return cmp.Compare(clock.Time(d.o.Prof[a].ID>>1), clock.Time(d.o.Prof[b].ID>>1))
	})
	recv := slices.Clone(d.recvAnn)
	sorted := slices.Clone(recv)
	slices.Sort(sorted)
	median := sorted[n/2]
	// Every node announces to them, against about 44 (rings, Vicinity,
	// Cyclon) of 100 for the others.
	for _, top := range byID[n-2:] {
		if recv[top] < 2*median || recv[top] < sorted[n-2] {
			t.Errorf("node %d (a top-2 id) received %d announcements, median %d: want ≥ 2× and among the two most (%s)", top, recv[top], median, hint)
		}
	}
	if rec.counts[CountQuarantined] < 10 {
		t.Errorf("quarantined %d, want at least one per departed node (%s)", rec.counts[CountQuarantined], hint)
	}
	quar := 0
	for i := range n {
		if d.up[i] && d.o.ItnQuarantined(int32(i), 7) {
			quar++
		}
	}
	if quar == 0 {
		t.Errorf("no node holds departed node 7 in quarantine (%s)", hint)
	}
	t.Logf("top-2 received %d, %d; median %d; %d nodes quarantine node 7; counters %v",
		recv[byID[n-1]], recv[byID[n-2]], median, quar, rec.counts)
}

// TestPolderCastConfigErrors: bad configurations are returned errors that
// name the field, the value and what is accepted.
func TestPolderCastConfigErrors(t *testing.T) {
	badParams := poldercast.DefaultParams(poldercast.Paper)
	badParams.Fanout = 1
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"params", func(c *Config) { c.PolderCast.Params = badParams }, "fanout 1: accepted"},
		{"subs", func(c *Config) { c.PolderCast.Subs = make([]poldercast.Subs, 3) }, "subs for 3 nodes: accepted 20"},
		{"seeds length", func(c *Config) { c.PolderCast.Seeds = make([][]int32, 2) }, "seeds for 2 nodes"},
		{"seed self", func(c *Config) {
			c.PolderCast.Seeds = make([][]int32, 20)
			c.PolderCast.Seeds[4] = []int32{4}
		}, "seeds[4]: node 4: accepted another node"},
		{"trusted", func(c *Config) { c.PolderCast.Trusted = 20 }, "trusted 20: accepted 0 to 19"},
		{"churn node", func(c *Config) { c.PolderCast.Churn = []OverlayChurn{{Node: 20}} }, "accepted a node in [0, 20)"},
		{"churn time", func(c *Config) { c.PolderCast.Churn = []OverlayChurn{{Node: 1, At: -1}} }, "a time ≥ 0"},
		{"interest", func(c *Config) {
			c.PolderCast.Subs = make([]poldercast.Subs, 20)
			c.PolderCast.Subs[2] = poldercast.Subs{7, 1}
		}, "node 2: interest 7"},
	}
	s := pcSetup{n: 20, params: poldercast.DefaultParams(poldercast.Paper), f: 0.05, seed: 1}
	lat, err := netmodel.NewGeo(s.n, sim.Derive(1, "geo", 0), netmodel.DefaultGeoParams())
	if err != nil {
		t.Fatal(err)
	}
	nodes, stake, rngs := make([]int32, s.n), make([]float64, s.n), make([]*rand.Rand, s.n)
	for i := range nodes {
		nodes[i], stake[i], rngs[i] = int32(i), 1, sim.Derive(1, "praos", uint64(i))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sched, err := node.NewLeaderSchedule(nodes, stake, 0.05, rngs)
			if err != nil {
				t.Fatal(err)
			}
			cfg := s.config()
			c.mod(&cfg)
			_, err = New(cfg, lat, make([][]int32, s.n), sched, &pcRecorder{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	sched, _ := node.NewLeaderSchedule(nodes, stake, 0.05, rngs)
	peers := make([][]int32, s.n)
	peers[0] = []int32{1}
	if _, err := New(s.config(), lat, peers, sched, &pcRecorder{}); err == nil || !strings.Contains(err.Error(), "static peers") {
		t.Fatalf("static peers with the overlay: %v", err)
	}
}
