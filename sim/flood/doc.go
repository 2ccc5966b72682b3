// Package flood implements the cross-simulator block-flood benchmark of
// ../shared/benchmarks/flood/MODEL.md (v1) on dpsim's own engine (sim) and
// network model (netmodel): the same event queue and the same uplink FIFO
// that full runs use, with no separate fast path. The latencies come from
// the case's netmodel edge list, copied at set-up into one array of
// (neighbour, latency) pairs per row, the layout ns-3's side uses too.
//
// Each block is an independent simulation from an empty state at time 0.
// The three model events map one to one onto engine events:
//
//	FORWARD(u)       node u starts sending at r(u)
//	TXDONE(u, k)     copy k leaves u's uplink (variant B only)
//	DELIVER(v, u)    a copy from u reaches v
//
// Times are whole microseconds in the model and nanoseconds in the engine;
// every model time is an exact multiple of 1000 ns, so nothing is rounded.
// The tie rule (the parent is the smallest sender among copies arriving at
// exactly t(v)) is applied on delivery, as MODEL.md §4 specifies.
//
// Generate makes new cases with the generator of MODEL.md §2. It draws from
// dpsim's own PCG stream, not numpy's, so it makes cases of the same
// distribution but not the same files as the reference generator: the case
// files, not the generator, are the reference.
package flood
