package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadProblems loads a file and returns its problems, failing the test
// when it loads cleanly.
func loadProblems(t *testing.T, path string) Problems {
	t.Helper()
	_, err := Load(path)
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load(%s) error = %v; want Problems", path, err)
	}
	return ps
}

// where renders the position and field of each problem, for comparison.
func where(ps Problems) []string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join([]string{itoa(p.Line), itoa(p.Col), p.Field}, ":"))
	}
	return out
}

func itoa(i int) string { return fmtInt(i) }

func TestThreeProblemsAllReported(t *testing.T) {
	path := filepath.Join("testdata", "bad", "three-problems.yaml")
	ps := loadProblems(t, path)
	want := []string{"4:10:nodes.count", "5:3:nodes.colour", "7:11:network.jitter"}
	if got := where(ps); !reflect.DeepEqual(got, want) {
		t.Fatalf("problems at %v, want %v\n%v", got, want, ps)
	}
	lines := strings.Split(ps.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("Error() has %d lines, want 3:\n%v", len(lines), ps)
	}
	for i, prefix := range []string{
		path + `:4:10: nodes.count: value "abc": accepted: an integer`,
		path + `:5:3: nodes.colour: unknown field; accepted: count, classes, stake, pools`,
		path + `:7:11: network.jitter: value "1.5": accepted: a fraction 0 … 1`,
	} {
		if lines[i] != prefix {
			t.Errorf("line %d = %q, want %q", i, lines[i], prefix)
		}
	}
}

func TestEverythingWrong(t *testing.T) {
	ps := loadProblems(t, filepath.Join("testdata", "bad", "everything.yaml"))
	want := []string{
		"1:10:version", "2:7:name", "3:11:duration",
		"6:3:nodes.classes", // no producer; 5 ≠ 3 is not checked as a class count is bad
		"9:13:nodes.classes[1].name", "10:14:nodes.classes[1].count",
		"12:19:nodes.stake.distribution", "16:11:network.latency.file",
		"17:19:network.bandwidth_mbps", "20:11:topology.degree", "18:1:topology.file",
		"22:9:blocks.slot", "23:22:blocks.active_slot_coeff", "24:3:blocks.extra",
	}
	got := where(ps)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), ps)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, " ")+" ", w+" ") {
			t.Errorf("missing problem at %s in:\n%v", w, ps)
		}
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Line > ps[i].Line {
			t.Errorf("problems not sorted by line: %v", got)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		at       string // line:col:field
		contains string
	}{
		{"unknown top-level", base + "governor: {}\n", "5:1:governor",
			"unknown field; accepted: version, name, description, seed, duration, nodes, network, topology, blocks"},
		{"unknown nested", base + "network:\n  latency:\n    modle: geo\n", "7:5:network.latency.modle", "unknown field; accepted: model, file"},
		{"unknown in class", "version: 1\nname: t\nnodes:\n  classes:\n    - {name: a, count: 20, producer: true, stake: 3}\n",
			"5:44:nodes.classes[0].stake", "accepted: name, count, producer"},
		{"duplicate", base + "seed: 1\nseed: 2\n", "6:1:seed", "duplicate field, first given on line 5"},
		{"int is text", "version: 1\nname: t\nnodes:\n  count: abc\n", "4:10:nodes.count", "accepted: an integer"},
		{"int is quoted", "version: 1\nname: t\nnodes:\n  count: \"20\"\n", "4:10:nodes.count", "accepted: an integer"},
		{"int is float", "version: 1\nname: t\nnodes:\n  count: 2.5\n", "4:10:nodes.count", "accepted: an integer"},
		{"int overflow", "version: 1\nname: t\nnodes:\n  count: 99999999999999999999\n", "4:10:nodes.count", "accepted: an integer"},
		{"seed negative", base + "seed: -1\n", "5:7:seed", "accepted: an integer 0 … 18446744073709551615 (2^64 − 1)"},
		{"seed above 2^64 − 1", base + "seed: 18446744073709551616\n", "5:7:seed", "accepted: an integer 0 … 18446744073709551615 (2^64 − 1)"},
		{"compare seed above 2^64 − 1", base + "compare:\n  seeds: [1, 99999999999999999999]\n", "6:14:compare.seeds[1]", "accepted: an integer 0 … 18446744073709551615"},
		{"bool", base + "  classes:\n    - {name: a, count: 20, producer: maybe}\n", "6:38:nodes.classes[0].producer", "accepted: true or false"},
		{"float NaN", base + "network:\n  jitter: .nan\n", "6:11:network.jitter", "accepted: a number"},
		{"mapping expected", base + "network: fast\n", "5:10:network", "accepted: a mapping with fields latency, jitter, bandwidth_mbps"},
		{"list expected", base + "  classes: {name: a}\n", "5:12:nodes.classes", "got a mapping; accepted: a list"},
		{"scalar expected", base + "description: [a, b]\n", "5:14:description", "accepted: text"},
		{"bare duration", base + "duration: 30\n", "5:11:duration", "a bare number is not a duration; use a unit, e.g. 30s"},
		{"float duration", base + "blocks:\n  slot: 1.5\n", "6:9:blocks.slot", "use a unit, e.g. 30s"},
		{"bad duration", base + "duration: 30 minutes\n", "5:11:duration", `accepted: a duration with a unit, e.g. "30s"`},
		{"file is list", base + "topology:\n  model: edges\n  file: [a]\n", "7:9:topology.file", "accepted: a file path"},
		{"syntax", "version: 1\nname: t\nnodes:\n  count: 20\n bad: [1\n", "4:0:", "YAML syntax"},
		{"two documents", base + "---\nversion: 1\n", "5:1:", "a second YAML document"},
		{"alias", base + "topology:\n  degree: &d 3\nblocks:\n  header_bytes: *d\n", "8:17:", "anchors and aliases are not supported"},
		{"top is list", "- 1\n- 2\n", "1:1:", "accepted: a mapping with fields version"},
		{"empty", "", "0:0:", "empty scenario"},
		{"only comments", "# nothing\n", "0:0:", "empty scenario"},
		{"invalid UTF-8", base + "description: ab\xffc\n", "5:16:", "YAML syntax: invalid leading UTF-8 octet (byte offset 53); accepted: UTF-8 text"},
		{"cut UTF-8", base + "description: ab\xc3", "5:16:", "YAML syntax: incomplete UTF-8 octet sequence (byte offset 53)"},
		{"control character", base + "description: a\x01\n", "5:15:", "YAML syntax: control characters are not allowed (byte offset 52)"},
		{"too deep", base + "description: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", "5:", "nesting too deep; accepted: at most 32 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.src)
			got := where(ps)
			found := false
			for i, w := range got {
				if strings.HasPrefix(w, tt.at) && strings.Contains(ps[i].Msg, tt.contains) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem at %q containing %q in:\n%v", tt.at, tt.contains, ps)
			}
		})
	}
}

// TestRandomBytesHavePosition: whatever bytes a scenario holds, a syntax
// problem that yaml.v3 reports without a line (its reader's: invalid
// UTF-8, control characters) gets one, with the byte offset and value.
func TestRandomBytesHavePosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 8))
	for i := range 200 {
		data := make([]byte, 1+rng.IntN(400))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		_, err := Parse(data, "r.yaml")
		var ps Problems
		if !errors.As(err, &ps) {
			t.Fatalf("case %d: %v", i, err)
		}
		for _, p := range ps {
			if strings.HasPrefix(p.Msg, "YAML syntax") && p.Line == 0 && readerError(p.Msg) && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
				t.Errorf("case %d: no position: %v", i, p)
			}
			if readerError(p.Msg) && p.Line > 0 && (!strings.Contains(p.Msg, "(byte offset ") || p.Value == "") {
				t.Errorf("case %d: no byte offset or value: %v", i, p)
			}
		}
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	ps := loadProblems(t, filepath.Join("testdata", "bad", "syntax.yaml"))
	if len(ps) != 1 || ps[0].Line == 0 || !strings.HasPrefix(ps[0].Msg, "YAML syntax: ") {
		t.Fatalf("want one syntax problem with a line, got %#v", ps)
	}
}

func TestTooLarge(t *testing.T) {
	data := []byte(base + "description: " + strings.Repeat("x", MaxFileBytes) + "\n")
	ps := parseProblems(t, string(data))
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "file too large; accepted: at most 1048576 bytes") {
		t.Fatalf("got %v", ps)
	}
	// Load reads at most one byte past the limit and reports the same way.
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if ps := loadProblems(t, path); len(ps) != 1 || ps[0].File != path {
		t.Fatalf("Load: %v", ps)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "no-such.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v does not wrap os.ErrNotExist", err)
	}
}

func TestDefaults(t *testing.T) {
	path := filepath.Join("testdata", "good", "minimal.yaml")
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Version, want.Name, want.Nodes.Count = 1, "minimal", 20
	want.Nodes.Classes = []Class{{Name: "pool", Count: 20, Producer: true}}
	want.Path, want.Hash, want.pos = s.Path, s.Hash, s.pos
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("got  %+v\nwant %+v", *s, want)
	}
	// The documented defaults, spelled out so a changed constant is noticed.
	if s.Seed != 1 || s.Duration != time.Hour || s.Nodes.Stake.Distribution != "pareto" ||
		s.Nodes.Stake.ParetoAlpha != 1.16 || s.Network.Latency.Model != "geo" ||
		s.Network.Jitter != 0 || s.Network.BandwidthMbps != 100 ||
		s.Topology.Model != "random" || s.Topology.Degree != 10 ||
		!reflect.DeepEqual(s.Blocks, Blocks{time.Second, 0.05, 1100, 90112, 0, 5 * time.Millisecond, 50 * time.Millisecond, 0, true, 45500 * time.Microsecond, nil}) ||
		s.Network.Transport != "tcp" || s.Network.TCP != (TCPSpec{1460, 10, true, 0, 12288}) {
		t.Errorf("defaults differ from the documented ones: %+v", s)
	}
}

func TestFilesAndHash(t *testing.T) {
	path := filepath.Join("testdata", "good", "files.yaml")
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if s.Hash != hex.EncodeToString(sum[:]) || s.Path != path {
		t.Errorf("Hash %q Path %q", s.Hash, s.Path)
	}
	dir := filepath.Join("testdata", "good")
	for _, tt := range []struct {
		got, want FileRef
	}{
		{s.Nodes.Stake.File, FileRef{"stake.csv.gz", filepath.Join(dir, "stake.csv.gz")}},
		{s.Network.Latency.File, FileRef{"/abs/latency.csv", "/abs/latency.csv"}},
		{s.Topology.File, FileRef{"../edges.csv", filepath.Join("testdata", "edges.csv")}},
	} {
		if tt.got != tt.want {
			t.Errorf("file = %+v, want %+v", tt.got, tt.want)
		}
	}
	// Count defaults to the sum of the classes; "forge_delay: 0" is allowed
	// without a unit; bandwidth 0 means unlimited.
	if s.Nodes.Count != 10 || s.Blocks.ForgeDelay != 0 || s.Network.BandwidthMbps != 0 {
		t.Errorf("count %d forge %v bandwidth %v", s.Nodes.Count, s.Blocks.ForgeDelay, s.Network.BandwidthMbps)
	}
	if p, ok := s.Position("nodes.classes[1].count"); !ok || p != (Pos{10, 14}) {
		t.Errorf("Position(nodes.classes[1].count) = %v, %v; want 10:14", p, ok)
	}
	if _, ok := s.Position("nodes.count"); ok {
		t.Errorf("Position reports a field that is not in the file")
	}
}

func TestShippedScenarios(t *testing.T) {
	tests := []struct {
		file     string
		name     string
		nodes    int
		duration time.Duration
	}{
		{"quickstart.yaml", "quickstart", 300, 30 * time.Minute},
		{"static-3000.yaml", "static-3000", 3000, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, err := Load(tt.file)
			if err != nil {
				t.Fatalf("shipped scenario does not load:\n%v", err)
			}
			if s.Name != tt.name || s.Nodes.Count != tt.nodes || s.Duration != tt.duration ||
				s.Network.Latency.Model != LatencyGeo || s.Topology.Model != TopologyRandom || s.Topology.Degree != 10 {
				t.Errorf("unexpected content: %+v", s)
			}
			if ps := Validate(s); ps != nil {
				t.Errorf("re-validation: %v", ps)
			}
		})
	}
}

func TestProblemsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(base)
	for i := range MaxProblems + 50 {
		b.WriteString("unknown" + itoa(i) + ": 1\n")
	}
	ps := parseProblems(t, b.String())
	if len(ps) != MaxProblems+1 {
		t.Fatalf("got %d problems, want %d", len(ps), MaxProblems+1)
	}
	if last := ps[MaxProblems]; last.Msg != "and 50 more problems not shown" || last.File != "t.yaml" {
		t.Errorf("last problem = %+v", last)
	}
}

func BenchmarkParseQuickstart(b *testing.B) {
	data, err := os.ReadFile("quickstart.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data, "quickstart.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTopLevelNotMapping(t *testing.T) {
	ps := parseProblems(t, "- 1\n- 2\n")
	if len(ps) != 1 || ps[0].Line != 1 || !strings.HasPrefix(ps[0].Msg, "got a list; accepted: a mapping with fields version, name") {
		t.Fatalf("want one problem about the top level, got:\n%v", ps)
	}
}
