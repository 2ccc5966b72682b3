package flood

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGenerateShape(t *testing.T) {
	spec := GenSpec{Nodes: 2000, K: 10, Blocks: 20, Seed: 3}
	g, err := Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	// Each node picks K peers; links picked twice count once, so the
	// undirected count is a little below N·K and degree about 2K.
	if e := g.Graph.Edges(); e > spec.Nodes*spec.K || e < spec.Nodes*spec.K*95/100 {
		t.Errorf("edges = %d, want just under %d", e, spec.Nodes*spec.K)
	}
	if c := g.Components(); c != 1 {
		t.Errorf("components = %d, want 1", c)
	}
	seen := map[int32]bool{}
	for _, s := range g.Sources {
		if seen[s] {
			t.Fatalf("source %d repeated", s)
		}
		seen[s] = true
	}
	counts := map[string]int{}
	for _, r := range g.Region {
		counts[r]++
	}
	for _, reg := range genRegions {
		got := float64(counts[reg.name]) / float64(spec.Nodes)
		if d := got - reg.weight; d > 0.03 || d < -0.03 {
			t.Errorf("region %s share %.3f, want %.2f±0.03", reg.name, got, reg.weight)
		}
	}
	// Latencies follow ms = km/200·1.5 + 2, so none is below 2 ms.
	for u := 0; u < g.Nodes; u++ {
		_, lat := g.Graph.Neighbors(u)
		for _, l := range lat {
			if l < 2000 {
				t.Fatalf("latency %d µs below the 2 ms base", l)
			}
		}
	}
}

func TestGenerateDeterministicAndRoundTrips(t *testing.T) {
	spec := GenSpec{Nodes: 300, K: 8, Blocks: 5, Seed: 11}
	a, _ := Generate(spec)
	b, _ := Generate(spec)
	dirA, dirB := t.TempDir(), t.TempDir()
	if err := a.Write(dirA); err != nil {
		t.Fatal(err)
	}
	if err := b.Write(dirB); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"case.txt", "nodes.csv", "edges.csv", "blocks.csv", "latency.csv"} {
		x, err1 := os.ReadFile(filepath.Join(dirA, f))
		y, err2 := os.ReadFile(filepath.Join(dirB, f))
		if err1 != nil || err2 != nil || string(x) != string(y) {
			t.Fatalf("%s differs between two generations of one seed (%v, %v)", f, err1, err2)
		}
	}
	c, err := LoadCase(dirA)
	if err != nil {
		t.Fatalf("a written case does not load: %v", err)
	}
	if c.Graph.Edges() != a.Graph.Edges() || len(c.Sources) != 5 {
		t.Fatalf("round trip: %d edges, %d blocks", c.Graph.Edges(), len(c.Sources))
	}
	other, _ := Generate(GenSpec{Nodes: 300, K: 8, Blocks: 5, Seed: 12})
	if other.Graph.Edges() == a.Graph.Edges() && other.Sources[0] == a.Sources[0] {
		t.Error("another seed gave the same case")
	}
}

func TestGenSpecValidate(t *testing.T) {
	for _, s := range []GenSpec{{Nodes: 1, K: 1, Blocks: 1}, {Nodes: 10, K: 10, Blocks: 1}, {Nodes: 10, K: 2, Blocks: 11}} {
		if _, err := Generate(s); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}

// BenchmarkFlood10k is the speed target: N=10,000, K=20, variant A
// and B, events per second reported as a metric.
func BenchmarkFlood10k(b *testing.B) {
	g, err := Generate(GenSpec{Nodes: 10_000, K: 20, Blocks: 2, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []Variant{VariantA, VariantB} {
		b.Run(string(v), func(b *testing.B) {
			benchBlock(b, g, v, "events/s", func(events uint64) float64 { return float64(events) / b.Elapsed().Seconds() })
		})
	}
}

// BenchmarkFloodTable runs one block of each variant B case of
// docs/performance.md's flood table (the cases of make flood-bench, one
// block of their seed), the cases ns-3 is paired against.
func BenchmarkFloodTable(b *testing.B) {
	for _, c := range []struct {
		name     string
		nodes, k int
	}{{"n1000-k10-B", 1000, 10}, {"n3000-k20-B", 3000, 20}} {
		b.Run(c.name, func(b *testing.B) {
			g, err := Generate(GenSpec{Nodes: c.nodes, K: c.k, Blocks: 2, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			benchBlock(b, g, VariantB, "ns/event", func(events uint64) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(events) })
		})
	}
}

// benchBlock times block 1 of g's case in variant v, after block 0 has
// warmed the queue's storage, and reports metric(events run) as unit.
func benchBlock(b *testing.B, g *Generated, v Variant, unit string, metric func(events uint64) float64) {
	r, err := NewRunner(&g.Case, with(v))
	if err != nil {
		b.Fatal(err)
	}
	arr := make([]int64, 0, g.Nodes)
	r.Block(0, arr)
	start := r.Events()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		arr, _, _ = r.Block(1, arr)
	}
	b.ReportMetric(metric(r.Events()-start), unit)
}
