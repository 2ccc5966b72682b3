package run

import (
	"context"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/scenarios"
)

// TestSwarmScenariosValid: every drawn scenario passes validation, and the
// draws cover what the swarm is for (both transports, faults, overlays,
// each research policy).
func TestSwarmScenariosValid(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(0); seed < 300; seed++ {
		text := SwarmScenario(seed)
		if _, err := scenarios.Parse([]byte(text), "swarm.yaml"); err != nil {
			t.Fatalf("seed %d draws an invalid scenario: %v\n%s", seed, err, text)
		}
		if SwarmScenario(seed) != text {
			t.Fatalf("seed %d draws two scenarios", seed)
		}
		for _, k := range []string{"transport: ideal", "transport: tcp", "faults:", "poldercast", "close-random", "two-groups", "peer-score", "model: random", "adversarial: true", "churn: true", "sync: {mode: praos", "sync: {mode: bootstrap", "sync: {mode: genesis", "behind: ", "go-dark"} {
			if strings.Contains(text, k) {
				seen[k] = true
			}
		}
	}
	for _, k := range []string{"transport: ideal", "transport: tcp", "faults:", "poldercast", "close-random", "two-groups", "peer-score", "model: random", "adversarial: true", "churn: true", "sync: {mode: praos", "sync: {mode: bootstrap", "sync: {mode: genesis", "behind: ", "go-dark"} {
		if !seen[k] {
			t.Errorf("300 seeds never drew %q", k)
		}
	}
}

// TestSwarm runs a few seeds of the swarm: invariants checked every
// simulated minute, fast against exact header delivery. A failure prints
// the replay command.
func TestSwarm(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		rep, err := Swarm(context.Background(), seed, t.TempDir())
		if err != nil {
			t.Fatalf("%v\nreplay: go run ./cmd/dpsim swarm --seed %d\n%s", err, seed, rep.Scenario)
		}
		if rep.Blocks == 0 || rep.Events[1] <= rep.Events[0] {
			t.Errorf("seed %d: %d blocks, events fast %d exact %d: the run did not exercise the relay", seed, rep.Blocks, rep.Events[0], rep.Events[1])
		}
	}
}
