package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
)

// Problem is one thing wrong with a scenario. Line and Col are 1-based and 0
// when unknown (a scenario built in Go, or a field that was not written).
type Problem struct {
	File      string
	Line, Col int
	Field     string // field path, e.g. "nodes.classes[1].count"; empty for the whole file
	Value     string // the offending value as written; empty when there is none
	Msg       string // what is wrong and what is accepted
}

// Error formats the problem as `file:line:col: field: value "x": msg`,
// leaving out the parts that are unknown.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if p.File != "" {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	if p.Value != "" {
		b.WriteString("value ")
		b.WriteString(strconv.Quote(p.Value))
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a scenario. As an error it prints one
// problem per line.
type Problems []Problem

// Error implements error.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders problems by position, whole-file problems (line 0) first,
// keeping the order of problems at the same position.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := a.Line - b.Line; c != 0 {
			return c
		}
		return a.Col - b.Col
	})
}

// capped keeps the first MaxProblems problems and says how many were left
// out, so a hostile file cannot produce a megabyte of error text.
func (ps Problems) capped() Problems {
	if len(ps) <= MaxProblems {
		return ps
	}
	last := ps[MaxProblems-1]
	out := append(ps[:MaxProblems:MaxProblems], Problem{File: last.File,
		Msg: fmt.Sprintf("and %d more problems not shown", len(ps)-MaxProblems)})
	return out
}

// Validate checks a defaulted scenario against every rule of the v1 schema
// and returns all problems, nil when there are none. It does not read the
// files the scenario names. For a scenario from Parse it also reports fields
// written in the file that do not apply to the chosen model.
func Validate(s *Scenario) Problems {
	v := &validator{s: s}
	v.top()
	v.nodes()
	v.pools()
	v.network()
	v.topology()
	v.blocks()
	v.p2p()
	v.compare()
	v.cluster()
	v.check()
	v.adversary()
	v.syncing()
	v.probs.sort()
	return v.probs
}

type validator struct {
	s     *Scenario
	probs Problems
}

// add records a problem at the position of field, or of its nearest
// ancestor written in the file. value "" means "no value".
func (v *validator) add(field, value, msg string) {
	p := Problem{File: v.s.Path, Field: field, Value: truncate(value), Msg: msg}
	for f := field; ; f = parent(f) {
		if pos, ok := v.s.pos[f]; ok {
			p.Line, p.Col = pos.Line, pos.Col
			break
		}
		if f == "" {
			break
		}
	}
	v.probs = append(v.probs, p)
}

// parent strips the last ".name" or "[i]" of a field path.
func parent(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i < 0 {
		return ""
	}
	return f[:i]
}

// given reports whether field was written in the file.
func (v *validator) given(field string) bool {
	_, ok := v.s.pos[field]
	return ok
}

func fmtInt(i int) string           { return strconv.Itoa(i) }
func fmtFloat(f float64) string     { return strconv.FormatFloat(f, 'g', -1, 64) }
func fmtDur(d time.Duration) string { return d.String() }

// validName reports whether s is 1..max characters of the given set and does
// not start with a dot (names become file names).
func validName(s string, max int, extra string) bool {
	if s == "" || len(s) > max || s[0] == '.' {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.ContainsRune(extra, c)) {
			return false
		}
	}
	return true
}

func (v *validator) top() {
	s := v.s
	switch {
	case s.Version == 0:
		v.add("version", "", fmt.Sprintf("required; accepted: %d", Version))
	case s.Version != Version:
		v.add("version", fmtInt(s.Version), fmt.Sprintf("unsupported schema version; accepted: %d", Version))
	}
	switch {
	case s.Name == "":
		v.add("name", "", fmt.Sprintf("required; accepted: 1 to %d characters of a-z 0-9 . _ - (it names output files)", MaxNameLen))
	case !validName(s.Name, MaxNameLen, "._-"):
		v.add("name", s.Name, fmt.Sprintf("accepted: 1 to %d characters of a-z 0-9 . _ -, not starting with a dot", MaxNameLen))
	}
	if s.Duration <= 0 || s.Duration > MaxDuration {
		v.add("duration", fmtDur(s.Duration), "accepted: a duration > 0 and ≤ 9600h (400 days)")
	}
}

func (v *validator) nodes() {
	n := &v.s.Nodes
	countOK := false
	switch {
	case n.Count == 0 && len(n.Classes) == 0:
		v.add("nodes.count", "", fmt.Sprintf("required; accepted: an integer %d … %d", MinNodes, MaxNodes))
	case n.Count < MinNodes || n.Count > MaxNodes:
		v.add("nodes.count", fmtInt(n.Count), fmt.Sprintf("accepted: an integer %d … %d", MinNodes, MaxNodes))
	default:
		countOK = true
	}

	sum, producers := 0, 0
	first := map[string]int{}
	// A bad or duplicate name does not hide a count problem: only a bad
	// class count makes the sum meaningless.
	countsOK := true
	for i, c := range n.Classes {
		f := fmt.Sprintf("nodes.classes[%d]", i)
		if c.adversary > 0 {
			// Made from the adversary section, which is checked on its own.
			sum += c.Count
			continue
		}
		if !validName(c.Name, 32, "_-") {
			v.add(f+".name", c.Name, "accepted: 1 to 32 characters of a-z 0-9 _ -")
		} else if j, dup := first[c.Name]; dup {
			v.add(f+".name", c.Name, fmt.Sprintf("duplicate class name (also nodes.classes[%d]); accepted: a unique name", j))
		} else {
			first[c.Name] = i
		}
		if c.Count < 1 || c.Count > MaxNodes {
			v.add(f+".count", fmtInt(c.Count), fmt.Sprintf("accepted: an integer 1 … %d", MaxNodes))
			countsOK = false
		} else {
			sum += c.Count
		}
		if c.Producer {
			producers++
		}
	}
	if countOK && countsOK && sum != n.Count {
		v.add("nodes.count", fmtInt(n.Count), fmt.Sprintf("must equal the sum of the class counts (%d)", sum))
	}
	if len(n.Classes) > 0 && producers == 0 {
		v.add("nodes.classes", "", "no producer; accepted: at least one class with producer: true")
	}

	st := &n.Stake
	switch st.Distribution {
	case StakeUniform, StakePareto, StakeFile:
	default:
		v.add("nodes.stake.distribution", st.Distribution, "accepted: uniform, pareto, file")
	}
	if st.Distribution == StakePareto {
		if !(st.ParetoAlpha > 0 && st.ParetoAlpha <= 100) {
			v.add("nodes.stake.pareto_alpha", fmtFloat(st.ParetoAlpha), "accepted: a number > 0 and ≤ 100")
		}
	} else if v.given("nodes.stake.pareto_alpha") {
		v.add("nodes.stake.pareto_alpha", fmtFloat(st.ParetoAlpha), "applies only to distribution: pareto; accepted: remove it")
	}
	v.file("nodes.stake.file", st.File, st.Distribution == StakeFile, "distribution: file")
}

// file checks a FileRef that is required when needed is true and forbidden
// otherwise; when names the condition.
func (v *validator) file(field string, f FileRef, needed bool, when string) {
	switch {
	case needed && f.IsZero():
		v.add(field, "", "required with "+when+"; accepted: a path relative to the scenario file or absolute")
	case !needed && !f.IsZero():
		v.add(field, f.Raw, "applies only with "+when+"; accepted: remove it")
	case strings.ContainsRune(f.Raw, 0):
		v.add(field, f.Raw, "accepted: a path without NUL bytes")
	}
}

func (v *validator) network() {
	nw := &v.s.Network
	switch nw.Latency.Model {
	case LatencyGeo, LatencyMatrix, LatencyEdges, LatencyPings:
	default:
		v.add("network.latency.model", nw.Latency.Model, "accepted: geo, matrix, edges, pings")
	}
	v.file("network.latency.file", nw.Latency.File,
		nw.Latency.Model == LatencyMatrix || nw.Latency.Model == LatencyEdges || nw.Latency.Model == LatencyPings, "model: matrix or edges (or pings)")
	if !(nw.Jitter >= 0 && nw.Jitter <= 1) {
		v.add("network.jitter", fmtFloat(nw.Jitter), "accepted: a fraction 0 … 1")
	}
	if !(nw.BandwidthMbps >= 0 && nw.BandwidthMbps <= MaxBandwidth) {
		v.add("network.bandwidth_mbps", fmtFloat(nw.BandwidthMbps), "accepted: 0 (unlimited) or a number > 0 and ≤ 100000")
	}
	switch nw.Transport {
	case netmodel.TransportTCP:
	case netmodel.TransportIdeal:
		if v.given("network.tcp") {
			v.add("network.tcp", "", "applies only with transport: tcp; accepted: remove it")
		}
	default:
		v.add("network.transport", nw.Transport, "accepted: tcp, ideal")
	}
	if nw.Transport != netmodel.TransportIdeal {
		for _, p := range nw.TCP.Config().Check() {
			v.add("network.tcp."+p.Field, p.Value, "accepted: "+p.Accepted)
		}
	}
}

func (v *validator) topology() {
	t := &v.s.Topology
	switch t.Model {
	case TopologyRandom, TopologyEdges, TopologyP2P, TopologyLocalRoots:
	default:
		v.add("topology.model", t.Model, "accepted: random, edges, p2p, local-roots")
	}
	if t.Model == TopologyRandom {
		maxDeg := v.s.Nodes.Count - 1
		if maxDeg < 1 || maxDeg >= MaxNodes {
			maxDeg = MaxNodes - 1 // count is invalid and reported on its own
		}
		if t.Degree < 1 || t.Degree > maxDeg {
			msg := fmt.Sprintf("accepted: an integer 1 … %d (nodes.count - 1)", maxDeg)
			if !v.given("topology.degree") {
				msg += fmt.Sprintf("; %d is the default, set topology.degree", DefaultDegree)
			}
			v.add("topology.degree", fmtInt(t.Degree), msg)
		}
	} else if v.given("topology.degree") {
		v.add("topology.degree", fmtInt(t.Degree), "applies only to model: random; accepted: remove it")
	}
	v.file("topology.file", t.File, t.Model == TopologyEdges, "model: edges")
}

func (v *validator) blocks() {
	b := &v.s.Blocks
	if b.Slot <= 0 || b.Slot > MaxSlot {
		v.add("blocks.slot", fmtDur(b.Slot), "accepted: a duration > 0 and ≤ 1h")
	}
	if !(b.ActiveSlotCoeff > 0 && b.ActiveSlotCoeff <= 1) {
		v.add("blocks.active_slot_coeff", fmtFloat(b.ActiveSlotCoeff), "accepted: a number > 0 and ≤ 1")
	}
	if b.HeaderBytes < 1 || b.HeaderBytes > MaxHeader {
		v.add("blocks.header_bytes", fmtInt(b.HeaderBytes), fmt.Sprintf("accepted: an integer 1 … %d", MaxHeader))
	}
	if b.BodyBytes < 0 || b.BodyBytes > MaxBody {
		v.add("blocks.body_bytes", fmtInt(b.BodyBytes), fmt.Sprintf("accepted: an integer 0 … %d", MaxBody))
	}
	if len(b.BodySizes) > 0 && v.given("blocks.body_bytes") {
		v.add("blocks.body_bytes", fmtInt(b.BodyBytes), "conflicts with blocks.body_sizes; accepted: one of the two")
	}
	if len(b.BodySizes) > MaxBodySizes {
		v.add("blocks.body_sizes", fmtInt(len(b.BodySizes))+" entries", fmt.Sprintf("accepted: at most %d", MaxBodySizes))
	}
	for i, e := range b.BodySizes {
		f := fmt.Sprintf("blocks.body_sizes[%d]", i)
		if e.Bytes < 0 || e.Bytes > MaxBody {
			v.add(f+".bytes", fmtInt(e.Bytes), fmt.Sprintf("accepted: an integer 0 … %d", MaxBody))
		}
		if !(e.Weight > 0 && e.Weight <= 1e9) {
			v.add(f+".weight", fmtFloat(e.Weight), "accepted: a number > 0 and ≤ 1e9")
		}
	}
	for _, d := range []struct {
		field string
		val   time.Duration
	}{
		{"blocks.forge_delay", b.ForgeDelay},
		{"blocks.header_validation", b.HeaderValidation},
		{"blocks.body_validation", b.BodyValidation},
		{"blocks.body_validation_per_kib", b.BodyValidationPerKiB},
		{"blocks.serve_delay", b.ServeDelay},
	} {
		if d.val < 0 || d.val > MaxDelay {
			v.add(d.field, fmtDur(d.val), "accepted: a duration 0 … 1m")
		}
	}
}

// p2p checks the p2p and faults sections and the classes' P2P fields,
// which apply only with topology.model p2p.
func (v *validator) p2p() {
	s := v.s
	on := s.Topology.Model == TopologyP2P
	if !on {
		for _, f := range []string{"p2p", "faults"} {
			if v.given(f) {
				v.add(f, "", "applies only with topology.model: p2p; accepted: remove it")
			}
		}
		for i, c := range s.Nodes.Classes {
			f := fmt.Sprintf("nodes.classes[%d]", i)
			if c.Adversarial {
				v.add(f+".adversarial", "true", "applies only with topology.model: p2p; accepted: remove it")
			}
			if !c.Targets.IsZero() {
				v.add(f+".targets", "", "applies only with topology.model: p2p; accepted: remove it")
			}
		}
		return
	}
	p := &s.P2P
	v.targets("p2p.targets", p.Targets, false)
	for i, c := range s.Nodes.Classes {
		if !c.Targets.IsZero() {
			v.targets(fmt.Sprintf("nodes.classes[%d].targets", i), c.Targets, true)
		}
	}
	if p.ChurnInterval <= 0 || p.ChurnInterval > MaxDuration {
		v.add("p2p.churn_interval", fmtDur(p.ChurnInterval), "accepted: a duration > 0")
	}
	if p.ChurnJitter < 0 || p.ChurnJitter > MaxDuration {
		v.add("p2p.churn_jitter", fmtDur(p.ChurnJitter), "accepted: a duration ≥ 0")
	}
	if p.MaxRetries < 0 || p.MaxRetries > 255 {
		v.add("p2p.max_retries", fmtInt(p.MaxRetries), "accepted: an integer 0 … 255 (0: never forget failing peers)")
	}
	if p.HandshakeRTTs < 0 || p.HandshakeRTTs > 16 {
		v.add("p2p.handshake_rtts", fmtInt(p.HandshakeRTTs), "accepted: an integer 0 … 16")
	}
	if p.SampleEvery < time.Second || p.SampleEvery > MaxSampleEvery {
		v.add("p2p.sample_every", fmtDur(p.SampleEvery), "accepted: a duration 1s … 24h")
	}
	v.policy("p2p.policy", p.Policy, false)
	if p.RelayLinks != RelayDirected && p.RelayLinks != RelayBidirectional {
		v.add("p2p.relay_links", p.RelayLinks, "accepted: directed, bidirectional")
	}
	f := &s.Faults
	if !(f.ConnectionFailure >= 0 && f.ConnectionFailure <= 1) {
		v.add("faults.connection_failure", fmtFloat(f.ConnectionFailure), "accepted: a probability 0 … 1")
	}
	if f.DropEvery < 0 || (f.DropEvery > 0 && f.DropEvery < time.Second) {
		v.add("faults.drop_every", fmtDur(f.DropEvery), "accepted: 0 (off) or a duration ≥ 1s")
	}
	if len(f.Crashes) > MaxCrashes {
		v.add("faults.crashes", fmtInt(len(f.Crashes)), fmt.Sprintf("accepted: at most %d entries", MaxCrashes))
	}
	for i, c := range f.Crashes {
		fld := fmt.Sprintf("faults.crashes[%d]", i)
		j := slices.IndexFunc(s.Nodes.Classes, func(k Class) bool { return k.Name == c.Class })
		if j < 0 {
			names := make([]string, len(s.Nodes.Classes))
			for k, cl := range s.Nodes.Classes {
				names[k] = cl.Name
			}
			v.add(fld+".class", c.Class, "accepted: a class name ("+strings.Join(names, ", ")+")")
		} else if c.Count < 1 || c.Count > s.Nodes.Classes[j].Count {
			v.add(fld+".count", fmtInt(c.Count), fmt.Sprintf("accepted: an integer 1 … %d (the class's count)", s.Nodes.Classes[j].Count))
		}
		if c.At < 0 || c.At >= s.Duration {
			v.add(fld+".at", fmtDur(c.At), "accepted: a duration ≥ 0 and before the end of the run")
		}
		if c.Down <= 0 || c.Down > MaxDuration {
			v.add(fld+".down", fmtDur(c.Down), "accepted: a duration > 0")
		}
	}
}

// targetFields are the scenario's names of the seven targets, in the
// order of TargetsSpec.
var targetFields = [7]string{"root", "known", "established", "active",
	"known_big_ledger", "established_big_ledger", "active_big_ledger"}

// targets checks seven targets against the governor's sanity rule
// (node.Targets.Check: 0 ≤ active ≤ established ≤ known, root ≤ known, the
// same for big ledger peers, and the caps), one problem per broken rule at
// the field written in the file, in the scenario's own field names.
// inClass: a class's targets, whose fields not written are 0, not the
// p2p section's defaults.
func (v *validator) targets(field string, t TargetsSpec, inClass bool) {
	a := [7]int{t.Root, t.Known, t.Established, t.Active, t.KnownBigLedger, t.EstablishedBigLedger, t.ActiveBigLedger}
	name := func(i int) string { return field + "." + targetFields[i] }
	val := func(i int) string {
		switch {
		case v.given(name(i)):
			return fmtInt(a[i])
		case inClass:
			return fmtInt(a[i]) + " (not written: a class's targets apply all seven as written)"
		}
		return fmtInt(a[i]) + " (the default)"
	}
	n := len(v.probs)
	bad := [7]bool{}
	for i := range a {
		if a[i] < 0 {
			v.add(name(i), fmtInt(a[i]), "accepted: an integer ≥ 0")
			bad[i] = true
		}
	}
	brokenOrders(a, bad, func(lo, hi int, rule string) {
		if v.given(name(lo)) || !v.given(name(hi)) {
			v.add(name(lo), fmtInt(a[lo]), fmt.Sprintf("above %s %s; accepted: %s", name(hi), val(hi), rule))
		} else {
			v.add(name(hi), fmtInt(a[hi]), fmt.Sprintf("below %s %s; accepted: %s", name(lo), val(lo), rule))
		}
	})
	caps := [7]int{0, node.MaxKnownTarget, node.MaxEstablishedTarget, node.MaxActiveTarget,
		node.MaxKnownTarget, node.MaxEstablishedTarget, node.MaxActiveTarget}
	for i, c := range caps {
		if i > 0 && a[i] > c {
			v.add(name(i), fmtInt(a[i]), fmt.Sprintf("accepted: at most %d", c))
		}
	}
	if len(v.probs) == n {
		// The rules above are the governor's; should they ever differ,
		// the governor's word stands.
		if err := t.Node().Check(); err != nil {
			v.add(field, "", "not sane: "+err.Error())
		}
	}
}

func (v *validator) check() {
	c := v.s.Check
	if c.Invariants < 0 || c.Invariants > max(v.s.Duration, 0) || c.Invariants%time.Second != 0 {
		v.add("check.invariants", fmtDur(c.Invariants), "accepted: 0 (off) or a whole number of seconds up to the duration")
	}
}

// With returns ps and the problems of more whose fields ps does not name
// already, in position order and capped as Parse's.
func (ps Problems) With(more Problems) Problems {
	out := slices.Clone(ps)
	for _, p := range more {
		if !slices.ContainsFunc(ps, func(q Problem) bool { return q.Field == p.Field }) {
			out = append(out, p)
		}
	}
	out.sort()
	return out.capped()
}
