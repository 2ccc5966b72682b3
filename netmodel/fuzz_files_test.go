package netmodel

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/internal/sharedtest"
)

// FuzzEdgeListRoundTrip checks that every ParseEdgeList error names the
// file, a line and what is accepted, and that an accepted list written
// back as CSV parses to the same graph.
func FuzzEdgeListRoundTrip(f *testing.F) {
	f.Add("a,b,latency_ms\n0,1,64.025\n1,2,1\n", 0)
	f.Add("\ufeffa , b\r\n2,0\r\n\r\n", 3)
	f.Add("a,b,latency_ms\n0,1,1\n1,0,1\n", 0)
	f.Add("a,b\n0,1,2\n", 0)
	f.Add("a,b,latency_ms\n0,1,0.0005\n", 2)
	f.Add("a,b\n"+strings.Repeat("1", 70000)+",0\n", 0)
	f.Fuzz(func(t *testing.T, in string, nodes int) {
		nodes = min(max(nodes, -1), 1000)
		el, err := ParseEdgeList(strings.NewReader(in), "fuzz.csv", nodes)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv:") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		var b strings.Builder
		b.WriteString("a,b")
		if el.HasLatency() {
			b.WriteString(",latency_ms")
		}
		b.WriteString("\n")
		for u := 0; u < el.N(); u++ {
			ids, lat := el.Neighbors(u)
			for i, v := range ids {
				if int32(u) > v {
					continue
				}
				b.WriteString(strconv.Itoa(u) + "," + strconv.Itoa(int(v)))
				if el.HasLatency() {
					b.WriteString("," + strconv.FormatFloat(float64(lat[i])/1000, 'f', 3, 64))
				}
				b.WriteString("\n")
			}
		}
		again, err := ParseEdgeList(strings.NewReader(b.String()), "again.csv", el.N())
		if err != nil {
			t.Fatalf("round trip of\n%s: %v", b.String(), err)
		}
		if again.N() != el.N() || again.Edges() != el.Edges() || again.HasLatency() != el.HasLatency() {
			t.Fatalf("round trip: %d nodes %d edges latency %v; want %d %d %v",
				again.N(), again.Edges(), again.HasLatency(), el.N(), el.Edges(), el.HasLatency())
		}
		for u := 0; u < el.N(); u++ {
			for _, v := range func() []int32 { ids, _ := el.Neighbors(u); return ids }() {
				d1, ok1 := el.OneWay(u, int(v))
				d2, ok2 := again.OneWay(u, int(v))
				if d1 != d2 || ok1 != ok2 {
					t.Fatalf("link %d-%d: %v %v after the round trip, %v %v before", u, v, d2, ok2, d1, ok1)
				}
			}
		}
	})
}

// TestReadLimits checks that the file readers refuse a file over their
// byte limit unread (a sparse file: no data is written), read gzip, and
// name the file in every refusal.
func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil {
			t.Skipf("no sparse file of %d bytes here: %v", size, err)
		}
		return p
	}
	gz := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, sharedtest.Gzip(t, []byte(data)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("edge list too large", func(t *testing.T) {
		p := sparse("big-edges.csv", MaxEdgeListFileBytes+1)
		_, err := ReadEdgeListFile(p, 0)
		var le *input.LimitError
		if !errors.As(err, &le) || le.Limit != MaxEdgeListFileBytes || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v; want a LimitError naming %s", err, p)
		}
	})
	t.Run("matrix too large", func(t *testing.T) {
		p := sparse("big-matrix.csv", MaxMatrixFileBytes+1)
		_, err := ReadMatrixCSV(p)
		var le *input.LimitError
		if !errors.As(err, &le) || le.Limit != MaxMatrixFileBytes || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v; want a LimitError naming %s", err, p)
		}
	})
	t.Run("gzip", func(t *testing.T) {
		el, err := ReadEdgeListFile(gz("e.csv.gz", "a,b,latency_ms\n0,1,2.5\n"), 0)
		if err != nil || el.N() != 2 || el.Edges() != 1 {
			t.Fatalf("edge list: %v, %v", el, err)
		}
		m, err := ReadMatrixCSV(gz("m.csv.gz", "0,1\n2,0\n"))
		if err != nil || m.N() != 2 {
			t.Fatalf("matrix: %v, %v", m, err)
		}
	})
	t.Run("long path", func(t *testing.T) {
		long := strings.Repeat("x/", input.MaxPathBytes)
		if _, err := ReadEdgeListFile(long, 0); err == nil || !strings.Contains(err.Error(), "path length") {
			t.Errorf("edge list: %v", err)
		}
		if _, err := ReadMatrixCSV(long); err == nil || !strings.Contains(err.Error(), "path length") {
			t.Errorf("matrix: %v", err)
		}
	})
}
