package run

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/scenarios"
)

// Estimate is what a run will cost, from the scenario's size alone: the
// engine events, the peak memory, and the wall time at a typical event
// rate of the machine dpsim's figures come from.
//
// The model (docs/performance.md, "What a run costs", gives the runs it
// was fitted to and its error): a block costs about 7.4 events per node
// whatever the topology (its header, request, body, validations and
// wake-ups; 6.6 on static graphs), and memory is a base, a share per node
// (the governor's peer table, about 430 bytes per known-peer target) and
// 11 bytes per (block, node) pair the collector keeps.
type Estimate struct {
	Blocks      float64 // expected blocks: duration / slot × f
	Events      float64
	MemoryBytes float64
	Wall        time.Duration
	Rate        float64 // the events per second Wall assumes
}

// Cost-model constants, fitted to the runs of docs/performance.md.
const (
	eventsPerBlockNodeP2P    = 7.4
	eventsPerBlockNodeStatic = 6.6
	bytesPerBlockNode        = 11
	baseBytes                = 24 << 20
	bytesPerNodeStatic       = 4 << 10
	bytesPerNodeBase         = 8 << 10 // relay, chain view, metrics
	bytesPerKnownTarget      = 430     // a governor's peer table and bearer entries
	// eventsPerSecond is the event rate of the project's 2-core machine
	// on Dynamic P2P runs of a few thousand nodes (docs/performance.md);
	// static runs are faster. cacheNodes is the size at which it has
	// halved.
	eventsPerSecond = 1.1e6
	cacheNodes      = 40_000
)

// overlayCost is the PolderCast overlay's cost model by mode, fitted to
// one 1,000-node hour each (poldercast.yaml's network with the mode as
// p2p.policy): gossip and the overlay's announcements make a block cost
// more events, each dearer than the relay's.
var overlayCost = map[string]struct {
	eventsPerBlockNode, bytesPerNode, eventsPerSecond float64
}{
	"paper": {21, 25 << 10, 0.17e6},
	"itn":   {128, 145 << 10, 0.37e6},
}

// EstimateCost estimates a run of s.
func EstimateCost(s *scenarios.Scenario) Estimate {
	n := float64(s.Nodes.Count)
	slot := s.Blocks.Slot
	if slot <= 0 {
		slot = scenarios.DefaultSlot
	}
	f := s.Blocks.ActiveSlotCoeff
	if f <= 0 {
		f = scenarios.DefaultActiveSlotCoeff
	}
	e := Estimate{Blocks: float64(s.Duration) / float64(slot) * f}
	perBlock, nodesBytes := eventsPerBlockNodeStatic, bytesPerNodeStatic*n
	if s.Topology.Model == scenarios.TopologyP2P {
		perBlock, nodesBytes = eventsPerBlockNodeP2P, 0
		for _, c := range s.Nodes.Classes {
			t := s.P2P.Targets
			if !c.Targets.IsZero() {
				t = c.Targets
			}
			nodesBytes += float64(c.Count) * (bytesPerNodeBase + bytesPerKnownTarget*float64(t.Known+t.KnownBigLedger))
		}
	}
	// The rate falls as the nodes' state outgrows the caches: 1.1 M/s up
	// to a few thousand nodes, 0.9 M/s at 10,000 (the day of
	// production-10k), 0.31 M/s at 100,000 (production-100k, per CPU
	// second).
	rate := eventsPerSecond / (1 + n/cacheNodes)
	if c, ok := overlayCost[s.P2P.Policy.Mode]; ok && s.Overlay() {
		perBlock, nodesBytes, rate = c.eventsPerBlockNode, c.bytesPerNode*n, c.eventsPerSecond
	}
	e.Events = perBlock * e.Blocks * n
	e.MemoryBytes = baseBytes + nodesBytes + bytesPerBlockNode*e.Blocks*n
	e.Wall = time.Duration(e.Events / rate * float64(time.Second))
	e.Rate = rate
	return e
}

// EstimateCompare estimates a comparison of s over seeds runs per policy
// with jobs at once: events and wall time add up over the runs (the wall
// time divided among the jobs), memory is the largest run's times the
// runs held at once.
func EstimateCompare(s *scenarios.Scenario, seeds, jobs int) (Estimate, int) {
	var total Estimate
	runs, largest := 0, 0.0
	for _, v := range s.Variants() {
		if v.Bound {
			continue
		}
		e := EstimateCost(s.WithPolicy(v.Policy))
		total.Blocks = e.Blocks
		total.Events += e.Events * float64(seeds)
		total.Wall += e.Wall * time.Duration(seeds)
		largest = max(largest, e.MemoryBytes)
		runs += seeds
	}
	at := max(min(jobs, runs), 1)
	total.Wall /= time.Duration(at)
	total.MemoryBytes = largest * float64(at)
	if total.Wall > 0 {
		total.Rate = total.Events / total.Wall.Seconds()
	}
	return total, runs
}

// String is the estimate for a person: "about 320 M events, 1.2 GB of
// memory, 5m0s at about 1.1 M events/s".
func (e Estimate) String() string {
	return fmt.Sprintf("about %s events, %s of memory, %s at about %s events/s",
		quantity(e.Events), bytesText(e.MemoryBytes), roughDuration(e.Wall), rateText(e.Rate))
}

func quantity(x float64) string {
	switch {
	case x >= 1e9:
		return strconv.FormatFloat(x/1e9, 'f', 1, 64) + " G"
	case x >= 1e6:
		return strconv.FormatFloat(x/1e6, 'f', 0, 64) + " M"
	case x >= 1e3:
		return strconv.FormatFloat(x/1e3, 'f', 0, 64) + " k"
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

func rateText(r float64) string {
	if r >= 1e6 {
		return strconv.FormatFloat(r/1e6, 'f', 1, 64) + " M"
	}
	return strconv.FormatFloat(r/1e3, 'f', 0, 64) + " k"
}

func bytesText(b float64) string {
	switch {
	case b >= 1<<30:
		return strconv.FormatFloat(b/(1<<30), 'f', 1, 64) + " GB"
	case b >= 1<<20:
		return strconv.FormatFloat(b/(1<<20), 'f', 0, 64) + " MB"
	}
	return strconv.FormatFloat(b/(1<<10), 'f', 0, 64) + " KB"
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "under a second"
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(10 * time.Minute).String()
}

// AvailableMemory returns the memory the machine can give a new process
// (MemAvailable of /proc/meminfo), and false where that is unknown.
func AvailableMemory() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}

// CheckMemory refuses (an *InputError) a run whose estimated memory is
// more than the machine has available, saying how to go on anyway.
func CheckMemory(s *scenarios.Scenario, e Estimate) error {
	avail, ok := AvailableMemory()
	if !ok || e.MemoryBytes <= float64(avail) {
		return nil
	}
	return badInput(fmt.Errorf("%s: the run needs an estimated %s of memory and this machine has %s available (%s); accepted: a smaller scenario (fewer nodes, a shorter duration), or --force to run anyway",
		s.Path, bytesText(e.MemoryBytes), bytesText(float64(avail)), e))
}

// EstimateSweep estimates shard (the busiest, if shard < 0) of sw cut
// into shards (of its Tasks), jobs simulations at once per shard: its
// wall time (the shard's runs' times divided among the jobs) and memory
// (the largest run's times the jobs), and the runs it writes. A
// god's-view run comes with its point's first policy's, at no cost.
func EstimateSweep(sw *scenarios.Sweep, shard, shards, jobs int) (Estimate, int) {
	shards = max(shards, 1)
	per := make([]Estimate, shards)
	count := make([]int, shards)
	largest := 0.0
	for k, t := range sw.Tasks() {
		e := EstimateCost(sw.RunScenario(t.Run))
		s := &per[k%shards]
		s.Blocks = e.Blocks
		s.Events += e.Events
		s.Wall += e.Wall
		count[k%shards]++
		if t.Bound != nil {
			count[k%shards]++ // written from the same simulation
		}
		largest = max(largest, e.MemoryBytes)
	}
	worst := shard
	if shard < 0 || shard >= shards {
		worst = 0
		for i := range per {
			if per[i].Wall > per[worst].Wall {
				worst = i
			}
		}
	}
	e := per[worst]
	at := max(min(jobs, count[worst]), 1)
	e.Wall /= time.Duration(at)
	e.MemoryBytes = largest * float64(at)
	if e.Wall > 0 {
		e.Rate = e.Events / e.Wall.Seconds()
	}
	return e, count[worst]
}
