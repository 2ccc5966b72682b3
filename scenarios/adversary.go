package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

// Attacker behaviours (AdversarySpec.Behaviour).
const (
	// BehaviourEclipse hides the honest network from the nodes that take
	// an attacker as a peer: peer-sharing replies that name only
	// attackers, honest blocks relayed late or never, every connection
	// accepted, and no visible violation (world.Attack.Eclipse).
	BehaviourEclipse = "eclipse"
	// BehaviourInvalidHeader sends an invalid header to every node that
	// makes it hot: a violation the node demotes it for at once.
	BehaviourInvalidHeader = "invalid-header"
	// BehaviourOversizedShare answers peer sharing with more peers than
	// asked: a violation.
	BehaviourOversizedShare = "oversized-share"
	// BehaviourWithhold announces headers as an honest relay does and
	// never serves a body: who asks it waits block-fetch's 60 s time
	// limit, drops the connection and fetches elsewhere
	// (world.Attack.Withhold).
	BehaviourWithhold = "withhold"
	// BehaviourGoDark relays as an honest relay does, promptly, so that
	// the peer metrics rank it well, until it and its fellows hold every
	// hot link of a node; then it stops announcing honest blocks to that
	// node (world.Attack.Dark). Its peer sharing is the eclipse's.
	BehaviourGoDark = "go-dark"
)

// Behaviours lists the accepted behaviours.
var Behaviours = []string{BehaviourEclipse, BehaviourGoDark, BehaviourWithhold, BehaviourInvalidHeader, BehaviourOversizedShare}

// PlacementSpread places attackers as the honest nodes are placed.
const PlacementSpread = "spread"

// RelayNever is relay_delay's value for an eclipse attacker that never
// relays honest blocks (the default).
const RelayNever = "never"

// AdversarySpec is a class of attacker nodes added to the network, after
// the classes of nodes.classes (node IDs follow theirs).
type AdversarySpec struct {
	// Name names the class (peers.csv, adversary.csv); unique among all
	// classes.
	Name string `yaml:"name"`
	// Count attackers, or Share of the whole network (honest and
	// attackers: share·total of the nodes are this class's); one of them.
	Count int     `yaml:"count"`
	Share float64 `yaml:"share"`
	// Stake is the share of all stake the class holds together (0 … <1),
	// split evenly: with stake its nodes forge blocks and appear among the
	// ledger and big ledger peers, as pools' relays do.
	Stake float64 `yaml:"stake"`
	// Placement is where the attackers are (latency model geo): spread
	// (the default: placed as the honest nodes are, by the pools'
	// population) or a region of the city table, NA, EU, AS, OC, SA or
	// AF, all of them there.
	Placement string `yaml:"placement"`
	Behaviour string `yaml:"behaviour"`
	// RelayDelay (eclipse only): how long after adopting a block of an
	// honest producer the attacker announces it, a duration, or never.
	RelayDelay string `yaml:"relay_delay"`
	// Target names the classes the attackers go after: each attacker
	// keeps up to its established target of their nodes as local roots,
	// so it holds connections to them, and the victims learn it as an
	// inbound peer (light peer sharing). Empty: no one in particular.
	Target []string `yaml:"target"`
}

// MaxRelayDelay bounds relay_delay.
const MaxRelayDelay = time.Hour

// count is how many nodes entry a adds to honest honest nodes (0 when its
// count or share is out of range: Validate reports it).
func (a AdversarySpec) count(honest int) int {
	switch {
	case a.Count > 0 && a.Share == 0:
		return min(a.Count, MaxNodes)
	case a.Count == 0 && a.Share > 0 && a.Share < 1:
		return int(math.Round(a.Share * float64(honest) / (1 - a.Share)))
	}
	return 0
}

// relayDelay is relay_delay as a duration (world.Never for never).
func (a AdversarySpec) relayDelay() (time.Duration, bool) {
	if a.RelayDelay == "" || a.RelayDelay == RelayNever {
		return world.Never, true
	}
	d, err := time.ParseDuration(a.RelayDelay)
	return d, err == nil && d >= 0 && d <= MaxRelayDelay
}

// addAdversary appends a class per adversary entry (once: ApplyDefaults
// is idempotent) and counts its nodes in nodes.count. A share is of the
// whole network: with H honest nodes and share s the class has
// round(s·H/(1−s)) nodes.
func addAdversary(s *Scenario) {
	if len(s.Adversary) == 0 || slices.ContainsFunc(s.Nodes.Classes, func(c Class) bool { return c.adversary > 0 }) {
		return
	}
	honest := s.Nodes.Count
	for i, a := range s.Adversary {
		n := a.count(honest)
		if n < 1 || s.Nodes.Count+n > MaxNodes {
			continue
		}
		s.Nodes.Classes = append(s.Nodes.Classes, Class{Name: a.Name, Count: n, Producer: a.Stake > 0, adversary: i + 1})
		s.Nodes.Count += n
	}
}

// honestCount is nodes.count without the attackers.
func (s *Scenario) honestCount() int {
	n := s.Nodes.Count
	for _, c := range s.Nodes.Classes {
		if c.adversary > 0 {
			n -= c.Count
		}
	}
	return n
}

// adversary checks the adversary section.
func (v *validator) adversary() {
	s := v.s
	if len(s.Adversary) == 0 {
		return
	}
	if s.Topology.Model != TopologyP2P {
		v.add("adversary", "", "applies only with topology.model: p2p; accepted: remove it")
		return
	}
	if s.Overlay() {
		v.add("adversary", "", "attackers run the peer selection governor; accepted: a governor policy, not poldercast")
	}
	if !s.Nodes.Pools.File.IsZero() || !s.Operators.Folder.IsZero() || len(s.Operators.Nodes) > 0 {
		v.add("adversary", "", "not yet with nodes.pools or operators' files; accepted: attackers beside nodes.classes")
	}
	if s.P2P.SampleEvery <= 0 {
		v.add("p2p.sample_every", fmtDur(s.P2P.SampleEvery), "the attack is measured at each peer sample; accepted: a positive interval with an adversary section")
	}
	names := map[string]string{}
	for i, c := range s.Nodes.Classes {
		if c.adversary == 0 {
			names[c.Name] = fmt.Sprintf("nodes.classes[%d]", i)
		}
	}
	stake := 0.0
	for i, a := range s.Adversary {
		f := fmt.Sprintf("adversary[%d]", i)
		switch {
		case !validName(a.Name, 32, "_-"):
			v.add(f+".name", a.Name, "accepted: 1 to 32 characters of a-z 0-9 _ -")
		case names[a.Name] != "":
			v.add(f+".name", a.Name, fmt.Sprintf("also the name of %s; accepted: a name of its own", names[a.Name]))
		default:
			names[a.Name] = f
		}
		switch {
		case a.Count != 0 && a.Share != 0:
			v.add(f+".share", fmtFloat(a.Share), "count and share both given; accepted: one of them")
		case a.Count == 0 && a.Share == 0:
			v.add(f, "", "neither count nor share; accepted: count (attacker nodes) or share (of the whole network, 0 < share < 1)")
		case a.Count != 0 && (a.Count < 1 || a.Count > MaxNodes):
			v.add(f+".count", fmtInt(a.Count), fmt.Sprintf("accepted: an integer 1 … %d", MaxNodes))
		case a.Share != 0 && !(a.Share > 0 && a.Share < 1):
			v.add(f+".share", fmtFloat(a.Share), "accepted: a number 0 < share < 1, the attackers' share of all nodes")
		case a.count(s.honestCount()) < 1:
			v.add(f+".share", fmtFloat(a.Share), fmt.Sprintf("rounds to no node among %d honest ones; accepted: a larger share, or count", s.honestCount()))
		}
		if !(a.Stake >= 0 && a.Stake < 1) {
			v.add(f+".stake", fmtFloat(a.Stake), "accepted: a number 0 ≤ stake < 1, the class's share of all stake")
		}
		stake += a.Stake
		switch {
		case a.Placement == "" || a.Placement == PlacementSpread:
		case !slices.Contains(netmodel.GeoRegions, a.Placement):
			v.add(f+".placement", a.Placement, "accepted: spread, or a region: "+strings.Join(netmodel.GeoRegions, ", "))
		case s.Network.Latency.Model != LatencyGeo:
			v.add(f+".placement", a.Placement, "a region of the built-in geographic model; accepted: spread with network.latency.model "+s.Network.Latency.Model)
		}
		if !slices.Contains(Behaviours, a.Behaviour) {
			v.add(f+".behaviour", a.Behaviour, "accepted: "+strings.Join(Behaviours, ", "))
		}
		if _, ok := a.relayDelay(); !ok {
			v.add(f+".relay_delay", a.RelayDelay, fmt.Sprintf("accepted: never, or a duration 0s … %s", MaxRelayDelay))
		} else if a.RelayDelay != "" && a.Behaviour != BehaviourEclipse {
			v.add(f+".relay_delay", a.RelayDelay, "applies only to behaviour: eclipse; accepted: remove it")
		}
		for j, t := range a.Target {
			g, ok := names[t]
			switch {
			case !ok || !strings.HasPrefix(g, "nodes.classes"):
				v.add(fmt.Sprintf("%s.target[%d]", f, j), t, "not a class of nodes.classes; accepted: the name of an honest class")
			case slices.Contains(a.Target[:j], t):
				v.add(fmt.Sprintf("%s.target[%d]", f, j), t, "listed twice; accepted: each class once")
			}
		}
	}
	if stake >= 1 {
		v.add("adversary", fmtFloat(stake), "the attackers' stake adds up to all of it; accepted: less than 1 in all")
	}
	total := s.honestCount()
	for _, a := range s.Adversary {
		total += a.count(s.honestCount())
	}
	if total > MaxNodes {
		v.add("adversary", fmtInt(total)+" nodes", fmt.Sprintf("honest and attacker nodes exceed the limit; accepted: at most %d in all", MaxNodes))
	}
}

// attacks returns each node's attack, nil without attackers.
func (s *Scenario) attacks() []world.Attack {
	if len(s.Adversary) == 0 {
		return nil
	}
	out := make([]world.Attack, s.Nodes.Count)
	id := 0
	for _, c := range s.Nodes.Classes {
		a, ok := s.Attacker(c)
		for range c.Count {
			if ok {
				out[id] = attackOf(a)
			}
			id++
		}
	}
	return out
}

func attackOf(a AdversarySpec) world.Attack {
	switch a.Behaviour {
	case BehaviourEclipse:
		d, _ := a.relayDelay()
		return world.Attack{Eclipse: true, RelayDelay: d, NoInboundLimit: true}
	case BehaviourGoDark:
		return world.Attack{Eclipse: true, Dark: true, NoInboundLimit: true}
	case BehaviourWithhold:
		return world.Attack{Withhold: true}
	case BehaviourInvalidHeader:
		return world.Attack{InvalidHeader: true}
	case BehaviourOversizedShare:
		return world.Attack{OversizedShare: true}
	}
	return world.Attack{}
}

// adjustStake gives each attacker class its share of the stake, split
// evenly over its nodes, and scales the honest producers' stakes to the
// rest (stake: per node, summing to 1 over the honest producers).
func (s *Scenario) adjustStake(stake []float64) {
	total := 0.0
	for _, a := range s.Adversary {
		total += a.Stake
	}
	if total == 0 {
		return
	}
	id := 0
	for _, c := range s.Nodes.Classes {
		a, ok := s.Attacker(c)
		for range c.Count {
			switch {
			case ok && a.Stake > 0:
				stake[id] = a.Stake / float64(c.Count)
			case !ok:
				stake[id] *= 1 - total
			}
			id++
		}
	}
}

// targetRoots returns attacker i's local roots when its class targets
// classes: up to its established target of their nodes, drawn from the
// stream ("adversary-target", i), as one group it keeps warm (one of
// them hot: a group needs a hot valency).
func (b *p2pBuild) targetRoots(i int, a AdversarySpec, established int) []node.LocalRootGroup {
	if len(a.Target) == 0 || established < 1 {
		return nil
	}
	var victims []node.PeerID
	id := 0
	for _, c := range b.s.Nodes.Classes {
		for range c.Count {
			if slices.Contains(a.Target, c.Name) {
				victims = append(victims, node.PeerID(id))
			}
			id++
		}
	}
	rng := sim.Derive(b.seed, "adversary-target", uint64(i))
	k := min(established, len(victims))
	for j := range k {
		m := j + rng.IntN(len(victims)-j)
		victims[j], victims[m] = victims[m], victims[j]
	}
	picked := slices.Clone(victims[:k])
	slices.Sort(picked)
	return []node.LocalRootGroup{{Peers: picked, HotValency: 1, WarmValency: k}}
}

// regionSpots returns the geo model's spots when an attacker class is
// placed in a region (nil otherwise): the honest nodes anywhere, by pool
// population, and each such class's nodes in its region.
func (s *Scenario) regionSpots() []netmodel.GeoSpot {
	placed := slices.ContainsFunc(s.Adversary, func(a AdversarySpec) bool {
		return a.Placement != "" && a.Placement != PlacementSpread
	})
	if !placed {
		return nil
	}
	spots := make([]netmodel.GeoSpot, 0, s.Nodes.Count)
	for _, c := range s.Nodes.Classes {
		var sp netmodel.GeoSpot
		if a, ok := s.Attacker(c); ok && a.Placement != PlacementSpread {
			sp.Region = a.Placement
		}
		for range c.Count {
			spots = append(spots, sp)
		}
	}
	return spots
}
