package run

import (
	"runtime"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// liveState builds scenario s (production.yaml with the given hot and
// established targets), runs it for d of simulated time and returns the
// live heap it holds then (after a collection, less the heap before the
// build), its nodes and its live connections.
func liveState(t testing.TB, active, established int, d time.Duration) (heap float64, nodes, conns int) {
	t.Helper()
	s := shipped(t, "production.yaml")
	s.P2P.Targets.Active, s.P2P.Targets.Established = active, established
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	j, err := Prepare(s, Options{Seed: 1, Parts: []Part{Summary}})
	if err != nil {
		t.Fatal(err)
	}
	w := j.built.World
	if err := w.RunUntil(clock.Time(d)); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap = float64(after.HeapAlloc) - float64(before.HeapAlloc)
	nodes, conns = len(w.Nodes), w.Bearer().NumConns()
	runtime.KeepAlive(j)
	return heap, nodes, conns
}

// stateBytes measures the simulation's state per connection and per node
// on production.yaml's 1,000 relays after 20 simulated minutes: two runs
// that differ only in their targets (hot and established 20/30, then
// 10/15) give the bytes a connection costs (the heap's difference over
// the connections' difference: both ends' peer tables and metrics, the
// bearer's record, the TCP flows, the relay's peer lists), and the rest,
// over the nodes, what a node costs besides its connections (its relay,
// governor, churn and mirrors, the engine's share, the chain and the
// collector's records of the blocks so far).
func stateBytes(t testing.TB) (perNode, perConn float64, conns int) {
	const d = 20 * time.Minute
	hi, n, cHi := liveState(t, 20, 30, d)
	lo, _, cLo := liveState(t, 10, 15, d)
	if cHi <= cLo {
		t.Fatalf("connections %d (targets 20/30) not above %d (10/15)", cHi, cLo)
	}
	perConn = (hi - lo) / float64(cHi-cLo)
	perNode = (hi - perConn*float64(cHi)) / float64(n)
	return perNode, perConn, cHi
}

// TestStateBytes pins the state's size (docs/performance.md, "State per
// node and per connection"): a change that makes a node or a connection
// cost a third more than measured fails here.
func TestStateBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("two 1,000-node runs")
	}
	perNode, perConn, conns := stateBytes(t)
	t.Logf("%.0f bytes per node besides its connections, %.0f per connection (%d connections)", perNode, perConn, conns)
	const maxNode, maxConn = 4 / 3.0 * measuredPerNode, 4 / 3.0 * measuredPerConn
	if perNode > maxNode || perConn > maxConn || perNode <= 0 || perConn <= 0 {
		t.Fatalf("%.0f B per node (at most %.0f), %.0f B per connection (at most %.0f)", perNode, maxNode, perConn, maxConn)
	}
}

// The figures TestStateBytes holds the state to (measured with
// BenchmarkStateBytes; docs/performance.md).
const (
	measuredPerNode = 43_890
	measuredPerConn = 308
)

// BenchmarkStateBytes reports the state per node and per connection
// (stateBytes) as metrics: go test ./internal/run -run '^$' -bench StateBytes.
func BenchmarkStateBytes(b *testing.B) {
	b.ReportAllocs()
	var perNode, perConn float64
	for b.Loop() {
		perNode, perConn, _ = stateBytes(b)
	}
	b.ReportMetric(perNode, "B/node")
	b.ReportMetric(perConn, "B/conn")
}
