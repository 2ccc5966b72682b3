package flood

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
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

// Limits of a case folder's files, so a hostile case gets an error, not
// an exhausted machine; edges.csv has netmodel's edge-list limits.
const (
	// MaxCaseTxtBytes bounds case.txt, a handful of key=value lines.
	MaxCaseTxtBytes = 64 << 10
	// MaxBlocks bounds the rows of blocks.csv (MODEL.md's cases have 50).
	MaxBlocks = 1 << 20
	// MaxBlocksBytes bounds blocks.csv.
	MaxBlocksBytes = 64 << 20
)

// LoadCase reads case.txt (for the node count), edges.csv and blocks.csv
// from dir. Every problem is an error naming the file and line; a file
// over its limit (MaxCaseTxtBytes, netmodel.MaxEdgeListFileBytes,
// MaxBlocksBytes) is refused unread.
func LoadCase(dir string) (*Case, error) {
	limits := map[string]int64{
		"case.txt":   MaxCaseTxtBytes,
		"edges.csv":  netmodel.MaxEdgeListFileBytes,
		"blocks.csv": MaxBlocksBytes,
	}
	return loadCase(dir, func(name string) (io.ReadCloser, error) {
		return input.Open(filepath.Join(dir, name), limits[name])
	})
}

// loadCase reads a case through open, which opens one of the case's files
// by name; errors name the files as filepath.Join(dir, name).
func loadCase(dir string, open func(name string) (io.ReadCloser, error)) (*Case, error) {
	casePath := filepath.Join(dir, "case.txt")
	info, err := readWith(open, "case.txt", func(r io.Reader) (map[string]string, error) { return parseCaseTxt(r, casePath) })
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(info["nodes"])
	if err != nil || n < 1 || n > netmodel.MaxEdgeListNodes {
		return nil, fmt.Errorf("%s: field nodes: value %q: accepted a whole number from 1 to %d",
			casePath, clip(info["nodes"]), netmodel.MaxEdgeListNodes)
	}
	edgesPath := filepath.Join(dir, "edges.csv")
	g, err := readWith(open, "edges.csv", func(r io.Reader) (*netmodel.EdgeList, error) { return netmodel.ParseEdgeList(r, edgesPath, n) })
	if err != nil {
		return nil, err
	}
	if !g.HasLatency() {
		return nil, fmt.Errorf("%s:1: field header: accepted `a,b,latency_ms` (the flood model needs a latency per link)", edgesPath)
	}
	if e, ok := info["edges"]; ok && e != strconv.Itoa(g.Edges()) {
		return nil, fmt.Errorf("%s: field edges: value %q: accepted the link count of edges.csv, %d",
			casePath, clip(e), g.Edges())
	}
	blocksPath := filepath.Join(dir, "blocks.csv")
	src, err := readWith(open, "blocks.csv", func(r io.Reader) ([]int32, error) { return parseBlocks(r, blocksPath, n) })
	if err != nil {
		return nil, err
	}
	return &Case{Dir: dir, Nodes: n, Graph: g, Sources: src}, nil
}

// readWith opens name and parses it.
func readWith[T any](open func(string) (io.ReadCloser, error), name string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := open(name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

// clip shortens a bad value quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// scanError reports a bufio.Scanner failure at line of path.
func scanError(path string, line int, err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("%s:%d: line longer than %d bytes: accepted shorter lines", path, line, bufio.MaxScanTokenSize)
	}
	return fmt.Errorf("%s:%d: %w", path, line, err)
}

// parseCaseTxt reads key=value lines; path labels errors.
func parseCaseTxt(r io.Reader, path string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: value %q: accepted key=value lines", path, line, clip(s))
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, scanError(path, line+1, err)
	}
	if _, ok := out["nodes"]; !ok {
		return nil, fmt.Errorf("%s: field nodes: missing: accepted a line nodes=N", path)
	}
	return out, nil
}

// parseBlocks reads `block,source` rows, at most MaxBlocks; block ids must
// be 0..B-1 in order and sources node ids below n. path labels errors.
func parseBlocks(r io.Reader, path string, n int) ([]int32, error) {
	sc := bufio.NewScanner(r)
	line := 0
	var src []int32
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if line == 1 {
			if s != "block,source" {
				return nil, fmt.Errorf("%s:1: field header: value %q: accepted `block,source`", path, clip(s))
			}
			continue
		}
		if s == "" {
			continue
		}
		cols := strings.Split(s, ",")
		if len(cols) != 2 {
			return nil, fmt.Errorf("%s:%d: field row: value %q: accepted 2 columns block,source", path, line, clip(s))
		}
		b, err := strconv.Atoi(strings.TrimSpace(cols[0]))
		if err != nil || b != len(src) {
			return nil, fmt.Errorf("%s:%d: field block: value %q: accepted %d (block ids count up from 0)", path, line, clip(cols[0]), len(src))
		}
		v, err := strconv.Atoi(strings.TrimSpace(cols[1]))
		if err != nil || v < 0 || v >= n {
			return nil, fmt.Errorf("%s:%d: field source: value %q: accepted a node id from 0 to %d", path, line, clip(cols[1]), n-1)
		}
		if len(src) == MaxBlocks {
			return nil, fmt.Errorf("%s:%d: field block: more than %d blocks: accepted at most %d rows", path, line, MaxBlocks, MaxBlocks)
		}
		src = append(src, int32(v))
	}
	if err := sc.Err(); err != nil {
		return nil, scanError(path, line+1, err)
	}
	if len(src) == 0 {
		return nil, fmt.Errorf("%s: no blocks: accepted at least one row block,source", path)
	}
	return src, nil
}
