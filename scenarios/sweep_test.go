package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sweepBase is a small p2p scenario with two policies, the base of the
// sweep tests.
const sweepBase = `version: 1
name: sw
duration: 10m
nodes:
  count: 50
topology:
  model: p2p
p2p:
  targets: {root: 5, known: 20, established: 10, active: 5, known_big_ledger: 0, established_big_ledger: 0, active_big_ledger: 0}
compare:
  seeds: [1, 2]
  policies:
    - name: cardano
    - name: close-random
      close: 2
      random: 3
`

func parseSweepText(t *testing.T, text string) (*Sweep, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return LoadSweep(path)
}

func TestSweepGrid(t *testing.T) {
	sw, err := parseSweepText(t, sweepBase+`sweep:
  axes:
    p2p.targets.active: [3, 5]
    blocks.body_bytes: [16384, 65536, 262144]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 6 || sw.Mode != SweepGrid {
		t.Fatalf("%d points, mode %s; want 6, grid", len(sw.Points), sw.Mode)
	}
	// The last axis varies fastest, and each point's scenario holds its values.
	for i, want := range [][2]int{{3, 16384}, {3, 65536}, {3, 262144}, {5, 16384}, {5, 65536}, {5, 262144}} {
		s := sw.Points[i].Scenario
		if s.P2P.Targets.Active != want[0] || s.Blocks.BodyBytes != want[1] {
			t.Errorf("point %d (%s): active %v, body %d; want %v", i, sw.PointLabel(i), s.P2P.Targets.Active, s.Blocks.BodyBytes, want)
		}
		if s.P2P.Targets.Established != 10 {
			t.Errorf("point %d lost the base's other targets", i)
		}
	}
	if got := sw.PointLabel(4); got != "active=5, body_bytes=65536" {
		t.Errorf("label %q", got)
	}
	runs := sw.Runs()
	if len(runs) != 6*2*2 {
		t.Fatalf("%d runs, want 24 (6 points × 2 policies × 2 seeds)", len(runs))
	}
	ids := map[string]bool{}
	for _, r := range runs {
		if ids[r.ID] {
			t.Fatalf("id %s twice", r.ID)
		}
		ids[r.ID] = true
	}
	if r := runs[1]; r.Point != 0 || r.Label != "cardano" || r.Seed != 2 {
		t.Errorf("second run %+v: want point 0, cardano, seed 2", r)
	}
}

// TestSweepTasks: a bound rides with its point's first runnable policy
// on the same seed; every other run is a task of its own.
func TestSweepTasks(t *testing.T) {
	sw, err := parseSweepText(t, strings.Replace(sweepBase, "      random: 3\n", "      random: 3\n    - name: gods-view\n", 1)+`sweep:
  axes:
    blocks.body_bytes: [16384, 65536]
`)
	if err != nil {
		t.Fatal(err)
	}
	tasks := sw.Tasks()
	if len(sw.Runs()) != 12 || len(tasks) != 8 {
		t.Fatalf("%d runs, %d tasks; want 12 and 8", len(sw.Runs()), len(tasks))
	}
	bounds := 0
	for _, x := range tasks {
		if x.Bound == nil {
			continue
		}
		bounds++
		if x.Run.Label != "cardano" || x.Bound.Point != x.Run.Point || x.Bound.Seed != x.Run.Seed || !x.Bound.Bound {
			t.Errorf("bound %+v carried by %+v", *x.Bound, x.Run)
		}
	}
	if bounds != 4 {
		t.Errorf("%d bounds carried, want 4 (2 points × 2 seeds)", bounds)
	}
}

// TestSweepIDsStable: a run's id depends on what it runs, not on the
// order of the axes or the sweep file's comments; the seeds override.
func TestSweepIDsStable(t *testing.T) {
	a, err := parseSweepText(t, sweepBase+`sweep:
  axes:
    p2p.targets.active: [3, 5]
    blocks.body_bytes: [16384, 65536]
`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseSweepText(t, "# another comment\n"+sweepBase+`sweep:
  seeds: [2, 7]
  axes:
    blocks.body_bytes: [65536, 16384]
    p2p.targets.active: [5, 3]
`)
	if err != nil {
		t.Fatal(err)
	}
	key := func(sw *Sweep, r SweepRun) string {
		s := sw.Points[r.Point].Scenario
		return strings.Join([]string{r.Label, fmtInt(s.P2P.Targets.Active), fmtInt(s.Blocks.BodyBytes), fmtInt(int(r.Seed))}, "/")
	}
	idsA := map[string]string{}
	for _, r := range a.Runs() {
		idsA[key(a, r)] = r.ID
	}
	shared := 0
	for _, r := range b.Runs() {
		if id, ok := idsA[key(b, r)]; ok {
			shared++
			if id != r.ID {
				t.Errorf("%s: id %s, then %s", key(b, r), id, r.ID)
			}
		} else if r.Seed != 7 {
			t.Errorf("%s: not in the first sweep", key(b, r))
		}
	}
	if shared != 8 {
		t.Errorf("%d runs shared, want 8 (seed 2 of each point and policy)", shared)
	}
}

func TestSweepZipAndSeparateBase(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(sweepBase), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sw.yaml")
	if err := os.WriteFile(path, []byte(`sweep:
  scenario: base.yaml
  mode: zip
  seeds: [5]
  axes:
    p2p.targets.active: [3, 5]
    p2p.targets.established: [6, 12]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sw, err := LoadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 2 || sw.Base != filepath.Join(dir, "base.yaml") || !slices.Equal(sw.Seeds, []uint64{5}) {
		t.Fatalf("%d points, base %s, seeds %v", len(sw.Points), sw.Base, sw.Seeds)
	}
	if s := sw.Points[1].Scenario; s.P2P.Targets.Active != 5 || s.P2P.Targets.Established != 12 || s.Path != sw.Base {
		t.Errorf("zip point 1: active %d established %d path %s", s.P2P.Targets.Active, s.P2P.Targets.Established, s.Path)
	}
}

// TestSweepGridWithZip: a zip group moves together, as one dimension
// crossed with the grid's axes; its values may repeat, its combinations
// may not.
func TestSweepGridWithZip(t *testing.T) {
	base := sweepBase[:strings.Index(sweepBase, "compare:")]
	sw, err := parseSweepText(t, base+`sweep:
  axes:
    blocks.body_bytes: [16384, 65536]
  zip:
    p2p.policy.close: [0, 2, 4]
    p2p.policy.random: [5, 3, 5]
    p2p.policy.name: [close-random, close-random, close-random]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Points) != 6 || sw.Axes[0].Zip || !sw.Axes[1].Zip || !sw.Axes[3].Zip {
		t.Fatalf("%d points, axes %+v", len(sw.Points), sw.Axes)
	}
	for i, want := range [][3]int{{16384, 0, 5}, {16384, 2, 3}, {16384, 4, 5}, {65536, 0, 5}, {65536, 2, 3}, {65536, 4, 5}} {
		s := sw.Points[i].Scenario
		if s.Blocks.BodyBytes != want[0] || s.P2P.Policy.Close != want[1] || s.P2P.Policy.Random != want[2] {
			t.Errorf("point %d (%s): body %d close %d random %d, want %v", i, sw.PointLabel(i), s.Blocks.BodyBytes, s.P2P.Policy.Close, s.P2P.Policy.Random, want)
		}
	}
	_, err = parseSweepText(t, base+`sweep:
  zip:
    p2p.policy.close: [0, 2, 0]
    p2p.policy.random: [5, 3, 5]
    p2p.policy.name: [close-random, close-random, close-random]
`)
	if err == nil || !strings.Contains(err.Error(), "the same values as position 1") {
		t.Errorf("a repeated combination: %v", err)
	}
}

// TestSweepProblems: each bad sweep is refused with the problem at its
// line in the sweep file, and nothing else.
func TestSweepProblems(t *testing.T) {
	for _, tc := range []struct {
		name, sweep string
		want        []string // substrings of the error, in order
	}{
		{"unknown field", "sweep:\n  axes:\n    p2p.targetz.active: [1, 2]\n", []string{"sweep.yaml:", ":5: p2p.targetz: unknown field"}},
		{"bad value at one point", "sweep:\n  axes:\n    p2p.targets.active: [5, 50]\n", []string{"sweep.yaml:", "value \"50\"", "(sweep point active=50)"}},
		{"bad value everywhere", "sweep:\n  axes:\n    blocks.body_bytes: [-1]\n", []string{"blocks.body_bytes: value \"-1\""}},
		{"no axes", "sweep:\n  mode: grid\n", []string{"sweep.axes: missing"}},
		{"bad mode", "sweep:\n  mode: cross\n  axes:\n    seed: [1]\n", []string{"sweep.mode: value \"cross\"", "the seeds are not an axis"}},
		{"zip lengths", "sweep:\n  mode: zip\n  axes:\n    blocks.body_bytes: [1, 2]\n    blocks.header_bytes: [1]\n", []string{"axes that move together take their i-th values together"}},
		{"duplicate value", "sweep:\n  axes:\n    blocks.body_bytes: [1, 1]\n", []string{"value listed twice"}},
		{"empty list", "sweep:\n  axes:\n    blocks.body_bytes: []\n", []string{"non-empty list"}},
		{"index out of range", "sweep:\n  axes:\n    compare.policies[5].close: [1]\n", []string{"no list element 5"}},
		{"through a scalar", "sweep:\n  axes:\n    duration.x: [1]\n", []string{"\"x\" is not a field of a mapping"}},
		{"policy under compare", "sweep:\n  axes:\n    p2p.policy: [{name: close-random, close: 1, random: 4}]\n", []string{"compare.policies replaces p2p.policy"}},
		{"bad path", "sweep:\n  axes:\n    \"p2p..x\": [1]\n", []string{"empty element"}},
		{"one value written twice", "sweep:\n  axes:\n    p2p.targets.active: [5, 0x5]\n", []string{"points (active=5) and (active=0x5) are the same scenario"}},
		{"a field that changes nothing", "sweep:\n  axes:\n    description: [a, b]\n", []string{"are the same scenario"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSweepText(t, sweepBase+tc.sweep)
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v (%T), want Problems", err, err)
			}
			msg := err.Error()
			t.Log(msg)
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q lacks %q", msg, w)
				}
				at += i
			}
		})
	}
}

// TestRunRefusesSweep: dpsim run on a sweep file says what to do instead.
func TestRunRefusesSweep(t *testing.T) {
	_, err := Parse([]byte(sweepBase+"sweep:\n  axes:\n    blocks.body_bytes: [1]\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "dpsim sweep runs it") {
		t.Fatalf("error %v", err)
	}
	if !IsSweep([]byte(sweepBase+"sweep: {}\n")) || IsSweep([]byte(sweepBase)) {
		t.Error("IsSweep")
	}
}

// loadShipped loads a shipped file: a scenario, or every point of a
// sweep (each a whole scenario).
func loadShipped(t *testing.T, f string) []*Scenario {
	t.Helper()
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if !IsSweep(data) {
		s, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return []*Scenario{s}
	}
	sw, err := LoadSweep(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Scenario
	for _, p := range sw.Points {
		out = append(out, p.Scenario)
	}
	return out
}

// TestSweepIDFollowsFiles: a run's id changes with the bytes of a file
// the scenario reads, and not with its description.
func TestSweepIDFollowsFiles(t *testing.T) {
	dir := t.TempDir()
	base := strings.Replace(sweepBase, "  count: 50\n", "  count: 50\n  stake: {distribution: file, file: stake.csv}\n", 1)
	ids := func(stake, description string) string {
		if err := os.WriteFile(filepath.Join(dir, "stake.csv"), []byte(stake), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "sw.yaml")
		src := "description: " + description + "\n" + base + "sweep:\n  axes:\n    blocks.body_bytes: [16384]\n"
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		sw, err := LoadSweep(path)
		if err != nil {
			t.Fatal(err)
		}
		return sw.Runs()[0].ID
	}
	a := ids("pool,stake\nx,1\ny,2\n", "one")
	if b := ids("pool,stake\nx,1\ny,2\n", "another"); b != a {
		t.Errorf("the description moved the id: %s, %s", a, b)
	}
	if c := ids("pool,stake\nx,1\ny,3\n", "one"); c == a {
		t.Errorf("an edited stake file kept the id %s", a)
	}
}
