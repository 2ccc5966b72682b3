package flood

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/sharedtest"

	"github.com/dpsim/dpsim/netmodel"
)

// exampleDir is the shared example case; the tests skip without ../shared.
func exampleDir(t testing.TB) string {
	return sharedtest.Path(t, "benchmarks", "flood", "example-n200")
}

var standard = Params{Processing: 10 * time.Millisecond, Serialisation: 80 * time.Millisecond}

func with(v Variant) Params { p := standard; p.Variant = v; return p }

// runAll simulates every block and returns the arrival file's bytes.
func runAll(t testing.TB, c *Case, p Params) (string, uint64) {
	r, err := NewRunner(c, p)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := WriteArrivals(&sb, r, nil); err != nil {
		t.Fatal(err)
	}
	return sb.String(), r.Events()
}

// TestExampleExact reproduces the reference arrival files byte for byte.
func TestExampleExact(t *testing.T) {
	dir := exampleDir(t)
	c, err := LoadCase(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []Variant{VariantA, VariantB} {
		want, err := os.ReadFile(filepath.Join(dir, "expected_"+string(v)+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		got, events := runAll(t, c, with(v))
		if got != string(want) {
			t.Errorf("variant %c: arrivals differ from expected_%c.csv at %s", v, v, firstDiff(got, string(want)))
		}
		// MODEL.md §4: A runs R+D events per block, B runs R+2D, with
		// D = 2·edges − N + 1 when every node is reached.
		d := uint64(2*c.Graph.Edges() - c.Nodes + 1)
		perBlock := uint64(c.Nodes) + d
		if v == VariantB {
			perBlock += d
		}
		if want := perBlock * uint64(len(c.Sources)); events != want {
			t.Errorf("variant %c: %d events, want %d", v, events, want)
		}
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("length: got %d lines, want %d", len(la), len(lb))
}

// tieStress rounds every latency of c to a whole millisecond (MODEL.md §6).
func tieStress(t testing.TB, c *Case) *Case {
	var links []netmodel.Edge
	for u := 0; u < c.Nodes; u++ {
		ids, lat := c.Graph.Neighbors(u)
		for i, w := range ids {
			if int32(u) < w {
				ms := (lat[i] + 500) / 1000
				links = append(links, netmodel.Edge{A: int32(u), B: w, LatUs: ms * 1000})
			}
		}
	}
	g, err := netmodel.NewEdgeList(c.Nodes, links)
	if err != nil {
		t.Fatal(err)
	}
	return &Case{Nodes: c.Nodes, Graph: g, Sources: c.Sources}
}

// oracle is the closed form of MODEL.md §3: label-setting over labels
// (time, sender). With smallestWins=false it applies the reversed tie rule,
// to prove the tie-stress case can tell the two apart.
func oracle(c *Case, p Params, block int, smallestWins bool) []int64 {
	P, S := p.Processing.Microseconds(), p.Serialisation.Microseconds()
	if p.Variant == VariantA {
		S = 0
	}
	n := c.Nodes
	t := make([]int64, n)
	par := make([]int32, n)
	done := make([]bool, n)
	for i := range t {
		t[i], par[i] = -1, -1
	}
	better := func(time int64, from int32, v int) bool {
		if t[v] < 0 || time < t[v] {
			return true
		}
		if time > t[v] {
			return false
		}
		if smallestWins {
			return from < par[v]
		}
		return from > par[v]
	}
	s := int(c.Sources[block])
	t[s] = 0
	for {
		u := -1
		for v := 0; v < n; v++ {
			if !done[v] && t[v] >= 0 && (u < 0 || t[v] < t[u]) {
				u = v
			}
		}
		if u < 0 {
			break
		}
		done[u] = true
		r := t[u]
		if u != s {
			r += P
		}
		ids, lat := c.Graph.Neighbors(u)
		k := int64(0)
		for i, w := range ids {
			if w == par[u] {
				continue
			}
			k++
			at := r + k*S + int64(lat[i])
			if !done[w] && better(at, int32(u), int(w)) {
				t[w], par[w] = at, int32(u)
			}
		}
	}
	return t
}

// TestTieStress pins the tie rule: on cases with whole-millisecond
// latencies the engine equals the oracle exactly, and on the larger one the
// reversed rule gives other times, so a wrong tie rule cannot pass.
func TestTieStress(t *testing.T) {
	gen, err := Generate(GenSpec{Nodes: 1000, K: 10, Blocks: 50, Seed: 7, WholeMs: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]*Case{"generated-n1000-whole-ms": &gen.Case}
	if dir := exampleDirOrEmpty(); dir != "" {
		c, err := LoadCase(dir)
		if err != nil {
			t.Fatal(err)
		}
		cases["example-n200-whole-ms"] = tieStress(t, c)
	}
	for name, tc := range cases {
		for _, v := range []Variant{VariantA, VariantB} {
			p := with(v)
			r, err := NewRunner(tc, p)
			if err != nil {
				t.Fatal(err)
			}
			differ := 0
			var arr []int64
			for b := range tc.Sources {
				arr, _, err = r.Block(b, arr)
				if err != nil {
					t.Fatal(err)
				}
				want := oracle(tc, p, b, true)
				for i := range want {
					if arr[i] != want[i] {
						t.Fatalf("%s variant %c block %d node %d: got %d, oracle %d", name, v, b, i, arr[i], want[i])
					}
				}
				rev := oracle(tc, p, b, false)
				for i := range rev {
					if rev[i] != want[i] {
						differ++
					}
				}
			}
			t.Logf("%s variant %c: the reversed tie rule moves %d arrivals", name, v, differ)
			if name == "generated-n1000-whole-ms" && v == VariantB && differ == 0 {
				t.Errorf("%s: the reversed tie rule gives the same times; the case does not stress ties", name)
			}
		}
	}
}

func exampleDirOrEmpty() string {
	if dir, ok := sharedtest.Find("benchmarks", "flood", "example-n200"); ok {
		return dir
	}
	return ""
}

// TestOracleMatchesExampleA checks the oracle itself on the reference file.
func TestOracleMatchesExampleA(t *testing.T) {
	dir := exampleDir(t)
	c, err := LoadCase(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "expected_B.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	want := oracle(c, with(VariantB), 0, true)
	for i := 0; sc.Scan() && i < c.Nodes; i++ {
		if line := fmt.Sprintf("0,%d,%d", i, want[i]); sc.Text() != line {
			t.Fatalf("oracle %q, expected file %q", line, sc.Text())
		}
	}
}

func TestLoadCaseErrors(t *testing.T) {
	write := func(files map[string]string) string {
		dir := t.TempDir()
		base := map[string]string{
			"case.txt":   "nodes=3\nedges=2\n",
			"edges.csv":  "a,b,latency_ms\n0,1,1.000\n1,2,2.000\n",
			"blocks.csv": "block,source\n0,2\n",
		}
		for k, v := range files {
			base[k] = v
		}
		for k, v := range base {
			if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	if _, err := LoadCase(write(nil)); err != nil {
		t.Fatalf("valid case: %v", err)
	}
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"no nodes":         {map[string]string{"case.txt": "k=3\n"}, "case.txt: field nodes: missing"},
		"bad nodes":        {map[string]string{"case.txt": "nodes=x\n"}, `field nodes: value "x"`},
		"edge count":       {map[string]string{"case.txt": "nodes=3\nedges=5\n"}, `field edges: value "5"`},
		"missing latency":  {map[string]string{"edges.csv": "a,b\n0,1\n"}, "edges.csv:1: field header"},
		"non-numeric":      {map[string]string{"edges.csv": "a,b,latency_ms\n0,1,x\n"}, `edges.csv:2: field latency_ms: value "x"`},
		"negative":         {map[string]string{"edges.csv": "a,b,latency_ms\n0,1,-1\n"}, `edges.csv:2: field latency_ms: value "-1"`},
		"out of range":     {map[string]string{"edges.csv": "a,b,latency_ms\n0,9,1\n"}, `edges.csv:2: field b: value "9": accepted a node id from 0 to 2`},
		"self-loop":        {map[string]string{"edges.csv": "a,b,latency_ms\n1,1,1\n"}, "edges.csv:2: field b"},
		"duplicate":        {map[string]string{"edges.csv": "a,b,latency_ms\n0,1,1\n1,0,1\n"}, "edges.csv:3: link 0-1: duplicate"},
		"block header":     {map[string]string{"blocks.csv": "id,src\n0,1\n"}, "blocks.csv:1: field header"},
		"source range":     {map[string]string{"blocks.csv": "block,source\n0,3\n"}, `blocks.csv:2: field source: value "3"`},
		"block order":      {map[string]string{"blocks.csv": "block,source\n1,0\n"}, `blocks.csv:2: field block: value "1"`},
		"no blocks":        {map[string]string{"blocks.csv": "block,source\n"}, "no blocks"},
		"missing case.txt": {map[string]string{"case.txt": ""}, "field nodes: missing"},
		"case.txt not k=v": {map[string]string{"case.txt": "nodes 3\n"}, "case.txt:1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadCase(write(c.files))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	bad := []Params{
		{Variant: 'C', Processing: time.Millisecond},
		{Variant: VariantA, Processing: 0},
		{Variant: VariantB, Processing: time.Millisecond, Serialisation: 1500 * time.Nanosecond},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
