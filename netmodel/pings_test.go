package netmodel

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/sharedtest"
	"pgregory.net/rapid"
)

var abc = []string{"a", "b", "c", "d"}

func TestReadPings(t *testing.T) {
	const us = time.Microsecond
	tests := []struct {
		name, csv string
		// want[a][b]: one-way µs from OneWay, -1 no path; measured lists
		// the pairs Measured knows.
		pairs    [][3]int // a, b, µs
		nopath   [][2]int
		measured int
	}{
		{name: "odd count median, both directions pooled",
			csv:   "source,dest,rtt_ms\na,b,10\nb,a,12\na,b,100\n",
			pairs: [][3]int{{0, 1, 6000}, {1, 0, 6000}}, nopath: [][2]int{{0, 2}, {2, 3}}, measured: 1},
		{name: "even count: mean of the middle two",
			csv:   "source,dest,rtt_ms\na,b,10\nb,a,13\n",
			pairs: [][3]int{{0, 1, 5750}}, measured: 1},
		{name: "cluster layout, only size 64 counts",
			csv: "source,dest,size,time,source_region,dest_region\n" +
				"a,b,24,1.0,EU,EU\na,b,64,0.2,EU,EU\na,b,64,0.3,EU,EU\na,b,64,0.4,EU,EU\na,b,65515,9,EU,EU\n" +
				"a,c,64,90.3,EU,US\nc,d,64,0.5,US,US\n",
			// b–d unmeasured: EU–US fallback = a–c; a–d the same; b–c too.
			pairs:    [][3]int{{0, 1, 150}, {0, 2, 45150}, {2, 3, 250}, {1, 3, 45150}, {3, 0, 45150}},
			measured: 3},
		{name: "region fallback is the median over pairs",
			csv: "src,dst,rtt_ms,source_region,dest_region\n" +
				"a,b,2,X,X\nb,c,4,X,X\na,c,100,X,X\n",
			pairs: [][3]int{{0, 1, 1000}, {1, 2, 2000}, {0, 2, 50000}}, nopath: [][2]int{{0, 3}}, measured: 3},
		{name: "columns in any order, other columns ignored, spaces trimmed",
			csv:   "note,RTT_MS,Dest,Source\nx, 0.0015,c,d\n",
			pairs: [][3]int{{3, 2, 1}}, measured: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ReadPings(strings.NewReader(tc.csv), "p.csv", abc)
			if err != nil {
				t.Fatal(err)
			}
			if p.N() != 4 || p.Pairs() != tc.measured {
				t.Errorf("N %d pairs %d, want 4, %d", p.N(), p.Pairs(), tc.measured)
			}
			for _, w := range tc.pairs {
				for _, ab := range [][2]int{{w[0], w[1]}, {w[1], w[0]}} {
					d, ok := p.OneWay(ab[0], ab[1])
					if !ok || d != time.Duration(w[2])*us {
						t.Errorf("OneWay(%d,%d) = %v %v, want %dµs", ab[0], ab[1], d, ok, w[2])
					}
				}
			}
			for _, ab := range tc.nopath {
				if d, ok := p.OneWay(ab[0], ab[1]); ok {
					t.Errorf("OneWay(%d,%d) = %v, want no path", ab[0], ab[1], d)
				}
			}
			if d, ok := p.OneWay(2, 2); !ok || d != 0 {
				t.Errorf("OneWay(2,2) = %v %v", d, ok)
			}
		})
	}
}

func TestPingsMeasuredVersusFallback(t *testing.T) {
	p, err := ReadPings(strings.NewReader("source,dest,rtt_ms,source_region,dest_region\na,b,10,EU,US\nc,d,1,EU,US\n"), "p", abc)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Measured(0, 3); ok {
		t.Error("Measured(a, d) should be false: only the region fallback knows it")
	}
	if d, ok := p.OneWay(0, 3); !ok || d != 2750*time.Microsecond { // median of 5 ms and 0.5 ms
		t.Errorf("OneWay(a, d) = %v %v, want 2.75ms", d, ok)
	}
	if p.Region(0) != "EU" || p.Region(1) != "US" {
		t.Errorf("regions %q %q", p.Region(0), p.Region(1))
	}
}

func TestReadPingsErrors(t *testing.T) {
	tests := []struct{ name, csv, want string }{
		{"empty", "", "p.csv:1: empty file"},
		{"no rtt column", "source,dest\na,b\n", `header "source,dest": accepted: columns source, dest and rtt_ms`},
		{"duplicate column", "source,src,dest,rtt_ms\n", `column "src" given twice`},
		{"one region column", "source,dest,rtt_ms,source_region\na,b,1,X\n", "both source_region and dest_region"},
		{"unknown node", "source,dest,rtt_ms\na,zz,1\n", `p.csv:2: dest "zz": not a node of the scenario; accepted: one of a, b, c, … (4 nodes)`},
		{"self", "source,dest,rtt_ms\na,a,1\n", "p.csv:2: ping from a to itself"},
		{"negative rtt", "source,dest,rtt_ms\na,b,1\na,b,-3\n", `p.csv:3: rtt_ms "-3": accepted: a round-trip time in ms`},
		{"NaN rtt", "source,dest,rtt_ms\na,b,NaN\n", `rtt_ms "NaN"`},
		{"huge rtt", "source,dest,time\na,b,1e7\n", `time "1e7"`},
		{"bad size", "source,dest,size,time\na,b,x,1\n", `p.csv:2: size "x": accepted: an integer`},
		{"no default size", "source,dest,size,time\na,b,24,1\n", "no ping of size 64"},
		{"no rows", "source,dest,rtt_ms\n", "no ping rows"},
		{"short row", "source,dest,rtt_ms\na,b\n", "wrong number of fields"},
		{"two regions", "source,dest,rtt_ms,source_region,dest_region\na,b,1,X,Y\na,c,1,Y,Y\n", `p.csv:3: source_region "Y": node a is in region "X"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPings(strings.NewReader(tc.csv), "p.csv", abc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := ReadPings(strings.NewReader("source,dest,rtt_ms\n"), "p", []string{"a", "a"}); err == nil {
		t.Error("duplicate node names accepted")
	}
	if _, err := ReadPingsFile("/nonexistent/p.csv.gz", abc); err == nil {
		t.Error("missing file accepted")
	}
}

// TestPingsProperty: OneWay is symmetric and equals half the median of
// the pair's samples, computed here from a sorted copy.
func TestPingsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 6).Draw(t, "n")
		names := make([]string, n)
		for i := range names {
			names[i] = "n" + strconv.Itoa(i)
		}
		var b strings.Builder
		b.WriteString("source,dest,rtt_ms\n")
		samples := map[[2]int][]float64{}
		rows := rapid.IntRange(1, 40).Draw(t, "rows")
		for range rows {
			a := rapid.IntRange(0, n-1).Draw(t, "a")
			c := rapid.IntRange(0, n-2).Draw(t, "c")
			if c >= a {
				c++
			}
			ms := float64(rapid.IntRange(0, 400000).Draw(t, "us")) / 1000
			fmt.Fprintf(&b, "%s,%s,%g\n", names[a], names[c], ms)
			k := [2]int{min(a, c), max(a, c)}
			samples[k] = append(samples[k], ms)
		}
		p, err := ReadPings(strings.NewReader(b.String()), "p", names)
		if err != nil {
			t.Fatal(err)
		}
		if p.Pairs() != len(samples) {
			t.Fatalf("pairs %d, want %d", p.Pairs(), len(samples))
		}
		for a := range n {
			for c := range n {
				d, ok := p.OneWay(a, c)
				e, ok2 := p.OneWay(c, a)
				if d != e || ok != ok2 {
					t.Fatalf("asymmetric: %v %v / %v %v", d, ok, e, ok2)
				}
				if a == c {
					continue
				}
				s, measured := samples[[2]int{min(a, c), max(a, c)}]
				if ok != measured {
					t.Fatalf("OneWay(%d,%d) ok %v, measured %v", a, c, ok, measured)
				}
				if !measured {
					continue
				}
				s = slices.Sorted(slices.Values(s))
				med := s[len(s)/2]
				if len(s)%2 == 0 {
					med = (s[len(s)/2-1] + s[len(s)/2]) / 2
				}
				want := time.Duration(math.Round(med*500)) * time.Microsecond
				if d != want {
					t.Fatalf("OneWay(%d,%d) = %v, want %v from %v", a, c, d, want, s)
				}
			}
		}
	})
}

// TestPingsBenchmarkCluster reads the real cluster's pings: 312 directed
// links measured, 242 of them in both directions, so 242/2 + 70 = 191
// pairs; node-0 → node-1 (EU → US) is computed here independently.
func TestPingsBenchmarkCluster(t *testing.T) {
	path := sharedtest.Path(t, "data", "benchmark-cluster-52", "latency.csv.gz")
	names := make([]string, 52)
	for i := range names {
		names[i] = "node-" + strconv.Itoa(i)
	}
	p, err := ReadPingsFile(path, names)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pairs() != 191 {
		t.Errorf("pairs %d, want 191", p.Pairs())
	}
	// Independent computation for a few pairs: size-64 RTTs of both directions.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]string][]float64{}
	check := [][2]string{{"node-0", "node-1"}, {"node-0", "node-2"}, {"node-0", "node-3"}, {"node-9", "node-45"}}
	sc := bufio.NewScanner(gz)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if f[2] != "64" {
			continue
		}
		for _, c := range check {
			if (f[0] == c[0] && f[1] == c[1]) || (f[0] == c[1] && f[1] == c[0]) {
				v, _ := strconv.ParseFloat(f[3], 64)
				want[c] = append(want[c], v)
			}
		}
	}
	for _, c := range check {
		s := slices.Sorted(slices.Values(want[c]))
		if len(s) == 0 {
			t.Fatalf("%v: no samples", c)
		}
		med := (s[len(s)/2-1] + s[len(s)/2]) / 2 // 240 or 480 samples: even
		a, _ := strconv.Atoi(strings.TrimPrefix(c[0], "node-"))
		b, _ := strconv.Atoi(strings.TrimPrefix(c[1], "node-"))
		d, ok := p.Measured(a, b)
		if w := time.Duration(math.Round(med*500)) * time.Microsecond; !ok || d != w {
			t.Errorf("%v: %v %v, want %v (median RTT %g ms of %d samples)", c, d, ok, w, med, len(s))
		}
	}
	if p.Region(0) != "EU" || p.Region(2) != "AP" || p.Region(1) != "US" {
		t.Errorf("regions of node-0/1/2: %s %s %s", p.Region(0), p.Region(1), p.Region(2))
	}
}

func FuzzPings(f *testing.F) {
	f.Add("source,dest,rtt_ms\na,b,10\nb,a,12\n")
	f.Add("source,dest,size,time,source_region,dest_region\na,b,64,0.2,EU,EU\nc,d,64,90,US,AP\n")
	f.Add("src,dst,rtt_ms\na,a,1\n")
	f.Add("source,dest,rtt_ms\n\"a\",b,1e400\n")
	f.Fuzz(func(t *testing.T, data string) {
		p, err := ReadPings(strings.NewReader(data), "fuzz.csv", abc)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for a := range 4 {
			for b := range 4 {
				d, ok := p.OneWay(a, b)
				e, _ := p.OneWay(b, a)
				if d < 0 || d != e || (a == b && (!ok || d != 0)) {
					t.Fatalf("OneWay(%d,%d) = %v %v, reverse %v", a, b, d, ok, e)
				}
			}
		}
	})
}
