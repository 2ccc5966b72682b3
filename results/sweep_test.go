package results

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sweepTable: two grid values of body_bytes crossed with a zip group of
// two policy fields (whose second axis repeats a value), one policy, three
// seeds, one run missing.
func sweepTable() *SweepTable {
	t := &SweepTable{Name: "t", Axes: []SweepAxis{
		{Path: "blocks.body_bytes", Values: []string{"16384", "65536"}},
		{Path: "p2p.policy.close", Values: []string{"0", "4"}, Zip: true},
		{Path: "p2p.policy.label", Values: []string{"far, wide", "far, wide"}, Zip: true},
	}}
	id := 0
	for pt, vals := range [][]string{{"16384", "0", "far, wide"}, {"16384", "4", "far, wide"}, {"65536", "0", "far, wide"}, {"65536", "4", "far, wide"}} {
		for seed := uint64(1); seed <= 3; seed++ {
			id++
			ms := float64(100*(pt+1)) + float64(seed) // 101, 102, 103; 201, …
			r := SweepRunRow{ID: "r" + string(rune('a'+id)), Point: pt, Values: vals, Policy: "cardano", Seed: seed, Present: true,
				Stats: SweepStats{Blocks: 10, Adoptions: 90, P50: ms, P95: 2 * ms, P99: 3 * ms, HeaderP50: ms / 10, HeaderP95: math.NaN(), HeaderP99: ms / 5}}
			if pt == 3 && seed == 3 {
				r.Present, r.Stats = false, SweepStats{}
			}
			t.Runs = append(t.Runs, r)
		}
	}
	t.Summarise()
	return t
}

// TestSweepSummarise: a point's mean and Student-t half-width over its
// present seeds, a NaN percentile left out, a missing run counted.
func TestSweepSummarise(t *testing.T) {
	tab := sweepTable()
	if len(tab.Points) != 4 {
		t.Fatalf("%d point rows, want 4", len(tab.Points))
	}
	p := tab.Points[0]
	// 101, 102, 103 ms: mean 102, s = 1, t(0.975, 2) = 4.3027: half 2.4842 ms.
	if p.P50.Seeds != 3 || math.Abs(p.P50.MeanUS-102000) > 1e-6 || !p.P50.HasCI || math.Abs(p.P50.HalfUS-2484.2) > 0.1 {
		t.Errorf("p50 %+v, want mean 102 ms ± 2.484 over 3 seeds", p.P50)
	}
	if p.HeaderP95.Seeds != 0 || p.HeaderP99.Seeds != 3 {
		t.Errorf("header p95 over %d seeds (all NaN: want 0), p99 over %d", p.HeaderP95.Seeds, p.HeaderP99.Seeds)
	}
	q := tab.Points[3]
	if q.Planned != 3 || q.P50.Seeds != 2 || len(tab.Missing()) != 1 {
		t.Errorf("last point: %d planned, %d present, %d missing; want 3, 2, 1", q.Planned, q.P50.Seeds, len(tab.Missing()))
	}
}

// TestWriteSweep: sweep.csv's rows as documented (docs/outputs.md), the
// missing run in sweep.md, and a plot per axis that decodes as a PNG.
func TestWriteSweep(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("DPSIM_SWEEP_PLOTS"); d != "" {
		dir = d // to look at them
	}
	if err := WriteSweep(dir, sweepTable()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SweepCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	want := []string{
		"kind,id,blocks.body_bytes,p2p.policy.close,p2p.policy.label,policy,bound,seed,seeds,status,blocks,adoptions,p50_ms,p50_ci95_ms,p95_ms,p95_ci95_ms,p99_ms,p99_ci95_ms,header_p50_ms,header_p50_ci95_ms,header_p95_ms,header_p95_ci95_ms,header_p99_ms,header_p99_ci95_ms",
		`run,rb,16384,0,"far, wide",cardano,false,1,,ok,10,90,101,,202,,303,,10.1,,,,20.2,`,
	}
	if len(lines) != 1+12+4 {
		t.Fatalf("%d lines, want a header, 12 runs and 4 points:\n%s", len(lines), b)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d:\n%s\nwant\n%s", i+1, lines[i], w)
		}
	}
	if got := lines[12]; got != `run,rm,65536,4,"far, wide",cardano,false,3,,missing,,,,,,,,,,,,,,` {
		t.Errorf("missing run's row: %s", got)
	}
	if got := lines[13]; !strings.HasPrefix(got, `point,,16384,0,"far, wide",cardano,false,,3,ok,,,102,2.4841`) {
		t.Errorf("first point row: %s", got)
	}
	if got := lines[16]; !strings.HasPrefix(got, `point,,65536,4,"far, wide",cardano,false,,2,2 of 3 seeds,,,401.5,`) {
		t.Errorf("last point row: %s", got)
	}
	md, _ := os.ReadFile(filepath.Join(dir, SweepMDFile))
	if !strings.Contains(string(md), "## Missing runs (1)") || !strings.Contains(string(md), "- `rm`: blocks.body_bytes=65536, p2p.policy.close=4, p2p.policy.label=far, wide, policy cardano, seed 3") {
		t.Errorf("sweep.md:\n%s", md)
	}
	// The zip group's second axis repeats its first's plot: none of its own.
	if _, err := os.Stat(filepath.Join(dir, "sweep-p2p.policy.label.png")); err == nil {
		t.Error("a plot for the zip group's second axis")
	}
	if got := SweepPlotFile("compare.policies[0].close"); got != "sweep-compare.policies.0.close.png" {
		t.Errorf("plot file %s", got)
	}
	for _, ax := range []string{"blocks.body_bytes", "p2p.policy.close"} {
		f, err := os.Open(filepath.Join(dir, SweepPlotFile(ax)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 500 {
			t.Errorf("%s: %v, %v", ax, err, img.Bounds())
		}
	}
}

// TestWriteSweepAttack: runs with an attack summary add the attack's
// columns (mean and 95 % half-width per point) and an attack plot per
// axis; a run without one leaves its cells empty.
func TestWriteSweepAttack(t *testing.T) {
	tab := sweepTable()
	for i := range tab.Runs {
		r := &tab.Runs[i]
		if r.Present && r.Point < 3 {
			x := float64(r.Point+1) / 10
			r.Stats.Attack = &SweepAttack{EclipsedMax: x, HotShare: x + float64(r.Seed)/100, KnownShare: 2 * x, BlocksMissed: float64(r.Seed)}
		}
	}
	dir, lines := writeSweepLines(t, tab)
	if !strings.HasSuffix(lines[0], ",attacker_hot_share,attacker_hot_share_ci95,attacker_known_share,attacker_known_share_ci95,eclipsed_max,eclipsed_max_ci95,blocks_missed,blocks_missed_ci95") {
		t.Fatalf("header %s", lines[0])
	}
	if !strings.HasSuffix(lines[1], ",0.11,,0.2,,0.1,,1,") {
		t.Errorf("first run's attack cells: %s", lines[1])
	}
	// Point 0: hot shares 0.11, 0.12, 0.13: mean 0.12, half t(0.975,2)·0.01/√3.
	if !strings.Contains(lines[13], ",0.12,0.02484") || !strings.HasSuffix(lines[16], ",,,,,,,,") {
		t.Errorf("point rows:\n%s\n%s", lines[13], lines[16])
	}
	for _, ax := range []string{"blocks.body_bytes", "p2p.policy.close"} {
		if _, err := os.Stat(filepath.Join(dir, SweepAttackPlotFile(ax))); err != nil {
			t.Error(err)
		}
	}
}

// TestWriteSweepSync: runs with syncing nodes add the sync columns after
// the attack's, a catch-up time a run does not have (none caught up) is an
// empty cell and stays out of its point's mean, and each axis gets a sync
// plot.
func TestWriteSweepSync(t *testing.T) {
	tab := sweepTable()
	for i := range tab.Runs {
		r := &tab.Runs[i]
		if r.Present && r.Point < 3 {
			y := &SweepSync{CaughtUp: 1, CatchUpP50: 10 + float64(r.Seed), Fooled: 0}
			if r.Seed == 1 {
				y = &SweepSync{CaughtUp: 0, CatchUpP50: math.NaN(), Fooled: 0.5}
			}
			r.Stats.Sync = y
		}
	}
	dir, lines := writeSweepLines(t, tab)
	if !strings.HasSuffix(lines[0], ",header_p99_ms,header_p99_ci95_ms,sync_caught_up,sync_caught_up_ci95,sync_catch_up_p50_s,sync_catch_up_p50_s_ci95,sync_fooled,sync_fooled_ci95") {
		t.Fatalf("header %s", lines[0])
	}
	if !strings.HasSuffix(lines[1], ",0,,,,0.5,") {
		t.Errorf("first run (seed 1, none caught up): %s", lines[1])
	}
	p := tab.Points[0]
	if p.Sync[1].Seeds != 2 || p.Sync[1].MeanUS != 12.5 || p.Sync[0].Seeds != 3 {
		t.Errorf("point 0's catch-up estimate %+v, caught-up %+v: want the mean of seeds 2 and 3 (12.5 s)", p.Sync[1], p.Sync[0])
	}
	for _, ax := range []string{"blocks.body_bytes", "p2p.policy.close"} {
		if _, err := os.Stat(filepath.Join(dir, SweepSyncPlotFile(ax))); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(dir, SweepAttackPlotFile(ax))); err == nil {
			t.Errorf("%s: an attack plot without attackers", ax)
		}
	}
}

// writeSweepLines summarises tab, writes it into a new folder and returns
// the folder and sweep.csv's lines.
func writeSweepLines(t *testing.T, tab *SweepTable) (string, []string) {
	t.Helper()
	tab.Summarise()
	dir := t.TempDir()
	if err := WriteSweep(dir, tab); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SweepCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	return dir, strings.Split(string(b), "\n")
}
