package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty Problems", err, err)
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
