// Package run is dpsim's one run layer: every command that simulates
// (run, compare, and the sweeps built on them) builds, executes and writes
// its runs here, so the same run writes the same files whichever command
// asked for it.
//
//   - Prepare builds a scenario for a seed with the observers the wanted
//     outputs need (a Job); Job.Execute runs it, cancellable through its
//     context between two simulated minutes; Run does both.
//   - A Result's outputs are named parts (Part: summary, blocks, cdf,
//     rounds, stake, peers, adversary, arrivals), each owning its files; Result.Write
//     stages them inside the output folder and moves them in, so a failure
//     leaves the folder's files as they were and no move crosses a file
//     system; CheckOut tells before a run whether a folder can take them.
//   - EstimateCost gives a run's events, memory and wall time from the
//     scenario's size; CheckMemory refuses a run the machine cannot hold.
//   - Swarm draws a random small scenario from a seed and runs it with
//     skipped and with exact header delivery, every invariant checked,
//     comparing the outputs (dpsim swarm).
//   - Compare runs a scenario's policies over seeds on several goroutines
//     (one run each: a run's simulation stays single-threaded) and collects the
//     results by index, never by finishing order; Comparison.Write writes
//     the tables, plots and, when kept, every run's parts.
//   - Sweep runs a sweep's runs (or one shard's) Jobs at a time, each
//     written into its own folder and renamed into place when complete,
//     so shards share a folder and a rerun skips what is done; Merge
//     gathers the runs into sweep.csv, sweep.md and plots, the same bytes
//     whether the runs came from one process or many.
//   - The god's-view bound takes the relay's cost per hop from the built
//     world (results.HopCostOf), never from scenario fields.
//   - A run with a core to spare (FreeCore: GOMAXPROCS at least twice the
//     runs at once) applies its peer-metrics reports on a second goroutine
//     (Options.Feed, package internal/feed); the world waits for it before
//     any read of the metrics, so the outputs are the same either way.
//
// The package sits between the command line and the packages it calls
// (scenarios to decode and build, results to observe and write): it holds
// no presentation (cmd prints) and no model (sim/world runs). Wall-clock
// time is read only to report how long a comparison's run took.
package run
