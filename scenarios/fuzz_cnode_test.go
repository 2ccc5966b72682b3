package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dpsim/dpsim/node"
)

// addCnodeSeeds adds the cardano-node fixtures as fuzz seeds.
func addCnodeSeeds(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "cnode", "*"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no fixtures under testdata/cnode: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkFailure fails unless err is a non-empty Problems.
func checkFailure(t *testing.T, err error) {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) || len(ps) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty Problems", err, err)
	}
}

// FuzzTopologyJSON checks that ParseTopologyJSON never panics or hangs,
// that a failure is a non-empty Problems, that an accepted topology keeps
// the §5.3 invariants (disjoint groups, 0 < hot ≤ warm ≤ size, valid
// ports) and resolves, and that parsing is deterministic.
func FuzzTopologyJSON(f *testing.F) {
	addCnodeSeeds(f)
	f.Add([]byte(`{"localRoots":[{"accessPoints":[{"address":"a.example"}],"valency":1,"trustable":true}],"publicRoots":[],"bootstrapPeers":[]}`))
	f.Add([]byte(`{"localRoots":[],"publicRoots":[{"accessPoints":[{"address":"::1","port":1}]}],"useLedgerAfterSlot":1e3,"peerSnapshotFile":"s"}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, warns, err := ParseTopologyJSON("fuzz.json", data)
		if err != nil {
			checkFailure(t, err)
			return
		}
		seen := map[string]bool{}
		for _, g := range tf.LocalRoots {
			if !(0 < g.HotValency && g.HotValency <= g.WarmValency && g.WarmValency <= len(g.AccessPoints)) {
				t.Fatalf("group breaks 0 < hot ≤ warm ≤ size: %+v", g)
			}
			for _, ap := range g.AccessPoints {
				if seen[ap.key()] {
					t.Fatalf("%s in two groups", ap)
				}
				seen[ap.key()] = true
				if ap.SRV == (ap.Port != 0) || ap.Port < 0 || ap.Port > 65535 {
					t.Fatalf("bad access point %+v", ap)
				}
			}
		}
		again, warns2, err := ParseTopologyJSON("fuzz.json", data)
		if err != nil || !reflect.DeepEqual(tf, again) || !reflect.DeepEqual(warns, warns2) {
			t.Fatalf("second parse differs: %v", err)
		}
		// Every access point resolves to a distinct node: Roots must
		// succeed and give the governor a usable configuration.
		ids := map[string]node.PeerID{}
		roots, _, err := tf.Roots(-1, func(ap AccessPoint) (node.PeerID, bool) {
			id, ok := ids[ap.key()]
			if !ok {
				id = node.PeerID(len(ids) + 1)
				ids[ap.key()] = id
			}
			return id, true
		})
		if err != nil {
			t.Fatalf("Roots: %v", err)
		}
		cfg := node.GovernorConfig{Self: 0, Targets: node.RelayTargets, Timing: node.DefaultTiming()}
		roots.Apply(&cfg)
		if err := cfg.Check(); err != nil {
			t.Fatalf("governor config: %v", err)
		}
	})
}

// FuzzNodeConfig checks that ParseNodeConfig never panics or hangs, that a
// failure is a non-empty Problems, that accepted targets are sane for the
// governor, and that parsing is deterministic.
func FuzzNodeConfig(f *testing.F) {
	addCnodeSeeds(f)
	f.Add([]byte("TargetNumberOfActivePeers: 0x10\nTargetNumberOfEstablishedPeers: 1_000\nPeerSharing: yes\n"))
	f.Add([]byte(`{"TargetNumberOfKnownPeers": 1e4, "SyncTargetNumberOfActivePeers": -0, "ConsensusMode": null}`))
	f.Add([]byte("a: &x [1]\nb: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, warns, err := ParseNodeConfig("fuzz.yaml", data)
		if err != nil {
			checkFailure(t, err)
			return
		}
		for _, tg := range []node.Targets{c.Targets(), c.SyncTargets()} {
			if err := tg.Check(); err != nil {
				t.Fatalf("accepted insane targets: %v", err)
			}
		}
		if c.MinBigLedgerPeersForTrustedState < 0 {
			t.Fatalf("min BLPs %d", c.MinBigLedgerPeersForTrustedState)
		}
		again, warns2, err := ParseNodeConfig("fuzz.yaml", data)
		if err != nil || !reflect.DeepEqual(c, again) || !reflect.DeepEqual(warns, warns2) {
			t.Fatalf("second parse differs: %v", err)
		}
		// Detection never panics either, whatever the file holds.
		_, _ = DetectKind("fuzz", data)
	})
}
