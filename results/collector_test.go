package results

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/sharedtest"

	"github.com/dpsim/dpsim/clock"
)

func secs(s int64) clock.Time { return clock.FromSeconds(s) }
func usT(us int64) clock.Time { return clock.Time(us * 1000) }

func TestAdopted(t *testing.T) {
	c := NewCollector(4)
	c.BlockMade(0, 5, 1, secs(5))
	c.Adopted(0, 1, secs(5)+1999)                      // 1.999 µs truncates to 1
	c.Adopted(0, 2, secs(5).Add(700*time.Millisecond)) // first call wins
	c.Adopted(0, 2, secs(5).Add(100*time.Millisecond)) // ignored
	c.Adopted(0, 3, secs(5).Add(3000*time.Second))     // saturates
	tests := []struct {
		node   int
		wantUS int64
		wantOK bool
	}{
		{0, -1, false},
		{1, 1, true},
		{2, 700_000, true},
		{3, 2_147_483_647, true},
	}
	for _, tt := range tests {
		us, ok := c.AdoptionUS(0, tt.node)
		if us != tt.wantUS || ok != tt.wantOK {
			t.Errorf("node %d: AdoptionUS = %d, %v; want %d, %v", tt.node, us, ok, tt.wantUS, tt.wantOK)
		}
	}
	if c.Adoptions() != 3 || c.Saturated() != 1 {
		t.Errorf("Adoptions = %d, Saturated = %d; want 3, 1", c.Adoptions(), c.Saturated())
	}
	b := c.Block(0)
	want := BlockStats{Block: 0, Slot: 5, Producer: 1, SlotStart: secs(5),
		Stats: Stats{Reached: 3, P50: 700_000, P90: 2_147_483_647, P95: 2_147_483_647, P99: 2_147_483_647, Max: 2_147_483_647}}
	if b != want {
		t.Errorf("Block(0) = %+v, want %+v", b, want)
	}
}

func TestHeaderArrived(t *testing.T) {
	c := NewCollector(6)
	c.BlockMade(0, 5, 1, secs(5))
	c.Adopted(0, 1, secs(5)+usT(300))                        // the producer adopts, no header
	c.HeaderArrived(0, 1, secs(5)+usT(400))                  // ignored: the producer
	c.HeaderArrived(0, 0, secs(5)+1999)                      // 1.999 µs truncates to 1
	c.HeaderArrived(0, 2, secs(5).Add(200*time.Millisecond)) // first call wins
	c.HeaderArrived(0, 2, secs(5).Add(250*time.Millisecond)) // ignored: later
	c.HeaderArrived(0, 2, secs(5).Add(200*time.Millisecond)) // ignored: the same
	c.Adopted(0, 2, secs(5).Add(700*time.Millisecond))
	c.HeaderArrived(0, 3, secs(5).Add(3000*time.Second)) // saturates…
	c.HeaderArrived(0, 3, secs(5).Add(2*time.Second))    // …until an earlier report: the minimum is kept
	c.HeaderArrived(0, 4, secs(5).Add(3000*time.Second)) // saturates
	c.Adopted(0, 5, secs(5).Add(900*time.Millisecond))   // adopted without a header
	tests := []struct {
		node         int
		wantHeaderUS int64
		wantHeader   bool
		wantAdopted  bool
	}{
		{0, 1, true, false}, // a header, never adopted
		{1, -1, false, true},
		{2, 200_000, true, true},
		{3, 2_000_000, true, false},
		{4, 2_147_483_647, true, false},
		{5, -1, false, true},
	}
	for _, tt := range tests {
		us, ok := c.HeaderUS(0, tt.node)
		if us != tt.wantHeaderUS || ok != tt.wantHeader {
			t.Errorf("node %d: HeaderUS = %d, %v; want %d, %v", tt.node, us, ok, tt.wantHeaderUS, tt.wantHeader)
		}
		if _, ok := c.AdoptionUS(0, tt.node); ok != tt.wantAdopted {
			t.Errorf("node %d: adopted = %v, want %v", tt.node, ok, tt.wantAdopted)
		}
	}
	if c.HeaderArrivals() != 4 || c.HeaderSaturated() != 1 || c.Adoptions() != 3 || c.Saturated() != 0 {
		t.Errorf("HeaderArrivals = %d, HeaderSaturated = %d, Adoptions = %d, Saturated = %d; want 4, 1, 3, 0",
			c.HeaderArrivals(), c.HeaderSaturated(), c.Adoptions(), c.Saturated())
	}
	b := c.Block(0)
	wantHeader := Stats{Reached: 4, P50: 200_000, P90: 2_147_483_647, P95: 2_147_483_647, P99: 2_147_483_647, Max: 2_147_483_647}
	wantAdoption := Stats{Reached: 3, P50: 700_000, P90: 900_000, P95: 900_000, P99: 900_000, Max: 900_000}
	if b.Header != wantHeader || b.Stats != wantAdoption {
		t.Errorf("Block(0) = %+v; want header %+v, adoption %+v", b, wantHeader, wantAdoption)
	}
	if got := c.HeaderPooled(); got != wantHeader {
		t.Errorf("HeaderPooled = %+v, want %+v", got, wantHeader)
	}
}

// TestHeaderWarmup checks that SetWarmup leaves the same blocks out of the
// header figures as out of the adoption figures.
func TestHeaderWarmup(t *testing.T) {
	c := NewCollector(3)
	c.BlockMade(0, 1, 0, secs(1)) // before the warm-up's end
	c.Adopted(0, 1, secs(1)+usT(100))
	c.HeaderArrived(0, 1, secs(1)+usT(50))
	c.HeaderArrived(0, 2, secs(1)+usT(70))
	c.BlockMade(1, 10, 0, secs(10)) // measured: starts exactly at the end
	c.Adopted(1, 1, secs(10)+usT(900))
	c.HeaderArrived(1, 1, secs(10)+usT(800))
	c.SetWarmup(secs(10))
	if got, want := c.HeaderPooled(), (Stats{Reached: 1, P50: 800, P90: 800, P95: 800, P99: 800, Max: 800}); got != want {
		t.Errorf("HeaderPooled = %+v, want %+v", got, want)
	}
	if got, want := c.HeaderCDF(), []CDFPoint{{800, 1}}; !slices.Equal(got, want) {
		t.Errorf("HeaderCDF = %v, want %v", got, want)
	}
	if c.MeasuredHeaderArrivals() != 1 || c.HeaderArrivals() != 3 || c.MeasuredAdoptions() != 1 {
		t.Errorf("MeasuredHeaderArrivals = %d, HeaderArrivals = %d, MeasuredAdoptions = %d; want 1, 3, 1",
			c.MeasuredHeaderArrivals(), c.HeaderArrivals(), c.MeasuredAdoptions())
	}
	// Per block, every block counts.
	if got := c.Block(0).Header.Reached; got != 2 {
		t.Errorf("Block(0).Header.Reached = %d, want 2", got)
	}
}

func TestCollectorPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func(c *Collector)
	}{
		{"block id skipped", func(c *Collector) { c.BlockMade(1, 0, 0, 0) }},
		{"producer out of range", func(c *Collector) { c.BlockMade(0, 0, 3, 0) }},
		{"adoption before slot start", func(c *Collector) { c.BlockMade(0, 1, 0, secs(1)); c.Adopted(0, 0, secs(1)-1) }},
		{"unknown block", func(c *Collector) { c.Adopted(0, 0, 0) }},
		{"unknown node", func(c *Collector) { c.BlockMade(0, 0, 0, 0); c.Adopted(0, 3, 0) }},
		{"header before slot start", func(c *Collector) { c.BlockMade(0, 1, 0, secs(1)); c.HeaderArrived(0, 1, secs(1)-1) }},
		{"header of unknown block", func(c *Collector) { c.HeaderArrived(0, 0, 0) }},
		{"header at unknown node", func(c *Collector) { c.BlockMade(0, 0, 0, 0); c.HeaderArrived(0, 3, 0) }},
		{"header at negative node", func(c *Collector) { c.BlockMade(0, 0, 0, 0); c.HeaderArrived(0, -1, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("did not panic")
				}
			}()
			tt.f(NewCollector(3))
		})
	}
}

func TestCountersSorted(t *testing.T) {
	c := NewCollector(1)
	c.count("slot_battles", 1)
	c.count("events", 10)
	c.count("messages", 3)
	c.count("events", 5)
	want := []Counter{{"events", 15}, {"messages", 3}, {"slot_battles", 1}}
	if got := c.Counters(); !slices.Equal(got, want) {
		t.Errorf("Counters = %v, want %v", got, want)
	}
}

func TestAdoptedAndCountDoNotAllocate(t *testing.T) {
	c := NewCollector(100)
	c.BlockMade(0, 0, 0, 0)
	c.count("events", 1)
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		c.HeaderArrived(0, n%100, usT(int64(n)))
		c.Adopted(0, n%100, usT(int64(n)))
		c.count("events", 1)
		n++
	})
	if allocs != 0 {
		t.Errorf("HeaderArrived+Adopted+Count allocate %v times per call, want 0", allocs)
	}
}

// TestFloodExample feeds the shared benchmark's exact expected arrival times
// (benchmarks/flood/example-n200/expected_A.csv) into a Collector and checks
// the pooled and per-block statistics against sorting.
func TestFloodExample(t *testing.T) {
	path := sharedtest.Path(t, "benchmarks", "flood", "example-n200", "expected_A.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("flood benchmark example not available (%v); it lives outside the repo in ../shared", err)
	}
	defer f.Close()
	c := NewCollector(200)
	perBlock := map[int][]int64{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header block,node,arrival_us
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 3 {
			t.Fatalf("%s:%d: bad row %q", path, line, sc.Text())
		}
		b, err1 := strconv.Atoi(fields[0])
		n, err2 := strconv.Atoi(fields[1])
		us, err3 := strconv.ParseInt(fields[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s:%d: bad row %q", path, line, sc.Text())
		}
		for c.Blocks() <= b {
			c.BlockMade(c.Blocks(), int64(c.Blocks()), 0, secs(int64(c.Blocks())*100))
		}
		if us >= 0 {
			c.Adopted(b, n, secs(int64(b)*100)+usT(us))
			perBlock[b] = append(perBlock[b], us)
		}
	}
	if c.Blocks() != 10 || c.Adoptions() != 2000 {
		t.Fatalf("read %d blocks, %d adoptions; want 10, 2000 (case.txt: nodes=200 blocks=10)", c.Blocks(), c.Adoptions())
	}
	for b := range c.Blocks() {
		s := perBlock[b]
		slices.Sort(s)
		if got, want := c.Block(b).Stats, Summarise(s); got != want {
			t.Errorf("block %d: %+v, want %+v", b, got, want)
		}
		if s[0] != 0 {
			t.Errorf("block %d: fastest arrival %d µs; the source's own arrival is 0 (MODEL.md §5)", b, s[0])
		}
	}
	if got, want := c.Pooled(), Summarise(allSorted(c)); got != want {
		t.Errorf("pooled %+v, want %+v", got, want)
	}
}

func BenchmarkAdopted(b *testing.B) {
	const nodes = 10_000
	c := NewCollector(nodes)
	c.BlockMade(0, 0, 0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Adopted(0, i%nodes, usT(int64(i)))
		i++
	}
}

func BenchmarkPooled(b *testing.B) {
	c := randomCollector(7, 1000, 200)
	b.ReportAllocs()
	for b.Loop() {
		c.Pooled()
		c.CDF()
	}
}
