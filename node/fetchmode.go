package node

import "fmt"

// ChurnMode mirrors the block-fetch mode that churn and the hot-demotion
// policy read from consensus at every step (spec/governor.md §3.1, §4.3).
type ChurnMode uint8

// The churn modes.
const (
	// ChurnDeadline is FetchModeDeadline: the node is caught up.
	ChurnDeadline ChurnMode = iota
	// ChurnBulkSync is FetchModeBulkSync: the node is syncing.
	ChurnBulkSync
	// ChurnGenesis is GenesisFetchMode.
	ChurnGenesis
)

// String returns the mode's name.
func (c ChurnMode) String() string {
	switch c {
	case ChurnDeadline:
		return "deadline"
	case ChurnBulkSync:
		return "bulk-sync"
	case ChurnGenesis:
		return "genesis"
	}
	return fmt.Sprintf("ChurnMode(%d)", uint8(c))
}
