package netmodel

import (
	"fmt"
	"time"
)

// Latency is a source of one-way latencies between nodes 0..N()-1.
// Implementations are immutable after construction and safe to share
// between runs.
type Latency interface {
	// N is the number of nodes the source covers.
	N() int
	// OneWay returns the one-way latency from a to b and whether a path
	// exists at all (edge lists know only listed pairs). OneWay(a, a) is 0.
	OneWay(a, b int) (time.Duration, bool)
}

// Symmetric is implemented by latency sources whose OneWay(a, b) always
// equals OneWay(b, a), so a round trip needs one look-up.
type Symmetric interface {
	Symmetric() bool
}

// Matrix is a dense one-way latency matrix in whole microseconds. Int32
// microseconds keep a 10,000-node matrix at 400 MB and cover 35 minutes,
// far beyond any real latency. A negative entry means "no path".
type Matrix struct {
	n  int
	us []int32
}

// NewMatrix returns an n×n matrix with every off-diagonal pair unreachable.
func NewMatrix(n int) *Matrix {
	m := &Matrix{n: n, us: make([]int32, n*n)}
	for i := range m.us {
		m.us[i] = -1
	}
	for i := 0; i < n; i++ {
		m.us[i*n+i] = 0
	}
	return m
}

// N returns the number of nodes.
func (m *Matrix) N() int { return m.n }

// Set sets the one-way latency from a to b. It panics on a negative
// latency or one of 35 minutes or more: callers validate input first.
func (m *Matrix) Set(a, b int, d time.Duration) {
	us := d.Microseconds()
	if us < 0 || us > 1<<31-1 {
		panic(fmt.Sprintf("netmodel: latency %v out of range", d))
	}
	m.us[a*m.n+b] = int32(us)
}

// OneWay implements Latency.
func (m *Matrix) OneWay(a, b int) (time.Duration, bool) {
	us := m.us[a*m.n+b]
	if us < 0 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

// Materialise copies any latency source into a dense Matrix, so repeated
// look-ups cost one memory read.
func Materialise(l Latency) *Matrix {
	n := l.N()
	m := NewMatrix(n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if d, ok := l.OneWay(a, b); ok {
				m.Set(a, b, d)
			}
		}
	}
	return m
}
