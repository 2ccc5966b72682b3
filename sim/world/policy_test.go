package world_test

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/dpsim/dpsim/sim/world"
)

// The whole-run tests of the research policies build their worlds through
// scenarios.Parse and scenarios.Build, as dpsim does; this external test
// package may import scenarios, which imports sim.

// polRecorder is a sim.Observer keeping every adoption and counter.
type polRecorder struct {
	adopted []adoption
	counts  map[world.Counter]int64
}

type adoption struct {
	block, node int
	at          clock.Time
}

func (r *polRecorder) BlockMade(int, int64, int, clock.Time) {}
func (r *polRecorder) HeaderArrived(int, int, clock.Time)    {}

func (r *polRecorder) Adopted(block, node int, at clock.Time) {
	r.adopted = append(r.adopted, adoption{block, node, at})
}
func (r *polRecorder) Count(c world.Counter, delta int64) { r.counts[c] += delta }

// polNodes and polPeriod size the runs: 120 nodes, calibrations at 25
// and 50 minutes (no jitter), one simulated hour.
const (
	polNodes  = 120
	polPeriod = 25 * time.Minute
	polRounds = 2
	polEnd    = time.Hour
	polK      = 10 // every policy's hot peers (the defaults)
)

// polScenario returns the scenario of a 120-node Dynamic P2P run whose
// nodes run policy (a YAML flow mapping) for an hour.
func polScenario(t *testing.T, seed uint64, policy string) *scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf(`version: 1
name: policy-run
seed: %d
duration: 1h
nodes:
  count: %d
topology:
  model: p2p
p2p:
  targets: {root: 20, known: 40, established: 15, active: 10, known_big_ledger: 8, established_big_ledger: 4, active_big_ledger: 2}
  policy: %s
`, seed, polNodes, policy)
	s, err := scenarios.Parse([]byte(src), "policy-run.yaml")
	if err != nil {
		t.Fatalf("scenario with policy %s:\n%v", policy, err)
	}
	return s
}

// polRun is a built run and its observer.
type polRun struct {
	r   *scenarios.Run
	rec *polRecorder
}

func startRun(t *testing.T, s *scenarios.Scenario) polRun {
	t.Helper()
	rec := &polRecorder{counts: map[world.Counter]int64{}}
	r, err := scenarios.Build(s, s.Seed, rec)
	if err != nil {
		t.Fatal(err)
	}
	return polRun{r, rec}
}

func (p polRun) until(t *testing.T, at time.Duration) {
	t.Helper()
	if err := p.r.World.RunUntil(clock.Time(at)); err != nil {
		t.Fatalf("run to %v: %v", at, err)
	}
}

// hotSet returns node i's hot peers, sorted by id.
func (p polRun) hotSet(i int) []node.PeerID {
	var hot []node.PeerID
	for _, q := range p.r.World.Governor(i).Peers() {
		if q.State == node.Hot {
			hot = append(hot, q.ID)
		}
	}
	return hot
}

// checkEnd checks every node at the end: exactly K hot peers and none a
// big ledger peer, the governor's invariants, no livelock.
func (p polRun) checkEnd(t *testing.T, hint string) {
	t.Helper()
	now := clock.Time(polEnd)
	for i := range polNodes {
		g := p.r.World.Governor(i)
		if err := g.Check(now); err != nil {
			t.Fatalf("node %d: %v (%s)", i, err, hint)
		}
		if g.Livelocked() {
			t.Fatalf("node %d: governor livelock (%s)", i, hint)
		}
		if c := g.Counts(); c.Active != polK || c.ActiveBLP != 0 {
			t.Errorf("node %d ends with %d hot peers and %d hot big ledger peers, want %d and 0 (%s)", i, c.Active, c.ActiveBLP, polK, hint)
		}
	}
}

func replay(seed uint64, test string) string {
	return fmt.Sprintf("seed %d; replay: go test ./sim -run '^%s$' -v", seed, test)
}

// TestPolicyRuns runs each research policy on a small world and checks
// the whole-run properties, including what each calibration replaced.
func TestPolicyRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("whole runs")
	}
	const seed = 5
	cases := []struct {
		name   string
		policy string
		// rounds: calibration events per node by the end (the end of
		// close-random's construction counts as one).
		rounds int64
		// check runs at each calibration (from the instant before) and
		// returns the peers it replaced; nil when the policy does not
		// calibrate.
		check func(t *testing.T, p polRun, round int, before [][]node.PeerID, hint string) int64
	}{
		{name: "random", policy: "{name: random}", rounds: 0},
		{name: "close-random", policy: "{name: close-random}", rounds: 1},
		{name: "two-groups", policy: fmt.Sprintf("{name: two-groups, period: %v}", polPeriod), rounds: polRounds, check: checkTwoGroups},
		{name: "peer-score", policy: fmt.Sprintf("{name: peer-score, period: %v}", polPeriod), rounds: polRounds, check: checkPeerScore},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			hint := replay(seed, "TestPolicyRuns/"+cs.name)
			p := startRun(t, polScenario(t, seed, cs.policy))
			var replaced int64
			for k := 1; cs.check != nil && k <= polRounds; k++ {
				// Just before the calibration: record the hot sets.
				p.until(t, time.Duration(k)*polPeriod-time.Nanosecond)
				before := make([][]node.PeerID, polNodes)
				for i := range polNodes {
					before[i] = p.hotSet(i)
					if len(before[i]) != polK {
						t.Fatalf("node %d has %d hot peers before calibration %d, want %d (%s)", i, len(before[i]), k, polK, hint)
					}
				}
				replaced += cs.check(t, p, k, before, fmt.Sprintf("calibration %d; %s", k, hint))
			}
			p.until(t, polEnd)
			p.checkEnd(t, hint)
			if cs.name == "close-random" {
				checkCloseRandom(t, p, 6, hint)
			}
			p.r.World.Finish()
			c := p.rec.counts
			if got, want := c[world.CountCalibrations], cs.rounds*polNodes; got != want {
				t.Errorf("calibrations = %d, want %d (%s)", got, want, hint)
			}
			if got := c[world.CountCalibrationReplaced]; got != replaced {
				t.Errorf("calibration_replaced = %d, want %d (%s)", got, replaced, hint)
			}
			if got := c[world.CountCalibrationTimeouts]; got != 0 {
				t.Errorf("calibration_timeouts = %d, want 0 (%s)", got, hint)
			}
			if got := c[world.CountChurnSteps]; got != 0 {
				t.Errorf("churn_steps = %d: research policies run no churn (%s)", got, hint)
			}
			if len(p.rec.adopted) == 0 {
				t.Errorf("no block was adopted (%s)", hint)
			}
		})
	}
}

// afterCalibration runs p two minutes past calibration round and returns,
// per node, the hot peers it lost.
func afterCalibration(t *testing.T, p polRun, round int, before [][]node.PeerID) [][]node.PeerID {
	t.Helper()
	p.until(t, time.Duration(round)*polPeriod+2*time.Minute)
	lost := make([][]node.PeerID, polNodes)
	for i := range polNodes {
		after := p.hotSet(i)
		for _, id := range before[i] {
			if !slices.Contains(after, id) {
				lost[i] = append(lost[i], id)
			}
		}
		if len(after) != polK {
			t.Fatalf("node %d has %d hot peers after the calibration, want %d", i, len(after), polK)
		}
	}
	return lost
}

// checkTwoGroups: each node replaces ⌈0.5·(10 − kept)⌉ hot peers, where
// kept are its (up to 6) closest hot peers within 100 ms, and keeps them.
func checkTwoGroups(t *testing.T, p polRun, round int, before [][]node.PeerID, hint string) int64 {
	type near struct {
		id  node.PeerID
		rtt time.Duration
	}
	kept := make([][]node.PeerID, polNodes)
	want := make([]int, polNodes)
	total := int64(0)
	for i := range polNodes {
		g := p.r.World.Governor(i)
		var close []near
		for _, id := range before[i] {
			if rtt := g.Peer(id).RTT; rtt > 0 && rtt <= 100*time.Millisecond {
				close = append(close, near{id, rtt})
			}
		}
		slices.SortFunc(close, func(a, b near) int { return cmp.Or(cmp.Compare(a.rtt, b.rtt), cmp.Compare(a.id, b.id)) })
		for _, c := range close[:min(6, len(close))] {
			kept[i] = append(kept[i], c.id)
		}
		want[i] = int(math.Ceil(0.5 * float64(polK-len(kept[i]))))
		total += int64(want[i])
	}
	lost := afterCalibration(t, p, round, before)
	for i := range polNodes {
		if len(lost[i]) != want[i] {
			t.Errorf("node %d replaced %v, want %d peers (kept %v) (%s)", i, lost[i], want[i], kept[i], hint)
		}
		for _, id := range kept[i] {
			if slices.Contains(lost[i], id) {
				t.Errorf("node %d replaced its kept close peer %d (%s)", i, id, hint)
			}
		}
	}
	return total
}

// checkPeerScore: each node replaces max(1, round(0.2·10)) = 2 hot peers,
// none scoring more headers first than a peer it kept.
func checkPeerScore(t *testing.T, p polRun, round int, before [][]node.PeerID, hint string) int64 {
	score := make([]map[node.PeerID]int, polNodes)
	for i := range polNodes {
		m := p.r.World.Governor(i).Metrics()
		score[i] = map[node.PeerID]int{}
		for _, id := range before[i] {
			score[i][id] = m.Upstreamyness(id)
		}
	}
	lost := afterCalibration(t, p, round, before)
	spread := false
	for i := range polNodes {
		if len(lost[i]) != 2 {
			t.Errorf("node %d replaced %v, want 2 peers (%s)", i, lost[i], hint)
			continue
		}
		for _, kept := range before[i] {
			if slices.Contains(lost[i], kept) {
				continue
			}
			for _, gone := range lost[i] {
				if score[i][gone] > score[i][kept] {
					t.Errorf("node %d replaced %d (score %d) but kept %d (score %d) (%s)", i, gone, score[i][gone], kept, score[i][kept], hint)
				}
				if score[i][gone] < score[i][kept] {
					spread = true
				}
			}
		}
	}
	if !spread {
		t.Errorf("no node had a replaced peer score below a kept one: the scores carry no information (%s)", hint)
	}
	return 2 * polNodes
}

// checkCloseRandom: each node's hot set holds the close lowest-RTT peers
// among its measured known peers (CloseRandomPolicy's contract).
func checkCloseRandom(t *testing.T, p polRun, close int, hint string) {
	measured := 0
	var bad []string
	for i := range polNodes {
		g := p.r.World.Governor(i)
		var ps []node.Peer
		for _, q := range g.Peers() {
			if q.RTT > 0 && !q.IsBLP() {
				ps = append(ps, q)
			}
		}
		measured += len(ps)
		if len(ps) < close {
			t.Errorf("node %d measured only %d peers, want at least %d (%s)", i, len(ps), close, hint)
			continue
		}
		slices.SortFunc(ps, func(a, b node.Peer) int { return cmp.Or(cmp.Compare(a.RTT, b.RTT), cmp.Compare(a.ID, b.ID)) })
		for _, q := range ps[:close] {
			if q.State != node.Hot {
				bad = append(bad, fmt.Sprintf("node %d: close peer %d (RTT %v) is %v", i, q.ID, q.RTT, q.State))
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of the %d closest peers are not hot, e.g.\n%s\n(%s)", len(bad), close*polNodes, strings.Join(bad[:min(3, len(bad))], "\n"), hint)
	}
	// The construction measures far more peers than the hot ones.
	if measured < polNodes*2*polK {
		t.Errorf("%d peers measured over %d nodes: want the construction to measure well beyond the %d hot each (%s)", measured, polNodes, polK, hint)
	}
}

// TestPolicyRunDeterminism: the same scenario and seed give identical
// adoption times and counters.
func TestPolicyRunDeterminism(t *testing.T) {
	if testing.Short() {
		t.Skip("whole runs")
	}
	const seed = 11
	hint := replay(seed, "TestPolicyRunDeterminism")
	var runs []*polRecorder
	for range 2 {
		s := polScenario(t, seed, "{name: peer-score, period: 10m, jitter: 2m}")
		p := startRun(t, s)
		p.until(t, 20*time.Minute)
		p.r.World.Finish()
		runs = append(runs, p.rec)
	}
	a, b := runs[0], runs[1]
	if len(a.adopted) == 0 || !slices.Equal(a.adopted, b.adopted) {
		t.Errorf("adoptions differ: %d then %d (%s)", len(a.adopted), len(b.adopted), hint)
	}
	if fmt.Sprint(a.counts) != fmt.Sprint(b.counts) {
		t.Errorf("counters differ:\n%v\n%v (%s)", a.counts, b.counts, hint)
	}
	if a.counts[world.CountCalibrations] < polNodes {
		t.Errorf("calibrations = %d in 20 minutes at a 10-12 minute period, want ≥ %d (%s)", a.counts[world.CountCalibrations], polNodes, hint)
	}
}
