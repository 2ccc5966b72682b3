package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSweepShardsFromEnvironment: the shipped quick sweep, whole, and in
// two shards that take their index from a Slurm array's and a Kubernetes
// Indexed Job's environment, merged: the same files, byte for byte.
func TestSweepShardsFromEnvironment(t *testing.T) {
	whole := filepath.Join(t.TempDir(), "whole")
	out, errs, code := dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", whole, "--jobs", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"p2p.targets.active", "cardano", "wrote " + whole, "sweep-p2p.targets.active.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(errs, "cardano, seed"); n != 9 {
		t.Errorf("%d run lines on stderr, want 9 (one per run when not a terminal):\n%s", n, errs)
	}

	sharded := filepath.Join(t.TempDir(), "sharded")
	t.Setenv("SLURM_ARRAY_TASK_ID", "11")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "10")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	out, errs, code = dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", sharded, "--jobs", "1")
	if code != 0 || !strings.Contains(errs, "shard 1 of 2 (Slurm array task): 4 of the sweep's 9 runs") || !strings.Contains(out, "dpsim merge "+sharded) {
		t.Fatalf("Slurm task: exit %d\n%s\n%s", code, out, errs)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	out, errs, code = dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", sharded, "--shards", "2", "--jobs", "2")
	if code != 0 || !strings.Contains(errs, "shard 0 of 2 (Kubernetes completion index): 5 of the sweep's 9 runs") {
		t.Fatalf("Kubernetes pod: exit %d\n%s\n%s", code, out, errs)
	}
	if _, errs, code = dpsim(t, "merge", sharded); code != 0 || errs != "" {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	a, b := readTree(t, whole), readTree(t, sharded)
	if len(a) != len(b) || len(a) < 9*11 {
		t.Errorf("%d files whole, %d sharded (want the same, at least 9 runs × 11)", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("%s differs", k)
		}
	}
	// A second run of the same shard finds everything there.
	_, errs, code = dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", sharded, "--shards", "2")
	if code != 0 || !strings.Contains(errs, "5 of this shard's 5 runs are already in") {
		t.Errorf("rerun: exit %d: %s", code, errs)
	}
}

// TestSweepEmit: the Slurm script is an array of the shards with the
// command, time, memory and output on the shared path; the Kubernetes
// manifest parses as a batch/v1 Indexed Job with the fields the pods need.
func TestSweepEmit(t *testing.T) {
	out := filepath.Join(t.TempDir(), "shared-out")
	script, errs, code := dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", out, "--emit", "slurm", "--shards", "3", "--jobs", "2", "--binary", "/opt/dpsim/bin/dpsim")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if st, err := os.Stat(out); err != nil || !st.IsDir() {
		t.Errorf("--emit slurm did not make %s, where sbatch opens the tasks' logs: %v", out, err)
	}
	abs, _ := filepath.Abs("../../scenarios/sweep-quick.yaml")
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-2\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --mem=", "#SBATCH --time=00:", "set -euo pipefail\n",
		"exec /opt/dpsim/bin/dpsim sweep " + abs + " --out " + out + " --shards 3 --jobs 2\n", "/opt/dpsim/bin/dpsim merge " + out} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}

	manifest, errs, code := dpsim(t, "sweep", "../../scenarios/sweep-quick.yaml", "--out", "/data/sq", "--emit", "kubernetes", "--shards", "3", "--parallelism", "2", "--jobs", "1", "--image", "ghcr.io/x/dpsim:1", "--claim", "sweeps")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var job struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct{ Name string }
		Spec       struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Parallelism    int
			Template       struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Image        string
						Command      []string
						Args         []string
						VolumeMounts []struct {
							Name      string
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
						Resources struct {
							Requests map[string]string
						}
					}
					Volumes []struct {
						Name                  string
						PersistentVolumeClaim struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
					}
				}
			}
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(manifest))
	dec.KnownFields(false)
	if err := dec.Decode(&job); err != nil {
		t.Fatalf("manifest does not parse: %v\n%s", err, manifest)
	}
	s := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || job.Metadata.Name != "dpsim-sweep-sweep-quick" ||
		s.CompletionMode != "Indexed" || s.Completions != 3 || s.Parallelism != 2 || s.Template.Spec.RestartPolicy != "Never" {
		t.Fatalf("job %+v", job)
	}
	c := s.Template.Spec.Containers
	if len(c) != 1 || c[0].Image != "ghcr.io/x/dpsim:1" || !slices.Equal(c[0].Command, []string{"dpsim"}) ||
		!slices.Equal(c[0].Args, []string{"sweep", "../../scenarios/sweep-quick.yaml", "--out", "/data/sq", "--shards", "3", "--jobs", "1"}) ||
		len(c[0].VolumeMounts) != 1 || c[0].VolumeMounts[0].MountPath != "/data/sq" || c[0].Resources.Requests["memory"] == "" {
		t.Fatalf("container %+v", c)
	}
	if v := s.Template.Spec.Volumes; len(v) != 1 || v[0].Name != c[0].VolumeMounts[0].Name || v[0].PersistentVolumeClaim.ClaimName != "sweeps" {
		t.Fatalf("volumes %+v", v)
	}
}

// TestSweepBadShards: every bad shard setting exits 2 and says what is
// accepted, before anything runs.
func TestSweepBadShards(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--shard", "2/2"}, "accepted I/N with 0 ≤ I < N"},
		{nil, []string{"--shard", "a/b"}, "accepted I/N"},
		{nil, []string{"--shard", "0/2", "--shards", "3"}, "disagree"},
		{nil, []string{"--shards", "3"}, "without an index"},
		{[]string{"SLURM_ARRAY_TASK_ID", "1"}, nil, "not SLURM_ARRAY_TASK_COUNT"},
		{[]string{"JOB_COMPLETION_INDEX", "1"}, nil, "neither --shards nor DPSIM_SHARDS"},
		{[]string{"JOB_COMPLETION_INDEX", "4", "DPSIM_SHARDS", "3"}, nil, "completion index 4 of 3 shards"},
		{nil, []string{"--emit", "pbs"}, `--emit "pbs": accepted slurm or kubernetes`},
		{nil, []string{"--emit", "kubernetes", "--shards", "2", "--parallelism", "5"}, "--parallelism 5"},
		{nil, []string{"--emit", "slurm", "--shards", "20"}, "the sweep has 9 tasks"},
		{nil, []string{"--image", "x"}, "--image applies only with --emit"},
		{[]string{"SLURM_ARRAY_TASK_ID", "5"}, []string{"--shards", "3"}, "array task 5 of --shards 3"},
	} {
		for i := 0; i+1 < len(tc.env); i += 2 {
			t.Setenv(tc.env[i], tc.env[i+1])
		}
		_, errs, code := dpsim(t, append([]string{"sweep", "../../scenarios/sweep-quick.yaml", "--out", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v %v: exit %d, %q; want 2 and %q", tc.env, tc.args, code, errs, tc.want)
		}
		for i := 0; i+1 < len(tc.env); i += 2 {
			os.Unsetenv(tc.env[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); err == nil {
		t.Error("a refused sweep wrote runs")
	}
	if _, errs, code := dpsim(t, "merge", t.TempDir()); code != 2 || !strings.Contains(errs, "no sweep.json") {
		t.Errorf("merge of a folder without a sweep: exit %d, %q", code, errs)
	}
}

// TestSweepInterrupt: Ctrl-C (SIGINT) on a real dpsim sweep process stops
// it with exit 1 and says what is kept; every run folder there is
// complete, nothing half-written is left, and the same command goes on
// from there to the files of an uninterrupted sweep.
func TestSweepInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dpsim process")
	}
	sweep := filepath.Join("..", "..", "scenarios", "sweep-quick.yaml")
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(os.Args[0], "sweep", sweep, "--out", out, "--jobs", "1")
	cmd.Env = append(os.Environ(), "DPSIM_AS_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "(2 of 9)") {
			cmd.Process.Signal(os.Interrupt)
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(log.String(), "runs are finished and kept in") {
		t.Fatalf("interrupted sweep: %v\n%s", err, log.String())
	}
	entries, err := os.ReadDir(filepath.Join(out, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".partial-") {
			t.Errorf("%s left behind", e.Name())
		} else if _, err := os.Stat(filepath.Join(out, "runs", e.Name(), "peers.png")); err != nil {
			t.Errorf("run %s incomplete: %v", e.Name(), err)
		}
	}
	kept := len(entries)
	if kept < 2 || kept >= 9 {
		t.Fatalf("%d runs kept, want 2 … 8", kept)
	}
	_, errs, code := dpsim(t, "sweep", sweep, "--out", out, "--jobs", "2")
	if code != 0 || !strings.Contains(errs, fmt.Sprintf("%d of the sweep's 9 runs are already in", kept)) {
		t.Fatalf("resumed: exit %d\n%s", code, errs)
	}
	whole := filepath.Join(t.TempDir(), "whole")
	if _, errs, code := dpsim(t, "sweep", sweep, "--out", whole); code != 0 {
		t.Fatal(errs)
	}
	a, b := readTree(t, whole), readTree(t, out)
	if len(a) != len(b) {
		t.Errorf("%d files uninterrupted, %d interrupted and resumed", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("%s differs after the interrupt and resume", k)
		}
	}
}
