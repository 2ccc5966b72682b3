package sim

import (
	"container/heap"
	"errors"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
	"unsafe"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// TestOrderTimeThenSeq checks that events run by time and, at one instant,
// in scheduling order.
func TestOrderTimeThenSeq(t *testing.T) {
	e := NewEngine(Limits{})
	var got []int64
	k := e.Register("rec", func(ev *Event) { got = append(got, ev.Arg) })
	e.At(20, k, 0, 0, 3)
	e.At(10, k, 0, 0, 1)
	e.At(20, k, 0, 0, 4)
	e.At(10, k, 0, 0, 2)
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 2, 3, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
	if e.Now() != 20 || e.Executed() != 4 {
		t.Fatalf("now=%v executed=%d", e.Now(), e.Executed())
	}
}

func TestRunUntilStopsAndAdvances(t *testing.T) {
	e := NewEngine(Limits{})
	n := 0
	k := e.Register("count", func(ev *Event) { n++ })
	e.At(5, k, 0, 0, 0)
	e.At(15, k, 0, 0, 0)
	if err := e.RunUntil(10); err != nil {
		t.Fatal(err)
	}
	if n != 1 || e.Now() != 10 || e.Pending() != 1 || e.NextAt() != 15 {
		t.Fatalf("n=%d now=%v pending=%d", n, e.Now(), e.Pending())
	}
	if err := e.RunUntil(15); err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
}

func TestScheduleInPastPanics(t *testing.T) {
	e := NewEngine(Limits{})
	k := e.Register("x", func(*Event) {})
	e.At(10, k, 0, 0, 0)
	if err := e.Run(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("scheduling in the past did not panic")
		}
	}()
	e.At(9, k, 0, 0, 0)
}

func TestLivelockIsAnError(t *testing.T) {
	e := NewEngine(Limits{MaxPerInstant: 100})
	var k Kind
	k = e.Register("loop", func(ev *Event) { e.At(ev.At, k, 0, 0, 0) })
	e.At(7, k, 0, 0, 0)
	err := e.Run()
	if !errors.Is(err, ErrLivelock) {
		t.Fatalf("err = %v, want livelock", err)
	}
}

func TestQueueFullIsAnError(t *testing.T) {
	e := NewEngine(Limits{MaxQueue: 10})
	var k Kind
	k = e.Register("fan", func(ev *Event) {
		e.At(ev.At+1, k, 0, 0, 0)
		e.At(ev.At+1, k, 0, 0, 0)
	})
	e.At(0, k, 0, 0, 0)
	if err := e.Run(); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v, want queue full", err)
	}
}

func TestTimerGenerations(t *testing.T) {
	e := NewEngine(Limits{})
	var tm Timer
	var fired []clock.Time
	k := e.Register("timer", func(ev *Event) {
		if tm.Fire(ev) {
			fired = append(fired, ev.At)
		}
	})
	e.Arm(&tm, 10, k, 0, 0)
	e.Arm(&tm, 30, k, 0, 0) // re-arm: the wake-up at 10 is stale
	e.RunUntil(20)
	if len(fired) != 0 {
		t.Fatalf("stale wake-up fired: %v", fired)
	}
	if at, ok := tm.Armed(); !ok || at != 30 {
		t.Fatalf("Armed = %v, %v", at, ok)
	}
	e.Run()
	if len(fired) != 1 || fired[0] != 30 {
		t.Fatalf("fired = %v, want [30]", fired)
	}
	e.Arm(&tm, 40, k, 0, 0)
	tm.Cancel()
	e.Run()
	if len(fired) != 1 {
		t.Fatalf("cancelled timer fired: %v", fired)
	}
}

func TestReset(t *testing.T) {
	e := NewEngine(Limits{})
	k := e.Register("x", func(*Event) {})
	e.At(100, k, 0, 0, 0)
	e.At(200, k, 0, 0, 0)
	e.RunUntil(150)
	e.Reset()
	if e.Now() != 0 || e.Pending() != 0 {
		t.Fatalf("after Reset: now=%v pending=%d", e.Now(), e.Pending())
	}
	e.At(1, k, 0, 0, 0)
	if err := e.Run(); err != nil || e.Now() != 1 {
		t.Fatalf("run after reset: now=%v err=%v", e.Now(), err)
	}
}

// eventQueue is what both queue implementations offer the engine.
type eventQueue interface {
	push(Event)
	pop() Event
	len() int
}

// TestQueuesMatchSort is a property: any sequence of monotone pushes (never
// before the last pop, as the engine guarantees) and pops yields events in
// (At, scheduling) order, like a stable sort, for both queues. Each event
// carries its scheduling number in Arg.
func TestQueuesMatchSort(t *testing.T) {
	for name, mk := range map[string]func() eventQueue{
		"4ary":   func() eventQueue { return &queue{} },
		"radix":  func() eventQueue { return &radixQueue{} },
		"radix2": func() eventQueue { return &radix2Queue{} },
	} {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				q := mk()
				var ref []Event
				var seq uint64
				var now clock.Time
				ops := rapid.SliceOfN(rapid.Int64Range(-1, 1<<40), 1, 300).Draw(t, "ops")
				for _, op := range ops {
					if op < 0 {
						if len(ref) == 0 {
							continue
						}
						got := q.pop()
						sort.SliceStable(ref, func(i, j int) bool { return ref[i].At < ref[j].At })
						if got.At != ref[0].At || got.Arg != ref[0].Arg {
							t.Fatalf("pop = (%d,%d), want (%d,%d)", got.At, got.Arg, ref[0].At, ref[0].Arg)
						}
						now = got.At
						ref = ref[1:]
						continue
					}
					// Small offsets make many equal times; large ones use high bits.
					off := op % 4
					if op%3 == 0 {
						off = op
					}
					ev := Event{At: now + clock.Time(off), Arg: int64(seq)}
					seq++
					q.push(ev)
					ref = append(ref, ev)
				}
				if q.len() != len(ref) {
					t.Fatalf("len = %d, want %d", q.len(), len(ref))
				}
			})
		})
	}
}

// TestRadixQueueMatchesSort is TestQueuesMatchSort's property with the
// engine's other moves on the radix queue: head without pop (pushes may
// then precede the run), bursts of equal times that fill several chunks,
// and times spread over one level or over many, so that every path of
// refill (take a small bucket, take a level-0 bucket, redistribute) and of
// push (into the run or into a bucket) runs.
func TestRadixQueueMatchesSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := &radixQueue{}
		var ref []Event
		var seq int64
		var now clock.Time
		scale := rapid.SampledFrom([]int64{1, 1000, 1 << 20, 1 << 40}).Draw(t, "scale")
		for range rapid.IntRange(1, 400).Draw(t, "steps") {
			sort.SliceStable(ref, func(i, j int) bool { return ref[i].At < ref[j].At })
			switch op := rapid.IntRange(0, 5).Draw(t, "op"); {
			case op <= 1 && len(ref) > 0:
				var got Event
				if op == 0 {
					got = q.pop()
				} else {
					got = *q.head()
				}
				if got.At != ref[0].At || got.Arg != ref[0].Arg {
					t.Fatalf("op %d = (%d,%d), want (%d,%d)", op, got.At, got.Arg, ref[0].At, ref[0].Arg)
				}
				if op == 0 {
					now, ref = got.At, ref[1:]
				}
			default:
				at := now + clock.Time(rapid.Int64Range(0, 3).Draw(t, "off")*rapid.Int64Range(0, scale).Draw(t, "mul"))
				if op == 5 { // the next digit boundary, where a bucket's range ends
					w := clock.Time(1) << levelShift[rapid.IntRange(1, 3).Draw(t, "level")]
					at = (now/w + 1) * w
				}
				for range rapid.SampledFrom([]int{1, 1, 1, 2, 17, 40}).Draw(t, "burst") {
					ev := Event{At: at, Arg: seq}
					seq++
					q.push(ev)
					ref = append(ref, ev)
				}
			}
			if q.len() != len(ref) {
				t.Fatalf("len = %d, want %d", q.len(), len(ref))
			}
		}
	})
}

// TestEngineMatchesSort is the same property through the engine: its
// Schedule (which writes the queue's push out) from inside handlers, and
// RunUntil stopping at drawn times, pop in (At, scheduling) order.
func TestEngineMatchesSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := NewEngine(Limits{})
		var ref []Event // pending events, in scheduling order
		var seq int64
		scale := rapid.SampledFrom([]int64{1, 1000, 1 << 20, 1 << 40}).Draw(t, "scale")
		var k Kind
		schedule := func(now clock.Time) {
			for range rapid.IntRange(0, 3).Draw(t, "fan") {
				at := now + clock.Time(rapid.Int64Range(0, 3).Draw(t, "off")*rapid.Int64Range(0, scale).Draw(t, "mul"))
				for range rapid.SampledFrom([]int{1, 1, 1, 2, 9, 40}).Draw(t, "burst") {
					e.At(at, k, 0, 0, seq)
					ref = append(ref, Event{At: at, Arg: seq})
					seq++
				}
			}
		}
		ran := 0
		k = e.Register("check", func(ev *Event) {
			sort.SliceStable(ref, func(i, j int) bool { return ref[i].At < ref[j].At })
			if ev.At != ref[0].At || ev.Arg != ref[0].Arg {
				t.Fatalf("ran (%d,%d), want (%d,%d)", ev.At, ev.Arg, ref[0].At, ref[0].Arg)
			}
			ref = ref[1:]
			if ran++; ran < 300 {
				schedule(ev.At)
			}
		})
		schedule(0)
		for e.Pending() > 0 {
			if err := e.RunUntil(e.NextAt() + clock.Time(rapid.Int64Range(0, scale).Draw(t, "until"))); err != nil {
				t.Fatal(err)
			}
		}
		if len(ref) != 0 {
			t.Fatalf("%d events never ran", len(ref))
		}
	})
}

func TestDeriveIsStable(t *testing.T) {
	a := Derive(42, "governor", 7).Uint64()
	b := Derive(42, "governor", 7).Uint64()
	if a != b {
		t.Fatal("same (seed, label, id) gave different streams")
	}
	distinct := map[uint64]string{}
	for _, c := range []struct {
		seed  uint64
		label string
		id    uint64
	}{{42, "governor", 7}, {42, "governor", 8}, {42, "churn", 7}, {43, "governor", 7}, {0, "", 0}, {0, "", 1}} {
		v := Derive(c.seed, c.label, c.id).Uint64()
		if prev, dup := distinct[v]; dup {
			t.Fatalf("streams %v and %s collide", c, prev)
		}
		distinct[v] = c.label
	}
	// Pinned value: a change to the derivation reshuffles every run's
	// randomness and must be a deliberate, visible decision.
	if s1, s2 := DeriveSeed(1, "governor", 0); s1 != 0x720dfb7f1f0b34d9 || s2 == 0 {
		t.Logf("DeriveSeed(1, governor, 0) = %#x, %#x", s1, s2)
		t.Fatal("the seed derivation changed; update the pinned value only on purpose")
	}
}

// heapQueue is container/heap over the same events, the baseline the 4-ary
// heap is measured against.
type heapQueue []seqEvent

func (h heapQueue) Len() int           { return len(h) }
func (h heapQueue) Less(i, j int) bool { return less(&h[i], &h[j]) }
func (h heapQueue) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *heapQueue) Push(x any)        { *h = append(*h, x.(seqEvent)) }
func (h *heapQueue) Pop() any {
	old := *h
	ev := old[len(old)-1]
	*h = old[:len(old)-1]
	return ev
}

// The hold model: a queue of `size` pending events; each step pops the
// earliest and pushes one a random delay later, as a simulation does.
const holdSize = 100_000

// benchHold runs the hold model on q; generic rather than through the
// eventQueue interface so that the calls are direct, as in the engine.
func benchHold[Q interface {
	*queue | *radixQueue | *radix2Queue
	push(Event)
	pop() Event
}](b *testing.B, q Q) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < holdSize; i++ {
		q.push(Event{At: clock.Time(rng.Int64N(int64(time.Second)))})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := q.pop()
		ev.At += clock.Time(rng.Int64N(int64(100 * time.Millisecond)))
		q.push(ev)
	}
}

func BenchmarkQueue4aryHold(b *testing.B)   { benchHold(b, &queue{}) }
func BenchmarkQueueRadixHold(b *testing.B)  { benchHold(b, &radixQueue{}) }
func BenchmarkQueueRadix2Hold(b *testing.B) { benchHold(b, &radix2Queue{}) }

func BenchmarkQueueContainerHeapHold(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := &heapQueue{}
	var seq uint64
	for i := 0; i < holdSize; i++ {
		heap.Push(h, seqEvent{Event{At: clock.Time(rng.Int64N(int64(time.Second)))}, seq})
		seq++
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev := heap.Pop(h).(seqEvent)
		ev.At += clock.Time(rng.Int64N(int64(100 * time.Millisecond)))
		ev.seq = seq
		seq++
		heap.Push(h, ev)
	}
}

// BenchmarkEngineHold measures the whole engine loop: dispatch plus queue.
func BenchmarkEngineHold(b *testing.B) {
	e := NewEngine(Limits{})
	rng := rand.New(rand.NewPCG(3, 4))
	var k Kind
	k = e.Register("hold", func(ev *Event) {
		e.At(ev.At+clock.Time(1+rng.Int64N(int64(100*time.Millisecond))), k, ev.Node, 0, 0)
	})
	for i := 0; i < holdSize; i++ {
		e.At(clock.Time(rng.Int64N(int64(time.Second))), k, int32(i), 0, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.RunUntil(e.NextAt())
	}
}

// TestEventSize: an event is half a cache line; the queue moves each one
// several times, so growing it costs every run.
func TestEventSize(t *testing.T) {
	if s := unsafe.Sizeof(Event{}); s != 32 {
		t.Errorf("Event is %d bytes, want 32", s)
	}
}
