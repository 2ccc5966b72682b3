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
	c   *Case
	p   Params
	eng *sim.Engine
	fwd sim.Kind
	tx  sim.Kind
	dlv sim.Kind
	// The adjacency rows as (id, latency) pairs in one array, row u at
	// adj[off[u]:off[u+1]]: a TXDONE reads a target and its latency from
	// one cache line (the case's EdgeList keeps them in two arrays).
	adj    []link
	off    []int32
	state  []nodeState
	up     []netmodel.Uplink
	ser    time.Duration // serialisation of one copy on an uplink
	events uint64
}

// link is one entry of an adjacency row.
type link struct {
	id    int32
	latUs int32
}

// nodeState is a node's first arrival (or -1) and the sender it came from.
type nodeState struct {
	t      clock.Time
	parent int32
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
		eng:   sim.NewEngine(sim.Limits{}),
		off:   make([]int32, c.Nodes+1),
		state: make([]nodeState, c.Nodes),
		up:    make([]netmodel.Uplink, c.Nodes),
	}
	for u := range c.Nodes {
		ids, lat := c.Graph.Neighbors(u)
		for i, w := range ids {
			r.adj = append(r.adj, link{id: w, latUs: lat[i]})
		}
		r.off[u+1] = int32(len(r.adj))
	}
	// The model's S is a time, not a size: run every uplink at 8 Gbit/s
	// (one byte per ns) and send S-in-ns bytes, which the uplink turns back
	// into exactly S.
	const bytePerNs = 8_000_000_000
	r.ser = netmodel.SerialisationDelay(int64(p.Serialisation), bytePerNs)
	for i := range r.up {
		r.up[i] = netmodel.NewUplink(bytePerNs)
	}
	// The handlers are closures with their bodies inside, not method
	// values, which would add a call to every event.
	r.fwd = r.eng.Register("flood.forward", r.forward)
	r.tx = r.eng.Register("flood.txdone", func(ev *sim.Event) {
		u, i, end := ev.Node, int32(ev.Arg), int32(ev.Gen)
		l := r.adj[i]
		r.eng.At(ev.At+clock.Time(l.latUs)*1000, r.dlv, l.id, u, 0)
		if i = r.skip(i+1, end, ev.From); i < end {
			r.eng.Schedule(sim.Event{At: r.up[u].Occupy(ev.At, r.ser), Kind: r.tx, Node: u, From: ev.From, Arg: int64(i), Gen: uint32(end)})
		}
	})
	r.dlv = r.eng.Register("flood.deliver", func(ev *sim.Event) {
		v, u := ev.Node, ev.From
		st := &r.state[v]
		switch {
		case st.t < 0:
			st.t, st.parent = ev.At, u
			r.eng.At(ev.At.Add(r.p.Processing), r.fwd, v, -1, 0)
		case st.t == ev.At && u < st.parent:
			st.parent = u
		}
	})
	return r, nil
}

// Block simulates block b and returns its arrival times in µs (Unreached
// for nodes never reached) in dst, which it grows if needed, and the
// number of engine events it ran.
func (r *Runner) Block(b int, dst []int64) ([]int64, uint64, error) {
	r.eng.Reset()
	for i := range r.state {
		r.state[i] = nodeState{t: -1, parent: -1}
		r.up[i].Reset()
	}
	s := r.c.Sources[b]
	r.state[s].t = 0
	r.eng.At(0, r.fwd, s, -1, 0)
	if err := r.eng.Run(); err != nil {
		return dst, r.eng.Executed(), fmt.Errorf("block %d: %w", b, err)
	}
	// Reset keeps the engine's lifetime count; take this block's share.
	events := r.eng.Executed() - r.events
	r.events += events
	dst = dst[:0]
	for _, st := range r.state {
		if st.t < 0 {
			dst = append(dst, Unreached)
		} else {
			dst = append(dst, int64(st.t)/1000)
		}
	}
	return dst, events, nil
}

// TXDONE and DELIVER, the handlers of nearly every event, are in
// NewRunner. A TXDONE event carries its copy's place in adj (Arg), the end of the
// sender's row (Gen) and the sender's parent (From), the one neighbour it
// skips: its handler reads the copy's target and latency and the next
// target from adj alone. A parent never changes after FORWARD, the only
// event that reads it (MODEL.md §4).

// skip returns i, or i+1 if adj[i] is the parent p; end bounds the row.
func (r *Runner) skip(i, end int32, p int32) int32 {
	if i < end && r.adj[i].id == p {
		i++
	}
	return i
}

func (r *Runner) forward(ev *sim.Event) {
	u := ev.Node
	p := r.state[u].parent
	lo, end := r.off[u], r.off[u+1]
	if r.p.Variant == VariantA {
		for _, l := range r.adj[lo:end] {
			if l.id != p {
				r.eng.At(ev.At+clock.Time(l.latUs)*1000, r.dlv, l.id, u, 0)
			}
		}
		return
	}
	if i := r.skip(lo, end, p); i < end {
		r.eng.Schedule(sim.Event{At: r.up[u].Occupy(ev.At, r.ser), Kind: r.tx, Node: u, From: p, Arg: int64(i), Gen: uint32(end)})
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
