package run

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dpsim/dpsim/sim"
)

// TestLimitHint: an engine bound error says what was hit and what to do;
// other errors pass through unchanged.
func TestLimitHint(t *testing.T) {
	full := fmt.Errorf("q.yaml: run stopped: at 1m0s: %w (67108864 events)", sim.ErrQueueFull)
	if got := limitHint(full).Error(); !strings.Contains(got, "event queue is full") || !strings.Contains(got, "sim.DefaultMaxQueue") ||
		!strings.Contains(got, "accepted") || !errors.Is(limitHint(full), sim.ErrQueueFull) {
		t.Errorf("queue full: %q", got)
	}
	live := fmt.Errorf("at 1s: %w: more than 16777216 events", sim.ErrLivelock)
	if got := limitHint(live).Error(); !strings.Contains(got, "livelock") || !strings.Contains(got, "report it") {
		t.Errorf("livelock: %q", got)
	}
	other := errors.New("disk full")
	if limitHint(other) != other {
		t.Error("other errors must pass through")
	}
}
