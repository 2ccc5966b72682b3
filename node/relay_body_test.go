package node

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/dpsim/dpsim/clock"
)

const ms = clock.Time(time.Millisecond)

// run calls a handler with a fresh outbox and returns its actions.
func run(f func(out *Outbox)) []Action {
	var out Outbox
	f(&out)
	return out.Actions
}

func sameActions(t *testing.T, what string, got, want []Action) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// TestBodyValidationPerKiB: validation takes the constant plus the rate
// per KiB, rounded down to the nanosecond, saturating; OnBody queues
// bodies by their own times.
func TestBodyValidationPerKiB(t *testing.T) {
	const max = time.Duration(math.MaxInt64)
	cases := []struct {
		bv, perKiB time.Duration
		bytes      int32
		want       time.Duration
	}{
		{time.Millisecond, time.Millisecond, 0, time.Millisecond},
		{time.Millisecond, time.Millisecond, 1024, 2 * time.Millisecond},
		{time.Millisecond, time.Millisecond, 1536, 2500 * time.Microsecond},
		{time.Millisecond, time.Millisecond, 1, time.Millisecond + 976}, // 1e6/1024 = 976.56
		{0, 1000, 90_112, 88_000}, // 88 KiB at 1 µs per KiB
		{time.Millisecond, 0, 90_112, time.Millisecond},
		{time.Millisecond, time.Millisecond, -5, time.Millisecond},
		{0, max, math.MaxInt32, max},                    // the product needs 94 bits
		{0, 1 << 53, 1 << 20, max},                      // the quotient is 2^63, one past the largest
		{0, 1 << 53, 1<<20 - 1, 1<<63 - 1<<43},          // just below it
		{1024, max / 1024 * 1024, 1024, max},            // the sum overflows
		{0, max / 1024 * 1024, 1024, max / 1024 * 1024}, // exactly representable
		{0, 3, math.MaxInt32, 3 * math.MaxInt32 / 1024}, // exact rounding of a large product
	}
	for _, cs := range cases {
		cfg := RelayConfig{BodyValidation: cs.bv, BodyValidationPerKiB: cs.perKiB}
		if got := cfg.BodyValidationOf(cs.bytes); got != cs.want {
			t.Errorf("BodyValidationOf(%d) with %v + %v/KiB = %v, want %v", cs.bytes, cs.bv, cs.perKiB, got, cs.want)
		}
	}

	var c Chain
	small := c.Add(NoBlock, 1, 9, 50, 0)
	small.Bytes = 2048
	big := c.Add(NoBlock, 1, 8, 40, 0)
	big.Bytes = 90_112
	cfg := RelayConfig{BodyValidation: 10 * time.Millisecond, BodyValidationPerKiB: time.Millisecond}
	n := NewNode(0, &c, cfg, []int32{1, 2})
	for _, b := range []BlockID{small.ID, big.ID} {
		n.onHeader(0, 1, b, &Outbox{})
		n.onHeaderValidated(0, b, &Outbox{})
	}
	sameActions(t, "small body", run(func(out *Outbox) { n.onBody(ms, 1, small.ID, out) }),
		[]Action{{Kind: WakeBody, Block: small.ID, At: 13 * ms}})
	sameActions(t, "big body, queued behind the small one", run(func(out *Outbox) { n.onBody(2*ms, 1, big.ID, out) }),
		[]Action{{Kind: WakeBody, Block: big.ID, At: (13 + 10 + 88) * ms}})
}
