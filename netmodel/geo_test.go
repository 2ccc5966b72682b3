package netmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestGreatCircleKm(t *testing.T) {
	tests := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want, tol              float64
	}{
		{"same point", 50.11, 8.68, 50.11, 8.68, 0, 1e-9},
		// One degree of a great circle is 2πR/360 = 111.195 km.
		{"one degree on the equator", 0, 0, 0, 1, 111.195, 0.001},
		{"one degree of meridian", 10, 20, 11, 20, 111.195, 0.001},
		{"antipodes", 0, 0, 0, 180, math.Pi * 6371, 0.001},
		{"poles", 90, 0, -90, 0, math.Pi * 6371, 0.001},
		{"across the antimeridian", 0, 179.5, 0, -179.5, 111.195, 0.001},
		// Published great-circle distances, to about 1 %.
		{"London-Paris", 51.51, -0.13, 48.86, 2.35, 343, 4},
		{"New York-London", 40.71, -74.01, 51.51, -0.13, 5570, 50},
		{"Sydney-Tokyo", -33.87, 151.21, 35.68, 139.69, 7820, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GreatCircleKm(tt.lat1, tt.lon1, tt.lat2, tt.lon2)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("GreatCircleKm = %.3f, want %.3f ± %g", got, tt.want, tt.tol)
			}
			if back := GreatCircleKm(tt.lat2, tt.lon2, tt.lat1, tt.lon1); math.Abs(back-got) > 1e-9 {
				t.Errorf("not symmetric: %.6f vs %.6f", got, back)
			}
		})
	}
}

func TestPlacesTable(t *testing.T) {
	ps := Places()
	if len(ps) < 60 || len(ps) > 120 {
		t.Errorf("%d cities, want 60 to 120", len(ps))
	}
	regions := map[string]bool{"NA": true, "EU": true, "AS": true, "OC": true, "SA": true, "AF": true}
	seen := map[string]bool{}
	for i, p := range ps {
		if seen[p.City] {
			t.Errorf("city %q listed twice", p.City)
		}
		seen[p.City] = true
		if !regions[p.Region] {
			t.Errorf("%s: region %q not one of NA EU AS OC SA AF", p.City, p.Region)
		}
		if len(p.Country) != 2 || strings.ToUpper(p.Country) != p.Country {
			t.Errorf("%s: country %q is not an ISO alpha-2 code", p.City, p.Country)
		}
		if p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 || (p.Lat == 0 && p.Lon == 0) {
			t.Errorf("%s: coordinates %v,%v out of range", p.City, p.Lat, p.Lon)
		}
		if places[i].pools < 1 {
			t.Errorf("%s: weight %d, want >= 1 (a city without pools does not belong in the table)", p.City, places[i].pools)
		}
	}
	ps[0].City = "changed"
	if Places()[0].City == "changed" {
		t.Error("Places returns the table itself, not a copy")
	}
}

func TestGeoParamsValidate(t *testing.T) {
	ok := DefaultGeoParams()
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*GeoParams)
		field string
	}{
		{"negative base", func(p *GeoParams) { p.Base = -time.Millisecond }, "Base"},
		{"huge base", func(p *GeoParams) { p.Base = time.Hour }, "Base"},
		{"stretch below 1", func(p *GeoParams) { p.Stretch = 0.9 }, "Stretch"},
		{"stretch NaN", func(p *GeoParams) { p.Stretch = math.NaN() }, "Stretch"},
		{"stretch huge", func(p *GeoParams) { p.Stretch = 11 }, "Stretch"},
		{"speed zero", func(p *GeoParams) { p.FibreKmPerMs = 0 }, "FibreKmPerMs"},
		{"speed faster than light", func(p *GeoParams) { p.FibreKmPerMs = 300 }, "FibreKmPerMs"},
		{"speed +Inf", func(p *GeoParams) { p.FibreKmPerMs = math.Inf(1) }, "FibreKmPerMs"},
		{"negative access", func(p *GeoParams) { p.AccessMin = -1 }, "AccessMin"},
		{"access max below min", func(p *GeoParams) { p.AccessMin, p.AccessMax = 2*time.Millisecond, time.Millisecond }, "AccessMax"},
		{"access max huge", func(p *GeoParams) { p.AccessMax = 2 * time.Second }, "AccessMax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultGeoParams()
			tt.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), "field "+tt.field+":") || !strings.Contains(err.Error(), "accepted") {
				t.Fatalf("Validate() = %v, want an error naming field %s and what is accepted", err, tt.field)
			}
			if _, err2 := NewGeo(10, rand.New(rand.NewPCG(1, 2)), p); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("NewGeo error %v, want %v", err2, err)
			}
		})
	}
}

func TestNewGeoBadN(t *testing.T) {
	for _, n := range []int{0, -1, MaxGeoNodes + 1} {
		_, err := NewGeo(n, rand.New(rand.NewPCG(1, 2)), DefaultGeoParams())
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("value %d", n)) {
			t.Errorf("NewGeo(%d) error %v, want one naming the value", n, err)
		}
	}
}

func newTestGeo(t testing.TB, n int, seed uint64) *Geo {
	t.Helper()
	g, err := NewGeo(n, rand.New(rand.NewPCG(seed, 0x9e0)), DefaultGeoParams())
	if err != nil {
		t.Fatalf("NewGeo(%d, seed %d): %v", n, seed, err)
	}
	return g
}

func TestGeoDeterministic(t *testing.T) {
	const n = 500
	a, b := newTestGeo(t, n, 7), newTestGeo(t, n, 7)
	for i := range n {
		if a.Place(i) != b.Place(i) || a.Access(i) != b.Access(i) {
			t.Fatalf("seed 7 node %d: %v/%v vs %v/%v", i, a.Place(i), a.Access(i), b.Place(i), b.Access(i))
		}
		for j := range n {
			da, _ := a.OneWay(i, j)
			db, _ := b.OneWay(i, j)
			if da != db {
				t.Fatalf("seed 7 OneWay(%d,%d) = %v vs %v", i, j, da, db)
			}
		}
	}
	c := newTestGeo(t, n, 8)
	same := 0
	for i := range n {
		if a.Place(i) == c.Place(i) && a.Access(i) == c.Access(i) {
			same++
		}
	}
	if same > n/10 {
		t.Errorf("seeds 7 and 8 agree on %d of %d nodes; the seed is not used", same, n)
	}
}

// TestGeoOneWay checks OneWay against the formula evaluated directly in
// floating point, and its invariants: symmetric, zero on the diagonal,
// non-zero between distinct nodes even in one city.
func TestGeoOneWay(t *testing.T) {
	const n = 300
	p := DefaultGeoParams()
	g := newTestGeo(t, n, 3)
	sameCity := 0
	for a := range n {
		if acc := g.Access(a); acc < p.AccessMin || acc > p.AccessMax {
			t.Fatalf("node %d access %v outside [%v, %v]", a, acc, p.AccessMin, p.AccessMax)
		}
		for b := range n {
			d, ok := g.OneWay(a, b)
			if !ok {
				t.Fatalf("OneWay(%d,%d) unreachable", a, b)
			}
			if back, _ := g.OneWay(b, a); back != d {
				t.Fatalf("OneWay(%d,%d)=%v but OneWay(%d,%d)=%v", a, b, d, b, a, back)
			}
			if a == b {
				if d != 0 {
					t.Fatalf("OneWay(%d,%d) = %v, want 0", a, a, d)
				}
				continue
			}
			pa, pb := g.Place(a), g.Place(b)
			if pa == pb {
				sameCity++
			}
			km := GreatCircleKm(pa.Lat, pa.Lon, pb.Lat, pb.Lon)
			want := float64(p.Base)/1e3 + km*p.Stretch/p.FibreKmPerMs*1e3 + float64(g.Access(a)+g.Access(b))/1e3
			if got := float64(d) / 1e3; math.Abs(got-want) > 1 {
				t.Fatalf("OneWay(%d,%d) %s→%s = %.0f µs, formula %.1f µs", a, b, pa.City, pb.City, got, want)
			}
			if d < p.Base+2*p.AccessMin {
				t.Fatalf("OneWay(%d,%d) = %v below Base + 2·AccessMin", a, b, d)
			}
		}
	}
	if sameCity == 0 {
		t.Error("no two nodes share a city in 300; the same-city case went untested")
	}
}

// TestGeoPlacementQuota checks the systematic-sampling property: every
// city receives the floor or the ceiling of its share n·w/W.
func TestGeoPlacementQuota(t *testing.T) {
	total := 0
	for _, pw := range places {
		total += pw.pools
	}
	index := map[string]int{}
	for i, pw := range places {
		index[pw.City] = i
	}
	for _, n := range []int{1, 7, 100, 2254, 5001} {
		for seed := uint64(1); seed <= 3; seed++ {
			g := newTestGeo(t, n, seed)
			count := make([]int, len(places))
			for i := range n {
				count[index[g.Place(i).City]]++
			}
			for c, pw := range places {
				lo := n * pw.pools / total
				hi := lo
				if n*pw.pools%total != 0 {
					hi++
				}
				if count[c] < lo || count[c] > hi {
					t.Errorf("n=%d seed=%d %s: %d nodes, quota %d..%d", n, seed, pw.City, count[c], lo, hi)
				}
			}
		}
	}
}

func TestGeoShuffled(t *testing.T) {
	// Without the shuffle node IDs would run through the table in order,
	// so the first tenth would all be in North America.
	g := newTestGeo(t, 1000, 5)
	na := 0
	for i := range 100 {
		if g.Place(i).Region == "NA" {
			na++
		}
	}
	if na > 70 {
		t.Errorf("%d of the first 100 nodes are in NA; placement is not shuffled", na)
	}
}

func TestGeoMaterialise(t *testing.T) {
	g := newTestGeo(t, 40, 11)
	m := Materialise(g)
	for a := range 40 {
		for b := range 40 {
			dg, _ := g.OneWay(a, b)
			dm, ok := m.OneWay(a, b)
			if !ok || dg != dm {
				t.Fatalf("Materialise(%d,%d) = %v,%v want %v", a, b, dm, ok, dg)
			}
		}
	}
}

func TestGeoOneWayOutOfRangePanics(t *testing.T) {
	g := newTestGeo(t, 3, 1)
	for _, ab := range [][2]int{{-1, -1}, {3, 3}, {0, 3}, {-1, 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("OneWay(%d,%d) on 3 nodes did not panic", ab[0], ab[1])
				}
			}()
			g.OneWay(ab[0], ab[1])
		}()
	}
}

func ExampleGreatCircleKm() {
	// Frankfurt to Ashburn, two of the model's busiest cities.
	fmt.Printf("%.0f km\n", GreatCircleKm(50.11, 8.68, 39.04, -77.49))
	// Output: 6549 km
}

func ExampleNewGeo() {
	rng := rand.New(rand.NewPCG(42, 0))
	g, err := NewGeo(1000, rng, DefaultGeoParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	self, _ := g.OneWay(3, 3)
	d, ok := g.OneWay(3, 4)
	fmt.Println(g.N(), self, ok, d > DefaultGeoParams().Base)
	// Output: 1000 0s true true
}

func BenchmarkGeoOneWay(b *testing.B) {
	const n = 10_000
	g := newTestGeo(b, n, 1)
	rng := rand.New(rand.NewPCG(1, 1))
	pairs := make([][2]int, 1024)
	for i := range pairs {
		pairs[i] = [2]int{rng.IntN(n), rng.IntN(n)}
	}
	b.ReportAllocs()
	var sum time.Duration
	i := 0
	for b.Loop() {
		p := pairs[i&1023]
		d, _ := g.OneWay(p[0], p[1])
		sum += d
		i++
	}
	if sum < 0 {
		b.Fatal(sum)
	}
}

func BenchmarkNewGeo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewGeo(10_000, rand.New(rand.NewPCG(1, 2)), DefaultGeoParams()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNewGeoAt: pinned nodes land in their country; nodes of one site
// share a city and reach each other by their access delays alone; an
// unknown country or a site in two countries is an error naming the node.
func TestNewGeoAt(t *testing.T) {
	spots := []GeoSpot{{Country: "JP", Site: 1}, {Country: "JP", Site: 1}, {Country: "DE"}, {Site: 2}, {Site: 2}, {Country: "US"}, {Region: "OC"}, {Region: "SA"}}
	g, err := NewGeoAt(spots, rand.New(rand.NewPCG(1, 2)), DefaultGeoParams())
	if err != nil {
		t.Fatal(err)
	}
	for i, sp := range spots {
		if sp.Region != "" && g.Place(i).Region != sp.Region {
			t.Errorf("node %d in %+v, want region %s", i, g.Place(i), sp.Region)
		}
		if sp.Country != "" && g.Place(i).Country != sp.Country {
			t.Errorf("node %d in %v, want country %s", i, g.Place(i), sp.Country)
		}
	}
	for _, pair := range [][2]int{{0, 1}, {3, 4}} {
		a, b := pair[0], pair[1]
		d, _ := g.OneWay(a, b)
		if g.Place(a) != g.Place(b) || d != g.Access(a)+g.Access(b) {
			t.Errorf("site pair %d,%d: %v and %v, %v apart; want one city and %v", a, b, g.Place(a), g.Place(b), d, g.Access(a)+g.Access(b))
		}
	}
	if d, _ := g.OneWay(0, 2); d < DefaultGeoParams().Base {
		t.Errorf("JP–DE %v, below the base delay", d)
	}
	for _, bad := range [][]GeoSpot{{{Country: "XX"}}, {{Country: "JP", Site: 3}, {Country: "DE", Site: 3}}, {{Site: -1}}, {{Region: "XX"}}, {{Country: "JP", Region: "EU"}}} {
		if _, err := NewGeoAt(bad, rand.New(rand.NewPCG(1, 2)), DefaultGeoParams()); err == nil || !strings.Contains(err.Error(), "node ") {
			t.Errorf("%v: error %v, want one naming the node", bad, err)
		}
	}
}

// TestGeoSymmetric: Geo says it is symmetric, and is.
func TestGeoSymmetric(t *testing.T) {
	g, err := NewGeo(300, rand.New(rand.NewPCG(3, 4)), DefaultGeoParams())
	if err != nil {
		t.Fatal(err)
	}
	for a := range 300 {
		for b := range 300 {
			x, _ := g.OneWay(a, b)
			y, _ := g.OneWay(b, a)
			if x != y || !g.Symmetric() {
				t.Fatalf("OneWay(%d,%d) = %v, OneWay(%d,%d) = %v", a, b, x, b, a, y)
			}
		}
	}
}
