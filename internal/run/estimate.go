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
	// gossipEventsPerNodeHour: the PolderCast overlay's gossip rounds.
	gossipEventsPerNodeHour = 3600 / 10 * 2
	// eventsPerSecond is the event rate of the project's 2-core machine
	// on Dynamic P2P runs (docs/performance.md); static runs are faster.
	eventsPerSecond = 1.1e6
)

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
	e.Events = perBlock * e.Blocks * n
	if s.Overlay() {
		e.Events += gossipEventsPerNodeHour * n * s.Duration.Hours()
	}
	e.MemoryBytes = baseBytes + nodesBytes + bytesPerBlockNode*e.Blocks*n
	e.Wall = time.Duration(e.Events / eventsPerSecond * float64(time.Second))
	return e
}

// String is the estimate for a person: "about 320 M events, 1.3 GB of
// memory, 5 min on a 2-core machine".
func (e Estimate) String() string {
	return fmt.Sprintf("about %s events, %s of memory, %s at about 1 M events/s",
		quantity(e.Events), bytesText(e.MemoryBytes), roughDuration(e.Wall))
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
