// Package policies holds the named peer-selection policies that run inside
// the governor of package node, chosen by name in a scenario
// (p2p.policy, compare.policies):
//
//   - cardano: the production policy (node.CardanoPolicy picks, the churn
//     governor, hot demotion by the metrics score; spec/governor.md §3–4);
//   - close-random (CxRy): the x known peers of lowest measured RTT plus y
//     random ones, static after a construction phase that connects to
//     every known peer to measure its RTT over a warm connection;
//   - two-groups: start random; every calibration keep up to Keep hot
//     peers with RTT ≤ Threshold (100 ms) and replace a share of the rest;
//   - peer-score: start random; every calibration replace the bottom
//     Fraction (20 % or 40 %) of hot peers by the number of new headers
//     they delivered first, or with Margin by the SCRamble lead time;
//   - random: K random hot peers, static;
//   - poldercast: not a governor policy but the PolderCast overlay of
//     Cardano's Incentivized Testnet (package poldercast), in mode paper
//     (ring neighbours plus Fanout random shortcuts) or itn (Jörmungandr
//     0.8: announcements to the whole merged view); Build returns
//     Plan.Overlay and the world runs world.PolderCastConfig instead of the
//     governors;
//   - gods-view: not runnable; compare computes it as a lower bound
//     (results.GodsView).
//
// A policy is a node.Policy picker (which peers to connect, activate,
// demote, close, forget) plus, for the research policies, a
// node.CalibrationConfig that moves the targets (construction, periodic
// calibrations) instead of the churn governor, and a node.Replacer that
// says how many hot peers a calibration replaces. Build turns a Spec into
// that Plan. The research policies run with established = active = K, so
// a replaced peer is a new pick from the known set (the ledger peers), and
// "random" means uniform over the known peers.
//
// Pickers follow the node.Policy contract: they receive sorted candidates,
// the governor's read-only view and a random source; they hold no state
// between calls and no random state of their own, and every order they
// produce breaks ties by peer id, so a run depends only on its seed.
package policies
