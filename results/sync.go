package results

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim/world"
)

// The syncing nodes' files of a run with sync classes.
const (
	SyncFile    = "sync.csv"
	SyncPNGFile = "sync.png"
)

const syncHeader = "node,class,mode,join_s,caught_up_s,catch_up_s,young_enough_s,too_old_again,critical_timeouts,height,majority_height,judgement"

// SyncTable is what happened to each syncing node of a run, with its
// class (world.SyncRecord).
type SyncTable struct {
	Records []world.SyncRecord
	Class   []string // per record
}

// syncSeconds formats d as seconds with three decimals (whole milliseconds,
// truncated).
func syncSeconds(d time.Duration) string { return FormatMS(int64(d / time.Millisecond)) }

// secondsOrEmpty formats t as seconds, empty for clock.Never.
func secondsOrEmpty(t clock.Time) string {
	if t == clock.Never {
		return ""
	}
	return syncSeconds(time.Duration(t))
}

// WriteSync writes sync.csv and sync.png into dir (each written then
// renamed): a row per syncing node, times in seconds since the run's start
// (catch_up_s since its join), empty when it never happened, and the
// catch-up CDF per class (PlotSync).
func WriteSync(dir, title string, t *SyncTable) error {
	if err := writeSyncCSV(dir, t); err != nil {
		return err
	}
	return PlotSync(filepath.Join(dir, SyncPNGFile), title, t)
}

func writeSyncCSV(dir string, t *SyncTable) error {
	return atomicfile.Write(filepath.Join(dir, SyncFile), func(f io.Writer) error {
		bw := bufio.NewWriter(f)
		fmt.Fprintln(bw, syncHeader)
		for k, r := range t.Records {
			catch := ""
			if r.CaughtUp != clock.Never {
				catch = syncSeconds(r.CaughtUp.Sub(r.Join))
			}
			fmt.Fprintf(bw, "%d,%s,%s,%s,%s,%s,%s,%d,%d,%d,%d,%s\n", r.Node, t.Class[k], r.Mode,
				secondsOrEmpty(r.Join), secondsOrEmpty(r.CaughtUp), catch, secondsOrEmpty(r.YoungEnough),
				r.TooOldAgain, r.CriticalTimeouts, r.Height, r.Majority, r.Judgement)
		}
		return bw.Flush()
	})
}

// Summary returns summary.json's "sync" object: per class, its nodes, how
// many caught up (reached the honest majority's height) and how fast
// (median and largest time from joining), how many judged themselves
// caught up (young enough) while behind at the end, the critical
// timeouts, and the mean gap to the majority at the end.
func (t *SyncTable) Summary() map[string]any {
	out := map[string]any{}
	for _, c := range t.byClass() {
		young, fooled, timeouts, again, gap := 0, 0, 0, 0, int64(0)
		for _, r := range c.recs {
			if r.YoungEnough != clock.Never {
				young++
			}
			if r.Judgement == node.YoungEnough && r.Height < r.Majority-1 {
				fooled++
			}
			timeouts += r.CriticalTimeouts
			again += r.TooOldAgain
			gap += int64(max(r.Majority-r.Height, 0))
		}
		obj := map[string]any{
			"mode": c.mode, "nodes": len(c.recs), "caught_up": len(c.catch), "young_enough": young,
			"young_enough_behind_at_end": fooled, "critical_timeouts": timeouts, "too_old_again": again,
			"gap_mean_at_end": float64(gap) / float64(len(c.recs)),
			"catch_up_p50_s":  nil, "catch_up_max_s": nil,
		}
		if k := len(c.catch); k > 0 {
			obj["catch_up_p50_s"] = c.catch[(k-1)/2].Seconds()
			obj["catch_up_max_s"] = c.catch[k-1].Seconds()
		}
		out[c.name] = obj
	}
	return out
}

// syncAxes are the axis titles of the catch-up plot.
var syncAxes = axisLabels{
	x: "catch-up time since joining (s)",
	y: "fraction of the class's syncing nodes",
}

// PlotSync draws sync.png: per syncing class, the CDF of its nodes'
// catch-up times, over all its nodes, so the curve of a class whose
// nodes did not all catch up stops below 1 (the legend says how many).
func PlotSync(path, title string, t *SyncTable) error {
	var series []Series
	for _, c := range t.byClass() {
		n := len(c.recs)
		s := Series{Name: fmt.Sprintf("%s (%s): %d of %d caught up", c.name, c.mode, len(c.catch), n), none: "none caught up"}
		for i, d := range c.catch {
			s.Points = append(s.Points, CDFPoint{US: int64(d / time.Microsecond), Fraction: float64(i+1) / float64(n)})
		}
		series = append(series, s)
	}
	return plotCDFs(path, title+": catch-up of the syncing nodes", syncAxes, series)
}

// syncClass is one syncing class's records, its mode, and the catch-up
// times of the nodes that caught up, ascending.
type syncClass struct {
	name, mode string
	recs       []world.SyncRecord
	catch      []time.Duration
}

// byClass groups the records by class, in the order of each class's
// first node.
func (t *SyncTable) byClass() []syncClass {
	var out []syncClass
	for k, r := range t.Records {
		i := slices.IndexFunc(out, func(c syncClass) bool { return c.name == t.Class[k] })
		if i < 0 {
			i = len(out)
			out = append(out, syncClass{name: t.Class[k], mode: r.Mode.String()})
		}
		out[i].recs = append(out[i].recs, r)
		if r.CaughtUp != clock.Never {
			out[i].catch = append(out[i].catch, r.CaughtUp.Sub(r.Join))
		}
	}
	for i := range out {
		slices.Sort(out[i].catch)
	}
	return out
}
