// Package policies will hold the pluggable peer-selection decisions: the
// pickers (which peers to promote, demote, forget, ask), churn schedules,
// and the named policies (cardano production, close-random CxRy,
// two-groups, peer-score, static random, poldercast), with a registry by
// name. Policies receive sorted candidates, a read-only view of each and a
// random source as a parameter; they hold no hidden random state.
//
// The governor (package node) now takes its picks from a node.Policy;
// node.CardanoPolicy is the production one. The named research policies
// and their registry come here next (issue 5); the package exists now so
// the determinism architecture test (sim/arch_test.go) guards it from the
// start.
package policies
