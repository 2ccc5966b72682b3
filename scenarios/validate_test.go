package scenarios

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// parseProblems parses src and returns its problems, failing the test when
// it parses cleanly or fails with another error type.
func parseProblems(t *testing.T, src string) Problems {
	t.Helper()
	s, err := Parse([]byte(src), "t.yaml")
	if err == nil {
		t.Fatalf("Parse accepted %+v; want problems", s)
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	return ps
}

// oneProblem parses src and returns its only problem.
func oneProblem(t *testing.T, src string) Problem {
	t.Helper()
	ps := parseProblems(t, src)
	if len(ps) != 1 {
		t.Fatalf("got %d problems, want 1:\n%v", len(ps), ps)
	}
	return ps[0]
}

// The base of every rule case: valid, with the line under test appended or
// substituted. Line 4 is nodes.count.
const base = "version: 1\nname: t\nnodes:\n  count: 20\n"

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		field     string
		value     string
		accepted  string // substring of Msg
	}{
		{"version missing", "name: t\nnodes:\n  count: 20\n", 0, 0, "version", "", "required; accepted: 1"},
		{"version 2", "version: 2\nname: t\nnodes:\n  count: 20\n", 1, 10, "version", "2", "accepted: 1"},
		{"name missing", "version: 1\nnodes:\n  count: 20\n", 0, 0, "name", "", "required"},
		{"name upper case", "version: 1\nname: Quick\nnodes:\n  count: 20\n", 2, 7, "name", "Quick", "a-z 0-9 . _ -"},
		{"name dot-dot", "version: 1\nname: ..\nnodes:\n  count: 20\n", 2, 7, "name", "..", "not starting with a dot"},
		{"name too long", "version: 1\nname: " + strings.Repeat("a", 65) + "\nnodes:\n  count: 20\n", 2, 7, "name", strings.Repeat("a", 60) + "…", "1 to 64"},
		{"duration zero", base + "duration: 0s\n", 5, 11, "duration", "0s", "> 0 and ≤ 9600h"},
		{"duration negative", base + "duration: -5m\n", 5, 11, "duration", "-5m0s", "> 0"},
		{"duration too long", base + "duration: 9601h\n", 5, 11, "duration", "9601h0m0s", "≤ 9600h"},
		{"invariants past the end", base + "duration: 1h\ncheck:\n  invariants: 2h\n", 7, 15, "check.invariants", "2h0m0s", "whole number of seconds up to the duration"},
		{"invariants fraction", base + "duration: 1h\ncheck:\n  invariants: 1500ms\n", 7, 15, "check.invariants", "1.5s", "whole number of seconds"},
		{"invariants negative", base + "duration: 1h\ncheck:\n  invariants: -1m\n", 7, 15, "check.invariants", "-1m0s", "0 (off)"},
		{"count missing", "version: 1\nname: t\nnodes:\n  stake:\n    distribution: uniform\n", 3, 1, "nodes.count", "", "required; accepted: an integer 2 … 200000"},
		{"count 1", "version: 1\nname: t\nnodes:\n  count: 1\n", 4, 10, "nodes.count", "1", "2 … 200000"},
		{"count 200001", "version: 1\nname: t\nnodes:\n  count: 200001\n", 4, 10, "nodes.count", "200001", "2 … 200000"},
		{"class sum", base + "  classes:\n    - {name: a, count: 4, producer: true}\n", 4, 10, "nodes.count", "20", "sum of the class counts (4)"},
		{"class count 0", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true}\n    - {name: b, count: 0}\n", 6, 24, "nodes.classes[1].count", "0", "1 … 200000"},
		{"class name", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: A.b, count: 20, producer: true}\n", 5, 14, "nodes.classes[0].name", "A.b", "a-z 0-9 _ -"},
		{"class duplicate", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true}\n    - {name: a, count: 2}\n", 6, 14, "nodes.classes[1].name", "a", "also nodes.classes[0]"},
		{"no producer", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20}\n", 4, 3, "nodes.classes", "", "at least one class with producer: true"},
		{"stake distribution", base + "  stake:\n    distribution: zipf\n", 6, 19, "nodes.stake.distribution", "zipf", "uniform, pareto, file"},
		{"pareto alpha 0", base + "  stake:\n    pareto_alpha: 0\n", 6, 19, "nodes.stake.pareto_alpha", "0", "> 0 and ≤ 100"},
		{"pareto alpha inf", base + "  stake:\n    pareto_alpha: .inf\n", 6, 19, "nodes.stake.pareto_alpha", "+Inf", "> 0 and ≤ 100"},
		{"pareto alpha with uniform", base + "  stake:\n    distribution: uniform\n    pareto_alpha: 2\n", 7, 19, "nodes.stake.pareto_alpha", "2", "applies only to distribution: pareto"},
		{"stake file missing", base + "  stake:\n    distribution: file\n", 5, 3, "nodes.stake.file", "", "required with distribution: file"},
		{"stake file with pareto", base + "  stake:\n    file: s.csv\n", 6, 11, "nodes.stake.file", "s.csv", "applies only with distribution: file"},
		{"latency model", base + "network:\n  latency:\n    model: ripe\n", 7, 12, "network.latency.model", "ripe", "geo, matrix, edges"},
		{"latency file missing", base + "network:\n  latency:\n    model: matrix\n", 6, 3, "network.latency.file", "", "required with model: matrix or edges"},
		{"latency file with geo", base + "network:\n  latency:\n    file: m.csv\n", 7, 11, "network.latency.file", "m.csv", "applies only with model: matrix or edges"},
		{"jitter", base + "network:\n  jitter: 1.5\n", 6, 11, "network.jitter", "1.5", "0 … 1"},
		{"jitter negative", base + "network:\n  jitter: -0.1\n", 6, 11, "network.jitter", "-0.1", "0 … 1"},
		{"bandwidth", base + "network:\n  bandwidth_mbps: 100001\n", 6, 19, "network.bandwidth_mbps", "100001", "0 (unlimited) or a number > 0 and ≤ 100000"},
		{"topology model", base + "topology:\n  model: ring\n", 6, 10, "topology.model", "ring", "random, edges"},
		{"degree 0", base + "topology:\n  degree: 0\n", 6, 11, "topology.degree", "0", "1 … 19 (nodes.count - 1)"},
		{"degree default too big", "version: 1\nname: t\nnodes:\n  count: 5\n", 0, 0, "topology.degree", "10", "1 … 4 (nodes.count - 1); 10 is the default"},
		{"degree with edges", base + "topology:\n  model: edges\n  file: e.csv\n  degree: 3\n", 8, 11, "topology.degree", "3", "applies only to model: random"},
		{"topology file missing", base + "topology:\n  model: edges\n", 5, 1, "topology.file", "", "required with model: edges"},
		{"slot", base + "blocks:\n  slot: 0s\n", 6, 9, "blocks.slot", "0s", "> 0 and ≤ 1h"},
		{"active slot coeff", base + "blocks:\n  active_slot_coeff: 1.01\n", 6, 22, "blocks.active_slot_coeff", "1.01", "> 0 and ≤ 1"},
		{"header bytes", base + "blocks:\n  header_bytes: 0\n", 6, 17, "blocks.header_bytes", "0", "1 … 1048576"},
		{"body bytes", base + "blocks:\n  body_bytes: -1\n", 6, 15, "blocks.body_bytes", "-1", "0 … 104857600"},
		{"forge delay", base + "blocks:\n  forge_delay: -1ms\n", 6, 16, "blocks.forge_delay", "-1ms", "0 … 1m"},
		{"header validation", base + "blocks:\n  header_validation: 2m\n", 6, 22, "blocks.header_validation", "2m0s", "0 … 1m"},
		{"body validation", base + "blocks:\n  body_validation: -1s\n", 6, 20, "blocks.body_validation", "-1s", "0 … 1m"},
		{"body validation per KiB", base + "blocks:\n  body_validation_per_kib: 61s\n", 6, 28, "blocks.body_validation_per_kib", "1m1s", "0 … 1m"},
		{"body sizes and body bytes", base + "blocks:\n  body_bytes: 100\n  body_sizes: [{bytes: 5, weight: 1}]\n", 6, 15, "blocks.body_bytes", "100", "conflicts with blocks.body_sizes"},
		{"body size bytes", base + "blocks:\n  body_sizes:\n    - {bytes: -5, weight: 1}\n", 7, 15, "blocks.body_sizes[0].bytes", "-5", "0 … 104857600"},
		{"body size weight", base + "blocks:\n  body_sizes:\n    - {bytes: 5, weight: 0}\n", 7, 26, "blocks.body_sizes[0].weight", "0", "> 0"},
		{"serve delay", base + "blocks:\n  serve_delay: -1ms\n", 6, 16, "blocks.serve_delay", "-1ms", "0 … 1m"},
		{"transport", base + "network:\n  transport: quic\n", 6, 14, "network.transport", "quic", "accepted: tcp, ideal"},
		{"tcp with ideal", base + "network:\n  transport: ideal\n  tcp:\n    initial_window: 4\n", 7, 3, "network.tcp", "", "applies only with transport: tcp"},
		{"tcp segment", base + "network:\n  tcp:\n    segment_bytes: 0\n", 7, 20, "network.tcp.segment_bytes", "0", "1 to 9000 bytes"},
		{"tcp initial window", base + "network:\n  tcp:\n    initial_window: 1001\n", 7, 21, "network.tcp.initial_window", "1001", "1 to 1000 segments"},
		{"tcp receive window", base + "network:\n  tcp:\n    receive_window: 1000\n", 7, 21, "network.tcp.receive_window", "1000", "at least the initial window, 14600 bytes"},
		{"tcp receive window negative", base + "network:\n  tcp:\n    receive_window: -1\n", 7, 21, "network.tcp.receive_window", "-1", "0 (the bandwidth-delay product)"},
		{"tcp sdu", base + "network:\n  tcp:\n    sdu_bytes: 0\n", 7, 16, "network.tcp.sdu_bytes", "0", "1 to 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := oneProblem(t, tt.src)
			if p.File != "t.yaml" || p.Line != tt.line || p.Col != tt.col || p.Field != tt.field || p.Value != tt.value {
				t.Errorf("got %s:%d:%d field %q value %q; want t.yaml:%d:%d field %q value %q",
					p.File, p.Line, p.Col, p.Field, p.Value, tt.line, tt.col, tt.field, tt.value)
			}
			if !strings.Contains(p.Msg, tt.accepted) {
				t.Errorf("message %q does not contain %q", p.Msg, tt.accepted)
			}
		})
	}
}

func TestValidateGoBuilt(t *testing.T) {
	s := Defaults()
	s.Version, s.Name, s.Nodes.Count = Version, "go-built", 50
	ApplyDefaults(&s)
	if ps := Validate(&s); ps != nil {
		t.Fatalf("valid Go-built scenario: %v", ps)
	}
	if got := s.Nodes.Classes; len(got) != 1 || got[0] != (Class{Name: "pool", Count: 50, Producer: true}) {
		t.Errorf("default classes = %+v", got)
	}

	var zero Scenario
	ps := Validate(&zero)
	want := []string{"version", "name", "duration", "nodes.count", "nodes.stake.distribution",
		"network.latency.model", "network.transport", "network.tcp.segment_bytes", "network.tcp.initial_window", "network.tcp.sdu_bytes", "topology.model", "blocks.slot", "blocks.active_slot_coeff", "blocks.header_bytes"}
	var got []string
	for _, p := range ps {
		if p.Line != 0 {
			t.Errorf("problem %v has a line for a scenario without a file", p)
		}
		got = append(got, p.Field)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("zero scenario problems on %v, want %v", got, want)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Col: 5, Field: "nodes.count", Value: "x", Msg: "accepted: 2 … 200000"},
			`a.yaml:3:5: nodes.count: value "x": accepted: 2 … 200000`},
		{Problem{File: "a.yaml", Field: "name", Msg: "required"}, "a.yaml: name: required"},
		{Problem{Line: 2, Msg: "YAML syntax: x"}, "2: YAML syntax: x"},
		{Problem{Field: "seed", Value: "a\"b", Msg: "m"}, `seed: value "a\"b": m`},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	ps := Problems{tests[0].p, tests[1].p}
	if got, want := ps.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
}

func TestBandwidthZeroMeansUnlimited(t *testing.T) {
	s, err := Parse([]byte(base+"network:\n  bandwidth_mbps: 0\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Network.BandwidthMbps != 0 {
		t.Errorf("bandwidth = %v, want 0 (unlimited)", s.Network.BandwidthMbps)
	}
	if s.Blocks.Slot != time.Second {
		t.Errorf("slot default = %v", s.Blocks.Slot)
	}
}

func TestValidateP2P(t *testing.T) {
	p2p := base + "topology:\n  model: p2p\n"
	tests := []struct {
		name, src, field, accepted string
		line                       int
	}{
		{"p2p section without p2p", base + "p2p:\n  churn: false\n", "p2p", "applies only with topology.model: p2p", 5},
		{"faults without p2p", base + "faults:\n  drop_every: 1m\n", "faults", "applies only with topology.model: p2p", 5},
		{"adversarial without p2p", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true, adversarial: true}\n", "nodes.classes[0].adversarial", "applies only", 5},
		{"targets not sane", p2p + "p2p:\n  targets:\n    active: 40\n", "p2p.targets.active",
			"above p2p.targets.established 30 (the default); accepted: 0 ≤ active ≤ established ≤ known and root ≤ known", 9},
		{"targets not sane, reported where written", p2p + "p2p:\n  targets:\n    known: 40\n", "p2p.targets.known",
			"below p2p.targets.root 60 (the default); accepted: 0 ≤ active ≤ established ≤ known and root ≤ known", 9},
		{"targets above caps", p2p + "p2p:\n  targets:\n    active: 101\n    established: 200\n    known: 300\n", "p2p.targets.active", "accepted: at most 100", 9},
		{"negative target", p2p + "p2p:\n  targets:\n    active_big_ledger: -1\n", "p2p.targets.active_big_ledger", "accepted: an integer ≥ 0", 9},
		{"class targets not sane", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true, targets: {known: 5, root: 6}}\ntopology:\n  model: p2p\n",
			"nodes.classes[0].targets.root", "above nodes.classes[0].targets.known 5; accepted: 0 ≤ active ≤ established ≤ known and root ≤ known", 5},
		{"class targets apply as written", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true, targets: {known: 5, active: 2}}\ntopology:\n  model: p2p\n",
			"nodes.classes[0].targets.active", "above nodes.classes[0].targets.established 0 (not written: a class's targets apply all seven as written)", 5},
		{"churn interval", p2p + "p2p:\n  churn_interval: 0s\n", "p2p.churn_interval", "> 0", 8},
		{"max retries", p2p + "p2p:\n  max_retries: 300\n", "p2p.max_retries", "0 … 255", 8},
		{"handshake rtts", p2p + "p2p:\n  handshake_rtts: 17\n", "p2p.handshake_rtts", "0 … 16", 8},
		{"sample every", p2p + "p2p:\n  sample_every: 10ms\n", "p2p.sample_every", "1s … 24h", 8},
		{"connection failure", p2p + "faults:\n  connection_failure: 1.5\n", "faults.connection_failure", "0 … 1", 8},
		{"drop every", p2p + "faults:\n  drop_every: 5ms\n", "faults.drop_every", "≥ 1s", 8},
		{"crash class", p2p + "faults:\n  crashes:\n    - {class: relay, count: 1, at: 1m, down: 1m}\n", "faults.crashes[0].class", "a class name (pool)", 9},
		{"crash count", p2p + "faults:\n  crashes:\n    - {class: pool, count: 21, at: 1m, down: 1m}\n", "faults.crashes[0].count", "1 … 20", 9},
		{"crash at end", p2p + "faults:\n  crashes:\n    - {class: pool, count: 1, at: 2h, down: 1m}\n", "faults.crashes[0].at", "before the end of the run", 9},
		{"crash down", p2p + "faults:\n  crashes:\n    - {class: pool, count: 1, at: 1m, down: 0s}\n", "faults.crashes[0].down", "> 0", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := oneProblem(t, tt.src)
			if p.Field != tt.field || p.Line != tt.line || !strings.Contains(p.Msg, tt.accepted) {
				t.Errorf("got %v; want field %s at line %d, message with %q", p, tt.field, tt.line, tt.accepted)
			}
		})
	}
	s, err := Parse([]byte(p2p+"p2p:\n  churn: false\nfaults:\n  crashes:\n    - {class: pool, count: 2, at: 10m, down: 1m}\n"), "ok.yaml")
	if err != nil {
		t.Fatalf("valid p2p scenario refused: %v", err)
	}
	if s.P2P.Churn || !s.P2P.PeerSharing || s.P2P.Targets.Known != 150 || len(s.Faults.Crashes) != 1 {
		t.Errorf("decoded %+v %+v", s.P2P, s.Faults)
	}
}

// TestValidateAllClassProblems: a duplicate class name does not hide the
// class-count sum error (issue 16 item 4), nor does a bad name.
func TestValidateAllClassProblems(t *testing.T) {
	ps := parseProblems(t, "version: 1\nname: t\nnodes:\n  count: 20\n  classes:\n    - {name: a, count: 3, producer: true}\n    - {name: a, count: 3}\n    - {name: B, count: 1}\n")
	want := []string{
		`t.yaml:4:10: nodes.count: value "20": must equal the sum of the class counts (7)`,
		`t.yaml:7:14: nodes.classes[1].name: value "a": duplicate class name (also nodes.classes[0]); accepted: a unique name`,
		`t.yaml:8:14: nodes.classes[2].name: value "B": accepted: 1 to 32 characters of a-z 0-9 _ -`,
	}
	if got := strings.Split(ps.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("problems\n%s\nwant\n%s", ps, strings.Join(want, "\n"))
	}
}

// TestTargetsInFieldNames: broken targets are reported by the scenario's
// field names and values, never as a Go struct, and the rules are the
// governor's: a set is refused exactly when node.Targets.Check refuses it,
// and then by a rule of their own (not the fallback).
func TestTargetsInFieldNames(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SliceOfN(rapid.IntRange(-2, 12000), 7, 7).Draw(t, "targets")
		ts := TargetsSpec{Root: v[0], Known: v[1], Established: v[2], Active: v[3], KnownBigLedger: v[4], EstablishedBigLedger: v[5], ActiveBigLedger: v[6]}
		val := &validator{s: &Scenario{}}
		val.targets("p2p.targets", ts, false)
		check := ts.Node().Check()
		if (len(val.probs) == 0) != (check == nil) {
			t.Fatalf("targets %v: problems %v, governor %v", v, val.probs, check)
		}
		for _, p := range val.probs {
			if p.Field == "p2p.targets" || strings.Contains(p.Msg, "{") || !strings.HasPrefix(p.Field, "p2p.targets.") {
				t.Fatalf("targets %v: %v", v, p)
			}
		}
	})
}
