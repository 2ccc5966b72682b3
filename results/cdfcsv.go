package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Limits of the files `dpsim plot` reads back: a larger file is refused
// unread with an error naming it and the limit. A one-day 10,000-node run
// writes a cdf.csv of well under 100 MB, so they only stop hostile input.
const (
	// MaxReadBytes bounds a CSV read back: cdf.csv, peers.csv,
	// compare-cdf.csv and compare-rounds.csv.
	MaxReadBytes = 1 << 30
	// MaxMetaBytes bounds meta.json.
	MaxMetaBytes = 1 << 20
)

// RunCDF is what a run's cdf.csv holds: the pooled CDF of adoption time
// and the pooled CDF of header arrival time.
type RunCDF struct {
	Adoption []CDFPoint
	Header   []CDFPoint
	// HasHeader is false for a cdf.csv written before header arrivals were
	// recorded (header "adoption_ms,fraction"): such a file has no header
	// curve at all, which is not the same as a run without header arrivals
	// (HasHeader true, Header empty).
	HasHeader bool
}

// cdfColumns names cdf.csv's columns in order: an adoption time and its
// fraction, then a header arrival time and its fraction. The old format
// has only the first two.
var cdfColumns = [4]string{"adoption_ms", "fraction", "header_ms", "header_fraction"}

// ReadCDF reads a cdf.csv. The header is "adoption_ms,fraction,header_ms,
// header_fraction", or the older "adoption_ms,fraction" (no header curve);
// then one row per line, row k holding the k-th point of each curve. A
// point is a time in ms and a fraction in (0, 1]; down the file each
// curve's times and fractions strictly increase. A curve with fewer points
// than the other leaves its two fields empty in the remaining rows (it
// cannot resume after), and a row must hold at least one point. name is
// used in error messages, which give the line, the column, the bad value
// and what is accepted. A file with only the header is a run without
// adoptions or header arrivals.
func ReadCDF(r io.Reader, name string) (RunCDF, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var rd cdfReader
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			switch text {
			case cdfHeader:
				rd.out.HasHeader = true
			case cdfHeaderV1:
			default:
				return RunCDF{}, fmt.Errorf("%s: line 1: header %q; want %q (or the older %q)", name, clip(text), cdfHeader, cdfHeaderV1)
			}
			continue
		}
		if err := rd.row(text); err != nil {
			if err.col == "" {
				return RunCDF{}, fmt.Errorf("%s: line %d: %s", name, line, err.msg)
			}
			return RunCDF{}, fmt.Errorf("%s: line %d, column %s: %s", name, line, err.col, err.msg)
		}
	}
	if err := sc.Err(); err != nil {
		return RunCDF{}, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	if line == 0 {
		return RunCDF{}, fmt.Errorf("%s: empty file; want the header %q", name, cdfHeader)
	}
	return rd.out, nil
}

// cdfReader reads cdf.csv's data rows into out.
type cdfReader struct {
	out   RunCDF
	ended [2]bool // the adoption, header curve has had an empty point
}

// rowError is a problem in one cdf.csv row: in column col ("" for the
// row as a whole).
type rowError struct{ col, msg string }

// row appends the points of one data row to the curves.
func (rd *cdfReader) row(text string) *rowError {
	fields := strings.Split(text, ",")
	want := 2
	if rd.out.HasHeader {
		want = 4
	}
	if len(fields) != want {
		return &rowError{msg: fmt.Sprintf("%q has %d fields; want %d (%s)", clip(text), len(fields), want, strings.Join(cdfColumns[:want], ","))}
	}
	if want == 2 {
		return readPoint(&rd.out.Adoption, fields[0], fields[1], 0)
	}
	if text == ",,," {
		return &rowError{msg: fmt.Sprintf("%q holds no point; want at least one curve's time and fraction", text)}
	}
	for i, pts := range [...]*[]CDFPoint{&rd.out.Adoption, &rd.out.Header} {
		msText, fracText := fields[2*i], fields[2*i+1]
		if msText == "" && fracText == "" {
			rd.ended[i] = true
			continue
		}
		if rd.ended[i] {
			return &rowError{col: cdfColumns[2*i], msg: fmt.Sprintf("value %q after the curve's empty fields above; want empty fields to the end once a curve has ended", clip(msText))}
		}
		if err := readPoint(pts, msText, fracText, 2*i); err != nil {
			return err
		}
	}
	return nil
}

// readPoint parses the time and fraction of one curve's point, in columns
// col and col+1 of cdfColumns, and appends it to pts.
func readPoint(pts *[]CDFPoint, msText, fracText string, col int) *rowError {
	msCol, fracCol := cdfColumns[col], cdfColumns[col+1]
	us, err := parseMS(msText)
	if err != nil {
		return &rowError{msCol, fmt.Sprintf("bad value %q: %v", clip(msText), err)}
	}
	frac, err := strconv.ParseFloat(fracText, 64)
	if err != nil || math.IsNaN(frac) || frac <= 0 || frac > 1 {
		return &rowError{fracCol, fmt.Sprintf("bad value %q: want a number in (0, 1]", clip(fracText))}
	}
	if n := len(*pts); n > 0 {
		prev := (*pts)[n-1]
		if us <= prev.US {
			return &rowError{msCol, fmt.Sprintf("value %s is not above the previous line's %s; want strictly increasing times", msText, FormatMS(prev.US))}
		}
		if frac <= prev.Fraction {
			return &rowError{fracCol, fmt.Sprintf("value %s is not above the previous line's %s; want strictly increasing fractions", fracText, strconv.FormatFloat(prev.Fraction, 'g', -1, 64))}
		}
	}
	*pts = append(*pts, CDFPoint{US: us, Fraction: frac})
	return nil
}

// clip shortens a bad value quoted in an error so a garbage line cannot
// flood the message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
