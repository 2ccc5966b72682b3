package scenarios

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

// Run is a built, runnable simulation: the one place where a scenario, a
// seed and the packages meet.
type Run struct {
	Scenario *Scenario
	Seed     uint64
	World    *world.World
	Latency  netmodel.Latency
	Peers    [][]int32
	Class    []string  // class name per node
	Stake    []float64 // relative stake per node (0 for non-producers)

	files *nodeFiles // operators' files and node names (cluster_build.go)
}

// Build turns a validated scenario into a run for seed, reporting
// observations to obs. Nodes are numbered class by class in the order the
// scenario lists the classes. Every random choice comes from a stream
// derived from seed, one per purpose and node.
func Build(s *Scenario, seed uint64, obs world.Observer) (*Run, error) {
	if probs := Validate(s); len(probs) > 0 {
		return nil, probs
	}
	n := s.Nodes.Count
	r := &Run{Scenario: s, Seed: seed}
	var err error
	if r.files, err = loadNodeFiles(s); err != nil {
		return nil, err
	}
	if r.Latency, err = buildLatency(s, seed, r.files.names); err != nil {
		return nil, err
	}
	if s.Topology.Model == TopologyLocalRoots {
		if r.Peers, err = r.files.staticPeers(s, r.Latency); err != nil {
			return nil, err
		}
	} else if s.Topology.Model != TopologyP2P {
		if r.Peers, err = buildTopology(s, seed); err != nil {
			return nil, err
		}
	}
	// The honest producers' stakes come from nodes.stake; attackers with
	// stake get their classes' shares (adjustStake).
	var producers, honest []int32
	for _, c := range s.Nodes.Classes {
		_, attacker := s.Attacker(c)
		for i := 0; i < c.Count; i++ {
			if c.Producer {
				producers = append(producers, int32(len(r.Class)))
				if !attacker {
					honest = append(honest, int32(len(r.Class)))
				}
			}
			r.Class = append(r.Class, c.Name)
		}
	}
	stakes, err := buildStake(s, seed, len(honest))
	if err != nil {
		return nil, err
	}
	r.Stake = make([]float64, n)
	for i, p := range honest {
		r.Stake[p] = stakes[i]
	}
	s.adjustStake(r.Stake)
	stakes = stakes[:0]
	streams := make([]*rand.Rand, len(producers))
	for i, p := range producers {
		stakes = append(stakes, r.Stake[p])
		streams[i] = sim.Derive(seed, "praos", uint64(p))
	}
	sched, err := node.NewLeaderSchedule(producers, stakes, s.Blocks.ActiveSlotCoeff, streams)
	if err != nil {
		return nil, s.errorAt("nodes.stake", err)
	}
	bps := int64(math.Round(s.Network.BandwidthMbps * 1e6))
	var p2p *world.P2PConfig
	var overlay *world.PolderCastConfig
	switch {
	case s.Overlay():
		if overlay, err = buildOverlay(s, seed); err != nil {
			return nil, err
		}
		r.Peers = make([][]int32, n) // the overlay picks every announcement's targets
	case s.Topology.Model == TopologyP2P:
		if p2p, err = buildP2P(s, seed, r); err != nil {
			return nil, err
		}
	}
	var sizes []int64
	var weights []float64
	for _, e := range s.Blocks.BodySizes {
		sizes, weights = append(sizes, int64(e.Bytes)), append(weights, e.Weight)
	}
	var tcp *netmodel.TCPConfig
	if s.Network.Transport == netmodel.TransportTCP {
		c := s.Network.TCP.Config()
		tcp = &c
	}
	r.World, err = world.New(world.Config{
		Slot:          s.Blocks.Slot,
		ForgeDelay:    s.Blocks.ForgeDelay,
		HeaderBytes:   int64(s.Blocks.HeaderBytes),
		BodyBytes:     int64(s.Blocks.BodyBytes),
		BodySizes:     sizes,
		BodyWeights:   weights,
		TCP:           tcp,
		BitsPerSecond: bps,
		Relay: node.RelayConfig{HeaderValidation: s.Blocks.HeaderValidation, BodyValidation: s.Blocks.BodyValidation,
			BodyValidationPerKiB: s.Blocks.BodyValidationPerKiB, Pipelining: s.Blocks.Pipelining, ServeDelay: s.Blocks.ServeDelay},
		Jitter:       netmodel.Jitter{Fraction: s.Network.Jitter},
		Seed:         seed,
		P2P:          p2p,
		PolderCast:   overlay,
		ExactHeaders: s.Check.ExactHeaders,
		CheckEvents:  s.Check.Invariants > 0,
	}, r.Latency, r.Peers, sched, obs)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// errorAt points an error at a field of the scenario file.
func (s *Scenario) errorAt(field string, err error) error {
	p, _ := s.Position(field)
	return Problems{{File: s.Path, Line: p.Line, Col: p.Col, Field: field, Msg: err.Error()}}
}

// buildLatency returns the scenario's latency source; names are the node
// names a pings file uses.
func buildLatency(s *Scenario, seed uint64, names []string) (netmodel.Latency, error) {
	n := s.Nodes.Count
	l := s.Network.Latency
	switch l.Model {
	case LatencyGeo:
		if !s.Nodes.Pools.File.IsZero() {
			return buildPoolsGeo(s, sim.Derive(seed, "geo", 0))
		}
		if spots := s.regionSpots(); spots != nil {
			g, err := netmodel.NewGeoAt(spots, sim.Derive(seed, "geo", 0), netmodel.DefaultGeoParams())
			if err != nil {
				return nil, s.errorAt("adversary", err)
			}
			return g, nil
		}
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
	case LatencyPings:
		p, err := netmodel.ReadPingsFile(l.File.Resolved, names)
		if err != nil {
			return nil, s.errorAt("network.latency.file", err)
		}
		return p, nil
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

// Limits of a stake file. Mainnet has 3,041 pools in 150 KB gzipped
// (../shared/data/SOURCES.md, cardano-pools/mainnet-stake.csv.gz), so these
// only keep hostile input cheap.
const (
	// MaxStakeFileBytes bounds a stake file, and its decompressed content
	// when gzipped: a larger one is refused unread.
	MaxStakeFileBytes = 64 << 20
	// MaxStakePools bounds the rows of a stake file.
	MaxStakePools = 1_000_000
	// maxStakeLine bounds one line of a stake file.
	maxStakeLine = 64 << 10
)

// readStakeFile reads the stake file at path (optionally gzipped, capped
// at MaxStakeFileBytes after decompression); name labels errors. See
// parseStake.
func readStakeFile(path, name string) ([]float64, error) {
	f, err := input.Open(path, MaxStakeFileBytes)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseStake(f, name)
}

// parseStake reads the stake column of a CSV: the first column whose
// header contains "stake" (case-insensitive), preferring one that names
// lovelace, e.g. the mainnet export
// `Epoch,Pool,Stake [Lovelace],Stake [Fraction]`. Pools with zero stake are
// skipped. Errors name the file, the line, the value and what is accepted.
func parseStake(r io.Reader, name string) ([]float64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxStakeLine)
	scanErr := func(line int) error {
		if errors.Is(sc.Err(), bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes: accepted CSV lines of at most %d bytes", name, line, maxStakeLine, maxStakeLine)
		}
		return fmt.Errorf("%s:%d: %w", name, line, sc.Err())
	}
	if !sc.Scan() {
		if sc.Err() != nil {
			return nil, scanErr(1)
		}
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
		return nil, fmt.Errorf("%s:1: header %q: accepted a header with a column named like \"stake\"", name, clipValue(sc.Text()))
	}
	var out []float64
	line := 2
	for ; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		cols := strings.Split(sc.Text(), ",")
		if col >= len(cols) {
			return nil, fmt.Errorf("%s:%d: row %q: accepted at least %d columns", name, line, clipValue(sc.Text()), col+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[col]), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%s:%d: stake %q: accepted a finite number ≥ 0", name, line, clipValue(cols[col]))
		}
		if v > 0 {
			if len(out) == MaxStakePools {
				return nil, fmt.Errorf("%s:%d: more than %d pools with stake > 0: accepted at most %d", name, line, MaxStakePools, MaxStakePools)
			}
			out = append(out, v)
		}
	}
	if sc.Err() != nil {
		return nil, scanErr(line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no pool with stake > 0: accepted at least one row with a stake above 0", name)
	}
	return out, nil
}

// clipValue shortens a bad value quoted in an error.
func clipValue(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
