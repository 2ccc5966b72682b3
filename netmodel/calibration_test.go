package netmodel

import (
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/dpsim/dpsim/internal/sharedtest"

	"gonum.org/v1/gonum/stat"
)

// geoDataDir returns ../shared/data relative to the module root (the
// directory holding go.mod), or skips the test when it is absent.
func geoDataDir(t testing.TB) string {
	t.Helper()
	return sharedtest.Path(t, "data")
}

// ripePair is one row of country_rtt_stat.csv.gz.
type ripePair struct {
	a, b   string
	count  int64
	avgMs  float64
	meanKm float64 // pool-weighted mean distance between the countries' cities
	weight float64 // ordered node pairs the model draws between them, per pool²
}

// geoMinPings keeps country pairs whose average rests on enough pings: 92
// of the 1,605 pairs between table countries have fewer, some a single one.
const geoMinPings = 1000

// readRIPE returns the country pairs of the RIPE Atlas table whose both
// countries are in the city table and that have at least geoMinPings pings.
func readRIPE(t testing.TB) []ripePair {
	t.Helper()
	path := filepath.Join(geoDataDir(t), "ripe-atlas", "country_rtt_stat.csv.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("RIPE Atlas table absent: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r := csv.NewReader(zr)
	head, err := r.Read()
	if err != nil || !slices.Equal(head, []string{"cty1", "cty2", "rtt_cnt", "rtt_avg", "rtt_std", "rtt_min", "rtt_max"}) {
		t.Fatalf("%s: unexpected header %q (%v)", path, head, err)
	}
	byCountry := geoCitiesByCountry()
	var out []ripePair
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ca, cb := byCountry[rec[0]], byCountry[rec[1]]
		if ca == nil || cb == nil {
			continue
		}
		cnt, err1 := strconv.ParseInt(rec[2], 10, 64)
		avg, err2 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad row %q", path, rec)
		}
		if cnt < geoMinPings {
			continue
		}
		w := float64(geoPools(ca) * geoPools(cb))
		if rec[0] != rec[1] {
			w *= 2 // both directions
		}
		out = append(out, ripePair{a: rec[0], b: rec[1], count: cnt, avgMs: avg, meanKm: geoMeanKm(ca, cb), weight: w})
	}
	return out
}

// geoCitiesByCountry maps a country code to its cities' indices in places.
func geoCitiesByCountry() map[string][]int {
	m := map[string][]int{}
	for i, pw := range places {
		m[pw.Country] = append(m[pw.Country], i)
	}
	return m
}

// geoPools sums the pool weights of the given cities.
func geoPools(cities []int) int {
	n := 0
	for _, c := range cities {
		n += places[c].pools
	}
	return n
}

// geoMeanKm is the pool-weighted mean distance between a city of ca and a
// city of cb (for ca == cb, same-city pairs count with distance 0).
func geoMeanKm(ca, cb []int) float64 {
	var sum, w float64
	for _, i := range ca {
		for _, j := range cb {
			pi, pj := places[i], places[j]
			ww := float64(pi.pools * pj.pools)
			sum += ww * GreatCircleKm(pi.Lat, pi.Lon, pj.Lat, pj.Lon)
			w += ww
		}
	}
	return sum / w
}

// theilSen fits y = alpha + beta·x: beta is the median slope over all pairs
// with distinct x, alpha the median of y − beta·x.
func theilSen(x, y []float64) (alpha, beta float64) {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if x[i] != x[j] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	beta = geoMedian(slopes)
	res := make([]float64, len(x))
	for i := range x {
		res[i] = y[i] - beta*x[i]
	}
	return geoMedian(res), beta
}

func geoMedian(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// geoWeightedMedian returns the smallest v[i] at which the cumulative
// weight, in increasing order of v, reaches half the total.
func geoWeightedMedian(v, w []float64) float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	total := 0.0
	for _, x := range w {
		total += x
	}
	acc := 0.0
	for _, i := range idx {
		acc += w[i]
		if acc >= total/2 {
			return v[i]
		}
	}
	return math.NaN()
}

// fitRelL1 fits y = alpha + beta·x minimising Σ w_i·|y_i − alpha − beta·x_i| / y_i.
// For a fixed beta the best alpha is the weighted median of y − beta·x
// with weights w/y, and the cost is convex in beta, so a scan of beta
// over [0.005, 0.030] ms/km in steps of 1e-5 (Stretch steps of 0.001)
// finds the optimum.
func fitRelL1(x, y, w []float64) (alpha, beta float64) {
	res := make([]float64, len(x))
	wr := make([]float64, len(x))
	for i := range x {
		wr[i] = w[i] / y[i]
	}
	best := math.Inf(1)
	for k := 0; k <= 2500; k++ {
		b := 0.005 + float64(k)*1e-5
		for i := range x {
			res[i] = y[i] - b*x[i]
		}
		a := geoWeightedMedian(res, wr)
		cost := 0.0
		for i := range x {
			cost += wr[i] * math.Abs(res[i]-a)
		}
		if cost < best {
			best, alpha, beta = cost, a, b
		}
	}
	return alpha, beta
}

// geoErrors returns the median relative error of predictions pred against
// the pairs, unweighted and weighted by the pairs' pool weights.
func geoErrors(pairs []ripePair, pred []float64) (median, poolMedian float64) {
	rel := make([]float64, len(pairs))
	w := make([]float64, len(pairs))
	for i, p := range pairs {
		rel[i] = math.Abs(pred[i]-p.avgMs) / p.avgMs
		w[i] = p.weight
	}
	return geoMedian(rel), geoWeightedMedian(rel, w)
}

// TestCalibrationFit reruns the fit documented on DefaultGeoParams and
// checks the shipped constants still match it, so the comment, the
// constants and the data cannot drift apart. It logs the alternatives the
// comment compares against.
func TestCalibrationFit(t *testing.T) {
	pairs := readRIPE(t)
	x := make([]float64, len(pairs))
	y := make([]float64, len(pairs))
	w := make([]float64, len(pairs))
	for i, p := range pairs {
		x[i], y[i], w[i] = p.meanKm, p.avgMs, p.weight
	}
	line := func(a, b float64) []float64 {
		pred := make([]float64, len(x))
		for i := range x {
			pred[i] = a + b*x[i]
		}
		return pred
	}
	alpha, beta := fitRelL1(x, y, w)
	med, poolMed := geoErrors(pairs, line(alpha, beta))
	t.Logf("pairs=%d pool-weighted relative L1: alpha=%.2f ms beta=%.5f ms/km; median rel err %.3f, pool-weighted %.3f",
		len(pairs), alpha, beta, med, poolMed)
	tsA, tsB := theilSen(x, y)
	med, poolMed = geoErrors(pairs, line(tsA, tsB))
	t.Logf("unweighted Theil-Sen: alpha=%.2f beta=%.5f; median rel err %.3f, pool-weighted %.3f", tsA, tsB, med, poolMed)
	olsA, olsB := stat.LinearRegression(x, y, nil, false)
	med, poolMed = geoErrors(pairs, line(olsA, olsB))
	t.Logf("OLS: alpha=%.2f beta=%.5f; median rel err %.3f, pool-weighted %.3f", olsA, olsB, med, poolMed)

	p := DefaultGeoParams()
	meanAccessMs := float64(p.AccessMin+p.AccessMax) / 2 / 1e6
	wantStretch := beta * p.FibreKmPerMs / 2
	wantBaseMs := (alpha - 4*meanAccessMs) / 2
	if math.Abs(p.Stretch-wantStretch) > 0.002 {
		t.Errorf("DefaultGeoParams().Stretch = %.4f, fit gives %.4f", p.Stretch, wantStretch)
	}
	if got := float64(p.Base) / 1e6; math.Abs(got-wantBaseMs) > 0.05 {
		t.Errorf("DefaultGeoParams().Base = %.3f ms, fit gives %.3f ms", got, wantBaseMs)
	}
	if len(pairs) < 1000 {
		t.Errorf("only %d country pairs with >= %d pings; the fit expects about 1,500", len(pairs), geoMinPings)
	}
}

// TestCalibrationAgainstRIPE checks the model, through its integer city
// table, against the measured country-to-country average RTTs. The bounds
// leave a few points of margin over what the fitted line achieves (see
// DefaultGeoParams): country averages mix home-line probes, congestion and
// routing detours a distance model cannot know, so a tighter bound would
// test the data, not the code.
func TestCalibrationAgainstRIPE(t *testing.T) {
	pairs := readRIPE(t)
	p := DefaultGeoParams()
	table := cityTable(p)
	nc := len(places)
	byCountry := geoCitiesByCountry()
	meanAccessUs := float64(p.AccessMin.Microseconds()+p.AccessMax.Microseconds()) / 2
	pred := make([]float64, len(pairs))
	meas := make([]float64, len(pairs))
	for k, pr := range pairs {
		var sum, w float64
		for _, i := range byCountry[pr.a] {
			for _, j := range byCountry[pr.b] {
				ww := float64(places[i].pools * places[j].pools)
				sum += ww * float64(table[i*nc+j])
				w += ww
			}
		}
		oneWayUs := sum/w + 2*meanAccessUs
		pred[k] = 2 * oneWayUs / 1000
		meas[k] = pr.avgMs
	}
	med, poolMed := geoErrors(pairs, pred)
	corr := stat.Correlation(pred, meas, nil)
	t.Logf("pairs=%d median rel err %.3f, pool-weighted %.3f, correlation %.3f", len(pairs), med, poolMed, corr)
	if poolMed > 0.18 {
		t.Errorf("pool-weighted median relative error %.3f, want <= 0.18", poolMed)
	}
	if med > 0.35 {
		t.Errorf("median relative error %.3f over %d pairs, want <= 0.35", med, len(pairs))
	}
	if corr < 0.84 {
		t.Errorf("correlation %.3f between predicted and measured RTT, want >= 0.84", corr)
	}
}

// TestPlacesMatchPoolCountries recounts the pools per country in the real
// pool list and checks the table's per-country totals equal them.
func TestPlacesMatchPoolCountries(t *testing.T) {
	path := filepath.Join(geoDataDir(t), "cardano-pools", "topology-v4-mainnet.meta.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("pool list absent: %v", err)
	}
	var pools map[string]struct {
		CC *string `json:"cc"`
	}
	if err := json.Unmarshal(raw, &pools); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := map[string]int{}
	for _, p := range pools {
		if p.CC != nil {
			want[*p.CC]++
		}
	}
	got := map[string]int{}
	for _, pw := range places {
		got[pw.Country] += pw.pools
	}
	countries := make([]string, 0, len(want))
	for cc := range want {
		countries = append(countries, cc)
	}
	for cc := range got {
		if _, ok := want[cc]; !ok {
			countries = append(countries, cc)
		}
	}
	slices.Sort(countries)
	for _, cc := range countries {
		if got[cc] != want[cc] {
			t.Errorf("country %s: table has %d pools, %s has %d", cc, got[cc], filepath.Base(path), want[cc])
		}
	}
}

// TestGeoRegionMix checks that placing 10,000 nodes reproduces the table's
// region weights; systematic sampling keeps every city within one node of
// its quota, so 0.5 percentage points is already generous.
func TestGeoRegionMix(t *testing.T) {
	const n = 10_000
	for _, seed := range []uint64{1, 2, 3} {
		g, err := NewGeo(n, rand.New(rand.NewPCG(seed, 0)), DefaultGeoParams())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]float64{}
		total := 0.0
		for _, pw := range places {
			want[pw.Region] += float64(pw.pools)
			total += float64(pw.pools)
		}
		got := map[string]float64{}
		for i := range n {
			got[g.Place(i).Region]++
		}
		for _, r := range []string{"NA", "EU", "AS", "OC", "SA", "AF"} {
			w, gt := want[r]/total, got[r]/n
			if math.Abs(w-gt) > 0.005 {
				t.Errorf("seed %d region %s: share %.4f, table %.4f (replay: go test -run TestGeoRegionMix ./netmodel)", seed, r, gt, w)
			}
		}
	}
}
