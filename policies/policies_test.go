package policies

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/node"
)

func TestRegistry(t *testing.T) {
	want := []string{Cardano, CloseRandom, TwoGroups, PeerScore, Random, PolderCast, GodsView}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		about, ok := Describe(name)
		if !ok || about == "" {
			t.Errorf("Describe(%q) = %q, %v; want a description", name, about, ok)
		}
		if got, want := Runnable(name), name != GodsView; got != want {
			t.Errorf("Runnable(%q) = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"", "Cardano", "close_random", "PolderCast"} {
		if _, ok := Describe(name); ok {
			t.Errorf("Describe(%q) succeeded for an unregistered name", name)
		}
		if Runnable(name) {
			t.Errorf("Runnable(%q) = true for an unregistered name", name)
		}
	}
}

func TestApplyDefaults(t *testing.T) {
	cases := []struct {
		name string
		in   Spec
		want Spec
	}{
		{"cardano untouched", Spec{Name: Cardano}, Spec{Name: Cardano}},
		{"gods-view untouched", Spec{Name: GodsView}, Spec{Name: GodsView}},
		{"unknown untouched", Spec{Name: "x", Peers: 0}, Spec{Name: "x"}},
		{"close-random C6R4", Spec{Name: CloseRandom},
			Spec{Name: CloseRandom, Close: 6, Random: 4, Construct: 2 * time.Minute}},
		// Only both zero means "default": C3R0 and C0R5 are deliberate.
		{"close-random C3R0 kept", Spec{Name: CloseRandom, Close: 3},
			Spec{Name: CloseRandom, Close: 3, Construct: 2 * time.Minute}},
		{"close-random C0R5 kept", Spec{Name: CloseRandom, Random: 5, Construct: time.Minute},
			Spec{Name: CloseRandom, Random: 5, Construct: time.Minute}},
		{"two-groups", Spec{Name: TwoGroups},
			Spec{Name: TwoGroups, Peers: 10, Keep: 6, Threshold: 100 * time.Millisecond, Share: 0.5, Period: 2000 * time.Second}},
		{"two-groups given", Spec{Name: TwoGroups, Peers: 8, Keep: 2, Threshold: time.Millisecond, Share: 1, Period: time.Hour, Jitter: time.Minute},
			Spec{Name: TwoGroups, Peers: 8, Keep: 2, Threshold: time.Millisecond, Share: 1, Period: time.Hour, Jitter: time.Minute}},
		{"peer-score", Spec{Name: PeerScore},
			Spec{Name: PeerScore, Peers: 10, Fraction: 0.2, Period: 2000 * time.Second}},
		{"peer-score margin kept", Spec{Name: PeerScore, Margin: true, Fraction: 0.4},
			Spec{Name: PeerScore, Peers: 10, Fraction: 0.4, Margin: true, Period: 2000 * time.Second}},
		{"random", Spec{Name: Random}, Spec{Name: Random, Peers: 10}},
		{"random given", Spec{Name: Random, Peers: 3}, Spec{Name: Random, Peers: 3}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := cs.in
			ApplyDefaults(&got)
			if got != cs.want {
				t.Errorf("ApplyDefaults(%+v) = %+v, want %+v", cs.in, got, cs.want)
			}
			again := got
			ApplyDefaults(&again)
			if again != got {
				t.Errorf("ApplyDefaults is not idempotent: %+v then %+v", got, again)
			}
		})
	}
}

// withDefaults returns s after ApplyDefaults.
func withDefaults(s Spec) Spec {
	ApplyDefaults(&s)
	return s
}

func TestCheck(t *testing.T) {
	type prob = Problem
	cases := []struct {
		name string
		spec Spec
		want []prob
	}{
		{"cardano", Spec{Name: Cardano}, nil},
		{"close-random default", withDefaults(Spec{Name: CloseRandom}), nil},
		{"two-groups default", withDefaults(Spec{Name: TwoGroups}), nil},
		{"peer-score default", withDefaults(Spec{Name: PeerScore}), nil},
		{"random default", withDefaults(Spec{Name: Random}), nil},
		{"random 100", Spec{Name: Random, Peers: 100}, nil},
		{"two-groups keep 0 share 1", withDefaults(Spec{Name: TwoGroups, Share: 1, Keep: 0}), nil},
		{"unknown", Spec{Name: "gossipsub"},
			[]prob{{"name", `unknown policy "gossipsub"; accepted: cardano, close-random, two-groups, peer-score, random, poldercast, gods-view`}}},
		{"empty name", Spec{},
			[]prob{{"name", `unknown policy ""; accepted: cardano, close-random, two-groups, peer-score, random, poldercast, gods-view`}}},
		{"gods-view", Spec{Name: GodsView, Peers: 3},
			[]prob{{"name", `"gods-view" is a lower bound computed by compare, not a policy a node can run`}}},
		{"close-random negative", Spec{Name: CloseRandom, Close: -1, Random: 4, Construct: time.Minute},
			[]prob{{"close", "close -1, random 4: accepted ≥ 0"}}},
		{"close-random none", Spec{Name: CloseRandom, Construct: time.Minute},
			[]prob{{"close", "0 peers: accepted 1 to 100"}}},
		{"close-random too many", Spec{Name: CloseRandom, Close: 60, Random: 41, Construct: time.Minute},
			[]prob{{"close", "101 peers: accepted 1 to 100"}}},
		{"close-random construct", Spec{Name: CloseRandom, Close: 6, Random: 4, Construct: -time.Second},
			[]prob{{"construct", "-1s: accepted > 0"}}},
		{"close-random period", Spec{Name: CloseRandom, Close: 6, Random: 4, Construct: time.Minute, Period: time.Hour},
			[]prob{{"period", "1h0m0s: close-random does not calibrate; leave period out"}}},
		// The problem names the key written and its value.
		{"random jitter", Spec{Name: Random, Peers: 5, Jitter: time.Second},
			[]prob{{"jitter", "1s: random does not calibrate; leave jitter out"}}},
		{"cardano period", Spec{Name: Cardano, Period: time.Hour},
			[]prob{{"period", "1h0m0s: cardano does not calibrate; leave period out"}}},
		{"random peers 0", Spec{Name: Random},
			[]prob{{"peers", "0 peers: accepted 1 to 100"}}},
		{"random peers 101", Spec{Name: Random, Peers: 101},
			[]prob{{"peers", "101 peers: accepted 1 to 100"}}},
		{"two-groups everything", Spec{Name: TwoGroups, Peers: 10, Keep: 11, Threshold: -time.Millisecond, Share: 1.5, Period: -time.Second, Jitter: -time.Second},
			[]prob{
				{"keep", "11: accepted 0 to peers (10)"},
				{"threshold", "-1ms: accepted > 0"},
				{"replace", "1.5: accepted a fraction in (0, 1]"},
				{"period", "-1s: accepted > 0"},
				{"jitter", "-1s: accepted ≥ 0"},
			}},
		{"two-groups keep negative", withDefaults(Spec{Name: TwoGroups, Keep: -1}),
			[]prob{{"keep", "-1: accepted 0 to peers (10)"}}},
		{"two-groups share NaN", withDefaults(Spec{Name: TwoGroups, Share: math.NaN()}),
			[]prob{{"replace", "NaN: accepted a fraction in (0, 1]"}}},
		{"two-groups share negative", withDefaults(Spec{Name: TwoGroups, Share: -0.5}),
			[]prob{{"replace", "-0.5: accepted a fraction in (0, 1]"}}},
		{"two-groups peers 0", Spec{Name: TwoGroups, Threshold: time.Millisecond, Share: 0.5, Period: time.Hour},
			[]prob{{"peers", "0 peers: accepted 1 to 100"}}},
		{"peer-score fraction 1", withDefaults(Spec{Name: PeerScore, Fraction: 1}),
			[]prob{{"fraction", "1: accepted a fraction in (0, 1)"}}},
		{"peer-score fraction negative", withDefaults(Spec{Name: PeerScore, Fraction: -0.2}),
			[]prob{{"fraction", "-0.2: accepted a fraction in (0, 1)"}}},
		{"peer-score fraction +Inf", withDefaults(Spec{Name: PeerScore, Fraction: math.Inf(1)}),
			[]prob{{"fraction", "+Inf: accepted a fraction in (0, 1)"}}},
		{"peer-score no period", Spec{Name: PeerScore, Peers: 10, Fraction: 0.2},
			[]prob{{"period", "0s: accepted > 0"}}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := Check(cs.spec)
			if !slices.Equal(got, cs.want) {
				t.Errorf("Check(%+v):\n got %q\nwant %q", cs.spec, got, cs.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	cases := []struct {
		name string
		want []string
	}{
		{Cardano, nil},
		{GodsView, nil},
		{"unknown", nil},
		{CloseRandom, []string{"close", "random", "construct"}},
		{TwoGroups, []string{"peers", "threshold", "keep", "replace", "period", "jitter"}},
		{PeerScore, []string{"peers", "fraction", "margin", "period", "jitter"}},
		{Random, []string{"peers"}},
	}
	for _, cs := range cases {
		if got := Params(cs.name); !slices.Equal(got, cs.want) {
			t.Errorf("Params(%q) = %v, want %v", cs.name, got, cs.want)
		}
	}
	// Every Problem field Check can name for a runnable policy is one of
	// its parameters (or "name"), so scenarios can point at the key; the
	// one exception is "period" for a policy that does not calibrate,
	// which names the key the author must remove.
	specs := []Spec{
		{Name: CloseRandom, Close: -1, Construct: -1},
		{Name: TwoGroups, Peers: -1, Keep: -1, Threshold: -1, Share: -1, Period: -1, Jitter: -1},
		{Name: PeerScore, Peers: -1, Fraction: -1, Period: -1, Jitter: -1},
		{Name: Random, Peers: -1},
	}
	for _, s := range specs {
		for _, p := range Check(s) {
			if !slices.Contains(Params(s.Name), p.Field) {
				t.Errorf("Check(%+v) names field %q, not a parameter of %s (%v)", s, p.Field, s.Name, Params(s.Name))
			}
		}
	}
}

func TestLabel(t *testing.T) {
	cases := []struct {
		spec Spec
		want string
	}{
		{withDefaults(Spec{Name: CloseRandom}), "C6R4"},
		{Spec{Name: CloseRandom, Close: 3}, "C3R0"},
		{withDefaults(Spec{Name: TwoGroups}), "two-groups-100ms"},
		{Spec{Name: TwoGroups, Threshold: 1500 * time.Microsecond}, "two-groups-1ms"},
		{withDefaults(Spec{Name: PeerScore}), "score-20%"},
		{Spec{Name: PeerScore, Fraction: 0.4, Margin: true}, "score-margin-40%"},
		{Spec{Name: PeerScore, Fraction: 0.125}, "score-12.5%"},
		{Spec{Name: PeerScore, Fraction: 1.0 / 3}, "score-33.3%"},
		{withDefaults(Spec{Name: Random}), "random-10"},
		{Spec{Name: Cardano}, "cardano"},
		{Spec{Name: GodsView}, "gods-view"},
	}
	for _, cs := range cases {
		if got := Label(cs.spec); got != cs.want {
			t.Errorf("Label(%+v) = %q, want %q", cs.spec, got, cs.want)
		}
	}
}

// base is a node's configured targets in the Build tests: the production
// relay targets (node.RelayTargets).
var base = node.RelayTargets

func TestBuild(t *testing.T) {
	const block = 20 * time.Second
	// steady are the research policies' targets for k hot peers over
	// RelayTargets: root 60, known 150 kept, no big ledger peers.
	steady := func(k int) node.Targets {
		return node.Targets{Root: 60, Known: 150, Established: k, Active: k}
	}
	cases := []struct {
		name         string
		spec         Spec
		base         node.Targets
		block        time.Duration
		targets      node.Targets
		cal          *node.CalibrationConfig // Replace compared by presence only
		churn        bool
		metricsSlots int
		picker       string // %T of the picker
	}{
		{name: "cardano", spec: Spec{Name: Cardano}, base: base, block: block,
			targets: base, churn: true, picker: "<nil>"},
		{name: "random", spec: withDefaults(Spec{Name: Random}), base: base, block: block,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10)}, picker: "*policies.RandomPolicy"},
		{name: "close-random", spec: withDefaults(Spec{Name: CloseRandom}), base: base, block: block,
			// Construction: every known peer established, none active.
			targets: node.Targets{Root: 60, Known: 150, Established: 150},
			cal: &node.CalibrationConfig{Base: steady(10), Construction: node.Targets{Root: 60, Known: 150, Established: 150},
				Construct: DefaultConstruct},
			picker: "*policies.CloseRandomPolicy"},
		{name: "two-groups", spec: withDefaults(Spec{Name: TwoGroups, Jitter: time.Minute}), base: base, block: block,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10), Period: DefaultPeriod, Jitter: time.Minute},
			picker: "*policies.TwoGroupsPolicy"},
		// 2000 s at a block per 20 s: a 100-slot score window.
		{name: "peer-score", spec: withDefaults(Spec{Name: PeerScore}), base: base, block: block,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10), Period: DefaultPeriod},
			metricsSlots: 100, picker: "*policies.PeerScorePolicy"},
		// 2010 s / 20 s = 100.5 rounds half away from zero.
		{name: "peer-score rounding", spec: withDefaults(Spec{Name: PeerScore, Period: 2010 * time.Second}), base: base, block: block,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10), Period: 2010 * time.Second},
			metricsSlots: 101, picker: "*policies.PeerScorePolicy"},
		// A period shorter than half a block still keeps one slot.
		{name: "peer-score tiny period", spec: withDefaults(Spec{Name: PeerScore, Period: time.Second}), base: base, block: block,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10), Period: time.Second},
			metricsSlots: 1, picker: "*policies.PeerScorePolicy"},
		{name: "peer-score no block interval", spec: withDefaults(Spec{Name: PeerScore}), base: base,
			targets: steady(10), cal: &node.CalibrationConfig{Base: steady(10), Period: DefaultPeriod},
			picker: "*policies.PeerScorePolicy"},
		// Known grows to hold the hot peers; root never exceeds known.
		{name: "small base", spec: Spec{Name: Random, Peers: 12}, base: node.Targets{Root: 30, Known: 8, Established: 4, Active: 2},
			block: block, targets: node.Targets{Root: 8, Known: 12, Established: 12, Active: 12},
			cal: &node.CalibrationConfig{Base: node.Targets{Root: 8, Known: 12, Established: 12, Active: 12}}, picker: "*policies.RandomPolicy"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			p, err := Build(cs.spec, cs.base, cs.block)
			if err != nil {
				t.Fatalf("Build(%+v): %v", cs.spec, err)
			}
			if p.Targets != cs.targets {
				t.Errorf("Targets = %+v, want %+v", p.Targets, cs.targets)
			}
			if err := p.Targets.Check(); err != nil {
				t.Errorf("initial targets are not sane: %v", err)
			}
			if p.Churn != cs.churn {
				t.Errorf("Churn = %v, want %v", p.Churn, cs.churn)
			}
			if p.MetricsSlots != cs.metricsSlots {
				t.Errorf("MetricsSlots = %d, want %d", p.MetricsSlots, cs.metricsSlots)
			}
			if got := typeName(p.Picker); got != cs.picker {
				t.Errorf("Picker is %s, want %s", got, cs.picker)
			}
			switch {
			case cs.cal == nil && p.Calibration != nil:
				t.Errorf("Calibration = %+v, want none", *p.Calibration)
			case cs.cal != nil && p.Calibration == nil:
				t.Errorf("no Calibration, want %+v", *cs.cal)
			case cs.cal != nil:
				got := *p.Calibration
				if (got.Replace != nil) != (got.Period > 0) {
					t.Errorf("Replace %v with Period %v: want a Replacer exactly when calibrating", got.Replace, got.Period)
				}
				if got.Replace != nil && got.Replace != p.Picker.(node.Replacer) {
					t.Errorf("the Replacer is not the picker: the two must share one configuration")
				}
				got.Replace = nil
				if got != *cs.cal {
					t.Errorf("Calibration = %+v, want %+v", got, *cs.cal)
				}
				if err := p.Calibration.Check(); err != nil {
					t.Errorf("Calibration.Check: %v", err)
				}
				// Research policies hold established = active = K and no
				// big ledger peers.
				b := got.Base
				if b.Established != b.Active || b.KnownBLP+b.EstablishedBLP+b.ActiveBLP != 0 {
					t.Errorf("Base %+v: want established = active and no big ledger targets", b)
				}
			}
		})
	}
}

// typeName is %T of v ("<nil>" for a nil interface).
func typeName(v any) string { return fmt.Sprintf("%T", v) }

func TestBuildPickerConfig(t *testing.T) {
	p, err := Build(Spec{Name: CloseRandom, Close: 3, Random: 5, Construct: time.Minute}, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cr := p.Picker.(*CloseRandomPolicy); cr.Close != 3 {
		t.Errorf("close-random picker Close = %d, want 3", cr.Close)
	}
	if got := p.Calibration.Base.Active; got != 8 {
		t.Errorf("close-random C3R5 Base.Active = %d, want 8", got)
	}
	p, err = Build(Spec{Name: TwoGroups, Peers: 9, Keep: 4, Threshold: 70 * time.Millisecond, Share: 0.25, Period: time.Hour}, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tg := *p.Picker.(*TwoGroupsPolicy); tg != (TwoGroupsPolicy{Threshold: 70 * time.Millisecond, Keep: 4, Share: 0.25}) {
		t.Errorf("two-groups picker = %+v", tg)
	}
	p, err = Build(Spec{Name: PeerScore, Peers: 9, Fraction: 0.4, Margin: true, Period: time.Hour}, base, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ps := *p.Picker.(*PeerScorePolicy); ps != (PeerScorePolicy{Fraction: 0.4, Margin: true}) {
		t.Errorf("peer-score picker = %+v", ps)
	}
}

func TestBuildErrors(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		base node.Targets
		want string
	}{
		{"unchecked spec", Spec{Name: TwoGroups, Peers: 10, Keep: 11, Threshold: time.Millisecond, Share: 0.5, Period: time.Hour},
			base, "policy two-groups: keep: 11: accepted 0 to peers (10)"},
		{"unknown", Spec{Name: "x"}, base, `policy x: name: unknown policy "x"`},
		{"gods-view", Spec{Name: GodsView}, base, `policy gods-view: name: "gods-view" is a lower bound`},
		// Close-random establishes every known peer while measuring: more
		// than the established cap cannot be run.
		{"construction above the cap", withDefaults(Spec{Name: CloseRandom}), node.Targets{Root: 10, Known: 1500, Established: 30, Active: 20},
			"policy close-random: calibration Construction: targets"},
		{"known above the cap", withDefaults(Spec{Name: Random}), node.Targets{Root: 10, Known: 20000, Established: 30, Active: 20},
			"policy random: calibration Base: targets"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			p, err := Build(cs.spec, cs.base, 20*time.Second)
			if err == nil {
				t.Fatalf("Build(%+v) = %+v, want an error", cs.spec, p)
			}
			if !strings.HasPrefix(err.Error(), cs.want) {
				t.Errorf("error %q, want prefix %q", err, cs.want)
			}
		})
	}
}
