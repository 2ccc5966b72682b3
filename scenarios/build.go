package scenarios

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// Run is a built, runnable simulation: the one place where a scenario, a
// seed and the packages meet.
type Run struct {
	Scenario *Scenario
	Seed     uint64
	World    *sim.World
	Latency  netmodel.Latency
	Peers    [][]int32
	Class    []string  // class name per node
	Stake    []float64 // relative stake per node (0 for non-producers)
}

// Build turns a validated scenario into a run for seed, reporting
// observations to obs. Nodes are numbered class by class in the order the
// scenario lists the classes. Every random choice comes from a stream
// derived from seed, one per purpose and node.
func Build(s *Scenario, seed uint64, obs sim.Observer) (*Run, error) {
	if probs := Validate(s); len(probs) > 0 {
		return nil, probs
	}
	n := s.Nodes.Count
	r := &Run{Scenario: s, Seed: seed}
	var err error
	if r.Latency, err = buildLatency(s, seed); err != nil {
		return nil, err
	}
	if s.Topology.Model != TopologyP2P {
		if r.Peers, err = buildTopology(s, seed); err != nil {
			return nil, err
		}
	}
	var producers []int32
	for _, c := range s.Nodes.Classes {
		for i := 0; i < c.Count; i++ {
			if c.Producer {
				producers = append(producers, int32(len(r.Class)))
			}
			r.Class = append(r.Class, c.Name)
		}
	}
	stakes, err := buildStake(s, seed, len(producers))
	if err != nil {
		return nil, err
	}
	r.Stake = make([]float64, n)
	streams := make([]*rand.Rand, len(producers))
	for i, p := range producers {
		r.Stake[p] = stakes[i]
		streams[i] = sim.Derive(seed, "praos", uint64(p))
	}
	sched, err := node.NewLeaderSchedule(producers, stakes, s.Blocks.ActiveSlotCoeff, streams)
	if err != nil {
		return nil, s.errorAt("nodes.stake", err)
	}
	bps := int64(math.Round(s.Network.BandwidthMbps * 1e6))
	var p2p *sim.P2PConfig
	if s.Topology.Model == TopologyP2P {
		if p2p, err = buildP2P(s, seed, r); err != nil {
			return nil, err
		}
	}
	r.World, err = sim.NewWorld(sim.WorldConfig{
		Slot:          s.Blocks.Slot,
		ForgeDelay:    s.Blocks.ForgeDelay,
		BodyBytes:     int64(s.Blocks.BodyBytes),
		BitsPerSecond: bps,
		Relay:         node.RelayConfig{HeaderValidation: s.Blocks.HeaderValidation, BodyValidation: s.Blocks.BodyValidation},
		Jitter:        netmodel.Jitter{Fraction: s.Network.Jitter},
		Seed:          seed,
		P2P:           p2p,
	}, r.Latency, r.Peers, sched, obs)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Execute runs the simulation to the scenario's duration, calling progress
// (if not nil) after every simulated minute.
func (r *Run) Execute(progress func(now clock.Time, blocks int, events uint64)) error {
	end := clock.Time(r.Scenario.Duration)
	step := clock.Time(time.Minute)
	for t := min(step, end); ; t = min(t+step, end) {
		if err := r.World.RunUntil(t); err != nil {
			return fmt.Errorf("%s: run stopped: %w", r.Scenario.Path, err)
		}
		if progress != nil {
			progress(t, r.World.Chain.Len(), r.World.Eng.Executed())
		}
		if t == end {
			break
		}
	}
	r.World.Finish()
	return nil
}

// errorAt points an error at a field of the scenario file.
func (s *Scenario) errorAt(field string, err error) error {
	p, _ := s.Position(field)
	return Problems{{File: s.Path, Line: p.Line, Col: p.Col, Field: field, Msg: err.Error()}}
}

func buildLatency(s *Scenario, seed uint64) (netmodel.Latency, error) {
	n := s.Nodes.Count
	l := s.Network.Latency
	switch l.Model {
	case LatencyGeo:
		g, err := netmodel.NewGeo(n, sim.Derive(seed, "geo", 0), netmodel.DefaultGeoParams())
		if err != nil {
			return nil, s.errorAt("network.latency", err)
		}
		return g, nil
	case LatencyMatrix:
		m, err := netmodel.ReadMatrixCSV(l.File.Resolved)
		if err != nil {
			return nil, s.errorAt("network.latency.file", err)
		}
		if m.N() != n {
			return nil, s.errorAt("network.latency.file", fmt.Errorf("%s has %d nodes: accepted a matrix of nodes.count = %d", l.File.Raw, m.N(), n))
		}
		return m, nil
	case LatencyEdges:
		e, err := netmodel.ReadEdgeListFile(l.File.Resolved, n)
		if err != nil {
			return nil, s.errorAt("network.latency.file", err)
		}
		if !e.HasLatency() {
			return nil, s.errorAt("network.latency.file", fmt.Errorf("%s has no latency_ms column: accepted a header a,b,latency_ms", l.File.Raw))
		}
		return e, nil
	}
	return nil, s.errorAt("network.latency.model", fmt.Errorf("unknown model %q", l.Model))
}

// buildTopology returns each node's relay peers in ascending order. Links
// are undirected: a node relays to and from each of its peers.
func buildTopology(s *Scenario, seed uint64) ([][]int32, error) {
	n := s.Nodes.Count
	peers := make([][]int32, n)
	switch s.Topology.Model {
	case TopologyRandom:
		k := s.Topology.Degree
		for i := 0; i < n; i++ {
			rng := sim.Derive(seed, "topology", uint64(i))
			for _, j := range rng.Perm(n - 1)[:k] {
				if j >= i {
					j++
				}
				peers[i] = append(peers[i], int32(j))
				peers[j] = append(peers[j], int32(i))
			}
		}
	case TopologyEdges:
		e, err := netmodel.ReadEdgeListFile(s.Topology.File.Resolved, n)
		if err != nil {
			return nil, s.errorAt("topology.file", err)
		}
		for i := 0; i < n; i++ {
			ids, _ := e.Neighbors(i)
			peers[i] = append([]int32(nil), ids...)
		}
	default:
		return nil, s.errorAt("topology.model", fmt.Errorf("unknown model %q", s.Topology.Model))
	}
	for i := range peers {
		slices.Sort(peers[i])
		peers[i] = slices.Compact(peers[i])
	}
	return peers, nil
}

// buildStake returns the stake of each of p producers.
func buildStake(s *Scenario, seed uint64, p int) ([]float64, error) {
	out := make([]float64, p)
	switch st := s.Nodes.Stake; st.Distribution {
	case StakeUniform:
		for i := range out {
			out[i] = 1
		}
	case StakePareto:
		for i := range out {
			u := 1 - sim.Derive(seed, "stake", uint64(i)).Float64() // (0, 1]
			out[i] = math.Pow(u, -1/st.ParetoAlpha)                 // Pareto with x_min = 1
		}
	case StakeFile:
		all, err := readStakeFile(st.File.Resolved, st.File.Raw)
		if err != nil {
			return nil, s.errorAt("nodes.stake.file", err)
		}
		// Quantile sampling keeps the file's distribution whatever the
		// producer count: producer i gets the stake at rank (i+½)·M/p of
		// the file's stakes sorted from largest to smallest.
		slices.SortFunc(all, func(a, b float64) int { return -cmpFloat(a, b) })
		for i := range out {
			out[i] = all[int((float64(i)+0.5)*float64(len(all))/float64(p))]
		}
		perm := sim.Derive(seed, "stake", 0).Perm(p)
		shuffled := make([]float64, p)
		for i, j := range perm {
			shuffled[j] = out[i]
		}
		out = shuffled
	default:
		return nil, s.errorAt("nodes.stake.distribution", fmt.Errorf("unknown distribution %q", st.Distribution))
	}
	return out, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// readStakeFile reads the stake column of a CSV (optionally gzipped): the
// first column whose header contains "stake" (case-insensitive), preferring
// one that names lovelace, e.g. the mainnet export
// `Epoch,Pool,Stake [Lovelace],Stake [Fraction]`. Pools with zero stake are
// skipped.
func readStakeFile(path, name string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(io.LimitReader(r, 256<<20))
	if !sc.Scan() {
		return nil, fmt.Errorf("%s:1: empty file: accepted a CSV with a header naming a stake column", name)
	}
	col := -1
	for i, h := range strings.Split(sc.Text(), ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if strings.Contains(h, "stake") && (col < 0 || strings.Contains(h, "lovelace")) {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s:1: header %q: accepted a header with a column named like \"stake\"", name, sc.Text())
	}
	var out []float64
	for line := 2; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), ",")
		if col >= len(cols) {
			return nil, fmt.Errorf("%s:%d: row %q: accepted at least %d columns", name, line, sc.Text(), col+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[col]), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%s:%d: stake %q: accepted a finite number ≥ 0", name, line, cols[col])
		}
		if v > 0 {
			out = append(out, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no pool with stake > 0", name)
	}
	return out, nil
}
