package scenarios

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/netmodel"
)

// TestPoolsProducersBehindRelays runs twelve pools of testdata/pools: each
// producer keeps exactly its two relays as peers, nobody else ever
// connects to it, every block reaches every node unless it lost a fork, a pool's nodes share
// its data centre (pools 1 and 2 also share theirs: one provider region)
// and sit in its country.
func TestPoolsProducersBehindRelays(t *testing.T) {
	s := loadCluster(t, filepath.Join("testdata", "pools", "pools.yaml"))
	r, col := runScenario(t, s)
	g := r.Latency.(*netmodel.Geo)
	countries := []string{"JP", "DE", "DE", "", "US", "US", "FR", "GB", "SG", "AU", "CA", "NL"}
	for i := range 12 {
		relays := []int32{int32(12 + 2*i), int32(13 + 2*i)}
		if got := r.World.Nodes[i].Peers(); !slices.Equal(got, relays) {
			t.Errorf("producer %d relays to %v, want its relays %v", i, got, relays)
		}
		for _, n := range []int{i, int(relays[0]), int(relays[1])} {
			if g.Site(n) != g.Site(i) || g.Site(n) == 0 {
				t.Errorf("pool %d: node %d at site %d, producer at %d", i, n, g.Site(n), g.Site(i))
			}
			if c := countries[i]; c != "" && g.Place(n).Country != c {
				t.Errorf("pool %d: node %d in %v, want %s", i, n, g.Place(n), c)
			}
		}
		if n := r.World.Bearer().Inbound(i) + r.World.Bearer().Outbound(i); n > 4 {
			t.Errorf("producer %d has %d connections, want only its relays'", i, n)
		}
	}
	if g.Site(1) != g.Site(2) || g.Site(0) == g.Site(1) {
		t.Errorf("sites %d %d %d: want pools 1 and 2 in one data centre, pool 0 apart", g.Site(0), g.Site(1), g.Site(2))
	}
	if col.Blocks() < 60 {
		t.Fatalf("%d blocks", col.Blocks())
	}
	partialBlocksLostForks(t, r, col, 36)
}

// TestPoolsValidation: the section's mistakes, each reported with its
// field.
func TestPoolsValidation(t *testing.T) {
	const head = "version: 1\nname: t\nnodes:\n  classes:\n    - {name: bp, count: 3, producer: true}\n    - {name: relay, count: 6}\n  pools:\n"
	for _, tc := range []struct{ pools, field, msg string }{
		{"    {producers: bp, relays: relay, relays_per_pool: 3}\n", "nodes.pools.relays_per_pool", "means 9 relays"},
		{"    {producers: bpx, relays: relay, relays_per_pool: 2}\n", "nodes.pools.producers", "the name of a class"},
		{"    {producers: relay, relays: bp, relays_per_pool: 2}\n", "nodes.pools.producers", "producer: true"},
		{"    {producers: bp, relays: relay, relays_per_pool: 0}\n", "nodes.pools.relays_per_pool", "1 … 16"},
	} {
		ps := parseProblems(t, head+tc.pools+"topology: {model: p2p}\n")
		found := false
		for _, p := range ps {
			found = found || p.Field == tc.field && strings.Contains(p.Msg, tc.msg)
		}
		if !found {
			t.Errorf("%q: problems %v, want %s: …%s…", tc.pools, ps, tc.field, tc.msg)
		}
	}
	ps := parseProblems(t, head+"    {producers: bp, relays: relay, relays_per_pool: 2}\n")
	if !strings.Contains(ps.Error(), "applies only with topology.model p2p") {
		t.Errorf("static topology: %v", ps)
	}
}

// FuzzPoolsFile: parsePools never panics, names the file and what is
// accepted in every error, and returns one entry per key, in N order.
func FuzzPoolsFile(f *testing.F) {
	f.Add([]byte(`{"node-1": {"cc": "DE", "region": "hetzner:falkenstein"}, "node-0": {"cc": null, "region": "cc:??"}}`))
	f.Add([]byte(`{"node-01": {}}`))
	f.Add([]byte(`{"pool": {"cc": "DE"}}`))
	f.Add([]byte(`[1, 2]`))
	f.Add([]byte(`{"node-0": {"cc": 5}}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parsePools(data, "meta.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "meta.json") || !strings.Contains(err.Error(), "accepted") {
				t.Fatalf("error %q does not name the file and what is accepted", err)
			}
			return
		}
		if n := strings.Count(string(data), "node-"); len(got) > n {
			t.Fatalf("%d entries from %d keys", len(got), n)
		}
	})
}

// TestPipeliningNoStuckNodes: with pipelining a node announces a block
// before it has it; when it then loses that block's fork it answers the
// requests it kept with MsgNoBlocks, so requesters fetch the block
// elsewhere should the chain build on it after all. Without that answer a
// requester waited for ever and held every later block: in this run a
// node ended with 352 blocks in its work list. Every block that misses a
// node must have lost a fork.
func TestPipeliningNoStuckNodes(t *testing.T) {
	src := "version: 1\nname: t\nduration: 2h\nnodes:\n  count: 1000\n  stake: {distribution: uniform}\ntopology:\n  model: p2p\n" +
		"p2p:\n  targets: {root: 100, known: 100, established: 10, active: 10, known_big_ledger: 0, established_big_ledger: 0, active_big_ledger: 0}\n" +
		"  peer_sharing: false\n  churn: false\n  policy: {name: close-random, close: 6, random: 4}\n"
	s, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, col := runScenario(t, s)
	partialBlocksLostForks(t, r, col, 1000)
	longest := 0
	for _, n := range r.World.Nodes {
		longest = max(longest, n.WorkLen())
	}
	if longest > 8 {
		t.Errorf("a node holds %d blocks in work at the end: stuck behind a missing body", longest)
	}
}
