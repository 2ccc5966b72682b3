package results

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dpsim/dpsim/clock"
	"github.com/dpsim/dpsim/internal/atomicfile"
)

// Policy comparison: several policies (and a god's-view lower bound) run
// on the same network and block schedule with several seeds, summarised
// per policy. Every result depends only on the set of runs, never on the
// order they are passed in (which follows the order runs finished).

// DefaultTolerance is the convergence band CompareOptions uses when its
// Tolerance is 0: ±10 % of the settled level.
const DefaultTolerance = 0.1

// ciLevel is the two-sided confidence level of the intervals over seeds.
const ciLevel = 0.95

// CompareRun is one finished run of a comparison: the policy it ran, its
// seed and its adoptions. Bound marks a lower-bound row (god's view, from
// the same blocks as the runs), drawn dashed and used as the ratios'
// denominator.
type CompareRun struct {
	Policy string
	Seed   uint64
	Run    *Collector
	Bound  bool
}

// CompareOptions says which blocks count and how time is cut into rounds.
type CompareOptions struct {
	// From is the end of the warm-up: blocks whose slot starts earlier are
	// left out of every statistic.
	From clock.Time
	// Window is the width of a convergence round; round k (1-based) holds
	// the blocks whose slot starts in [From + (k-1)·Window, From + k·Window).
	Window time.Duration
	// Tolerance is the relative half-width of the convergence band; 0
	// means DefaultTolerance.
	Tolerance float64
	// Duration is the runs' simulated length, for the per-hour overhead;
	// 0 leaves the overhead out.
	Duration time.Duration
}

// Comparison is the result of Compare: one PolicyResult per policy, in the
// order the policies first appear in Compare's runs.
type Comparison struct {
	From      clock.Time
	Window    time.Duration
	Tolerance float64
	Policies  []PolicyResult
}

// PolicyResult summarises one policy's runs.
type PolicyResult struct {
	Policy string
	Bound  bool
	// Seeds holds one entry per run, in ascending seed order.
	Seeds []SeedResult
	// Blocks and Adoptions total the post-warm-up blocks with at least one
	// adoption, and their adoptions, over all seeds.
	Blocks, Adoptions int64
	// P50, P95 and P99 are over seeds of the per-seed pooled percentiles.
	P50, P95, P99 Estimate
	// Rounds holds, per window that has adoptions in at least one seed,
	// the mean over those seeds of the window's percentiles.
	Rounds []RoundMean
	// Converge is the convergence of the per-window p99 (see Convergence).
	Converge Convergence
	// CDF is the empirical CDF of the adoptions of all seeds pooled, at
	// most CDFSteps+1 points, always with the minimum and the maximum.
	CDF []CDFPoint
	// Overhead is the protocol cost, when HasOverhead (not for a bound,
	// nor without CompareOptions.Duration).
	Overhead    Overhead
	HasOverhead bool
}

// SeedResult is one run's post-warm-up summary: Blocks counts the blocks
// whose slot starts at or after the warm-up and that someone adopted, and
// Stats is over all their adoptions (Reached = adoptions).
type SeedResult struct {
	Seed   uint64
	Blocks int64
	Stats
}

// Estimate is a percentile over seeds, in microseconds: the mean of the
// per-seed values, the half-width of its 95 % Student-t confidence interval
// t(0.975, n−1)·s/√n (s the sample standard deviation; only when Seeds ≥ 2)
// and the ratio of the mean to the bound policy's mean (only when a bound
// exists and its mean is positive).
type Estimate struct {
	Seeds    int
	MeanUS   float64
	HalfUS   float64 // meaningful only when HasCI
	HasCI    bool
	Ratio    float64 // meaningful only when HasRatio
	HasRatio bool
}

// RoundMean is one convergence window of a policy: the mean over the Seeds
// seeds that had adoptions in it of their window percentiles, in µs. Index
// is 0-based (round Index+1), as Window.Index.
type RoundMean struct {
	Index               int
	Start, End          clock.Time
	Seeds               int
	P50US, P95US, P99US float64
}

// ConvergeStatus says whether a Convergence has a round.
type ConvergeStatus int

const (
	// TooFewRounds: fewer than 3 windows have adoptions, too few to tell
	// a settled level from a trend.
	TooFewRounds ConvergeStatus = iota
	// NeverConverged: the series ends outside the band around its level.
	NeverConverged
	// Converged: Round holds the answer.
	Converged
)

// Convergence is the rounds-to-converge of a series of per-window values
// v_1 … v_n (the windows with adoptions, in time order): with L the mean of
// the last ⌈n/3⌉ values, it is the round of the first window k such that
// |v_j − L| ≤ Tolerance·L for every j ≥ k. It needs n ≥ 3 (TooFewRounds
// otherwise) and does not exist when the last value is outside the band
// (NeverConverged). Round is 1-based, counted from the end of the warm-up,
// and 0 unless Status is Converged.
type Convergence struct {
	Status  ConvergeStatus
	Round   int
	LevelUS float64 // L; meaningful unless TooFewRounds
}

// Compare summarises runs per policy: for each run the pooled nearest-rank
// p50/p95/p99 of the adoptions of the blocks whose slot starts at or after
// opt.From, and its windows of width opt.Window; for each policy the mean,
// 95 % confidence interval and bound ratio of each percentile, the mean
// window percentiles, their convergence and the CDF pooled over seeds.
// Policies keep the order of their first run; seeds are sorted, so the
// order of a policy's runs never changes the result. opt.From alone sets
// the warm-up: a Collector's own SetWarmup is not consulted. Memory beyond
// the runs is a few histograms, never a copy of their adoptions.
//
// Bad input is an error naming the run and field: an empty or unsafe
// policy name (commas, double quotes, '|' or control characters would
// break the CSV and markdown outputs), a nil Run, a (policy, seed) given
// twice, a policy with both bound and non-bound runs, more than one bound
// policy, a run without any adoption after the warm-up, a negative From, a
// Window ≤ 0, or a Tolerance that is negative or not finite.
func Compare(runs []CompareRun, opt CompareOptions) (*Comparison, error) {
	opt, err := checkCompareOptions(opt)
	if err != nil {
		return nil, err
	}
	groups, err := groupRuns(runs)
	if err != nil {
		return nil, err
	}
	out := &Comparison{From: opt.From, Window: opt.Window, Tolerance: opt.Tolerance}
	var h histScratch
	bound := -1
	for _, g := range groups {
		pr, err := summarisePolicy(g, opt, &h)
		if err != nil {
			return nil, err
		}
		if pr.Bound {
			bound = len(out.Policies)
		}
		out.Policies = append(out.Policies, pr)
	}
	if bound >= 0 {
		b := out.Policies[bound]
		for i := range out.Policies {
			p := &out.Policies[i]
			setRatio(&p.P50, b.P50)
			setRatio(&p.P95, b.P95)
			setRatio(&p.P99, b.P99)
		}
	}
	return out, nil
}

func checkCompareOptions(opt CompareOptions) (CompareOptions, error) {
	if opt.From < 0 {
		return opt, fmt.Errorf("results: compare: warm-up end From = %v; want a time ≥ 0", opt.From)
	}
	if opt.Window <= 0 {
		return opt, fmt.Errorf("results: compare: Window = %v; want a duration > 0", opt.Window)
	}
	if opt.Tolerance == 0 {
		opt.Tolerance = DefaultTolerance
	}
	if math.IsNaN(opt.Tolerance) || math.IsInf(opt.Tolerance, 0) || opt.Tolerance < 0 {
		return opt, fmt.Errorf("results: compare: Tolerance = %v; want a finite fraction ≥ 0 (0 means %v)", opt.Tolerance, DefaultTolerance)
	}
	return opt, nil
}

// groupRuns checks runs and returns them per policy, policies in order of
// first appearance, each policy's runs by ascending seed.
func groupRuns(runs []CompareRun) ([][]CompareRun, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("results: compare: no runs; want at least one")
	}
	var groups [][]CompareRun
	index := make(map[string]int)
	boundPolicy := ""
	for i, r := range runs {
		where := fmt.Sprintf("results: compare: run %d (policy %q, seed %d)", i, r.Policy, r.Seed)
		if err := checkPolicyName(r.Policy); err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		if r.Run == nil {
			return nil, fmt.Errorf("%s: Run is nil; want the run's Collector", where)
		}
		g, ok := index[r.Policy]
		if !ok {
			g = len(groups)
			index[r.Policy] = g
			groups = append(groups, nil)
		}
		if len(groups[g]) > 0 && groups[g][0].Bound != r.Bound {
			return nil, fmt.Errorf("%s: Bound = %v but an earlier run of the policy has %v; want one value per policy", where, r.Bound, groups[g][0].Bound)
		}
		if r.Bound && boundPolicy != "" && boundPolicy != r.Policy {
			return nil, fmt.Errorf("%s: a second bound policy after %q; want at most one", where, boundPolicy)
		}
		if r.Bound {
			boundPolicy = r.Policy
		}
		groups[g] = append(groups[g], r)
	}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b CompareRun) int { return cmp.Compare(a.Seed, b.Seed) })
		for i := 1; i < len(g); i++ {
			if g[i].Seed == g[i-1].Seed {
				return nil, fmt.Errorf("results: compare: policy %q has seed %d twice; want one run per (policy, seed)", g[i].Policy, g[i].Seed)
			}
		}
	}
	return groups, nil
}

// checkPolicyName accepts names that need no quoting in CSV or markdown.
func checkPolicyName(name string) error {
	if name == "" {
		return fmt.Errorf("empty policy name; want a name such as close-random")
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return r == ',' || r == '"' || r == '|' || r < 0x20 || r == 0x7f }); i >= 0 {
		return fmt.Errorf("policy name %q has %q; want a name without commas, double quotes, '|' or control characters", clip(name), name[i:i+1])
	}
	return nil
}

// summarisePolicy summarises the runs of one policy (ascending seeds).
func summarisePolicy(runs []CompareRun, opt CompareOptions, h *histScratch) (PolicyResult, error) {
	pr := PolicyResult{Policy: runs[0].Policy, Bound: runs[0].Bound}
	sets := make([]blockSet, 0, len(runs))
	perSeed := make([][]Window, 0, len(runs))
	for _, r := range runs {
		set := blockSet{c: r.Run}
		blocks := int64(0)
		for b := range r.Run.blocks {
			rec := &r.Run.blocks[b]
			if rec.slotStart >= opt.From && rec.reached > 0 {
				set.blocks = append(set.blocks, b)
				blocks++
			}
		}
		st := h.stats([]blockSet{set})
		if st.Reached == 0 {
			return pr, fmt.Errorf("results: compare: policy %q, seed %d: no adoption of a block whose slot starts at or after the warm-up end %v (the run has %d blocks); want a shorter warm-up or a longer run", pr.Policy, r.Seed, opt.From, r.Run.Blocks())
		}
		pr.Seeds = append(pr.Seeds, SeedResult{Seed: r.Seed, Blocks: blocks, Stats: st})
		pr.Blocks += blocks
		pr.Adoptions += st.Reached
		sets = append(sets, set)
		perSeed = append(perSeed, Windows(r.Run, opt.From, opt.Window))
	}
	var p50, p95, p99 []float64
	for _, s := range pr.Seeds {
		p50 = append(p50, float64(s.P50))
		p95 = append(p95, float64(s.P95))
		p99 = append(p99, float64(s.P99))
	}
	pr.P50, pr.P95, pr.P99 = estimate(p50), estimate(p95), estimate(p99)
	pr.Rounds = roundMeans(perSeed)
	p99s := make([]float64, len(pr.Rounds))
	for i, r := range pr.Rounds {
		p99s[i] = r.P99US
	}
	pr.Converge = converge(p99s, opt.Tolerance)
	if pr.Converge.Status == Converged {
		pr.Converge.Round = pr.Rounds[pr.Converge.Round-1].Index + 1
	}
	pr.CDF = h.cdf(sets)
	if !pr.Bound {
		pr.Overhead, pr.HasOverhead = overhead(runs, opt.Duration)
	}
	return pr, nil
}

// estimate returns the mean of xs (in order, so the sum is reproducible)
// and, with two or more values, the half-width of the Student-t interval.
func estimate(xs []float64) Estimate {
	n := len(xs)
	e := Estimate{Seeds: n}
	if n == 0 {
		return e
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	e.MeanUS = sum / float64(n)
	if n < 2 {
		return e
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - e.MeanUS) * (x - e.MeanUS)
	}
	sd := math.Sqrt(ss / float64(n-1))
	// Quantile uses no random source, so the nil Src is never read.
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-ciLevel)/2)
	e.HalfUS, e.HasCI = t*sd/math.Sqrt(float64(n)), true
	return e
}

func setRatio(e *Estimate, bound Estimate) {
	if bound.MeanUS > 0 {
		e.Ratio, e.HasRatio = e.MeanUS/bound.MeanUS, true
	}
}

// roundMeans averages, window by window, the percentiles of the seeds that
// have adoptions in that window (seeds in ascending order); windows no
// seed has adoptions in are left out.
func roundMeans(perSeed [][]Window) []RoundMean {
	k := 0
	for _, ws := range perSeed {
		k = max(k, len(ws))
	}
	var out []RoundMean
	for i := range k {
		var r RoundMean
		for _, ws := range perSeed {
			if i >= len(ws) || ws[i].Reached == 0 {
				continue
			}
			w := ws[i]
			r.Index, r.Start, r.End = w.Index, w.Start, w.End
			r.Seeds++
			r.P50US += float64(w.P50)
			r.P95US += float64(w.P95)
			r.P99US += float64(w.P99)
		}
		if r.Seeds == 0 {
			continue
		}
		n := float64(r.Seeds)
		r.P50US, r.P95US, r.P99US = r.P50US/n, r.P95US/n, r.P99US/n
		out = append(out, r)
	}
	return out
}

// converge applies the Convergence definition to vs; Round is the 1-based
// position in vs.
func converge(vs []float64, tol float64) Convergence {
	n := len(vs)
	if n < 3 {
		return Convergence{Status: TooFewRounds}
	}
	tail := vs[n-(n+2)/3:]
	sum := 0.0
	for _, v := range tail {
		sum += v
	}
	level := sum / float64(len(tail))
	band := tol * level
	k := n
	for k > 0 && math.Abs(vs[k-1]-level) <= band {
		k--
	}
	if k == n {
		return Convergence{Status: NeverConverged, LevelUS: level}
	}
	return Convergence{Status: Converged, Round: k + 1, LevelUS: level}
}

// String names the status as compare.csv's convergence column does.
func (s ConvergeStatus) String() string {
	switch s {
	case TooFewRounds:
		return "too-few-windows"
	case NeverConverged:
		return "never"
	case Converged:
		return "converged"
	}
	return "ConvergeStatus(" + strconv.Itoa(int(s)) + ")"
}

// The files WriteCompare writes into a comparison's output folder.
const (
	CompareFile          = "compare.csv"
	CompareSeedsFile     = "compare-seeds.csv"
	CompareRoundsFile    = "compare-rounds.csv"
	CompareCDFFile       = "compare-cdf.csv"
	CompareMDFile        = "compare.md"
	CompareCDFPNGFile    = "compare-cdf.png"
	CompareRoundsPNGFile = "compare-rounds.png"
)

const (
	compareHeader      = "policy,bound,seeds,blocks,adoptions,windows,p50_ms,p50_lo_ms,p50_hi_ms,p95_ms,p95_lo_ms,p95_hi_ms,p99_ms,p99_lo_ms,p99_hi_ms,p50_ratio,p95_ratio,p99_ratio,rounds_to_converge,convergence"
	compareSeedsHeader = "policy,seed,blocks,adoptions,p50_ms,p95_ms,p99_ms"
)

// WriteCompare writes cmp into dir, creating it if needed: compare.csv,
// compare-seeds.csv, compare-rounds.csv, compare-cdf.csv, compare.md,
// compare-cdf.png and compare-rounds.png, each atomically. The plots are
// drawn from the same rows the CSVs hold, so PlotCompareDir redraws them
// byte for byte.
func WriteCompare(dir string, cmp *Comparison) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	for _, f := range compareTextFiles(cmp) {
		if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("results: %w", err)
		}
	}
	return plotCompare(dir, cmp.cdfCurves(), cmp.roundRows())
}

// namedWriter is one output file and how to write it.
type namedWriter struct {
	name  string
	write func(io.Writer) error
}

// compareTextFiles lists WriteCompare's text outputs.
func compareTextFiles(cmp *Comparison) []namedWriter {
	return []namedWriter{
		{CompareFile, func(w io.Writer) error { return writeCompareCSV(w, cmp) }},
		{CompareSeedsFile, func(w io.Writer) error { return writeCompareSeeds(w, cmp) }},
		{CompareRoundsFile, func(w io.Writer) error { return writeCompareRounds(w, cmp.roundRows()) }},
		{CompareCDFFile, func(w io.Writer) error { return writeCompareCDF(w, cmp.cdfCurves()) }},
		{CompareMDFile, func(w io.Writer) error { return writeCompareMD(w, cmp) }},
		{CompareOverheadFile, func(w io.Writer) error { return writeCompareOverhead(w, cmp) }},
	}
}

// formatF is the package's float format: shortest exact decimal.
func formatF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// msF formats a µs value as ms, shortest exact decimal of the float.
func msF(us float64) string { return formatF(us / 1000) }

func writeCompareCSV(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	b.WriteString(compareHeader + "\n")
	for _, p := range cmp.Policies {
		b.WriteString(p.Policy + "," + strconv.FormatBool(p.Bound) + "," + strconv.Itoa(len(p.Seeds)) + ",")
		b.WriteString(strconv.FormatInt(p.Blocks, 10) + "," + strconv.FormatInt(p.Adoptions, 10) + "," + strconv.Itoa(len(p.Rounds)))
		for _, e := range [...]Estimate{p.P50, p.P95, p.P99} {
			b.WriteString("," + msF(e.MeanUS) + ",")
			if e.HasCI {
				b.WriteString(msF(e.MeanUS-e.HalfUS) + "," + msF(e.MeanUS+e.HalfUS))
			} else {
				b.WriteString(",")
			}
		}
		for _, e := range [...]Estimate{p.P50, p.P95, p.P99} {
			b.WriteString(",")
			if e.HasRatio {
				b.WriteString(formatF(e.Ratio))
			}
		}
		b.WriteString(",")
		if p.Converge.Status == Converged {
			b.WriteString(strconv.Itoa(p.Converge.Round))
		}
		b.WriteString("," + p.Converge.Status.String() + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCompareSeeds(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	b.WriteString(compareSeedsHeader + "\n")
	for _, p := range cmp.Policies {
		for _, s := range p.Seeds {
			b.WriteString(p.Policy + "," + strconv.FormatUint(s.Seed, 10) + "," + strconv.FormatInt(s.Blocks, 10) + "," + strconv.FormatInt(s.Reached, 10))
			b.WriteString("," + FormatMS(s.P50) + "," + FormatMS(s.P95) + "," + FormatMS(s.P99) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// humanMS formats µs as ms with one decimal, for compare.md.
func humanMS(us float64) string { return strconv.FormatFloat(us/1000, 'f', 1, 64) }

func writeCompareMD(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	tolPct := formatF(cmp.Tolerance * 100)
	b.WriteString("# Policy comparison\n\n")
	fmt.Fprintf(&b, "Block adoption time after a warm-up of %s s, in windows of %s s: mean over seeds ± half-width of the 95 %% confidence interval.\n\n",
		formatS(cmp.From), formatF(cmp.Window.Seconds()))
	b.WriteString("| policy | seeds | blocks | p50 (ms) | p95 (ms) | p99 (ms) | p50 ÷ bound | p95 ÷ bound | p99 ÷ bound | rounds to converge |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, p := range cmp.Policies {
		name := p.Policy
		if p.Bound {
			name += " (bound)"
		}
		fmt.Fprintf(&b, "| %s | %d | %d", name, len(p.Seeds), p.Blocks)
		for _, e := range [...]Estimate{p.P50, p.P95, p.P99} {
			b.WriteString(" | " + humanMS(e.MeanUS))
			if e.HasCI {
				b.WriteString(" ± " + humanMS(e.HalfUS))
			}
		}
		for _, e := range [...]Estimate{p.P50, p.P95, p.P99} {
			b.WriteString(" | ")
			if e.HasRatio {
				b.WriteString("×" + strconv.FormatFloat(e.Ratio, 'f', 2, 64))
			} else {
				b.WriteString("–")
			}
		}
		switch p.Converge.Status {
		case Converged:
			b.WriteString(" | " + strconv.Itoa(p.Converge.Round) + " |\n")
		case NeverConverged:
			b.WriteString(" | never |\n")
		default:
			b.WriteString(" | – |\n")
		}
	}
	b.WriteString(overheadMD(cmp))
	b.WriteString("\n## How to read this table\n\n")
	fmt.Fprintf(&b, "- **Adoption time** of a (block, node) pair: when the node adopted the block minus the start of the block's slot. Only blocks whose slot starts at or after the warm-up (%s s) count.\n", formatS(cmp.From))
	b.WriteString("- **p50, p95, p99**: per seed, the nearest-rank percentile (the ⌈p·N/100⌉-th smallest) of the N adoption times of all counted blocks and nodes; nodes that never adopted a block are not samples. Shown: the mean over seeds ± the half-width of its 95 % Student-t confidence interval, t(0.975, n−1)·s/√n with s the standard deviation over the n seeds; one seed gives no interval. Per-seed values are in compare-seeds.csv.\n")
	b.WriteString("- **÷ bound**: the policy's mean divided by the bound row's mean (the god's-view lower bound on the same blocks); ×1.00 is as fast as the bound allows; – when there is no bound row.\n")
	fmt.Fprintf(&b, "- **rounds to converge**: time after the warm-up is cut into windows of %s s (round 1 is the first). For each window with adoptions, the p99 of its adoptions is averaged over the seeds; L is the mean of the last third (⌈n/3⌉ of the n windows) of that series. The answer is the first round k from which every window's p99 is within ±%s %% of L. **never**: the last window is outside that band; **–**: fewer than 3 windows have adoptions, too few to tell.\n",
		formatF(cmp.Window.Seconds()), tolPct)
	b.WriteString("- **blocks**: counted blocks that at least one node adopted, summed over seeds.\n\n")
	b.WriteString("compare.csv holds this table at full precision; compare-rounds.csv the per-window means (plotted in compare-rounds.png); compare-cdf.csv the CDF of adoption time pooled over seeds (plotted in compare-cdf.png, the bound dashed).\n")
	_, err := io.WriteString(w, b.String())
	return err
}
