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
// configuration: per node a governor (the class's targets, peer sharing,
// ledger peers, no configured roots), production churn, and the faults.
func buildP2P(s *Scenario, seed uint64, r *Run) (*world.P2PConfig, error) {
	n := s.Nodes.Count
	p := &s.P2P
	timing := node.DefaultTiming()
	timing.MaxConnectionRetries = p.MaxRetries
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
	}
	// Blocks come every slot/f on average: the peer-score window.
	blockEvery := time.Duration(float64(s.Blocks.Slot) / s.Blocks.ActiveSlotCoeff)
	spec := p.Policy.Spec()
	id := 0
	for ci, c := range s.Nodes.Classes {
		t := p.Targets.Node()
		if !c.Targets.IsZero() {
			t = c.Targets.Node()
		}
		plan, err := policies.Build(spec, t, blockEvery)
		if err != nil {
			return nil, s.errorAt("p2p.policy", err)
		}
		if plan.MetricsSlots > 0 && ci == 0 {
			cfg.Metrics.MaxSlots = plan.MetricsSlots
		}
		var churn *node.ChurnConfig
		if p.Churn && plan.Churn {
			cc := node.DefaultChurnConfig(t)
			cc.DeadlineInterval, cc.DeadlineJitter = p.ChurnInterval, p.ChurnJitter
			churn = &cc
		}
		if plan.Calibration != nil && cfg.Calibration == nil {
			cfg.Calibration = make([]*node.CalibrationConfig, n)
		}
		for k := 0; k < c.Count; k++ {
			cfg.Governors[id] = node.GovernorConfig{
				Self: int32(id), Targets: plan.Targets, PeerSharing: p.PeerSharing, LedgerPeers: p.LedgerPeers,
				Timing: timing, ShareSalt: sim.Derive(seed, "share-salt", uint64(id)).Uint64(),
				Policy: plan.Picker,
			}
			cfg.Churn[id] = churn
			if plan.Calibration != nil {
				cfg.Calibration[id] = plan.Calibration
			}
			cfg.Adversarial[id] = c.Adversarial
			id++
		}
	}
	s.applyPools(cfg)
	if err := r.files.applyFiles(s, r, cfg); err != nil {
		return nil, err
	}
	crashes, err := crashNodes(s, seed)
	if err != nil {
		return nil, err
	}
	cfg.Faults.Crashes = crashes
	return cfg, nil
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
