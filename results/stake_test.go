package results

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

const ms = clock.Time(1_000_000)

// oneBlock returns a collector with one block at slot 0 adopted by node i
// at adopt[i] ms (< 0: never).
func oneBlock(adopt []int) *Collector {
	c := NewCollector(len(adopt))
	c.BlockMade(0, 0, 0, 0)
	for i, a := range adopt {
		if a >= 0 {
			c.Adopted(0, i, clock.Time(a)*ms)
		}
	}
	return c
}

func TestStakeTimes(t *testing.T) {
	pcts := []int{10, 50, 60, 90, 100}
	tests := []struct {
		name   string
		adopt  []int
		stake  []float64
		wantMS []int // -1: not reached
	}{
		// Times 0,10,20,30 with stakes 1,1,1,1: 10 % → the first node;
		// 50 % → 2 of 4 (t=10); 60 % → 3 (t=20); 90 %, 100 % → all (t=30).
		{"uniform", []int{0, 10, 20, 30}, []float64{1, 1, 1, 1}, []int{0, 10, 20, 30, 30}},
		// The big holder adopts last: only 30 % before it.
		{"whale last", []int{0, 10, 20, 30}, []float64{1, 1, 1, 7}, []int{0, 30, 30, 30, 30}},
		// The whale first: 70 % at once.
		{"whale first", []int{30, 0, 10, 20}, []float64{1, 7, 1, 1}, []int{0, 0, 0, 20, 30}},
		// Zero-stake nodes (relays) do not count, however late.
		{"relays ignored", []int{0, 500, 10, 900}, []float64{1, 0, 1, 0}, []int{0, 0, 10, 10, 10}},
		// A holder that never adopts: 100 % is never reached, 60 % is.
		{"unreached", []int{0, 10, -1}, []float64{1, 1, 1}, []int{0, 10, 10, -1, -1}},
		// Equal times keep node order; the share is reached at that time.
		{"ties", []int{5, 5, 5}, []float64{2, 1, 1}, []int{5, 5, 5, 5, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := oneBlock(tc.adopt)
			out := make([]int64, len(pcts))
			ok := make([]bool, len(pcts))
			c.StakeTimes(0, tc.stake, pcts, out, ok)
			for k, w := range tc.wantMS {
				if w < 0 {
					if ok[k] {
						t.Errorf("%d %%: reached at %d µs, want never", pcts[k], out[k])
					}
					continue
				}
				if !ok[k] || out[k] != int64(w)*1000 {
					t.Errorf("%d %%: %d µs (ok %v), want %d ms", pcts[k], out[k], ok[k], w)
				}
			}
		})
	}
}

func TestStakeTableAndCSV(t *testing.T) {
	c := NewCollector(3)
	// Block 0 before the warm-up is left out.
	c.BlockMade(0, 0, 0, 0)
	c.Adopted(0, 0, 0)
	c.SetWarmup(10 * 1000 * ms)
	// Block 1: 0, 100, 200 ms; block 2: 0, 300 ms, node 2 never.
	c.BlockMade(1, 10, 0, 10*1000*ms)
	c.BlockMade(2, 20, 1, 20*1000*ms)
	for i, a := range []clock.Time{0, 100, 200} {
		c.Adopted(1, i, 10*1000*ms+a*ms)
	}
	c.Adopted(2, 1, 20*1000*ms)
	c.Adopted(2, 0, 20*1000*ms+300*ms)
	rows, err := c.StakeTable([]float64{1, 1, 2}, []int{50, 100})
	if err != nil {
		t.Fatal(err)
	}
	// 50 %: block 1 reaches 2 of 4 at node 1 (100 ms), block 2 at node 0
	// (300 ms). 100 %: block 1 at 200 ms; block 2 never.
	var b bytes.Buffer
	if err := WriteStakeCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	want := "stake_pct,blocks,reached,p50_ms,p95_ms,p99_ms,max_ms,mean_ms\n" +
		"50,2,2,100.000,300.000,300.000,300.000,200.000\n" +
		"100,2,1,200.000,200.000,200.000,200.000,200.000\n"
	if b.String() != want {
		t.Errorf("stake.csv:\n%s\nwant:\n%s", b.String(), want)
	}
	rows, _ = c.StakeTable([]float64{0, 0, 1}, []int{100})
	var e bytes.Buffer
	WriteStakeCSV(&e, rows)
	if !strings.HasSuffix(e.String(), "100,2,1,200.000,200.000,200.000,200.000,200.000\n") {
		t.Errorf("only node 2 holds stake: %q", e.String())
	}
}

func TestStakeTableErrors(t *testing.T) {
	c := oneBlock([]int{0, 1})
	for _, tc := range []struct {
		stake []float64
		pcts  []int
		want  string
	}{
		{[]float64{1}, []int{50}, "1 stakes for 2 nodes"},
		{[]float64{1, -1}, []int{50}, "stake of node 1 is -1"},
		{[]float64{1, math.NaN()}, []int{50}, "stake of node 1 is NaN"},
		{[]float64{0, 0}, []int{50}, "total stake 0"},
		{[]float64{1, 1}, []int{0}, "stake percent 0"},
		{[]float64{1, 1}, []int{101}, "stake percent 101"},
	} {
		if _, err := c.StakeTable(tc.stake, tc.pcts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want %q", tc.stake, tc.pcts, err, tc.want)
		}
	}
}

// TestStakeProperties: the stake-p time never decreases with p; with
// equal stakes on every node it is the nearest-rank percentile of the
// block's adoption times over all nodes (a node that never adopted counts
// as +∞), so when every node adopted, the block's own percentile.
func TestStakeProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 30).Draw(t, "n")
		adopt := rapid.SliceOfN(rapid.IntRange(-1, 50), n, n).Draw(t, "adopt")
		adopt[0] = 0 // the producer
		weights := rapid.SliceOfN(rapid.IntRange(0, 5), n, n).Draw(t, "stake")
		weights[0]++ // some stake
		c := oneBlock(adopt)
		pcts := make([]int, 100)
		for i := range pcts {
			pcts[i] = i + 1
		}
		out := make([]int64, 100)
		ok := make([]bool, 100)
		stake := make([]float64, n)
		for i, w := range weights {
			stake[i] = float64(w)
		}
		c.StakeTimes(0, stake, pcts, out, ok)
		for k := 1; k < 100; k++ {
			if ok[k] && (!ok[k-1] || out[k] < out[k-1]) {
				t.Fatalf("%d %%: %d (ok %v) below %d %%: %d (ok %v)", k+1, out[k], ok[k], k, out[k-1], ok[k-1])
			}
		}
		// Equal stakes.
		for i := range stake {
			stake[i] = 1
		}
		c.StakeTimes(0, stake, pcts, out, ok)
		all := make([]int64, n)
		every := true
		for i, a := range adopt {
			all[i] = math.MaxInt64
			if a >= 0 {
				all[i] = int64(a) * 1000
			} else {
				every = false
			}
		}
		slices.Sort(all)
		for k, p := range pcts {
			want := Percentile(all, int64(p))
			if want == math.MaxInt64 {
				if ok[k] {
					t.Fatalf("%d %%: reached at %d, want never", p, out[k])
				}
				continue
			}
			if !ok[k] || out[k] != want {
				t.Fatalf("%d %%: %d (ok %v), want percentile %d", p, out[k], ok[k], want)
			}
		}
		if every {
			st := c.Block(0).Stats
			if out[49] != st.P50 || out[94] != st.P95 || out[98] != st.P99 || out[99] != st.Max {
				t.Fatalf("stake times %d/%d/%d/%d, block stats %+v", out[49], out[94], out[98], out[99], st)
			}
		}
	})
}

func BenchmarkStakeTable(b *testing.B) {
	const nodes, blocks = 1000, 200
	c := NewCollector(nodes)
	stake := make([]float64, nodes)
	for i := range stake {
		stake[i] = float64(i%7 + 1)
	}
	for k := range blocks {
		start := clock.Time(k) * 20 * 1000 * ms
		c.BlockMade(k, int64(k)*20, k%nodes, start)
		for i := range nodes {
			c.Adopted(k, i, start+clock.Time((i*7919+k*104729)%900)*ms)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.StakeTable(stake, StakePercents); err != nil {
			b.Fatal(err)
		}
	}
}
