package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

// buildP2P turns the p2p and faults sections into the world's Dynamic P2P
// configuration: per node a governor, its churn and calibration, and the
// faults. Each node's configuration is decided once, attribute by
// attribute, in nodeP2P: an operator's own files (operators) come first,
// then the node's role in a pool (nodes.pools), then its class and the
// p2p section.
func buildP2P(s *Scenario, seed uint64, r *Run) (*world.P2PConfig, error) {
	n := s.Nodes.Count
	p := &s.P2P
	bearer := netmodel.DefaultBearerConfig()
	bearer.HandshakeRTTs = p.HandshakeRTTs
	bearer.FailureProb = s.Faults.ConnectionFailure
	cfg := &world.P2PConfig{
		Governors:     make([]node.GovernorConfig, n),
		Churn:         make([]*node.ChurnConfig, n),
		Bearer:        bearer,
		Stake:         r.Stake,
		Adversarial:   make([]bool, n),
		Metrics:       node.DefaultMetricsConfig(),
		Faults:        world.Faults{DropEvery: s.Faults.DropEvery},
		SampleEvery:   p.SampleEvery,
		Bidirectional: p.RelayLinks == RelayBidirectional,
		Attacks:       s.attacks(),
	}
	for i, a := range cfg.Attacks {
		if a.NoInboundLimit {
			if cfg.Bearer.Unlimited == nil {
				cfg.Bearer.Unlimited = make([]bool, n)
			}
			cfg.Bearer.Unlimited[i] = true
		}
	}
	b := &p2pBuild{s: s, r: r, seed: seed, timing: node.DefaultTiming()}
	b.timing.MaxConnectionRetries = p.MaxRetries
	// Blocks come every slot/f on average: the peer-score window.
	blockEvery := time.Duration(float64(s.Blocks.Slot) / s.Blocks.ActiveSlotCoeff)
	spec := p.Policy.Spec()
	for ci, c := range s.Nodes.Classes {
		t := p.Targets.Node()
		if !c.Targets.IsZero() {
			t = c.Targets.Node()
		}
		plan, err := policies.Build(spec, t, blockEvery)
		if err != nil {
			return nil, s.errorAt("p2p.policy", err)
		}
		b.classes = append(b.classes, classPlan{targets: t, plan: plan})
		if plan.MetricsSlots > 0 && ci == 0 {
			cfg.Metrics.MaxSlots = plan.MetricsSlots
		}
		if plan.Calibration != nil && cfg.Calibration == nil {
			cfg.Calibration = make([]*node.CalibrationConfig, n)
		}
	}
	b.pools, cfg.LedgerRelays = s.poolRoles()
	boot, others := s.bootstrapPeers(), s.notSyncing()
	id := 0
	for ci, c := range s.Nodes.Classes {
		for range c.Count {
			np, err := b.node(id, c, b.classes[ci])
			if err != nil {
				return nil, err
			}
			if !c.Sync.IsZero() {
				if cfg.Sync == nil {
					cfg.Sync = make([]world.Sync, n)
				}
				cfg.Sync[id] = s.syncOf(id, seed, c, &np.gov, np.churn, boot, others)
			}
			cfg.Governors[id], cfg.Churn[id] = np.gov, np.churn
			if cfg.Calibration != nil {
				cfg.Calibration[id] = np.cal
			}
			cfg.Adversarial[id] = c.Adversarial
			id++
		}
	}
	crashes, err := crashNodes(s, seed)
	if err != nil {
		return nil, err
	}
	cfg.Faults.Crashes = crashes
	return cfg, nil
}

// p2pBuild holds what every node's configuration is decided from.
type p2pBuild struct {
	s       *Scenario
	r       *Run
	seed    uint64
	timing  node.GovernorTiming
	classes []classPlan // per class
	pools   []poolRole  // per node; nil without nodes.pools
}

// classPlan is a class's targets and its policy's plan for them.
type classPlan struct {
	targets node.Targets
	plan    policies.Plan
}

// nodeP2P is one node's Dynamic P2P configuration.
type nodeP2P struct {
	gov   node.GovernorConfig
	churn *node.ChurnConfig
	cal   *node.CalibrationConfig
}

// node decides node i's configuration, each attribute from the first
// source that sets it: the operator's files (roots, targets and peer
// sharing from topology.json and config.json; the cardano policy with
// production churn), the node's pool role (a block producer keeps to its
// relays: no ledger peers, no peer sharing, no churn; a relay has its
// producer and sibling relays as local roots), then its class (targets,
// the policy's picker, churn and calibration) and the p2p section.
func (b *p2pBuild) node(i int, c Class, cp classPlan) (nodeP2P, error) {
	p := &b.s.P2P
	own := b.r.files.topo[i] != nil
	var role poolRole
	if b.pools != nil {
		role = b.pools[i]
	}
	g := node.GovernorConfig{
		Self: int32(i), Targets: cp.plan.Targets, PeerSharing: p.PeerSharing, LedgerPeers: p.LedgerPeers,
		Timing: b.timing, ShareSalt: sim.Derive(b.seed, "share-salt", uint64(i)).Uint64(),
		Policy: cp.plan.Picker,
	}
	np := nodeP2P{cal: cp.plan.Calibration}
	if p.Churn && cp.plan.Churn {
		np.churn = productionChurn(p, cp.targets)
	}
	if role.producer {
		g.LocalRoots = role.roots
		g.LedgerPeers, g.PeerSharing = false, false
		np.churn = nil
	} else if role.roots != nil {
		g.LocalRoots = role.roots
	}
	if a, ok := b.s.Attacker(c); ok {
		g.LocalRoots = b.targetRoots(i, a, g.Targets.Established)
	}
	if own {
		targets, sharing, err := b.r.files.ownNode(b.s, i, c, &g)
		if err != nil {
			return nodeP2P{}, err
		}
		g.Targets, g.Policy, np.cal = targets, nil, nil // nil: the cardano policy
		if sharing != nil {
			g.PeerSharing = *sharing
		}
		np.churn = nil
		if p.Churn {
			np.churn = productionChurn(p, targets)
		}
		if err := g.Check(); err != nil {
			return nodeP2P{}, b.r.files.errorAt(b.s, i, err)
		}
	}
	np.gov = g
	return np, nil
}

// productionChurn is the churn governor with the p2p section's deadline
// for targets.
func productionChurn(p *P2P, targets node.Targets) *node.ChurnConfig {
	cc := node.DefaultChurnConfig(targets)
	cc.DeadlineInterval, cc.DeadlineJitter = p.ChurnInterval, p.ChurnJitter
	return &cc
}

// crashNodes picks the nodes of faults.crashes at random within their
// class, one stream per entry.
func crashNodes(s *Scenario, seed uint64) ([]world.Crash, error) {
	var out []world.Crash
	for ci, c := range s.Faults.Crashes {
		first := 0
		j := slices.IndexFunc(s.Nodes.Classes, func(k Class) bool { return k.Name == c.Class })
		if j < 0 {
			return nil, s.errorAt(fmt.Sprintf("faults.crashes[%d].class", ci), fmt.Errorf("unknown class %q", c.Class))
		}
		for _, k := range s.Nodes.Classes[:j] {
			first += k.Count
		}
		perm := sim.Derive(seed, "crash", uint64(ci)).Perm(s.Nodes.Classes[j].Count)
		for _, x := range perm[:c.Count] {
			out = append(out, world.Crash{Node: int32(first + x), At: clock.Time(c.At), Down: c.Down})
		}
	}
	return out, nil
}
