package scenarios

import (
	"fmt"
	"strconv"

	"github.com/dpsim/dpsim/node"
)

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
// are repaired as duplicates (as cardano-node drops a peer already in an
// earlier group from the later ones, spec/governor.md §5.3), with a
// warning; public roots that are also local roots stay, the governor
// prefers the local root.
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
