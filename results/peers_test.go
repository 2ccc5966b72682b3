package results

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"

	"github.com/dpsim/dpsim/internal/sharedtest"
)

// tinyPeers is a hand-checked series (testdata/golden/peers.csv): nodes 0,
// 1, 3 are relays and 2, 4 block producers; at 60 s every node is in; at
// 120 s node 1 has crashed; at 180 s both producers are out, so "bp" has
// no rows then.
func tinyPeers(t testing.TB) *PeerSeries {
	t.Helper()
	s, err := NewPeerSeries([]string{"relay", "bp"}, []int{0, 0, 1, 0, 1}, []string{"known", "established", "active"})
	if err != nil {
		t.Fatal(err)
	}
	s.Sample(secs(60), [][]int64{
		{100, 90, 20, 110, 21}, // known
		{30, 25, 5, 31, 6},     // established
		{20, 20, 3, 20, 4},     // active
	}, nil)
	s.Sample(secs(120), [][]int64{
		{101, 0, 20, 111, 22},
		{30, 0, 5, 32, 5},
		{20, 0, 4, 20, 4},
	}, []bool{true, false, true, true, true})
	s.Sample(secs(180).Add(500*time.Millisecond), [][]int64{
		{102, 50, 0, 112, 0},
		{29, 10, 0, 33, 0},
		{19, 5, 0, 21, 0},
	}, []bool{true, true, false, true, false})
	return s
}

func TestPeersGolden(t *testing.T) {
	dir := t.TempDir()
	if err := WritePeers(dir, "", tinyPeers(t)); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, PeersFile))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", PeersFile)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", PeersFile, golden, got, want)
	}
	sharedtest.AssertOnly(t, dir, PeersFile, PeersPNGFile, PeersSVGFile)
}

func TestPeerSeriesRows(t *testing.T) {
	s := tinyPeers(t)
	rows := s.Rows()
	if s.Samples() != 3 || len(rows) != 3*2*3-3 {
		t.Fatalf("%d samples, %d rows; want 3 samples, 15 rows", s.Samples(), len(rows))
	}
	tests := []struct {
		name string
		i    int
		want PeerRow
	}{
		{"all included", 0, PeerRow{60, "relay", "known", 90, 100, 110}},
		{"bp after relay, mean not whole", 5, PeerRow{60, "bp", "active", 3, 3.5, 4}},
		{"crashed node 1 left out", 6, PeerRow{120, "relay", "known", 101, 106, 111}},
		{"fractional time", 12, PeerRow{180.5, "relay", "known", 50, 88, 112}},
		{"bp has no rows when all out", 14, PeerRow{180.5, "relay", "active", 5, 15, 21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rows[tt.i] != tt.want {
				t.Errorf("row %d = %+v, want %+v", tt.i, rows[tt.i], tt.want)
			}
		})
	}
}

// TestPeerSeriesInclude checks that excluding a node equals sampling a
// series without it, and that include all equals nil.
func TestPeerSeriesInclude(t *testing.T) {
	vals := [][]int64{{5, -3, 7, 9}, {1, 2, 3, 4}}
	tests := []struct {
		name    string
		include []bool
		classOf []int // the same nodes without the excluded ones
		vals    [][]int64
	}{
		{"nil", nil, []int{0, 1, 0, 1}, vals},
		{"all true", []bool{true, true, true, true}, []int{0, 1, 0, 1}, vals},
		{"one out", []bool{true, true, false, true}, []int{0, 1, 1}, [][]int64{{5, -3, 9}, {1, 2, 4}}},
		{"class emptied", []bool{false, true, false, true}, []int{1, 1}, [][]int64{{-3, 9}, {2, 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := NewPeerSeries([]string{"a", "b"}, []int{0, 1, 0, 1}, []string{"x", "y"})
			a.Sample(secs(1), vals, tt.include)
			b, _ := NewPeerSeries([]string{"a", "b"}, tt.classOf, []string{"x", "y"})
			b.Sample(secs(1), tt.vals, nil)
			if got, want := a.Rows(), b.Rows(); !slices.Equal(got, want) {
				t.Errorf("rows = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNewPeerSeriesErrors(t *testing.T) {
	tests := []struct {
		name             string
		classes, metrics []string
		classOf          []int
		wantErr          string
	}{
		{"no classes", nil, []string{"m"}, nil, "no class names"},
		{"no metrics", []string{"c"}, []string{}, nil, "no metric names"},
		{"empty name", []string{"c", ""}, []string{"m"}, nil, `class name 1 "": want a non-empty name`},
		{"duplicate class", []string{"c", "d", "c"}, []string{"m"}, nil, `class name "c" repeated`},
		{"duplicate metric", []string{"c"}, []string{"m", "m"}, nil, `metric name "m" repeated`},
		{"comma", []string{"c"}, []string{"a,b"}, nil, `metric name 0 "a,b": want a name without commas`},
		{"quote", []string{`r"`}, []string{"m"}, nil, "without commas, double quotes"},
		{"newline", []string{"c"}, []string{"m", "x\ny"}, nil, "line breaks"},
		{"carriage return", []string{"c\r"}, []string{"m"}, nil, "line breaks"},
		{"class index high", []string{"c", "d"}, []string{"m"}, []int{0, 2}, "classOf[1] = 2; want a class index in 0..1"},
		{"class index negative", []string{"c"}, []string{"m"}, []int{-1}, "classOf[0] = -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewPeerSeries(tt.classes, tt.classOf, tt.metrics)
			if s != nil || err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("NewPeerSeries = %v, %v; want an error containing %q", s, err, tt.wantErr)
			}
		})
	}
}

func TestPeerSeriesSamplePanics(t *testing.T) {
	tests := []struct {
		name    string
		t       clock.Time
		vals    [][]int64
		include []bool
	}{
		{"same time", secs(10), [][]int64{{1, 2}}, nil},
		{"earlier time", secs(9), [][]int64{{1, 2}}, nil},
		{"too few metrics", secs(11), nil, nil},
		{"too many metrics", secs(11), [][]int64{{1, 2}, {1, 2}}, nil},
		{"short row", secs(11), [][]int64{{1}}, nil},
		{"short include", secs(11), [][]int64{{1, 2}}, []bool{true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := NewPeerSeries([]string{"c"}, []int{0, 0}, []string{"m"})
			s.Sample(secs(10), [][]int64{{1, 2}}, nil)
			defer func() {
				if recover() == nil {
					t.Error("Sample did not panic")
				}
			}()
			s.Sample(tt.t, tt.vals, tt.include)
		})
	}
	t.Run("negative time", func(t *testing.T) {
		s, _ := NewPeerSeries([]string{"c"}, []int{0}, []string{"m"})
		defer func() {
			if recover() == nil {
				t.Error("Sample did not panic")
			}
		}()
		s.Sample(-1, [][]int64{{1}}, nil)
	})
}

func TestPeersCSVRoundTrip(t *testing.T) {
	rows := tinyPeers(t).Rows()
	var buf bytes.Buffer
	if err := WritePeersCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPeersCSV(&buf, "peers.csv")
	if err != nil || !slices.Equal(got, rows) {
		t.Fatalf("ReadPeersCSV = %+v, %v; want %+v", got, err, rows)
	}
}

// TestPeerMeanClamped: a sum too big for float64 to hold exactly must not
// give a mean outside [min, max], which ReadPeersCSV would reject.
func TestPeerMeanClamped(t *testing.T) {
	big := int64(1<<53 + 1)
	s, _ := NewPeerSeries([]string{"c"}, []int{0, 0, 0}, []string{"m"})
	s.Sample(0, [][]int64{{big, big, big}}, nil)
	rows := s.Rows()
	var buf bytes.Buffer
	if err := WritePeersCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPeersCSV(&buf, "big.csv"); err != nil {
		t.Fatalf("written file rejected: %v", err)
	}
}

func TestWritePeersCSVRejects(t *testing.T) {
	tests := []struct {
		name    string
		row     PeerRow
		wantErr string
	}{
		{"comma in class", PeerRow{1, "a,b", "m", 1, 1, 1}, `peers row 1: class "a,b"`},
		{"empty metric", PeerRow{1, "c", "", 1, 1, 1}, "metric"},
		{"NaN mean", PeerRow{1, "c", "m", 1, math.NaN(), 1}, "mean NaN; want a number in [min, max] = [1, 1]"},
		{"mean above max", PeerRow{1, "c", "m", 1, 3, 2}, "mean 3"},
		{"min above max", PeerRow{1, "c", "m", 3, 3, 2}, "min 3 above max 2"},
		{"negative time", PeerRow{-1, "c", "m", 1, 1, 1}, "time_s -1; want a finite number of seconds >= 0"},
		{"infinite time", PeerRow{math.Inf(1), "c", "m", 1, 1, 1}, "time_s +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WritePeersCSV(&buf, []PeerRow{{0, "c", "m", 1, 1, 1}, tt.row})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %q before failing", buf.String())
			}
		})
	}
}

func TestReadPeersCSV(t *testing.T) {
	const h = peersHeader + "\n"
	tests := []struct {
		name    string
		in      string
		want    []PeerRow
		wantErr string
	}{
		{"ok", h + "60,relay,known,1,1.5,2\n60,bp,known,3,3,3\n120,relay,known,0,0,0\n",
			[]PeerRow{{60, "relay", "known", 1, 1.5, 2}, {60, "bp", "known", 3, 3, 3}, {120, "relay", "known", 0, 0, 0}}, ""},
		{"crlf", strings.ReplaceAll(h+"0.5,r,k,-1,0,1\n", "\n", "\r\n"), []PeerRow{{0.5, "r", "k", -1, 0, 1}}, ""},
		{"header only", h, nil, ""},
		{"empty file", "", nil, `p.csv: empty file; want the header "time_s,class,metric,min,mean,max"`},
		{"bad header", "time,class,metric,min,mean,max\n", nil, `p.csv:1: header "time,class,metric,min,mean,max"; want "time_s,class,metric,min,mean,max"`},
		{"five fields", h + "1,r,k,1,1\n", nil, `p.csv:2: "1,r,k,1,1" has 5 fields; want 6 (time_s,class,metric,min,mean,max)`},
		{"eight fields", h + "1,r,k,1,1,1,1,1\n", nil, "p.csv:2: \"1,r,k,1,1,1,1,1\" has 8 fields; want 6"},
		{"blank line", h + "1,r,k,1,1,1\n\n", nil, `p.csv:3: "" has 1 fields`},
		{"bad time", h + "1,r,k,1,1,1\nabc,r,k,1,1,1\n", nil, `p.csv:3: field time_s: bad value "abc"; want a finite number of seconds >= 0`},
		{"negative time", h + "-1,r,k,1,1,1\n", nil, `field time_s: bad value "-1"`},
		{"negative zero time", h + "-0,r,k,1,1,1\n", nil, `field time_s: bad value "-0"`},
		{"infinite time", h + "Inf,r,k,1,1,1\n", nil, `field time_s: bad value "Inf"`},
		{"time decreasing", h + "2,r,k,1,1,1\n1,r,k,1,1,1\n", nil, `p.csv:3: field time_s: bad value "1"; want a time >= the previous line's 2`},
		{"empty class", h + "1,,k,1,1,1\n", nil, `field class: bad value ""; want a non-empty name`},
		{"quoted metric", h + "1,r,\"k\",1,1,1\n", nil, `field metric: bad value "\"k\""`},
		{"bad min", h + "1,r,k,1.0,1,1\n", nil, `p.csv:2: field min: bad value "1.0"; want a decimal integer`},
		{"bad max", h + "1,r,k,1,1,x\n", nil, `field max: bad value "x"; want a decimal integer`},
		{"max below min", h + "1,r,k,2,2,1\n", nil, `field max: bad value "1"; want an integer >= min 2`},
		{"bad mean", h + "1,r,k,1,one,1\n", nil, `field mean: bad value "one"; want a number in [min, max] = [1, 1]`},
		{"mean out of range", h + "1,r,k,1,2.5,2\n", nil, `field mean: bad value "2.5"`},
		{"mean NaN", h + "1,r,k,1,NaN,2\n", nil, `field mean: bad value "NaN"`},
		{"repeated row", h + "1,r,k,1,1,1\n1,b,k,1,1,1\n1,r,k,2,2,2\n", nil, `p.csv:4: field metric: bad value "k"; want one row per (time_s, class, metric)`},
		{"long garbage clipped", h + strings.Repeat("x", 100) + ",r,k,1,1,1\n", nil, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadPeersCSV(strings.NewReader(tt.in), "p.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "p.csv") {
					t.Fatalf("err = %v, want p.csv…%s…", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ReadPeersCSV = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// FuzzReadPeersCSV checks that ReadPeersCSV never panics, that its errors
// name the file, and that whatever it accepts survives a write/read round
// trip unchanged.
func FuzzReadPeersCSV(f *testing.F) {
	f.Add(peersHeader + "\n60,relay,known,1,1.5,2\n60,bp,known,3,3,3\n120,relay,known,0,0,0\n")
	f.Add(peersHeader + "\r\n1e3,r,k,-5,-2.25,0\r\n")
	f.Add(peersHeader + "\n1,r,k,1,1,1\n1,r,k,1,1,1\n")
	f.Add(peersHeader + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadPeersCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WritePeersCSV(&buf, rows); err != nil {
			t.Fatalf("accepted rows not writable: %v", err)
		}
		again, err := ReadPeersCSV(&buf, "again.csv")
		if err != nil || !slices.Equal(again, rows) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, rows)
		}
	})
}

// renderPeers draws rows to PNG and SVG in dir and returns the bytes.
func renderPeers(t *testing.T, dir string, rows []PeerRow) (png, svg []byte) {
	t.Helper()
	var out [2][]byte
	for i, name := range []string{"p.png", "p.svg"} {
		path := filepath.Join(dir, name)
		if err := PlotPeers(path, "peers figure", rows); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out[0], out[1]
}

// longPeers has 5 metrics (two panel rows) over 6 h with a class that
// appears late.
func longPeers(t *testing.T) []PeerRow {
	metrics := []string{"known", "established", "active", "hot_outbound", "churn_promotions"}
	s, err := NewPeerSeries([]string{"relay", "bp"}, []int{0, 0, 0, 1}, metrics)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([][]int64, len(metrics))
	for k := range 36 {
		for m := range vals {
			vals[m] = []int64{int64(10*m + k%7), int64(5*m + k%3), int64(m + k), int64(m)}
		}
		s.Sample(secs(int64(600*k)), vals, []bool{true, true, true, k >= 3})
	}
	return s.Rows()
}

func TestPeersPlotDeterministic(t *testing.T) {
	rows := longPeers(t)
	png1, svg1 := renderPeers(t, t.TempDir(), rows)
	prev := runtime.GOMAXPROCS(1)
	png2, svg2 := renderPeers(t, t.TempDir(), rows)
	runtime.GOMAXPROCS(prev)
	if !bytes.HasPrefix(png1, []byte("\x89PNG")) || !bytes.Contains(svg1, []byte("<svg")) {
		t.Fatal("outputs are not PNG and SVG")
	}
	if !bytes.Equal(png1, png2) || !bytes.Equal(svg1, svg2) {
		t.Error("bytes differ between renders")
	}
	for _, want := range []string{"peers figure", "relay", "bp", "min, max", "known", "churn_promotions", "time (h)"} {
		if !bytes.Contains(svg1, []byte(want)) {
			t.Errorf("SVG lacks the text %q", want)
		}
	}
}

func TestPeersPlotUnits(t *testing.T) {
	tests := []struct {
		name     string
		lastS    float64
		wantUnit string
	}{
		{"short run in minutes", 7199, "time (min)"},
		{"2 h in hours", 7200, "time (h)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := []PeerRow{{0, "c", "m", 1, 1, 1}, {tt.lastS, "c", "m", 1, 2, 3}}
			_, svg := renderPeers(t, t.TempDir(), rows)
			if !bytes.Contains(svg, []byte(tt.wantUnit)) {
				t.Errorf("SVG lacks %q", tt.wantUnit)
			}
		})
	}
}

func TestPlotPeersErrorsAndEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := PlotPeers(filepath.Join(dir, "p.pdf"), "t", nil); err == nil || !strings.Contains(err.Error(), `unknown extension ".pdf"; want .png or .svg`) {
		t.Errorf("pdf: err = %v", err)
	}
	if err := PlotPeers(filepath.Join(dir, "p.png"), "t", []PeerRow{{1, "c", "m", 2, 9, 3}}); err == nil || !strings.Contains(err.Error(), "peers row 0: mean 9") {
		t.Errorf("bad row: err = %v", err)
	}
	sharedtest.AssertOnly(t, dir)
	_, svg := renderPeers(t, dir, nil)
	if !bytes.Contains(svg, []byte("no samples")) {
		t.Error("empty figure lacks the text \"no samples\"")
	}
}

// TestPlotPeersDirReproducesRun deletes WritePeers' images and redraws
// them from peers.csv and meta.json: the bytes must be equal.
func TestPlotPeersDirReproducesRun(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"scenario": "two-classes"}`), 0o644)
	if err := WritePeers(dir, "two-classes", tinyPeers(t)); err != nil {
		t.Fatal(err)
	}
	var orig [][]byte
	for _, name := range []string{PeersPNGFile, PeersSVGFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		orig = append(orig, b)
		os.Remove(filepath.Join(dir, name))
	}
	if err := PlotPeersDir(dir); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{PeersPNGFile, PeersSVGFile} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(b, orig[i]) {
			t.Errorf("%s redrawn by PlotPeersDir differs from WritePeers'", name)
		}
	}
	if !bytes.Contains(orig[1], []byte("two-classes")) {
		t.Error("title lacks the scenario name from meta.json")
	}
	sharedtest.AssertOnly(t, dir, MetaFile, PeersFile, PeersPNGFile, PeersSVGFile)
}

func TestPlotPeersDirErrors(t *testing.T) {
	tests := []struct {
		name    string
		csv     string // "" = no peers.csv
		meta    string // "" = no meta.json
		wantErr string
	}{
		{"missing peers.csv", "", "", "peers.csv: no such file"},
		{"bad line", peersHeader + "\n1,r,k,1,1,1\n2,r,k,1,1\n", "", `peers.csv:3: "2,r,k,1,1" has 5 fields`},
		{"malformed meta", peersHeader + "\n", "{\n\n  \"scenario\": oops\n}\n", "meta.json: line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.csv != "" {
				os.WriteFile(filepath.Join(dir, PeersFile), []byte(tt.csv), 0o644)
			}
			if tt.meta != "" {
				os.WriteFile(filepath.Join(dir, MetaFile), []byte(tt.meta), 0o644)
			}
			err := PlotPeersDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, PeersPNGFile)); err == nil {
				t.Error("peers.png written despite the error")
			}
		})
	}
}

// benchPeers is a 3,000-node series of 12 metrics in two classes, with
// values for one sample.
func benchPeers(tb testing.TB) (*PeerSeries, [][]int64, []bool) {
	const nodes, metrics = 3000, 12
	classOf := make([]int, nodes)
	include := make([]bool, nodes)
	for i := range classOf {
		classOf[i] = i % 10 / 9 // one node in ten is a block producer
		include[i] = i%97 != 0
	}
	names := make([]string, metrics)
	vals := make([][]int64, metrics)
	for m := range names {
		names[m] = fmt.Sprint("metric", m)
		vals[m] = make([]int64, nodes)
		for i := range vals[m] {
			vals[m][i] = int64((i*7 + m*13) % 150)
		}
	}
	s, err := NewPeerSeries([]string{"relay", "bp"}, classOf, names)
	if err != nil {
		tb.Fatal(err)
	}
	return s, vals, include
}

func TestPeerSeriesSampleDoesNotAllocate(t *testing.T) {
	s, vals, include := benchPeers(t)
	s.Grow(200)
	k := int64(0)
	allocs := testing.AllocsPerRun(100, func() {
		k++
		s.Sample(secs(k), vals, include)
	})
	if allocs != 0 {
		t.Errorf("Sample after Grow: %v allocs per call, want 0", allocs)
	}
}

func BenchmarkPeerSeriesSample(b *testing.B) {
	s, vals, include := benchPeers(b)
	b.ReportAllocs()
	k := int64(0)
	for b.Loop() {
		k++
		s.Sample(secs(k), vals, include)
	}
}

func ExamplePeerSeries() {
	// Three nodes: two relays and a block producer; relay 1 crashed
	// before the second sample.
	s, err := NewPeerSeries([]string{"relay", "bp"}, []int{0, 0, 1}, []string{"active"})
	if err != nil {
		panic(err)
	}
	s.Sample(clock.FromSeconds(60), [][]int64{{20, 18, 4}}, nil)
	s.Sample(clock.FromSeconds(120), [][]int64{{20, 0, 5}}, []bool{true, false, true})
	if err := WritePeersCSV(os.Stdout, s.Rows()); err != nil {
		panic(err)
	}
	// Output:
	// time_s,class,metric,min,mean,max
	// 60,relay,active,18,19,20
	// 60,bp,active,4,4,4
	// 120,relay,active,20,20,20
	// 120,bp,active,5,5,5
}
