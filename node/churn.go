package node

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// The churn governor (spec/governor.md §3) as a pure state machine. In the
// reference implementation churn is a thread that rewrites the governor's
// target variable, then blocks until the governor's counters satisfy the
// step's check or a timeout fires. Here the thread's position is explicit
// state: Step is called with the time, the mode and the counters, runs the
// thread as far as it can go without blocking, and says when to wake it.
//
// Mode input: ChurnMode (node/metrics.go) is the fetch mode. ChurnGenesis
// stands for Genesis consensus while the ledger-state judgement is TooOld
// (GenesisFetchMode), so the LSJ is part of the mode: base targets are the
// sync targets exactly in ChurnGenesis. A Genesis node that is caught up
// passes ChurnDeadline and churns like a Praos node; the one difference of
// the reference not modelled is that such a node, started caught up, gets
// the root = 0 head start that the reference gives Praos nodes only.
//
// Bulk sync and the seed's "at most two active connections" (seed 001: the
// governor "ensures that no more than two active connections are utilized"
// while syncing): we follow the spec's sync-regime formulas, not the seed.
// In PraosSync and BootstrapPraosSync the active target is set to
// min(max(1, localHot), base−1) in step 7 and min(max(1, localHot)+1, base)
// in step 8, and the active BLP target to min(1, base). With at most one
// hot local root that is the seed's "two" (plus ≤ 1 BLP), but only from
// the first cycle on: the full base targets written at start-up hold until
// step 7 of the first cycle, and more hot local roots raise the cap.

// ChurnRegime is how churn adjusts targets for the sync method in use
// (ChurnRegime, spec/governor.md §3.1).
type ChurnRegime uint8

// The churn regimes.
const (
	// ChurnDefault: caught up (deadline mode) or Genesis.
	ChurnDefault ChurnRegime = iota
	// ChurnPraosSync: Praos bulk sync without bootstrap peers.
	ChurnPraosSync
	// ChurnBootstrapPraosSync: Praos bulk sync with bootstrap peers; the
	// established targets are cut further to save resources.
	ChurnBootstrapPraosSync
)

// String returns the regime's name in the reference implementation.
func (r ChurnRegime) String() string {
	switch r {
	case ChurnDefault:
		return "ChurnDefault"
	case ChurnPraosSync:
		return "ChurnPraosSync"
	case ChurnBootstrapPraosSync:
		return "ChurnBootstrapPraosSync"
	}
	return fmt.Sprintf("ChurnRegime(%d)", uint8(r))
}

// ChurnAction names one step of the churn cycle (ChurnAction,
// spec/governor.md §3.3), in cycle order.
type ChurnAction uint8

// The twelve steps of a churn cycle, in the order they run: the big ledger
// peer steps first.
const (
	DecreasedActiveBigLedgerPeers ChurnAction = iota
	IncreasedActiveBigLedgerPeers
	DecreasedEstablishedBigLedgerPeers
	DecreasedKnownBigLedgerPeers
	IncreasedKnownBigLedgerPeers
	IncreasedEstablishedBigLedgerPeers
	DecreasedActivePeers
	IncreasedActivePeers
	DecreasedEstablishedPeers
	DecreasedKnownPeers
	IncreasedKnownPeers
	IncreasedEstablishedPeers
	numChurnActions
)

var churnActionNames = [numChurnActions]string{
	"DecreasedActiveBigLedgerPeers", "IncreasedActiveBigLedgerPeers",
	"DecreasedEstablishedBigLedgerPeers", "DecreasedKnownBigLedgerPeers",
	"IncreasedKnownBigLedgerPeers", "IncreasedEstablishedBigLedgerPeers",
	"DecreasedActivePeers", "IncreasedActivePeers",
	"DecreasedEstablishedPeers", "DecreasedKnownPeers",
	"IncreasedKnownPeers", "IncreasedEstablishedPeers",
}

// String returns the action's name in the reference implementation.
func (a ChurnAction) String() string {
	if a < numChurnActions {
		return churnActionNames[a]
	}
	return fmt.Sprintf("ChurnAction(%d)", uint8(a))
}

// Timeouts of the churn steps (spec/governor.md §3.3): deactivateTimeout
// 300 s, shortTimeout 60 s, 1 + closeConnectionTimeout 120 s, and
// 2·policyPeerShareOverallTimeout (10 s) + shortTimeout for the known-peer
// increases; churnEstablishConnectionTimeout is 60 s.
const (
	churnDeactivateTimeout = 300 * time.Second
	churnShortTimeout      = 60 * time.Second
	churnCloseTimeout      = 121 * time.Second
	churnPeerShareTimeout  = 2*10*time.Second + churnShortTimeout
	churnEstablishTimeout  = 60 * time.Second
)

// churnTimeouts is each step's timeout, indexed by ChurnAction.
var churnTimeouts = [numChurnActions]time.Duration{
	churnDeactivateTimeout, churnShortTimeout, churnCloseTimeout,
	churnShortTimeout, churnPeerShareTimeout, churnEstablishTimeout,
	churnDeactivateTimeout, churnShortTimeout, churnCloseTimeout,
	churnShortTimeout, churnPeerShareTimeout, churnEstablishTimeout,
}

// Timeout returns the step's timeout (spec/governor.md §3.3).
func (a ChurnAction) Timeout() time.Duration { return churnTimeouts[a] }

// ChurnHeadStart is how long the start-up targets (root = 0, which gives
// local roots and BLPs a head start) stay before the full base targets are
// written (spec/governor.md §3.3, "Start-up sequence").
const ChurnHeadStart = 3 * time.Second

// ChurnConfig configures one node's churn governor.
type ChurnConfig struct {
	// Base are the deadline targets; Sync the Genesis sync targets, the
	// base while the mode is ChurnGenesis (spec/governor.md §1.3, §3.1).
	Base, Sync Targets
	// The cycle interval in the Default regime is DeadlineInterval +
	// U(0, DeadlineJitter), in the sync regimes BulkInterval +
	// U(0, BulkJitter); the time the cycle took is subtracted.
	DeadlineInterval, DeadlineJitter time.Duration
	BulkInterval, BulkJitter         time.Duration
	// LocalHotValency is the sum of the local-root groups' hot valencies
	// ("localHot"), which bounds active targets in the sync regimes.
	LocalHotValency int
	// BootstrapPeers selects the BootstrapPraosSync regime in bulk sync
	// (UseBootstrapPeers); without it bulk sync is PraosSync.
	BootstrapPeers bool
}

// DefaultChurnConfig returns the production churn settings for deadline
// targets base: SyncTargets, 3300 s + U(0, 600 s) and 900 s + U(0, 60 s)
// (defaultDeadlineChurnInterval, defaultBulkChurnInterval;
// spec/governor.md §3.1), no hot local roots and no bootstrap peers.
func DefaultChurnConfig(base Targets) ChurnConfig {
	return ChurnConfig{
		Base:             base,
		Sync:             SyncTargets,
		DeadlineInterval: 3300 * time.Second,
		DeadlineJitter:   600 * time.Second,
		BulkInterval:     900 * time.Second,
		BulkJitter:       60 * time.Second,
	}
}

// Check returns nil for a usable configuration, or an error naming the
// first bad field, its value and what is accepted.
func (cfg ChurnConfig) Check() error {
	if err := cfg.Base.Check(); err != nil {
		return fmt.Errorf("churn config Base: %w", err)
	}
	if err := cfg.Sync.Check(); err != nil {
		return fmt.Errorf("churn config Sync: %w", err)
	}
	durations := []struct {
		name     string
		d        time.Duration
		positive bool
	}{
		{"DeadlineInterval", cfg.DeadlineInterval, true},
		{"DeadlineJitter", cfg.DeadlineJitter, false},
		{"BulkInterval", cfg.BulkInterval, true},
		{"BulkJitter", cfg.BulkJitter, false},
	}
	for _, f := range durations {
		if f.positive && f.d <= 0 {
			return fmt.Errorf("churn config %s = %v: accepted > 0", f.name, f.d)
		}
		if f.d < 0 {
			return fmt.Errorf("churn config %s = %v: accepted ≥ 0", f.name, f.d)
		}
	}
	if cfg.LocalHotValency < 0 {
		return fmt.Errorf("churn config LocalHotValency = %d: accepted ≥ 0", cfg.LocalHotValency)
	}
	return nil
}

// Regime returns the churn regime for mode (pickChurnRegime,
// spec/governor.md §3.1).
func (cfg ChurnConfig) Regime(mode ChurnMode) ChurnRegime {
	if mode != ChurnBulkSync {
		return ChurnDefault
	}
	if cfg.BootstrapPeers {
		return ChurnBootstrapPraosSync
	}
	return ChurnPraosSync
}

// BaseTargets returns the targets churn starts from and returns to: the
// sync targets in ChurnGenesis (Genesis ∧ LSJ TooOld), else the deadline
// targets (spec/governor.md §3.1).
func (cfg ChurnConfig) BaseTargets(mode ChurnMode) Targets {
	if mode == ChurnGenesis {
		return cfg.Sync
	}
	return cfg.Base
}

// ChurnEvent records one completed churn step: TraceChurnAction when its
// check held, TraceChurnTimeout when its timeout fired first.
type ChurnEvent struct {
	Cycle   int // 1 for the first cycle
	Action  ChurnAction
	Timeout bool
	Regime  ChurnRegime
	// Start is when the step wrote its targets, End when it completed.
	Start, End clock.Time
	// Delta is the step's counter at End minus at Start; R() = |Delta|
	// is the r_i that later decreases use.
	Delta int
	// Targets are the targets the step wrote. If they are not sane the
	// governor keeps its previous targets, as in the reference.
	Targets Targets
}

// Duration returns how long the step took.
func (e ChurnEvent) Duration() time.Duration { return e.End.Sub(e.Start) }

// R returns |Delta|, the number of peers the step changed.
func (e ChurnEvent) R() int { return churnAbs(e.Delta) }

// churnPhase is where the churn thread is blocked.
type churnPhase uint8

const (
	phaseNew       churnPhase = iota // not started
	phaseHeadStart                   // start-up targets written, sleeping 3 s
	phaseInterval                    // sleeping until the next cycle
	phaseStep                        // a step waits for its check or timeout
)

// Churn is one node's churn governor. It owns no clock and no random
// state of its own: time comes with each Step and the interval jitter
// from the *rand.Rand given to NewChurn.
type Churn struct {
	cfg   ChurnConfig
	rng   *rand.Rand
	phase churnPhase
	last  clock.Time // time of the previous Step, to catch time running backwards

	startAt    clock.Time // first Step: start-up began
	wakeAt     clock.Time // end of the current sleep or step timeout
	cycle      int
	cycleStart clock.Time

	action    ChurnAction // current step while phase == phaseStep
	stepStart clock.Time
	count0    int // the step's counter when it wrote its targets
	regime    ChurnRegime
	removed   [numChurnActions]int // r_i of this cycle's completed steps

	written Targets // as churn last wrote them; may be insane
	emitted Targets // the last sane targets, what the governor uses
	trace   []ChurnEvent
}

// NewChurn returns a churn governor that has not started; the first Step
// starts it. It panics if cfg.Check() fails or rng is nil: both are the
// caller's to validate (package scenarios checks configurations).
func NewChurn(cfg ChurnConfig, rng *rand.Rand) *Churn {
	if err := cfg.Check(); err != nil {
		panic("node: NewChurn: " + err.Error())
	}
	if rng == nil {
		panic("node: NewChurn: nil random source")
	}
	return &Churn{cfg: cfg, rng: rng}
}

// Step runs churn at time now, with the current fetch mode and the
// governor's counters. Call it once to start churn, again whenever the
// counters (or the mode) change, and at wakeAt. It returns the targets
// the governor should use now (always sane), whether they changed in this
// call (true on the first call), and the next time churn must be woken
// (never clock.Never once started: churn always sleeps or waits on a
// timeout). Several steps can complete in one call when their checks
// already hold. Step panics if now is earlier than a previous call's now.
func (c *Churn) Step(now clock.Time, mode ChurnMode, counts Counts) (t Targets, changed bool, wakeAt clock.Time) {
	if c.phase != phaseNew && now < c.last {
		panic(fmt.Sprintf("node: Churn.Step at %v after %v: time ran backwards", now, c.last))
	}
	c.last = now
	c.trace = c.trace[:0]
	before, first := c.emitted, c.phase == phaseNew
	for c.advance(now, mode, counts) {
	}
	return c.emitted, first || c.emitted != before, c.wakeAt
}

// advance makes one transition if one is due at now and reports whether
// it did; Step repeats it until churn blocks.
func (c *Churn) advance(now clock.Time, mode ChurnMode, counts Counts) bool {
	switch c.phase {
	case phaseNew:
		c.startAt = now
		c.write(c.startupTargets(mode))
		c.phase, c.wakeAt = phaseHeadStart, now.Add(ChurnHeadStart)
		return true
	case phaseHeadStart:
		if now < c.wakeAt {
			return false
		}
		c.write(c.cfg.BaseTargets(mode))
		c.sleep(now, c.startAt, mode)
		return true
	case phaseInterval:
		if now < c.wakeAt {
			return false
		}
		c.cycle++
		c.cycleStart = now
		c.begin(DecreasedActiveBigLedgerPeers, now, mode, counts)
		return true
	case phaseStep:
		held := churnCheck(c.action, counts, c.written)
		// The check wins a tie with the timeout, as FirstToFinish does.
		if !held && now < c.wakeAt {
			return false
		}
		c.finish(now, counts, !held)
		if c.action == IncreasedEstablishedPeers {
			c.sleep(now, c.cycleStart, mode)
		} else {
			c.begin(c.action+1, now, mode, counts)
		}
		return true
	}
	panic("node: Churn in an unknown phase")
}

// startupTargets are the targets written first: base with root = 0 in
// Praos, and in BootstrapPraosSync active ≤ max(1, localHot)+1 and active
// BLP ≤ 1 (spec/governor.md §3.3, "Start-up sequence").
func (c *Churn) startupTargets(mode ChurnMode) Targets {
	t := c.cfg.BaseTargets(mode)
	base := t
	if mode != ChurnGenesis {
		t.Root = 0
	}
	if c.cfg.Regime(mode) == ChurnBootstrapPraosSync {
		t.Active = min(max(1, c.cfg.LocalHotValency)+1, base.Active)
		t.ActiveBLP = min(1, base.ActiveBLP)
	}
	return t
}

// sleep starts the fuzzy delay after start-up or a cycle that began at
// from: interval + U(0, jitter) minus the time already spent, not less
// than zero (fuzzyDelay, spec/governor.md §3.1). The mode at the end of
// the cycle picks the interval.
func (c *Churn) sleep(now, from clock.Time, mode ChurnMode) {
	interval, jitter := c.cfg.DeadlineInterval, c.cfg.DeadlineJitter
	if c.cfg.Regime(mode) != ChurnDefault {
		interval, jitter = c.cfg.BulkInterval, c.cfg.BulkJitter
	}
	if jitter > 0 {
		interval += time.Duration(c.rng.Int64N(int64(jitter) + 1))
	}
	c.phase, c.wakeAt = phaseInterval, clock.Max(now, from.Add(interval))
}

// begin writes step a's targets, reading base and regime afresh as the
// reference does in each step's transaction.
func (c *Churn) begin(a ChurnAction, now clock.Time, mode ChurnMode, counts Counts) {
	c.action, c.stepStart = a, now
	c.regime = c.cfg.Regime(mode)
	c.count0 = churnCounter(a, counts)
	if a == DecreasedActiveBigLedgerPeers {
		c.removed = [numChurnActions]int{}
	}
	c.write(churnModify(a, c.regime, c.cfg.LocalHotValency, c.cfg.BaseTargets(mode), c.written, &c.removed))
	c.phase, c.wakeAt = phaseStep, now.Add(a.Timeout())
}

// finish records the current step's completion.
func (c *Churn) finish(now clock.Time, counts Counts, timedOut bool) {
	delta := churnCounter(c.action, counts) - c.count0
	c.removed[c.action] = churnAbs(delta)
	c.trace = append(c.trace, ChurnEvent{
		Cycle: c.cycle, Action: c.action, Timeout: timedOut, Regime: c.regime,
		Start: c.stepStart, End: now, Delta: delta, Targets: c.written,
	})
}

// write sets churn's targets; the governor takes them only if they are
// sane (spec/governor.md §2.8).
func (c *Churn) write(t Targets) {
	c.written = t
	if t.Sane() {
		c.emitted = t
	}
}

// Trace returns the steps completed during the last Step call, in order.
// The slice is reused by the next Step; copy what you keep.
func (c *Churn) Trace() []ChurnEvent { return c.trace }

// Targets returns the targets the governor should use now.
func (c *Churn) Targets() Targets { return c.emitted }

// Cycle returns the number of cycles started so far.
func (c *Churn) Cycle() int { return c.cycle }

// decrease is churn's 20 %, at least one (spec/governor.md §3.2).
func decrease(v int) int { return decreaseWithMin(1, v) }

// decreaseWithMin removes 20 %, at least one and at least u, the number
// removed at the layer above (spec/governor.md §3.2).
func decreaseWithMin(u, v int) int { return max(0, v-max(u, max(1, v/5))) }

// churnModify returns cur with step a's targets written from base
// (spec/governor.md §3.3). removed holds this cycle's r_i.
func churnModify(a ChurnAction, regime ChurnRegime, localHot int, base, cur Targets, removed *[numChurnActions]int) Targets {
	t := cur
	sync := regime != ChurnDefault
	switch a {
	case DecreasedActiveBigLedgerPeers:
		t.ActiveBLP = decrease(base.ActiveBLP)
		if sync {
			t.ActiveBLP = min(1, base.ActiveBLP)
		}
	case IncreasedActiveBigLedgerPeers:
		t.ActiveBLP = base.ActiveBLP
		if sync {
			t.ActiveBLP = min(1, base.ActiveBLP)
		}
	case DecreasedEstablishedBigLedgerPeers:
		t.EstablishedBLP = decreaseWithMin(removed[DecreasedActiveBigLedgerPeers], base.EstablishedBLP-base.ActiveBLP) + base.ActiveBLP
	case DecreasedKnownBigLedgerPeers:
		t.KnownBLP = decreaseWithMin(removed[DecreasedEstablishedBigLedgerPeers], base.KnownBLP-base.EstablishedBLP) + base.EstablishedBLP
	case IncreasedKnownBigLedgerPeers:
		t.KnownBLP = base.KnownBLP
	case IncreasedEstablishedBigLedgerPeers:
		t.EstablishedBLP = base.EstablishedBLP
	case DecreasedActivePeers:
		t.Active = decrease(base.Active)
		if sync {
			t.Active = min(max(1, localHot), base.Active-1)
		}
	case IncreasedActivePeers:
		t.Active = base.Active
		if sync {
			t.Active = min(max(1, localHot)+1, base.Active)
		}
	case DecreasedEstablishedPeers:
		t.Established = decreaseWithMin(removed[DecreasedActivePeers], base.Established-base.Active) + base.Active
		if regime == ChurnBootstrapPraosSync {
			t.Established = min(cur.Active, base.Established-1)
		}
	case DecreasedKnownPeers:
		// Clamped by base.Root so that a small root target never grows.
		t.Root = min(base.Root, decrease(base.Root-base.Established)+base.Established)
		t.Known = decreaseWithMin(removed[DecreasedEstablishedPeers], base.Known-base.Established) + base.Established
	case IncreasedKnownPeers:
		t.Root, t.Known = base.Root, base.Known
	case IncreasedEstablishedPeers:
		t.Established = base.Established
		if regime == ChurnBootstrapPraosSync {
			t.Established = min(cur.Active+1, base.Established)
		}
	}
	return t
}

// churnCounter is the counter step a watches and measures r_i on.
func churnCounter(a ChurnAction, n Counts) int {
	switch a {
	case DecreasedActiveBigLedgerPeers, IncreasedActiveBigLedgerPeers:
		return n.ActiveBLP
	case DecreasedEstablishedBigLedgerPeers, IncreasedEstablishedBigLedgerPeers:
		return n.EstablishedBLP
	case DecreasedKnownBigLedgerPeers, IncreasedKnownBigLedgerPeers:
		return n.KnownBLP
	case DecreasedActivePeers, IncreasedActivePeers:
		return n.Active
	case DecreasedEstablishedPeers, IncreasedEstablishedPeers:
		return n.Established
	}
	return n.Known
}

// churnCheck reports whether step a's wait is over: its counter has come
// down to (Decreased) or up to (Increased) the written target; step 11
// also waits for the root count (spec/governor.md §3.3). The root target
// is one-sided, so step 10 does not wait on it.
func churnCheck(a ChurnAction, n Counts, t Targets) bool {
	switch a {
	case DecreasedActiveBigLedgerPeers:
		return n.ActiveBLP <= t.ActiveBLP
	case IncreasedActiveBigLedgerPeers:
		return n.ActiveBLP >= t.ActiveBLP
	case DecreasedEstablishedBigLedgerPeers:
		return n.EstablishedBLP <= t.EstablishedBLP
	case DecreasedKnownBigLedgerPeers:
		return n.KnownBLP <= t.KnownBLP
	case IncreasedKnownBigLedgerPeers:
		return n.KnownBLP >= t.KnownBLP
	case IncreasedEstablishedBigLedgerPeers:
		return n.EstablishedBLP >= t.EstablishedBLP
	case DecreasedActivePeers:
		return n.Active <= t.Active
	case IncreasedActivePeers:
		return n.Active >= t.Active
	case DecreasedEstablishedPeers:
		return n.Established <= t.Established
	case DecreasedKnownPeers:
		return n.Known <= t.Known
	case IncreasedKnownPeers:
		return n.Root >= t.Root && n.Known >= t.Known
	}
	return n.Established >= t.Established
}

func churnAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
