// Package archbad breaks every determinism rule once; the architecture test
// checks that its checker catches each of them.
package archbad

import (
	"maps"
	mrand "math/rand"
	"math/rand/v2"
	"slices"
	"time"
)

func bad(m map[int]int) int {
	go func() {}()
	_ = time.Now()
	time.Sleep(1)
	_ = mrand.Intn(3)
	_ = rand.IntN(3)
	s := 0
	for k := range m {
		s += k
	}
	for k := range maps.Keys(m) {
		s += k
	}
	for _, k := range slices.Sorted(maps.Keys(m)) { // allowed
		s += k
	}
	r := rand.New(rand.NewPCG(1, 2)) // allowed
	return s + r.IntN(2)
}
