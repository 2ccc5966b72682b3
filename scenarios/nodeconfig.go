package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/node"
	"gopkg.in/yaml.v3"
)

// ConsensusMode is cardano-node's ConsensusMode setting: PraosMode (the
// default) or GenesisMode, which uses the sync targets while the ledger
// state is too old and drops bootstrap peers (spec/governor.md §1.3, §2.9).
type ConsensusMode string

// The consensus modes cardano-node accepts.
const (
	PraosMode   ConsensusMode = "PraosMode" // the default
	GenesisMode ConsensusMode = "GenesisMode"
)

// DefaultMinBigLedgerPeersForTrustedState is the default of
// MinBigLedgerPeersForTrustedState: in Genesis the node may report a
// trusted state once this many big ledger peers are hot (spec/governor.md
// §1.3).
const DefaultMinBigLedgerPeersForTrustedState = 5

// targetNames are the seven target keys' suffixes, in node.Targets order.
var targetNames = [7]string{"RootPeers", "KnownPeers", "EstablishedPeers", "ActivePeers",
	"KnownBigLedgerPeers", "EstablishedBigLedgerPeers", "ActiveBigLedgerPeers"}

// Target key prefixes: deadline and Genesis sync targets
// (CN/Configuration/POM.hs, spec/governor.md §1.3).
const (
	deadlinePrefix = "TargetNumberOf"
	syncPrefix     = "SyncTargetNumberOf"
)

// configKeys are the P2P keys ParseNodeConfig reads: the 7 deadline
// targets, the 7 sync targets, then the rest.
var configKeys = func() []string {
	var keys []string
	for _, p := range []string{deadlinePrefix, syncPrefix} {
		for _, n := range targetNames {
			keys = append(keys, p+n)
		}
	}
	return append(keys, "MinBigLedgerPeersForTrustedState", "ConsensusMode", "PeerSharing", "DiffusionMode", "EnableP2P")
}()

// optInt is a target as written: set false when the key is absent;
// failed when it is given but is not an integer (the default then
// stands in, and the rules skip it).
type optInt struct {
	v      int
	set    bool
	failed bool
	pos    Pos
}

// NodeConfig is the P2P part of a cardano-node configuration file
// (config.json, or the YAML form cardano-node also reads). Targets not
// written take the library defaults of the node's role (spec/governor.md
// §1.3: node.RelayTargets for a relay, node.BlockProducerTargets for a
// block producer, node.SyncTargets for Genesis sync), so they are read
// through Targets, ProducerTargets and SyncTargets.
type NodeConfig struct {
	Path          string
	ConsensusMode ConsensusMode // default PraosMode
	DiffusionMode DiffusionMode // default InitiatorAndResponder
	// PeerSharing is nil when not written: then enabled for a relay and
	// disabled for a block producer (cardano-node 10.5+, §1.3).
	PeerSharing *bool
	// MinBigLedgerPeersForTrustedState: Genesis may report a trusted state
	// once this many big ledger peers are hot (default 5).
	MinBigLedgerPeersForTrustedState int
	// EnableP2P is nil when not written (P2P is the only mode from 10.x).
	EnableP2P *bool

	deadline, sync targetsWritten
}

// targetsWritten are the seven targets as written, in node.Targets order.
type targetsWritten [7]optInt

// over returns the written targets over defaults d.
func (v targetsWritten) over(d node.Targets) node.Targets {
	a := targetsArray(d)
	for i, o := range v {
		if o.set {
			a[i] = o.v
		}
	}
	return node.Targets{Root: a[0], Known: a[1], Established: a[2], Active: a[3], KnownBLP: a[4], EstablishedBLP: a[5], ActiveBLP: a[6]}
}

func targetsArray(t node.Targets) [7]int {
	return [7]int{t.Root, t.Known, t.Established, t.Active, t.KnownBLP, t.EstablishedBLP, t.ActiveBLP}
}

// Targets returns the deadline targets of a relay: the file's values over
// node.RelayTargets (ouroboros-network 0.21.2+/0.22 defaults, cardano-node
// 10.5/10.6, whose shipped configs set none).
func (c *NodeConfig) Targets() node.Targets { return c.deadline.over(node.RelayTargets) }

// ProducerTargets returns the deadline targets of a block producer: the
// file's values over node.BlockProducerTargets (cardano-node 10.6/10.7).
func (c *NodeConfig) ProducerTargets() node.Targets {
	return c.deadline.over(node.BlockProducerTargets)
}

// SyncTargets returns the Genesis sync targets (used only in GenesisMode
// while the ledger state is too old): the file's values over
// node.SyncTargets (defaultSyncTargets of ouroboros-network ≥ 0.21.2).
func (c *NodeConfig) SyncTargets() node.Targets { return c.sync.over(node.SyncTargets) }

// PeerSharingFor returns the peer-sharing setting of a relay or a block
// producer: as written, else the 10.5+ default (on for relays only).
func (c *NodeConfig) PeerSharingFor(producer bool) bool {
	if c.PeerSharing != nil {
		return *c.PeerSharing
	}
	return !producer
}

// LoadNodeConfig reads and parses the node configuration file at path.
func LoadNodeConfig(path string) (*NodeConfig, Warnings, error) {
	data, err := ReadInput(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseNodeConfig(path, data)
}

// ParseNodeConfig reads the P2P settings of a cardano-node configuration
// file named name. cardano-node reads this file as YAML (JSON being a
// subset), so both are accepted. Only the keys of configKeys are read;
// the hundreds of others are ignored, except that a key differing from a
// P2P key only in case, or starting like a target key, gets a warning.
// Targets that break the sanity rule (0 ≤ active ≤ established ≤ known,
// root ≤ known, the same for big ledger peers, caps 100/1000/10000;
// spec/governor.md §1.3, seed 004: "the node will fail to start") are
// problems, for the deadline targets as a relay reads them and for the sync
// targets; a set that is sane for a relay but not with the block-producer
// defaults is a warning. On failure the error is a Problems listing every
// problem; warnings are returned either way.
func ParseNodeConfig(name string, data []byte) (*NodeConfig, Warnings, error) {
	if len(data) > MaxFileBytes {
		return nil, nil, tooLarge(name, len(data))
	}
	root, probs := parseYAMLTree(name, data)
	if root == nil {
		return nil, nil, probs
	}
	r := &fileReader{file: name}
	c := r.nodeConfig(root)
	if len(r.probs) > 0 {
		r.probs.sort()
		return nil, r.sortedWarnings(), r.probs.capped()
	}
	return c, r.sortedWarnings(), nil
}

func (r *fileReader) nodeConfig(root *tnode) *NodeConfig {
	c := &NodeConfig{Path: r.file, ConsensusMode: PraosMode, DiffusionMode: InitiatorAndResponder,
		MinBigLedgerPeersForTrustedState: DefaultMinBigLedgerPeersForTrustedState}
	if root.kind != tObject {
		r.wrongType(root, "", "accepted: a mapping of cardano-node settings")
		return nil
	}
	f := r.fields(root, "", configKeys, ignoreUnknown)
	for _, m := range root.members {
		lower := strings.ToLower(m.key)
		if !slices.Contains(configKeys, m.key) && !slices.ContainsFunc(configKeys, func(k string) bool { return strings.EqualFold(k, m.key) }) &&
			(strings.HasPrefix(lower, strings.ToLower(deadlinePrefix)) || strings.HasPrefix(lower, strings.ToLower(syncPrefix))) {
			r.warn(m.keyPos, m.key, "", "unknown target key, ignored; accepted: "+deadlinePrefix+"… or "+syncPrefix+"… followed by one of "+strings.Join(targetNames[:], ", "))
		}
	}
	for i := range 14 {
		m := f[i]
		if m == nil || m.val.kind == tNull {
			continue
		}
		v, ok := intOf(m.val)
		o := optInt{v: clampInt(v), set: true, pos: m.val.pos}
		if !ok {
			r.wrongType(m.val, configKeys[i], "accepted: an integer")
			o = optInt{failed: true, pos: m.val.pos}
		}
		if i < 7 {
			c.deadline[i] = o
		} else {
			c.sync[i-7] = o
		}
	}
	if m := f[14]; m != nil && m.val.kind != tNull {
		if v, ok := intOf(m.val); ok && v >= 0 {
			c.MinBigLedgerPeersForTrustedState = clampInt(v)
		} else {
			r.wrongType(m.val, configKeys[14], "accepted: an integer ≥ 0")
		}
	}
	if m := f[15]; m != nil && m.val.kind != tNull {
		switch mode := ConsensusMode(m.val.text); {
		case m.val.kind == tString && (mode == PraosMode || mode == GenesisMode):
			c.ConsensusMode = mode
		default:
			r.wrongType(m.val, configKeys[15], "accepted: PraosMode or GenesisMode")
		}
	}
	if m := f[16]; m != nil && m.val.kind != tNull {
		if m.val.kind == tBool {
			b := m.val.text == "true"
			c.PeerSharing = &b
		} else {
			r.wrongType(m.val, configKeys[16], "accepted: true or false")
		}
	}
	if m := f[17]; m != nil && m.val.kind != tNull {
		if mode, ok := diffusionModeOf(m.val); ok {
			c.DiffusionMode = mode
		} else {
			r.wrongType(m.val, configKeys[17], "accepted: InitiatorAndResponder or InitiatorOnly")
		}
	}
	if m := f[18]; m != nil && m.val.kind != tNull {
		if m.val.kind != tBool {
			r.wrongType(m.val, configKeys[18], "accepted: true or false")
		} else {
			b := m.val.text == "true"
			c.EnableP2P = &b
			if !b {
				r.warn(m.val.pos, configKeys[18], "false", "the legacy non-P2P stack is not simulated; dpsim reads only the P2P settings")
			}
		}
	}
	// The sanity rules run whatever failed to decode above, so that type
	// and range problems come in one pass; they skip the targets that
	// failed (checkTargets).
	var view fileReader
	view.file = r.file
	before := len(r.probs)
	r.checkTargets(deadlinePrefix, c.deadline, node.RelayTargets, "the relay defaults")
	view.checkTargets(deadlinePrefix, c.deadline, node.BlockProducerTargets, "the block-producer defaults")
	if len(r.probs) == before {
		for _, p := range view.probs {
			p.Msg += " (only for a block producer, whose defaults differ; a relay reads this file fine)"
			r.warns = append(r.warns, p)
		}
	}
	r.checkTargets(syncPrefix, c.sync, node.SyncTargets, "the sync defaults")
	if len(r.probs) > 0 {
		return c // the warnings below compare targets that may be broken
	}
	// Seed 004: the sync active target "must not exceed
	// TargetNumberOfEstablishedPeers", and MinBigLedgerPeersForTrustedState
	// must not exceed the hot big-ledger sync target. Not known to be
	// enforced, so warnings.
	d, s := c.Targets(), c.SyncTargets()
	if s.Active > d.Established {
		at := c.sync[3].pos
		if !c.sync[3].set {
			at = c.deadline[2].pos
		}
		r.warn(at, syncPrefix+targetNames[3], strconv.Itoa(s.Active),
			fmt.Sprintf("above %s%s %d; it should not exceed it (seed 004)", deadlinePrefix, targetNames[2], d.Established))
	}
	if c.MinBigLedgerPeersForTrustedState > s.ActiveBLP {
		r.warn(f[14].posOr(root.pos), configKeys[14], strconv.Itoa(c.MinBigLedgerPeersForTrustedState),
			fmt.Sprintf("above %s%s %d: Genesis could never reach a trusted state (seed 004)", syncPrefix, targetNames[6], s.ActiveBLP))
	}
	return c
}

func (m *tmember) posOr(p Pos) Pos {
	if m == nil {
		return p
	}
	return m.val.pos
}

// checkTargets reports every break of the sanity rule (sanePeerSelectionTargets,
// spec/governor.md §1.3) by the targets written over defaults. A broken
// pair is reported at the field written in the file.
func (r *fileReader) checkTargets(prefix string, v targetsWritten, defaults node.Targets, what string) {
	eff := v.over(defaults)
	a := targetsArray(eff)
	val := func(i int) string {
		if v[i].set {
			return strconv.Itoa(a[i])
		}
		return strconv.Itoa(a[i]) + " (" + what + ")"
	}
	bad := [7]bool{}
	for i := range v {
		bad[i] = v[i].failed // reported as a type problem; its rules are unknown
		if v[i].set && a[i] < 0 {
			r.problem(v[i].pos, prefix+targetNames[i], strconv.Itoa(a[i]), "accepted: an integer ≥ 0")
			bad[i] = true
		}
	}
	brokenOrders(a, bad, func(lo, hi int, rule string) {
		if v[lo].set {
			r.problem(v[lo].pos, prefix+targetNames[lo], strconv.Itoa(a[lo]),
				fmt.Sprintf("above %s%s %s; accepted: %s", prefix, targetNames[hi], val(hi), rule))
		} else {
			r.problem(v[hi].pos, prefix+targetNames[hi], strconv.Itoa(a[hi]),
				fmt.Sprintf("below %s%s %s; accepted: %s", prefix, targetNames[lo], val(lo), rule))
		}
	})
	caps := [7]int{node.MaxKnownTarget, node.MaxKnownTarget, node.MaxEstablishedTarget, node.MaxActiveTarget,
		node.MaxKnownTarget, node.MaxEstablishedTarget, node.MaxActiveTarget}
	for i, c := range caps {
		if a[i] > c && !bad[i] {
			r.problem(v[i].pos, prefix+targetNames[i], strconv.Itoa(a[i]), fmt.Sprintf("accepted: at most %d", c))
		}
	}
}

// parseYAMLTree parses exactly one YAML (or JSON) document into a tnode
// tree; nesting beyond MaxDepth and anchors/aliases are refused
// (checkShape).
func parseYAMLTree(name string, data []byte) (*tnode, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{File: name, Msg: "empty file; accepted: a mapping of settings"}}
		}
		return nil, Problems{syntaxProblem(name, data, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, Problems{syntaxProblem(name, data, err)}
	default:
		return nil, Problems{{File: name, Line: extra.Line, Col: extra.Column,
			Msg: "a second YAML document; accepted: exactly one document"}}
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{File: name, Msg: "empty file; accepted: a mapping of settings"}}
	}
	if p, ok := checkShape(&doc, name); !ok {
		return nil, Problems{p}
	}
	var probs Problems
	root := fromYAML(doc.Content[0], name, &probs)
	if len(probs) > 0 {
		return nil, probs
	}
	root.file = name
	return root, nil
}

// fromYAML converts a yaml.Node (depth already bounded by checkShape).
func fromYAML(y *yaml.Node, name string, probs *Problems) *tnode {
	n := &tnode{pos: Pos{y.Line, y.Column}, text: y.Value}
	switch y.Kind {
	case yaml.MappingNode:
		n.kind, n.text = tObject, ""
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				*probs = append(*probs, Problem{File: name, Line: k.Line, Col: k.Column,
					Msg: "got " + kindName(k) + " as a key; accepted: a name"})
				continue
			}
			n.members = append(n.members, tmember{key: k.Value, keyPos: Pos{k.Line, k.Column}, val: fromYAML(v, name, probs)})
		}
	case yaml.SequenceNode:
		n.kind, n.text = tArray, ""
		for _, c := range y.Content {
			n.items = append(n.items, fromYAML(c, name, probs))
		}
	default:
		switch y.Tag {
		case "!!null":
			n.kind = tNull
		case "!!bool":
			n.kind = tString
			var b bool
			if y.Decode(&b) == nil {
				n.kind, n.text = tBool, strconv.FormatBool(b)
			}
		case "!!int":
			n.kind = tNumber
			var v int64
			if y.Decode(&v) == nil {
				n.text = strconv.FormatInt(v, 10) // 0x1F, 1_000 → decimal
			}
		case "!!float":
			n.kind = tNumber
		default:
			n.kind = tString
		}
	}
	return n
}

// Kind is the kind of an input file.
type Kind string

// The kinds `dpsim validate` reads.
const (
	KindScenario Kind = "scenario" // a dpsim scenario (YAML)
	KindTopology Kind = "topology" // a cardano-node topology.json
	KindConfig   Kind = "config"   // a cardano-node config.json (or YAML)
)

// Kinds lists every Kind.
var Kinds = []Kind{KindScenario, KindTopology, KindConfig}

// ParseKind reads a --kind value.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("--kind %q: accepted scenario, topology or config", s)
}

var (
	topologyMarkers = topologyKeys[:4]
	configMarkers   = []string{"Protocol", "ByronGenesisFile", "ShelleyGenesisFile", "AlonzoGenesisFile", "ConwayGenesisFile", "RequiresNetworkMagic"}
)

// DetectKind tells a file's kind from its name and top-level keys: a
// .yaml/.yml file is a scenario unless its top level holds cardano-node
// settings and no "version"; otherwise a top level with localRoots,
// publicRoots, bootstrapPeers or useLedgerAfterSlot is a topology, one with
// TargetNumberOf*, SyncTargetNumberOf*, Protocol, a genesis file or
// another P2P setting is a config, one with "version" a scenario. A file
// that parses as neither JSON nor YAML returns its syntax problems; one
// that parses but matches no kind returns an error naming the kinds tried.
func DetectKind(name string, data []byte) (Kind, error) {
	if len(data) > MaxFileBytes {
		return "", tooLarge(name, len(data))
	}
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".yaml" || ext == ".yml" {
		root, _ := parseYAMLTree(name, data)
		if root == nil || hasKey(root, "version") || !hasConfigKey(root) {
			return KindScenario, nil // the scenario parser explains any problem
		}
		return KindConfig, nil
	}
	root, probs := parseJSONTree(name, data)
	if root == nil && ext != ".json" {
		if y, _ := parseYAMLTree(name, data); y != nil {
			root = y
		}
	}
	if root == nil {
		return "", probs
	}
	switch {
	case slices.ContainsFunc(topologyMarkers, func(k string) bool { return hasKey(root, k) }):
		return KindTopology, nil
	case hasConfigKey(root):
		return KindConfig, nil
	case hasKey(root, "version"):
		return KindScenario, nil
	}
	return "", Problems{{File: name, Msg: "cannot tell the kind of file: tried topology (a top-level " +
		strings.Join(topologyMarkers, ", ") + " key), config (TargetNumberOf…, SyncTargetNumberOf…, " +
		strings.Join(configMarkers, ", ") + " or another P2P setting) and scenario (version); accepted: one of those, or name the kind with --kind"}}
}

func hasKey(n *tnode, key string) bool {
	return n.kind == tObject && slices.ContainsFunc(n.members, func(m tmember) bool { return m.key == key })
}

func hasConfigKey(n *tnode) bool {
	if n.kind != tObject {
		return false
	}
	return slices.ContainsFunc(n.members, func(m tmember) bool {
		return slices.Contains(configKeys, m.key) || slices.Contains(configMarkers, m.key)
	})
}
