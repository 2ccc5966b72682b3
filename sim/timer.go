package sim

import "github.com/dpsim/dpsim/clock"

// Timer is a cancellable wake-up. Arming it schedules an event carrying the
// timer's new generation; cancelling or re-arming bumps the generation so the
// old event is recognised as stale when it fires. The zero Timer is disarmed.
type Timer struct {
	gen   uint32
	at    clock.Time
	armed bool
}

// Arm (re)schedules the timer to fire at t as an event of kind k for node.
// Any earlier arming is cancelled.
func (e *Engine) Arm(tm *Timer, t clock.Time, k Kind, node int32, arg int64) {
	tm.gen++
	tm.at, tm.armed = t, true
	e.Schedule(Event{At: t, Kind: k, Node: node, Arg: arg, Gen: tm.gen})
}

// Cancel disarms the timer; its pending event becomes stale.
func (tm *Timer) Cancel() {
	tm.gen++
	tm.armed = false
}

// Armed reports whether the timer is armed, and for when.
func (tm *Timer) Armed() (clock.Time, bool) { return tm.at, tm.armed }

// Fire reports whether ev is the timer's live wake-up, and disarms it if so.
// Handlers call it first and return at once on false.
func (tm *Timer) Fire(ev *Event) bool {
	if !tm.armed || ev.Gen != tm.gen {
		return false
	}
	tm.armed = false
	return true
}
