// Package poldercast is the PolderCast overlay that Cardano's Incentivized
// Testnet (Jörmungandr 0.8) ran before Dynamic P2P, kept as a baseline to
// compare the Dynamic P2P policies with (seed 003; spec/poldercast.md,
// cited below as §n).
//
// Every node has a Profile: a 64-bit position on a circular id space and
// its interest (None, Low, Normal, High) in the two topics, Messages and
// Blocks. Three gossip modules build its views, each every Interval:
//
//   - Cyclon: a uniform random sample that keeps the overlay connected;
//   - Vicinity: neighbours close by proximity (§1), which feed Rings and
//     give the dissemination shortcuts;
//   - Rings: per subscribed topic, the Ring/2 nearest successors and
//     predecessors on the id ring.
//
// Two modes (Params.Mode):
//
//   - Paper follows the papers (§2, §6.2–6.5): ages, the Cyclon swap with
//     proactive removal of the gossip target, Vicinity ranked by the
//     node's topic priorities (Ring minus the filled ring slots), rings
//     by clockwise distance with wrap-around, and every gossip carrying
//     the sender's fresh descriptor, so dead links fade within about a
//     view length of rounds. An event goes, from a ring neighbour, to the
//     other ring neighbour and Fanout−1 random subscribed Vicinity
//     neighbours; otherwise to both ring neighbours and Fanout−2 (each
//     holder sends at most Fanout messages). The ring alone reaches every
//     subscriber; the shortcuts shorten the path.
//   - ITN copies poldercast 0.11.4+ as jormungandr 0.8.15+ used it (§2
//     "what jorm-0.8 actually does", §3, §4, §6.6): a table of known
//     nodes and no ages; all layers redrawn from the table after gossip
//     (Cyclon a uniform sample; Vicinity the *least* proximate nodes,
//     shuffled; rings the two nearest ids below and the two *highest* ids
//     above, no wrap-around); a one-way push of a fresh gossip to the
//     whole view every Interval; blocks announced to the whole merged
//     view (sender included); a single failed connection quarantines a
//     node for Quarantine, lifted by gossip about it afterwards.
//
// PeerMap models the connections both modes pay for: an LRU of outbound
// connections (256), a handshake round trip before the first message.
//
// Simplifications, documented where they are made: profiles are
// unversioned and ids are uint64 (not 24 bytes); ITN layers are rebuilt
// lazily, once before their next use after a gossip, which gives the same
// views in distribution; the table is unbounded (the 10,240 LRU is never
// reached below that many nodes); unreachable (NAT) nodes, the preferred
// list and the whitelist are not modelled; the 0.10.1 order (no shuffle)
// is not modelled.
//
// The package is pure: methods take the acting node and its random
// source, keep no random state, iterate no map, and break every tie by
// profile id or node index, so a run depends only on its seed. Package sim/world
// drives it (world.PolderCastConfig): it schedules the gossip rounds and
// messages over the latency model and turns the dissemination targets
// into header announcements.
package poldercast
