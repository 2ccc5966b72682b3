package node

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// LocalRootGroup is one topology localRoots group: keep WarmValency of
// Peers established and HotValency of them active (spec/governor.md §5.2).
type LocalRootGroup struct {
	Peers                   []PeerID
	HotValency, WarmValency int
	Advertise, Trustable    bool
	InitiatorOnly           bool // diffusionMode InitiatorOnly
	BehindFirewall          bool // never dialled (inbound provenance)
}

// PublicRoot is one topology publicRoots access point.
type PublicRoot struct {
	Peer      PeerID
	Advertise bool
}

// GovernorTiming holds the governor's policy constants. DefaultTiming
// returns those of ouroboros-network 1.1 (cardano-node 10.7).
type GovernorTiming struct {
	// Cold→warm failure backoff: BackoffBase·2^min(n−1, BackoffMaxExp) ±
	// BackoffFuzz (5 s, 5, 2 s: 5…160 s ± 2 s).
	BackoffBase   time.Duration
	BackoffMaxExp int
	BackoffFuzz   time.Duration
	// MaxConnectionRetries: a peer that already failed this many times in a
	// row is forgotten at its next failure (5; 0 = never forget, as before 1.1).
	MaxConnectionRetries int
	// ClearFailCountDelay: fail count reset this long after a hot promotion (120 s).
	ClearFailCountDelay time.Duration
	// RepromoteErrorDelay: warm→hot failure and protocol error delay (10 s).
	RepromoteErrorDelay time.Duration
	// Peer sharing: requests in flight (2), per-peer cooldown (900 s),
	// first request after connecting (300 s), job timeout (10 s), reply cap (10).
	PeerShareMaxInFlight int
	PeerShareRetry       time.Duration
	PeerShareActivation  time.Duration
	PeerShareTimeout     time.Duration
	PeerShareMaxReply    int
	// PeerShareSaltTime: the responder re-randomises its reply order this often (823 s).
	PeerShareSaltTime time.Duration
	// Inbound peers: at most InboundMax learnt per InboundRetry (10 per 60 s).
	InboundMax   int
	InboundRetry time.Duration
	// MaxRootBackoffExp: root and big-ledger request backoff 2^min(b, 8) s.
	MaxRootBackoffExp int
	// BootstrapTimeout: a node that enters the sensitive state (gov_lsj.go)
	// and has not quiesced this long after emits ActCriticalTimeout
	// (governor_BOOTSTRAP_PEERS_TIMEOUT, 15 min). Checked only with
	// UseBootstrap.
	BootstrapTimeout time.Duration
}

// DefaultTiming returns the constants of spec/governor.md §2 and the
// appendix (ouroboros-network 1.1).
func DefaultTiming() GovernorTiming {
	return GovernorTiming{
		BackoffBase: 5 * time.Second, BackoffMaxExp: 5, BackoffFuzz: 2 * time.Second,
		MaxConnectionRetries: 5,
		ClearFailCountDelay:  120 * time.Second,
		RepromoteErrorDelay:  10 * time.Second,
		PeerShareMaxInFlight: 2, PeerShareRetry: 900 * time.Second,
		PeerShareActivation: 300 * time.Second, PeerShareTimeout: 10 * time.Second,
		PeerShareMaxReply: 10, PeerShareSaltTime: 823 * time.Second,
		InboundMax: 10, InboundRetry: 60 * time.Second,
		MaxRootBackoffExp: 8,
		BootstrapTimeout:  15 * time.Minute,
	}
}

// GovernorConfig configures one node's governor.
type GovernorConfig struct {
	Self        PeerID
	Targets     Targets
	LocalRoots  []LocalRootGroup
	PublicRoots []PublicRoot
	Bootstrap   []PeerID
	// PeerSharing: this node asks for and answers peer-sharing requests.
	PeerSharing bool
	// LedgerPeers: root requests are answered with ledger peers and
	// big-ledger requests are made (useLedgerAfterSlot ≥ 0).
	LedgerPeers bool
	Timing      GovernorTiming
	// Policy picks peers; nil means CardanoPolicy.
	Policy Policy
	// ShareSalt seeds the responder's salted reply order.
	ShareSalt uint64

	// UseBootstrap: the topology enables bootstrap peers (UseBootstrapPeers;
	// Bootstrap is the list, possibly empty). The node then enters the
	// sensitive state while its ledger-state judgement is TooOld
	// (gov_lsj.go, spec §2.9). Without it, Bootstrap peers are known from
	// the start as a plain root source, as before the judgement was
	// modelled.
	UseBootstrap bool
	// Genesis: Genesis consensus mode. It ignores bootstrap peers
	// completely (UseBootstrap and Bootstrap are treated as unset) and is
	// trusted while MinBigLedgerForTrust big ledger peers are active.
	Genesis bool
	// MinBigLedgerForTrust: Genesis's minNumberOfBigLedgerPeers for the
	// trusted state; 0 means DefaultMinBigLedgerForTrust (5).
	MinBigLedgerForTrust int
	// InitialJudgement is the ledger-state judgement at construction (a
	// syncing node starts, or restarts, TooOld).
	InitialJudgement LSJ
}

// Check returns nil for a usable configuration, or an error naming the
// first bad field, its value and what is accepted.
func (c *GovernorConfig) Check() error {
	if err := c.Targets.Check(); err != nil {
		return fmt.Errorf("governor targets: %w", err)
	}
	// Overlaps between the sets are allowed: local roots win over public
	// roots (spec/governor.md §1.2) and RepairGroups dedupes the groups.
	check := func(ids []PeerID, what string) error {
		for _, id := range ids {
			if id == c.Self {
				return fmt.Errorf("governor %s: peer %d is the node itself", what, id)
			}
			if id < 0 {
				return fmt.Errorf("governor %s: peer %d: accepted ≥ 0", what, id)
			}
		}
		return nil
	}
	for gi, g := range c.LocalRoots {
		if g.HotValency < 0 || g.WarmValency < 0 {
			return fmt.Errorf("governor local root group %d: valencies %d/%d: accepted ≥ 0", gi, g.HotValency, g.WarmValency)
		}
		if err := check(g.Peers, "local roots"); err != nil {
			return err
		}
	}
	for _, r := range c.PublicRoots {
		if err := check([]PeerID{r.Peer}, "public roots"); err != nil {
			return err
		}
	}
	if err := check(c.Bootstrap, "bootstrap peers"); err != nil {
		return err
	}
	if err := c.checkJudgement(); err != nil {
		return err
	}
	t := c.Timing
	if t.BackoffBase <= 0 || t.BackoffMaxExp < 0 || t.BackoffMaxExp > 20 || t.BackoffFuzz < 0 ||
		t.MaxConnectionRetries < 0 || t.PeerShareMaxInFlight < 1 || t.PeerShareMaxReply < 1 ||
		t.PeerShareTimeout <= 0 || t.PeerShareSaltTime <= 0 || t.InboundMax < 0 || t.InboundRetry <= 0 ||
		t.MaxRootBackoffExp < 0 || t.MaxRootBackoffExp > 20 || t.PeerShareRetry < 0 || t.PeerShareActivation < 0 ||
		t.ClearFailCountDelay < 0 || t.RepromoteErrorDelay < 0 {
		return fmt.Errorf("governor timing %+v: accepted positive durations and counts (start from DefaultTiming)", t)
	}
	return nil
}

// RepairGroups applies the topology repairs of LocalRootPeers.fromGroups
// (spec/governor.md §5.3): a peer already in an earlier group is dropped
// from later ones, warm := min(warm, size), hot := min(hot, warm), and
// groups with hot ≤ 0 or warm ≤ 0 are dropped. Warnings describe each
// repair. The input is not modified.
func RepairGroups(groups []LocalRootGroup) (out []LocalRootGroup, warnings []string) {
	var seen []PeerID
	for gi, g := range groups {
		var peers []PeerID
		for _, p := range g.Peers {
			if _, dup := slices.BinarySearch(seen, p); dup {
				warnings = append(warnings, fmt.Sprintf("local root group %d: peer %d already in an earlier group, dropped", gi, p))
				continue
			}
			i, _ := slices.BinarySearch(seen, p)
			seen = slices.Insert(seen, i, p)
			peers = append(peers, p)
		}
		g.Peers = peers
		if g.WarmValency > len(peers) {
			warnings = append(warnings, fmt.Sprintf("local root group %d: warm valency %d above its %d peers, lowered", gi, g.WarmValency, len(peers)))
			g.WarmValency = len(peers)
		}
		if g.HotValency > g.WarmValency {
			warnings = append(warnings, fmt.Sprintf("local root group %d: hot valency %d above warm valency %d, lowered", gi, g.HotValency, g.WarmValency))
			g.HotValency = g.WarmValency
		}
		if g.HotValency <= 0 || g.WarmValency <= 0 {
			warnings = append(warnings, fmt.Sprintf("local root group %d: valencies %d/%d, group dropped", gi, g.HotValency, g.WarmValency))
			continue
		}
		out = append(out, g)
	}
	return out, warnings
}

// InputKind says what happened.
type InputKind uint8

// Governor inputs: job results, asynchronous demotions and environment changes.
const (
	InTick            InputKind = iota // time passed (a wake-up)
	InConnected                        // cold→warm job succeeded; Sharing is the remote's flag
	InConnectFailed                    // cold→warm job failed
	InActivated                        // warm→hot job succeeded
	InActivateFailed                   // warm→hot job failed (the connection is closed)
	InDeactivated                      // hot→warm job finished
	InClosed                           // warm→cold job finished: the CM reports the peer cold
	InAsyncWarm                        // a hot peer's hot protocols ended; Delay is the repromote delay
	InAsyncCooling                     // the connection is being torn down
	InAsyncCold                        // the connection is gone; Delay is the repromote delay
	InShareReply                       // a peer-sharing reply from Peer: Peers
	InShareFailed                      // a peer-sharing request failed
	InRoots                            // root peers (ledger or public config) Peers, with TTL Delay
	InRootsFailed                      // the root request failed
	InBigLedger                        // big ledger peers Peers, with TTL Delay
	InBigLedgerFailed                  // the big-ledger request failed
	InTargets                          // churn wrote Targets
	InInboundUp                        // Peer opened an inbound duplex connection to us
	InInboundDown                      // Peer's inbound connection ended
	InViolation                        // Peer broke a protocol: demote and forget at once
	InMode                             // the churn mode changed to Mode
	InJudgement                        // the ledger-state judgement changed to Judgement
	numInputs
)

var inputNames = [numInputs]string{"tick", "connected", "connect-failed", "activated", "activate-failed",
	"deactivated", "closed", "async-warm", "async-cooling", "async-cold", "share-reply", "share-failed",
	"roots", "roots-failed", "big-ledger", "big-ledger-failed", "targets", "inbound-up", "inbound-down",
	"violation", "mode", "judgement"}

func (k InputKind) String() string {
	if k < numInputs {
		return inputNames[k]
	}
	return fmt.Sprintf("InputKind(%d)", uint8(k))
}

// Input is one governor input. Peers is only read during Step.
type Input struct {
	Kind      InputKind
	Peer      PeerID
	Peers     []PeerID
	Sharing   bool          // InConnected: the remote shares peers
	Delay     time.Duration // repromote delay or TTL
	Targets   Targets
	Mode      ChurnMode
	Judgement LSJ // InJudgement
}

// GovActionKind says what a governor action asks for.
type GovActionKind uint8

// Governor actions: jobs for the environment, whose results come back as
// inputs, and notices of state changes the environment must mirror.
const (
	ActConnect      GovActionKind = iota // dial Peer; answer InConnected or InConnectFailed
	ActActivate                          // start hot protocols; answer InActivated or InActivateFailed
	ActDeactivate                        // stop hot protocols; answer InDeactivated
	ActClose                             // release the connection to Peer; answer InClosed
	ActDrop                              // close the connection to Peer at once, no answer (violation)
	ActShareRequest                      // ask Peer for Count peers; answer InShareReply or InShareFailed
	ActRequestRoots                      // ask for Count root peers (Bootstrap: bootstrap peers); answer InRoots or InRootsFailed
	ActRequestBLP                        // ask for Count big ledger peers; answer InBigLedger(Failed)
	NoteHot                              // Peer became hot: take headers from it
	NoteUnhot                            // Peer stopped being hot
	// ActCriticalTimeout: BootstrapPeersCriticalTimeoutError, the node did
	// not quiesce within BootstrapTimeout of entering the sensitive state.
	// The governor is dead from then on (Aborted); restart the node.
	ActCriticalTimeout
	numGovActions
)

var govActionNames = [numGovActions]string{"connect", "activate", "deactivate", "close", "drop",
	"share-request", "request-roots", "request-blp", "hot", "unhot", "critical-timeout"}

func (k GovActionKind) String() string {
	if k < numGovActions {
		return govActionNames[k]
	}
	return fmt.Sprintf("GovActionKind(%d)", uint8(k))
}

// GovAction is one governor action.
type GovAction struct {
	Kind  GovActionKind
	Peer  PeerID
	Count int32
	// InitiatorOnly: connect in InitiatorOnly mode (local root groups that say so).
	InitiatorOnly bool
	// Bootstrap: ActRequestRoots in the sensitive state, to be answered
	// with configured bootstrap peers instead of ledger or public roots.
	Bootstrap bool
}

// GovOutbox collects a Step's actions and, when Tracing is set, its
// trace (gov_trace.go); the caller resets it. The zero value collects
// actions only.
type GovOutbox struct {
	Actions []GovAction
	// Tracing asks Step to append one GovTrace per decision to Trace.
	// Off, Step records nothing; on or off, it decides the same.
	Tracing bool
	Trace   []GovTrace
}

// Reset empties the outbox, keeping its storage and Tracing.
func (o *GovOutbox) Reset() {
	o.Actions = o.Actions[:0]
	o.Trace = o.Trace[:0]
}

func (o *GovOutbox) add(a GovAction) { o.Actions = append(o.Actions, a) }

// GovStats are cumulative counters of one governor.
type GovStats struct {
	PromotedCold, PromotedWarm   int64 // cold→warm and warm→hot successes
	DemotedHot, DemotedWarm      int64 // hot→warm and warm→cold completions
	AsyncDemotions               int64
	ConnectFailures, Forgotten   int64
	FailForgotten                int64 // forgotten after repeated failures
	ShareRequests, ShareReplies  int64
	RootRequests, BigLedgerReqs  int64
	Violations                   int64
	Decisions, LongestInstant    int64 // decisions taken; most in one Step
	ShareTimeouts, InboundLearnt int64
}

// MaxDecisionsPerStep bounds the decisions of one Step: more means a
// livelock (the reference test suite's bound is 1000 events per instant).
const MaxDecisionsPerStep = 1000

type shareReq struct {
	peer     PeerID
	asked    int32
	deadline clock.Time
}

// Governor is one node's outbound peer selection governor
// (spec/governor.md §1–2) as a pure state machine: Step takes the time
// and one input, updates the peer tables, takes every enabled decision in
// the reference order and returns the actions and the next time it must
// be woken. It reads no clock and keeps no random state of its own.
type Governor struct {
	cfg    GovernorConfig
	rng    *rand.Rand
	policy Policy
	m      *Metrics
	mode   ChurnMode

	t       peerTable
	targets Targets
	groups  []LocalRootGroup // repaired and clamped to targets.Known

	shares              []shareReq
	rootsInFlight       bool
	blpInFlight         bool
	rootBackoff         int
	blpBackoff          int
	rootRetry, blpRetry clock.Time
	inboundRetry        clock.Time
	inbound             []PeerID // peers with an inbound duplex connection to us, sorted

	// The ledger-state judgement and the sensitive state (gov_lsj.go).
	lsj           LSJ
	onlyBootstrap bool       // hasOnlyBootstrapPeers: quiesced while sensitive
	deadline      clock.Time // critical timeout while holding, else Never
	// churn are the last sane targets churn wrote: in force (targets)
	// except while holding, when targets are zero.
	churn     Targets
	rootsBoot bool     // the root request in flight asks for bootstrap peers
	boot      []PeerID // configured bootstrap peers, sorted (with UseBootstrap)
	// started: a Step ran (it starts the critical timeout of a governor
	// built TooOld); aborted: the critical timeout fired.
	started, aborted bool

	last     clock.Time
	livelock bool
	stats    GovStats
	tally    tally
	// tallyOK: tally describes the peer table. Step clears it before
	// applying its input; count sets it; decisions keep it current.
	tallyOK bool
	// nextClear is at or before the earliest ClearFailAt of any peer:
	// advance scans the table only when a clear may be due.
	nextClear clock.Time
	cand, got []PeerID
	skeys     []pickKey
}

// NewGovernor returns a governor with the configured roots known and
// cold. rng is its random stream and m its peer metrics (nil: hot→warm
// picks fall back to random). It returns an error for a bad configuration.
func NewGovernor(cfg GovernorConfig, rng *rand.Rand, m *Metrics) (*Governor, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, errors.New("governor: nil random source")
	}
	g := &Governor{cfg: cfg, rng: rng, m: m, policy: cfg.Policy, targets: cfg.Targets, churn: cfg.Targets,
		lsj: cfg.InitialJudgement, deadline: clock.Never}
	if g.policy == nil {
		g.policy = &CardanoPolicy{}
	}
	if g.useBootstrap() {
		g.boot = slices.Sorted(slices.Values(cfg.Bootstrap))
	}
	if g.holding() {
		g.targets = Targets{} // the deadline starts with the first Step
	}
	g.cfg.LocalRoots, _ = RepairGroups(cfg.LocalRoots)
	g.applyLocalRoots()
	for _, r := range cfg.PublicRoots {
		if p, _ := g.t.insert(r.Peer, SrcPublicConfig, r.Advertise); !p.IsLocal() {
			p.Source |= SrcPublicConfig
		}
	}
	if cfg.UseBootstrap || cfg.Genesis {
		return g, nil // bootstrap peers come from root requests in the sensitive state
	}
	for _, id := range cfg.Bootstrap {
		if p, _ := g.t.insert(id, SrcBootstrap, false); !p.IsLocal() {
			p.Source = p.Source&^srcPublicRoot | SrcBootstrap
		}
	}
	return g, nil
}

// applyLocalRoots clamps the configured groups to targets.Known (left to
// right, trimming the last group, LocalRootPeers.clampToLimit), in the
// sensitive state to the trustable groups first (clampToTrustable), and
// marks their members; peers that stop being local roots stay known.
func (g *Governor) applyLocalRoots() {
	g.groups = g.groups[:0]
	room := g.targets.Known
	sensitive := g.sensitive()
	for _, grp := range g.cfg.LocalRoots {
		if sensitive && !grp.Trustable {
			continue
		}
		if room <= 0 {
			break
		}
		if len(grp.Peers) > room {
			grp.Peers = grp.Peers[:room]
			grp.WarmValency = min(grp.WarmValency, room)
			grp.HotValency = min(grp.HotValency, grp.WarmValency)
		}
		room -= len(grp.Peers)
		g.groups = append(g.groups, grp)
	}
	for i := range g.t.p {
		p := &g.t.p[i]
		if p.IsLocal() {
			p.Source &^= SrcLocalRoot
			p.Group = -1
			if p.Source == 0 {
				p.Source = SrcShared
			}
		}
	}
	for gi, grp := range g.groups {
		for _, id := range grp.Peers {
			p, _ := g.t.insert(id, SrcLocalRoot, grp.Advertise)
			p.Source = SrcLocalRoot // local and public roots are disjoint
			p.Group = int16(gi)
			p.Advertise = grp.Advertise
		}
	}
}

// Targets returns the targets in force.
func (g *Governor) Targets() Targets { return g.targets }

// Stats returns the cumulative counters.
func (g *Governor) Stats() GovStats { return g.stats }

// Livelocked reports whether a Step ever hit MaxDecisionsPerStep.
func (g *Governor) Livelocked() bool { return g.livelock }

// Mode returns the churn mode the governor was last told (PeerView).
func (g *Governor) Mode() ChurnMode { return g.mode }

// Metrics returns the governor's peer metrics (PeerView).
func (g *Governor) Metrics() *Metrics { return g.m }

// Peer returns the record of a known peer, or nil (PeerView).
func (g *Governor) Peer(id PeerID) *Peer { return g.t.get(id) }

// Peers returns the known peers in id order. The slice is the governor's
// own: read it before the next Step and do not modify it.
func (g *Governor) Peers() []Peer { return g.t.p }

// LocalRoots returns the local-root groups in force (repaired and clamped).
func (g *Governor) LocalRoots() []LocalRootGroup { return g.groups }

// Counts returns the counters churn waits on. After a Step they are the
// tally of its last decision, with no pass over the table.
func (g *Governor) Counts() Counts {
	if g.tallyOK {
		return g.tally.Counts
	}
	var c Counts
	for i := range g.t.p {
		c.add(&g.t.p[i], 1)
	}
	return c
}

// checkTally returns an error if the incrementally kept tally (when
// current) differs from a recount of the peer table. It is the debug check
// of the incremental counters; tests call it after every Step.
func (g *Governor) checkTally() error {
	if !g.tallyOK {
		return nil
	}
	var want tally
	g.recount(&want)
	got := &g.tally
	if got.Counts != want.Counts || got.promColdBLP != want.promColdBLP || got.promColdOther != want.promColdOther ||
		got.promWarmBLP != want.promWarmBLP || got.promWarmOther != want.promWarmOther ||
		got.demWarmBLP != want.demWarmBLP || got.demWarmOther != want.demWarmOther ||
		got.demHotBLP != want.demHotBLP || got.demHotOther != want.demHotOther ||
		got.coolBLP != want.coolBLP || got.coolOther != want.coolOther || got.warmLocal != want.warmLocal ||
		!slices.Equal(got.gEst, want.gEst) || !slices.Equal(got.gAct, want.gAct) ||
		!slices.Equal(got.gPromCold, want.gPromCold) || !slices.Equal(got.gPromWarm, want.gPromWarm) ||
		!slices.Equal(got.gDemHot, want.gDemHot) {
		return fmt.Errorf("incremental tally %+v, recount %+v", *got, want)
	}
	return nil
}

// add counts one known peer (d = 1) or takes it out (d = -1).
func (c *Counts) add(p *Peer, d int) {
	if p.Source&srcRoot != 0 {
		c.Root += d
	}
	est, hot := 0, 0
	if p.Established() {
		est = d
	}
	if p.State == Hot {
		hot = d
	}
	if p.IsBLP() {
		c.KnownBLP, c.EstablishedBLP, c.ActiveBLP = c.KnownBLP+d, c.EstablishedBLP+est, c.ActiveBLP+hot
		return
	}
	c.Known, c.Established, c.Active = c.Known+d, c.Established+est, c.Active+hot
}

// Step handles one input at time now, then takes every enabled decision,
// appending actions to out. It returns the next time the governor must be
// woken with InTick (clock.Never if only an input can enable a decision).
// After ActCriticalTimeout it does nothing and returns clock.Never.
// It panics if now is earlier than a previous Step's now.
func (g *Governor) Step(now clock.Time, in Input, out *GovOutbox) clock.Time {
	if now < g.last {
		panic(fmt.Sprintf("node: Governor.Step at %v after %v: time ran backwards", now, g.last))
	}
	g.last = now
	if g.abort(now, out) {
		return clock.Never
	}
	g.advance(now, out) // changes nothing the tally counts
	traced := len(out.Trace)
	eff := tallyEffect(in.Kind)
	if in.Kind == InTargets && !g.regroups(in.Targets) {
		eff = tallyKept // only the targets change
	}
	switch eff {
	case tallyKept:
		g.handle(now, in, out)
	case tallyOnePeer:
		// The tally of the last Step stays current: take the peer out
		// before and count it back after (it may have been forgotten).
		if p := g.t.get(in.Peer); p != nil {
			g.untally(p)
		}
		g.handle(now, in, out)
		if p := g.t.get(in.Peer); p != nil {
			g.retally(p)
		}
	default:
		g.tallyOK = false
		g.handle(now, in, out)
	}
	if out.Tracing && len(out.Trace) == traced && in.Kind != InTick {
		out.input(in, "ignored") // a stale answer, or nothing to change
	}
	n := int64(0)
	for g.decide(now, out) {
		n++
		if n >= MaxDecisionsPerStep {
			g.livelock = true
			if out.Tracing {
				out.trace(GovTrace{Kind: TraceLivelock, Count: int(n)})
			}
			break
		}
	}
	g.stats.Decisions += n
	g.stats.LongestInstant = max(g.stats.LongestInstant, n)
	return g.wakeAt(now)
}

// What handling an input does to the counted fields of the peer table
// (source, state, progress, local-root group), as gov_input.go handles it;
// checkTally, run after every Step in the tests, catches a change there
// that this table misses.
const (
	tallyKept    = iota // no peer record changes
	tallyOnePeer        // only in.Peer's record changes (or goes)
	tallyLost           // peers are added or re-sourced, or the groups change: recount
)

func tallyEffect(k InputKind) int {
	switch k {
	case InTick, InInboundUp, InInboundDown, InMode, InRootsFailed, InBigLedgerFailed:
		return tallyKept
	case InShareReply, InShareFailed:
		return tallyKept // shareResult keeps the tally itself
	case InConnected, InConnectFailed, InActivated, InActivateFailed, InDeactivated,
		InClosed, InAsyncWarm, InAsyncCooling, InAsyncCold, InViolation:
		return tallyOnePeer
	}
	return tallyLost
}

// regroups reports whether taking targets t re-applies the local roots
// (handle, InTargets), which may change the groups the tally counts.
func (g *Governor) regroups(t Targets) bool {
	return t.Sane() && t != g.churn && t.Known != g.targets.Known && !g.holding()
}

// advance moves expired time-based state (setCurrentTime): fail-count
// clears and peer-share request timeouts. Both are lazy: a clear or a
// timeout changes nothing until the next Step reads it, which calls
// advance first, so neither needs a wake-up of its own.
func (g *Governor) advance(now clock.Time, out *GovOutbox) {
	if now >= g.nextClear {
		next := clock.Never
		for i := range g.t.p {
			p := &g.t.p[i]
			if p.ClearFailAt <= now {
				if out.Tracing && p.FailCount > 0 {
					out.trace(GovTrace{Kind: TraceClearFailCount, Peer: p.ID})
				}
				p.FailCount, p.ClearFailAt = 0, clock.Never
			}
			next = min(next, p.ClearFailAt)
		}
		g.nextClear = next
	}
	kept := g.shares[:0]
	for _, s := range g.shares {
		if s.deadline <= now {
			g.stats.ShareTimeouts++
			if out.Tracing {
				out.trace(GovTrace{Kind: TraceShareTimeout, Peer: s.peer})
			}
			continue
		}
		kept = append(kept, s)
	}
	g.shares = kept
}

// wakeAt is the earliest future time at which a decision skipped for
// time's sake may become enabled. As in the reference, where only a
// decision short of its target that waits on a time (a backoff, an
// activation delay, a peer-share cooldown, a retry) returns its wake-up
// (GuardedSkip), a time counts only while its decision is short of its
// target: being short or not changes only through an input, and every
// input is a Step that asks again. So a node at its targets, the usual
// state, costs no table scan and no wake-up. Spurious wake-ups are
// harmless; a missed one is caught by the state machine test's early
// ticks (tickEarly).
func (g *Governor) wakeAt(now clock.Time) clock.Time {
	tl := g.count()
	w := clock.Never
	at := func(t clock.Time) {
		if t > now && t < w {
			w = t
		}
	}
	need := g.short(tl)
	if need.any() {
		for i := range g.t.p {
			p := &g.t.p[i]
			switch p.State {
			case Cold:
				if need.wants(p, g, tl, false) {
					at(p.NextConnect)
				}
			case Warm:
				if need.wants(p, g, tl, true) {
					at(p.NextActivate)
				}
			}
			if need.share && p.State != Cold && p.Sharing == SharingEnabled {
				at(p.NextShare)
			}
		}
	}
	for _, s := range g.shares {
		at(s.deadline) // a slot for another request
	}
	if !g.rootsInFlight && tl.Root < g.targets.Root {
		at(g.rootRetry)
	}
	if !g.blpInFlight && g.cfg.LedgerPeers && tl.KnownBLP < g.targets.KnownBLP && !g.sensitive() {
		// The reference registers no wake-up here (spec §2.3 quirk); we do,
		// so a quiet node does not wait on unrelated events.
		at(g.blpRetry)
	}
	if need.share && len(g.inbound) > 0 {
		at(g.inboundRetry)
	}
	at(g.deadline) // the critical timeout, while holding
	return w
}

// shortfall says which time-gated decisions are short of their targets.
type shortfall struct {
	share            bool // knownBelow: peer sharing, inbound peers
	connBLP, connOth bool // establishedBelow: big ledger peers, others
	actBLP, actOth   bool // activeBelow: big ledger peers, others
	groups           bool // some local-root group below a valency
}

func (n shortfall) any() bool {
	return n.share || n.connBLP || n.connOth || n.actBLP || n.actOth || n.groups
}

// short computes the shortfall from the tally with the guards of
// knownBelow, establishedBelow and activeBelow.
func (g *Governor) short(tl *tally) shortfall {
	progress := !g.sensitive() // enableProgressMakingActions
	n := shortfall{
		share:   progress && g.cfg.PeerSharing && tl.Known < g.targets.Known,
		connBLP: progress && g.targets.EstablishedBLP-tl.EstablishedBLP-tl.promColdBLP > 0,
		connOth: g.targets.Established-tl.Established-tl.promColdOther > 0,
		actBLP:  progress && g.targets.ActiveBLP-tl.ActiveBLP-tl.promWarmBLP > 0,
		actOth:  g.targets.Active-tl.Active-tl.promWarmOther > 0,
	}
	for gi := range g.groups {
		c, a := g.groupShort(gi, tl)
		n.groups = n.groups || c || a
	}
	return n
}

// groupShort reports whether local-root group gi is below its warm
// valency (and not behind a firewall) and below its hot valency.
func (g *Governor) groupShort(gi int, tl *tally) (conn, act bool) {
	grp := &g.groups[gi]
	conn = !grp.BehindFirewall && grp.WarmValency-tl.gEst[gi]-tl.gPromCold[gi] > 0
	act = grp.HotValency-tl.gAct[gi]-tl.gPromWarm[gi] > 0
	return conn, act
}

// wants reports whether a cold (activate false) or warm (activate true)
// peer is in a category whose promotion is short of its target.
func (n shortfall) wants(p *Peer, g *Governor, tl *tally, activate bool) bool {
	blp, oth := n.connBLP, n.connOth
	if activate {
		blp, oth = n.actBLP, n.actOth
	}
	switch {
	case p.IsBLP() && blp:
		return true
	case p.IsLocal():
		if gi := int(p.Group); n.groups && gi >= 0 && gi < len(g.groups) {
			c, a := g.groupShort(gi, tl)
			return c && !activate || a && activate
		}
		return false
	}
	return !p.IsBLP() && oth
}

// fuzz returns a uniform duration in [lo, hi].
func (g *Governor) fuzz(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// fail records a connection failure of p: failCount+1, next connect at
// now+delay, and forgetting on the (MaxConnectionRetries+1)th failure in a
// row unless p is a local root or an extra peer (reportFailures, 1.1+).
// It reports whether p was forgotten (p is then invalid).
func (g *Governor) fail(now clock.Time, p *Peer, delay time.Duration) bool {
	before := int(p.FailCount)
	if p.FailCount < 255 {
		p.FailCount++
	}
	// A later backoff already in force is kept; a failure cancels a
	// pending fail-count clear ("if no failure happens before then").
	p.NextConnect = max(p.NextConnect, now.Add(max(0, delay)))
	p.ClearFailAt = clock.Never
	if mr := g.cfg.Timing.MaxConnectionRetries; mr > 0 && before >= mr && p.Source&(SrcLocalRoot|srcExtra) == 0 {
		g.stats.FailForgotten++
		g.forget(p.ID)
		return true
	}
	return false
}

// failTraced is fail, then, when tracing, in's outcome for p: its fail
// count and next connect time, or that it was forgotten.
func (g *Governor) failTraced(now clock.Time, p *Peer, delay time.Duration, out *GovOutbox, in Input, outcome string) {
	if !out.Tracing {
		g.fail(now, p, delay)
		return
	}
	e := GovTrace{Kind: TraceInput, Input: in.Kind, Peer: p.ID, Outcome: outcome, FailCount: min(int(p.FailCount)+1, 255)}
	if e.Forgotten = g.fail(now, p, delay); !e.Forgotten {
		e.AtWhat, e.At = "next connect", p.NextConnect
	}
	out.trace(e)
}

// forget removes a cold peer from every set.
func (g *Governor) forget(id PeerID) {
	g.stats.Forgotten++
	g.t.remove(id)
}

// backoff is 5·2^min(n−1, 5) s ± 2 s for the n-th failure.
func (g *Governor) backoff(failCount int) time.Duration {
	tm := g.cfg.Timing
	exp := min(max(failCount-1, 0), tm.BackoffMaxExp)
	return tm.BackoffBase<<exp + g.fuzz(-tm.BackoffFuzz, tm.BackoffFuzz)
}

// rootRetryDelay updates a root/BLP backoff counter b after a result that
// added added peers (ok=false: the request failed) and returns the delay
// before the next request (spec/governor.md §2.3).
func (g *Governor) rootRetryDelay(b *int, ok bool, added int, ttl time.Duration) time.Duration {
	switch {
	case ok && added > 0:
		*b = 0
		return ttl
	case ok:
		*b = max(*b, 0) + 1
	default:
		*b = min(*b, 0) - 1
	}
	exp := min(abs(*b), g.cfg.Timing.MaxRootBackoffExp)
	return time.Duration(1<<exp) * time.Second
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Shareable appends to dst the peers this node answers a peer-sharing
// request with (spec/governor.md §2.4, responder side): at most
// min(n, PeerShareMaxReply) of its known peers that it may advertise, that
// once connected and have no current failure, excluding the requester,
// in the order of a salted hash whose salt changes every PeerShareSaltTime
// (so one requester gets stable answers for a while).
func (g *Governor) Shareable(now clock.Time, requester PeerID, n int, dst []PeerID) []PeerID {
	n = min(n, g.cfg.Timing.PeerShareMaxReply)
	if n <= 0 || !g.cfg.PeerSharing {
		return dst
	}
	salt := mix64(g.cfg.ShareSalt ^ uint64(int64(now)/int64(g.cfg.Timing.PeerShareSaltTime)))
	keys := g.skeys[:0]
	for i := range g.t.p {
		p := &g.t.p[i]
		if p.Advertise && p.Successful && p.FailCount == 0 && p.ID != requester {
			keys = append(keys, pickKey{uint32(mix64(salt ^ uint64(uint32(p.ID)))), p.ID})
		}
	}
	slices.SortFunc(keys, cmpPickKey)
	for _, k := range keys[:min(n, len(keys))] {
		dst = append(dst, k.id)
	}
	g.skeys = keys
	return dst
}

// mix64 is the SplitMix64 finaliser: a fixed, well-mixed hash.
func mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
