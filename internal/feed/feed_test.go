package feed

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"pgregory.net/rapid"
)

// reading is everything a node's metrics answer, for comparing two.
func reading(m *node.Metrics, peers int) string {
	s := fmt.Sprint(m.Scores(node.ChurnDeadline, nil), m.Scores(node.ChurnBulkSync, nil))
	for p := range node.PeerID(peers) {
		j, ok := m.JoinedAt(p)
		s += fmt.Sprint(m.Upstreamyness(p), m.HeaderMargin(p), m.FetchynessBlocks(p), m.FetchynessBytes(p), j, ok)
	}
	h, b := m.Len()
	return s + fmt.Sprint(h, b)
}

// TestFeedExact: a log fed through a feed (small batches, so the ring
// wraps and fills) answers every read exactly as a log fed directly, with
// restarts (new metrics attached) between reports, under GOMAXPROCS 1 and
// 2. Run it with -race: the consumer writes what the reads read.
func TestFeedExact(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprint("GOMAXPROCS=", procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			rapid.Check(t, checkFeedExact)
		})
	}
}

func checkFeedExact(t *rapid.T) {
	nodes := rapid.IntRange(1, 300).Draw(t, "nodes")
	batch := rapid.IntRange(1, 9).Draw(t, "batch")
	n := rapid.IntRange(0, 3000).Draw(t, "reports")
	cfg := node.MetricsConfig{MaxSlots: rapid.IntRange(1, 8).Draw(t, "maxSlots")}
	src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 7))
	const peers = 6

	direct, fed := node.NewMetricsLog(nodes), node.NewMetricsLog(nodes)
	dm, fm := make([]*node.Metrics, nodes), make([]*node.Metrics, nodes)
	attach := func(v int) {
		var err error
		if dm[v], err = node.NewMetrics(cfg); err != nil {
			t.Fatal(err)
		}
		fm[v], _ = node.NewMetrics(cfg)
		direct.Attach(int32(v), dm[v])
		fed.Attach(int32(v), fm[v])
	}
	for v := range nodes {
		attach(v)
	}
	f := newSized(batch)
	f.Start(fed.Apply)
	defer f.Stop()
	fed.SetGate(f.Wait) // as the world does

	reads := 0
	for i := range n {
		v := src.IntN(nodes)
		r := node.Report{Node: int32(v), Slot: int64(i/50 + src.IntN(4)), Peer: node.PeerID(src.IntN(peers)), At: clock.Time(src.IntN(100)), Bytes: -1}
		if src.IntN(4) == 0 {
			r.Bytes = int32(src.IntN(1 << 16))
		}
		direct.Report(r)
		f.Add(r)
		switch src.IntN(40) {
		case 0:
			attach(v) // a restart: the old metrics' reports go to them first
		case 1, 2:
			reads++
			if a, b := reading(fm[v], peers), reading(dm[v], peers); a != b {
				t.Fatalf("after %d reports node %d reads\n%s fed,\n%s direct", i+1, v, a, b)
			}
		}
	}
	for v := range nodes {
		if a, b := reading(fm[v], peers), reading(dm[v], peers); a != b {
			t.Fatalf("at the end node %d reads\n%s fed,\n%s direct", v, a, b)
		}
	}
	if n > 100 && reads == 0 {
		t.Fatal("no read during the reports")
	}
}

// TestFeedOrder: batches are applied whole, in the order added, one at a
// time, and Wait returns only when every report added is applied.
func TestFeedOrder(t *testing.T) {
	f := newSized(3)
	var got []int64
	busy := false
	f.Start(func(rs []node.Report) {
		if busy {
			t.Error("apply re-entered")
		}
		busy = true
		for _, r := range rs {
			got = append(got, r.Slot)
		}
		busy = false
	})
	var want []int64
	for i := range int64(1000) {
		f.Add(node.Report{Slot: i})
		want = append(want, i)
		if i%97 == 0 || i%251 == 0 {
			f.Wait()
			if !slices.Equal(got, want) {
				t.Fatalf("after Wait at %d: applied %d reports, want %d in order", i, len(got), len(want))
			}
		}
	}
	f.Stop()
	f.Stop() // again: nothing
	if !slices.Equal(got, want) {
		t.Fatalf("applied %d reports, want %d in order", len(got), len(want))
	}
}

// TestFeedMisuse: starting a feed twice, or adding reports to one not
// started or stopped, is a programmer error.
func TestFeedMisuse(t *testing.T) {
	f, idle := newSized(4), newSized(1)
	f.Start(func([]node.Report) {})
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"start twice", func() { f.Start(func([]node.Report) {}) }},
		{"add before a start", func() { idle.Add(node.Report{}) }},
		{"add after a stop", func() {
			f.Stop()
			for range 4 {
				f.Add(node.Report{})
			}
		}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.fn()
		}()
	}
}

// BenchmarkFeedAdd is the producer's cost per report: the append and,
// per batch, the hand-over, with the consumer applying nothing.
func BenchmarkFeedAdd(b *testing.B) {
	f := New()
	f.Start(func([]node.Report) {})
	defer f.Stop()
	b.ReportAllocs()
	for b.Loop() {
		f.Add(node.Report{Slot: 1})
	}
}
