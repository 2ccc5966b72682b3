package scenarios

// The order rules of the governor's sanity check on the seven targets
// (node.Targets.Check; sanePeerSelectionTargets, spec/governor.md §1.3:
// 0 ≤ active ≤ established ≤ known and root ≤ known, the same for big
// ledger peers), as pairs of indices into [root, known, established,
// active, known BLP, established BLP, active BLP]: targets[lo] ≤
// targets[hi]. A scenario's targets and a node config's are checked
// against the same list.
var targetOrders = [...]struct {
	lo, hi int
	rule   string
}{
	{3, 2, targetRule}, {2, 1, targetRule}, {0, 1, targetRule},
	{6, 5, targetRuleBLP}, {5, 4, targetRuleBLP},
}

const (
	targetRule    = "0 ≤ active ≤ established ≤ known and root ≤ known"
	targetRuleBLP = "0 ≤ active ≤ established ≤ known for big ledger peers"
)

// brokenOrders calls broken for every order rule targets break, skipping
// the rules a target already found bad takes part in.
func brokenOrders(targets [7]int, bad [7]bool, broken func(lo, hi int, rule string)) {
	for _, o := range targetOrders {
		if !bad[o.lo] && !bad[o.hi] && targets[o.lo] > targets[o.hi] {
			broken(o.lo, o.hi, o.rule)
		}
	}
}
