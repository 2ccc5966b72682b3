package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/dpsim/dpsim/sim"
)

// stagePrefix begins the name of the staging folder a write makes inside
// its output folder; the process id follows, so that a later run can tell
// a folder left by a killed run from one a running dpsim is filling.
const stagePrefix = ".dpsim-partial-"

// CheckOut tells, before a run spends any time, whether out can take its
// outputs: an existing folder dpsim can write in, or a new path whose
// nearest existing parent is a folder dpsim can write in (out is not
// created here). Its errors are *InputError, naming out and what is
// accepted.
func CheckOut(out string) error {
	if out == "" {
		return badInput(errors.New("output folder: empty path; accepted: a folder or a new path"))
	}
	st, err := os.Stat(out)
	switch {
	case err == nil && !st.IsDir():
		return badInput(fmt.Errorf("output folder %s is a file; accepted: a folder or a new path", out))
	case err == nil:
		return writable(out, out)
	case !errors.Is(err, fs.ErrNotExist):
		return badInput(fmt.Errorf("output folder %s: %w", out, err))
	}
	for dir := filepath.Dir(out); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		switch {
		case err == nil && !st.IsDir():
			return badInput(fmt.Errorf("output folder %s: %s is a file; accepted: a path under folders", out, dir))
		case err == nil:
			return writable(dir, out)
		case !errors.Is(err, fs.ErrNotExist):
			return badInput(fmt.Errorf("output folder %s: %w", out, err))
		}
		if filepath.Dir(dir) == dir {
			return badInput(fmt.Errorf("output folder %s: no existing parent folder", out))
		}
	}
}

// writable checks that dpsim can create entries in dir, by making and
// removing a probe folder there.
func writable(dir, out string) error {
	probe, err := os.MkdirTemp(dir, stagePrefix+"probe-")
	if err != nil {
		return badInput(fmt.Errorf("output folder %s: cannot write in %s (%v); accepted: a folder you can write in", out, dir, errors.Unwrap(err)))
	}
	if err := os.Remove(probe); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// staged writes a run's outputs into a staging folder inside out (created
// if missing), then moves them into out, so that a write failing half-way
// (a full disk, a plot error) leaves out as it was, and the moves never
// cross a file system (out may be a mount point). Each new file replaces
// its namesake, and the files of owned (what this command writes) that
// this run did not write are removed, so that a folder never holds, say,
// the arrivals.csv of an earlier run beside the blocks.csv of this one.
// Files the command does not own are kept. Staging folders left in out by
// killed runs are removed first, each reported to warn (if not nil).
func staged(out string, owned []string, warn func(string), write func(dir string) error) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	removeStale(out, warn)
	tmp, err := os.MkdirTemp(out, stagePrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // empty once every file is moved
	if err := write(tmp); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	// Refuse before moving anything what would stop a move half way: a
	// folder where a file goes.
	for _, e := range entries {
		if st, err := os.Stat(filepath.Join(out, e.Name())); err == nil && st.IsDir() && !e.IsDir() {
			return fmt.Errorf("%s: a folder where dpsim writes the file %s; accepted: remove it or choose another output folder", filepath.Join(out, e.Name()), e.Name())
		}
	}
	var wrote []string
	for _, e := range entries {
		dst := filepath.Join(out, e.Name())
		if e.IsDir() {
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), dst); err != nil {
			return err
		}
		wrote = append(wrote, e.Name())
	}
	for _, name := range owned {
		if !slices.Contains(wrote, name) {
			if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeStale removes the staging folders in out whose dpsim is no longer
// running (killed while writing), and those earlier builds left beside
// out (.NAME.partial-*), reporting each to warn. Failures to remove are
// left for the next run: they change no output.
func removeStale(out string, warn func(string)) {
	var stale []string
	if entries, err := os.ReadDir(out); err == nil {
		for _, e := range entries {
			rest, ok := strings.CutPrefix(e.Name(), stagePrefix)
			if !ok || !e.IsDir() {
				continue
			}
			pid, _, _ := strings.Cut(rest, "-")
			if n, err := strconv.Atoi(pid); err == nil && !running(n) || strings.HasPrefix(rest, "probe-") {
				stale = append(stale, filepath.Join(out, e.Name()))
			}
		}
	}
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".partial-*"))
	for _, dir := range append(stale, old...) {
		if os.RemoveAll(dir) == nil && warn != nil {
			warn(fmt.Sprintf("removed %s, the staging folder of an earlier run that was stopped while writing", dir))
		}
	}
}

// running reports whether process pid exists (signal 0 probes it).
func running(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM) // EPERM: another user's
}

// limitHint adds to an engine bound error (sim.ErrQueueFull,
// sim.ErrLivelock) what the bound is and how to stay within it: the
// bounds are fixed, so a scenario cannot raise them.
func limitHint(err error) error {
	switch {
	case errors.Is(err, sim.ErrQueueFull):
		return fmt.Errorf("%w; the engine holds at most %d pending events (sim.DefaultMaxQueue, not settable from a scenario): accepted a scenario with fewer nodes, fewer peers or a lower bandwidth-delay load, or raise the constant in sim/engine.go and rebuild", err, sim.DefaultMaxQueue)
	case errors.Is(err, sim.ErrLivelock):
		return fmt.Errorf("%w; at most %d events may share one instant (sim.DefaultMaxPerInstant): this is a livelock in the model, please report it with the scenario and seed", err, sim.DefaultMaxPerInstant)
	}
	return err
}
