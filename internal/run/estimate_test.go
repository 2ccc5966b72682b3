package run

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dpsim/dpsim/scenarios"
)

// TestEstimateAgainstRuns checks the cost model against whole runs
// measured on the project's machine (events from summary.json, peak
// memory from /usr/bin/time -f %M; docs/performance.md, "What a run
// costs", gives the commands): events within 12 %, memory within 20 %.
func TestEstimateAgainstRuns(t *testing.T) {
	for _, m := range []struct {
		scenario string
		duration string // replaces the scenario's, when set
		events   float64
		memKB    float64
	}{
		{"quickstart.yaml", "", 184_284, 25_952},
		{"faults.yaml", "", 769_567, 43_172},
		{"static-3000.yaml", "", 3_679_225, 38_860},
		{"production.yaml", "", 7_590_628, 114_008},
		{"production-3000.yaml", "", 4_397_783, 271_912},
		{"production-10k.yaml", "3h", 37_861_571, 833_720},
		{"production-10k.yaml", "", 318_600_000, 1_240_000},
		{"production-100k.yaml", "", 143_102_215, 6_824_544},
	} {
		s := shipped(t, m.scenario)
		if m.duration != "" {
			s.Duration = mustDuration(t, m.duration)
		}
		e := EstimateCost(s)
		if r := e.Events / m.events; math.Abs(r-1) > 0.12 {
			t.Errorf("%s %s: %.3g events estimated, %.3g measured (×%.2f)", m.scenario, m.duration, e.Events, m.events, r)
		}
		if r := e.MemoryBytes / (m.memKB * 1024); math.Abs(r-1) > 0.20 {
			t.Errorf("%s %s: %s estimated, %.0f MB measured (×%.2f)", m.scenario, m.duration, bytesText(e.MemoryBytes), m.memKB/1024, r)
		}
		t.Logf("%-22s %-3s events %.3g (measured %.3g), memory %s (measured %.0f MB)", m.scenario, m.duration, e.Events, m.events, bytesText(e.MemoryBytes), m.memKB/1024)
	}
}

// TestEstimateRate: the assumed event rate against the measured ones, per
// CPU second (docs/performance.md): production-10k's day 318.6 M events in
// about 350 s, production-100k's hour 143.1 M in 456 s.
func TestEstimateRate(t *testing.T) {
	for _, m := range []struct {
		scenario string
		rate     float64
	}{{"production-10k.yaml", 318.6e6 / 350}, {"production-100k.yaml", 143.1e6 / 456}} {
		s := shipped(t, m.scenario)
		if r := EstimateCost(s).Rate / m.rate; math.Abs(r-1) > 0.25 {
			t.Errorf("%s: %.2g events/s assumed, %.2g measured (×%.2f)", m.scenario, EstimateCost(s).Rate, m.rate, r)
		}
	}
}

// shipped loads a scenario shipped in ../../scenarios.
func shipped(t testing.TB, name string) *scenarios.Scenario {
	t.Helper()
	path := filepath.Join("..", "..", "scenarios", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse(b, path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEstimateOverlay: the PolderCast overlay's modes against one
// measured 1,000-node hour each (poldercast.yaml's network with the mode
// as p2p.policy; /usr/bin/time): paper 3.60 M events, 48.9 MB, 20.9 s;
// itn 22.0 M events, 170.6 MB, 59.6 s.
func TestEstimateOverlay(t *testing.T) {
	path := filepath.Join("..", "..", "scenarios", "poldercast.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		mode                string
		events, memKB, wall float64
	}{
		{"paper", 3_603_642, 48_904, 20.9},
		{"itn", 21_976_499, 170_576, 59.6},
	} {
		s, err := scenarios.Parse(b, path)
		if err != nil {
			t.Fatal(err)
		}
		s.Compare = scenarios.Compare{}
		s.P2P.Policy = scenarios.PolicySpec{Name: "poldercast", Mode: m.mode}
		if m.mode == "paper" {
			s.P2P.Policy.Fanout = 3
		}
		e := EstimateCost(s)
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"events", e.Events, m.events}, {"memory", e.MemoryBytes, m.memKB * 1024}, {"wall", e.Wall.Seconds(), m.wall}} {
			if r := c.got / c.want; math.Abs(r-1) > 0.15 {
				t.Errorf("%s: %s estimated %.3g, measured %.3g (×%.2f)", m.mode, c.what, c.got, c.want, r)
			}
		}
	}
}
