package netmodel

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/datadriven"
)

// TestBearerScripts runs the scripted tests of testdata/bearer: a bearer
// over a small latency matrix, driven by dials, handshake completions,
// releases, closes, failures and prunes at given times, printing each
// answer and the nodes' connection counts. Regenerate with
//
//	go test ./netmodel -run TestBearerScripts -rewrite
//
// and check the diff against spec/governor.md §7.
//
// Commands:
//
//	bearer nodes=N [oneway=D] [handshake-rtts=N] [timeout=D] [hard=N]
//	       [soft=N] [accept-delay-max=D] [time-wait=D] [failure-prob=P] [seed=N]
//	  link a=X b=Y oneway=D        (both directions)
//	  route from=X to=Y oneway=D   (one direction)
//	  cut a=X b=Y                  (no path)
//	    makes a bearer; every pair is oneway apart (default 50ms) unless
//	    an input line says otherwise;
//	dial at=T from=X to=Y
//	established at=T conn=C
//	release at=T conn=C node=X
//	close at=T conn=C
//	fail at=T conn=C
//	prune at=T node=X count=N
//	    the Bearer calls, printing their answers;
//	conns at=T
//	    every connection as Info reads it at T, and each node's counts.
func TestBearerScripts(t *testing.T) {
	datadriven.RunDir(t, "testdata/bearer", func() func(*testing.T, *datadriven.TestData) string {
		return (&bearerScript{}).run
	})
}

type bearerScript struct {
	b   *Bearer
	rng *rand.Rand
	now clock.Time
}

func (s *bearerScript) run(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd == "bearer" {
		return s.create(t, d)
	}
	if s.b == nil {
		d.Fatalf(t, "no bearer: start the script with the bearer command")
	}
	var at time.Duration
	d.ScanArgs(t, "at", &at)
	if clock.Time(at) < s.now {
		d.Fatalf(t, "at=%v is before the last command's %s", at, fmtT(s.now))
	}
	s.now = clock.Time(at)
	conn := func() ConnID {
		var c ConnID
		d.ScanArgs(t, "conn", &c)
		if c < 0 || int(c) >= s.b.NumConns() {
			d.Fatalf(t, "conn=%d: %d connections exist", c, s.b.NumConns())
		}
		return c
	}
	node := func(key string) int {
		var n int
		d.ScanArgs(t, key, &n)
		if n < 0 || n >= s.b.N() {
			d.Fatalf(t, "%s=%d: want a node in [0, %d)", key, n, s.b.N())
		}
		return n
	}
	switch d.Cmd {
	case "dial":
		from, to := node("from"), node("to")
		if from == to {
			d.Fatalf(t, "from = to = %d", from)
		}
		return formatDial(s.b.Dial(s.now, from, to, s.rng)) + "\n" + s.counts(from, to)
	case "established":
		c := conn()
		if ready := s.b.Info(s.now, c).Ready; s.now < ready {
			return fmt.Sprintf("error: conn %d's handshake ends at %s", c, fmtT(ready))
		}
		return fmt.Sprintf("%v", s.b.Established(s.now, c))
	case "release":
		c, n := conn(), node("node")
		i := s.b.Info(s.now, c)
		return fmt.Sprintf("closed %v\n%s", s.b.Release(s.now, c, n), s.counts(i.Initiator, i.Responder))
	case "close", "fail":
		c := conn()
		i := s.b.Info(s.now, c)
		ok := false
		if d.Cmd == "close" {
			ok = s.b.Close(s.now, c)
		} else {
			ok = s.b.Fail(s.now, c)
		}
		return fmt.Sprintf("%v\n%s", ok, s.counts(i.Initiator, i.Responder))
	case "prune":
		n := node("node")
		var count int
		d.ScanArgs(t, "count", &count)
		return fmt.Sprintf("pruned %v\n%s", s.b.Prune(s.now, n, count, s.rng), s.counts(n))
	case "conns":
		return s.conns()
	}
	d.Fatalf(t, "unknown command")
	return ""
}

func (s *bearerScript) create(t *testing.T, d *datadriven.TestData) string {
	var n int
	d.ScanArgs(t, "nodes", &n)
	oneway := 50 * time.Millisecond
	d.MaybeScanArgs(t, "oneway", &oneway)
	cfg := DefaultBearerConfig()
	d.MaybeScanArgs(t, "handshake-rtts", &cfg.HandshakeRTTs)
	d.MaybeScanArgs(t, "timeout", &cfg.HandshakeTimeout)
	d.MaybeScanArgs(t, "hard", &cfg.HardLimit)
	d.MaybeScanArgs(t, "soft", &cfg.SoftLimit)
	d.MaybeScanArgs(t, "accept-delay-max", &cfg.AcceptDelayMax)
	d.MaybeScanArgs(t, "time-wait", &cfg.TimeWait)
	d.MaybeScanArgs(t, "failure-prob", &cfg.FailureProb)
	seed := uint64(1)
	d.MaybeScanArgs(t, "seed", &seed)
	m := bearerMatrix(n, oneway)
	for _, c := range d.InputCommands(t) {
		var a, b int
		var ow time.Duration
		switch c.Cmd {
		case "link", "cut":
			c.ScanArgs(t, "a", &a)
			c.ScanArgs(t, "b", &b)
		case "route":
			c.ScanArgs(t, "from", &a)
			c.ScanArgs(t, "to", &b)
		default:
			c.Fatalf(t, "want link, route or cut")
		}
		if c.Cmd != "cut" {
			c.ScanArgs(t, "oneway", &ow)
		}
		switch c.Cmd {
		case "link":
			m.Set(a, b, ow)
			m.Set(b, a, ow)
		case "route":
			m.Set(a, b, ow)
		case "cut": // no setter makes a pair unreachable: the test is inside the package
			m.us[a*n+b], m.us[b*n+a] = -1, -1
		}
	}
	b, err := NewBearer(m, cfg)
	if err != nil {
		return "error: " + err.Error()
	}
	s.b, s.rng, s.now = b, rand.New(rand.NewPCG(seed, 3)), 0
	dur := func(d time.Duration) string { return fmtT(clock.Time(d)) }
	return fmt.Sprintf("%d nodes; handshake %d RTT, timeout %s; inbound limits soft %d hard %d, accept delay up to %s; time-wait %s",
		n, cfg.HandshakeRTTs, dur(cfg.HandshakeTimeout), cfg.SoftLimit, cfg.HardLimit, dur(cfg.AcceptDelayMax), dur(cfg.TimeWait))
}

// fmtT writes a time in seconds without trailing zeros.
func fmtT(t clock.Time) string {
	if t == clock.Never {
		return "never"
	}
	return strconv.FormatFloat(t.Seconds(), 'f', -1, 64) + "s"
}

func formatDial(r DialResult) string {
	var b strings.Builder
	switch r.Outcome {
	case DialFailed:
		fmt.Fprintf(&b, "failed (%v), known at %s", r.Reason, fmtT(r.At))
	default:
		fmt.Fprintf(&b, "%v conn %d, usable at %s", r.Outcome, r.Conn, fmtT(r.At))
		if r.AcceptDelay > 0 {
			fmt.Fprintf(&b, " (accept delay %s)", fmtT(clock.Time(r.AcceptDelay)))
		}
	}
	if r.Pruned != NoConn {
		fmt.Fprintf(&b, "; pruned conn %d", r.Pruned)
	}
	return b.String()
}

// counts prints the inbound, outbound and duplex counts of nodes.
func (s *bearerScript) counts(nodes ...int) string {
	var b strings.Builder
	for i, n := range nodes {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "node %d: inbound %d outbound %d duplex %d", n, s.b.Inbound(n), s.b.Outbound(n), s.b.Duplex(n))
	}
	return b.String()
}

// conns prints every connection as Info reads it now, then every node
// with a live connection.
func (s *bearerScript) conns() string {
	var b strings.Builder
	for id := ConnID(0); int(id) < s.b.NumConns(); id++ {
		i := s.b.Info(s.now, id)
		uses := ""
		if i.State.live() && i.InitiatorUses {
			uses += fmt.Sprintf(", used by %d", i.Initiator)
		}
		if i.State.live() && i.ResponderUses {
			uses += fmt.Sprintf(", used by %d", i.Responder)
		}
		fmt.Fprintf(&b, "conn %d: %d→%d %v%s; opened %s ready %s", id, i.Initiator, i.Responder, i.State, uses, fmtT(i.Opened), fmtT(i.Ready))
		if i.End != EndNone {
			fmt.Fprintf(&b, "; %v at %s", i.End, fmtT(i.Ended))
		}
		if i.TimeWaitUntil != clock.Never {
			fmt.Fprintf(&b, ", time-wait until %s", fmtT(i.TimeWaitUntil))
		}
		b.WriteByte('\n')
	}
	var live []ConnID
	for n := 0; n < s.b.N(); n++ {
		if live = s.b.AppendConns(live[:0], n); len(live) > 0 {
			fmt.Fprintf(&b, "%s, live %v\n", s.counts(n), live)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
