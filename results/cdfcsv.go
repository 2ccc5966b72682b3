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

// ReadCDF reads a cdf.csv (header "adoption_ms,fraction", then one point per
// line with adoption_ms strictly increasing and fraction in (0, 1] strictly
// increasing). name is used in error messages, which give the line, the
// column, the bad value and what is accepted. A file with only the header is
// a run without adoptions and gives no points.
func ReadCDF(r io.Reader, name string) ([]CDFPoint, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var out []CDFPoint
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if text != cdfHeader {
				return nil, fmt.Errorf("%s: line 1: header %q; want %q", name, clip(text), cdfHeader)
			}
			continue
		}
		msText, fracText, ok := strings.Cut(text, ",")
		if !ok || strings.Contains(fracText, ",") {
			return nil, fmt.Errorf("%s: line %d: %q has %d fields; want 2 (adoption_ms,fraction)", name, line, clip(text), strings.Count(text, ",")+1)
		}
		us, err := parseMS(msText)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d, column adoption_ms: bad value %q: %v", name, line, clip(msText), err)
		}
		frac, err := strconv.ParseFloat(fracText, 64)
		if err != nil || math.IsNaN(frac) || frac <= 0 || frac > 1 {
			return nil, fmt.Errorf("%s: line %d, column fraction: bad value %q: want a number in (0, 1]", name, line, clip(fracText))
		}
		if n := len(out); n > 0 {
			prev := out[n-1]
			if us <= prev.US {
				return nil, fmt.Errorf("%s: line %d, column adoption_ms: value %s is not above the previous line's %s; want strictly increasing times", name, line, msText, FormatMS(prev.US))
			}
			if frac <= prev.Fraction {
				return nil, fmt.Errorf("%s: line %d, column fraction: value %s is not above the previous line's %s; want strictly increasing fractions", name, line, fracText, strconv.FormatFloat(prev.Fraction, 'g', -1, 64))
			}
		}
		out = append(out, CDFPoint{US: us, Fraction: frac})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s: empty file; want the header %q", name, cdfHeader)
	}
	return out, nil
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
