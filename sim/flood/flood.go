package flood

import (
	"fmt"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/sim"
)

// Variant selects the model's delivery rule (MODEL.md §3.4).
type Variant byte

// The two variants: A is pure latency, B adds a serial uplink FIFO.
const (
	VariantA Variant = 'A'
	VariantB Variant = 'B'
)

// Params are the model parameters. Processing must be > 0; Serialisation
// is used by variant B only. Both must be whole microseconds.
type Params struct {
	Variant       Variant
	Processing    time.Duration
	Serialisation time.Duration
}

// Validate reports a parameter outside the model's domain.
func (p Params) Validate() error {
	if p.Variant != VariantA && p.Variant != VariantB {
		return fmt.Errorf("variant %q: accepted A or B", string(p.Variant))
	}
	if p.Processing <= 0 || p.Processing%time.Microsecond != 0 {
		return fmt.Errorf("processing %v: accepted a whole number of microseconds > 0", p.Processing)
	}
	if p.Serialisation < 0 || p.Serialisation%time.Microsecond != 0 {
		return fmt.Errorf("serialization %v: accepted a whole number of microseconds >= 0", p.Serialisation)
	}
	return nil
}

// Unreached marks a node a block never reached.
const Unreached = -1

// Runner simulates blocks of one case. It owns one engine and per-node
// state that every block reuses, so a run allocates only at set-up.
type Runner struct {
	c      *Case
	p      Params
	eng    *sim.Engine
	fwd    sim.Kind
	tx     sim.Kind
	dlv    sim.Kind
	t      []clock.Time // first arrival, or -1
	parent []int32
	up     []netmodel.Uplink
	copyB  int64 // bytes of one copy on an uplink running at 1 byte/ns
	events uint64
}

// NewRunner prepares a runner; it validates p.
func NewRunner(c *Case, p Params) (*Runner, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Variant == VariantA {
		p.Serialisation = 0
	}
	r := &Runner{
		c: c, p: p,
		eng:    sim.NewEngine(sim.Limits{}),
		t:      make([]clock.Time, c.Nodes),
		parent: make([]int32, c.Nodes),
		up:     make([]netmodel.Uplink, c.Nodes),
	}
	// The model's S is a time, not a size: run every uplink at 8 Gbit/s
	// (one byte per ns) and send S-in-ns bytes, which the uplink turns back
	// into exactly S.
	const bytePerNs = 8_000_000_000
	r.copyB = int64(p.Serialisation)
	for i := range r.up {
		r.up[i] = netmodel.NewUplink(bytePerNs)
	}
	r.fwd = r.eng.Register("flood.forward", r.forward)
	r.tx = r.eng.Register("flood.txdone", r.txDone)
	r.dlv = r.eng.Register("flood.deliver", r.deliver)
	return r, nil
}

// Block simulates block b and returns its arrival times in µs (Unreached
// for nodes never reached) in dst, which it grows if needed, and the
// number of engine events it ran.
func (r *Runner) Block(b int, dst []int64) ([]int64, uint64, error) {
	r.eng.Reset()
	for i := range r.t {
		r.t[i], r.parent[i] = -1, -1
		r.up[i].Reset()
	}
	s := r.c.Sources[b]
	r.t[s] = 0
	r.eng.At(0, r.fwd, s, -1, 0)
	if err := r.eng.Run(); err != nil {
		return dst, r.eng.Executed(), fmt.Errorf("block %d: %w", b, err)
	}
	// Reset keeps the engine's lifetime count; take this block's share.
	events := r.eng.Executed() - r.events
	r.events += events
	dst = dst[:0]
	for _, t := range r.t {
		if t < 0 {
			dst = append(dst, Unreached)
		} else {
			dst = append(dst, int64(t)/1000)
		}
	}
	return dst, events, nil
}

// nextTarget returns the index in u's adjacency row of the first target at
// or after index i, skipping u's parent, or -1.
func (r *Runner) nextTarget(u int32, i int) int {
	ids, _ := r.c.Graph.Neighbors(int(u))
	for ; i < len(ids); i++ {
		if ids[i] != r.parent[u] {
			return i
		}
	}
	return -1
}

func (r *Runner) forward(ev *sim.Event) {
	u := ev.Node
	if r.p.Variant == VariantA {
		ids, lat := r.c.Graph.Neighbors(int(u))
		for i, w := range ids {
			if w != r.parent[u] {
				r.eng.At(ev.At+clock.Time(lat[i])*1000, r.dlv, w, u, 0)
			}
		}
		return
	}
	if k := r.nextTarget(u, 0); k >= 0 {
		r.eng.At(r.up[u].Send(ev.At, r.copyB), r.tx, u, -1, int64(k))
	}
}

func (r *Runner) txDone(ev *sim.Event) {
	u, k := ev.Node, int(ev.Arg)
	ids, lat := r.c.Graph.Neighbors(int(u))
	r.eng.At(ev.At+clock.Time(lat[k])*1000, r.dlv, ids[k], u, 0)
	if next := r.nextTarget(u, k+1); next >= 0 {
		r.eng.At(r.up[u].Send(ev.At, r.copyB), r.tx, u, -1, int64(next))
	}
}

func (r *Runner) deliver(ev *sim.Event) {
	v, u := ev.Node, ev.From
	switch {
	case r.t[v] < 0:
		r.t[v], r.parent[v] = ev.At, u
		r.eng.At(ev.At.Add(r.p.Processing), r.fwd, v, -1, 0)
	case r.t[v] == ev.At && u < r.parent[v]:
		r.parent[v] = u
	}
}

// Events returns the number of engine events run by every Block call so far.
func (r *Runner) Events() uint64 { return r.events }

// RunAll simulates every block of the case and returns the arrival times,
// one row per block.
func (r *Runner) RunAll() ([][]int64, error) {
	out := make([][]int64, len(r.c.Sources))
	for b := range r.c.Sources {
		var err error
		if out[b], _, err = r.Block(b, make([]int64, 0, r.c.Nodes)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
