package netmodel

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/internal/input"
)

// DefaultPingSize is the ping packet size whose rows ReadPings uses when
// the file has a size column: ping's default of 56 data bytes plus the
// 8-byte ICMP header. The benchmark cluster's pings were taken at 24, 64
// and 65515 bytes; its SOURCE-README.md recommends the default size.
const DefaultPingSize = 64

// Limits of a pings file, so hostile input gets an error, not an exhausted
// machine.
const (
	MaxPingsBytes = 1 << 30 // uncompressed
	MaxPingsRows  = 1 << 24
)

// Pings is a latency source built from measured round-trip times between
// named nodes (ping series, in both directions of a link or in one).
//
// The one-way delay of a measured pair {a, b} is half the median of every
// RTT sample of the pair at the chosen packet size, pooled over both
// directions, rounded to the microsecond: the median so that a few slow
// pings do not move it, pooled because ping measures a round trip, which
// is the same path whoever starts it. OneWay is symmetric.
//
// A pair without a measurement gets, when the file names both nodes'
// regions, the median one-way delay of the measured pairs between those
// two regions (each pair counted once); otherwise it has no path. Measured
// tells the two cases apart.
type Pings struct {
	n     int
	pairs []pingPair // sorted by key
	// region[i] indexes regions, -1 when node i's region is unknown.
	region  []int16
	regions []string
	// byRegion[r*len(regions)+q] is the fallback one-way delay in µs
	// between regions r and q, -1 when no pair between them was measured.
	byRegion []int32
}

type pingPair struct {
	key uint64 // min(a,b)<<32 | max(a,b)
	us  int32  // one-way, µs
}

func pingKey(a, b int) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

// N returns the number of nodes.
func (p *Pings) N() int { return p.n }

// Pairs returns the number of measured (unordered) pairs.
func (p *Pings) Pairs() int { return len(p.pairs) }

// Measured returns the one-way delay of a and b from their own pings, and
// false when the file has no ping between them at the chosen size.
func (p *Pings) Measured(a, b int) (time.Duration, bool) {
	if a == b {
		return 0, true
	}
	k := pingKey(a, b)
	i, ok := slices.BinarySearchFunc(p.pairs, k, func(e pingPair, k uint64) int {
		switch {
		case e.key < k:
			return -1
		case e.key > k:
			return 1
		}
		return 0
	})
	if !ok {
		return 0, false
	}
	return time.Duration(p.pairs[i].us) * time.Microsecond, true
}

// OneWay implements Latency: the measured delay, else the regions'
// fallback, else no path.
func (p *Pings) OneWay(a, b int) (time.Duration, bool) {
	if d, ok := p.Measured(a, b); ok {
		return d, true
	}
	r, q := p.region[a], p.region[b]
	if r < 0 || q < 0 {
		return 0, false
	}
	us := p.byRegion[int(r)*len(p.regions)+int(q)]
	if us < 0 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

// Region returns node i's region as the file names it, "" when unknown.
func (p *Pings) Region(i int) string {
	if p.region[i] < 0 {
		return ""
	}
	return p.regions[p.region[i]]
}

// ReadPingsFile reads a pings CSV (gzip-compressed when the name ends in
// .gz) for the nodes named by names (node i is names[i]); see ReadPings.
func ReadPingsFile(path string, names []string) (*Pings, error) {
	// input.Open caps the file and, for .gz, the decompressed stream.
	f, err := input.Open(path, MaxPingsBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadPings(f, path, names)
}

// ReadPings reads a pings CSV with a header naming its columns (any order,
// case-insensitive): source (or src), dest (or dst, destination), the RTT
// in milliseconds as rtt_ms (or time, as in the benchmark cluster's
// latency.csv), and optionally size (then only rows of DefaultPingSize
// count), source_region and dest_region (for unmeasured pairs). Node i is
// the node called names[i]; a row naming another node, a node with two
// regions, a pair of a node with itself, or an RTT that is not a finite
// number 0 … 10⁶ ms is an error naming the file, line and value. name
// labels errors.
func ReadPings(r io.Reader, name string, names []string) (*Pings, error) {
	ids := make(map[string]int, len(names))
	for i, s := range names {
		if _, dup := ids[s]; dup {
			return nil, fmt.Errorf("pings: node name %q given twice", s)
		}
		ids[s] = i
	}
	lr := &io.LimitedReader{R: r, N: MaxPingsBytes + 1}
	cr := csv.NewReader(lr)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:1: empty file; accepted: a CSV with a header source,dest,rtt_ms", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	head = slices.Clone(head) // ReuseRecord overwrites it
	col, err := pingColumns(head, name)
	if err != nil {
		return nil, err
	}
	region := make([]int16, len(names))
	for i := range region {
		region[i] = -1
	}
	var regions []string
	regionOf := func(s string) (int16, error) {
		if i := slices.Index(regions, s); i >= 0 {
			return int16(i), nil
		}
		if len(regions) >= 1000 {
			return 0, errors.New("more than 1000 regions; accepted: at most 1000")
		}
		regions = append(regions, s)
		return int16(len(regions) - 1), nil
	}
	var samples []pingSample
	rows := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w; accepted: a CSV with %d columns per row", name, err, len(head))
		}
		line, _ := cr.FieldPos(0)
		if rows++; rows > MaxPingsRows {
			return nil, fmt.Errorf("%s:%d: more than %d rows; accepted: at most %d", name, line, MaxPingsRows, MaxPingsRows)
		}
		if col.size >= 0 {
			size, err := strconv.Atoi(strings.TrimSpace(rec[col.size]))
			if err != nil {
				return nil, fmt.Errorf("%s:%d: size %q: accepted: an integer number of bytes", name, line, rec[col.size])
			}
			if size != DefaultPingSize {
				continue
			}
		}
		var end [2]int
		for k, c := range [2]int{col.src, col.dst} {
			s := strings.TrimSpace(rec[c])
			id, ok := ids[s]
			if !ok {
				return nil, fmt.Errorf("%s:%d: %s %q: not a node of the scenario; accepted: %s", name, line, head[c], s, nameHint(names))
			}
			end[k] = id
			if rc := col.region[k]; rc >= 0 {
				reg, err := regionOf(strings.TrimSpace(rec[rc]))
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %w", name, line, err)
				}
				switch {
				case region[id] < 0:
					region[id] = reg
				case region[id] != reg:
					return nil, fmt.Errorf("%s:%d: %s %q: node %s is in region %q on an earlier line; accepted: one region per node",
						name, line, head[rc], rec[rc], s, regions[region[id]])
				}
			}
		}
		if end[0] == end[1] {
			return nil, fmt.Errorf("%s:%d: ping from %s to itself; accepted: two different nodes", name, line, names[end[0]])
		}
		rtt, err := strconv.ParseFloat(strings.TrimSpace(rec[col.rtt]), 64)
		if err != nil || !(rtt >= 0 && rtt <= MaxLatencyMs) {
			return nil, fmt.Errorf("%s:%d: %s %q: accepted: a round-trip time in ms, 0 … %.0f", name, line, head[col.rtt], rec[col.rtt], MaxLatencyMs)
		}
		samples = append(samples, pingSample{pingKey(end[0], end[1]), rtt})
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%s: larger than %d bytes; accepted: a smaller file", name, MaxPingsBytes)
	}
	if len(samples) == 0 {
		msg := "no ping rows"
		if col.size >= 0 {
			msg = fmt.Sprintf("no ping of size %d", DefaultPingSize)
		}
		return nil, fmt.Errorf("%s: %s; accepted: at least one row", name, msg)
	}
	p := &Pings{n: len(names), region: region, regions: regions}
	slices.SortFunc(samples, func(a, b pingSample) int {
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.rtt, b.rtt)
	})
	rtts := make([]float64, 0, 256)
	for i := 0; i < len(samples); {
		j := i
		rtts = rtts[:0]
		for ; j < len(samples) && samples[j].key == samples[i].key; j++ {
			rtts = append(rtts, samples[j].rtt)
		}
		p.pairs = append(p.pairs, pingPair{key: samples[i].key, us: halfMedianUs(rtts)})
		i = j
	}
	p.fallback()
	return p, nil
}

type pingSample struct {
	key uint64
	rtt float64 // ms
}

// halfMedianUs returns half the median of the RTTs in ms (the mean of the
// two middle samples for an even count), in whole µs, rounded half away
// from zero. It sorts rtts.
func halfMedianUs(rtts []float64) int32 {
	slices.Sort(rtts)
	m := len(rtts) / 2
	med := rtts[m]
	if len(rtts)%2 == 0 {
		med = (rtts[m-1] + rtts[m]) / 2
	}
	return int32(math.Round(med * 1000 / 2))
}

// fallback fills byRegion with the median one-way delay per region pair.
func (p *Pings) fallback() {
	r := len(p.regions)
	p.byRegion = make([]int32, r*r)
	per := make([][]float64, r*r)
	for _, e := range p.pairs {
		a, b := p.region[e.key>>32], p.region[uint32(e.key)]
		if a < 0 || b < 0 {
			continue
		}
		// halfMedianUs halves ms into µs, so collect doubled one-way delays in ms.
		v := float64(e.us) * 2 / 1000
		per[int(a)*r+int(b)] = append(per[int(a)*r+int(b)], v)
		if a != b {
			per[int(b)*r+int(a)] = append(per[int(b)*r+int(a)], v)
		}
	}
	for i, v := range per {
		if len(v) == 0 {
			p.byRegion[i] = -1
			continue
		}
		p.byRegion[i] = halfMedianUs(v)
	}
}

type pingCols struct {
	src, dst, rtt, size int
	region              [2]int
}

// pingColumns finds the columns of a pings header.
func pingColumns(head []string, name string) (pingCols, error) {
	c := pingCols{src: -1, dst: -1, rtt: -1, size: -1, region: [2]int{-1, -1}}
	for i, h := range head {
		var at *int
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "source", "src":
			at = &c.src
		case "dest", "dst", "destination":
			at = &c.dst
		case "rtt_ms", "time":
			at = &c.rtt
		case "size":
			at = &c.size
		case "source_region":
			at = &c.region[0]
		case "dest_region":
			at = &c.region[1]
		default:
			continue // other columns are ignored
		}
		if *at >= 0 {
			return c, fmt.Errorf("%s:1: column %q given twice; accepted: each column once", name, h)
		}
		*at = i
	}
	if c.src < 0 || c.dst < 0 || c.rtt < 0 {
		return c, fmt.Errorf("%s:1: header %q: accepted: columns source, dest and rtt_ms (or time), optionally size, source_region, dest_region",
			name, strings.Join(head, ","))
	}
	if (c.region[0] < 0) != (c.region[1] < 0) {
		return c, fmt.Errorf("%s:1: header %q: accepted: both source_region and dest_region, or neither", name, strings.Join(head, ","))
	}
	return c, nil
}

// nameHint lists a few accepted node names for an error message.
func nameHint(names []string) string {
	const show = 3
	if len(names) <= show {
		return "one of " + strings.Join(names, ", ")
	}
	return fmt.Sprintf("one of %s, … (%d nodes)", strings.Join(names[:show], ", "), len(names))
}
