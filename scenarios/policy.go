package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dpsim/dpsim/policies"
)

// Limits of the compare section.
const (
	MaxCompareSeeds    = 100
	MaxComparePolicies = 20
	MaxLabelLen        = 40
	// DefaultCompareWindow is the convergence round of a comparison whose
	// policies do not calibrate.
	DefaultCompareWindow = time.Hour
)

// Spec converts to package policies' Spec with its defaults applied.
func (p PolicySpec) Spec() policies.Spec {
	s := policies.Spec{Name: p.Name, Close: p.Close, Random: p.Random, Peers: p.Peers,
		Threshold: p.Threshold, Keep: p.Keep, Share: p.Replace, Fraction: p.Fraction, Margin: p.Margin,
		Period: p.Period, Jitter: p.Jitter, Construct: p.Construct,
		Mode: p.Mode, Fanout: p.Fanout, View: p.View, Gossip: p.Gossip, Interval: p.Interval}
	policies.ApplyDefaults(&s)
	return s
}

// policyKeys are the parameter keys of a policy entry.
var policyKeys = []string{"close", "random", "peers", "threshold", "keep", "replace", "fraction", "margin", "period", "jitter", "construct",
	"mode", "fanout", "view", "gossip", "interval"}

// Overlay reports whether the scenario's policy is an overlay that runs
// instead of the governors (poldercast): no peer metrics, no peers.csv.
func (s *Scenario) Overlay() bool {
	return s.Topology.Model == TopologyP2P && s.P2P.Policy.Name == policies.PolderCast
}

// Title is the policy's label: Label when set, else policies.Label.
func (p PolicySpec) Title() string {
	if p.Label != "" {
		return p.Label
	}
	return policies.Label(p.Spec())
}

// Variant is one row of a comparison.
type Variant struct {
	Label  string
	Policy PolicySpec
	// Bound marks the god's-view lower bound: computed, not run.
	Bound bool
}

// Variants returns the comparison's rows in the order the scenario lists
// them; without a compare section, the scenario's own policy alone.
func (s *Scenario) Variants() []Variant {
	list := s.Compare.Policies
	if len(list) == 0 {
		list = []PolicySpec{s.P2P.Policy}
	}
	out := make([]Variant, len(list))
	for i, p := range list {
		out[i] = Variant{Label: p.Title(), Policy: p, Bound: p.Name == policies.GodsView}
	}
	return out
}

// Seeds returns the seeds a comparison runs: compare.seeds, else the
// scenario's seed.
func (s *Scenario) Seeds() []uint64 {
	if len(s.Compare.Seeds) > 0 {
		return s.Compare.Seeds
	}
	return []uint64{s.Seed}
}

// WithPolicy returns a copy of s whose nodes run policy p.
func (s *Scenario) WithPolicy(p PolicySpec) *Scenario {
	c := *s
	c.P2P.Policy = p
	// The file's p2p.policy keys no longer describe the policy: forget
	// where they were, or validation would take them as given.
	c.pos = make(map[string]Pos, len(s.pos))
	for k, v := range s.pos {
		if !strings.HasPrefix(k, "p2p.policy.") {
			c.pos[k] = v
		}
	}
	return &c
}

// CompareWindow is the width of a convergence round: compare.window, else
// the period of the first calibrating policy, else DefaultCompareWindow.
func (s *Scenario) CompareWindow() time.Duration {
	if s.Compare.Window > 0 {
		return s.Compare.Window
	}
	for _, v := range s.Variants() {
		if sp := v.Policy.Spec(); sp.Period > 0 && !v.Bound {
			return sp.Period
		}
	}
	return DefaultCompareWindow
}

// policy checks a policy spec written at field (p2p.policy or
// compare.policies[i]); bound allows gods-view.
func (v *validator) policy(field string, p PolicySpec, bound bool) {
	if p.Name == "" {
		v.add(field+".name", "", "required; accepted: "+fmt.Sprint(policies.Names()))
		return
	}
	if p.Name == policies.GodsView && bound {
		for _, k := range policyKeys {
			if v.given(field + "." + k) {
				v.add(field+"."+k, "", "gods-view takes no parameters; accepted: remove it")
			}
		}
		return
	}
	params := policies.Params(p.Name)
	if _, ok := policies.Describe(p.Name); ok {
		for _, k := range policyKeys {
			if v.given(field+"."+k) && !slices.Contains(params, k) {
				v.add(field+"."+k, "", fmt.Sprintf("does not apply to policy %s; accepted: remove it (its parameters: %v)", p.Name, params))
			}
		}
	}
	probs := policies.Check(p.Spec())
	for _, pr := range probs {
		if pr.Field != "name" && v.given(field+"."+pr.Field) && !slices.Contains(params, pr.Field) {
			continue // reported above as not applying
		}
		v.add(field+"."+pr.Field, "", pr.Msg)
	}
	if len(probs) == 0 && v.s.Topology.Model == TopologyP2P && v.s.Blocks.ActiveSlotCoeff > 0 {
		// A policy the class targets cannot run (e.g. close-random
		// establishing more known peers than the governor allows).
		blockEvery := time.Duration(float64(v.s.Blocks.Slot) / v.s.Blocks.ActiveSlotCoeff)
		for _, c := range v.s.Nodes.Classes {
			t := v.s.P2P.Targets.Node()
			if !c.Targets.IsZero() {
				t = c.Targets.Node()
			}
			if t.Check() != nil {
				continue // reported with the targets
			}
			if _, err := policies.Build(p.Spec(), t, blockEvery); err != nil {
				v.add(field, p.Name, err.Error())
				break
			}
		}
	}
	if len(p.Label) > MaxLabelLen {
		v.add(field+".label", p.Label, fmt.Sprintf("accepted: at most %d characters", MaxLabelLen))
	}
	if p.Name == policies.PolderCast {
		v.overlayFits(field)
	}
}

// overlayFits reports what a scenario asks that the PolderCast overlay
// (policy at field) does not model: it has no governor, so no
// adversaries, injected connection failures or drops, nor operators'
// roots. Crashes are modelled (a node leaves and rejoins the overlay).
func (v *validator) overlayFits(field string) {
	s := v.s
	why := func(what string) string {
		return fmt.Sprintf("%s does not model %s; accepted: remove one of them", field, what)
	}
	if s.Faults.ConnectionFailure != 0 {
		v.add("faults.connection_failure", fmt.Sprint(s.Faults.ConnectionFailure), why("injected connection failures"))
	}
	if s.Faults.DropEvery != 0 {
		v.add("faults.drop_every", fmtDur(s.Faults.DropEvery), why("connection drops"))
	}
	for i, c := range s.Nodes.Classes {
		if c.Adversarial {
			v.add(fmt.Sprintf("nodes.classes[%d].adversarial", i), "true", why("adversarial nodes"))
		}
	}
	if !s.Operators.Folder.IsZero() || len(s.Operators.Nodes) > 0 {
		v.add("operators", "", why("operators' topology and config files"))
	}
}

// compare checks the warm-up and the compare section.
func (v *validator) compare() {
	s := v.s
	if s.Warmup < 0 || (s.Duration > 0 && s.Warmup >= s.Duration) {
		v.add("warmup", fmtDur(s.Warmup), "accepted: a duration ≥ 0 and shorter than the run")
	}
	c := &s.Compare
	given := v.given("compare")
	if given && s.Topology.Model != TopologyP2P {
		v.add("compare", "", "applies only with topology.model: p2p; accepted: remove it")
		return
	}
	if len(c.Seeds) > MaxCompareSeeds {
		v.add("compare.seeds", fmtInt(len(c.Seeds)), fmt.Sprintf("accepted: at most %d seeds", MaxCompareSeeds))
	}
	for i, sd := range c.Seeds {
		if slices.Index(c.Seeds, sd) < i {
			v.add(fmt.Sprintf("compare.seeds[%d]", i), fmt.Sprint(sd), "a repeated seed; accepted: distinct seeds")
		}
	}
	if given && len(c.Policies) == 0 {
		v.add("compare.policies", "", "required in a compare section; accepted: a list of policies (name: cardano, close-random, two-groups, peer-score, random, gods-view)")
	}
	if len(c.Policies) > MaxComparePolicies {
		v.add("compare.policies", fmtInt(len(c.Policies)), fmt.Sprintf("accepted: at most %d policies", MaxComparePolicies))
	}
	var labels []string
	for i, p := range c.Policies {
		f := fmt.Sprintf("compare.policies[%d]", i)
		v.policy(f, p, true)
		if _, ok := policies.Describe(p.Name); !ok {
			continue
		}
		l := p.Title()
		if slices.Contains(labels, l) {
			v.add(f+".label", l, "a repeated label; accepted: a label of its own for each policy")
		}
		labels = append(labels, l)
	}
	if c.Window < 0 || c.Window > MaxDuration {
		v.add("compare.window", fmtDur(c.Window), "accepted: a duration > 0")
	}
	if c.GodsViewSources < 0 || c.GodsViewSources > MaxNodes {
		v.add("compare.gods_view_sources", fmtInt(c.GodsViewSources), fmt.Sprintf("accepted: 0 (all producers) … %d", MaxNodes))
	}
}
