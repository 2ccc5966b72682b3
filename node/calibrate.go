package node

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// Calibration drives a governor's targets for the research policies of
// spec/research.md (close-random, two-groups, peer score) instead of the
// churn governor: an optional construction phase, then periodic
// calibrations that replace some hot peers. Like Churn it is a pure state
// machine: Step gets the time, the governor's view and its counters,
// writes targets and says when to wake.
//
// A calibration replaces n hot peers (n from the Replacer) by lowering the
// active and established targets by n together, waiting until the
// governor has demoted n hot peers (which the policy picks) and closed n
// warm ones (the policy prefers the tepid, just demoted), then restoring
// both targets, so the governor connects n cold peers and activates them.
// With established = active, as the research policies run, the replaced
// peers are therefore new picks from the known set, not warm spares.
//
// The construction phase (close-random) runs Construction targets (all
// known peers established, none active, so the node measures every RTT)
// until Construct; then it raises the active target first and only then
// lowers the established one, because the governor's established layer
// acts before its active layer and would otherwise close peers the policy
// wants to activate.
type Calibration struct {
	cfg   CalibrationConfig
	rng   *rand.Rand
	phase calPhase
	last  clock.Time

	wakeAt     clock.Time
	roundStart clock.Time
	stepStart  clock.Time
	round      int
	replace    int  // n of the current round
	timedOut   bool // the current round's demotion wait timed out
	written    Targets
	trace      []CalibrationEvent
}

// Replacer says how many hot peers a calibration replaces. It is given the
// governor's view and the node's hot peers (sorted by id); it returns a
// number in [0, len(hot)].
type Replacer interface {
	Replace(v PeerView, hot []PeerID, rng *rand.Rand) int
}

// CalibrationConfig configures one node's Calibration.
type CalibrationConfig struct {
	// Base are the steady-state targets.
	Base Targets
	// Construction, when Construct > 0, are the targets until Construct.
	Construction Targets
	Construct    time.Duration
	// Period is the time between calibrations (0: none, the targets stay
	// at Base); the first is Period + U(0, Jitter) after the start (after
	// the end of the construction's activation, with one), each next
	// Period + U(0, Jitter) after the previous one began.
	Period, Jitter time.Duration
	// Replace picks how many hot peers a calibration replaces; required
	// when Period > 0.
	Replace Replacer
}

// Timeouts of a calibration's waits, churn's for the same waits: 300 s
// for a deactivation (deactivateTimeout) and 60 s for a connection to be
// established (churnEstablishConnectionTimeout; spec/governor.md §3.3).
const (
	calDemoteTimeout = 300 * time.Second
	calRefillTimeout = 60 * time.Second
)

// Check returns nil for a usable configuration, or an error naming the
// first bad field, its value and what is accepted.
func (cfg CalibrationConfig) Check() error {
	if err := cfg.Base.Check(); err != nil {
		return fmt.Errorf("calibration Base: %w", err)
	}
	if cfg.Construct < 0 || cfg.Period < 0 || cfg.Jitter < 0 {
		return fmt.Errorf("calibration Construct %v, Period %v, Jitter %v: accepted ≥ 0", cfg.Construct, cfg.Period, cfg.Jitter)
	}
	if cfg.Construct > 0 {
		if err := cfg.Construction.Check(); err != nil {
			return fmt.Errorf("calibration Construction: %w", err)
		}
	}
	if cfg.Period > 0 && cfg.Replace == nil {
		return fmt.Errorf("calibration Period %v without a Replacer", cfg.Period)
	}
	return nil
}

// CalibrationEvent records one completed calibration step.
type CalibrationEvent struct {
	Round    int // 0 for the end of construction, then 1, 2, …
	Start    clock.Time
	End      clock.Time
	Replaced int  // peers the round set out to replace
	Timeout  bool // a wait ended by its timeout
}

type calPhase uint8

const (
	calNew       calPhase = iota
	calConstruct          // construction targets, until Construct
	calActivate           // construction ended: waiting for the active target
	calIdle               // at Base until wakeAt
	calDemote             // lowered by replace: waiting for the demotions
	calRefill             // restored: waiting for the replacements
	calStatic             // at Base for good
)

// NewCalibration returns a calibration that has not started; the first
// Step starts it. It panics if cfg.Check fails or rng is nil (package
// scenarios validates configurations).
func NewCalibration(cfg CalibrationConfig, rng *rand.Rand) *Calibration {
	if err := cfg.Check(); err != nil {
		panic("node: NewCalibration: " + err.Error())
	}
	if rng == nil {
		panic("node: NewCalibration: nil random source")
	}
	return &Calibration{cfg: cfg, rng: rng}
}

// Step runs the calibration at now with the governor's view and counters.
// Call it once to start, again whenever the counters change, and at
// wakeAt. It returns the targets the governor should use, whether they
// changed in this call (true on the first), and when to wake it
// (clock.Never when only counters can move it on, or for good).
func (c *Calibration) Step(now clock.Time, v PeerView, counts Counts) (t Targets, changed bool, wakeAt clock.Time) {
	if c.phase != calNew && now < c.last {
		panic(fmt.Sprintf("node: Calibration.Step at %v after %v: time ran backwards", now, c.last))
	}
	c.last = now
	c.trace = c.trace[:0]
	before, first := c.written, c.phase == calNew
	for c.advance(now, v, counts) {
	}
	return c.written, first || c.written != before, c.wakeAt
}

func (c *Calibration) advance(now clock.Time, v PeerView, counts Counts) bool {
	cfg := &c.cfg
	switch c.phase {
	case calNew:
		c.roundStart = now
		if cfg.Construct > 0 {
			c.written, c.phase, c.wakeAt = cfg.Construction, calConstruct, now.Add(cfg.Construct)
			return true
		}
		c.written = cfg.Base
		c.idle(now)
		return true
	case calConstruct:
		if now < c.wakeAt {
			return false
		}
		c.written.Active = cfg.Base.Active
		// Freeze the established set as measured: peers learnt meanwhile
		// would be connected and then closed before they could be picked.
		c.written.Established = max(min(c.written.Established, counts.Established), cfg.Base.Active)
		c.written.Known = max(c.written.Known, c.written.Established)
		c.phase, c.stepStart, c.wakeAt = calActivate, now, now.Add(calRefillTimeout)
		return true
	case calActivate:
		held := counts.Active >= c.written.Active
		if !held && now < c.wakeAt {
			return false
		}
		c.trace = append(c.trace, CalibrationEvent{Round: 0, Start: c.stepStart, End: now, Timeout: !held})
		c.written = cfg.Base
		c.roundStart = now
		c.idle(now)
		return true
	case calIdle:
		if now < c.wakeAt {
			return false
		}
		c.round++
		c.roundStart, c.stepStart = now, now
		c.replace = c.countReplace(v)
		if c.replace == 0 {
			c.trace = append(c.trace, CalibrationEvent{Round: c.round, Start: now, End: now})
			c.idle(now)
			return true
		}
		c.written.Active = cfg.Base.Active - c.replace
		c.written.Established = cfg.Base.Established - c.replace
		c.phase, c.wakeAt = calDemote, now.Add(calDemoteTimeout)
		return true
	case calDemote:
		held := counts.Active <= c.written.Active && counts.Established <= c.written.Established
		if !held && now < c.wakeAt {
			return false
		}
		c.timedOut = !held
		c.written = cfg.Base
		c.phase, c.wakeAt = calRefill, now.Add(calRefillTimeout)
		return true
	case calRefill:
		held := counts.Active >= c.written.Active && counts.Established >= c.written.Established
		if !held && now < c.wakeAt {
			return false
		}
		c.trace = append(c.trace, CalibrationEvent{Round: c.round, Start: c.stepStart, End: now, Replaced: c.replace, Timeout: c.timedOut || !held})
		c.idle(now)
		return true
	case calStatic:
		return false
	}
	panic("node: Calibration in an unknown phase")
}

// countReplace asks the Replacer how many of the hot peers to replace,
// clamped to what the targets allow.
func (c *Calibration) countReplace(v PeerView) int {
	var hot []PeerID
	for _, p := range v.Peers() {
		if p.State == Hot && !p.IsBLP() {
			hot = append(hot, p.ID)
		}
	}
	n := c.cfg.Replace.Replace(v, hot, c.rng)
	return min(max(n, 0), len(hot), c.cfg.Base.Active)
}

// idle schedules the next calibration a period after the round began, or
// stays at Base for good without calibrations.
func (c *Calibration) idle(now clock.Time) {
	if c.cfg.Period <= 0 {
		c.phase, c.wakeAt = calStatic, clock.Never
		return
	}
	d := c.cfg.Period
	if c.cfg.Jitter > 0 {
		d += time.Duration(c.rng.Int64N(int64(c.cfg.Jitter) + 1))
	}
	c.phase, c.wakeAt = calIdle, clock.Max(now, c.roundStart.Add(d))
}

// Trace returns the calibration steps completed during the last Step call.
// The slice is reused by the next Step.
func (c *Calibration) Trace() []CalibrationEvent { return c.trace }

// Round returns the number of calibrations begun so far.
func (c *Calibration) Round() int { return c.round }

// Targets returns the targets in force.
func (c *Calibration) Targets() Targets { return c.written }
