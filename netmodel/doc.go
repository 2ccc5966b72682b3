// Package netmodel is dpsim's network model: latency sources, uplink
// serialisation, jitter and the connection layer (bearer). It answers
// questions ("when does this arrive", "does this connect, and when") as
// pure functions of its inputs; it never schedules events and keeps no
// hidden global state, so the engine (package sim) turns its answers into
// events.
//
// Latency sources implement Latency (one-way latency between node ids):
//
//   - Geo, the built-in default: nodes placed in 87 real cities weighted by
//     the Cardano pool population (../shared/data/cardano-pools), latency =
//     Base + km·Stretch/200 km/ms + the two nodes' access delays, with the
//     constants fitted to RIPE Atlas country-to-country RTTs (see
//     DefaultGeoParams and calibration_test.go);
//   - Matrix, a dense one-way matrix, read from a full N×N CSV in ms by
//     ReadMatrixCSV;
//   - EdgeList, an undirected graph with a latency per link, read from an
//     `a,b,latency_ms` CSV by ReadEdgeListFile (the flood benchmark's
//     edges.csv is such a file).
//
// Uplink is a node's serial FIFO, exactly the serial uplink of the flood
// benchmark (MODEL.md §3.4). Jitter draws once per message, or not at all
// when off, so turning it on never shifts another stream. Bearer is a pure
// table of connections: at most one live connection per pair, duplex reuse,
// a handshake of HandshakeRTTs round trips, accept limits 512/384 with the
// linear 0–5 s accept delay and pruning (spec/governor.md §7), and a 60 s
// time-wait.
//
// All times are integers (clock.Time, time.Duration); the geographic table
// is computed once in floating point and rounded to µs, so its latencies are
// identical on every machine of one GOARCH.
package netmodel
