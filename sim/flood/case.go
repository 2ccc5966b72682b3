package flood

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/netmodel"
)

// Case is one benchmark case: an undirected graph with a latency per link
// and the source node of each block.
type Case struct {
	Dir     string
	Nodes   int
	Graph   *netmodel.EdgeList
	Sources []int32
}

// LoadCase reads case.txt (for the node count), edges.csv and blocks.csv
// from dir. Every problem is an error naming the file and line.
func LoadCase(dir string) (*Case, error) {
	info, err := readCaseTxt(filepath.Join(dir, "case.txt"))
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(info["nodes"])
	if err != nil || n < 1 || n > netmodel.MaxEdgeListNodes {
		return nil, fmt.Errorf("%s: field nodes: value %q: accepted a whole number from 1 to %d",
			filepath.Join(dir, "case.txt"), info["nodes"], netmodel.MaxEdgeListNodes)
	}
	edgesPath := filepath.Join(dir, "edges.csv")
	g, err := netmodel.ReadEdgeListFile(edgesPath, n)
	if err != nil {
		return nil, err
	}
	if !g.HasLatency() {
		return nil, fmt.Errorf("%s:1: field header: accepted `a,b,latency_ms` (the flood model needs a latency per link)", edgesPath)
	}
	if e, ok := info["edges"]; ok && e != strconv.Itoa(g.Edges()) {
		return nil, fmt.Errorf("%s: field edges: value %q: accepted the link count of edges.csv, %d",
			filepath.Join(dir, "case.txt"), e, g.Edges())
	}
	src, err := readBlocks(filepath.Join(dir, "blocks.csv"), n)
	if err != nil {
		return nil, err
	}
	return &Case{Dir: dir, Nodes: n, Graph: g, Sources: src}, nil
}

// readCaseTxt reads key=value lines.
func readCaseTxt(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: value %q: accepted key=value lines", path, line, s)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if _, ok := out["nodes"]; !ok {
		return nil, fmt.Errorf("%s: field nodes: missing: accepted a line nodes=N", path)
	}
	return out, nil
}

// readBlocks reads `block,source` rows; block ids must be 0..B-1 in order.
func readBlocks(path string, n int) ([]int32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	var src []int32
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if line == 1 {
			if s != "block,source" {
				return nil, fmt.Errorf("%s:1: field header: value %q: accepted `block,source`", path, s)
			}
			continue
		}
		if s == "" {
			continue
		}
		cols := strings.Split(s, ",")
		if len(cols) != 2 {
			return nil, fmt.Errorf("%s:%d: field row: value %q: accepted 2 columns block,source", path, line, s)
		}
		b, err := strconv.Atoi(strings.TrimSpace(cols[0]))
		if err != nil || b != len(src) {
			return nil, fmt.Errorf("%s:%d: field block: value %q: accepted %d (block ids count up from 0)", path, line, cols[0], len(src))
		}
		v, err := strconv.Atoi(strings.TrimSpace(cols[1]))
		if err != nil || v < 0 || v >= n {
			return nil, fmt.Errorf("%s:%d: field source: value %q: accepted a node id from 0 to %d", path, line, cols[1], n-1)
		}
		src = append(src, int32(v))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(src) == 0 {
		return nil, fmt.Errorf("%s: no blocks: accepted at least one row block,source", path)
	}
	return src, nil
}
