package scenarios

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/policies"
)

// p2pBase is a valid Dynamic P2P scenario; line 7 is "p2p:".
const p2pBase = "version: 1\nname: t\nnodes:\n  count: 20\ntopology:\n  model: p2p\n"

func TestPolicyProblems(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		field     string
		value     string
		msg       string // substring of Msg
	}{
		{"unknown policy", p2pBase + "p2p:\n  policy:\n    name: gossipsub\n", 9, 11, "p2p.policy.name", "",
			`unknown policy "gossipsub"; accepted: cardano, close-random, two-groups, peer-score, random, poldercast, gods-view`},
		{"overlay key on a governor policy", p2pBase + "p2p:\n  policy:\n    name: random\n    fanout: 3\n", 10, 13, "p2p.policy.fanout", "",
			"does not apply to policy random"},
		{"itn has no fanout", p2pBase + "p2p:\n  policy:\n    name: poldercast\n    mode: itn\n    fanout: 3\n", 11, 13, "p2p.policy.fanout", "",
			"mode itn announces to the whole view"},
		{"unknown overlay mode", p2pBase + "p2p:\n  policy:\n    name: poldercast\n    mode: gossip\n", 10, 11, "p2p.policy.mode", "",
			"accepted"},
		{"overlay without drops", p2pBase + "p2p:\n  policy:\n    name: poldercast\nfaults:\n  drop_every: 10m\n", 11, 15, "faults.drop_every", "10m0s",
			"p2p.policy does not model connection drops"},
		{"gods-view is not runnable", p2pBase + "p2p:\n  policy:\n    name: gods-view\n", 9, 11, "p2p.policy.name", "",
			`"gods-view" is a lower bound computed by compare, not a policy a node can run`},
		{"empty name", p2pBase + "p2p:\n  policy:\n    name: \"\"\n", 9, 11, "p2p.policy.name", "", "required; accepted: [cardano close-random"},
		// Without a name the policy is the default cardano, which takes no
		// parameters.
		{"parameter without a name", p2pBase + "p2p:\n  policy:\n    peers: 4\n", 9, 12, "p2p.policy.peers", "", "does not apply to policy cardano"},
		{"fraction with close-random", p2pBase + "p2p:\n  policy:\n    name: close-random\n    fraction: 0.2\n", 10, 15, "p2p.policy.fraction", "",
			"does not apply to policy close-random; accepted: remove it (its parameters: [close random construct])"},
		{"peers with cardano", p2pBase + "p2p:\n  policy:\n    name: cardano\n    peers: 5\n", 10, 12, "p2p.policy.peers", "",
			"does not apply to policy cardano"},
		{"bad fraction", p2pBase + "p2p:\n  policy:\n    name: peer-score\n    fraction: 1.5\n", 10, 15, "p2p.policy.fraction", "",
			"1.5: accepted a fraction in (0, 1)"},
		{"bad replace", p2pBase + "p2p:\n  policy:\n    name: two-groups\n    replace: -0.5\n", 10, 14, "p2p.policy.replace", "",
			"-0.5: accepted a fraction in (0, 1]"},
		{"keep above peers", p2pBase + "p2p:\n  policy:\n    name: two-groups\n    peers: 4\n    keep: 5\n", 11, 11, "p2p.policy.keep", "",
			"5: accepted 0 to peers (4)"},
		{"too many peers", p2pBase + "p2p:\n  policy:\n    name: close-random\n    close: 60\n    random: 41\n", 10, 12, "p2p.policy.close", "",
			"101 peers: accepted 1 to 100"},
		{"negative construct", p2pBase + "p2p:\n  policy:\n    name: close-random\n    construct: -1m\n", 10, 16, "p2p.policy.construct", "",
			"-1m0s: accepted > 0"},
		// A key that does not apply is one problem, not also Check's.
		{"period with close-random", p2pBase + "p2p:\n  policy:\n    name: close-random\n    period: 1h\n", 10, 13, "p2p.policy.period", "",
			"does not apply to policy close-random"},
		{"jitter with random", p2pBase + "p2p:\n  policy:\n    name: random\n    jitter: 1m\n", 10, 13, "p2p.policy.jitter", "",
			"does not apply to policy random"},
		{"label too long", p2pBase + "p2p:\n  policy:\n    name: random\n    label: " + strings.Repeat("x", 41) + "\n", 10, 12, "p2p.policy.label",
			strings.Repeat("x", 41), "at most 40 characters"},
		{"unknown key", p2pBase + "p2p:\n  policy:\n    name: random\n    pears: 4\n", 10, 5, "p2p.policy.pears", "", "peers"},
		{"repeated label", p2pBase + "compare:\n  policies:\n    - name: close-random\n    - {name: close-random, close: 6, random: 4}\n", 10, 7,
			"compare.policies[1].label", "C6R4", "a repeated label; accepted: a label of its own for each policy"},
		{"repeated written label", p2pBase + "compare:\n  policies:\n    - {name: random, label: a}\n    - {name: cardano, label: a}\n", 10, 30,
			"compare.policies[1].label", "a", "a repeated label"},
		{"repeated seed", p2pBase + "compare:\n  seeds: [1, 2, 1]\n  policies:\n    - name: random\n", 8, 17,
			"compare.seeds[2]", "1", "a repeated seed; accepted: distinct seeds"},
		{"compare without p2p", "version: 1\nname: t\nnodes:\n  count: 20\ncompare:\n  policies:\n    - name: random\n", 5, 1,
			"compare", "", "applies only with topology.model: p2p; accepted: remove it"},
		{"compare without policies", p2pBase + "compare:\n  seeds: [1]\n", 7, 1, "compare.policies", "", "required in a compare section"},
		{"gods-view takes no parameters", p2pBase + "compare:\n  policies:\n    - name: random\n    - name: gods-view\n      peers: 3\n", 11, 14,
			"compare.policies[1].peers", "", "gods-view takes no parameters; accepted: remove it"},
		{"bad compare policy", p2pBase + "compare:\n  policies:\n    - name: random\n    - {name: peer-score, fraction: 0}\n", 0, 0,
			"", "", ""}, // fraction 0 takes the default: valid
		{"compare window", p2pBase + "compare:\n  window: -1m\n  policies:\n    - name: random\n", 8, 11, "compare.window", "-1m0s", "accepted: a duration > 0"},
		{"warmup equal to duration", p2pBase + "duration: 1h\nwarmup: 1h\n", 8, 9, "warmup", "1h0m0s", "accepted: a duration ≥ 0 and shorter than the run"},
		{"warmup beyond duration", p2pBase + "duration: 1h\nwarmup: 2h\n", 8, 9, "warmup", "2h0m0s", "shorter than the run"},
		{"negative warmup", p2pBase + "warmup: -1s\n", 7, 9, "warmup", "-1s", "a duration ≥ 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.field == "" {
				if _, err := Parse([]byte(tt.src), "t.yaml"); err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			p := oneProblem(t, tt.src)
			if p.File != "t.yaml" || p.Line != tt.line || p.Col != tt.col || p.Field != tt.field || p.Value != tt.value {
				t.Errorf("got %s:%d:%d field %q value %q; want t.yaml:%d:%d field %q value %q (%s)",
					p.File, p.Line, p.Col, p.Field, p.Value, tt.line, tt.col, tt.field, tt.value, p.Msg)
			}
			if !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", p.Msg, tt.msg)
			}
		})
	}
}

// TestPolicyUnbuildable: a policy that cannot run on the scenario's
// targets is a validation problem at p2p.policy, found before Build. Here
// close-random would establish all 1,500 known peers while it measures
// them, above the established cap of 1,000.
func TestPolicyUnbuildable(t *testing.T) {
	src := p2pBase + "p2p:\n  targets: {root: 60, known: 1500, established: 30, active: 20}\n  policy:\n    name: close-random\n"
	s, err := Parse([]byte(src), "t.yaml")
	if err == nil {
		// Build must at least refuse it with a pointed error.
		_, berr := Build(s, 1, nil)
		var ps Problems
		if !errors.As(berr, &ps) || len(ps) != 1 || ps[0].Field != "p2p.policy" || ps[0].Line != 9 {
			t.Fatalf("Build error %v: want one problem at t.yaml:9 p2p.policy", berr)
		}
		t.Fatalf("Parse accepted a policy its targets cannot run; Build then fails with:\n%v", berr)
	}
	ps := err.(Problems)
	if len(ps) != 1 || !strings.HasPrefix(ps[0].Field, "p2p.") || !strings.Contains(ps[0].Msg, "1000") {
		t.Fatalf("got %v; want one problem naming the established cap", ps)
	}
}

func TestVariants(t *testing.T) {
	// No compare section: the scenario's own policy, on its own seed.
	s, err := Parse([]byte(p2pBase+"seed: 9\np2p:\n  policy:\n    name: peer-score\n    fraction: 0.4\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Variants(); len(got) != 1 || got[0].Label != "score-40%" || got[0].Bound || got[0].Policy.Name != policies.PeerScore {
		t.Errorf("Variants = %+v, want the one score-40%% policy", got)
	}
	if got := s.Seeds(); !slices.Equal(got, []uint64{9}) {
		t.Errorf("Seeds = %v, want [9]", got)
	}
	// The peer-score period (default 2000 s) is the round.
	if got := s.CompareWindow(); got != policies.DefaultPeriod {
		t.Errorf("CompareWindow = %v, want %v", got, policies.DefaultPeriod)
	}

	src := p2pBase + `seed: 9
compare:
  seeds: [3, 1, 2]
  policies:
    - name: close-random
    - {name: close-random, close: 8, random: 2}
    - name: gods-view
    - {name: two-groups, threshold: 80ms, period: 30m}
    - {name: peer-score, label: mine, period: 10m}
    - name: cardano
`
	if s, err = Parse([]byte(src), "t.yaml"); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		label, name string
		bound       bool
	}{
		{"C6R4", policies.CloseRandom, false}, {"C8R2", policies.CloseRandom, false}, {"gods-view", policies.GodsView, true},
		{"two-groups-80ms", policies.TwoGroups, false}, {"mine", policies.PeerScore, false}, {"cardano", policies.Cardano, false},
	}
	got := s.Variants()
	if len(got) != len(want) {
		t.Fatalf("Variants = %+v, want %d rows", got, len(want))
	}
	for i, w := range want {
		if got[i].Label != w.label || got[i].Policy.Name != w.name || got[i].Bound != w.bound {
			t.Errorf("row %d = %q %s bound %v, want %q %s bound %v", i, got[i].Label, got[i].Policy.Name, got[i].Bound, w.label, w.name, w.bound)
		}
	}
	// Seeds as written, not sorted.
	if got := s.Seeds(); !slices.Equal(got, []uint64{3, 1, 2}) {
		t.Errorf("Seeds = %v, want [3 1 2]", got)
	}
	// The first calibrating policy's period: two-groups' 30 m.
	if got := s.CompareWindow(); got != 30*time.Minute {
		t.Errorf("CompareWindow = %v, want 30m", got)
	}
	s.Compare.Window = 5 * time.Minute
	if got := s.CompareWindow(); got != 5*time.Minute {
		t.Errorf("CompareWindow with window 5m = %v", got)
	}
	// Nothing calibrates: the default round.
	if s, err = Parse([]byte(p2pBase+"compare:\n  policies:\n    - name: gods-view\n    - name: random\n    - name: close-random\n"), "t.yaml"); err != nil {
		t.Fatal(err)
	}
	if got := s.CompareWindow(); got != DefaultCompareWindow {
		t.Errorf("CompareWindow = %v, want %v", got, DefaultCompareWindow)
	}
}

func TestWithPolicy(t *testing.T) {
	s, err := Parse([]byte(p2pBase+"p2p:\n  policy:\n    name: random\n    peers: 6\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := PolicySpec{Name: policies.TwoGroups, Replace: 0.25, Label: "tg"}
	c := s.WithPolicy(p)
	if c.P2P.Policy != p || s.P2P.Policy.Name != policies.Random || s.P2P.Policy.Peers != 6 {
		t.Errorf("WithPolicy: copy has %+v, original %+v", c.P2P.Policy, s.P2P.Policy)
	}
	if c.Path != s.Path || c.Hash != s.Hash || c.Seed != s.Seed {
		t.Errorf("WithPolicy changed more than the policy")
	}
	// The copy keeps the positions for Build's errors.
	if pos, ok := c.Position("p2p.policy"); !ok || pos.Line != 8 {
		t.Errorf("copy's p2p.policy position = %+v, %v; want line 8", pos, ok)
	}
	if got := c.P2P.Policy.Spec(); got.Share != 0.25 || got.Peers != policies.DefaultPeers || got.Period != policies.DefaultPeriod {
		t.Errorf("Spec() = %+v: want replace → Share and the defaults", got)
	}
	if got := c.P2P.Policy.Title(); got != "tg" {
		t.Errorf("Title = %q, want the label", got)
	}
	// The file's p2p.policy keys do not follow into the copy: the copy
	// validates although two-groups takes no "peers" key from the file
	// (a scenario whose p2p.policy has parameters once failed to compare).
	if probs := Validate(s.WithPolicy(PolicySpec{Name: policies.CloseRandom})); len(probs) > 0 {
		t.Errorf("WithPolicy(close-random) of a file with p2p.policy.peers: %v", probs)
	}
}

// TestShippedScenariosPolicies: every scenario shipped with dpsim still parses,
// its comparison rows have distinct titles, and each runnable row builds
// its plan on every class's targets.
func TestShippedScenariosPolicies(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			for _, s := range loadShipped(t, f) {
				shippedPolicies(t, s)
			}
		})
	}
}

// shippedPolicies checks one shipped scenario's comparison rows.
func shippedPolicies(t *testing.T, s *Scenario) {
	var titles []string
	for _, v := range s.Variants() {
		if slices.Contains(titles, v.Label) {
			t.Errorf("repeated row title %q", v.Label)
		}
		titles = append(titles, v.Label)
		if v.Bound || s.Topology.Model != TopologyP2P {
			continue
		}
		for _, c := range s.Nodes.Classes {
			tg := s.P2P.Targets.Node()
			if !c.Targets.IsZero() {
				tg = c.Targets.Node()
			}
			if _, err := policies.Build(v.Policy.Spec(), tg, time.Duration(float64(s.Blocks.Slot)/s.Blocks.ActiveSlotCoeff)); err != nil {
				t.Errorf("row %s, class %s: %v", v.Label, c.Name, err)
			}
		}
	}
	if len(s.Seeds()) == 0 || s.CompareWindow() <= 0 {
		t.Errorf("Seeds %v, CompareWindow %v", s.Seeds(), s.CompareWindow())
	}
}

// FuzzPolicy writes arbitrary text as p2p.policy: Parse never panics,
// fails only with Problems, and a policy it accepts passes policies.Check,
// has a title and builds its plan on the scenario's targets.
func FuzzPolicy(f *testing.F) {
	for _, s := range []string{
		"{name: cardano}",
		"{name: close-random, close: 3, random: 0, construct: 30s}",
		"{name: two-groups, threshold: 80ms, keep: 4, replace: 0.28, period: 30m, jitter: 1m}",
		"{name: peer-score, fraction: 0.4, margin: true, label: s40}",
		"{name: random, peers: 100}",
		"{name: gods-view}",
		"{name: random, peers: 1e3}",
		"{name: peer-score, fraction: .nan}",
		"[random]",
		"random",
		"{name: two-groups, period: 30}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, policy string) {
		src := p2pBase + "p2p:\n  policy: " + policy + "\n"
		s, err := Parse([]byte(src), "fuzz.yaml")
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Problems", err, err)
			}
			return
		}
		sp := s.P2P.Policy.Spec()
		if probs := policies.Check(sp); len(probs) > 0 {
			t.Fatalf("accepted policy %+v fails Check: %v", sp, probs)
		}
		if s.P2P.Policy.Title() == "" {
			t.Fatalf("accepted policy %+v has no title", sp)
		}
		if _, err := policies.Build(sp, s.P2P.Targets.Node(), time.Duration(float64(s.Blocks.Slot)/s.Blocks.ActiveSlotCoeff)); err != nil {
			t.Fatalf("accepted policy %+v does not build: %v", sp, err)
		}
	})
}
