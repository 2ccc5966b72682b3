package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Load reads, decodes, defaults and validates the scenario file at path. An
// I/O failure is returned wrapped; every problem with the content is
// returned at once as a Problems value.
func Load(path string) (*Scenario, error) {
	data, err := readScenarioFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse decodes a scenario from data: strictly (unknown fields, duplicate
// fields and wrong types are problems), over Defaults, then ApplyDefaults,
// then Validate. name is the file name used in problems and the base of
// relative file references. On failure the error is a Problems value
// listing every problem found, sorted by position.
func Parse(data []byte, name string) (*Scenario, error) {
	if len(data) > MaxFileBytes {
		return nil, Problems{{File: name, Value: strconv.Itoa(len(data)) + " bytes",
			Msg: fmt.Sprintf("file too large; accepted: at most %d bytes", MaxFileBytes)}}
	}
	root, probs := parseYAML(data, name)
	if root == nil {
		probs.sort()
		return nil, probs
	}
	if k, _ := topKey(root, SweepKey); k != nil {
		probs = append(probs, Problem{File: name, Line: k.Line, Col: k.Column, Field: SweepKey,
			Msg: "a sweep file; accepted: dpsim sweep runs it (run and compare take one scenario)"})
		probs.sort()
		return nil, probs
	}
	sum := sha256.Sum256(data)
	s, more := decodeScenario(root, name, hex.EncodeToString(sum[:]))
	probs = append(probs, more...)
	if len(probs) > 0 {
		probs.sort()
		return nil, probs.capped()
	}
	return s, nil
}

// decodeScenario decodes the top node of a scenario file over Defaults,
// then applies the defaults and the rules. It returns nil with the
// problems when there are any.
func decodeScenario(root *yaml.Node, name, hash string) (*Scenario, Problems) {
	s := Defaults()
	s.Path = name
	s.Hash = hash
	d := &decoder{file: name, pos: map[string]Pos{}, failed: map[string]bool{}}
	d.decode(root, reflect.ValueOf(&s).Elem(), "", Pos{root.Line, root.Column})
	s.pos = d.pos
	probs := d.probs
	if d.failed[""] {
		return nil, probs // not a mapping: the rules have nothing to check
	}
	ApplyDefaults(&s)
	// A field that failed to decode kept its default: do not report it, or a
	// rule on an enclosing field that it feeds, a second time.
	quiet := map[string]bool{}
	for _, f := range slices.Sorted(maps.Keys(d.failed)) {
		for ; f != ""; f = parent(f) {
			quiet[f] = true
		}
	}
	for _, p := range Validate(&s) {
		if !quiet[p.Field] {
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return &s, nil
}

// topKey returns the key and value nodes of a top-level field of a
// mapping, or nils.
func topKey(root *yaml.Node, key string) (k, v *yaml.Node) {
	if root.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Kind == yaml.ScalarNode && root.Content[i].Value == key {
			return root.Content[i], root.Content[i+1]
		}
	}
	return nil, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses exactly one YAML document and returns its top node, or
// nil with the problems that stopped it.
func parseYAML(data []byte, name string) (*yaml.Node, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Problems{{File: name, Msg: "empty scenario; accepted: a mapping starting with version: 1"}}
		}
		return nil, Problems{syntaxProblem(name, data, err)}
	}
	var probs Problems
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		probs = append(probs, syntaxProblem(name, data, err))
	default:
		probs = append(probs, Problem{File: name, Line: extra.Line, Col: extra.Column,
			Msg: "a second YAML document; accepted: exactly one document per scenario file"})
	}
	if len(doc.Content) == 0 {
		return nil, append(probs, Problem{File: name, Msg: "empty scenario; accepted: a mapping starting with version: 1"})
	}
	if p, ok := checkShape(&doc, name); !ok {
		return nil, append(probs, p)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return doc.Content[0], nil
}

// syntaxProblem turns a yaml.v3 error ("yaml: line 3: …") into a Problem.
// yaml.v3 gives no line for the bytes it refuses while decoding the text
// (invalid UTF-8, control characters): those are found in data, the
// document's bytes, and reported at their line, column and byte offset.
func syntaxProblem(name string, data []byte, err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: name, Line: line, Msg: "YAML syntax: " + m[2]}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if off, size, ok := badYAMLByte(data); ok && readerError(msg) {
		at := newLineIndex(data).pos(off)
		return Problem{File: name, Line: at.Line, Col: at.Col, Value: string(data[off : off+size]),
			Msg: fmt.Sprintf("YAML syntax: %s (byte offset %d); accepted: UTF-8 text without control characters other than tab, LF and CR", msg, off)}
	}
	return Problem{File: name, Msg: "YAML syntax: " + msg}
}

// readerError reports whether a yaml.v3 message is one of its reader's,
// about the bytes of the text rather than its structure.
func readerError(msg string) bool {
	return strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters") || strings.Contains(msg, "Unicode")
}

// badYAMLByte returns the offset and length of the first bytes yaml.v3's
// reader refuses in a UTF-8 document: an invalid UTF-8 sequence (one byte)
// or a character outside YAML's printable set (c-printable: tab, LF, CR,
// 0x20…0x7E, U+0085, U+00A0…U+D7FF, U+E000…U+FFFD, U+10000 and above).
// ok is false when there is none, or when data starts with a UTF-16 byte
// order mark (yaml.v3 then decodes UTF-16).
func badYAMLByte(data []byte) (off, size int, ok bool) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return 0, 0, false
	}
	for off < len(data) {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			return off, 1, true
		}
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7E || r == 0x85 ||
			r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000) {
			return off, n, true
		}
		off += n
	}
	return 0, 0, false
}

// checkShape rejects nesting deeper than MaxDepth and any anchor or alias
// (an alias can expand a small file into a huge tree, and the schema never
// needs one). It walks iteratively so hostile input cannot exhaust the stack.
func checkShape(doc *yaml.Node, name string) (Problem, bool) {
	type item struct {
		n     *yaml.Node
		depth int
	}
	stack := []item{{doc, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := it.n
		if it.depth > MaxDepth {
			return Problem{File: name, Line: n.Line, Col: n.Column,
				Msg: fmt.Sprintf("nesting too deep; accepted: at most %d levels", MaxDepth)}, false
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			return Problem{File: name, Line: n.Line, Col: n.Column,
				Msg: "YAML anchors and aliases are not supported; accepted: plain values"}, false
		}
		for _, c := range n.Content {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return Problem{}, true
}

// decoder fills a Go value from a yaml.Node by walking the struct's yaml
// tags, so unknown fields, duplicates and type errors are found with their
// positions, and every scalar field's position is recorded under its path.
type decoder struct {
	file   string
	probs  Problems
	pos    map[string]Pos
	failed map[string]bool // paths whose value could not be decoded
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	fileRefType  = reflect.TypeFor[FileRef]()
)

func (d *decoder) fail(n *yaml.Node, path, msg string) {
	d.failed[path] = true
	value := truncate(n.Value)
	if k := kindName(n); k != "" {
		value, msg = "", "got "+k+"; "+msg
	}
	d.probs = append(d.probs, Problem{File: d.file, Line: n.Line, Col: n.Column,
		Field: path, Value: value, Msg: msg})
}

// kindName names a collection node ("a mapping", "a list") and is empty for
// a scalar.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return ""
}

func truncate(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}

// decode fills v from n. at is where the field's key is: a mapping or list
// is located by its key, a scalar by its value.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, at Pos) {
	if n.Kind == yaml.ScalarNode {
		at = Pos{n.Line, n.Column}
	}
	if path != "" {
		// The root has no position of its own: a missing top-level field
		// is reported against the file, not against line 1.
		d.pos[path] = at
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "field:" with no value keeps the default
	}
	t := v.Type()
	switch {
	case t == durationType:
		d.duration(n, v, path)
	case t == fileRefType:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "accepted: a file path")
			return
		}
		v.Set(reflect.ValueOf(FileRef{Raw: n.Value}))
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

// fieldsOf lists a struct's yaml field names in declaration order, with
// their field indices.
func fieldsOf(t reflect.Type) ([]string, []int) {
	var names []string
	var idx []int
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		names = append(names, tag)
		idx = append(idx, i)
	}
	return names, idx
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	names, idx := fieldsOf(v.Type())
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "accepted: a mapping with fields "+strings.Join(names, ", "))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			key = "(" + kindName(k) + " as key)"
		}
		child := join(path, key)
		if line, dup := seen[key]; dup {
			d.probs = append(d.probs, Problem{File: d.file, Line: k.Line, Col: k.Column, Field: child,
				Msg: fmt.Sprintf("duplicate field, first given on line %d; accepted: each field once", line)})
			continue
		}
		seen[key] = k.Line
		j := indexOf(names, key)
		if k.Kind != yaml.ScalarNode || j < 0 {
			d.probs = append(d.probs, Problem{File: d.file, Line: k.Line, Col: k.Column, Field: child,
				Msg: "unknown field; accepted: " + strings.Join(names, ", ")})
			continue
		}
		d.decode(val, v.Field(idx[j]), child, Pos{k.Line, k.Column})
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "accepted: a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), Pos{item.Line, item.Column})
	}
	v.Set(s)
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	var want string
	switch v.Kind() {
	case reflect.String:
		want = "text"
	case reflect.Bool:
		want = "true or false"
	case reflect.Int:
		want = "an integer"
	case reflect.Uint64:
		want = "an integer 0 … 18446744073709551615 (2^64 − 1)"
	case reflect.Float64:
		want = "a number"
	default:
		panic(fmt.Sprintf("scenarios: field %s has unsupported type %s", path, v.Type()))
	}
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "accepted: "+want)
		return
	}
	// Numbers and booleans must be plain YAML ones, never quoted strings,
	// and an integer field refuses 2.5 (yaml.v3 would truncate it to 2).
	if !tagFits(v.Kind(), n.Tag) {
		d.fail(n, path, "accepted: "+want)
		return
	}
	p := reflect.New(v.Type())
	if err := n.Decode(p.Interface()); err != nil {
		d.fail(n, path, "accepted: "+want)
		return
	}
	if v.Kind() == reflect.Float64 && math.IsNaN(p.Elem().Float()) {
		d.fail(n, path, "accepted: "+want) // NaN fails every range check silently
		return
	}
	v.Set(p.Elem())
}

// tagFits reports whether a scalar with a resolved YAML tag may fill a Go
// field of the given kind.
func tagFits(k reflect.Kind, tag string) bool {
	switch k {
	case reflect.Int, reflect.Uint64:
		return tag == "!!int"
	case reflect.Float64:
		return tag == "!!int" || tag == "!!float"
	case reflect.Bool:
		return tag == "!!bool"
	}
	return true // text accepts any scalar
}

// duration accepts Go duration strings. A bare number is refused (except 0)
// because "30" read as 30 ns is a trap.
func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	const want = `accepted: a duration with a unit, e.g. "30s", "500ms", "1h30m"`
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, want)
		return
	}
	switch n.Tag {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == 0 {
			v.SetInt(0)
			return
		}
		d.fail(n, path, "a bare number is not a duration; use a unit, e.g. 30s")
		return
	case "!!str":
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.fail(n, path, want)
			return
		}
		v.SetInt(int64(dur))
	default:
		d.fail(n, path, want)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}
