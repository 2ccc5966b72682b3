package results

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/sim/world"
)

// God's view: the reference curve the churn policies are compared with.
// spec/research.md notes that "god's view" has no published algorithm and
// proposes "the per-block lower bound given by shortest paths over the
// complete latency graph with the same per-hop cost model (every node may
// forward to any node)". That is what this file computes. It is a lower
// bound, not an overlay any policy could reach: every node may forward to
// every other node at once, with no degree limit, no uplink queueing, no
// body-validation queue and no jitter. (Jitter can shorten a latency by
// up to its Fraction, so for a run with jitter the bound holds only for a
// latency model scaled by 1 − Fraction.) With the tcp transport a body's
// cost per hop is its transfer over a connection that was idle before the
// block's header (netmodel.TCPConfig.BodyAfterHeader): blocks 20 s apart
// and a 1 s idle restart make that the usual case, but a block that shares
// warm connections with another (a slot battle, blocks seconds apart) can
// beat the bound. With pipelining the bound forwards headers at header
// validation and bodies once servable, as the relay does.

// Unreached is the GodsViewFrom distance of a node that no chain of
// routable hops leads to from the source (or whose bound would exceed the
// largest time.Duration).
const Unreached time.Duration = math.MaxInt64

// HopCost is the fixed part of the relay's per-hop cost: what one hop u→v
// costs on top of the round trip of latencies. It mirrors node/relay.go and
// sim/world/world.go: u adopts and announces the header (OneWay(u,v)); v
// validates it (HeaderValidation) and requests the body (OneWay(v,u)); u's
// uplink serialises the body (BodyTransmit) which travels OneWay(u,v); v
// validates the body (BodyValidation) and adopts.
type HopCost struct {
	HeaderValidation time.Duration
	BodyValidation   time.Duration
	// BodyTransmit is the body's serialisation delay on the sender's
	// uplink, netmodel.SerialisationDelay(bodyBytes, bitsPerSecond); 0 for
	// unlimited bandwidth.
	BodyTransmit time.Duration
	// HeaderTransmit is the header's serialisation delay (transport tcp,
	// where headers ride the connection too; 0 for ideal).
	HeaderTransmit time.Duration
	// BodyTransfer, when set (transport tcp), replaces BodyTransmit: the
	// time from the body's first byte sent to its last, over a path of
	// round trip rtt (netmodel.TCPConfig.BodyAfterHeader). It must be
	// nondecreasing in rtt.
	BodyTransfer func(rtt time.Duration) time.Duration
	// Pipelining: a node forwards the header after validating it and
	// serves the body ServeDelay after receiving it (or on adoption, if
	// sooner), as the relay does with RelayConfig.Pipelining.
	Pipelining bool
	ServeDelay time.Duration
}

// HopCostOf returns the relay's cost per hop in a world built with cfg:
// its transport and its node timings. When bodies are drawn from sizes
// (cfg.BodySizes) it takes the smallest, so the bound stays a lower bound.
// This is the one place a hop cost is made: every command and test that
// bounds a run asks the built world's configuration.
func HopCostOf(cfg world.Config) HopCost {
	body := cfg.BodyBytes
	if len(cfg.BodySizes) > 0 {
		body = slices.Min(cfg.BodySizes)
	}
	h := HopCost{
		HeaderValidation: cfg.Relay.HeaderValidation,
		BodyValidation:   cfg.Relay.BodyValidationOf(int32(min(body, math.MaxInt32))),
		BodyTransmit:     netmodel.SerialisationDelay(body, cfg.BitsPerSecond),
		Pipelining:       cfg.Relay.Pipelining,
		ServeDelay:       cfg.Relay.ServeDelay,
	}
	if cfg.TCP != nil {
		h.HeaderTransmit = netmodel.SerialisationDelay(cfg.HeaderBytes, cfg.BitsPerSecond)
		h.BodyTransfer = cfg.TCP.BodyAfterHeaderFunc(cfg.HeaderBytes, body, cfg.BitsPerSecond)
	}
	return h
}

// simple reports whether the hop cost is a constant plus latencies (the
// fast path of GodsViewFrom).
func (h HopCost) simple() bool {
	return h.BodyTransfer == nil && !h.Pipelining && h.HeaderTransmit == 0
}

// fixed is the latency-independent part of a hop; it saturates at
// Unreached.
func (h HopCost) fixed() time.Duration {
	return satAdd(satAdd(h.HeaderValidation, h.BodyValidation), h.BodyTransmit)
}

func (h HopCost) validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"HeaderValidation", h.HeaderValidation}, {"BodyValidation", h.BodyValidation}, {"BodyTransmit", h.BodyTransmit},
		{"HeaderTransmit", h.HeaderTransmit}, {"ServeDelay", h.ServeDelay}} {
		if f.d < 0 {
			return fmt.Errorf("results: gods view: hop cost %s = %v: accepted a duration ≥ 0", f.name, f.d)
		}
	}
	return nil
}

// Weight returns the cost of relaying a block over the hop u→v with no
// contention: 2·OneWay(u,v) + OneWay(v,u) + HeaderValidation +
// BodyValidation + BodyTransmit, saturating at Unreached. It returns false
// when either direction is unroutable (the relay needs both: the header and
// body go u→v, the request v→u).
func (h HopCost) Weight(lat netmodel.Latency, u, v int) (time.Duration, bool) {
	luv, ok := lat.OneWay(u, v)
	if !ok {
		return 0, false
	}
	lvu, ok := lat.OneWay(v, u)
	if !ok {
		return 0, false
	}
	return satAdd(satAdd(satAdd(luv, luv), lvu), h.fixed()), true
}

// satAdd adds two non-negative durations, saturating at Unreached.
func satAdd(a, b time.Duration) time.Duration {
	if a > Unreached-b {
		return Unreached
	}
	return a + b
}

// GodsViewFrom returns, for every node v, the earliest time after source
// adopts a block at which v could adopt it: the shortest path from source
// over the complete directed graph of lat whose edge u→v weighs
// hop.Weight(lat, u, v) (no edge where it is unroutable). dist[source] is 0
// and nodes no path reaches hold Unreached. It is a lower bound on any
// relay overlay's adoption times under the same cost model with jitter 0,
// not an achievable schedule: it lets every node forward to every other
// node with no degree limit and no queueing.
//
// dist is reused when its capacity is at least lat.N() (the call then
// allocates nothing); otherwise a new slice is allocated. The algorithm is
// dense Dijkstra, O(N²) OneWay calls and no heap, choosing among equally
// near nodes the lowest id, so the result never depends on anything but
// its inputs. It panics if source is outside [0, N()), if a HopCost field
// is negative or if lat returns a negative latency: callers validate
// first.
func GodsViewFrom(lat netmodel.Latency, hop HopCost, source int, dist []time.Duration) []time.Duration {
	n := lat.N()
	if source < 0 || source >= n {
		panic(fmt.Sprintf("results: GodsViewFrom: source %d outside [0, %d)", source, n))
	}
	if err := hop.validate(); err != nil {
		panic(err)
	}
	if cap(dist) < n {
		dist = make([]time.Duration, n)
	}
	dist = dist[:n]
	for i := range dist {
		dist[i] = Unreached
	}
	if !hop.simple() {
		return godsViewGeneral(lat, hop, source, dist)
	}
	fixed := hop.fixed()
	// A settled node v stores ^dist[v] (negative, since dist ≥ 0), so no
	// separate "done" set is allocated; the loop flips them back at the end.
	dist[source] = 0
	u := source
	for u >= 0 {
		du := dist[u]
		dist[u] = ^du
		// Relax u's edges and find the next node to settle in one pass.
		next, best := -1, Unreached
		for v, dv := range dist {
			if dv < 0 {
				continue // settled
			}
			// Every edge costs at least fixed + 2·OneWay(u,v); skip the
			// look-ups that cannot improve dv.
			if base := satAdd(du, fixed); base < dv {
				if luv, ok := lat.OneWay(u, v); ok {
					if luv < 0 {
						panic(fmt.Sprintf("results: GodsViewFrom: negative latency %v from %d to %d", luv, u, v))
					}
					if cand := satAdd(base, satAdd(luv, luv)); cand < dv {
						if lvu, ok := lat.OneWay(v, u); ok {
							if lvu < 0 {
								panic(fmt.Sprintf("results: GodsViewFrom: negative latency %v from %d to %d", lvu, v, u))
							}
							if cand = satAdd(cand, lvu); cand < dv {
								dv = cand
								dist[v] = cand
							}
						}
					}
				}
			}
			if dv < best {
				next, best = v, dv
			}
		}
		u = next
	}
	for i, d := range dist {
		if d < 0 {
			dist[i] = ^d
		}
	}
	return dist
}

// GodsViewOptions bounds the cost of GodsView.
type GodsViewOptions struct {
	// MaxSources, when > 0, limits the number of distinct producers whose
	// shortest paths are computed (each costs O(N²)); 0 means all.
	MaxSources int
	// Stop, when set, is asked before each producer's shortest paths: a
	// bound of thousands of nodes takes a minute, and Ctrl-C should not
	// wait for it. GodsView then returns Stop's error.
	Stop func() error
}

// Counter names GodsView records on the Collector it returns.
const (
	// GodsViewBlocksBound counts the blocks whose bound was filled in.
	GodsViewBlocksBound = "gods_view_blocks_bound"
	// GodsViewSources counts the producers whose shortest paths were
	// computed.
	GodsViewSources = "gods_view_sources"
)

// GodsView returns the god's-view lower bound of run c: a new Collector
// with the same blocks (ids, slots, producers, slot starts) in which node v
// adopts block b at slotStart(b) + forgeDelay + GodsViewFrom(producer(b))[v],
// so the producer adopts at its forging delay as in the run. It is a lower
// bound on what any overlay could achieve under lat and hop with jitter 0,
// not a policy: every node forwards to every node, with no degree limit
// and no queueing. Adoptions later than the Collector's 2,147 s range
// saturate as in a run; unreached nodes get no adoption.
//
// Shortest paths are computed once per distinct producer. When the run has
// more distinct producers than opt.MaxSources (> 0), only the blocks made
// by the first MaxSources distinct producers in block order are filled in;
// the others are recorded with no adoptions. Since producers win slots in
// proportion to stake, those first producers are a stake-weighted sample
// (without replacement) of the pools, and the filled-in blocks are all of
// their blocks. The returned Collector's counters GodsViewBlocksBound and
// GodsViewSources say how many blocks were bound from how many producers;
// percentiles of the bound should be read over the bound blocks only
// (BlockStats.Reached is 0 for the others).
//
// It returns an error when c and lat cover different numbers of nodes, or
// when hop, forgeDelay or opt hold a negative value.
func GodsView(c *Collector, lat netmodel.Latency, hop HopCost, forgeDelay time.Duration, opt GodsViewOptions) (*Collector, error) {
	if c == nil {
		return nil, fmt.Errorf("results: gods view: no collector")
	}
	if c.Nodes() != lat.N() {
		return nil, fmt.Errorf("results: gods view: the run has %d nodes but the latency model %d: they must cover the same nodes", c.Nodes(), lat.N())
	}
	if err := hop.validate(); err != nil {
		return nil, err
	}
	if forgeDelay < 0 {
		return nil, fmt.Errorf("results: gods view: forge delay %v: accepted a duration ≥ 0", forgeDelay)
	}
	if opt.MaxSources < 0 {
		return nil, fmt.Errorf("results: gods view: MaxSources = %d: accepted 0 (all producers) or a positive count", opt.MaxSources)
	}
	out := NewCollector(c.Nodes())
	for i := range c.blocks {
		r := &c.blocks[i]
		out.BlockMade(i, r.slot, r.producer, r.slotStart)
	}
	// Blocks grouped by producer, producers in order of their first block:
	// a stable sort by first-appearance rank keeps block order inside a
	// group, so one dist buffer serves every block of a producer.
	rank := make([]int, c.Nodes())
	sources := 0
	for i := range c.blocks {
		p := c.blocks[i].producer
		if rank[p] == 0 {
			sources++
			rank[p] = sources // 1-based; 0 = not seen yet
		}
	}
	if opt.MaxSources > 0 {
		sources = min(sources, opt.MaxSources)
	}
	order := make([]int, 0, len(c.blocks))
	for i := range c.blocks {
		if rank[c.blocks[i].producer] <= sources {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return rank[c.blocks[a].producer] - rank[c.blocks[b].producer]
	})
	// Offsets past the Collector's range are clamped just beyond it, so
	// Adopted saturates and counts them without clock.Time overflow.
	const limit = time.Duration(maxOffsetUS+1) * time.Microsecond
	var dist []time.Duration
	prev := -1
	for _, b := range order {
		r := &c.blocks[b]
		if r.producer != prev {
			if opt.Stop != nil {
				if err := opt.Stop(); err != nil {
					return nil, err
				}
			}
			dist = GodsViewFrom(lat, hop, r.producer, dist)
			prev = r.producer
		}
		for v, d := range dist {
			if d == Unreached {
				continue
			}
			out.Adopted(b, v, r.slotStart.Add(min(satAdd(forgeDelay, d), limit)))
		}
	}
	out.count(GodsViewBlocksBound, int64(len(order)))
	out.count(GodsViewSources, int64(sources))
	return out, nil
}

// godsViewGeneral is GodsViewFrom for a hop cost with a TCP body transfer
// or pipelining. Without pipelining a hop u→v costs, after u adopts,
// L(u,v) + HeaderTransmit (header) + HeaderValidation + L(v,u) (request)
// + BodyTransfer(rtt) + L(u,v) (body) + BodyValidation. With pipelining
// two label-setting passes run over the complete graph:
//
//   - header times: H(source) = 0 and a node forwards a header
//     HeaderValidation after it arrives (the source at once), so
//     H(v) = min over u of H(u) + hv(u) + HeaderTransmit + L(u,v);
//   - body times: B(source) = 0; u can serve the body at
//     S(u) = B(u) + min(ServeDelay, BodyValidation) (the source at once),
//     and v's request for u's announcement reaches u at
//     R(u,v) = H(u) + hv(u) + HeaderTransmit + L(u,v) + HeaderValidation +
//     L(v,u), so B(v) = min over u of max(R(u,v), S(u)) + transfer + L(u,v);
//
// and v adopts at B(v) + BodyValidation. Each edge function is
// nondecreasing in its tail's label and never below it, so settling the
// nearest node first is exact (Dijkstra with time-dependent FIFO edges).
// O(N²) latency look-ups per pass; the result depends only on the inputs.
func godsViewGeneral(lat netmodel.Latency, hop HopCost, source int, dist []time.Duration) []time.Duration {
	n := len(dist)
	transfer := func(luv, lvu time.Duration) time.Duration {
		if hop.BodyTransfer != nil {
			return hop.BodyTransfer(luv + lvu)
		}
		return hop.BodyTransmit
	}
	oneWay := func(u, v int) (time.Duration, bool) {
		d, ok := lat.OneWay(u, v)
		if ok && d < 0 {
			panic(fmt.Sprintf("results: GodsViewFrom: negative latency %v from %d to %d", d, u, v))
		}
		return d, ok
	}
	hvOf := func(u int) time.Duration {
		if u == source {
			return 0
		}
		return hop.HeaderValidation
	}
	if !hop.Pipelining {
		floor := satAdd(satAdd(satAdd(hop.HeaderTransmit, hop.HeaderValidation), transfer(0, 0)), hop.BodyValidation)
		settle(dist, source, func(u, v int, du, dv time.Duration) time.Duration {
			if satAdd(du, floor) >= dv {
				return Unreached // cannot improve: skip the look-ups
			}
			luv, ok1 := oneWay(u, v)
			lvu, ok2 := oneWay(v, u)
			if !ok1 || !ok2 {
				return Unreached
			}
			c := satAdd(satAdd(du, luv), hop.HeaderTransmit)
			c = satAdd(satAdd(c, hop.HeaderValidation), lvu)
			c = satAdd(satAdd(c, transfer(luv, lvu)), luv)
			return satAdd(c, hop.BodyValidation)
		})
		return dist
	}
	head := make([]time.Duration, n)
	for i := range head {
		head[i] = Unreached
	}
	settle(head, source, func(u, v int, hu, hv time.Duration) time.Duration {
		if satAdd(hu, hvOf(u)) >= hv {
			return Unreached
		}
		luv, ok := oneWay(u, v)
		if !ok {
			return Unreached
		}
		return satAdd(satAdd(satAdd(hu, hvOf(u)), hop.HeaderTransmit), luv)
	})
	serve := min(hop.ServeDelay, hop.BodyValidation)
	minXfer := transfer(0, 0) // transfers are nondecreasing in the round trip
	settle(dist, source, func(u, v int, bu, bv time.Duration) time.Duration {
		s := bu
		if u != source {
			s = satAdd(bu, serve)
		}
		if satAdd(s, minXfer) >= bv || head[u] == Unreached {
			return Unreached
		}
		luv, ok1 := oneWay(u, v)
		lvu, ok2 := oneWay(v, u)
		if !ok1 || !ok2 {
			return Unreached
		}
		r := satAdd(satAdd(satAdd(head[u], hvOf(u)), hop.HeaderTransmit), luv)
		r = satAdd(satAdd(r, hop.HeaderValidation), lvu)
		return satAdd(satAdd(max(r, s), transfer(luv, lvu)), luv)
	})
	for v, b := range dist {
		if v != source && b != Unreached {
			dist[v] = satAdd(b, hop.BodyValidation)
		}
	}
	return dist
}

// settle runs dense Dijkstra from source over the complete graph: label[v]
// starts at Unreached (label[source] at 0), and edge(u, v, label[u],
// label[v]) gives v's label through u (Unreached: no edge, or no better
// than label[v]). Among equally near nodes the lowest id settles first.
func settle(label []time.Duration, source int, edge func(u, v int, lu, lv time.Duration) time.Duration) {
	label[source] = 0
	done := make([]bool, len(label))
	for u := source; u >= 0; {
		done[u] = true
		lu := label[u]
		next, best := -1, Unreached
		for v, lv := range label {
			if done[v] {
				continue
			}
			if c := edge(u, v, lu, lv); c < lv {
				lv = c
				label[v] = c
			}
			if lv < best {
				next, best = v, lv
			}
		}
		u = next
	}
}
