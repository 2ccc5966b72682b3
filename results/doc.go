// Package results observes a dpsim run and writes what it saw: per-block
// adoption and header arrival times, nearest-rank percentiles, the pooled
// CDFs, run counters, run metadata, and CDF plots (PNG and SVG, drawn with
// gonum/plot).
//
// Beside the Collector: PeerSeries (peers.csv), AttackSeries (what
// attackers capture, adversary.csv), and SweepTable, a sweep's runs
// merged (sweep.csv, sweep.md and a plot per axis).
//
// It is a read-only observer: the engine calls into a Collector
// (BlockMade, Adopted, HeaderArrived, Count) and nothing here feeds back
// into the run, so
// adding or removing an output can never change a simulation. It imports
// clock and netmodel only (netmodel for the god's-view bound), never sim,
// node, scenarios or cmd.
//
// # Adoption times
//
// The adoption time of (block, node) is the virtual time the node adopted
// the block minus the start of the block's slot, truncated to whole
// microseconds; the producer's own adoption time is its forging delay.
//
// The header arrival time of (block, node) is, in the same unit, the
// earliest time the engine reported the node taking up the block's header
// (HeaderArrived; the first report, as the engine reports in time order).
// The producer has none. A node may have a header arrival for a block it
// never adopts (it lost a slot battle, the run ended) and, in principle,
// adopt a block without one.
//
// A Collector keeps one dense []int32 per block, allocated at BlockMade,
// of two halves indexed by node: adoption times, then header arrival times
// (-1 = none). int32 µs halves the memory of int64 (10,000 nodes × 4,320
// blocks is 346 MB for both halves) and spans 2,147 s; later times
// saturate there and are counted in summary.json's "saturated" and
// "header_saturated".
//
// # Percentiles
//
// Percentiles are nearest-rank, as benchmarks/flood/MODEL.md §5 defines
// them: the percentile p of N samples is the ⌈p·N/100⌉-th smallest (1-based),
// computed in integers, so every reported value is a sample. The samples are
// the adoptions that happened: nodes that never adopted a block (a lost slot
// battle, the end of the run) are excluded from the percentiles and show
// only in "reached" (per block) and "adoptions"/"unreached" (pooled). The
// header arrival percentiles are computed the same way over the header
// arrivals that happened. The pooled statistics over all (block, node)
// pairs are exact, computed by a two-level histogram rather than by sorting
// a copy of every sample.
//
// # Outputs and determinism
//
// One writer per part of a run's folder: WriteMeta (meta.json),
// WriteSummary (summary.json), WriteBlocks (blocks.csv), WriteCDF (cdf.csv,
// cdf.png, cdf.svg), WriteArrivals (arrivals.csv), and below WritePeers,
// the rounds and the stake tables; the run layer (internal/run) names
// these parts and writes the same set for every command. docs/outputs.md
// describes every column and key. Every file is written atomically (temporary file in the
// same folder, then rename), so a failure never leaves a partial file.
// Outputs are byte-identical for equal inputs: milliseconds are exact
// decimals of integer µs, other floats use strconv.FormatFloat(x, 'g', -1,
// 64), JSON keys are sorted, counters are kept in name order, no wall-clock
// time is written, and plots are rendered single-threaded from the same
// points, so PlotDir redraws a run's images byte for byte from cdf.csv.
// ReadCDF still reads the two-column cdf.csv of older builds, and PlotDir
// draws it as they did.
//
// WritePeers writes peers.csv, peers.png and peers.svg from a PeerSeries
// (p2p runs), which keeps per sample one node count per class and a
// {min, max, sum} per (class, metric): 24 bytes per cell whatever the node
// count. PlotPeersDir redraws the images from peers.csv.
//
// # Warm-up, rounds and comparisons
//
// SetWarmup leaves the blocks made before the warm-up's end out of the
// pooled statistics. Windows cuts a run into convergence rounds
// (WriteRoundsCSV, PlotRounds: rounds.csv and rounds.png). Compare
// summarises several policies' runs over seeds (mean, 95 % Student-t
// interval, ratio to the bound, rounds to converge); WriteCompare writes
// compare.csv, compare-seeds.csv, compare-rounds.csv, compare-cdf.csv,
// compare.md, compare-cdf.png and compare-rounds.png, whose bytes do not
// depend on the order of the runs; PlotCompareDir redraws the two images
// from the CSVs.
//
// # God's view
//
// GodsView computes, per block, the lower bound on each node's adoption
// time: shortest paths from the producer over the complete latency graph
// with the relay's per-hop cost (spec/research.md). It is a reference
// curve, not a policy or an achievable overlay: every node may forward to
// every other, with no degree limit, no queues and no jitter.
package results
