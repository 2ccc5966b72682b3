package results

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
)

// ReadRoundsCSV reads rounds.csv as WriteRoundsCSV writes it: the header
// "round,start_s,end_s,blocks,adoptions,p50_ms,p90_ms,p95_ms,p99_ms,max_ms",
// then one line per window with round an integer ≥ 1 above the previous
// line's, start_s < end_s finite seconds ≥ 0 with start_s at or after the
// previous end_s, blocks and adoptions integers ≥ 0 (adoptions only with a
// block), and the five percentiles either all empty (no adoptions) or all
// exact ms with at most three decimals, in ascending order. name is used
// in errors, which give the line, field, bad value and what is accepted. A
// file with only the header gives no rows.
func ReadRoundsCSV(r io.Reader, name string) ([]RoundRow, error) {
	var out []RoundRow
	err := csvLines(r, name, roundsHeader, func(line int, f []string) error {
		row, err := parseRoundRow(f, out)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// roundsPercentileFields are the percentile columns of rounds.csv, in
// Stats order.
var roundsPercentileFields = [...]string{"p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"}

// parseRoundRow parses the fields of one rounds.csv line that follows
// prev.
func parseRoundRow(f []string, prev []RoundRow) (RoundRow, error) {
	var row RoundRow
	var err error
	if row.Round, err = strconv.Atoi(f[0]); err != nil || row.Round < 1 {
		return row, fieldErr("round", f[0], "an integer ≥ 1")
	}
	if n := len(prev); n > 0 && row.Round <= prev[n-1].Round {
		return row, fieldErr("round", f[0], "a round above the previous "+strconv.Itoa(prev[n-1].Round))
	}
	if row.StartS, err = parseNonNeg("start_s", f[1], "seconds"); err != nil {
		return row, err
	}
	if n := len(prev); n > 0 && row.StartS < prev[n-1].EndS {
		return row, fieldErr("start_s", f[1], "a time at or after the previous window's end "+formatF(prev[n-1].EndS))
	}
	if row.EndS, err = parseNonNeg("end_s", f[2], "seconds"); err != nil {
		return row, err
	}
	if row.EndS <= row.StartS {
		return row, fieldErr("end_s", f[2], "a time above start_s "+f[1])
	}
	if row.Blocks, err = strconv.Atoi(f[3]); err != nil || row.Blocks < 0 {
		return row, fieldErr("blocks", f[3], "an integer ≥ 0")
	}
	if row.Reached, err = strconv.ParseInt(f[4], 10, 64); err != nil || row.Reached < 0 {
		return row, fieldErr("adoptions", f[4], "an integer ≥ 0")
	}
	if row.Reached > 0 && row.Blocks == 0 {
		return row, fieldErr("adoptions", f[4], "0 in a window without blocks")
	}
	ps := [...]*int64{&row.P50, &row.P90, &row.P95, &row.P99, &row.Max}
	for i, dst := range ps {
		field, s := roundsPercentileFields[i], f[5+i]
		if row.Reached == 0 {
			if s != "" {
				return row, fieldErr(field, s, "an empty field: the window has no adoptions")
			}
			continue
		}
		if *dst, err = parseMS(s); err != nil {
			return row, fieldErr(field, s, "a number of milliseconds ≥ 0 with at most 3 decimals")
		}
		if i > 0 && *dst < *ps[i-1] {
			return row, fieldErr(field, s, "at least "+roundsPercentileFields[i-1]+" "+FormatMS(*ps[i-1]))
		}
	}
	return row, nil
}

// PlotRoundsDir redraws rounds.png in a run folder from its rounds.csv,
// with the scenario name from meta.json as the title (none if meta.json is
// absent), byte-identical to the image the run wrote. `dpsim plot DIR`
// calls it when rounds.csv exists. A missing or malformed rounds.csv, or a
// malformed meta.json, is an error naming the file (and line, field and
// value).
func PlotRoundsDir(dir string) error {
	path := filepath.Join(dir, RoundsFile)
	var rows []RoundRow
	if err := readFile(path, func(r io.Reader) (err error) { rows, err = ReadRoundsCSV(r, path); return err }); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	scenario, err := readScenarioName(filepath.Join(dir, MetaFile))
	if err != nil {
		return err
	}
	return plotRoundRows(filepath.Join(dir, RoundsPNGFile), scenario, rows)
}
