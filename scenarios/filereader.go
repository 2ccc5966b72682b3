package scenarios

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/dpsim/dpsim/internal/input"
)

// Warnings lists what was repaired or ignored in a file that is still
// usable: each entry is a Problem that did not stop it. Line prints one as
// `file:line:col: warning: field: value "x": what was done`.
type Warnings []Problem

// Lines formats every warning, one per entry.
func (ws Warnings) Lines() []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = WarningLine(w)
	}
	return out
}

// WarningLine formats w as `file:line:col: warning: field: value "x": msg`.
func WarningLine(w Problem) string {
	// A bare position formats as "file:line:col: ".
	at := Problem{File: w.File, Line: w.Line, Col: w.Col}.Error()
	return at + "warning: " + Problem{Field: w.Field, Value: w.Value, Msg: w.Msg}.Error()
}

// ReadInput reads a file for one of the parsers, refusing one larger than
// MaxFileBytes without reading all of it, and a path longer than
// input.MaxPathBytes.
func ReadInput(path string) ([]byte, error) {
	if err := input.CheckPath(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(path, -1)
	}
	return data, nil
}

// tooLarge reports a file over MaxFileBytes; n < 0 when only the first
// MaxFileBytes+1 bytes were read.
func tooLarge(name string, n int) Problems {
	v := strconv.Itoa(n) + " bytes"
	if n < 0 {
		v = "more than " + strconv.Itoa(MaxFileBytes) + " bytes"
	}
	return Problems{{File: name, Value: v,
		Msg: fmt.Sprintf("file too large; accepted: at most %d bytes", MaxFileBytes)}}
}

// ---- field readers shared by the topology and config parsers ----

type unknownPolicy uint8

const (
	warnUnknown   unknownPolicy = iota // unknown fields: warning (aeson ignores them)
	ignoreUnknown                      // unknown fields: silent (config.json has hundreds)
)

type fileReader struct {
	file         string
	probs        Problems
	warns        Warnings
	accessPoints int // counted against MaxAccessPoints
}

func (r *fileReader) problem(at Pos, field, value, msg string) {
	r.probs = append(r.probs, Problem{File: r.file, Line: at.Line, Col: at.Col, Field: field, Value: truncate(value), Msg: msg})
}

// sortedWarnings returns the warnings by position, at most MaxProblems of
// them and then a count of the rest.
func (r *fileReader) sortedWarnings() Warnings {
	ps := Problems(r.warns)
	ps.sort()
	if len(ps) <= MaxProblems {
		return Warnings(ps)
	}
	last := ps[MaxProblems-1]
	return append(Warnings(ps[:MaxProblems:MaxProblems]), Problem{File: last.File,
		Msg: fmt.Sprintf("and %d more warnings not shown", len(ps)-MaxProblems)})
}

func (r *fileReader) warn(at Pos, field, value, msg string) {
	r.warns = append(r.warns, Problem{File: r.file, Line: at.Line, Col: at.Col, Field: field, Value: truncate(value), Msg: msg})
}

// wrongType reports a bad value: a scalar by its text, a collection by
// its type.
func (r *fileReader) wrongType(n *tnode, field, msg string) {
	value := n.text
	switch n.kind {
	case tObject, tArray, tNull:
		value, msg = "", "got "+n.kindWord()+"; "+msg
	case tString:
		if n.text == "" {
			value, msg = "", "got an empty string; "+msg
		} else if _, err := strconv.ParseFloat(n.text, 64); err == nil || n.text == "true" || n.text == "false" {
			msg = "got a quoted string; " + msg
		}
	}
	r.problem(n.pos, field, value, msg)
}

// fields returns, for each known key, the object's member with that key
// (the last one when repeated, as aeson keeps the last; with a warning), or
// nil. Unknown keys are warned about or ignored per policy; a key differing
// from a known one only in case gets a hint either way.
func (r *fileReader) fields(n *tnode, path string, known []string, policy unknownPolicy) []*tmember {
	out := make([]*tmember, len(known))
	first := map[string]Pos{}
	for i := range n.members {
		m := &n.members[i]
		field := join(path, m.key)
		if p, dup := first[m.key]; dup {
			r.warn(m.keyPos, field, "", fmt.Sprintf("duplicate field, first given on line %d; the last value is used", p.Line))
		} else {
			first[m.key] = m.keyPos
		}
		if j := slices.Index(known, m.key); j >= 0 {
			out[j] = m
			continue
		}
		if j := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, m.key) }); j >= 0 {
			r.warn(m.keyPos, field, "", "unknown field, ignored; did you mean "+known[j]+"? (names are case-sensitive)")
			continue
		}
		if policy == warnUnknown {
			r.warn(m.keyPos, field, "", "unknown field, ignored; known here: "+strings.Join(known, ", "))
		}
	}
	return out
}

// optBool reads an optional boolean (absent or null: false).
func (r *fileReader) optBool(m *tmember, field string) bool {
	if m == nil || m.val.kind == tNull {
		return false
	}
	if m.val.kind != tBool {
		r.wrongType(m.val, field, "accepted: true or false")
		return false
	}
	return m.val.text == "true"
}

// optInt reads an optional integer without reporting: ok false when absent,
// null or not an integer.
func (r *fileReader) optInt(m *tmember) (int64, bool) {
	if m == nil {
		return 0, false
	}
	return intOf(m.val)
}

// intOf reads an integer the way aeson's bounded Int parser does: any
// number literal whose value is a whole number in range (6, 6.0 and 6e0
// alike); 2.5 and 1e400 are refused.
func intOf(n *tnode) (int64, bool) {
	if n.kind != tNumber {
		return 0, false
	}
	if v, err := strconv.ParseInt(n.text, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// slotOf reads useLedgerAfterSlot: any number, floored (UseLedgerPeers
// FromJSON), within int64.
func slotOf(n *tnode) (int64, bool) {
	if v, ok := intOf(n); ok {
		return v, true
	}
	if n.kind != tNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil || math.Abs(f) >= 1<<62 {
		return 0, false
	}
	return int64(math.Floor(f)), true
}

// clampInt narrows a parsed integer to int without wrapping.
func clampInt(v int64) int {
	return int(max(min(v, math.MaxInt32), math.MinInt32))
}
