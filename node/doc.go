// Package node is one Cardano node's stack as pure state machines: block
// production (the Praos leader schedule), chain selection and the
// header/body relay. Later the peer selection governor, churn governor and
// peer metrics join it here.
//
// A node never schedules events, reads a clock or sends anything itself:
// every handler takes the current time as an argument and appends Actions
// (send a header, request bodies, send a body, wake me after a delay, I
// adopted a block) to an Outbox that the engine (package sim) carries out.
// So the node is testable without an engine, and package node never imports
// sim.
//
// The relay follows the Cardano pattern (chain-sync and block-fetch, seed
// 001 and spec/research.md): a node that adopts a block announces its header
// to every downstream peer; a downstream node validates the header and, if
// the block would make a better chain, requests the body (with any missing
// ancestors) from the first peer that announced it, validates the body and
// adopts it, and announces it on. Chain selection is Praos's longest chain,
// with equal-length ties broken by the lower leader VRF value.
//
// Per-hop cost without contention, from u's adoption to v's:
//
//	L(u,v)              header, one way
//	+ headerValidation
//	+ L(v,u)            request, one way
//	+ queue + S(body)   body serialisation on u's uplink (a FIFO)
//	+ L(u,v)            body, one way
//	+ bodyValidation
//
// Headers and requests are small (≤ 1,100 bytes: 0.09 ms at 100 Mbit/s) and
// travel as latency only; bodies occupy the sender's uplink.
//
// Parts of the Dynamic P2P governor (issue 4) that stand on their own:
//
//   - targets.go: the seven targets with the sanity rule and the production
//     defaults (spec/governor.md §1.3), and the counters churn waits on;
//   - churn.go: the churn governor (spec §3), a pure state machine that
//     rewrites targets in the 12-step cycle every 3300 s + U(0, 600 s)
//     (900 s + U(0, 60 s) in bulk sync); the governor applies only sane ones;
//   - metrics.go: per node, which peer delivered each of the last 180 block
//     slots' header and body first (spec §4), and the hot-demotion order:
//     lowest score first, then no or earlier joined slot, then a random draw.
//
// The peer tables and the governor's decision loop that use them come next.
//
// Rules: no wall clock, goroutines, global randomness or map iteration; all
// randomness comes from streams passed in.
package node
