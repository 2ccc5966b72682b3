package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/internal/run"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
	"github.com/spf13/cobra"
)

// Defaults of --emit kubernetes.
const (
	defaultImage = "dpsim:latest"
	defaultClaim = "dpsim-out"
)

type sweepOptions struct {
	out    string
	shard  string // "I/N"
	shards int    // with an index from the environment
	jobs   int
	force  bool
	emit   string
	// --emit's: where the tasks run.
	binary    string
	image     string
	claim     string
	parallel  int
	remoteArg string
	getenv    func(string) string
}

func newSweepCmd() *cobra.Command {
	o := &sweepOptions{getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "sweep SWEEP.yaml --out DIR [--shard I/N] [--jobs J] | --emit slurm|kubernetes",
		Short: "Run a parameter sweep (every point × policy × seed), sharded over a cluster if asked",
		Long: `sweep runs every run of a sweep file: a scenario with a sweep section (or a
sweep section naming its scenario) whose axes are field paths with lists of
values, combined as a grid or zipped. Every point is checked as a whole
scenario first; then each point runs its compare policies (or its own policy)
on every seed. Each run writes the files dpsim run writes into its own folder,
DIR/runs/ID (ID a hash of what the run simulates), moved into place only when
complete: shards may share DIR on a network file system, and a rerun skips the
runs already there (resume after a pre-empted job). DIR/sweep.json lists every
run. Without a shard, sweep then merges (as dpsim merge): DIR/sweep.csv,
sweep.md and a plot per axis, sweep-PATH.png.

Shards: --shard I/N runs tasks I, I+N, I+2N, … (I from 0; a task is a run
and the god's-view bound it carries). Without --shard,
the index comes from the environment: a Slurm job array
(SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT) or a
Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shards or DPSIM_SHARDS).
Merge the shards with dpsim merge DIR: the result is byte-identical to an
unsharded sweep's.

--emit slurm prints an sbatch script (a job array, its time and memory from
the runs' estimated cost); --emit kubernetes prints an Indexed Job manifest.
docs/sweeps.md describes the sweep file; docs/outputs.md every file.`,
		Example: `  dpsim sweep scenarios/sweep-quick.yaml --out out/sweep-quick
  dpsim sweep scenarios/sweep-quick.yaml --out out/sq --shard 0/2 && dpsim sweep scenarios/sweep-quick.yaml --out out/sq --shard 1/2 && dpsim merge out/sq
  dpsim sweep scenarios/sweep-quick.yaml --out /shared/sq --emit slurm --shards 4 > sq.sbatch && sbatch sq.sbatch
  dpsim sweep scenarios/sweep-quick.yaml --out /out --emit kubernetes --shards 4 --image registry/dpsim:1 > sq-job.yaml`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "output folder (required; created if missing; may be shared by shards)")
	f.StringVar(&o.shard, "shard", "", "run shard I of N (I/N, I from 0) instead of every run")
	f.IntVar(&o.shards, "shards", 0, "number of shards: with an index from JOB_COMPLETION_INDEX, or for --emit (default: one per run, at most 64)")
	f.IntVar(&o.jobs, "jobs", runtime.NumCPU(), "runs simulated at once")
	f.BoolVar(&o.force, "force", false, "run even if the estimated memory of the runs at once exceeds what the machine has available")
	f.StringVar(&o.emit, "emit", "", "print a batch job instead of running: slurm (an sbatch script) or kubernetes (an Indexed Job)")
	f.StringVar(&o.binary, "binary", "", "--emit slurm: the dpsim the tasks run (default: this one's absolute path)")
	f.StringVar(&o.image, "image", defaultImage, "--emit kubernetes: the container image, holding dpsim on its PATH and the sweep's files")
	f.StringVar(&o.claim, "claim", defaultClaim, "--emit kubernetes: the PersistentVolumeClaim mounted at --out")
	f.IntVar(&o.parallel, "parallelism", 0, "--emit kubernetes: pods at once (default: every shard)")
	f.StringVar(&o.remoteArg, "remote-file", "", "--emit: the sweep file's path where the tasks run (default: its absolute path for slurm, as given for kubernetes)")
	cmd.MarkFlagRequired("out")
	completeWords(cmd, "emit", "slurm\tan sbatch script of a job array", "kubernetes\ta batch/v1 Indexed Job manifest")
	cmd.ValidArgsFunction = scenarioArgs
	completeFolders(cmd, "out")
	return cmd
}

// shardOf returns this process's shard: --shard, else the environment's
// Slurm array or Kubernetes Indexed Job index, else the whole sweep.
func (o *sweepOptions) shardOf() (shard, shards int, from string, err error) {
	if o.shard != "" {
		i, n, ok := strings.Cut(o.shard, "/")
		a, err1 := strconv.Atoi(i)
		b, err2 := strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || b < 1 || b > run.MaxShards || a < 0 || a >= b {
			return 0, 0, "", badInput(fmt.Errorf("--shard %q: accepted I/N with 0 ≤ I < N ≤ %d", o.shard, run.MaxShards))
		}
		if o.shards != 0 && o.shards != b {
			return 0, 0, "", badInput(fmt.Errorf("--shard %s and --shards %d disagree: accepted one of them, or the same N", o.shard, o.shards))
		}
		return a, b, "--shard", nil
	}
	env := func(k string) (int, bool, error) {
		v := o.getenv(k)
		if v == "" {
			return 0, false, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, true, badInput(fmt.Errorf("%s=%q: accepted an integer ≥ 0", k, v))
		}
		return x, true, nil
	}
	if id, ok, err := env("SLURM_ARRAY_TASK_ID"); ok || err != nil {
		if err != nil {
			return 0, 0, "", err
		}
		if o.shards != 0 {
			// The emitted script names the shards: the task id is the
			// shard, so resubmitting some tasks (--array=3,7) runs those.
			if id >= o.shards {
				return 0, 0, "", badInput(fmt.Errorf("array task %d of --shards %d in Slurm: accepted task ids 0 … %d", id, o.shards, o.shards-1))
			}
			return id, o.shards, "Slurm array task", nil
		}
		lo, _, err := env("SLURM_ARRAY_TASK_MIN")
		if err != nil {
			return 0, 0, "", err
		}
		n, ok, err := env("SLURM_ARRAY_TASK_COUNT")
		if err != nil || !ok {
			return 0, 0, "", badInput(fmt.Errorf("the environment sets SLURM_ARRAY_TASK_ID but not SLURM_ARRAY_TASK_COUNT: accepted a Slurm job array (sbatch --array=0-N), or --shard I/N"))
		}
		if id-lo < 0 || id-lo >= n {
			return 0, 0, "", badInput(fmt.Errorf("array task %d (from %d) of %d in Slurm: accepted an array 0-(N-1) of N tasks, or --shard I/N", id, lo, n))
		}
		return id - lo, n, "Slurm array task", nil
	}
	if id, ok, err := env("JOB_COMPLETION_INDEX"); ok || err != nil {
		if err != nil {
			return 0, 0, "", err
		}
		n := o.shards
		if n == 0 {
			x, ok, err := env("DPSIM_SHARDS")
			if err != nil || !ok {
				return 0, 0, "", badInput(fmt.Errorf("the environment sets JOB_COMPLETION_INDEX but neither --shards nor DPSIM_SHARDS: accepted the Indexed Job's completions as --shards N"))
			}
			n = x
		}
		if n < 1 || n > run.MaxShards || id >= n {
			return 0, 0, "", badInput(fmt.Errorf("completion index %d of %d shards (Kubernetes): accepted an index below the shards, 1 … %d shards", id, n, run.MaxShards))
		}
		return id, n, "Kubernetes completion index", nil
	}
	if o.shards > 1 {
		return 0, 0, "", badInput(fmt.Errorf("--shards %d without an index: accepted --shard I/N, or --shards under a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or with --emit", o.shards))
	}
	return 0, 1, "", nil
}

func (o *sweepOptions) run(ctx context.Context, stdout, stderr io.Writer, path string) error {
	if o.jobs < 1 || o.jobs > run.MaxJobs {
		return badInput(fmt.Errorf("--jobs %d: accepted 1 … %d", o.jobs, run.MaxJobs))
	}
	sw, err := scenarios.LoadSweep(path)
	if err != nil {
		return badInput(err)
	}
	// Each point's files, with run's readers and limits.
	for i, pt := range sw.Points {
		probs, _ := scenarios.ValidateFiles(pt.Scenario)
		if len(probs) > 0 {
			return badInput(fmt.Errorf("sweep point %s:\n%w", sw.PointLabel(i), probs))
		}
	}
	if o.emit != "" {
		return o.emitJob(stdout, stderr, sw, path)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"--binary", o.binary != ""}, {"--image", o.image != defaultImage}, {"--claim", o.claim != defaultClaim}, {"--parallelism", o.parallel != 0}, {"--remote-file", o.remoteArg != ""}} {
		if f.set {
			return badInput(fmt.Errorf("%s applies only with --emit; accepted: --emit slurm|kubernetes, or remove it", f.name))
		}
	}
	shard, shards, from, err := o.shardOf()
	if err != nil {
		return err
	}
	if err := run.CheckOut(o.out); err != nil {
		return err
	}
	name := sw.Points[0].Scenario.Name
	p := newProgress(stderr)
	est, mine := run.EstimateSweep(sw, shard, shards, o.jobs)
	total := len(sw.Runs())
	if shards > 1 {
		p.println(fmt.Sprintf("%s: shard %d of %d (%s): %d of the sweep's %d runs, %d at once: %s in all", name, shard, shards, from, mine, total, min(o.jobs, mine), est))
	} else if p.tty {
		fmt.Fprintf(stderr, "%s: %s, %s, %d at once: %s in all\n", name, count(len(sw.Points), "point"), count(total, "run"), min(o.jobs, mine), est)
	}
	if !o.force {
		if err := run.CheckMemory(sw.Points[0].Scenario, est); err != nil {
			return badInput(fmt.Errorf("%s: %d runs at once (--jobs %d): %w; or fewer at once, --jobs %d", path, min(o.jobs, mine), o.jobs, err, max(o.jobs/2, 1)))
		}
	}
	if mine == 0 {
		p.println(fmt.Sprintf("%s: shard %d of %d has no runs (the sweep has %d tasks): nothing to do", name, shard, shards, len(sw.Tasks())))
	}
	v, rev := buildVersion()
	opt := run.SweepOptions{Shard: shard, Shards: shards, Jobs: o.jobs, Version: v, Revision: rev,
		Warn:     func(w string) { p.println(w) },
		Progress: func(c run.CompareProgress) { p.compare(name, c) },
		Done: func(d run.SweepDone) {
			if d.Skipped {
				return // counted in one line by Warn
			}
			p.println(fmt.Sprintf("%s: %s, %s, seed %d: p50 %.0f ms, p99 %.0f ms, %.1f s (%d of %d)",
				name, d.Point, d.Run.Label, d.Run.Seed, d.P50, d.P99, d.Wall.Seconds(), d.Done, d.Total))
		},
	}
	rep, err := run.Sweep(ctx, sw, o.out, opt)
	p.done()
	if err != nil {
		if rep != nil && errors.Is(err, context.Canceled) && ctx.Err() != nil {
			whose := "this shard's"
			if shards == 1 {
				whose = "the sweep's"
			}
			return &interruptedError{err: err, kept: fmt.Sprintf("%d of %s %d runs are finished and kept in %s, nothing half-written; the same command goes on from there",
				rep.Skipped+rep.Ran, whose, rep.Mine, filepath.Join(o.out, run.SweepRunsDir))}
		}
		return err
	}
	if shards > 1 {
		fmt.Fprintf(stdout, "%s: shard %d of %d: %s (%d run now, %d already there) in %s\nwhen every shard is done: dpsim merge %s\n",
			name, shard, shards, count(rep.Mine, "run"), rep.Ran, rep.Skipped, o.out, o.out)
		return nil
	}
	t, err := run.Merge(o.out)
	if err != nil {
		return err
	}
	printSweep(stdout, t, o.out)
	return nil
}

// printSweep prints the merged table: per point and policy, the mean
// percentiles over seeds.
func printSweep(w io.Writer, t *results.SweepTable, dir string) {
	var head []string
	width := make([]int, len(t.Axes))
	for a, ax := range t.Axes {
		width[a] = len(ax.Path)
		for _, v := range ax.Values {
			width[a] = max(width[a], len(v))
		}
		head = append(head, fmt.Sprintf("%-*s", width[a], ax.Path))
	}
	attack := ""
	if t.Attacked() {
		attack = fmt.Sprintf(" %10s %9s", "att. hot", "eclipsed")
	}
	if t.Synced() {
		attack += fmt.Sprintf(" %10s %9s", "caught up", "catch-up")
	}
	fmt.Fprintf(w, "%s  %-16s %5s %9s %9s %9s%s\n", strings.Join(head, "  "), "policy", "seeds", "p50 ms", "p95 ms", "p99 ms", attack)
	ms := func(e results.Estimate) string {
		if e.Seeds == 0 {
			return "–"
		}
		return strconv.FormatFloat(e.MeanUS/1000, 'f', 1, 64)
	}
	for _, p := range t.Points {
		var vals []string
		for a, v := range p.Values {
			vals = append(vals, fmt.Sprintf("%-*s", width[a], v))
		}
		share := func(e results.Estimate) string {
			if e.Seeds == 0 {
				return "–"
			}
			return strconv.FormatFloat(100*e.MeanUS, 'f', 1, 64) + " %"
		}
		attack := ""
		if t.Attacked() {
			attack = fmt.Sprintf(" %10s %9s", share(p.Attack[0]), share(p.Attack[2]))
		}
		if t.Synced() {
			secs := "–"
			if e := p.Sync[1]; e.Seeds > 0 {
				secs = strconv.FormatFloat(e.MeanUS, 'f', 1, 64) + " s"
			}
			attack += fmt.Sprintf(" %10s %9s", share(p.Sync[0]), secs)
		}
		fmt.Fprintf(w, "%s  %-16s %5d %9s %9s %9s%s\n", strings.Join(vals, "  "), p.Policy, p.P50.Seeds, ms(p.P50), ms(p.P95), ms(p.P99), attack)
	}
	if miss := t.Missing(); len(miss) > 0 {
		fmt.Fprintf(w, "%d of %d runs missing (listed in %s)\n", len(miss), len(t.Runs), filepath.Join(dir, results.SweepMDFile))
	}
	var plots []string
	for a, ax := range t.Axes {
		if t.SweepPlotted(a) {
			plots = append(plots, filepath.Join(dir, results.SweepPlotFile(ax.Path)))
			if t.Attacked() {
				plots = append(plots, filepath.Join(dir, results.SweepAttackPlotFile(ax.Path)))
			}
			if t.Synced() {
				plots = append(plots, filepath.Join(dir, results.SweepSyncPlotFile(ax.Path)))
			}
		}
	}
	fmt.Fprintf(w, "wrote %s (tables: %s, %s; plots: %s)\n", dir, filepath.Join(dir, results.SweepCSVFile), filepath.Join(dir, results.SweepMDFile), strings.Join(plots, ", "))
}

func newMergeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "merge DIR",
		Short: "Gather a sweep's runs (every shard's) into sweep.csv, sweep.md and a plot per axis",
		Long: `merge reads DIR/sweep.json and every run under DIR/runs, and writes
DIR/sweep.csv (one row per run, and one per point and policy with the mean and
95 % confidence interval over seeds), DIR/sweep.md and DIR/sweep-PATH.png (p50,
p95 and p99 against each axis, a line per policy, with interval bands). Runs
not there yet are listed as missing. The output depends only on the runs'
files: merging the shards of a sweep gives the bytes an unsharded dpsim sweep
writes.`,
		Example: `  dpsim merge out/sweep-quick`,
		Args:    positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := run.Merge(args[0])
			if err != nil {
				return err
			}
			printSweep(cmd.OutOrStdout(), t, args[0])
			if miss := t.Missing(); len(miss) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d of %d runs are not in %s yet (shards still running, or failed): merged without them\n", len(miss), len(t.Runs), filepath.Join(args[0], run.SweepRunsDir))
			}
			return nil
		},
		ValidArgsFunction: folderArgs,
	}
}

// emitJob prints a batch job running the sweep in shards.
func (o *sweepOptions) emitJob(w, stderr io.Writer, sw *scenarios.Sweep, path string) error {
	total := len(sw.Runs())
	tasks := len(sw.Tasks())
	shards := o.shards
	if shards == 0 {
		shards = min(tasks, 64)
	}
	if shards > tasks {
		return badInput(fmt.Errorf("--shards %d: the sweep has %d tasks (a bound rides with its policy's run), so %d shards would idle; accepted: 1 … %d", shards, tasks, shards-tasks, tasks))
	}
	if shards < 1 || shards > run.MaxShards {
		return badInput(fmt.Errorf("--shards %d: accepted 1 … %d", shards, run.MaxShards))
	}
	if o.shard != "" {
		return badInput(fmt.Errorf("--shard with --emit: accepted --shards N (each task takes its index from the scheduler)"))
	}
	est, mine := run.EstimateSweep(sw, -1, shards, o.jobs)
	at := max(min(o.jobs, mine), 1) // runs at once per task: its CPUs
	// Twice the estimate and ten minutes more: the cost model is fitted
	// to one machine, and a task killed at its limit loses its runs (a
	// rerun keeps the finished ones).
	limit := 2*est.Wall + 10*time.Minute
	memMB := int64(math.Ceil(est.MemoryBytes*1.5/(1<<20))) + 256
	name := sw.Points[0].Scenario.Name
	switch o.emit {
	case "slurm":
		bin := o.binary
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("--binary: cannot find this dpsim's path (%v); accepted: --binary PATH", err)
			}
			bin = exe
		}
		file, out, err := o.absPaths(path)
		if err != nil {
			return err
		}
		// sbatch reads #SBATCH lines without a shell: the output path must
		// need no quoting there.
		if strings.ContainsAny(out, " \t\n#'\"\\$`") {
			return badInput(fmt.Errorf("--out %q: sbatch's #SBATCH --output cannot hold spaces, quotes, # or $; accepted: a path without them", out))
		}
		// Slurm opens each task's log there before the task runs.
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("--out %s: %w; accepted: a folder this machine can create, on a file system the nodes share", out, err)
		}
		fmt.Fprintf(stderr, "made %s for the tasks' logs and runs\n", out)
		h := int64(limit.Hours())
		m := int64(limit.Minutes()) % 60
		fmt.Fprintf(w, `#!/bin/bash
# dpsim sweep %s: %d runs in %d array tasks of at most %d runs, %d at once.
# Estimated per task: %s.
# Submit: sbatch THIS-FILE; then, when every task is done: %s merge %s
# (or chain it: sbatch --dependency=afterok:JOBID --wrap %s)
# Resubmit failed tasks alone with sbatch --array=3,7 THIS-FILE: the task
# id is the shard.
#SBATCH --job-name=dpsim-%s
#SBATCH --array=0-%d
#SBATCH --cpus-per-task=%d
#SBATCH --mem=%dM
#SBATCH --time=%02d:%02d:00
#SBATCH --output=%s
set -euo pipefail
exec %s sweep %s --out %s --shards %d --jobs %d
`, name, total, shards, mine, at, est, shellQuote(bin), shellQuote(out), shellQuote(shellQuote(bin)+" merge "+shellQuote(out)),
			k8sName(name), shards-1, at, memMB, h, m, filepath.Join(out, "slurm-%A_%a.log"),
			shellQuote(bin), shellQuote(file), shellQuote(out), shards, at)
	case "kubernetes":
		file := path
		if o.remoteArg != "" {
			file = o.remoteArg
		}
		parallel := o.parallel
		if parallel == 0 {
			parallel = shards
		}
		if parallel < 1 || parallel > shards {
			return badInput(fmt.Errorf("--parallelism %d: accepted 1 … %d (the shards)", parallel, shards))
		}
		if !filepath.IsAbs(o.out) {
			return badInput(fmt.Errorf("--out %s: accepted an absolute path in the container, where the claim %s is mounted", o.out, o.claim))
		}
		if o.image == "" {
			return badInput(fmt.Errorf("--image \"\": accepted the name of an image holding dpsim and the sweep's files"))
		}
		if k8sName(o.claim) != o.claim {
			return badInput(fmt.Errorf("--claim %q: accepted a PersistentVolumeClaim's name (lowercase letters, digits and -)", o.claim))
		}
		args := []string{"sweep", file, "--out", o.out, "--shards", strconv.Itoa(shards), "--jobs", strconv.Itoa(at)}
		for i, a := range args {
			args[i] = strconv.Quote(a)
		}
		fmt.Fprintf(w, `# dpsim sweep %s: %d runs in %d indexed completions of at most %d runs, %d at once.
# Estimated per pod: %s.
# Apply: kubectl apply -f THIS-FILE; then, when the Job completes, run
# dpsim merge %s in a pod with the same claim.
apiVersion: batch/v1
kind: Job
metadata:
  name: %s
  labels:
    app.kubernetes.io/name: dpsim
spec:
  completionMode: Indexed
  completions: %d
  parallelism: %d
  backoffLimit: %d
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dpsim
    spec:
      restartPolicy: Never
      containers:
        - name: dpsim
          image: %s
          command: ["dpsim"]
          args: [%s]
          resources:
            requests:
              cpu: "%d"
              memory: %dMi
            limits:
              memory: %dMi
          volumeMounts:
            - name: out
              mountPath: %s
      activeDeadlineSeconds: %d
      volumes:
        - name: out
          persistentVolumeClaim:
            claimName: %s
`, name, total, shards, mine, at, est, strconv.Quote(o.out),
			k8sName("dpsim-sweep-"+name), shards, parallel, 2*shards,
			strconv.Quote(o.image), strings.Join(args, ", "), at, memMB, memMB, strconv.Quote(o.out),
			int64(limit.Seconds()), strconv.Quote(o.claim))
	default:
		return badInput(fmt.Errorf("--emit %q: accepted slurm or kubernetes", o.emit))
	}
	return nil
}

// absPaths returns the sweep file's and --out's paths for tasks that run
// on a shared file system: absolute.
func (o *sweepOptions) absPaths(path string) (file, out string, err error) {
	file = o.remoteArg
	if file == "" {
		if file, err = filepath.Abs(path); err != nil {
			return "", "", err
		}
	}
	if out, err = filepath.Abs(o.out); err != nil {
		return "", "", err
	}
	return file, out, nil
}

// shellQuote quotes s for bash when it holds anything but a safe path.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+=:,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// k8sName makes a DNS-1123 label (lowercase letters, digits, dashes; at
// most 63): a Job's name.
func k8sName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s)
	if len(s) > 63 {
		s = s[:63]
	}
	return strings.Trim(s, "-")
}

// count writes n and a noun, plural unless n is 1: "1 run", "9 runs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
