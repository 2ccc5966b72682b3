package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dpsim/dpsim/clock"
)

// follow returns the counters of a governor that has reached t exactly.
func follow(t Targets) Counts {
	return Counts(t)
}

func sec(s float64) clock.Time { return clock.Time(s * float64(time.Second)) }

// runFollowing drives c in mode until the time limit with a governor that
// reaches every target instantly, and returns every completed step.
func runFollowing(t *testing.T, c *Churn, mode ChurnMode, until clock.Time) []ChurnEvent {
	t.Helper()
	var events []ChurnEvent
	var counts Counts
	for now := clock.Time(0); now <= until; {
		tg, _, wake := c.Step(now, mode, counts)
		if !tg.Sane() {
			t.Fatalf("at %v: insane targets %+v", now, tg)
		}
		events = append(events, c.Trace()...)
		if f := follow(tg); f != counts {
			counts = f // the governor reacts at the same instant
			continue
		}
		if wake <= now {
			t.Fatalf("at %v: wake %v does not move time", now, wake)
		}
		now = wake
	}
	return events
}

func TestChurnDecrease(t *testing.T) {
	cases := []struct{ u, v, dec, decMin int }{
		{0, 0, 0, 0}, {0, 1, 0, 0}, {0, 4, 3, 3}, {0, 5, 4, 4}, {0, 20, 16, 16},
		{4, 10, 8, 6}, {4, 120, 96, 96}, {30, 120, 96, 90}, {200, 120, 96, 0}, {3, 2, 1, 0},
	}
	for _, cs := range cases {
		if got := decrease(cs.v); got != cs.dec {
			t.Errorf("decrease(%d) = %d, want %d", cs.v, got, cs.dec)
		}
		if got := decreaseWithMin(cs.u, cs.v); got != cs.decMin {
			t.Errorf("decreaseWithMin(%d, %d) = %d, want %d", cs.u, cs.v, got, cs.decMin)
		}
	}
}

// TestChurnRelayCycle walks the first full cycle with the relay defaults
// and a governor that follows instantly, against hand-computed targets
// (spec/governor.md §3.3, "Default relay example": active 20 → 16,
// established 30 → 26, known 150 → 126).
func TestChurnRelayCycle(t *testing.T) {
	b := RelayTargets // root 60, known 150, est 30, active 20, BLP 15/10/5
	// Each step rewrites its own fields of the current targets, so a
	// lowered layer stays lowered until its own increase step.
	with := func(f func(*Targets)) Targets { x := b; f(&x); return x }
	want := []struct {
		action  ChurnAction
		targets Targets
		r       int
	}{
		{DecreasedActiveBigLedgerPeers, with(func(x *Targets) { x.ActiveBLP = 4 }), 1},
		{IncreasedActiveBigLedgerPeers, b, 1},
		// 5 − max(r1 = 1, 1) + 5
		{DecreasedEstablishedBigLedgerPeers, with(func(x *Targets) { x.EstablishedBLP = 9 }), 1},
		// 5 − max(r3 = 1, 1) + 10
		{DecreasedKnownBigLedgerPeers, with(func(x *Targets) { x.EstablishedBLP, x.KnownBLP = 9, 14 }), 1},
		{IncreasedKnownBigLedgerPeers, with(func(x *Targets) { x.EstablishedBLP = 9 }), 1},
		{IncreasedEstablishedBigLedgerPeers, b, 1},
		{DecreasedActivePeers, with(func(x *Targets) { x.Active = 16 }), 4},
		{IncreasedActivePeers, b, 4},
		// 10 − max(r7 = 4, 2) + 20
		{DecreasedEstablishedPeers, with(func(x *Targets) { x.Established = 26 }), 4},
		// root: min(60, 30 − 6 + 30); known: 120 − max(r9 = 4, 24) + 30
		{DecreasedKnownPeers, with(func(x *Targets) { x.Established, x.Root, x.Known = 26, 54, 126 }), 24},
		{IncreasedKnownPeers, with(func(x *Targets) { x.Established = 26 }), 24},
		{IncreasedEstablishedPeers, b, 4},
	}
	c := NewChurn(DefaultChurnConfig(b), rand.New(rand.NewPCG(1, 2)))
	events := runFollowing(t, c, ChurnDeadline, sec(3900))
	if len(events) != len(want) {
		t.Fatalf("got %d steps in the first 3900 s, want %d: %+v", len(events), len(want), events)
	}
	start := events[0].Start
	if start < sec(3300) || start > sec(3900) {
		t.Errorf("first cycle at %v, want in [3300 s, 3900 s]", start)
	}
	for i, w := range want {
		e := events[i]
		if e.Action != w.action || e.Targets != w.targets || e.R() != w.r || e.Timeout ||
			e.Start != start || e.End != start || e.Cycle != 1 || e.Regime != ChurnDefault {
			t.Errorf("step %d: got %+v (r %d), want %v targets %+v r %d, at %v without timeout",
				i+1, e, e.R(), w.action, w.targets, w.r, start)
		}
	}
	if c.Targets() != b {
		t.Errorf("after the cycle targets %+v, want base %+v", c.Targets(), b)
	}
}

// TestChurnStuckCounters holds the counters still: each step either holds
// at once or ends by its timeout at exactly start + timeout.
func TestChurnStuckCounters(t *testing.T) {
	b := RelayTargets
	cases := []struct {
		name   string
		counts Counts
		// durations in seconds of steps 1..12; timeouts where nonzero
		secs [12]int
	}{
		// Counters stuck at base: every decrease times out.
		{"high", follow(b), [12]int{300, 0, 121, 60, 0, 0, 300, 0, 121, 60, 0, 0}},
		// Nothing ever connects: every increase times out.
		{"low", Counts{}, [12]int{0, 60, 0, 0, 80, 60, 0, 60, 0, 0, 80, 60}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			c := NewChurn(DefaultChurnConfig(b), rand.New(rand.NewPCG(3, 4)))
			now := clock.Time(0)
			var events []ChurnEvent
			for len(events) < 12 {
				_, _, wake := c.Step(now, ChurnDeadline, cs.counts)
				events = append(events, c.Trace()...)
				now = wake
			}
			at := events[0].Start
			for i, e := range events[:12] {
				d := time.Duration(cs.secs[i]) * time.Second
				if e.Action != ChurnAction(i) || e.Start != at || e.Duration() != d || e.Timeout != (d > 0) || e.Delta != 0 {
					t.Errorf("step %d: got %+v, want start %v, duration %v, timeout %v", i+1, e, at, d, d > 0)
				}
				if d > 0 && d != e.Action.Timeout() {
					t.Errorf("step %d: timed out after %v, its timeout is %v", i+1, d, e.Action.Timeout())
				}
				at = e.End
			}
			// With r = 0 the layers below use plain 20 %: est 10 → 8 warm, known 120 → 96 cold.
			if got := events[8].Targets.Established; got != 28 {
				t.Errorf("established target %d, want 28", got)
			}
			if got := events[9].Targets; got.Known != 126 || got.Root != 54 {
				t.Errorf("known/root targets %d/%d, want 126/54", got.Known, got.Root)
			}
			// The cycle took 962 s; the interval counts from its start.
			if gap := now.Sub(events[0].Start); gap < 3300*time.Second || gap > 3900*time.Second {
				t.Errorf("next cycle %v after the last, want 3300–3900 s", gap)
			}
		})
	}
}

// TestChurnLongCycle: a cycle longer than the interval starts the next at
// once (the negative delay is not waited).
func TestChurnLongCycle(t *testing.T) {
	cfg := DefaultChurnConfig(RelayTargets)
	cfg.BulkInterval, cfg.BulkJitter = 100*time.Second, 0
	c := NewChurn(cfg, rand.New(rand.NewPCG(5, 6)))
	counts := follow(RelayTargets)
	_, _, wake := c.Step(0, ChurnBulkSync, counts)
	_, _, wake = c.Step(wake, ChurnBulkSync, counts)
	if wake != sec(100) {
		t.Fatalf("first cycle at %v, want 100 s (start + interval)", wake)
	}
	var events []ChurnEvent
	for len(events) < 13 {
		_, _, wake = c.Step(wake, ChurnBulkSync, counts)
		events = append(events, c.Trace()...)
	}
	if end := events[11].End; end != sec(100+962) || events[12].Start != end || events[12].Cycle != 2 {
		t.Errorf("cycle 1 ended %v, cycle 2 step 1 %+v; want back to back at 1062 s", end, events[12])
	}
	if events[0].Regime != ChurnPraosSync || events[6].Targets.Active != 1 {
		t.Errorf("bulk sync step 7 %+v, want PraosSync with active 1", events[6])
	}
}

// TestChurnTie: counters that satisfy the check at the very instant of the
// timeout end the step as an action, not a timeout (FirstToFinish tries
// the check first).
func TestChurnTie(t *testing.T) {
	cfg := DefaultChurnConfig(RelayTargets)
	cfg.DeadlineJitter = 0
	c := NewChurn(cfg, rand.New(rand.NewPCG(1, 1)))
	high := follow(RelayTargets)
	_, _, wake := c.Step(0, ChurnDeadline, high)
	_, _, wake = c.Step(wake, ChurnDeadline, high)
	_, _, deadline := c.Step(wake, ChurnDeadline, high)
	if wake != sec(3300) || deadline != sec(3600) {
		t.Fatalf("cycle at %v, step 1 deadline %v; want 3300 s, 3600 s", wake, deadline)
	}
	low := high
	low.ActiveBLP = 4
	c.Step(deadline, ChurnDeadline, low)
	if tr := c.Trace(); len(tr) == 0 || tr[0].Timeout || tr[0].Duration() != 300*time.Second || tr[0].Delta != -1 {
		t.Errorf("trace at the deadline %+v, want step 1 completed by its check after 300 s with Δ −1", tr)
	}
}

func TestChurnStartup(t *testing.T) {
	boot := DefaultChurnConfig(RelayTargets)
	boot.BootstrapPeers = true
	rootedSync := DefaultChurnConfig(RelayTargets)
	rootedSync.Sync.Root = 5
	cases := []struct {
		name  string
		cfg   ChurnConfig
		mode  ChurnMode
		first Targets
		base  Targets
		lo    time.Duration // bounds of the first interval
		hi    time.Duration
	}{
		{"deadline", DefaultChurnConfig(RelayTargets), ChurnDeadline,
			Targets{0, 150, 30, 20, 15, 10, 5}, RelayTargets, 3300 * time.Second, 3900 * time.Second},
		{"genesis", DefaultChurnConfig(RelayTargets), ChurnGenesis,
			SyncTargets, SyncTargets, 3300 * time.Second, 3900 * time.Second},
		{"genesis keeps root", rootedSync, ChurnGenesis, // no head start outside Praos
			rootedSync.Sync, rootedSync.Sync, 3300 * time.Second, 3900 * time.Second},
		{"praos sync", DefaultChurnConfig(BlockProducerTargets), ChurnBulkSync,
			Targets{0, 100, 30, 20, 15, 10, 5}, BlockProducerTargets, 900 * time.Second, 960 * time.Second},
		{"bootstrap sync", boot, ChurnBulkSync,
			Targets{0, 150, 30, 2, 15, 10, 1}, RelayTargets, 900 * time.Second, 960 * time.Second},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			t0 := sec(7)
			c := NewChurn(cs.cfg, rand.New(rand.NewPCG(7, 8)))
			tg, changed, wake := c.Step(t0, cs.mode, Counts{})
			if tg != cs.first || !changed || wake != t0.Add(ChurnHeadStart) {
				t.Fatalf("start: %+v changed %v wake %v; want %+v, true, %v", tg, changed, wake, cs.first, t0.Add(ChurnHeadStart))
			}
			// A counter change during the head start changes nothing.
			tg, changed, wake = c.Step(sec(8), cs.mode, follow(cs.first))
			if tg != cs.first || changed || wake != t0.Add(ChurnHeadStart) {
				t.Fatalf("head start: %+v changed %v wake %v", tg, changed, wake)
			}
			tg, changed, wake = c.Step(t0.Add(ChurnHeadStart), cs.mode, follow(cs.first))
			if tg != cs.base || changed != (cs.base != cs.first) {
				t.Fatalf("after 3 s: %+v changed %v, want %+v, %v", tg, changed, cs.base, cs.base != cs.first)
			}
			if d := wake.Sub(t0); d < cs.lo || d > cs.hi {
				t.Errorf("first cycle %v after start, want in [%v, %v]", d, cs.lo, cs.hi)
			}
			if c.Cycle() != 0 || len(c.Trace()) != 0 {
				t.Errorf("cycle %d, trace %v before the first interval", c.Cycle(), c.Trace())
			}
		})
	}
}

func TestChurnIntervals(t *testing.T) {
	const cycles = 2000
	cases := []struct {
		mode   ChurnMode
		lo, hi time.Duration
	}{
		{ChurnDeadline, 3300 * time.Second, 3900 * time.Second},
		{ChurnGenesis, 3300 * time.Second, 3900 * time.Second},
		{ChurnBulkSync, 900 * time.Second, 960 * time.Second},
	}
	for _, cs := range cases {
		c := NewChurn(DefaultChurnConfig(RelayTargets), rand.New(rand.NewPCG(9, uint64(cs.mode))))
		events := runFollowing(t, c, cs.mode, clock.Time(0).Add(cycles*cs.hi))
		prev, lo, hi := clock.Time(0), cs.hi, cs.lo
		n := 0
		for _, e := range events {
			if e.Action != DecreasedActiveBigLedgerPeers {
				continue
			}
			gap := e.Start.Sub(prev)
			if gap < cs.lo || gap > cs.hi {
				t.Fatalf("mode %d: cycle %d %v after the previous, want in [%v, %v]", cs.mode, e.Cycle, gap, cs.lo, cs.hi)
			}
			lo, hi, prev = min(lo, gap), max(hi, gap), e.Start
			n++
		}
		// 2000 uniform draws: both ends are approached within 5 % of the jitter.
		slack := (cs.hi - cs.lo) / 20
		if n < cycles || lo > cs.lo+slack || hi < cs.hi-slack {
			t.Errorf("mode %d: %d cycles, gaps in [%v, %v]; want ≥ %d spread over [%v, %v]", cs.mode, n, lo, hi, cycles, cs.lo, cs.hi)
		}
	}
}

// TestChurnRegimeTargets checks the sync-regime adjustments of §3.3 for the
// relay defaults with one hot local root.
func TestChurnRegimeTargets(t *testing.T) {
	b := RelayTargets
	cur := b
	cur.Active = 2 // step 8's sync target, still in force at steps 9 and 12
	r := [numChurnActions]int{DecreasedActivePeers: 19}
	cases := []struct {
		action ChurnAction
		regime ChurnRegime
		field  func(Targets) int
		want   int
	}{
		{DecreasedActiveBigLedgerPeers, ChurnPraosSync, func(x Targets) int { return x.ActiveBLP }, 1},
		{IncreasedActiveBigLedgerPeers, ChurnBootstrapPraosSync, func(x Targets) int { return x.ActiveBLP }, 1},
		{DecreasedActivePeers, ChurnPraosSync, func(x Targets) int { return x.Active }, 1},
		{IncreasedActivePeers, ChurnPraosSync, func(x Targets) int { return x.Active }, 2},
		{DecreasedEstablishedPeers, ChurnPraosSync, func(x Targets) int { return x.Established }, 20},         // 10 − max(19, 2) clamps to 0
		{DecreasedEstablishedPeers, ChurnBootstrapPraosSync, func(x Targets) int { return x.Established }, 2}, // min(active 2, 29)
		{IncreasedEstablishedPeers, ChurnBootstrapPraosSync, func(x Targets) int { return x.Established }, 3}, // min(2+1, 30)
		{IncreasedEstablishedPeers, ChurnPraosSync, func(x Targets) int { return x.Established }, 30},
		{DecreasedActivePeers, ChurnDefault, func(x Targets) int { return x.Active }, 16},
	}
	for _, cs := range cases {
		got := churnModify(cs.action, cs.regime, 1, b, cur, &r)
		if cs.field(got) != cs.want {
			t.Errorf("%v in %v: got %+v, want field %d", cs.action, cs.regime, got, cs.want)
		}
	}
}

func TestChurnConfigCheck(t *testing.T) {
	cases := []struct {
		name string
		edit func(*ChurnConfig)
		want string // substring of the error; "" for valid
	}{
		{"default", func(*ChurnConfig) {}, ""},
		{"zero jitter", func(c *ChurnConfig) { c.DeadlineJitter, c.BulkJitter = 0, 0 }, ""},
		{"insane base", func(c *ChurnConfig) { c.Base.Active = 40 }, "churn config Base"},
		{"insane sync", func(c *ChurnConfig) { c.Sync.ActiveBLP = -1 }, "churn config Sync"},
		{"zero interval", func(c *ChurnConfig) { c.DeadlineInterval = 0 }, "DeadlineInterval = 0s: accepted > 0"},
		{"negative jitter", func(c *ChurnConfig) { c.BulkJitter = -time.Second }, "BulkJitter = -1s: accepted ≥ 0"},
		{"negative local hot", func(c *ChurnConfig) { c.LocalHotValency = -2 }, "LocalHotValency = -2"},
	}
	for _, cs := range cases {
		cfg := DefaultChurnConfig(RelayTargets)
		cs.edit(&cfg)
		err := cfg.Check()
		if (err == nil) != (cs.want == "") || err != nil && !strings.Contains(err.Error(), cs.want) {
			t.Errorf("%s: Check() = %v, want %q", cs.name, err, cs.want)
		}
	}
}

// drive runs c against a random governor from script: counters that
// follow, stay or jump, time that moves to the wake time or earlier, and
// a mode that may change whenever time moves. It calls visit after every
// Step with that call's inputs and outputs.
func drive(c *Churn, script *rand.Rand, calls int, visit func(now clock.Time, mode ChurnMode, counts Counts, tg Targets, changed bool, wake clock.Time)) {
	modes := []ChurnMode{ChurnDeadline, ChurnBulkSync, ChurnGenesis}
	now, mode := clock.Time(0), modes[script.IntN(3)]
	var counts Counts
	jitter := func(v, t int) int {
		switch script.IntN(3) {
		case 0:
			return t
		case 1:
			return v
		}
		return script.IntN(2*t + 3)
	}
	for range calls {
		tg, changed, wake := c.Step(now, mode, counts)
		visit(now, mode, counts, tg, changed, wake)
		f := follow(tg)
		switch script.IntN(4) {
		case 0: // the governor reaches the targets now
			counts = f
		case 1: // some counters move, a little later
			counts = Counts{jitter(counts.Root, f.Root), jitter(counts.Known, f.Known), jitter(counts.Established, f.Established),
				jitter(counts.Active, f.Active), jitter(counts.KnownBLP, f.KnownBLP), jitter(counts.EstablishedBLP, f.EstablishedBLP),
				jitter(counts.ActiveBLP, f.ActiveBLP)}
			now += clock.Time(script.Int64N(int64(wake-now) + 1))
		default: // nothing happens until churn's wake time
			now = wake
			if script.IntN(8) == 0 {
				mode = modes[script.IntN(3)]
			}
		}
	}
}

func drawTargets(t *rapid.T, label string) Targets {
	known := rapid.IntRange(0, 400).Draw(t, label+".known")
	est := rapid.IntRange(0, known).Draw(t, label+".est")
	kBLP := rapid.IntRange(0, 200).Draw(t, label+".knownBLP")
	eBLP := rapid.IntRange(0, kBLP).Draw(t, label+".estBLP")
	return Targets{
		Root:           rapid.IntRange(0, known).Draw(t, label+".root"),
		Known:          known,
		Established:    est,
		Active:         rapid.IntRange(0, min(est, MaxActiveTarget)).Draw(t, label+".active"),
		KnownBLP:       kBLP,
		EstablishedBLP: eBLP,
		ActiveBLP:      rapid.IntRange(0, min(eBLP, MaxActiveTarget)).Draw(t, label+".activeBLP"),
	}
}

// TestChurnProperties: over random sane base targets, count responses and
// modes, every emitted target is sane, steps run in the documented order
// back to back, a step ends on its check or exactly at its timeout,
// cycles are an interval apart (or back to back when a cycle overran),
// and each Default cycle lowers active by max(1, ⌊active/5⌋).
func TestChurnProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := DefaultChurnConfig(drawTargets(rt, "base"))
		cfg.Sync = drawTargets(rt, "sync")
		cfg.LocalHotValency = rapid.IntRange(0, 4).Draw(rt, "localHot")
		cfg.BootstrapPeers = rapid.Bool().Draw(rt, "bootstrap")
		seed := rapid.Uint64().Draw(rt, "seed")
		c := NewChurn(cfg, rand.New(rand.NewPCG(seed, 0)))

		modeAt := map[clock.Time]ChurnMode{} // the mode is constant within an instant
		var prevTargets Targets
		var last *ChurnEvent
		var cycleStart clock.Time
		first := true
		drive(c, rand.New(rand.NewPCG(seed, 1)), 600, func(now clock.Time, mode ChurnMode, counts Counts, tg Targets, changed bool, wake clock.Time) {
			modeAt[now] = mode
			if err := tg.Check(); err != nil {
				rt.Fatalf("at %v: emitted %v", now, err)
			}
			if !first && changed != (tg != prevTargets) {
				rt.Fatalf("at %v: changed = %v but %+v → %+v", now, changed, prevTargets, tg)
			}
			if wake <= now || wake == clock.Never {
				rt.Fatalf("at %v: wake %v", now, wake)
			}
			first, prevTargets = false, tg
			for _, e := range c.Trace() {
				checkEvent(rt, cfg, e, last, &cycleStart, counts, modeAt[e.Start])
				last = &e
			}
		})
	})
}

func checkEvent(rt *rapid.T, cfg ChurnConfig, e ChurnEvent, last *ChurnEvent, cycleStart *clock.Time, counts Counts, mode ChurnMode) {
	switch {
	case last == nil:
		if e.Action != DecreasedActiveBigLedgerPeers || e.Cycle != 1 {
			rt.Fatalf("first step %+v", e)
		}
	case last.Action == IncreasedEstablishedPeers:
		gap := e.Start.Sub(*cycleStart)
		inDeadline := gap >= cfg.DeadlineInterval && gap <= cfg.DeadlineInterval+cfg.DeadlineJitter
		inBulk := gap >= cfg.BulkInterval && gap <= cfg.BulkInterval+cfg.BulkJitter
		if e.Action != DecreasedActiveBigLedgerPeers || e.Cycle != last.Cycle+1 || e.Start != last.End && !inDeadline && !inBulk {
			rt.Fatalf("after %+v came %+v (%v after the cycle start)", *last, e, gap)
		}
	default:
		if e.Action != last.Action+1 || e.Cycle != last.Cycle || e.Start != last.End {
			rt.Fatalf("after %+v came %+v", *last, e)
		}
	}
	if e.Action == DecreasedActiveBigLedgerPeers {
		*cycleStart = e.Start
	}
	// Every step in a trace completed at the call's time with its counters.
	if e.Timeout != !churnCheck(e.Action, counts, e.Targets) {
		rt.Fatalf("%+v with counters %+v: timeout flag disagrees with the check", e, counts)
	}
	if e.Timeout && e.Duration() != e.Action.Timeout() || e.Duration() > e.Action.Timeout() {
		rt.Fatalf("%+v lasted %v, timeout %v", e, e.Duration(), e.Action.Timeout())
	}
	if e.Regime != cfg.Regime(mode) {
		rt.Fatalf("%+v in mode %d: regime", e, mode)
	}
	base := cfg.BaseTargets(mode)
	switch {
	case e.Action == DecreasedActivePeers && e.Regime == ChurnDefault:
		if want := max(0, base.Active-max(1, base.Active/5)); e.Targets.Active != want {
			rt.Fatalf("%+v: active target %d, want %d from base %d", e, e.Targets.Active, want, base.Active)
		}
	case e.Action == DecreasedActivePeers:
		if want := min(max(1, cfg.LocalHotValency), base.Active-1); e.Targets.Active != want {
			rt.Fatalf("%+v: sync active target %d, want %d", e, e.Targets.Active, want)
		}
	case e.Action == IncreasedEstablishedPeers && e.Regime != ChurnBootstrapPraosSync:
		if e.Targets.Established != base.Established {
			rt.Fatalf("%+v: established not restored to %d", e, base.Established)
		}
	}
}

// TestChurnDeterminism: the same seed and inputs give the same outputs and
// trace; another seed gives other intervals.
func TestChurnDeterminism(t *testing.T) {
	type out struct {
		tg      Targets
		changed bool
		wake    clock.Time
	}
	run := func(seed uint64) ([]out, []ChurnEvent) {
		cfg := DefaultChurnConfig(RelayTargets)
		cfg.LocalHotValency = 2
		c := NewChurn(cfg, rand.New(rand.NewPCG(seed, 0)))
		var outs []out
		var events []ChurnEvent
		drive(c, rand.New(rand.NewPCG(42, 1)), 3000, func(_ clock.Time, _ ChurnMode, _ Counts, tg Targets, changed bool, wake clock.Time) {
			outs = append(outs, out{tg, changed, wake})
			events = append(events, c.Trace()...)
		})
		return outs, events
	}
	o1, e1 := run(7)
	o2, e2 := run(7)
	if !slices.Equal(o1, o2) || !slices.Equal(e1, e2) {
		t.Fatal("seed 7 replayed differently (replay: go test ./node -run TestChurnDeterminism)")
	}
	if len(e1) < 24 {
		t.Fatalf("only %d steps in 3000 calls", len(e1))
	}
	_, e3 := run(8)
	if slices.Equal(e1, e3) {
		t.Error("seeds 7 and 8 gave identical traces")
	}
}

func BenchmarkChurnCycle(b *testing.B) {
	c := NewChurn(DefaultChurnConfig(RelayTargets), rand.New(rand.NewPCG(1, 1)))
	var counts Counts
	now := clock.Time(0)
	b.ReportAllocs()
	for b.Loop() {
		tg, _, wake := c.Step(now, ChurnDeadline, counts)
		if f := follow(tg); f != counts {
			counts = f
		} else {
			now = wake
		}
	}
}

// ExampleChurn drives churn with a governor that reaches every target at
// once: start-up, then the first cycle's active-peer steps.
func ExampleChurn() {
	c := NewChurn(DefaultChurnConfig(RelayTargets), rand.New(rand.NewPCG(1, 2)))
	var counts Counts
	now := clock.Time(0)
	tg, _, wake := c.Step(now, ChurnDeadline, counts)
	fmt.Printf("start: root %d, known %d; wake at %v\n", tg.Root, tg.Known, wake)
	for c.Cycle() < 2 {
		tg, _, wake = c.Step(now, ChurnDeadline, counts)
		for _, e := range c.Trace() {
			if e.Action == DecreasedActivePeers || e.Action == IncreasedActivePeers {
				fmt.Printf("%v: active target %d, %d peers changed\n", e.Action, e.Targets.Active, e.R())
			}
		}
		if f := follow(tg); f != counts {
			counts = f
			continue
		}
		now = wake
	}
	// Output:
	// start: root 0, known 150; wake at 3.000000000s
	// DecreasedActivePeers: active target 16, 4 peers changed
	// IncreasedActivePeers: active target 20, 4 peers changed
}
