package feed

import (
	"runtime"
	"sync/atomic"

	"github.com/dpsim/dpsim/node"
)

// Sizes of the hand-over. A batch is 128 KB of reports, a few hundred
// microseconds of a 10,000-node run: a wake-up costs the producer a
// system call (futex), and the consumer sleeps between batches. Batches
// of 256 reports (8 KB) cost twice the wall time saved: the consumer woke
// for each, and the producer's writes found the ring's lines in the
// other core's cache. The ring holds up to ringLen batches in flight,
// enough to ride out the consumer's longest step (a group of the log
// applied at once, under a millisecond).
const (
	BatchLen = 4096
	ringLen  = 8
)

// spins is how long a waiting side polls before it yields its thread
// (and the consumer, before it sleeps): a short wait is over within it.
const spins = 256

// Feed is a world.ReportFeed. The zero value is not usable; call New.
type Feed struct {
	apply func([]node.Report)
	cur   []node.Report // the batch being filled, bufs[handed%(ringLen+1)]
	bufs  [ringLen + 1][]node.Report
	// handed and applied count batches; batch k lives in bufs[k%(ringLen+1)].
	// Only the producer writes handed, only the consumer applied, and
	// bufs[k] belongs to the producer until handed passes k, then to the
	// consumer until applied does.
	handed   atomic.Uint64
	applied  atomic.Uint64
	sleeping atomic.Bool
	stopping atomic.Bool
	wake     chan struct{}
	done     chan struct{}
	started  bool
	stopped  bool
}

// New returns a feed of batches of BatchLen reports, not started.
func New() *Feed { return newSized(BatchLen) }

// newSized returns a feed of batches of batch reports (tests use small
// ones, so that the ring wraps).
func newSized(batch int) *Feed {
	f := &Feed{wake: make(chan struct{}, 1), done: make(chan struct{})}
	for i := range f.bufs {
		f.bufs[i] = make([]node.Report, 0, batch)
	}
	f.cur = f.bufs[0]
	return f
}

// Start starts the consumer goroutine, which applies each batch with
// apply. It panics if called twice.
func (f *Feed) Start(apply func([]node.Report)) {
	if f.started {
		panic("feed: Start called twice")
	}
	f.started, f.apply = true, apply
	go f.consume()
}

// Add queues r, handing the batch over when it is full. It panics on a
// feed not started or stopped.
func (f *Feed) Add(r node.Report) {
	f.cur = append(f.cur, r)
	if len(f.cur) == cap(f.cur) {
		f.hand()
	}
}

// hand queues the batch being filled (full, or part-filled before a
// wait) and takes the next buffer; it waits while the ring is full.
func (f *Feed) hand() {
	if !f.started || f.stopped {
		panic("feed: a report for a feed not started or stopped")
	}
	h := f.handed.Load()
	f.bufs[h%(ringLen+1)] = f.cur
	f.handed.Store(h + 1)
	if f.sleeping.Load() {
		f.nudge()
	}
	// The next batch's buffer was batch h+1-(ringLen+1)'s: free once the
	// ring holds at most ringLen batches.
	for n := 0; h+1-f.applied.Load() > ringLen; n++ {
		pause(n)
	}
	f.cur = f.bufs[(h+1)%(ringLen+1)][:0]
}

// Wait hands over the batch being filled, if any, and returns when every
// report added is applied and the consumer is idle; what it applied is
// then visible to the caller.
func (f *Feed) Wait() {
	if len(f.cur) > 0 {
		f.hand()
	}
	h := f.handed.Load()
	for n := 0; f.applied.Load() < h; n++ {
		pause(n)
	}
}

// Stop waits as Wait does, then ends the consumer. A stopped feed takes
// no more batches; Stop may be called again.
func (f *Feed) Stop() {
	if !f.started || f.stopped {
		return
	}
	f.Wait()
	f.stopped = true
	f.stopping.Store(true)
	f.nudge()
	<-f.done
}

// nudge wakes the consumer if it sleeps (a token already there will do).
func (f *Feed) nudge() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// pause is one step of a wait: a spin, then yielding the thread, so that
// under GOMAXPROCS 1 the other side runs.
func pause(n int) {
	if n >= spins {
		runtime.Gosched()
	}
}

func (f *Feed) consume() {
	defer close(f.done)
	k := f.applied.Load()
	idle := 0
	for {
		if k < f.handed.Load() {
			f.apply(f.bufs[k%(ringLen+1)])
			k++
			f.applied.Store(k)
			idle = 0
			continue
		}
		if f.stopping.Load() {
			return
		}
		if idle < spins {
			idle++
			continue
		}
		// Sleep. The producer stores handed before it reads sleeping, and
		// this side stores sleeping before it reads handed again, so one of
		// the two sees the other: no batch waits for a wake that never
		// comes. A stale token only costs one more round of the loop.
		f.sleeping.Store(true)
		if k == f.handed.Load() && !f.stopping.Load() {
			<-f.wake
		}
		f.sleeping.Store(false)
		idle = 0
	}
}
