package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim/world"
)

// TestSyncTable: sync.csv has a row per syncing node with empty cells for
// what never happened, and the summary counts per class who caught up,
// how fast (median and slowest since joining), and who judged itself
// caught up while more than a block behind at the end.
func TestSyncTable(t *testing.T) {
	at := func(s float64) clock.Time { return clock.Time(s * float64(time.Second)) }
	tab := &SyncTable{Class: []string{"a", "a", "a", "b"}, Records: []world.SyncRecord{
		{Node: 7, Mode: world.SyncPraos, Join: at(60), CaughtUp: at(70), YoungEnough: at(70), Height: 30, Majority: 30, Judgement: node.YoungEnough},
		{Node: 8, Mode: world.SyncPraos, Join: at(60), CaughtUp: at(64.5), YoungEnough: at(65), Height: 30, Majority: 30, Judgement: node.YoungEnough},
		{Node: 9, Mode: world.SyncPraos, Join: at(60), CaughtUp: clock.Never, YoungEnough: at(61), Height: 0, Majority: 30, Judgement: node.YoungEnough},
		{Node: 10, Mode: world.SyncBootstrap, Join: 0, CaughtUp: clock.Never, YoungEnough: clock.Never, CriticalTimeouts: 2, TooOldAgain: 1, Height: 3, Majority: 30, Judgement: node.TooOld},
	}}
	dir := t.TempDir()
	if err := WriteSync(dir, "t", tab); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SyncFile))
	if err != nil {
		t.Fatal(err)
	}
	want := syncHeader + "\n" +
		"7,a,praos,60.000,70.000,10.000,70.000,0,0,30,30,young-enough\n" +
		"8,a,praos,60.000,64.500,4.500,65.000,0,0,30,30,young-enough\n" +
		"9,a,praos,60.000,,,61.000,0,0,0,30,young-enough\n" +
		"10,b,bootstrap,0.000,,,,1,2,3,30,too-old\n"
	if string(b) != want {
		t.Fatalf("sync.csv:\n%s\nwant:\n%s", b, want)
	}
	if st, err := os.Stat(filepath.Join(dir, SyncPNGFile)); err != nil || st.Size() < 1000 {
		t.Fatalf("sync.png: %v", err)
	}
	s := tab.Summary()
	a := s["a"].(map[string]any)
	if a["caught_up"] != 2 || a["nodes"] != 3 || a["catch_up_p50_s"] != 4.5 || a["catch_up_max_s"] != 10.0 ||
		a["young_enough_behind_at_end"] != 1 || a["gap_mean_at_end"] != 10.0 || a["mode"] != "praos" {
		t.Fatalf("class a: %v", a)
	}
	bb := s["b"].(map[string]any)
	if bb["caught_up"] != 0 || bb["catch_up_p50_s"] != nil || bb["critical_timeouts"] != 2 || bb["too_old_again"] != 1 || bb["young_enough_behind_at_end"] != 0 {
		t.Fatalf("class b: %v", bb)
	}
}

// TestCollectorExclude: an excluded node's adoptions and headers are not
// recorded, and unreached counts only the nodes that are not excluded.
func TestCollectorExclude(t *testing.T) {
	c := NewCollector(3)
	c.Exclude([]bool{false, false, true})
	c.BlockMade(0, 1, 0, 0)
	c.Adopted(0, 1, clock.Time(time.Second))
	c.Adopted(0, 2, clock.Time(time.Second))
	c.HeaderArrived(0, 2, clock.Time(time.Second))
	if c.Adoptions() != 1 || c.HeaderArrivals() != 0 || c.Excluded() != 1 {
		t.Fatalf("adoptions %d, headers %d, excluded %d", c.Adoptions(), c.HeaderArrivals(), c.Excluded())
	}
	var sb strings.Builder
	if err := writeSummary(&sb, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), `"unreached": 1`) {
		t.Fatalf("summary: %s", sb.String())
	}
}
