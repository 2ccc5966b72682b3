package node

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
)

// traceMatchesActions checks a traced Step's outbox: every job the
// decisions started (connect, close, activate, deactivate, share and root
// requests) appears in the decision entry of its kind, and every decision
// entry's peers are the peers of its actions, in the same order.
func traceMatchesActions(out *GovOutbox) error {
	kindOf := map[GovTraceKind]GovActionKind{
		TracePromoteCold: ActConnect, TraceDemoteWarm: ActClose,
		TracePromoteWarm: ActActivate, TraceDemoteHot: ActDeactivate, TraceRequestShare: ActShareRequest,
	}
	traced := map[GovActionKind][]PeerID{}
	requests := map[GovActionKind]int{}
	for _, e := range out.Trace {
		if s := e.String(); strings.Contains(s, "%!") || s == "" {
			return fmt.Errorf("entry %+v formats as %q", e, s)
		}
		switch e.Kind {
		case TraceRequestRoots:
			requests[ActRequestRoots]++
		case TraceRequestBigLedger:
			requests[ActRequestBLP]++
		}
		if k, ok := kindOf[e.Kind]; ok {
			if len(e.Peers) == 0 {
				return fmt.Errorf("decision %v with no peers", e)
			}
			traced[k] = append(traced[k], e.Peers...)
		}
	}
	acted := map[GovActionKind][]PeerID{}
	for _, a := range out.Actions {
		switch a.Kind {
		case ActRequestRoots, ActRequestBLP:
			requests[a.Kind]--
		case ActClose:
			// A stale or violator's connect answer is closed without a
			// decision.
			if !slices.ContainsFunc(out.Trace, func(e GovTrace) bool {
				return e.Kind == TraceInput && e.Peer == a.Peer && e.Input == InConnected && !strings.HasPrefix(e.Outcome, "warm")
			}) {
				acted[a.Kind] = append(acted[a.Kind], a.Peer)
			}
		case ActConnect, ActActivate, ActDeactivate, ActShareRequest:
			acted[a.Kind] = append(acted[a.Kind], a.Peer)
		}
	}
	for k, n := range requests {
		if n != 0 {
			return fmt.Errorf("%v: traced and requested differ by %d", k, n)
		}
	}
	for _, k := range []GovActionKind{ActConnect, ActClose, ActActivate, ActDeactivate, ActShareRequest} {
		if !slices.Equal(traced[k], acted[k]) {
			return fmt.Errorf("%v: traced peers %v, actions %v", k, traced[k], acted[k])
		}
	}
	return nil
}

// lockstep runs two environments built by mk with the same seed, one
// tracing, and checks after every step that they took the same actions
// and ask to be woken at the same time, and that the trace matches the
// actions.
func lockstep(t *testing.T, mk func(t tb, seed uint64) *govEnv, seed uint64, until clock.Time) int {
	t.Helper()
	a, b := mk(t, seed), mk(t, seed)
	a.out.Tracing = true
	entries := 0
	for {
		okA, okB := a.next(until), b.next(until)
		if okA != okB || a.now != b.now || a.wake != b.wake || !slices.Equal(a.out.Actions, b.out.Actions) {
			t.Fatalf("seed %d at %v: tracing changed the step: wake %v vs %v, actions\n%v\nvs\n%v",
				seed, a.now, a.wake, b.wake, a.out.Actions, b.out.Actions)
		}
		if len(b.out.Trace) != 0 {
			t.Fatalf("at %v: an outbox without Tracing got a trace %v", b.now, b.out.Trace)
		}
		if err := traceMatchesActions(&a.out); err != nil {
			t.Fatalf("seed %d at %v: %v\ntrace %v", seed, a.now, err, a.out.Trace)
		}
		entries += len(a.out.Trace)
		if !okA {
			return entries
		}
	}
}

// TestGovernorTraceChangesNothing: with tracing on, the governor takes the
// same actions at the same times as with it off, from a cold start to the
// relay targets and through failing connects, forgetting and churn-like
// target changes; the trace names the peers of every action.
func TestGovernorTraceChangesNothing(t *testing.T) {
	failing := func(t tb, seed uint64) *govEnv {
		e := relayEnv(t, seed)
		e.connectOK = func(id PeerID) bool { return id%3 != 0 }
		return e
	}
	churned := func(t tb, seed uint64) *govEnv {
		e := relayEnv(t, seed)
		e.run(secs(600))
		low := RelayTargets
		low.Active, low.Established, low.Known = 12, 20, 100
		e.step(e.now, Input{Kind: InTargets, Targets: low})
		return e
	}
	for seed := uint64(1); seed <= 3; seed++ {
		n := lockstep(t, relayEnv, seed, secs(1200))
		n += lockstep(t, failing, seed, secs(1200))
		n += lockstep(t, churned, seed, secs(1200))
		if n == 0 {
			t.Fatal("no trace entries")
		}
	}
}

// TestGovTraceString pins the String form of each kind of entry.
func TestGovTraceString(t *testing.T) {
	for _, tc := range []struct {
		e    GovTrace
		want string
	}{
		{GovTrace{Kind: TraceRequestBigLedger, Count: 15, Have: 0, Target: 15}, "request-big-ledger: ask 15 (known big ledger 0 < target 15)"},
		{GovTrace{Kind: TraceForgetCold, Peers: []PeerID{4, 9}, Have: 152, Target: 150}, "forget-cold [4 9] (known 152 > target 150)"},
		{GovTrace{Kind: TraceRequestShare, Peers: []PeerID{3}, Count: 8, Have: 5, Target: 10, InFlight: 1},
			"request-share [3] for 8 each (known 5 < target 10, 1 requests in flight)"},
		{GovTrace{Kind: TracePromoteCold, Peers: []PeerID{17}, Have: 12, InFlight: 1, Target: 15},
			"promote-cold [17] (established 12 + 1 in flight < target 15)"},
		{GovTrace{Kind: TracePromoteCold, Class: ClassLocalRoot, Group: 1, Peers: []PeerID{5}, Have: 0, Target: 2},
			"promote-cold local-root group 1 [5] (group established 0 + 0 in flight < warm valency 2)"},
		{GovTrace{Kind: TracePromoteWarm, Class: ClassBigLedger, Peers: []PeerID{2}, Have: 4, Target: 5},
			"promote-warm big-ledger [2] (big ledger active 4 + 0 in flight < target 5)"},
		{GovTrace{Kind: TraceDemoteHot, Class: ClassLocalRoot, Group: 0, Peers: []PeerID{5}, Have: 2, Target: 1},
			"demote-hot local-root group 0 [5] (group active 2 - 0 in flight > hot valency 1)"},
		{GovTrace{Kind: TraceDemoteWarm, Peers: []PeerID{8}, Have: 31, Target: 30}, "demote-warm [8] (established 31 > target 30)"},
		{GovTrace{Kind: TraceInput, Input: InConnectFailed, Peer: 7, Outcome: "cold", FailCount: 3, AtWhat: "next connect", At: secs(32)},
			"connect-failed 7: cold, fail count 3, next connect at 32s"},
		{GovTrace{Kind: TraceInput, Input: InConnectFailed, Peer: 7, Outcome: "cold", FailCount: 6, Forgotten: true},
			"connect-failed 7: cold, fail count 6, forgotten"},
		{GovTrace{Kind: TraceInput, Input: InRoots, Outcome: "answered", Count: 3, AtWhat: "next request", At: clock.Time(5500 * time.Millisecond)},
			"roots: answered, 3 new, next request at 5.5s"},
		{GovTrace{Kind: TraceInput, Input: InTargets, Outcome: "taken", Targets: RelayTargets},
			"targets: taken: root 60 known 150 established 30 active 20, big ledger 15/10/5"},
		{GovTrace{Kind: TraceShareTimeout, Peer: 4}, "share-timeout 4"},
		{GovTrace{Kind: TraceLivelock, Count: 1000}, "livelock: 1000 decisions in one step"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if got := FormatTime(clock.Never); got != "never" {
		t.Errorf("FormatTime(Never) = %q", got)
	}
}

// BenchmarkGovernorStepTraced is BenchmarkGovernorStep with tracing on:
// what a trace costs when asked for.
func BenchmarkGovernorStepTraced(b *testing.B) { benchGovernorStep(b, true) }
