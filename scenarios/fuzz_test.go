package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every failure is a
// non-empty Problems, that an accepted scenario re-validates cleanly and
// that parsing is deterministic.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, "quickstart.yaml", "static-3000.yaml")
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base + "duration: 1h\nblocks: {slot: 2s}\n"))
	f.Add([]byte("version: 1\nname: &a x\nseed: *a\n"))
	f.Add([]byte(adversaryBase + "adversary:\n  - {name: sybil, share: 0.25, behaviour: eclipse, relay_delay: 3s, target: [relay]}\n"))
	f.Add([]byte(syncBase))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Problems", err, err)
			}
			// What validate adds to them: the missing files.
			for _, p := range MissingFiles(data, "fuzz.yaml") {
				if !strings.Contains(p.Msg, "no such") && p.Field == "" {
					t.Fatalf("MissingFiles problem without a field: %v", p)
				}
			}
			return
		}
		if ps := Validate(s); ps != nil {
			t.Fatalf("accepted scenario does not re-validate:\n%v\ninput:\n%s", ps, data)
		}
		again, err := Parse(data, "fuzz.yaml")
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}

// FuzzParseSweep feeds arbitrary text to the sweep parser: it never
// panics, fails only with Problems, and every point of a sweep it accepts
// re-validates as a scenario, with as many values as axes.
func FuzzParseSweep(f *testing.F) {
	f.Add([]byte(sweepBase + "sweep:\n  axes:\n    p2p.targets.active: [3, 5]\n    blocks.body_bytes: [16384, 65536]\n"))
	f.Add([]byte(sweepBase + "sweep:\n  seeds: [4]\n  axes:\n    blocks.body_bytes: [1]\n  zip:\n    compare.policies[1].close: [0, 2]\n    compare.policies[1].random: [5, 3]\n"))
	f.Add([]byte(sweepBase + "sweep:\n  mode: zip\n  axes:\n    nodes.classes[0].count: [50]\n"))
	f.Add([]byte("sweep: {scenario: x.yaml, axes: {a: [1]}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sw, err := ParseSweep(data, filepath.Join(t.TempDir(), "fuzz.yaml"))
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Problems", err, err)
			}
			return
		}
		for i, p := range sw.Points {
			if len(p.Values) != len(sw.Axes) {
				t.Fatalf("point %d: %d values for %d axes", i, len(p.Values), len(sw.Axes))
			}
			if ps := Validate(p.Scenario); ps != nil {
				t.Fatalf("point %d does not re-validate:\n%v\ninput:\n%s", i, ps, data)
			}
		}
		if len(sw.Runs()) == 0 {
			t.Fatalf("an accepted sweep with no runs:\n%s", data)
		}
	})
}
