package results

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/input"
)

// FuzzReadMeta checks that reading meta.json back for a plot title never
// panics, that its errors name the file, and that what it accepts is the
// "scenario" string encoding/json finds.
func FuzzReadMeta(f *testing.F) {
	f.Add([]byte(`{"dpsim_version": "0.1.0", "scenario": "quickstart", "seed": 1}`))
	f.Add([]byte(`{"scenario": 7}`))
	f.Add([]byte("{\n\"scenario\": \"a\",\n"))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Add([]byte(`{"scenario": "\u00e9\ud800"}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), MetaFile)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		name, err := readScenarioName(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name %s", err, path)
			}
			return
		}
		var m struct {
			Scenario string `json:"scenario"`
		}
		if json.Unmarshal(data, &m) != nil || m.Scenario != name {
			t.Fatalf("read %q; encoding/json reads %q", name, m.Scenario)
		}
	})
}

// TestPlotReadLimits checks that `dpsim plot`'s readers refuse a file
// over its limit unread (sparse files: nothing is written), naming it.
func TestPlotReadLimits(t *testing.T) {
	grow := func(t *testing.T, path string, size int64) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Skipf("no sparse file of %d bytes here: %v", size, err)
		}
	}
	check := func(t *testing.T, err error, file string, limit int64) {
		t.Helper()
		var le *input.LimitError
		if !errors.As(err, &le) || le.Limit != limit || !strings.Contains(err.Error(), file) {
			t.Fatalf("err = %v; want a LimitError of %d bytes naming %s", err, limit, file)
		}
	}
	t.Run(CDFFile, func(t *testing.T) {
		dir := t.TempDir()
		grow(t, filepath.Join(dir, CDFFile), MaxReadBytes+1)
		check(t, PlotDir(dir), CDFFile, MaxReadBytes)
	})
	t.Run(MetaFile, func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, CDFFile), []byte(cdfHeader+"\n1,1,1,1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		grow(t, filepath.Join(dir, MetaFile), MaxMetaBytes+1)
		check(t, PlotDir(dir), MetaFile, MaxMetaBytes)
	})
	t.Run(PeersFile, func(t *testing.T) {
		dir := t.TempDir()
		grow(t, filepath.Join(dir, PeersFile), MaxReadBytes+1)
		check(t, PlotPeersDir(dir), PeersFile, MaxReadBytes)
	})
	t.Run(CompareCDFFile, func(t *testing.T) {
		dir := t.TempDir()
		grow(t, filepath.Join(dir, CompareCDFFile), MaxReadBytes+1)
		check(t, PlotCompareDir(dir), CompareCDFFile, MaxReadBytes)
	})
}
