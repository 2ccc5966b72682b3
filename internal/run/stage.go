package run

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/dpsim/dpsim/sim"
)

// staged writes a run's outputs into a fresh folder beside out, then puts
// them in place, so that a write failing half-way (a full disk, a plot
// error) leaves out as it was: no mix of this run's files and an earlier
// run's. When out does not exist the folder is renamed into place at once.
// Otherwise each new file replaces its namesake, and the files of owned
// (what this command writes) that this run did not write are removed, so
// that a folder never holds, say, the arrivals.csv of an earlier run beside
// the blocks.csv of this one. Files the command does not own are kept.
func staged(out string, owned []string, write func(dir string) error) error {
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		return err
	}
	switch st, err := os.Stat(out); {
	case os.IsNotExist(err):
		return os.Rename(tmp, out)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a folder; accepted: a folder or a new path", out)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	// Refuse before moving anything what would stop a move half way: a
	// folder where a file goes.
	for _, e := range entries {
		if st, err := os.Stat(filepath.Join(out, e.Name())); err == nil && st.IsDir() && !e.IsDir() {
			return fmt.Errorf("%s: a folder where dpsim writes the file %s; accepted: remove it or choose another --out", filepath.Join(out, e.Name()), e.Name())
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
