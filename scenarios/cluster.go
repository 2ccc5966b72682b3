package scenarios

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// LatencyPings reads measured pings (netmodel.ReadPings): a CSV
// source,dest,rtt_ms or the benchmark cluster's latency.csv layout.
const LatencyPings = "pings"

// TopologyLocalRoots is the static topology of operators' files
// (operators.folder): each node takes blocks from the local roots of its
// topology.json, all kept hot for the whole run, as a cardano-node with
// hotValency equal to its group size does (spec/governor.md §1.2) and as
// the benchmark cluster ran (its SOURCE-README.md: "The topology is static").
const TopologyLocalRoots = "local-roots"

// File names inside a node folder (operators.folder).
const (
	TopologyFileName = "topology.json"
	ConfigFileName   = "config.json"
)

// Operators builds nodes from operators' cardano-node files: a whole
// network from a folder of per-node folders, as operators deploy them
// (each sub-folder holding a topology.json, and optionally a config.json,
// is one node named by the folder's name), and selected nodes of a p2p
// network with their own files.
type Operators struct {
	// Folder holds the node folders. Nodes are numbered in the natural
	// order of their names (node-2 before node-10); a sub-folder without
	// topology.json is not a node.
	Folder FileRef `yaml:"folder"`
	// Addresses maps node names to the addresses the topology files use
	// (ParseAddressMap); required with Folder.
	Addresses FileRef `yaml:"addresses"`
	// Exclude lists folder names that are not nodes (the cluster's explorer).
	Exclude []string `yaml:"exclude"`
	// Nodes give selected nodes their own files (topology.model p2p).
	Nodes []NodeOverride `yaml:"nodes"`
}

// NodeOverride gives one node its own cardano-node files in a p2p
// scenario: its governor takes its roots from Topology and its targets and
// peer sharing from Config (when given, else the class's targets), and
// runs the cardano policy, as a real cardano-node would.
type NodeOverride struct {
	Node     int     `yaml:"node"`
	Topology FileRef `yaml:"topology"`
	Config   FileRef `yaml:"config"`
}

// clusterFiles lists the FileRefs of the operators section, for
// ApplyDefaults.
func (s *Scenario) clusterFiles() []*FileRef {
	out := []*FileRef{&s.Operators.Folder, &s.Operators.Addresses}
	for i := range s.Operators.Nodes {
		o := &s.Operators.Nodes[i]
		out = append(out, &o.Topology, &o.Config)
	}
	return out
}

// cluster checks the operators section and the models that need it.
// Node folders are not opened here: Build checks that the folder holds
// nodes.count nodes.
func (v *validator) cluster() {
	s := v.s
	f := &s.Operators
	from := !f.Folder.IsZero()
	model := s.Topology.Model
	if from && model != TopologyLocalRoots && model != TopologyP2P {
		v.add("operators.folder", "", "applies only with topology.model local-roots or p2p; accepted: one of those models, or remove it")
	}
	if !from && model == TopologyLocalRoots {
		v.add("topology.model", model, "needs operators.folder (the nodes' topology.json files); accepted: random, edges, p2p, or add operators.folder")
	}
	v.file("operators.addresses", f.Addresses, from, "operators.folder")
	if strings.ContainsRune(f.Folder.Raw, 0) {
		v.add("operators.folder", f.Folder.Raw, "accepted: a path without NUL bytes")
	}
	if !from && len(f.Exclude) > 0 {
		v.add("operators.exclude", "", "applies only with operators.folder; accepted: remove it")
	}
	for i, x := range f.Exclude {
		if x == "" || x == "." || x == ".." || strings.ContainsAny(x, "/\\\x00") {
			v.add(fmt.Sprintf("operators.exclude[%d]", i), x, "accepted: a folder name (no path separators)")
		} else if j := slices.Index(f.Exclude[:i], x); j >= 0 {
			v.add(fmt.Sprintf("operators.exclude[%d]", i), x, fmt.Sprintf("also operators.exclude[%d]; accepted: each name once", j))
		}
	}
	if len(f.Nodes) > 0 && model != TopologyP2P {
		v.add("operators.nodes", "", "applies only with topology.model: p2p; accepted: remove it")
	}
	if len(f.Nodes) > MaxNodes {
		v.add("operators.nodes", fmtInt(len(f.Nodes)), fmt.Sprintf("accepted: at most %d entries", MaxNodes))
		return
	}
	seen := map[int]int{}
	for i, o := range f.Nodes {
		fld := fmt.Sprintf("operators.nodes[%d]", i)
		switch j, dup := seen[o.Node]; {
		case o.Node < 0 || o.Node >= s.Nodes.Count:
			v.add(fld+".node", fmtInt(o.Node), fmt.Sprintf("accepted: a node id 0 … %d (nodes.count - 1)", max(s.Nodes.Count-1, 0)))
		case dup:
			v.add(fld+".node", fmtInt(o.Node), fmt.Sprintf("also operators.nodes[%d]; accepted: each node once", j))
		default:
			seen[o.Node] = i
		}
		v.file(fld+".topology", o.Topology, true, "operators.nodes")
		if strings.ContainsRune(o.Config.Raw, 0) {
			v.add(fld+".config", o.Config.Raw, "accepted: a path without NUL bytes")
		}
	}
}

// naturalCompare orders names with their digit runs compared as numbers, so
// node-2 comes before node-10; equal-valued names fall back to byte order.
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		da, db := isDigit(a[i]), isDigit(b[j])
		if da && db {
			ei, ej := i, j
			for ei < len(a) && isDigit(a[ei]) {
				ei++
			}
			for ej < len(b) && isDigit(b[ej]) {
				ej++
			}
			x, y := strings.TrimLeft(a[i:ei], "0"), strings.TrimLeft(b[j:ej], "0")
			if c := cmp.Compare(len(x), len(y)); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			i, j = ei, ej
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// NodeFolders lists the node folders of dir: the sub-folders holding a
// topology.json, minus exclude, in natural order of their names.
func NodeFolders(dir string, exclude []string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() || slices.Contains(exclude, e.Name()) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), TopologyFileName)); err == nil {
			names = append(names, e.Name())
		}
	}
	for _, x := range exclude {
		if _, err := os.Stat(filepath.Join(dir, x)); err != nil {
			return nil, fmt.Errorf("exclude %q: no such folder in %s; accepted: the name of one of its folders", x, dir)
		}
	}
	slices.SortFunc(names, naturalCompare)
	return names, nil
}

// idNames names the nodes of a generated network by their ids.
func idNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}
