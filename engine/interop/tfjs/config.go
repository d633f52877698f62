package tfjs

import (
	"encoding/json"
	"math"
)

// config is a Keras layer's config object.
type config map[string]json.RawMessage

func (c config) raw(k string) json.RawMessage {
	v, ok := c[k]
	if !ok || string(v) == "null" {
		return nil
	}
	return v
}

func (c config) str(k, def string) string {
	var s string
	if v := c.raw(k); v != nil && json.Unmarshal(v, &s) == nil {
		return s
	}
	return def
}

func (c config) num(k string, def float64) float64 {
	var f float64
	if v := c.raw(k); v != nil && json.Unmarshal(v, &f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f
	}
	return def
}

func (c config) has(k string) bool { return c.raw(k) != nil }

func (c config) boolean(k string, def bool) bool {
	var b bool
	if v := c.raw(k); v != nil && json.Unmarshal(v, &b) == nil {
		return b
	}
	return def
}

// ints reads an int or a list of ints (kernel_size: 3 or [3, 3]); n is
// the length wanted (a single int repeats). ok is false when the value is
// present but malformed or out of a sane range.
func (c config) ints(k string, n int, def []int) ([]int, bool) {
	v := c.raw(k)
	if v == nil {
		return def, true
	}
	var one float64
	if json.Unmarshal(v, &one) == nil {
		if one != math.Trunc(one) || one < 0 || one > 1<<20 {
			return nil, false
		}
		out := make([]int, n)
		for i := range out {
			out[i] = int(one)
		}
		return out, true
	}
	var list []*float64
	if json.Unmarshal(v, &list) != nil || len(list) != n {
		return nil, false
	}
	out := make([]int, n)
	for i, f := range list {
		if f == nil || *f != math.Trunc(*f) || *f < 0 || *f > 1<<20 {
			return nil, false
		}
		out[i] = int(*f)
	}
	return out, true
}

// shape reads a batch shape such as [null, 224, 224, 3]; unknown sizes are
// -1.
func (c config) shape(k string) ([]int, bool) {
	v := c.raw(k)
	if v == nil {
		return nil, false
	}
	var list []*float64
	if json.Unmarshal(v, &list) != nil || len(list) == 0 || len(list) > 8 {
		return nil, false
	}
	out := make([]int, len(list))
	for i, f := range list {
		switch {
		case f == nil:
			out[i] = -1
		case *f != math.Trunc(*f) || *f < 1 || *f > 1<<16:
			return nil, false
		default:
			out[i] = int(*f)
		}
	}
	return out, true
}
