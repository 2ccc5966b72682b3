package run

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
)

// The files of a sweep's folder: the plan every shard writes, each run's
// folder under SweepRunsDir (named by the run's id), and what merge writes.
const (
	SweepPlanFile = "sweep.json"
	SweepRunsDir  = "runs"
	// sweepPartial prefixes a run's folder while it is written; the
	// finished folder is renamed into place, so a run's folder exists only
	// when every file of it does.
	sweepPartial = ".partial-"
)

// MaxShards bounds --shards: a Slurm array or Kubernetes Indexed Job of
// more tasks than a sweep has runs only idles.
const MaxShards = scenarios.MaxSweepRuns

// SweepOptions of a sweep.
type SweepOptions struct {
	// Shard is this process's share of the runs: run k (in plan order) is
	// shard k mod Shards's. Shards 1 runs them all.
	Shard, Shards int
	// Jobs is how many runs are simulated at once (1 … MaxJobs).
	Jobs int
	// Version and Revision are for the runs' meta.json. A sweep's runs
	// record no command line: a run's files are the same whichever shard
	// or invocation made them.
	Version, Revision string
	// Warn, when set, is told what the sweep noticed (runs reused, stale
	// staging folders removed, builds' warnings once each).
	Warn func(string)
	// Done, when set, is told of every run of the shard as it finishes or
	// is found finished, one call at a time.
	Done func(SweepDone)
	// Progress, as CompareOptions.Progress, over the shard's runs.
	Progress func(CompareProgress)
	// feed is the runs' Options.Feed, set by Sweep from Jobs.
	feed bool
}

// SweepDone reports one run of a shard: finished now (Wall, its
// wall-clock time, never written to a file) or found finished (Skipped).
type SweepDone struct {
	Run         scenarios.SweepRun
	Point       string // the point's label
	Skipped     bool
	Wall        time.Duration
	P50, P99    float64 // ms; 0 when unknown
	Done, Total int
}

// SweepReport is what a shard did.
type SweepReport struct {
	Planned int // runs in the whole sweep
	Mine    int // runs of this shard
	Skipped int // of Mine, found finished
	Ran     int // of Mine, run now
}

// SweepPlan is sweep.json: the sweep's axes, seeds and every run, so that
// merge knows what to expect without the sweep file.
type SweepPlan struct {
	Name  string           `json:"name"`
	Mode  string           `json:"mode"`
	Axes  []SweepPlanAxis  `json:"axes"`
	Seeds []uint64         `json:"seeds"`
	Runs  []SweepPlanEntry `json:"runs"`
}

// SweepPlanAxis is an axis of sweep.json.
type SweepPlanAxis struct {
	Path   string   `json:"path"`
	Values []string `json:"values"`
	Zip    bool     `json:"zip,omitempty"` // moves with the other zip axes
}

// SweepPlanEntry is a run of sweep.json: its id, point (index and the
// axes' values), policy and seed.
type SweepPlanEntry struct {
	ID     string   `json:"id"`
	Point  int      `json:"point"`
	Values []string `json:"values"`
	Policy string   `json:"policy"`
	Bound  bool     `json:"bound,omitempty"`
	Seed   uint64   `json:"seed"`
}

// PlanOf returns sw's plan.
func PlanOf(sw *scenarios.Sweep) SweepPlan {
	p := SweepPlan{Name: sw.Points[0].Scenario.Name, Mode: sw.Mode, Seeds: sw.Seeds}
	for _, a := range sw.Axes {
		p.Axes = append(p.Axes, SweepPlanAxis{Path: a.Path, Values: a.Values, Zip: a.Zip})
	}
	for _, r := range sw.Runs() {
		p.Runs = append(p.Runs, SweepPlanEntry{ID: r.ID, Point: r.Point, Values: sw.Points[r.Point].Values,
			Policy: r.Label, Bound: r.Bound, Seed: r.Seed})
	}
	return p
}

func planBytes(p SweepPlan) ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadPlan reads DIR/sweep.json.
func ReadPlan(dir string) (SweepPlan, error) {
	var p SweepPlan
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return p, badInput(fmt.Errorf("%s: a file; accepted: the --out folder of a dpsim sweep", dir))
	}
	path := filepath.Join(dir, SweepPlanFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return p, badInput(fmt.Errorf("%s: no %s; accepted: the --out folder of a dpsim sweep", dir, SweepPlanFile))
		}
		return p, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			err = fmt.Errorf("%s at byte %d has the wrong type", cmp.Or(te.Field, "the top value"), te.Offset)
		}
		return p, badInput(fmt.Errorf("%s: %w; accepted: the sweep.json a dpsim sweep wrote", path, err))
	}
	if len(p.Axes) == 0 || len(p.Runs) == 0 {
		return p, badInput(fmt.Errorf("%s: no axes or no runs; accepted: the sweep.json a dpsim sweep wrote", path))
	}
	for i, r := range p.Runs {
		if len(r.Values) != len(p.Axes) || r.ID == "" || strings.ContainsAny(r.ID, `/\.`) {
			return p, badInput(fmt.Errorf("%s: run %d: %d values for %d axes, id %q; accepted: the sweep.json a dpsim sweep wrote", path, i, len(r.Values), len(p.Axes), r.ID))
		}
	}
	return p, nil
}

// RunDir is where run id's files are under a sweep's folder.
func RunDir(dir, id string) string { return filepath.Join(dir, SweepRunsDir, id) }

// finished reports whether run id's folder is in place (it is renamed
// there only when complete).
func finished(dir, id string) bool {
	ok, _ := present(dir, id)
	return ok
}

// present is finished, with the error when the folder cannot be read (a
// permission, not a run still to come).
func present(dir, id string) (bool, error) {
	st, err := os.Stat(filepath.Join(RunDir(dir, id), results.SummaryFile))
	switch {
	case err == nil:
		return st.Mode().IsRegular(), nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// Sweep runs this shard's runs of sw into the folder out, skipping those
// whose results are already there, Jobs at a time. Each run's folder is
// written apart and renamed into place when complete, so shards may share
// out (a network file system) and a pre-empted shard loses only the runs
// under way. Cancelling ctx stops the runs between two simulated minutes;
// finished runs are kept.
func Sweep(ctx context.Context, sw *scenarios.Sweep, out string, opt SweepOptions) (*SweepReport, error) {
	if opt.Jobs < 1 || opt.Jobs > MaxJobs {
		return nil, badInput(fmt.Errorf("jobs %d: accepted 1 … %d", opt.Jobs, MaxJobs))
	}
	if opt.Shards < 1 || opt.Shards > MaxShards || opt.Shard < 0 || opt.Shard >= opt.Shards {
		return nil, badInput(fmt.Errorf("shard %d of %d: accepted shard 0 … shards−1, shards 1 … %d", opt.Shard, opt.Shards, MaxShards))
	}
	warn := func(s string) {
		if opt.Warn != nil {
			opt.Warn(s)
		}
	}
	runs := sw.Runs()
	if err := writePlan(out, PlanOf(sw), opt.Shards > 1, warn); err != nil {
		return nil, err
	}
	runsDir := filepath.Join(out, SweepRunsDir)
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return nil, err
	}
	removeStalePartials(runsDir, warn)

	rep := &SweepReport{Planned: len(runs)}
	// The shard's tasks (a run, with the bound it carries), each with what
	// is still to write.
	type task struct {
		t          scenarios.SweepTask
		run, bound bool // to write
	}
	var todo []*task
	var skipped []scenarios.SweepRun
	for k, t := range sw.Tasks() {
		if k%opt.Shards != opt.Shard {
			continue
		}
		x := &task{t: t, run: !finished(out, t.Run.ID)}
		rep.Mine++
		if !x.run {
			skipped = append(skipped, t.Run)
		}
		if t.Bound != nil {
			rep.Mine++
			x.bound = !finished(out, t.Bound.ID)
			if !x.bound {
				skipped = append(skipped, *t.Bound)
			}
		}
		if x.run || x.bound {
			todo = append(todo, x)
		}
	}
	rep.Skipped = len(skipped)
	if rep.Skipped > 0 {
		whose := "this shard's"
		if opt.Shards == 1 {
			whose = "the sweep's"
		}
		warn(fmt.Sprintf("%d of %s %d runs are already in %s: kept, not run again", rep.Skipped, whose, rep.Mine, runsDir))
	}
	var mu sync.Mutex
	done := 0
	if opt.Done != nil {
		for _, r := range skipped {
			done++
			d := SweepDone{Run: r, Point: sw.PointLabel(r.Point), Skipped: true, Done: done, Total: rep.Mine}
			d.P50, d.P99 = summaryMS(out, r.ID)
			opt.Done(d)
		}
	}
	done = rep.Skipped

	// Every point and policy of the shard is built once before anything
	// executes, so input problems come first (a seed changes the draws,
	// not whether a build succeeds); the worlds are dropped at once (a
	// sweep of hundreds cannot hold them all) and rebuilt when each run's
	// turn comes: a build is a small part of a run.
	var warnings []string
	built := map[string]bool{}
	for _, x := range todo {
		r := x.t.Run
		key := strconv.Itoa(r.Point) + "\x00" + r.Label
		if built[key] {
			continue
		}
		built[key] = true
		j, err := Prepare(sw.RunScenario(r), Options{Seed: r.Seed, Parts: []Part{Summary}, Label: label(r)})
		if err != nil {
			return nil, badInput(fmt.Errorf("%s (%s, policy %s, seed %d): %w", sw.Path, sw.PointLabel(r.Point), r.Label, r.Seed, err))
		}
		for _, w := range j.Warnings() {
			if !slices.Contains(warnings, w) {
				warnings = append(warnings, w)
				warn(w)
			}
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	share := map[int]float64{}
	report := func() {
		if opt.Progress == nil {
			return
		}
		opt.Progress(CompareProgress{Done: done, Total: rep.Mine, Running: runningShares(share)})
	}
	errs := make([]error, len(todo))
	bounds := &boundCache{m: map[string]*boundEntry{}}
	next := make(chan int)
	var wg sync.WaitGroup
	opt.feed = FreeCore(min(opt.Jobs, len(todo)))
	for range min(opt.Jobs, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				x := todo[k]
				start := time.Now()
				progress := func(p Progress) {
					mu.Lock()
					share[k] = float64(p.Now) / float64(max(p.End, 1))
					report()
					mu.Unlock()
				}
				wrote := func(r scenarios.SweepRun) {
					mu.Lock()
					defer mu.Unlock()
					done++
					rep.Ran++
					if opt.Done != nil {
						d := SweepDone{Run: r, Point: sw.PointLabel(r.Point), Wall: time.Since(start), Done: done, Total: rep.Mine}
						d.P50, d.P99 = summaryMS(out, r.ID)
						opt.Done(d)
					}
				}
				err := sweepOne(ctx, sw, x.t, x.run, x.bound, out, opt, bounds, progress, wrote)
				mu.Lock()
				delete(share, k)
				if err != nil {
					errs[k] = err
					cancel() // one failure stops the others
				} else {
					report()
				}
				mu.Unlock()
			}
		}()
	}
	for k := range todo {
		if ctx.Err() != nil {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	// The first failure in task order; a run cancelled because another
	// failed gives way to that failure.
	var failed error
	for k, err := range errs {
		if err != nil && (failed == nil || errors.Is(failed, context.Canceled) && !errors.Is(err, context.Canceled)) {
			r := todo[k].t.Run
			failed = fmt.Errorf("%s, policy %s, seed %d: %w", sw.PointLabel(r.Point), r.Label, r.Seed, err)
		}
	}
	if failed == nil && ctx.Err() != nil {
		failed = ctx.Err()
	}
	if failed != nil {
		return rep, failed
	}
	return rep, nil
}

// label is a run's variant label for meta.json and the plot titles:
// none for a static scenario's run.
func label(r scenarios.SweepRun) string {
	if r.Policy.Name == "" && !r.Bound {
		return ""
	}
	return r.Label
}

// sweepOne simulates task t's run and writes its folder (when run) and
// its bound's (when bound), telling wrote of each.
func sweepOne(ctx context.Context, sw *scenarios.Sweep, t scenarios.SweepTask, run, bound bool, out string, opt SweepOptions,
	bounds *boundCache, progress func(Progress), wrote func(scenarios.SweepRun)) error {
	r := t.Run
	s := sw.RunScenario(r)
	parts := DefaultParts
	if r.Bound {
		parts = []Part{Summary}
	}
	res, err := Run(ctx, s, Options{Seed: r.Seed, Parts: parts, Label: label(r), Version: opt.Version, Revision: opt.Revision, Progress: progress, Feed: opt.feed})
	if err != nil {
		return err
	}
	// God's view over the blocks and network of this run: the bound of its
	// point and seed, computed once per process for the points that
	// differ only in their policies (it is the same bound).
	godsView := func(b scenarios.SweepRun) (*Result, error) {
		gv, err := bounds.get(sw.BoundKey(b), func() (*results.Collector, error) {
			gv, err := results.GodsView(res.Collector, res.Latency, res.Hop, res.ForgeDelay, results.GodsViewOptions{MaxSources: s.Compare.GodsViewSources, Stop: ctx.Err})
			if err != nil {
				return nil, err
			}
			gv.SetWarmup(clock.Time(s.Warmup))
			return gv, nil
		})
		if err != nil {
			return nil, err
		}
		return &Result{Scenario: sw.Points[b.Point].Scenario, Seed: b.Seed, Label: b.Label, Version: opt.Version, Revision: opt.Revision,
			Collector: gv, Parts: []Part{Summary, Blocks, CDF, Rounds}}, nil
	}
	if r.Bound {
		if res, err = godsView(r); err != nil {
			return err
		}
	}
	if run {
		if err := writeSweepRun(sw, r, res, out); err != nil {
			return err
		}
		wrote(r)
	}
	if t.Bound != nil && bound {
		b, err := godsView(*t.Bound)
		if err != nil {
			return err
		}
		if err := writeSweepRun(sw, *t.Bound, b, out); err != nil {
			return err
		}
		wrote(*t.Bound)
	}
	return nil
}

// writeSweepRun writes run r's result into its folder under out: into a
// folder of its own, renamed into place when complete.
func writeSweepRun(sw *scenarios.Sweep, r scenarios.SweepRun, res *Result, out string) error {
	meta := map[string]any{"sweep_run": r.ID}
	pt := sw.Points[r.Point]
	for a, ax := range sw.Axes {
		meta["sweep."+ax.Path] = pt.Values[a]
	}
	res.extra = meta
	runsDir := filepath.Join(out, SweepRunsDir)
	host, _ := os.Hostname()
	tmp, err := os.MkdirTemp(runsDir, sweepPartial+r.ID+"-"+safeHost(host)+"-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := res.WriteParts(tmp); err != nil {
		return err
	}
	// MkdirTemp makes the folder 0700: readable by the others who merge,
	// as the files in it are.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	dst := RunDir(out, r.ID)
	if _, err := os.Stat(dst); err == nil && !finished(out, r.ID) {
		// A folder without its summary.json is not a run dpsim moved into
		// place (they appear whole): one left by hand, replaced.
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		if finished(out, r.ID) {
			return nil // another shard finished it first: the same files
		}
		return err
	}
	return nil
}

// safeHost keeps a host name's letters, digits and dashes.
func safeHost(h string) string {
	h = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, h)
	if h == "" {
		return "host"
	}
	return h
}

// removeStalePartials removes the run folders this host's killed sweeps
// left half-written. Another host's are left: its processes cannot be
// seen from here, and a rerun there removes them.
func removeStalePartials(runsDir string, warn func(string)) {
	host, _ := os.Hostname()
	entries, err := os.ReadDir(runsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), sweepPartial)
		if !ok || !e.IsDir() {
			continue
		}
		// ID-HOST-PID-RANDOM
		f := strings.Split(rest, "-")
		if len(f) < 4 {
			continue
		}
		pid, err := strconv.Atoi(f[len(f)-2])
		if err != nil || strings.Join(f[1:len(f)-2], "-") != safeHost(host) || running(pid) {
			continue
		}
		if os.RemoveAll(filepath.Join(runsDir, e.Name())) == nil {
			warn(fmt.Sprintf("removed %s, a run a stopped sweep was writing", filepath.Join(runsDir, e.Name())))
		}
	}
}

// writePlan writes out/sweep.json, or checks the one there. A different
// plan (the sweep file changed) is replaced: runs are named by what they
// simulate, so the runs both plans share are kept and reused. A shard
// refuses it instead: the shards of one sweep must run one plan, or the
// merge would miss runs no shard owns.
func writePlan(out string, p SweepPlan, shard bool, warn func(string)) error {
	b, err := planBytes(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(out, SweepPlanFile)
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err == nil && shard {
		return badInput(fmt.Errorf("%s describes another sweep than this shard's (the sweep file changed since another shard started?); accepted: every shard of a sweep run on the same file, or another --out, or an unsharded run to replace it", path))
	}
	if err == nil {
		warn(fmt.Sprintf("%s described another sweep: replaced (the runs both share are kept and not run again)", path))
	}
	return atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// summaryMS reads p50 and p99 from a finished run's summary.json (0 when
// unknown): for the per-run line.
func summaryMS(out, id string) (p50, p99 float64) {
	st, err := readRunStats(filepath.Join(RunDir(out, id), results.SummaryFile))
	if err != nil || math.IsNaN(st.P50) || math.IsNaN(st.P99) {
		return 0, 0
	}
	return st.P50, st.P99
}

// Merge gathers every run of the sweep in dir (its sweep.json's runs)
// into sweep.csv, sweep.md and a plot per axis, written into dir. Runs
// not there are listed as missing, not an error: a merge of the shards
// finished so far shows them. The result depends only on the runs' files,
// so merging the shards of a sweep gives the bytes one unsharded sweep
// gives.
func Merge(dir string) (*results.SweepTable, error) {
	plan, err := ReadPlan(dir)
	if err != nil {
		return nil, err
	}
	t := &results.SweepTable{Name: plan.Name}
	for _, a := range plan.Axes {
		t.Axes = append(t.Axes, results.SweepAxis{Path: a.Path, Values: a.Values, Zip: a.Zip})
	}
	for _, r := range plan.Runs {
		row := results.SweepRunRow{ID: r.ID, Point: r.Point, Values: r.Values, Policy: r.Policy, Bound: r.Bound, Seed: r.Seed}
		ok, err := present(dir, r.ID)
		if err != nil {
			return nil, fmt.Errorf("%w; accepted: a sweep folder this user can read", err)
		}
		if ok {
			st, err := readRunStats(filepath.Join(RunDir(dir, r.ID), results.SummaryFile))
			if err != nil {
				return nil, err
			}
			row.Present, row.Stats = true, st
		}
		t.Runs = append(t.Runs, row)
	}
	t.Summarise()
	if err := results.WriteSweep(dir, t); err != nil {
		return nil, err
	}
	// The plots of axes this sweep no longer has (the file changed).
	old, _ := filepath.Glob(filepath.Join(dir, results.SweepPlotFile("*")))
	for _, f := range old {
		if !slices.ContainsFunc(t.Axes, func(a results.SweepAxis) bool {
			b := filepath.Base(f)
			return b == results.SweepPlotFile(a.Path) || b == results.SweepAttackPlotFile(a.Path) && t.Attacked() ||
				b == results.SweepSyncPlotFile(a.Path) && t.Synced()
		}) {
			os.Remove(f)
		}
	}
	return t, nil
}

// readRunStats reads what a sweep's table takes from a run's
// summary.json; a null percentile (nothing adopted) is NaN.
func readRunStats(path string) (results.SweepStats, error) {
	var st results.SweepStats
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	var s struct {
		Blocks    *int64   `json:"blocks"`
		Adoptions *int64   `json:"adoptions"`
		P50       *float64 `json:"p50_ms"`
		P95       *float64 `json:"p95_ms"`
		P99       *float64 `json:"p99_ms"`
		HP50      *float64 `json:"header_p50_ms"`
		HP95      *float64 `json:"header_p95_ms"`
		HP99      *float64 `json:"header_p99_ms"`
		Adversary map[string]struct {
			EclipsedMax  float64  `json:"eclipsed_max"`
			HotShare     float64  `json:"attacker_hot_share_end"`
			KnownShare   float64  `json:"attacker_known_share_end"`
			BlocksMissed *float64 `json:"blocks_missed_mean"`
		} `json:"adversary"`
		Sync map[string]struct {
			Nodes      float64  `json:"nodes"`
			CaughtUp   float64  `json:"caught_up"`
			CatchUpP50 *float64 `json:"catch_up_p50_s"`
			Fooled     float64  `json:"young_enough_behind_at_end"`
		} `json:"sync"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Blocks == nil || s.Adoptions == nil {
		why := "no blocks or adoptions"
		if err != nil {
			why = err.Error()
		}
		return st, badInput(fmt.Errorf("%s: not a run's summary.json (%s); accepted: the file dpsim wrote, or remove the run's folder to run it again", path, why))
	}
	f := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	st.Blocks, st.Adoptions = *s.Blocks, *s.Adoptions
	st.P50, st.P95, st.P99 = f(s.P50), f(s.P95), f(s.P99)
	st.HeaderP50, st.HeaderP95, st.HeaderP99 = f(s.HP50), f(s.HP95), f(s.HP99)
	if len(s.Adversary) > 0 {
		// The mean over the honest classes, summed in name order.
		// Blocks missed over the classes that have them (not syncing
		// classes).
		a := &results.SweepAttack{}
		counted, missed := 0, 0.0
		for _, k := range slices.Sorted(maps.Keys(s.Adversary)) {
			c := s.Adversary[k]
			a.EclipsedMax += c.EclipsedMax
			a.HotShare += c.HotShare
			a.KnownShare += c.KnownShare
			if c.BlocksMissed != nil {
				missed += *c.BlocksMissed
				counted++
			}
		}
		n := float64(len(s.Adversary))
		a.EclipsedMax, a.HotShare, a.KnownShare = a.EclipsedMax/n, a.HotShare/n, a.KnownShare/n
		a.BlocksMissed = math.NaN()
		if counted > 0 {
			a.BlocksMissed = missed / float64(counted)
		}
		st.Attack = a
	}
	if len(s.Sync) > 0 {
		// The mean over the syncing classes, in name order; the catch-up
		// time over the classes where some node caught up.
		y := &results.SweepSync{}
		timed, sum := 0, 0.0
		for _, k := range slices.Sorted(maps.Keys(s.Sync)) {
			c := s.Sync[k]
			if c.Nodes > 0 {
				y.CaughtUp += c.CaughtUp / c.Nodes
				y.Fooled += c.Fooled / c.Nodes
			}
			if c.CatchUpP50 != nil {
				sum += *c.CatchUpP50
				timed++
			}
		}
		n := float64(len(s.Sync))
		y.CaughtUp, y.Fooled = y.CaughtUp/n, y.Fooled/n
		y.CatchUpP50 = math.NaN()
		if timed > 0 {
			y.CatchUpP50 = sum / float64(timed)
		}
		st.Sync = y
	}
	return st, nil
}

// boundCache holds the god's-view bounds a sweep process has computed, by
// Sweep.BoundKey: Close-Random's six shares of close peers on one network
// share one bound, which at 3,000 nodes costs ten simulations. A bound is
// only read once made (written by several runs' writers at once).
type boundCache struct {
	mu sync.Mutex
	m  map[string]*boundEntry
}

// boundsMade counts the bounds computed, for the tests.
var boundsMade atomic.Int64

type boundEntry struct {
	once sync.Once
	c    *results.Collector
	err  error
}

// get returns the bound of key, made by compute the first time.
func (b *boundCache) get(key string, compute func() (*results.Collector, error)) (*results.Collector, error) {
	b.mu.Lock()
	e := b.m[key]
	if e == nil {
		e = &boundEntry{}
		b.m[key] = e
	}
	b.mu.Unlock()
	e.once.Do(func() {
		boundsMade.Add(1)
		e.c, e.err = compute()
	})
	return e.c, e.err
}
