// Package world wires nodes and networks onto the engine of package sim:
// it turns the nodes' actions into events and events into node inputs.
//
// Its relay graph is static (New's peers), the governors' hot peers
// (Config.P2P, p2p.go: Dynamic P2P), or the PolderCast overlay (Config.PolderCast,
// poldercast.go: gossip rounds, connect-on-demand, and a Forwarder that
// picks each block's announcement targets). What differs between the three
// for the relay sits behind one interface, linkLayer (link.go): whether a
// header is taken up, who learns of a body, whether a request can go, what
// an adoption sets off. Churn and calibration move a governor's targets
// through another, targetsDriver. World.Check holds the world's invariants.
//
// Dynamic P2P's environment is a type of its own, Env (env.go): the
// ledger and public roots with their TTLs, the bearer and its stream, the
// fault streams (drop times, which connection a drop takes, crashes,
// adversarial replies) and the sampled peer metrics. It answers and draws
// but schedules nothing, so tests use it without a World; p2p.go turns its
// answers into events and keeps the relay and its mirrors in step.
//
// Attackers (P2PConfig.Attacks, attack.go) run the same stack and break
// it in chosen ways: an eclipse attacker names only attackers in peer
// sharing and announces honest blocks late or never (or, going dark,
// relays them until it holds a node and then hides them); a withholder never
// serves a body, so its asker waits block-fetch's time limit (a world with
// withholders delivers every header as an event); AttackSampler observes
// what they capture.
//
// Messages cross the network model of package netmodel: the latency, then
// either the ideal transport (a body waits for its sender's uplink) or the
// TCP model (a flow per direction of a connection, bounded by the uplink).
//
// Header announcements the receiving relay would ignore are not scheduled;
// those skipped while it was fetching the block are replayed if the fetch
// is lost (sendHeader). What an announcement reads about its receiver is
// kept in one struct per node (receiver), and a header event carries the
// receiver's hot-link epoch so its arrival need not look the link up
// (stillHot): a 10,000-node day makes about 1.1 G announcements.
//
// Every random draw comes from a stream sim.Derive makes from the run's
// master seed. This package must not read the wall clock, start goroutines
// or iterate a map in a decision (sim's architecture test checks it).
package world
