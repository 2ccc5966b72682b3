// Package clock defines dpsim's virtual time.
//
// Time is an integer count of nanoseconds since the start of a run, so every
// comparison and sum is exact and reproducible on every machine; durations are
// ordinary time.Duration values. The node stack reads time only through the
// Clock interface, which the engine implements and tests replace with Manual.
//
// This package must never read the wall clock.
package clock
