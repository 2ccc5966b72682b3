package policies

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies/poldercast"
)

// Policy names.
const (
	Cardano     = "cardano"
	CloseRandom = "close-random"
	TwoGroups   = "two-groups"
	PeerScore   = "peer-score"
	Random      = "random"
	// PolderCast is the overlay Cardano's Incentivized Testnet ran before
	// Dynamic P2P (package poldercast); it replaces the governor.
	PolderCast = "poldercast"
	// GodsView is not a runnable policy: package results computes it as a
	// lower bound; compare accepts the name to add that bound.
	GodsView = "gods-view"
)

// Defaults of the research policies. Numbers from spec/research.md: the
// blog's figures use C6R4 (10 peers), the two-groups threshold is 100 ms,
// the score policy replaces 20 % or 40 %; the Athens simulator
// recalibrated every 100 blocks (≈ 2,000 s at one block per 20 s).
const (
	DefaultPeers     = 10
	DefaultClose     = 6
	DefaultRandom    = 4
	DefaultThreshold = 100 * time.Millisecond
	DefaultKeep      = 6
	DefaultReplace   = 0.5
	DefaultFraction  = 0.2
	DefaultPeriod    = 2000 * time.Second
	// DefaultConstruct is close-random's measuring phase: long enough to
	// learn the ledger peers and finish one handshake with each.
	DefaultConstruct = 2 * time.Minute
)

// Spec names a policy and its parameters, as a scenario writes them. Zero
// fields take the defaults above (ApplyDefaults).
type Spec struct {
	Name string
	// Close and Random: close-random's x close and y random hot peers.
	Close, Random int
	// Peers: the hot (and established) peers of random, two-groups and
	// peer-score.
	Peers int
	// Threshold: two-groups' bound on a close peer's RTT; Keep: the close
	// peers it keeps; Share (scenario key "replace"): the fraction of its other hot peers it
	// replaces per calibration.
	Threshold time.Duration
	Keep      int
	Share     float64
	// Fraction: the share of hot peers peer-score replaces per
	// calibration; Margin scores by lead time instead of wins.
	Fraction float64
	Margin   bool
	// Period and Jitter: time between calibrations (two-groups,
	// peer-score).
	Period, Jitter time.Duration
	// Construct: close-random's measuring phase.
	Construct time.Duration
	// PolderCast: Mode ("paper" or "itn"), Fanout (paper only), View and
	// Gossip (view and gossip lengths), Interval (between gossip rounds).
	Mode         string
	Fanout       int
	View, Gossip int
	Interval     time.Duration
}

// entry is one registered policy.
type entry struct {
	name, about string
}

// registry lists the policies in a fixed order (no map).
var registry = []entry{
	{Cardano, "the production policy: churn governor, random picks, hot demotion by metrics score (spec/governor.md §3-4)"},
	{CloseRandom, "CxRy: the x known peers of lowest measured RTT plus y random ones, static after construction"},
	{TwoGroups, "start random; every period keep up to Keep peers with RTT ≤ Threshold, replace a fraction of the others"},
	{PeerScore, "start random; every period replace the Fraction of hot peers that were first with the fewest headers (or least lead time with Margin)"},
	{Random, "K random peers, static (manual topologies)"},
	{PolderCast, "the PolderCast overlay instead of the governor: paper (ring neighbours plus random shortcuts, Fanout per node) or itn (Jörmungandr 0.8, announcing to the whole view)"},
	{GodsView, "the lower bound of diffusion over the complete latency graph (compare only; not runnable)"},
}

// Names returns the registered policy names in registry order.
func Names() []string {
	out := make([]string, len(registry))
	for i, e := range registry {
		out[i] = e.name
	}
	return out
}

// Describe returns a one-line description of a policy, and false if the
// name is unknown.
func Describe(name string) (string, bool) {
	i := slices.IndexFunc(registry, func(e entry) bool { return e.name == name })
	if i < 0 {
		return "", false
	}
	return registry[i].about, true
}

// Runnable reports whether name is a policy a node can run.
func Runnable(name string) bool {
	_, ok := Describe(name)
	return ok && name != GodsView
}

// ApplyDefaults fills the zero parameters of s's policy.
func ApplyDefaults(s *Spec) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	switch s.Name {
	case CloseRandom:
		if s.Close == 0 && s.Random == 0 {
			s.Close, s.Random = DefaultClose, DefaultRandom
		}
		if s.Construct == 0 {
			s.Construct = DefaultConstruct
		}
	case TwoGroups:
		def(&s.Peers, DefaultPeers)
		def(&s.Keep, DefaultKeep)
		if s.Threshold == 0 {
			s.Threshold = DefaultThreshold
		}
		if s.Share == 0 {
			s.Share = DefaultReplace
		}
		if s.Period == 0 {
			s.Period = DefaultPeriod
		}
	case PeerScore:
		def(&s.Peers, DefaultPeers)
		if s.Fraction == 0 {
			s.Fraction = DefaultFraction
		}
		if s.Period == 0 {
			s.Period = DefaultPeriod
		}
	case Random:
		def(&s.Peers, DefaultPeers)
	case PolderCast:
		if s.Mode == "" {
			s.Mode = "paper"
		}
		def(&s.View, poldercast.DefaultView)
		def(&s.Gossip, poldercast.DefaultGossip)
		if s.Mode == "paper" {
			def(&s.Fanout, poldercast.DefaultFanout)
		}
		if s.Interval == 0 {
			s.Interval = poldercast.DefaultInterval
		}
	}
}

// Problem is one invalid parameter of a Spec.
type Problem struct {
	Field string // the Spec field's name in a scenario (e.g. "fraction")
	Msg   string
}

// Check reports every invalid parameter of s (after ApplyDefaults).
func Check(s Spec) []Problem {
	var out []Problem
	bad := func(field, format string, args ...any) {
		out = append(out, Problem{field, fmt.Sprintf(format, args...)})
	}
	if _, ok := Describe(s.Name); !ok {
		bad("name", "unknown policy %q; accepted: %s", s.Name, strings.Join(Names(), ", "))
		return out
	}
	if s.Name == GodsView {
		bad("name", "%q is a lower bound computed by compare, not a policy a node can run", s.Name)
		return out
	}
	hot := func(field string, v int) {
		if v < 1 || v > node.MaxActiveTarget {
			bad(field, "%d peers: accepted 1 to %d", v, node.MaxActiveTarget)
		}
	}
	switch s.Name {
	case CloseRandom:
		if s.Close < 0 || s.Random < 0 {
			bad("close", "close %d, random %d: accepted ≥ 0", s.Close, s.Random)
		} else {
			hot("close", s.Close+s.Random)
		}
		if s.Construct <= 0 {
			bad("construct", "%v: accepted > 0", s.Construct)
		}
	case TwoGroups:
		hot("peers", s.Peers)
		if s.Keep < 0 || s.Keep > s.Peers {
			bad("keep", "%d: accepted 0 to peers (%d)", s.Keep, s.Peers)
		}
		if s.Threshold <= 0 {
			bad("threshold", "%v: accepted > 0", s.Threshold)
		}
		if !(s.Share > 0 && s.Share <= 1) {
			bad("replace", "%v: accepted a fraction in (0, 1]", s.Share)
		}
	case PeerScore:
		hot("peers", s.Peers)
		if !(s.Fraction > 0 && s.Fraction < 1) {
			bad("fraction", "%v: accepted a fraction in (0, 1)", s.Fraction)
		}
	case Random:
		hot("peers", s.Peers)
	case PolderCast:
		out = append(out, checkOverlay(s)...)
	}
	if s.Name != PolderCast {
		for _, k := range []struct {
			field string
			set   bool
		}{{"mode", s.Mode != ""}, {"fanout", s.Fanout != 0}, {"view", s.View != 0}, {"gossip", s.Gossip != 0}, {"interval", s.Interval != 0}} {
			if k.set {
				bad(k.field, "applies to poldercast only; accepted: leave it out for %s", s.Name)
			}
		}
	}
	switch s.Name {
	case TwoGroups, PeerScore:
		if s.Period <= 0 {
			bad("period", "%v: accepted > 0", s.Period)
		}
		if s.Jitter < 0 {
			bad("jitter", "%v: accepted ≥ 0", s.Jitter)
		}
	default:
		if s.Period != 0 {
			bad("period", "%v: %s does not calibrate; leave period out", s.Period, s.Name)
		}
		if s.Jitter != 0 {
			bad("jitter", "%v: %s does not calibrate; leave jitter out", s.Jitter, s.Name)
		}
	}
	return out
}

// Plan is how a node runs a policy: its picker, its targets and what moves
// them (production churn or a research calibration).
type Plan struct {
	Picker node.Policy
	// Churn: run the production churn governor on Targets.
	Churn bool
	// Calibration replaces churn for the research policies (nil for
	// cardano). Its Base are the steady-state targets.
	Calibration *node.CalibrationConfig
	// Targets are the governor's initial targets.
	Targets node.Targets
	// MetricsSlots is the peer-metrics window (slots with blocks) the
	// policy wants; 0 keeps the production 180.
	MetricsSlots int
	// Overlay, when set, says the policy is an overlay with these
	// parameters (poldercast): it runs instead of the governor
	// (world.PolderCastConfig), and the other fields are unused.
	Overlay *poldercast.Params
}

// Build returns the plan of policy s (defaults applied, Check passed) for
// a node whose configured targets are base, with blocks expected every
// blockInterval (for the score window). Research policies keep base's root
// and known targets (the pool of candidates), set established = active =
// the policy's hot peers, and use no big ledger peers; close-random
// establishes every known peer while it measures them.
func Build(s Spec, base node.Targets, blockInterval time.Duration) (Plan, error) {
	if probs := Check(s); len(probs) > 0 {
		return Plan{}, fmt.Errorf("policy %s: %s: %s", s.Name, probs[0].Field, probs[0].Msg)
	}
	if s.Name == Cardano {
		// A nil picker gives each governor a CardanoPolicy of its own.
		return Plan{Churn: true, Targets: base}, nil
	}
	if s.Name == PolderCast {
		p, err := OverlayParams(s)
		if err != nil {
			return Plan{}, err
		}
		return Plan{Overlay: &p}, nil
	}
	k := s.Peers
	if s.Name == CloseRandom {
		k = s.Close + s.Random
	}
	t := node.Targets{Root: min(base.Root, base.Known), Known: max(base.Known, k), Established: k, Active: k}
	cal := &node.CalibrationConfig{Base: t, Period: s.Period, Jitter: s.Jitter}
	p := Plan{Targets: t, Calibration: cal}
	switch s.Name {
	case Random:
		p.Picker = &RandomPolicy{}
	case CloseRandom:
		p.Picker = &CloseRandomPolicy{Close: s.Close}
		cal.Construction = node.Targets{Root: t.Root, Known: t.Known, Established: t.Known}
		cal.Construct = s.Construct
		p.Targets = cal.Construction
	case TwoGroups:
		tg := &TwoGroupsPolicy{Threshold: s.Threshold, Keep: s.Keep, Share: s.Share}
		p.Picker, cal.Replace = tg, tg
	case PeerScore:
		ps := &PeerScorePolicy{Fraction: s.Fraction, Margin: s.Margin}
		p.Picker, cal.Replace = ps, ps
		if blockInterval > 0 {
			// The score covers about one calibration period, as the
			// research resets scores at every calibration.
			p.MetricsSlots = max(1, int(math.Round(float64(s.Period)/float64(blockInterval))))
		}
	}
	if err := cal.Check(); err != nil {
		return Plan{}, fmt.Errorf("policy %s: %w", s.Name, err)
	}
	return p, nil
}

// Params returns the scenario keys of the parameters policy name takes, in
// a fixed order; the other keys must be left out.
func Params(name string) []string {
	switch name {
	case CloseRandom:
		return []string{"close", "random", "construct"}
	case TwoGroups:
		return []string{"peers", "threshold", "keep", "replace", "period", "jitter"}
	case PeerScore:
		return []string{"peers", "fraction", "margin", "period", "jitter"}
	case Random:
		return []string{"peers"}
	case PolderCast:
		return []string{"mode", "fanout", "view", "gossip", "interval"}
	}
	return nil
}

// Label returns a short name for s (defaults applied), as the blog names
// its curves: C6R4, two-groups-100ms, score-20%, score-margin-40%,
// random-10, cardano.
func Label(s Spec) string {
	switch s.Name {
	case CloseRandom:
		return fmt.Sprintf("C%dR%d", s.Close, s.Random)
	case TwoGroups:
		return fmt.Sprintf("two-groups-%dms", s.Threshold.Milliseconds())
	case PeerScore:
		kind := "score"
		if s.Margin {
			kind = "score-margin"
		}
		return fmt.Sprintf("%s-%g%%", kind, math.Round(s.Fraction*1000)/10)
	case Random:
		return fmt.Sprintf("random-%d", s.Peers)
	case PolderCast:
		if s.Mode == "paper" {
			return fmt.Sprintf("poldercast-paper-F%d", s.Fanout)
		}
		return "poldercast-" + s.Mode
	}
	return s.Name
}

// checkOverlay reports the invalid parameters of a poldercast Spec.
func checkOverlay(s Spec) []Problem {
	var out []Problem
	m, err := poldercast.ParseMode(s.Mode)
	if err != nil {
		return []Problem{{"mode", err.Error()}}
	}
	// Bounds relative to view are checked only against a valid view, so
	// one bad value is one problem.
	view := s.View
	if view < 1 || view > poldercast.MaxView {
		out = append(out, Problem{"view", fmt.Sprintf("%d: accepted 1 to %d", s.View, poldercast.MaxView)})
		view = poldercast.MaxView
	}
	if s.Gossip < 1 || s.Gossip > view {
		out = append(out, Problem{"gossip", fmt.Sprintf("%d: accepted 1 to view (%d)", s.Gossip, view)})
	}
	switch {
	case m == poldercast.Paper && (s.Fanout < 2 || s.Fanout > view+2):
		out = append(out, Problem{"fanout", fmt.Sprintf("%d: accepted 2 to view+2 (%d) in mode paper", s.Fanout, view+2)})
	case m == poldercast.ITN && s.Fanout != 0:
		out = append(out, Problem{"fanout", fmt.Sprintf("%d: mode itn announces to the whole view; accepted: leave fanout out", s.Fanout)})
	}
	if s.Interval <= 0 {
		out = append(out, Problem{"interval", fmt.Sprintf("%v: accepted > 0", s.Interval)})
	}
	return out
}

// OverlayParams returns the overlay parameters of a poldercast Spec
// (defaults applied): the Spec's mode, view, gossip, fanout and interval,
// with the package defaults for the rest (ring 4, peer map 256, ITN
// quarantine 30 min).
func OverlayParams(s Spec) (poldercast.Params, error) {
	if probs := checkOverlay(s); len(probs) > 0 {
		return poldercast.Params{}, fmt.Errorf("policy %s: %s: %s", s.Name, probs[0].Field, probs[0].Msg)
	}
	m, _ := poldercast.ParseMode(s.Mode)
	p := poldercast.DefaultParams(m)
	p.View, p.Gossip, p.Fanout, p.Interval = s.View, s.Gossip, s.Fanout, s.Interval
	return p, p.Check()
}
