package sim

import (
	"errors"
	"fmt"

	"github.com/dpsim/dpsim/clock"
)

// Kind selects the handler of an event. Kinds are handed out by
// Engine.Register in registration order.
type Kind uint16

// Event is one scheduled happening. Its fields are plain values so that the
// queue holds events inline and scheduling allocates nothing. The meaning of
// Node, From, Arg and Gen belongs to the handler of the event's Kind.
//
// An event is 32 bytes, half a cache line: it carries no sequence number,
// because the radix queue keeps events of equal time in scheduling order
// by construction (radix.go), and the queue moves every event several
// times.
type Event struct {
	At   clock.Time
	Arg  int64
	Node int32
	From int32
	Gen  uint32
	Kind Kind
}

// Handler runs one event. It may schedule further events at or after
// ev.At; it must not keep the pointer after it returns.
type Handler func(ev *Event)

// Limits bound a run; zero fields take the defaults below.
type Limits struct {
	// MaxQueue is the largest number of pending events.
	MaxQueue int
	// MaxPerInstant is the largest number of events at one virtual instant;
	// more means a livelock (something reschedules itself with no delay).
	MaxPerInstant uint64
}

// Default limits: generous for 10,000-node runs, small enough to stop a
// runaway run long before it exhausts memory.
const (
	DefaultMaxQueue      = 1 << 26
	DefaultMaxPerInstant = 1 << 24
)

// ErrQueueFull and ErrLivelock are the bound errors; RunUntil wraps them
// with the time and the counts.
var (
	ErrQueueFull = errors.New("event queue is full")
	ErrLivelock  = errors.New("too many events at one instant (livelock)")
)

// Engine is the event loop. The zero value is not usable; call NewEngine.
type Engine struct {
	q        radixQueue
	now      clock.Time
	handlers []Handler
	names    []string
	limits   Limits
	executed uint64
	instant  clock.Time
	atInst   uint64
	err      error
	stopped  bool
	// cur holds the running event; handing handlers a pointer into the
	// engine rather than to a local keeps the event from escaping to the heap.
	cur Event
}

// NewEngine returns an engine at time 0 with the given limits.
func NewEngine(l Limits) *Engine {
	if l.MaxQueue <= 0 {
		l.MaxQueue = DefaultMaxQueue
	}
	if l.MaxPerInstant == 0 {
		l.MaxPerInstant = DefaultMaxPerInstant
	}
	return &Engine{limits: l, instant: -1}
}

// Register adds a handler and returns the Kind that selects it.
func (e *Engine) Register(name string, h Handler) Kind {
	if h == nil {
		panic("sim: Register with a nil handler")
	}
	e.handlers = append(e.handlers, h)
	e.names = append(e.names, name)
	return Kind(len(e.handlers) - 1)
}

// Now returns the current virtual time. Engine implements clock.Clock.
func (e *Engine) Now() clock.Time { return e.now }

// Executed returns the number of events run so far.
func (e *Engine) Executed() uint64 { return e.executed }

// Pending returns the number of events in the queue.
func (e *Engine) Pending() int { return e.q.len() }

// Schedule queues ev. It panics if ev.At is before Now or ev.Kind was not
// registered: both are programming errors. A full queue stops the run with
// ErrQueueFull at the next RunUntil check.
func (e *Engine) Schedule(ev Event) {
	if ev.At < e.now || int(ev.Kind) >= len(e.handlers) || e.q.len() >= e.limits.MaxQueue {
		e.refuse(ev)
		return
	}
	// The queue's push, written out: one call less on the busiest path.
	q := &e.q
	q.n++
	if ev.At < q.runEnd {
		q.insert(ev)
		return
	}
	b := q.bucketOf(ev.At)
	p := q.wpos[b]
	if p&(chunkLen-1) == 0 {
		p = q.grow(b, p)
	}
	d := &q.slab[p]
	d.At, d.Arg, d.Node, d.From, d.Gen, d.Kind = ev.At, ev.Arg, ev.Node, ev.From, ev.Gen, ev.Kind
	q.wpos[b] = p + 1
}

// refuse is Schedule's slow path, kept out of line so that Schedule stays
// small enough to inline.
func (e *Engine) refuse(ev Event) {
	if ev.At < e.now {
		panic(fmt.Sprintf("sim: event %s scheduled at %v, before now %v", e.kindName(ev.Kind), ev.At, e.now))
	}
	if int(ev.Kind) >= len(e.handlers) {
		panic(fmt.Sprintf("sim: unregistered event kind %d", ev.Kind))
	}
	if e.err == nil {
		e.err = fmt.Errorf("at %v: %w (%d events)", e.now, ErrQueueFull, e.q.len())
	}
	e.stopped = true
}

// At schedules an event of kind k at time t for node with argument arg.
func (e *Engine) At(t clock.Time, k Kind, node, from int32, arg int64) {
	e.Schedule(Event{At: t, Kind: k, Node: node, From: from, Arg: arg})
}

// Stop ends the current RunUntil after the running event.
func (e *Engine) Stop() { e.stopped = true }

// NextAt returns the time of the earliest pending event, or clock.Never.
func (e *Engine) NextAt() clock.Time {
	if e.q.len() == 0 {
		return clock.Never
	}
	return e.q.head().At
}

// RunUntil runs every event with At <= t in (time, scheduling) order and then
// sets Now to t (unless t is clock.Never, when it stops at the last event).
// It returns an error when a bound is exceeded; the run cannot continue
// after that.
func (e *Engine) RunUntil(t clock.Time) error {
	if e.err != nil {
		return e.err
	}
	// A full queue (Schedule) or a livelock sets err and stopped; Stop
	// sets stopped.
	e.stopped = false
	for !e.stopped && e.q.popUntil(t, &e.cur) {
		ev := &e.cur
		if ev.At != e.instant {
			e.instant, e.atInst = ev.At, 0
		}
		e.atInst++
		if e.atInst > e.limits.MaxPerInstant {
			e.err = fmt.Errorf("at %v: %w: more than %d events, the last of kind %s",
				ev.At, ErrLivelock, e.limits.MaxPerInstant, e.kindName(ev.Kind))
			break
		}
		e.now = ev.At
		e.executed++
		e.handlers[ev.Kind](ev)
	}
	if e.err != nil {
		return e.err
	}
	if !e.stopped && t != clock.Never && t > e.now {
		e.now = t
	}
	return nil
}

// Run runs until the queue is empty.
func (e *Engine) Run() error { return e.RunUntil(clock.Never) }

// Reset empties the queue and sets time back to 0, keeping the handlers and
// the queue's storage; it lets one engine run many independent experiments
// without allocating.
func (e *Engine) Reset() {
	e.q.reset()
	e.now, e.instant, e.atInst = 0, -1, 0
	e.err, e.stopped = nil, false
}

func (e *Engine) kindName(k Kind) string {
	if int(k) < len(e.names) {
		return e.names[k]
	}
	return fmt.Sprintf("#%d", k)
}
