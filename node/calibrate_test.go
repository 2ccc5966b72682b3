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

// calReplacer is a Replacer that returns n and records the hot lists it
// was given.
type calReplacer struct {
	n   int
	got [][]PeerID
}

func (r *calReplacer) Replace(_ PeerView, hot []PeerID, rng *rand.Rand) int {
	if rng == nil {
		panic("calReplacer: nil rng")
	}
	r.got = append(r.got, slices.Clone(hot))
	return r.n
}

// calView returns a view with hot non-BLP peers 1..hot, two hot big ledger
// peers and a warm and a cold peer, none of the last four to be counted.
func calView(hot int) *stubView {
	v := &stubView{}
	for i := 1; i <= hot; i++ {
		v.peers = append(v.peers, Peer{ID: PeerID(i), Group: -1, State: Hot, Source: SrcLedger})
	}
	v.peers = append(v.peers,
		Peer{ID: 200, Group: -1, State: Hot, Source: SrcBigLedger},
		Peer{ID: 201, Group: -1, State: Hot, Source: SrcBigLedger | SrcLedger},
		Peer{ID: 202, Group: -1, State: Warm, Source: SrcLedger},
		Peer{ID: 203, Group: -1, State: Cold, Source: SrcShared})
	return v
}

// calBase are the steady-state targets of the table tests: 10 hot peers
// out of 40 known, established = active as the research policies run.
var calBase = Targets{Root: 20, Known: 40, Established: 10, Active: 10}

// cnt returns the counters of a node with est established and act active
// non-BLP peers, its root and known sets full.
func cnt(est, act int) Counts { return Counts{Root: 20, Known: 40, Established: est, Active: act} }

// lowered returns calBase with active and established lowered by n.
func lowered(n int) Targets {
	t := calBase
	t.Active -= n
	t.Established -= n
	return t
}

// calStep is one Step call of a scripted table test and what it returns.
type calStep struct {
	at      float64 // seconds
	counts  Counts
	targets Targets
	changed bool
	wake    clock.Time
	trace   []CalibrationEvent
}

func ev(round int, start, end float64, replaced int, timeout bool) CalibrationEvent {
	return CalibrationEvent{Round: round, Start: sec(start), End: sec(end), Replaced: replaced, Timeout: timeout}
}

func TestCalibrationPhases(t *testing.T) {
	never := clock.Never
	periodic := func(n int) CalibrationConfig {
		return CalibrationConfig{Base: calBase, Period: 600 * time.Second, Replace: &calReplacer{n: n}}
	}
	construction := Targets{Root: 20, Known: 40, Established: 40}
	// The construction's end: active raised to Base first, established
	// kept at the construction's 40.
	activating := Targets{Root: 20, Known: 40, Established: 40, Active: 10}
	cases := []struct {
		name   string
		cfg    CalibrationConfig
		hot    int
		rounds int // Round() after the script
		steps  []calStep
	}{
		{"static", CalibrationConfig{Base: calBase}, 10, 0, []calStep{
			{0, Counts{}, calBase, true, never, nil},
			{100, cnt(10, 10), calBase, false, never, nil},
			{9000, cnt(3, 2), calBase, false, never, nil},
		}},
		{"periodic round", periodic(3), 10, 2, []calStep{
			{5, Counts{}, calBase, true, sec(605), nil},
			{300, cnt(10, 10), calBase, false, sec(605), nil},
			// The calibration lowers active and established by 3 …
			{605, cnt(10, 10), lowered(3), true, sec(905), nil},
			{606, cnt(10, 10), lowered(3), false, sec(905), nil},
			// … and waits for both to come down.
			{607, cnt(10, 7), lowered(3), false, sec(905), nil},
			{608, cnt(7, 7), calBase, true, sec(668), nil},
			{610, cnt(9, 9), calBase, false, sec(668), nil},
			// Refilled: the round ends; the next starts a period after
			// this one began.
			{612, cnt(10, 10), calBase, false, sec(1205), []CalibrationEvent{ev(1, 605, 612, 3, false)}},
			{1205, cnt(10, 10), lowered(3), true, sec(1505), nil},
		}},
		{"demotion timeout", periodic(2), 10, 1, []calStep{
			{0, Counts{}, calBase, true, sec(600), nil},
			{600, cnt(10, 10), lowered(2), true, sec(900), nil},
			{899, cnt(10, 10), lowered(2), false, sec(900), nil},
			// 300 s with one demotion of two: restore anyway, then wait
			// for the refill.
			{900, cnt(10, 9), calBase, true, sec(960), nil},
			{950, cnt(10, 10), calBase, false, sec(1200), []CalibrationEvent{ev(1, 600, 950, 2, true)}},
		}},
		// Counters that never moved: the restored Base already holds.
		{"demotion timeout, nothing moved", periodic(2), 10, 1, []calStep{
			{0, Counts{}, calBase, true, sec(600), nil},
			{600, cnt(10, 10), lowered(2), true, sec(900), nil},
			{900, cnt(10, 10), calBase, true, sec(1200), []CalibrationEvent{ev(1, 600, 900, 2, true)}},
		}},
		{"refill timeout", periodic(2), 10, 1, []calStep{
			{0, Counts{}, calBase, true, sec(600), nil},
			{600, cnt(10, 10), lowered(2), true, sec(900), nil},
			{601, cnt(8, 8), calBase, true, sec(661), nil},
			{660, cnt(10, 9), calBase, false, sec(661), nil},
			// 60 s without the replacements: the round ends anyway.
			{661, cnt(10, 9), calBase, false, sec(1200), []CalibrationEvent{ev(1, 600, 661, 2, true)}},
		}},
		{"overrun round: the next starts at once", CalibrationConfig{Base: calBase, Period: 100 * time.Second, Replace: &calReplacer{n: 1}}, 10, 2, []calStep{
			{0, Counts{}, calBase, true, sec(100), nil},
			{100, cnt(10, 10), lowered(1), true, sec(400), nil},
			{400, cnt(10, 9), calBase, true, sec(460), nil},
			{460, cnt(10, 9), lowered(1), true, sec(760), []CalibrationEvent{ev(1, 100, 460, 1, true)}},
		}},
		// Round 1 times out and round 2 begins in the same Step: the
		// targets end where they were, so nothing changed for the governor.
		{"overrun round, nothing moved", CalibrationConfig{Base: calBase, Period: 100 * time.Second, Replace: &calReplacer{n: 1}}, 10, 2, []calStep{
			{0, Counts{}, calBase, true, sec(100), nil},
			{100, cnt(10, 10), lowered(1), true, sec(400), nil},
			{400, cnt(10, 10), lowered(1), false, sec(700), []CalibrationEvent{ev(1, 100, 400, 1, true)}},
		}},
		{"nothing to replace skips the round", periodic(0), 10, 2, []calStep{
			{0, Counts{}, calBase, true, sec(600), nil},
			{600, cnt(10, 10), calBase, false, sec(1200), []CalibrationEvent{ev(1, 600, 600, 0, false)}},
			{1200, cnt(10, 10), calBase, false, sec(1800), []CalibrationEvent{ev(2, 1200, 1200, 0, false)}},
		}},
		{"no hot peer skips the round", periodic(3), 0, 1, []calStep{
			{0, Counts{}, calBase, true, sec(600), nil},
			{600, cnt(0, 0), calBase, false, sec(1200), []CalibrationEvent{ev(1, 600, 600, 0, false)}},
		}},
		{"construction", CalibrationConfig{Base: calBase, Construction: construction, Construct: 120 * time.Second}, 0, 0, []calStep{
			{0, Counts{}, construction, true, sec(120), nil},
			{60, cnt(30, 0), construction, false, sec(120), nil},
			{120, cnt(40, 0), activating, true, sec(180), nil},
			{130, cnt(40, 5), activating, false, sec(180), nil},
			// Active reached: only now established comes down to Base.
			{140, cnt(40, 10), calBase, true, never, []CalibrationEvent{ev(0, 120, 140, 0, false)}},
			{200, cnt(10, 10), calBase, false, never, nil},
		}},
		{"construction timeout", CalibrationConfig{Base: calBase, Construction: construction, Construct: 120 * time.Second}, 0, 0, []calStep{
			{0, Counts{}, construction, true, sec(120), nil},
			{120, cnt(40, 0), activating, true, sec(180), nil},
			{180, cnt(40, 3), calBase, true, never, []CalibrationEvent{ev(0, 120, 180, 0, true)}},
		}},
		{"construction already active", CalibrationConfig{Base: calBase, Construction: construction, Construct: 120 * time.Second}, 0, 0, []calStep{
			{0, Counts{}, construction, true, sec(120), nil},
			{120, cnt(40, 10), calBase, true, never, []CalibrationEvent{ev(0, 120, 120, 0, false)}},
		}},
		// A late first Step still ends the construction at once.
		{"construction then calibrations", CalibrationConfig{Base: calBase, Construction: construction, Construct: 120 * time.Second,
			Period: 600 * time.Second, Replace: &calReplacer{n: 2}}, 10, 1, []calStep{
			{10, Counts{}, construction, true, sec(130), nil},
			{500, cnt(40, 0), activating, true, sec(560), nil},
			{510, cnt(40, 10), calBase, true, sec(1110), []CalibrationEvent{ev(0, 500, 510, 0, false)}},
			{1110, cnt(10, 10), lowered(2), true, sec(1410), nil},
		}},
		// A construction that establishes fewer peers than Base activates
		// raises established (and known) with active.
		{"small construction", CalibrationConfig{Base: calBase, Construction: Targets{Root: 5, Known: 8, Established: 4}, Construct: time.Second}, 0, 0, []calStep{
			{0, Counts{}, Targets{Root: 5, Known: 8, Established: 4}, true, sec(1), nil},
			{1, Counts{}, Targets{Root: 5, Known: 10, Established: 10, Active: 10}, true, sec(61), nil},
		}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			c := NewCalibration(cs.cfg, rand.New(rand.NewPCG(1, 2)))
			v := calView(cs.hot)
			for i, s := range cs.steps {
				tg, changed, wake := c.Step(sec(s.at), v, s.counts)
				where := fmt.Sprintf("step %d at %vs", i, s.at)
				if tg != s.targets || changed != s.changed || wake != s.wake {
					t.Fatalf("%s: got %+v changed %v wake %v; want %+v changed %v wake %v", where, tg, changed, wake, s.targets, s.changed, s.wake)
				}
				if got := c.Trace(); !slices.Equal(got, s.trace) {
					t.Fatalf("%s: trace %+v, want %+v", where, got, s.trace)
				}
				if c.Targets() != tg {
					t.Fatalf("%s: Targets() = %+v, Step returned %+v", where, c.Targets(), tg)
				}
			}
			if c.Round() != cs.rounds {
				t.Errorf("Round() = %d, want %d", c.Round(), cs.rounds)
			}
		})
	}
}

// TestCalibrationClamp: the Replacer sees the non-BLP hot peers sorted by
// id, and a calibration replaces min(max(n, 0), hot, Base.Active).
func TestCalibrationClamp(t *testing.T) {
	cases := []struct {
		n, hot, active int
		want           int
	}{
		{3, 5, 10, 3},
		{-3, 5, 10, 0},
		{100, 5, 10, 5},
		{100, 20, 10, 10}, // every hot peer of Base: active 0
		{7, 7, 7, 7},
		{1, 0, 10, 0},
	}
	for _, cs := range cases {
		t.Run(fmt.Sprintf("n %d hot %d active %d", cs.n, cs.hot, cs.active), func(t *testing.T) {
			base := Targets{Root: 10, Known: 60, Established: 30, Active: cs.active}
			r := &calReplacer{n: cs.n}
			c := NewCalibration(CalibrationConfig{Base: base, Period: time.Minute, Replace: r}, rand.New(rand.NewPCG(3, 3)))
			v := calView(cs.hot)
			c.Step(0, v, Counts{})
			tg, _, _ := c.Step(sec(60), v, Counts(base))
			if got := base.Active - tg.Active; got != cs.want || base.Established-tg.Established != cs.want {
				t.Errorf("targets %+v from %+v: replaced %d, want %d", tg, base, got, cs.want)
			}
			if err := tg.Check(); err != nil {
				t.Errorf("lowered targets: %v", err)
			}
			var wantHot []PeerID
			for i := 1; i <= cs.hot; i++ {
				wantHot = append(wantHot, PeerID(i))
			}
			if len(r.got) != 1 || !slices.Equal(r.got[0], wantHot) {
				t.Errorf("Replacer got %v, want one call with %v", r.got, wantHot)
			}
			if cs.want == 0 {
				if tr := c.Trace(); len(tr) != 1 || tr[0].Replaced != 0 {
					t.Errorf("a skipped round traced %+v, want one event replacing 0", tr)
				}
			}
		})
	}
}

// TestCalibrationJitter: each round begins Period + U(0, Jitter) after the
// previous one began, the jitter drawn from the calibration's stream.
func TestCalibrationJitter(t *testing.T) {
	const period, jitter = 600 * time.Second, 100 * time.Second
	c := NewCalibration(CalibrationConfig{Base: calBase, Period: period, Jitter: jitter, Replace: &calReplacer{}}, rand.New(rand.NewPCG(7, 7)))
	ref := rand.New(rand.NewPCG(7, 7))
	v := calView(10)
	start := sec(3)
	_, _, wake := c.Step(start, v, Counts{})
	seen := map[time.Duration]bool{}
	for round := 1; round <= 20; round++ {
		d := wake.Sub(start)
		if want := period + time.Duration(ref.Int64N(int64(jitter)+1)); d != want {
			t.Fatalf("round %d begins %v after the previous, want %v", round, d, want)
		}
		if d < period || d > period+jitter {
			t.Fatalf("round %d begins %v after the previous, want %v … %v", round, d, period, period+jitter)
		}
		seen[d] = true
		start = wake
		_, _, wake = c.Step(start, v, Counts(calBase))
	}
	if len(seen) < 10 {
		t.Errorf("20 rounds drew only %d distinct delays: the jitter is not random", len(seen))
	}
}

// TestCalibrationFollowing: with a governor that reaches every target at
// once, each round takes no time and rounds come exactly a period apart.
func TestCalibrationFollowing(t *testing.T) {
	r := &calReplacer{n: 3}
	c := NewCalibration(CalibrationConfig{Base: calBase, Period: 600 * time.Second, Replace: r}, rand.New(rand.NewPCG(1, 1)))
	v := calView(10)
	var events []CalibrationEvent
	var counts Counts
	for now := clock.Time(0); now <= sec(3600); {
		tg, _, wake := c.Step(now, v, counts)
		events = append(events, c.Trace()...)
		if Counts(tg) != counts {
			counts = Counts(tg)
			continue
		}
		if wake <= now {
			t.Fatalf("at %v: wake %v does not move time", now, wake)
		}
		now = wake
	}
	var want []CalibrationEvent
	for k := 1; k <= 6; k++ {
		want = append(want, ev(k, float64(600*k), float64(600*k), 3, false))
	}
	if !slices.Equal(events, want) {
		t.Errorf("events %+v\nwant %+v", events, want)
	}
}

func TestCalibrationPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		msg  string
	}{
		{"time backwards", func() {
			c := NewCalibration(CalibrationConfig{Base: calBase}, rand.New(rand.NewPCG(1, 1)))
			c.Step(sec(10), calView(1), Counts{})
			c.Step(sec(9), calView(1), Counts{})
		}, "time ran backwards"},
		{"bad config", func() { NewCalibration(CalibrationConfig{Base: Targets{Active: 1}}, rand.New(rand.NewPCG(1, 1))) }, "NewCalibration: calibration Base"},
		{"nil rng", func() { NewCalibration(CalibrationConfig{Base: calBase}, nil) }, "nil random source"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, cs.msg) {
					t.Errorf("panic %v, want one containing %q", r, cs.msg)
				}
			}()
			cs.f()
		})
	}
	// The same instant twice is fine, and so is a first Step at any time.
	c := NewCalibration(CalibrationConfig{Base: calBase}, rand.New(rand.NewPCG(1, 1)))
	c.Step(sec(50), calView(1), Counts{})
	c.Step(sec(50), calView(1), Counts{})
}

func TestCalibrationConfigCheck(t *testing.T) {
	r := &calReplacer{}
	cases := []struct {
		name string
		cfg  CalibrationConfig
		want string // "" for valid
	}{
		{"static", CalibrationConfig{Base: calBase}, ""},
		{"periodic", CalibrationConfig{Base: calBase, Period: time.Hour, Jitter: time.Minute, Replace: r}, ""},
		{"construction", CalibrationConfig{Base: calBase, Construction: calBase, Construct: time.Minute}, ""},
		// Without Construct the construction targets are unused.
		{"unused construction", CalibrationConfig{Base: calBase, Construction: Targets{Active: 5}}, ""},
		{"zero base", CalibrationConfig{}, ""},
		{"insane base", CalibrationConfig{Base: Targets{Known: 5, Established: 6}}, "calibration Base: targets"},
		{"active above the cap", CalibrationConfig{Base: Targets{Known: 200, Established: 101, Active: 101}}, "accepted active targets ≤ 100"},
		{"negative construct", CalibrationConfig{Base: calBase, Construct: -time.Second}, "Construct -1s, Period 0s, Jitter 0s: accepted ≥ 0"},
		{"negative period", CalibrationConfig{Base: calBase, Period: -time.Second}, "Period -1s"},
		{"negative jitter", CalibrationConfig{Base: calBase, Jitter: -time.Second}, "Jitter -1s: accepted ≥ 0"},
		{"insane construction", CalibrationConfig{Base: calBase, Construction: Targets{Root: 5}, Construct: time.Minute}, "calibration Construction: targets"},
		{"no replacer", CalibrationConfig{Base: calBase, Period: time.Hour}, "calibration Period 1h0m0s without a Replacer"},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			err := cs.cfg.Check()
			switch {
			case cs.want == "" && err != nil:
				t.Errorf("Check: %v, want nil", err)
			case cs.want != "" && (err == nil || !strings.Contains(err.Error(), cs.want)):
				t.Errorf("Check: %v, want an error containing %q", err, cs.want)
			}
		})
	}
}

// TestCalibrationProperties: from any configuration, under any sequence of
// time steps (to the wake time or anywhere before or after it) and
// counters (random, or the targets reached), the targets stay sane and
// are Base, Base lowered by at most min(hot, Base.Active), the
// construction targets or the activation step; the wake time is never in
// the past; changed says whether the targets changed; rounds count up by
// one; every traced step ends now and starts no earlier than the previous
// one ended.
func TestCalibrationProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		base := drawTargets(rt, "base")
		cfg := CalibrationConfig{Base: base}
		if rapid.Bool().Draw(rt, "construct") {
			cfg.Construction = drawTargets(rt, "construction")
			cfg.Construct = time.Duration(rapid.IntRange(1, 600).Draw(rt, "constructS")) * time.Second
		}
		hot := rapid.IntRange(0, 30).Draw(rt, "hot")
		if rapid.Bool().Draw(rt, "periodic") {
			cfg.Period = time.Duration(rapid.IntRange(1, 2000).Draw(rt, "periodS")) * time.Second
			cfg.Jitter = time.Duration(rapid.IntRange(0, 600).Draw(rt, "jitterS")) * time.Second
			cfg.Replace = &calReplacer{n: rapid.IntRange(-2, 40).Draw(rt, "n")}
		}
		maxN := min(hot, base.Active)
		// The activation step: the construction targets with active at
		// Base's and established between Base's active and the
		// construction's (it may be held at what was established).
		activating := cfg.Construction
		activating.Active = base.Active
		activating.Established = max(activating.Established, base.Active)
		activating.Known = max(activating.Known, activating.Established)
		isActivating := func(tg Targets) bool {
			a := activating
			a.Established = tg.Established
			a.Known = max(cfg.Construction.Known, tg.Established)
			return tg == a && tg.Established >= base.Active && tg.Established <= activating.Established
		}
		allowed := func(tg Targets) bool {
			if tg == base || (cfg.Construct > 0 && (tg == cfg.Construction || isActivating(tg))) {
				return true
			}
			n := base.Active - tg.Active
			l := base
			l.Active, l.Established = base.Active-n, base.Established-n
			return n >= 1 && n <= maxN && tg == l
		}

		c := NewCalibration(cfg, rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 0)))
		v := calView(hot)
		now := clock.Time(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "start"))
		var counts Counts
		var prev Targets
		var lastEnd clock.Time
		round := 0
		for i := range rapid.IntRange(1, 80).Draw(rt, "steps") {
			tg, changed, wake := c.Step(now, v, counts)
			if err := tg.Check(); err != nil {
				rt.Fatalf("step %d at %v: %v", i, now, err)
			}
			if !allowed(tg) {
				rt.Fatalf("step %d at %v: targets %+v are none of Base %+v lowered by ≤ %d, construction %+v or activation %+v",
					i, now, tg, base, maxN, cfg.Construction, activating)
			}
			if wake < now {
				rt.Fatalf("step %d at %v: wake %v is in the past", i, now, wake)
			}
			if i > 0 && changed != (tg != prev) {
				rt.Fatalf("step %d at %v: changed %v but %+v → %+v", i, now, changed, prev, tg)
			}
			if i == 0 && !changed {
				rt.Fatalf("the first Step reports no change")
			}
			for _, e := range c.Trace() {
				if e.End != now || e.Start > e.End || e.Start < lastEnd {
					rt.Fatalf("step %d at %v: event %+v (previous ended %v)", i, now, e, lastEnd)
				}
				if e.Round != 0 && e.Round != round+1 {
					rt.Fatalf("step %d: event of round %d after round %d", i, e.Round, round)
				}
				if e.Replaced < 0 || e.Replaced > maxN {
					rt.Fatalf("step %d: replaced %d, want 0 … %d", i, e.Replaced, maxN)
				}
				round, lastEnd = max(round, e.Round), e.End
			}
			if r := c.Round(); r < round || r > round+1 {
				rt.Fatalf("step %d: Round() = %d after completing round %d", i, r, round)
			}
			prev = tg
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0: // the governor reaches the targets at once
				counts = Counts(tg)
			case 1: // random counters, a little later
				counts = Counts{Established: rapid.IntRange(0, 60).Draw(rt, "est"), Active: rapid.IntRange(0, 40).Draw(rt, "act")}
				now = now.Add(time.Duration(rapid.IntRange(0, 400).Draw(rt, "dt")) * time.Second)
			default: // nothing happens until the wake time
				if wake != clock.Never {
					now = wake
				} else {
					now = now.Add(time.Hour)
				}
			}
		}
	})
}

func BenchmarkCalibrationStep(b *testing.B) {
	b.ReportAllocs()
	c := NewCalibration(CalibrationConfig{Base: calBase, Period: time.Minute, Replace: &calReplacer{n: 0}}, rand.New(rand.NewPCG(1, 1)))
	v := calView(10)
	now := clock.Time(0)
	for b.Loop() {
		_, _, wake := c.Step(now, v, Counts(calBase))
		now = wake
	}
}
