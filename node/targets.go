package node

import "fmt"

// Targets are the peer selection governor's seven targets
// (PeerSelectionTargets, spec/governor.md §1.3). Known, Established and
// Active exclude big ledger peers (BLPs), which have targets of their own.
type Targets struct {
	Root           int // one-sided: stop asking for public roots at local+public ≥ Root
	Known          int
	Established    int
	Active         int
	KnownBLP       int
	EstablishedBLP int
	ActiveBLP      int
}

// Caps of the sanity rule (sanePeerSelectionTargets, spec/governor.md §1.3):
// active ≤ 100, established ≤ 1000, known ≤ 10000, for the big-ledger
// targets as for the others.
const (
	MaxActiveTarget      = 100
	MaxEstablishedTarget = 1000
	MaxKnownTarget       = 10000
)

// RelayTargets are the production relay defaults of ouroboros-network
// 0.21.2+/0.22 (cardano-node 10.5, 10.6): root 60, known 150, established
// 30, active 20, big ledger 15/10/5 (spec/governor.md §1.3).
var RelayTargets = Targets{Root: 60, Known: 150, Established: 30, Active: 20, KnownBLP: 15, EstablishedBLP: 10, ActiveBLP: 5}

// BlockProducerTargets are the block-producer defaults of 0.22.3+/1.1
// (cardano-node 10.6, 10.7): root 100, known 100, established 30, active
// 20, big ledger 15/10/5 (spec/governor.md §1.3).
var BlockProducerTargets = Targets{Root: 100, Known: 100, Established: 30, Active: 20, KnownBLP: 15, EstablishedBLP: 10, ActiveBLP: 5}

// SyncTargets are the Genesis sync targets of ouroboros-network ≥ 0.21.2
// (defaultSyncTargets, spec/governor.md §1.3): root 0, known 150,
// established 10, active 5, big ledger 100/40/30.
var SyncTargets = Targets{Root: 0, Known: 150, Established: 10, Active: 5, KnownBLP: 100, EstablishedBLP: 40, ActiveBLP: 30}

// Sane reports whether t passes the governor's sanity rule: 0 ≤ active ≤
// established ≤ known, 0 ≤ root ≤ known, the same chain for the BLP
// targets, and the caps 100 / 1000 / 10000. The governor ignores a target
// update that is not sane.
func (t Targets) Sane() bool { return t.Check() == nil }

// Check returns nil for sane targets, or an error naming the first rule
// they break.
func (t Targets) Check() error {
	switch {
	case t.Active < 0 || t.Root < 0 || t.ActiveBLP < 0:
		return fmt.Errorf("targets %+v: accepted only values ≥ 0", t)
	case t.Active > t.Established || t.Established > t.Known:
		return fmt.Errorf("targets %+v: accepted 0 ≤ active ≤ established ≤ known", t)
	case t.Root > t.Known:
		return fmt.Errorf("targets %+v: accepted root ≤ known", t)
	case t.ActiveBLP > t.EstablishedBLP || t.EstablishedBLP > t.KnownBLP:
		return fmt.Errorf("targets %+v: accepted 0 ≤ activeBLP ≤ establishedBLP ≤ knownBLP", t)
	case t.Active > MaxActiveTarget || t.ActiveBLP > MaxActiveTarget:
		return fmt.Errorf("targets %+v: accepted active targets ≤ %d", t, MaxActiveTarget)
	case t.Established > MaxEstablishedTarget || t.EstablishedBLP > MaxEstablishedTarget:
		return fmt.Errorf("targets %+v: accepted established targets ≤ %d", t, MaxEstablishedTarget)
	case t.Known > MaxKnownTarget || t.KnownBLP > MaxKnownTarget:
		return fmt.Errorf("targets %+v: accepted known targets ≤ %d", t, MaxKnownTarget)
	}
	return nil
}

// Counts are the governor's counters that churn waits on (shared with
// churn in the reference implementation): sizes of the known, established
// and active sets excluding BLPs, the same for BLPs, and the root count
// (local roots + all public roots, BLPs included).
type Counts struct {
	Root                                int
	Known, Established, Active          int
	KnownBLP, EstablishedBLP, ActiveBLP int
}
