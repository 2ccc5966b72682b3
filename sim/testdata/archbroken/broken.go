// Package archbroken does not type-check: the determinism checker must
// refuse it (TestCheckerRefusesTypeErrors).
package archbroken

// M ranges over an undefined map.
func M() {
	for range undefinedMap {
	}
}
