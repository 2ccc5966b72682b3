package netmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Place is a real-world location a node of the built-in geographic model is
// placed in.
type Place struct {
	City    string
	Country string // ISO 3166-1 alpha-2 code
	Region  string // continent: NA, EU, AS, OC, SA or AF
	Lat     float64
	Lon     float64
}

// GeoParams are the constants of the built-in geographic model's one-way
// latency:
//
//	OneWay(a, b) = Base + GreatCircleKm(a, b) × Stretch / FibreKmPerMs + access(a) + access(b)
//
// where access(i) is node i's "last mile" delay, drawn once per node
// uniformly in [AccessMin, AccessMax] at whole-microsecond resolution.
type GeoParams struct {
	// Base is the distance-independent part of every path (switching,
	// peering, queueing), one way.
	Base time.Duration
	// Stretch is the ratio of the routed path length to the great-circle
	// distance (≥ 1).
	Stretch float64
	// FibreKmPerMs is the propagation speed of light in fibre.
	FibreKmPerMs float64
	// AccessMin and AccessMax bound the per-node one-way access delay.
	AccessMin, AccessMax time.Duration
}

// DefaultGeoParams returns the constants calibrated against RIPE Atlas.
//
// Source: ../shared/data/ripe-atlas/country_rtt_stat.csv.gz (RIPE Atlas
// pings, 29 Mar–19 Apr 2025, via ouroboros-leios commit 0200037). The fit,
// rerun by TestCalibrationFit in calibration_test.go, takes the 1,513
// country pairs with ≥ 1,000 pings between two countries of the city
// table, gives each the pool-weighted mean great-circle distance between
// their cities, and fits rtt_avg = α + β·km minimising the sum of relative
// absolute errors, each pair weighted by the number of node pairs the
// model draws between the two countries (pools × pools, both ways). Why
// this fit:
//   - weighted, because the model serves the pool population: DE–US,
//     US–US and DE–DE are 37 % of node pairs, and an unweighted fit lets
//     hundreds of rare pairs decide (unweighted Theil–Sen: α = 35.3 ms,
//     β = 0.01662, median relative error 19.7 % over pairs but 39 % over
//     node pairs, predicting 164 ms for DE–US against 114 measured);
//   - L1 on relative errors, because pair averages are heavy-tailed
//     (rtt_max up to 300 s) and short and long paths should count alike;
//     least squares gives α = 45.4 ms, β = 0.0161 (36 % over node pairs);
//   - averages, not rtt_min, which IP-registry geolocation and anycast
//     targets make meaningless (DE–US min 0 ms, AU–DE 0.39 ms).
//
// Result: α = 28.97 ms, β = 0.01145 ms/km; median relative error 15.2 %
// weighted by node pairs, 30.6 % over country pairs; correlation 0.862
// (TestCalibrationAgainstRIPE). E.g. DE–DE 31 ms (measured 27), DE–US
// 117 ms (114), DE–JP 135 ms (174); US–US 50 ms against a measured 108.
//
// Mapping: β = 2·Stretch/FibreKmPerMs, so Stretch = 1.145 at 200 km/ms
// (light in fibre of refractive index ≈ 1.47: 299,792 km/s / 1.47 ≈ 204
// km/ms, rounded). The RTT intercept α = 2·Base + 4·mean access cannot be
// split from country means; the access range is chosen small, 0.1–2 ms
// one way (data-centre hosts: the AWS cluster in
// ../shared/data/benchmark-cluster-52 measures 0.1–0.3 ms RTT within a
// region), so Base = (α − 4 × 1.05 ms) / 2 = 12.39 ms carries the rest.
// RIPE probes sit largely on home and office lines, so the intercept is
// pessimistic for data-centre pools: that cluster measures 90 ms RTT
// Frankfurt–Virginia, where the model gives 104 ms. A scenario can lower
// Base.
func DefaultGeoParams() GeoParams {
	return GeoParams{
		Base:         12385 * time.Microsecond,
		Stretch:      1.145,
		FibreKmPerMs: 200,
		AccessMin:    100 * time.Microsecond,
		AccessMax:    2 * time.Millisecond,
	}
}

// Limits of GeoParams.Validate: generous, they only catch absurd values.
const (
	geoDelayMax   = time.Second // Base and AccessMax
	geoStretchMax = 10.0
	// Light in vacuum: 299,792.458 km/s. Nothing propagates faster.
	geoSpeedMaxKmPerMs = 299.792458
	// Far below any medium; keeps the city table well inside int32 µs.
	geoSpeedMinKmPerMs = 10.0
)

// Validate reports the first absurd parameter, naming the field, the value
// and the accepted range.
func (p GeoParams) Validate() error {
	bad := func(field string, v any, accepted string) error {
		return fmt.Errorf("netmodel: geo params: field %s: value %v: accepted: %s", field, v, accepted)
	}
	switch {
	case p.Base < 0 || p.Base > geoDelayMax:
		return bad("Base", p.Base, "0 to 1s")
	case !(p.Stretch >= 1 && p.Stretch <= geoStretchMax): // also rejects NaN
		return bad("Stretch", p.Stretch, "1 to 10")
	case !(p.FibreKmPerMs >= geoSpeedMinKmPerMs && p.FibreKmPerMs <= geoSpeedMaxKmPerMs):
		return bad("FibreKmPerMs", p.FibreKmPerMs, "10 to 299.792458 (light in vacuum)")
	case p.AccessMin < 0 || p.AccessMin > geoDelayMax:
		return bad("AccessMin", p.AccessMin, "0 to 1s")
	case p.AccessMax < p.AccessMin || p.AccessMax > geoDelayMax:
		return bad("AccessMax", p.AccessMax, fmt.Sprintf("AccessMin (%v) to 1s", p.AccessMin))
	}
	return nil
}

// Geo is the built-in geographic latency model: nodes placed in the cities
// of Places() in proportion to the Cardano stake pool population, with a
// per-node access delay. It implements Latency; every pair is reachable and
// latencies are symmetric. Geo is immutable after NewGeo.
type Geo struct {
	n       int
	nCities int
	nodes   []geoNode
	cityUs  []int32 // nCities×nCities: Base + propagation, µs
}

// geoNode is a node's place and access delay, together so that OneWay
// reads one entry per end.
type geoNode struct {
	accessUs int32  // one-way access delay, µs
	city     uint16 // index into places
	site     uint16 // data centre (NewGeoAt); 0: none
}

// MaxGeoNodes bounds n in NewGeo; the model itself costs 8 bytes per node,
// the bound only catches a mistyped node count.
const MaxGeoNodes = 10_000_000

// NewGeo places n nodes and draws their access delays from rng. It
// returns an error for n outside [1, MaxGeoNodes] or invalid p, and panics
// on a nil rng. Placement is systematic sampling over the cities' pool
// weights (every city gets the floor or the ceiling of its share n·w/W, so
// small networks keep the population's mix) followed by a shuffle so node
// IDs carry no geography. The draws from rng are, in order: one IntN for
// the sampling offset, the Shuffle, then one access delay per node. The
// same (n, rng state, p) gives the same placement and latencies.
func NewGeo(n int, rng *rand.Rand, p GeoParams) (*Geo, error) {
	if n < 1 || n > MaxGeoNodes {
		return nil, fmt.Errorf("netmodel: geo: field n: value %d: accepted: 1 to %d nodes", n, MaxGeoNodes)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		panic("netmodel: NewGeo: nil rng")
	}
	g := &Geo{
		n:       n,
		nCities: len(places),
		nodes:   make([]geoNode, n),
		cityUs:  cityTable(p),
	}
	g.place(rng)
	g.drawAccess(rng, p)
	return g, nil
}

// drawAccess draws every node's access delay, in node order.
func (g *Geo) drawAccess(rng *rand.Rand, p GeoParams) {
	lo, hi := p.AccessMin.Microseconds(), p.AccessMax.Microseconds()
	for i := range g.nodes {
		g.nodes[i].accessUs = int32(lo + rng.Int64N(hi-lo+1))
	}
}

// place assigns cities by systematic sampling in integer arithmetic: on a
// line of length W·n where city c covers its cumulative weight times n,
// the n points U + k·W (U uniform in [0, W)) fall in city c either
// floor(n·w_c/W) or ceil(n·w_c/W) times.
func (g *Geo) place(rng *rand.Rand) {
	total := 0
	for _, pw := range places {
		total += pw.pools
	}
	n := int64(g.n)
	point := rng.Int64N(int64(total))
	c, end := 0, int64(places[0].pools)*n
	for k := range g.nodes {
		for point >= end {
			c++
			end += int64(places[c].pools) * n
		}
		g.nodes[k].city = uint16(c)
		point += int64(total)
	}
	rng.Shuffle(len(g.nodes), func(i, j int) { g.nodes[i].city, g.nodes[j].city = g.nodes[j].city, g.nodes[i].city })
}

// GeoSpot pins a node of NewGeoAt: Country is an ISO 3166-1 alpha-2 code
// and Region a continent of the table (NA, EU, AS, OC, SA, AF); "" for
// both places the node anywhere, by pool population. Site, when > 0,
// names a data centre: nodes of one site share a city and reach each other
// by their access delays alone, without the Base of paths between sites.
type GeoSpot struct {
	Country string
	Region  string
	Site    int
}

// GeoRegions are the continents of the city table, GeoSpot.Region's values.
var GeoRegions = []string{"NA", "EU", "AS", "OC", "SA", "AF"}

// MaxGeoSites bounds the sites of NewGeoAt.
const MaxGeoSites = 65535

// NewGeoAt places node i as spots[i] says, with the latency formula of
// NewGeo. A node with a country goes to one of that country's cities of
// the table, drawn by the cities' pool weights; a node without one to any
// city, drawn by pool weight; the first node of a site draws, and the
// others of that site take its city. The draws from rng are, in node
// order, one city draw per node that draws, then one access delay per
// node. It returns an error naming the node for a country the table lacks,
// a site outside [0, MaxGeoSites] or a site given two countries.
func NewGeoAt(spots []GeoSpot, rng *rand.Rand, p GeoParams) (*Geo, error) {
	n := len(spots)
	if n < 1 || n > MaxGeoNodes {
		return nil, fmt.Errorf("netmodel: geo: %d nodes: accepted: 1 to %d nodes", n, MaxGeoNodes)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		panic("netmodel: NewGeoAt: nil rng")
	}
	g := &Geo{n: n, nCities: len(places), nodes: make([]geoNode, n), cityUs: cityTable(p)}
	siteCity := map[int]int{}
	siteCountry := map[int]string{}
	for i, sp := range spots {
		if sp.Site < 0 || sp.Site > MaxGeoSites {
			return nil, fmt.Errorf("netmodel: geo: node %d: site %d: accepted 0 (none) to %d", i, sp.Site, MaxGeoSites)
		}
		if sp.Site > 0 {
			if c, ok := siteCity[sp.Site]; ok {
				if siteCountry[sp.Site] != sp.Country {
					return nil, fmt.Errorf("netmodel: geo: node %d: site %d is in country %q and %q: accepted one country per site", i, sp.Site, siteCountry[sp.Site], sp.Country)
				}
				g.nodes[i].city, g.nodes[i].site = uint16(c), uint16(sp.Site)
				continue
			}
		}
		c, err := drawCity(sp.Country, sp.Region, rng)
		if err != nil {
			return nil, fmt.Errorf("netmodel: geo: node %d: %w", i, err)
		}
		g.nodes[i].city, g.nodes[i].site = uint16(c), uint16(sp.Site)
		if sp.Site > 0 {
			siteCity[sp.Site], siteCountry[sp.Site] = c, sp.Country
		}
	}
	g.drawAccess(rng, p)
	return g, nil
}

// drawCity draws a city of country and region ("": any) by pool weight.
func drawCity(country, region string, rng *rand.Rand) (int, error) {
	in := func(pw placeWeight) bool {
		return (country == "" || pw.Country == country) && (region == "" || pw.Region == region)
	}
	total := 0
	for _, pw := range places {
		if in(pw) {
			total += pw.pools
		}
	}
	if total == 0 {
		return 0, fmt.Errorf("country %q, region %q: no city of the model's table; accepted: one of the %d countries of netmodel.Places, a region of %v, or none", country, region, countries(), GeoRegions)
	}
	u := rng.IntN(total)
	for c, pw := range places {
		if in(pw) {
			if u < pw.pools {
				return c, nil
			}
			u -= pw.pools
		}
	}
	panic("unreachable")
}

// countries counts the distinct countries of the city table.
func countries() int {
	seen := map[string]bool{}
	for _, pw := range places {
		seen[pw.Country] = true
	}
	return len(seen)
}

// Site returns node i's data centre (0: none).
func (g *Geo) Site(i int) int { return int(g.nodes[i].site) }

// cityTable precomputes Base + propagation for every city pair, in µs, so
// OneWay does no trigonometry. The float results may differ in the last
// bit between GOARCHes (fused multiply-add); rounding to the µs hides that
// except at exact half-µs ties, and runs are promised identical per GOARCH.
func cityTable(p GeoParams) []int32 {
	nc := len(places)
	t := make([]int32, nc*nc)
	baseUs := float64(p.Base.Microseconds())
	for i := range nc {
		for j := i; j < nc; j++ {
			a, b := places[i].Place, places[j].Place
			km := GreatCircleKm(a.Lat, a.Lon, b.Lat, b.Lon)
			us := int32(math.Round(baseUs + km*p.Stretch/p.FibreKmPerMs*1000))
			t[i*nc+j], t[j*nc+i] = us, us
		}
	}
	return t
}

// N implements Latency.
func (g *Geo) N() int { return g.n }

// OneWay implements Latency. It is symmetric, 0 for a == b, and always
// reachable. It panics if a or b is outside [0, N()).
func (g *Geo) OneWay(a, b int) (time.Duration, bool) {
	if a == b {
		if a < 0 || a >= g.n {
			panic(fmt.Sprintf("netmodel: Geo.OneWay: node %d out of range [0, %d)", a, g.n))
		}
		return 0, true
	}
	na, nb := &g.nodes[a], &g.nodes[b]
	if na.site != 0 && na.site == nb.site {
		// One data centre: the access delays alone.
		return time.Duration(na.accessUs+nb.accessUs) * time.Microsecond, true
	}
	us := g.cityUs[int(na.city)*g.nCities+int(nb.city)] + na.accessUs + nb.accessUs
	return time.Duration(us) * time.Microsecond, true
}

// Symmetric reports that Geo's latencies are the same both ways.
func (g *Geo) Symmetric() bool { return true }

// Place returns the location node i was placed in. It panics if i is
// outside [0, N()).
func (g *Geo) Place(i int) Place { return places[g.nodes[i].city].Place }

// Access returns node i's one-way access delay. It panics if i is outside
// [0, N()).
func (g *Geo) Access(i int) time.Duration {
	return time.Duration(g.nodes[i].accessUs) * time.Microsecond
}

// Places returns a copy of the model's city table, in table order.
func Places() []Place {
	out := make([]Place, len(places))
	for i, pw := range places {
		out[i] = pw.Place
	}
	return out
}

// earthRadiusKm is the mean Earth radius (IUGG), used by GreatCircleKm.
const earthRadiusKm = 6371

// GreatCircleKm returns the great-circle distance in km between two points
// given in decimal degrees, by the haversine formula with R = 6371 km.
func GreatCircleKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	s1, s2 := math.Sin(dLat/2), math.Sin(dLon/2)
	h := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(min(h, 1)))
}
