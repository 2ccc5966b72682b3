package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SweepKey is the top-level field that makes a scenario file a sweep.
const SweepKey = "sweep"

// Sweep modes: every combination of the axes' values, or the i-th value of
// every axis together.
const (
	SweepGrid = "grid"
	SweepZip  = "zip"
)

// Limits of a sweep.
const (
	MaxSweepAxes   = 16
	MaxSweepPoints = 10000
	MaxSweepRuns   = 100000
)

// Sweep is a parameter sweep: a base scenario, axes of values for fields
// of it, and seeds. Every point (one value per axis) is a whole scenario,
// decoded and checked as dpsim run would; each point runs its compare
// policies (or its own policy) on every seed.
type Sweep struct {
	// Path is the sweep file; Base the scenario file its points are made
	// from (Path itself when the sweep section sits in the scenario).
	Path, Base string
	// Hash is the SHA-256 of the SHA-256s of the sweep file's bytes and
	// the base file's (when apart).
	Hash  string
	Mode  string
	Axes  []Axis
	Seeds []uint64
	// Points in order: a grid varies the last axis fastest.
	Points []Point
}

// Axis is one swept field: a path into the scenario and its values.
type Axis struct {
	// Path is the field, as the scenario's problems name fields:
	// "p2p.targets.active", "nodes.classes[1].count".
	Path string
	// Values are the values as written (a list or mapping in YAML flow
	// form), in the file's order.
	Values []string
	Line   int
	Col    int
	// Zip marks the axes that move together (sweep.zip, or every axis in
	// mode zip): they take their i-th values at once, as one dimension.
	Zip bool
}

// Name is the axis's last path element, for column titles and plots.
func (a Axis) Name() string {
	p := a.Path
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// Point is one combination of the axes' values: Values[i] is axis i's.
type Point struct {
	Values   []string
	Scenario *Scenario
	// canon is the point's scenario as canonical YAML (comments dropped),
	// the base of its runs' ids; boundCanon the same without the
	// policies, the base of BoundKey.
	canon, boundCanon []byte
}

// SweepRun is one run of a sweep: a point, one of its policies, a seed.
type SweepRun struct {
	// ID is stable: a hash of the point's whole scenario, the policy and
	// the seed, so the same run has the same id in every shard, on every
	// rerun and whatever the order of the axes.
	ID     string
	Point  int
	Label  string // the policy's label (compare's), or the topology model for a static scenario
	Policy PolicySpec
	Bound  bool // god's view: the bound computed from a run of the first runnable policy
	Seed   uint64
}

// LoadSweep reads a sweep file: a scenario with a sweep section, or a
// sweep section that names its scenario (sweep.scenario). Every problem of
// the file, and of every point as a whole scenario, is returned at once as
// Problems.
func LoadSweep(path string) (*Sweep, error) {
	data, err := readScenarioFile(path)
	if err != nil {
		return nil, err
	}
	return ParseSweep(data, path)
}

func readScenarioFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	// One byte past the limit, so an oversized file is detected without
	// reading all of it.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("scenario: reading %s: %w", path, err)
	}
	return data, nil
}

// IsSweep reports whether data is a YAML mapping with a top-level sweep
// field (parse errors: false).
func IsSweep(data []byte) bool {
	root, probs := parseYAML(data, "")
	if root == nil || len(probs) > 0 {
		return false
	}
	k, _ := topKey(root, SweepKey)
	return k != nil
}

// ParseSweep decodes a sweep from data; name is the file's name in
// problems and the base of relative paths.
func ParseSweep(data []byte, name string) (*Sweep, error) {
	if len(data) > MaxFileBytes {
		return nil, Problems{{File: name, Value: strconv.Itoa(len(data)) + " bytes",
			Msg: fmt.Sprintf("file too large; accepted: at most %d bytes", MaxFileBytes)}}
	}
	root, probs := parseYAML(data, name)
	if root == nil || len(probs) > 0 {
		probs.sort()
		return nil, probs
	}
	key, sec := topKey(root, SweepKey)
	if key == nil {
		return nil, Problems{{File: name, Field: SweepKey, Msg: "no sweep section; accepted: a scenario with a top-level sweep: {axes: {PATH: [VALUES]}} (docs/sweeps.md), or dpsim run for a single scenario"}}
	}
	sw := &Sweep{Path: name, Base: name, Mode: SweepGrid}
	d := sweepDecoder{file: name}
	baseFile, seeds, axes := d.section(key, sec)
	if len(d.probs) > 0 {
		d.probs.sort()
		return nil, d.probs
	}
	sweepSum := sha256.Sum256(data)
	hash := sha256.New()
	hash.Write(sweepSum[:])
	base := withoutKey(root, SweepKey)
	if baseFile != nil {
		// The base is another file, relative to the sweep file.
		sw.Base = baseFile.Value
		if !filepath.IsAbs(sw.Base) {
			sw.Base = filepath.Join(filepath.Dir(name), sw.Base)
		}
		if len(base.Content) > 0 {
			k := base.Content[0]
			return nil, Problems{{File: name, Line: k.Line, Col: k.Column, Field: k.Value,
				Msg: "a scenario field beside sweep.scenario; accepted: only the sweep section when it names its scenario (set the field in " + baseFile.Value + " or sweep it)"}}
		}
		bdata, err := readScenarioFile(sw.Base)
		if err != nil {
			return nil, Problems{{File: name, Line: baseFile.Line, Col: baseFile.Column, Field: "sweep.scenario", Value: baseFile.Value, Msg: err.Error()}}
		}
		if len(bdata) > MaxFileBytes {
			return nil, Problems{{File: sw.Base, Msg: fmt.Sprintf("file too large; accepted: at most %d bytes", MaxFileBytes)}}
		}
		broot, bprobs := parseYAML(bdata, sw.Base)
		if broot == nil || len(bprobs) > 0 {
			bprobs.sort()
			return nil, bprobs
		}
		if k, _ := topKey(broot, SweepKey); k != nil {
			return nil, Problems{{File: sw.Base, Line: k.Line, Col: k.Column, Field: SweepKey, Msg: "the scenario a sweep names is a sweep itself; accepted: a plain scenario"}}
		}
		base = broot
		bsum := sha256.Sum256(bdata)
		hash.Write(bsum[:])
	}
	sw.Hash = hex.EncodeToString(hash.Sum(nil))
	sw.Mode = d.mode
	sw.Axes = axes
	if probs := sw.expand(base, d.axisNodes); len(probs) > 0 {
		return nil, probs.capped()
	}
	sw.Seeds = seeds
	if sw.Seeds == nil {
		sw.Seeds = sw.Points[0].Scenario.Seeds()
	}
	if n := len(sw.Runs()); n > MaxSweepRuns {
		return nil, Problems{{File: name, Line: key.Line, Col: key.Column, Field: SweepKey, Value: strconv.Itoa(n) + " runs",
			Msg: fmt.Sprintf("too many runs (points × policies × seeds); accepted: at most %d", MaxSweepRuns)}}
	}
	return sw, nil
}

// sweepDecoder reads the sweep section, collecting problems.
type sweepDecoder struct {
	file      string
	probs     Problems
	mode      string
	axisNodes [][]*yaml.Node // per axis, its value nodes
}

func (d *sweepDecoder) fail(n *yaml.Node, field, value, msg string) {
	d.probs = append(d.probs, Problem{File: d.file, Line: n.Line, Col: n.Column, Field: field, Value: value, Msg: msg})
}

// section decodes sweep: {scenario, mode, seeds, axes, zip}.
func (d *sweepDecoder) section(key, sec *yaml.Node) (baseFile *yaml.Node, seeds []uint64, axes []Axis) {
	const fields = "scenario, mode, seeds, axes, zip"
	d.mode = SweepGrid
	if sec.Kind != yaml.MappingNode {
		d.fail(key, SweepKey, "", "accepted: a mapping with fields "+fields)
		return
	}
	var axesNode, zipNode *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		k, v := sec.Content[i], sec.Content[i+1]
		field := SweepKey + "." + k.Value
		if seen[k.Value] {
			d.fail(k, field, "", "duplicate field; accepted: each field once")
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "scenario":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				d.fail(v, field, "", "accepted: the path of a scenario file, relative to this file")
				continue
			}
			baseFile = v
		case "mode":
			if v.Kind != yaml.ScalarNode || v.Value != SweepGrid && v.Value != SweepZip {
				d.fail(v, field, v.Value, "accepted: grid (every combination of the axes' values) or zip (the i-th values together)")
				continue
			}
			d.mode = v.Value
		case "seeds":
			seeds = d.seeds(v, field)
		case "axes":
			axesNode = v
		case "zip":
			zipNode = v
		default:
			d.fail(k, field, "", "unknown field; accepted: "+fields)
		}
	}
	if axesNode == nil && zipNode == nil {
		d.fail(key, SweepKey+".axes", "", "missing; accepted: a mapping of field paths to lists of values, e.g. p2p.targets.active: [5, 10, 20]")
		return
	}
	if axesNode != nil {
		axes = d.axes(axesNode, SweepKey+".axes", d.mode == SweepZip, axes)
	}
	if zipNode != nil {
		if d.mode == SweepZip {
			d.fail(zipNode, SweepKey+".zip", "", "mode zip already moves every axis together; accepted: the axes under sweep.axes")
		} else {
			axes = d.axes(zipNode, SweepKey+".zip", true, axes)
		}
	}
	if len(axes) > MaxSweepAxes {
		d.fail(sec, SweepKey+".axes", strconv.Itoa(len(axes))+" axes", fmt.Sprintf("accepted: at most %d", MaxSweepAxes))
	}
	// The axes that move together have one length, and their tuples
	// differ.
	first := -1
	for i, a := range axes {
		if !a.Zip {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if len(a.Values) != len(axes[first].Values) {
			d.fail(d.axisNodes[i][0], SweepKey+".axes."+a.Path, strconv.Itoa(len(a.Values))+" values",
				fmt.Sprintf("axes that move together take their i-th values together; accepted: %d values, as %s has", len(axes[first].Values), axes[first].Path))
			return
		}
	}
	if first >= 0 {
		seen := map[string]int{}
		for v := range axes[first].Values {
			var tuple []string
			for _, a := range axes {
				if a.Zip {
					tuple = append(tuple, a.Values[v])
				}
			}
			t := strings.Join(tuple, "\x00")
			if w, dup := seen[t]; dup {
				d.fail(d.axisNodes[first][v], SweepKey+".axes."+axes[first].Path, strings.Join(tuple, ", "),
					fmt.Sprintf("the same values as position %d of the axes that move together; accepted: distinct combinations", w+1))
				return
			}
			seen[t] = v
		}
	}
	return
}

// axes decodes a mapping of field paths to lists of values, appending
// them to axes; zip marks axes that move together.
func (d *sweepDecoder) axes(n *yaml.Node, field string, zip bool, axes []Axis) []Axis {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		d.fail(n, field, "", "accepted: a non-empty mapping of field paths to lists of values, e.g. p2p.targets.active: [5, 10, 20]")
		return axes
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		child := field + "." + k.Value
		path, err := normalPath(k.Value)
		if k.Kind != yaml.ScalarNode || err != nil {
			msg := "accepted: a dotted field path, e.g. p2p.targets.active or nodes.classes[1].count"
			if err != nil {
				msg = err.Error() + "; " + msg
			}
			d.fail(k, field, k.Value, msg)
			continue
		}
		if j := slices.IndexFunc(axes, func(a Axis) bool { return a.Path == path }); j >= 0 {
			d.fail(k, child, "", fmt.Sprintf("axis given twice (first on line %d); accepted: each field once", axes[j].Line))
			continue
		}
		if path == "seed" || path == "compare.seeds" || strings.HasPrefix(path, "compare.seeds[") {
			d.fail(k, child, "", "the seeds are not an axis; accepted: sweep.seeds: [1, 2, 3]")
			continue
		}
		if path == "name" || path == "version" {
			d.fail(k, child, "", "not a parameter; accepted: a field of the simulation, e.g. p2p.targets.active")
			continue
		}
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			d.fail(v, child, "", "accepted: a non-empty list of values, e.g. [5, 10, 20]")
			continue
		}
		a := Axis{Path: path, Line: k.Line, Col: k.Column, Zip: zip}
		for _, x := range v.Content {
			text := canonValue(x)
			if !zip && slices.Contains(a.Values, text) {
				d.fail(x, child, text, "value listed twice; accepted: distinct values")
				continue
			}
			a.Values = append(a.Values, text)
		}
		axes = append(axes, a)
		d.axisNodes = append(d.axisNodes, v.Content)
	}
	return axes
}

func (d *sweepDecoder) seeds(v *yaml.Node, field string) []uint64 {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		d.fail(v, field, "", "accepted: a non-empty list of seeds, e.g. [1, 2, 3]")
		return nil
	}
	if len(v.Content) > MaxCompareSeeds {
		d.fail(v, field, strconv.Itoa(len(v.Content))+" seeds", fmt.Sprintf("accepted: at most %d", MaxCompareSeeds))
		return nil
	}
	var out []uint64
	for _, x := range v.Content {
		s, err := strconv.ParseUint(x.Value, 10, 64)
		if x.Kind != yaml.ScalarNode || err != nil {
			d.fail(x, field, x.Value, "accepted: a seed, an integer 0 … 18446744073709551615")
			return nil
		}
		if slices.Contains(out, s) {
			d.fail(x, field, x.Value, "seed listed twice; accepted: distinct seeds")
			return nil
		}
		out = append(out, s)
	}
	return out
}

// pathStep is one step of a field path: a mapping key, or an index into a
// list (key empty).
type pathStep struct {
	key   string
	index int
}

// parsePath splits "a.b[1].c" (or "a.b.1.c") into steps.
func parsePath(p string) ([]pathStep, error) {
	if p == "" {
		return nil, fmt.Errorf("empty path")
	}
	var out []pathStep
	for _, part := range strings.Split(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && rest == "" {
			return nil, fmt.Errorf("empty element in %q", p)
		}
		if n, err := strconv.Atoi(key); err == nil && len(out) > 0 {
			if n < 0 {
				return nil, fmt.Errorf("negative index in %q", p)
			}
			out = append(out, pathStep{index: n})
		} else if key != "" {
			out = append(out, pathStep{key: key})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(num)
			if !ok || err != nil || n < 0 || (after != "" && after[0] != '[') {
				return nil, fmt.Errorf("bad index in %q", p)
			}
			if len(out) == 0 {
				return nil, fmt.Errorf("an index before any field in %q", p)
			}
			out = append(out, pathStep{index: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out, nil
}

// normalPath writes a path as problems name fields: "a.b[1].c".
func normalPath(p string) (string, error) {
	steps, err := parsePath(p)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, s := range steps {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String(), nil
}

// canonValue is a value as its axis shows it: a scalar as written, a list
// or mapping in YAML flow form.
func canonValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	c := copyNode(n, true)
	setFlow(c)
	b, err := yaml.Marshal(c)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

func setFlow(n *yaml.Node) {
	n.Style |= yaml.FlowStyle
	for _, c := range n.Content {
		setFlow(c)
	}
}

// copyNode copies a tree; stripped drops comments.
func copyNode(n *yaml.Node, stripped bool) *yaml.Node {
	c := *n
	if stripped {
		c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = copyNode(x, stripped)
	}
	return &c
}

// withoutKey returns a copy of mapping root without the top-level key.
func withoutKey(root *yaml.Node, key string) *yaml.Node {
	c := *root
	c.Content = nil
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != key {
			c.Content = append(c.Content, root.Content[i], root.Content[i+1])
		}
	}
	return &c
}

// expand makes every point and decodes each as a whole scenario. A
// problem every point has is reported once; one that only some points
// have names them.
func (sw *Sweep) expand(base *yaml.Node, values [][]*yaml.Node) Problems {
	// The dimensions: each grid axis, then the axes that move together as
	// one; a grid varies the last dimension fastest.
	var dims [][]int // axes of each dimension
	zipDim := -1
	for i, ax := range sw.Axes {
		if !ax.Zip {
			dims = append(dims, []int{i})
			continue
		}
		if zipDim < 0 {
			zipDim = len(dims)
			dims = append(dims, nil)
		}
		dims[zipDim] = append(dims[zipDim], i)
	}
	total := 1
	for _, dm := range dims {
		total *= len(values[dm[0]])
		if total > MaxSweepPoints {
			return Problems{{File: sw.Path, Line: sw.Axes[0].Line, Field: SweepKey + ".axes", Value: "more than " + strconv.Itoa(MaxSweepPoints) + " points",
				Msg: fmt.Sprintf("too many points; accepted: at most %d (the product of the axes' lengths in a grid)", MaxSweepPoints)}}
		}
	}
	var combos [][]int
	for k := range total {
		c := make([]int, len(values))
		for di := len(dims) - 1; di >= 0; di-- {
			n := len(values[dims[di][0]])
			for _, a := range dims[di] {
				c[a] = k % n
			}
			k /= n
		}
		combos = append(combos, c)
	}
	type seenProblem struct {
		p      Problem
		points []int
	}
	var all []*seenProblem
	index := map[Problem]*seenProblem{}
	hashes := map[string]string{} // file → its bytes' hash, read once
	note := func(p Problem, point int) {
		if q := index[p]; q != nil {
			if !slices.Contains(q.points, point) {
				q.points = append(q.points, point)
			}
			return
		}
		q := &seenProblem{p: p, points: []int{point}}
		index[p] = q
		all = append(all, q)
	}
	for pi, combo := range combos {
		root := copyNode(base, true)
		pt := Point{}
		for a, vi := range combo {
			ax := sw.Axes[a]
			pt.Values = append(pt.Values, ax.Values[vi])
			if p, ok := setPath(root, ax, copyNode(values[a][vi], true)); !ok {
				p.File = sw.Path
				note(p, pi)
			}
		}
		// The point's own scenario text, for its hash in meta.json.
		canon, err := yaml.Marshal(root)
		if err != nil {
			note(Problem{File: sw.Path, Msg: "cannot render the point: " + err.Error()}, pi)
			continue
		}
		sum := sha256.Sum256(append([]byte("dpsim sweep point\n"), canon...))
		s, probs := decodeScenario(root, sw.Base, hex.EncodeToString(sum[:]))
		for _, p := range probs {
			// A problem under a swept field is about the sweep file's
			// value (its node kept the sweep file's line).
			// So is an unknown field on the way to it, placed at the axis.
			for _, ax := range sw.Axes {
				under := p.Field == ax.Path || strings.HasPrefix(p.Field, ax.Path+".") || strings.HasPrefix(p.Field, ax.Path+"[")
				on := p.Line == ax.Line && p.Col == ax.Col && strings.HasPrefix(ax.Path, p.Field)
				if under || on {
					p.File = sw.Path
				}
			}
			note(p, pi)
		}
		if s != nil {
			pt.Scenario = s
			// Runs are named by what they simulate: the decoded scenario
			// (so 10 and 0xA, or a default written out, are one point; the
			// description is not simulated) and the bytes of every file it
			// reads (an edited stake file is another run).
			pt.canon, pt.boundCanon = sw.identity(s, hashes)
			if j := slices.IndexFunc(sw.Points, func(q Point) bool { return q.Scenario != nil && bytes.Equal(q.canon, pt.canon) }); j >= 0 {
				note(Problem{File: sw.Path, Line: sw.Axes[0].Line, Col: sw.Axes[0].Col, Field: SweepKey + ".axes",
					Msg: fmt.Sprintf("points (%s) and (%s) are the same scenario (values written differently, or a field that changes nothing); accepted: distinct values", sw.PointLabel(j), sw.labelOf(pt.Values))}, pi)
			}
			if len(s.Compare.Policies) > 0 {
				for _, ax := range sw.Axes {
					if ax.Path == "p2p.policy" || strings.HasPrefix(ax.Path, "p2p.policy.") {
						note(Problem{File: sw.Path, Line: ax.Line, Col: ax.Col, Field: SweepKey + ".axes." + ax.Path,
							Msg: "compare.policies replaces p2p.policy in every run; accepted: sweep compare.policies[i]'s fields, or drop compare.policies"}, pi)
					}
				}
			}
		}
		sw.Points = append(sw.Points, pt)
	}
	var out Problems
	for _, q := range all {
		p := q.p
		if len(q.points) < len(combos) {
			var at []string
			for i, pi := range q.points {
				if i == 3 {
					at = append(at, fmt.Sprintf("and %d more", len(q.points)-3))
					break
				}
				at = append(at, sw.PointLabel(pi))
			}
			p.Msg += " (sweep point " + strings.Join(at, "; ") + ")"
		}
		out = append(out, p)
	}
	out.sort()
	return out
}

// setPath puts value at the axis's path in root, making the mappings on
// the way (their keys placed at the axis's line, so that an unknown field
// is reported there).
func setPath(root *yaml.Node, ax Axis, value *yaml.Node) (Problem, bool) {
	steps, _ := parsePath(ax.Path)
	n := root
	for i, st := range steps {
		last := i == len(steps)-1
		if st.key == "" {
			if n.Kind != yaml.SequenceNode || st.index >= len(n.Content) {
				return Problem{Line: ax.Line, Col: ax.Col, Field: SweepKey + ".axes." + ax.Path,
					Msg: fmt.Sprintf("the scenario has no list element %d there; accepted: an index below the list's length in the scenario", st.index)}, false
			}
			if last {
				n.Content[st.index] = value
				return Problem{}, true
			}
			n = n.Content[st.index]
			continue
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		}
		if n.Kind != yaml.MappingNode {
			return Problem{Line: ax.Line, Col: ax.Col, Field: SweepKey + ".axes." + ax.Path,
				Msg: fmt.Sprintf("%q is not a field of a mapping in the scenario; accepted: a path through mappings (and list indices)", st.key)}, false
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == st.key {
				if last {
					n.Content[j+1] = value
					return Problem{}, true
				}
				next = n.Content[j+1]
				break
			}
		}
		if next == nil {
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key, Line: ax.Line, Column: ax.Col}
			if last {
				n.Content = append(n.Content, k, value)
				return Problem{}, true
			}
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: ax.Line, Column: ax.Col}
			n.Content = append(n.Content, k, next)
		}
		n = next
	}
	return Problem{}, true
}

// PointLabel names point i by its values: "active=5, body_bytes=16384".
func (sw *Sweep) PointLabel(i int) string { return sw.labelOf(sw.Points[i].Values) }

func (sw *Sweep) labelOf(values []string) string {
	var parts []string
	for a, ax := range sw.Axes {
		parts = append(parts, ax.Name()+"="+values[a])
	}
	return strings.Join(parts, ", ")
}

// Runs lists every run of the sweep: point by point, each point's
// policies in order, each policy's seeds in order. A point of a static
// scenario has one policy-less run per seed.
func (sw *Sweep) Runs() []SweepRun {
	var out []SweepRun
	for pi, pt := range sw.Points {
		s := pt.Scenario
		type v struct {
			label  string
			policy PolicySpec
			bound  bool
		}
		var vs []v
		if s.Topology.Model != TopologyP2P {
			vs = []v{{label: s.Topology.Model}}
		} else {
			for _, x := range s.Variants() {
				vs = append(vs, v{x.Label, x.Policy, x.Bound})
			}
		}
		for _, x := range vs {
			for _, seed := range sw.Seeds {
				h := sha256.New()
				fmt.Fprintf(h, "dpsim sweep run\npolicy %s\nseed %d\n", x.label, seed)
				h.Write(pt.canon)
				out = append(out, SweepRun{ID: hex.EncodeToString(h.Sum(nil))[:16], Point: pi,
					Label: x.label, Policy: x.policy, Bound: x.bound, Seed: seed})
			}
		}
	}
	return out
}

// SweepTask is what one simulation of a sweep writes: Run, and Bound,
// the god's-view run of the same point and seed, when Run is the point's
// first runnable policy (the bound is computed from its blocks and
// network, so it costs no simulation of its own).
type SweepTask struct {
	Run   SweepRun
	Bound *SweepRun
}

// Tasks groups Runs into simulations, in the order of Runs: shards split
// the tasks, so a bound is always written with the run it comes from.
func (sw *Sweep) Tasks() []SweepTask {
	runs := sw.Runs()
	var out []SweepTask
	carried := make([]bool, len(runs))
	for _, r := range runs {
		if r.Bound {
			continue
		}
		t := SweepTask{Run: r}
		if sw.firstRunnable(r.Point) == r.Label {
			for j, b := range runs {
				if b.Bound && !carried[j] && b.Point == r.Point && b.Seed == r.Seed {
					carried[j] = true
					t.Bound = &runs[j]
					break
				}
			}
		}
		out = append(out, t)
	}
	for j, b := range runs {
		if b.Bound && !carried[j] {
			out = append(out, SweepTask{Run: b}) // no policy to carry it: simulated alone
		}
	}
	return out
}

// firstRunnable is the label of point i's first policy that is not a
// bound ("" if none).
func (sw *Sweep) firstRunnable(i int) string {
	s := sw.Points[i].Scenario
	if s.Topology.Model != TopologyP2P {
		return s.Topology.Model
	}
	for _, v := range s.Variants() {
		if !v.Bound {
			return v.Label
		}
	}
	return ""
}

// BoundKey is the same for two bounds of the sweep exactly when they are
// equal: the same seed, and points that differ only in their policies.
func (sw *Sweep) BoundKey(r SweepRun) string {
	h := sha256.New()
	fmt.Fprintf(h, "dpsim sweep bound\nseed %d\n", r.Seed)
	h.Write(sw.Points[r.Point].boundCanon)
	return hex.EncodeToString(h.Sum(nil))
}

// RunScenario returns the scenario run r simulates: its point's, with its
// policy (for a bound, the point's first runnable policy).
func (sw *Sweep) RunScenario(r SweepRun) *Scenario {
	s := sw.Points[r.Point].Scenario
	if s.Topology.Model != TopologyP2P {
		return s
	}
	if r.Bound {
		for _, v := range s.Variants() {
			if !v.Bound {
				return s.WithPolicy(v.Policy)
			}
		}
	}
	return s.WithPolicy(r.Policy)
}

// identity returns what names a point's runs (canon) and its bound
// (bound: the same without the policies): the decoded scenario as JSON,
// its description, path and hash left out, then the hash of every file it
// reads, by the path written.
func (sw *Sweep) identity(s *Scenario, hashes map[string]string) (canon, bound []byte) {
	c := *s
	c.Description, c.Path, c.Hash, c.pos = "", "", "", nil
	// Copies of the file references, so that clearing their resolved
	// paths (the folder a file sits in is not simulated) leaves s alone.
	c.Operators.Nodes = slices.Clone(c.Operators.Nodes)
	files := ""
	for _, f := range append([]*FileRef{&c.Nodes.Stake.File, &c.Network.Latency.File, &c.Topology.File, &c.Nodes.Pools.File}, c.clusterFiles()...) {
		if f.Raw == "" {
			continue
		}
		h, ok := hashes[f.Resolved]
		if !ok {
			h = hashPath(f.Resolved)
			hashes[f.Resolved] = h
		}
		files += f.Raw + " " + h + "\n"
		f.Resolved = ""
	}
	canon = append(mustJSON(c), files...)
	c.Compare.Policies, c.P2P.Policy = nil, PolicySpec{}
	bound = append(mustJSON(c), files...)
	return canon, bound
}

// mustJSON encodes a decoded scenario (plain data: it cannot fail).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("scenarios: a scenario does not encode: " + err.Error())
	}
	return b
}

// hashPath is the SHA-256 of a file's bytes, or of a folder's files (their
// relative paths and bytes, in order); "unreadable" when it cannot be read
// (ValidateFiles reports it).
func hashPath(path string) string {
	h := sha256.New()
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\n", rel)
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "unreadable"
	}
	return hex.EncodeToString(h.Sum(nil))
}
