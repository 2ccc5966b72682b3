package netmodel

import (
	"strings"
	"testing"
	"time"
)

func TestParseEdgeList(t *testing.T) {
	in := "a,b,latency_ms\n2,0,10.5\n0,1,0.001\n\n1,2,64.025\n"
	el, err := ParseEdgeList(strings.NewReader(in), "e.csv", 0)
	if err != nil {
		t.Fatal(err)
	}
	if el.N() != 3 || el.Edges() != 3 || !el.HasLatency() {
		t.Fatalf("N=%d edges=%d latency=%v", el.N(), el.Edges(), el.HasLatency())
	}
	ids, lat := el.Neighbors(0)
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 || lat[0] != 1 || lat[1] != 10500 {
		t.Fatalf("row 0 = %v %v, want [1 2] [1 10500]", ids, lat)
	}
	if d, ok := el.OneWay(2, 1); !ok || d != 64025*time.Microsecond {
		t.Fatalf("OneWay(2,1) = %v %v", d, ok)
	}
	if d, ok := el.OneWay(1, 1); !ok || d != 0 {
		t.Fatalf("OneWay(1,1) = %v %v", d, ok)
	}
	el4, err := ParseEdgeList(strings.NewReader("a,b\n0,1\n"), "t.csv", 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := el4.OneWay(0, 3); ok || el4.N() != 4 || el4.HasLatency() {
		t.Fatal("unlinked pair or topology-only list reported a path")
	}
	if _, ok := el4.OneWay(0, 1); ok {
		t.Fatal("a list without latencies reported a latency")
	}
}

func TestParseEdgeListErrors(t *testing.T) {
	cases := []struct {
		name, in string
		nodes    int
		want     []string
	}{
		{"empty", "", 0, []string{"e.csv:1", "empty file"}},
		{"missing column", "a,latency_ms\n0,1\n", 0, []string{"e.csv:1", "header", "`a,b,latency_ms`"}},
		{"short row", "a,b,latency_ms\n0,1\n", 0, []string{"e.csv:2", "row", `"0,1"`, "3 comma-separated"}},
		{"non-numeric latency", "a,b,latency_ms\n0,1,1.0\n1,2,fast\n", 0, []string{"e.csv:3", "latency_ms", `"fast"`, "milliseconds"}},
		{"negative latency", "a,b,latency_ms\n0,1,-3\n", 0, []string{"e.csv:2", "latency_ms", `"-3"`}},
		{"NaN latency", "a,b,latency_ms\n0,1,NaN\n", 0, []string{"e.csv:2", "latency_ms", `"NaN"`}},
		{"id out of range", "a,b,latency_ms\n0,7,1\n", 5, []string{"e.csv:2", "field b", `"7"`, "0 to 4"}},
		{"negative id", "a,b\n-1,2\n", 0, []string{"e.csv:2", "field a", `"-1"`}},
		{"self-loop", "a,b,latency_ms\n0,1,1\n3,3,1\n", 0, []string{"e.csv:3", "self-loop"}},
		{"duplicate", "a,b,latency_ms\n0,1,1\n\n1,2,1\n1,0,2\n", 0, []string{"e.csv:5", "duplicate", "once"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseEdgeList(strings.NewReader(c.in), "e.csv", c.nodes)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func FuzzParseEdgeList(f *testing.F) {
	f.Add("a,b,latency_ms\n0,1,64.025\n1,2,1\n", 0)
	f.Add("a,b\n0,1\n", 3)
	f.Add("a,b,latency_ms\n0,0,1\n", 0)
	f.Add("a,b,latency_ms\n0,1,1e308\n", 2)
	f.Fuzz(func(t *testing.T, in string, nodes int) {
		if nodes > 1000 {
			nodes = 1000
		}
		el, err := ParseEdgeList(strings.NewReader(in), "fuzz.csv", nodes)
		if err != nil {
			return
		}
		// An accepted list is a consistent undirected graph.
		for u := 0; u < el.N(); u++ {
			ids, _ := el.Neighbors(u)
			for i, v := range ids {
				if i > 0 && ids[i-1] >= v {
					t.Fatalf("row %d not strictly ascending: %v", u, ids)
				}
				da, oka := el.OneWay(u, int(v))
				db, okb := el.OneWay(int(v), u)
				if da != db || oka != okb {
					t.Fatalf("asymmetric link %d-%d", u, v)
				}
			}
		}
	})
}

func BenchmarkEdgeListOneWay(b *testing.B) {
	links := make([]Edge, 0, 20000)
	for i := 0; i < 1000; i++ {
		for k := 1; k <= 20; k++ {
			if j := (i + k*37) % 1000; i < j {
				links = append(links, Edge{A: int32(i), B: int32(j), LatUs: int32(1000 + k)})
			}
		}
	}
	el, err := NewEdgeList(1000, links)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l := links[i%len(links)]
		el.OneWay(int(l.A), int(l.B))
		i++
	}
}
