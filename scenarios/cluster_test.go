package scenarios

import (
	"cmp"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/sharedtest"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/results"
	"pgregory.net/rapid"
)

func loadCluster(t *testing.T, path string) *Scenario {
	t.Helper()
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runScenario builds and runs s, returning the run and its collector.
func runScenario(t *testing.T, s *Scenario) (*Run, *results.Collector) {
	t.Helper()
	col := results.NewCollector(s.Nodes.Count)
	r, err := Build(s, s.Seed, col)
	if err != nil {
		t.Fatal(err)
	}
	// The run layer (internal/run) executes runs; a whole run here is the
	// world run to the scenario's end.
	if err := r.World.RunUntil(clock.Time(s.Duration)); err != nil {
		t.Fatal(err)
	}
	r.World.Finish()
	return r, col
}

// TestClusterLine runs the three-node cluster of testdata/cluster: nodes
// in natural order, directed links from the topology files, one-way delays
// from the pings, and blocks flowing only against the "pulls from" arrows
// (n1, a relay, feeds nobody).
func TestClusterLine(t *testing.T) {
	s := loadCluster(t, filepath.Join("testdata", "cluster", "line.yaml"))
	r, col := runScenario(t, s)
	if got := r.NodeNames(); !slices.Equal(got, []string{"n1", "n2", "n10"}) {
		t.Fatalf("names %v, want natural order n1 n2 n10 without monitor and docs", got)
	}
	if up := r.Upstreams(); !reflect.DeepEqual(up, [][]int32{{1}, {2}, {1}}) {
		t.Errorf("upstreams %v, want n1←n2, n2←n10, n10←n2", up)
	}
	for _, c := range []struct {
		a, b int
		want time.Duration
	}{{0, 1, 10 * time.Millisecond}, {1, 2, 20500 * time.Microsecond}, {2, 1, 20500 * time.Microsecond}} {
		if d, ok := r.Latency.OneWay(c.a, c.b); !ok || d != c.want {
			t.Errorf("OneWay(%d,%d) = %v %v, want %v", c.a, c.b, d, ok, c.want)
		}
	}
	if !slices.Equal(r.Peers[0], nil) {
		t.Errorf("n1 announces to %v, want nobody", r.Peers[0])
	}
	var fromN2 int
	for b := range col.Blocks() {
		st := col.Block(b)
		if st.Producer == 1 {
			t1, ok1 := col.AdoptionUS(b, 0)
			t10, ok10 := col.AdoptionUS(b, 2)
			if !ok1 || !ok10 {
				continue // lost a slot battle
			}
			fromN2++
			// header, request and body each cross the link once: n10 is
			// 20.5 ms away, n1 10 ms, so n10 adopts 3 × 10.5 ms later.
			if t10-t1 != 31500 {
				t.Errorf("block %d by n2: n10 at %d µs, n1 at %d µs; want 31500 µs apart", b, t10, t1)
			}
		}
	}
	if fromN2 == 0 {
		t.Fatal("no block by n2 reached both others: the test proves nothing")
	}
}

// TestClusterOverride: in a p2p network, relay 25 runs its operator's
// topology.json (a local root at 10.0.0.8 = node 7) and config.json
// (targets, no peer sharing) with the cardano policy; the others run the
// scenario's random policy. Node 7 stays hot at 25 all along.
func TestClusterOverride(t *testing.T) {
	s := loadCluster(t, filepath.Join("testdata", "cluster", "override.yaml"))
	r, _ := runScenario(t, s)
	g := r.World.Governor(25)
	want := node.Targets{Root: 5, Known: 20, Established: 8, Active: 4}
	if g.Targets() != want {
		t.Errorf("node 25 targets %+v, want %+v", g.Targets(), want)
	}
	if p := g.Peer(7); p == nil || p.State != node.Hot || p.Group != 0 {
		t.Fatalf("node 25's local root 7: %+v, want hot in group 0", p)
	}
	if got := r.World.Governor(24).Targets().Active; got != 5 {
		t.Errorf("node 24 active target %d, want the random policy's 5", got)
	}
	if got := NodeAddress(7); got != netip.MustParseAddr("10.0.0.8") {
		t.Errorf("NodeAddress(7) = %v", got)
	}
}

func TestNodeAddressRoundTrip(t *testing.T) {
	resolve := generatedResolver(MaxNodes)
	for _, i := range []int{0, 1, 254, 255, 256, 4096, MaxNodes - 1} {
		id, ok := resolve(AccessPoint{IP: NodeAddress(i), Port: 1})
		if !ok || int(id) != i {
			t.Errorf("node %d: %v resolves to %d %v", i, NodeAddress(i), id, ok)
		}
	}
	for _, a := range []string{"10.0.0.0", "11.0.0.1", "::1", NodeAddress(MaxNodes).String()} {
		if id, ok := resolve(AccessPoint{IP: netip.MustParseAddr(a)}); ok {
			t.Errorf("%s resolves to %d", a, id)
		}
	}
}

func TestNaturalOrder(t *testing.T) {
	in := []string{"node-10", "node-2", "explorer", "node-1", "node-01", "node-0", "a10b2", "a10b10", "a9", "10", "9"}
	slices.SortFunc(in, naturalCompare)
	want := []string{"9", "10", "a9", "a10b2", "a10b10", "explorer", "node-0", "node-01", "node-1", "node-2", "node-10"}
	if !slices.Equal(in, want) {
		t.Errorf("%v\nwant %v", in, want)
	}
}

// TestNaturalOrderProperty: numbered names sort by number, and the order
// is antisymmetric and total (0 only for equal strings), so sorting folder
// names never depends on the listing order.
func TestNaturalOrderProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.IntRange(0, 1e6).Draw(t, "a")
		b := rapid.IntRange(0, 1e6).Draw(t, "b")
		if got := naturalCompare("node-"+strconv.Itoa(a), "node-"+strconv.Itoa(b)); got != cmp.Compare(a, b) {
			t.Fatalf("node-%d vs node-%d: %d", a, b, got)
		}
		x := rapid.StringMatching(`[a0-9.-]{0,8}`).Draw(t, "x")
		y := rapid.StringMatching(`[a0-9.-]{0,8}`).Draw(t, "y")
		c, d := naturalCompare(x, y), naturalCompare(y, x)
		if c != -d || (c == 0) != (x == y) {
			t.Fatalf("%q vs %q: %d, reverse %d", x, y, c, d)
		}
	})
}

func TestClusterValidate(t *testing.T) {
	base := "version: 1\nname: c\nnodes:\n  count: 3\n"
	tests := []struct{ name, yaml, field, msg string }{
		{"local-roots without folder", base + "topology:\n  model: local-roots\n", "topology.model", "needs operators.folder"},
		{"folder without addresses", base + "operators:\n  folder: x\ntopology:\n  model: local-roots\n", "operators.addresses", "required with operators.folder"},
		{"addresses without folder", base + "operators:\n  addresses: a.csv\n", "operators.addresses", "applies only with operators.folder"},
		{"folder with random", base + "operators:\n  folder: x\n  addresses: a\n", "operators.folder", "applies only with topology.model local-roots or p2p"},
		{"exclude without folder", base + "operators:\n  exclude: [a]\n", "operators.exclude", "applies only with operators.folder"},
		{"bad exclude", base + "operators:\n  folder: x\n  addresses: a\n  exclude: [a/b]\ntopology:\n  model: local-roots\n", "operators.exclude[0]", "a folder name"},
		{"duplicate exclude", base + "operators:\n  folder: x\n  addresses: a\n  exclude: [e, e]\ntopology:\n  model: local-roots\n", "operators.exclude[1]", "also operators.exclude[0]"},
		{"nodes without p2p", base + "operators:\n  nodes:\n    - {node: 1, topology: t.json}\n", "operators.nodes", "applies only with topology.model: p2p"},
		{"node out of range", base + "operators:\n  nodes:\n    - {node: 3, topology: t.json}\ntopology:\n  model: p2p\n", "operators.nodes[0].node", "accepted: a node id 0 … 2"},
		{"node twice", base + "operators:\n  nodes:\n    - {node: 1, topology: t.json}\n    - {node: 1, topology: u.json}\ntopology:\n  model: p2p\n", "operators.nodes[1].node", "also operators.nodes[0]"},
		{"node without topology", base + "operators:\n  nodes:\n    - {node: 1}\ntopology:\n  model: p2p\n", "operators.nodes[0].topology", "required with operators.nodes"},
		{"pings without file", base + "network:\n  latency:\n    model: pings\n", "network.latency.file", "required with model: matrix or edges (or pings)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "c.yaml")
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("error %v, want Problems", err)
			}
			for _, p := range ps {
				if p.Field == tc.field && strings.Contains(p.Msg, tc.msg) {
					if p.Line == 0 {
						t.Errorf("problem without a line: %v", p)
					}
					return
				}
			}
			t.Errorf("problems:\n%v\nwant %s: …%s…", ps, tc.field, tc.msg)
		})
	}
}

// writeCluster copies the line cluster into a temporary folder and applies
// edit, so a test can break one file.
func writeCluster(t *testing.T, edit func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("testdata", "cluster")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	edit(dir)
	return filepath.Join(dir, "line.yaml")
}

func TestClusterBuildErrors(t *testing.T) {
	write := func(name, text string) func(string) { return fileWriter(t, name, text) }
	tests := []struct {
		name string
		edit func(dir string)
		want []string
	}{
		{"folder missing", func(dir string) { os.RemoveAll(filepath.Join(dir, "line")) },
			[]string{"line.yaml:14:11", "operators.folder", "no such file"}},
		{"count mismatch", write("line/n3/topology.json", `{"localRoots": []}`),
			[]string{"nodes.count", "holds 4 node folders", "accepted: nodes.count = 4"}},
		{"unmeasured link", write("line/pings.csv", "source,dest,rtt_ms\nn2,n10,40\n"),
			[]string{"network.latency.file", "no latency between n1 and n2", "n1/topology.json"}},
		{"pings file names an unknown node", write("line/pings.csv", "source,dest,rtt_ms\nn2,n7,40\n"),
			[]string{"pings.csv:2", `dest "n7": not a node`}},
		{"unknown address", write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.9.9.9", "port": 1}], "valency": 1}], "publicRoots": []}`),
			[]string{"n1/topology.json:1:", "10.9.9.9:1", "no simulated node has this address"}},
		{"address of an excluded folder", write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.99", "port": 3001}], "valency": 1}], "publicRoots": []}`),
			[]string{"10.1.0.99:3001", "no simulated node has this address"}},
		{"partial valency", write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.2", "port": 3001}, {"address": "10.1.0.10", "port": 3001}], "hotValency": 1}], "publicRoots": []}`),
			[]string{"localRoots[0]: hotValency 1 of 2 peers", "topology.model p2p"}},
		{"ledger peers", write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.2", "port": 3001}], "valency": 1}], "publicRoots": [], "useLedgerAfterSlot": 0}`),
			[]string{"useLedgerAfterSlot 0", "uses no ledger peers"}},
		{"bad address map", write("line/addresses.csv", "n1,10.1.0.1\nn2,10.1.0.1\n"),
			[]string{"operators.addresses", "addresses.csv:2", `address "10.1.0.1" of n2 is also n1's`}},
		{"bad exclude", write("line.yaml", strings.Replace(mustRead(t, filepath.Join("testdata", "cluster", "line.yaml")), "[monitor]", "[monitor, nothing]", 1)),
			[]string{`exclude "nothing": no such folder`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeCluster(t, tc.edit)
			s, err := Load(path)
			if err == nil {
				_, err = Build(s, 1, results.NewCollector(s.Nodes.Count))
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBenchmarkCluster52 builds and runs the shipped scenario on the real
// data: the upstreams equal each node's topology.json local roots (read
// here with encoding/json and the ssh mapping), every link's delay is its
// own measurement, every block on the final chain reaches all 52 nodes
// (only slot-battle losers do not), and a producer's upstream neighbours
// never adopt before three crossings of their link.
func TestBenchmarkCluster52(t *testing.T) {
	dir := sharedtest.Path(t, "data", "benchmark-cluster-52", "node-configs")
	s := loadCluster(t, filepath.Join(".", "benchmark-cluster-52.yaml"))
	r, col := runScenario(t, s)
	names := r.NodeNames()
	if len(names) != 52 || names[10] != "node-10" || names[51] != "node-51" {
		t.Fatalf("names %v", names)
	}
	resolve := clusterResolver(t, dir) // topologyjson_test.go: port 30000+N and N's IP
	up := r.Upstreams()
	pings := r.Latency.(*netmodel.Pings)
	for i, name := range names {
		var tf struct {
			LocalRoots []struct {
				AccessPoints []struct {
					Address string `json:"address"`
					Port    int    `json:"port"`
				} `json:"accessPoints"`
			} `json:"localRoots"`
		}
		if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, name, "topology.json"))), &tf); err != nil {
			t.Fatal(err)
		}
		var want []int32
		for _, ap := range tf.LocalRoots[0].AccessPoints {
			id, ok := resolve(AccessPoint{Address: ap.Address, IP: netip.MustParseAddr(ap.Address), Port: ap.Port})
			if !ok {
				t.Fatalf("%s: %s:%d unresolved", name, ap.Address, ap.Port)
			}
			want = append(want, int32(id))
		}
		slices.Sort(want)
		if !slices.Equal(up[i], want) {
			t.Errorf("%s: upstreams %v, want %v", name, up[i], want)
		}
		for _, j := range up[i] {
			if _, ok := pings.Measured(i, int(j)); !ok {
				t.Errorf("%s–%s: not measured", name, names[j])
			}
		}
	}
	battles := int64(0)
	for _, c := range col.Counters() {
		if c.Name == "slot_battles" {
			battles = c.Value
		}
	}
	partial := 0
	for b := range col.Blocks() {
		st := col.Block(b)
		if st.Reached != 52 {
			partial++
		}
		p := st.Producer
		for i := range 52 {
			if !slices.Contains(up[i], int32(p)) {
				continue
			}
			d, _ := pings.Measured(i, p)
			if at, ok := col.AdoptionUS(b, i); ok && at < 3*d.Microseconds() {
				t.Errorf("block %d: %s adopted at %d µs, before 3 × %v from its upstream %s", b, names[i], at, d, names[p])
			}
		}
	}
	partialBlocksLostForks(t, r, col, 52)
	if col.Blocks() < 300 || battles == 0 {
		t.Errorf("%d blocks (%d not reaching all 52 nodes), %d slot battles", col.Blocks(), partial, battles)
	}
}

// TestBodySizesDrawn: with blocks.body_sizes every block's body size is
// one of the listed values, drawn by weight, and the bodies sent carry
// that size (a larger body takes longer to adopt over TCP).
func TestBodySizesDrawn(t *testing.T) {
	src := base + "duration: 3h\ntopology:\n  degree: 4\nblocks:\n  body_sizes:\n    - {bytes: 1000, weight: 1}\n    - {bytes: 400000, weight: 3}\n"
	s, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, col := runScenario(t, s)
	chain := &r.World.Chain
	var small, large []int64
	for b := range chain.Len() {
		st := col.Block(b)
		switch chain.Get(node.BlockID(b)).Bytes {
		case 1000:
			small = append(small, st.P50)
		case 400000:
			large = append(large, st.P50)
		default:
			t.Fatalf("block %d has %d bytes, not a listed size", b, chain.Get(node.BlockID(b)).Bytes)
		}
	}
	share := float64(len(large)) / float64(chain.Len())
	if chain.Len() < 300 || share < 0.65 || share > 0.85 {
		t.Fatalf("%d blocks, %.2f of them large; want ≥ 300 and about 0.75", chain.Len(), share)
	}
	slices.Sort(small)
	slices.Sort(large)
	if small[len(small)/2] >= large[len(large)/2] {
		t.Errorf("median per-block p50: 1 kB bodies %d µs, 400 kB bodies %d µs; want the small ones faster", small[len(small)/2], large[len(large)/2])
	}
}

// partialBlocksLostForks checks that a block that misses some of the n
// nodes lost a fork: another block has its height (a slot battle, or a
// block made before the previous one had reached its producer). The last
// block may still be in flight.
func partialBlocksLostForks(t *testing.T, r *Run, col *results.Collector, n int) {
	t.Helper()
	chain := &r.World.Chain
	height := map[int32]int{}
	for b := range chain.Len() {
		height[chain.Get(node.BlockID(b)).Height]++
	}
	for b := range col.Blocks() - 1 {
		if st := col.Block(b); st.Reached != int64(n) && height[chain.Get(node.BlockID(b)).Height] < 2 {
			t.Errorf("block %d reached %d of %d nodes without a competitor at its height", b, st.Reached, n)
		}
	}
}

// fileWriter returns an edit that writes text into the file name under
// the folder it is given (making the folders on the way).
func fileWriter(t *testing.T, name, text string) func(dir string) {
	return func(dir string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
