package policies_test

import (
	"fmt"
	"time"

	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies"
)

// A scenario names a policy and the parameters it changes; the defaults
// fill the rest, Label names the curve and Build gives each node its
// picker, targets and calibration.
func ExampleBuild() {
	for _, s := range []policies.Spec{
		{Name: policies.CloseRandom},
		{Name: policies.TwoGroups, Threshold: 80 * time.Millisecond},
		{Name: policies.PeerScore, Fraction: 0.4, Margin: true},
		{Name: policies.Cardano},
	} {
		policies.ApplyDefaults(&s)
		p, err := policies.Build(s, node.RelayTargets, 20*time.Second)
		if err != nil {
			fmt.Println(err)
			continue
		}
		t := p.Targets
		fmt.Printf("%-17s known %d, established %d, active %d", policies.Label(s), t.Known, t.Established, t.Active)
		switch c := p.Calibration; {
		case c == nil:
			fmt.Print("; production churn")
		case c.Period == 0:
			fmt.Printf("; after %v, %d hot, static", c.Construct, c.Base.Active)
		default:
			fmt.Printf("; calibrating every %v", c.Period)
		}
		if p.MetricsSlots > 0 {
			fmt.Printf(", scores over %d slots", p.MetricsSlots)
		}
		fmt.Println()
	}
	// Output:
	// C6R4              known 150, established 150, active 0; after 2m0s, 10 hot, static
	// two-groups-80ms   known 150, established 10, active 10; calibrating every 33m20s
	// score-margin-40%  known 150, established 10, active 10; calibrating every 33m20s, scores over 100 slots
	// cardano           known 150, established 30, active 20; production churn
}
