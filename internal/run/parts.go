package run

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/results"
	"github.com/dpsim/dpsim/scenarios"
)

// A Part is a named group of a run's output files, written together by one
// function. Every command that writes a run (run, compare --runs) writes
// the same parts the same way.
type Part string

// The parts of a run's output folder; docs/outputs.md describes every file.
const (
	Summary  Part = "summary"   // meta.json and summary.json
	Blocks   Part = "blocks"    // blocks.csv
	CDF      Part = "cdf"       // cdf.csv, cdf.png, cdf.svg
	Rounds   Part = "rounds"    // rounds.csv, rounds.png
	Stake    Part = "stake"     // stake.csv
	Peers    Part = "peers"     // peers.csv, peers.png, peers.svg: runs of the peer selection governor only
	Attack   Part = "adversary" // adversary.csv, adversary.png: runs with attackers only
	Sync     Part = "sync"      // sync.csv, sync.png: runs with syncing classes only
	Arrivals Part = "arrivals"  // arrivals.csv: every (block, node) time; large, so asked for
)

// DefaultParts is what a run writes unless asked otherwise: every part but
// arrivals.
var DefaultParts = []Part{Summary, Blocks, CDF, Rounds, Stake, Peers, Attack, Sync}

// AllParts lists every part in the order they are written.
var AllParts = []Part{Summary, Blocks, CDF, Rounds, Stake, Peers, Attack, Sync, Arrivals}

// Files returns the files part p writes.
func (p Part) Files() []string {
	switch p {
	case Summary:
		return []string{results.MetaFile, results.SummaryFile}
	case Blocks:
		return []string{results.BlocksFile}
	case CDF:
		return []string{results.CDFFile, results.CDFPNGFile, results.CDFSVGFile}
	case Rounds:
		return []string{results.RoundsFile, results.RoundsPNGFile}
	case Stake:
		return []string{results.StakeFile}
	case Peers:
		return []string{results.PeersFile, results.PeersPNGFile, results.PeersSVGFile}
	case Attack:
		return []string{results.AttackFile, results.AttackPNGFile}
	case Sync:
		return []string{results.SyncFile, results.SyncPNGFile}
	case Arrivals:
		return []string{results.ArrivalsFile}
	}
	return nil
}

// runFiles are every file a run's folder may hold: writing a run removes
// those of an earlier run that this one did not write.
func runFiles() []string {
	var out []string
	for _, p := range AllParts {
		out = append(out, p.Files()...)
	}
	return out
}

// checkParts returns parts in AllParts order (DefaultParts for nil), or
// an error naming an unknown or repeated part.
func checkParts(parts []Part) ([]Part, error) {
	if parts == nil {
		return DefaultParts, nil
	}
	for i, p := range parts {
		if !slices.Contains(AllParts, p) {
			return nil, fmt.Errorf("output part %q: accepted %s", p, partNames())
		}
		if slices.Contains(parts[:i], p) {
			return nil, fmt.Errorf("output part %q listed twice", p)
		}
	}
	var out []Part
	for _, p := range AllParts {
		if slices.Contains(parts, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func partNames() string {
	var names []string
	for _, p := range AllParts {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// Result is a finished run: its observations and what the commands
// print and write of it.
type Result struct {
	Scenario  *scenarios.Scenario
	Seed      uint64
	Label     string // the variant's label (compare's policy), or ""
	Version   string
	Revision  string
	Command   []string
	Collector *results.Collector
	Peers     *results.PeerSeries   // sampled peer counts; nil unless the peer selection governor ran
	Attack    *results.AttackSeries // what attackers did to the honest classes; nil without attackers
	SyncNodes *results.SyncTable    // what happened to the syncing nodes; nil without sync classes
	Parts     []Part                // what Write writes, in AllParts order
	// Hop and ForgeDelay are the relay's cost per hop and the forge delay
	// of the built world, for the god's-view bound.
	Hop        results.HopCost
	ForgeDelay time.Duration
	Latency    netmodel.Latency
	Stake      []float64 // relative stake per node
	Warnings   []string

	stake []results.StakeRow // StakeTable's, once computed
	extra map[string]any     // more meta.json keys (a sweep's run id and point)
	warn  func(string)       // Options.Warn
}

// Name is the scenario's name with the variant's label, if any: the title
// of the run's plots and meta.json's "scenario".
func (r *Result) Name() string {
	if r.Label == "" {
		return r.Scenario.Name
	}
	return r.Scenario.Name + " " + r.Label
}

// Meta returns the run's meta.json.
func (r *Result) Meta() results.Meta {
	m := results.Meta{
		Seed: r.Seed, Scenario: r.Name(), ScenarioSHA256: r.Scenario.Hash, DpsimVersion: r.Version,
		Nodes: r.Scenario.Nodes.Count, DurationS: r.Scenario.Duration.Seconds(),
		DpsimRevision: r.Revision, Command: r.Command,
	}
	if r.Label != "" || len(r.extra) > 0 {
		m.Extra = map[string]any{}
		for k, v := range r.extra {
			m.Extra[k] = v
		}
	}
	if r.Label != "" {
		m.Extra["policy"] = r.Label
	}
	return m
}

// StakeTable returns stake.csv's rows: per share of the total stake, the
// percentiles over blocks of the time that share took to adopt a block.
func (r *Result) StakeTable() ([]results.StakeRow, error) {
	if r.stake == nil {
		rows, err := r.Collector.StakeTable(r.Stake, results.StakePercents)
		if err != nil {
			return nil, err
		}
		r.stake = rows
	}
	return r.stake, nil
}

// Write puts the run's parts into the folder out, created if missing. It
// writes them into a staging folder inside out and then moves them in, so
// that a failure leaves out's files as they were, and it removes the files
// of an earlier run that this one did not write (staged).
func (r *Result) Write(out string) error {
	return staged(out, runFiles(), r.warn, r.WriteParts)
}

// WriteParts writes the run's parts straight into dir, created if missing.
func (r *Result) WriteParts(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range r.Parts {
		if err := r.writePart(dir, p); err != nil {
			return err
		}
	}
	return nil
}

func (r *Result) writePart(dir string, p Part) error {
	c := r.Collector
	switch p {
	case Summary:
		if err := results.WriteMeta(dir, c, r.Meta()); err != nil {
			return err
		}
		return results.WriteSummary(dir, c)
	case Blocks:
		return results.WriteBlocks(dir, c)
	case CDF:
		return results.WriteCDF(dir, r.Name(), c)
	case Rounds:
		// The convergence rounds after the warm-up: the calibration
		// period, or an hour.
		ws := results.Windows(c, clock.Time(r.Scenario.Warmup), r.Scenario.CompareWindow())
		if err := atomicfile.Write(filepath.Join(dir, results.RoundsFile), func(w io.Writer) error {
			return results.WriteRoundsCSV(w, ws)
		}); err != nil {
			return fmt.Errorf("results: %w", err)
		}
		return results.PlotRounds(filepath.Join(dir, results.RoundsPNGFile), r.Name(), ws)
	case Stake:
		rows, err := r.StakeTable()
		if err != nil {
			return err
		}
		if err := atomicfile.Write(filepath.Join(dir, results.StakeFile), func(w io.Writer) error {
			return results.WriteStakeCSV(w, rows)
		}); err != nil {
			return fmt.Errorf("results: %w", err)
		}
		return nil
	case Peers:
		if r.Peers == nil {
			return nil // no governor: nothing was sampled
		}
		return results.WritePeers(dir, r.Name(), r.Peers)
	case Attack:
		if r.Attack == nil {
			return nil // no attackers
		}
		return results.WriteAttack(dir, r.Name(), r.Attack)
	case Sync:
		if r.SyncNodes == nil {
			return nil // no syncing classes
		}
		return results.WriteSync(dir, r.Name(), r.SyncNodes)
	case Arrivals:
		return results.WriteArrivals(dir, c)
	}
	return fmt.Errorf("run: unknown part %q", p)
}
