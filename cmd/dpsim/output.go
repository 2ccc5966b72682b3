package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/dpsim/dpsim/results"
)

// runOutputs are the files dpsim run may write into its output folder.
var runOutputs = []string{
	results.MetaFile, results.SummaryFile, results.BlocksFile, results.CDFFile,
	results.CDFPNGFile, results.CDFSVGFile, results.ArrivalsFile,
	results.PeersFile, results.PeersPNGFile, results.PeersSVGFile,
	results.RoundsFile, results.RoundsPNGFile, results.StakeFile,
}

// compareOutputs are the files dpsim compare may write into its folder.
var compareOutputs = []string{
	results.CompareFile, results.CompareSeedsFile, results.CompareRoundsFile,
	results.CompareCDFFile, results.CompareMDFile, results.CompareCDFPNGFile,
	results.CompareRoundsPNGFile, results.CompareOverheadFile, compareRunsDir,
}

// compareRunsDir holds each run's own results with compare --runs.
const compareRunsDir = "runs"

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
