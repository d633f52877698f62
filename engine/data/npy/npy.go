package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/workbench-cv/workbench/internal/kinderr"
)

// ErrFormat is wrapped by every error about malformed or unsupported input.
var ErrFormat = errors.New("npy format")

func formatErrorf(format string, args ...any) error {
	return kinderr.Errorf(ErrFormat, format, args...)
}

// MaxBytes bounds the data of one array read by Read, ReadNPZ and OpenNPZ
// so a corrupt header is reported rather than exhausting memory. ReadMax,
// ReadNPZMax and OpenNPZMax take the bound instead.
const MaxBytes = 1 << 34

// ErrTooLarge is wrapped by every error about an array whose declared size
// is over the reader's bound (see SizeError).
var ErrTooLarge = errors.New("npy array too large")

// SizeError reports an array (or an .npz entry) whose header declares more
// bytes than the reader's bound, found before anything was allocated.
type SizeError struct {
	What  string // what declared it, e.g. "shape (1000000, 28, 28) of <f4"
	Bytes int64  // the declared size (saturated at MaxInt64)
	Limit int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s needs %d bytes, more than the limit of %d", e.What, e.Bytes, e.Limit)
}

// Is reports ErrTooLarge, and ErrFormat: the input is unsupported (or its
// header corrupt).
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge || target == ErrFormat }

var magic = []byte("\x93NUMPY")

// Array is one NumPy array: its dtype (kind and item size), shape, and
// raw element bytes in C order and little-endian byte order.
type Array struct {
	// Kind is the dtype kind: 'u' unsigned, 'i' signed, 'f' float,
	// 'b' bool, 'U' unicode string (UTF-32), 'S' byte string.
	Kind byte
	// ItemSize is the bytes per element (for 'U', 4 per character).
	ItemSize int
	Shape    []int
	Data     []byte
}

// Len is the number of elements (the product of Shape).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Dtype returns the NumPy descr of the array, such as "<f4" or "|u1".
func (a *Array) Dtype() string {
	order := "<"
	if a.ItemSize == 1 && a.Kind != 'U' || a.Kind == 'S' || a.Kind == 'b' {
		order = "|"
	}
	size := a.ItemSize
	if a.Kind == 'U' {
		size /= 4
	}
	return fmt.Sprintf("%s%c%d", order, a.Kind, size)
}

// IsFloat reports a floating-point dtype.
func (a *Array) IsFloat() bool { return a.Kind == 'f' }

// IsInt reports an integer (or bool) dtype.
func (a *Array) IsInt() bool { return a.Kind == 'u' || a.Kind == 'i' || a.Kind == 'b' }

// Float64s returns the elements of a numeric array as float64.
func (a *Array) Float64s() ([]float64, error) {
	n := a.Len()
	out := make([]float64, n)
	d := a.Data
	switch {
	case a.Kind == 'f' && a.ItemSize == 4:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case a.Kind == 'f' && a.ItemSize == 8:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:]))
		}
	case a.Kind == 'f' && a.ItemSize == 2:
		for i := range out {
			out[i] = float64(halfToFloat(binary.LittleEndian.Uint16(d[2*i:])))
		}
	case a.IsInt():
		ints, err := a.Int64s()
		if err != nil {
			return nil, err
		}
		for i, v := range ints {
			out[i] = float64(v)
		}
	default:
		return nil, formatErrorf("dtype %s is not numeric", a.Dtype())
	}
	return out, nil
}

// Int64s returns the elements of an integer or bool array as int64.
// Unsigned 64-bit values above the int64 range are an error.
func (a *Array) Int64s() ([]int64, error) {
	n := a.Len()
	out := make([]int64, n)
	d := a.Data
	switch {
	case a.Kind == 'b' || a.Kind == 'u' && a.ItemSize == 1:
		for i := range out {
			out[i] = int64(d[i])
		}
	case a.Kind == 'i' && a.ItemSize == 1:
		for i := range out {
			out[i] = int64(int8(d[i]))
		}
	case a.Kind == 'u' && a.ItemSize == 2:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case a.Kind == 'i' && a.ItemSize == 2:
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(d[2*i:])))
		}
	case a.Kind == 'u' && a.ItemSize == 4:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case a.Kind == 'i' && a.ItemSize == 4:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case a.Kind == 'u' && a.ItemSize == 8:
		for i := range out {
			v := binary.LittleEndian.Uint64(d[8*i:])
			if v > math.MaxInt64 {
				return nil, formatErrorf("element %d (%d) overflows int64", i, v)
			}
			out[i] = int64(v)
		}
	case a.Kind == 'i' && a.ItemSize == 8:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(d[8*i:]))
		}
	default:
		return nil, formatErrorf("dtype %s is not an integer type", a.Dtype())
	}
	return out, nil
}

// Strings returns the elements of a 'U' or 'S' array, trailing NULs
// removed.
func (a *Array) Strings() ([]string, error) {
	if a.Kind != 'U' && a.Kind != 'S' {
		return nil, formatErrorf("dtype %s is not a string type", a.Dtype())
	}
	out := make([]string, a.Len())
	for i := range out {
		item := a.Data[i*a.ItemSize : (i+1)*a.ItemSize]
		if a.Kind == 'S' {
			out[i] = string(bytes.TrimRight(item, "\x00"))
			continue
		}
		var sb strings.Builder
		for k := 0; k+4 <= len(item); k += 4 {
			r := rune(binary.LittleEndian.Uint32(item[k:]))
			if r == 0 {
				break
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		out[i] = sb.String()
	}
	return out, nil
}

// FromUint8 makes a |u1 array.
func FromUint8(shape []int, v []uint8) *Array {
	return &Array{Kind: 'u', ItemSize: 1, Shape: shape, Data: append([]byte(nil), v...)}
}

// FromFloat32 makes a <f4 array.
func FromFloat32(shape []int, v []float32) *Array {
	d := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(d[4*i:], math.Float32bits(x))
	}
	return &Array{Kind: 'f', ItemSize: 4, Shape: shape, Data: d}
}

// FromFloat64 makes a <f8 array.
func FromFloat64(shape []int, v []float64) *Array {
	d := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(d[8*i:], math.Float64bits(x))
	}
	return &Array{Kind: 'f', ItemSize: 8, Shape: shape, Data: d}
}

// FromInt64 makes a <i8 array.
func FromInt64(shape []int, v []int64) *Array {
	d := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(d[8*i:], uint64(x))
	}
	return &Array{Kind: 'i', ItemSize: 8, Shape: shape, Data: d}
}

// FromStrings makes a <U array as wide as the longest string.
func FromStrings(v []string) *Array {
	width := 1
	for _, s := range v {
		width = max(width, utf8.RuneCountInString(s))
	}
	d := make([]byte, 4*width*len(v))
	for i, s := range v {
		k := 0
		for _, r := range s {
			binary.LittleEndian.PutUint32(d[4*(i*width+k):], uint32(r))
			k++
		}
	}
	return &Array{Kind: 'U', ItemSize: 4 * width, Shape: []int{len(v)}, Data: d}
}

// Read reads one .npy array of at most MaxBytes of data.
func Read(r io.Reader) (*Array, error) { return ReadMax(r, MaxBytes) }

// ReadMax reads one .npy array, refusing with a *SizeError, before
// allocating, one whose header declares more than maxBytes of data.
func ReadMax(r io.Reader, maxBytes int64) (*Array, error) {
	br := bufio.NewReader(r)
	var pre [8]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, truncated(err, "the magic string")
	}
	if !bytes.Equal(pre[:6], magic) {
		return nil, formatErrorf("not a .npy file (no \\x93NUMPY magic string); save the array with numpy.save")
	}
	major := pre[6]
	var hlen int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, truncated(err, "the header length")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, truncated(err, "the header length")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
		if hlen > 1<<20 {
			return nil, formatErrorf("header length %d is implausibly large; the file is corrupt", hlen)
		}
	default:
		return nil, formatErrorf(".npy format version %d.%d is not supported (1.0 to 3.0 are); re-save with numpy.save", major, pre[7])
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(br, header); err != nil {
		return nil, truncated(err, "the header")
	}
	h, err := parseHeader(string(header))
	if err != nil {
		return nil, err
	}
	a, order, err := parseDescr(h.descr)
	if err != nil {
		return nil, err
	}
	a.Shape = h.shape
	total := int64(a.ItemSize)
	for _, d := range h.shape {
		hi, lo := bits.Mul64(uint64(total), uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			total = math.MaxInt64
		} else {
			total = int64(lo)
		}
	}
	if total > maxBytes {
		return nil, &SizeError{What: fmt.Sprintf("shape %s of %s", shapeString(h.shape), h.descr), Bytes: total, Limit: maxBytes}
	}
	data, got, err := readData(br, total)
	if err != nil {
		return nil, err
	}
	if got < total {
		return nil, formatErrorf("truncated: shape %v of %s needs %d bytes but the file holds %d; re-save the array", h.shape, h.descr, total, got)
	}
	if n, _ := io.ReadFull(br, make([]byte, 1)); n > 0 {
		return nil, formatErrorf("more data than shape %v of %s needs; the header is corrupt", h.shape, h.descr)
	}
	if order == '>' {
		swapBytes(data, a.elemWidth())
	}
	if h.fortran && len(h.shape) > 1 {
		data = fortranToC(data, h.shape, a.ItemSize)
	}
	a.Data = data
	return a, nil
}

// firstChunk is what readData reads before trusting a declared size.
const firstChunk = 64 << 20

// readData reads the total bytes a header declares, returning fewer (and
// how many arrived) when the input ends early. It allocates the declared
// size only once the first chunk has arrived, so a header that overstates
// costs at most that chunk, and a large array is read into one buffer of
// its size (not grown by doubling, which needed twice the memory).
func readData(r io.Reader, total int64) ([]byte, int64, error) {
	data := make([]byte, min(total, firstChunk))
	n, err := io.ReadFull(r, data)
	if err == nil && total > firstChunk {
		full := make([]byte, total)
		copy(full, data)
		data = full
		var m int
		m, err = io.ReadFull(r, data[n:])
		n += m
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return data[:n], int64(n), nil
	}
	return data, int64(n), err
}

// elemWidth is the width of one byte-swappable unit.
func (a *Array) elemWidth() int {
	if a.Kind == 'U' {
		return 4
	}
	if a.Kind == 'S' {
		return 1
	}
	return a.ItemSize
}

func truncated(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return formatErrorf("truncated: the file ends inside %s; re-save the array", what)
	}
	return err
}

func swapBytes(d []byte, w int) {
	if w <= 1 {
		return
	}
	for i := 0; i+w <= len(d); i += w {
		for a, b := i, i+w-1; a < b; a, b = a+1, b-1 {
			d[a], d[b] = d[b], d[a]
		}
	}
}

// fortranToC reorders column-major elements into row-major order.
func fortranToC(d []byte, shape []int, size int) []byte {
	n := len(d) / size
	out := make([]byte, len(d))
	nd := len(shape)
	idx := make([]int, nd)
	// Walk C order; compute the Fortran offset of each index.
	fstride := make([]int, nd)
	s := 1
	for k := range nd {
		fstride[k] = s
		s *= shape[k]
	}
	for i := range n {
		off := 0
		for k := range nd {
			off += idx[k] * fstride[k]
		}
		copy(out[i*size:(i+1)*size], d[off*size:(off+1)*size])
		for k := nd - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

func parseDescr(descr string) (*Array, byte, error) {
	if len(descr) < 2 {
		return nil, 0, formatErrorf("dtype %q is not a simple dtype; save a plain numeric array", descr)
	}
	order := descr[0]
	rest := descr[1:]
	switch order {
	case '<', '>', '|', '=':
	default:
		order = '|'
		rest = descr
	}
	if order == '=' {
		order = '<'
	}
	kind := rest[0]
	size, err := strconv.Atoi(rest[1:])
	if err != nil || size <= 0 || size > 1<<16 {
		return nil, 0, formatErrorf("dtype %q is not supported; use uint8, integers, float16/32/64, bool or strings", descr)
	}
	switch kind {
	case 'u', 'i':
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return nil, 0, formatErrorf("integer dtype %q is not supported", descr)
		}
	case 'f':
		if size != 2 && size != 4 && size != 8 {
			return nil, 0, formatErrorf("float dtype %q is not supported; use float16, float32 or float64", descr)
		}
	case 'b':
		if size != 1 {
			return nil, 0, formatErrorf("bool dtype %q is not supported", descr)
		}
	case 'U':
		size *= 4
	case 'S':
	default:
		return nil, 0, formatErrorf("dtype %q (kind %q) is not supported; use uint8, integers, floats, bool or strings (object arrays cannot be read)", descr, kind)
	}
	return &Array{Kind: kind, ItemSize: size}, order, nil
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		f := float32(frac) / 1024 / 16384
		if sign != 0 {
			return -f
		}
		return f
	case exp == 31:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// Write writes a as a version 1.0 .npy file.
func Write(w io.Writer, a *Array) error {
	if len(a.Data) != a.Len()*a.ItemSize {
		return fmt.Errorf("npy.Write: %d data bytes for shape %v of %s", len(a.Data), a.Shape, a.Dtype())
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", a.Dtype(), shapeString(a.Shape))
	// Pad with spaces so the data starts on a 64-byte boundary.
	total := len(magic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy.Write: header too long")
	}
	var pre bytes.Buffer
	pre.Write(magic)
	pre.Write([]byte{1, 0})
	binary.Write(&pre, binary.LittleEndian, uint16(len(header)))
	pre.WriteString(header)
	if _, err := w.Write(pre.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(a.Data)
	return err
}

// shapeString writes a shape as Python does: (2, 3), (5,) or ().
func shapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}
