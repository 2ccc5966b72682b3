package results

import (
	"fmt"
	"math"
	"slices"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/sim/world"
)

// never marks a (block, node) pair whose node has not adopted the block
// (or, in the header times, has not taken up its header). It matches the benchmark's arrival files, where -1 means unreached
// (benchmarks/flood/MODEL.md §5).
const never int32 = -1

// maxOffsetUS is the largest adoption time an int32 offset can hold
// (about 2,147 s); later adoptions are saturated to it and counted.
const maxOffsetUS = math.MaxInt32

// Collector records, for every block made in a run, when each node adopted
// it and when each node took up its header, plus named run counters. It
// observes a run and never feeds back into it; it is not safe for concurrent
// use (a run is single-threaded).
//
// Storage is one dense []int32 per block, allocated by BlockMade, of two
// halves indexed by node: the adoption time, then the header arrival time,
// each in whole microseconds after the block's slot start, or -1 for "not
// adopted" / "no header". int32 halves the memory of int64 (10,000 nodes ×
// 4,320 blocks = 346 MB for both halves instead of 691 MB) and still spans
// 2,147 s, far beyond any diffusion time of interest; later times saturate
// at 2,147.483647 s and are counted.
type Collector struct {
	nodes     int
	blocks    []blockRecord
	adoptions int64
	saturated int64
	headers   int64 // (block, node) pairs with a header arrival
	headerSat int64 // header arrivals saturated at maxOffsetUS
	counters  map[string]int64
	names     []string // counter names, kept sorted so output never depends on map order
	// warmup: blocks whose slot starts before it are left out of the
	// pooled statistics (SetWarmup).
	warmup clock.Time
	// extra holds more summary.json keys (SetSummary).
	extra map[string]any
	// excluded nodes are left out of every diffusion statistic (Exclude);
	// nil when none is.
	excluded []bool
	nExcl    int
}

// Exclude leaves the nodes set in ex out of every adoption and header
// statistic, as if they were not in the network: syncing nodes, whose
// catch-up is not diffusion. Call it before the run.
func (c *Collector) Exclude(ex []bool) {
	if len(ex) != c.nodes {
		panic(fmt.Sprintf("results: Exclude of %d nodes, want %d", len(ex), c.nodes))
	}
	c.excluded, c.nExcl = ex, 0
	for _, x := range ex {
		if x {
			c.nExcl++
		}
	}
}

// Excluded returns how many nodes Exclude left out.
func (c *Collector) Excluded() int { return c.nExcl }

// SetSummary adds key to summary.json with value v (any JSON value; maps
// are written with sorted keys): what an observer other than the
// collector measured, such as an attack's effect.
func (c *Collector) SetSummary(key string, v any) {
	if c.extra == nil {
		c.extra = map[string]any{}
	}
	c.extra[key] = v
}

type blockRecord struct {
	slot      int64
	producer  int
	slotStart clock.Time
	reached   int     // nodes that adopted the block
	headers   int     // nodes with a header arrival for it
	offsetUS  []int32 // adoption times, indexed by node; never = not adopted
	headerUS  []int32 // header arrival times, indexed by node; never = none
}

// times returns the adoption times of the block, or its header arrival
// times when header is set, and how many of them are not never.
func (r *blockRecord) times(header bool) ([]int32, int) {
	if header {
		return r.headerUS, r.headers
	}
	return r.offsetUS, r.reached
}

// NewCollector returns a Collector for a run of the given number of nodes.
// It panics if nodes < 0.
func NewCollector(nodes int) *Collector {
	if nodes < 0 {
		panic(fmt.Sprintf("results: NewCollector(%d): negative node count", nodes))
	}
	return &Collector{nodes: nodes, counters: make(map[string]int64)}
}

// SetWarmup leaves the blocks whose slot starts before t out of Pooled,
// CDF, HeaderPooled, HeaderCDF and everything derived from them (the
// network is still forming); per-block outputs keep every block.
func (c *Collector) SetWarmup(t clock.Time) { c.warmup = t }

// Warmup returns the time set by SetWarmup.
func (c *Collector) Warmup() clock.Time { return c.warmup }

// measured reports whether block i counts in the pooled statistics.
func (c *Collector) measured(i int) bool { return c.blocks[i].slotStart >= c.warmup }

// MeasuredAdoptions returns the number of adoptions of the blocks that
// count in the pooled statistics.
func (c *Collector) MeasuredAdoptions() int64 { return c.measuredCount(false) }

// MeasuredHeaderArrivals returns the number of (block, node) header
// arrivals of the blocks that count in the pooled statistics.
func (c *Collector) MeasuredHeaderArrivals() int64 { return c.measuredCount(true) }

// measuredCount is MeasuredAdoptions, or MeasuredHeaderArrivals when header
// is set.
func (c *Collector) measuredCount(header bool) int64 {
	if c.warmup <= 0 {
		if header {
			return c.headers
		}
		return c.adoptions
	}
	var n int64
	for i := range c.blocks {
		if c.measured(i) {
			_, k := c.blocks[i].times(header)
			n += int64(k)
		}
	}
	return n
}

// Nodes returns the number of nodes the Collector was made for.
func (c *Collector) Nodes() int { return c.nodes }

// Blocks returns the number of blocks recorded so far.
func (c *Collector) Blocks() int { return len(c.blocks) }

// Adoptions returns the number of (block, node) adoptions recorded.
func (c *Collector) Adoptions() int64 { return c.adoptions }

// Saturated returns how many adoptions came later than 2,147.483647 s after
// their slot start and were recorded as exactly that.
func (c *Collector) Saturated() int64 { return c.saturated }

// HeaderArrivals returns the number of (block, node) pairs with a header
// arrival recorded.
func (c *Collector) HeaderArrivals() int64 { return c.headers }

// HeaderSaturated returns how many header arrivals are recorded as
// 2,147.483647 s after their slot start because they came later.
func (c *Collector) HeaderSaturated() int64 { return c.headerSat }

// BlockMade records that block was forged in slot by producer, the slot
// starting at slotStart. Blocks must be numbered 0, 1, 2, … in the order they
// are made; any other id, or a producer outside [0, Nodes()), is a
// programming error and panics.
func (c *Collector) BlockMade(block int, slot int64, producer int, slotStart clock.Time) {
	if block != len(c.blocks) {
		panic(fmt.Sprintf("results: BlockMade(%d): want the next block id %d", block, len(c.blocks)))
	}
	if producer < 0 || producer >= c.nodes {
		panic(fmt.Sprintf("results: BlockMade: producer %d outside [0, %d)", producer, c.nodes))
	}
	// One allocation for both halves.
	offs := make([]int32, 2*c.nodes)
	for i := range offs {
		offs[i] = never
	}
	c.blocks = append(c.blocks, blockRecord{slot: slot, producer: producer, slotStart: slotStart,
		offsetUS: offs[:c.nodes:c.nodes], headerUS: offs[c.nodes:]})
}

// offsetOf returns at minus the start of block's slot in whole µs, capped
// at maxOffsetUS, and whether it was capped. what names the caller in the
// panic for at before the slot start.
func (c *Collector) offsetOf(what string, block, node int, at clock.Time) (int32, bool) {
	b := &c.blocks[block]
	d := int64(at - b.slotStart)
	if d < 0 {
		panic(fmt.Sprintf("results: %s(block %d, node %d) at %v, before its slot start %v", what, block, node, at, b.slotStart))
	}
	us := d / 1000
	if us > maxOffsetUS {
		return maxOffsetUS, true
	}
	return int32(us), false
}

// Adopted records that node adopted block at virtual time at. The first call
// for a (block, node) pair wins; later calls are ignored. The adoption time
// is at minus the slot start, truncated to whole microseconds. It does not
// allocate. An unknown block or node, or at before the block's slot start,
// is a programming error and panics.
func (c *Collector) Adopted(block, node int, at clock.Time) {
	b := &c.blocks[block]
	if b.offsetUS[node] != never || c.excluded != nil && c.excluded[node] {
		return
	}
	us, sat := c.offsetOf("Adopted", block, node, at)
	if sat {
		c.saturated++
	}
	b.offsetUS[node] = us
	b.reached++
	c.adoptions++
}

// HeaderArrived records that node took up the header of block at virtual
// time at (the engine reports it when the node starts validating the
// header). The header arrival time of a (block, node) pair is the earliest
// reported, truncated to whole microseconds after the slot start: the
// engine reports in time order, so the first call wins and later ones
// change nothing. Calls for the block's producer are ignored (it forged the
// block; no header arrives). It does not allocate. An unknown block or
// node, or at before the block's slot start, is a programming error and
// panics.
func (c *Collector) HeaderArrived(block, node int, at clock.Time) {
	b := &c.blocks[block]
	old := b.headerUS[node] // bounds check before the producer test
	if node == b.producer || c.excluded != nil && c.excluded[node] {
		return
	}
	us, sat := c.offsetOf("HeaderArrived", block, node, at)
	switch {
	case old == never:
		b.headers++
		c.headers++
	case us >= old:
		return
	case old == maxOffsetUS:
		c.headerSat-- // replaced by an earlier, unsaturated time
	}
	if sat {
		c.headerSat++
	}
	b.headerUS[node] = us
}

// AdoptionUS returns node's adoption time of block in microseconds after the
// slot start, and false if the node never adopted it.
func (c *Collector) AdoptionUS(block, node int) (int64, bool) {
	v := c.blocks[block].offsetUS[node]
	return int64(v), v != never
}

// HeaderUS returns node's header arrival time of block in microseconds after
// the slot start, and false if no header of it arrived at node (always
// false for the producer).
func (c *Collector) HeaderUS(block, node int) (int64, bool) {
	v := c.blocks[block].headerUS[node]
	return int64(v), v != never
}

// Count adds delta to run counter k (created at zero), kept under its
// summary.json key k.String(). It does not allocate once k exists.
func (c *Collector) Count(k world.Counter, delta int64) { c.count(k.String(), delta) }

// count adds delta to the counter called name: the world's counters and
// the few results adds of its own (the god's view's).
func (c *Collector) count(name string, delta int64) {
	if _, ok := c.counters[name]; !ok {
		i, _ := slices.BinarySearch(c.names, name)
		c.names = slices.Insert(c.names, i, name)
	}
	c.counters[name] += delta
}

// Counter returns the value of run counter k (0 if never counted).
func (c *Collector) Counter(k world.Counter) int64 { return c.counters[k.String()] }

// Counter is one named run counter.
type Counter struct {
	Name  string
	Value int64
}

// Counters returns the run counters sorted by name.
func (c *Collector) Counters() []Counter {
	out := make([]Counter, len(c.names))
	for i, name := range c.names {
		out[i] = Counter{Name: name, Value: c.counters[name]}
	}
	return out
}

// BlockStats summarises one block: who made it, when, how long its
// adoption took among the nodes that adopted it (Stats) and how long its
// header took to arrive among the nodes it arrived at (Header; the
// producer is never among them).
type BlockStats struct {
	Block     int
	Slot      int64
	Producer  int
	SlotStart clock.Time
	Stats
	Header Stats
}

// Block returns the summary of block b. It panics if b is not a recorded
// block.
func (c *Collector) Block(b int) BlockStats {
	return c.blockStats(b, nil)
}

// blockStats is Block with a reusable scratch slice, so writing every block
// sorts into one buffer.
func (c *Collector) blockStats(b int, scratch *[]int64) BlockStats {
	r := &c.blocks[b]
	var buf []int64
	if scratch != nil {
		buf = *scratch
	}
	var s [2]Stats
	for i, header := range [...]bool{false, true} {
		buf = buf[:0]
		times, _ := r.times(header)
		for _, v := range times {
			if v != never {
				buf = append(buf, int64(v))
			}
		}
		slices.Sort(buf)
		s[i] = Summarise(buf)
	}
	if scratch != nil {
		*scratch = buf
	}
	return BlockStats{Block: b, Slot: r.slot, Producer: r.producer, SlotStart: r.slotStart, Stats: s[0], Header: s[1]}
}
