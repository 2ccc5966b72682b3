package results

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// renderBoth draws a three-series overlay to PNG and SVG and returns the
// bytes.
func renderBoth(t *testing.T, dir string) (png, svg []byte) {
	t.Helper()
	c := randomCollector(5, 200, 20)
	lower := CDFOf([]int64{50_000, 80_000, 120_000, 400_000, 900_000})
	series := []Series{
		{Name: "close-random", Points: c.CDF(), Marks: runMarks},
		{Name: "lower bound", Points: lower, Dashed: true},
		{Name: "empty"},
	}
	var out [2][]byte
	for i, name := range []string{"x.png", "x.svg"} {
		path := filepath.Join(dir, name)
		if err := PlotCDFs(path, "overlay", series); err != nil {
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

func TestPlotBytesDeterministic(t *testing.T) {
	png1, svg1 := renderBoth(t, t.TempDir())
	prev := runtime.GOMAXPROCS(1)
	png2, svg2 := renderBoth(t, t.TempDir())
	runtime.GOMAXPROCS(max(prev, 4))
	png3, svg3 := renderBoth(t, t.TempDir())
	runtime.GOMAXPROCS(prev)
	if !bytes.HasPrefix(png1, []byte("\x89PNG")) || !bytes.Contains(svg1, []byte("<svg")) {
		t.Fatal("outputs are not PNG and SVG")
	}
	if !bytes.Equal(png1, png2) || !bytes.Equal(png1, png3) {
		t.Error("PNG bytes differ between renders or GOMAXPROCS settings")
	}
	if !bytes.Equal(svg1, svg2) || !bytes.Equal(svg1, svg3) {
		t.Error("SVG bytes differ between renders or GOMAXPROCS settings")
	}
	// Nothing that could vary by run: dates, times, or generated ids.
	for _, re := range []string{`20\d\d-\d\d-\d\d`, `\d\d:\d\d:\d\d`, `id="`} {
		if m := regexp.MustCompile(re).Find(svg1); m != nil {
			t.Errorf("SVG contains %q (pattern %s)", m, re)
		}
	}
	for _, want := range []string{"overlay", "close-random", "lower bound", "p95 = ", "adoption time since slot start (s)"} {
		if !bytes.Contains(svg1, []byte(want)) {
			t.Errorf("SVG lacks the text %q", want)
		}
	}
}

func TestPlotCDFsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		series  []Series
		wantErr string
	}{
		{"unknown extension", "x.pdf", nil, `unknown extension ".pdf"; want .png or .svg`},
		{"bad mark", "x.png", []Series{{Name: "s", Points: []CDFPoint{{1, 1}}, Marks: []int64{0}}}, "mark p0 outside 1..100"},
		{"missing folder", filepath.Join("nope", "x.svg"), nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PlotCDFs(filepath.Join(dir, tt.path), "t", tt.series)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	assertOnly(t, dir)
}

// TestPlotDirReproducesRun deletes a run's images and redraws them from
// cdf.csv and meta.json: the bytes must equal WriteRun's.
func TestPlotDirReproducesRun(t *testing.T) {
	dir := t.TempDir()
	c := randomCollector(3, 500, 30)
	if err := WriteRun(dir, c, Meta{Scenario: "random-500", GoVersion: "go-test"}, Options{}); err != nil {
		t.Fatal(err)
	}
	var orig [][]byte
	for _, name := range []string{CDFPNGFile, CDFSVGFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		orig = append(orig, b)
		os.Remove(filepath.Join(dir, name))
	}
	if err := PlotDir(dir); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{CDFPNGFile, CDFSVGFile} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.Equal(b, orig[i]) {
			t.Errorf("%s redrawn by PlotDir differs from WriteRun's", name)
		}
	}
	svg, _ := os.ReadFile(filepath.Join(dir, CDFSVGFile))
	if !bytes.Contains(svg, []byte("random-500")) {
		t.Error("title lacks the scenario name from meta.json")
	}
}

func TestPlotDirErrors(t *testing.T) {
	tests := []struct {
		name    string
		cdf     string // "" = no cdf.csv
		meta    string // "" = no meta.json
		wantErr string
	}{
		{"missing cdf.csv", "", "", "cdf.csv: no such file"},
		{"bad header", "ms,frac\n", "", `cdf.csv: line 1: header "ms,frac"; want "adoption_ms,fraction"`},
		{"bad value", "adoption_ms,fraction\n1.000,0.5\nabc,1\n", "", `cdf.csv: line 3, column adoption_ms: bad value "abc"`},
		{"malformed meta", "adoption_ms,fraction\n1.000,1\n", "{\n  \"scenario\": oops\n}\n", "meta.json: line 2"},
		{"meta scenario not a string", "adoption_ms,fraction\n1.000,1\n", `{"scenario": 3}`, "meta.json: json: cannot unmarshal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.cdf != "" {
				os.WriteFile(filepath.Join(dir, CDFFile), []byte(tt.cdf), 0o644)
			}
			if tt.meta != "" {
				os.WriteFile(filepath.Join(dir, MetaFile), []byte(tt.meta), 0o644)
			}
			err := PlotDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, CDFPNGFile)); err == nil {
				t.Error("cdf.png written despite the error")
			}
		})
	}
}

func TestPlotDirWithoutMetaOrAdoptions(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, CDFFile), []byte(cdfHeader+"\n"), 0o644)
	if err := PlotDir(dir); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, CDFFile, CDFPNGFile, CDFSVGFile)
}

func TestReadCDF(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []CDFPoint
		wantErr string
	}{
		{"ok", "adoption_ms,fraction\n0.150,0.25\n412.345,1\n", []CDFPoint{{150, 0.25}, {412345, 1}}, ""},
		{"crlf and short decimals", "adoption_ms,fraction\r\n1.5,0.5\r\n2,1\r\n", []CDFPoint{{1500, 0.5}, {2000, 1}}, ""},
		{"header only", "adoption_ms,fraction\n", nil, ""},
		{"empty file", "", nil, "empty file"},
		{"one field", "adoption_ms,fraction\n1.000\n", nil, "line 2: \"1.000\" has 1 fields; want 2"},
		{"three fields", "adoption_ms,fraction\n1,0.5,x\n", nil, "has 3 fields"},
		{"fraction zero", "adoption_ms,fraction\n1,0\n", nil, `line 2, column fraction: bad value "0": want a number in (0, 1]`},
		{"fraction above 1", "adoption_ms,fraction\n1,1.5\n", nil, `bad value "1.5"`},
		{"fraction NaN", "adoption_ms,fraction\n1,NaN\n", nil, `bad value "NaN"`},
		{"too many decimals", "adoption_ms,fraction\n1.0001,1\n", nil, "at most 3 decimals"},
		{"time not increasing", "adoption_ms,fraction\n2,0.5\n2,1\n", nil, "line 3, column adoption_ms: value 2 is not above the previous line's 2.000"},
		{"fraction not increasing", "adoption_ms,fraction\n1,0.5\n2,0.5\n", nil, "line 3, column fraction: value 0.5 is not above"},
		{"blank line", "adoption_ms,fraction\n1,0.5\n\n2,1\n", nil, "line 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCDF(strings.NewReader(tt.in), "run/cdf.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "run/cdf.csv: ") {
					t.Fatalf("err = %v, want run/cdf.csv: …%s…", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("ReadCDF = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// FuzzReadCDF checks that ReadCDF never panics and that whatever it accepts
// survives a write/read round trip unchanged.
func FuzzReadCDF(f *testing.F) {
	f.Add("adoption_ms,fraction\n0.150,0.25\n412.345,1\n")
	f.Add("adoption_ms,fraction\n")
	f.Add("adoption_ms,fraction\r\n1.5,0.5\r\n2,1e-3\n")
	f.Add("adoption_ms,fraction\n1,0.5\n1,0.6\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := ReadCDF(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := writeCDF(&buf, pts); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCDF(&buf, "again.csv")
		if err != nil || !slices.Equal(again, pts) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, pts)
		}
	})
}

func ExamplePlotCDFs() {
	dir, _ := os.MkdirTemp("", "dpsim-example")
	defer os.RemoveAll(dir)
	measured := CDFOf([]int64{120_000, 250_000, 260_000, 700_000, 1_300_000})
	bound := CDFOf([]int64{90_000, 150_000, 200_000, 400_000, 800_000})
	err := PlotCDFs(filepath.Join(dir, "compare.svg"), "close-random vs lower bound", []Series{
		{Name: "close-random", Points: measured, Marks: []int64{50, 95}},
		{Name: "god's-view lower bound", Points: bound, Dashed: true},
	})
	fmt.Println(err)
	// Output: <nil>
}

func ExampleQuantile() {
	sorted := []int64{10, 20, 30, 40}
	fmt.Println(Percentile(sorted, 50), Percentile(sorted, 51), Quantile(sorted, 999, 1000))
	// Output: 20 30 40
}

func ExampleCollector() {
	c := NewCollector(3)
	c.BlockMade(0, 12, 1, secs(12))             // block 0, slot 12, made by node 1
	c.Adopted(0, 1, secs(12)+usT(300))          // the producer, after forging
	c.Adopted(0, 0, secs(12)+usT(850_000))      // 0.85 s later
	fmt.Printf("%+v\n", c.Block(0).Stats)       // node 2 never adopted
	fmt.Println(FormatMS(c.Pooled().P50), "ms") // nearest rank ⌈0.5·2⌉ = 1st
	// Output:
	// {Reached:2 P50:300 P90:850000 P95:850000 P99:850000 Max:850000}
	// 0.300 ms
}
