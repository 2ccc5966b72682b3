package scenarios

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/node"
	"pgregory.net/rapid"
)

func TestNodeConfigDefaults(t *testing.T) {
	// A config with no P2P key (keys dpsim ignores only) takes the spec's
	// defaults (spec/governor.md §1.3).
	c, warns, err := ParseNodeConfig("c.json", []byte(`{"Protocol": "Cardano", "ShelleyGenesisFile": "g.json", "TraceOptions": {"": {"severity": "Notice"}}}`))
	if err != nil || len(warns) != 0 {
		t.Fatal(err, warns)
	}
	if c.Targets() != node.RelayTargets || c.ProducerTargets() != node.BlockProducerTargets || c.SyncTargets() != node.SyncTargets {
		t.Errorf("targets %+v / %+v / %+v", c.Targets(), c.ProducerTargets(), c.SyncTargets())
	}
	if c.ConsensusMode != PraosMode || c.DiffusionMode != InitiatorAndResponder || c.MinBigLedgerPeersForTrustedState != 5 ||
		c.PeerSharing != nil || !c.PeerSharingFor(false) || c.PeerSharingFor(true) || c.EnableP2P != nil {
		t.Errorf("defaults %+v", c)
	}
}

// TestNodeConfigValues reads every P2P key, in JSON and in the YAML form
// cardano-node also accepts, to the same result.
func TestNodeConfigValues(t *testing.T) {
	jsonText := `{
  "TargetNumberOfRootPeers": 60, "TargetNumberOfKnownPeers": 150, "TargetNumberOfEstablishedPeers": 40,
  "TargetNumberOfActivePeers": 20, "TargetNumberOfKnownBigLedgerPeers": 16, "TargetNumberOfEstablishedBigLedgerPeers": 11,
  "TargetNumberOfActiveBigLedgerPeers": 6,
  "SyncTargetNumberOfRootPeers": 0, "SyncTargetNumberOfKnownPeers": 150, "SyncTargetNumberOfEstablishedPeers": 10,
  "SyncTargetNumberOfActivePeers": 5, "SyncTargetNumberOfKnownBigLedgerPeers": 100,
  "SyncTargetNumberOfEstablishedBigLedgerPeers": 50, "SyncTargetNumberOfActiveBigLedgerPeers": 30,
  "MinBigLedgerPeersForTrustedState": 7, "ConsensusMode": "GenesisMode", "PeerSharing": false,
  "DiffusionMode": "InitiatorOnly", "EnableP2P": true
}`
	var yamlText strings.Builder
	for _, line := range strings.Split(strings.Trim(jsonText, "{}\n"), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		fmt.Fprintf(&yamlText, "%s: %s\n", strings.Trim(k, `"`), strings.Trim(strings.TrimSpace(v), `"`))
	}
	wantD := node.Targets{Root: 60, Known: 150, Established: 40, Active: 20, KnownBLP: 16, EstablishedBLP: 11, ActiveBLP: 6}
	wantS := node.Targets{Root: 0, Known: 150, Established: 10, Active: 5, KnownBLP: 100, EstablishedBLP: 50, ActiveBLP: 30}
	for name, text := range map[string]string{"c.json": jsonText, "c.yaml": yamlText.String()} {
		c, warns, err := ParseNodeConfig(name, []byte(text))
		if err != nil || len(warns) != 0 {
			t.Fatalf("%s: %v %v\n%s", name, err, warns, text)
		}
		if c.Targets() != wantD || c.ProducerTargets() != wantD || c.SyncTargets() != wantS {
			t.Errorf("%s: targets %+v sync %+v", name, c.Targets(), c.SyncTargets())
		}
		if c.MinBigLedgerPeersForTrustedState != 7 || c.ConsensusMode != GenesisMode || c.PeerSharingFor(false) ||
			c.DiffusionMode != InitiatorOnly || c.EnableP2P == nil || !*c.EnableP2P {
			t.Errorf("%s: %+v", name, c)
		}
	}
}

func TestNodeConfigBrokenFixtures(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"config-bad-targets.json", []string{
			`3:32: TargetNumberOfActivePeers: value "50": above TargetNumberOfEstablishedPeers 40; accepted: 0 ≤ active ≤ established ≤ known and root ≤ known`,
			`5:30: TargetNumberOfRootPeers: value "200": above TargetNumberOfKnownPeers 150 (the relay defaults); accepted: 0 ≤ active ≤ established ≤ known and root ≤ known`,
			`6:45: SyncTargetNumberOfActiveBigLedgerPeers: value "200": above SyncTargetNumberOfEstablishedBigLedgerPeers 40 (the sync defaults); accepted: 0 ≤ active ≤ established ≤ known for big ledger peers`,
			`6:45: SyncTargetNumberOfActiveBigLedgerPeers: value "200": accepted: at most 100`,
			`7:40: TargetNumberOfKnownBigLedgerPeers: value "-1": accepted: an integer ≥ 0`,
		}},
		// Type errors do not hide range errors (issue 16 item 4); a target
		// that failed to decode (known) is left out of the rules.
		{"config-types-and-targets.json", []string{
			`2:18: PeerSharing: value "yes": accepted: true or false`,
			`3:20: ConsensusMode: value "Genesis": accepted: PraosMode or GenesisMode`,
			`4:32: TargetNumberOfActivePeers: value "500": above TargetNumberOfEstablishedPeers 30; accepted: 0 ≤ active ≤ established ≤ known and root ≤ known`,
			`4:32: TargetNumberOfActivePeers: value "500": accepted: at most 100`,
			`6:30: TargetNumberOfRootPeers: value "-1": accepted: an integer ≥ 0`,
			`7:31: TargetNumberOfKnownPeers: value "many": accepted: an integer`,
		}},
		{"config-bad-types.yaml", []string{
			`2:16: ConsensusMode: value "Genesis": accepted: PraosMode or GenesisMode`,
			`3:14: PeerSharing: value "yes": accepted: true or false`,
			`4:27: TargetNumberOfKnownPeers: value "1.5": accepted: an integer`,
			`5:16: DiffusionMode: value "Both": accepted: InitiatorAndResponder or InitiatorOnly`,
			`6:35: MinBigLedgerPeersForTrustedState: value "-2": accepted: an integer ≥ 0`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path, data := cnodeFixture(t, tt.file)
			c, _, err := ParseNodeConfig(path, data)
			var ps Problems
			if !errors.As(err, &ps) || c != nil {
				t.Fatalf("got %v, %v; want Problems", c, err)
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			if got := strings.Split(ps.Error(), "\n"); !reflect.DeepEqual(got, want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestNodeConfigWarnings(t *testing.T) {
	path, data := cnodeFixture(t, "config-warnings.json")
	c, warns, err := ParseNodeConfig(path, data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`4:31: warning: TargetNumberOfKnownPeers: value "80": below TargetNumberOfRootPeers 100 (the block-producer defaults); accepted: 0 ≤ active ≤ established ≤ known and root ≤ known (only for a block producer, whose defaults differ; a relay reads this file fine)`,
		`6:3: warning: targetNumberOfEstablishedPeers: unknown field, ignored; did you mean TargetNumberOfEstablishedPeers? (names are case-sensitive)`,
		`7:3: warning: TargetNumberOfActivePeer: unknown target key, ignored; accepted: TargetNumberOf… or SyncTargetNumberOf… followed by one of RootPeers, KnownPeers, EstablishedPeers, ActivePeers, KnownBigLedgerPeers, EstablishedBigLedgerPeers, ActiveBigLedgerPeers`,
		`9:36: warning: SyncTargetNumberOfActivePeers: value "35": above TargetNumberOfEstablishedPeers 30; it should not exceed it (seed 004)`,
		`10:39: warning: MinBigLedgerPeersForTrustedState: value "40": above SyncTargetNumberOfActiveBigLedgerPeers 30: Genesis could never reach a trusted state (seed 004)`,
	}
	for i := range want {
		want[i] = path + ":" + want[i]
	}
	if got := warns.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Targets().Known != 80 || c.Targets().Established != 30 {
		t.Errorf("targets %+v: the miscased key must not be read", c.Targets())
	}
}

func TestNodeConfigShape(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"empty", "", `c: empty file; accepted: a mapping of settings`},
		{"list", "[1, 2]", `c:1:1: got a list; accepted: a mapping of cardano-node settings`},
		{"syntax", "a: [1,\n", `c:1: YAML syntax: did not find expected node content`},
		{"two documents", "a: 1\n---\nb: 2\n", `c:2:1: a second YAML document; accepted: exactly one document`},
		{"invalid UTF-8", "Protocol: Cardano\nConsensusMode: Pr\xe4os\n", `c:2:18: value "\xe4": YAML syntax: invalid trailing UTF-8 octet (byte offset 35)`},
		{"alias", "a: &x 1\nTargetNumberOfActivePeers: *x\n", `YAML anchors and aliases are not supported`},
		{"quoted number", `{"TargetNumberOfActivePeers": "20"}`, `c:1:31: TargetNumberOfActivePeers: value "20": got a quoted string; accepted: an integer`},
		{"too big a number", `{"TargetNumberOfActivePeers": 99999999999999999999}`, `value "99999999999999999999": accepted: an integer`},
		{"above the cap", `{"TargetNumberOfKnownPeers": 20000}`, `TargetNumberOfKnownPeers: value "20000": accepted: at most 10000`},
		{"known below default established", `{"TargetNumberOfKnownPeers": 25}`, `c:1:30: TargetNumberOfKnownPeers: value "25": below TargetNumberOfEstablishedPeers 30 (the relay defaults)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseNodeConfig("c", []byte(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestTargetRulesMatchGovernor: a config's targets are accepted exactly
// when the governor would find them sane (node.Targets.Check), for the
// deadline and the sync set.
func TestTargetRulesMatchGovernor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		b.WriteString("{")
		first := true
		for _, prefix := range []string{deadlinePrefix, syncPrefix} {
			for _, name := range targetNames {
				if rapid.Bool().Draw(t, "set") {
					if !first {
						b.WriteString(",")
					}
					first = false
					fmt.Fprintf(&b, `"%s%s": %d`, prefix, name, rapid.IntRange(-2, 12000).Draw(t, "v"))
				}
			}
		}
		b.WriteString("}")
		c, _, err := ParseNodeConfig("r.json", []byte(b.String()))
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v is not Problems", err)
			}
			return
		}
		if e := c.Targets().Check(); e != nil {
			t.Fatalf("accepted %s but the governor refuses: %v", b.String(), e)
		}
		if e := c.SyncTargets().Check(); e != nil {
			t.Fatalf("accepted %s but the governor refuses the sync targets: %v", b.String(), e)
		}
	})
	// The converse, on random complete sets: refused ⇔ not sane.
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SliceOfN(rapid.IntRange(-1, 150), 7, 7).Draw(t, "targets")
		tg := node.Targets{Root: v[0], Known: v[1], Established: v[2], Active: v[3], KnownBLP: v[4], EstablishedBLP: v[5], ActiveBLP: v[6]}
		var parts []string
		for i, name := range targetNames {
			parts = append(parts, fmt.Sprintf(`"%s%s": %d`, deadlinePrefix, name, v[i]))
		}
		_, _, err := ParseNodeConfig("r.json", []byte("{"+strings.Join(parts, ",")+"}"))
		if (err == nil) != (tg.Check() == nil) {
			t.Fatalf("targets %+v: parse error %v, governor check %v", tg, err, tg.Check())
		}
	})
}

func TestDetectKind(t *testing.T) {
	tests := []struct {
		name, text string
		want       Kind
		err        string
	}{
		{"s.yaml", "version: 1\nname: x\n", KindScenario, ""},
		{"s.yml", "not: [valid", KindScenario, ""}, // the scenario parser explains
		{"mainnet-config.yaml", "Protocol: Cardano\nTargetNumberOfActivePeers: 20\n", KindConfig, ""},
		{"t.json", `{"localRoots": [], "publicRoots": []}`, KindTopology, ""},
		{"t.json", `{"bootstrapPeers": null}`, KindTopology, ""},
		{"c.json", `{"Protocol": "Cardano"}`, KindConfig, ""},
		{"c.json", `{"SyncTargetNumberOfActivePeers": 1}`, KindConfig, ""},
		{"topology", `{"useLedgerAfterSlot": -1}`, KindTopology, ""},
		{"c.txt", "ConsensusMode: PraosMode\n", KindConfig, ""},
		{"s.json", `{"version": 1}`, KindScenario, ""},
		{"x.json", `{"a": 1}`, "", "x.json: cannot tell the kind of file: tried topology (a top-level localRoots, publicRoots, useLedgerAfterSlot, bootstrapPeers key)"},
		{"x.json", `{"a": 1,}`, "", "x.json:1:9: JSON syntax: invalid character '}'"},
	}
	for _, tt := range tests {
		k, err := DetectKind(tt.name, []byte(tt.text))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s %q: error %v, want %q", tt.name, tt.text, err, tt.err)
			}
			continue
		}
		if err != nil || k != tt.want {
			t.Errorf("%s %q: %q, %v; want %q", tt.name, tt.text, k, err, tt.want)
		}
	}
	for _, s := range []string{"scenario", "topology", "config"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%s) = %v, %v", s, k, err)
		}
	}
	if _, err := ParseKind("yaml"); err == nil || err.Error() != `--kind "yaml": accepted scenario, topology or config` {
		t.Errorf("ParseKind(yaml) error %v", err)
	}
}
