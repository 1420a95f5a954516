package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// jsonNode is a decoded JSON value that remembers where it ends in the
// file, which encoding/json alone does not tell.
type jsonNode struct {
	kind jsonKind
	end  int64       // byte offset just after the value
	str  string      // string values
	keys []string    // object keys, in order
	vals []*jsonNode // object values (parallel to keys) or array elements
}

type jsonKind int

const (
	jsonOther jsonKind = iota // number, bool or null
	jsonString
	jsonObject
	jsonArray
)

// get returns an object's value for key (the last one when repeated, as
// encoding/json does).
func (n *jsonNode) get(key string) (*jsonNode, bool) {
	if n == nil || n.kind != jsonObject {
		return nil, false
	}
	for i := len(n.keys) - 1; i >= 0; i-- {
		if n.keys[i] == key {
			return n.vals[i], true
		}
	}
	return nil, false
}

// getString returns an object's string value for key.
func (n *jsonNode) getString(key string) (string, bool) {
	v, ok := n.get(key)
	if !ok || v.kind != jsonString {
		return "", false
	}
	return v.str, true
}

// decodeJSON reads one JSON value with positions.
func decodeJSON(data []byte) (*jsonNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readJSON(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("offset %d: unexpected data after the top-level value", dec.InputOffset())
	}
	return n, nil
}

func readJSON(dec *json.Decoder) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &jsonNode{kind: jsonArray}
		if t == '{' {
			n.kind = jsonObject
		}
		for dec.More() {
			if n.kind == jsonObject {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				n.keys = append(n.keys, key)
			}
			v, err := readJSON(dec)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		n.end = dec.InputOffset()
		return n, nil
	case string:
		return &jsonNode{kind: jsonString, str: t, end: dec.InputOffset()}, nil
	default:
		return &jsonNode{kind: jsonOther, end: dec.InputOffset()}, nil
	}
}

// lineIndex turns byte offsets into 1-based line numbers.
type lineIndex []int // offsets where lines start

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the line of the byte just before offset end (a token's
// last byte, which for a JSON string is on the line where it starts).
func (idx lineIndex) line(end int64) int {
	off := int(end) - 1
	return sort.Search(len(idx), func(i int) bool { return idx[i] > off })
}
