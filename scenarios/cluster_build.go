package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
)

// nodeFiles are the operators' files of a run's nodes (operators.folder and
// operators.nodes) and how their addresses resolve.
type nodeFiles struct {
	names    []string        // node i's name: its folder's, else its id
	topo     []*TopologyFile // nil: the node has no files of its own
	conf     []*NodeConfig   // nil: no config.json
	field    []string        // the scenario field the node's files come from
	resolve  Resolver
	warnings []string
}

// NodeNames returns the nodes' names: the folder names with operators.folder,
// else the node ids in decimal (the names a pings file uses).
func (r *Run) NodeNames() []string { return r.files.names }

// Warnings returns what was repaired in the operators' files the run
// read (cardano-node's silent repairs, spec/governor.md §5.3), one line
// each as file:line:col: warning: ….
func (r *Run) Warnings() []string { return r.files.warnings }

// loadNodeFiles reads operators.folder (the folder, its address map and every
// node's topology.json and config.json) and operators.nodes.
func loadNodeFiles(s *Scenario) (*nodeFiles, error) {
	n := s.Nodes.Count
	f := &nodeFiles{topo: make([]*TopologyFile, n), conf: make([]*NodeConfig, n), field: make([]string, n)}
	from := &s.Operators
	if from.Folder.IsZero() {
		f.names = idNames(n)
		f.resolve = generatedResolver(n)
	} else {
		names, err := NodeFolders(from.Folder.Resolved, from.Exclude)
		if err != nil {
			return nil, s.errorAt("operators.folder", err)
		}
		if len(names) != n {
			return nil, s.errorAt("nodes.count", fmt.Errorf("%s holds %d node folders (with a %s): accepted: nodes.count = %d, or exclude folders",
				from.Folder.Raw, len(names), TopologyFileName, len(names)))
		}
		f.names = names
		addrs, err := LoadAddressMap(from.Addresses.Resolved)
		if err != nil {
			return nil, s.errorAt("operators.addresses", err)
		}
		f.resolve = addrs.Resolver(names)
		for i, name := range names {
			dir := filepath.Join(from.Folder.Resolved, name)
			conf := filepath.Join(dir, ConfigFileName)
			if _, err := os.Stat(conf); err != nil {
				conf = ""
			}
			if err := f.load(i, filepath.Join(dir, TopologyFileName), conf); err != nil {
				return nil, s.errorAt("operators.folder", err)
			}
			f.field[i] = "operators.folder"
		}
	}
	for i, o := range s.Operators.Nodes {
		fld := fmt.Sprintf("operators.nodes[%d]", i)
		if err := f.load(o.Node, o.Topology.Resolved, o.Config.Resolved); err != nil {
			return nil, s.errorAt(fld, err)
		}
		f.field[o.Node] = fld
	}
	return f, nil
}

// load reads node i's topology file and, when conf is not "", its
// configuration.
func (f *nodeFiles) load(i int, topo, conf string) error {
	t, ws, err := LoadTopologyJSON(topo)
	if err != nil {
		return err
	}
	f.topo[i] = t
	f.warnings = append(f.warnings, ws.Lines()...)
	if conf != "" {
		c, ws, err := LoadNodeConfig(conf)
		if err != nil {
			return err
		}
		f.conf[i] = c
		f.warnings = append(f.warnings, ws.Lines()...)
	}
	return nil
}

// staticPeers builds topology.model local-roots: node i takes blocks from
// every local root of its topology.json, so peers[j] (whom j announces to)
// holds i for each local root j of i. Links are directed, as cardano-node
// runs them: a node pulls over chain-sync and block-fetch only from the
// peers it made hot itself. Every link needs a latency; with pings, a
// measurement of its own (no region fallback).
func (f *nodeFiles) staticPeers(s *Scenario, lat netmodel.Latency) ([][]int32, error) {
	n := s.Nodes.Count
	peers := make([][]int32, n)
	pings, _ := lat.(*netmodel.Pings)
	for i, t := range f.topo {
		up, err := f.upstreams(i)
		if err != nil {
			return nil, s.errorAt(f.field[i], err)
		}
		for _, j := range up {
			ok := false
			if pings != nil {
				_, ok = pings.Measured(int(j), i)
			} else {
				_, ok = lat.OneWay(int(j), i)
			}
			if !ok {
				return nil, s.errorAt("network.latency.file", fmt.Errorf("%s: no latency between %s and %s (a local root of %s in %s); accepted: a latency source that measures every linked pair",
					s.Network.Latency.File.Raw, f.names[i], f.names[j], f.names[i], t.Path))
			}
			peers[j] = append(peers[j], int32(i)) // ascending: i grows
		}
	}
	return peers, nil
}

// upstreams returns node i's local roots in ascending id order, refusing
// what a static overlay cannot honour.
func (f *nodeFiles) upstreams(i int) ([]int32, error) {
	t := f.topo[i]
	if t == nil {
		return nil, fmt.Errorf("node %s has no %s", f.names[i], TopologyFileName)
	}
	switch {
	case len(t.PublicRoots) > 0:
		return nil, fmt.Errorf("%s: publicRoots: the static local-roots model uses only localRoots; accepted: topology.model p2p, or no publicRoots", t.Path)
	case t.BootstrapEnabled():
		return nil, fmt.Errorf("%s: bootstrapPeers: the static local-roots model uses only localRoots; accepted: topology.model p2p, or bootstrapPeers null", t.Path)
	case t.LedgerPeers():
		return nil, fmt.Errorf("%s: useLedgerAfterSlot %d: the static local-roots model uses no ledger peers; accepted: topology.model p2p, or -1", t.Path, t.UseLedgerAfterSlot)
	}
	roots, ws, err := t.Roots(node.PeerID(i), f.resolve)
	if err != nil {
		return nil, err
	}
	f.warnings = append(f.warnings, ws.Lines()...)
	var up []int32
	for gi, g := range roots.LocalRoots {
		if g.HotValency != len(g.Peers) {
			return nil, fmt.Errorf("%s: localRoots[%d]: hotValency %d of %d peers: the static model keeps every local root hot; accepted: hotValency equal to the group's size, or topology.model p2p",
				t.Path, gi, g.HotValency, len(g.Peers))
		}
		up = append(up, g.Peers...)
	}
	slices.Sort(up)
	return slices.Compact(up), nil
}

// Upstreams returns, for a static run, the nodes each node takes blocks
// from (the inverse of Peers), in ascending order.
func (r *Run) Upstreams() [][]int32 {
	up := make([][]int32, len(r.Peers))
	for j, ds := range r.Peers {
		for _, i := range ds {
			up[i] = append(up[i], int32(j))
		}
	}
	return up
}

// ownNode applies the operator's files of node i (of class c) to g: its
// roots from topology.json (with the repairs as warnings), and returns its
// targets (config.json's for its role, else the class's or the p2p
// section's) and, when config.json says, its peer sharing.
func (f *nodeFiles) ownNode(s *Scenario, i int, c Class, g *node.GovernorConfig) (node.Targets, *bool, error) {
	t := f.topo[i]
	targets := s.P2P.Targets.Node()
	if !c.Targets.IsZero() {
		targets = c.Targets.Node()
	}
	conf := f.conf[i]
	if conf != nil {
		f.warnings = append(f.warnings, t.Reconcile(conf, c.Producer).Lines()...)
		targets = conf.Targets()
		if c.Producer {
			targets = conf.ProducerTargets()
		}
	}
	roots, ws, err := t.Roots(node.PeerID(i), f.resolve)
	if err != nil {
		return node.Targets{}, nil, s.errorAt(f.field[i], err)
	}
	f.warnings = append(f.warnings, ws.Lines()...)
	roots.Apply(g)
	if conf == nil {
		return targets, nil, nil
	}
	sharing := conf.PeerSharingFor(c.Producer)
	return targets, &sharing, nil
}

// errorAt names node i's files in a problem with its configuration.
func (f *nodeFiles) errorAt(s *Scenario, i int, err error) error {
	return s.errorAt(f.field[i], fmt.Errorf("node %s (%s): %w", f.names[i], f.topo[i].Path, err))
}
