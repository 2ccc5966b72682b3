package flood

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// WriteArrivals simulates every block with r and writes the model's
// arrival file (`block,node,arrival_us`, sorted by block then node, -1 for
// unreached). If sum is not nil each block is also folded into it.
func WriteArrivals(w io.Writer, r *Runner, sum *Summary) error {
	rows, err := r.RunAll()
	if err != nil {
		return err
	}
	return WriteArrivalRows(w, rows, sum)
}

// WriteArrivalRows writes arrival rows computed earlier by RunAll.
func WriteArrivalRows(w io.Writer, rows [][]int64, sum *Summary) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("block,node,arrival_us\n")
	var buf []byte
	for b, arr := range rows {
		if sum != nil {
			sum.Add(arr, 0)
		}
		for v, t := range arr {
			buf = strconv.AppendInt(buf[:0], int64(b), 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(v), 10)
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, t, 10)
			buf = append(buf, '\n')
			bw.Write(buf)
		}
	}
	return bw.Flush()
}

// ResultLine formats the model's one-line summary (MODEL.md §5). Times are
// in ms with 3 decimals; wall_s is measured by the caller.
func ResultLine(impl string, v Variant, c *Case, s *Summary, wallS float64) string {
	evPerS := 0.0
	if wallS > 0 {
		evPerS = float64(s.Events) / wallS
	}
	return fmt.Sprintf("RESULT impl=%s variant=%c N=%d edges=%d blocks=%d events=%d wall_s=%.3f ev_per_s=%.0f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f",
		impl, v, c.Nodes, c.Graph.Edges(), s.Blocks, s.Events, wallS, evPerS,
		s.P50Us/1000, s.P95Us/1000, s.P99Us/1000, s.MaxUs/1000)
}
