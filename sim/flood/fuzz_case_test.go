package flood

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/internal/input"
)

// memCase opens a case's files from memory.
func memCase(files map[string][]byte) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		b, ok := files[name]
		if !ok {
			return nil, &os.PathError{Op: "open", Path: filepath.Join("fz", name), Err: os.ErrNotExist}
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
}

// FuzzFloodCase checks that reading a flood case never panics or hangs,
// that every error names one of the case's files, and that an accepted
// case is consistent: sources are node ids, the graph has the case's node
// count and a latency per link, and (for small cases) flooding the first
// block reaches the source at 0 and each of its neighbours.
func FuzzFloodCase(f *testing.F) {
	f.Add([]byte("nodes=3\nedges=2\n"), []byte("a,b,latency_ms\n0,1,1.000\n1,2,2.000\n"), []byte("block,source\n0,2\n"))
	f.Add([]byte("# generated\nnodes = 4\nk=1\n"), []byte("a,b,latency_ms\r\n0,3,0.5\r\n"), []byte("block,source\n0,0\n1,3\n\n"))
	f.Add([]byte("nodes=1048577\n"), []byte("a,b,latency_ms\n"), []byte("block,source\n0,0\n"))
	f.Add([]byte("nodes=2\nedges=x\n"), []byte("a,b\n0,1\n"), []byte("block,source\n0,1\n"))
	f.Add([]byte("nodes=2\n"), []byte("a,b,latency_ms\n0,1,1\n"), []byte("block,source\n1,1\n"))
	f.Add([]byte("nodes\n"), []byte(""), []byte(""))
	f.Fuzz(func(t *testing.T, caseTxt, edges, blocks []byte) {
		c, err := loadCase("fz", memCase(map[string][]byte{"case.txt": caseTxt, "edges.csv": edges, "blocks.csv": blocks}))
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, filepath.Join("fz", "case.txt")) && !strings.Contains(msg, filepath.Join("fz", "edges.csv")) &&
				!strings.Contains(msg, filepath.Join("fz", "blocks.csv")) {
				t.Fatalf("error %q names none of the case's files", msg)
			}
			return
		}
		if c.Nodes < 1 || c.Graph.N() != c.Nodes || !c.Graph.HasLatency() || len(c.Sources) == 0 || len(c.Sources) > MaxBlocks {
			t.Fatalf("inconsistent case: %d nodes, graph of %d, latency %v, %d blocks", c.Nodes, c.Graph.N(), c.Graph.HasLatency(), len(c.Sources))
		}
		for b, s := range c.Sources {
			if s < 0 || int(s) >= c.Nodes {
				t.Fatalf("block %d: source %d of %d nodes", b, s, c.Nodes)
			}
		}
		if c.Nodes > 64 || c.Graph.Edges() > 256 {
			return
		}
		r, err := NewRunner(c, Params{Variant: VariantB, Processing: time.Millisecond, Serialisation: time.Millisecond})
		if err != nil {
			t.Fatalf("runner for an accepted case: %v", err)
		}
		arr, _, err := r.Block(0, nil)
		if err != nil {
			t.Fatalf("block 0: %v", err)
		}
		src := c.Sources[0]
		if len(arr) != c.Nodes || arr[src] != 0 {
			t.Fatalf("arrivals %v: want %d nodes and 0 at source %d", arr, c.Nodes, src)
		}
		ids, _ := c.Graph.Neighbors(int(src))
		for _, v := range ids {
			if arr[v] == Unreached {
				t.Fatalf("neighbour %d of source %d unreached: %v", v, src, arr)
			}
		}
	})
}

// TestLoadCaseLimits checks the refusals of the file-level limits: a file
// over its byte limit is refused unread, naming the file and the limit,
// and too many blocks name the line.
func TestLoadCaseLimits(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"case.txt":   "nodes=2\n",
		"edges.csv":  "a,b,latency_ms\n0,1,1\n",
		"blocks.csv": "block,source\n0,0\n",
	}
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadCase(dir); err != nil {
		t.Fatalf("valid case: %v", err)
	}
	grow := func(name string, size int64) {
		if err := os.Truncate(filepath.Join(dir, name), size); err != nil {
			t.Skipf("cannot grow %s: %v", name, err)
		}
	}
	grow("case.txt", MaxCaseTxtBytes+1)
	_, err := LoadCase(dir)
	var le *input.LimitError
	if !errors.As(err, &le) || le.Limit != MaxCaseTxtBytes || !strings.Contains(err.Error(), "case.txt") {
		t.Fatalf("big case.txt: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "case.txt"), []byte(files["case.txt"]), 0o644)
	grow("blocks.csv", MaxBlocksBytes+1)
	if _, err := LoadCase(dir); !errors.As(err, &le) || le.Limit != MaxBlocksBytes || !strings.Contains(err.Error(), "blocks.csv") {
		t.Fatalf("big blocks.csv: %v", err)
	}
	var b strings.Builder
	b.WriteString("block,source\n")
	for i := range MaxBlocks + 1 {
		b.WriteString(strconv.Itoa(i) + ",0\n")
	}
	_, err = parseBlocks(strings.NewReader(b.String()), "blocks.csv", 2)
	if err == nil || !strings.Contains(err.Error(), "blocks.csv:1048578: field block: more than 1048576 blocks") {
		t.Fatalf("too many blocks: %v", err)
	}
	_, err = parseCaseTxt(strings.NewReader("nodes="+strings.Repeat("1", 70000)), "case.txt")
	if err == nil || !strings.Contains(err.Error(), "case.txt:1: line longer than") {
		t.Fatalf("long line: %v", err)
	}
}
