package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
	"github.com/dpsim/dpsim/node"
)

// Limits of the cardano-node file readers, on top of MaxFileBytes and
// MaxDepth. cardano-node has none; these only keep hostile input cheap.
const (
	// MaxRootGroups bounds the localRoots groups and, separately, the
	// publicRoots entries of one topology file.
	MaxRootGroups = 1000
	// MaxAccessPoints bounds the access points of one topology file, all
	// lists together: the governor's known-peers cap (spec/governor.md §1.3).
	MaxAccessPoints = 10000
)

// Warnings lists what was repaired or ignored in a file that is still
// usable: each entry is a Problem that did not stop it. Line prints one as
// `file:line:col: warning: field: value "x": what was done`.
type Warnings []Problem

// Lines formats every warning, one per entry.
func (ws Warnings) Lines() []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = WarningLine(w)
	}
	return out
}

// WarningLine formats w as `file:line:col: warning: field: value "x": msg`.
func WarningLine(w Problem) string {
	// A bare position formats as "file:line:col: ".
	at := Problem{File: w.File, Line: w.Line, Col: w.Col}.Error()
	return at + "warning: " + Problem{Field: w.Field, Value: w.Value, Msg: w.Msg}.Error()
}

// DiffusionMode is a node's or a local-root group's diffusion mode
// (spec/governor.md §5.2; seed 004).
type DiffusionMode string

// The diffusion modes cardano-node accepts.
const (
	InitiatorAndResponder DiffusionMode = "InitiatorAndResponder" // the default
	InitiatorOnly         DiffusionMode = "InitiatorOnly"         // outbound only, no accept loop
)

// AccessPoint is one relay access point of a topology file.
type AccessPoint struct {
	Address string     // as written: an IP address or a DNS name
	IP      netip.Addr // the address when it is an IP address, else invalid
	Port    int        // 1…65535; 0 for an SRV name
	// SRV: no port was given, so Address is a DNS SRV name (ouroboros-network
	// 1.x, cardano-node 10.7; spec/governor.md §5.2).
	SRV bool
	Pos Pos
}

// String is "address:port", "[v6]:port", or the bare SRV name.
func (a AccessPoint) String() string {
	if a.SRV {
		return a.Address
	}
	if a.IP.Is6() {
		return "[" + a.Address + "]:" + strconv.Itoa(a.Port)
	}
	return a.Address + ":" + strconv.Itoa(a.Port)
}

// key identifies the peer an access point names, for the duplicate check:
// IPs canonical, names case-insensitive and fully qualified (cardano-node
// appends the final dot, spec/governor.md §5.2).
func (a AccessPoint) key() string {
	if a.IP.IsValid() {
		return netip.AddrPortFrom(a.IP, uint16(a.Port)).String()
	}
	name := strings.ToLower(strings.TrimSuffix(a.Address, ".")) + "."
	if a.SRV {
		return "srv:" + name
	}
	return name + ":" + strconv.Itoa(a.Port)
}

// LocalRootGroup is one localRoots group after the repairs of
// spec/governor.md §5.3: its access points are disjoint from earlier
// groups' and 0 < HotValency ≤ WarmValency ≤ len(AccessPoints).
type LocalRootGroup struct {
	AccessPoints            []AccessPoint
	HotValency, WarmValency int
	Advertise, Trustable    bool
	DiffusionMode           DiffusionMode
	BehindFirewall          bool // 1.x: never dialled, only the peer's inbound connection is used
	Pos                     Pos  // the group's opening brace

	src groupSource
}

// groupSource is where a group's valencies were written, for warnings: the
// group's brace when defaulted, and the hot valency's name (valency or
// hotValency).
type groupSource struct {
	hotPos, warmPos Pos
	hotField        string
	warmWritten     bool
}

// PublicRootGroup is one publicRoots entry.
type PublicRootGroup struct {
	AccessPoints []AccessPoint
	Advertise    bool
	Pos          Pos
}

// BootstrapState says how bootstrapPeers was written; cardano-node treats
// absent and null alike (disabled) and a list, even empty, as enabled
// (spec/governor.md §5.1; seed 004).
type BootstrapState uint8

// The three ways bootstrapPeers can be written.
const (
	BootstrapAbsent BootstrapState = iota
	BootstrapNull
	BootstrapList
)

// TopologyFile is a cardano-node P2P topology.json as cardano-node reads it
// (spec/governor.md §5), after the group repairs.
type TopologyFile struct {
	Path        string
	LocalRoots  []LocalRootGroup
	PublicRoots []PublicRootGroup
	Bootstrap   BootstrapState
	// BootstrapPeers: the list when Bootstrap is BootstrapList, else nil.
	BootstrapPeers []AccessPoint
	// UseLedgerAfterSlot: < 0 never use ledger peers (the default, -1), 0
	// always, > 0 once the current slot reaches it (spec/governor.md §5.1).
	UseLedgerAfterSlot int64
	// PeerSnapshotFile: a big-ledger-peer snapshot, Resolved against the
	// topology file's folder as cardano-node does; zero when not given.
	PeerSnapshotFile FileRef
}

// BootstrapEnabled reports whether bootstrap peers are in use (a list was
// given, even an empty one).
func (t *TopologyFile) BootstrapEnabled() bool { return t.Bootstrap == BootstrapList }

// LedgerPeers reports whether ledger peers are ever used.
func (t *TopologyFile) LedgerPeers() bool { return t.UseLedgerAfterSlot >= 0 }

// ReadInput reads a file for one of the parsers, refusing one larger than
// MaxFileBytes without reading all of it, and a path longer than
// input.MaxPathBytes.
func ReadInput(path string) ([]byte, error) {
	if err := input.CheckPath(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(path, -1)
	}
	return data, nil
}

// tooLarge reports a file over MaxFileBytes; n < 0 when only the first
// MaxFileBytes+1 bytes were read.
func tooLarge(name string, n int) Problems {
	v := strconv.Itoa(n) + " bytes"
	if n < 0 {
		v = "more than " + strconv.Itoa(MaxFileBytes) + " bytes"
	}
	return Problems{{File: name, Value: v,
		Msg: fmt.Sprintf("file too large; accepted: at most %d bytes", MaxFileBytes)}}
}

// LoadTopologyJSON reads and parses the topology file at path.
func LoadTopologyJSON(path string) (*TopologyFile, Warnings, error) {
	data, err := ReadInput(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseTopologyJSON(path, data)
}

// ParseTopologyJSON reads a cardano-node P2P topology file (strict JSON,
// as cardano-node's aeson decoder) named name. What cardano-node refuses is
// a problem; what it repairs or ignores (spec/governor.md §5.3: duplicate
// peers, valencies above the group size, empty groups; unknown and
// duplicate fields) is applied and reported as a warning. On failure the
// error is a Problems listing every problem; warnings are returned either
// way.
func ParseTopologyJSON(name string, data []byte) (*TopologyFile, Warnings, error) {
	if len(data) > MaxFileBytes {
		return nil, nil, tooLarge(name, len(data))
	}
	root, probs := parseJSONTree(name, data)
	if root == nil {
		return nil, nil, probs
	}
	r := &fileReader{file: name}
	t := r.topology(root)
	if len(r.probs) > 0 {
		r.probs.sort()
		return nil, r.sortedWarnings(), r.probs.capped()
	}
	return t, r.sortedWarnings(), nil
}

var (
	topologyKeys    = []string{"localRoots", "publicRoots", "useLedgerAfterSlot", "bootstrapPeers", "peerSnapshotFile"}
	localRootKeys   = []string{"accessPoints", "advertise", "valency", "hotValency", "warmValency", "trustable", "diffusionMode", "behindFirewall"}
	publicRootKeys  = []string{"accessPoints", "advertise"}
	accessPointKeys = []string{"address", "port"}
)

func (r *fileReader) topology(root *tnode) *TopologyFile {
	t := &TopologyFile{Path: root.file, UseLedgerAfterSlot: -1}
	if root.kind != tObject {
		r.wrongType(root, "", "accepted: an object with localRoots and publicRoots")
		return nil
	}
	f := r.fields(root, "", topologyKeys, warnUnknown)
	// localRoots and publicRoots are required (.: in TopologyP2P.hs).
	for i, key := range topologyKeys[:2] {
		if f[i] == nil || f[i].val.kind == tNull {
			r.problem(root.pos, key, "", "missing; accepted: a list (may be empty)")
		}
	}
	var rawGroups []rawGroup
	if m := f[0]; m != nil && m.val.kind != tNull {
		rawGroups = r.localRoots(m.val)
	}
	if m := f[1]; m != nil && m.val.kind != tNull {
		t.PublicRoots = r.publicRoots(m.val)
	}
	if m := f[2]; m != nil && m.val.kind != tNull {
		// Any number; a fraction is floored (UseLedgerPeers FromJSON).
		if v, ok := slotOf(m.val); ok {
			t.UseLedgerAfterSlot = v
		} else {
			r.wrongType(m.val, "useLedgerAfterSlot", "accepted: a slot number (< 0 never use ledger peers, 0 always, > 0 from that slot)")
		}
	}
	if m := f[3]; m != nil {
		if m.val.kind == tNull {
			t.Bootstrap = BootstrapNull
		} else if m.val.kind == tArray {
			t.Bootstrap = BootstrapList
			t.BootstrapPeers = r.accessPointList(m.val, "bootstrapPeers")
			if t.BootstrapPeers == nil {
				t.BootstrapPeers = []AccessPoint{}
			}
		} else {
			r.wrongType(m.val, "bootstrapPeers", "accepted: null (disabled) or a list of {address, port}")
		}
	}
	if m := f[4]; m != nil && m.val.kind != tNull {
		if m.val.kind != tString || m.val.text == "" {
			r.wrongType(m.val, "peerSnapshotFile", "accepted: a file path")
		} else {
			t.PeerSnapshotFile = FileRef{Raw: m.val.text, Resolved: m.val.text}
			if !filepath.IsAbs(m.val.text) {
				t.PeerSnapshotFile.Resolved = filepath.Join(filepath.Dir(root.file), m.val.text)
			}
		}
	}
	// §5.3 / isValidTrustedPeerConfiguration: an empty bootstrap list needs
	// a trustable local-root group with access points (as written).
	if t.Bootstrap == BootstrapList && len(f[3].val.items) == 0 {
		trusted := slices.ContainsFunc(rawGroups, func(g rawGroup) bool { return g.Trustable && len(g.written) > 0 })
		if !trusted {
			r.problem(f[3].val.pos, "bootstrapPeers", "[]",
				"bootstrap peers enabled with an empty list and no trustable local root: cardano-node refuses to start; "+
					"accepted: a non-empty list, null (disabled), or a localRoots group with trustable: true and access points")
		}
	}
	if len(r.probs) == 0 { // repairs of a refused file would only add noise
		t.LocalRoots = r.repairGroups(rawGroups, AccessPoint.key)
	}
	return t
}

// rawGroup is a local-root group as written, before the repairs.
type rawGroup struct {
	LocalRootGroup
	written []AccessPoint
	field   string
}

func (r *fileReader) localRoots(n *tnode) []rawGroup {
	if n.kind != tArray {
		r.wrongType(n, "localRoots", "accepted: a list of groups {accessPoints, hotValency, …}")
		return nil
	}
	var out []rawGroup
	for i, g := range n.items {
		path := fmt.Sprintf("localRoots[%d]", i)
		if i == MaxRootGroups {
			r.problem(g.pos, path, "", fmt.Sprintf("too many groups; accepted: at most %d", MaxRootGroups))
			break
		}
		if g.kind != tObject {
			r.wrongType(g, path, "accepted: an object {accessPoints, hotValency, …}")
			continue
		}
		if grp, ok := r.localRoot(g, path); ok {
			out = append(out, grp)
		}
	}
	return out
}

func (r *fileReader) localRoot(g *tnode, path string) (rawGroup, bool) {
	f := r.fields(g, path, localRootKeys, warnUnknown)
	grp := rawGroup{field: path, LocalRootGroup: LocalRootGroup{DiffusionMode: InitiatorAndResponder, Pos: g.pos,
		src: groupSource{hotPos: g.pos, hotField: "hotValency"}}}
	ok := true
	if f[0] == nil || f[0].val.kind == tNull {
		r.problem(g.pos, path+".accessPoints", "", "missing; accepted: a list of {address, port}")
		ok = false
	} else {
		grp.written = r.accessPointList(f[0].val, path+".accessPoints")
	}
	grp.Advertise = r.optBool(f[1], path+".advertise")
	grp.Trustable = r.optBool(f[5], path+".trustable")
	grp.BehindFirewall = r.optBool(f[7], path+".behindFirewall")
	if m := f[6]; m != nil && m.val.kind != tNull {
		if mode, good := diffusionModeOf(m.val); good {
			grp.DiffusionMode = mode
		} else {
			r.wrongType(m.val, path+".diffusionMode", "accepted: InitiatorAndResponder or InitiatorOnly")
		}
	}
	// hotValency: "valency" is tried first, then "hotValency"
	// (LocalRootPeersGroup FromJSON), so the deprecated name wins.
	legacy, hot := f[2], f[3]
	lv, lok := r.optInt(legacy)
	hv, hok := r.optInt(hot)
	switch {
	case lok && hok && lv != hv:
		grp.HotValency, grp.src.hotPos, grp.src.hotField = clampInt(lv), legacy.val.pos, "valency"
		r.warn(hot.val.pos, path+".hotValency", hot.val.text,
			fmt.Sprintf("ignored: the deprecated valency %d is given too and cardano-node uses it; write only hotValency", lv))
	case lok:
		grp.HotValency, grp.src.hotPos, grp.src.hotField = clampInt(lv), legacy.val.pos, "valency"
	case hok:
		grp.HotValency, grp.src.hotPos = clampInt(hv), hot.val.pos
		if legacy != nil && legacy.val.kind != tNull {
			r.warn(legacy.val.pos, path+".valency", legacy.val.text, "not an integer, ignored: hotValency is used")
		}
	default:
		ok = false
		switch {
		case hot != nil && hot.val.kind != tNull:
			r.wrongType(hot.val, path+".hotValency", "accepted: an integer")
		case legacy != nil && legacy.val.kind != tNull:
			r.wrongType(legacy.val, path+".valency", "accepted: an integer")
		default:
			r.problem(g.pos, path+".hotValency", "", "missing; accepted: an integer (or the deprecated valency)")
		}
	}
	grp.WarmValency, grp.src.warmPos = grp.HotValency, grp.src.hotPos
	if m := f[4]; m != nil && m.val.kind != tNull {
		if v, good := intOf(m.val); good {
			grp.WarmValency, grp.src.warmPos, grp.src.warmWritten = clampInt(v), m.val.pos, true
		} else {
			r.wrongType(m.val, path+".warmValency", "accepted: an integer")
			ok = false
		}
	}
	return grp, ok
}

func (r *fileReader) publicRoots(n *tnode) []PublicRootGroup {
	if n.kind != tArray {
		r.wrongType(n, "publicRoots", "accepted: a list of {accessPoints, advertise}")
		return nil
	}
	var out []PublicRootGroup
	for i, g := range n.items {
		path := fmt.Sprintf("publicRoots[%d]", i)
		if i == MaxRootGroups {
			r.problem(g.pos, path, "", fmt.Sprintf("too many entries; accepted: at most %d", MaxRootGroups))
			break
		}
		if g.kind != tObject {
			r.wrongType(g, path, "accepted: an object {accessPoints, advertise}")
			continue
		}
		f := r.fields(g, path, publicRootKeys, warnUnknown)
		p := PublicRootGroup{Pos: g.pos}
		if f[0] == nil || f[0].val.kind == tNull {
			r.problem(g.pos, path+".accessPoints", "", "missing; accepted: a list of {address, port}")
		} else {
			p.AccessPoints = r.accessPointList(f[0].val, path+".accessPoints")
		}
		p.Advertise = r.optBool(f[1], path+".advertise")
		out = append(out, p)
	}
	return out
}

func (r *fileReader) accessPointList(n *tnode, path string) []AccessPoint {
	if n.kind != tArray {
		r.wrongType(n, path, "accepted: a list of {address, port}")
		return nil
	}
	var out []AccessPoint
	for i, item := range n.items {
		p := fmt.Sprintf("%s[%d]", path, i)
		if r.accessPoints == MaxAccessPoints {
			r.problem(item.pos, p, "", fmt.Sprintf("too many access points in the file; accepted: at most %d", MaxAccessPoints))
			r.accessPoints++
		}
		if r.accessPoints > MaxAccessPoints {
			return out
		}
		r.accessPoints++
		if ap, ok := r.accessPoint(item, p); ok {
			out = append(out, ap)
		}
	}
	return out
}

func (r *fileReader) accessPoint(n *tnode, path string) (AccessPoint, bool) {
	if n.kind != tObject {
		r.wrongType(n, path, "accepted: an object {address, port}")
		return AccessPoint{}, false
	}
	f := r.fields(n, path, accessPointKeys, warnUnknown)
	ap := AccessPoint{Pos: n.pos}
	addr := f[0]
	switch {
	case addr == nil || addr.val.kind == tNull:
		r.problem(n.pos, path+".address", "", "missing; accepted: an IP address or a DNS name")
		return ap, false
	case addr.val.kind != tString || strings.TrimSpace(addr.val.text) == "":
		r.wrongType(addr.val, path+".address", "accepted: an IP address or a DNS name")
		return ap, false
	}
	ap.Address = addr.val.text
	if ip, err := netip.ParseAddr(ap.Address); err == nil {
		ap.IP = ip.Unmap()
		if ip.IsUnspecified() {
			// Rejected by cardano-node (spec/governor.md §5.2).
			r.problem(addr.val.pos, path+".address", ap.Address, "the unspecified address; accepted: a routable IP address or a DNS name")
			return ap, false
		}
	}
	port := f[1]
	if port == nil || port.val.kind == tNull {
		// 1.x reads a missing port as an SRV name (spec/governor.md §5.2);
		// an IP address cannot be one.
		if ap.IP.IsValid() {
			r.problem(n.pos, path+".port", "", "missing for an IP address; accepted: an integer 1…65535 (only a DNS SRV name may omit the port)")
			return ap, false
		}
		ap.SRV = true
		return ap, true
	}
	v, ok := intOf(port.val)
	if !ok || v < 1 || v > math.MaxUint16 {
		// cardano-node reads an Int and wraps it to 16 bits without a word;
		// dpsim refuses instead of guessing.
		r.wrongType(port.val, path+".port", "accepted: an integer 1…65535")
		return ap, false
	}
	ap.Port = int(v)
	return ap, true
}

// repairGroups applies LocalRootPeers.fromGroups (spec/governor.md §5.3) to
// the groups as written, with a warning for each change: an access point
// already in an earlier group (by key) is dropped, warm := min(warm,
// size), hot := min(hot, warm), and a group with hot ≤ 0 or warm ≤ 0 is
// dropped.
func (r *fileReader) repairGroups(groups []rawGroup, key func(AccessPoint) string) []LocalRootGroup {
	var out []LocalRootGroup
	seen := map[string]string{} // key → field of its first occurrence
	for _, g := range groups {
		var aps []AccessPoint
		for i, ap := range g.written {
			k := key(ap)
			field := fmt.Sprintf("%s.accessPoints[%d]", g.field, i)
			if first, dup := seen[k]; dup {
				r.warn(ap.Pos, field, ap.String(), "already in "+first+"; dropped (local-root groups must be disjoint)")
				continue
			}
			seen[k] = field
			aps = append(aps, ap)
		}
		g.AccessPoints = aps
		if len(g.written) == 0 {
			r.warn(g.Pos, g.field, "", "no access points; the group is ignored")
			continue
		}
		if n := len(aps); g.WarmValency > n {
			if g.src.warmWritten {
				r.warn(g.src.warmPos, g.field+".warmValency", strconv.Itoa(g.WarmValency),
					fmt.Sprintf("above the group's %d distinct access points; lowered to %d", n, n))
			} else { // warm follows hot: one repair lowers both
				r.warn(g.src.hotPos, g.field+"."+g.src.hotField, strconv.Itoa(g.HotValency),
					fmt.Sprintf("above the group's %d distinct access points; lowered to %d (with warmValency, which defaults to it)", n, n))
				g.HotValency = n
			}
			g.WarmValency = n
		}
		if g.HotValency > g.WarmValency {
			r.warn(g.src.hotPos, g.field+"."+g.src.hotField, strconv.Itoa(g.HotValency),
				fmt.Sprintf("above warmValency %d; lowered to %d", g.WarmValency, g.WarmValency))
			g.HotValency = g.WarmValency
		}
		if g.HotValency <= 0 || g.WarmValency <= 0 {
			r.warn(g.Pos, g.field, "", fmt.Sprintf("hotValency %d, warmValency %d: the group is ignored; accepted: valencies ≥ 1", g.HotValency, g.WarmValency))
			continue
		}
		out = append(out, g.LocalRootGroup)
	}
	return out
}

// Resolver maps an access point to the simulated node it names; ok false
// when no node has that address. dpsim resolves every access point,
// DNS names included, to exactly one node.
type Resolver func(ap AccessPoint) (id node.PeerID, ok bool)

// GovernorRoots are a topology file's roots in the governor's terms.
type GovernorRoots struct {
	LocalRoots  []node.LocalRootGroup
	PublicRoots []node.PublicRoot
	Bootstrap   []node.PeerID // nil when bootstrap peers are disabled
	// LedgerPeers: useLedgerAfterSlot ≥ 0. The slot itself is not modelled:
	// a positive value counts as "from the start".
	LedgerPeers bool
}

// Apply copies the roots into cfg.
func (g GovernorRoots) Apply(cfg *node.GovernorConfig) {
	cfg.LocalRoots = g.LocalRoots
	cfg.PublicRoots = g.PublicRoots
	cfg.Bootstrap = g.Bootstrap
	cfg.LedgerPeers = g.LedgerPeers
}

// Roots resolves the topology's access points for node self. An access
// point the resolver does not know, or that names self, is a problem at its
// position. Two access points resolving to the same node in local roots
// are repaired as duplicates (§5.3), with a warning; public roots that are
// also local roots stay, the governor prefers the local root.
func (t *TopologyFile) Roots(self node.PeerID, resolve Resolver) (GovernorRoots, Warnings, error) {
	r := &fileReader{file: t.Path}
	ids := map[AccessPoint]node.PeerID{}
	lookup := func(ap AccessPoint, field string) bool {
		id, ok := resolve(ap)
		switch {
		case !ok:
			r.problem(ap.Pos, field, ap.String(), "no simulated node has this address; accepted: an address of one of the scenario's nodes")
		case id == self:
			r.problem(ap.Pos, field, ap.String(), fmt.Sprintf("names the node itself (node %d); accepted: another node", self))
		default:
			ids[ap] = id
		}
		return ok && id != self
	}
	var groups []rawGroup
	for gi, g := range t.LocalRoots {
		rg := rawGroup{LocalRootGroup: g, field: fmt.Sprintf("localRoots[%d]", gi)}
		for i, ap := range g.AccessPoints {
			if lookup(ap, fmt.Sprintf("localRoots[%d].accessPoints[%d]", gi, i)) {
				rg.written = append(rg.written, ap)
			}
		}
		groups = append(groups, rg)
	}
	var out GovernorRoots
	for gi, g := range t.PublicRoots {
		for i, ap := range g.AccessPoints {
			if lookup(ap, fmt.Sprintf("publicRoots[%d].accessPoints[%d]", gi, i)) {
				out.PublicRoots = append(out.PublicRoots, node.PublicRoot{Peer: ids[ap], Advertise: g.Advertise})
			}
		}
	}
	if t.BootstrapEnabled() {
		out.Bootstrap = []node.PeerID{}
		for i, ap := range t.BootstrapPeers {
			if lookup(ap, fmt.Sprintf("bootstrapPeers[%d]", i)) {
				out.Bootstrap = append(out.Bootstrap, ids[ap])
			}
		}
	}
	if len(r.probs) > 0 {
		r.probs.sort()
		return GovernorRoots{}, nil, r.probs.capped()
	}
	byID := func(ap AccessPoint) string { return strconv.Itoa(int(ids[ap])) }
	for _, g := range r.repairGroups(groups, byID) {
		ng := node.LocalRootGroup{HotValency: g.HotValency, WarmValency: g.WarmValency,
			Advertise: g.Advertise, Trustable: g.Trustable,
			InitiatorOnly: g.DiffusionMode == InitiatorOnly, BehindFirewall: g.BehindFirewall}
		for _, ap := range g.AccessPoints {
			ng.Peers = append(ng.Peers, ids[ap])
		}
		out.LocalRoots = append(out.LocalRoots, ng)
	}
	out.LedgerPeers = t.LedgerPeers()
	return out, r.sortedWarnings(), nil
}

// Reconcile applies what cardano-node does with a topology given its node
// configuration (CN/Configuration/TopologyP2P.hs, spec/governor.md §2.9,
// §5.3) and returns the warnings it would trace: in GenesisMode bootstrap
// peers are dropped; a peer snapshot without ledger peers is ignored; a
// block producer should not use ledger peers; local roots beyond the
// known-peers target are clamped by the governor. It modifies t.
func (t *TopologyFile) Reconcile(c *NodeConfig, producer bool) Warnings {
	var ws Warnings
	warn := func(field, value, msg string) {
		ws = append(ws, Problem{File: t.Path, Field: field, Value: value, Msg: msg})
	}
	if c.ConsensusMode == GenesisMode && t.BootstrapEnabled() {
		warn("bootstrapPeers", "", "not compatible with GenesisMode (in "+c.Path+"); dropped, as cardano-node does")
		t.Bootstrap, t.BootstrapPeers = BootstrapAbsent, nil
	}
	if !t.PeerSnapshotFile.IsZero() && !t.LedgerPeers() {
		warn("peerSnapshotFile", t.PeerSnapshotFile.Raw, "ignored: ledger peers are disabled (useLedgerAfterSlot < 0)")
	}
	if producer && t.LedgerPeers() {
		warn("useLedgerAfterSlot", strconv.FormatInt(t.UseLedgerAfterSlot, 10), "ledger peers are not recommended for a block producer")
	}
	targets := c.Targets()
	if producer {
		targets = c.ProducerTargets()
	}
	n := 0
	for _, g := range t.LocalRoots {
		n += len(g.AccessPoints)
	}
	if n > targets.Known {
		warn("localRoots", strconv.Itoa(n)+" local roots",
			fmt.Sprintf("more than TargetNumberOfKnownPeers %d; the governor keeps the first %d, group by group", targets.Known, targets.Known))
	}
	return ws
}

// ---- a position-keeping JSON (and YAML) tree ----

type tkind uint8

const (
	tNull tkind = iota
	tBool
	tNumber
	tString
	tObject
	tArray
)

// tnode is one value of a JSON or YAML document with its position. Scalars
// keep their text: a number's literal, a string's value, "true"/"false".
type tnode struct {
	kind    tkind
	text    string
	members []tmember // objects, in file order, duplicates included
	items   []*tnode  // arrays
	pos     Pos
	file    string // set on the root only
}

type tmember struct {
	key    string
	keyPos Pos
	val    *tnode
}

// kindWord names a node's type for messages.
func (n *tnode) kindWord() string {
	switch n.kind {
	case tNull:
		return "null"
	case tBool:
		return "a boolean"
	case tNumber:
		return "a number"
	case tString:
		return "a string"
	case tObject:
		return "an object"
	}
	return "a list"
}

// lineIndex converts byte offsets to 1-based line and column (in bytes).
type lineIndex []int // offsets of line starts

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) pos(off int) Pos {
	i, found := slices.BinarySearch(li, off)
	if !found {
		i--
	}
	return Pos{Line: i + 1, Col: off - li[i] + 1}
}

// parseJSONTree parses exactly one JSON value with encoding/json's token
// stream (numbers kept as literals), recording where each value starts.
// It walks iteratively with an explicit stack, so depth is bounded by
// MaxDepth and not by the Go stack.
func parseJSONTree(name string, data []byte) (*tnode, Problems) {
	li := newLineIndex(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	prev := 0
	at := func(off int) Pos { return li.pos(min(off, len(data))) }
	syntax := func(err error) Problems {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return Problems{{File: name, Line: at(int(se.Offset)).Line, Col: at(int(se.Offset)).Col, Msg: "JSON syntax: " + se.Error()}}
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			p := at(len(data))
			return Problems{{File: name, Line: p.Line, Col: p.Col, Msg: "JSON syntax: unexpected end of file; accepted: a complete JSON document"}}
		}
		return Problems{{File: name, Msg: "JSON syntax: " + err.Error()}}
	}
	type frame struct {
		n      *tnode
		key    string // object: the pending key
		keyPos Pos
		hasKey bool
	}
	var stack []*frame
	var root *tnode
	for {
		tok, err := dec.Token()
		start := prev
		for start < len(data) && strings.IndexByte(" \t\r\n,:", data[start]) >= 0 {
			start++
		}
		prev = int(dec.InputOffset())
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 && root == nil {
				return nil, Problems{{File: name, Msg: "empty file; accepted: a JSON object"}}
			}
			return nil, syntax(err)
		}
		pos := at(start)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
			if top.n.kind == tObject && !top.hasKey {
				top.key, top.keyPos, top.hasKey = tok.(string), pos, true
				continue
			}
		}
		n := &tnode{pos: pos}
		switch v := tok.(type) {
		case json.Delim:
			n.kind = tObject
			if v == '[' {
				n.kind = tArray
			}
		case bool:
			n.kind, n.text = tBool, strconv.FormatBool(v)
		case json.Number:
			n.kind, n.text = tNumber, string(v)
		case string:
			n.kind, n.text = tString, v
		case nil:
			n.kind = tNull
		}
		switch {
		case top == nil:
			root = n
		case top.n.kind == tObject:
			top.n.members = append(top.n.members, tmember{key: top.key, keyPos: top.keyPos, val: n})
			top.hasKey = false
		default:
			top.n.items = append(top.n.items, n)
		}
		if n.kind == tObject || n.kind == tArray {
			if len(stack) >= MaxDepth {
				return nil, Problems{{File: name, Line: pos.Line, Col: pos.Col,
					Msg: fmt.Sprintf("nesting too deep; accepted: at most %d levels", MaxDepth)}}
			}
			stack = append(stack, &frame{n: n})
			continue
		}
		if top == nil {
			break // a scalar document
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		start := prev
		for start < len(data) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
			start++
		}
		p := at(start)
		return nil, Problems{{File: name, Line: p.Line, Col: p.Col,
			Msg: "JSON syntax: data after the end of the document; accepted: exactly one JSON value"}}
	}
	root.file = name
	return root, nil
}

// ---- field readers shared by the topology and config parsers ----

type unknownPolicy uint8

const (
	warnUnknown   unknownPolicy = iota // unknown fields: warning (aeson ignores them)
	ignoreUnknown                      // unknown fields: silent (config.json has hundreds)
)

type fileReader struct {
	file         string
	probs        Problems
	warns        Warnings
	accessPoints int // counted against MaxAccessPoints
}

func (r *fileReader) problem(at Pos, field, value, msg string) {
	r.probs = append(r.probs, Problem{File: r.file, Line: at.Line, Col: at.Col, Field: field, Value: truncate(value), Msg: msg})
}

// sortedWarnings returns the warnings by position, at most MaxProblems of
// them and then a count of the rest.
func (r *fileReader) sortedWarnings() Warnings {
	ps := Problems(r.warns)
	ps.sort()
	if len(ps) <= MaxProblems {
		return Warnings(ps)
	}
	last := ps[MaxProblems-1]
	return append(Warnings(ps[:MaxProblems:MaxProblems]), Problem{File: last.File,
		Msg: fmt.Sprintf("and %d more warnings not shown", len(ps)-MaxProblems)})
}

func (r *fileReader) warn(at Pos, field, value, msg string) {
	r.warns = append(r.warns, Problem{File: r.file, Line: at.Line, Col: at.Col, Field: field, Value: truncate(value), Msg: msg})
}

// wrongType reports a bad value: a scalar by its text, a collection by
// its type.
func (r *fileReader) wrongType(n *tnode, field, msg string) {
	value := n.text
	switch n.kind {
	case tObject, tArray, tNull:
		value, msg = "", "got "+n.kindWord()+"; "+msg
	case tString:
		if n.text == "" {
			value, msg = "", "got an empty string; "+msg
		} else if _, err := strconv.ParseFloat(n.text, 64); err == nil || n.text == "true" || n.text == "false" {
			msg = "got a quoted string; " + msg
		}
	}
	r.problem(n.pos, field, value, msg)
}

// fields returns, for each known key, the object's member with that key
// (the last one when repeated, as aeson keeps the last; with a warning), or
// nil. Unknown keys are warned about or ignored per policy; a key differing
// from a known one only in case gets a hint either way.
func (r *fileReader) fields(n *tnode, path string, known []string, policy unknownPolicy) []*tmember {
	out := make([]*tmember, len(known))
	first := map[string]Pos{}
	for i := range n.members {
		m := &n.members[i]
		field := join(path, m.key)
		if p, dup := first[m.key]; dup {
			r.warn(m.keyPos, field, "", fmt.Sprintf("duplicate field, first given on line %d; the last value is used", p.Line))
		} else {
			first[m.key] = m.keyPos
		}
		if j := slices.Index(known, m.key); j >= 0 {
			out[j] = m
			continue
		}
		if j := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, m.key) }); j >= 0 {
			r.warn(m.keyPos, field, "", "unknown field, ignored; did you mean "+known[j]+"? (names are case-sensitive)")
			continue
		}
		if policy == warnUnknown {
			r.warn(m.keyPos, field, "", "unknown field, ignored; known here: "+strings.Join(known, ", "))
		}
	}
	return out
}

// optBool reads an optional boolean (absent or null: false).
func (r *fileReader) optBool(m *tmember, field string) bool {
	if m == nil || m.val.kind == tNull {
		return false
	}
	if m.val.kind != tBool {
		r.wrongType(m.val, field, "accepted: true or false")
		return false
	}
	return m.val.text == "true"
}

// optInt reads an optional integer without reporting: ok false when absent,
// null or not an integer.
func (r *fileReader) optInt(m *tmember) (int64, bool) {
	if m == nil {
		return 0, false
	}
	return intOf(m.val)
}

// intOf reads an integer the way aeson's bounded Int parser does: any
// number literal whose value is a whole number in range (6, 6.0 and 6e0
// alike); 2.5 and 1e400 are refused.
func intOf(n *tnode) (int64, bool) {
	if n.kind != tNumber {
		return 0, false
	}
	if v, err := strconv.ParseInt(n.text, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// slotOf reads useLedgerAfterSlot: any number, floored (UseLedgerPeers
// FromJSON), within int64.
func slotOf(n *tnode) (int64, bool) {
	if v, ok := intOf(n); ok {
		return v, true
	}
	if n.kind != tNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil || math.Abs(f) >= 1<<62 {
		return 0, false
	}
	return int64(math.Floor(f)), true
}

// clampInt narrows a parsed integer to int without wrapping.
func clampInt(v int64) int {
	return int(max(min(v, math.MaxInt32), math.MinInt32))
}

func diffusionModeOf(n *tnode) (DiffusionMode, bool) {
	if n.kind == tString {
		switch m := DiffusionMode(n.text); m {
		case InitiatorAndResponder, InitiatorOnly:
			return m, true
		}
	}
	return "", false
}
