package scenarios

import (
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Limits of the cardano-node file readers, on top of MaxFileBytes and
// MaxDepth. cardano-node has none; these only keep hostile input cheap.
const (
	// MaxRootGroups bounds the localRoots groups and, separately, the
	// publicRoots entries of one topology file.
	MaxRootGroups = 1000
	// MaxAccessPoints bounds the access points of one topology file, all
	// lists together: the sanity rule's cap on the known-peers target,
	// known ≤ 10000 (spec/governor.md §1.3).
	MaxAccessPoints = 10000
)

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
	// spec/governor.md §5.3, isValidTrustedPeerConfiguration: cardano-node
	// refuses to start when the bootstrap list is empty and no trustable
	// local-root group has access points (as written).
	if t.Bootstrap == BootstrapList && len(f[3].val.items) == 0 {
		trusted := slices.ContainsFunc(rawGroups, func(g rawGroup) bool { return g.Trustable && len(g.written) > 0 })
		if !trusted {
			r.problem(f[3].val.pos, "bootstrapPeers", "[]",
				"bootstrap peers enabled with an empty list and no trustable local root: cardano-node refuses to start; "+
					"accepted: a non-empty list, null (disabled), or a localRoots group with trustable: true and access points")
		}
	}
	// The repairs run whatever else is wrong, so that what cardano-node
	// would repair is reported with the problems in one pass; a group
	// whose access points did not all decode skips the repairs that
	// depend on its size (repairGroups).
	t.LocalRoots = r.repairGroups(rawGroups, AccessPoint.key)
	return t
}

// rawGroup is a local-root group as written, before the repairs.
type rawGroup struct {
	LocalRootGroup
	written []AccessPoint
	field   string
	// partial: some access points failed to decode (each a problem), so
	// the group's size is unknown.
	partial bool
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
		grp.partial = f[0].val.kind != tArray || len(grp.written) != len(f[0].val.items)
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
		if !strings.HasPrefix(ap.Address, "_") {
			// An SRV name starts with its _service._proto labels
			// (CIP-0155, e.g. _cardano._tcp.example.com): without them
			// the port was most likely forgotten.
			r.warn(n.pos, path+".port", "", "missing, so cardano-node 10.7 (ouroboros-network 1.x) reads "+strconv.Quote(ap.Address)+
				" as a DNS SRV name and earlier versions refuse the file; the name has no _service._proto labels, so a port was probably forgotten; "+
				"accepted: an integer 1…65535, or an SRV name such as _cardano._tcp."+strings.TrimSuffix(ap.Address, "."))
		}
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
		if g.partial {
			// Its size is unknown: only the size-free rules apply.
			if g.HotValency <= 0 || g.WarmValency <= 0 {
				r.warn(g.Pos, g.field, "", fmt.Sprintf("hotValency %d, warmValency %d: the group is ignored; accepted: valencies ≥ 1", g.HotValency, g.WarmValency))
			}
			continue
		}
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

func diffusionModeOf(n *tnode) (DiffusionMode, bool) {
	if n.kind == tString {
		switch m := DiffusionMode(n.text); m {
		case InitiatorAndResponder, InitiatorOnly:
			return m, true
		}
	}
	return "", false
}
