// Package sim is dpsim's discrete-event engine, and nothing else: it knows
// no protocol, and imports no node, network, policy, scenario or results
// package (TestEngineLayering). The world that wires nodes and networks
// onto it is package sim/world.
//
// One single-threaded Engine holds one event queue (a radix heap, radix.go)
// ordered by time and, at equal times, by scheduling order, which the radix
// queue keeps without a sequence number: two events at the same instant run
// in the order they were scheduled, on every machine. Time jumps from event
// to event; scheduling in the past panics because it is always a
// programming error.
//
// Events are small values (no closures, no interfaces), dispatched to a
// handler chosen by their Kind, so the steady state allocates nothing per
// event. Timers are cancelled by generation numbers: a cancelled or re-armed
// timer leaves its old event in the queue, and the stale wake-up is ignored
// when it fires, so the queue never needs arbitrary deletion.
//
// Every run is bounded: the queue length and the number of events at one
// instant (a livelock detector) have limits, and exceeding one stops the run
// with an error rather than a hang.
//
// Randomness comes only from streams derived from the run's master seed with
// Derive(master, label, id); adding a node or a component never reshuffles
// another component's stream.
//
// This package must not read the wall clock, start goroutines or use global
// random sources; its architecture test (arch_test.go) enforces that for
// every core package, and that the engine stays below the domain packages.
package sim
