package npy

import (
	"archive/zip"
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	cases := []*Array{
		FromUint8([]int{2, 3}, []uint8{1, 2, 3, 4, 5, 255}),
		FromFloat32([]int{3}, []float32{1.5, -2, float32(math.Inf(1))}),
		FromFloat64([]int{1, 1, 2}, []float64{math.Pi, -0}),
		FromInt64([]int{4}, []int64{-1, 0, 1 << 40, 7}),
		FromStrings([]string{"cat", "dög", ""}),
		FromUint8([]int{0, 5}, nil),
	}
	for _, a := range cases {
		var buf bytes.Buffer
		if err := Write(&buf, a); err != nil {
			t.Fatal(err)
		}
		if buf.Len()-len(a.Data) != 128 && buf.Len()-len(a.Data) != 64 {
			t.Errorf("%s header is %d bytes, not 64-byte aligned", a.Dtype(), buf.Len()-len(a.Data))
		}
		b, err := Read(&buf)
		if err != nil {
			t.Fatalf("%s: %v", a.Dtype(), err)
		}
		if b.Dtype() != a.Dtype() || len(b.Shape) != len(a.Shape) || !bytes.Equal(b.Data, a.Data) {
			t.Fatalf("%s round trip gave %s %v", a.Dtype(), b.Dtype(), b.Shape)
		}
	}
	s, _ := cases[4].Strings()
	if s[1] != "dög" || s[2] != "" {
		t.Fatalf("strings %q", s)
	}
	v, _ := cases[3].Int64s()
	if v[2] != 1<<40 || v[0] != -1 {
		t.Fatalf("ints %v", v)
	}
}

func rawNPY(header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	b.WriteByte(byte(len(header)))
	b.WriteByte(byte(len(header) >> 8))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestFortranOrderAndBigEndian(t *testing.T) {
	// A 2x3 array stored column-major: elements in memory 0 3 1 4 2 5 for
	// the C-order array [[0 1 2] [3 4 5]].
	a, err := Read(bytes.NewReader(rawNPY("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }\n", []byte{0, 3, 1, 4, 2, 5})))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Data, []byte{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("Fortran order read as %v", a.Data)
	}
	b, err := Read(bytes.NewReader(rawNPY("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }\n", []byte{0x01, 0x02, 0xff, 0xfe})))
	if err != nil {
		t.Fatal(err)
	}
	v, _ := b.Int64s()
	if v[0] != 0x0102 || v[1] != -2 {
		t.Fatalf("big-endian int16 read as %v", v)
	}
	h, err := Read(bytes.NewReader(rawNPY("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }\n", []byte{0x00, 0x3c, 0x00, 0xc0, 0x00, 0x00})))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := h.Float64s()
	if f[0] != 1 || f[1] != -2 || f[2] != 0 {
		t.Fatalf("float16 read as %v", f)
	}
}

func TestErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"magic":     []byte("NUMPY\x01\x00 junk"),
		"truncated": rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", make([]byte, 15)),
		"extra":     rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 5)),
		"object":    rawNPY("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 8)),
		"struct":    rawNPY("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", make([]byte, 4)),
		"huge":      rawNPY("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000, 1000), }\n", nil),
		"noshape":   rawNPY("{'descr': '<f8', 'fortran_order': False}\n", nil),
		"version":   []byte("\x93NUMPY\x09\x00\x10\x00"),
		"short":     []byte("\x93NUMPY\x01"),
	} {
		_, err := Read(bytes.NewReader(b))
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: got %v, want a format error", name, err)
		}
	}
}

func TestNPZ(t *testing.T) {
	arrays := map[string]*Array{"a": FromUint8([]int{2}, []uint8{1, 2}), "b": FromFloat32([]int{1}, []float32{3})}
	for _, compress := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteNPZ(&buf, arrays, compress); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !bytes.Equal(got["a"].Data, []byte{1, 2}) || got["b"].Len() != 1 {
			t.Fatalf("npz round trip: %v", got)
		}
	}
	if _, err := ReadNPZ(bytes.NewReader([]byte("not a zip")), 9); !errors.Is(err, ErrFormat) {
		t.Fatalf("not a zip: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	Write(&b, FromFloat32([]int{2, 2}, []float32{1, 2, 3, 4}))
	f.Add(b.Bytes())
	b.Reset()
	Write(&b, FromStrings([]string{"x", "yz"}))
	f.Add(b.Bytes())
	f.Add(rawNPY("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 1), }\n", []byte{1, 2, 3, 4}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(a.Data) != a.Len()*a.ItemSize {
			t.Fatalf("%d bytes for shape %v of %s", len(a.Data), a.Shape, a.Dtype())
		}
		// Accessors must not panic on accepted arrays.
		a.Float64s()
		a.Int64s()
		a.Strings()
		var out bytes.Buffer
		if err := Write(&out, a); err != nil {
			t.Fatalf("cannot write back an accepted array: %v", err)
		}
		back, err := Read(&out)
		if err != nil || !bytes.Equal(back.Data, a.Data) {
			t.Fatalf("re-read of an accepted array failed: %v", err)
		}
	})
}

// FuzzReadNPZ: arbitrary bytes as an .npz must give arrays consistent with
// their shapes, within the bound, or a format error (never another kind,
// which a command would report as a failure rather than bad input).
func FuzzReadNPZ(f *testing.F) {
	const bound = 1 << 16
	for _, compress := range []bool{false, true} {
		var b bytes.Buffer
		WriteNPZ(&b, map[string]*Array{"x_train": FromUint8([]int{2, 2, 2}, make([]uint8, 8)), "y_train": FromInt64([]int{2}, []int64{0, 1}),
			"classes": FromStrings([]string{"a", "b"})}, compress)
		f.Add(b.Bytes())
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("x.npy")
	w.Write(rawNPY("{'descr': '<f4', 'fortran_order': False, 'shape': (1050000, 28, 28), }\n", nil))
	zw.Close()
	f.Add(b.Bytes())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		arrays, err := ReadNPZMax(bytes.NewReader(data), int64(len(data)), bound)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error is not a format error: %v", err)
			}
			return
		}
		for name, a := range arrays {
			if len(a.Data) != a.Len()*a.ItemSize || len(a.Data) > bound {
				t.Fatalf("%s: %d bytes for shape %v of %s", name, len(a.Data), a.Shape, a.Dtype())
			}
		}
	})
}
