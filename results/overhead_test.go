package results

import (
	"strings"
	"testing"
	"time"
)

// counted returns a collector of n nodes holding the given counters.
func counted(n int, kv ...any) *Collector {
	c := NewCollector(n)
	for i := 0; i < len(kv); i += 2 {
		c.count(kv[i].(string), int64(kv[i+1].(int)))
	}
	return c
}

func TestOverhead(t *testing.T) {
	gov := []CompareRun{
		{Policy: "cardano", Seed: 1, Run: counted(10, "headers_sent", 400, "bodies_sent", 100, "gov_promotions_cold_warm", 30, "gov_connect_failures", 10, "gov_share_requests", 5)},
		{Policy: "cardano", Seed: 2, Run: counted(10, "headers_sent", 800, "bodies_sent", 300, "gov_promotions_cold_warm", 50, "gov_connect_failures", 30, "gov_share_requests", 15)},
	}
	// Two hours, ten nodes: per node-hour = count / 20, then the mean of the seeds.
	o, ok := overhead(gov, 2*time.Hour)
	want := Overhead{Seeds: 2, Headers: (20 + 40) / 2.0, Bodies: (5 + 15) / 2.0, Connections: (2 + 4) / 2.0, Discovery: (0.5 + 1.5) / 2.0}
	if !ok || o != want {
		t.Errorf("governor overhead = %+v, %v; want %+v", o, ok, want)
	}
	overlay := []CompareRun{{Policy: "poldercast", Seed: 1, Run: counted(4, "headers_sent", 40, "connections_opened", 8, "gossip_messages", 400, "gov_share_requests", 99)}}
	o, ok = overhead(overlay, time.Hour)
	want = Overhead{Seeds: 1, Headers: 10, Connections: 2, Discovery: 100}
	if !ok || o != want {
		t.Errorf("overlay overhead = %+v, %v; want %+v (its own counters, not the governor's)", o, ok, want)
	}
	if _, ok := overhead(overlay, 0); ok {
		t.Error("overhead without a duration reported")
	}
}

func TestCompareOverheadOutputs(t *testing.T) {
	run := func(policy string, bound bool, kv ...any) CompareRun {
		c := counted(2, kv...)
		c.BlockMade(0, 0, 0, 0)
		c.Adopted(0, 0, 1000)
		c.Adopted(0, 1, 2000)
		return CompareRun{Policy: policy, Seed: 1, Run: c, Bound: bound}
	}
	cmp, err := Compare([]CompareRun{run("p", false, "headers_sent", 4), run("bound", true)}, CompareOptions{Window: time.Hour, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var csv, md strings.Builder
	if err := writeCompareOverhead(&csv, cmp); err != nil {
		t.Fatal(err)
	}
	if want := overheadHeader + "\np,1,2,0,0,0\n"; csv.String() != want {
		t.Errorf("compare-overhead.csv = %q, want %q (no row for the bound)", csv.String(), want)
	}
	if err := writeCompareMD(&md, cmp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| p | 2.0 | 0.0 | 0.0 | 0.0 |") || strings.Contains(md.String(), "| bound |") {
		t.Errorf("compare.md overhead table wrong:\n%s", md.String())
	}
}
