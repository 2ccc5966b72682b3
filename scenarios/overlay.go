package scenarios

import (
	"cmp"
	"errors"
	"slices"

	"github.com/dpsim/dpsim/policies"
	"github.com/dpsim/dpsim/sim/world"
)

// buildOverlay turns p2p.policy poldercast into the world's overlay
// configuration. Every node runs the overlay with Jörmungandr's default
// subscriptions; a crash takes a node out of the overlay for its down
// time, as it takes a governor's node down.
func buildOverlay(s *Scenario, seed uint64) (*world.PolderCastConfig, error) {
	plan, err := policies.Build(s.P2P.Policy.Spec(), s.P2P.Targets.Node(), 0)
	if err == nil && plan.Overlay == nil {
		err = errors.New("not an overlay policy")
	}
	if err != nil {
		return nil, s.errorAt("p2p.policy", err)
	}
	cfg := &world.PolderCastConfig{Params: *plan.Overlay}
	crashes, err := crashNodes(s, seed)
	if err != nil {
		return nil, err
	}
	for _, c := range crashes {
		cfg.Churn = append(cfg.Churn,
			world.OverlayChurn{Node: c.Node, At: c.At, Up: false},
			world.OverlayChurn{Node: c.Node, At: c.At.Add(c.Down), Up: true})
	}
	// The driver takes churn in time order; ties in node order.
	slices.SortStableFunc(cfg.Churn, func(a, b world.OverlayChurn) int {
		return cmp.Or(cmp.Compare(a.At, b.At), cmp.Compare(a.Node, b.Node))
	})
	return cfg, nil
}
