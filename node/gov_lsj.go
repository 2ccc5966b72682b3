package node

import (
	"fmt"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// The ledger-state judgement (LSJ) and the states that depend on it
// (spec/governor.md §1.4, §2.9; CD/PeerSelection/Governor/Monitor.hs and
// Types.hs). Consensus judges the node's ledger YoungEnough (caught up)
// or TooOld (syncing); the world tells the governor with InJudgement.
//
// With bootstrap peers (UseBootstrap, not Genesis), TooOld is the
// sensitive state. Entering it (monitorLedgerStateJudgement) sets every
// target to 0 and drops the local roots, resets the root-request backoff
// and starts the critical timeout; the above-target decisions then demote
// and forget everything. While the node "holds" (sensitive and not yet
// quiesced) churn's targets are kept aside and local roots stay dropped.
// Quiesced (waitForSystemToQuiesce: every local root trustable, known ⊆
// bootstrap ∪ trustable local roots, no promotion, peer-sharing, root or
// big-ledger request in flight) it sets hasOnlyBootstrapPeers and takes
// churn's targets and the trustable local roots back (targetPeers,
// localRoots). Throughout the sensitive state peer sharing, inbound
// peers, big-ledger requests and big-ledger promotions are off
// (enableProgressMakingActions), and root requests ask for bootstrap
// peers. Not quiesced at the timeout: ActCriticalTimeout. YoungEnough
// forgets the bootstrap peers that are neither established nor being
// connected, resets the root backoff and restores all local roots.
//
// Where this differs from the reference, and why:
//
//   - the reference checks the timeout only when its loop next runs
//     (abortGovernor); we wake at it, so it fires at exactly entry +
//     BootstrapTimeout;
//   - local roots are static here (no DNS or topology reload), so the
//     localRoots monitor's "a local root stopped being trustable: force
//     re-entry" case does not arise;
//   - Genesis swaps deadline and sync targets in the governor when the
//     judgement flips and churn's targets are the other mode's; here churn
//     (ChurnGenesis) writes the sync targets itself at its next step.

// LSJ is the ledger-state judgement.
type LSJ uint8

// Judgements. The zero value is YoungEnough: runs that never send
// InJudgement behave as before the judgement was modelled.
const (
	YoungEnough LSJ = iota // caught up
	TooOld                 // syncing
)

func (j LSJ) String() string {
	switch j {
	case YoungEnough:
		return "young-enough"
	case TooOld:
		return "too-old"
	}
	return fmt.Sprintf("LSJ(%d)", uint8(j))
}

// OutboundState is what the governor reports to consensus
// (OutboundConnectionsState).
type OutboundState uint8

// Outbound states.
const (
	Untrusted OutboundState = iota // UntrustedState
	Trusted                        // TrustedStateWithExternalPeers
)

func (s OutboundState) String() string {
	if s == Trusted {
		return "trusted"
	}
	return "untrusted"
}

// AssociationMode says whether a node talks only to its local roots
// (spec/governor.md §1.4, readAssociationMode).
type AssociationMode uint8

// Association modes.
const (
	Unrestricted AssociationMode = iota
	LocalRootsOnly
)

func (a AssociationMode) String() string {
	if a == LocalRootsOnly {
		return "local-roots-only"
	}
	return "unrestricted"
}

// DefaultMinBigLedgerForTrust is MinBigLedgerPeersForTrustedState, the
// active big ledger peers a Genesis node needs to be trusted.
const DefaultMinBigLedgerForTrust = 5

// checkJudgement checks the fields of the judgement (Check).
func (c *GovernorConfig) checkJudgement() error {
	if c.InitialJudgement > TooOld {
		return fmt.Errorf("governor InitialJudgement %d: accepted YoungEnough (0) or TooOld (1)", c.InitialJudgement)
	}
	if c.MinBigLedgerForTrust < 0 || c.MinBigLedgerForTrust > MaxActiveTarget {
		return fmt.Errorf("governor MinBigLedgerForTrust %d: accepted 0 (default %d) to %d (the active target cap)",
			c.MinBigLedgerForTrust, DefaultMinBigLedgerForTrust, MaxActiveTarget)
	}
	if !c.UseBootstrap || c.Genesis {
		return nil
	}
	if c.Timing.BootstrapTimeout <= 0 {
		return fmt.Errorf("governor timing BootstrapTimeout %v: accepted > 0 with UseBootstrap (15 min in DefaultTiming)", c.Timing.BootstrapTimeout)
	}
	// isValidTrustedPeerConfiguration (spec §5.3): cardano-node refuses to start.
	if len(c.Bootstrap) == 0 && !slices.ContainsFunc(c.LocalRoots, func(g LocalRootGroup) bool { return g.Trustable && len(g.Peers) > 0 }) {
		return fmt.Errorf("governor UseBootstrap with no bootstrap peers and no trustable local root: accepted a bootstrap peer or a trustable local-root group with peers")
	}
	return nil
}

// useBootstrap: bootstrap peers are in use (Genesis ignores them).
func (g *Governor) useBootstrap() bool { return g.cfg.UseBootstrap && !g.cfg.Genesis }

// sensitive: bootstrap peers in use and the ledger TooOld (requiresBootstrapPeers).
func (g *Governor) sensitive() bool { return g.useBootstrap() && g.lsj == TooOld }

// holding: sensitive and not yet quiesced (not isNodeAbleToMakeProgress):
// targets are zero and churn's wait aside.
func (g *Governor) holding() bool { return g.sensitive() && !g.onlyBootstrap }

// Judgement returns the ledger-state judgement last told.
func (g *Governor) Judgement() LSJ { return g.lsj }

// Sensitive reports whether the node is in the sensitive bootstrap state
// (UseBootstrap, not Genesis, TooOld). The world answers its root
// requests (ActRequestRoots with Bootstrap set) with bootstrap peers.
func (g *Governor) Sensitive() bool { return g.sensitive() }

// OnlyBootstrap reports hasOnlyBootstrapPeers: sensitive and quiesced.
func (g *Governor) OnlyBootstrap() bool { return g.sensitive() && g.onlyBootstrap }

// CriticalDeadline returns when ActCriticalTimeout fires unless the node
// quiesces first, or clock.Never.
func (g *Governor) CriticalDeadline() clock.Time { return g.deadline }

// Aborted reports whether the critical timeout fired: Step does nothing
// any more, and the world must restart the node.
func (g *Governor) Aborted() bool { return g.aborted }

// Association returns the node's association mode: LocalRootsOnly
// without ledger peers and peer sharing, and with bootstrap peers off or
// an empty list (readAssociationMode).
func (g *Governor) Association() AssociationMode {
	if !g.cfg.LedgerPeers && !g.cfg.PeerSharing && (!g.useBootstrap() || len(g.cfg.Bootstrap) == 0) {
		return LocalRootsOnly
	}
	return Unrestricted
}

// OutboundState returns the state reported to consensus
// (outboundConnectionsState, spec §1.4). Established and active sets
// exclude big ledger peers, as the reference's view does.
//
//   - LocalRootsOnly: Trusted when every established peer is a trustable
//     local root;
//   - bootstrap peers in use: Trusted when every established peer is a
//     bootstrap peer or a trustable local root and one bootstrap peer is
//     active;
//   - Genesis: Trusted when MinBigLedgerForTrust big ledger peers are active;
//   - Praos without bootstrap peers: Untrusted.
func (g *Governor) OutboundState() OutboundState {
	trusted := func(b bool) OutboundState {
		if b {
			return Trusted
		}
		return Untrusted
	}
	trustedLocal := func(p *Peer) bool { return p.IsLocal() && g.groups[p.Group].Trustable }
	switch {
	case g.Association() == LocalRootsOnly:
		for i := range g.t.p {
			if p := &g.t.p[i]; p.Established() && !p.IsBLP() && !trustedLocal(p) {
				return Untrusted
			}
		}
		return Trusted
	case g.useBootstrap():
		activeBoot := false
		for i := range g.t.p {
			p := &g.t.p[i]
			if !p.Established() || p.IsBLP() {
				continue
			}
			if p.Source&SrcBootstrap != 0 {
				activeBoot = activeBoot || p.State == Hot
			} else if !trustedLocal(p) {
				return Untrusted
			}
		}
		return trusted(activeBoot)
	case g.cfg.Genesis:
		need := g.cfg.MinBigLedgerForTrust
		if need == 0 {
			need = DefaultMinBigLedgerForTrust
		}
		return trusted(g.Counts().ActiveBLP >= need)
	}
	return Untrusted
}

// judge handles InJudgement (monitorLedgerStateJudgement).
func (g *Governor) judge(now clock.Time, in Input, out *GovOutbox) {
	j := in.Judgement
	switch {
	case j > TooOld:
		out.input(in, fmt.Sprintf("ignored, unknown judgement %d", j))
		return
	case j == g.lsj:
		out.input(in, "unchanged, "+j.String())
		return
	}
	g.lsj = j
	if !g.useBootstrap() {
		out.input(in, j.String()) // Genesis and plain Praos only record it
		return
	}
	g.rootBackoff, g.rootRetry = 0, now
	g.onlyBootstrap = false
	if j == TooOld {
		g.deadline = now.Add(g.cfg.Timing.BootstrapTimeout)
		g.targets = Targets{}
		g.applyLocalRoots() // none fit in known 0
		out.inputAt(in, "too-old: sensitive, targets 0, local roots dropped", "critical timeout", g.deadline)
		return
	}
	g.deadline = clock.Never
	var gone []PeerID
	for i := range g.t.p {
		if p := &g.t.p[i]; p.Source&SrcBootstrap != 0 && p.State == Cold && p.Progress&PromoteCold == 0 {
			gone = append(gone, p.ID)
		}
	}
	for _, id := range gone {
		g.forget(id)
	}
	g.targets = g.churn
	g.applyLocalRoots()
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceInput, Input: InJudgement, Outcome: "young-enough: targets and local roots restored", Peers: gone})
	}
}

// quiesce is waitForSystemToQuiesce followed by the targetPeers and
// localRoots monitors that it unblocks: once a holding node is quiesced it
// sets hasOnlyBootstrapPeers, clears the critical timeout and takes
// churn's targets and the trustable local roots. It reports whether it
// acted; the groups change, so the tally is recounted.
func (g *Governor) quiesce(tl *tally, out *GovOutbox) bool {
	if !g.holding() || tl.promColdBLP+tl.promColdOther+tl.promWarmBLP+tl.promWarmOther > 0 ||
		len(g.shares) > 0 || g.rootsInFlight || g.blpInFlight {
		return false
	}
	for _, grp := range g.groups {
		if !grp.Trustable {
			return false
		}
	}
	for i := range g.t.p {
		if !g.trustedPeer(&g.t.p[i]) {
			return false
		}
	}
	g.onlyBootstrap, g.deadline = true, clock.Never
	g.targets = g.churn
	g.applyLocalRoots()
	g.tallyOK = false
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceOnlyBootstrap, Targets: g.targets})
	}
	return true
}

// trustedPeer: p is a bootstrap peer or a member of a trustable local-root
// group in force.
func (g *Governor) trustedPeer(p *Peer) bool {
	return p.Source&SrcBootstrap != 0 || p.IsLocal() && g.groups[p.Group].Trustable
}

// abort fires the critical timeout at its deadline (abortGovernor), and
// keeps an aborted governor inert. The first Step starts the deadline of
// a governor built TooOld. It reports whether Step must stop.
func (g *Governor) abort(now clock.Time, out *GovOutbox) bool {
	if g.aborted {
		return true
	}
	if !g.started {
		g.started = true
		if g.holding() {
			g.deadline = now.Add(g.cfg.Timing.BootstrapTimeout)
		}
	}
	if now < g.deadline {
		return false
	}
	g.aborted, g.deadline = true, clock.Never
	out.add(GovAction{Kind: ActCriticalTimeout})
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceCriticalTimeout, At: now})
	}
	return true
}
