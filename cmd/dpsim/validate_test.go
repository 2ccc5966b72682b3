package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func cnode(name string) string {
	return filepath.Join("..", "..", "scenarios", "testdata", "cnode", name)
}

// TestValidateKinds runs validate over each kind, detected and forced,
// checking the exit code and the exact lines that matter.
func TestValidateKinds(t *testing.T) {
	dir := t.TempDir()
	txtTopology := filepath.Join(dir, "relay.txt")
	os.WriteFile(txtTopology, []byte(`{"localRoots": [], "publicRoots": []}`), 0o644)
	unknown := filepath.Join(dir, "x.json")
	os.WriteFile(unknown, []byte(`{"a": 1}`), 0o644)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // lines that must appear
		stderr     []string // substrings that must appear
		notStdout  string
		stderrNone bool
	}{
		{name: "repairs are warnings, exit 0", args: []string{cnode("repairs.json")}, code: 0,
			stdout: []string{cnode("repairs.json") + ": ok (topology, 5 warnings)"},
			stderr: []string{cnode("repairs.json") + `:8:21: warning: localRoots[0].hotValency: value "2": above warmValency 1; lowered to 1`}},
		{name: "broken topology, exit 2", args: []string{cnode("bad-port.json")}, code: 2,
			stderr: []string{
				cnode("bad-port.json") + `:5:42: localRoots[0].accessPoints[0].port: value "70000": accepted: an integer 1…65535`,
				cnode("bad-port.json") + `:7:42: localRoots[0].accessPoints[2].port: value "3001.5": accepted: an integer 1…65535`,
				"dpsim: 1 of 1 files have problems"},
			notStdout: ": ok"},
		{name: "config detected, insane targets refused", args: []string{cnode("config-bad-targets.json")}, code: 2,
			stderr: []string{cnode("config-bad-targets.json") + `:3:32: TargetNumberOfActivePeers: value "50": above TargetNumberOfEstablishedPeers 40`}},
		{name: "YAML config detected", args: []string{cnode("config-bad-types.yaml")}, code: 2,
			stderr: []string{cnode("config-bad-types.yaml") + `:2:16: ConsensusMode: value "Genesis": accepted: PraosMode or GenesisMode`}},
		{name: "config warnings, exit 0", args: []string{cnode("config-warnings.json")}, code: 0,
			stdout: []string{cnode("config-warnings.json") + ": ok (config, 5 warnings)"}},
		{name: "mixed files: one bad fails the run, the rest still checked",
			args: []string{cnode("repairs.json"), cnode("syntax.json"), filepath.Join("..", "..", "scenarios", "quickstart.yaml")}, code: 2,
			stdout: []string{cnode("repairs.json") + ": ok (topology, 5 warnings)", filepath.Join("..", "..", "scenarios", "quickstart.yaml") + ": ok (scenario): about 178 k events, 25 MB of memory, under a second at about 1.1 M events/s"},
			stderr: []string{cnode("syntax.json") + ":4:1: JSON syntax: invalid character '}' looking for beginning of object key string", "1 of 3 files have problems"}},
		{name: "forced kind on an unknown extension", args: []string{"--kind", "topology", txtTopology}, code: 0,
			stdout: []string{txtTopology + ": ok (topology)"}, stderrNone: true},
		{name: "detected from keys on an unknown extension", args: []string{txtTopology}, code: 0,
			stdout: []string{txtTopology + ": ok (topology)"}},
		{name: "forced kind mismatching the file", args: []string{"--kind", "config", cnode("repairs.json")}, code: 0,
			stdout: []string{cnode("repairs.json") + ": ok (config)"}},
		{name: "kind cannot be told", args: []string{unknown}, code: 2,
			stderr: []string{unknown + ": cannot tell the kind of file: tried topology"}},
		{name: "bad --kind", args: []string{"--kind", "yaml", unknown}, code: 2,
			stderr: []string{`--kind "yaml": accepted scenario, topology or config`}},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, code: 2,
			stderr: []string{"nope.json: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := dpsim(t, append([]string{"validate"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			lines := strings.Split(stdout, "\n")
			for _, want := range tt.stdout {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("stdout lacks line %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tt.notStdout != "" && strings.Contains(stdout, tt.notStdout) {
				t.Errorf("stdout has %q:\n%s", tt.notStdout, stdout)
			}
			if tt.stderrNone && stderr != "" {
				t.Errorf("stderr not empty:\n%s", stderr)
			}
		})
	}
}

// TestValidateBenchmarkCluster: all 53 real topology files of the
// benchmark cluster validate cleanly, kind detected.
func TestValidateBenchmarkCluster(t *testing.T) {
	dir := sharedDir(t, "data", "benchmark-cluster-52", "node-configs")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "topology.json"))
	if len(files) != 53 {
		t.Fatalf("%d files, want 53", len(files))
	}
	stdout, stderr, code := dpsim(t, append([]string{"validate"}, files...)...)
	if code != 0 || strings.Count(stdout, ": ok (topology)\n") != 53 || stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestValidateOpensScenarioFiles: validate opens every file a scenario
// names, with run's readers, so each input run refuses (issue 16 item 2)
// fails validate too, exit 2 for both; a disconnected static topology is
// a warning naming how many nodes cannot be reached.
func TestValidateOpensScenarioFiles(t *testing.T) {
	const base = "version: 1\nname: f\nduration: 1m\nnodes:\n  count: 4\n"
	const matrix = "network:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  degree: 2\n"
	const stake = "  stake:\n    distribution: file\n    file: %s\ntopology:\n  degree: 2\n"
	tests := []struct {
		name, yaml string
		files      map[string]string
		want       string // in validate's stderr
	}{
		{"missing file", matrix, nil, `s.yaml:9:11: network.latency.file: value "m.csv": no such file`},
		{"non-square matrix", matrix, map[string]string{"m.csv": "0,1,2,3\n1,0,1,1\n2,1,0,1\n"}, "fewer rows than columns"},
		{"negative latency", matrix, map[string]string{"m.csv": "0,1,2,3\n1,0,-1,1\n2,1,0,1\n3,1,1,0\n"}, `value "-1": negative latency`},
		{"NaN latency", matrix, map[string]string{"m.csv": "0,1,2,3\n1,0,NaN,1\n2,1,0,1\n3,1,1,0\n"}, `value "NaN": not a finite number`},
		{"infinite latency", matrix, map[string]string{"m.csv": "0,1,2,3\n1,0,Inf,1\n2,1,0,1\n3,1,1,0\n"}, `value "Inf": not a finite number`},
		{"bad edge id", "topology:\n  model: edges\n  file: e.csv\n", map[string]string{"e.csv": "a,b\n0,1\n1,9\n"},
			`s.yaml:8:9: topology.file: ` + "%DIR%" + `e.csv:3: field b: value "9": accepted a node id from 0 to 3`},
		{"all-zero stake", fmt.Sprintf(stake, "stake.csv"), map[string]string{"stake.csv": "pool,stake\nx,0\n"}, "no pool with stake > 0"},
		{"false .gz", fmt.Sprintf(stake, "stake.csv.gz"), map[string]string{"stake.csv.gz": "pool,stake\nx,1\n"}, "not a gzip file"},
		{"pings with the wrong header", "network:\n  latency:\n    model: pings\n    file: p.csv\ntopology:\n  degree: 2\n",
			map[string]string{"p.csv": "from,to,ms\n0,1,3\n"}, `header "from,to,ms": accepted: columns source, dest and rtt_ms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir() + string(filepath.Separator)
			for name, text := range tt.files {
				os.WriteFile(dir+name, []byte(text), 0o644)
			}
			os.WriteFile(dir+"s.yaml", []byte(base+tt.yaml), 0o644)
			stdout, stderr, code := dpsim(t, "validate", dir+"s.yaml")
			want := strings.ReplaceAll(tt.want, "%DIR%", dir)
			if code != 2 || !strings.Contains(stderr, want) || strings.Contains(stdout, ": ok") {
				t.Errorf("validate: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", code, stdout, stderr, want)
			}
			if _, stderr, code := dpsim(t, "run", dir+"s.yaml", "--out", dir+"out"); code != 2 {
				t.Errorf("run: exit %d, stderr %s; want 2", code, stderr)
			}
		})
	}
	t.Run("disconnected edge list", func(t *testing.T) {
		dir := t.TempDir() + string(filepath.Separator)
		os.WriteFile(dir+"e.csv", []byte("a,b\n0,1\n2,3\n"), 0o644)
		os.WriteFile(dir+"s.yaml", []byte(base+"topology:\n  model: edges\n  file: e.csv\n"), 0o644)
		stdout, stderr, code := dpsim(t, "validate", dir+"s.yaml")
		want := dir + "s.yaml:8:9: warning: topology.file: the topology is disconnected: 2 of 4 nodes cannot be reached from its largest connected part (2 nodes; 2 parts in all)"
		if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stdout, "s.yaml: ok (scenario, 1 warnings)") {
			t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 0 and %q", code, stdout, stderr, want)
		}
		// run says it too, before simulating, rather than running silently.
		if _, stderr, code := dpsim(t, "run", dir+"s.yaml", "--out", dir+"out"); code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("run: exit %d, stderr:\n%s\nwant exit 0 and %q", code, stderr, want)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		dir := t.TempDir() + string(filepath.Separator)
		os.WriteFile(dir+"stake.csv", []byte("pool,stake\nx,0\n"), 0o644)
		os.WriteFile(dir+"e.csv", []byte("a,b\n0,1\n1,9\n"), 0o644)
		os.WriteFile(dir+"s.yaml", []byte(base+"  stake:\n    distribution: file\n    file: stake.csv\nnetwork:\n  latency:\n    model: matrix\n    file: m.csv\ntopology:\n  model: edges\n  file: e.csv\n"), 0o644)
		_, stderr, code := dpsim(t, "validate", dir+"s.yaml")
		for _, want := range []string{"s.yaml:8:11: nodes.stake.file:", "s.yaml:12:11: network.latency.file:", "s.yaml:15:9: topology.file:"} {
			if code != 2 || !strings.Contains(stderr, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", code, stderr, want)
			}
		}
	})
}

// TestValidateMissingFileBesideRules: a scenario that breaks a rule and
// names a missing file gets both problems in one pass, not the file's only
// after the rule is fixed.
func TestValidateMissingFileBesideRules(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	os.WriteFile(path, []byte("version: 1\nname: x\nduration: 10m\nnodes:\n  count: 10\nnetwork:\n  latency:\n    model: matrix\n    file: nope.csv\n  tcp:\n    initial_window: 0\n"), 0o644)
	_, stderr, code := dpsim(t, "validate", path)
	for _, want := range []string{`s.yaml:9:11: network.latency.file: value "nope.csv": no such file`, `s.yaml:11:21: network.tcp.initial_window: value "0"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %q in:\n%s", want, stderr)
		}
	}
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
}
