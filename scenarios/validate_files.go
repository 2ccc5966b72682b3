package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/netmodel"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim/world"
)

// ValidateFiles opens and checks every file scenario s names, with the
// readers and limits Build uses: the latency source (a matrix, an edge
// list or a pings file; with the geo model, the pools' metadata file), the
// topology's edge list, the stake file, and the operators' folder, address
// map and every node's topology.json and config.json, each access point
// resolved to a node as the run resolves it. Build stops at the first
// problem; ValidateFiles reports every file's problems in one pass. A
// file's own problems name the file, line, field, value and what is
// accepted; the others name the scenario field that names the file.
//
// When no file has a problem it builds the run (Build, seed s.Seed), so
// that whatever else a run of s would refuse is a problem here too: a
// scenario ValidateFiles passes builds.
//
// The warnings, one line each, are what a run prints (cardano-node's
// repairs in the operators' files) and what it does not: a static
// topology that leaves nodes unreachable. s must have passed Validate (as
// Parse and Load ensure); when it has not, Validate's problems are
// returned and no file is opened.
func ValidateFiles(s *Scenario) (Problems, []string) {
	if ps := Validate(s); len(ps) > 0 {
		return ps, nil
	}
	c := &fileCheck{v: validator{s: s}, s: s}
	c.operators()
	c.latency()
	c.topology()
	c.stake()
	c.roots()
	if len(c.v.probs) == 0 {
		r, err := Build(s, s.Seed, discard{})
		switch {
		case err != nil:
			c.err("", err)
		case s.Topology.Model == TopologyRandom:
			// Drawn once, here: it reads no file, and drawing costs
			// O(n²) (a permutation per node).
			c.warns = append(c.warns, r.Unreached()...)
		}
	}
	c.v.probs.sortByFile()
	return c.v.probs.capped(), c.warns
}

// sortByFile orders problems file by file, the files in the order they
// first appear, and by position within each file.
func (ps Problems) sortByFile() {
	rank := map[string]int{}
	for _, p := range ps {
		if _, ok := rank[p.File]; !ok {
			rank[p.File] = len(rank)
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(rank[a.File], rank[b.File]), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// fileCheck is one ValidateFiles pass: what it has read so far.
type fileCheck struct {
	v     validator // collects the problems, at the scenario's positions
	s     *Scenario
	warns []string

	names   []string        // node names; nil when the folder failed
	topo    []*TopologyFile // per node; nil: no files, or they failed
	conf    []*NodeConfig
	field   []string // the scenario field each node's files come from
	failed  []bool   // the node's files had problems
	resolve Resolver // nil when the address map failed
	lat     netmodel.Latency
}

// err records an error of a reader or of Build: a Problems as it is (a
// file's own problems name that file), anything else at field.
func (c *fileCheck) err(field string, err error) {
	var ps Problems
	if errors.As(err, &ps) {
		c.v.probs = append(c.v.probs, ps...)
		return
	}
	c.v.add(field, "", err.Error())
}

// exists checks that the file (or, with folder, the folder) f names is
// there, reporting at field when it is not; the readers report the rest.
func (c *fileCheck) exists(field string, f FileRef, folder bool) bool {
	kind := "file"
	if folder {
		kind = "folder"
	}
	st, err := os.Stat(f.Resolved)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		looked := ""
		if f.Resolved != f.Raw {
			looked = " (looked for " + f.Resolved + ")"
		}
		c.v.add(field, f.Raw, fmt.Sprintf("no such %s%s; accepted: an existing %s, by a path relative to the scenario's folder (%s) or absolute",
			kind, looked, kind, filepath.Dir(c.s.Path)))
	case err != nil:
		c.v.add(field, f.Raw, err.Error())
	case folder && !st.IsDir():
		c.v.add(field, f.Raw, "not a folder; accepted: a folder of node folders")
	case !folder && st.IsDir():
		c.v.add(field, f.Raw, "a folder; accepted: a file")
	default:
		return true
	}
	return false
}

// operators reads operators.folder (its node folders, the address map and
// every node's files) and operators.nodes, as loadNodeFiles does, going on
// past a broken node.
func (c *fileCheck) operators() {
	s := c.s
	n := s.Nodes.Count
	c.topo, c.conf, c.field, c.failed = make([]*TopologyFile, n), make([]*NodeConfig, n), make([]string, n), make([]bool, n)
	from := &s.Operators
	if from.Folder.IsZero() {
		c.names, c.resolve = idNames(n), generatedResolver(n)
	} else {
		folderOK := c.exists("operators.folder", from.Folder, true)
		var names []string
		if folderOK {
			var err error
			if names, err = NodeFolders(from.Folder.Resolved, from.Exclude); err != nil {
				c.err("operators.folder", err)
			} else if len(names) != n {
				c.v.add("nodes.count", fmtInt(n), fmt.Sprintf("%s holds %d node folders (with a %s): accepted: nodes.count = %d, or exclude folders",
					from.Folder.Raw, len(names), TopologyFileName, len(names)))
			} else {
				c.names = names
			}
		}
		var addrs *AddressMap
		if c.exists("operators.addresses", from.Addresses, false) {
			var err error
			if addrs, err = LoadAddressMap(from.Addresses.Resolved); err != nil {
				c.err("operators.addresses", err)
			}
		}
		if c.names != nil && addrs != nil {
			c.resolve = addrs.Resolver(c.names)
		}
		for i, name := range names { // every folder's files, whatever the count
			dir := filepath.Join(from.Folder.Resolved, name)
			conf := filepath.Join(dir, ConfigFileName)
			if _, err := os.Stat(conf); err != nil {
				conf = ""
			}
			c.load(i, "operators.folder", filepath.Join(dir, TopologyFileName), conf)
		}
	}
	for i, o := range from.Nodes {
		fld := fmt.Sprintf("operators.nodes[%d]", i)
		ok := c.exists(fld+".topology", o.Topology, false)
		conf := ""
		if !o.Config.IsZero() {
			ok = c.exists(fld+".config", o.Config, false) && ok
			conf = o.Config.Resolved
		}
		if ok {
			c.load(o.Node, fld, o.Topology.Resolved, conf)
		} else {
			c.failed[o.Node] = true
		}
	}
}

// load reads node i's topology file and, when conf is not "", its
// configuration, keeping them when i is a node of the run.
func (c *fileCheck) load(i int, field, topo, conf string) {
	ok := true
	t, ws, err := LoadTopologyJSON(topo)
	c.warns = append(c.warns, ws.Lines()...)
	if err != nil {
		c.err(field, err)
		ok = false
	}
	var nc *NodeConfig
	if conf != "" {
		nc, ws, err = LoadNodeConfig(conf)
		c.warns = append(c.warns, ws.Lines()...)
		if err != nil {
			c.err(field, err)
			ok = false
		}
	}
	if i >= len(c.topo) {
		return
	}
	c.field[i] = field
	if !ok {
		c.failed[i] = true
		return
	}
	c.topo[i], c.conf[i] = t, nc
}

// latency reads the latency source's file, and the pools' metadata with
// the geo model.
func (c *fileCheck) latency() {
	s := c.s
	l := s.Network.Latency
	switch l.Model {
	case LatencyMatrix, LatencyEdges, LatencyPings:
		if !c.exists("network.latency.file", l.File, false) || c.names == nil {
			return // no names: the folder's problem is reported
		}
	case LatencyGeo:
		if s.Nodes.Pools.File.IsZero() || !c.exists("nodes.pools.file", s.Nodes.Pools.File, false) {
			return // the geo model reads no file
		}
	default:
		return
	}
	lat, err := buildLatency(s, s.Seed, c.names)
	if err != nil {
		c.err("network.latency", err)
		return
	}
	c.lat = lat
}

// topology reads the edge list of topology.model edges and warns when it
// leaves nodes unreachable (a random topology is checked on the built
// run).
func (c *fileCheck) topology() {
	s := c.s
	if s.Topology.Model != TopologyEdges || !c.exists("topology.file", s.Topology.File, false) {
		return
	}
	peers, err := buildTopology(s, s.Seed)
	if err != nil {
		c.err("topology.file", err)
		return
	}
	c.reach(peers)
}

// reach warns when the static topology peers (peers[j]: the nodes j
// relays blocks to) leaves nodes unreachable.
func (c *fileCheck) reach(peers [][]int32) {
	if field, msg := unreached(c.s, c.s.Seed, peers, c.names); msg != "" {
		c.warn(field, msg)
	}
}

// Unreached returns, for a static topology (random, edges, local-roots),
// a warning line when some nodes can never receive some blocks: nodes
// outside the largest connected part of an undirected topology, nodes no
// producer's blocks reach over the local roots. It is nil when every node
// is reached and for Dynamic P2P. ValidateFiles reports the same.
func (r *Run) Unreached() []string {
	field, msg := unreached(r.Scenario, r.Seed, r.Peers, r.NodeNames())
	if msg == "" {
		return nil
	}
	p := Problem{File: r.Scenario.Path, Field: field, Msg: msg}
	if pos, ok := r.Scenario.Position(field); ok {
		p.Line, p.Col = pos.Line, pos.Col
	}
	return []string{WarningLine(p)}
}

// unreached describes the nodes the static topology peers (drawn with
// seed when random) leaves without blocks, and the scenario field to
// blame; msg is "" when there are none.
func unreached(s *Scenario, seed uint64, peers [][]int32, names []string) (field, msg string) {
	switch s.Topology.Model {
	case TopologyRandom, TopologyEdges:
		parts, largest := components(peers)
		if parts <= 1 {
			return "", ""
		}
		msg = fmt.Sprintf("the topology is disconnected: %d of %d nodes cannot be reached from its largest connected part (%d nodes; %d parts in all), so blocks made in one part never reach the others",
			len(peers)-largest, len(peers), largest, parts)
		if s.Topology.Model == TopologyRandom {
			return "topology.degree", msg + fmt.Sprintf(" (drawn with seed %d); accepted: a larger topology.degree", seed)
		}
		return "topology.file", msg + "; accepted: an edge list that links every node"
	case TopologyLocalRoots:
		var from []int32
		id := int32(0)
		for _, cl := range s.Nodes.Classes {
			for range cl.Count {
				if cl.Producer {
					from = append(from, id)
				}
				id++
			}
		}
		var missed []string
		for i, ok := range reach(peers, from) {
			if !ok {
				missed = append(missed, names[i])
			}
		}
		if len(missed) == 0 {
			return "", ""
		}
		shown := missed[:min(len(missed), 5)]
		list := strings.Join(shown, ", ")
		if len(missed) > len(shown) {
			list += ", …"
		}
		return "operators.folder", fmt.Sprintf("%d of %d nodes cannot be reached from any producer over the local roots (%s), so they never adopt a block; accepted: local roots that lead from a producer to every node",
			len(missed), len(peers), list)
	}
	return "", ""
}

// warn records a warning about a scenario field.
func (c *fileCheck) warn(field, msg string) {
	p := Problem{File: c.s.Path, Field: field, Msg: msg}
	if pos, ok := c.s.Position(field); ok {
		p.Line, p.Col = pos.Line, pos.Col
	}
	c.warns = append(c.warns, WarningLine(p))
}

// stake reads the stake file of distribution: file.
func (c *fileCheck) stake() {
	s := c.s
	if s.Nodes.Stake.Distribution != StakeFile || !c.exists("nodes.stake.file", s.Nodes.Stake.File, false) {
		return
	}
	producers := 0
	for _, cl := range s.Nodes.Classes {
		if cl.Producer {
			producers += cl.Count
		}
	}
	if _, err := buildStake(s, s.Seed, producers); err != nil {
		c.err("nodes.stake.file", err)
	}
}

// roots resolves every node's access points as the run does: for
// topology.model local-roots each node's upstreams (and their latencies),
// for p2p each node's roots after its configuration's reconciliation.
func (c *fileCheck) roots() {
	s := c.s
	if c.resolve == nil || c.names == nil {
		return
	}
	if s.Topology.Model == TopologyLocalRoots {
		c.localRoots()
		return
	}
	classOf := make([]Class, 0, s.Nodes.Count)
	for _, cl := range s.Nodes.Classes {
		for range cl.Count {
			classOf = append(classOf, cl)
		}
	}
	for i, t := range c.topo {
		if t == nil {
			continue
		}
		if conf := c.conf[i]; conf != nil {
			c.warns = append(c.warns, t.Reconcile(conf, classOf[i].Producer).Lines()...)
		}
		_, ws, err := t.Roots(node.PeerID(i), c.resolve)
		c.warns = append(c.warns, ws.Lines()...)
		if err != nil {
			c.err(c.field[i], err)
		}
	}
}

// localRoots checks the static local-roots topology: every node's
// upstreams, a latency for every link, and nodes no block can reach.
func (c *fileCheck) localRoots() {
	s := c.s
	f := &nodeFiles{names: c.names, topo: c.topo, conf: c.conf, field: c.field, resolve: c.resolve}
	peers := make([][]int32, len(c.topo))
	complete := true
	pings, _ := c.lat.(*netmodel.Pings)
	for i, t := range c.topo {
		if t == nil {
			complete = false
			continue
		}
		up, err := f.upstreams(i)
		if err != nil {
			c.err(c.field[i], err)
			complete = false
			continue
		}
		for _, j := range up {
			peers[j] = append(peers[j], int32(i))
			if c.lat == nil {
				continue
			}
			ok := false
			if pings != nil {
				_, ok = pings.Measured(int(j), i)
			} else {
				_, ok = c.lat.OneWay(int(j), i)
			}
			if !ok {
				c.v.add("network.latency.file", s.Network.Latency.File.Raw, fmt.Sprintf("no latency between %s and %s (a local root of %s in %s); accepted: a latency source that measures every linked pair",
					c.names[i], c.names[j], c.names[i], t.Path))
			}
		}
	}
	c.warns = append(c.warns, f.warnings...)
	if complete {
		c.reach(peers)
	}
}

// components returns the number of connected parts of an undirected graph
// (peers[i] lists i's neighbours, each link both ways) and the size of the
// largest.
func components(peers [][]int32) (parts, largest int) {
	seen := make([]bool, len(peers))
	for i := range peers {
		if seen[i] {
			continue
		}
		size := len(reachFrom(peers, []int32{int32(i)}, seen))
		parts++
		largest = max(largest, size)
	}
	return parts, largest
}

// reach returns which nodes the links peers[j] → i lead to from the nodes
// from.
func reach(peers [][]int32, from []int32) []bool {
	seen := make([]bool, len(peers))
	reachFrom(peers, from, seen)
	return seen
}

// reachFrom marks in seen every node reachable from from that was not yet
// seen, and returns them.
func reachFrom(peers [][]int32, from []int32, seen []bool) []int32 {
	var queue []int32
	for _, f := range from {
		if !seen[f] {
			seen[f] = true
			queue = append(queue, f)
		}
	}
	for k := 0; k < len(queue); k++ {
		for _, j := range peers[queue[k]] {
			if !seen[j] {
				seen[j] = true
				queue = append(queue, j)
			}
		}
	}
	return queue
}

// discard is the observer of a run that is built to be checked, never run.
type discard struct{}

func (discard) BlockMade(int, int64, int, clock.Time) {}
func (discard) Adopted(int, int, clock.Time)          {}
func (discard) HeaderArrived(int, int, clock.Time)    {}
func (discard) Count(world.Counter, int64)            {}

// MissingFiles returns the files a scenario file names that do not exist,
// for a file whose rules fail (Parse's problems, which keep ValidateFiles
// from running): dpsim validate then reports a missing file in the same
// pass as the other problems. It decodes what it can and checks only that
// each named file exists; nil when the file does not decode to a mapping.
func MissingFiles(data []byte, name string) Problems {
	root, _ := parseYAML(data, name)
	if root == nil {
		return nil
	}
	s := Defaults()
	s.Path = name
	d := &decoder{file: name, pos: map[string]Pos{}, failed: map[string]bool{}}
	d.decode(root, reflect.ValueOf(&s).Elem(), "", Pos{root.Line, root.Column})
	if d.failed[""] {
		return nil
	}
	s.pos = d.pos
	ApplyDefaults(&s)
	c := &fileCheck{v: validator{s: &s}, s: &s}
	named := []struct {
		field  string
		ref    FileRef
		folder bool
	}{
		{"network.latency.file", s.Network.Latency.File, false},
		{"topology.file", s.Topology.File, false},
		{"nodes.stake.file", s.Nodes.Stake.File, false},
		{"nodes.pools.file", s.Nodes.Pools.File, false},
		{"operators.folder", s.Operators.Folder, true},
		{"operators.addresses", s.Operators.Addresses, false},
	}
	for _, f := range named {
		if !f.ref.IsZero() && !d.failed[f.field] {
			c.exists(f.field, f.ref, f.folder)
		}
	}
	for i, o := range s.Operators.Nodes {
		for _, f := range []struct {
			field string
			ref   FileRef
		}{{fmt.Sprintf("operators.nodes[%d].topology", i), o.Topology}, {fmt.Sprintf("operators.nodes[%d].config", i), o.Config}} {
			if !f.ref.IsZero() && !d.failed[f.field] {
				c.exists(f.field, f.ref, false)
			}
		}
	}
	return c.v.probs
}
