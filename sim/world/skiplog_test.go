package world

import (
	"slices"
	"testing"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/node"
	"pgregory.net/rapid"
)

// TestSkippedLogKeepsInFlight: the shared log of skipped announcements
// (remember, trimSkipped), whatever its trimming and compaction, keeps in
// sending order every entry that is still in flight and not discarded,
// which is all replaySkipped reads.
func TestSkippedLogKeepsInFlight(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := &World{}
		var all []skippedHeader // every remembered entry, with discards applied
		now := clock.Time(0)
		steps := rapid.IntRange(0, 400).Draw(t, "steps")
		for i := range steps {
			now += clock.Time(rapid.IntRange(0, 30).Draw(t, "advance"))
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0: // a replay discards some of one receiver's entries
				to := int32(rapid.IntRange(0, 3).Draw(t, "discard"))
				w.trimSkipped(now)
				for k := w.skipHead; k < len(w.skipped); k++ {
					if w.skipped[k].to == to && w.skipped[k].block%2 == 0 {
						w.skipped[k].to = -1
					}
				}
				for k := range all {
					if all[k].to == to && all[k].block%2 == 0 {
						all[k].to = -1
					}
				}
			default:
				h := skippedHeader{
					at:    now + clock.Time(rapid.IntRange(1, 100).Draw(t, "latency")),
					block: node.BlockID(i),
					from:  int32(rapid.IntRange(0, 9).Draw(t, "from")),
					to:    int32(rapid.IntRange(0, 3).Draw(t, "to")),
				}
				w.remember(now, h)
				all = append(all, h)
			}
			live := func(s []skippedHeader) []skippedHeader {
				var out []skippedHeader
				for _, h := range s {
					if h.at > now && h.to >= 0 {
						out = append(out, h)
					}
				}
				return out
			}
			got, want := live(w.skipped[w.skipHead:]), live(all)
			if !slices.Equal(got, want) {
				t.Fatalf("at %v the log holds %v in flight, want %v", now, got, want)
			}
			if w.skipHead > len(w.skipped) {
				t.Fatalf("head %d past the log's %d entries", w.skipHead, len(w.skipped))
			}
		}
	})
}
