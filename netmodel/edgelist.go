package netmodel

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/internal/input"
)

// Limits on edge-list input, so a hostile file gets an error, not an
// exhausted machine.
const (
	MaxEdgeListNodes = 1 << 20
	MaxEdgeListEdges = 1 << 25
	MaxLatencyMs     = 1e6
	// MaxEdgeListFileBytes bounds an edge-list file: MaxEdgeListEdges
	// lines of about 30 bytes. A larger file is refused unread.
	MaxEdgeListFileBytes = 1 << 30
)

// EdgeList is an undirected graph with an optional one-way latency per link
// (the same in both directions), stored as compressed adjacency rows sorted
// by neighbour id: the flood model's adj(u) order, and a binary search for
// OneWay. Pairs that are not linked have no path.
type EdgeList struct {
	n       int
	off     []int32 // row u is nbr[off[u]:off[u+1]]
	nbr     []int32
	latUs   []int32 // -1 when the file had no latency column
	edges   int
	latency bool
}

// N returns the number of nodes.
func (e *EdgeList) N() int { return e.n }

// Edges returns the number of undirected links.
func (e *EdgeList) Edges() int { return e.edges }

// HasLatency reports whether the file gave a latency for every link.
func (e *EdgeList) HasLatency() bool { return e.latency }

// Neighbors returns u's neighbours in ascending id order and the one-way
// latency to each in microseconds (-1 when unknown). The slices alias the
// list's storage: callers must not modify them.
func (e *EdgeList) Neighbors(u int) (ids []int32, latUs []int32) {
	lo, hi := e.off[u], e.off[u+1]
	return e.nbr[lo:hi], e.latUs[lo:hi]
}

// Degree returns the number of u's neighbours.
func (e *EdgeList) Degree(u int) int { return int(e.off[u+1] - e.off[u]) }

// OneWay implements Latency: the link's latency, or no path when a and b
// are not linked or the list carries no latencies.
func (e *EdgeList) OneWay(a, b int) (time.Duration, bool) {
	if a == b {
		return 0, true
	}
	ids, lat := e.Neighbors(a)
	i := sort.Search(len(ids), func(i int) bool { return ids[i] >= int32(b) })
	if i == len(ids) || ids[i] != int32(b) || lat[i] < 0 {
		return 0, false
	}
	return time.Duration(lat[i]) * time.Microsecond, true
}

// Edge is one undirected link as read from a file.
type Edge struct {
	A, B  int32
	LatUs int32 // -1 when absent
}

// NewEdgeList builds the adjacency of n nodes from links. It returns an
// error for an id out of range, a self-loop or a duplicate link.
func NewEdgeList(n int, links []Edge) (*EdgeList, error) {
	if n < 1 || n > MaxEdgeListNodes {
		return nil, fmt.Errorf("node count %d: accepted 1 to %d", n, MaxEdgeListNodes)
	}
	e := &EdgeList{n: n, off: make([]int32, n+1), edges: len(links), latency: len(links) > 0}
	for _, l := range links {
		if l.A < 0 || int(l.A) >= n || l.B < 0 || int(l.B) >= n {
			return nil, fmt.Errorf("link %d-%d: node id out of range 0..%d", l.A, l.B, n-1)
		}
		if l.A == l.B {
			return nil, fmt.Errorf("link %d-%d: self-loop", l.A, l.B)
		}
		if l.LatUs < 0 {
			e.latency = false
		}
		e.off[l.A+1]++
		e.off[l.B+1]++
	}
	for u := 0; u < n; u++ {
		e.off[u+1] += e.off[u]
	}
	e.nbr = make([]int32, 2*len(links))
	e.latUs = make([]int32, 2*len(links))
	fill := append([]int32(nil), e.off[:n]...)
	for _, l := range links {
		e.nbr[fill[l.A]], e.latUs[fill[l.A]] = l.B, l.LatUs
		fill[l.A]++
		e.nbr[fill[l.B]], e.latUs[fill[l.B]] = l.A, l.LatUs
		fill[l.B]++
	}
	for u := 0; u < n; u++ {
		row := adjRow{e.nbr[e.off[u]:e.off[u+1]], e.latUs[e.off[u]:e.off[u+1]]}
		sort.Sort(row)
		for i := 1; i < len(row.ids); i++ {
			if row.ids[i] == row.ids[i-1] {
				return nil, fmt.Errorf("link %d-%d: duplicate", min(u, int(row.ids[i])), max(u, int(row.ids[i])))
			}
		}
	}
	return e, nil
}

type adjRow struct{ ids, lat []int32 }

func (r adjRow) Len() int           { return len(r.ids) }
func (r adjRow) Less(i, j int) bool { return r.ids[i] < r.ids[j] }
func (r adjRow) Swap(i, j int) {
	r.ids[i], r.ids[j] = r.ids[j], r.ids[i]
	r.lat[i], r.lat[j] = r.lat[j], r.lat[i]
}

// ReadEdgeListFile reads an edge list CSV of at most MaxEdgeListFileBytes
// (decompressed when the name ends in .gz); see ParseEdgeList.
func ReadEdgeListFile(path string, nodes int) (*EdgeList, error) {
	f, err := input.Open(path, MaxEdgeListFileBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseEdgeList(f, path, nodes)
}

// ParseEdgeList reads an undirected edge list: a header `a,b` or
// `a,b,latency_ms`, then one link per line with node ids and, with the
// latency column, the one-way latency in milliseconds (rounded to the
// microsecond). nodes is the node count, or 0 to use the largest id + 1.
// Errors name the file, line, field, value and what is accepted.
func ParseEdgeList(r io.Reader, name string, nodes int) (*EdgeList, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	lineNo := 0
	bad := func(field, value, accepted string) error {
		return fmt.Errorf("%s:%d: field %s: value %q: accepted %s", name, lineNo, field, value, accepted)
	}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s:1: empty file: accepted a header `a,b` or `a,b,latency_ms` and one link per line", name)
	}
	lineNo = 1
	header := strings.Split(strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff")), ",")
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	withLatency := false
	switch {
	case len(header) == 2 && header[0] == "a" && header[1] == "b":
	case len(header) == 3 && header[0] == "a" && header[1] == "b" && header[2] == "latency_ms":
		withLatency = true
	default:
		return nil, bad("header", strings.Join(header, ","), "`a,b` or `a,b,latency_ms`")
	}
	maxID := int64(-1)
	var links []Edge
	var lines []int // file line of each link, for error messages
	limit := int64(MaxEdgeListNodes - 1)
	if nodes > 0 {
		limit = int64(nodes - 1)
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		cols := strings.Split(line, ",")
		if len(cols) != len(header) {
			return nil, bad("row", line, fmt.Sprintf("%d comma-separated columns (%s)", len(header), strings.Join(header, ",")))
		}
		var ids [2]int32
		for i := 0; i < 2; i++ {
			s := strings.TrimSpace(cols[i])
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 || v > limit {
				return nil, bad(header[i], s, fmt.Sprintf("a node id from 0 to %d", limit))
			}
			ids[i] = int32(v)
			maxID = max(maxID, v)
		}
		if ids[0] == ids[1] {
			return nil, bad("b", cols[1], "a node other than a (no self-loops)")
		}
		lat := int32(-1)
		if withLatency {
			s := strings.TrimSpace(cols[2])
			ms, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(ms) || ms < 0 || ms > MaxLatencyMs {
				return nil, bad("latency_ms", s, fmt.Sprintf("a number of milliseconds from 0 to %g", MaxLatencyMs))
			}
			lat = int32(math.Round(ms * 1000))
		}
		if len(links) >= MaxEdgeListEdges {
			return nil, bad("row", line, fmt.Sprintf("at most %d links", MaxEdgeListEdges))
		}
		links = append(links, Edge{A: ids[0], B: ids[1], LatUs: lat})
		lines = append(lines, lineNo)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, lineNo+1, err)
	}
	if nodes <= 0 {
		nodes = int(maxID + 1)
		if nodes < 1 {
			return nil, fmt.Errorf("%s: no links: accepted at least one link when the node count is not given", name)
		}
	}
	el, err := NewEdgeList(nodes, links)
	if err != nil {
		// Only duplicates can fail here; find the line of the second copy.
		return nil, fmt.Errorf("%s:%d: %w: accepted each undirected link once", name, lines[duplicateIndex(links)], err)
	}
	if !withLatency {
		el.latency = false
	}
	return el, nil
}

// duplicateIndex returns the index of the first link that repeats an
// earlier one (in either direction).
func duplicateIndex(links []Edge) int {
	seen := make(map[[2]int32]bool, len(links))
	for i, l := range links {
		k := [2]int32{min(l.A, l.B), max(l.A, l.B)}
		if seen[k] {
			return i
		}
		seen[k] = true
	}
	return 0
}
