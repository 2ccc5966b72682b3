package scenarios

import (
	"errors"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/sim/world"
)

// syncBase is a p2p scenario whose last class, newcomer, line 15 on,
// takes a sync section.
const syncBase = `version: 1
name: s
duration: 2h
nodes:
  count: 50
  classes:
    - name: relay
      count: 40
      producer: true
    - name: plain
      count: 5
    - name: newcomer
      count: 5
topology: {model: p2p}
p2p: {ledger_peers: true, peer_sharing: true, churn: true, bootstrap_peers: 3}
`

func syncScenario(t *testing.T, section string) (*Scenario, error) {
	t.Helper()
	src := strings.Replace(syncBase, "      count: 5\ntopology", "      count: 5\n      sync: "+section+"\ntopology", 1)
	return Parse([]byte(src), "s.yaml")
}

// TestSyncBuild: a syncing class's nodes start TooOld, with the bootstrap
// peers (the first 3 relays) or in Genesis mode, public roots drawn from
// the nodes that do not sync, and churn that knows of bootstrap peers;
// the other nodes are as without the section.
func TestSyncBuild(t *testing.T) {
	for _, mode := range []string{"praos", "bootstrap", "genesis"} {
		s, err := syncScenario(t, "{mode: "+mode+", join: 30m, roots: 4}")
		if err != nil {
			t.Fatal(err)
		}
		r := &Run{}
		cfg, err := buildP2P(s, 1, mustBuild(t, s, r))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			g, sy := cfg.Governors[i], cfg.Sync[i]
			if i < 45 {
				if sy != (world.Sync{}) || g.InitialJudgement != node.YoungEnough || g.UseBootstrap || g.Genesis {
					t.Fatalf("%s: node %d does not sync but has %+v, %v", mode, i, sy, g.InitialJudgement)
				}
				continue
			}
			if sy.Join != 30*60e9 || sy.Mode.String() != mode || g.InitialJudgement != node.TooOld {
				t.Fatalf("%s: node %d: %+v, %v", mode, i, sy, g.InitialJudgement)
			}
			if len(g.PublicRoots) != 4 {
				t.Fatalf("%s: node %d has %d public roots, want 4", mode, i, len(g.PublicRoots))
			}
			for _, pr := range g.PublicRoots {
				if pr.Peer >= 45 {
					t.Fatalf("%s: node %d has the syncing node %d as a root", mode, i, pr.Peer)
				}
			}
			switch mode {
			case "bootstrap":
				if !g.UseBootstrap || len(g.Bootstrap) != 3 || g.Bootstrap[0] != 0 || g.Bootstrap[2] != 2 || !cfg.Churn[i].BootstrapPeers {
					t.Fatalf("node %d: bootstrap %v %v, churn %+v", i, g.UseBootstrap, g.Bootstrap, cfg.Churn[i])
				}
			case "genesis":
				if !g.Genesis || g.UseBootstrap {
					t.Fatalf("node %d: genesis %v bootstrap %v", i, g.Genesis, g.UseBootstrap)
				}
			}
		}
	}
}

func mustBuild(t *testing.T, s *Scenario, _ *Run) *Run {
	t.Helper()
	r, err := Build(s, 1, discard{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSyncProblems: every bad sync section is reported at its line, with
// what is accepted.
func TestSyncProblems(t *testing.T) {
	for _, tc := range []struct{ section, want string }{
		{"{mode: fast}", `s.yaml:14:20: nodes.classes[2].sync.mode: value "fast": accepted: praos, bootstrap or genesis`},
		{"{mode: praos, join: 3h}", `nodes.classes[2].sync.join: value "3h0m0s": accepted: from 0 to less than the duration, 2h0m0s`},
		{"{mode: praos, join: -1s}", `nodes.classes[2].sync.join`},
		{"{mode: praos, roots: 101}", `nodes.classes[2].sync.roots: value "101": accepted: 0 to 100 public roots`},
		{"{mode: praos, join: 10m, behind: 5}", `nodes.classes[2].sync.behind: value "5": join and behind both given`},
		{"{mode: praos, behind: -1}", `nodes.classes[2].sync.behind: value "-1": accepted: 1 to 2000000 blocks`},
		{"{join: 10m}", `s.yaml:14:7: nodes.classes[2].sync.mode: accepted: praos, bootstrap or genesis`},
	} {
		_, err := syncScenario(t, tc.section)
		var ps Problems
		if !errors.As(err, &ps) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.section, err, tc.want)
		}
	}
	for _, tc := range []struct{ from, to, want string }{
		{"bootstrap_peers: 3", "bootstrap_peers: 0", `p2p.bootstrap_peers: value "0": a class syncs with bootstrap peers`},
		{"bootstrap_peers: 3", "bootstrap_peers: 46", `p2p.bootstrap_peers: value "46": accepted: 0 to 45`},
		{"ledger_peers: true", "ledger_peers: false", `Genesis syncs from big ledger peers`},
		{"    - name: newcomer\n", "    - name: newcomer\n      producer: true\n", "a syncing node is a relay without stake"},
		{"topology: {model: p2p}", "topology: {model: random, degree: 4}", "applies only with topology.model: p2p"},
	} {
		mode := "bootstrap"
		if strings.Contains(tc.want, "Genesis") {
			mode = "genesis"
		}
		src := strings.Replace(syncBase, "      count: 5\ntopology", "      count: 5\n      sync: {mode: "+mode+"}\ntopology", 1)
		src = strings.Replace(src, tc.from, tc.to, 1)
		if strings.Contains(tc.to, "random") {
			src = strings.Replace(src, "p2p: {ledger_peers: true, peer_sharing: true, churn: true, bootstrap_peers: 3}\n", "", 1)
		}
		_, err := Parse([]byte(src), "s.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s → %s: got %v, want %q", tc.from, tc.to, err, tc.want)
		}
	}
}

// TestSyncBehind: sync.behind reaches the world as the blocks to start
// behind, with no join time.
func TestSyncBehind(t *testing.T) {
	s, err := syncScenario(t, "{mode: genesis, behind: 40}")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := buildP2P(s, 1, mustBuild(t, s, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Sync[47]; got != (world.Sync{Mode: world.SyncGenesis, Behind: 40}) {
		t.Fatalf("node 47: %+v", got)
	}
}
