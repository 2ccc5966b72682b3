package results

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
)

// StakeFile is the stake-weighted adoption table of a run.
const StakeFile = "stake.csv"

// StakePercents are the shares of the total stake stake.csv reports.
var StakePercents = []int{50, 80, 90, 95, 100}

// StakeRow summarises, over the measured blocks (warm-up excepted), the
// time at which the nodes holding Percent % of the total stake had
// adopted each block.
type StakeRow struct {
	Percent int
	Blocks  int // measured blocks
	Reached int // blocks that reached Percent % of the stake; the samples
	// Stats are nearest-rank percentiles over the reached blocks, µs
	// after the slot start (Stats.Reached = Reached).
	Stats
	MeanUS int64 // mean over the reached blocks, rounded to the µs
}

// stakeNode is one stake holder's adoption of a block.
type stakeNode struct {
	us    int64 // math.MaxInt64: not adopted
	stake float64
}

// StakeTimes returns, for block b, the adoption time (µs after the slot
// start) at which the nodes holding percents[k] % of the total stake had
// adopted it, into out[k], with ok[k] false when that share never adopted
// it. The time is the adoption of the node whose stake, added to that of
// the nodes which adopted earlier (ties in node order), first makes the
// share ≥ percents[k] % — with equal stakes on every node, the nearest-rank
// percentile of the block's adoption times over all nodes. Nodes with zero
// stake do not count. stake must come from CheckStake.
func (c *Collector) StakeTimes(b int, stake []float64, percents []int, out []int64, ok []bool) {
	c.stakeTimes(b, stake, percents, out, ok, nil)
}

func (c *Collector) stakeTimes(b int, stake []float64, percents []int, out []int64, ok []bool, scratch *[]stakeNode) {
	var buf []stakeNode
	if scratch != nil {
		buf = (*scratch)[:0]
	}
	for i, v := range c.blocks[b].offsetUS {
		if stake[i] <= 0 {
			continue
		}
		us := int64(math.MaxInt64)
		if v != never {
			us = int64(v)
		}
		buf = append(buf, stakeNode{us, stake[i]})
	}
	// A stable sort keeps node order among equal times, so the sums below
	// add in one fixed order.
	slices.SortStableFunc(buf, func(x, y stakeNode) int { return cmp.Compare(x.us, y.us) })
	if scratch != nil {
		*scratch = buf
	}
	// The total is summed in the same order as the running sums, so that
	// 100 % is reached exactly when every stake holder has adopted.
	total := 0.0
	for _, n := range buf {
		total += n.stake
	}
	for k, p := range percents {
		out[k], ok[k] = 0, false
		cum := 0.0
		for _, n := range buf {
			if n.us == math.MaxInt64 {
				break
			}
			cum += n.stake
			// cum·100 ≥ p·total is exact for integer stakes.
			if cum*100 >= float64(p)*total {
				out[k], ok[k] = n.us, true
				break
			}
		}
	}
}

// CheckStake reports whether stake is usable for nodes nodes: one finite
// value ≥ 0 per node, some > 0.
func CheckStake(stake []float64, nodes int) error {
	if len(stake) != nodes {
		return fmt.Errorf("results: %d stakes for %d nodes", len(stake), nodes)
	}
	total := 0.0
	for i, s := range stake {
		if !(s >= 0) || math.IsInf(s, 0) {
			return fmt.Errorf("results: stake of node %d is %v; accepted: a finite number ≥ 0", i, s)
		}
		total += s
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return fmt.Errorf("results: total stake %v; accepted: a finite number > 0", total)
	}
	return nil
}

// StakeTable returns one StakeRow per percent (each 1 … 100) over the
// measured blocks, with stake[i] node i's stake.
func (c *Collector) StakeTable(stake []float64, percents []int) ([]StakeRow, error) {
	if err := CheckStake(stake, c.nodes); err != nil {
		return nil, err
	}
	for _, p := range percents {
		if p < 1 || p > 100 {
			return nil, fmt.Errorf("results: stake percent %d; accepted: 1 … 100", p)
		}
	}
	times := make([][]int64, len(percents))
	out := make([]int64, len(percents))
	ok := make([]bool, len(percents))
	var scratch []stakeNode
	blocks := 0
	for b := range c.blocks {
		if !c.measured(b) {
			continue
		}
		blocks++
		c.stakeTimes(b, stake, percents, out, ok, &scratch)
		for k := range percents {
			if ok[k] {
				times[k] = append(times[k], out[k])
			}
		}
	}
	rows := make([]StakeRow, len(percents))
	for k, p := range percents {
		ts := times[k]
		slices.Sort(ts)
		var sum int64
		for _, t := range ts {
			sum += t
		}
		row := StakeRow{Percent: p, Blocks: blocks, Reached: len(ts), Stats: Summarise(ts)}
		if len(ts) > 0 {
			row.MeanUS = (sum + int64(len(ts))/2) / int64(len(ts))
		}
		rows[k] = row
	}
	return rows, nil
}

// WriteStakeCSV writes rows as stake.csv:
// stake_pct,blocks,reached,p50_ms,p95_ms,p99_ms,max_ms,mean_ms, times in
// ms with three decimals, empty when no block reached the share.
func WriteStakeCSV(w io.Writer, rows []StakeRow) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("stake_pct,blocks,reached,p50_ms,p95_ms,p99_ms,max_ms,mean_ms\n")
	for _, r := range rows {
		bw.WriteString(strconv.Itoa(r.Percent) + "," + strconv.Itoa(r.Blocks) + "," + strconv.Itoa(r.Reached))
		for _, us := range []int64{r.P50, r.P95, r.P99, r.Max, r.MeanUS} {
			bw.WriteByte(',')
			if r.Reached > 0 {
				bw.WriteString(FormatMS(us))
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
