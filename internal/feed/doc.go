// Package feed applies a run's peer-metrics reports on a second goroutine
// (world.ReportFeed): the one place a run uses a second core.
//
// A 10,000-node day makes about 900 M peer-metrics reports, and applying
// them (node.MetricsLog) is a fifth of the simulation's time, most of it
// cache misses on 10,000 nodes' tables. The reports only feed the hot
// demotion order, read a few hundred thousand times a day, so the
// simulation adds them to batches, hands each over when full and goes on;
// before any read the world waits (Wait) until every report added is
// applied. The log
// then holds exactly what it would hold had the simulation applied each
// report itself, in the same order: the outputs are the same with or
// without a feed, under any GOMAXPROCS (TestFeedExact, and the run
// layer's determinism tests).
//
// The hand-over is a single-producer, single-consumer ring of batches
// with two counters (handed, applied). The consumer polls briefly when
// the ring is empty, then sleeps until the next batch wakes it (batches
// come a few hundred microseconds apart in a 10,000-node run). Nothing
// here decides anything about the run: the core packages stay
// single-threaded.
package feed
