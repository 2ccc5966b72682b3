package node

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/datadriven"
)

// TestGovernorScripts runs the scripted interaction tests of
// testdata/governor: a governor is made from a configuration, fed inputs
// at given times, and each step prints its trace, its actions and its
// next wake-up. Regenerate the expected outputs with
//
//	go test ./node -run TestGovernorScripts -rewrite
//
// and check the diff against spec/governor.md before committing it.
//
// Commands:
//
//	governor targets=(root, known, est, active, knownBLP, estBLP, activeBLP)
//	         [seed=N] [peer-sharing] [ledger-peers] [max-retries=N] [policy=first|cardano]
//	         [use-bootstrap] [genesis] [min-blp-trust=N] [judgement=too-old|young-enough]
//	         [bootstrap-timeout=D]
//	  local peers=(...) hot=N warm=N [advertise] [initiator-only] [behind-firewall] [trustable]
//	  public peers=(...) [advertise]
//	  bootstrap peers=(...)
//	    makes the governor (input lines: the roots) and prints its state;
//	    policy=first (the default) picks the lowest ids, cardano the
//	    production random picks from the seed;
//	<input> at=T|+D|wake [peers=(...)] [peer=P] [reply=(...)] [sharing=B] [delay=D]
//	        [ttl=D] [targets=(...)] [mode=M] [judgement=J]
//	    feeds one input (an InputKind name: tick, connected, connect-failed,
//	    activated, activate-failed, deactivated, closed, async-warm,
//	    async-cooling, async-cold, share-reply, share-failed, roots,
//	    roots-failed, big-ledger, big-ledger-failed, targets, inbound-up,
//	    inbound-down, violation, mode, judgement) at time T (a duration since the
//	    start), D after the last step, or at the last step's wake-up
//	    time; with peers=(...) one input per peer, in order, at the same
//	    time;
//	state
//	    prints the targets, the counts and the peer table;
//	status
//	    prints the judgement, the sensitive state, the association mode
//	    and the outbound state (gov_lsj.go).
//
// Every Step is followed by the governor's invariant checks.
func TestGovernorScripts(t *testing.T) {
	datadriven.RunDir(t, "testdata/governor", func() func(*testing.T, *datadriven.TestData) string {
		return (&govScript{}).run
	})
}

type govScript struct {
	g    *Governor
	now  clock.Time
	wake clock.Time
	out  GovOutbox
}

func (s *govScript) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "governor":
		return s.create(t, d)
	case "state":
		s.need(t, d)
		return s.state()
	case "status":
		s.need(t, d)
		return s.status()
	}
	for k := InputKind(0); k < numInputs; k++ {
		if k.String() == d.Cmd {
			s.need(t, d)
			return s.input(t, d, k)
		}
	}
	d.Fatalf(t, "unknown command")
	return ""
}

func (s *govScript) need(t *testing.T, d *datadriven.TestData) {
	if s.g == nil {
		d.Fatalf(t, "no governor: start the script with the governor command")
	}
}

// scanTargets reads a targets=(...) argument: the seven targets in the
// order of the Targets struct.
func scanTargets(t *testing.T, d *datadriven.TestData, key string) Targets {
	var v []int
	d.ScanArgs(t, key, &v)
	if len(v) != 7 {
		d.Fatalf(t, "%s: want 7 values (root, known, established, active, knownBLP, establishedBLP, activeBLP), got %d", key, len(v))
	}
	return Targets{Root: v[0], Known: v[1], Established: v[2], Active: v[3], KnownBLP: v[4], EstablishedBLP: v[5], ActiveBLP: v[6]}
}

// scanMode reads an optional mode=deadline|bulk-sync|genesis argument
// into mode and reports whether it was there.
func scanMode(t *testing.T, d *datadriven.TestData, mode *ChurnMode) bool {
	var name string
	if !d.MaybeScanArgs(t, "mode", &name) {
		return false
	}
	for m := ChurnDeadline; m <= ChurnGenesis; m++ {
		if m.String() == name {
			*mode = m
			return true
		}
	}
	d.Fatalf(t, "mode=%s: want deadline, bulk-sync or genesis", name)
	return false
}

// scanJudgement reads an optional judgement=too-old|young-enough
// argument into j and reports whether it was there.
func scanJudgement(t *testing.T, d *datadriven.TestData, j *LSJ) bool {
	var name string
	if !d.MaybeScanArgs(t, "judgement", &name) {
		return false
	}
	for k := YoungEnough; k <= TooOld; k++ {
		if k.String() == name {
			*j = k
			return true
		}
	}
	d.Fatalf(t, "judgement=%s: want too-old or young-enough", name)
	return false
}

// firstPolicy picks the lowest ids: scripts stay easy to check by hand.
type firstPolicy struct{}

func (firstPolicy) Pick(_ Decision, _ PeerView, cands []PeerID, n int, _ *rand.Rand, dst []PeerID) []PeerID {
	return append(dst, cands[:n]...)
}

func (s *govScript) create(t *testing.T, d *datadriven.TestData) string {
	cfg := GovernorConfig{Self: 0, Timing: DefaultTiming(), Targets: scanTargets(t, d, "targets"), Policy: firstPolicy{}}
	seed := uint64(1)
	d.MaybeScanArgs(t, "seed", &seed)
	cfg.PeerSharing = d.HasArg("peer-sharing")
	cfg.LedgerPeers = d.HasArg("ledger-peers")
	d.MaybeScanArgs(t, "max-retries", &cfg.Timing.MaxConnectionRetries)
	policy := "first"
	d.MaybeScanArgs(t, "policy", &policy)
	switch policy {
	case "first":
	case "cardano":
		cfg.Policy = &CardanoPolicy{}
	default:
		d.Fatalf(t, "policy=%s: want first or cardano", policy)
	}
	cfg.UseBootstrap = d.HasArg("use-bootstrap")
	cfg.Genesis = d.HasArg("genesis")
	d.MaybeScanArgs(t, "min-blp-trust", &cfg.MinBigLedgerForTrust)
	d.MaybeScanArgs(t, "bootstrap-timeout", &cfg.Timing.BootstrapTimeout)
	scanJudgement(t, d, &cfg.InitialJudgement)
	for _, c := range d.InputCommands(t) {
		var peers []PeerID
		c.ScanArgs(t, "peers", &peers)
		advertise := c.HasArg("advertise")
		switch c.Cmd {
		case "local":
			grp := LocalRootGroup{Peers: peers, Advertise: advertise,
				InitiatorOnly: c.HasArg("initiator-only"), BehindFirewall: c.HasArg("behind-firewall"),
				Trustable: c.HasArg("trustable")}
			c.ScanArgs(t, "hot", &grp.HotValency)
			c.ScanArgs(t, "warm", &grp.WarmValency)
			cfg.LocalRoots = append(cfg.LocalRoots, grp)
		case "public":
			for _, p := range peers {
				cfg.PublicRoots = append(cfg.PublicRoots, PublicRoot{Peer: p, Advertise: advertise})
			}
		case "bootstrap":
			cfg.Bootstrap = append(cfg.Bootstrap, peers...)
		default:
			c.Fatalf(t, "want local, public or bootstrap")
		}
	}
	var b strings.Builder
	_, warnings := RepairGroups(cfg.LocalRoots)
	for _, w := range warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	g, err := NewGovernor(cfg, rand.New(rand.NewPCG(seed, 1)), nil)
	if err != nil {
		return b.String() + "error: " + err.Error()
	}
	s.g, s.now, s.wake = g, 0, 0
	s.out = GovOutbox{Tracing: true}
	return b.String() + s.state()
}

// input feeds the input kind k described by d, once per peer.
func (s *govScript) input(t *testing.T, d *datadriven.TestData, k InputKind) string {
	now, header := s.scanAt(t, d)
	if strings.HasPrefix(header, "error:") {
		return strings.TrimSuffix(header, "\n")
	}
	in := Input{Kind: k, Sharing: true}
	var peers []PeerID
	if inputHasPeer(k) {
		if !d.MaybeScanArgs(t, "peers", &peers) {
			d.ScanArgs(t, "peer", &in.Peer)
			peers = []PeerID{in.Peer}
		}
	}
	d.MaybeScanArgs(t, "reply", &in.Peers)
	d.MaybeScanArgs(t, "sharing", &in.Sharing)
	d.MaybeScanArgs(t, "delay", &in.Delay)
	d.MaybeScanArgs(t, "ttl", &in.Delay)
	if k == InTargets {
		in.Targets = scanTargets(t, d, "targets")
	}
	if k == InMode && !scanMode(t, d, &in.Mode) {
		d.Fatalf(t, "missing argument mode")
	}
	if k == InJudgement && !scanJudgement(t, d, &in.Judgement) {
		d.Fatalf(t, "missing argument judgement")
	}
	s.out.Reset()
	if peers == nil {
		s.step(t, d, now, in)
	}
	for _, p := range peers {
		in.Peer = p
		s.step(t, d, now, in)
	}
	return header + s.report()
}

// scanAt reads the at= argument: a duration since the start, "wake" (the
// last step's wake-up time) or "+D" (D after the last step); the header
// then names the time.
func (s *govScript) scanAt(t *testing.T, d *datadriven.TestData) (now clock.Time, header string) {
	var at string
	d.ScanArgs(t, "at", &at)
	if at == "wake" {
		if s.wake == clock.Never {
			return s.now, "error: at=wake, but the governor asked to be woken never; the input is not fed\n"
		}
		return s.wake, fmt.Sprintf("at %s\n", FormatTime(s.wake))
	}
	rel, relative := strings.CutPrefix(at, "+")
	dur, err := time.ParseDuration(rel)
	if err != nil {
		d.Fatalf(t, "at=%s: want a duration, +duration or wake", at)
	}
	if relative {
		now = s.now.Add(dur)
		return now, fmt.Sprintf("at %s\n", FormatTime(now))
	}
	if now = clock.Time(dur); now < s.now {
		d.Fatalf(t, "at=%s is before the last step's %s", at, FormatTime(s.now))
	}
	return now, ""
}

// step feeds one input, appending to the outbox, and checks the invariants.
func (s *govScript) step(t *testing.T, d *datadriven.TestData, now clock.Time, in Input) {
	s.now = now
	s.wake = s.g.Step(now, in, &s.out)
	if err := s.g.Check(now); err != nil {
		d.Fatalf(t, "after %v %d: %v", in.Kind, in.Peer, err)
	}
	if err := s.g.checkTally(); err != nil {
		d.Fatalf(t, "after %v %d: %v", in.Kind, in.Peer, err)
	}
}

// report prints the last input's trace, actions and wake-up time.
func (s *govScript) report() string {
	var b strings.Builder
	if len(s.out.Trace) > 0 {
		b.WriteString("trace:\n")
		for _, e := range s.out.Trace {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	if len(s.out.Actions) > 0 {
		b.WriteString("actions:\n")
		for _, a := range s.out.Actions {
			fmt.Fprintf(&b, "  %s\n", formatGovAction(a))
		}
	}
	fmt.Fprintf(&b, "wake at %s", FormatTime(s.wake))
	return b.String()
}

func formatGovAction(a GovAction) string {
	switch a.Kind {
	case ActRequestRoots, ActRequestBLP:
		if a.Bootstrap {
			return fmt.Sprintf("%v %d bootstrap", a.Kind, a.Count)
		}
		return fmt.Sprintf("%v %d", a.Kind, a.Count)
	case ActCriticalTimeout:
		return a.Kind.String()
	case ActShareRequest:
		return fmt.Sprintf("%v %d for %d", a.Kind, a.Peer, a.Count)
	case ActConnect:
		if a.InitiatorOnly {
			return fmt.Sprintf("%v %d initiator-only", a.Kind, a.Peer)
		}
	}
	return fmt.Sprintf("%v %d", a.Kind, a.Peer)
}

// progressNames name the in-progress bits in the state table.
var progressNames = []struct {
	bit  Progress
	name string
}{{PromoteCold, "connecting"}, {PromoteWarm, "activating"}, {DemoteWarm, "closing"}, {DemoteHot, "deactivating"}, {DemoteToCold, "cooling"}}

// state prints the targets, the counts and one line per known peer.
func (s *govScript) state() string {
	var b strings.Builder
	g := s.g
	fmt.Fprintf(&b, "targets: %s\n", formatTargets(g.Targets()))
	c := g.Counts()
	fmt.Fprintf(&b, "counts: root %d known %d established %d active %d, big ledger %d/%d/%d\n",
		c.Root, c.Known, c.Established, c.Active, c.KnownBLP, c.EstablishedBLP, c.ActiveBLP)
	for _, p := range g.Peers() {
		fmt.Fprintf(&b, "  %d %v", p.ID, p.Source)
		if p.IsLocal() {
			fmt.Fprintf(&b, " group %d", p.Group)
		}
		fmt.Fprintf(&b, " %v", p.State)
		for _, pn := range progressNames {
			if p.Progress&pn.bit != 0 {
				fmt.Fprintf(&b, " %s", pn.name)
			}
		}
		if p.Tepid {
			b.WriteString(" tepid")
		}
		if p.FailCount > 0 {
			fmt.Fprintf(&b, " fail %d", p.FailCount)
		}
		if p.State == Cold && p.NextConnect > s.now {
			fmt.Fprintf(&b, " next-connect %s", FormatTime(p.NextConnect))
		}
		if p.State == Warm && p.NextActivate > s.now {
			fmt.Fprintf(&b, " next-activate %s", FormatTime(p.NextActivate))
		}
		if p.State != Cold && p.Sharing == SharingEnabled {
			fmt.Fprintf(&b, " shares-from %s", FormatTime(p.NextShare))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// status prints the judgement and the states that depend on it.
func (s *govScript) status() string {
	g := s.g
	var b strings.Builder
	fmt.Fprintf(&b, "judgement %v", g.Judgement())
	switch {
	case g.Aborted():
		b.WriteString(", aborted")
	case g.OnlyBootstrap():
		b.WriteString(", sensitive, only bootstrap peers")
	case g.Sensitive():
		fmt.Fprintf(&b, ", sensitive, quiescing until %s", FormatTime(g.CriticalDeadline()))
	}
	fmt.Fprintf(&b, "\nassociation %v, outbound %v", g.Association(), g.OutboundState())
	return b.String()
}
