package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// govEnv is a tiny deterministic environment for governor unit tests and
// benchmarks: it answers every job after a fixed latency by fixed rules,
// and wakes the governor when asked. Replies are built at delivery time in
// reused buffers, so a steady state allocates nothing.
type govEnv struct {
	t   tb
	g   *Governor
	chk *checkingPolicy // nil in benchmarks

	now, wake clock.Time
	out       GovOutbox
	q         []envEvent // pending inputs, ordered by (at, seq)
	seq       int64
	rng       *rand.Rand // the environment's own choices

	latency   time.Duration
	connectOK func(id PeerID) bool // nil: every connect succeeds
	sharing   bool                 // remotes share peers
	ledger    []PeerID             // root-request answers are drawn from it
	blp       []PeerID             // big-ledger answers are drawn from it
	universe  []PeerID             // peer-share answers are drawn from it
	ttl       time.Duration        // root and big-ledger answer TTL
	onAction  func(now clock.Time, a GovAction)
	check     bool // g.Check after every step
	steps     int64
}

type envEvent struct {
	at    clock.Time
	seq   int64
	in    Input
	count int // answers: how many peers to draw at delivery
	from  []PeerID
}

// newGovEnv returns an environment around a new governor for cfg with a
// checking policy (wrapping cfg.Policy, default CardanoPolicy).
func newGovEnv(t tb, cfg GovernorConfig, seed uint64, m *Metrics) *govEnv {
	t.Helper()
	e := &govEnv{t: t, latency: 100 * time.Millisecond, sharing: true, ttl: 5 * time.Second,
		rng: rand.New(rand.NewPCG(seed, 99)), check: true, wake: clock.Never}
	inner := cfg.Policy
	if inner == nil {
		inner = &CardanoPolicy{}
	}
	e.chk = &checkingPolicy{inner: inner, fail: t.Fatalf}
	cfg.Policy = e.chk
	g, err := NewGovernor(cfg, rand.New(rand.NewPCG(seed, 1)), m)
	if err != nil {
		t.Fatal(err)
	}
	e.g, e.chk.g = g, g
	return e
}

// step feeds one input at time now and schedules the answers to its jobs.
func (e *govEnv) step(now clock.Time, in Input) {
	e.now = now
	if e.chk != nil {
		e.chk.now = now
	}
	e.out.Reset()
	w := e.g.Step(now, in, &e.out)
	e.steps++
	if w <= now {
		e.t.Fatalf("at %v after %v: wake %v does not move time", now, in.Kind, w)
	}
	e.wake = w
	if e.check {
		if err := e.g.Check(now); err != nil {
			e.t.Fatalf("at %v after %v %d: %v", now, in.Kind, in.Peer, err)
		}
		if err := e.g.checkTally(); err != nil {
			e.t.Fatalf("at %v after %v %d: %v", now, in.Kind, in.Peer, err)
		}
		if e.g.Livelocked() {
			e.t.Fatalf("at %v: livelock", now)
		}
	}
	for _, a := range e.out.Actions {
		if e.onAction != nil {
			e.onAction(now, a)
		}
		e.answer(a)
	}
}

func (e *govEnv) answer(a GovAction) {
	ev := envEvent{at: e.now.Add(e.latency), in: Input{Peer: a.Peer}, count: int(a.Count)}
	switch a.Kind {
	case ActConnect:
		ev.in.Kind, ev.in.Sharing = InConnected, e.sharing
		if e.connectOK != nil && !e.connectOK(a.Peer) {
			ev.in.Kind = InConnectFailed
		}
	case ActActivate:
		ev.in.Kind = InActivated
	case ActDeactivate:
		ev.in.Kind = InDeactivated
	case ActClose:
		ev.in.Kind = InClosed
	case ActShareRequest:
		// The responder's cap (spec/governor.md §2.4: at most 10).
		ev.in.Kind, ev.from, ev.count = InShareReply, e.universe, min(ev.count, 10)
	case ActRequestRoots:
		ev.in.Kind, ev.from, ev.in.Delay = InRoots, e.ledger, e.ttl
	case ActRequestBLP:
		ev.in.Kind, ev.from, ev.in.Delay = InBigLedger, e.blp, e.ttl
	default:
		return // notices and drops need no answer
	}
	e.push(ev)
}

func (e *govEnv) push(ev envEvent) {
	e.seq++
	ev.seq = e.seq
	i, _ := slices.BinarySearchFunc(e.q, ev, func(a, b envEvent) int {
		if a.at != b.at {
			return int(a.at.Sub(b.at))
		}
		return int(a.seq - b.seq)
	})
	e.q = slices.Insert(e.q, i, ev)
}

// next takes one step: the earliest pending answer or the governor's wake
// time, if not after until. It reports whether it stepped.
func (e *govEnv) next(until clock.Time) bool {
	if len(e.q) > 0 && e.q[0].at <= e.wake {
		ev := e.q[0]
		if ev.at > until {
			return false
		}
		e.q = slices.Delete(e.q, 0, 1)
		if ev.from != nil {
			ev.in.Peers = e.sample(ev.from, ev.count)
		}
		e.step(ev.at, ev.in)
		return true
	}
	if e.wake > until {
		return false
	}
	e.step(e.wake, Input{Kind: InTick})
	return true
}

// sample shuffles a random n-prefix of pool into place and returns it
// (the governor reads Peers only during Step).
func (e *govEnv) sample(pool []PeerID, n int) []PeerID {
	n = min(n, len(pool))
	for j := range n {
		k := j + e.rng.IntN(len(pool)-j)
		pool[j], pool[k] = pool[k], pool[j]
	}
	return pool[:n]
}

// run steps until time until, then moves the clock there.
func (e *govEnv) run(until clock.Time) {
	for e.next(until) {
	}
	e.now = max(e.now, until)
}

func secs(s int) clock.Time { return clock.Time(s) * clock.Time(time.Second) }

func ids(lo, hi PeerID) []PeerID {
	var s []PeerID
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// relayEnv is a relay with ledger peers and peer sharing in a universe of
// 300 peers: big ledger pools 1–40, ledger relays 41–200, and everyone
// reachable by peer sharing.
func relayEnv(t tb, seed uint64) *govEnv {
	cfg := GovernorConfig{Self: 0, Targets: RelayTargets, PeerSharing: true, LedgerPeers: true, Timing: DefaultTiming(),
		LocalRoots: []LocalRootGroup{{Peers: []PeerID{201, 202}, HotValency: 1, WarmValency: 2}}}
	e := newGovEnv(t, cfg, seed, nil)
	e.blp, e.ledger, e.universe = ids(1, 40), ids(41, 200), ids(1, 300)
	e.step(0, Input{Kind: InTick})
	return e
}

// TestGovernorReachesRelayTargets: a relay with ledger peers and peer
// sharing reaches the production relay targets (spec/governor.md §1.3)
// from a cold start within 30 simulated minutes and stays there.
func TestGovernorReachesRelayTargets(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			e := relayEnv(t, seed)
			want := Counts{Root: 0, Known: 150, Established: 30, Active: 20, KnownBLP: 15, EstablishedBLP: 10, ActiveBLP: 5}
			reached := clock.Never
			for e.next(secs(1800)) {
				c := e.g.Counts()
				c.Root = 0
				if c == want && reached == clock.Never {
					reached = e.now
				}
			}
			c := e.g.Counts()
			if c.Root < RelayTargets.Root {
				t.Errorf("%d root peers, want ≥ %d", c.Root, RelayTargets.Root)
			}
			c.Root = 0
			if c != want {
				t.Fatalf("after 30 min counts %+v, want %+v (replay: go test ./node -run TestGovernorReachesRelayTargets/seed%d)", c, want, seed)
			}
			t.Logf("targets reached after %v, %d steps", time.Duration(reached), e.steps)
			for _, id := range []PeerID{201, 202} {
				if p := e.g.Peer(id); p == nil || !p.Established() {
					t.Errorf("local root %d not established: %+v", id, p)
				}
			}
		})
	}
}

// failingEnv returns a governor whose only wanted peer is id (with source
// src) and whose connects all fail.
func failingEnv(t *testing.T, src Source, tm GovernorTiming) (*govEnv, PeerID) {
	const id = 7
	cfg := GovernorConfig{Self: 0, Timing: tm, Targets: Targets{Root: 0, Known: 1, Established: 1, KnownBLP: 1, EstablishedBLP: 1}}
	switch src {
	case SrcLocalRoot:
		cfg.LocalRoots = []LocalRootGroup{{Peers: []PeerID{id}, HotValency: 1, WarmValency: 1}}
	case SrcPublicConfig:
		cfg.PublicRoots = []PublicRoot{{Peer: id}}
	case SrcBootstrap:
		cfg.Bootstrap = []PeerID{id}
	}
	e := newGovEnv(t, cfg, 11, nil)
	if e.g.Peer(id) == nil {
		e.g.t.insert(id, src, false) // learnt peers enter the table directly
	}
	e.latency = time.Second
	e.connectOK = func(PeerID) bool { return false }
	return e, id
}

// TestGovernorBackoff: repeated connection failures back off 5, 10, 20,
// 40, 80, 160, 160 s ± 2 s (spec/governor.md §2.5,
// baseColdPeerRetryDiffTime 5 s, maxColdPeerRetryBackoff 5).
func TestGovernorBackoff(t *testing.T) {
	e, id := failingEnv(t, SrcPublicConfig, DefaultTiming())
	var connects []clock.Time
	e.onAction = func(now clock.Time, a GovAction) {
		if a.Kind == ActConnect && a.Peer == id {
			connects = append(connects, now)
		}
	}
	e.step(0, Input{Kind: InTick})
	e.run(secs(1000))
	want := []int{5, 10, 20, 40, 80, 160, 160}
	if len(connects) < len(want)+1 {
		t.Fatalf("%d connects in 1000 s, want ≥ %d: %v", len(connects), len(want)+1, connects)
	}
	for i, w := range want {
		// The failure is reported one latency after the connect.
		gap := connects[i+1].Sub(connects[i].Add(e.latency))
		if gap < time.Duration(w-2)*time.Second || gap > time.Duration(w+2)*time.Second {
			t.Errorf("backoff after failure %d: %v, want %d s ± 2 s", i+1, gap, w)
		}
	}
	if p := e.g.Peer(id); p == nil || p.FailCount < 7 {
		t.Errorf("public root after %d failures: %+v, want known with its fail count", len(connects), p)
	}
}

// TestGovernorForgetsFailingPeers: a peer is forgotten on its 6th
// consecutive failure (ouroboros-network 1.1, policyMaxConnectionRetries
// 5, spec §2.5), except local roots, public config roots and bootstrap
// peers; with MaxConnectionRetries 0 (before 1.1) nobody is.
func TestGovernorForgetsFailingPeers(t *testing.T) {
	old := DefaultTiming()
	old.MaxConnectionRetries = 0
	cases := []struct {
		src      Source
		tm       GovernorTiming
		forgetAt int // 0: never within 10 failures
	}{
		{SrcShared, DefaultTiming(), 6},
		{SrcInbound, DefaultTiming(), 6},
		{SrcLedger, DefaultTiming(), 6},
		{SrcBigLedger, DefaultTiming(), 6},
		{SrcLocalRoot, DefaultTiming(), 0},
		{SrcPublicConfig, DefaultTiming(), 0},
		{SrcBootstrap, DefaultTiming(), 0},
		{SrcShared, old, 0},
	}
	for _, cs := range cases {
		t.Run(fmt.Sprintf("%v/retries%d", cs.src, cs.tm.MaxConnectionRetries), func(t *testing.T) {
			e, id := failingEnv(t, cs.src, cs.tm)
			failures, forgotten := 0, 0
			e.onAction = func(now clock.Time, a GovAction) {
				if a.Kind == ActConnect && a.Peer == id && forgotten == 0 {
					failures++
				}
			}
			e.step(0, Input{Kind: InTick})
			for e.next(secs(3000)) {
				if e.g.Peer(id) == nil && forgotten == 0 {
					forgotten = failures
				}
			}
			if forgotten != cs.forgetAt {
				t.Errorf("forgotten after failure %d (0 = never, %d failures seen), want %d", forgotten, failures, cs.forgetAt)
			}
			if cs.forgetAt == 0 && failures < 10 {
				t.Errorf("only %d failures in 3000 s", failures)
			}
		})
	}
}

func TestRepairGroups(t *testing.T) {
	g := func(h, w int, peers ...PeerID) LocalRootGroup {
		return LocalRootGroup{Peers: peers, HotValency: h, WarmValency: w}
	}
	cases := []struct {
		name     string
		in, want []LocalRootGroup
		warnings []string // substrings, in order
	}{
		{"valid", []LocalRootGroup{g(1, 2, 1, 2), g(1, 1, 3)}, []LocalRootGroup{g(1, 2, 1, 2), g(1, 1, 3)}, nil},
		{"duplicate in a later group", []LocalRootGroup{g(1, 2, 1, 2), g(1, 2, 2, 3)}, []LocalRootGroup{g(1, 2, 1, 2), g(1, 1, 3)},
			[]string{"group 1: peer 2 already", "group 1: warm valency 2 above its 1 peers"}},
		{"duplicate within a group", []LocalRootGroup{g(2, 2, 4, 4)}, []LocalRootGroup{g(1, 1, 4)},
			[]string{"peer 4 already", "warm valency 2", "hot valency 2 above warm valency 1"}},
		{"warm above size", []LocalRootGroup{g(1, 5, 1, 2)}, []LocalRootGroup{g(1, 2, 1, 2)}, []string{"warm valency 5 above its 2 peers"}},
		{"hot above warm", []LocalRootGroup{g(3, 2, 1, 2, 3)}, []LocalRootGroup{g(2, 2, 1, 2, 3)}, []string{"hot valency 3 above warm valency 2"}},
		{"hot zero", []LocalRootGroup{g(0, 2, 1, 2), g(1, 1, 3)}, []LocalRootGroup{g(1, 1, 3)}, []string{"group 0: valencies 0/2, group dropped"}},
		{"warm zero", []LocalRootGroup{g(1, 0, 1)}, nil, []string{"hot valency 1 above warm valency 0", "valencies 0/0, group dropped"}},
		{"empty group", []LocalRootGroup{g(1, 1)}, nil, []string{"warm valency 1 above its 0 peers", "hot valency 1", "dropped"}},
		{"emptied by duplicates", []LocalRootGroup{g(1, 1, 5), g(1, 1, 5)}, []LocalRootGroup{g(1, 1, 5)}, []string{"peer 5 already", "warm valency 1 above its 0", "hot valency", "dropped"}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			in := slices.Clone(cs.in)
			got, warnings := RepairGroups(in)
			if !sameGroups(got, cs.want) {
				t.Errorf("repaired %+v, want %+v", got, cs.want)
			}
			if len(warnings) != len(cs.warnings) {
				t.Fatalf("warnings %q, want %d like %q", warnings, len(cs.warnings), cs.warnings)
			}
			for i, w := range cs.warnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d %q, want it to contain %q", i, warnings[i], w)
				}
			}
			if !sameGroups(in, cs.in) {
				t.Errorf("input modified: %+v", in)
			}
			for _, grp := range got {
				if !(0 < grp.HotValency && grp.HotValency <= grp.WarmValency && grp.WarmValency <= len(grp.Peers)) {
					t.Errorf("group %+v breaks 0 < hot ≤ warm ≤ size", grp)
				}
			}
		})
	}
}

func sameGroups(a, b []LocalRootGroup) bool {
	return slices.EqualFunc(a, b, func(x, y LocalRootGroup) bool {
		return slices.Equal(x.Peers, y.Peers) && x.HotValency == y.HotValency && x.WarmValency == y.WarmValency &&
			x.Advertise == y.Advertise && x.Trustable == y.Trustable && x.InitiatorOnly == y.InitiatorOnly &&
			x.BehindFirewall == y.BehindFirewall
	})
}

// clampGroups is the reference clamp written out independently: groups
// left to right while they fit in limit, the last one trimmed with its
// valencies lowered to fit (LocalRootPeers.clampToLimit, spec §1.3).
func clampGroups(groups []LocalRootGroup, limit int) []LocalRootGroup {
	var out []LocalRootGroup
	for _, grp := range groups {
		if limit <= 0 {
			break
		}
		if len(grp.Peers) > limit {
			grp.Peers = grp.Peers[:limit]
			grp.WarmValency = min(grp.WarmValency, limit)
			grp.HotValency = min(grp.HotValency, grp.WarmValency)
		}
		limit -= len(grp.Peers)
		out = append(out, grp)
	}
	return out
}

// TestLocalRootsClamp: |local roots| ≤ targetKnown, clamped left to right
// (spec §1.3); roots clamped away stay known as ordinary peers and come
// back when the target grows.
func TestLocalRootsClamp(t *testing.T) {
	groups := []LocalRootGroup{
		{Peers: []PeerID{1, 2, 3}, HotValency: 1, WarmValency: 2},
		{Peers: []PeerID{4, 5, 6}, HotValency: 2, WarmValency: 3},
		{Peers: []PeerID{7, 8}, HotValency: 1, WarmValency: 1},
	}
	cases := []struct {
		known int
		want  []LocalRootGroup
	}{
		{20, groups},
		{8, groups},
		{7, []LocalRootGroup{groups[0], groups[1], {Peers: []PeerID{7}, HotValency: 1, WarmValency: 1}}},
		{5, []LocalRootGroup{groups[0], {Peers: []PeerID{4, 5}, HotValency: 2, WarmValency: 2}}},
		{4, []LocalRootGroup{groups[0], {Peers: []PeerID{4}, HotValency: 1, WarmValency: 1}}},
		{3, groups[:1]},
		{2, []LocalRootGroup{{Peers: []PeerID{1, 2}, HotValency: 1, WarmValency: 2}}},
		{0, nil},
	}
	for _, cs := range cases {
		t.Run(fmt.Sprint("known", cs.known), func(t *testing.T) {
			if !sameGroups(clampGroups(groups, cs.known), cs.want) {
				t.Fatalf("test oracle disagrees with the table")
			}
			// From the start …
			cfg := GovernorConfig{Targets: Targets{Known: cs.known}, LocalRoots: groups, Timing: DefaultTiming()}
			g, err := NewGovernor(cfg, rand.New(rand.NewPCG(1, 1)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sameGroups(g.LocalRoots(), cs.want) {
				t.Errorf("initial groups %+v, want %+v", g.LocalRoots(), cs.want)
			}
			// … and after a target change from the full set.
			cfg.Targets.Known = 20
			g, _ = NewGovernor(cfg, rand.New(rand.NewPCG(1, 1)), nil)
			var out GovOutbox
			g.Step(0, Input{Kind: InTargets, Targets: Targets{Known: cs.known}}, &out)
			if !sameGroups(g.LocalRoots(), cs.want) {
				t.Errorf("groups after lowering the target %+v, want %+v", g.LocalRoots(), cs.want)
			}
			if err := g.Check(0); err != nil {
				t.Error(err)
			}
			for _, id := range ids(1, 8) {
				p := g.Peer(id)
				inGroup := slices.ContainsFunc(cs.want, func(grp LocalRootGroup) bool { return slices.Contains(grp.Peers, id) })
				if p == nil && inGroup {
					t.Errorf("local root %d forgotten", id)
				}
				if p != nil && p.IsLocal() != inGroup {
					t.Errorf("peer %d local = %v, want %v", id, p.IsLocal(), inGroup)
				}
			}
			// Raising the target restores every group.
			g.Step(0, Input{Kind: InTargets, Targets: Targets{Known: 20}}, &out)
			if !sameGroups(g.LocalRoots(), groups) {
				t.Errorf("groups after raising the target %+v, want all", g.LocalRoots())
			}
		})
	}
}

// hotEnv returns a governor with five public roots 1–5, all hot, and peer
// metrics.
func hotEnv(t *testing.T, m *Metrics) *govEnv {
	tg := Targets{Root: 5, Known: 5, Established: 5, Active: 5}
	var roots []PublicRoot
	for _, id := range ids(1, 5) {
		roots = append(roots, PublicRoot{Peer: id})
	}
	e := newGovEnv(t, GovernorConfig{Targets: tg, PublicRoots: roots, Timing: DefaultTiming()}, 5, m)
	e.step(0, Input{Kind: InTick})
	e.run(secs(10))
	if c := e.g.Counts(); c.Active != 5 {
		t.Fatalf("setup: counts %+v, want 5 hot", c)
	}
	return e
}

// TestHotDemotionLowestScore: above the active target the governor
// deactivates the hot peers with the lowest metric score (spec §4.3).
func TestHotDemotionLowestScore(t *testing.T) {
	cases := []struct {
		name   string
		firsts map[PeerID]int // slots in which the peer's header came first
		active int
		want   []PeerID
	}{
		{"two lowest", map[PeerID]int{1: 5, 2: 1, 3: 4, 4: 0, 5: 3}, 3, []PeerID{2, 4}},
		{"one lowest", map[PeerID]int{1: 2, 2: 3, 3: 1, 4: 5, 5: 4}, 4, []PeerID{3}},
		{"all but the best", map[PeerID]int{1: 1, 2: 2, 3: 3, 4: 9, 5: 4}, 1, []PeerID{1, 2, 3, 5}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			m, err := NewMetrics(DefaultMetricsConfig())
			if err != nil {
				t.Fatal(err)
			}
			e := hotEnv(t, m)
			slot := int64(0)
			for _, id := range ids(1, 5) {
				for range cs.firsts[id] {
					slot++
					m.HeaderArrived(slot, id, e.now)
				}
			}
			var got []PeerID
			e.onAction = func(_ clock.Time, a GovAction) {
				if a.Kind == ActDeactivate {
					got = append(got, a.Peer)
				}
			}
			tg := e.g.Targets()
			tg.Active = cs.active
			e.step(e.now, Input{Kind: InTargets, Targets: tg})
			slices.Sort(got)
			if !slices.Equal(got, cs.want) {
				t.Errorf("deactivated %v, want %v", got, cs.want)
			}
			e.run(e.now.Add(time.Minute))
			if c := e.g.Counts(); c.Active != cs.active {
				t.Errorf("active %d, want %d", c.Active, cs.active)
			}
			for _, id := range cs.want {
				if p := e.g.Peer(id); p == nil || p.State != Warm || !p.Tepid {
					t.Errorf("demoted peer %d: %+v, want warm and tepid", id, p)
				}
			}
		})
	}
}

// TestViolation: a protocol violation drops the connection and forgets a
// non-root peer at once; a local root is kept, cold, with the error delay.
func TestViolation(t *testing.T) {
	cases := []struct {
		name      string
		pick      func(p *Peer) bool
		forgotten bool
		want      []GovActionKind
	}{
		{"non-root hot", func(p *Peer) bool { return !p.IsLocal() && p.State == Hot }, true, []GovActionKind{ActDrop, NoteUnhot}},
		{"non-root warm", func(p *Peer) bool { return !p.IsLocal() && p.State == Warm }, true, []GovActionKind{ActDrop}},
		{"non-root cold", func(p *Peer) bool { return !p.IsLocal() && p.State == Cold }, true, nil},
		{"local root hot", func(p *Peer) bool { return p.IsLocal() && p.State == Hot }, false, []GovActionKind{ActDrop, NoteUnhot}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			cfg := GovernorConfig{Targets: Targets{Known: 6, Established: 3, Active: 2}, Timing: DefaultTiming(),
				LocalRoots: []LocalRootGroup{{Peers: []PeerID{1}, HotValency: 1, WarmValency: 1}}}
			e := newGovEnv(t, cfg, 3, nil)
			for _, id := range ids(2, 6) {
				e.g.t.insert(id, SrcShared, true)
			}
			e.step(0, Input{Kind: InTick})
			e.run(secs(10))
			var p *Peer
			for i := range e.g.Peers() {
				if q := &e.g.Peers()[i]; cs.pick(q) {
					p = q
					break
				}
			}
			if p == nil {
				t.Fatalf("setup: no such peer in %+v", e.g.Peers())
			}
			id := p.ID
			var got []GovActionKind
			e.onAction = func(_ clock.Time, a GovAction) {
				if a.Peer == id {
					got = append(got, a.Kind)
				}
			}
			e.step(e.now, Input{Kind: InViolation, Peer: id})
			slices.Sort(got)
			if !slices.Equal(got, cs.want) {
				t.Errorf("actions for peer %d: %v, want %v", id, got, cs.want)
			}
			q := e.g.Peer(id)
			if (q == nil) != cs.forgotten {
				t.Fatalf("after the violation: %+v, want forgotten = %v", q, cs.forgotten)
			}
			if q != nil {
				lo, hi := e.now.Add(8*time.Second), e.now.Add(12*time.Second)
				if q.State != Cold || q.NextConnect < lo || q.NextConnect > hi {
					t.Errorf("kept peer %+v, want cold until 10 s ± 2 s", q)
				}
			}
			if n := e.g.Stats().Violations; n != 1 {
				t.Errorf("%d violations counted", n)
			}
		})
	}
}

// TestInsaneTargetsIgnored: a target update that breaks the sanity rule
// (spec/governor.md §1.3) leaves the targets and the local roots as they were.
func TestInsaneTargetsIgnored(t *testing.T) {
	base := Targets{Root: 2, Known: 10, Established: 5, Active: 3, KnownBLP: 4, EstablishedBLP: 2, ActiveBLP: 1}
	cases := []struct {
		name string
		f    func(*Targets)
	}{
		{"active above established", func(x *Targets) { x.Active = 6 }},
		{"established above known", func(x *Targets) { x.Established = 11 }},
		{"root above known", func(x *Targets) { x.Root = 11 }},
		{"negative active", func(x *Targets) { x.Active = -1 }},
		{"negative root", func(x *Targets) { x.Root = -1 }},
		{"BLP active above established", func(x *Targets) { x.ActiveBLP = 3 }},
		{"BLP established above known", func(x *Targets) { x.EstablishedBLP = 5 }},
		{"active cap", func(x *Targets) { x.Active, x.Established, x.Known = 101, 200, 200 }},
		{"established cap", func(x *Targets) { x.Established, x.Known = 1001, 2000 }},
		{"known cap", func(x *Targets) { x.Known = 10001 }},
		{"BLP known cap", func(x *Targets) { x.KnownBLP = 10001 }},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			bad := base
			cs.f(&bad)
			if bad.Sane() {
				t.Fatalf("%+v is sane", bad)
			}
			cfg := GovernorConfig{Targets: base, Timing: DefaultTiming(),
				LocalRoots: []LocalRootGroup{{Peers: ids(1, 8), HotValency: 2, WarmValency: 4}}}
			g, err := NewGovernor(cfg, rand.New(rand.NewPCG(1, 1)), nil)
			if err != nil {
				t.Fatal(err)
			}
			var out GovOutbox
			g.Step(0, Input{Kind: InTargets, Targets: bad}, &out)
			if g.Targets() != base {
				t.Errorf("targets %+v after insane %+v, want %+v kept", g.Targets(), bad, base)
			}
			if n := len(g.LocalRoots()[0].Peers); n != 8 {
				t.Errorf("%d local roots, want 8", n)
			}
			if err := g.Check(0); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestGovernorDeterminism: the same seed and inputs give the same actions.
func TestGovernorDeterminism(t *testing.T) {
	trace := func(seed uint64) string {
		e := relayEnv(t, seed)
		var b strings.Builder
		e.onAction = func(now clock.Time, a GovAction) { fmt.Fprintf(&b, "%d %v %d %d\n", now, a.Kind, a.Peer, a.Count) }
		e.run(secs(600))
		return b.String()
	}
	a, b := trace(7), trace(7)
	if a != b {
		t.Fatal("seed 7 replayed differently (replay: go test ./node -run TestGovernorDeterminism)")
	}
	if a == trace(8) {
		t.Error("seeds 7 and 8 gave identical traces")
	}
}

// churnedRelay returns a relay env at its targets and the lowered targets
// of a churn cycle (spec/governor.md §3.3, default relay example).
func churnedRelay(t tb) (*govEnv, Targets) {
	e := relayEnv(t, 1)
	e.run(secs(1800))
	low := RelayTargets
	low.Active, low.Established, low.Known, low.Root = 16, 26, 126, 54
	low.ActiveBLP, low.EstablishedBLP, low.KnownBLP = 4, 9, 14
	return e, low
}

// BenchmarkGovernorStep measures one Step of a relay at its targets: job
// answers, wake-ups and, every 64 steps, a churn-like target change that
// lowers or restores every target. Goal: 0 allocs/op.
func BenchmarkGovernorStep(b *testing.B) { benchGovernorStep(b, false) }

// benchGovernorStep is BenchmarkGovernorStep with the outbox's Tracing
// set to tracing.
func benchGovernorStep(b *testing.B, tracing bool) {
	e, low := churnedRelay(b)
	e.check, e.chk = false, nil
	e.g.policy = &CardanoPolicy{}
	e.g.cfg.Policy = e.g.policy
	e.out.Tracing = tracing
	targets := [2]Targets{low, RelayTargets}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if i%64 == 0 {
			e.step(e.now, Input{Kind: InTargets, Targets: targets[(i/64)%2]})
			continue
		}
		if !e.next(e.now.Add(time.Second)) {
			e.step(e.now.Add(time.Second), Input{Kind: InTick})
		}
	}
}

// TestViolationAbandonsConnect: a violation by a local root while a
// connect to it is in flight clears the governor's in-flight mark, so
// after the 10 s error delay it dials the peer again while the first
// connect is still unanswered; the two answers then cannot be told apart
// (the first is taken for the second's, the second gets an ActClose that
// tears down a connection the governor counts as warm). Found by
// TestGovernorStateMachine (see bugStaleConnect).
func TestViolationAbandonsConnect(t *testing.T) {
	cfg := GovernorConfig{Targets: Targets{Known: 1, Established: 1}, Timing: DefaultTiming(),
		LocalRoots: []LocalRootGroup{{Peers: []PeerID{1}, HotValency: 1, WarmValency: 1}}}
	e := newGovEnv(t, cfg, 1, nil)
	connects := 0
	e.onAction = func(_ clock.Time, a GovAction) {
		if a.Kind == ActConnect {
			connects++
		}
	}
	e.step(0, Input{Kind: InTick})
	e.q = nil // the connect stays unanswered
	e.step(secs(1), Input{Kind: InViolation, Peer: 1})
	for e.wake <= secs(60) {
		e.step(e.wake, Input{Kind: InTick})
	}
	e.q = nil
	if connects != 1 {
		t.Errorf("%d connects to peer 1 while the first was unanswered, want 1", connects)
	}
}

// TestViolatorNotRelearnt: a violating peer that has an inbound connection
// is forgotten, then learnt again from that connection (light peer
// sharing) in the same Step, fresh and dialable at once. Found by
// TestGovernorStateMachine (see bugViolatorRelearnt).
func TestViolatorNotRelearnt(t *testing.T) {
	cfg := GovernorConfig{Targets: Targets{Known: 5}, PeerSharing: true, Timing: DefaultTiming()}
	e := newGovEnv(t, cfg, 1, nil)
	e.step(0, Input{Kind: InInboundUp, Peer: 3})
	if e.g.Peer(3) == nil {
		t.Fatal("setup: inbound peer 3 not learnt")
	}
	e.step(secs(60), Input{Kind: InViolation, Peer: 3})
	if p := e.g.Peer(3); p != nil {
		t.Errorf("violator learnt again at once: %+v", p)
	}
}

// TestViolationKeepsBackoff: a violation by a peer that cannot be
// forgotten (local root, public config root, bootstrap peer) replaces its
// connection backoff by the 10 s error delay, shortening it. Found by
// TestGovernorStateMachine (see bugViolationShortensBackoff).
func TestViolationKeepsBackoff(t *testing.T) {
	e, id := failingEnv(t, SrcPublicConfig, DefaultTiming())
	e.step(0, Input{Kind: InTick})
	for e.g.Peer(id).FailCount < 5 {
		e.next(secs(1000))
	}
	before := e.g.Peer(id).NextConnect // 80 s ± 2 s away
	e.step(e.now, Input{Kind: InViolation, Peer: id})
	if p := e.g.Peer(id); p.NextConnect < before {
		t.Errorf("violation moved the next connect from %v to %v", before, p.NextConnect)
	}
}

// tallySM is the governor state machine of governor_rapid_test.go with one
// more check after every action: the incrementally kept counters equal a
// recount, and Counts equals the recount's.
type tallySM struct{ *govSM }

func (s tallySM) Check(t *rapid.T) {
	s.govSM.Check(t)
	if err := s.g.checkTally(); err != nil {
		t.Fatalf("at %v: %v", s.now, err)
	}
	var want Counts
	for i := range s.g.t.p {
		want.add(&s.g.t.p[i], 1)
	}
	if got := s.g.Counts(); got != want {
		t.Fatalf("at %v: Counts %+v, recount %+v", s.now, got, want)
	}
}

// TestGovernorTallyIncremental drives the governor through the rapid state
// machine and checks the incremental tally after every action.
func TestGovernorTallyIncremental(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sm := tallySM{newGovSM(rt, rapid.Bool().Draw(rt, "scripted"))}
		rt.Repeat(rapid.StateMachineActions(sm))
	})
}

// TestTallyAddRemove: counting a peer and taking it out again restores
// the tally, for every state, progress bit, source and group.
func TestTallyAddRemove(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tl := tally{gEst: make([]int, 2), gAct: make([]int, 2), gPromCold: make([]int, 2), gPromWarm: make([]int, 2), gDemHot: make([]int, 2)}
		var peers []Peer
		for range rapid.IntRange(0, 10).Draw(t, "n") {
			p := Peer{
				State:    PeerState(rapid.IntRange(0, int(Hot)).Draw(t, "state")),
				Progress: Progress(rapid.Uint8().Draw(t, "progress")),
				Source:   Source(rapid.Uint8().Draw(t, "source")),
				Group:    int16(rapid.IntRange(-1, 2).Draw(t, "group")),
			}
			peers = append(peers, p)
			tl.add(&p, 1)
		}
		if tl.Known+tl.KnownBLP != len(peers) {
			t.Fatalf("%d peers counted as %d known", len(peers), tl.Known+tl.KnownBLP)
		}
		for i := range peers {
			tl.add(&peers[i], -1)
		}
		if tl.Counts != (Counts{}) || tl.promColdBLP|tl.promColdOther|tl.promWarmBLP|tl.promWarmOther|tl.demWarmBLP|
			tl.demWarmOther|tl.demHotBLP|tl.demHotOther|tl.coolBLP|tl.coolOther|tl.warmLocal != 0 ||
			slices.ContainsFunc(slices.Concat(tl.gEst, tl.gAct, tl.gPromCold, tl.gPromWarm, tl.gDemHot), func(x int) bool { return x != 0 }) {
			t.Fatalf("tally not zero after removing every peer: %+v", tl)
		}
	})
}

// TestDeferredViolatorNotRelearnt: a peer that violates a protocol while
// we dial it, then connects to us, is forgotten when our connect answers
// and its inbound connection dropped, so that light peer sharing does not
// learn it again in the same Step. Found by TestGovernorTallyIncremental
// (rapid seed 17341438073748571925).
func TestDeferredViolatorNotRelearnt(t *testing.T) {
	for _, answer := range []InputKind{InConnected, InConnectFailed} {
		t.Run(answer.String(), func(t *testing.T) {
			cfg := GovernorConfig{Targets: Targets{Known: 5, Established: 2}, PeerSharing: true, Timing: DefaultTiming()}
			e := newGovEnv(t, cfg, 1, nil)
			e.step(0, Input{Kind: InInboundUp, Peer: 3})
			p := e.g.Peer(3)
			if p == nil || p.Progress&PromoteCold == 0 {
				t.Fatalf("setup: inbound peer 3 not being dialled: %+v", p)
			}
			e.step(secs(1), Input{Kind: InViolation, Peer: 3})
			e.step(secs(2), Input{Kind: InInboundUp, Peer: 3})
			dropped := false
			e.onAction = func(_ clock.Time, a GovAction) { dropped = dropped || (a.Kind == ActDrop && a.Peer == 3) }
			e.step(secs(3), Input{Kind: answer, Peer: 3})
			if p := e.g.Peer(3); p != nil {
				t.Errorf("violator kept after its connect answered: %+v", p)
			}
			if !dropped {
				t.Error("the violator's inbound connection was not dropped")
			}
		})
	}
}

// TestUnaskedRootAnswerIgnored: a root or big-ledger answer the governor
// did not ask for (its request was made before a restart) adds no peer
// and leaves the backoff and retry time as they were.
func TestUnaskedRootAnswerIgnored(t *testing.T) {
	cfg := GovernorConfig{Targets: Targets{Root: 5, Known: 10, Established: 4, Active: 2, KnownBLP: 3, EstablishedBLP: 2, ActiveBLP: 1},
		Timing: DefaultTiming(), LedgerPeers: true}
	g, err := NewGovernor(cfg, rand.New(rand.NewPCG(1, 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out GovOutbox
	g.Step(0, Input{Kind: InTick}, &out) // asks for roots and big ledger peers
	for _, k := range []InputKind{InRoots, InBigLedger} {
		// The answers, valid for a minute: no request until then.
		g.Step(clock.FromSeconds(1), Input{Kind: k, Peers: []PeerID{7, 8}, Delay: time.Minute}, &out)
	}
	known, retry, blpRetry, backoff := g.Counts().Known, g.rootRetry, g.blpRetry, g.rootBackoff
	out.Reset()
	out.Tracing = true
	for _, k := range []InputKind{InRoots, InBigLedger} {
		g.Step(clock.FromSeconds(2), Input{Kind: k, Peers: []PeerID{21, 22, 23}}, &out)
	}
	if g.Counts().Known != known || g.rootRetry != retry || g.blpRetry != blpRetry || g.rootBackoff != backoff {
		t.Errorf("an unasked answer changed the governor: known %d → %d, retry %v → %v, big ledger retry %v → %v",
			known, g.Counts().Known, retry, g.rootRetry, blpRetry, g.blpRetry)
	}
	if len(out.Trace) == 0 || !strings.Contains(out.Trace[0].String(), "ignored") {
		t.Errorf("trace %v does not say the answer was ignored", out.Trace)
	}
}
