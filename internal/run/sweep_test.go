package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dpsim/dpsim/scenarios"
)

// sweepSmall: 2 points × (2 policies + god's view) × 2 seeds = 12 runs of
// 40 nodes for 20 minutes.
const sweepSmall = `version: 1
name: sweep-small
duration: 20m
nodes: {count: 40}
topology: {model: p2p}
p2p:
  targets: {root: 12, known: 12, established: 6, active: 4, known_big_ledger: 2, established_big_ledger: 1, active_big_ledger: 1}
compare:
  policies:
    - name: cardano
    - name: close-random
      close: 2
      random: 2
    - name: gods-view
sweep:
  seeds: [1, 2]
  axes:
    blocks.body_bytes: [16384, 262144]
`

func loadSweep(t *testing.T, src string) *scenarios.Sweep {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sw, err := scenarios.LoadSweep(path)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

// tree reads every file under dir, by relative path.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, a, b string) {
	t.Helper()
	x, y := tree(t, a), tree(t, b)
	for k, v := range x {
		if w, ok := y[k]; !ok {
			t.Errorf("%s: only in %s", k, a)
		} else if !bytes.Equal(v, w) {
			t.Errorf("%s differs", k)
		}
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			t.Errorf("%s: only in %s", k, b)
		}
	}
}

// TestSweepShardsMergeToWhole: three shards of a sweep, run in an order
// of their own into one folder and merged, give the bytes of the whole
// sweep run at once: every run's files, sweep.json, sweep.csv, sweep.md
// and the plots.
func TestSweepShardsMergeToWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("12 runs, three times: the race detector's run (CI's -short) covers the sweep's goroutines with TestSweepCancel and TestSweepResume")
	}
	sw := loadSweep(t, sweepSmall)
	whole := filepath.Join(t.TempDir(), "whole")
	rep, err := Sweep(context.Background(), sw, whole, SweepOptions{Shards: 1, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Planned != 12 || rep.Mine != 12 || rep.Ran != 12 {
		t.Fatalf("report %+v: want 12 planned, mine and run", rep)
	}
	tab, err := Merge(whole)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Points) != 6 || len(tab.Missing()) != 0 {
		t.Fatalf("%d point rows, %d missing: want 6 (2 points × 3 policies), 0", len(tab.Points), len(tab.Missing()))
	}
	// The bound is below every policy at each point.
	for _, p := range tab.Points {
		if p.Bound {
			continue
		}
		for _, q := range tab.Points {
			if q.Bound && q.Point == p.Point && q.P50.MeanUS > p.P50.MeanUS {
				t.Errorf("point %d: god's view p50 %.0f µs above %s's %.0f", p.Point, q.P50.MeanUS, p.Policy, p.P50.MeanUS)
			}
		}
	}
	// A bigger body is slower to spread, for every policy.
	for _, p := range tab.Points {
		if p.Point == 1 {
			for _, q := range tab.Points {
				if q.Point == 0 && q.Policy == p.Policy && q.P50.MeanUS >= p.P50.MeanUS {
					t.Errorf("%s: p50 %.0f µs with 16 kB bodies, %.0f with 256 kB", p.Policy, q.P50.MeanUS, p.P50.MeanUS)
				}
			}
		}
	}

	sharded := filepath.Join(t.TempDir(), "sharded")
	total := 0
	for _, shard := range []int{2, 0, 1} {
		rep, err := Sweep(context.Background(), sw, sharded, SweepOptions{Shard: shard, Shards: 3, Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		// 8 simulations (a bound rides with its point's first policy) in
		// three shards of 3, 3 and 2.
		if rep.Ran != rep.Mine || rep.Mine < 3 || rep.Mine > 5 {
			t.Fatalf("shard %d: %+v, want 3 … 5 runs, all run", shard, rep)
		}
		total += rep.Mine
		if shard == 2 {
			// A merge before the other shards lists their runs as missing.
			part, err := Merge(sharded)
			if err != nil {
				t.Fatal(err)
			}
			if len(part.Missing()) != 12-rep.Mine {
				t.Fatalf("%d missing after one shard of three (%d runs), want %d", len(part.Missing()), rep.Mine, 12-rep.Mine)
			}
			md, _ := os.ReadFile(filepath.Join(sharded, "sweep.md"))
			if !strings.Contains(string(md), fmt.Sprintf("## Missing runs (%d)", 12-rep.Mine)) {
				t.Errorf("sweep.md does not list the missing runs:\n%s", md)
			}
		}
	}
	if total != 12 {
		t.Fatalf("the shards hold %d runs, want 12", total)
	}
	if _, err := Merge(sharded); err != nil {
		t.Fatal(err)
	}
	sameTree(t, whole, sharded)

	// A lost bound is written again from a new simulation of its carrier,
	// whose own folder stays as it is.
	var bound string
	for _, r := range sw.Runs() {
		if r.Bound {
			bound = r.ID
		}
	}
	if err := os.RemoveAll(RunDir(sharded, bound)); err != nil {
		t.Fatal(err)
	}
	rep, err = Sweep(context.Background(), sw, sharded, SweepOptions{Shards: 1, Jobs: 1})
	if err != nil || rep.Ran != 1 || rep.Skipped != 11 {
		t.Fatalf("rerun without a bound: %+v, %v; want 1 run written, 11 kept", rep, err)
	}
	sameTree(t, whole, sharded)
}

// TestSweepResume: a rerun skips the runs that are there and runs only
// the missing one, whose files come out as before.
func TestSweepResume(t *testing.T) {
	sw := loadSweep(t, strings.Replace(sweepSmall, "    - name: gods-view\n", "", 1))
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := Sweep(context.Background(), sw, dir, SweepOptions{Shards: 1, Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	for _, r := range sw.Runs() {
		if st, err := os.Stat(RunDir(dir, r.ID)); err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("run folder %s: %v, %v; want mode 0755 (readable by whoever merges)", r.ID, st.Mode(), err)
		}
	}
	victim := sw.Runs()[3].ID
	// A folder without its summary.json (not one dpsim moved into place)
	// is run again and replaced.
	if err := os.RemoveAll(RunDir(dir, victim)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(RunDir(dir, victim), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(RunDir(dir, victim), "junk"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	var ran []string
	rep, err := Sweep(context.Background(), sw, dir, SweepOptions{Shards: 1, Jobs: 2,
		Warn: func(s string) { warned = append(warned, s) },
		Done: func(d SweepDone) {
			if !d.Skipped {
				ran = append(ran, d.Run.ID)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ran != 1 || rep.Skipped != 7 || !slices.Equal(ran, []string{victim}) {
		t.Fatalf("rerun %+v ran %v: want only %s, 7 skipped", rep, ran, victim)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "7 of the sweep's 8 runs are already in") {
		t.Errorf("warnings %q: want one saying 7 runs were kept", warned)
	}
	after := tree(t, dir)
	for k, v := range before {
		if !bytes.Equal(after[k], v) {
			t.Errorf("%s changed on resume", k)
		}
	}
}

// TestSweepCancel: cancelling stops the sweep with the context's error;
// the runs finished by then are complete, nothing half-written is left,
// and a rerun finishes the rest.
func TestSweepCancel(t *testing.T) {
	sw := loadSweep(t, strings.Replace(sweepSmall, "    - name: gods-view\n", "", 1))
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	_, err := Sweep(ctx, sw, dir, SweepOptions{Shards: 1, Jobs: 2,
		Done: func(d SweepDone) { once.Do(cancel) }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, SweepRunsDir))
	if err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), sweepPartial) {
			t.Errorf("%s left behind", e.Name())
			continue
		}
		done++
		for _, f := range []string{"meta.json", "summary.json", "blocks.csv", "cdf.png", "peers.csv"} {
			if _, err := os.Stat(filepath.Join(dir, SweepRunsDir, e.Name(), f)); err != nil {
				t.Errorf("run %s: %v", e.Name(), err)
			}
		}
	}
	if done < 1 || done > 3 {
		t.Fatalf("%d runs finished before the cancel took hold, want 1 … 3 (two at once)", done)
	}
	rep, err := Sweep(context.Background(), sw, dir, SweepOptions{Shards: 1, Jobs: 2})
	if err != nil || rep.Skipped != done || rep.Ran != 8-done {
		t.Fatalf("rerun %+v, %v: want %d skipped, %d run", rep, err, done, 8-done)
	}
}

// TestSweepStalePartial: a run folder a killed sweep of this host left
// half-written is removed by the next sweep, and another host's is left.
func TestSweepStalePartial(t *testing.T) {
	sw := loadSweep(t, strings.Replace(strings.Replace(sweepSmall, "    - name: gods-view\n", "", 1), "seeds: [1, 2]", "seeds: [1]", 1))
	dir := filepath.Join(t.TempDir(), "out")
	host, _ := os.Hostname()
	mine := filepath.Join(dir, SweepRunsDir, fmt.Sprintf("%sabc-%s-%d-1", sweepPartial, safeHost(host), 1<<22+7))
	other := filepath.Join(dir, SweepRunsDir, sweepPartial+"abc-elsewhere-1-1")
	for _, d := range []string{mine, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var warned []string
	if _, err := Sweep(context.Background(), sw, dir, SweepOptions{Shards: 1, Jobs: 1, Warn: func(s string) { warned = append(warned, s) }}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: %v, want removed", mine, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another host's partial run was removed: %v", err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "a run a stopped sweep was writing") {
		t.Errorf("warnings %q", warned)
	}
}

// TestSweepBadOptions: shards and jobs out of range are input errors.
func TestSweepBadOptions(t *testing.T) {
	sw := loadSweep(t, sweepSmall)
	for _, o := range []SweepOptions{{Shards: 0, Jobs: 1}, {Shard: 2, Shards: 2, Jobs: 1}, {Shard: -1, Shards: 2, Jobs: 1}, {Shards: 1, Jobs: 0}} {
		_, err := Sweep(context.Background(), sw, t.TempDir(), o)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%+v: error %v, want an input error", o, err)
		}
	}
	if _, err := Merge(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no sweep.json") {
		t.Errorf("merge of an empty folder: %v", err)
	}
}

// TestSweepBoundShared: points that differ only in their policies share
// one bound per seed, computed once in a process, and the files are those
// of shards that each computed their own.
func TestSweepBoundShared(t *testing.T) {
	if testing.Short() {
		t.Skip("22 runs")
	}
	src := strings.Replace(sweepSmall, `  axes:
    blocks.body_bytes: [16384, 262144]
`, `  zip:
    compare.policies[1].close: [0, 2, 4]
    compare.policies[1].random: [4, 2, 0]
`, 1)
	src = strings.Replace(src, "      random: 2\n", "      random: 2\n      label: close-random\n", 1)
	sw := loadSweep(t, src)
	whole := filepath.Join(t.TempDir(), "whole")
	before := boundsMade.Load()
	rep, err := Sweep(context.Background(), sw, whole, SweepOptions{Shards: 1, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if made := boundsMade.Load() - before; rep.Ran != 18 || made != 2 {
		t.Fatalf("%d runs written, %d bounds computed; want 18 (3 points × 3 policies × 2 seeds) and 2 (one per seed)", rep.Ran, made)
	}
	sharded := filepath.Join(t.TempDir(), "sharded")
	for shard := range 4 {
		if _, err := Sweep(context.Background(), sw, sharded, SweepOptions{Shard: shard, Shards: 4, Jobs: 1}); err != nil {
			t.Fatal(err)
		}
	}
	sameTree(t, whole, sharded)
}

// FuzzReadPlan feeds arbitrary bytes as sweep.json: ReadPlan never panics,
// refuses with an input error, and a plan it accepts has a value per axis
// in every run and ids that name a folder.
func FuzzReadPlan(f *testing.F) {
	f.Add([]byte(`{"name":"x","mode":"grid","axes":[{"path":"a","values":["1","2"]}],"seeds":[1],"runs":[{"id":"ab12","point":0,"values":["1"],"policy":"cardano","seed":1}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"axes":[{"path":"a","values":[]}],"runs":[{"id":"../x","values":["1"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, SweepPlanFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := ReadPlan(dir)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T) is not an input error", err, err)
			}
			return
		}
		for _, r := range p.Runs {
			if len(r.Values) != len(p.Axes) || r.ID == "" || filepath.Base(r.ID) != r.ID || r.ID == ".." {
				t.Fatalf("accepted run %+v of a plan with %d axes", r, len(p.Axes))
			}
		}
	})
}

// TestWithholdRecovers: withholding attackers make nodes wait block-fetch's
// time limit, but never strand one: every node keeps up with the honest
// majority within a few blocks, including a node whose request was to an
// attacker the governor demoted before the limit ran out.
func TestWithholdRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-hour run")
	}
	s := parse(t, `version: 1
name: withhold
duration: 3h
nodes:
  count: 150
  classes: [{name: relay, count: 150, producer: true}]
  stake: {distribution: pareto, pareto_alpha: 1.16}
network: {latency: {model: geo}, bandwidth_mbps: 100}
topology: {model: p2p}
p2p:
  targets: {root: 20, known: 60, established: 20, active: 10, known_big_ledger: 0, established_big_ledger: 0, active_big_ledger: 0}
  peer_sharing: true
  ledger_peers: true
  churn: true
  churn_interval: 600s
  churn_jitter: 60s
adversary:
  - {name: sybil, share: 0.1, behaviour: withhold}
`)
	res, err := Run(context.Background(), s, Options{Seed: 1, Parts: []Part{Summary}})
	if err != nil {
		t.Fatal(err)
	}
	sum := res.Attack.Summary()["relay"].(map[string]any)
	if gap := sum["gap_max"].(int32); gap > 20 {
		t.Fatalf("a node fell %d blocks behind the honest majority: stranded", gap)
	}
	if p := res.Collector.Pooled(); p.Max < int64(60*time.Second/time.Microsecond) {
		t.Fatalf("the slowest adoption took %d µs: no one waited block-fetch's limit", p.Max)
	}
}
