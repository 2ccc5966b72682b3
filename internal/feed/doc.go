// Package feed applies a run's peer-metrics reports on a second goroutine
// (world.ReportFeed): the one place a run uses a second core.
//
// A 10,000-node day makes about 900 M peer-metrics reports, and applying
// them (node.MetricsLog) is a fifth of the simulation's time, most of it
// cache misses on 10,000 nodes' tables. The reports only feed the hot
// demotion order, read a few hundred thousand times a day, so the
// simulation hands them over in batches and goes on; before any read the
// world waits (Wait) until every batch handed over is applied. The log
// then holds exactly what it would hold had the simulation applied each
// report itself, in the same order: the outputs are the same with or
// without a feed, under any GOMAXPROCS (TestFeedExact, and the run
// layer's determinism tests).
//
// The hand-over is a single-producer, single-consumer ring of batches
// with two counters (handed, applied). The consumer spins a while when
// the ring is empty, as the next batch usually comes within tens of
// microseconds, then sleeps until woken. Nothing here decides anything
// about the run: the core packages stay single-threaded.
package feed
