package scenarios

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/sim/world"
)

const adversaryBase = `version: 1
name: adv
duration: 10m
nodes:
  count: 90
  classes:
    - {name: pool, count: 30, producer: true}
    - {name: relay, count: 60}
topology: {model: p2p}
p2p:
  targets: {root: 5, known: 20, established: 10, active: 5, known_big_ledger: 0, established_big_ledger: 0, active_big_ledger: 0}
`

// TestAdversaryClasses: each entry becomes a class after the file's, a
// share is of the whole network, and the nodes get their attacks.
func TestAdversaryClasses(t *testing.T) {
	s, err := Parse([]byte(adversaryBase+`adversary:
  - {name: sybil, share: 0.25, behaviour: eclipse, relay_delay: 3s, target: [relay]}
  - {name: spam, count: 4, behaviour: invalid-header, stake: 0.1}
`), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// 90 honest, a quarter of the whole: 30 attackers; then 4 more.
	if s.Nodes.Count != 124 || len(s.Nodes.Classes) != 4 || s.Nodes.Classes[2].Count != 30 || s.Nodes.Classes[3].Count != 4 {
		t.Fatalf("count %d, classes %+v", s.Nodes.Count, s.Nodes.Classes)
	}
	if s.honestCount() != 90 || !s.Nodes.Classes[3].Producer || s.Nodes.Classes[2].Producer {
		t.Errorf("honest %d; producers %v %v", s.honestCount(), s.Nodes.Classes[2].Producer, s.Nodes.Classes[3].Producer)
	}
	ApplyDefaults(s) // idempotent
	if s.Nodes.Count != 124 || len(s.Nodes.Classes) != 4 {
		t.Fatalf("ApplyDefaults again: count %d, %d classes", s.Nodes.Count, len(s.Nodes.Classes))
	}
	a := s.attacks()
	if a[89] != (world.Attack{}) || !a[90].Eclipse || a[90].RelayDelay != 3e9 || !a[90].NoInboundLimit || !a[123].InvalidHeader || a[123].Eclipse {
		t.Errorf("attacks %+v %+v %+v", a[89], a[90], a[123])
	}
	// Stake: the spammers hold 10 % together; the pools the rest.
	stake := make([]float64, s.Nodes.Count)
	for i := range 30 {
		stake[i] = 1.0 / 30
	}
	s.adjustStake(stake)
	sum, spam := 0.0, 0.0
	for i, x := range stake {
		sum += x
		if i >= 120 {
			spam += x
		}
	}
	if math.Abs(sum-1) > 1e-12 || math.Abs(spam-0.1) > 1e-12 || stake[100] != 0 {
		t.Errorf("stake sums to %v, spammers %v, an eclipse attacker %v", sum, spam, stake[100])
	}
}

// TestAdversaryTargets: a targeting attacker keeps up to its established
// target of the victims as one local-root group; others keep none.
func TestAdversaryTargets(t *testing.T) {
	s, err := Parse([]byte(adversaryBase+`adversary:
  - {name: sybil, count: 3, behaviour: eclipse, target: [relay]}
  - {name: quiet, count: 2, behaviour: eclipse}
`), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(s, 1, discard{}); err != nil {
		t.Fatal(err)
	}
	b := &p2pBuild{s: s, seed: 1}
	spec, _ := s.Attacker(s.Nodes.Classes[2])
	g := b.targetRoots(90, spec, 10)
	if len(g) != 1 || len(g[0].Peers) != 10 || g[0].WarmValency != 10 {
		t.Fatalf("groups %+v", g)
	}
	for _, p := range g[0].Peers {
		if p < 30 || p >= 90 {
			t.Errorf("victim %d is not a relay (30 … 89)", p)
		}
	}
	quiet, _ := s.Attacker(s.Nodes.Classes[3])
	if g := b.targetRoots(93, quiet, 10); g != nil {
		t.Errorf("an attacker without targets has local roots %+v", g)
	}
}

// TestAdversaryProblems: every bad entry is reported at its line, with
// what is accepted.
func TestAdversaryProblems(t *testing.T) {
	for _, tc := range []struct{ entry, want string }{
		{"{name: x, behaviour: eclipse}", "a.yaml:13:5: adversary[0]: neither count nor share"},
		{"{name: x, count: 3, share: 0.1, behaviour: eclipse}", "adversary[0].share: value \"0.1\": count and share both given"},
		{"{name: x, share: 1.5, behaviour: eclipse}", "accepted: a number 0 < share < 1"},
		{"{name: x, share: 0.001, behaviour: eclipse}", "rounds to no node among 90 honest ones"},
		{"{name: relay, count: 3, behaviour: eclipse}", "adversary[0].name: value \"relay\": also the name of nodes.classes[1]"},
		{"{name: x, count: 3, behaviour: lurk}", "adversary[0].behaviour: value \"lurk\": accepted: eclipse, go-dark, withhold, invalid-header, oversized-share"},
		{"{name: x, count: 3, behaviour: eclipse, relay_delay: soon}", "adversary[0].relay_delay: value \"soon\": accepted: never, or a duration"},
		{"{name: x, count: 3, behaviour: invalid-header, relay_delay: 1s}", "applies only to behaviour: eclipse"},
		{"{name: x, count: 3, behaviour: eclipse, target: [pools]}", "adversary[0].target[0]: value \"pools\": not a class of nodes.classes"},
		{"{name: x, count: 3, behaviour: eclipse, stake: 1}", "adversary[0].stake: value \"1\""},
		{"{name: x, count: 300000, behaviour: eclipse}", "adversary[0].count: value \"300000\""},
	} {
		_, err := Parse([]byte(adversaryBase+"adversary:\n  - "+tc.entry+"\n"), "a.yaml")
		var ps Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.entry, err, tc.want)
		}
	}
	_, err := Parse([]byte(strings.Replace(adversaryBase, "topology: {model: p2p}", "topology: {model: random, degree: 4}", 1)+
		"adversary:\n  - {name: x, count: 3, behaviour: eclipse}\n"), "a.yaml")
	if err == nil || !strings.Contains(err.Error(), "adversary: applies only with topology.model: p2p") {
		t.Errorf("static topology: %v", err)
	}
}

// TestAdversaryPlacement: attackers placed in a region are all there;
// spread ones, and the honest nodes, are anywhere; a region needs the
// geographic model.
func TestAdversaryPlacement(t *testing.T) {
	s, err := Parse([]byte(adversaryBase+`network: {latency: {model: geo}}
adversary:
  - {name: sybil, count: 20, behaviour: eclipse, placement: OC}
  - {name: spread, count: 20, behaviour: eclipse, placement: spread}
`), "a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Build(s, 1, discard{})
	if err != nil {
		t.Fatal(err)
	}
	g, ok := r.Latency.(*netmodel.Geo)
	if !ok {
		t.Fatalf("latency %T, want the geographic model", r.Latency)
	}
	regions := map[string]int{}
	for i := 0; i < 130; i++ {
		p := g.Place(i)
		switch {
		case i >= 90 && i < 110 && p.Region != "OC":
			t.Errorf("attacker %d in %s (%s), want OC", i, p.City, p.Region)
		case i < 90 || i >= 110:
			regions[p.Region]++
		}
	}
	if len(regions) < 3 || regions["OC"] > 20 {
		t.Errorf("the others' regions %v: want them spread by population", regions)
	}
	for _, tc := range []struct{ src, want string }{
		{"adversary:\n  - {name: x, count: 3, behaviour: eclipse, placement: EUROPE}\n", `adversary[0].placement: value "EUROPE": accepted: spread, or a region: NA, EU, AS, OC, SA, AF`},
		{"network: {latency: {model: matrix, file: m.csv}}\nadversary:\n  - {name: x, count: 3, behaviour: eclipse, placement: EU}\n", "a region of the built-in geographic model"},
	} {
		if _, err := Parse([]byte(adversaryBase+tc.src), "a.yaml"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.src, err, tc.want)
		}
	}
}
