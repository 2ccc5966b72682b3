package scenarios

import (
	"fmt"
	"time"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"github.com/dpsim/dpsim/policies"
	"github.com/dpsim/dpsim/sim"
	"github.com/dpsim/dpsim/sim/world"
)

// Syncing nodes (issue 19): a class with a sync section joins the network
// at sync.join with an empty chain, behind by every block forged before
// (or, with sync.behind: N, as soon as the honest chain is N blocks long),
// and catches up in one of three modes (world.SyncMode):
//
//	nodes:
//	  classes:
//	    - name: newcomer
//	      count: 5
//	      sync: {mode: bootstrap, join: 30m}
//	p2p:
//	  bootstrap_peers: 3
//
//   - praos: Praos without bootstrap peers: the class's own roots, ledger
//     peers and peer sharing from the start;
//   - bootstrap: Praos with bootstrap peers (UseBootstrapPeers): while
//     TooOld the governor's sensitive state talks only to the bootstrap
//     peers, the p2p.bootstrap_peers honest relays of lowest id (standing
//     for the trusted relays of cardano-node's default topology), with the
//     15-minute critical timeout;
//   - genesis: Genesis: churn's sync targets (big ledger peers) while
//     TooOld, trusted once 5 big ledger peers are active; needs
//     p2p.ledger_peers.
//
// Syncing nodes are relays without stake, never attackers, and are left
// out of the diffusion statistics (their catch-up is not diffusion):
// sync.csv and summary.json's "sync" measure them.

// SyncSpec is a class's sync section.
type SyncSpec struct {
	Mode string        `yaml:"mode"` // SyncPraos, SyncBootstrap or SyncGenesis; empty: not syncing
	Join time.Duration `yaml:"join"` // when the nodes join, from genesis
	// Behind, instead of Join, makes the nodes join as soon as the honest
	// majority's chain is that many blocks long: they start that far
	// behind.
	Behind int `yaml:"behind"`
	// Roots is how many public roots each node has, drawn at random from
	// every node that does not sync, attackers included: an unvetted list
	// of relays, such as one found on the web, that an attacker with many
	// relays fills in proportion.
	Roots int `yaml:"roots"`
}

// MaxSyncRoots caps sync.roots (a topology's public roots are a handful);
// MaxSyncBehind caps sync.behind (more than a year of blocks).
const (
	MaxSyncRoots  = 100
	MaxSyncBehind = 2_000_000
)

// Sync modes (sync.mode).
const (
	SyncPraos     = "praos"
	SyncBootstrap = "bootstrap"
	SyncGenesis   = "genesis"
)

// IsZero reports whether the section is absent.
func (s SyncSpec) IsZero() bool { return s == SyncSpec{} }

func (s SyncSpec) mode() world.SyncMode {
	switch s.Mode {
	case SyncPraos:
		return world.SyncPraos
	case SyncBootstrap:
		return world.SyncBootstrap
	case SyncGenesis:
		return world.SyncGenesis
	}
	return world.SyncNone
}

// syncing validates the classes' sync sections and p2p.bootstrap_peers.
func (v *validator) syncing() {
	s := v.s
	honest, boot := 0, false
	for i, c := range s.Nodes.Classes {
		f := fmt.Sprintf("nodes.classes[%d].sync", i)
		if c.Sync.IsZero() {
			if _, att := s.Attacker(c); !att && !c.Adversarial {
				honest += c.Count
			}
			continue
		}
		switch {
		case s.Topology.Model != TopologyP2P:
			v.add(f, "", "applies only with topology.model: p2p; accepted: remove it")
			continue
		case c.Sync.mode() == world.SyncNone:
			v.add(f+".mode", c.Sync.Mode, fmt.Sprintf("accepted: %s, %s or %s", SyncPraos, SyncBootstrap, SyncGenesis))
		case c.Sync.Mode == SyncBootstrap:
			boot = true
		case c.Sync.Mode == SyncGenesis && !s.P2P.LedgerPeers:
			v.add(f+".mode", c.Sync.Mode, "Genesis syncs from big ledger peers; accepted: with p2p.ledger_peers: true")
		}
		if c.Sync.Roots < 0 || c.Sync.Roots > MaxSyncRoots {
			v.add(f+".roots", fmt.Sprint(c.Sync.Roots), fmt.Sprintf("accepted: 0 to %d public roots", MaxSyncRoots))
		}
		if c.Sync.Join < 0 || c.Sync.Join >= s.Duration {
			v.add(f+".join", fmtDur(c.Sync.Join), fmt.Sprintf("accepted: from 0 to less than the duration, %s", fmtDur(s.Duration)))
		}
		switch {
		case c.Sync.Behind < 0 || c.Sync.Behind > MaxSyncBehind:
			v.add(f+".behind", fmt.Sprint(c.Sync.Behind), fmt.Sprintf("accepted: 1 to %d blocks", MaxSyncBehind))
		case c.Sync.Behind > 0 && c.Sync.Join != 0:
			v.add(f+".behind", fmt.Sprint(c.Sync.Behind), "join and behind both given; accepted: one of them")
		}
		if c.Producer || c.Adversarial {
			v.add(f, "", "a syncing node is a relay without stake; accepted: a class without producer and adversarial")
		}
		if s.P2P.Policy.Spec().Name != policies.Cardano {
			v.add(f, "", "syncing nodes run the cardano policy; accepted: p2p.policy cardano")
		}
		if !s.Nodes.Pools.File.IsZero() || !s.Operators.Folder.IsZero() || len(s.Operators.Nodes) > 0 {
			v.add(f, "", "not yet with nodes.pools or operators' files; accepted: syncing classes beside nodes.classes")
		}
	}
	b := s.P2P.BootstrapPeers
	switch {
	case b < 0 || b > honest:
		v.add("p2p.bootstrap_peers", fmt.Sprint(b), fmt.Sprintf("accepted: 0 to %d (the nodes that neither attack nor sync)", honest))
	case boot && b == 0:
		v.add("p2p.bootstrap_peers", "0", "a class syncs with bootstrap peers; accepted: 1 or more")
	}
}

// bootstrapPeers returns the ids of the bootstrap peers: the first
// p2p.bootstrap_peers nodes of the classes that neither attack nor sync
// (each a pool's relay: syncing classes are refused with nodes.pools).
func (s *Scenario) bootstrapPeers() []node.PeerID {
	var out []node.PeerID
	id := 0
	for _, c := range s.Nodes.Classes {
		_, att := s.Attacker(c)
		for range c.Count {
			if len(out) < s.P2P.BootstrapPeers && c.Sync.IsZero() && !att && !c.Adversarial {
				out = append(out, node.PeerID(id))
			}
			id++
		}
	}
	return out
}

// syncOf sets up syncing node id of class c: its governor starts TooOld,
// with the bootstrap peers or in Genesis mode, and its sync.roots public
// roots drawn from others (the nodes that do not sync, in id order) by
// its own stream; churn knows of bootstrap peers. It returns the world's
// sync entry.
func (s *Scenario) syncOf(id int, seed uint64, c Class, g *node.GovernorConfig, churn *node.ChurnConfig, boot, others []node.PeerID) world.Sync {
	m := c.Sync.mode()
	if m == world.SyncNone {
		return world.Sync{}
	}
	g.InitialJudgement = node.TooOld
	switch m {
	case world.SyncBootstrap:
		g.UseBootstrap, g.Bootstrap = true, boot
		if churn != nil {
			churn.BootstrapPeers = true
		}
	case world.SyncGenesis:
		g.Genesis = true
	}
	if k := min(c.Sync.Roots, len(others)); k > 0 {
		rng := sim.Derive(seed, "sync-roots", uint64(id))
		for _, j := range rng.Perm(len(others))[:k] {
			g.PublicRoots = append(g.PublicRoots, node.PublicRoot{Peer: others[j]})
		}
	}
	return world.Sync{Mode: m, Join: clock.Time(c.Sync.Join), Behind: int32(c.Sync.Behind)}
}

// notSyncing lists the nodes of the classes without a sync section.
func (s *Scenario) notSyncing() []node.PeerID {
	var out []node.PeerID
	id := 0
	for _, c := range s.Nodes.Classes {
		for range c.Count {
			if c.Sync.IsZero() {
				out = append(out, node.PeerID(id))
			}
			id++
		}
	}
	return out
}

// SyncNodes reports which nodes sync (nil when none does).
func (s *Scenario) SyncNodes() []bool {
	var out []bool
	id := 0
	for _, c := range s.Nodes.Classes {
		for range c.Count {
			if !c.Sync.IsZero() {
				if out == nil {
					out = make([]bool, s.Nodes.Count)
				}
				out[id] = true
			}
			id++
		}
	}
	return out
}
