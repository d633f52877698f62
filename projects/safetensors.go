package projects

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Size limits Open enforces before it allocates anything a file declares.
const (
	// MaxManifestBytes bounds manifest.json.
	MaxManifestBytes = 64 << 20
	// MaxTensorHeaderBytes bounds the JSON header of tensors.safetensors.
	MaxTensorHeaderBytes = 64 << 20
	// MaxTensorBytes bounds tensors.safetensors as a whole (16 GiB).
	MaxTensorBytes int64 = 16 << 30
	// MaxTensorNameBytes bounds one tensor name.
	MaxTensorNameBytes = 1024
	// MaxDims bounds the rank of a tensor.
	MaxDims = 16
)

// maxElements bounds the elements of one tensor (and of all of them).
var maxElements = int(min(MaxTensorBytes/4, int64(math.MaxInt/4)))

const metadataKey = "__metadata__"

// littleEndian is true on hosts whose float32 memory layout is the file's,
// where tensor data is copied without conversion.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// ValidTensorName reports why name cannot name a tensor, or nil. A name is a
// slash-separated path of non-empty segments of printable UTF-8, without "."
// or ".." segments or backslashes (exporters use names as file names), at
// most MaxTensorNameBytes long, and not "__metadata__".
func ValidTensorName(name string) error {
	switch {
	case name == "":
		return errors.New("tensor name is empty")
	case len(name) > MaxTensorNameBytes:
		return fmt.Errorf("tensor name %q... is longer than %d bytes", name[:32], MaxTensorNameBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("tensor name %q is not valid UTF-8", name)
	case name == metadataKey:
		return fmt.Errorf("tensor name %q is reserved", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("tensor name %q contains a control character or a backslash", name)
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("tensor name %q has an empty, \".\" or \"..\" path segment", name)
		}
	}
	return nil
}

// checkTensor reports why t cannot be stored, or nil.
func checkTensor(name string, t Tensor) error {
	if err := ValidTensorName(name); err != nil {
		return err
	}
	if len(t.Shape) > MaxDims {
		return fmt.Errorf("tensor %q has %d dimensions; at most %d are allowed", name, len(t.Shape), MaxDims)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q has a negative dimension in shape %v", name, t.Shape)
		}
		if d != 0 && n > maxElements/d {
			return fmt.Errorf("tensor %q of shape %v is larger than %d bytes", name, t.Shape, MaxTensorBytes)
		}
		n *= d
	}
	if n != len(t.Data) {
		return fmt.Errorf("tensor %q has shape %v (%d values) but holds %d values", name, t.Shape, n, len(t.Data))
	}
	return nil
}

type tensorHeaderEntry struct {
	Dtype       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// safetensorsHeader checks the tensors and returns the JSON header that
// writeSafetensors writes, padded.
func safetensorsHeader(tensors map[string]Tensor) ([]byte, error) {
	names := make([]string, 0, len(tensors))
	total := 0
	for name, t := range tensors {
		if err := checkTensor(name, t); err != nil {
			return nil, err
		}
		if len(t.Data) > maxElements-total/4 {
			return nil, fmt.Errorf("the tensors add up to more than %d bytes", MaxTensorBytes)
		}
		total += 4 * len(t.Data)
		names = append(names, name)
	}
	slices.Sort(names)
	hdr := make(map[string]any, len(names)+1)
	hdr[metadataKey] = map[string]string{"writer": "workbench"}
	off := 0
	for _, name := range names {
		t := tensors[name]
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		n := 4 * len(t.Data)
		hdr[name] = tensorHeaderEntry{Dtype: "F32", Shape: shape, DataOffsets: [2]int{off, off + n}}
		off += n
	}
	b, err := json.Marshal(hdr)
	if err != nil {
		return nil, err
	}
	// Pad with spaces so the data starts 8-byte aligned, as the reference
	// implementation does.
	for (8+len(b))%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > MaxTensorHeaderBytes {
		return nil, fmt.Errorf("there are too many tensors: their header is %d bytes, more than %d", len(b), MaxTensorHeaderBytes)
	}
	return b, nil
}

// writeSafetensors writes tensors in the safetensors layout: an 8-byte
// little-endian header length, the JSON header, then each tensor's float32
// values, little-endian, in sorted name order.
func writeSafetensors(w io.Writer, tensors map[string]Tensor) error {
	hdr, err := safetensorsHeader(tensors)
	if err != nil {
		return err
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hdr)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	var buf []byte
	for _, name := range names {
		data := tensors[name].Data
		if len(data) == 0 {
			continue
		}
		if littleEndian {
			if _, err := w.Write(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))); err != nil {
				return err
			}
			continue
		}
		if buf == nil {
			buf = make([]byte, 64<<10)
		}
		for len(data) > 0 {
			k := min(len(data), len(buf)/4)
			for i, v := range data[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*k]); err != nil {
				return err
			}
			data = data[k:]
		}
	}
	return nil
}

type parsedEntry struct {
	name       string
	shape      []int
	begin, end int64
}

// growElems is the step in which tensors of a compressed entry grow.
const growElems = 1 << 20

// readSafetensors reads a safetensors stream of size bytes. size has been
// checked against the real file: exactly when exact (a stored entry), or
// against the most compression can expand it.
func readSafetensors(r io.Reader, size int64, exact bool) (map[string]Tensor, error) {
	if size < 8 {
		return nil, corruptf(nil, "tensors.safetensors is %d bytes, shorter than its 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, corruptf(err, "cannot read tensors.safetensors")
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > uint64(size-8) {
		return nil, corruptf(nil, "tensors.safetensors declares a %d-byte header but holds only %d bytes after the length", hlen, size-8)
	}
	if hlen > MaxTensorHeaderBytes {
		return nil, unsafef("tensors.safetensors declares a %d-byte header, more than the %d bytes allowed", hlen, MaxTensorHeaderBytes)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, corruptf(err, "cannot read the tensors.safetensors header")
	}
	dataLen := size - 8 - int64(hlen)
	entries, err := parseSafetensorsHeader(hdr, dataLen)
	if err != nil {
		return nil, err
	}
	tensors := make(map[string]Tensor, len(entries))
	var buf []byte
	for _, e := range entries {
		n := int((e.end - e.begin) / 4)
		var data []float32
		if exact {
			data = make([]float32, n)
			err = readFloats(r, data, &buf)
		} else {
			// A compressed entry's size is bounded only by the compression
			// ratio: grow with the data that actually arrives.
			data = make([]float32, 0, min(n, growElems))
			for err == nil && len(data) < n {
				k := min(n-len(data), growElems)
				data = slices.Grow(data, k)[:len(data)+k]
				err = readFloats(r, data[len(data)-k:], &buf)
			}
		}
		if err != nil {
			return nil, corruptf(err, "cannot read the data of tensor %q", e.name)
		}
		tensors[e.name] = Tensor{Shape: e.shape, Data: data}
	}
	return tensors, nil
}

// readFloats fills dst with little-endian float32 values from r.
func readFloats(r io.Reader, dst []float32, buf *[]byte) error {
	if len(dst) == 0 {
		return nil
	}
	if littleEndian {
		_, err := io.ReadFull(r, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)))
		return err
	}
	if *buf == nil {
		*buf = make([]byte, 64<<10)
	}
	b := *buf
	for i := 0; i < len(dst); {
		k := min(len(dst)-i, len(b)/4)
		if _, err := io.ReadFull(r, b[:4*k]); err != nil {
			return err
		}
		for j := range k {
			dst[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
		}
		i += k
	}
	return nil
}

// parseSafetensorsHeader checks the header against the dataLen bytes of data
// that follow it and returns the tensors in data order.
func parseSafetensorsHeader(hdr []byte, dataLen int64) ([]parsedEntry, error) {
	bad := func(err error, format string, args ...any) error {
		return invalidf(err, "tensors.safetensors header: "+format, args...)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, bad(err, "not a JSON object")
	}
	var entries []parsedEntry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad(err, "not valid JSON")
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, bad(err, "not valid JSON")
		}
		if seen[name] {
			return nil, bad(nil, "tensor %q appears twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			var meta map[string]string
			if err := json.Unmarshal(raw, &meta); err != nil {
				return nil, bad(err, "__metadata__ must map strings to strings")
			}
			continue
		}
		if err := ValidTensorName(name); err != nil {
			return nil, bad(nil, "%v", err)
		}
		e, err := parseEntry(name, raw, dataLen)
		if err != nil {
			return nil, bad(nil, "%v", err)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, bad(err, "not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad(err, "unexpected data after the JSON object")
	}
	slices.SortFunc(entries, func(a, b parsedEntry) int {
		if a.begin != b.begin {
			return cmpInt64(a.begin, b.begin)
		}
		return cmpInt64(a.end, b.end)
	})
	var end int64
	for _, e := range entries {
		switch {
		case e.begin < end:
			return nil, bad(nil, "the data of tensor %q overlaps another tensor's", e.name)
		case e.begin > end:
			return nil, bad(nil, "there is a gap of %d bytes before the data of tensor %q", e.begin-end, e.name)
		}
		end = e.end
	}
	if end != dataLen {
		return nil, bad(nil, "the tensors cover %d bytes of data but the file holds %d", end, dataLen)
	}
	return entries, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseEntry(name string, raw json.RawMessage, dataLen int64) (parsedEntry, error) {
	var fields struct {
		Dtype       *string       `json:"dtype"`
		Shape       []json.Number `json:"shape"`
		DataOffsets []json.Number `json:"data_offsets"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&fields); err != nil {
		return parsedEntry{}, fmt.Errorf("tensor %q: wrong JSON types (%v)", name, err)
	}
	if fields.Dtype == nil || fields.Shape == nil || fields.DataOffsets == nil {
		return parsedEntry{}, fmt.Errorf("tensor %q lacks dtype, shape or data_offsets", name)
	}
	switch *fields.Dtype {
	case "F32":
	case "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2":
		return parsedEntry{}, fmt.Errorf("tensor %q has dtype %s; project files store F32 only (convert the tensor to float32)", name, *fields.Dtype)
	default:
		return parsedEntry{}, fmt.Errorf("tensor %q has unknown dtype %q", name, truncateForMessage(*fields.Dtype))
	}
	if len(fields.Shape) > MaxDims {
		return parsedEntry{}, fmt.Errorf("tensor %q has %d dimensions; at most %d are allowed", name, len(fields.Shape), MaxDims)
	}
	shape := make([]int, len(fields.Shape))
	elems := int64(1)
	for i, s := range fields.Shape {
		d, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || d < 0 {
			return parsedEntry{}, fmt.Errorf("tensor %q has shape entry %s, which is not a whole number ≥ 0", name, truncateForMessage(string(s)))
		}
		if d != 0 && elems > int64(maxElements)/d {
			return parsedEntry{}, fmt.Errorf("tensor %q declares shape %v, more than %d bytes", name, fields.Shape, MaxTensorBytes)
		}
		elems *= d
		shape[i] = int(d)
	}
	if len(fields.DataOffsets) != 2 {
		return parsedEntry{}, fmt.Errorf("tensor %q has %d data_offsets; there must be 2 (begin, end)", name, len(fields.DataOffsets))
	}
	var off [2]int64
	for i, s := range fields.DataOffsets {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || v < 0 {
			return parsedEntry{}, fmt.Errorf("tensor %q has data offset %s, which is not a whole number ≥ 0", name, truncateForMessage(string(s)))
		}
		off[i] = v
	}
	if off[0] > off[1] || off[1] > dataLen {
		return parsedEntry{}, fmt.Errorf("tensor %q has data offsets [%d, %d] outside the %d bytes of data", name, off[0], off[1], dataLen)
	}
	if off[1]-off[0] != 4*elems {
		return parsedEntry{}, fmt.Errorf("tensor %q has shape %v (%d bytes as F32) but data offsets [%d, %d] (%d bytes)", name, shape, 4*elems, off[0], off[1], off[1]-off[0])
	}
	return parsedEntry{name: name, shape: shape, begin: off[0], end: off[1]}, nil
}
