package results

import (
	"fmt"
	"math"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// never marks a (block, node) pair whose node has not adopted the block.
// It matches the benchmark's arrival files, where -1 means unreached
// (benchmarks/flood/MODEL.md §5).
const never int32 = -1

// maxOffsetUS is the largest adoption time an int32 offset can hold
// (about 2,147 s); later adoptions are saturated to it and counted.
const maxOffsetUS = math.MaxInt32

// Collector records, for every block made in a run, when each node adopted
// it, plus named run counters. It observes a run and never feeds back into
// it; it is not safe for concurrent use (a run is single-threaded).
//
// Storage is one dense []int32 per block holding the adoption time in whole
// microseconds after the block's slot start, or -1 for "not adopted". int32
// halves the memory of int64 (10,000 nodes × 4,320 blocks = 173 MB instead
// of 346 MB) and still spans 2,147 s, far beyond any diffusion time of
// interest; later adoptions saturate at 2,147.483647 s and are counted.
type Collector struct {
	nodes     int
	blocks    []blockRecord
	adoptions int64
	saturated int64
	maxUS     int32 // largest offset recorded, sizing the pooled histogram
	counters  map[string]int64
	names     []string // counter names, kept sorted so output never depends on map order
	// warmup: blocks whose slot starts before it are left out of the
	// pooled statistics (SetWarmup).
	warmup clock.Time
}

type blockRecord struct {
	slot      int64
	producer  int
	slotStart clock.Time
	reached   int
	offsetUS  []int32 // indexed by node; never = not adopted
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
// CDF and everything derived from them (the network is still forming);
// per-block outputs keep every block.
func (c *Collector) SetWarmup(t clock.Time) { c.warmup = t }

// Warmup returns the time set by SetWarmup.
func (c *Collector) Warmup() clock.Time { return c.warmup }

// measured reports whether block i counts in the pooled statistics.
func (c *Collector) measured(i int) bool { return c.blocks[i].slotStart >= c.warmup }

// MeasuredAdoptions returns the number of adoptions of the blocks that
// count in the pooled statistics.
func (c *Collector) MeasuredAdoptions() int64 {
	if c.warmup <= 0 {
		return c.adoptions
	}
	var n int64
	for i := range c.blocks {
		if c.measured(i) {
			n += int64(c.blocks[i].reached)
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
	offs := make([]int32, c.nodes)
	for i := range offs {
		offs[i] = never
	}
	c.blocks = append(c.blocks, blockRecord{slot: slot, producer: producer, slotStart: slotStart, offsetUS: offs})
}

// Adopted records that node adopted block at virtual time at. The first call
// for a (block, node) pair wins; later calls are ignored. The adoption time
// is at minus the slot start, truncated to whole microseconds. It does not
// allocate. An unknown block or node, or at before the block's slot start,
// is a programming error and panics.
func (c *Collector) Adopted(block, node int, at clock.Time) {
	b := &c.blocks[block]
	if b.offsetUS[node] != never {
		return
	}
	d := int64(at - b.slotStart)
	if d < 0 {
		panic(fmt.Sprintf("results: Adopted(block %d, node %d) at %v, before its slot start %v", block, node, at, b.slotStart))
	}
	us := d / 1000
	if us > maxOffsetUS {
		us = maxOffsetUS
		c.saturated++
	}
	b.offsetUS[node] = int32(us)
	c.maxUS = max(c.maxUS, int32(us))
	b.reached++
	c.adoptions++
}

// AdoptionUS returns node's adoption time of block in microseconds after the
// slot start, and false if the node never adopted it.
func (c *Collector) AdoptionUS(block, node int) (int64, bool) {
	v := c.blocks[block].offsetUS[node]
	return int64(v), v != never
}

// Count adds delta to the run counter called name (created at zero). It does
// not allocate once name exists.
func (c *Collector) Count(name string, delta int64) {
	if _, ok := c.counters[name]; !ok {
		i, _ := slices.BinarySearch(c.names, name)
		c.names = slices.Insert(c.names, i, name)
	}
	c.counters[name] += delta
}

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

// BlockStats summarises one block: who made it, when, and how long its
// adoption took among the nodes that adopted it.
type BlockStats struct {
	Block     int
	Slot      int64
	Producer  int
	SlotStart clock.Time
	Stats
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
		buf = (*scratch)[:0]
	}
	for _, v := range r.offsetUS {
		if v != never {
			buf = append(buf, int64(v))
		}
	}
	slices.Sort(buf)
	if scratch != nil {
		*scratch = buf
	}
	return BlockStats{Block: b, Slot: r.slot, Producer: r.producer, SlotStart: r.slotStart, Stats: Summarise(buf)}
}
