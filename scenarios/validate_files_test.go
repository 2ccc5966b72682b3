package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFiles writes name → content into a new folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fileBase is a valid four-node scenario the cases below extend.
const fileBase = "version: 1\nname: f\nduration: 1m\nnodes:\n  count: 4\n"

// brokenFileCases are scenarios whose own fields are valid but whose files
// a run refuses: each with the files it names and what ValidateFiles must
// say (substrings of one problem line).
var brokenFileCases = []struct {
	name  string
	yaml  string
	files map[string]string
	want  []string
}{
	{"missing matrix", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n", nil,
		[]string{"s.yaml:9:11: network.latency.file: value \"m.csv\": no such file", "accepted: an existing file"}},
	{"non-square matrix", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n",
		map[string]string{"m.csv": "0,1,2,3\n1,0,1,1\n2,1,0,1\n"},
		[]string{"s.yaml:9:11: network.latency.file:", "m.csv:4:1:", "fewer rows than columns"}},
	{"matrix of the wrong size", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n",
		map[string]string{"m.csv": "0,1\n1,0\n"},
		[]string{"network.latency.file:", "has 2 nodes: accepted a matrix of nodes.count = 4"}},
	{"negative latency", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n",
		map[string]string{"m.csv": "0,1,2,3\n1,0,-1,1\n2,1,0,1\n3,1,1,0\n"},
		[]string{"m.csv:2:5:", `value "-1": negative latency`}},
	{"NaN latency", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n",
		map[string]string{"m.csv": "0,1,2,3\n1,0,NaN,1\n2,1,0,1\n3,1,1,0\n"},
		[]string{"m.csv:2:5:", `value "NaN": not a finite number`}},
	{"infinite latency", "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n",
		map[string]string{"m.csv": "0,1,2,3\n1,0,1,+Inf\n2,1,0,1\n3,1,1,0\n"},
		[]string{"m.csv:2:7:", `value "+Inf": not a finite number`}},
	{"bad edge id", "topology:\n  model: edges\n  file: e.csv\n",
		map[string]string{"e.csv": "a,b\n0,1\n1,9\n"},
		[]string{"s.yaml:8:9: topology.file:", `e.csv:3: field b: value "9": accepted a node id from 0 to 3`}},
	{"edge latency without its column", "network:\n  latency:\n    model: edges\n    file: e.csv\ntopology:\n  degree: 2\n",
		map[string]string{"e.csv": "a,b\n0,1\n"},
		[]string{"network.latency.file:", "has no latency_ms column"}},
	{"all-zero stake", "  stake:\n    distribution: file\n    file: stake.csv\ntopology:\n  degree: 2\n",
		map[string]string{"stake.csv": "pool,stake\nx,0\ny,0\n"},
		[]string{"s.yaml:8:11: nodes.stake.file:", "no pool with stake > 0"}},
	{"false .gz", "  stake:\n    distribution: file\n    file: stake.csv.gz\ntopology:\n  degree: 2\n",
		map[string]string{"stake.csv.gz": "pool,stake\nx,1\n"},
		[]string{"nodes.stake.file:", "not a gzip file", "accepted a gzip-compressed file"}},
	{"pings with the wrong header", "network:\n  latency:\n    model: pings\n    file: p.csv\ntopology:\n  degree: 2\n",
		map[string]string{"p.csv": "from,to,ms\n0,1,3\n"},
		[]string{"network.latency.file:", `p.csv:1: header "from,to,ms": accepted: columns source, dest and rtt_ms`}},
	{"pings naming another node", "network:\n  latency:\n    model: pings\n    file: p.csv\ntopology:\n  degree: 2\n",
		map[string]string{"p.csv": "source,dest,rtt_ms\n0,7,3\n"},
		[]string{`p.csv:2: dest "7": not a node of the scenario`}},
	{"matrix is a folder", "network:\n  latency:\n    model: matrix\n    file: m\ntopology:\n  degree: 2\n",
		map[string]string{"m/x": ""},
		[]string{"network.latency.file:", `value "m": a folder; accepted: a file`}},
	{"pools meta file not JSON", "  classes:\n    - {name: bp, count: 2, producer: true}\n    - {name: relay, count: 2}\n  pools:\n    producers: bp\n    relays: relay\n    relays_per_pool: 1\n    file: meta.json\ntopology:\n  model: p2p\n",
		map[string]string{"meta.json": "[1, 2]"},
		[]string{"nodes.pools.file:", "meta.json: json: cannot unmarshal"}},
	{"pools meta file too short", "  classes:\n    - {name: bp, count: 2, producer: true}\n    - {name: relay, count: 2}\n  pools:\n    producers: bp\n    relays: relay\n    relays_per_pool: 1\n    file: meta.json\ntopology:\n  model: p2p\n",
		map[string]string{"meta.json": `{"node-0": {"cc": "DE", "region": "cc:DE"}}`},
		[]string{"nodes.pools.file:", "lists 1 pools: accepted a file of at least class bp's 2"}},
	{"operator's topology.json broken", "operators:\n  nodes:\n    - {node: 1, topology: t.json}\ntopology:\n  model: p2p\n",
		map[string]string{"t.json": `{"localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": -1}], "hotValency": 1}], "publicRoots": []}`},
		[]string{"t.json:1:", `localRoots[0].accessPoints[0].port: value "-1": accepted: an integer 1…65535`}},
	{"operator's topology.json names an unknown address", "operators:\n  nodes:\n    - {node: 1, topology: t.json}\ntopology:\n  model: p2p\n",
		map[string]string{"t.json": `{"localRoots": [{"accessPoints": [{"address": "10.0.0.99", "port": 1}], "hotValency": 1}], "publicRoots": []}`},
		[]string{"t.json:1:", "10.0.0.99:1", "no simulated node has this address"}},
	{"operator's config.json missing", "operators:\n  nodes:\n    - {node: 1, topology: t.json, config: c.json}\ntopology:\n  model: p2p\n",
		map[string]string{"t.json": `{"localRoots": [], "publicRoots": []}`},
		[]string{"operators.nodes[0].config:", `value "c.json": no such file`}},
	{"operator's config.json insane", "operators:\n  nodes:\n    - {node: 1, topology: t.json, config: c.json}\ntopology:\n  model: p2p\n",
		map[string]string{"t.json": `{"localRoots": [], "publicRoots": []}`, "c.json": `{"TargetNumberOfActivePeers": 500}`},
		[]string{"c.json:1:", "TargetNumberOfActivePeers"}},
}

// TestValidateFilesRefusesWhatBuildRefuses: every broken file is a
// problem of ValidateFiles, at the field that names it with the file's
// own line, field, value and what is accepted; and Build (what dpsim run
// does) refuses the same scenario, so validate fails exactly where run
// would.
func TestValidateFilesRefusesWhatBuildRefuses(t *testing.T) {
	for _, tc := range brokenFileCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			s, err := Parse([]byte(fileBase+tc.yaml), filepath.Join(dir, "s.yaml"))
			if err != nil {
				t.Fatalf("the scenario's fields are meant to be valid: %v", err)
			}
			probs, _ := ValidateFiles(s)
			if len(probs) == 0 {
				t.Fatal("ValidateFiles found no problem")
			}
			text := probs.Error()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("problems lack %q:\n%s", w, text)
				}
			}
			if _, err := Build(s, s.Seed, discard{}); err == nil {
				t.Errorf("Build accepts what ValidateFiles refuses")
			}
		})
	}
}

// TestValidateFilesOnePass: a scenario with four broken files gets four
// problems, in the scenario's order, where Build stops at the first.
func TestValidateFilesOnePass(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"stake.csv": "pool,stake\nx,0\n",
		"m.csv":     "0,1,2,3\n1,0,NaN,1\n2,1,0,1\n3,1,1,0\n",
		"e.csv":     "a,b\n0,1\n1,9\n",
		"t.json":    `{"localRoots": [], "publicRoots": [], "bootstrapPeers": [{"address": "0.0.0.0", "port": 1}]}`,
	})
	src := fileBase + "  stake:\n    distribution: file\n    file: stake.csv\n" +
		"network:\n  latency:\n    model: matrix\n    file: m.csv\n" +
		"topology:\n  model: edges\n  file: e.csv\n"
	s, err := Parse([]byte(src), filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	probs, _ := ValidateFiles(s)
	var got []string
	for _, p := range probs {
		got = append(got, p.Field)
	}
	if want := []string{"nodes.stake.file", "network.latency.file", "topology.file"}; !slices.Equal(got, want) {
		t.Errorf("problems at %q, want %q:\n%v", got, want, probs)
	}
	_, err = Build(s, s.Seed, discard{})
	if err == nil || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("Build: %v; want its first problem only (the reason for ValidateFiles)", err)
	}
}

// TestValidateFilesCluster: the operators' folder, its address map and
// every node's topology.json are read, and every node's problems are
// reported, not only the first node's.
func TestValidateFilesCluster(t *testing.T) {
	write := func(name, text string) func(string) { return fileWriter(t, name, text) }
	tests := []struct {
		name string
		edit func(dir string)
		want []string // one problem each, in order
	}{
		{"folder missing", func(dir string) { os.RemoveAll(filepath.Join(dir, "line")) },
			[]string{"line.yaml:14:11: operators.folder: value \"line\": no such folder", "line.yaml:15:14: operators.addresses: value \"line/addresses.csv\": no such file",
				"line.yaml:20:11: network.latency.file: value \"line/pings.csv\": no such file"}},
		{"count mismatch", write("line/n3/topology.json", `{"localRoots": [], "publicRoots": []}`),
			[]string{`nodes.count: value "3": line holds 4 node folders (with a topology.json): accepted: nodes.count = 4`}},
		{"two nodes broken", func(dir string) {
			write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.9.9.9", "port": 1}], "valency": 1}], "publicRoots": []}`)(dir)
			write("line/n10/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.2", "port": 70000}], "valency": 1}], "publicRoots": []}`)(dir)
		}, []string{"n10/topology.json:1:", "n1/topology.json:1:"}},
		{"a static node with public roots and another with ledger peers", func(dir string) {
			write("line/n1/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.2", "port": 3001}], "valency": 1}], "publicRoots": [{"accessPoints": [], "advertise": false}]}`)(dir)
			write("line/n2/topology.json", `{"localRoots": [{"accessPoints": [{"address": "10.1.0.10", "port": 3001}], "valency": 1}], "publicRoots": [], "useLedgerAfterSlot": 0}`)(dir)
		}, []string{"publicRoots: the static local-roots model uses only localRoots", "useLedgerAfterSlot 0: the static local-roots model uses no ledger peers"}},
		{"unmeasured links", write("line/pings.csv", "source,dest,rtt_ms\nn2,n1,40\n"),
			[]string{"no latency between n2 and n10", "no latency between n10 and n2"}},
		{"bad address map", write("line/addresses.csv", "n1,10.1.0.1\nn2,10.1.0.1\n"),
			[]string{filepath.Join("line", "addresses.csv") + `:2: address "10.1.0.1" of n2 is also n1's`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeCluster(t, tc.edit)
			s, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			probs, _ := ValidateFiles(s)
			if len(probs) != len(tc.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(probs), len(tc.want), probs)
			}
			for i, w := range tc.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d %q lacks %q", i, probs[i].Error(), w)
				}
			}
			if _, err := Build(s, s.Seed, discard{}); err == nil {
				t.Errorf("Build accepts what ValidateFiles refuses")
			}
		})
	}
}

// TestValidateFilesShipped: every shipped scenario's files check cleanly
// (those on the shared data skip without it), and for the operators'
// scenarios the warnings are the run's.
func TestValidateFilesShipped(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	files = append(files, filepath.Join("testdata", "cluster", "line.yaml"), filepath.Join("testdata", "cluster", "override.yaml"),
		filepath.Join("testdata", "pools", "pools.yaml"))
	if testing.Short() {
		files = slices.DeleteFunc(files, func(f string) bool { return strings.Contains(f, "10") })
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			for _, s := range loadShipped(t, f) {
				shippedFiles(t, s)
			}
		})
	}
}

// shippedFiles checks one shipped scenario's files and warnings.
func shippedFiles(t *testing.T, s *Scenario) {
	for _, ref := range append([]*FileRef{&s.Nodes.Stake.File, &s.Network.Latency.File, &s.Nodes.Pools.File}, s.clusterFiles()...) {
		if _, err := os.Stat(ref.Resolved); ref.Raw != "" && err != nil && strings.Contains(ref.Raw, "shared") {
			t.Skipf("no shared data: %v", err)
		}
	}
	probs, warns := ValidateFiles(s)
	if len(probs) > 0 {
		t.Fatalf("problems:\n%v", probs)
	}
	r, err := Build(s, s.Seed, discard{})
	if err != nil {
		t.Fatal(err)
	}
	want := append(r.Warnings(), r.Unreached()...)
	slices.Sort(want)
	slices.Sort(warns)
	if !slices.Equal(warns, want) {
		t.Errorf("warnings\n%q\nwant the run's\n%q", warns, want)
	}
}

// TestValidateFilesWarnings: a static topology that leaves nodes without
// blocks is a warning naming how many, the same from ValidateFiles and
// from the built run; repairs in operators' files are the run's warnings.
func TestValidateFilesWarnings(t *testing.T) {
	t.Run("disconnected edge list", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"e.csv": "a,b\n0,1\n2,3\n1,3\n4,5\n"})
		s, err := Parse([]byte("version: 1\nname: f\nduration: 1m\nnodes:\n  count: 10\ntopology:\n  model: edges\n  file: e.csv\n"), filepath.Join(dir, "s.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		probs, warns := ValidateFiles(s)
		want := filepath.Join(dir, "s.yaml") + ":8:9: warning: topology.file: the topology is disconnected: 6 of 10 nodes cannot be reached from its largest connected part (4 nodes; 6 parts in all)"
		if len(probs) > 0 || len(warns) != 1 || !strings.HasPrefix(warns[0], want) {
			t.Fatalf("problems %v, warnings %q; want one starting %q", probs, warns, want)
		}
		r, err := Build(s, s.Seed, discard{})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Unreached(); !slices.Equal(got, warns) {
			t.Errorf("Run.Unreached %q, want %q", got, warns)
		}
	})
	t.Run("random topology of degree 1", func(t *testing.T) {
		s, err := Parse([]byte("version: 1\nname: f\nduration: 1m\nnodes:\n  count: 40\ntopology:\n  degree: 1\n"), "s.yaml")
		if err != nil {
			t.Fatal(err)
		}
		_, warns := ValidateFiles(s)
		if len(warns) != 1 || !strings.Contains(warns[0], "s.yaml:7:11: warning: topology.degree: the topology is disconnected: ") ||
			!strings.Contains(warns[0], "(drawn with seed 1); accepted: a larger topology.degree") {
			t.Errorf("warnings %q", warns)
		}
		s.Topology.Degree = 5
		if _, warns := ValidateFiles(s); len(warns) != 0 {
			t.Errorf("degree 5: warnings %q", warns)
		}
	})
	t.Run("local roots that reach no relay", func(t *testing.T) {
		path := writeCluster(t, func(dir string) {
			os.WriteFile(filepath.Join(dir, "line", "n1", "topology.json"), []byte(`{"localRoots": [], "publicRoots": []}`), 0o644)
		})
		s, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		probs, warns := ValidateFiles(s)
		want := "warning: operators.folder: 1 of 3 nodes cannot be reached from any producer over the local roots (n1), so they never adopt a block"
		if len(probs) > 0 || len(warns) != 1 || !strings.Contains(warns[0], want) {
			t.Fatalf("problems %v, warnings %q; want %q", probs, warns, want)
		}
	})
	t.Run("repairs in an operator's file", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"t.json": `{"localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}], "hotValency": 3}], "publicRoots": []}`})
		s, err := Parse([]byte(fileBase+"operators:\n  nodes:\n    - {node: 1, topology: t.json}\ntopology:\n  model: p2p\n"), filepath.Join(dir, "s.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		probs, warns := ValidateFiles(s)
		if len(probs) > 0 || len(warns) != 1 || !strings.Contains(warns[0], "t.json:1:86: warning: localRoots[0].hotValency: value \"3\": above the group's 1 distinct access points") {
			t.Fatalf("problems %v, warnings %q", probs, warns)
		}
	})
	t.Run("a producer's files reconciled as the run does", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{
			"t.json": `{"localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}, {"address": "10.0.0.1", "port": 1}], "hotValency": 1}], "publicRoots": [], "useLedgerAfterSlot": 0}`,
			"c.json": `{"TargetNumberOfKnownPeers": 1, "TargetNumberOfEstablishedPeers": 1, "TargetNumberOfActivePeers": 1, "TargetNumberOfRootPeers": 1}`,
		})
		s, err := Parse([]byte(fileBase+"operators:\n  nodes:\n    - {node: 1, topology: t.json, config: c.json}\ntopology:\n  model: p2p\n"), filepath.Join(dir, "s.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		probs, warns := ValidateFiles(s)
		r, err := Build(s, s.Seed, discard{})
		if len(probs) > 0 || err != nil {
			t.Fatalf("problems %v, build %v", probs, err)
		}
		want := r.Warnings()
		slices.Sort(want)
		slices.Sort(warns)
		if len(warns) != 3 || !slices.Equal(warns, want) {
			t.Errorf("warnings\n%q\nwant the run's 3\n%q", warns, want)
		}
	})
}

// TestValidateFilesInvalidScenario: a scenario that fails Validate is not
// opened: its field problems come back.
func TestValidateFilesInvalidScenario(t *testing.T) {
	s := Defaults()
	s.Version, s.Name = 1, "x"
	ApplyDefaults(&s)
	probs, _ := ValidateFiles(&s)
	if len(probs) == 0 || probs[0].Field != "nodes.count" {
		t.Errorf("problems %v, want nodes.count's", probs)
	}
}
