package clock

import (
	"testing"
	"time"
)

func TestArithmetic(t *testing.T) {
	a := FromSeconds(3)
	b := a.Add(250 * time.Millisecond)
	if got := b.Sub(a); got != 250*time.Millisecond {
		t.Fatalf("Sub = %v, want 250ms", got)
	}
	if !a.Before(b) || !b.After(a) || Min(a, b) != a || Max(a, b) != b {
		t.Fatal("ordering helpers disagree")
	}
	if b.String() != "3.250000000s" || Never.String() != "never" {
		t.Fatalf("String = %q", b.String())
	}
	if b.Micros() != 3_250_000 {
		t.Fatalf("Micros = %d", b.Micros())
	}
}

func TestManual(t *testing.T) {
	var m Manual
	var c Clock = &m
	m.Advance(time.Second)
	if c.Now() != FromSeconds(1) {
		t.Fatalf("Now = %v", c.Now())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Advance(-1) did not panic")
		}
	}()
	m.Advance(-1)
}
