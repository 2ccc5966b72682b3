package node

import (
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// Fuzz ranges of the asynchronous demotions (Monitor.hs, spec §2.7) and of
// the warm→hot failure retry (spec §2.6).
const (
	asyncWarmFuzzLo = 100 * time.Millisecond
	asyncWarmFuzzHi = 10 * time.Second
	asyncColdFuzzLo = 100 * time.Millisecond
	asyncColdFuzzHi = 4 * time.Second
)

// handle applies one input to the peer tables (the monitoring decisions
// of spec/governor.md §2.1: job completions, asynchronous demotions,
// target and environment changes).
func (g *Governor) handle(now clock.Time, in Input, out *GovOutbox) {
	switch in.Kind {
	case InTick:
	case InConnected:
		g.connected(now, in, out)
	case InConnectFailed:
		if p := g.t.get(in.Peer); p != nil && p.Progress&PromoteCold != 0 {
			p.Progress &^= PromoteCold
			g.stats.ConnectFailures++
			if p.violated {
				g.punish(now, p, in, out)
				return
			}
			g.failTraced(now, p, g.backoff(int(p.FailCount)+1), out, in, "cold")
		}
	case InActivated:
		// A peer demoted meanwhile makes the job trace "aborted".
		if p := g.t.get(in.Peer); p != nil && p.State == Warm && p.Progress&PromoteWarm != 0 {
			p.Progress &^= PromoteWarm
			p.State = Hot
			p.ClearFailAt = now.Add(g.cfg.Timing.ClearFailCountDelay)
			g.nextClear = min(g.nextClear, p.ClearFailAt)
			g.stats.PromotedWarm++
			out.add(GovAction{Kind: NoteHot, Peer: p.ID})
			out.inputAt(in, "hot", "fail count clears", p.ClearFailAt)
		}
	case InActivateFailed:
		// The job has slept 1 s; the connection is gone: cold, with the
		// repromote error delay instead of the exponential backoff.
		if p := g.t.get(in.Peer); p != nil && p.Progress&PromoteWarm != 0 {
			g.toCold(p, out)
			g.stats.ConnectFailures++
			tm := g.cfg.Timing
			g.failTraced(now, p, tm.RepromoteErrorDelay+g.fuzz(-tm.BackoffFuzz, tm.BackoffFuzz), out, in, "cold")
		}
	case InDeactivated:
		if p := g.t.get(in.Peer); p != nil && p.Progress&DemoteHot != 0 {
			p.Progress &^= DemoteHot
			if p.State != Hot {
				out.input(in, "done, the peer was no longer hot")
				return
			}
			p.State, p.Tepid = Warm, true
			g.stats.DemotedHot++
			out.add(GovAction{Kind: NoteUnhot, Peer: p.ID})
			out.input(in, "warm, tepid")
		}
	case InClosed:
		if p := g.t.get(in.Peer); p != nil && p.Progress&DemoteWarm != 0 && p.Established() {
			g.toCold(p, out)
			g.stats.DemotedWarm++
			out.input(in, "cold")
		}
	case InAsyncWarm:
		if p := g.t.get(in.Peer); p != nil && p.State == Hot {
			p.State = Warm
			p.Progress &^= DemoteHot | PromoteWarm
			p.NextActivate = now.Add(in.Delay + g.fuzz(asyncWarmFuzzLo, asyncWarmFuzzHi))
			g.stats.AsyncDemotions++
			out.add(GovAction{Kind: NoteUnhot, Peer: p.ID})
			out.inputAt(in, "warm", "next activate", p.NextActivate)
		}
	case InAsyncCooling:
		if p := g.t.get(in.Peer); p != nil && p.Established() {
			if p.State == Hot {
				p.State = Warm
				out.add(GovAction{Kind: NoteUnhot, Peer: p.ID})
			}
			p.Progress = p.Progress&^(PromoteWarm|DemoteHot|DemoteWarm) | DemoteToCold
			out.input(in, "cooling")
		}
	case InAsyncCold:
		if p := g.t.get(in.Peer); p != nil && p.Established() {
			g.toCold(p, out)
			g.stats.AsyncDemotions++
			g.failTraced(now, p, in.Delay+g.fuzz(asyncColdFuzzLo, asyncColdFuzzHi), out, in, "cold")
		}
	case InShareReply, InShareFailed:
		g.shareResult(now, in, out)
	case InRoots, InRootsFailed, InBigLedger, InBigLedgerFailed:
		g.rootResult(now, in, out)
	case InTargets:
		// Only sane targets that differ are taken (spec §2.8); a holding
		// node keeps them aside until it quiesces (targetPeers is blocked).
		if in.Targets.Sane() && in.Targets != g.churn {
			g.churn = in.Targets
			outcome := "deferred, sensitive state"
			if !g.holding() {
				known := g.targets.Known
				g.targets = in.Targets
				if known != in.Targets.Known {
					g.applyLocalRoots()
				}
				outcome = "taken"
			}
			if out.Tracing {
				out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Outcome: outcome, Targets: in.Targets})
			}
		} else if out.Tracing {
			outcome := "ignored, not sane"
			if in.Targets == g.churn {
				outcome = "ignored, unchanged"
			}
			out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Outcome: outcome, Targets: in.Targets})
		}
	case InJudgement:
		g.judge(now, in, out)
	case InInboundUp:
		if i, ok := slices.BinarySearch(g.inbound, in.Peer); !ok && in.Peer != g.cfg.Self {
			g.inbound = slices.Insert(g.inbound, i, in.Peer)
			out.input(in, "inbound connection recorded")
		}
	case InInboundDown:
		if g.removeInbound(in.Peer) {
			out.input(in, "inbound connection removed")
		}
	case InViolation:
		g.violation(now, in, out)
	case InMode:
		g.mode = in.Mode
		out.input(in, in.Mode.String())
	}
}

// rootResult ends a root or big ledger peer request (spec §2.3): the
// request is no longer in flight, an answer's new peers join the known
// set, and the backoff sets the time of the next request.
func (g *Governor) rootResult(now clock.Time, in Input, out *GovOutbox) {
	inFlight, backoff, retry := &g.blpInFlight, &g.blpBackoff, &g.blpRetry
	src := SrcBigLedger
	if in.Kind == InRoots || in.Kind == InRootsFailed {
		inFlight, backoff, retry = &g.rootsInFlight, &g.rootBackoff, &g.rootRetry
		switch {
		case g.rootsBoot: // asked in the sensitive state
			src = SrcBootstrap
		case g.cfg.LedgerPeers:
			src = SrcLedger
		default:
			src = SrcPublicConfig
		}
	}
	if !*inFlight {
		// An answer nobody asked for (the request was made by the node
		// before a restart) changes nothing, not even the backoff.
		if out.Tracing {
			out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Outcome: "ignored: no request in flight"})
		}
		return
	}
	*inFlight = false
	ok := in.Kind == InRoots || in.Kind == InBigLedger
	added := 0
	if ok {
		added = g.addRoots(in.Peers, src)
	}
	*retry = now.Add(g.rootRetryDelay(backoff, ok, added, in.Delay))
	if out.Tracing {
		outcome := "answered"
		if !ok {
			outcome = "failed"
		}
		out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Outcome: outcome, Count: added, AtWhat: "next request", At: *retry})
	}
}

// connected completes a cold→warm job.
func (g *Governor) connected(now clock.Time, in Input, out *GovOutbox) {
	p := g.t.get(in.Peer)
	if p == nil || p.Progress&PromoteCold == 0 {
		// Forgotten meanwhile: give the connection back.
		out.add(GovAction{Kind: ActClose, Peer: in.Peer})
		out.input(in, "not being promoted: close the connection")
		return
	}
	p.Progress &^= PromoteCold
	if p.violated { // the peer broke a protocol while we dialled it
		out.add(GovAction{Kind: ActClose, Peer: p.ID})
		g.punish(now, p, in, out)
		return
	}
	p.State = Warm
	p.Successful, p.Tepid = true, false
	if in.Delay > 0 { // InConnected carries the handshake's RTT in Delay
		p.RTT = in.Delay
	}
	p.NextActivate = 0
	if in.Sharing {
		p.Sharing = SharingEnabled
		p.NextShare = now.Add(g.cfg.Timing.PeerShareActivation)
		out.inputAt(in, "warm, shares peers", "next share request", p.NextShare)
	} else {
		p.Sharing = SharingDisabled
		p.NextShare = clock.Never
		out.input(in, "warm, does not share peers")
	}
	g.stats.PromotedCold++
}

// toCold takes an established peer out of the established set.
func (g *Governor) toCold(p *Peer, out *GovOutbox) {
	if p.State == Hot {
		out.add(GovAction{Kind: NoteUnhot, Peer: p.ID})
	}
	p.State = Cold
	p.Progress &^= PromoteWarm | DemoteHot | DemoteWarm | DemoteToCold
}

// violation handles adversarial behaviour (seed 002): the peer is demoted
// from hot, warm and known at once and its connection dropped; local roots
// and extra peers, which cannot be forgotten, go cold with the error delay
// instead. A peer whose connect is in flight keeps its mark until the
// connect answers, so it is never dialled twice at once; the answer then
// completes the violation (see connected and InConnectFailed).
func (g *Governor) violation(now clock.Time, in Input, out *GovOutbox) {
	id := in.Peer
	p := g.t.get(id)
	if p == nil {
		return
	}
	g.stats.Violations++
	if p.Established() {
		out.add(GovAction{Kind: ActDrop, Peer: id})
		g.toCold(p, out)
	} else {
		g.dropInbound(id, out)
	}
	g.removeInbound(id)
	g.shares = slices.DeleteFunc(g.shares, func(s shareReq) bool { return s.peer == id })
	if p.Progress&PromoteCold != 0 {
		p.violated = true
		out.input(in, "protocol violation: connect in flight, punished when it answers")
		return
	}
	g.punish(now, p, in, out)
}

// punish ends a violation: forget the peer, or, for a local root or an
// extra peer, a failure with the error delay. An inbound connection the
// peer opened while its violation waited for our connect's answer goes
// too; light peer sharing would otherwise learn the violator again in the
// same Step.
func (g *Governor) punish(now clock.Time, p *Peer, in Input, out *GovOutbox) {
	p.violated = false
	g.dropInbound(p.ID, out)
	if p.Source&(SrcLocalRoot|srcExtra) != 0 {
		p.Progress = 0
		tm := g.cfg.Timing
		g.failTraced(now, p, tm.RepromoteErrorDelay+g.fuzz(-tm.BackoffFuzz, tm.BackoffFuzz), out, in, "protocol violation: kept (local or extra root), cold")
		return
	}
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Peer: p.ID, Outcome: "protocol violation", Forgotten: true})
	}
	g.forget(p.ID)
}

// dropInbound drops id's inbound connection, if it has one.
func (g *Governor) dropInbound(id PeerID, out *GovOutbox) {
	if g.removeInbound(id) {
		out.add(GovAction{Kind: ActDrop, Peer: id})
	}
}

// removeInbound forgets that id has an inbound connection and reports
// whether it had one.
func (g *Governor) removeInbound(id PeerID) bool {
	i, ok := slices.BinarySearch(g.inbound, id)
	if ok {
		g.inbound = slices.Delete(g.inbound, i, i+1)
	}
	return ok
}

// shareResult ends one peer-sharing request. Replies are merged as they
// come (the reference batches those within 3 s; the difference is at most
// the batch wait). A reply longer than asked is a protocol violation.
func (g *Governor) shareResult(now clock.Time, in Input, out *GovOutbox) {
	i := slices.IndexFunc(g.shares, func(s shareReq) bool { return s.peer == in.Peer })
	if i < 0 {
		return // timed out or cancelled
	}
	asked := g.shares[i].asked
	g.shares = slices.Delete(g.shares, i, i+1)
	if in.Kind == InShareFailed {
		out.input(in, "request failed")
		return
	}
	g.stats.ShareReplies++
	// Step keeps the tally across this input (tallyEffect), so the changes
	// below keep it current: the violator's record, and the new peers.
	if len(in.Peers) > int(asked) {
		out.input(in, "more peers than asked")
		if p := g.t.get(in.Peer); p != nil {
			g.untally(p)
		}
		g.violation(now, in, out)
		if p := g.t.get(in.Peer); p != nil {
			g.retally(p)
		}
		return
	}
	deficit := g.targets.Known - g.Counts().Known
	if deficit <= 0 {
		out.input(in, "known at target, none learnt")
		return
	}
	c := g.cand[:0]
	for _, id := range in.Peers {
		if id != g.cfg.Self && id >= 0 && g.t.get(id) == nil {
			c = append(c, id)
		}
	}
	slices.Sort(c)
	c = slices.Compact(c)
	if len(c) > deficit { // keep a random subset of deficit peers
		for j := 0; j < deficit; j++ {
			k := j + g.rng.IntN(len(c)-j)
			c[j], c[k] = c[k], c[j]
		}
		c = c[:deficit]
	}
	for _, id := range c {
		p, _ := g.t.insert(id, SrcShared, true)
		g.retally(p)
	}
	g.cand = c
	if out.Tracing {
		out.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Peer: in.Peer, Outcome: "answered", Count: len(in.Peers), Peers: slices.Clone(c)})
	}
}

// addRoots adds root-request results with source src and returns how many
// became new roots. Local roots are never touched; a known non-root peer
// becomes a root; a big ledger peer leaves the other public-root sets.
// Only configured bootstrap peers are taken as bootstrap peers: nothing
// else may enter the sensitive state's known set.
func (g *Governor) addRoots(ids []PeerID, src Source) int {
	added := 0
	for _, id := range ids {
		if id == g.cfg.Self || id < 0 {
			continue
		}
		if src == SrcBootstrap && !isIn(g.boot, id) {
			continue
		}
		p, isNew := g.t.insert(id, src, false)
		switch {
		case isNew:
			added++
		case p.IsLocal() || p.Source&src != 0:
		case src == SrcBigLedger || p.Source&srcPublicRoot == 0:
			p.Source = src
			added++
		}
	}
	return added
}

// isIn reports whether the sorted ids hold id.
func isIn(ids []PeerID, id PeerID) bool {
	_, ok := slices.BinarySearch(ids, id)
	return ok
}
