package tensor

import (
	"fmt"
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend"
)

// Tensor is a dense float32 array on a backend.
type Tensor struct {
	Shape []int
	Buf   backend.Buffer
	B     backend.Backend
}

// Numel is the number of elements of a shape.
func Numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// New returns a zeroed tensor.
func New(b backend.Backend, shape ...int) *Tensor {
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in %v", shape))
		}
	}
	return &Tensor{Shape: append([]int(nil), shape...), Buf: b.Alloc(Numel(shape)), B: b}
}

// FromData copies data into a new tensor of the given shape.
func FromData(b backend.Backend, data []float32, shape ...int) *Tensor {
	if Numel(shape) != len(data) {
		panic(fmt.Sprintf("tensor: %d values do not fill shape %v", len(data), shape))
	}
	t := New(b, shape...)
	b.Write(t.Buf, 0, data)
	return t
}

// Full returns a tensor filled with v.
func Full(b backend.Backend, v float32, shape ...int) *Tensor {
	t := New(b, shape...)
	if v != 0 {
		b.Fill(t.Buf, v)
	}
	return t
}

// Len is the number of elements.
func (t *Tensor) Len() int { return Numel(t.Shape) }

// Dim is the rank.
func (t *Tensor) Dim() int { return len(t.Shape) }

// Data reads the values back to a new host slice.
func (t *Tensor) Data() []float32 {
	out := make([]float32, t.Len())
	t.B.Read(t.Buf, 0, out)
	return out
}

// Item reads a one-element tensor.
func (t *Tensor) Item() float32 {
	var v [1]float32
	t.B.Read(t.Buf, 0, v[:])
	return v[0]
}

// Set overwrites the values from a host slice of the same length.
func (t *Tensor) Set(data []float32) {
	if len(data) != t.Len() {
		panic(fmt.Sprintf("tensor: Set with %d values on shape %v", len(data), t.Shape))
	}
	t.B.Write(t.Buf, 0, data)
}

// Clone copies the tensor.
func (t *Tensor) Clone() *Tensor {
	c := New(t.B, t.Shape...)
	t.B.Copy(c.Buf, 0, t.Buf, 0, t.Len())
	return c
}

// Reshape returns a view with a new shape; one dimension may be -1.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	infer, known := -1, 1
	for i, v := range s {
		if v == -1 {
			infer = i
		} else {
			known *= v
		}
	}
	if infer >= 0 && known > 0 {
		s[infer] = t.Len() / known
	}
	if Numel(s) != t.Len() {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", t.Shape, shape))
	}
	return &Tensor{Shape: s, Buf: t.Buf, B: t.B}
}

// Strides are the contiguous row-major strides of the shape.
func Strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// SameShape reports whether two shapes are equal.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Broadcast returns the broadcast output shape of a and b and the strides by
// which each is read (NumPy rules: align right, size-1 dimensions stretch).
func Broadcast(a, b []int) (backend.Strided, error) {
	n := max(len(a), len(b))
	if n > backend.MaxDims {
		return backend.Strided{}, fmt.Errorf("tensor: broadcast of rank %d exceeds %d", n, backend.MaxDims)
	}
	pad := func(s []int) []int {
		p := make([]int, n)
		for i := range p {
			p[i] = 1
		}
		copy(p[n-len(s):], s)
		return p
	}
	pa, pb := pad(a), pad(b)
	sa, sb := Strides(pa), Strides(pb)
	out := make([]int, n)
	for i := 0; i < n; i++ {
		switch {
		case pa[i] == pb[i]:
			out[i] = pa[i]
		case pa[i] == 1:
			out[i] = pb[i]
		case pb[i] == 1:
			out[i] = pa[i]
		default:
			return backend.Strided{}, fmt.Errorf("tensor: shapes %v and %v do not broadcast", a, b)
		}
		if pa[i] == 1 {
			sa[i] = 0
		}
		if pb[i] == 1 {
			sb[i] = 0
		}
	}
	return backend.Strided{Shape: out, StrideA: sa, StrideB: sb}, nil
}

// String shows the shape and up to 8 values.
func (t *Tensor) String() string {
	v := t.Data()
	var sb strings.Builder
	fmt.Fprintf(&sb, "Tensor%v[", t.Shape)
	for i, x := range v {
		if i == 8 {
			sb.WriteString(" ...")
			break
		}
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%.4g", x)
	}
	sb.WriteByte(']')
	return sb.String()
}

// HasNonFinite reports whether any value is NaN or infinite.
func (t *Tensor) HasNonFinite() bool {
	for _, v := range t.Data() {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return true
		}
	}
	return false
}
