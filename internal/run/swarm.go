package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/dpsim/dpsim/scenarios"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

// The swarm, in the manner of TigerBeetle's VOPR: a seed draws a random
// small scenario (sizes, policies, faults, transports, node timings),
// which runs twice, skipping redundant header events (the fast path every
// run uses) and delivering every one (check.exact_headers), with every
// invariant checked each simulated minute. The two runs must write the
// same files, but for the counters the fast path is documented to change
// (swarmVolatile). A seed replays exactly: dpsim swarm --seed S.

// swarmVolatile are summary.json counters that differ between the fast
// path and exact header delivery by design: the events executed, and the
// headers that arrive over a link no longer hot (the fast path counts a
// skipped header when it is sent, the exact one when it arrives).
var swarmVolatile = []string{world.CountEvents.String(), world.CountHeadersNotHot.String()}

// SwarmScenario returns the YAML of the random scenario seed draws. Every
// drawn scenario is valid (TestSwarmScenariosValid).
func SwarmScenario(seed uint64) string {
	r := sim.Derive(seed, "swarm", 0)
	var b strings.Builder
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	n := 8 + r.IntN(53)
	// The topology and the policy first: adversarial nodes, injected
	// connection faults and the overlay do not go together.
	static := r.IntN(6) == 0
	policy := r.IntN(6) // 5: the production policy (no p2p.policy)
	adversaries := 0
	if !static && policy == 5 && r.IntN(3) == 0 {
		adversaries = 1 + r.IntN(max(1, n/10))
	}
	fmt.Fprintf(&b, "version: 1\nname: swarm-%d\nseed: %d\n", seed, seed)
	fmt.Fprintf(&b, "duration: %dm\n", 20+r.IntN(41))
	fmt.Fprintf(&b, "check:\n  invariants: 1m\n")
	fmt.Fprintf(&b, "nodes:\n  count: %d\n  classes:\n", n)
	fmt.Fprintf(&b, "    - {name: pool, count: %d, producer: true}\n", n-adversaries)
	if adversaries > 0 {
		fmt.Fprintf(&b, "    - {name: adversary, count: %d, producer: false, adversarial: true}\n", adversaries)
	}
	fmt.Fprintf(&b, "  stake: {distribution: %s}\n", pick("uniform", "pareto"))

	fmt.Fprintf(&b, "network:\n  latency: {model: geo}\n  bandwidth_mbps: %d\n", pick3(r, 10, 100, 1000))
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, "  jitter: %.2f\n", 0.05+0.3*r.Float64())
	}
	if r.IntN(3) == 0 {
		fmt.Fprintf(&b, "  transport: ideal\n")
	} else {
		fmt.Fprintf(&b, "  transport: tcp\n  tcp: {initial_window: %d, idle_restart: %v}\n", 2+r.IntN(19), r.IntN(4) != 0)
	}

	fmt.Fprintf(&b, "blocks:\n  active_slot_coeff: %.3f\n  body_bytes: %d\n", 0.02+0.4*r.Float64(), 1000+r.IntN(200_000))
	fmt.Fprintf(&b, "  pipelining: %v\n  forge_delay: %dms\n", r.IntN(2) == 0, r.IntN(200))
	fmt.Fprintf(&b, "  header_validation: %dms\n  body_validation: %dms\n", r.IntN(5), r.IntN(100))

	if static {
		fmt.Fprintf(&b, "topology: {model: random, degree: %d}\n", 2+r.IntN(min(6, n-2)))
		return b.String()
	}
	fmt.Fprintf(&b, "topology: {model: p2p}\n")
	active := 2 + r.IntN(min(8, n-2))
	est := active + r.IntN(4)
	known := est + r.IntN(10)
	fmt.Fprintf(&b, "p2p:\n  targets: {root: %d, known: %d, established: %d, active: %d, known_big_ledger: %d, established_big_ledger: %d, active_big_ledger: %d}\n",
		known, known, est, active, 2, 1, 1)
	fmt.Fprintf(&b, "  peer_sharing: %v\n  ledger_peers: true\n", r.IntN(2) == 0)
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "  churn: true\n  churn_interval: %dm\n", 3+r.IntN(15))
	} else {
		fmt.Fprintf(&b, "  churn: false\n")
	}
	fmt.Fprintf(&b, "  relay_links: %s\n", pick("directed", "bidirectional"))
	peers := min(active, n-2)
	overlay := false
	switch policy {
	case 0:
		c := r.IntN(peers + 1)
		fmt.Fprintf(&b, "  policy: {name: close-random, close: %d, random: %d}\n", c, peers-c)
	case 1:
		fmt.Fprintf(&b, "  policy: {name: two-groups, peers: %d, keep: %d, threshold: 100ms, replace: 0.5, period: %dm}\n", peers, peers/2, 5+r.IntN(10))
	case 2:
		fmt.Fprintf(&b, "  policy: {name: peer-score, peers: %d, fraction: %s, period: %dm}\n", peers, pick("0.2", "0.4"), 5+r.IntN(10))
	case 3:
		fmt.Fprintf(&b, "  policy: {name: random, peers: %d}\n", peers)
	case 4:
		overlay = true
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  policy: {name: poldercast, mode: paper, fanout: %d}\n", 2+r.IntN(4))
		} else {
			fmt.Fprintf(&b, "  policy: {name: poldercast, mode: itn}\n")
		}
	}
	if r.IntN(2) == 0 {
		fmt.Fprintf(&b, "faults:\n")
		if !overlay { // the overlay has no connection layer to fail
			fmt.Fprintf(&b, "  connection_failure: %.3f\n  drop_every: %dm\n", 0.1*r.Float64(), 2+r.IntN(20))
		}
		fmt.Fprintf(&b, "  crashes:\n    - {class: pool, count: %d, at: %dm, down: %ds}\n", 1+r.IntN(max(1, n/5)), 5+r.IntN(10), 1+r.IntN(300))
	}
	// Attackers of the adversary section (drawn last, so that the draws
	// above stay those of the seeds before it): eclipse with any governor
	// policy, the visible violations with the production one only.
	if !overlay && r.IntN(3) == 0 {
		behaviour := pick("eclipse", "withhold", "go-dark")
		if policy == 5 && r.IntN(3) == 0 {
			behaviour = pick("invalid-header", "oversized-share")
		}
		fmt.Fprintf(&b, "adversary:\n  - {name: sybil, count: %d, behaviour: %s", 1+r.IntN(max(1, n/3)), behaviour)
		if behaviour == "eclipse" {
			fmt.Fprintf(&b, ", relay_delay: %s", pick("never", "0s", "3s", "30s"))
		}
		if behaviour != "withhold" && r.IntN(2) == 0 {
			fmt.Fprintf(&b, ", target: [pool]")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, ", stake: %.2f", 0.05+0.3*r.Float64())
		}
		fmt.Fprintf(&b, "}\n")
	}
	// Syncing nodes (drawn after the attackers, for the same reason), with
	// the production policy: a few pools turn into a class that joins
	// late, or some blocks behind, in any sync mode.
	text := b.String()
	if !overlay && policy == 5 && r.IntN(3) == 0 {
		k := 1 + r.IntN(max(1, n/8))
		mode := pick("praos", "bootstrap", "genesis")
		when := fmt.Sprintf("join: %dm", r.IntN(10))
		if r.IntN(2) == 0 {
			when = fmt.Sprintf("behind: %d", 1+r.IntN(20))
		}
		pool := fmt.Sprintf("    - {name: pool, count: %d, producer: true}\n", n-adversaries)
		text = strings.Replace(text, pool, fmt.Sprintf("    - {name: pool, count: %d, producer: true}\n    - {name: newcomer, count: %d, sync: {mode: %s, %s, roots: %d}}\n",
			n-adversaries-k, k, mode, when, r.IntN(4)), 1)
		text = strings.Replace(text, "p2p:\n", fmt.Sprintf("p2p:\n  bootstrap_peers: %d\n", 1+r.IntN(3)), 1)
	}
	return text
}

func pick3(r *rand.Rand, a, b, c int) int { return []int{a, b, c}[r.IntN(3)] }

// SwarmReport is one seed's swarm run.
type SwarmReport struct {
	Seed     uint64
	Scenario string // the YAML
	Blocks   int
	Events   [2]uint64 // fast, exact
}

// Swarm runs seed's scenario fast and exact, with the invariants checked,
// and compares their outputs; scratch is a folder for the two runs' files
// (emptied after a success). Any difference or broken invariant is an
// error naming the seed.
func Swarm(ctx context.Context, seed uint64, scratch string) (*SwarmReport, error) {
	text := SwarmScenario(seed)
	rep := &SwarmReport{Seed: seed, Scenario: text}
	dirs := [2]string{filepath.Join(scratch, "fast"), filepath.Join(scratch, "exact")}
	for i, exact := range []bool{false, true} {
		src := text
		if exact {
			src = strings.Replace(text, "check:\n", "check:\n  exact_headers: true\n", 1)
		}
		s, err := scenarios.Parse([]byte(src), fmt.Sprintf("swarm-%d.yaml", seed))
		if err != nil {
			return rep, fmt.Errorf("seed %d: the drawn scenario is invalid: %w", seed, err)
		}
		res, err := Run(ctx, s, Options{Seed: seed, Parts: AllParts})
		if err != nil {
			return rep, fmt.Errorf("seed %d (exact headers %v): %w", seed, exact, err)
		}
		rep.Blocks = res.Collector.Blocks()
		rep.Events[i] = uint64(res.Collector.Counter(world.CountEvents))
		if err := res.Write(dirs[i]); err != nil {
			return rep, err
		}
	}
	if err := sameOutputs(dirs[0], dirs[1]); err != nil {
		return rep, fmt.Errorf("seed %d: fast and exact header delivery differ: %w", seed, err)
	}
	return rep, os.RemoveAll(scratch)
}

// sameOutputs compares two runs' folders file by file: meta.json may
// differ in the scenario's hash (the exact run's file has one more line),
// summary.json in the volatile counters.
func sameOutputs(a, b string) error {
	entries, err := os.ReadDir(a)
	if err != nil {
		return err
	}
	others, err := os.ReadDir(b)
	if err != nil {
		return err
	}
	if len(others) != len(entries) {
		return fmt.Errorf("%d files fast, %d exact", len(entries), len(others))
	}
	for _, e := range entries {
		x, err := os.ReadFile(filepath.Join(a, e.Name()))
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil {
			return err
		}
		switch e.Name() {
		case "meta.json":
			continue
		case "summary.json":
			if err := sameSummary(x, y); err != nil {
				return err
			}
		default:
			if !bytes.Equal(x, y) {
				return fmt.Errorf("%s differs", e.Name())
			}
		}
	}
	return nil
}

func sameSummary(x, y []byte) error {
	var a, b map[string]any
	if err := json.Unmarshal(x, &a); err != nil {
		return err
	}
	if err := json.Unmarshal(y, &b); err != nil {
		return err
	}
	for _, m := range []map[string]any{a, b} {
		if c, ok := m["counters"].(map[string]any); ok {
			for _, k := range swarmVolatile {
				delete(c, k)
			}
		}
	}
	if !reflect.DeepEqual(a, b) {
		for k, v := range a {
			if !reflect.DeepEqual(v, b[k]) {
				return fmt.Errorf("summary.json %s: %v fast, %v exact", k, v, b[k])
			}
		}
		return fmt.Errorf("summary.json differs")
	}
	return nil
}
