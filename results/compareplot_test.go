package results

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReadCompareCDF(t *testing.T) {
	h := compareCDFHeader + "\n"
	tests := []struct {
		name, in string
		want     []CompareCDF
		wantErr  string
	}{
		{"two policies", h + "a,false,0.5,0.5\na,false,1,1\ng,true,0.25,1\r\n", []CompareCDF{
			{Policy: "a", Points: []CDFPoint{{500, 0.5}, {1000, 1}}},
			{Policy: "g", Bound: true, Points: []CDFPoint{{250, 1}}},
		}, ""},
		{"header only", h, nil, ""},
		{"empty", "", nil, "x.csv: empty file"},
		{"bad header", "policy,adoption_ms,fraction\n", nil, `x.csv:1: header "policy,adoption_ms,fraction"`},
		{"fields", h + "a,false,1\n", nil, `x.csv:2: "a,false,1" has 3 fields; want 4`},
		{"extra field", h + "a,false,1,1,1\n", nil, "has 5 fields"},
		{"bound", h + "a,yes,1,1\n", nil, `x.csv:2: field bound: bad value "yes"; want true or false`},
		{"policy", h + "a|b,false,1,1\n", nil, `x.csv:2: field policy: bad value "a|b"`},
		{"empty policy", h + ",false,1,1\n", nil, `field policy: bad value ""`},
		{"ms", h + "a,false,1.2345,1\n", nil, `x.csv:2: field adoption_ms: bad value "1.2345"; want a number of milliseconds`},
		{"negative ms", h + "a,false,-1,1\n", nil, `field adoption_ms: bad value "-1"`},
		{"fraction zero", h + "a,false,1,0\n", nil, `field fraction: bad value "0"; want a number in (0, 1]`},
		{"fraction NaN", h + "a,false,1,NaN\n", nil, `field fraction: bad value "NaN"`},
		{"fraction above 1", h + "a,false,1,1.5\n", nil, `field fraction: bad value "1.5"`},
		{"time not increasing", h + "a,false,2,0.5\na,false,2,1\n", nil, `x.csv:3: field adoption_ms: bad value "2"; want a time above the policy's previous 2.000`},
		{"fraction not increasing", h + "a,false,1,0.5\na,false,2,0.5\n", nil, `x.csv:3: field fraction: bad value "0.5"; want a fraction above the policy's previous 0.5`},
		{"bound flips", h + "a,false,1,0.5\na,true,2,1\n", nil, `x.csv:3: field bound: bad value "true"; want the policy's earlier value false`},
		{"policy reappears", h + "a,false,1,1\nb,false,1,1\na,false,2,1\n", nil, `x.csv:4: field policy: bad value "a"; want each policy's rows together`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCompareCDF(strings.NewReader(tt.in), "x.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ReadCompareCDF = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadCompareRounds(t *testing.T) {
	h := compareRoundsHeader + "\n"
	tests := []struct {
		name, in string
		want     []CompareRound
		wantErr  string
	}{
		{"two policies", h + "a,false,1,60,120,3,0.5,1,2.25\na,false,3,180,240,1,1,1,1\ng,true,2,120,180,2,0,0,0\n", []CompareRound{
			{Policy: "a", Round: 1, StartS: 60, EndS: 120, Seeds: 3, P50MS: 0.5, P95MS: 1, P99MS: 2.25},
			{Policy: "a", Round: 3, StartS: 180, EndS: 240, Seeds: 1, P50MS: 1, P95MS: 1, P99MS: 1},
			{Policy: "g", Bound: true, Round: 2, StartS: 120, EndS: 180, Seeds: 2},
		}, ""},
		{"header only", h, nil, ""},
		{"empty", "", nil, "r.csv: empty file"},
		{"bad header", "policy,round\n", nil, `r.csv:1: header "policy,round"`},
		{"fields", h + "a,false,1,60,120,3,1,1\n", nil, "has 8 fields; want 9"},
		{"round zero", h + "a,false,0,60,120,3,1,1,1\n", nil, `r.csv:2: field round: bad value "0"; want an integer ≥ 1`},
		{"round text", h + "a,false,x,60,120,3,1,1,1\n", nil, `field round: bad value "x"`},
		{"round repeats", h + "a,false,2,60,120,3,1,1,1\na,false,2,60,120,3,1,1,1\n", nil, `r.csv:3: field round: bad value "2"; want a round above the policy's previous 2`},
		{"start negative", h + "a,false,1,-1,120,3,1,1,1\n", nil, `field start_s: bad value "-1"`},
		{"end infinite", h + "a,false,1,0,Inf,3,1,1,1\n", nil, `field end_s: bad value "Inf"`},
		{"end before start", h + "a,false,1,60,60,3,1,1,1\n", nil, `field end_s: bad value "60"; want a time above start_s 60`},
		{"seeds zero", h + "a,false,1,0,60,0,1,1,1\n", nil, `field seeds: bad value "0"; want an integer ≥ 1`},
		{"p95 NaN", h + "a,false,1,0,60,1,1,NaN,1\n", nil, `field p95_ms: bad value "NaN"; want a finite number of milliseconds ≥ 0`},
		{"p99 negative", h + "a,false,1,0,60,1,1,1,-2\n", nil, `field p99_ms: bad value "-2"`},
		{"bound flips", h + "a,false,1,0,60,1,1,1,1\na,true,2,60,120,1,1,1,1\n", nil, `r.csv:3: field bound: bad value "true"`},
		{"policy reappears", h + "a,false,1,0,60,1,1,1,1\nb,false,1,0,60,1,1,1,1\na,false,2,60,120,1,1,1,1\n", nil, `r.csv:4: field policy: bad value "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCompareRounds(strings.NewReader(tt.in), "r.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ReadCompareRounds = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestCompareCSVRoundTrip: what WriteCompare writes reads back as the
// rows it was written from.
func TestCompareCSVRoundTrip(t *testing.T) {
	cmp, err := Compare(compareFixture(7, 15), fixtureOpt)
	if err != nil {
		t.Fatal(err)
	}
	files := textBytes(t, cmp)
	cdfs, err := ReadCompareCDF(bytes.NewReader(files[CompareCDFFile]), CompareCDFFile)
	if err != nil || !reflect.DeepEqual(cdfs, cmp.cdfCurves()) {
		t.Errorf("compare-cdf.csv round trip: %v", err)
	}
	rounds, err := ReadCompareRounds(bytes.NewReader(files[CompareRoundsFile]), CompareRoundsFile)
	if err != nil || !reflect.DeepEqual(rounds, cmp.roundRows()) {
		t.Errorf("compare-rounds.csv round trip: %v", err)
	}
}

// FuzzReadCompareCDF checks that ReadCompareCDF never panics, names the
// file in its errors, and that what it accepts survives a write/read round
// trip unchanged.
func FuzzReadCompareCDF(f *testing.F) {
	f.Add(compareCDFHeader + "\na,false,0.5,0.5\na,false,1,1\ng,true,0.25,1\n")
	f.Add(compareCDFHeader + "\r\na,false,0,1e-3\r\n")
	f.Add(compareCDFHeader + "\na,false,1,1\nb,false,1,1\na,false,2,1\n")
	f.Add(compareCDFHeader + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		cdfs, err := ReadCompareCDF(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := writeCompareCDF(&buf, cdfs); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCompareCDF(&buf, "again.csv")
		if err != nil || !reflect.DeepEqual(again, cdfs) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, cdfs)
		}
	})
}

// FuzzReadCompareRounds is FuzzReadCompareCDF for compare-rounds.csv.
func FuzzReadCompareRounds(f *testing.F) {
	f.Add(compareRoundsHeader + "\na,false,1,60,120,3,0.5,1,2.25\na,false,3,180,240,1,1,1,1\ng,true,2,120,180,2,0,0,0\n")
	f.Add(compareRoundsHeader + "\r\na,false,1,0x1p4,1e3,1,-0,0,0\r\n")
	f.Add(compareRoundsHeader + "\na,false,2,1,2,1,1,1,1\na,false,2,1,2,1,1,1,1\n")
	f.Add(compareRoundsHeader + "\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadCompareRounds(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := writeCompareRounds(&buf, rows); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCompareRounds(&buf, "again.csv")
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, rows)
		}
	})
}

// TestPlotCompareDirReproducesWrite: removing the plots and redrawing them
// from the CSVs gives the same bytes.
func TestPlotCompareDirReproducesWrite(t *testing.T) {
	cmp, err := Compare(compareFixture(8, 12), fixtureOpt)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteCompare(dir, cmp); err != nil {
		t.Fatal(err)
	}
	pngs := []string{CompareCDFPNGFile, CompareRoundsPNGFile}
	var want [2][]byte
	for i, name := range pngs {
		if want[i], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := PlotCompareDir(dir); err != nil {
		t.Fatal(err)
	}
	for i, name := range pngs {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[i]) {
			t.Errorf("%s redrawn from the CSVs differs from WriteCompare's", name)
		}
	}
}

func TestPlotCompareDirErrors(t *testing.T) {
	write := func(t *testing.T, dir, name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	okCDF := compareCDFHeader + "\na,false,1,1\ng,true,1,1\n"
	okRounds := compareRoundsHeader + "\na,false,1,0,60,1,1,1,1\ng,true,1,0,60,1,1,1,1\n"
	tests := []struct {
		name         string
		cdf, rounds  string // "" leaves the file out
		wantInErrors []string
	}{
		{"no files", "", "", []string{CompareCDFFile, "no such file"}},
		{"no rounds", okCDF, "", []string{CompareRoundsFile, "no such file"}},
		{"bad cdf", compareCDFHeader + "\na,false,x,1\n", okRounds, []string{CompareCDFFile + ":2: field adoption_ms: bad value \"x\""}},
		{"bad rounds", okCDF, compareRoundsHeader + "\na,false,1,0,60,1,1,1\n", []string{CompareRoundsFile + ":2:", "has 8 fields"}},
		{"policies differ", okCDF, compareRoundsHeader + "\na,false,1,0,60,1,1,1,1\n", []string{`lists the policies ["a"]`, `["a" "g (bound)"]`}},
		{"bound differs", okCDF, compareRoundsHeader + "\na,false,1,0,60,1,1,1,1\ng,false,1,0,60,1,1,1,1\n", []string{"want the same policies, bound flags and order"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.cdf != "" {
				write(t, dir, CompareCDFFile, tt.cdf)
			}
			if tt.rounds != "" {
				write(t, dir, CompareRoundsFile, tt.rounds)
			}
			err := PlotCompareDir(dir)
			for _, want := range tt.wantInErrors {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, CompareCDFPNGFile)); err == nil {
				t.Error("a plot was written despite the error")
			}
		})
	}
}

// ExampleCompare compares two policies of two seeds with a bound: one
// block a minute after a one-minute warm-up.
func ExampleCompare() {
	run := func(ms ...int64) *Collector {
		c := NewCollector(2)
		for b, m := range ms {
			start := secs(int64(60 * (b + 1)))
			c.BlockMade(b, int64(60*(b+1)), 0, start)
			c.Adopted(b, 0, start)
			c.Adopted(b, 1, start.Add(time.Duration(m)*time.Millisecond))
		}
		return c
	}
	cmp, err := Compare([]CompareRun{
		{Policy: "close-random", Seed: 2, Run: run(600, 500, 500, 500)},
		{Policy: "close-random", Seed: 1, Run: run(700, 400, 400, 440)},
		{Policy: "gods-view", Seed: 1, Run: run(300, 300, 300, 300), Bound: true},
	}, CompareOptions{From: secs(60), Window: time.Minute})
	if err != nil {
		panic(err)
	}
	for _, p := range cmp.Policies {
		fmt.Printf("%s: p99 %.0f ms, ×%.2f of the bound, converged at round %d\n", p.Policy, p.P99.MeanUS/1000, p.P99.Ratio, p.Converge.Round)
	}
	// Output:
	// close-random: p99 650 ms, ×2.17 of the bound, converged at round 2
	// gods-view: p99 300 ms, ×1.00 of the bound, converged at round 1
}
