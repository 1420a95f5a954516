package cardinality

import (
	"strconv"
	"strings"
)

// Term is one factor of a series formula: a named count ("replicas 4"), or
// a parenthesised sum of named counts ("(buckets 22 + +Inf 1 + _sum 1 +
// _count 1)"), optionally named itself ("GPUs (a 4 + b 8)").
type Term struct {
	Name  string `json:"name,omitempty"`
	Value int    `json:"value"`
	Sum   []Term `json:"sum,omitempty"` // when set, Value is the sum of these
}

// T builds a named count.
func T(name string, value int) Term { return Term{Name: name, Value: value} }

// Sum builds a term that adds parts; name may be empty.
func Sum(name string, parts ...Term) Term {
	t := Term{Name: name, Sum: parts}
	for _, p := range parts {
		t.Value += p.Value
	}
	return t
}

func (t Term) String() string {
	if len(t.Sum) == 0 {
		return t.Name + " " + strconv.Itoa(t.Value)
	}
	parts := make([]string, len(t.Sum))
	for i, p := range t.Sum {
		parts[i] = p.String()
	}
	s := "(" + strings.Join(parts, " + ") + ")"
	if t.Name != "" {
		s = t.Name + " " + s
	}
	return s
}

// Formula is a product of terms: the expected active series of a family.
type Formula []Term

// Value multiplies the terms (an empty formula is 1: one series).
func (f Formula) Value() int {
	v := 1
	for _, t := range f {
		v *= t.Value
	}
	return v
}

// String prints the product with its numbers and result, e.g.
// "tenants 10 × models 5 × quantiles 6 × buckets 10 × instances 50 = 150000".
func (f Formula) String() string {
	if len(f) == 0 {
		return "1"
	}
	parts := make([]string, len(f))
	for i, t := range f {
		parts[i] = t.String()
	}
	return strings.Join(parts, " × ") + " = " + strconv.Itoa(f.Value())
}
