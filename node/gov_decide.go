package node

import (
	"slices"

	"github.com/dpsim/dpsim/clock"
)

// tally is one pass over the peer table: the counters every decision
// guard reads. In-flight work is counted at decision time, so no guard
// repeats it.
type tally struct {
	Counts
	promColdBLP, promColdOther int // cold→warm in flight
	promWarmBLP, promWarmOther int // warm→hot in flight
	demWarmBLP, demWarmOther   int // warm→cold in flight
	demHotBLP, demHotOther     int // hot→warm in flight
	coolBLP, coolOther         int // cooling
	warmLocal                  int // local roots established but not active
	// Per local-root group: established, active, and in flight.
	gEst, gAct, gPromCold, gPromWarm, gDemHot []int
}

// count returns the tally. The first decision of a Step recounts it (the
// input may have changed anything); from then on the decisions keep it
// current themselves, bracketing every change they make to a peer with
// untally and retally, so a Step that takes k decisions scans the table
// once rather than k+1 times. checkTally compares it with a recount.
func (g *Governor) count() *tally {
	if g.tallyOK {
		return &g.tally
	}
	g.recount(&g.tally)
	g.tallyOK = true
	return &g.tally
}

// recount fills tl from a pass over the peer table.
func (g *Governor) recount(tl *tally) {
	ng := len(g.groups)
	tl.gEst = resize(tl.gEst, ng)
	tl.gAct = resize(tl.gAct, ng)
	tl.gPromCold = resize(tl.gPromCold, ng)
	tl.gPromWarm = resize(tl.gPromWarm, ng)
	tl.gDemHot = resize(tl.gDemHot, ng)
	*tl = tally{gEst: tl.gEst, gAct: tl.gAct, gPromCold: tl.gPromCold, gPromWarm: tl.gPromWarm, gDemHot: tl.gDemHot}
	for i := range g.t.p {
		tl.add(&g.t.p[i], 1)
	}
}

// add counts p (d = 1) or takes it out (d = -1). Groups are those of
// the last recount: decisions do not change them.
func (tl *tally) add(p *Peer, d int) {
	tl.Counts.add(p, d)
	if p.Progress != 0 { // most peers have no job in flight
		blp := p.IsBLP()
		inc := func(b, o *int, bit Progress) {
			if p.Progress&bit != 0 {
				if blp {
					*b += d
				} else {
					*o += d
				}
			}
		}
		inc(&tl.promColdBLP, &tl.promColdOther, PromoteCold)
		inc(&tl.promWarmBLP, &tl.promWarmOther, PromoteWarm)
		inc(&tl.demWarmBLP, &tl.demWarmOther, DemoteWarm)
		inc(&tl.demHotBLP, &tl.demHotOther, DemoteHot)
		inc(&tl.coolBLP, &tl.coolOther, DemoteToCold)
	}
	if gi := int(p.Group); p.IsLocal() && gi >= 0 && gi < len(tl.gEst) {
		if p.State == Warm {
			tl.warmLocal += d
		}
		if p.Established() {
			tl.gEst[gi] += d
		}
		if p.State == Hot {
			tl.gAct[gi] += d
		}
		if p.Progress&PromoteCold != 0 {
			tl.gPromCold[gi] += d
		}
		if p.Progress&PromoteWarm != 0 {
			tl.gPromWarm[gi] += d
		}
		if p.Progress&DemoteHot != 0 {
			tl.gDemHot[gi] += d
		}
	}
}

// untally takes p out of a current tally before a decision changes it;
// retally counts it back afterwards.
func (g *Governor) untally(p *Peer) {
	if g.tallyOK {
		g.tally.add(p, -1)
	}
}

func (g *Governor) retally(p *Peer) {
	if g.tallyOK {
		g.tally.add(p, 1)
	}
}

// setProgress sets bit on p, keeping the tally current.
func (g *Governor) setProgress(p *Peer, bit Progress) {
	g.untally(p)
	p.Progress |= bit
	g.retally(p)
}

func resize(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// decide takes the first enabled decision, in the reference priority
// order (spec/governor.md §2.1): quiescing in the sensitive state, big ledger peers, root peers, known,
// established and active peers, promotions before demotions in each layer
// and, inside established and active, big ledger peers, then local roots,
// then the others. It reports whether it acted.
func (g *Governor) decide(now clock.Time, out *GovOutbox) bool {
	tl := g.count()
	return g.quiesce(tl, out) ||
		g.bigLedgerBelow(now, tl, out) || g.bigLedgerAbove(tl, out) ||
		g.rootsBelow(now, tl, out) ||
		g.knownBelow(now, tl, out) || g.knownAbove(tl, out) ||
		g.establishedBelow(now, tl, out) || g.establishedAbove(tl, out) ||
		g.activeBelow(now, tl, out) || g.activeAbove(tl, out)
}

// candidates collects, in id order, the peers for which keep holds.
func (g *Governor) candidates(keep func(p *Peer) bool) []PeerID {
	c := g.cand[:0]
	for i := range g.t.p {
		if keep(&g.t.p[i]) {
			c = append(c, g.t.p[i].ID)
		}
	}
	g.cand = c
	return c
}

// pick asks the policy for up to n of cands; empty when there is nothing
// to do.
func (g *Governor) pick(d Decision, cands []PeerID, n int) []PeerID {
	if n <= 0 || len(cands) == 0 {
		return nil
	}
	g.got = g.policy.Pick(d, g, cands, min(n, len(cands)), g.rng, g.got[:0])
	return g.got
}

// bigLedgerBelow requests big ledger peers (spec §2.3).
func (g *Governor) bigLedgerBelow(now clock.Time, tl *tally, out *GovOutbox) bool {
	if !g.cfg.LedgerPeers || tl.KnownBLP >= g.targets.KnownBLP || g.blpInFlight || now < g.blpRetry || g.sensitive() {
		return false
	}
	g.blpInFlight = true
	g.stats.BigLedgerReqs++
	out.add(GovAction{Kind: ActRequestBLP, Count: int32(g.targets.KnownBLP - tl.KnownBLP)})
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceRequestBigLedger, Count: g.targets.KnownBLP - tl.KnownBLP, Have: tl.KnownBLP, Target: g.targets.KnownBLP})
	}
	return true
}

// bigLedgerAbove forgets cold big ledger peers above target.
func (g *Governor) bigLedgerAbove(tl *tally, out *GovOutbox) bool {
	n := tl.KnownBLP - g.targets.KnownBLP
	if n <= 0 {
		return false
	}
	c := g.candidates(func(p *Peer) bool { return p.IsBLP() && p.State == Cold && p.Progress&PromoteCold == 0 })
	ids := g.pick(PickForget, c, n)
	out.decision(TraceForgetBigLedger, ClassBigLedger, -1, ids, tl.KnownBLP, 0, g.targets.KnownBLP)
	return g.forgetPicked(ids)
}

func (g *Governor) forgetPicked(ids []PeerID) bool {
	for _, id := range ids {
		if p := g.t.get(id); p != nil {
			g.untally(p)
		}
		g.forget(id)
	}
	return len(ids) > 0
}

// rootsBelow requests public roots (spec §2.3).
func (g *Governor) rootsBelow(now clock.Time, tl *tally, out *GovOutbox) bool {
	if tl.Root >= g.targets.Root || g.rootsInFlight || now < g.rootRetry {
		return false
	}
	// In the sensitive state the answer is bootstrap peers.
	boot := g.sensitive()
	if boot && len(g.boot) == 0 || !boot && !g.cfg.LedgerPeers && len(g.cfg.PublicRoots) == 0 {
		return false // nothing could answer
	}
	g.rootsInFlight, g.rootsBoot = true, boot
	g.stats.RootRequests++
	out.add(GovAction{Kind: ActRequestRoots, Count: int32(g.targets.Root - tl.Root), Bootstrap: boot})
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceRequestRoots, Count: g.targets.Root - tl.Root, Have: tl.Root, Target: g.targets.Root})
	}
	return true
}

// knownBelow learns peers: inbound peers or peer-sharing requests (spec §2.4).
func (g *Governor) knownBelow(now clock.Time, tl *tally, out *GovOutbox) bool {
	deficit := g.targets.Known - tl.Known
	if !g.cfg.PeerSharing || deficit <= 0 || g.sensitive() {
		return false
	}
	tm := g.cfg.Timing
	// The cheap guards first: the candidate scan only when a branch can
	// use it (the same draws, under the same conditions).
	inbound := len(g.shares) == 0 && now >= g.inboundRetry && g.unknownInbound()
	if !inbound && len(g.shares) >= tm.PeerShareMaxInFlight {
		return false
	}
	avail := g.candidates(func(p *Peer) bool {
		return p.Established() && !p.cooling() && p.Sharing == SharingEnabled && p.NextShare <= now
	})
	if inbound && (len(avail) == 0 || g.rng.IntN(2) == 0) {
		c := g.cand[:0]
		for _, id := range g.inbound {
			if g.t.get(id) == nil {
				c = append(c, id)
			}
		}
		g.cand = c
		picked := g.pick(PickInbound, c, min(tm.InboundMax, deficit))
		out.decision(TraceLearnInbound, ClassOther, -1, picked, tl.Known, 0, g.targets.Known)
		for _, id := range picked {
			if old := g.t.get(id); old != nil {
				g.untally(old)
			}
			p, _ := g.t.insert(id, SrcInbound, true)
			p.Successful = true
			g.retally(p)
			g.stats.InboundLearnt++
		}
		g.inboundRetry = now.Add(tm.InboundRetry)
		return true
	}
	if len(g.shares) >= tm.PeerShareMaxInFlight || len(avail) == 0 {
		return false
	}
	picked := g.pick(PickShare, avail, tm.PeerShareMaxInFlight-len(g.shares))
	ask := min(max(deficit/len(picked), 8), 255)
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceRequestShare, Peers: slices.Clone(picked), Count: ask, Have: tl.Known,
			Target: g.targets.Known, InFlight: len(g.shares)})
	}
	for _, id := range picked {
		g.t.get(id).NextShare = now.Add(tm.PeerShareRetry)
		g.shares = append(g.shares, shareReq{peer: id, asked: int32(ask), deadline: now.Add(tm.PeerShareTimeout)})
		g.stats.ShareRequests++
		out.add(GovAction{Kind: ActShareRequest, Peer: id, Count: int32(ask)})
	}
	return true
}

// unknownInbound reports whether an inbound peer is not known.
func (g *Governor) unknownInbound() bool {
	for _, id := range g.inbound {
		if g.t.get(id) == nil {
			return true
		}
	}
	return false
}

// knownAbove forgets cold peers above the known target (spec §2.4).
func (g *Governor) knownAbove(tl *tally, out *GovOutbox) bool {
	n := tl.Known - g.targets.Known
	if n <= 0 {
		return false
	}
	rootExcess := tl.Root - g.targets.Root
	c := g.candidates(func(p *Peer) bool {
		return !p.IsBLP() && !p.IsLocal() && p.State == Cold && p.Progress&PromoteCold == 0 &&
			(rootExcess > 0 || p.Source&srcPublicRoot == 0)
	})
	if rootExcess > 0 {
		n = min(rootExcess, n)
	}
	ids := g.pick(PickForget, c, n)
	out.decision(TraceForgetCold, ClassOther, -1, ids, tl.Known, 0, g.targets.Known)
	return g.forgetPicked(ids)
}

// available reports whether a cold peer may be dialled now.
func available(p *Peer, now clock.Time) bool {
	return p.State == Cold && p.Progress&PromoteCold == 0 && p.NextConnect <= now
}

// establishedBelow promotes cold peers: big ledger peers, local roots
// (even past the target), then others (spec §2.5).
func (g *Governor) establishedBelow(now clock.Time, tl *tally, out *GovOutbox) bool {
	// Big ledger peers are not promoted in the sensitive state (nor below).
	if n := g.targets.EstablishedBLP - tl.EstablishedBLP - tl.promColdBLP; n > 0 && !g.sensitive() {
		c := g.candidates(func(p *Peer) bool { return p.IsBLP() && available(p, now) })
		ids := g.pick(PickColdToWarm, c, n)
		out.decision(TracePromoteCold, ClassBigLedger, -1, ids, tl.EstablishedBLP, tl.promColdBLP, g.targets.EstablishedBLP)
		if g.connect(ids, out) {
			return true
		}
	}
	acted := false
	for gi, grp := range g.groups {
		n := grp.WarmValency - tl.gEst[gi] - tl.gPromCold[gi]
		if n <= 0 || grp.BehindFirewall {
			continue
		}
		c := g.candidates(func(p *Peer) bool { return int(p.Group) == gi && p.IsLocal() && available(p, now) })
		ids := g.pick(PickColdToWarm, c, n)
		out.decision(TracePromoteCold, ClassLocalRoot, gi, ids, tl.gEst[gi], tl.gPromCold[gi], grp.WarmValency)
		acted = g.connect(ids, out) || acted
	}
	if acted {
		return true
	}
	n := g.targets.Established - tl.Established - tl.promColdOther
	if n <= 0 {
		return false
	}
	c := g.candidates(func(p *Peer) bool { return !p.IsBLP() && !p.IsLocal() && available(p, now) })
	ids := g.pick(PickColdToWarm, c, n)
	out.decision(TracePromoteCold, ClassOther, -1, ids, tl.Established, tl.promColdOther, g.targets.Established)
	return g.connect(ids, out)
}

func (g *Governor) connect(ids []PeerID, out *GovOutbox) bool {
	for _, id := range ids {
		p := g.t.get(id)
		g.setProgress(p, PromoteCold)
		a := GovAction{Kind: ActConnect, Peer: id}
		if p.IsLocal() {
			a.InitiatorOnly = g.groups[p.Group].InitiatorOnly
		}
		out.add(a)
	}
	return len(ids) > 0
}

// idleWarm reports whether p is warm with no job in flight and not cooling.
func idleWarm(p *Peer) bool {
	return p.State == Warm && p.Progress&(PromoteWarm|DemoteWarm|DemoteToCold) == 0
}

// establishedAbove closes warm connections above target: big ledger peers,
// then non-local others (spec §2.5).
func (g *Governor) establishedAbove(tl *tally, out *GovOutbox) bool {
	if tl.EstablishedBLP > g.targets.EstablishedBLP {
		// The reference subtracts the whole in-progress sets here, not only
		// their big ledger members (a quirk kept for fidelity).
		n := min(tl.EstablishedBLP-g.targets.EstablishedBLP, tl.EstablishedBLP-tl.ActiveBLP) -
			(tl.demWarmBLP + tl.demWarmOther) - (tl.promWarmBLP + tl.promWarmOther) - tl.coolBLP
		c := g.candidates(func(p *Peer) bool { return p.IsBLP() && idleWarm(p) })
		ids := g.pick(PickWarmToCold, c, n)
		out.decision(TraceDemoteWarm, ClassBigLedger, -1, ids, tl.EstablishedBLP, 0, g.targets.EstablishedBLP)
		if g.close(ids, out) {
			return true
		}
	}
	if tl.Established <= g.targets.Established {
		return false
	}
	n := min(tl.Established-g.targets.Established, tl.Established-tl.warmLocal-tl.Active) -
		tl.demWarmOther - tl.promWarmOther - tl.coolOther
	c := g.candidates(func(p *Peer) bool { return !p.IsBLP() && !p.IsLocal() && idleWarm(p) })
	ids := g.pick(PickWarmToCold, c, n)
	out.decision(TraceDemoteWarm, ClassOther, -1, ids, tl.Established, 0, g.targets.Established)
	return g.close(ids, out)
}

func (g *Governor) close(ids []PeerID, out *GovOutbox) bool {
	for _, id := range ids {
		g.setProgress(g.t.get(id), DemoteWarm)
		out.add(GovAction{Kind: ActClose, Peer: id})
	}
	return len(ids) > 0
}

// ready reports whether a warm peer may be activated now.
func ready(p *Peer, now clock.Time) bool { return idleWarm(p) && p.NextActivate <= now }

// activeBelow activates warm peers: big ledger peers, local roots per
// group, then others (spec §2.6).
func (g *Governor) activeBelow(now clock.Time, tl *tally, out *GovOutbox) bool {
	if n := g.targets.ActiveBLP - tl.ActiveBLP - tl.promWarmBLP; n > 0 && !g.sensitive() {
		c := g.candidates(func(p *Peer) bool { return p.IsBLP() && ready(p, now) })
		ids := g.pick(PickWarmToHot, c, n)
		out.decision(TracePromoteWarm, ClassBigLedger, -1, ids, tl.ActiveBLP, tl.promWarmBLP, g.targets.ActiveBLP)
		if g.activate(ids, out) {
			return true
		}
	}
	acted := false
	for gi, grp := range g.groups {
		n := grp.HotValency - tl.gAct[gi] - tl.gPromWarm[gi]
		if n <= 0 {
			continue
		}
		c := g.candidates(func(p *Peer) bool { return int(p.Group) == gi && p.IsLocal() && ready(p, now) })
		ids := g.pick(PickWarmToHot, c, n)
		out.decision(TracePromoteWarm, ClassLocalRoot, gi, ids, tl.gAct[gi], tl.gPromWarm[gi], grp.HotValency)
		acted = g.activate(ids, out) || acted
	}
	if acted {
		return true
	}
	n := g.targets.Active - tl.Active - tl.promWarmOther
	if n <= 0 {
		return false
	}
	c := g.candidates(func(p *Peer) bool { return !p.IsBLP() && !p.IsLocal() && ready(p, now) })
	ids := g.pick(PickWarmToHot, c, n)
	out.decision(TracePromoteWarm, ClassOther, -1, ids, tl.Active, tl.promWarmOther, g.targets.Active)
	return g.activate(ids, out)
}

func (g *Governor) activate(ids []PeerID, out *GovOutbox) bool {
	for _, id := range ids {
		g.setProgress(g.t.get(id), PromoteWarm)
		out.add(GovAction{Kind: ActActivate, Peer: id})
	}
	return len(ids) > 0
}

func idleHot(p *Peer) bool { return p.State == Hot && p.Progress&DemoteHot == 0 }

// activeAbove deactivates hot peers: big ledger peers, local-root groups
// above their hot valency, then non-local others, lowest score first (spec §2.6).
func (g *Governor) activeAbove(tl *tally, out *GovOutbox) bool {
	if n := tl.ActiveBLP - g.targets.ActiveBLP - tl.demHotBLP; n > 0 {
		c := g.candidates(func(p *Peer) bool { return p.IsBLP() && idleHot(p) })
		ids := g.pick(PickHotToWarm, c, n)
		out.decision(TraceDemoteHot, ClassBigLedger, -1, ids, tl.ActiveBLP, tl.demHotBLP, g.targets.ActiveBLP)
		if g.deactivate(ids, out) {
			return true
		}
	}
	acted := false
	for gi, grp := range g.groups {
		n := tl.gAct[gi] - grp.HotValency - tl.gDemHot[gi]
		if n <= 0 {
			continue
		}
		c := g.candidates(func(p *Peer) bool { return int(p.Group) == gi && p.IsLocal() && idleHot(p) })
		ids := g.pick(PickHotToWarm, c, n)
		out.decision(TraceDemoteHot, ClassLocalRoot, gi, ids, tl.gAct[gi], tl.gDemHot[gi], grp.HotValency)
		acted = g.deactivate(ids, out) || acted
	}
	if acted {
		return true
	}
	n := tl.Active - g.targets.Active - tl.demHotOther
	if n <= 0 {
		return false
	}
	c := g.candidates(func(p *Peer) bool { return !p.IsBLP() && !p.IsLocal() && idleHot(p) })
	ids := g.pick(PickHotToWarm, c, n)
	out.decision(TraceDemoteHot, ClassOther, -1, ids, tl.Active, tl.demHotOther, g.targets.Active)
	return g.deactivate(ids, out)
}

func (g *Governor) deactivate(ids []PeerID, out *GovOutbox) bool {
	for _, id := range ids {
		g.setProgress(g.t.get(id), DemoteHot)
		out.add(GovAction{Kind: ActDeactivate, Peer: id})
	}
	return len(ids) > 0
}
