package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// npyErr turns the npy package's format and size errors into bad-input
// errors.
func npyErr(err error) error {
	var se *npy.SizeError
	if errors.As(err, &se) {
		return arrayBytesError(fmt.Sprintf("%s declares %s", se.What, formatBytes(se.Bytes)), se.Limit)
	}
	if errors.Is(err, npy.ErrFormat) {
		return badInputf("%v", err)
	}
	return err
}

// ImagesFromArray converts a NumPy image array to uint8 CHW images. It
// accepts (N,H,W) grey images, (N,H,W,C) and (N,C,H,W) with C of 1 or 3
// (channels-last when the last axis is 1 or 3, else channels-first).
// uint8 values are kept; other integers must lie in 0-255; floats whose
// maximum is at most 1 are taken as 0-1 and scaled by 255, else as 0-255.
func ImagesFromArray(a *npy.Array) (n, c, h, w int, pix []uint8, err error) {
	s := a.Shape
	nchw := false
	switch len(s) {
	case 3:
		n, c, h, w = s[0], 1, s[1], s[2]
	case 4:
		switch {
		case s[3] == 1 || s[3] == 3:
			n, h, w, c = s[0], s[1], s[2], s[3]
		case s[1] == 1 || s[1] == 3:
			n, c, h, w = s[0], s[1], s[2], s[3]
			nchw = true
		default:
			return 0, 0, 0, 0, nil, badInputf("image array shape %v has neither 1 nor 3 channels on axis 1 (NCHW) or axis 3 (NHWC); convert to grey or RGB", s)
		}
	default:
		return 0, 0, 0, 0, nil, badInputf("image array has shape %v; expected (N,H,W), (N,H,W,C) or (N,C,H,W)", s)
	}
	if h == 0 || w == 0 {
		return 0, 0, 0, 0, nil, badInputf("image array shape %v has empty images", s)
	}
	total := n * c * h * w
	vals := make([]uint8, total)
	// Wider dtypes are converted a chunk at a time, so a large array
	// never exists a second time as int64 or float64.
	chunk := func(start int) *npy.Array {
		m := min(convertChunk, total-start)
		return &npy.Array{Kind: a.Kind, ItemSize: a.ItemSize, Shape: []int{m}, Data: a.Data[start*a.ItemSize : (start+m)*a.ItemSize]}
	}
	switch {
	case a.Kind == 'u' && a.ItemSize == 1:
		copy(vals, a.Data)
	case a.IsInt():
		for start := 0; start < total; start += convertChunk {
			ints, err := chunk(start).Int64s()
			if err != nil {
				return 0, 0, 0, 0, nil, npyErr(err)
			}
			for k, v := range ints {
				if v < 0 || v > 255 {
					return 0, 0, 0, 0, nil, badInputf("integer pixel %d at element %d is outside 0-255; store images as uint8 or floats", v, start+k)
				}
				vals[start+k] = uint8(v)
			}
		}
	case a.IsFloat():
		mx := 0.0
		buf := make([]float64, min(convertChunk, total))
		for start := 0; start < total; start += convertChunk {
			fs, err := floatChunk(chunk(start), buf)
			if err != nil {
				return 0, 0, 0, 0, nil, npyErr(err)
			}
			for k, v := range fs {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return 0, 0, 0, 0, nil, badInputf("pixel element %d is %v; replace NaN/Inf values before saving", start+k, v)
				}
				mx = math.Max(mx, v)
			}
		}
		scale := 1.0
		if mx <= 1.0 {
			scale = 255
		}
		for start := 0; start < total; start += convertChunk {
			fs, _ := floatChunk(chunk(start), buf)
			for k, v := range fs {
				vals[start+k] = uint8(math.Round(math.Min(math.Max(v*scale, 0), 255)))
			}
		}
	default:
		return 0, 0, 0, 0, nil, badInputf("image array has dtype %s; store images as uint8 or float32/float64", a.Dtype())
	}
	if c == 1 || nchw {
		return n, c, h, w, vals, nil
	}
	pix = make([]uint8, total)
	plane := h * w
	for i := range n {
		src := vals[i*plane*c : (i+1)*plane*c]
		dst := pix[i*plane*c : (i+1)*plane*c]
		for p := range plane {
			for ch := range c {
				dst[ch*plane+p] = src[p*c+ch]
			}
		}
	}
	return n, c, h, w, pix, nil
}

// convertChunk is how many elements ImagesFromArray widens at a time.
const convertChunk = 1 << 20

// floatChunk widens a float array into buf (reused, so converting a large
// array makes no garbage) for float32 and float64, and through Float64s
// for float16.
func floatChunk(a *npy.Array, buf []float64) ([]float64, error) {
	n := a.Len()
	out := buf[:n]
	switch a.ItemSize {
	case 4:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(a.Data[4*i:])))
		}
	case 8:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(a.Data[8*i:]))
		}
	default:
		return a.Float64s()
	}
	return out, nil
}

// LabelsFromArray converts a 1-D (or N x 1) integer label array.
func LabelsFromArray(a *npy.Array) ([]int32, error) {
	if len(a.Shape) == 2 && a.Shape[1] != 1 || len(a.Shape) > 2 || len(a.Shape) == 0 {
		return nil, badInputf("label array has shape %v; expected (N,) integer class indices (convert one-hot labels with argmax)", a.Shape)
	}
	var ints []int64
	switch {
	case a.IsInt():
		v, err := a.Int64s()
		if err != nil {
			return nil, npyErr(err)
		}
		ints = v
	case a.IsFloat():
		fs, err := a.Float64s()
		if err != nil {
			return nil, npyErr(err)
		}
		ints = make([]int64, len(fs))
		for i, f := range fs {
			if f != math.Trunc(f) {
				return nil, badInputf("label %v at index %d is not a whole number; store labels as integers", f, i)
			}
			ints[i] = int64(f)
		}
	default:
		return nil, badInputf("label array has dtype %s; store labels as integers", a.Dtype())
	}
	out := make([]int32, len(ints))
	for i, v := range ints {
		if v < 0 || v > 1<<20 {
			return nil, badInputf("label %d at index %d is not a class index (0, 1, ...); relabel the classes from 0", v, i)
		}
		out[i] = int32(v)
	}
	return out, nil
}

// arraysToDataset builds a dataset from arrays named x_train, y_train,
// x_test, y_test (optionally x_val, y_val and classes), names matched
// without regard to case.
func arraysToDataset(arrays map[string]*npy.Array, format string) (*Dataset, error) {
	lower := map[string]*npy.Array{}
	var keys []string
	for k, v := range arrays {
		lower[strings.ToLower(k)] = v
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if lower["x_train"] == nil || lower["y_train"] == nil {
		return nil, badInputf("no x_train and y_train arrays (found: %s); save with numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)", strings.Join(keys, ", "))
	}
	ds := &Dataset{Format: format}
	var classes []string
	for _, k := range []string{"classes", "class_names"} {
		if a := lower[k]; a != nil {
			names, err := a.Strings()
			if err != nil {
				return nil, badInputf("%s array has dtype %s; store class names as strings", k, a.Dtype())
			}
			classes = names
		}
	}
	maxLabel := int32(-1)
	for _, sp := range []string{"train", "val", "test"} {
		xa, ya := lower["x_"+sp], lower["y_"+sp]
		if xa == nil && ya == nil {
			continue
		}
		if xa == nil || ya == nil {
			return nil, badInputf("x_%s and y_%s must both be present; add the missing array", sp, sp)
		}
		n, c, h, w, pix, err := ImagesFromArray(xa)
		if err != nil {
			return nil, fmt.Errorf("x_%s: %w", sp, err)
		}
		xa.Data = nil // converted: let a large array go before the next

		lab, err := LabelsFromArray(ya)
		if err != nil {
			return nil, fmt.Errorf("y_%s: %w", sp, err)
		}
		if len(lab) != n {
			return nil, badInputf("y_%s has %d labels but x_%s has %d images; they must match", sp, len(lab), sp, n)
		}
		for _, l := range lab {
			maxLabel = max(maxLabel, l)
		}
		s := &Set{C: c, H: h, W: w, Images: pix, Labels: lab}
		switch sp {
		case "train":
			ds.Train = s
		case "val":
			ds.Val = s
		case "test":
			ds.Test = s
		}
	}
	if classes == nil {
		classes = make([]string, maxLabel+1)
		for i := range classes {
			classes[i] = fmt.Sprint(i)
		}
	}
	for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
		if s == nil {
			continue
		}
		if s.C != ds.Train.C || s.H != ds.Train.H || s.W != ds.Train.W {
			return nil, badInputf("x_train images are %dx%dx%d but another split's are %dx%dx%d; save all splits with the same shape", ds.Train.C, ds.Train.H, ds.Train.W, s.C, s.H, s.W)
		}
		s.Classes = classes
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

func readNPZDataset(path string, maxBytes int64, prog *progress) (*Dataset, error) {
	if st, err := os.Stat(path); err == nil {
		prog.setTotal(st.Size())
		defer prog.add(st.Size())
	}
	arrays, err := npy.OpenNPZMax(path, maxBytes)
	if err != nil {
		return nil, inFile(path, npyErr(err))
	}
	ds, err := arraysToDataset(arrays, "npz")
	return ds, inFile(path, err)
}

// npyFolderFiles finds x_train.npy-style files in dir.
func npyFolderFiles(dir string) map[string]string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if strings.EqualFold(filepath.Ext(name), ".npy") && (e.Type().IsRegular() || !e.IsDir() && regularFile(filepath.Join(dir, name))) {
			out[strings.TrimSuffix(name, filepath.Ext(name))] = filepath.Join(dir, name)
		}
	}
	return out
}

func readNPYFolder(dir string, maxBytes int64, prog *progress) (*Dataset, error) {
	files := npyFolderFiles(dir)
	var total int64
	for _, p := range files {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	prog.setTotal(total)
	arrays := map[string]*npy.Array{}
	for k, p := range files {
		f, err := openRegular(p)
		if err != nil {
			return nil, err
		}
		a, err := npy.ReadMax(prog.reader(f), maxBytes)
		f.Close()
		if err != nil {
			return nil, inFile(p, npyErr(err))
		}
		arrays[k] = a
	}
	ds, err := arraysToDataset(arrays, "npy")
	return ds, inFile(dir, err)
}
