package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// mEvent is one report in a test history.
type mEvent struct {
	body  bool
	slot  int64
	peer  PeerID
	bytes int64
	at    clock.Time
}

func hdr(slot int64, peer PeerID, at clock.Time) mEvent {
	return mEvent{slot: slot, peer: peer, at: at}
}

func body(slot int64, peer PeerID, bytes int64, at clock.Time) mEvent {
	return mEvent{body: true, slot: slot, peer: peer, bytes: bytes, at: at}
}

func (e mEvent) apply(m *Metrics) {
	if e.body {
		m.BodyArrived(e.slot, e.peer, e.bytes, e.at)
	} else {
		m.HeaderArrived(e.slot, e.peer, e.at)
	}
}

// tb is what the helpers need of a *testing.T, *testing.B or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func newTestMetrics(t tb, maxSlots int, events ...mEvent) *Metrics {
	t.Helper()
	m, err := NewMetrics(MetricsConfig{MaxSlots: maxSlots})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		e.apply(m)
	}
	m.flush()
	return m
}

// window returns a table's entries, oldest first.
func (t *metricTable) window() []metricEntry {
	var w []metricEntry
	for i := range t.n {
		w = append(w, *t.at(i))
	}
	return w
}

func TestMetricsConfigCheck(t *testing.T) {
	cases := []struct {
		slots int
		ok    bool
	}{{-1, false}, {0, false}, {1, true}, {180, true}, {MaxMetricsSlots, true}, {MaxMetricsSlots + 1, false}}
	for _, c := range cases {
		_, err := NewMetrics(MetricsConfig{MaxSlots: c.slots})
		if (err == nil) != c.ok {
			t.Errorf("MaxSlots %d: err %v, want ok=%v", c.slots, err, c.ok)
		}
	}
	if got := DefaultMetricsConfig().MaxSlots; got != 180 {
		t.Errorf("default MaxSlots %d, want 180 (maxEntriesToTrack)", got)
	}
	for _, c := range []struct {
		marginCap time.Duration
		ok        bool
	}{{-time.Nanosecond, false}, {-time.Second, false}, {0, true}, {time.Nanosecond, true}, {time.Hour, true}} {
		err := MetricsConfig{MaxSlots: 180, MarginCap: c.marginCap}.Check()
		if (err == nil) != c.ok {
			t.Errorf("MarginCap %v: err %v, want ok=%v", c.marginCap, err, c.ok)
		}
	}
	if got := DefaultMetricsConfig().MarginCap; got != time.Second {
		t.Errorf("default MarginCap %v, want 1s", got)
	}
}

func TestChurnModeString(t *testing.T) {
	for m, want := range map[ChurnMode]string{ChurnDeadline: "deadline", ChurnBulkSync: "bulk-sync", ChurnGenesis: "genesis", 9: "ChurnMode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint8(m), got, want)
		}
	}
}

// TestMetricsEarliestWins: one entry per slot per table, the earliest
// report wins, and only a strictly earlier report replaces it (§4.1).
func TestMetricsEarliestWins(t *testing.T) {
	cases := []struct {
		name   string
		events []mEvent
		want   []metricEntry // header table, then body table, per slot
	}{
		{"first report", []mEvent{hdr(5, 1, 100)}, []metricEntry{{slot: 5, peer: 1, at: 100}}},
		{"later report ignored", []mEvent{hdr(5, 1, 100), hdr(5, 2, 150)}, []metricEntry{{slot: 5, peer: 1, at: 100, at2: 150, has2: true}}},
		{"equal time keeps the first", []mEvent{hdr(5, 1, 100), hdr(5, 2, 100)}, []metricEntry{{slot: 5, peer: 1, at: 100, at2: 100, has2: true}}},
		{"strictly earlier replaces", []mEvent{hdr(5, 1, 100), hdr(5, 2, 99)}, []metricEntry{{slot: 5, peer: 2, at: 99, at2: 100, has2: true}}},
		{"replaced, then a later one ignored", []mEvent{hdr(5, 1, 100), hdr(5, 2, 90), hdr(5, 3, 95)}, []metricEntry{{slot: 5, peer: 2, at: 90, at2: 95, has2: true}}},
		{"the winner again, earlier: the runner-up stays", []mEvent{hdr(5, 1, 100), hdr(5, 2, 120), hdr(5, 1, 80)}, []metricEntry{{slot: 5, peer: 1, at: 80, at2: 120, has2: true}}},
		{"the winner again, later: no runner-up", []mEvent{hdr(5, 1, 100), hdr(5, 1, 110)}, []metricEntry{{slot: 5, peer: 1, at: 100}}},
		{"the runner-up overtakes", []mEvent{hdr(5, 1, 100), hdr(5, 2, 120), hdr(5, 2, 90)}, []metricEntry{{slot: 5, peer: 2, at: 90, at2: 100, has2: true}}},
		{"a closer runner-up", []mEvent{hdr(5, 1, 100), hdr(5, 2, 120), hdr(5, 3, 105)}, []metricEntry{{slot: 5, peer: 1, at: 100, at2: 105, has2: true}}},
		{"slots kept apart", []mEvent{hdr(6, 1, 100), hdr(5, 2, 200)}, []metricEntry{{slot: 5, peer: 2, at: 200}, {slot: 6, peer: 1, at: 100}}},
		{"bodies: earliest wins with its bytes, no runner-up", []mEvent{body(5, 1, 900, 100), body(5, 2, 800, 80), body(5, 3, 700, 85)},
			[]metricEntry{{slot: 5, peer: 2, at: 80, bytes: 800}}},
		{"tables are separate", []mEvent{hdr(5, 1, 100), body(5, 2, 10, 50)}, []metricEntry{{slot: 5, peer: 1, at: 100}, {slot: 5, peer: 2, at: 50, bytes: 10}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newTestMetrics(t, 180, c.events...)
			got := append(m.headers.window(), m.fetches.window()...)
			if !slices.Equal(got, c.want) {
				t.Errorf("window %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestMetricsWindow: the window is the last MaxSlots slots that had blocks;
// the oldest goes when it overflows, and an older event is ignored (§4.1).
func TestMetricsWindow(t *testing.T) {
	var full []mEvent
	for s := range int64(181) {
		full = append(full, hdr(s*20, PeerID(s%3), clock.Time(s)))
	}
	cases := []struct {
		name      string
		maxSlots  int
		events    []mEvent
		wantFirst int64 // oldest slot kept
		wantLast  int64
		wantLen   int
		wantUp    [3]int // upstreamyness of peers 0, 1, 2
	}{
		{"181 slots drop the first", 180, full, 20, 3600, 180, [3]int{60, 60, 60}},
		{"180 slots keep all", 180, full[:180], 0, 3580, 180, [3]int{60, 60, 60}},
		{"event older than the window ignored", 180, append(slices.Clone(full), hdr(0, 0, 0), hdr(10, 0, 0)), 20, 3600, 180, [3]int{60, 60, 60}},
		{"gap slot inside the full window pushes out the oldest", 180, append(slices.Clone(full), hdr(30, 1, 0)), 30, 3600, 180, [3]int{60, 60, 60}},
		{"old slot enters while the window is not full", 3, []mEvent{hdr(10, 0, 0), hdr(5, 1, 0)}, 5, 10, 2, [3]int{1, 1, 0}},
		{"slot equal to the oldest still updates", 2, []mEvent{hdr(10, 0, 5), hdr(11, 0, 5), hdr(10, 1, 1)}, 10, 11, 2, [3]int{1, 1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newTestMetrics(t, c.maxSlots, c.events...)
			w := m.headers.window()
			if h, _ := m.Len(); h != c.wantLen || len(w) != c.wantLen {
				t.Fatalf("len %d, want %d", h, c.wantLen)
			}
			if w[0].slot != c.wantFirst || w[len(w)-1].slot != c.wantLast {
				t.Errorf("window %d..%d, want %d..%d", w[0].slot, w[len(w)-1].slot, c.wantFirst, c.wantLast)
			}
			for p, want := range c.wantUp {
				if got := m.Upstreamyness(PeerID(p)); got != want {
					t.Errorf("upstreamyness(%d) = %d, want %d", p, got, want)
				}
			}
		})
	}
}

// TestMetricsJoinedAt walks the peer registry through joining, pruning at
// the board's oldest slot and the last-seen rule (§4.1), with a window of 2.
func TestMetricsJoinedAt(t *testing.T) {
	const none = -1
	steps := []struct {
		ev   mEvent
		want [3]int64 // joined slot of peers 0, 1, 2 after the event, or none
	}{
		{hdr(10, 0, 1), [3]int64{10, none, none}},     // threshold 0 while a table is empty
		{body(10, 0, 1, 2), [3]int64{10, none, none}}, // still 0: the body table was empty
		{hdr(11, 1, 3), [3]int64{none, 11, none}},     // threshold 10 prunes peer 0 (joined and seen at 10)
		{hdr(12, 0, 4), [3]int64{12, 11, none}},       // peer 0 left the board, so it joins again
		{hdr(13, 1, 5), [3]int64{12, 11, none}},       // peer 1 registered: no new join
		{body(13, 1, 1, 6), [3]int64{12, 11, none}},   // threshold still 10
		{body(14, 0, 1, 7), [3]int64{12, 11, none}},   // body slot 10 goes after the registry step
		{hdr(14, 1, 8), [3]int64{none, none, none}},   // threshold 12 prunes joins ≤ 12; both still seen
		{hdr(15, 0, 9), [3]int64{none, none, none}},   // last-seen rule: peer 0 is on the board, not new
		{hdr(15, 2, 10), [3]int64{none, none, 15}},    // a newcomer joins
		{hdr(3, 2, 11), [3]int64{none, none, 15}},     // too old for the window, but peer 2 is now last seen at 3
		{hdr(16, 0, 12), [3]int64{none, none, 15}},    // threshold 13 drops peer 2's last-seen 3, not its join
		{body(16, 1, 1, 13), [3]int64{none, none, 15}},
		{body(17, 1, 1, 14), [3]int64{none, none, 15}},
		{hdr(17, 2, 15), [3]int64{none, none, 17}}, // threshold 15 drops the join; not seen, so it joins anew
		{body(18, 1, 1, 16), [3]int64{none, none, 17}},
		{hdr(18, 1, 17), [3]int64{none, none, 17}},
		{hdr(19, 1, 18), [3]int64{none, none, none}},   // threshold 17 prunes peer 2's join and last-seen
		{hdr(20, 1, 19), [3]int64{none, none, none}},   //
		{hdr(21, 0, 20), [3]int64{21, none, none}},     // peer 0, last seen 16, was pruned: new again
		{body(5, 2, 1, 21), [3]int64{21, none, 5}},     // an event older than the window still registers ...
		{body(22, 0, 1, 22), [3]int64{21, none, none}}, // ... and is pruned at the next event
		{hdr(22, 0, 23), [3]int64{21, none, none}},
		{hdr(23, 0, 24), [3]int64{21, none, none}},
		{hdr(24, 0, 25), [3]int64{21, none, none}},
		{body(24, 0, 1, 26), [3]int64{21, none, none}}, // threshold 18
		{hdr(25, 1, 27), [3]int64{none, 25, none}},     // threshold 22: peer 0's join goes; peer 1 (seen 19) new again
		{hdr(26, 1, 28), [3]int64{none, 25, none}},
		{hdr(27, 0, 29), [3]int64{none, 25, none}},
		{body(27, 0, 1, 30), [3]int64{none, 25, none}},
		{hdr(28, 0, 31), [3]int64{none, 25, none}},
		{body(28, 0, 1, 32), [3]int64{none, 25, none}}, // threshold 24
		{hdr(29, 1, 33), [3]int64{none, 29, none}},     // threshold 27 prunes join 25 and last-seen 26: joins at 29
		{body(29, 1, 100, 34), [3]int64{none, 29, none}},
	}
	m := newTestMetrics(t, 2)
	for i, s := range steps {
		s.ev.apply(m)
		for p, want := range s.want {
			got, ok := m.JoinedAt(PeerID(p))
			if !ok {
				got = none
			}
			if got != want {
				t.Fatalf("step %d (%+v): joinedAt(%d) = %d, want %d", i, s.ev, p, got, want)
			}
		}
		checkInvariants(t, m)
	}
}

// checkInvariants checks the representation: records sorted by id and
// non-empty; win counts equal a recount of the tables; regMin a lower
// bound of the registries.
func checkInvariants(t tb, m *Metrics) {
	t.Helper()
	m.flush()
	type counts struct {
		up, blocks int32
		bytes      int64
	}
	want := map[PeerID]counts{}
	for _, e := range m.headers.window() {
		c := want[e.peer]
		c.up++
		want[e.peer] = c
	}
	for _, e := range m.fetches.window() {
		c := want[e.peer]
		c.blocks++
		c.bytes += e.bytes
		want[e.peer] = c
	}
	if n := len(m.ids); len(m.seen) != n || len(m.joined) != n || len(m.wins) != n {
		t.Fatalf("%d ids for %d/%d/%d last-seen/joined/wins", n, len(m.seen), len(m.joined), len(m.wins))
	}
	for _, tab := range []*metricTable{&m.headers, &m.fetches} {
		if o, ok := tab.oldest(); ok != (tab.n > 0) || (ok && o != tab.at(0).slot) {
			t.Fatalf("cached oldest slot (%d, %v), table starts at %+v", o, ok, tab.window())
		}
	}
	for i, id := range m.ids {
		if i > 0 && m.ids[i-1] >= id {
			t.Fatalf("records not sorted: %d then %d", m.ids[i-1], id)
		}
		if m.empty(i) {
			t.Fatalf("empty record for peer %d", id)
		}
		if m.seen[i] < noSlot || m.joined[i] < noSlot {
			t.Fatalf("peer %d: last seen %d, joined %d", id, m.seen[i], m.joined[i])
		}
		w := m.wins[i]
		if got := (counts{w.upstream, w.blocks, w.bytes}); got != want[id] {
			t.Fatalf("peer %d counts %+v, recount %+v", id, got, want[id])
		}
		delete(want, id)
		if (m.joined[i] != noSlot && m.joined[i] < m.regMin) || (m.seen[i] != noSlot && m.seen[i] < m.regMin) {
			t.Fatalf("regMin %d above an entry of peer %d", m.regMin, id)
		}
	}
	if len(want) > 0 {
		t.Fatalf("winners without records: %v", want)
	}
}

// bruteWindow recomputes a table from the whole history: the maxSlots
// newest distinct slots, each with its first earliest report and, for
// headers, the earliest report from another peer.
func bruteWindow(events []mEvent, bodies bool, maxSlots int) []metricEntry {
	best := map[int64]mEvent{}
	var slots []int64
	for _, e := range events {
		if e.body != bodies {
			continue
		}
		b, ok := best[e.slot]
		if !ok {
			slots = append(slots, e.slot)
		}
		if !ok || e.at < b.at {
			best[e.slot] = e
		}
	}
	slices.Sort(slots)
	if len(slots) > maxSlots {
		slots = slots[len(slots)-maxSlots:]
	}
	var w []metricEntry
	for _, s := range slots {
		e := best[s]
		me := metricEntry{slot: s, peer: e.peer, at: e.at, bytes: e.bytes}
		for _, o := range events {
			if !bodies && !o.body && o.slot == s && o.peer != e.peer && (!me.has2 || o.at < me.at2) {
				me.at2, me.has2 = o.at, true
			}
		}
		w = append(w, me)
	}
	return w
}

// naiveRegistry replays the registry rules of §4.1 eagerly, with the board
// threshold taken from brute-force windows, and returns the joined-at map.
func naiveRegistry(events []mEvent, maxSlots int) map[PeerID]int64 {
	joined, seen := map[PeerID]int64{}, map[PeerID]int64{}
	for i, e := range events {
		hw, fw := bruteWindow(events[:i], false, maxSlots), bruteWindow(events[:i], true, maxSlots)
		th := int64(0)
		if len(hw) > 0 && len(fw) > 0 {
			th = min(hw[0].slot, fw[0].slot)
		}
		for p, s := range joined {
			if s <= th {
				delete(joined, p)
			}
		}
		for p, s := range seen {
			if s <= th {
				delete(seen, p)
			}
		}
		_, isSeen := seen[e.peer]
		_, isJoined := joined[e.peer]
		if !isSeen && !isJoined {
			joined[e.peer] = e.slot
		}
		seen[e.peer] = e.slot
	}
	return joined
}

func drawEvents(t *rapid.T, peers int32) []mEvent {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) mEvent {
		e := mEvent{
			body:  rapid.Bool().Draw(t, "body"),
			slot:  rapid.Int64Range(0, 40).Draw(t, "slot"),
			peer:  rapid.Int32Range(0, peers-1).Draw(t, "peer"),
			bytes: rapid.Int64Range(0, 1000).Draw(t, "bytes"),

			at: clock.Time(rapid.Int64Range(0, 20).Draw(t, "at")),
		}
		if !e.body {
			e.bytes = 0 // headers carry no size
		}
		return e
	}), 0, 120).Draw(t, "events")
}

// TestMetricsMatchesBruteForce: after any history, each table equals its
// brute-force recomputation, the scores equal a recount of it, and the
// joined-at registry equals an eager replay of the rules.
func TestMetricsMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxSlots := rapid.IntRange(1, 8).Draw(t, "maxSlots")
		mcap := time.Duration(rapid.IntRange(0, 25).Draw(t, "marginCap"))
		events := drawEvents(t, 6)
		m, err := NewMetrics(MetricsConfig{MaxSlots: maxSlots, MarginCap: mcap})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			e.apply(m)
		}
		if mcap == 0 {
			mcap = DefaultMarginCap
		}
		checkInvariants(t, m)
		hw, fw := bruteWindow(events, false, maxSlots), bruteWindow(events, true, maxSlots)
		if got := m.headers.window(); !slices.Equal(got, hw) {
			t.Fatalf("header window %+v, brute force %+v", got, hw)
		}
		if got := m.fetches.window(); !slices.Equal(got, fw) {
			t.Fatalf("body window %+v, brute force %+v", got, fw)
		}
		joined := naiveRegistry(events, maxSlots)
		for p := range PeerID(6) {
			var up, blocks int
			var bytes int64
			for _, e := range hw {
				if e.peer == p {
					up++
				}
			}
			for _, e := range fw {
				if e.peer == p {
					blocks++
					bytes += e.bytes
				}
			}
			if m.Upstreamyness(p) != up || m.FetchynessBlocks(p) != blocks || m.FetchynessBytes(p) != bytes {
				t.Fatalf("peer %d: scores %d/%d/%d, recount %d/%d/%d", p,
					m.Upstreamyness(p), m.FetchynessBlocks(p), m.FetchynessBytes(p), up, blocks, bytes)
			}
			if got, want := m.HeaderMargin(p), bruteMargin(events, hw, p, mcap); got != want {
				t.Fatalf("peer %d: header margin %v, brute force %v", p, got, want)
			}
			got, ok := m.JoinedAt(p)
			want, wantOK := joined[p]
			if ok != wantOK || got != want {
				t.Fatalf("peer %d: joinedAt (%d, %v), replay (%d, %v)", p, got, ok, want, wantOK)
			}
		}
	})
}

// bruteMargin is HeaderMargin from the definition: over the slots of the
// header window w whose winner is p, the gap from p's arrival to the
// earliest header of the slot from any other peer in the whole history,
// capped, or the cap if there is none.
func bruteMargin(events []mEvent, w []metricEntry, p PeerID, mcap time.Duration) time.Duration {
	var sum time.Duration
	for _, e := range w {
		if e.peer != p {
			continue
		}
		d := mcap
		for _, o := range events {
			if !o.body && o.slot == e.slot && o.peer != p {
				d = min(d, time.Duration(o.at-e.at))
			}
		}
		sum += d
	}
	return sum
}

// TestHeaderMargin checks HeaderMargin on hand-computed histories; times
// are in ms and the cap is 50 ms unless a case says otherwise.
func TestHeaderMargin(t *testing.T) {
	ms := func(n int64) clock.Time { return clock.Time(n * int64(time.Millisecond)) }
	cases := []struct {
		name     string
		maxSlots int
		cap      time.Duration
		events   []mEvent
		want     map[PeerID]time.Duration
	}{
		{"no reports", 4, 50 * time.Millisecond, nil, map[PeerID]time.Duration{1: 0}},
		{"alone counts the cap", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10))},
			map[PeerID]time.Duration{1: 50 * time.Millisecond, 2: 0}},
		{"gap below the cap", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10)), hdr(1, 2, ms(30)), hdr(1, 3, ms(25))},
			map[PeerID]time.Duration{1: 15 * time.Millisecond, 2: 0, 3: 0}},
		{"gap above the cap", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10)), hdr(1, 2, ms(200))},
			map[PeerID]time.Duration{1: 50 * time.Millisecond}},
		{"a tie is a zero margin", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10)), hdr(1, 2, ms(10))},
			map[PeerID]time.Duration{1: 0, 2: 0}},
		{"summed over slots", 4, 50 * time.Millisecond, []mEvent{
			hdr(1, 1, ms(10)), hdr(1, 2, ms(30)), // 1: 20
			hdr(2, 2, ms(10)), hdr(2, 1, ms(15)), // 2: 5
			hdr(3, 1, ms(0)),                   // 1: cap 50
			hdr(4, 1, ms(5)), hdr(4, 3, ms(7)), // 1: 2
		}, map[PeerID]time.Duration{1: 72 * time.Millisecond, 2: 5 * time.Millisecond, 3: 0}},
		{"the winner's own later copy is no runner-up", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10)), hdr(1, 1, ms(12)), hdr(1, 2, ms(40))},
			map[PeerID]time.Duration{1: 30 * time.Millisecond}},
		{"overtaken: the old winner is the runner-up", 4, 50 * time.Millisecond, []mEvent{hdr(1, 1, ms(10)), hdr(1, 2, ms(12)), hdr(1, 2, ms(4))},
			map[PeerID]time.Duration{1: 0, 2: 6 * time.Millisecond}},
		{"bodies do not count", 4, 50 * time.Millisecond, []mEvent{body(1, 1, 10, ms(1)), hdr(1, 2, ms(10))},
			map[PeerID]time.Duration{1: 0, 2: 50 * time.Millisecond}},
		{"slots leaving the window stop counting", 2, 50 * time.Millisecond, []mEvent{
			hdr(1, 1, ms(0)), hdr(2, 1, ms(0)), hdr(2, 2, ms(3)), hdr(3, 2, ms(0)), hdr(3, 1, ms(1)),
		}, map[PeerID]time.Duration{1: 3 * time.Millisecond, 2: 1 * time.Millisecond}},
		{"0 takes the default cap", 4, 0, []mEvent{hdr(1, 1, ms(10))}, map[PeerID]time.Duration{1: time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewMetrics(MetricsConfig{MaxSlots: c.maxSlots, MarginCap: c.cap})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range c.events {
				e.apply(m)
			}
			for p, want := range c.want {
				if got := m.HeaderMargin(p); got != want {
					t.Errorf("HeaderMargin(%d) = %v, want %v", p, got, want)
				}
			}
		})
	}
}

// TestMetricsBatchingExact: queueing reports and applying them in batches
// gives, at every read, exactly the state of applying each report at once,
// whatever the history (longer than several batches) and read points.
func TestMetricsBatchingExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxSlots := rapid.IntRange(1, 8).Draw(t, "maxSlots")
		n := rapid.IntRange(0, 4*metricsBatch).Draw(t, "n")
		src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
		eager := newTestMetrics(t, maxSlots)
		batched := newTestMetrics(t, maxSlots)
		reads := 0
		for i := range n {
			// Slots mostly advance, with stragglers, as in a run.
			e := mEvent{body: src.IntN(4) == 0, slot: int64(i/10 + src.IntN(3)), peer: PeerID(src.IntN(7)), at: clock.Time(src.IntN(50))}
			if e.body {
				e.bytes = int64(src.IntN(1000))
			}
			e.apply(eager)
			eager.flush()
			e.apply(batched)
			if len(eager.queue) != 0 || len(batched.queue) >= metricsBatch {
				t.Fatalf("queues %d and %d after a report", len(eager.queue), len(batched.queue))
			}
			if src.IntN(50) != 0 && i != n-1 {
				continue
			}
			reads++
			p := PeerID(src.IntN(7))
			if a, b := batched.Upstreamyness(p), eager.Upstreamyness(p); a != b {
				t.Fatalf("after %d reports: upstreamyness %d batched, %d eager", i+1, a, b)
			}
			if len(batched.queue) != 0 {
				t.Fatalf("a read left %d reports queued", len(batched.queue))
			}
			if !slices.Equal(batched.headers.window(), eager.headers.window()) || !slices.Equal(batched.fetches.window(), eager.fetches.window()) ||
				!sameRegistry(batched, eager) {
				t.Fatalf("after %d reports the batched state differs from the eager one", i+1)
			}
			checkInvariants(t, batched)
		}
		if n > 0 && reads == 0 {
			t.Fatalf("no read")
		}
	})
}

// TestMetricsLogExact: feeding several nodes' metrics through a
// MetricsLog with small groups (so that groups fill, and a read applies
// other nodes' reports too) gives, at every read, exactly the state of
// applying each report at once; also when a node restarts with new metrics
// and when some reports are fed to the metrics directly.
func TestMetricsLogExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := rapid.IntRange(1, 9).Draw(t, "nodes")
		l := newMetricsLog(nodes, rapid.UintRange(0, 2).Draw(t, "groupShift"), rapid.IntRange(2, 40).Draw(t, "groupCap"))
		maxSlots := rapid.IntRange(1, 8).Draw(t, "maxSlots")
		n := rapid.IntRange(0, 800).Draw(t, "n")
		src := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 5))
		eager, logged := make([]*Metrics, nodes), make([]*Metrics, nodes)
		for v := range nodes {
			eager[v], logged[v] = newTestMetrics(t, maxSlots), newTestMetrics(t, maxSlots)
		}
		reads := 0
		jump := int64(0) // slot jumps beyond a log entry's slot offset (metaSlotBias)
		for i := range n {
			v := src.IntN(nodes)
			if src.IntN(100) == 0 {
				jump += int64(src.IntN(3)) * metaSlotBias
			}
			e := mEvent{body: src.IntN(4) == 0, slot: jump + int64(i/(5*nodes)+src.IntN(3)), peer: PeerID(src.IntN(7)), at: clock.Time(src.IntN(50))}
			if src.IntN(100) == 0 && e.slot >= 2*metaSlotBias {
				e.slot -= 2 * metaSlotBias // a report far older than the rest
			}
			if e.body {
				e.bytes = int64(src.IntN(1000))
			}
			switch src.IntN(60) {
			case 0: // a restart: new metrics
				eager[v], logged[v] = newTestMetrics(t, maxSlots), newTestMetrics(t, maxSlots)
			case 1:
				e.apply(logged[v])
				e.apply(eager[v])
			default:
				if e.body {
					l.BodyArrived(int32(v), logged[v], e.slot, e.peer, e.bytes, e.at)
				} else {
					l.HeaderArrived(int32(v), logged[v], e.slot, e.peer, e.at)
				}
				e.apply(eager[v])
			}
			eager[v].flush()
			if src.IntN(20) != 0 && i != n-1 {
				continue
			}
			reads++
			v = src.IntN(nodes)
			p := PeerID(src.IntN(7))
			if a, b := logged[v].Upstreamyness(p), eager[v].Upstreamyness(p); a != b {
				t.Fatalf("after %d reports: node %d upstreamyness %d logged, %d eager", i+1, v, a, b)
			}
			a, b := logged[v], eager[v]
			if !slices.Equal(a.headers.window(), b.headers.window()) || !slices.Equal(a.fetches.window(), b.fetches.window()) ||
				!sameRegistry(a, b) {
				t.Fatalf("after %d reports node %d's logged state differs from the eager one", i+1, v)
			}
			checkInvariants(t, a)
		}
		if n > 0 && reads == 0 {
			t.Fatalf("no read")
		}
	})
}

// TestMetricsLogPanics: feeding one node's metrics as another's is a
// programmer error.
func TestMetricsLogPanics(t *testing.T) {
	l := NewMetricsLog(300)
	m := newTestMetrics(t, 4)
	l.HeaderArrived(200, m, 1, 2, 3)
	for name, f := range map[string]func(){
		"other node":     func() { l.HeaderArrived(1, m, 1, 2, 3) },
		"other log":      func() { NewMetricsLog(300).HeaderArrived(200, m, 1, 2, 3) },
		"negative slot":  func() { l.HeaderArrived(200, m, -1, 2, 3) },
		"negative bytes": func() { l.BodyArrived(200, m, 1, 2, -1, 3) },
		"not attached":   func() { l.Report(Report{Node: 7, Slot: 1, Bytes: -1}) },
		"attached twice": func() { l.Attach(8, m) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if got := m.Upstreamyness(2); got != 1 {
		t.Errorf("upstreamyness %d after one header, want 1", got)
	}
}

// TestMetricsLogGate: the gate runs before every read of a logged node's
// metrics and at Attach, and not for reports (a feed calls Report on its
// own goroutine); a read then sees the reports made before it.
func TestMetricsLogGate(t *testing.T) {
	l := NewMetricsLog(3)
	m := newTestMetrics(t, 4)
	gates := 0
	l.SetGate(func() { gates++ })
	l.Attach(1, m)
	if gates != 1 {
		t.Fatalf("Attach ran the gate %d times, want 1", gates)
	}
	l.Apply([]Report{{Node: 1, Slot: 5, Peer: 2, At: 10, Bytes: -1}, {Node: 1, Slot: 5, Peer: 3, At: 20, Bytes: 100}})
	l.Report(Report{Node: 1, Slot: 6, Peer: 2, At: 30, Bytes: -1})
	if gates != 1 {
		t.Fatalf("reports ran the gate (%d times in all)", gates)
	}
	if u, f := m.Upstreamyness(2), m.FetchynessBlocks(3); u != 2 || f != 1 || gates != 3 {
		t.Errorf("upstreamyness %d, fetchyness %d after the gate ran %d times, want 2, 1 and 3 (once per read)", u, f, gates)
	}
	l.SetGate(nil)
	m.Upstreamyness(2)
	if gates != 3 {
		t.Errorf("an unset gate still ran")
	}
}

func TestMetricsScoresModes(t *testing.T) {
	// Window 4. Slot 0 leaves both tables and slot 1 the body table; at
	// the last event the board's oldest slot is 1, which prunes the joins
	// of peers 1 and 2 (both still seen at 4). Peer 3 joined at 4 and lost
	// its one header to peer 1's earlier one; peer 4 joined at 3 with one
	// header win.
	m := newTestMetrics(t, 4,
		hdr(0, 1, 1), body(0, 1, 5000, 2),
		hdr(1, 1, 1), body(1, 2, 300, 2),
		hdr(2, 2, 1), body(2, 2, 400, 2),
		hdr(3, 4, 1), body(3, 1, 700, 2),
		hdr(4, 3, 9), hdr(4, 1, 1), body(4, 2, 100, 2),
		body(5, 1, 50, 3),
	)
	wantScores := []struct {
		peer       PeerID
		up, blocks int
		bytes      int64
		joined     int64
		registered bool
	}{
		{1, 2, 2, 700 + 50, 0, false},
		{2, 1, 2, 400 + 100, 0, false},
		{3, 0, 0, 0, 4, true},
		{4, 1, 0, 0, 3, true},
		{5, 0, 0, 0, 0, false},
	}
	for _, w := range wantScores {
		j, ok := m.JoinedAt(w.peer)
		if m.Upstreamyness(w.peer) != w.up || m.FetchynessBlocks(w.peer) != w.blocks || m.FetchynessBytes(w.peer) != w.bytes || j != w.joined || ok != w.registered {
			t.Errorf("peer %d: %d/%d/%d joined (%d, %v), want %+v", w.peer, m.Upstreamyness(w.peer),
				m.FetchynessBlocks(w.peer), m.FetchynessBytes(w.peer), j, ok, w)
		}
	}
	cases := []struct {
		mode ChurnMode
		want []PeerScore
	}{
		{ChurnDeadline, []PeerScore{{Peer: 1, Score: 4}, {Peer: 2, Score: 3}, {Peer: 3, Score: 0, Joined: 4, HasJoined: true}, {Peer: 4, Score: 1, Joined: 3, HasJoined: true}}},
		{ChurnBulkSync, []PeerScore{{Peer: 1, Score: 750}, {Peer: 2, Score: 500}, {Peer: 3, Score: 0, Joined: 4, HasJoined: true}, {Peer: 4, Score: 0, Joined: 3, HasJoined: true}}},
		{ChurnGenesis, []PeerScore{{Peer: 1, Score: 750}, {Peer: 2, Score: 500}, {Peer: 3, Score: 0, Joined: 4, HasJoined: true}, {Peer: 4, Score: 0, Joined: 3, HasJoined: true}}},
	}
	for _, c := range cases {
		if got := m.Scores(c.mode, nil); !slices.Equal(got, c.want) {
			t.Errorf("%v scores %+v, want %+v", c.mode, got, c.want)
		}
	}
	if got := m.Scores(ChurnDeadline, []PeerScore{{Peer: 99}}); len(got) != 5 || got[0].Peer != 99 {
		t.Errorf("Scores did not append: %+v", got)
	}
}

func TestHotDemotionOrder(t *testing.T) {
	// Deadline scores: peer 1 4 (its join at slot 1 pruned once the board's
	// oldest slot is 1), peer 2 2 (joined 4; 2 KB), peer 3 1 (joined 5;
	// 5 KB), peers 4 and 5 0 (joined 4 and 6), peer 6 unknown.
	m := newTestMetrics(t, 180,
		hdr(1, 1, 1), hdr(2, 1, 1), hdr(3, 1, 1), hdr(4, 2, 1), hdr(4, 4, 2),
		body(4, 2, 2000, 3), body(5, 3, 5000, 3), hdr(6, 5, 9), hdr(6, 1, 1),
	)
	cases := []struct {
		name       string
		mode       ChurnMode
		candidates []PeerID
		want       []PeerID
	}{
		{"deadline: unknown first, then joined order, then score", ChurnDeadline, []PeerID{1, 2, 3, 4, 5, 6}, []PeerID{6, 4, 5, 3, 2, 1}},
		{"bulk sync: bytes", ChurnBulkSync, []PeerID{3, 2, 1}, []PeerID{1, 2, 3}},
		{"genesis: bytes", ChurnGenesis, []PeerID{5, 3, 2}, []PeerID{5, 2, 3}},
		{"duplicates removed", ChurnDeadline, []PeerID{1, 4, 1, 4}, []PeerID{4, 1}},
		{"empty", ChurnDeadline, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			if got := m.HotDemotionOrder(c.mode, c.candidates, rng, nil); !slices.Equal(got, c.want) {
				t.Errorf("order %v, want %v", got, c.want)
			}
		})
	}
	// The result is appended after dst's contents, which stay.
	got := m.HotDemotionOrder(ChurnDeadline, []PeerID{1, 4}, rand.New(rand.NewPCG(1, 2)), []PeerID{42})
	if !slices.Equal(got, []PeerID{42, 4, 1}) {
		t.Errorf("append: %v", got)
	}
}

// TestHotDemotionRandomTies: equal (score, joined) keys are ordered by one
// uniform uint32 per candidate, drawn in peer-id order.
func TestHotDemotionRandomTies(t *testing.T) {
	m := newTestMetrics(t, 180)
	cands := []PeerID{7, 3, 5, 1}
	orders := map[string]bool{}
	for seed := range uint64(30) {
		got := m.HotDemotionOrder(ChurnDeadline, cands, rand.New(rand.NewPCG(seed, 0)), nil)
		rng := rand.New(rand.NewPCG(seed, 0))
		r := map[PeerID]uint32{}
		for _, p := range []PeerID{1, 3, 5, 7} {
			r[p] = rng.Uint32()
		}
		want := []PeerID{1, 3, 5, 7}
		slices.SortFunc(want, func(a, b PeerID) int { return cmpInt64(int64(r[a]), int64(r[b])) })
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: order %v, want %v by the draws", seed, got, want)
		}
		orders[fmt.Sprint(got)] = true
	}
	if len(orders) < 2 {
		t.Errorf("30 seeds gave one order: ties are not random")
	}
}

// TestHotDemotionDeterminism: the same events and seed give the same order,
// whatever the candidates' order.
func TestHotDemotionDeterminism(t *testing.T) {
	events := make([]mEvent, 0, 400)
	src := rand.New(rand.NewPCG(7, 7))
	for i := range 400 {
		events = append(events, mEvent{body: i%2 == 1, slot: int64(i / 8), peer: PeerID(src.IntN(12)), bytes: int64(src.IntN(1e5)), at: clock.Time(src.IntN(1e9))})
	}
	cands := []PeerID{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	var first []PeerID
	for run := range 5 {
		m := newTestMetrics(t, 20, events...)
		c := slices.Clone(cands)
		rand.New(rand.NewPCG(uint64(run), 1)).Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		got := m.HotDemotionOrder(ChurnDeadline, c, rand.New(rand.NewPCG(99, 1)), nil)
		if run == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("run %d: order %v, run 0 gave %v", run, got, first)
		}
	}
}

// TestPropHotToWarm is prop_hotToWarm (spec/governor.md §4.3): when the
// first n of the order are demoted, no peer kept has a strictly worse
// score than a demoted one; and the order is a permutation of the
// distinct candidates sorted by (score, joined).
func TestPropHotToWarm(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newTestMetrics(t, rapid.IntRange(1, 10).Draw(t, "maxSlots"), drawEvents(t, 8)...)
		mode := ChurnMode(rapid.IntRange(0, 2).Draw(t, "mode"))
		cands := rapid.SliceOfN(rapid.Int32Range(0, 9), 0, 12).Draw(t, "candidates")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		order := m.HotDemotionOrder(mode, cands, rng, nil)
		distinct := slices.Compact(slices.Sorted(slices.Values(cands)))
		if !slices.Equal(slices.Sorted(slices.Values(order)), distinct) {
			t.Fatalf("order %v is not a permutation of %v", order, distinct)
		}
		score := func(p PeerID) int64 {
			if mode == ChurnDeadline {
				return int64(m.Upstreamyness(p) + m.FetchynessBlocks(p))
			}
			return m.FetchynessBytes(p)
		}
		for n := range len(order) + 1 {
			for _, p := range order[:n] {
				for _, q := range order[n:] {
					if score(q) < score(p) {
						t.Fatalf("n=%d: kept %d (score %d) is worse than demoted %d (score %d)", n, q, score(q), p, score(p))
					}
				}
			}
		}
		for i := 1; i < len(order); i++ {
			p, q := order[i-1], order[i]
			if score(p) != score(q) {
				continue
			}
			jp, okp := m.JoinedAt(p)
			jq, okq := m.JoinedAt(q)
			if (okp && !okq) || (okp && okq && jp > jq) {
				t.Fatalf("equal scores: %d (joined %d, %v) before %d (joined %d, %v)", p, jp, okp, q, jq, okq)
			}
		}
	})
}

func TestMetricsPanicsOnProgrammerErrors(t *testing.T) {
	m := newTestMetrics(t, 4)
	for name, f := range map[string]func(){
		"negative slot":  func() { m.HeaderArrived(-1, 0, 0) },
		"negative bytes": func() { m.BodyArrived(1, 0, -5, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// steadyMetrics returns metrics with a full window from 20 hot peers, and
// a function that feeds the next report (a header or body per peer per
// slot, 20 s per block).
func steadyMetrics(t tb) (*Metrics, func()) {
	m := newTestMetrics(t, DefaultMetricsConfig().MaxSlots)
	i := 0
	next := func() {
		slot := int64(i/40) * 20
		p := PeerID(i % 20)
		at := clock.Time(slot)*clock.Time(time.Second) + clock.Time(int64(p)*int64(time.Millisecond))
		if i%40 < 20 {
			m.HeaderArrived(slot, p, at)
		} else {
			m.BodyArrived(slot, p, 64<<10, at)
		}
		i++
	}
	for range 40 * 400 {
		next()
	}
	return m, next
}

func TestMetricsNoAllocsInSteadyState(t *testing.T) {
	m, next := steadyMetrics(t)
	if a := testing.AllocsPerRun(2000, next); a != 0 {
		t.Errorf("reports allocate %v times each", a)
	}
	cands := []PeerID{19, 3, 7, 0, 12, 5, 8, 1, 2, 4, 6, 9, 10, 11, 13, 14, 15, 16, 17, 18}
	rng := rand.New(rand.NewPCG(1, 1))
	dst := make([]PeerID, 0, len(cands))
	m.HotDemotionOrder(ChurnDeadline, cands, rng, dst)
	if a := testing.AllocsPerRun(200, func() { dst = m.HotDemotionOrder(ChurnDeadline, cands, rng, dst[:0]) }); a != 0 {
		t.Errorf("HotDemotionOrder allocates %v times per call", a)
	}
	if h, b := m.Len(); h != 180 || b != 180 {
		t.Errorf("window %d/%d, want 180/180", h, b)
	}
}

func BenchmarkHeaderArrived(b *testing.B) {
	_, next := steadyMetrics(b)
	b.ReportAllocs()
	for b.Loop() {
		next()
	}
}

func BenchmarkHotDemotionOrder(b *testing.B) {
	m, _ := steadyMetrics(b)
	cands := []PeerID{19, 3, 7, 0, 12, 5, 8, 1, 2, 4, 6, 9, 10, 11, 13, 14, 15, 16, 17, 18}
	rng := rand.New(rand.NewPCG(1, 1))
	dst := make([]PeerID, 0, len(cands))
	b.ReportAllocs()
	for b.Loop() {
		dst = m.HotDemotionOrder(ChurnDeadline, cands, rng, dst[:0])
	}
}

// ExampleMetrics_HotDemotionOrder shows the governor's use: feed reports as
// headers and bodies arrive, then ask which hot peers to demote first.
func ExampleMetrics_HotDemotionOrder() {
	m, err := NewMetrics(DefaultMetricsConfig())
	if err != nil {
		panic(err)
	}
	// Peer 1 is first with two headers, peer 2 with one header and a body;
	// peer 3 was always late. Once both tables hold slot 100 as their
	// oldest, joins at slot ≤ 100 are pruned: peer 1, still seen, keeps
	// no joined slot, so it goes before peer 2 on equal scores; peer 3,
	// last seen at 100, joins anew at 140.
	m.HeaderArrived(100, 1, clock.Time(10*time.Millisecond))
	m.HeaderArrived(100, 3, clock.Time(90*time.Millisecond))
	m.HeaderArrived(120, 1, clock.Time(20*time.Second))
	m.HeaderArrived(140, 2, clock.Time(40*time.Second))
	m.BodyArrived(140, 2, 65536, clock.Time(41*time.Second))
	m.HeaderArrived(140, 3, clock.Time(42*time.Second))

	rng := rand.New(rand.NewPCG(1, 2))
	order := m.HotDemotionOrder(ChurnDeadline, []PeerID{1, 2, 3}, rng, nil)
	fmt.Println("demote first:", order)
	fmt.Println(m.Scores(ChurnDeadline, nil))
	// Output:
	// demote first: [3 1 2]
	// [{1 2 0 false} {2 2 140 true} {3 0 140 true}]
}

// sameRegistry reports whether a and b have the same registry and wins.
func sameRegistry(a, b *Metrics) bool {
	return slices.Equal(a.ids, b.ids) && slices.Equal(a.seen, b.seen) && slices.Equal(a.joined, b.joined) &&
		slices.Equal(a.wins, b.wins) && a.regMin == b.regMin
}

// TestLogEntrySize pins a metrics-log entry at 16 bytes: writing the
// queue misses the cache, so its size is its cost (MetricsLog). A Report,
// what a feed's batches hold, is 32: two to a cache line.
func TestLogEntrySize(t *testing.T) {
	if s := unsafe.Sizeof(logEntry{}); s != 16 {
		t.Fatalf("logEntry is %d bytes, want 16", s)
	}
	if s := unsafe.Sizeof(Report{}); s != 32 {
		t.Fatalf("Report is %d bytes, want 32", s)
	}
}
