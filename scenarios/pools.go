package scenarios

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
)

// Pools runs every stake pool as operators do: a block producer behind its
// relays. The producer class's node i is pool i's block producer; the
// relay class's nodes RelaysPerPool·i … RelaysPerPool·(i+1)−1 are its
// relays. With topology p2p:
//
//   - the producer has its relays as local roots (one group, all hot,
//     trustable, not advertised) and nothing else: no ledger peers, no
//     peer sharing, no churn;
//   - each relay has its producer and its sibling relays as local roots
//     (not advertised), and runs the p2p section (targets, ledger peers,
//     peer sharing, churn) besides;
//   - the ledger lists a pool's relays, not its producer: a ledger or big
//     ledger peer draw picks a pool by stake, then one of its relays.
//
// File, when given, is a pool metadata file (the ouroboros-leios
// topology-v4 meta.json: an object of "node-N" entries with "cc", a
// country code or null, and "region", "cc:XX" or a hosting provider's
// region such as "aws:us-east-2"), one entry per pool in N order; with the
// geo latency model pool i's nodes are placed in entry i's country, and in
// one data centre (its provider region, shared with the other pools there,
// or one of its own), so that a producer and its relays are about a
// millisecond apart.
type Pools struct {
	Producers     string  `yaml:"producers"`       // the class of block producers
	Relays        string  `yaml:"relays"`          // the class of relays
	RelaysPerPool int     `yaml:"relays_per_pool"` // relays of each pool
	File          FileRef `yaml:"file"`            // pool metadata (optional)
}

// MaxRelaysPerPool bounds nodes.pools.relays_per_pool.
const MaxRelaysPerPool = 16

// MaxPoolsFileBytes bounds the pool metadata file.
const MaxPoolsFileBytes = 64 << 20

// on reports whether the section is used.
func (p *Pools) on() bool {
	return p.Producers != "" || p.Relays != "" || p.RelaysPerPool != 0 || !p.File.IsZero()
}

// pools checks nodes.pools.
func (v *validator) pools() {
	p := &v.s.Nodes.Pools
	if !p.on() {
		return
	}
	if v.s.Topology.Model != TopologyP2P {
		v.add("nodes.pools", "", "applies only with topology.model p2p; accepted: remove it")
	}
	class := func(field, name string, producer bool) *Class {
		for i := range v.s.Nodes.Classes {
			if c := &v.s.Nodes.Classes[i]; c.Name == name {
				if c.Producer != producer {
					v.add(field, name, fmt.Sprintf("class %s has producer: %v; accepted: a class with producer: %v", name, c.Producer, producer))
				}
				return c
			}
		}
		v.add(field, name, "accepted: the name of a class of nodes.classes")
		return nil
	}
	bp := class("nodes.pools.producers", p.Producers, true)
	relay := class("nodes.pools.relays", p.Relays, false)
	if p.RelaysPerPool < 1 || p.RelaysPerPool > MaxRelaysPerPool {
		v.add("nodes.pools.relays_per_pool", fmtInt(p.RelaysPerPool), fmt.Sprintf("accepted: an integer 1 … %d", MaxRelaysPerPool))
	} else if bp != nil && relay != nil && relay.Count != bp.Count*p.RelaysPerPool {
		v.add("nodes.pools.relays_per_pool", fmtInt(p.RelaysPerPool), fmt.Sprintf("class %s has %d nodes, class %s %d: accepted: %d relays per pool means %d relays", p.Producers, bp.Count, p.Relays, relay.Count, p.RelaysPerPool, bp.Count*p.RelaysPerPool))
	}
	if !p.File.IsZero() && v.s.Network.Latency.Model != LatencyGeo {
		v.add("nodes.pools.file", p.File.Raw, "places pools only with network.latency.model geo; accepted: remove it or use geo")
	}
	v.file("nodes.pools.file", p.File, !p.File.IsZero(), "nodes.pools")
}

// poolNodes returns the node ids of the producer class and of the relay
// class (first ids of each).
func (s *Scenario) poolNodes() (bp0, relay0, pools int) {
	id := 0
	for _, c := range s.Nodes.Classes {
		switch c.Name {
		case s.Nodes.Pools.Producers:
			bp0, pools = id, c.Count
		case s.Nodes.Pools.Relays:
			relay0 = id
		}
		id += c.Count
	}
	return bp0, relay0, pools
}

// poolRole is a node's part in a pool (nodes.pools): a block producer
// with its relays as local roots, or a relay with its producer and the
// pool's other relays; roots nil for a node outside pools.
type poolRole struct {
	producer bool
	roots    []node.LocalRootGroup
}

// poolRoles returns every node's pool role and, per node, the relays the
// ledger names for it (world.P2PConfig.LedgerRelays); both nil without
// nodes.pools.
func (s *Scenario) poolRoles() ([]poolRole, [][]int32) {
	p := &s.Nodes.Pools
	if !p.on() {
		return nil, nil
	}
	bp0, relay0, pools := s.poolNodes()
	r := p.RelaysPerPool
	roles := make([]poolRole, s.Nodes.Count)
	ledger := make([][]int32, s.Nodes.Count)
	for i := range pools {
		bp := int32(bp0 + i)
		relays := make([]int32, r)
		for j := range r {
			relays[j] = int32(relay0 + i*r + j)
		}
		ledger[bp] = relays
		roles[bp] = poolRole{producer: true, roots: []node.LocalRootGroup{{Peers: relays, HotValency: r, WarmValency: r, Trustable: true}}}
		for _, rl := range relays {
			group := append([]int32{bp}, relays...)
			group = slices.DeleteFunc(group, func(x int32) bool { return x == rl })
			roles[rl] = poolRole{roots: []node.LocalRootGroup{{Peers: group, HotValency: len(group), WarmValency: len(group), Trustable: true}}}
		}
	}
	return roles, ledger
}

// poolMeta is one pool of the metadata file.
type poolMeta struct {
	Country string // "" when unknown
	Region  string
}

// readPools reads the pool metadata file: its "node-N" entries in N order.
func readPools(path, raw string) ([]poolMeta, error) {
	b, err := input.ReadFile(path, MaxPoolsFileBytes)
	if err != nil {
		return nil, err
	}
	return parsePools(b, raw)
}

// parsePools parses a pool metadata file named raw.
func parsePools(b []byte, raw string) ([]poolMeta, error) {
	var doc map[string]struct {
		CC     *string `json:"cc"`
		Region string  `json:"region"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v; accepted: a JSON object of \"node-N\" entries with \"cc\" and \"region\"", raw, err)
	}
	type entry struct {
		n int
		m poolMeta
	}
	var es []entry
	for k, e := range doc {
		n, err := strconv.Atoi(strings.TrimPrefix(k, "node-"))
		if err != nil || !strings.HasPrefix(k, "node-") || n < 0 || strconv.Itoa(n) != strings.TrimPrefix(k, "node-") {
			return nil, fmt.Errorf("%s: key %q: accepted: node-N with N an integer ≥ 0", raw, k)
		}
		m := poolMeta{Region: e.Region}
		if e.CC != nil {
			m.Country = *e.CC
		}
		es = append(es, entry{n, m})
	}
	slices.SortFunc(es, func(a, b entry) int { return a.n - b.n }) // map order never reaches the output
	out := make([]poolMeta, len(es))
	for i, e := range es {
		out[i] = e.m
	}
	return out, nil
}

// poolSpots places every node for the geo model: pool i's producer and
// relays in entry i's country and data centre (see Pools); other nodes
// anywhere.
func (s *Scenario) poolSpots() ([]netmodel.GeoSpot, error) {
	p := &s.Nodes.Pools
	metas, err := readPools(p.File.Resolved, p.File.Raw)
	if err != nil {
		return nil, s.errorAt("nodes.pools.file", err)
	}
	bp0, relay0, pools := s.poolNodes()
	if len(metas) < pools {
		return nil, s.errorAt("nodes.pools.file", fmt.Errorf("%s lists %d pools: accepted a file of at least class %s's %d", p.File.Raw, len(metas), p.Producers, pools))
	}
	spots := make([]netmodel.GeoSpot, s.Nodes.Count)
	sites := map[string]int{}
	for i := range pools {
		m := metas[i]
		key := fmt.Sprintf("pool %d", i) // a data centre of its own
		if !strings.HasPrefix(m.Region, "cc:") && m.Region != "" {
			key = m.Country + " " + m.Region // a provider region, per registry country
		}
		site, ok := sites[key]
		if !ok {
			site = len(sites) + 1
			sites[key] = site
		}
		if site > netmodel.MaxGeoSites {
			return nil, s.errorAt("nodes.pools.file", fmt.Errorf("%s: more than %d data centres", p.File.Raw, netmodel.MaxGeoSites))
		}
		sp := netmodel.GeoSpot{Country: m.Country, Site: site}
		spots[bp0+i] = sp
		for j := range p.RelaysPerPool {
			spots[relay0+i*p.RelaysPerPool+j] = sp
		}
	}
	return spots, nil
}

// buildPoolsGeo is the geo latency model with pools placed by the
// metadata file.
func buildPoolsGeo(s *Scenario, rng *rand.Rand) (netmodel.Latency, error) {
	spots, err := s.poolSpots()
	if err != nil {
		return nil, err
	}
	g, err := netmodel.NewGeoAt(spots, rng, netmodel.DefaultGeoParams())
	if err != nil {
		return nil, s.errorAt("nodes.pools.file", err)
	}
	return g, nil
}
