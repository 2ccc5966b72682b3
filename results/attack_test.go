package results

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/sim/world"
)

// TestAttackSeries: shares, gaps and eclipse episodes from hand-made
// views of four honest nodes in two classes and one attacker.
func TestAttackSeries(t *testing.T) {
	s, err := NewAttackSeries([]string{"a", "b"}, []int{0, 0, 1, 1, -1})
	if err != nil {
		t.Fatal(err)
	}
	view := func(hot, att, height []int32, include ...bool) *world.AttackView {
		return &world.AttackView{Hot: hot, HotAttackers: att, Height: height, Include: include}
	}
	min := func(m int) clock.Time { return clock.Time(time.Duration(m) * time.Minute) }
	// t=0: node 0 eclipsed (2 of 2 attackers), node 1 fine, node 2 with no
	// hot peer, node 3 fine; heights 5 5 3 5 (the majority's 5).
	s.SampleAttack(0, view([]int32{2, 3, 0, 4, 9}, []int32{2, 1, 0, 0, 0}, []int32{5, 5, 3, 5, 9}, true, true, true, true, false))
	// t=1m: node 0 still eclipsed, node 3 eclipsed now; node 2 down.
	s.SampleAttack(min(1), view([]int32{2, 3, 0, 1, 9}, []int32{2, 0, 0, 1, 0}, []int32{5, 6, 9, 4, 9}, true, true, false, true, false))
	// t=3m: both recovered.
	s.SampleAttack(min(3), view([]int32{2, 3, 1, 1, 9}, []int32{1, 0, 0, 0, 0}, []int32{7, 7, 7, 7, 7}, true, true, true, true, false))
	rows := s.Rows()
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6 (3 samples × 2 classes)", len(rows))
	}
	want := []AttackRow{
		{0, "a", 2, 0.5, 0.5, 3.0 / 5, 0, 0, 0},
		{0, "b", 2, 0, 0.5, 0, 0, 1, 2},
		{60, "a", 2, 0.5, 0.5, 2.0 / 5, 0, 0, 0}, // the majority (median of 5 6 4) is 5
		{60, "b", 1, 1, 1, 1, 0, 1, 1},
	}
	for i, w := range want {
		if rows[i] != w {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], w)
		}
	}
	sum := s.Summary()
	a, b := sum["a"].(map[string]any), sum["b"].(map[string]any)
	// Node 0 eclipsed from 0 to 3 min (one episode of 180 s); node 3 from
	// 1 to 3 min (120 s).
	if a["eclipses"] != int64(1) || a["eclipse_mean_s"] != 180.0 || a["eclipsed_max"] != 0.5 || a["eclipsed_end"] != 0.0 || a["eclipsed_at_end"] != 0 {
		t.Errorf("class a: %v", a)
	}
	if b["eclipses"] != int64(1) || b["eclipse_max_s"] != 120.0 || b["eclipsed_max"] != 1.0 || b["gap_max"] != int32(2) {
		t.Errorf("class b: %v", b)
	}
	dir := t.TempDir()
	if err := WriteAttack(dir, "t", s); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, AttackFile))
	if !strings.HasPrefix(string(csv), attackHeader+"\n0,a,2,0.5,0.5,0.6,0,0,0\n") {
		t.Errorf("adversary.csv:\n%s", csv)
	}
	f, err := os.Open(filepath.Join(dir, AttackPNGFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
}

// TestMissedBlocks: a block the honest majority adopted and a node did
// not counts against that node; a block most honest nodes missed, or made
// before the warm-up, counts against no one; attackers are not counted.
func TestMissedBlocks(t *testing.T) {
	c := NewCollector(5)
	c.SetWarmup(clock.Time(10 * time.Second))
	c.BlockMade(0, 1, 4, clock.Time(time.Second)) // before the warm-up
	c.BlockMade(1, 20, 4, clock.Time(20*time.Second))
	c.BlockMade(2, 30, 4, clock.Time(30*time.Second))
	for _, n := range []int{0, 1, 2} { // block 1: 3 of 4 honest
		c.Adopted(1, n, clock.Time(21*time.Second))
	}
	c.Adopted(2, 0, clock.Time(31*time.Second)) // block 2: 1 of 4
	got := MissedBlocks(c, []int{0, 0, 1, 1, -1}, 2)
	if got[0] != 0 || got[1] != 0.5 {
		t.Fatalf("missed per class %v, want [0 0.5] (node 3 missed block 1)", got)
	}
}
