package node

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/clock"
)

// The governor's trace (ouroboros-network's governor returns a trace with
// each decision; DESIGN.md's Output{Actions, Trace, WakeAt}). A Step
// records one GovTrace per decision it takes, in the order it takes them,
// when its outbox asks for it (GovOutbox.Tracing): the input's outcome
// first (a monitoring decision of spec/governor.md §2.1), then each
// progress decision with the numbers of the guard that enabled it. Off,
// Step records nothing: every recording is behind one test of the flag,
// and the decisions, their order and the random draws are the same either
// way.

// GovTraceKind says which decision a GovTrace records.
type GovTraceKind uint8

// The traced decisions: the progress decisions in decide's order, then
// the monitoring of inputs and the time-based moves of Step.
const (
	TraceRequestBigLedger GovTraceKind = iota // asked for Count big ledger peers: known BLP Have < Target
	TraceForgetBigLedger                      // forgot cold big ledger peers Peers: known BLP Have > Target
	TraceRequestRoots                         // asked for Count root peers: roots Have < Target
	TraceLearnInbound                         // learnt Peers from their inbound connections: known Have < Target
	TraceRequestShare                         // asked Peers for Count peers each: known Have < Target, InFlight requests
	TraceForgetCold                           // forgot cold peers Peers: known Have > Target
	TracePromoteCold                          // connect to Peers: established Have + InFlight < Target
	TraceDemoteWarm                           // close Peers: established Have > Target
	TracePromoteWarm                          // activate Peers: active Have + InFlight < Target
	TraceDemoteHot                            // deactivate Peers: active Have − InFlight > Target
	TraceInput                                // handled Input about Peer: Outcome
	TraceShareTimeout                         // the peer-sharing request to Peer timed out
	TraceClearFailCount                       // Peer's fail count was cleared
	TraceLivelock                             // Count decisions in one Step: MaxDecisionsPerStep reached
	TraceOnlyBootstrap                        // quiesced in the sensitive state: Targets taken
	TraceCriticalTimeout                      // not quiesced by At: ActCriticalTimeout
	numTraceKinds
)

var traceKindNames = [numTraceKinds]string{"request-big-ledger", "forget-big-ledger", "request-roots",
	"learn-inbound", "request-share", "forget-cold", "promote-cold", "demote-warm", "promote-warm",
	"demote-hot", "input", "share-timeout", "clear-fail-count", "livelock", "only-bootstrap", "critical-timeout"}

func (k GovTraceKind) String() string {
	if k < numTraceKinds {
		return traceKindNames[k]
	}
	return fmt.Sprintf("GovTraceKind(%d)", uint8(k))
}

// PeerClass says whose promotion or demotion a decision is: the sub-order
// of the established and active decisions (spec/governor.md §2.1).
type PeerClass uint8

// Peer classes.
const (
	ClassOther     PeerClass = iota // neither big ledger peers nor local roots
	ClassBigLedger                  // big ledger peers
	ClassLocalRoot                  // the members of one local-root group
)

// GovTrace is one decision of a Step.
type GovTrace struct {
	Kind GovTraceKind
	// Class and Group: the peers a promotion or demotion is for; Group
	// is the local-root group when Class is ClassLocalRoot.
	Class PeerClass
	Group int
	// Peers are the peers picked, learnt or forgotten (a copy).
	Peers []PeerID
	// Have, InFlight and Target are the numbers of the decision's guard:
	// the count it compares (with the jobs in flight) to its target, or
	// to the group's valency.
	Have, InFlight, Target int
	// Count is the number of peers asked for (requests), new roots
	// (TraceInput of root results), returned peers (peer-sharing
	// replies) or decisions (TraceLivelock).
	Count int

	// Input is the input a TraceInput handled, Peer its peer, Outcome
	// what it did ("ignored" when it found the peer in no state to take
	// it: a stale answer).
	Input   InputKind
	Peer    PeerID
	Outcome string
	// FailCount is the peer's fail count after a failure; Forgotten
	// says that the failure made the governor forget the peer.
	FailCount int
	Forgotten bool
	// At is a time the input set, named by AtWhat ("next connect",
	// "next activate", "next request", "fail count clears", "next share
	// request"); AtWhat is empty when there is none.
	AtWhat string
	At     clock.Time
	// Targets are the targets an InTargets input carried.
	Targets Targets
}

// String returns the entry as one line, as the scripted tests print it:
// the decision, its peers, and the guard's numbers in parentheses.
func (e GovTrace) String() string {
	var b strings.Builder
	b.WriteString(e.Kind.String())
	switch e.Kind {
	case TraceRequestBigLedger:
		fmt.Fprintf(&b, ": ask %d (known big ledger %d < target %d)", e.Count, e.Have, e.Target)
	case TraceForgetBigLedger:
		fmt.Fprintf(&b, " %v (known big ledger %d > target %d)", e.Peers, e.Have, e.Target)
	case TraceRequestRoots:
		fmt.Fprintf(&b, ": ask %d (roots %d < target %d)", e.Count, e.Have, e.Target)
	case TraceLearnInbound:
		fmt.Fprintf(&b, " %v (known %d < target %d)", e.Peers, e.Have, e.Target)
	case TraceRequestShare:
		fmt.Fprintf(&b, " %v for %d each (known %d < target %d, %d requests in flight)", e.Peers, e.Count, e.Have, e.Target, e.InFlight)
	case TraceForgetCold:
		fmt.Fprintf(&b, " %v (known %d > target %d)", e.Peers, e.Have, e.Target)
	case TracePromoteCold, TracePromoteWarm:
		what := "established"
		if e.Kind == TracePromoteWarm {
			what = "active"
		}
		fmt.Fprintf(&b, "%s %v (%s%s %d + %d in flight < %s %d)", e.classString(), e.Peers, e.classPrefix(), what, e.Have, e.InFlight, e.targetName(), e.Target)
	case TraceDemoteWarm:
		fmt.Fprintf(&b, "%s %v (%sestablished %d > %s %d)", e.classString(), e.Peers, e.classPrefix(), e.Have, e.targetName(), e.Target)
	case TraceDemoteHot:
		fmt.Fprintf(&b, "%s %v (%sactive %d - %d in flight > %s %d)", e.classString(), e.Peers, e.classPrefix(), e.Have, e.InFlight, e.targetName(), e.Target)
	case TraceInput:
		return e.inputString()
	case TraceShareTimeout, TraceClearFailCount:
		fmt.Fprintf(&b, " %d", e.Peer)
	case TraceLivelock:
		fmt.Fprintf(&b, ": %d decisions in one step", e.Count)
	case TraceOnlyBootstrap:
		fmt.Fprintf(&b, ": quiesced, targets %s", formatTargets(e.Targets))
	case TraceCriticalTimeout:
		fmt.Fprintf(&b, ": not quiesced at %s, restart the node", FormatTime(e.At))
	}
	return b.String()
}

func (e GovTrace) classString() string {
	switch e.Class {
	case ClassBigLedger:
		return " big-ledger"
	case ClassLocalRoot:
		return " local-root group " + strconv.Itoa(e.Group)
	}
	return ""
}

func (e GovTrace) classPrefix() string {
	switch e.Class {
	case ClassBigLedger:
		return "big ledger "
	case ClassLocalRoot:
		return "group "
	}
	return ""
}

func (e GovTrace) targetName() string {
	switch {
	case e.Class != ClassLocalRoot:
		return "target"
	case e.Kind == TracePromoteCold || e.Kind == TraceDemoteWarm:
		return "warm valency"
	}
	return "hot valency"
}

// inputHasPeer says which inputs are about one peer.
func inputHasPeer(k InputKind) bool {
	switch k {
	case InTick, InRoots, InRootsFailed, InBigLedger, InBigLedgerFailed, InTargets, InMode, InJudgement:
		return false
	}
	return true
}

func (e GovTrace) inputString() string {
	var b strings.Builder
	b.WriteString(e.Input.String())
	if inputHasPeer(e.Input) {
		fmt.Fprintf(&b, " %d", e.Peer)
	}
	b.WriteString(": ")
	b.WriteString(e.Outcome)
	switch {
	case e.Input == InTargets:
		fmt.Fprintf(&b, ": %s", formatTargets(e.Targets))
	case (e.Input == InRoots || e.Input == InBigLedger) && e.Outcome == "answered":
		fmt.Fprintf(&b, ", %d new", e.Count)
	case e.Input == InShareReply && e.Outcome == "answered":
		fmt.Fprintf(&b, ", %d returned, learnt %v", e.Count, e.Peers)
	case e.Input == InJudgement && len(e.Peers) > 0:
		fmt.Fprintf(&b, ", bootstrap peers forgotten %v", e.Peers)
	}
	if e.FailCount > 0 {
		fmt.Fprintf(&b, ", fail count %d", e.FailCount)
	}
	if e.Forgotten {
		b.WriteString(", forgotten")
	}
	if e.AtWhat != "" {
		fmt.Fprintf(&b, ", %s at %s", e.AtWhat, FormatTime(e.At))
	}
	return b.String()
}

// formatTargets writes targets as root/known/established/active and the
// big ledger known/established/active.
func formatTargets(t Targets) string {
	return fmt.Sprintf("root %d known %d established %d active %d, big ledger %d/%d/%d",
		t.Root, t.Known, t.Established, t.Active, t.KnownBLP, t.EstablishedBLP, t.ActiveBLP)
}

// FormatTime writes t in seconds with no trailing zeros ("32.5s", "300s"),
// or "never": the form of the scripted tests.
func FormatTime(t clock.Time) string {
	if t == clock.Never {
		return "never"
	}
	return strconv.FormatFloat(t.Seconds(), 'f', -1, 64) + "s"
}

// trace appends e to the outbox's trace.
func (o *GovOutbox) trace(e GovTrace) { o.Trace = append(o.Trace, e) }

// decision records a progress decision that picked ids, when tracing.
func (o *GovOutbox) decision(k GovTraceKind, c PeerClass, group int, ids []PeerID, have, inFlight, target int) {
	if o.Tracing {
		o.recordDecision(k, c, group, ids, have, inFlight, target)
	}
}

func (o *GovOutbox) recordDecision(k GovTraceKind, c PeerClass, group int, ids []PeerID, have, inFlight, target int) {
	if len(ids) > 0 {
		o.trace(GovTrace{Kind: k, Class: c, Group: group, Peers: slices.Clone(ids), Have: have, InFlight: inFlight, Target: target})
	}
}

// input records the outcome of the input in, when tracing.
func (o *GovOutbox) input(in Input, outcome string) {
	if o.Tracing {
		o.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Peer: in.Peer, Outcome: outcome})
	}
}

// inputAt records the outcome of in with a time it set, when tracing.
func (o *GovOutbox) inputAt(in Input, outcome, atWhat string, at clock.Time) {
	if o.Tracing {
		o.trace(GovTrace{Kind: TraceInput, Input: in.Kind, Peer: in.Peer, Outcome: outcome, AtWhat: atWhat, At: at})
	}
}
