package node

import (
	"strings"
	"testing"

	"github.com/dpsim/dpsim/clock"
)

// checkJudgement checks the sensitive state after a Step (gov_lsj.go,
// spec §2.9) against the model: the judgement and Sensitive agree with
// what was told; the node enters the state with its critical deadline at
// entry + BootstrapTimeout; it quiesces exactly when the model's quiesce
// condition holds (nothing in flight that was in flight before the Step;
// not left unnoticed once it holds); the deadline is pending exactly
// while it has not quiesced.
func (s *govSM) checkJudgement(in Input, jobsBefore []smJob) {
	t, g := s.t, s.g
	sensitive := s.cfg.UseBootstrap && !s.cfg.Genesis && s.lsj == TooOld
	if g.Judgement() != s.lsj || g.Sensitive() != sensitive {
		t.Fatalf("at %v after %v: judgement %v sensitive %v, want %v %v", s.now, in.Kind, g.Judgement(), g.Sensitive(), s.lsj, sensitive)
	}
	if g.Aborted() {
		return // absorb checked the critical timeout
	}
	timeout := s.cfg.Timing.BootstrapTimeout
	switch {
	case sensitive && !s.entered:
		s.entered, s.enteredAt, s.quiesced = true, s.now, false
	case !sensitive:
		s.entered, s.quiesced = false, false
	}
	if s.entered && !s.quiesced && g.OnlyBootstrap() {
		// Quiesced in this Step: what was in flight before it and is
		// still in flight was in flight when it quiesced.
		for _, j := range jobsBefore {
			if !j.stale && quiesceBlocks(j.kind) && s.liveJob(j.kind, j.peer) >= 0 {
				t.Fatalf("at %v after %v: quiesced with a %v job for %d in flight", s.now, in.Kind, j.kind, j.peer)
			}
		}
		s.quiesced = true
	}
	switch {
	case s.quiesced && !g.OnlyBootstrap():
		t.Fatalf("at %v after %v: hasOnlyBootstrapPeers dropped while sensitive", s.now, in.Kind)
	case s.entered && !s.quiesced:
		if d := g.CriticalDeadline(); d != s.enteredAt.Add(timeout) || d <= s.now {
			t.Fatalf("at %v: sensitive since %v, critical deadline %v, want %v", s.now, s.enteredAt, d, s.enteredAt.Add(timeout))
		}
		// The wake-time contract: woken at the deadline at the latest.
		if s.wake > s.enteredAt.Add(timeout) {
			t.Fatalf("at %v: critical deadline %v pending, but the governor wakes at %v", s.now, s.enteredAt.Add(timeout), s.wake)
		}
		if s.quiet() {
			t.Fatalf("at %v after %v: quiesced (known %v, jobs %+v) but hasOnlyBootstrapPeers not set", s.now, in.Kind, g.Peers(), s.jobs)
		}
	case g.CriticalDeadline() != clock.Never:
		t.Fatalf("at %v: critical deadline %v outside the sensitive state's quiescing", s.now, g.CriticalDeadline())
	}
}

// quiesceBlocks: jobs in flight that keep a sensitive node from quiescing.
func quiesceBlocks(k GovActionKind) bool {
	switch k {
	case ActConnect, ActActivate, ActShareRequest, ActRequestRoots, ActRequestBLP:
		return true
	}
	return false
}

// quiet is the model's quiesce condition while holding (the local roots
// are dropped then): nothing in flight, every known peer a configured
// bootstrap peer known as one.
func (s *govSM) quiet() bool {
	for _, j := range s.jobs {
		if !j.stale && quiesceBlocks(j.kind) {
			return false
		}
	}
	for _, p := range s.g.Peers() {
		if !s.bootSet[p.ID] || p.Source&SrcBootstrap == 0 {
			return false
		}
	}
	return true
}

// checkTrust checks, after every Step, that a quiesced sensitive node
// knows only configured bootstrap peers and members of trustable groups,
// and that the association mode and outbound state match their
// definitions (spec §1.4), computed here from the configuration and the
// peer table.
func (s *govSM) checkTrust() {
	t, g := s.t, s.g
	useBoot := s.cfg.UseBootstrap && !s.cfg.Genesis
	if g.Sensitive() && g.OnlyBootstrap() {
		for _, p := range g.Peers() {
			if !s.bootSet[p.ID] && !s.trustable[p.ID] {
				t.Fatalf("at %v: sensitive and quiesced, but %d (%v) is neither a bootstrap peer nor a trustable local root", s.now, p.ID, p.Source)
			}
		}
	}
	assoc := Unrestricted
	if !s.cfg.LedgerPeers && !s.cfg.PeerSharing && (!useBoot || len(s.cfg.Bootstrap) == 0) {
		assoc = LocalRootsOnly
	}
	trustedOnly, bootOK, bootHot, hotBLP := true, true, false, 0
	for _, p := range g.Peers() {
		if p.IsBLP() {
			hotBLP += b2i(p.State == Hot)
			continue
		}
		if !p.Established() {
			continue
		}
		local := p.IsLocal() && s.trustable[p.ID]
		boot := p.Source&SrcBootstrap != 0
		trustedOnly = trustedOnly && local
		bootOK = bootOK && (local || boot)
		bootHot = bootHot || boot && p.State == Hot
	}
	need := s.cfg.MinBigLedgerForTrust
	if need == 0 {
		need = 5
	}
	var want bool
	switch {
	case assoc == LocalRootsOnly:
		want = trustedOnly
	case useBoot:
		want = bootOK && bootHot
	case s.cfg.Genesis:
		want = hotBLP >= need
	}
	if g.Association() != assoc || (g.OutboundState() == Trusted) != want {
		t.Fatalf("at %v: association %v outbound %v, want %v trusted=%v", s.now, g.Association(), g.OutboundState(), assoc, want)
	}
}

// TestJudgementCheck: the configuration checks of the judgement.
func TestJudgementCheck(t *testing.T) {
	base := GovernorConfig{Self: 0, Timing: DefaultTiming(), Targets: RelayTargets}
	for _, c := range []struct {
		name string
		edit func(*GovernorConfig)
		want string // "" = valid
	}{
		{"defaults", func(*GovernorConfig) {}, ""},
		{"bootstrap list", func(c *GovernorConfig) { c.UseBootstrap, c.Bootstrap = true, []PeerID{3} }, ""},
		{"empty list, trustable root", func(c *GovernorConfig) {
			c.UseBootstrap = true
			c.LocalRoots = []LocalRootGroup{{Peers: []PeerID{1}, HotValency: 1, WarmValency: 1, Trustable: true}}
		}, ""},
		{"empty list, no trustable root", func(c *GovernorConfig) {
			c.UseBootstrap = true
			c.LocalRoots = []LocalRootGroup{{Peers: []PeerID{1}, HotValency: 1, WarmValency: 1}}
		}, "no trustable local root"},
		{"Genesis ignores bootstrap", func(c *GovernorConfig) { c.UseBootstrap, c.Genesis = true, true }, ""},
		{"no timeout", func(c *GovernorConfig) {
			c.UseBootstrap, c.Bootstrap, c.Timing.BootstrapTimeout = true, []PeerID{3}, 0
		}, "BootstrapTimeout"},
		{"no timeout unused", func(c *GovernorConfig) { c.Timing.BootstrapTimeout = 0 }, ""},
		{"bad judgement", func(c *GovernorConfig) { c.InitialJudgement = 2 }, "InitialJudgement"},
		{"negative trust", func(c *GovernorConfig) { c.MinBigLedgerForTrust = -1 }, "MinBigLedgerForTrust"},
		{"trust above cap", func(c *GovernorConfig) { c.MinBigLedgerForTrust = MaxActiveTarget + 1 }, "MinBigLedgerForTrust"},
	} {
		cfg := base
		c.edit(&cfg)
		err := cfg.Check()
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Check() = %v, want %q", c.name, err, c.want)
		}
	}
}
