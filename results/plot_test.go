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

	"github.com/dpsim/dpsim/internal/sharedtest"
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
	sharedtest.AssertOnly(t, dir)
}

// TestPlotDirReproducesRun deletes a run's images and redraws them from
// cdf.csv and meta.json: the bytes must equal WriteCDF's.
func TestPlotDirReproducesRun(t *testing.T) {
	dir := t.TempDir()
	c := withRandomHeaders(randomCollector(3, 500, 30), 3)
	if err := writeRun(dir, c, Meta{Scenario: "random-500", GoVersion: "go-test"}, false); err != nil {
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
			t.Errorf("%s redrawn by PlotDir differs from WriteCDF's", name)
		}
	}
	svg, _ := os.ReadFile(filepath.Join(dir, CDFSVGFile))
	if !bytes.Contains(svg, []byte("random-500")) {
		t.Error("title lacks the scenario name from meta.json")
	}
}

// svgTexts returns the text elements of an SVG, in order.
func svgTexts(svg []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`>([^<>]*)</text>`).FindAllSubmatch(svg, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// TestRunPlotBothCurves checks a run's cdf.svg: both curves in the legend
// with their marks, in the header arrival then adoption order, each in its
// own colour, and the axes titled with their units.
func TestRunPlotBothCurves(t *testing.T) {
	dir := t.TempDir()
	c := NewCollector(4)
	c.BlockMade(0, 1, 0, secs(1))
	c.Adopted(0, 0, secs(1)+usT(100))
	for n, ms := range []int64{0, 200, 300, 400} {
		if n > 0 {
			c.HeaderArrived(0, n, secs(1)+usT(ms*1000))
			c.Adopted(0, n, secs(1)+usT(ms*1000+250_000))
		}
	}
	if err := writeRun(dir, c, Meta{Scenario: "two-curves", GoVersion: "go-test"}, false); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, CDFSVGFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Header arrival and block adoption time CDF: two-curves",
		"time since slot start (s)",
		"0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", // x ticks
		"fraction of (block, node) pairs",
		"0.0", "0.2", "0.4", "0.6", "0.8", "1.0", // y ticks
		"header arrival",
		"header arrival p50 = 0.300 s", "header arrival p95 = 0.400 s", "header arrival p99 = 0.400 s",
		"adoption",
		"adoption p50 = 0.450 s", "adoption p95 = 0.650 s", "adoption p99 = 0.650 s",
	}
	if got := svgTexts(svg); !slices.Equal(got, want) {
		t.Errorf("cdf.svg texts:\n%q\nwant\n%q", got, want)
	}
	for _, col := range []string{"#0072B2", "#D55E00"} { // header blue, adoption vermillion (Okabe–Ito)
		if n := bytes.Count(svg, []byte(col)); n < 2 {
			t.Errorf("colour %s used %d times; want the curve, its marks and the legend", col, n)
		}
	}
}

// TestPlotDirOldCDF redraws a folder whose cdf.csv predates header
// arrivals: the adoption curve alone, titled and labelled as before.
func TestPlotDirOldCDF(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, CDFFile), []byte(cdfHeaderV1+"\n120.000,0.5\n300.000,1\n"), 0o644)
	if err := PlotDir(dir); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, CDFSVGFile))
	texts := svgTexts(svg)
	for _, want := range []string{"Block adoption time CDF", "adoption time since slot start (s)", "all blocks", "all blocks p50 = 0.120 s"} {
		if !slices.Contains(texts, want) {
			t.Errorf("cdf.svg lacks %q: %q", want, texts)
		}
	}
	if bytes.Contains(svg, []byte("header")) {
		t.Errorf("cdf.svg of an old cdf.csv mentions headers: %q", texts)
	}
}

// TestPlotDirNoHeaderArrivals: a current cdf.csv whose run recorded no
// header arrivals says so in the legend.
func TestPlotDirNoHeaderArrivals(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, CDFFile), []byte(cdfHeader+"\n120.000,0.5,,\n300.000,1,,\n"), 0o644)
	if err := PlotDir(dir); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, CDFSVGFile))
	texts := svgTexts(svg)
	for _, want := range []string{"header arrival (no header arrivals)", "adoption p50 = 0.120 s"} {
		if !slices.Contains(texts, want) {
			t.Errorf("cdf.svg lacks %q: %q", want, texts)
		}
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
		{"bad header", "ms,frac\n", "", `cdf.csv: line 1: header "ms,frac"; want "adoption_ms,fraction,header_ms,header_fraction" (or the older "adoption_ms,fraction")`},
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
	sharedtest.AssertOnly(t, dir, CDFFile, CDFPNGFile, CDFSVGFile)
}

func TestReadCDF(t *testing.T) {
	const v2 = "adoption_ms,fraction,header_ms,header_fraction\n"
	tests := []struct {
		name    string
		in      string
		want    RunCDF
		wantErr string
	}{
		{"ok", v2 + "0.150,0.25,0.100,0.5\n412.345,1,0.200,1\n",
			RunCDF{[]CDFPoint{{150, 0.25}, {412345, 1}}, []CDFPoint{{100, 0.5}, {200, 1}}, true}, ""},
		{"header curve longer", v2 + "1,1,0.5,0.25\n,,0.75,0.5\n,,2,1\n",
			RunCDF{[]CDFPoint{{1000, 1}}, []CDFPoint{{500, 0.25}, {750, 0.5}, {2000, 1}}, true}, ""},
		{"adoption curve longer", v2 + "1,0.5,0.5,1\n2,1,,\n",
			RunCDF{[]CDFPoint{{1000, 0.5}, {2000, 1}}, []CDFPoint{{500, 1}}, true}, ""},
		{"no header arrivals", v2 + "1,0.5,,\n2,1,,\n",
			RunCDF{[]CDFPoint{{1000, 0.5}, {2000, 1}}, nil, true}, ""},
		{"only header arrivals", v2 + ",,1,1\n", RunCDF{nil, []CDFPoint{{1000, 1}}, true}, ""},
		{"header only", v2, RunCDF{HasHeader: true}, ""},
		{"crlf", "adoption_ms,fraction,header_ms,header_fraction\r\n1.5,1,0.5,1\r\n",
			RunCDF{[]CDFPoint{{1500, 1}}, []CDFPoint{{500, 1}}, true}, ""},
		{"old format", "adoption_ms,fraction\n0.150,0.25\n412.345,1\n", RunCDF{Adoption: []CDFPoint{{150, 0.25}, {412345, 1}}}, ""},
		{"old format crlf and short decimals", "adoption_ms,fraction\r\n1.5,0.5\r\n2,1\r\n", RunCDF{Adoption: []CDFPoint{{1500, 0.5}, {2000, 1}}}, ""},
		{"old format header only", "adoption_ms,fraction\n", RunCDF{}, ""},
		{"empty file", "", RunCDF{}, "empty file"},
		{"bad header", "ms,frac\n", RunCDF{}, `line 1: header "ms,frac"; want "adoption_ms,fraction,header_ms,header_fraction" (or the older "adoption_ms,fraction")`},
		{"old one field", "adoption_ms,fraction\n1.000\n", RunCDF{}, "line 2: \"1.000\" has 1 fields; want 2 (adoption_ms,fraction)"},
		{"old three fields", "adoption_ms,fraction\n1,0.5,x\n", RunCDF{}, "has 3 fields"},
		{"old empty fields", "adoption_ms,fraction\n,\n", RunCDF{}, `line 2, column adoption_ms: bad value ""`},
		{"two fields in new format", v2 + "1,1\n", RunCDF{}, "line 2: \"1,1\" has 2 fields; want 4 (adoption_ms,fraction,header_ms,header_fraction)"},
		{"no point", v2 + "1,0.5,1,1\n,,,\n", RunCDF{}, `line 3: ",,," holds no point`},
		{"curve resumes", v2 + "1,0.5,1,0.5\n,,2,0.75\n3,1,3,1\n", RunCDF{}, `line 4, column adoption_ms: value "3" after the curve's empty fields above`},
		{"header time without fraction", v2 + "1,1,2,\n", RunCDF{}, `line 2, column header_fraction: bad value ""`},
		{"header fraction without time", v2 + "1,1,,1\n", RunCDF{}, `line 2, column header_ms: bad value ""`},
		{"fraction zero", "adoption_ms,fraction\n1,0\n", RunCDF{}, `line 2, column fraction: bad value "0": want a number in (0, 1]`},
		{"header fraction zero", v2 + "1,1,1,0\n", RunCDF{}, `line 2, column header_fraction: bad value "0": want a number in (0, 1]`},
		{"fraction above 1", "adoption_ms,fraction\n1,1.5\n", RunCDF{}, `bad value "1.5"`},
		{"fraction NaN", v2 + "1,NaN,1,1\n", RunCDF{}, `column fraction: bad value "NaN"`},
		{"too many decimals", v2 + "1,1,1.0001,1\n", RunCDF{}, "column header_ms: bad value \"1.0001\": want a non-negative number of milliseconds with at most 3 decimals"},
		{"time not increasing", "adoption_ms,fraction\n2,0.5\n2,1\n", RunCDF{}, "line 3, column adoption_ms: value 2 is not above the previous line's 2.000"},
		{"header time not increasing", v2 + "1,0.5,2,0.5\n2,1,2,1\n", RunCDF{}, "line 3, column header_ms: value 2 is not above the previous line's 2.000"},
		{"fraction not increasing", "adoption_ms,fraction\n1,0.5\n2,0.5\n", RunCDF{}, "line 3, column fraction: value 0.5 is not above"},
		{"header fraction not increasing", v2 + "1,0.5,1,0.5\n2,1,2,0.5\n", RunCDF{}, "line 3, column header_fraction: value 0.5 is not above"},
		{"blank line", "adoption_ms,fraction\n1,0.5\n\n2,1\n", RunCDF{}, "line 3"},
		{"blank line in new format", v2 + "1,0.5,1,1\n\n2,1,,\n", RunCDF{}, "line 3: \"\" has 1 fields; want 4"},
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
			if err != nil || !equalRunCDF(got, tt.want) {
				t.Fatalf("ReadCDF = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func equalRunCDF(a, b RunCDF) bool {
	return a.HasHeader == b.HasHeader && slices.Equal(a.Adoption, b.Adoption) && slices.Equal(a.Header, b.Header)
}

// TestCDFFileRoundTrip writes a run's two curves of different lengths and
// reads them back unchanged.
func TestCDFFileRoundTrip(t *testing.T) {
	c := withRandomHeaders(randomCollector(6, 300, 10), 6)
	for _, want := range []RunCDF{
		{Adoption: c.CDF(), Header: c.HeaderCDF(), HasHeader: true},
		{Adoption: c.CDF()[:5], Header: c.HeaderCDF(), HasHeader: true},
		{Adoption: c.CDF(), Header: c.HeaderCDF()[:5], HasHeader: true},
		{Adoption: c.CDF(), HasHeader: true},
		{Header: c.HeaderCDF(), HasHeader: true},
		{HasHeader: true},
		{Adoption: c.CDF()},
	} {
		var buf bytes.Buffer
		if err := writeCDF(&buf, want); err != nil {
			t.Fatal(err)
		}
		got, err := ReadCDF(&buf, "cdf.csv")
		if err != nil || !equalRunCDF(got, want) {
			t.Fatalf("round trip of %d+%d points (header curve %v): %v, %v", len(want.Adoption), len(want.Header), want.HasHeader, got, err)
		}
	}
}

// FuzzReadCDF checks that ReadCDF never panics and that whatever it accepts
// survives a write/read round trip unchanged.
func FuzzReadCDF(f *testing.F) {
	f.Add("adoption_ms,fraction\n0.150,0.25\n412.345,1\n")
	f.Add("adoption_ms,fraction\n")
	f.Add("adoption_ms,fraction\r\n1.5,0.5\r\n2,1e-3\n")
	f.Add("adoption_ms,fraction\n1,0.5\n1,0.6\n")
	f.Add("adoption_ms,fraction,header_ms,header_fraction\n0.150,0.25,0.1,0.5\n412.345,1,,\n")
	f.Add("adoption_ms,fraction,header_ms,header_fraction\n,,1,1\n")
	f.Add("adoption_ms,fraction,header_ms,header_fraction\n1,1,,\n,,2,1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		cdf, err := ReadCDF(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := writeCDF(&buf, cdf); err != nil {
			t.Fatal(err)
		}
		again, err := ReadCDF(&buf, "again.csv")
		if err != nil || !equalRunCDF(again, cdf) {
			t.Fatalf("round trip: %v, %v; want %v", again, err, cdf)
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

// TestCDFPlotCutsFarTail: one adoption 100 times later than the rest would
// squeeze the curve against the y axis; the axis is cut after p99.9 and the
// label says so, and without such an outlier it is not cut.
func TestCDFPlotCutsFarTail(t *testing.T) {
	pts := make([]int64, 0, 2001)
	for i := range 2000 {
		pts = append(pts, int64(100000+i*100))
	}
	for _, tc := range []struct {
		outlier int64
		cut     bool
	}{{30_000_000, true}, {400_000, false}} {
		p, _, err := cdfPlot("t", adoptionAxes, []Series{{Name: "adoption", Points: CDFOf(append(slices.Clone(pts), tc.outlier))}})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(p.X.Label.Text, "cut after p99.9"); got != tc.cut {
			t.Errorf("outlier %d µs: label %q, cut %v, want %v", tc.outlier, p.X.Label.Text, got, tc.cut)
		}
		if tc.cut && p.X.Max > 1 {
			t.Errorf("outlier %d µs: x axis to %v s, want about 0.37 s", tc.outlier, p.X.Max)
		}
	}
}
