package netmodel

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/dpsim/dpsim/clock"
	"pgregory.net/rapid"
)

// refSend is the per-segment reference of TCPConfig.Send (without the
// multiplexer's interleaving): it puts one segment on the wire at a time,
// each of min(segment size, bytes left, room in the window), and when the
// window is full waits for the round's acknowledgement (one round trip
// after the round started), which grows the window by the round's bytes
// up to the cap. It shares no arithmetic with Send beyond
// SerialisationDelay of one segment.
func refSend(c TCPConfig, f *TCPFlow, t clock.Time, bytes int64, p Path) (first, last clock.Time) {
	iw := c.SegmentBytes * c.InitialWindow
	limit := int64(math.MaxUint32)
	if c.ReceiveWindow > 0 {
		limit = c.ReceiveWindow
	} else if p.BitsPerSecond > 0 {
		// bandwidth × RTT, in whole bytes from whole microseconds
		limit = min(max(iw, int64(float64(p.BitsPerSecond/8)*float64(p.RTT/time.Microsecond)/1e6)), math.MaxUint32)
	}
	now := clock.Max(t, f.end)
	cwnd, sent, ack := int64(f.cwnd), int64(f.sent), f.ack
	if cwnd == 0 {
		cwnd, sent, ack = iw, 0, now.Add(p.RTT)
	} else if now >= ack {
		cwnd = min(cwnd+sent, limit)
		if c.IdleRestart && now.Sub(f.end) > max(time.Second, p.RTT) {
			cwnd = min(cwnd, iw)
		}
		sent, ack = 0, now.Add(p.RTT)
	}
	first = now
	for rem := bytes; rem > 0; {
		if sent == cwnd { // window full: wait for the round's ack
			start := clock.Max(ack, now)
			cwnd, sent, ack, now = min(cwnd+sent, limit), 0, start.Add(p.RTT), start
		}
		seg := min(c.SegmentBytes, rem, cwnd-sent)
		now = now.Add(SerialisationDelay(seg, p.BitsPerSecond))
		sent += seg
		rem -= seg
	}
	f.cwnd, f.sent, f.ack, f.end = uint32(cwnd), uint32(sent), ack, now
	return first, now
}

// TestTCPMatchesPerSegmentReference: for random paths, configurations and
// sequences of messages, Send's closed form gives the per-segment
// reference's first and last departure times and leaves the same state.
func TestTCPMatchesPerSegmentReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := TCPConfig{
			SegmentBytes:  rapid.Int64Range(1, MaxSegmentBytes).Draw(t, "mss"),
			InitialWindow: rapid.Int64Range(1, 20).Draw(t, "iw"),
			IdleRestart:   rapid.Bool().Draw(t, "idleRestart"),
			SDUBytes:      DefaultSDUBytes,
		}
		if rapid.Bool().Draw(t, "fixedRwnd") {
			c.ReceiveWindow = rapid.Int64Range(c.SegmentBytes*c.InitialWindow, 4<<20).Draw(t, "rwnd")
		}
		p := Path{
			RTT:           time.Duration(rapid.Int64Range(0, int64(600*time.Millisecond)).Draw(t, "rttNs")),
			BitsPerSecond: rapid.SampledFrom([]int64{0, 1e6, 10e6, 100e6, 1e9, 10e9}).Draw(t, "bps"),
		}
		var got, want TCPFlow
		now := clock.Time(0)
		for i, n := 0, rapid.IntRange(1, 12).Draw(t, "messages"); i < n; i++ {
			now = now.Add(time.Duration(rapid.Int64Range(0, int64(3*time.Second)).Draw(t, "gapNs")))
			bytes := rapid.Int64Range(1, 8<<20).Draw(t, "bytes")
			if bytes <= c.SDUBytes {
				now = clock.Max(now, got.end) // not interleaved: see TestTCPInterleavesSmallMessages
			}
			f1, l1 := c.Send(&got, now, bytes, p)
			f2, l2 := refSend(c, &want, now, bytes, p)
			if f1 != f2 || l1 != l2 || got != want {
				t.Fatalf("message %d (%d bytes at %v): closed form first %v last %v state %+v; per segment first %v last %v state %+v",
					i, bytes, now, f1, l1, got, f2, l2, want)
			}
		}
	})
}

// TestTCPFreshWindow checks the closed form on a fresh window with
// infinite bandwidth: the receiver has the last byte at L + (k−1)·2L,
// where k is the number of windows needed (14.6 kB, then doubling).
func TestTCPFreshWindow(t *testing.T) {
	c := DefaultTCPConfig()
	L := 50 * time.Millisecond
	p := Path{RTT: 2 * L}
	for _, tc := range []struct {
		bytes int64
		k     int64
	}{{1, 1}, {14600, 1}, {14601, 2}, {43800, 2}, {43801, 3}, {90112, 3}, {102200, 3}, {102201, 4}, {1 << 20, 7}} {
		var f TCPFlow
		first, last := c.Send(&f, 0, tc.bytes, p)
		got := last.Add(L).Sub(first)
		if want := L + time.Duration(tc.k-1)*2*L; got != want {
			t.Errorf("%d bytes: delivered after %v, want L + (%d−1)·2L = %v", tc.bytes, got, tc.k, want)
		}
	}
}

// TestTCPIdleRestart: after a pause of max(1 s, RTT) the window falls back
// to the initial one when idle restart is on, and keeps its growth when
// off.
func TestTCPIdleRestart(t *testing.T) {
	p := Path{RTT: 100 * time.Millisecond}
	for _, on := range []bool{true, false} {
		c := DefaultTCPConfig()
		c.IdleRestart = on
		var f TCPFlow
		c.Send(&f, 0, 1<<20, p) // grows the window to 14.6 kB·2⁶
		// A second 90 kB body 20 s later: three rounds from a fresh
		// window, one round with the grown one.
		first, last := c.Send(&f, clock.Time(20*time.Second), 90112, p)
		rounds := int(last.Sub(first)/p.RTT) + 1
		want := 1
		if on {
			want = 3
		}
		if rounds != want {
			t.Errorf("idle restart %v: the second body took %d rounds (%v), want %d", on, rounds, last.Sub(first), want)
		}
	}
	// A pause shorter than 1 s keeps the window even with restart on.
	c := DefaultTCPConfig()
	var f TCPFlow
	c.Send(&f, 0, 1<<20, p)
	first, last := c.Send(&f, clock.Time(900*time.Millisecond), 90112, p)
	if last.Sub(first) >= p.RTT {
		t.Errorf("a 900 ms pause restarted the window: the body took %v", last.Sub(first))
	}
}

// TestTCPReceiveWindowCap: at the cap the sender is limited by the link
// (the default cap is the bandwidth-delay product) or by one window per
// round trip (a small fixed receive window).
func TestTCPReceiveWindowCap(t *testing.T) {
	p := Path{RTT: 100 * time.Millisecond, BitsPerSecond: 100e6} // BDP 1.25 MB
	c := DefaultTCPConfig()
	var f TCPFlow
	c.Send(&f, 0, 100<<20, p) // long enough to reach the cap
	if f.cwnd != 1250000 {
		t.Fatalf("window after 100 MB = %d, want the BDP 1,250,000", f.cwnd)
	}
	// Continuing right away at the cap: the link rate decides.
	first, last := c.Send(&f, f.end, 10<<20, p)
	if want := SerialisationDelay(10<<20, 100e6); last.Sub(first) < want || last.Sub(first) > want+time.Millisecond {
		t.Errorf("10 MB at the cap took %v, want the link's %v", last.Sub(first), want)
	}
	// A fixed 64 kB receive window: 64 kB per round trip.
	c.ReceiveWindow = 64 << 10
	f = TCPFlow{}
	first, last = c.Send(&f, 0, 1<<20, p)
	rounds := int64(last.Sub(first)/p.RTT) + 1
	if want := int64(1<<20) / (64 << 10); rounds < want || rounds > want+3 {
		t.Errorf("1 MB through a 64 kB window took %d round trips, want about %d", rounds, want)
	}
}

// TestTCPInterleavesSmallMessages: a header sent while a body is leaving
// waits for at most one SDU of it, not the whole body, and does not
// change the flow.
func TestTCPInterleavesSmallMessages(t *testing.T) {
	c := DefaultTCPConfig()
	p := Path{RTT: 100 * time.Millisecond, BitsPerSecond: 10e6}
	var f TCPFlow
	_, bodyEnd := c.Send(&f, 0, 1<<20, p)
	before := f
	at := clock.Time(150 * time.Millisecond)
	first, last := c.Send(&f, at, 1100, p)
	if f != before {
		t.Errorf("the interleaved header changed the flow: %+v, was %+v", f, before)
	}
	if maxWait := SerialisationDelay(DefaultSDUBytes, p.BitsPerSecond); first.Sub(at) > maxWait || last >= bodyEnd {
		t.Errorf("header at %v left at %v–%v (body ends %v): want within one SDU (%v)", at, first, last, bodyEnd, maxWait)
	}
}

// pnsol is PNSol's measured one-hop TCP transfer time on AWS hosts
// (IntersectMBO/cardano-formal-specifications,
// src/performance/app/PraosModel.lhs, table "one-hop-dq"), in ms, by round
// trip and size; 0 marks the long-distance 1,024 kB cell, which repeats
// the 512 kB one in the source and is left out.
var pnsol = []struct {
	rttMs int64
	ms    [5]float64
}{
	{12, [5]float64{24, 47, 66, 78, 85}},
	{69, [5]float64{143, 271, 332, 404, 469}},
	{268, [5]float64{531, 1067, 1598, 0, 1867}},
}

var pnsolKiB = [5]int64{64, 256, 512, 1024, 2048}

// TestTCPReproducesPNSolOneHop compares the model with PNSol's table. The
// table's times are whole round trips after the first window, as a sender
// sees them, so the model's interval is the same: first byte sent to last
// byte sent (the receiver's delivery adds the one-way latency). Fresh
// connection (or one idle for 20 s, the same with idle restart), 1 Gbit/s.
//
// Every cell is within 15 % but one: 512 kB over 268 ms, measured 1,598 ms
// (5.96 round trips), which the model puts at 5 round trips (about
// 1,340 ms). That cell cannot be matched by slow start without loss given
// its own row: 2,048 kB needs two more doublings than 512 kB, and was
// measured at 6.97 round trips, only one more. The issue's own reading
// ("about 2, 4, 5, 6 and 7 round trips") is the model's; the test holds
// that cell to its round-trip count.
func TestTCPReproducesPNSolOneHop(t *testing.T) {
	c := DefaultTCPConfig()
	t.Logf("%-8s %-8s %10s %10s %7s", "rtt", "size", "measured", "model", "ratio")
	for _, row := range pnsol {
		p := Path{RTT: time.Duration(row.rttMs) * time.Millisecond, BitsPerSecond: 1e9}
		for i, want := range row.ms {
			if want == 0 {
				continue
			}
			var f TCPFlow
			first, last := c.Send(&f, clock.Time(20*time.Second), pnsolKiB[i]<<10, p)
			got := float64(last.Sub(first)) / 1e6
			ratio := got / want
			t.Logf("%-8s %-8s %10.0f %10.1f %7.3f", fmt.Sprintf("%d ms", row.rttMs), fmt.Sprintf("%d kB", pnsolKiB[i]), want, got, ratio)
			if row.rttMs == 268 && pnsolKiB[i] == 512 {
				if rt := int(last.Sub(first) / p.RTT); rt != 5 {
					t.Errorf("512 kB over 268 ms: %d whole round trips, want 5", rt)
				}
				continue
			}
			if math.Abs(ratio-1) > 0.15 {
				t.Errorf("%d kB over %d ms: model %.1f ms, measured %.0f ms (ratio %.3f, more than 15 %% off)", pnsolKiB[i], row.rttMs, got, want, ratio)
			}
		}
	}
}

// BenchmarkTCPSend: a 90 kB body after 20 s of silence (the usual case:
// restart, three rounds) on a flow in a table, as the world uses it.
func BenchmarkTCPSend(b *testing.B) {
	c := DefaultTCPConfig()
	p := Path{RTT: 137 * time.Millisecond, BitsPerSecond: 100e6}
	var f TCPFlow
	now := clock.Time(0)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(20 * time.Second)
		c.Send(&f, now, 1100, p)
		c.Send(&f, now.Add(140*time.Millisecond), 90112, p)
	}
}

// TestFlowsDropIdleExact: the table, which drops idle flows as it fills,
// gives the same departures as keeping every flow forever.
func TestFlowsDropIdleExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Few nodes repeat pairs often; many spread the flows.
		fc := drawFlowsCase(t, 2, 3, 5, 40)
		c, n, rtt, bps, tab := fc.c, fc.n, fc.rtt, fc.bps, fc.tab
		now := clock.Time(0)
		var prevFrom, prevTo int32
		var prevBytes int64
		for i, k := 0, rapid.IntRange(1, 600).Draw(t, "messages"); i < k; i++ {
			a, b := rapid.Int32Range(0, n-1).Draw(t, "from"), rapid.Int32Range(0, n-1).Draw(t, "to")
			bytes := rapid.SampledFrom([]int64{100, 1100, 14600, 14601, 90112, 1 << 20}).Draw(t, "bytes")
			switch {
			case i > 0 && rapid.Bool().Draw(t, "announce"):
				// A node announcing a block walks its peers in ascending
				// order at one instant (the table's batch), sometimes
				// with a message of another size or a peer out of order.
				a, b = prevFrom, min(max(prevTo+rapid.Int32Range(-1, 3).Draw(t, "step"), 0), n-1)
				if rapid.IntRange(0, 9).Draw(t, "sameSize") > 0 {
					bytes = prevBytes
				}
			case rapid.Bool().Draw(t, "soon"):
				now = now.Add(time.Duration(rapid.Int64Range(0, int64(400*time.Millisecond)).Draw(t, "gapNs")))
			default:
				now = now.Add(time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "longGapNs")))
			}
			prevFrom, prevTo, prevBytes = a, b, bytes
			p := Path{RTT: rtt(a, b), BitsPerSecond: bps}
			f1, l1 := c.Send(fc.ref(a, b), now, bytes, p)
			f2, l2 := tab.Send(now, a, b, bytes, p)
			if f1 != f2 || l1 != l2 {
				t.Fatalf("message %d %d→%d at %v: table %v–%v, kept flows %v–%v (table holds %d)", i, a, b, now, f2, l2, f1, l1, tab.Len())
			}
		}
		if c.IdleRestart && tab.Len() > len(fc.all) {
			t.Fatalf("table holds %d flows, more than the %d pairs", tab.Len(), len(fc.all))
		}
	})
}

// flowsCase is what the flows' exactness tests draw alike: the model's
// configuration (idle restart on or off), n nodes, their round trips (up
// to 300 ms, or some up to 3 s, beyond MinIdleRestart) and rate, the
// flows under test, and the reference: every pair's flow kept forever.
type flowsCase struct {
	c   TCPConfig
	n   int32
	rtt func(a, b int32) time.Duration
	bps int64
	tab *Flows
	all map[[2]int32]*TCPFlow
}

func drawFlowsCase(t *rapid.T, nodes ...int32) *flowsCase {
	c := DefaultTCPConfig()
	c.IdleRestart = rapid.Bool().Draw(t, "idleRestart")
	n := rapid.SampledFrom(nodes).Draw(t, "nodes")
	span := rapid.SampledFrom([]int32{300, 3000}).Draw(t, "rttSpanMs")
	rtt := func(a, b int32) time.Duration { return time.Duration(1+(a*7+b*13)%span) * time.Millisecond }
	bps := rapid.SampledFrom([]int64{0, 1e6, 100e6}).Draw(t, "bps")
	return &flowsCase{c: c, n: n, rtt: rtt, bps: bps, tab: NewFlows(c, int(n), rtt), all: map[[2]int32]*TCPFlow{}}
}

// ref returns the reference flow a→b.
func (fc *flowsCase) ref(a, b int32) *TCPFlow {
	f := fc.all[[2]int32{a, b}]
	if f == nil {
		f = &TCPFlow{}
		fc.all[[2]int32{a, b}] = f
	}
	return f
}

// TestFlowsTieExact: flows tied to changing lists of receivers (a
// relay's peers, Tie and SendOn) and looked up by pair (Send), with idle
// ones dropped as the table fills, give the same departures as keeping
// every pair's flow forever.
func TestFlowsTieExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fc := drawFlowsCase(t, 2, 5, 40, 300)
		c, n, rtt, bps, tab, ref, all := fc.c, fc.n, fc.rtt, fc.bps, fc.tab, fc.ref, fc.all
		// A few senders' peer lists, changed now and then.
		peers := make([][]int32, min(n, 4))
		gens := make([]uint32, len(peers))
		redraw := func(a int32) {
			gens[a] += uint32(rapid.IntRange(1, 2).Draw(t, "genStep"))
			var l []int32
			for to := range n {
				if to != a && rapid.IntRange(0, 3).Draw(t, "peer") == 0 {
					l = append(l, to)
				}
			}
			if len(l) > 1 && rapid.IntRange(0, 4).Draw(t, "repeat") == 0 {
				// A static topology's list may repeat a peer: not tied.
				l = append(l, l[0])
			}
			peers[a] = l
		}
		for a := range peers {
			redraw(int32(a))
		}
		now := clock.Time(0)
		check := func(what string, a, b int32, bytes int64, got1, got2 clock.Time) {
			p := Path{RTT: rtt(a, b), BitsPerSecond: bps}
			f1, l1 := c.Send(ref(a, b), now, bytes, p)
			if f1 != got1 || l1 != got2 {
				t.Fatalf("%s %d→%d at %v: %v–%v, kept flows %v–%v", what, a, b, now, got1, got2, f1, l1)
			}
		}
		for i, k := 0, rapid.IntRange(1, 200).Draw(t, "steps"); i < k; i++ {
			// Gaps within a round trip, beyond MinIdleRestart but within
			// the longest round trips (quiet, not idle), and beyond.
			switch rapid.IntRange(0, 2).Draw(t, "gap") {
			case 0:
				now = now.Add(time.Duration(rapid.Int64Range(0, int64(400*time.Millisecond)).Draw(t, "gapNs")))
			case 1:
				now = now.Add(time.Duration(rapid.Int64Range(int64(MinIdleRestart), int64(3*time.Second)).Draw(t, "quietNs")))
			default:
				now = now.Add(time.Duration(rapid.Int64Range(0, int64(5*time.Second)).Draw(t, "longGapNs")))
			}
			bytes := rapid.SampledFrom([]int64{100, 1100, 14600, 90112, 1 << 20}).Draw(t, "bytes")
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0: // an announcement to a sender's peers, some skipped
				a := rapid.Int32Range(0, int32(len(peers))-1).Draw(t, "sender")
				if rapid.IntRange(0, 2).Draw(t, "change") == 0 {
					redraw(a)
				}
				// The list's generation changes with it (or NoGen).
				g := gens[a]
				if rapid.IntRange(0, 3).Draw(t, "noGen") == 0 {
					g = NoGen
				}
				// The one it heard the block from, if any, is skipped.
				skip := -1
				if len(peers[a]) > 0 && rapid.Bool().Draw(t, "except") {
					skip = rapid.IntRange(0, len(peers[a])-1).Draw(t, "exceptAt")
				}
				if rapid.Bool().Draw(t, "all") {
					except := int32(-1)
					if skip >= 0 {
						except = peers[a][skip]
					} else if rapid.IntRange(0, 3).Draw(t, "exceptElsewhere") == 0 {
						except = rapid.Int32Range(0, n-1).Draw(t, "exceptNotTied")
					}
					if last, ok := tab.SendAll(now, a, g, peers[a], except, bytes, bps); ok {
						if !slices.Equal(tab.Tied(a), peers[a]) {
							t.Fatalf("SendAll sent on flows tied to %v, the list is %v", tab.Tied(a), peers[a])
						}
						for j, b := range peers[a] {
							switch {
							case b == except:
							case rapid.IntRange(0, 5).Draw(t, "unsend") == 0:
								tab.Unsend(a, j) // no path: not sent
							default:
								check("all", a, b, bytes, now, last)
							}
						}
						break
					}
				}
				tied := tab.Tie(now, a, g, peers[a])
				ascending := slices.IsSortedFunc(peers[a], func(x, y int32) int { return cmp.Or(cmp.Compare(x, y), 1) }) // strictly
				if tied != ascending {
					t.Fatalf("Tie says tied %v for receivers %v", tied, peers[a])
				}
				for j, b := range peers[a] {
					if j != skip && rapid.IntRange(0, 5).Draw(t, "skip") > 0 {
						p := Path{RTT: rtt(a, b), BitsPerSecond: bps}
						var f, l clock.Time
						if tied {
							f, l = tab.SendOn(a, j, now, bytes, p)
						} else {
							f, l = tab.Send(now, a, b, bytes, p)
						}
						check("tied", a, b, bytes, f, l)
					}
				}
			default: // a message on any pair (a body, a request)
				a, b := rapid.Int32Range(0, n-1).Draw(t, "from"), rapid.Int32Range(0, n-1).Draw(t, "to")
				f, l := tab.Send(now, a, b, bytes, Path{RTT: rtt(a, b), BitsPerSecond: bps})
				check("pair", a, b, bytes, f, l)
			}
		}
		// Held: at most the pairs sent on and the tied ones.
		pairs := map[[2]int32]bool{}
		for p := range all {
			pairs[p] = true
		}
		for a := range tab.snd {
			for _, b := range tab.snd[a].tied.to {
				pairs[[2]int32{int32(a), b}] = true
			}
		}
		if c.IdleRestart && tab.Len() > len(pairs) {
			t.Fatalf("flows hold %d, more than the %d pairs", tab.Len(), len(pairs))
		}
	})
}

// TestFlowsQuietNotIdle: a sender quiet for longer than MinIdleRestart
// but not longer than a round trip keeps its flows: a 2 s round trip
// whose header round is not yet acknowledged at 1.5 s leaves a window of
// 13,500 bytes, so 14,600 bytes wait for the acknowledgement at 2 s.
func TestFlowsQuietNotIdle(t *testing.T) {
	rtt := func(a, b int32) time.Duration { return 2 * time.Second }
	tab := NewFlows(DefaultTCPConfig(), 2, rtt)
	p := Path{RTT: 2 * time.Second}
	tab.Send(0, 0, 1, 1100, p)
	if _, last := tab.Send(clock.Time(1500*time.Millisecond), 0, 1, 14600, p); last != clock.Time(2*time.Second) {
		t.Fatalf("last byte at %v, want 2s (the header round's acknowledgement)", last)
	}
}

// TestBodyAfterHeader: after a 1,100-byte header the window is 15,700
// bytes, so a 90 kB body needs three rounds (15.7, 31.4, the rest) and
// a 47 kB one two; a longer round trip never makes it faster.
func TestBodyAfterHeader(t *testing.T) {
	c := DefaultTCPConfig()
	rtt := 100 * time.Millisecond
	for _, tc := range []struct {
		bytes  int64
		rounds int64
	}{{15700, 1}, {15701, 2}, {47100, 2}, {47101, 3}, {90112, 3}} {
		if got, want := c.BodyAfterHeader(1100, tc.bytes, Path{RTT: rtt}), time.Duration(tc.rounds-1)*rtt; got != want {
			t.Errorf("%d bytes: %v, want %d rounds: %v", tc.bytes, got, tc.rounds, want)
		}
	}
	// A body that leaves the moment the header's acknowledgement returns
	// keeps the grown window, even on a round trip of a second or more
	// with no serialisation (CI's rapid found the restart there once).
	for _, r := range []time.Duration{time.Second, 3 * time.Second} {
		if got := c.BodyAfterHeader(1100, 15700, Path{RTT: r}); got != 0 {
			t.Errorf("RTT %v: a body of one window took %v, want 0 (no idle restart)", r, got)
		}
	}
	prev := time.Duration(0)
	for r := time.Duration(0); r < 400*time.Millisecond; r += 7 * time.Millisecond {
		d := c.BodyAfterHeader(1100, 90112, Path{RTT: r, BitsPerSecond: 100e6})
		if d < prev {
			t.Fatalf("RTT %v: %v, less than %v at a shorter RTT", r, d, prev)
		}
		prev = d
	}
}

// TestBodyAfterHeaderFunc: the precomputed form equals BodyAfterHeader.
func TestBodyAfterHeaderFunc(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := DefaultTCPConfig()
		c.InitialWindow = rapid.Int64Range(1, 20).Draw(t, "iw")
		if rapid.Bool().Draw(t, "fixedRwnd") {
			c.ReceiveWindow = rapid.Int64Range(c.SegmentBytes*c.InitialWindow, 1<<20).Draw(t, "rwnd")
		}
		header := rapid.Int64Range(0, 40000).Draw(t, "header")
		body := rapid.Int64Range(0, 4<<20).Draw(t, "body")
		bps := rapid.SampledFrom([]int64{0, 1e6, 100e6, 10e9}).Draw(t, "bps")
		f := c.BodyAfterHeaderFunc(header, body, bps)
		for range 5 {
			rtt := time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(t, "rttNs"))
			if got, want := f(rtt), c.BodyAfterHeader(header, body, Path{RTT: rtt, BitsPerSecond: bps}); got != want {
				t.Fatalf("rtt %v: func %v, BodyAfterHeader %v", rtt, got, want)
			}
		}
	})
}

// BenchmarkFlowsAnnounce: 10,000 nodes, each announcing a header to its 25
// peers in ascending order: the world's pattern (one op is one
// announcement to one peer), each flow found by pair (Send), tied to the
// peer list (Tie and SendOn, as the world announces to busy flows) or sent
// on all at once (SendAll, as the world announces to idle ones).
func BenchmarkFlowsAnnounce(b *testing.B) {
	const n, k = 10_000, 25
	c := DefaultTCPConfig()
	rtt := func(a, b int32) time.Duration { return time.Duration(20+(a+b)%200) * time.Millisecond }
	peers := make([][]int32, n)
	for i := range peers {
		for j := range k {
			peers[i] = append(peers[i], int32((i*7919+j*(n/k))%n))
		}
		slices.Sort(peers[i])
	}
	for _, mode := range []string{"pair", "tied", "all"} {
		b.Run(mode, func(b *testing.B) {
			tab := NewFlows(c, n, rtt)
			now := clock.Time(0)
			from := 0
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if i%k == 0 {
					from = (from + 7) % n
					now = now.Add(time.Millisecond)
					switch mode {
					case "tied":
						tab.Tie(now, int32(from), 0, peers[from]) // the lists never change
					case "all":
						now = now.Add(2 * time.Second) // idle again
						if _, ok := tab.SendAll(now, int32(from), 0, peers[from], -1, 1100, 100e6); !ok {
							b.Fatal("SendAll refused idle flows")
						}
					}
				}
				to := peers[from][i%k]
				p := Path{RTT: rtt(int32(from), to), BitsPerSecond: 100e6}
				switch mode {
				case "pair":
					tab.Send(now, int32(from), to, 1100, p)
				case "tied":
					tab.SendOn(int32(from), i%k, now, 1100, p)
				}
			}
		})
	}
}

// TestSenderSize: a sender's flows are three cache lines: the tied list
// with its filter, what Tie and SendAll check with the bulk send, and the
// table.
func TestSenderSize(t *testing.T) {
	if s := unsafe.Sizeof(sender{}); s != 192 {
		t.Fatalf("sender is %d bytes, want 192", s)
	}
	if o := unsafe.Offsetof(sender{}.gen); o != 64 {
		t.Fatalf("sender.gen at %d, want 64", o)
	}
	if o := unsafe.Offsetof(sender{}.table); o != 128 {
		t.Fatalf("sender.table at %d, want 128", o)
	}
}

// TestTCPFlowSize pins a flow's state at 24 bytes: there is one per
// direction of every connection that carried something in the last
// second or so (docs/performance.md, state per connection).
func TestTCPFlowSize(t *testing.T) {
	if s := unsafe.Sizeof(TCPFlow{}); s != 24 {
		t.Fatalf("TCPFlow is %d bytes, want 24", s)
	}
}

// TestSendAll: SendAll refuses while a flow it would send on is busy, but
// not when only the skipped one is; it counts the round trips of tied
// pairs never sent on before (a later send must know the flow is not yet
// idle); and its flows then carry on as Send's would.
func TestSendAll(t *testing.T) {
	c := DefaultTCPConfig()
	const bps = 100e6
	rtt := func(a, b int32) time.Duration {
		if b == 2 {
			return 2500 * time.Millisecond
		}
		return 100 * time.Millisecond
	}
	tab := NewFlows(c, 3, rtt)
	to := []int32{1, 2}
	ref := [3]TCPFlow{}
	at := clock.Time(10 * time.Second)
	path := func(b int32) Path { return Path{RTT: rtt(0, b), BitsPerSecond: bps} }
	// A request to 1 just before the announcement: that flow is busy.
	tab.Send(at, 0, 1, 500, path(1))
	c.Send(&ref[1], at, 500, path(1))
	at = at.Add(time.Millisecond)
	if _, ok := tab.SendAll(at, 0, 0, to, -1, 1100, bps); ok {
		t.Fatal("SendAll sent on a busy flow")
	}
	last, ok := tab.SendAll(at, 0, 0, to, 1, 1100, bps)
	if !ok {
		t.Fatal("SendAll refused, though only the skipped flow was busy")
	}
	if _, want := c.Send(&ref[2], at, 1100, path(2)); last != want {
		t.Fatalf("SendAll's last byte leaves at %v, Send's at %v", last, want)
	}
	// 1.5 s later the flow to 2 (round trip 2.5 s) is still in its round,
	// and the one to 1 has been idle for longer than a second.
	at = at.Add(1500 * time.Millisecond)
	for _, b := range to {
		f, l := tab.Send(at, 0, b, 90112, path(b))
		if wf, wl := c.Send(&ref[b], at, 90112, path(b)); f != wf || l != wl {
			t.Fatalf("body to %d: %v–%v, Send %v–%v", b, f, l, wf, wl)
		}
	}
}
