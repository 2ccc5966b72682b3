package results

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/internal/sharedtest"
)

func TestReadRoundsCSV(t *testing.T) {
	ok := roundsHeader + "\n" +
		"1,10,70,2,5,200.000,400.000,400.000,400.000,400.000\n" +
		"2,70,130,1,0,,,,,\n" +
		"3,130,190,0,0,,,,,\n" +
		"4,190,250,1,1,5,5,5,5,5.5\n"
	rows, err := ReadRoundsCSV(strings.NewReader(ok), "rounds.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []RoundRow{
		{Round: 1, StartS: 10, EndS: 70, Blocks: 2, Stats: Stats{Reached: 5, P50: 200_000, P90: 400_000, P95: 400_000, P99: 400_000, Max: 400_000}},
		{Round: 2, StartS: 70, EndS: 130, Blocks: 1},
		{Round: 3, StartS: 130, EndS: 190},
		{Round: 4, StartS: 190, EndS: 250, Blocks: 1, Stats: Stats{Reached: 1, P50: 5000, P90: 5000, P95: 5000, P99: 5000, Max: 5500}},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("rows =\n%+v\nwant\n%+v", rows, want)
	}
	if rows, err := ReadRoundsCSV(strings.NewReader(roundsHeader+"\r\n"), "r.csv"); err != nil || len(rows) != 0 {
		t.Errorf("header only: %v, %v; want no rows", rows, err)
	}

	const row1 = "1,0,60,1,1,1,1,1,1,1\n"
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", `r.csv: empty file; want the header "round,start_s`},
		{"bad header", "round,start_s\n", `r.csv:1: header "round,start_s"; want "round,start_s,end_s,blocks,adoptions,p50_ms,p90_ms,p95_ms,p99_ms,max_ms"`},
		{"short line", roundsHeader + "\n1,0,60,1,1,1,1,1,1\n", `r.csv:2: "1,0,60,1,1,1,1,1,1" has 9 fields; want 10`},
		{"round 0", roundsHeader + "\n0,0,60,1,1,1,1,1,1,1\n", `r.csv:2: field round: bad value "0"; want an integer ≥ 1`},
		{"round repeated", roundsHeader + "\n" + row1 + "1,60,120,1,1,1,1,1,1,1\n", `r.csv:3: field round: bad value "1"; want a round above the previous 1`},
		{"negative start", roundsHeader + "\n1,-1,60,1,1,1,1,1,1,1\n", `r.csv:2: field start_s: bad value "-1"; want a finite number of seconds ≥ 0`},
		{"NaN end", roundsHeader + "\n1,0,NaN,1,1,1,1,1,1,1\n", `field end_s: bad value "NaN"`},
		{"end before start", roundsHeader + "\n1,60,60,1,1,1,1,1,1,1\n", `r.csv:2: field end_s: bad value "60"; want a time above start_s 60`},
		{"overlap", roundsHeader + "\n" + row1 + "2,30,120,1,1,1,1,1,1,1\n", `r.csv:3: field start_s: bad value "30"; want a time at or after the previous window's end 60`},
		{"negative blocks", roundsHeader + "\n1,0,60,-1,0,,,,,\n", `field blocks: bad value "-1"; want an integer ≥ 0`},
		{"adoptions not a number", roundsHeader + "\n1,0,60,1,x,,,,,\n", `field adoptions: bad value "x"; want an integer ≥ 0`},
		{"adoptions without blocks", roundsHeader + "\n1,0,60,0,3,1,1,1,1,1\n", `field adoptions: bad value "3"; want 0 in a window without blocks`},
		{"percentile without adoptions", roundsHeader + "\n1,0,60,1,0,,,,1,\n", `field p99_ms: bad value "1"; want an empty field: the window has no adoptions`},
		{"missing percentile", roundsHeader + "\n1,0,60,1,2,1,,1,1,1\n", `field p90_ms: bad value ""; want a number of milliseconds ≥ 0 with at most 3 decimals`},
		{"four decimals", roundsHeader + "\n1,0,60,1,2,1.0001,1,1,1,1\n", `field p50_ms: bad value "1.0001"`},
		{"descending percentiles", roundsHeader + "\n1,0,60,1,2,1,2,3,2.5,4\n", `r.csv:2: field p99_ms: bad value "2.5"; want at least p95_ms 3.000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRoundsCSV(strings.NewReader(tt.in), "r.csv")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestRoundsCSVRoundTrip: what WriteRoundsCSV writes for any windows,
// ReadRoundsCSV reads back as the same rows, bit for bit (the window
// bounds are floats of nanosecond times).
func TestRoundsCSVRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := randomCollector(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(1, 20).Draw(t, "nodes"), rapid.IntRange(0, 40).Draw(t, "blocks"))
		from := clock.Time(rapid.Int64Range(0, 900e9).Draw(t, "fromNS"))
		width := time.Duration(rapid.Int64Range(1e9, 300e9).Draw(t, "widthNS")) // ≤ 800 windows
		ws := Windows(c, from, width)
		var buf bytes.Buffer
		if err := WriteRoundsCSV(&buf, ws); err != nil {
			t.Fatal(err)
		}
		rows, err := ReadRoundsCSV(bytes.NewReader(buf.Bytes()), "rounds.csv")
		if err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		if want := roundRowsOf(ws); !slices.Equal(rows, want) {
			t.Fatalf("read back\n%+v\nwant\n%+v", rows, want)
		}
	})
}

// FuzzReadRoundsCSV checks that reading rounds.csv never panics, that its
// errors name the file, that what it accepts writes back to rows it reads
// again unchanged, and that the plot's axes of accepted rows get a
// bounded number of ticks (no hang on extreme values).
func FuzzReadRoundsCSV(f *testing.F) {
	f.Add(roundsHeader + "\n1,10,70,2,5,200.000,400.000,400.000,400.000,400.000\n2,70,130,1,0,,,,,\n4,190,250,1,1,5,5,5,5,5\n")
	f.Add(roundsHeader + "\r\n1,0x1p4,1e3,1,1,0,0,0,0,0\r\n")
	f.Add(roundsHeader + "\n1,0,1e300,1,1,0,1,2,3,99999999999.999\n")
	f.Add(roundsHeader + "\n1,1e15,1000000000000000.1,1,1,1,1,1,1,1\n")
	f.Add(roundsHeader + "\n1,0,60,1,1,1,1,1,1,1\n1,60,120,1,1,1,1,1,1,1\n")
	f.Add(roundsHeader + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadRoundsCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := writeRoundRows(&buf, rows); err != nil {
			t.Fatal(err)
		}
		again, err := ReadRoundsCSV(bytes.NewReader(buf.Bytes()), "again.csv")
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, rows)
		}
		fig, err := roundsFigure("fuzz", rows)
		if err != nil {
			t.Fatal(err)
		}
		for _, ax := range []plot.Axis{fig.p.X, fig.p.Y} {
			if n := len(ax.Tick.Marker.Ticks(ax.Min, ax.Max)); n < 2 || n > 10_000 {
				t.Fatalf("axis [%v, %v]: %d ticks", ax.Min, ax.Max, n)
			}
		}
	})
}

// TestPlotRoundsDirReproducesRun writes rounds.csv and rounds.png as the
// run layer does, deletes the image and redraws it from rounds.csv and
// meta.json: the bytes must be equal, for windows that start and end at
// odd nanoseconds, windows without adoptions, and a single window longer
// than the run.
func TestPlotRoundsDirReproducesRun(t *testing.T) {
	tests := []struct {
		name  string
		c     *Collector
		from  clock.Time
		width time.Duration
	}{
		{"odd nanoseconds", withRandomHeaders(randomCollector(3, 40, 60), 3), clock.Time(123_456_789_123), 333_333_333_333},
		{"gaps", windowsRun(), secs(10), time.Minute},
		{"one window longer than the run", randomCollector(5, 30, 90), 0, time.Hour},
		{"no windows", NewCollector(3), 0, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, MetaFile), []byte(`{"scenario": "windows"}`), 0o644)
			ws := Windows(tt.c, tt.from, tt.width)
			if err := atomicfile.Write(filepath.Join(dir, RoundsFile), func(w io.Writer) error { return WriteRoundsCSV(w, ws) }); err != nil {
				t.Fatal(err)
			}
			png := filepath.Join(dir, RoundsPNGFile)
			if err := PlotRounds(png, "windows", ws); err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(png)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(png)
			if err := PlotRoundsDir(dir); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(png); !bytes.Equal(got, orig) {
				t.Errorf("%s redrawn by PlotRoundsDir differs from PlotRounds'", RoundsPNGFile)
			}
			sharedtest.AssertOnly(t, dir, MetaFile, RoundsFile, RoundsPNGFile)
		})
	}
}

func TestPlotRoundsDirErrors(t *testing.T) {
	tests := []struct {
		name    string
		csv     string // "" = no rounds.csv
		meta    string // "" = no meta.json
		wantErr string
	}{
		{"missing rounds.csv", "", "", "rounds.csv: no such file"},
		{"bad line", roundsHeader + "\n1,0,60,1,1,1,1,1,1,1\n2,60,120,1,1\n", "", `rounds.csv:3: "2,60,120,1,1" has 5 fields`},
		{"bad value", roundsHeader + "\n1,0,60,1,1,1,1,1,x,1\n", "", `rounds.csv:2: field p99_ms: bad value "x"`},
		{"malformed meta", roundsHeader + "\n", "{\n\n  \"scenario\": oops\n}\n", "meta.json: line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.csv != "" {
				os.WriteFile(filepath.Join(dir, RoundsFile), []byte(tt.csv), 0o644)
			}
			if tt.meta != "" {
				os.WriteFile(filepath.Join(dir, MetaFile), []byte(tt.meta), 0o644)
			}
			err := PlotRoundsDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, RoundsPNGFile)); err == nil {
				t.Error("rounds.png written despite the error")
			}
		})
	}
}

// TestPlotRoundsDirReadLimit: a rounds.csv over MaxReadBytes is refused
// unread (a sparse file: nothing is written), naming it.
func TestPlotRoundsDirReadLimit(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, RoundsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxReadBytes + 1); err != nil {
		f.Close()
		t.Skipf("no sparse file of %d bytes here: %v", MaxReadBytes+1, err)
	}
	f.Close()
	err = PlotRoundsDir(dir)
	var le *input.LimitError
	if !errors.As(err, &le) || le.Limit != MaxReadBytes || !strings.Contains(err.Error(), RoundsFile) {
		t.Fatalf("err = %v; want a LimitError of %d bytes naming %s", err, MaxReadBytes, RoundsFile)
	}
}
