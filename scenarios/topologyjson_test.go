package scenarios

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/internal/sharedtest"
	"github.com/dpsim/dpsim/node"
	"pgregory.net/rapid"
)

func cnodeFixture(t *testing.T, name string) (string, []byte) {
	t.Helper()
	path := filepath.Join("testdata", "cnode", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// TestTopologyBrokenFixtures pins the exact message of every problem of
// each broken topology fixture: position, field path, value and what is
// accepted.
func TestTopologyBrokenFixtures(t *testing.T) {
	tests := []struct {
		file  string
		want  []string // after "testdata/cnode/<file>:"
		warns []string // the same, reported with the problems
	}{
		// Every field out of the node's ranges at once (issue 16 item 4):
		// the problems, and the repairs cardano-node would make, in one pass.
		{"ranges.json", []string{
			`4:57: localRoots[0].accessPoints[0].port: value "-1": accepted: an integer 1…65535`,
			`12:80: publicRoots[0].accessPoints[0].port: value "65536": accepted: an integer 1…65535`,
			`13:64: bootstrapPeers[1].address: missing; accepted: an IP address or a DNS name`,
		}, []string{
			`3:5: warning: localRoots[0]: hotValency -3, warmValency -3: the group is ignored; accepted: valencies ≥ 1`,
			`7:5: warning: localRoots[1]: hotValency 0, warmValency 0: the group is ignored; accepted: valencies ≥ 1`,
			`13:22: warning: bootstrapPeers[0].port: missing, so cardano-node 10.7 (ouroboros-network 1.x) reads "backbone.cardano.iog.io" as a DNS SRV name and earlier versions refuse the file; ` +
				`the name has no _service._proto labels, so a port was probably forgotten; accepted: an integer 1…65535, or an SRV name such as _cardano._tcp.backbone.cardano.iog.io`,
		}},
		{"bad-port.json", []string{
			`5:42: localRoots[0].accessPoints[0].port: value "70000": accepted: an integer 1…65535`,
			`6:42: localRoots[0].accessPoints[1].port: value "3001": got a quoted string; accepted: an integer 1…65535`,
			`7:42: localRoots[0].accessPoints[2].port: value "3001.5": accepted: an integer 1…65535`,
		}, nil},
		{"missing-fields.json", []string{
			`1:1: publicRoots: missing; accepted: a list (may be empty)`,
			`3:5: localRoots[0].accessPoints: missing; accepted: a list of {address, port}`,
			`3:5: localRoots[0].hotValency: missing; accepted: an integer (or the deprecated valency)`,
		}, nil},
		{"bad-enums.json", []string{
			`6:20: localRoots[0].trustable: value "yes": accepted: true or false`,
			`7:24: localRoots[0].diffusionMode: value "Duplex": accepted: InitiatorAndResponder or InitiatorOnly`,
			`10:54: publicRoots[0].advertise: value "1": accepted: true or false`,
		}, nil},
		{"empty-bootstrap.json", []string{
			`2:21: bootstrapPeers: value "[]": bootstrap peers enabled with an empty list and no trustable local root: ` +
				`cardano-node refuses to start; accepted: a non-empty list, null (disabled), or a localRoots group with trustable: true and access points`,
		}, nil},
		{"bad-address.json", []string{
			`5:22: localRoots[0].accessPoints[0].address: value "0.0.0.0": the unspecified address; accepted: a routable IP address or a DNS name`,
			`6:9: localRoots[0].accessPoints[1].port: missing for an IP address; accepted: an integer 1…65535 (only a DNS SRV name may omit the port)`,
			`7:22: localRoots[0].accessPoints[2].address: got an empty string; accepted: an IP address or a DNS name`,
			`8:9: localRoots[0].accessPoints[3].address: missing; accepted: an IP address or a DNS name`,
		}, nil},
		{"syntax.json", []string{
			`4:1: JSON syntax: invalid character '}' looking for beginning of object key string`,
		}, nil},
		{"wrong-types.json", []string{
			`2:17: localRoots: got an object; accepted: a list of groups {accessPoints, hotValency, …}`,
			`4:25: useLedgerAfterSlot: value "never": accepted: a slot number (< 0 never use ledger peers, 0 always, > 0 from that slot)`,
			`5:21: bootstrapPeers: value "backbone.cardano.iog.io": accepted: null (disabled) or a list of {address, port}`,
			`6:23: peerSnapshotFile: value "5": accepted: a file path`,
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path, data := cnodeFixture(t, tt.file)
			tf, warns, err := ParseTopologyJSON(path, data)
			var ps Problems
			if !errors.As(err, &ps) || tf != nil {
				t.Fatalf("got %v, %v; want Problems", tf, err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			if got := strings.Split(ps.Error(), "\n"); !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var wantW []string
			for _, w := range tt.warns {
				wantW = append(wantW, path+":"+w)
			}
			if got := warns.Lines(); !slices.Equal(got, wantW) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantW, "\n"))
			}
		})
	}
}

// TestTopologyRepairs checks the §5.3 repairs on a fixture: each is applied
// and reported with its position, field, value and what was done.
func TestTopologyRepairs(t *testing.T) {
	path, data := cnodeFixture(t, "repairs.json")
	tf, warns, err := ParseTopologyJSON(path, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`8:21: warning: localRoots[0].hotValency: value "2": above warmValency 1; lowered to 1`,
		`13:9: warning: localRoots[1].accessPoints[0]: value "10.0.0.2:3001": already in localRoots[0].accessPoints[1]; dropped (local-root groups must be disjoint)`,
		`16:18: warning: localRoots[1].valency: value "3": above the group's 1 distinct access points; lowered to 1 (with warmValency, which defaults to it)`,
		`18:7: warning: localRoots[1].comment: unknown field, ignored; known here: accessPoints, advertise, valency, hotValency, warmValency, trustable, diffusionMode, behindFirewall`,
		`20:5: warning: localRoots[2]: no access points; the group is ignored`,
	}
	for i := range want {
		want[i] = path + ":" + want[i]
	}
	if got := warns.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	type g struct {
		aps       string
		hot, warm int
		trustable bool
	}
	var got []g
	for _, grp := range tf.LocalRoots {
		var aps []string
		for _, ap := range grp.AccessPoints {
			aps = append(aps, ap.String())
		}
		got = append(got, g{strings.Join(aps, " "), grp.HotValency, grp.WarmValency, grp.Trustable})
	}
	wantG := []g{{"10.0.0.1:3001 10.0.0.2:3001", 1, 1, false}, {"10.0.0.3:3001", 1, 1, true}}
	if !reflect.DeepEqual(got, wantG) {
		t.Errorf("groups %+v, want %+v", got, wantG)
	}
	if tf.UseLedgerAfterSlot != 0 || !tf.LedgerPeers() {
		t.Errorf("useLedgerAfterSlot %d, want 0 (always)", tf.UseLedgerAfterSlot)
	}
}

const topoBase = `"publicRoots": [], "localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 3001}], "hotValency": 1, "trustable": true}]`

// TestTopologyFields covers the optional fields, their defaults and the
// accepted spellings, table-driven.
func TestTopologyFields(t *testing.T) {
	tests := []struct {
		name  string
		json  string
		check func(t *testing.T, tf *TopologyFile)
		warns []string // substrings, in order
	}{
		{"defaults", `{` + topoBase + `}`, func(t *testing.T, tf *TopologyFile) {
			g := tf.LocalRoots[0]
			if tf.Bootstrap != BootstrapAbsent || tf.BootstrapEnabled() || tf.UseLedgerAfterSlot != -1 || tf.LedgerPeers() ||
				!tf.PeerSnapshotFile.IsZero() || g.WarmValency != 1 || g.Advertise || g.DiffusionMode != InitiatorAndResponder || g.BehindFirewall {
				t.Errorf("defaults wrong: %+v", tf)
			}
		}, nil},
		// The shape of cardano-node 10.7's mainnet-topology.json (spec/governor.md §5.1).
		{"mainnet 10.7 shape", `{
  "bootstrapPeers": [{"address": "backbone.cardano.iog.io", "port": 3001}, {"address": "backbone.mainnet.emurgornd.com", "port": 3001},
    {"address": "backbone.mainnet.cardanofoundation.org", "port": 3001}],
  "localRoots": [{"accessPoints": [], "advertise": false, "trustable": false, "valency": 1}],
  "publicRoots": [{"accessPoints": [], "advertise": false}],
  "useLedgerAfterSlot": 182044807,
  "peerSnapshotFile": "mainnet-peer-snapshot.json"
}`, func(t *testing.T, tf *TopologyFile) {
			if len(tf.BootstrapPeers) != 3 || len(tf.LocalRoots) != 0 || len(tf.PublicRoots) != 1 ||
				tf.UseLedgerAfterSlot != 182044807 || tf.PeerSnapshotFile.Raw != "mainnet-peer-snapshot.json" {
				t.Errorf("%+v", tf)
			}
		}, []string{`cfg/t.json:4:18: warning: localRoots[0]: no access points; the group is ignored`}},
		{"bootstrap null", `{` + topoBase + `, "bootstrapPeers": null}`, func(t *testing.T, tf *TopologyFile) {
			if tf.Bootstrap != BootstrapNull || tf.BootstrapEnabled() || tf.BootstrapPeers != nil {
				t.Errorf("bootstrap %v %v", tf.Bootstrap, tf.BootstrapPeers)
			}
		}, nil},
		{"bootstrap empty with a trustable local root", `{` + topoBase + `, "bootstrapPeers": []}`, func(t *testing.T, tf *TopologyFile) {
			if tf.Bootstrap != BootstrapList || !tf.BootstrapEnabled() || tf.BootstrapPeers == nil || len(tf.BootstrapPeers) != 0 {
				t.Errorf("bootstrap %v %v", tf.Bootstrap, tf.BootstrapPeers)
			}
		}, nil},
		{"bootstrap list", `{` + topoBase + `, "bootstrapPeers": [{"address": "backbone.cardano.iog.io", "port": 3001}]}`, func(t *testing.T, tf *TopologyFile) {
			if len(tf.BootstrapPeers) != 1 || tf.BootstrapPeers[0].String() != "backbone.cardano.iog.io:3001" || tf.BootstrapPeers[0].IP.IsValid() {
				t.Errorf("bootstrap %+v", tf.BootstrapPeers)
			}
		}, nil},
		{"ledger after slot, fraction floored", `{` + topoBase + `, "useLedgerAfterSlot": 182044807.9}`, func(t *testing.T, tf *TopologyFile) {
			if tf.UseLedgerAfterSlot != 182044807 {
				t.Errorf("slot %d", tf.UseLedgerAfterSlot)
			}
		}, nil},
		{"ledger never", `{` + topoBase + `, "useLedgerAfterSlot": -5}`, func(t *testing.T, tf *TopologyFile) {
			if tf.LedgerPeers() {
				t.Error("negative slot enables ledger peers")
			}
		}, nil},
		{"snapshot relative to the file", `{` + topoBase + `, "peerSnapshotFile": "snap.json"}`, func(t *testing.T, tf *TopologyFile) {
			if tf.PeerSnapshotFile.Raw != "snap.json" || tf.PeerSnapshotFile.Resolved != filepath.Join("cfg", "snap.json") {
				t.Errorf("snapshot %+v", tf.PeerSnapshotFile)
			}
		}, nil},
		{"group options", `{"publicRoots": [{"accessPoints": [{"address": "2001:db8::1", "port": 3001}], "advertise": true}],
			"localRoots": [{"accessPoints": [{"address": "_cardano._tcp.a.example"}, {"address": "B.example.", "port": 3001}],
			"hotValency": 1.0, "warmValency": 2, "advertise": true, "diffusionMode": "InitiatorOnly", "behindFirewall": true, "trustable": null}]}`,
			func(t *testing.T, tf *TopologyFile) {
				g, p := tf.LocalRoots[0], tf.PublicRoots[0]
				if g.HotValency != 1 || g.WarmValency != 2 || !g.Advertise || g.Trustable || g.DiffusionMode != InitiatorOnly || !g.BehindFirewall {
					t.Errorf("group %+v", g)
				}
				if !g.AccessPoints[0].SRV || g.AccessPoints[0].String() != "_cardano._tcp.a.example" || g.AccessPoints[1].SRV {
					t.Errorf("access points %+v", g.AccessPoints)
				}
				if !p.Advertise || p.AccessPoints[0].String() != "[2001:db8::1]:3001" {
					t.Errorf("public root %+v", p)
				}
			}, nil},
		{"valency wins over hotValency", `{"publicRoots": [], "localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}, {"address": "10.0.0.2", "port": 1}], "valency": 1, "hotValency": 2}]}`,
			func(t *testing.T, tf *TopologyFile) {
				if tf.LocalRoots[0].HotValency != 1 {
					t.Errorf("hot %d, want valency's 1", tf.LocalRoots[0].HotValency)
				}
			}, []string{`warning: localRoots[0].hotValency: value "2": ignored: the deprecated valency 1 is given too and cardano-node uses it`}},
		{"duplicate and miscased keys", `{` + topoBase + `, "UseLedgerAfterSlot": 5, "publicRoots": []}`, func(t *testing.T, tf *TopologyFile) {
			if tf.LedgerPeers() {
				t.Error("a miscased key was read")
			}
		}, []string{`UseLedgerAfterSlot: unknown field, ignored; did you mean useLedgerAfterSlot?`, `publicRoots: duplicate field, first given on line 1; the last value is used`}},
		{"same peer twice in a group, names compared case-insensitively", `{"publicRoots": [], "localRoots": [{"accessPoints": [{"address": "A.example", "port": 1}, {"address": "a.example.", "port": 1}], "hotValency": 1}]}`,
			func(t *testing.T, tf *TopologyFile) {
				if len(tf.LocalRoots[0].AccessPoints) != 1 {
					t.Errorf("access points %v", tf.LocalRoots[0].AccessPoints)
				}
			}, []string{`localRoots[0].accessPoints[1]: value "a.example.:1": already in localRoots[0].accessPoints[0]`}},
		{"a name without a port is an SRV name, with a word when it does not look like one", `{"publicRoots": [], "localRoots": [], "bootstrapPeers": [{"address": "backbone.cardano.iog.io"}]}`,
			func(t *testing.T, tf *TopologyFile) {
				if ap := tf.BootstrapPeers[0]; !ap.SRV || ap.Port != 0 {
					t.Errorf("bootstrap peer %+v", ap)
				}
			}, []string{`cfg/t.json:1:58: warning: bootstrapPeers[0].port: missing, so cardano-node 10.7 (ouroboros-network 1.x) reads "backbone.cardano.iog.io" as a DNS SRV name`}},
		{"zero valency drops the group", `{"publicRoots": [], "localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}], "hotValency": 0, "warmValency": 1}]}`,
			func(t *testing.T, tf *TopologyFile) {
				if len(tf.LocalRoots) != 0 {
					t.Errorf("groups %+v", tf.LocalRoots)
				}
			}, []string{`localRoots[0]: hotValency 0, warmValency 1: the group is ignored; accepted: valencies ≥ 1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tf, warns, err := ParseTopologyJSON(filepath.Join("cfg", "t.json"), []byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, tf)
			lines := warns.Lines()
			if len(lines) != len(tt.warns) {
				t.Fatalf("warnings %q, want %d", lines, len(tt.warns))
			}
			for i, w := range tt.warns {
				if !strings.Contains(lines[i], w) {
					t.Errorf("warning %q lacks %q", lines[i], w)
				}
			}
		})
	}
}

func TestWarningsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"localRoots": [], "publicRoots": []`)
	for i := range MaxProblems + 5 {
		fmt.Fprintf(&b, `, "x%d": 1`, i)
	}
	b.WriteString("}")
	_, warns, err := ParseTopologyJSON("t.json", []byte(b.String()))
	if err != nil || len(warns) != MaxProblems+1 || warns[MaxProblems].Msg != "and 5 more warnings not shown" {
		t.Fatalf("%v: %d warnings, last %+v", err, len(warns), warns[len(warns)-1])
	}
}

func TestTopologyLimits(t *testing.T) {
	many := func(n int) string {
		aps := make([]string, n)
		for i := range aps {
			aps[i] = fmt.Sprintf(`{"address":"10.%d.%d.1","port":1}`, i/256, i%256)
		}
		return strings.Join(aps, ",")
	}
	groups := strings.Repeat(`{"accessPoints":[],"valency":1},`, MaxRootGroups)
	tests := []struct {
		name, json, want string
	}{
		{"too large", `{"x":"` + strings.Repeat("a", MaxFileBytes) + `"}`, `t.json: value "` + strconv.Itoa(MaxFileBytes+8) + ` bytes": file too large; accepted: at most 1048576 bytes`},
		// The object is level 1, so the 32nd "[" opens level 33 (column 37).
		{"too deep", `{"x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`, `t.json:1:37: nesting too deep; accepted: at most 32 levels`},
		{"deepest accepted", `{"x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`, `t.json:1:1: localRoots: missing`},
		{"too many access points", `{"publicRoots":[],"localRoots":[{"valency":1,"accessPoints":[` + many(MaxAccessPoints+1) + `]}]}`,
			`localRoots[0].accessPoints[10000]: too many access points in the file; accepted: at most 10000`},
		{"too many groups", `{"publicRoots":[],"localRoots":[` + groups + `{}]}`, `localRoots[1000]: too many groups; accepted: at most 1000`},
		{"empty", " \n", `t.json: empty file; accepted: a JSON object`},
		{"not an object", `[1]`, `t.json:1:1: got a list; accepted: an object with localRoots and publicRoots`},
		{"two documents", `{"localRoots":[],"publicRoots":[]} {}`, `t.json:1:36: JSON syntax: data after the end of the document; accepted: exactly one JSON value`},
		{"truncated", `{"localRoots":[`, `t.json:1:16: JSON syntax: unexpected end of file; accepted: a complete JSON document`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseTopologyJSON("t.json", []byte(tt.json))
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %v, want Problems", err)
			}
			if !strings.Contains(ps.Error(), tt.want) {
				t.Errorf("problems\n%v\nlack %q", ps, tt.want)
			}
		})
	}
}

// clusterResolver reads the benchmark cluster's node-to-ip-mapping.txt (an
// ssh config: "Host node-N" then "HostName IP") and resolves an access
// point to node N when its IP is node N's and its port is 30000+N, the
// cluster's convention.
func clusterResolver(t *testing.T, dir string) Resolver {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "node-to-ip-mapping.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ipOf := map[int]netip.Addr{}
	host := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 2 && fields[0] == "Host":
			host = -1
			if n, ok := strings.CutPrefix(fields[1], "node-"); ok {
				host, _ = strconv.Atoi(n)
			}
		case len(fields) == 2 && fields[0] == "HostName" && host >= 0:
			ipOf[host] = netip.MustParseAddr(fields[1])
		}
	}
	if len(ipOf) != 52 {
		t.Fatalf("mapping has %d nodes, want 52", len(ipOf))
	}
	return func(ap AccessPoint) (node.PeerID, bool) {
		id := ap.Port - 30000
		return node.PeerID(id), ipOf[id] == ap.IP && ap.IP.IsValid()
	}
}

// TestTopologyBenchmarkCluster accepts every real topology.json of the
// 52-node benchmark cluster (and its explorer) without a warning, and
// resolves each node's roots: 6 distinct local roots per node, never
// itself. The links are directed and not all reciprocated: the in-degrees
// are 6 for 49 nodes, 7 for two and 4 for one (counted from the files).
func TestTopologyBenchmarkCluster(t *testing.T) {
	dir := sharedtest.Path(t, "data", "benchmark-cluster-52", "node-configs")
	files, err := filepath.Glob(filepath.Join(dir, "*", "topology.json"))
	if err != nil || len(files) != 53 {
		t.Fatalf("%d topology files (%v), want 52 nodes + explorer", len(files), err)
	}
	resolve := clusterResolver(t, dir)
	peers := map[node.PeerID][]node.PeerID{}
	for _, path := range files {
		tf, warns, err := LoadTopologyJSON(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(warns) > 0 {
			t.Errorf("%s: warnings %v", path, warns.Lines())
		}
		if len(tf.LocalRoots) != 1 || len(tf.PublicRoots) != 0 || tf.BootstrapEnabled() || tf.LedgerPeers() {
			t.Errorf("%s: %+v", path, tf)
		}
		name := filepath.Base(filepath.Dir(path))
		if name == "explorer" {
			if g := tf.LocalRoots[0]; len(g.AccessPoints) != 52 || g.HotValency != 52 {
				t.Errorf("explorer: %d access points, hot %d; want 52, 52", len(g.AccessPoints), g.HotValency)
			}
			continue
		}
		id, _ := strconv.Atoi(strings.TrimPrefix(name, "node-"))
		roots, warns, err := tf.Roots(node.PeerID(id), resolve)
		if err != nil || len(warns) > 0 {
			t.Fatalf("%s: Roots: %v %v", path, err, warns)
		}
		g := roots.LocalRoots[0]
		if len(roots.LocalRoots) != 1 || len(g.Peers) != 6 || g.HotValency != 6 || g.WarmValency != 6 || roots.LedgerPeers || roots.Bootstrap != nil {
			t.Errorf("%s: roots %+v", path, roots)
		}
		cfg := node.GovernorConfig{Self: node.PeerID(id), Targets: node.RelayTargets, Timing: node.DefaultTiming()}
		roots.Apply(&cfg)
		if err := cfg.Check(); err != nil {
			t.Errorf("%s: governor config: %v", path, err)
		}
		peers[node.PeerID(id)] = g.Peers
	}
	in := make([]int, 52)
	for a := range node.PeerID(52) {
		ps := peers[a]
		for i, b := range ps {
			if b < 0 || b >= 52 || slices.Contains(ps[:i], b) {
				t.Errorf("node %d: bad or repeated peer %d", a, b)
				continue
			}
			in[b]++
		}
	}
	hist := map[int]int{}
	for _, d := range in {
		hist[d]++
	}
	if want := map[int]int{4: 1, 6: 49, 7: 2}; !reflect.DeepEqual(hist, want) {
		t.Errorf("in-degree histogram %v, want %v", hist, want)
	}
}

func TestRootsProblemsAndRepairs(t *testing.T) {
	data := `{"publicRoots": [{"accessPoints": [{"address": "10.0.0.9", "port": 1}]}],
"bootstrapPeers": [{"address": "10.0.0.3", "port": 1}],
"localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}, {"address": "relay1.example", "port": 1}], "hotValency": 2},
 {"accessPoints": [{"address": "10.0.0.2", "port": 1}], "hotValency": 1, "trustable": true, "diffusionMode": "InitiatorOnly"}],
"useLedgerAfterSlot": 100}`
	tf, _, err := ParseTopologyJSON("t.json", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]node.PeerID{"10.0.0.1:1": 1, "relay1.example:1": 1, "10.0.0.2:1": 2, "10.0.0.3:1": 3, "10.0.0.9:1": 9}
	resolve := func(ap AccessPoint) (node.PeerID, bool) { id, ok := ids[ap.String()]; return id, ok }
	roots, warns, err := tf.Roots(0, resolve)
	if err != nil {
		t.Fatal(err)
	}
	// relay1.example resolves to node 1 too: a duplicate, so the group
	// shrinks to one peer and its valency follows.
	want := GovernorRoots{
		LocalRoots: []node.LocalRootGroup{{Peers: []node.PeerID{1}, HotValency: 1, WarmValency: 1},
			{Peers: []node.PeerID{2}, HotValency: 1, WarmValency: 1, Trustable: true, InitiatorOnly: true}},
		PublicRoots: []node.PublicRoot{{Peer: 9}},
		Bootstrap:   []node.PeerID{3},
		LedgerPeers: true,
	}
	if !reflect.DeepEqual(roots, want) {
		t.Errorf("roots %+v\nwant  %+v", roots, want)
	}
	if len(warns) != 2 || !strings.Contains(warns[0].Error(), "localRoots[0].accessPoints[1]") || !strings.Contains(warns[1].Msg, "lowered to 1") {
		t.Errorf("warnings %v", warns.Lines())
	}
	// Unknown addresses and the node itself are problems at their positions.
	_, _, err = tf.Roots(2, func(ap AccessPoint) (node.PeerID, bool) {
		id, ok := ids[ap.String()]
		return id, ok && id != 9
	})
	want2 := []string{
		`t.json:1:36: publicRoots[0].accessPoints[0]: value "10.0.0.9:1": no simulated node has this address; accepted: an address of one of the scenario's nodes`,
		`t.json:4:20: localRoots[1].accessPoints[0]: value "10.0.0.2:1": names the node itself (node 2); accepted: another node`,
	}
	if err == nil || !reflect.DeepEqual(strings.Split(err.Error(), "\n"), want2) {
		t.Errorf("Roots error:\n%v\nwant:\n%s", err, strings.Join(want2, "\n"))
	}
}

// TestRepairMatchesGovernor: the parser's repairs (§5.3) agree with
// node.RepairGroups, the governor's own, on random groups drawn from a
// small address pool, and leave groups disjoint with 0 < hot ≤ warm ≤ size.
func TestRepairMatchesGovernor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ngroups := rapid.IntRange(0, 5).Draw(t, "groups")
		var b strings.Builder
		b.WriteString(`{"publicRoots": [], "localRoots": [`)
		var written []node.LocalRootGroup
		for gi := range ngroups {
			ids := rapid.SliceOfN(rapid.IntRange(1, 8), 0, 6).Draw(t, "ids")
			hot := rapid.IntRange(-1, 7).Draw(t, "hot")
			warm := rapid.IntRange(-1, 7).Draw(t, "warm")
			if gi > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"accessPoints": [`)
			g := node.LocalRootGroup{HotValency: hot, WarmValency: warm}
			for i, id := range ids {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"address": "10.0.0.%d", "port": 3001}`, id)
				g.Peers = append(g.Peers, node.PeerID(id))
			}
			fmt.Fprintf(&b, `], "hotValency": %d, "warmValency": %d}`, hot, warm)
			written = append(written, g)
		}
		b.WriteString(`]}`)
		tf, warns, err := ParseTopologyJSON("r.json", []byte(b.String()))
		if err != nil {
			t.Fatalf("%v\n%s", err, b.String())
		}
		want, wantWarns := node.RepairGroups(written)
		var got []node.LocalRootGroup
		seen := map[string]bool{}
		for _, g := range tf.LocalRoots {
			ng := node.LocalRootGroup{HotValency: g.HotValency, WarmValency: g.WarmValency}
			for _, ap := range g.AccessPoints {
				if seen[ap.key()] {
					t.Fatalf("%s in two groups", ap)
				}
				seen[ap.key()] = true
				ng.Peers = append(ng.Peers, node.PeerID(ap.IP.As4()[3]))
			}
			if !(0 < ng.HotValency && ng.HotValency <= ng.WarmValency && ng.WarmValency <= len(ng.Peers)) {
				t.Fatalf("group %+v breaks 0 < hot ≤ warm ≤ size", ng)
			}
			got = append(got, ng)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parser repaired to %+v, governor to %+v\n%s", got, want, b.String())
		}
		if len(warns) == 0 && len(wantWarns) > 0 {
			t.Fatalf("governor repaired (%v) but the parser warned of nothing", wantWarns)
		}
	})
}

func TestReconcile(t *testing.T) {
	topo := `{"publicRoots": [], "bootstrapPeers": [{"address": "b.example", "port": 1}], "peerSnapshotFile": "s.json",
"localRoots": [{"accessPoints": [{"address": "10.0.0.1", "port": 1}, {"address": "10.0.0.2", "port": 1}], "hotValency": 2}]}`
	tf, _, err := ParseTopologyJSON("t.json", []byte(topo))
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := ParseNodeConfig("c.json", []byte(`{"ConsensusMode": "GenesisMode", "TargetNumberOfKnownPeers": 1, "TargetNumberOfRootPeers": 0, "TargetNumberOfEstablishedPeers": 1, "TargetNumberOfActivePeers": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	ws := tf.Reconcile(c, false)
	want := []string{
		`t.json: warning: bootstrapPeers: not compatible with GenesisMode (in c.json); dropped, as cardano-node does`,
		`t.json: warning: peerSnapshotFile: value "s.json": ignored: ledger peers are disabled (useLedgerAfterSlot < 0)`,
		`t.json: warning: localRoots: value "2 local roots": more than TargetNumberOfKnownPeers 1; the governor keeps the first 1, group by group`,
	}
	if got := ws.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tf.BootstrapEnabled() || tf.BootstrapPeers != nil {
		t.Error("GenesisMode kept the bootstrap peers")
	}
}
