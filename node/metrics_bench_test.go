package node

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// BenchmarkMetricsLogNetwork feeds the peer metrics of a 10,000-node network
// as production-10k.yaml does: per block, every node hears the header from
// each of its 25 hot upstreams, in an order that interleaves the nodes, and
// the body from one of them. The network is warmed up until every window is
// full, so an operation is one block in the steady state; ns/report is the
// figure docs/performance.md tracks.
func BenchmarkMetricsLogNetwork(b *testing.B) {
	const nodes, ups = 10000, 25
	rng := rand.New(rand.NewPCG(1, 2))
	ms := make([]*Metrics, nodes)
	upstream := make([][]PeerID, nodes)
	for i := range ms {
		m, err := NewMetrics(DefaultMetricsConfig())
		if err != nil {
			b.Fatal(err)
		}
		ms[i] = m
		for range ups {
			upstream[i] = append(upstream[i], PeerID(rng.IntN(nodes)))
		}
	}
	log := NewMetricsLog(nodes)
	type report struct {
		node int32
		peer PeerID
		at   clock.Time
	}
	// One interleaved order, reused by every block (times relative to the
	// slot start), so the loop measures the metrics, not the generator.
	order := make([]report, 0, nodes*ups)
	for i := range nodes {
		for _, p := range upstream[i] {
			order = append(order, report{int32(i), p, clock.Time(rng.Int64N(int64(2 * time.Second)))})
		}
	}
	rng.Shuffle(len(order), func(a, c int) { order[a], order[c] = order[c], order[a] })
	slot := int64(0)
	block := func() {
		slot += 20
		start := clock.Time(slot) * clock.Time(time.Second)
		for _, r := range order {
			log.HeaderArrived(r.node, ms[r.node], slot, r.peer, start+r.at)
		}
		for i := range nodes {
			log.BodyArrived(int32(i), ms[i], slot, upstream[i][0], 65536, start+clock.Time(3*time.Second))
		}
	}
	for range 185 {
		block()
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		block()
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*nodes*(ups+1)), "ns/report")
}
