package node

import (
	"fmt"
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// Check verifies the governor's state invariants at time now (the
// assertPeerSelectionState invariants of spec/governor.md §6.1 that apply
// to this model) and returns the first one broken. Tests call it after
// every step.
func (g *Governor) Check(now clock.Time) error {
	if err := g.targets.Check(); err != nil {
		return fmt.Errorf("invariant 3: %w", err)
	}
	local := 0
	for _, grp := range g.groups {
		local += len(grp.Peers)
		if !(0 < grp.HotValency && grp.HotValency <= grp.WarmValency && grp.WarmValency <= len(grp.Peers)) {
			return fmt.Errorf("invariant 12: local root group %+v: want 0 < hot ≤ warm ≤ size", grp)
		}
	}
	if local > g.targets.Known {
		return fmt.Errorf("invariant 3: %d local roots above the known target %d", local, g.targets.Known)
	}
	if !slices.IsSortedFunc(g.t.p, func(a, b Peer) int { return int(a.ID) - int(b.ID) }) {
		return fmt.Errorf("peer table not sorted by id")
	}
	if len(g.t.ids) != len(g.t.p) {
		return fmt.Errorf("peer table: %d ids for %d records", len(g.t.ids), len(g.t.p))
	}
	for i := range g.t.p {
		p := &g.t.p[i]
		if err := g.checkPeer(now, p); err != nil {
			return fmt.Errorf("peer %d (%v, progress %05b, source %v): %w", p.ID, p.State, p.Progress, p.Source, err)
		}
		if g.t.ids[i] != p.ID {
			return fmt.Errorf("peer table: id %d at the place of peer %d", g.t.ids[i], p.ID)
		}
		if i > 0 && g.t.p[i-1].ID == p.ID {
			return fmt.Errorf("peer %d known twice", p.ID)
		}
	}
	for gi, grp := range g.groups {
		for _, id := range grp.Peers {
			p := g.t.get(id)
			if p == nil || !p.IsLocal() || int(p.Group) != gi {
				return fmt.Errorf("invariant 2: local root %d of group %d not known as such", id, gi)
			}
		}
	}
	if err := g.checkSensitive(); err != nil {
		return err
	}
	if len(g.shares) > g.cfg.Timing.PeerShareMaxInFlight {
		return fmt.Errorf("invariant 5: %d peer-share requests in flight, limit %d", len(g.shares), g.cfg.Timing.PeerShareMaxInFlight)
	}
	for _, s := range g.shares {
		if s.deadline <= now {
			return fmt.Errorf("peer-share request to %d past its deadline %v at %v", s.peer, s.deadline, now)
		}
	}
	return g.checkTally()
}

func (g *Governor) checkPeer(now clock.Time, p *Peer) error {
	if p.ID == g.cfg.Self {
		return fmt.Errorf("the node knows itself")
	}
	roots := p.Source & srcRoot
	if roots&(roots-1) != 0 {
		return fmt.Errorf("invariants 2, 13: in more than one root set")
	}
	if roots != 0 && p.Source&(SrcShared|SrcInbound) != 0 {
		return fmt.Errorf("a root also marked as learnt")
	}
	if p.Source == 0 {
		return fmt.Errorf("no source")
	}
	if p.IsLocal() != (p.Group >= 0) {
		return fmt.Errorf("local-root flag and group %d disagree", p.Group)
	}
	if p.Group >= int16(len(g.groups)) {
		return fmt.Errorf("group %d of %d", p.Group, len(g.groups))
	}
	if p.IsLocal() && !slices.Contains(g.groups[p.Group].Peers, p.ID) {
		return fmt.Errorf("not a member of its group %d", p.Group)
	}
	pr := p.Progress
	switch {
	case p.Established() && p.NextConnect > now:
		return fmt.Errorf("invariant 4: established but in backoff until %v", p.NextConnect)
	case p.State == Hot && p.NextActivate > now && p.Progress&DemoteHot == 0:
		return fmt.Errorf("invariant 1: active before its activate time %v", p.NextActivate)
	case pr&PromoteCold != 0 && p.State != Cold:
		return fmt.Errorf("invariant 6: promoting from cold but %v", p.State)
	case pr&(PromoteWarm|DemoteWarm) != 0 && p.State != Warm:
		return fmt.Errorf("invariant 6: warm job in flight but %v", p.State)
	case pr&DemoteHot != 0 && p.State != Hot:
		return fmt.Errorf("invariant 6: demoting from hot but %v", p.State)
	case pr&PromoteWarm != 0 && pr&DemoteWarm != 0:
		return fmt.Errorf("invariant 7: promoting and demoting warm at once")
	case pr&DemoteToCold != 0 && (pr != DemoteToCold || !p.Established()):
		return fmt.Errorf("invariant 8: cooling must be established and in no other in-progress set")
	case p.Established() && p.Sharing == SharingUnknown:
		return fmt.Errorf("established without a known peer-sharing flag")
	case p.Sharing != SharingEnabled && p.Established() && p.NextShare != clock.Never:
		return fmt.Errorf("invariant 9: peer-share schedule for a peer that does not share")
	case p.Established() && !p.Successful:
		return fmt.Errorf("established but never connected successfully")
	}
	return nil
}

// checkSensitive checks the state of the judgement (gov_lsj.go): a holding
// node has zero targets, no local roots and (once started) a critical
// deadline; otherwise churn's targets are in force and no deadline is
// pending; in the sensitive state the local roots are trustable and, once
// quiesced, every known peer is a configured bootstrap peer or a member
// of a trustable local-root group.
func (g *Governor) checkSensitive() error {
	switch {
	case g.aborted:
		return nil // frozen at the timeout
	case g.holding() && (g.targets != Targets{} || len(g.groups) > 0):
		return fmt.Errorf("sensitive state: targets %+v and %d local-root groups before quiescing, want none", g.targets, len(g.groups))
	case g.holding() && g.started && g.deadline == clock.Never:
		return fmt.Errorf("sensitive state: no critical deadline")
	case !g.holding() && (g.targets != g.churn || g.deadline != clock.Never):
		return fmt.Errorf("targets %+v, churn's %+v, critical deadline %v outside the sensitive state", g.targets, g.churn, g.deadline)
	case g.onlyBootstrap && !g.sensitive():
		return fmt.Errorf("hasOnlyBootstrapPeers outside the sensitive state")
	}
	if !g.sensitive() {
		return nil
	}
	for _, grp := range g.groups {
		if !grp.Trustable {
			return fmt.Errorf("sensitive state: local-root group %v not trustable", grp.Peers)
		}
	}
	if !g.onlyBootstrap {
		return nil
	}
	for i := range g.t.p {
		p := &g.t.p[i]
		boot := p.Source&SrcBootstrap != 0 && isIn(g.boot, p.ID)
		if !boot && !slices.ContainsFunc(g.cfg.LocalRoots, func(grp LocalRootGroup) bool {
			return grp.Trustable && slices.Contains(grp.Peers, p.ID)
		}) {
			return fmt.Errorf("sensitive state, quiesced: peer %d (%v) is neither a bootstrap peer nor a trustable local root", p.ID, p.Source)
		}
	}
	return nil
}
