package world

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// Syncing nodes (issue 19): a node of a sync class joins the network at
// its Join time with an empty chain and catches up from the blocks its hot
// peers offer (block-fetch asks the first announcer of a tip for every
// block it lacks, in one range, so the catch-up runs at what that peer's
// TCP flow and the node's sequential body validation allow).
//
// Its ledger-state judgement follows cardano-node's Genesis State Machine
// (ouroboros-consensus Node/GSM.hs), in the simplified form this model
// can observe:
//
//   - it starts TooOld (PreSyncing);
//   - TooOld → YoungEnough (Syncing → CaughtUp) when the node has a hot
//     upstream, is fetching nothing, and no hot upstream's tip beats its
//     own: the GSM's "every peer idle and no candidate better than the
//     selection". An eclipse attacker counts as idle (it holds its tip
//     back). With bootstrap peers or Genesis the node must also be in a
//     trusted state first (PreSyncing → Syncing: the governor's
//     OutboundState, spec/governor.md §1.4);
//   - YoungEnough → TooOld when its tip is older than MaxCaughtUpAge
//     (llrnMaxCaughtUpAge, 20 min; the GSM's random delay of up to 5 min
//     is left out), but not within MaxCaughtUpAge of turning YoungEnough
//     (the GSM sleeps that long on entering CaughtUp).
//
// So a Praos node whose hot peers are all eclipse attackers judges itself
// caught up at genesis, for 20 minutes at a time: the GSM's weakness that
// bootstrap peers and Genesis exist to close.
//
// Until its ledger is recent its root requests get no ledger peers
// (ledgerTooOld), and a Praos node's big-ledger requests none either
// (snapshotOnly). The governor hears each change of judgement
// (InJudgement) and churn runs in the matching mode: bulk sync while
// TooOld (ChurnBulkSync; ChurnGenesis in Genesis mode), deadline once
// caught up. A governor that throws BootstrapPeersCriticalTimeoutError
// (ActCriticalTimeout) restarts the node at once, keeping its chain, as
// cardano-node's process restart does; a restarted node starts with the
// judgement the GSM's marker gives it (restarted).
//
// Not modelled: Genesis's Limit on Eagerness, ChainSync Jumping and the
// density comparison (a Genesis node here is defended by whom it connects
// to, not by comparing chains), and bulk-sync block-fetch from several
// peers at once.

// SyncMode is how a syncing node catches up.
type SyncMode uint8

// The sync modes.
const (
	SyncNone      SyncMode = iota // not a syncing node
	SyncPraos                     // Praos without bootstrap peers
	SyncBootstrap                 // Praos with bootstrap peers (the sensitive state)
	SyncGenesis                   // Genesis: sync targets and the big-ledger trust rule
)

var syncModeNames = [...]string{"none", "praos", "bootstrap", "genesis"}

func (m SyncMode) String() string {
	if int(m) < len(syncModeNames) {
		return syncModeNames[m]
	}
	return fmt.Sprintf("SyncMode(%d)", uint8(m))
}

// MaxCaughtUpAge is how old a caught-up node's tip may get before it is
// TooOld again (cardano-node's llrnMaxCaughtUpAge).
const MaxCaughtUpAge = 20 * time.Minute

// syncCheckEvery is how often a syncing node's judgement is checked
// besides at its adoptions.
const syncCheckEvery = time.Second

// Sync says how node i syncs: Mode (SyncNone: a node caught up from the
// start, as every node of a run without sync classes) and when it joins:
// at Join, or, with Behind > 0, as soon as the honest majority's chain is
// Behind blocks long (so it starts that far behind).
type Sync struct {
	Mode   SyncMode
	Join   clock.Time
	Behind int32
}

// SyncRecord is what happened to one syncing node.
type SyncRecord struct {
	Node int32
	Mode SyncMode
	Join clock.Time // when it joined (Never: it had not yet, waiting to be Behind)
	// CaughtUp is when its height first reached the honest majority's
	// (the height that half of the honest caught-up nodes had reached);
	// clock.Never if it did not.
	CaughtUp clock.Time
	// YoungEnough is when its judgement first turned YoungEnough; Never
	// if it did not.
	YoungEnough clock.Time
	// CriticalTimeouts counts its BootstrapPeersCriticalTimeoutErrors;
	// TooOldAgain its returns from YoungEnough to TooOld (a tip grown
	// old, a restart without a young tip).
	CriticalTimeouts, TooOldAgain int
	// Height and Majority are its height and the majority's at the end.
	Height, Majority int32
	// Judgement at the end.
	Judgement node.LSJ
}

// syncState is the world's view of its syncing nodes.
type syncState struct {
	cfg []Sync
	lsj []node.LSJ
	// since[i] is when node i last turned YoungEnough.
	since []clock.Time
	rec   []SyncRecord // per syncing node, in id order
	idx   []int32      // node → index in rec, -1 for other nodes
	// height[i] is node i's tip height; reached[h] counts the majority
	// nodes (honest, not syncing) at height ≥ h; majority is the largest
	// h reached by half of them. Heights only grow (a longer chain wins),
	// so majority only grows.
	height   []int32
	reached  []int32
	counted  []bool
	voters   int32
	majority int32
	// waiting lists the nodes that join Behind blocks behind and have not
	// yet, by Behind then id.
	waiting  []int32
	kJoin    sim.Kind
	kCheck   sim.Kind
	kRestart sim.Kind
}

// initSync sets up the syncing nodes before the nodes start: those that
// join later are down until then.
func (w *World) initSync(cfg []Sync) error {
	n := len(w.Nodes)
	if len(cfg) != n {
		return fmt.Errorf("world: sync config for %d nodes, want %d", len(cfg), n)
	}
	p := w.p2p
	s := &syncState{cfg: cfg, lsj: make([]node.LSJ, n), since: make([]clock.Time, n), idx: make([]int32, n),
		height: make([]int32, n), counted: make([]bool, n), reached: []int32{0}}
	for i, c := range cfg {
		s.idx[i] = -1
		if c.Mode == SyncNone {
			s.counted[i] = p.cfg.Attacks == nil || p.cfg.Attacks[i] == (Attack{})
			s.counted[i] = s.counted[i] && !p.cfg.Adversarial[i]
			if s.counted[i] {
				s.voters++
			}
			continue
		}
		if c.Mode > SyncGenesis || c.Join < 0 || c.Behind < 0 || c.Join > 0 && c.Behind > 0 {
			return fmt.Errorf("world: node %d: sync %+v: accepted a mode 1 … 3 and a join time ≥ 0 or blocks behind ≥ 0, not both", i, c)
		}
		if p.cfg.Governors[i].InitialJudgement != node.TooOld {
			return fmt.Errorf("world: node %d syncs but its governor starts %v", i, p.cfg.Governors[i].InitialJudgement)
		}
		s.idx[i] = int32(len(s.rec))
		s.lsj[i] = node.TooOld
		join := c.Join
		if c.Behind > 0 {
			join = clock.Never
			s.waiting = append(s.waiting, int32(i))
		}
		s.rec = append(s.rec, SyncRecord{Node: int32(i), Mode: c.Mode, Join: join, CaughtUp: clock.Never, YoungEnough: clock.Never, Judgement: node.TooOld})
	}
	slices.SortStableFunc(s.waiting, func(a, b int32) int { return cmp.Compare(cfg[a].Behind, cfg[b].Behind) })
	s.reached[0] = s.voters
	p.sync = s
	s.kJoin = w.Eng.Register("sync.join", w.onJoin)
	s.kCheck = w.Eng.Register("sync.check", w.onSyncCheck)
	s.kRestart = w.Eng.Register("sync.restart", w.onCriticalRestart)
	return nil
}

// ledgerTooOld reports whether node i is a syncing node whose ledger is
// still too old for ledger peers at now. cardano-node uses ledger peers
// only once its ledger has passed useLedgerAfterSlot, a recent slot fixed
// in the topology file; here a syncing node's ledger is recent enough
// once its tip is no older than MaxCaughtUpAge. Until then it has only
// its public roots and bootstrap peers, whatever its judgement (which an
// idle eclipse can fool).
func (w *World) ledgerTooOld(now clock.Time, i int32) bool {
	s := w.p2p.sync
	if s == nil || s.cfg[i].Mode == SyncNone {
		return false
	}
	tip := w.rx[i].tip
	return tip == node.NoBlock || now.Sub(w.slotStart(w.Chain.Get(tip).Slot)) > MaxCaughtUpAge
}

// snapshotOnly reports whether node i is a syncing Praos node (with or
// without bootstrap peers) whose ledger is too old: it knows no big
// ledger peers yet, and only Genesis nodes have a trusted snapshot of
// them (peerSnapshotFile).
func (w *World) snapshotOnly(now clock.Time, i int32) bool {
	return w.ledgerTooOld(now, i) && w.p2p.sync.cfg[i].Mode != SyncGenesis
}

// joinsLater reports whether node i starts down, to join later.
func (p *p2p) joinsLater(i int32) bool {
	return p.sync != nil && p.sync.cfg[i].Mode != SyncNone && (p.sync.cfg[i].Join > 0 || p.sync.cfg[i].Behind > 0)
}

// scheduleJoins marks the late joiners down and schedules their joins,
// and the first judgement check of those that start at once.
func (w *World) scheduleJoins() {
	s := w.p2p.sync
	for _, r := range s.rec {
		switch {
		case r.Join == clock.Never: // joins Behind blocks behind (syncAdopted)
			w.rx[r.Node].down = true
		case r.Join > 0:
			w.rx[r.Node].down = true
			w.Eng.At(r.Join, s.kJoin, r.Node, -1, 0)
		default:
			w.Eng.At(0, s.kCheck, r.Node, -1, 0)
		}
	}
}

// onJoin starts a late joiner: its governor, churn and metrics are made
// now, with its (empty) chain.
func (w *World) onJoin(ev *sim.Event) {
	s := w.p2p.sync
	s.rec[s.idx[ev.Node]].Join = ev.At
	w.rx[ev.Node].down = false
	if err := w.startNode(ev.Node, ev.At); err != nil {
		panic(err) // the same configuration was checked at the start
	}
	w.Eng.At(ev.At, w.p2p.sync.kCheck, ev.Node, -1, 0)
}

// restarted sets a syncing node's judgement as it restarts (a crash, a
// critical timeout), as the GSM's initializationLedgerJudgement does: a
// node that was caught up (its marker file written) and whose tip is not
// older than MaxCaughtUpAge starts YoungEnough, any other TooOld. The new
// governor starts with it (judgement).
func (w *World) restarted(now clock.Time, i int32) {
	s := w.p2p.sync
	if s == nil || s.idx[i] < 0 {
		return
	}
	if s.lsj[i] == node.YoungEnough && w.ledgerTooOld(now, i) {
		r := &s.rec[s.idx[i]]
		s.lsj[i], r.Judgement = node.TooOld, node.TooOld
		r.TooOldAgain++
	}
}

// judgement returns the judgement node i's governor starts with: its
// configuration's, or a syncing node's current one.
func (p *p2p) judgement(i int32) node.LSJ {
	if s := p.sync; s != nil && s.idx[i] >= 0 {
		return s.lsj[i]
	}
	return p.cfg.Governors[i].InitialJudgement
}

// churnMode is the mode node i's churn runs in: bulk sync (Genesis in
// Genesis mode) while a syncing node is TooOld, else deadline.
func (p *p2p) churnMode(i int32) node.ChurnMode {
	s := p.sync
	if s == nil || s.lsj[i] != node.TooOld {
		return node.ChurnDeadline
	}
	if s.cfg[i].Mode == SyncGenesis {
		return node.ChurnGenesis
	}
	return node.ChurnBulkSync
}

// syncAdopted follows node i's height after it adopted blocks: the
// majority's height, and a syncing node's catch-up.
func (w *World) syncAdopted(now clock.Time, i int32) {
	s := w.p2p.sync
	h := w.Chain.Get(w.rx[i].tip).Height
	old := s.height[i]
	if h <= old {
		return
	}
	s.height[i] = h
	if s.counted[i] {
		for int32(len(s.reached)) <= h {
			s.reached = append(s.reached, 0)
		}
		for x := old + 1; x <= h; x++ {
			s.reached[x]++
		}
		for s.majority+1 < int32(len(s.reached)) && 2*s.reached[s.majority+1] >= s.voters {
			s.majority++
		}
		for len(s.waiting) > 0 && s.cfg[s.waiting[0]].Behind <= s.majority {
			w.Eng.At(now, s.kJoin, s.waiting[0], -1, 0)
			s.waiting = s.waiting[1:]
		}
		return
	}
	if k := s.idx[i]; k >= 0 {
		if r := &s.rec[k]; r.CaughtUp == clock.Never && h >= s.majority {
			r.CaughtUp = now
		}
		w.judge(now, i)
	}
}

// onSyncCheck checks a syncing node's judgement every syncCheckEvery.
func (w *World) onSyncCheck(ev *sim.Event) {
	w.Eng.At(ev.At.Add(syncCheckEvery), w.p2p.sync.kCheck, ev.Node, -1, 0)
	if !w.rx[ev.Node].down {
		w.judge(ev.At, ev.Node)
	}
}

// judge updates syncing node i's judgement and tells its governor and
// churn when it changes.
func (w *World) judge(now clock.Time, i int32) {
	p := w.p2p
	s := p.sync
	want := s.lsj[i]
	switch s.lsj[i] {
	case node.TooOld:
		if w.caughtUp(i) {
			want = node.YoungEnough
		}
	case node.YoungEnough:
		if now.Sub(s.since[i]) < MaxCaughtUpAge {
			break
		}
		if tip := w.rx[i].tip; tip == node.NoBlock || now.Sub(w.slotStart(w.Chain.Get(tip).Slot)) > MaxCaughtUpAge {
			want = node.TooOld
		}
	}
	if want == s.lsj[i] {
		return
	}
	s.lsj[i] = want
	r := &s.rec[s.idx[i]]
	r.Judgement = want
	if want == node.YoungEnough {
		s.since[i] = now
		if r.YoungEnough == clock.Never {
			r.YoungEnough = now
		}
	} else {
		r.TooOldAgain++
	}
	w.stepNode(i, now, node.Input{Kind: node.InJudgement, Judgement: want})
	w.stepNode(i, now, node.Input{Kind: node.InMode, Mode: p.churnMode(i)})
}

// caughtUp is the GSM's Syncing → CaughtUp condition for node i (see the
// top of this file).
func (w *World) caughtUp(i int32) bool {
	p := w.p2p
	mode := p.sync.cfg[i].Mode
	if (mode == SyncBootstrap || mode == SyncGenesis) && p.gov[i].OutboundState() != node.Trusted {
		return false
	}
	if len(p.up[i]) == 0 || w.Nodes[i].WorkLen() > 0 {
		return false
	}
	tip := w.rx[i].tip
	for _, u := range p.up[i] {
		if a := p.attack(u); a.Eclipse && (!a.Dark || p.captured(i)) {
			continue // holds its tip back: idle
		}
		if w.Chain.Better(w.rx[u].tip, tip) {
			return false
		}
	}
	return true
}

// criticalTimeout handles a governor's ActCriticalTimeout: the node
// restarts at once, as an event of its own (the governor is mid-step).
func (w *World) criticalTimeout(now clock.Time, i int32) {
	w.Eng.At(now, w.p2p.sync.kRestart, i, -1, 0)
}

func (w *World) onCriticalRestart(ev *sim.Event) {
	p := w.p2p
	i := ev.Node
	if w.rx[i].down {
		return
	}
	if s := p.sync; s != nil && s.idx[i] >= 0 {
		s.rec[s.idx[i]].CriticalTimeouts++
	}
	w.takeDown(ev.At, i)
	w.Eng.At(ev.At, p.kRestart, i, -1, 0)
}

// SyncRecords returns what happened to each syncing node, in id order,
// with heights as of now; nil without syncing nodes.
func (w *World) SyncRecords() []SyncRecord {
	if w.p2p == nil || w.p2p.sync == nil {
		return nil
	}
	s := w.p2p.sync
	out := make([]SyncRecord, len(s.rec))
	for k, r := range s.rec {
		r.Height, r.Majority = s.height[r.Node], s.majority
		out[k] = r
	}
	return out
}
