package results

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
)

// block is a hand-built block: its slot start in seconds and the adoption
// times (ms) of nodes 0, 1, … (-1: never adopted).
type block struct {
	startS int64
	ms     []int64
}

// handRun builds a Collector of nodes nodes from blocks.
func handRun(nodes int, blocks ...block) *Collector {
	c := NewCollector(nodes)
	for b, bl := range blocks {
		start := secs(bl.startS)
		c.BlockMade(b, bl.startS, 0, start)
		for n, ms := range bl.ms {
			if ms >= 0 {
				c.Adopted(b, n, start.Add(time.Duration(ms)*time.Millisecond))
			}
		}
	}
	return c
}

// windowsRun: a warm-up block at 0 s; from 10 s in 60 s windows, window 0
// holds two blocks, window 1 one, window 2 one nobody adopted, window 3
// none, window 4 one.
func windowsRun() *Collector {
	return handRun(4,
		block{0, []int64{9000, 9000, 9000, 9000}}, // warm-up: excluded
		block{10, []int64{100, 200, 300, -1}},
		block{20, []int64{50, 400}},
		block{70, []int64{1000, 2000}},
		block{130, nil},
		block{250, []int64{5}},
	)
}

func TestWindows(t *testing.T) {
	ms := func(v int64) int64 { return v * 1000 }
	want := []Window{
		// 5 samples 50,100,200,300,400 ms: p50 rank ⌈2.5⌉ = 3, p90 rank ⌈4.5⌉ = 5.
		{Index: 0, Start: secs(10), End: secs(70), Blocks: 2, Stats: Stats{Reached: 5, P50: ms(200), P90: ms(400), P95: ms(400), P99: ms(400), Max: ms(400)}},
		// 2 samples: p50 rank 1, p90 rank ⌈1.8⌉ = 2.
		{Index: 1, Start: secs(70), End: secs(130), Blocks: 1, Stats: Stats{Reached: 2, P50: ms(1000), P90: ms(2000), P95: ms(2000), P99: ms(2000), Max: ms(2000)}},
		{Index: 2, Start: secs(130), End: secs(190), Blocks: 1},
		{Index: 3, Start: secs(190), End: secs(250), Blocks: 0},
		{Index: 4, Start: secs(250), End: secs(310), Blocks: 1, Stats: Stats{Reached: 1, P50: ms(5), P90: ms(5), P95: ms(5), P99: ms(5), Max: ms(5)}},
	}
	tests := []struct {
		name  string
		c     *Collector
		from  clock.Time
		width time.Duration
		want  []Window
	}{
		{"warm-up, gap and unadopted block", windowsRun(), secs(10), time.Minute, want},
		{"everything before from", windowsRun(), secs(251), time.Minute, nil},
		{"no blocks", NewCollector(3), 0, time.Minute, nil},
		{"one wide window", handRun(2, block{0, []int64{1, 3}}, block{5, []int64{2}}), 0, time.Hour,
			[]Window{{Index: 0, Start: 0, End: secs(3600), Blocks: 2, Stats: Stats{Reached: 3, P50: ms(2), P90: ms(3), P95: ms(3), P99: ms(3), Max: ms(3)}}}},
		{"block on a window edge goes right", handRun(1, block{60, []int64{7}}), 0, time.Minute,
			[]Window{{Index: 0, Start: 0, End: secs(60)}, {Index: 1, Start: secs(60), End: secs(120), Blocks: 1, Stats: Stats{Reached: 1, P50: ms(7), P90: ms(7), P95: ms(7), P99: ms(7), Max: ms(7)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Windows(tt.c, tt.from, tt.width); !slices.Equal(got, tt.want) {
				t.Errorf("Windows =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestWindowsPanicsOnWidth(t *testing.T) {
	for _, w := range []time.Duration{0, -time.Second} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "want > 0") {
					t.Errorf("width %v: recover() = %v, want a panic naming the width", w, r)
				}
			}()
			Windows(windowsRun(), 0, w)
		}()
	}
}

// TestWindowsMatchSorting: every window's Stats is Summarise of its
// adoptions sorted by brute force, and the windows partition the blocks at
// or after from.
func TestWindowsMatchSorting(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		nodes := rapid.IntRange(1, 30).Draw(t, "nodes")
		blocks := rapid.IntRange(0, 40).Draw(t, "blocks")
		c := randomCollector(seed, nodes, blocks) // block b starts at 20·b s
		from := secs(rapid.Int64Range(0, 900).Draw(t, "fromS"))
		width := time.Duration(rapid.Int64Range(1, 300).Draw(t, "widthS")) * time.Second
		ws := Windows(c, from, width)
		total := 0
		for k, w := range ws {
			if w.Index != k || w.Start != from.Add(time.Duration(k)*width) || w.End != w.Start.Add(width) {
				t.Fatalf("window %d has index %d and span [%v, %v)", k, w.Index, w.Start, w.End)
			}
			var s []int64
			n := 0
			for b := range c.Blocks() {
				st := c.Block(b).SlotStart
				if st < w.Start || st >= w.End {
					continue
				}
				n++
				for node := range nodes {
					if v, ok := c.AdoptionUS(b, node); ok {
						s = append(s, v)
					}
				}
			}
			slices.Sort(s)
			if w.Blocks != n || w.Stats != Summarise(s) {
				t.Fatalf("window %d: %d blocks %+v; sorting gives %d blocks %+v", k, w.Blocks, w.Stats, n, Summarise(s))
			}
			total += n
		}
		want := 0
		for b := range c.Blocks() {
			if c.Block(b).SlotStart >= from {
				want++
			}
		}
		if total != want {
			t.Fatalf("windows hold %d blocks; %d start at or after from", total, want)
		}
		if len(ws) > 0 && ws[len(ws)-1].Blocks == 0 {
			t.Fatalf("the last window is empty")
		}
	})
}

func TestWriteRoundsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRoundsCSV(&buf, Windows(windowsRun(), secs(10), time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := roundsHeader + "\n" +
		"1,10,70,2,5,200.000,400.000,400.000,400.000,400.000\n" +
		"2,70,130,1,2,1000.000,2000.000,2000.000,2000.000,2000.000\n" +
		"3,130,190,1,0,,,,,\n" +
		"4,190,250,0,0,,,,,\n" +
		"5,250,310,1,1,5.000,5.000,5.000,5.000,5.000\n"
	if buf.String() != want {
		t.Errorf("rounds.csv =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestPlotRounds(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	c := NewCollector(50)
	for b := range 200 {
		start := secs(int64(b) * 60)
		c.BlockMade(b, int64(b)*60, 0, start)
		for n := range 50 {
			c.Adopted(b, n, start+usT(int64(r.IntN(2_000_000/(1+b/20)))))
		}
	}
	ws := Windows(c, secs(600), 30*time.Minute)
	var got [2][]byte
	for i := range got {
		path := filepath.Join(dir, "r"+string(rune('0'+i))+".png")
		if err := PlotRounds(path, "rounds", ws); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got[i] = b
	}
	if !bytes.HasPrefix(got[0], []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("rounds plot is not a PNG")
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Error("two rounds plots of the same windows differ")
	}
	svg := filepath.Join(dir, "r.svg")
	if err := PlotRounds(svg, "rounds svg", ws); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("p99")) || !bytes.Contains(b, []byte("time since run start (h)")) {
		t.Error("SVG lacks the legend or the axis label")
	}
	if err := PlotRounds(filepath.Join(dir, "empty.png"), "none", nil); err != nil {
		t.Errorf("no windows: %v", err)
	}
	if err := PlotRounds(filepath.Join(dir, "x.pdf"), "", ws); err == nil || !strings.Contains(err.Error(), `unknown extension ".pdf"`) {
		t.Errorf("pdf: err = %v, want an unknown-extension error", err)
	}
}
