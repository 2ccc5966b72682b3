// Package node is one Cardano node's stack as pure state machines: block
// production (the Praos leader schedule), chain selection, the header/body
// relay, and Dynamic P2P's peer selection governor, churn governor and
// peer metrics.
//
// A node never schedules events, reads a clock or sends anything itself:
// every input goes in through one door, Node.Step(now, RelayInput, out) for
// the relay as Governor.Step for the governor, and the node appends Actions
// (send a header, request bodies, send a body, wake me after a delay, I
// adopted a block) to an Outbox that the world (package sim/world) carries
// out. The relay's peer list is its own, fed by inputs (RelayPeerUp,
// RelayPeerDown). So the node is testable without an engine, and package
// node never imports sim.
//
// The relay follows the Cardano pattern (chain-sync and block-fetch, seed
// 001 and spec/research.md): a node that adopts a block announces its header
// to every downstream peer; a downstream node validates the header and, if
// the block would make a better chain, requests the body (with any missing
// ancestors) from the first peer that announced it, validates the body and
// adopts it, and announces it on. Chain selection is Praos's longest chain,
// with equal-length ties broken by the lower leader VRF value. Bodies
// validate one at a time, each for BodyValidation +
// ⌊BodyValidationPerKiB·Block.Bytes/1024⌋ (RelayConfig.BodyValidationOf):
// bv(b) below.
//
// Per-hop cost without contention, from u's adoption to v's:
//
//	L(u,v)              header, one way
//	+ headerValidation
//	+ L(v,u)            request, one way
//	+ queue + S(body)   body serialisation on u's uplink (a FIFO)
//	+ L(u,v)            body, one way
//	+ bv(b)
//
// Headers and requests are small (≤ 1,100 bytes: 0.09 ms at 100 Mbit/s) and
// travel as latency only; bodies occupy the sender's uplink.
//
// With RelayConfig.Pipelining (cardano-node's diffusion pipelining, ≥ 8.x)
// a node announces a header when its validation ends, if the block
// extends its tip (its parent is the tip), to every peer but the sender,
// and does not announce it again at adoption; other blocks (fork
// siblings, children of blocks still in flight) are announced at adoption
// as before. It serves a body from ServeDelay after the body arrived
// (WakeServe, onBodyServable) or from its adoption, whichever is first; a
// request that comes earlier, for a block it is fetching or validating, is
// kept and served then, kept requests in arrival order. Headers then run
// ahead at L(u,v) + headerValidation a hop; for a block u announced early,
// with B(u) u's body arrival and H(v) = H(u) + L(u,v) + headerValidation
// v's header validation end (its request leaves then):
//
//	B(v) = max(B(u) + min(ServeDelay, bv(b)),   u can serve
//	           H(v) + L(v,u))                   v's request is at u
//	       + queue + S(body) + L(u,v)
//	adoption at v: B(v) + bv(b)
//
// so where the request waits at u, a hop costs min(ServeDelay, bv(b)) +
// queue + S(body) + L(u,v) from body to body instead of the sum above,
// and adoptions follow their bodies by bv(b) each (measured on a 52-node
// cluster: ServeDelay 45.5 ms, bv 84.6 ms). A node forgets its kept
// requests at a restart, and those of a peer at dropFrom; a kept request for
// a block that left the work list without joining the chain waits until
// the block is fetched again, or is abandoned (counted by Abandoned) once
// the tip beats it; Waiting counts the kept requests.
//
// The Dynamic P2P governor (spec/governor.md §1–4, §6, §7):
//
//   - peers.go: the peer table, one record per known peer (temperature,
//     in-progress bits, fail count, tepid, advertise, peer-sharing flag,
//     backoff and cooldown times, source: local root group, public config
//     root, bootstrap, ledger, big ledger, shared, inbound), a slice sorted
//     by id with a dense mirror of the ids: lookups are binary searches
//     over the ids and iteration is in id order;
//   - governor.go, gov_input.go, gov_decide.go: the outbound governor as a
//     pure state machine. Step(now, input, out) applies one input (a job
//     result, an asynchronous demotion, a target change, an inbound
//     connection, a protocol violation), then takes every enabled decision
//     in the reference order (big ledger peers, root peers, known,
//     established, active; promotions before demotions; big ledger peers,
//     then local roots, then others) and returns its next wake-up time,
//     which, as in the reference, counts only the times of decisions that
//     are short of their targets. Asynchronous work is an action now (ActConnect, ActActivate,
//     ActShareRequest, ...) and an input later, recorded in the in-progress
//     bits at decision time so no decision repeats it;
//   - pick.go: the Policy interface (which peers to promote, demote,
//     forget, ask) and CardanoPolicy, the production picks (random keys,
//     tepid and failure biases, hot demotion by metrics score);
//   - gov_trace.go: the decisions' trace (GovOutbox.Tracing): each step
//     can record what it decided and why, with the counts and target that
//     enabled it, as the reference governor's trace does; off, it costs
//     nothing, and on, it changes no decision (a rapid shadow checks);
//   - gov_lsj.go: the ledger-state judgement (InJudgement) and what
//     depends on it (§1.4, §2.9): with bootstrap peers, TooOld is the
//     sensitive state (targets 0 and local roots dropped until the node
//     has quiesced, then churn's targets and the trustable local roots;
//     no peer sharing or big ledger peers; root requests for bootstrap
//     peers; ActCriticalTimeout if not quiesced in 15 min), and the
//     association mode and outbound (trusted) state reported to consensus;
//   - gov_check.go: the state invariants of assertPeerSelectionState (§6.1);
//   - targets.go: the seven targets with the sanity rule and the production
//     defaults (§1.3), and the counters churn waits on;
//   - churn.go: the churn governor (§3), a pure state machine that rewrites
//     targets in the 12-step cycle every 3300 s + U(0, 600 s)
//     (900 s + U(0, 60 s) in bulk sync); the governor applies only sane ones;
//   - metrics.go, metrics_table.go: per node, which peer delivered each of
//     the last 180 block slots' header and body first (§4), in two windowed
//     tables, and each peer's win counts and joined-at slot;
//   - metrics_scores.go: the reads of the metrics: scores and the
//     hot-demotion order (lowest score first, then no or earlier joined
//     slot, then a random draw); for the research policies also the lead
//     over the second deliverer (HeaderMargin, the SCRamble score);
//   - metrics_log.go: reports of many nodes can share one queue
//     (MetricsLog) of 16-byte entries, applied by groups of nodes when full
//     and per node before any read, with the same state as applying each
//     at once;
//   - fetchmode.go: ChurnMode, the block-fetch mode that churn and the
//     hot-demotion order read;
//   - calibrate.go: the research policies' target driver (package
//     policies): an optional construction phase, then calibrations that
//     replace n hot peers by lowering and restoring the active and
//     established targets together; it replaces churn for those policies.
//     Peer.RTT keeps the handshake's round-trip time for policies that rank
//     peers by distance.
//
// Where this model simplifies the reference, and why:
//
//   - peer-sharing replies are merged as they arrive instead of in a 3 s
//     batch (the difference is at most the batch wait);
//   - the big-ledger request registers a wake-up at its retry time while
//     big ledger peers are short (the reference relies on another event
//     to wake it, spec §2.3);
//   - fail counts due to clear are cleared by the next Step rather than at
//     their time (nothing reads them in between);
//   - the judgement is an input the world gives; without UseBootstrap
//     the configured bootstrap peers are known from the start as a root
//     source that is never forgotten for failing (as before the judgement
//     was modelled), with it they come only from root requests in the
//     sensitive state; the critical timeout fires at its time, not at the
//     next loop; Genesis's target swap on a judgement change is left to
//     churn (ChurnGenesis); see gov_lsj.go;
//   - local-root groups are clamped in configuration order (the
//     reference's Set.take keeps the lowest addresses).
//
// Tests: governor_rapid_test.go runs the governor against a model
// environment under rapid and checks the §6.1 invariants, job bookkeeping,
// backoff, peer-share limits and wake-time completeness after every Step;
// the scripts under testdata/governor and testdata/churn (run by
// governor_script_test.go with internal/datadriven; -rewrite regenerates
// them) drive a governor and the churn cycle input by input and print the
// actions, the trace and the next wake-up, for a reviewer to read against
// spec/governor.md; package sim/world checks whole runs (targets reached and kept, churn cycles,
// failure classes, a one-year soak). relay_pipeline_test.go checks the
// relay with its new fields zero against a frozen copy of the relay of
// before them (relay_legacy_test.go), action for action, and runs a
// pipelining node under rapid as the engine would (no block announced
// twice, no body sent before it is servable, no kept request left that
// could be served).
//
// Rules: no wall clock, goroutines, global randomness or map iteration; all
// randomness comes from streams passed in.
package node
