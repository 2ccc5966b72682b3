package netmodel

import (
	"bufio"
	"container/heap"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/sharedtest"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

func TestSerialisationDelay(t *testing.T) {
	tests := []struct {
		name       string
		bytes, bps int64
		want       time.Duration
	}{
		{"flood S: 1 MB at 100 Mbit/s", 1_000_000, 100_000_000, 80 * time.Millisecond},
		{"zero bytes", 0, 100_000_000, 0},
		{"infinite bandwidth", 1_000_000, 0, 0},
		{"exact 1 ns", 1, 8_000_000_000, 1},
		{"half ns rounds up", 1, 16_000_000_000, 1},
		{"thirds round up", 1, 3, 2_666_666_667},
		{"64 KiB at 1 Gbit/s", 65536, 1_000_000_000, 524_288 * time.Nanosecond},
		{"saturates", math.MaxInt64, 1, math.MaxInt64},
		{"large but exact", 1 << 40, 8_000_000_000, 1 << 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SerialisationDelay(tt.bytes, tt.bps); got != tt.want {
				t.Fatalf("SerialisationDelay(%d, %d) = %d, want %d", tt.bytes, tt.bps, got, tt.want)
			}
		})
	}
}

// FuzzSerialisationDelay checks the 128-bit arithmetic against math/big.
func FuzzSerialisationDelay(f *testing.F) {
	f.Add(int64(1_000_000), int64(100_000_000))
	f.Add(int64(math.MaxInt64), int64(1))
	f.Add(int64(1), int64(3))
	f.Add(int64(0), int64(0))
	f.Fuzz(func(t *testing.T, bytes, bps int64) {
		if bytes < 0 || bps < 0 {
			t.Skip("negative arguments panic by contract")
		}
		got := SerialisationDelay(bytes, bps)
		want := int64(0)
		if bps > 0 {
			num := new(big.Int).Mul(big.NewInt(bytes), big.NewInt(8e9))
			num.Add(num, big.NewInt(bps-1))
			q := num.Quo(num, big.NewInt(bps))
			want = math.MaxInt64
			if q.IsInt64() {
				want = q.Int64()
			}
		}
		if int64(got) != want {
			t.Fatalf("SerialisationDelay(%d, %d) = %d, want %d", bytes, bps, got, want)
		}
	})
}

func TestSerialisationDelayPanicsOnNegative(t *testing.T) {
	for _, args := range [][2]int64{{-1, 1}, {1, -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SerialisationDelay(%d, %d) did not panic", args[0], args[1])
				}
			}()
			SerialisationDelay(args[0], args[1])
		}()
	}
}

func TestCheckBitsPerSecond(t *testing.T) {
	for _, tt := range []struct {
		bps int64
		ok  bool
	}{{0, true}, {1, true}, {100_000_000, true}, {-1, false}} {
		err := CheckBitsPerSecond("uplink_bps", tt.bps)
		if (err == nil) != tt.ok {
			t.Errorf("CheckBitsPerSecond(%d) = %v, want ok=%v", tt.bps, err, tt.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "uplink_bps") || !strings.Contains(err.Error(), strconv.FormatInt(tt.bps, 10))) {
			t.Errorf("error %q does not name the field and value", err)
		}
	}
}

func TestUplinkSameInstant(t *testing.T) {
	const r = clock.Time(3 * time.Second)
	s := SerialisationDelay(1_000_000, 100_000_000)
	u := NewUplink(100_000_000)
	for k := 1; k <= 50; k++ {
		if got, want := u.Send(r, 1_000_000), r.Add(time.Duration(k)*s); got != want {
			t.Fatalf("copy %d done at %v, want %v", k, got, want)
		}
	}
	if u.BusyUntil() != r.Add(50*s) || u.Backlog(r) != 50*s {
		t.Fatalf("BusyUntil = %v, Backlog = %v", u.BusyUntil(), u.Backlog(r))
	}
	u.Reset()
	if u.BusyUntil() != 0 || u.BitsPerSecond() != 100_000_000 {
		t.Fatalf("after Reset: busy %v, rate %d", u.BusyUntil(), u.BitsPerSecond())
	}
}

func TestUplinkIdleGapAndInfinite(t *testing.T) {
	u := NewUplink(8_000_000_000) // 1 byte per ns
	if got := u.Send(100, 10); got != 110 {
		t.Fatalf("first send done %d, want 110", got)
	}
	if got := u.Send(105, 10); got != 120 {
		t.Fatalf("queued send done %d, want 120 (waits for the first)", got)
	}
	if got := u.Send(500, 10); got != 510 {
		t.Fatalf("send after idle gap done %d, want 510", got)
	}
	if u.Backlog(600) != 0 {
		t.Fatalf("Backlog after the link drained = %v", u.Backlog(600))
	}
	var inf Uplink // zero value: infinite bandwidth
	for i := 0; i < 3; i++ {
		if got := inf.Send(42, 1<<30); got != 42 {
			t.Fatalf("infinite uplink done at %d, want 42", got)
		}
	}
}

func TestUplinkSaturates(t *testing.T) {
	u := NewUplink(1)
	if got := u.Send(clock.Never-10, 1<<20); got != clock.Never {
		t.Fatalf("Send near Never = %d, want Never", got)
	}
	if got := u.Send(0, 1); got != clock.Never {
		t.Fatalf("Send behind a saturated link = %d, want Never", got)
	}
}

// TestUplinkFIFOProperty: whatever the arrival pattern, each copy starts at
// max(hand-over, previous done), so done times never decrease and each copy
// takes exactly its serialisation delay once it starts.
func TestUplinkFIFOProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bps := rapid.Int64Range(0, 10_000_000_000).Draw(t, "bps")
		u := NewUplink(bps)
		now, prev := clock.Time(0), clock.Time(0)
		for i, steps := 0, rapid.IntRange(1, 40).Draw(t, "steps"); i < steps; i++ {
			now = now.Add(time.Duration(rapid.Int64Range(0, 1e8).Draw(t, "gap")))
			bytes := rapid.Int64Range(0, 2_000_000).Draw(t, "bytes")
			done := u.Send(now, bytes)
			start := clock.Max(now, prev)
			if done != start.Add(SerialisationDelay(bytes, bps)) || done < prev {
				t.Fatalf("copy %d handed over at %v: done %v, previous done %v", i, now, done, prev)
			}
			prev = done
		}
	})
}

func TestNewUplinkPanicsOnNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewUplink(-1) did not panic")
		}
	}()
	NewUplink(-1)
}

// TestUplinkFloodBenchmark reproduces the flood benchmark's example-n200
// exactly (MODEL.md §3–4): variant A with an infinite uplink, variant B
// with 1 MB blocks on a 100 Mbit/s uplink (S = 80 ms).
func TestUplinkFloodBenchmark(t *testing.T) {
	dir := uplinkFloodDir(t)
	adj, lat := uplinkReadEdges(t, filepath.Join(dir, "edges.csv"))
	sources := uplinkReadCSV(t, filepath.Join(dir, "blocks.csv"))
	for _, v := range []struct {
		name string
		bps  int64
		file string
	}{{"A", 0, "expected_A.csv"}, {"B", 100_000_000, "expected_B.csv"}} {
		t.Run(v.name, func(t *testing.T) {
			want := uplinkReadCSV(t, filepath.Join(dir, v.file))
			got := 0
			for _, row := range sources {
				block, src := row[0], int(row[1])
				arr := uplinkFlood(adj, lat, src, v.bps)
				for _, w := range want {
					if w[0] != block {
						continue
					}
					got++
					if a := arr[w[1]]; a != w[2] {
						t.Fatalf("block %d node %d: arrival %d µs, want %d", block, w[1], a, w[2])
					}
				}
			}
			if got != len(want) || got == 0 {
				t.Fatalf("compared %d arrivals, expected file has %d", got, len(want))
			}
		})
	}
}

// uplinkFlood runs one block of the flood model with the §4 events,
// handing every copy to the sender's Uplink; it returns arrivals in µs.
func uplinkFlood(adj [][]int, lat map[[2]int]time.Duration, src int, bps int64) []int64 {
	const p = 10 * time.Millisecond // MODEL.md §1, P
	n := len(adj)
	arrival := make([]clock.Time, n)
	parent := make([]int, n)
	for i := range arrival {
		arrival[i], parent[i] = -1, -1
	}
	up := make([]Uplink, n)
	for i := range up {
		up[i] = NewUplink(bps)
	}
	var q uplinkEvents
	seq := 0
	push := func(e uplinkEvent) {
		seq++
		e.seq = seq
		heap.Push(&q, e)
	}
	arrival[src] = 0
	push(uplinkEvent{t: 0, forward: true, node: src})
	for q.Len() > 0 {
		e := heap.Pop(&q).(uplinkEvent)
		if e.forward {
			for _, w := range adj[e.node] {
				if w == parent[e.node] {
					continue
				}
				done := up[e.node].Send(e.t, 1_000_000)
				push(uplinkEvent{t: done.Add(lat[[2]int{e.node, w}]), node: w, from: e.node})
			}
			continue
		}
		switch v := e.node; {
		case arrival[v] < 0:
			arrival[v], parent[v] = e.t, e.from
			push(uplinkEvent{t: e.t.Add(p), forward: true, node: v})
		case arrival[v] == e.t && e.from < parent[v]:
			parent[v] = e.from
		}
	}
	out := make([]int64, n)
	for i, a := range arrival {
		out[i] = -1
		if a >= 0 {
			out[i] = a.Micros()
		}
	}
	return out
}

type uplinkEvent struct {
	t          clock.Time
	seq        int
	forward    bool
	node, from int
}

type uplinkEvents []uplinkEvent

func (q uplinkEvents) Len() int { return len(q) }
func (q uplinkEvents) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q uplinkEvents) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *uplinkEvents) Push(x any)   { *q = append(*q, x.(uplinkEvent)) }
func (q *uplinkEvents) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func uplinkFloodDir(t *testing.T) string {
	return sharedtest.Path(t, "benchmarks", "flood", "example-n200")
}

// uplinkReadEdges reads edges.csv; latency_ms has exactly 3 decimals, so
// the µs value is the digits without the dot (MODEL.md §2).
func uplinkReadEdges(t *testing.T, path string) ([][]int, map[[2]int]time.Duration) {
	t.Helper()
	lat := map[[2]int]time.Duration{}
	var adj [][]int
	for i, line := range uplinkLines(t, path)[1:] {
		f := strings.Split(line, ",")
		if len(f) != 3 {
			t.Fatalf("%s:%d: want 3 fields in %q", path, i+2, line)
		}
		a, err1 := strconv.Atoi(f[0])
		b, err2 := strconv.Atoi(f[1])
		us, err3 := strconv.ParseInt(strings.Replace(f[2], ".", "", 1), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s:%d: bad row %q", path, i+2, line)
		}
		for len(adj) <= max(a, b) {
			adj = append(adj, nil)
		}
		adj[a], adj[b] = append(adj[a], b), append(adj[b], a)
		lat[[2]int{a, b}] = time.Duration(us) * time.Microsecond
		lat[[2]int{b, a}] = time.Duration(us) * time.Microsecond
	}
	for _, l := range adj {
		slices.Sort(l)
	}
	return adj, lat
}

// uplinkReadCSV reads an all-integer CSV with a header.
func uplinkReadCSV(t *testing.T, path string) [][]int64 {
	t.Helper()
	var rows [][]int64
	for i, line := range uplinkLines(t, path)[1:] {
		var row []int64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, i+2, err)
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows
}

func uplinkLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			lines = append(lines, s)
		}
	}
	if err := sc.Err(); err != nil || len(lines) < 2 {
		t.Fatalf("%s: %d lines, err %v", path, len(lines), err)
	}
	return lines
}

func BenchmarkUplinkSend(b *testing.B) {
	u := NewUplink(100_000_000)
	now := clock.Time(0)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		if u.Send(now, 65536) < now {
			b.Fatal("done before hand-over")
		}
	}
}

// ExampleUplink shows the serial uplink of the flood benchmark: three
// copies of a 1 MB block handed over at once leave 80 ms apart.
func ExampleUplink() {
	u := NewUplink(100_000_000) // 100 Mbit/s
	for range 3 {
		fmt.Println(u.Send(0, 1_000_000))
	}
	// Output:
	// 0.080000000s
	// 0.160000000s
	// 0.240000000s
}
