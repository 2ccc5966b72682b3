package flood

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dpsim/dpsim/internal/atomicfile"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/sim"
)

// GenSpec is what a generated case is made from (MODEL.md §2).
type GenSpec struct {
	Nodes, K, Blocks int
	Seed             uint64
	// WholeMs rounds every latency to a whole millisecond, which makes the
	// tie-stress variant of a case (MODEL.md §6).
	WholeMs bool
}

// Generated is a generated case with the node placement it came from.
type Generated struct {
	Case
	Spec   GenSpec
	Lat    []float64
	Lon    []float64
	Region []string
}

// Region weights, centres and spreads of MODEL.md §2 step 1–2.
var genRegions = []struct {
	name                   string
	weight                 float64
	lat, lon, sdLat, sdLon float64
}{
	{"NA", .35, 40, -95, 5, 10},
	{"EU", .40, 50, 10, 4, 8},
	{"AS", .15, 30, 115, 6, 10},
	{"OC", .05, -30, 145, 4, 6},
	{"SA", .03, -15, -55, 6, 6},
	{"AF", .02, 5, 20, 8, 8},
}

// Validate checks the spec's ranges.
func (g GenSpec) Validate() error {
	switch {
	case g.Nodes < 2 || g.Nodes > 200_000:
		return fmt.Errorf("nodes %d: accepted 2 to 200000", g.Nodes)
	case g.K < 1 || g.K > g.Nodes-1:
		return fmt.Errorf("k %d: accepted 1 to nodes-1 (%d)", g.K, g.Nodes-1)
	case g.Blocks < 1 || g.Blocks > g.Nodes:
		return fmt.Errorf("blocks %d: accepted 1 to nodes (%d): sources are distinct", g.Blocks, g.Nodes)
	}
	return nil
}

// Generate makes a case by the steps of MODEL.md §2, in its order, from
// one stream derived from spec.Seed.
func Generate(spec GenSpec) (*Generated, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rng := sim.Derive(spec.Seed, "flood.generate", 0)
	n := spec.Nodes
	g := &Generated{Spec: spec, Lat: make([]float64, n), Lon: make([]float64, n), Region: make([]string, n)}
	regionOf := make([]int, n)
	for i := range regionOf {
		x, acc := rng.Float64(), 0.0
		regionOf[i] = len(genRegions) - 1
		for r, reg := range genRegions {
			if acc += reg.weight; x < acc {
				regionOf[i] = r
				break
			}
		}
	}
	for i, r := range regionOf {
		reg := genRegions[r]
		lat := math.Max(-89, math.Min(89, reg.lat+rng.NormFloat64()*reg.sdLat))
		lon := math.Mod(reg.lon+rng.NormFloat64()*reg.sdLon+180, 360)
		if lon < 0 {
			lon += 360
		}
		g.Lat[i], g.Lon[i], g.Region[i] = round4(lat), round4(lon-180), reg.name
	}
	linked := make(map[[2]int32]bool, n*spec.K)
	var links []netmodel.Edge
	for i := 0; i < n; i++ {
		for _, p := range choose(rng, n-1, spec.K) {
			if p >= i {
				p++
			}
			a, b := int32(min(i, p)), int32(max(i, p))
			if !linked[[2]int32{a, b}] {
				linked[[2]int32{a, b}] = true
				links = append(links, netmodel.Edge{A: a, B: b})
			}
		}
	}
	for k := range links {
		km := netmodel.GreatCircleKm(g.Lat[links[k].A], g.Lon[links[k].A], g.Lat[links[k].B], g.Lon[links[k].B])
		us := math.Round((km/200*1.5 + 2) * 1000)
		if spec.WholeMs {
			us = math.Round(us/1000) * 1000
		}
		links[k].LatUs = int32(us)
	}
	graph, err := netmodel.NewEdgeList(n, links)
	if err != nil {
		return nil, err
	}
	src := choose(rng, n, spec.Blocks)
	g.Case = Case{Nodes: n, Graph: graph, Sources: make([]int32, len(src))}
	for i, s := range src {
		g.Sources[i] = int32(s)
	}
	return g, nil
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// choose draws k distinct values from 0..n-1 (a partial Fisher–Yates).
func choose(rng *rand.Rand, n, k int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k; i++ {
		j := i + rng.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:k]
}

// Components counts the connected components of the case's graph.
func (c *Case) Components() int {
	seen := make([]bool, c.Nodes)
	comps := 0
	var stack []int32
	for s := 0; s < c.Nodes; s++ {
		if seen[s] {
			continue
		}
		comps++
		seen[s] = true
		stack = append(stack[:0], int32(s))
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			ids, _ := c.Graph.Neighbors(int(u))
			for _, w := range ids {
				if !seen[w] {
					seen[w] = true
					stack = append(stack, w)
				}
			}
		}
	}
	return comps
}

// Write saves the case in the model's file layout (latency.csv only for
// N ≤ 2000, as MODEL.md §2 says) into dir, which it creates.
func (g *Generated) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	n := g.Nodes
	files := []struct {
		name string
		fill func(w *bufio.Writer)
	}{
		{"case.txt", func(w *bufio.Writer) {
			fmt.Fprintf(w, "nodes=%d\nk=%d\nblocks=%d\nseed=%d\nedges=%d\ncomponents=%d\n",
				n, g.Spec.K, len(g.Sources), g.Spec.Seed, g.Graph.Edges(), g.Components())
		}},
		{"nodes.csv", func(w *bufio.Writer) {
			w.WriteString("id,lat,lon,region\n")
			for i := 0; i < n; i++ {
				fmt.Fprintf(w, "%d,%.4f,%.4f,%s\n", i, g.Lat[i], g.Lon[i], g.Region[i])
			}
		}},
		{"edges.csv", func(w *bufio.Writer) {
			w.WriteString("a,b,latency_ms\n")
			for u := 0; u < n; u++ {
				ids, lat := g.Graph.Neighbors(u)
				for i, v := range ids {
					if int32(u) < v {
						fmt.Fprintf(w, "%d,%d,%s\n", u, v, msFromUs(int64(lat[i])))
					}
				}
			}
		}},
		{"blocks.csv", func(w *bufio.Writer) {
			w.WriteString("block,source\n")
			for b, s := range g.Sources {
				fmt.Fprintf(w, "%d,%d\n", b, s)
			}
		}},
	}
	if n <= 2000 {
		files = append(files, struct {
			name string
			fill func(w *bufio.Writer)
		}{"latency.csv", func(w *bufio.Writer) {
			for a := 0; a < n; a++ {
				for b := 0; b < n; b++ {
					if b > 0 {
						w.WriteByte(',')
					}
					us := int64(0)
					if a != b {
						km := netmodel.GreatCircleKm(g.Lat[a], g.Lon[a], g.Lat[b], g.Lon[b])
						us = int64(math.Round((km/200*1.5 + 2) * 1000))
						if g.Spec.WholeMs {
							us = (us + 500) / 1000 * 1000
						}
					}
					w.WriteString(msFromUs(us))
				}
				w.WriteByte('\n')
			}
		}})
	}
	for _, f := range files {
		fill := f.fill
		err := atomicfile.Write(filepath.Join(dir, f.name), func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 1<<16)
			fill(bw)
			return bw.Flush()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// msFromUs formats whole µs as ms with exactly 3 decimals.
func msFromUs(us int64) string {
	return strconv.FormatInt(us/1000, 10) + "." + fmt.Sprintf("%03d", us%1000)
}
