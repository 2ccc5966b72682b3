package world

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim"
)

// These tests use Env on its own, without a World or an engine.

// envConfig returns the environment of n nodes with the stakes given
// (0: no pool), every governor on ledger peers with default timing.
func envConfig(stake []float64) P2PConfig {
	n := len(stake)
	cfg := P2PConfig{Governors: make([]node.GovernorConfig, n), Stake: stake,
		Adversarial: make([]bool, n), Bearer: netmodel.DefaultBearerConfig()}
	for i := range n {
		cfg.Governors[i] = node.GovernorConfig{Self: int32(i), LedgerPeers: true, Timing: node.DefaultTiming(),
			Targets: node.Targets{Root: 1, Known: 1}}
	}
	return cfg
}

// fullMesh returns n nodes 10 ms apart.
func fullMesh(n int) *netmodel.Matrix {
	m := netmodel.NewMatrix(n)
	for a := range n {
		for b := range n {
			if a != b {
				m.Set(a, b, 10*time.Millisecond)
			}
		}
	}
	return m
}

func newEnv(t *testing.T, cfg P2PConfig, seed uint64) *Env {
	t.Helper()
	e, err := NewEnv(cfg, fullMesh(len(cfg.Stake)), seed)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// connect dials from→to at now and completes the handshake, as the World
// does at the dial's answer time; it returns that time.
func connect(t *testing.T, e *Env, now clock.Time, from, to int32) clock.Time {
	t.Helper()
	res := e.Dial(now, from, to, false)
	if res.Outcome == netmodel.DialFailed || !e.Ready(res.At, res.Conn, res.Outcome) {
		t.Fatalf("dial %d→%d at %v: %+v", from, to, now, res)
	}
	return res.At
}

// TestEnvRoots: a node without ledger peers resolves its roots to its
// public roots, whatever the count asked, with the public roots' TTL; one
// with ledger peers gets distinct pools other than itself, drawn from its
// stream ("ledger", node) exactly as the Ledger draws, with the ledger
// TTL; big ledger peers likewise. InputDelay tells the governor the same
// TTLs.
func TestEnvRoots(t *testing.T) {
	const seed = 11
	cfg := envConfig([]float64{0, 40, 30, 20, 5, 3, 2})
	cfg.Governors[0].LedgerPeers = false
	cfg.Governors[0].PublicRoots = []node.PublicRoot{{Peer: 5}, {Peer: 2}}
	e := newEnv(t, cfg, seed)

	ids, ttl := e.Roots(0, 1, []node.PeerID{99})
	if !slices.Equal(ids, []node.PeerID{99, 5, 2}) || ttl != publicRootTTL {
		t.Errorf("node 0's roots %v, TTL %v: want [99 5 2] (appended to dst), %v", ids, ttl, publicRootTTL)
	}
	if d := e.InputDelay(0, -1, node.InRoots); d != publicRootTTL {
		t.Errorf("node 0 told TTL %v with its roots, want %v", d, publicRootTTL)
	}

	ref := NewLedger(cfg.Stake, nil)
	rng := sim.Derive(seed, "ledger", 3)
	for k := range 50 {
		ids, ttl := e.Roots(3, 3, nil)
		want := ref.Peers(3, 3, rng, nil)
		if !slices.Equal(ids, want) || ttl != ledgerTTL {
			t.Fatalf("draw %d: node 3's roots %v, TTL %v: want %v (stream ledger/3), %v", k, ids, ttl, want, ledgerTTL)
		}
		for j, id := range ids {
			if id == 3 || cfg.Stake[id] == 0 || slices.Contains(ids[:j], id) {
				t.Fatalf("node 3's roots %v: %d is itself, no pool or repeated", ids, id)
			}
		}
		blp, ttl := e.BigLedgerPeers(3, 2, nil)
		want = ref.BigLedgerPeers(2, 3, rng, nil)
		if !slices.Equal(blp, want) || ttl != ledgerTTL {
			t.Fatalf("draw %d: node 3's big ledger peers %v, TTL %v: want %v, %v", k, blp, ttl, want, ledgerTTL)
		}
		for _, id := range blp {
			if !slices.Contains(ref.BigLedger(), id) || id == 3 {
				t.Fatalf("node 3's big ledger peers %v: %d is itself or not a big ledger peer %v", blp, id, ref.BigLedger())
			}
		}
	}
	for _, k := range []node.InputKind{node.InRoots, node.InBigLedger} {
		if d := e.InputDelay(3, -1, k); d != ledgerTTL {
			t.Errorf("node 3 told TTL %v with %v, want %v", d, k, ledgerTTL)
		}
	}
	if d := e.InputDelay(3, 4, node.InConnected); d != 20*time.Millisecond {
		t.Errorf("node 3 told a handshake RTT of %v to 4, want 20ms", d)
	}
}

// TestEnvDropTimes: the time to a node's next drop is exponential with
// mean Faults.DropEvery (the mean of 20,000 draws within 3 %, about four
// standard errors; the median near mean·ln 2), drawn from the stream
// ("faults", node), so the same seed gives the same sequence and nodes
// have sequences of their own.
func TestEnvDropTimes(t *testing.T) {
	const seed, draws = 5, 20000
	mean := 30 * time.Minute
	cfg := envConfig(make([]float64, 3))
	cfg.Faults.DropEvery = mean
	e, same := newEnv(t, cfg, seed), newEnv(t, cfg, seed)
	rng := sim.Derive(seed, "faults", 1)
	d := make([]float64, draws)
	sum := 0.0
	for k := range d {
		x := e.NextDrop(1)
		if x < 0 || x != same.NextDrop(1) || x != time.Duration(rng.ExpFloat64()*float64(mean)) {
			t.Fatalf("draw %d: %v is negative, not reproduced by the same seed, or not from stream faults/1", k, x)
		}
		d[k] = float64(x)
		sum += d[k]
	}
	if got := sum / draws / float64(mean); math.Abs(got-1) > 0.03 {
		t.Errorf("mean drop time %.3f × DropEvery, want 1 ± 0.03 (seed %d)", got, seed)
	}
	slices.Sort(d)
	if got := d[draws/2] / float64(mean); math.Abs(got-math.Ln2) > 0.03 {
		t.Errorf("median drop time %.3f × DropEvery, want ln 2 = %.3f ± 0.03 (seed %d)", got, math.Ln2, seed)
	}
	if a, b := newEnv(t, cfg, seed).NextDrop(0), newEnv(t, cfg, seed).NextDrop(2); a == b {
		t.Errorf("nodes 0 and 2 drew the same first drop time %v: want a stream each", a)
	}
}

// TestEnvDrop: a drop fails one of the node's live connections and no
// other, counted; with none left it does nothing; over many seeds each of
// three connections is the first dropped about a third of the time.
func TestEnvDrop(t *testing.T) {
	cfg := envConfig(make([]float64, 6))
	e := newEnv(t, cfg, 1)
	now := clock.Time(0)
	for _, peer := range []int32{1, 2, 3} {
		now = connect(t, e, now, 0, peer)
	}
	now = connect(t, e, now, 3, 4)
	if id, ok := e.Drop(now, 5); ok || e.Drops() != 0 {
		t.Fatalf("node 5, with no connection, dropped %d (%d drops)", id, e.Drops())
	}
	var gone []int32
	for k := range 3 {
		id, ok := e.Drop(now, 0)
		if !ok {
			t.Fatalf("drop %d of node 0 found no live connection", k)
		}
		info := e.Bearer().Info(now, id)
		peer := int32(info.Responder)
		if info.Initiator != 0 || info.End != netmodel.EndFailed || slices.Contains(gone, peer) || e.Connected(0, peer) {
			t.Fatalf("drop %d took %+v: want a failed connection of node 0 not dropped before", k, info)
		}
		gone = append(gone, peer)
		if e.Drops() != int64(k+1) {
			t.Fatalf("%d drops counted after %d", e.Drops(), k+1)
		}
	}
	if id, ok := e.Drop(now, 0); ok {
		t.Fatalf("node 0 with no connection left dropped %d", id)
	}
	if !e.Connected(3, 4) {
		t.Fatal("node 0's drops took the connection 3–4")
	}

	first := map[int32]int{}
	const seeds = 3000
	for seed := range uint64(seeds) {
		e := newEnv(t, cfg, seed)
		for _, peer := range []int32{1, 2, 3} {
			connect(t, e, 0, 0, peer)
		}
		id, _ := e.Drop(clock.Time(time.Second), 0)
		first[int32(e.Bearer().Info(0, id).Responder)]++
	}
	for _, peer := range []int32{1, 2, 3} {
		if c := first[peer]; c < seeds/3-150 || c > seeds/3+150 {
			t.Errorf("connection to %d dropped first %d times in %d seeds, want %d ± 150", peer, c, seeds, seeds/3)
		}
	}
}

// TestEnvCrash: a crash fails all of the node's live connections, returns
// them in ascending order, and leaves the others alone.
func TestEnvCrash(t *testing.T) {
	e := newEnv(t, envConfig(make([]float64, 5)), 2)
	now := clock.Time(0)
	for _, pair := range [][2]int32{{0, 1}, {2, 0}, {0, 3}, {3, 4}} {
		now = connect(t, e, now, pair[0], pair[1])
	}
	ids := e.Crash(now, 0)
	if len(ids) != 3 || !slices.IsSorted(ids) || e.Crashes() != 1 {
		t.Fatalf("crash of 0 failed %v (crashes %d): want its 3 connections, ascending, one crash", ids, e.Crashes())
	}
	for _, p := range []int32{1, 2, 3} {
		if e.Connected(0, p) {
			t.Errorf("0 still connected to %d after its crash", p)
		}
	}
	if !e.Connected(3, 4) || e.Bearer().Inbound(0)+e.Bearer().Outbound(0) != 0 {
		t.Errorf("after 0's crash: 3–4 connected %v, 0's connections %d: want true, 0", e.Connected(3, 4), e.Bearer().Inbound(0)+e.Bearer().Outbound(0))
	}
}

// TestEnvBearerJobs: a dial to a down peer fails at the handshake timeout
// and opens nothing; activation needs the connection and takes a round
// trip, else fails after activateFailDly; deactivation takes a round
// trip; a close releases the connection once.
func TestEnvBearerJobs(t *testing.T) {
	cfg := envConfig(make([]float64, 3))
	e := newEnv(t, cfg, 4)
	now := clock.Time(time.Second)
	res := e.Dial(now, 0, 1, true)
	if res.Outcome != netmodel.DialFailed || res.At != now.Add(cfg.Bearer.HandshakeTimeout) || e.Bearer().NumConns() != 0 {
		t.Fatalf("dial to a down peer: %+v, %d connections: want a failure at %v and none", res, e.Bearer().NumConns(), now.Add(cfg.Bearer.HandshakeTimeout))
	}
	if at, ok := e.Activate(now, 0, 1); ok || at != now.Add(activateFailDly) {
		t.Errorf("activation without a connection: %v at %v, want false at %v", ok, at, now.Add(activateFailDly))
	}
	now = connect(t, e, now, 0, 1)
	if at, ok := e.Activate(now, 0, 1); !ok || at != now.Add(20*time.Millisecond) {
		t.Errorf("activation: %v at %v, want true a 20 ms round trip later", ok, at)
	}
	if at := e.Deactivate(now, 0, 1); at != now.Add(20*time.Millisecond) {
		t.Errorf("deactivation at %v, want a 20 ms round trip later", at)
	}
	if !e.Close(now, 0, 1) || e.Connected(0, 1) || e.Close(now, 0, 1) {
		t.Error("close: want the connection released once and gone")
	}
}

// TestEnvShareReply: an adversarial node's reply is longer than asked,
// another's is what its governor offered.
func TestEnvShareReply(t *testing.T) {
	cfg := envConfig(make([]float64, 4))
	cfg.Adversarial[1] = true
	e := newEnv(t, cfg, 3)
	if got := e.ShareReply(0, []node.PeerID{2}, 3); !slices.Equal(got, []node.PeerID{2}) {
		t.Errorf("node 0 replied %v, want what it offered, [2]", got)
	}
	got := e.ShareReply(1, []node.PeerID{2}, 3)
	if len(got) <= 3 || got[0] != 2 {
		t.Errorf("adversarial node 1 replied %v to a request for 3: want [2 …] longer than 3", got)
	}
	for _, id := range got {
		if id < 0 || id >= 4 {
			t.Errorf("adversarial reply %v names %d, not a node", got, id)
		}
	}
}

// govDriver runs governors against an Env alone: each action is answered
// as the World answers it, at the time Env gives, in time order.
type govDriver struct {
	e   *Env
	gov []*node.Governor
	q   []pending
	out node.GovOutbox
}

type pending struct {
	at   clock.Time
	to   int32
	in   node.Input
	conn netmodel.DialResult // a dial to complete (Env.Ready) first; Outcome 0: none
}

func (d *govDriver) push(p pending) { d.q = append(d.q, p) }

func (d *govDriver) step(now clock.Time, i int32, in node.Input) {
	d.out.Reset()
	wake := d.gov[i].Step(now, in, &d.out)
	for _, a := range d.out.Actions {
		in := node.Input{Peer: a.Peer}
		switch a.Kind {
		case node.ActConnect:
			res := d.e.Dial(now, i, a.Peer, false)
			in.Kind = node.InConnectFailed
			if res.Outcome != netmodel.DialFailed {
				in.Kind = node.InConnected
			}
			d.push(pending{at: res.At, to: i, in: in, conn: res})
			continue
		case node.ActActivate:
			at, ok := d.e.Activate(now, i, a.Peer)
			in.Kind = node.InActivateFailed
			if ok {
				in.Kind = node.InActivated
			}
			d.push(pending{at: at, to: i, in: in})
			continue
		case node.ActDeactivate:
			in.Kind = node.InDeactivated
			d.push(pending{at: d.e.Deactivate(now, i, a.Peer), to: i, in: in})
			continue
		case node.ActClose:
			d.e.Close(now, i, a.Peer)
			in.Kind = node.InClosed
		case node.ActShareRequest:
			in.Kind = node.InShareFailed
		case node.ActRequestRoots:
			in.Kind = node.InRoots
			in.Peers, in.Delay = d.e.Roots(i, int(a.Count), nil)
		case node.ActRequestBLP:
			in.Kind = node.InBigLedger
			in.Peers, in.Delay = d.e.BigLedgerPeers(i, int(a.Count), nil)
		default:
			continue
		}
		d.push(pending{at: now, to: i, in: in})
	}
	if wake != clock.Never && wake > now {
		d.push(pending{at: wake, to: i, in: node.Input{Kind: node.InTick}})
	}
}

// run delivers the pending inputs up to end, earliest first (ties in
// order of pushing).
func (d *govDriver) run(end clock.Time) {
	for len(d.q) > 0 {
		k := 0
		for j, p := range d.q {
			if p.at < d.q[k].at {
				k = j
			}
		}
		p := d.q[k]
		if p.at > end {
			return
		}
		d.q = slices.Delete(d.q, k, k+1)
		if p.conn.Outcome != 0 && !d.e.Ready(p.at, p.conn.Conn, p.conn.Outcome) {
			p.in.Kind = node.InConnectFailed
		}
		if p.in.Kind == node.InConnected {
			p.in.Delay = d.e.InputDelay(p.to, p.in.Peer, node.InConnected)
		}
		d.step(p.at, p.to, p.in)
	}
}

// TestEnvSample: four governors on local roots, run against the Env
// alone. Node 0 keeps 1 and 2 warm, one of them hot; 1 keeps 0 hot over
// the same, now duplex, connection; 3 keeps 0 hot but is down. The
// sample counts each node's known/established/active peers, its outbound
// warm and hot peers, the live nodes holding it warm or hot (not 3),
// its one-way and duplex connections and its promotions since the
// previous sample (none at the second); node 3's rows are zero.
func TestEnvSample(t *testing.T) {
	cfg := envConfig(make([]float64, 4))
	groups := [][]node.LocalRootGroup{
		{{Peers: []node.PeerID{1, 2}, HotValency: 1, WarmValency: 2}},
		{{Peers: []node.PeerID{0}, HotValency: 1, WarmValency: 1}},
		nil,
		{{Peers: []node.PeerID{0}, HotValency: 1, WarmValency: 1}},
	}
	d := &govDriver{}
	for i, g := range groups {
		c := &cfg.Governors[i]
		c.LedgerPeers, c.LocalRoots, c.Targets = false, g, node.Targets{Known: 2, Established: 2, Active: 1}
		gov, err := node.NewGovernor(*c, sim.Derive(9, "governor", uint64(i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		d.gov = append(d.gov, gov)
	}
	d.e = newEnv(t, cfg, 9)
	for i := range d.gov {
		d.step(0, int32(i), node.Input{Kind: node.InTick})
	}
	d.run(clock.Time(time.Minute))

	live := func(i int) bool { return i != 3 }
	v, include := d.e.Sample(d.gov, live)
	want := map[int]map[string]int64{
		0: {"known": 2, "established": 2, "active": 1, "outbound_warm": 1, "outbound_hot": 1,
			"inbound_warm": 0, "inbound_hot": 1, "unidirectional": 2, "duplex": 1, "promotions": 3},
		1: {"known": 1, "established": 1, "active": 1, "outbound_warm": 0, "outbound_hot": 1, "duplex": 1, "unidirectional": 0, "promotions": 2},
		2: {"known": 0, "outbound_hot": 0, "duplex": 0, "unidirectional": 1},
		3: {"known": 0, "established": 0, "active": 0, "outbound_hot": 0, "unidirectional": 0, "promotions": 0},
	}
	metric := func(name string) int {
		i := slices.Index(PeerMetricNames[:], name)
		if i < 0 {
			t.Fatalf("no metric %q", name)
		}
		return i
	}
	for i, m := range want {
		for name, x := range m {
			if got := v[metric(name)][i]; got != x {
				t.Errorf("node %d: %s %d, want %d", i, name, got, x)
			}
		}
		if include[i] != live(i) {
			t.Errorf("node %d included %v, want %v", i, include[i], live(i))
		}
	}
	// Nodes 1 and 2 together are held warm once and hot once by node 0.
	if w, h := v[metric("inbound_warm")][1]+v[metric("inbound_warm")][2], v[metric("inbound_hot")][1]+v[metric("inbound_hot")][2]; w != 1 || h != 1 {
		t.Errorf("nodes 1 and 2 held warm %d and hot %d times, want 1 and 1", w, h)
	}
	v, _ = d.e.Sample(d.gov, live)
	if p := v[metric("promotions")][0]; p != 0 {
		t.Errorf("node 0's promotions at an immediate second sample: %d, want 0 (since the previous sample)", p)
	}
	if k := v[metric("known")][0]; k != 2 {
		t.Errorf("node 0's known peers at the second sample: %d, want 2", k)
	}
}

// TestNewEnvErrors: lists of the wrong length and crashes outside the
// nodes are reported.
func TestNewEnvErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(c *P2PConfig)
	}{
		{"short stake", func(c *P2PConfig) { c.Stake = c.Stake[:2] }},
		{"crash node", func(c *P2PConfig) { c.Faults.Crashes = []Crash{{Node: 3, Down: time.Second}} }},
		{"crash without down", func(c *P2PConfig) { c.Faults.Crashes = []Crash{{Node: 1}} }},
	} {
		cfg := envConfig(make([]float64, 3))
		c.edit(&cfg)
		if _, err := NewEnv(cfg, fullMesh(3), 1); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
