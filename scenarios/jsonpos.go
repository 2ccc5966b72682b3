package scenarios

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ---- a position-keeping JSON (and YAML) tree ----

type tkind uint8

const (
	tNull tkind = iota
	tBool
	tNumber
	tString
	tObject
	tArray
)

// tnode is one value of a JSON or YAML document with its position. Scalars
// keep their text: a number's literal, a string's value, "true"/"false".
type tnode struct {
	kind    tkind
	text    string
	members []tmember // objects, in file order, duplicates included
	items   []*tnode  // arrays
	pos     Pos
	file    string // set on the root only
}

type tmember struct {
	key    string
	keyPos Pos
	val    *tnode
}

// kindWord names a node's type for messages.
func (n *tnode) kindWord() string {
	switch n.kind {
	case tNull:
		return "null"
	case tBool:
		return "a boolean"
	case tNumber:
		return "a number"
	case tString:
		return "a string"
	case tObject:
		return "an object"
	}
	return "a list"
}

// lineIndex converts byte offsets to 1-based line and column (in bytes).
type lineIndex []int // offsets of line starts

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range data {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (li lineIndex) pos(off int) Pos {
	i, found := slices.BinarySearch(li, off)
	if !found {
		i--
	}
	return Pos{Line: i + 1, Col: off - li[i] + 1}
}

// parseJSONTree parses exactly one JSON value with encoding/json's token
// stream (numbers kept as literals), recording where each value starts.
// It walks iteratively with an explicit stack, so depth is bounded by
// MaxDepth and not by the Go stack.
func parseJSONTree(name string, data []byte) (*tnode, Problems) {
	li := newLineIndex(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	prev := 0
	at := func(off int) Pos { return li.pos(min(off, len(data))) }
	syntax := func(err error) Problems {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return Problems{{File: name, Line: at(int(se.Offset)).Line, Col: at(int(se.Offset)).Col, Msg: "JSON syntax: " + se.Error()}}
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			p := at(len(data))
			return Problems{{File: name, Line: p.Line, Col: p.Col, Msg: "JSON syntax: unexpected end of file; accepted: a complete JSON document"}}
		}
		return Problems{{File: name, Msg: "JSON syntax: " + err.Error()}}
	}
	type frame struct {
		n      *tnode
		key    string // object: the pending key
		keyPos Pos
		hasKey bool
	}
	var stack []*frame
	var root *tnode
	for {
		tok, err := dec.Token()
		start := prev
		for start < len(data) && strings.IndexByte(" \t\r\n,:", data[start]) >= 0 {
			start++
		}
		prev = int(dec.InputOffset())
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 && root == nil {
				return nil, Problems{{File: name, Msg: "empty file; accepted: a JSON object"}}
			}
			return nil, syntax(err)
		}
		pos := at(start)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
			if top.n.kind == tObject && !top.hasKey {
				top.key, top.keyPos, top.hasKey = tok.(string), pos, true
				continue
			}
		}
		n := &tnode{pos: pos}
		switch v := tok.(type) {
		case json.Delim:
			n.kind = tObject
			if v == '[' {
				n.kind = tArray
			}
		case bool:
			n.kind, n.text = tBool, strconv.FormatBool(v)
		case json.Number:
			n.kind, n.text = tNumber, string(v)
		case string:
			n.kind, n.text = tString, v
		case nil:
			n.kind = tNull
		}
		switch {
		case top == nil:
			root = n
		case top.n.kind == tObject:
			top.n.members = append(top.n.members, tmember{key: top.key, keyPos: top.keyPos, val: n})
			top.hasKey = false
		default:
			top.n.items = append(top.n.items, n)
		}
		if n.kind == tObject || n.kind == tArray {
			if len(stack) >= MaxDepth {
				return nil, Problems{{File: name, Line: pos.Line, Col: pos.Col,
					Msg: fmt.Sprintf("nesting too deep; accepted: at most %d levels", MaxDepth)}}
			}
			stack = append(stack, &frame{n: n})
			continue
		}
		if top == nil {
			break // a scalar document
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		start := prev
		for start < len(data) && strings.IndexByte(" \t\r\n", data[start]) >= 0 {
			start++
		}
		p := at(start)
		return nil, Problems{{File: name, Line: p.Line, Col: p.Col,
			Msg: "JSON syntax: data after the end of the document; accepted: exactly one JSON value"}}
	}
	root.file = name
	return root, nil
}
