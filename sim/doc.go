// Package sim is dpsim's discrete-event engine.
//
// One single-threaded Engine holds one event queue (a radix heap, radix.go)
// ordered by time and, at equal times, by scheduling order, which the radix
// queue keeps without a sequence number: two events at the same instant run
// in the order they were scheduled, on every machine. Time jumps from event to event; scheduling in the past panics
// because it is always a programming error.
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
// The World wires nodes to the engine. Its relay graph is static (NewWorld's
// peers), the governors' hot peers (WorldConfig.P2P, p2p.go), or the
// PolderCast overlay (WorldConfig.PolderCast, poldercast.go: gossip rounds,
// connect-on-demand, and a Forwarder that picks each block's announcement
// targets).
//
// Header announcements the receiving relay would ignore are not scheduled;
// those skipped while it was fetching the block are replayed if the fetch
// is lost (sendHeader). What an announcement reads about its receiver is
// kept in one struct per node (receiver), and a header event carries the
// receiver's hot-link epoch so its arrival need not look the link up
// (stillHot): a 10,000-node day makes about 1.1 G announcements.
//
// Randomness comes only from streams derived from the run's master seed with
// Derive(master, label, id); adding a node or a component never reshuffles
// another component's stream.
//
// This package must not read the wall clock, start goroutines or use global
// random sources; sim's architecture test enforces that for every core package.
package sim
