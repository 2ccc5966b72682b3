package netmodel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
)

// Limits on full-matrix input.
const (
	// MaxMatrixNodes bounds the node count of a matrix file: 20,000 nodes
	// are 400 million cells, 1.6 GB as int32 µs.
	MaxMatrixNodes = 20_000
	// matrixMaxUs is the largest accepted latency, 10^6 ms.
	matrixMaxUs = 1_000_000_000
	// matrixMaxLine bounds one line: 20,000 cells of numpy's default
	// "%.18e" (24 bytes) plus commas and spaces fit comfortably.
	matrixMaxLine = 4 << 20
	// MaxMatrixFileBytes bounds a matrix file: MaxMatrixNodes² cells of
	// up to 20 bytes each. A larger file is refused unread.
	MaxMatrixFileBytes = 8 << 30
	// matrixValueMax is how much of a bad value an error message quotes.
	matrixValueMax = 40
)

// matrixAcceptedCell describes a valid latency cell in error messages.
const matrixAcceptedCell = "a decimal number of milliseconds from 0 to 1e6, such as 12.5 or 1.25e1"

// MatrixCSVError is a problem in a full-matrix CSV file, located by line
// and byte column (both from 1).
type MatrixCSVError struct {
	File      string
	Line, Col int
	Field     string // which cell or row, by node index from 0
	Value     string // the offending text, shortened to 40 bytes
	Reason    string
	Accepted  string
}

// Error formats the problem as "file:line:col: field …: value …: reason;
// accepted: …".
func (e *MatrixCSVError) Error() string {
	return fmt.Sprintf("%s:%d:%d: field %q: value %q: %s; accepted: %s",
		e.File, e.Line, e.Col, e.Field, e.Value, e.Reason, e.Accepted)
}

// ReadMatrixCSV reads a full one-way latency matrix from the file at path,
// of at most MaxMatrixFileBytes (decompressed when the name ends in .gz);
// see ParseMatrixCSV for the format.
func ReadMatrixCSV(path string) (*Matrix, error) {
	f, err := input.Open(path, MaxMatrixFileBytes)
	if err != nil {
		return nil, fmt.Errorf("netmodel: latency matrix: %w", err)
	}
	defer f.Close()
	return ParseMatrixCSV(f, path)
}

// ParseMatrixCSV parses a full one-way latency matrix; name labels errors.
//
// The format is N lines of N comma-separated cells; the cell on line i,
// column j is the one-way latency from node i to node j in milliseconds,
// rounded half away from zero to the microsecond. Cells are decimal
// numbers with an optional exponent (12.5, 0.25, 1.2e1), from 0 to 10^6
// ms; spaces around a cell, a UTF-8 byte-order mark, CRLF line ends and
// blank lines at the end of the file are ignored. The diagonal must be 0.
// The matrix may be asymmetric. N is at most MaxMatrixNodes.
//
// One header line is allowed before the first row: it is recognised when
// every one of its cells is non-empty and begins with neither a digit nor
// '+', '-' or '.', and none is a spelling of NaN or infinity. No row of
// latencies can look like that, so detection is unambiguous; the header's
// cell count must still be N.
//
// Every problem is returned as a *MatrixCSVError naming the line, column,
// cell, value and what is accepted.
func ParseMatrixCSV(r io.Reader, name string) (*Matrix, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), matrixMaxLine)
	p := matrixParser{name: name, n: -1}
	for sc.Scan() {
		p.line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if p.line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if err := p.parseLine(text); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, p.errAt(p.line+1, 1, "line", "", "line too long",
				fmt.Sprintf("lines of at most %d bytes", matrixMaxLine))
		}
		return nil, fmt.Errorf("%s:%d: %w", name, p.line+1, err)
	}
	return p.finish()
}

// matrixParser holds the state of one ParseMatrixCSV call.
type matrixParser struct {
	name       string
	line       int
	blank      int // line of the first blank line so far, 0 if none
	header     int // line of the header, 0 if none
	headerCols int
	firstRow   int // line of the first row of latencies
	n          int // node count, -1 until the first row
	rows       int
	us         []int32
}

func (p *matrixParser) errAt(line, col int, field, value, reason, accepted string) error {
	if len(value) > matrixValueMax {
		value = value[:matrixValueMax] + "…"
	}
	return &MatrixCSVError{File: p.name, Line: line, Col: col, Field: field, Value: value, Reason: reason, Accepted: accepted}
}

func (p *matrixParser) parseLine(text string) error {
	if strings.Trim(text, " \t") == "" {
		if p.blank == 0 {
			p.blank = p.line
		}
		return nil
	}
	if p.blank != 0 {
		return p.errAt(p.blank, 1, "line", "", "blank line inside the matrix",
			"one row of latencies per line; blank lines only at the end")
	}
	cols := strings.Count(text, ",") + 1
	if p.n < 0 && p.header == 0 && isMatrixHeader(text) {
		p.header, p.headerCols = p.line, cols
		return nil
	}
	if p.n < 0 {
		if cols > MaxMatrixNodes {
			return p.errAt(p.line, 1, "latencies from node 0", fmt.Sprintf("%d cells", cols),
				"too many nodes", fmt.Sprintf("at most %d nodes", MaxMatrixNodes))
		}
		if p.header != 0 && cols != p.headerCols {
			return p.errAt(p.line, 1, "latencies from node 0", fmt.Sprintf("%d cells", cols),
				"row and header differ in length", fmt.Sprintf("%d cells, as in the header on line %d", p.headerCols, p.header))
		}
		p.n, p.firstRow = cols, p.line
	}
	row := p.rows
	if row == p.n {
		return p.errAt(p.line, 1, "rows", text, "more rows than columns",
			fmt.Sprintf("exactly %d rows, one per node, as the first row on line %d has %d cells", p.n, p.firstRow, p.n))
	}
	if cols != p.n {
		return p.errAt(p.line, 1, fmt.Sprintf("latencies from node %d", row), fmt.Sprintf("%d cells", cols),
			"row length differs", fmt.Sprintf("%d cells, as in the first row on line %d", p.n, p.firstRow))
	}
	start := 0
	for j := range p.n {
		end := len(text)
		if k := strings.IndexByte(text[start:], ','); k >= 0 {
			end = start + k
		}
		raw := text[start:end]
		cell := strings.Trim(raw, " \t")
		col := start + 1 + len(raw) - len(strings.TrimLeft(raw, " \t"))
		us, reason := parseLatencyUs(cell)
		if reason != "" {
			return p.errAt(p.line, col, cellField(row, j), cell, reason, matrixAcceptedCell)
		}
		if j == row && us != 0 {
			return p.errAt(p.line, col, cellField(row, j), cell, "non-zero diagonal", "0 (a node's latency to itself)")
		}
		p.us = append(p.us, int32(us))
		start = end + 1
	}
	p.rows++
	return nil
}

func cellField(from, to int) string { return fmt.Sprintf("latency from node %d to node %d", from, to) }

func (p *matrixParser) finish() (*Matrix, error) {
	if p.n < 0 {
		return nil, p.errAt(max(p.line, 1), 1, "rows", "", "no rows of latencies",
			"N lines of N comma-separated latencies, N from 1 to 20000")
	}
	if p.rows < p.n {
		return nil, p.errAt(p.line+1, 1, "rows", fmt.Sprintf("%d rows", p.rows), "fewer rows than columns",
			fmt.Sprintf("exactly %d rows, one per node, as the first row on line %d has %d cells", p.n, p.firstRow, p.n))
	}
	return &Matrix{n: p.n, us: p.us}, nil
}

// isMatrixHeader reports whether a first line is a header: every cell
// non-empty, starting with no character a number can start with, and not
// a word strconv reads as NaN or infinity.
func isMatrixHeader(text string) bool {
	for cell := range strings.SplitSeq(text, ",") {
		cell = strings.Trim(cell, " \t")
		if cell == "" || strings.ContainsRune("0123456789+-.", rune(cell[0])) {
			return false
		}
		if _, err := strconv.ParseFloat(cell, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// parseLatencyUs converts a cell in milliseconds to whole microseconds,
// rounding half away from zero, exactly: it works on the decimal digits,
// so 0.0005 is 1 µs, not the 0 a float64 product could give. It returns a
// reason when the cell is not accepted.
func parseLatencyUs(s string) (int64, string) {
	us, ok, tooBig := parseDecimalUs(s)
	switch {
	case ok && tooBig:
		return 0, "latency above 1e6 ms"
	case ok:
		return us, ""
	case s == "":
		return 0, "empty cell"
	}
	f, err := strconv.ParseFloat(s, 64)
	isNum := err == nil || errors.Is(err, strconv.ErrRange)
	switch {
	case isNum && (math.IsNaN(f) || math.IsInf(f, 0)) && !errors.Is(err, strconv.ErrRange):
		return 0, "not a finite number"
	case isNum && strings.HasPrefix(s, "-"):
		return 0, "negative latency"
	case isNum:
		return 0, "not a plain decimal number"
	}
	return 0, "not a number"
}

// parseDecimalUs parses [+]digits[.digits][(e|E)[+|-]digits] as
// milliseconds and returns whole microseconds. ok is false when s does not
// match; tooBig reports a value above matrixMaxUs.
func parseDecimalUs(s string) (us int64, ok, tooBig bool) {
	i := 0
	if i < len(s) && s[i] == '+' {
		i++
	}
	intStart := i
	for i < len(s) && isDecDigit(s[i]) {
		i++
	}
	intDigits := s[intStart:i]
	fracDigits := ""
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDecDigit(s[i]) {
			i++
		}
		fracDigits = s[fracStart:i]
	}
	if intDigits == "" && fracDigits == "" {
		return 0, false, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		expStart := i
		// Five exponent digits are far more than any latency needs and
		// keep the digit loop below short.
		for i < len(s) && isDecDigit(s[i]) && i-expStart < 5 {
			exp = exp*10 + int(s[i]-'0')
			i++
		}
		if i == expStart {
			return 0, false, false
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(s) {
		return 0, false, false
	}
	digit := func(k int) int64 { // k-th digit of intDigits+fracDigits; 0 past the end
		if k < len(intDigits) {
			return int64(intDigits[k] - '0')
		}
		if k -= len(intDigits); k < len(fracDigits) {
			return int64(fracDigits[k] - '0')
		}
		return 0
	}
	// point is where the decimal point falls once the value is in µs.
	point := len(intDigits) + exp + 3
	for k := 0; k < point; k++ {
		us = us*10 + digit(k)
		if us > matrixMaxUs {
			return 0, true, true
		}
	}
	if point >= 0 && digit(point) >= 5 {
		us++
	}
	return us, true, us > matrixMaxUs
}

func isDecDigit(c byte) bool { return '0' <= c && c <= '9' }
