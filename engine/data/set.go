package data

import (
	"errors"

	"github.com/workbench-cv/workbench/internal/kinderr"
)

// Set holds one split as uint8 pixels, CHW per image, images stored one after
// another: image i is Images[i*C*H*W : (i+1)*C*H*W].
type Set struct {
	Classes []string
	C, H, W int
	Images  []uint8 // N*C*H*W
	Labels  []int32
}

// Len is the number of images in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.Labels)
}

// Size is the number of values in one image (C*H*W).
func (s *Set) Size() int { return s.C * s.H * s.W }

// Image returns image i (CHW) as a slice aliasing the set's storage.
func (s *Set) Image(i int) []uint8 {
	n := s.Size()
	return s.Images[i*n : (i+1)*n : (i+1)*n]
}

// ClassCounts returns how many images each class has.
func (s *Set) ClassCounts() []int {
	counts := make([]int, len(s.Classes))
	if s == nil {
		return counts
	}
	for _, l := range s.Labels {
		if int(l) >= 0 && int(l) < len(counts) {
			counts[l]++
		}
	}
	return counts
}

// Subset returns a new set holding the images at idx, in that order. The
// pixels are copied, so the result does not alias s.
func (s *Set) Subset(idx []int) *Set {
	n := s.Size()
	out := &Set{Classes: s.Classes, C: s.C, H: s.H, W: s.W,
		Images: make([]uint8, len(idx)*n), Labels: make([]int32, len(idx))}
	for j, i := range idx {
		copy(out.Images[j*n:(j+1)*n], s.Image(i))
		out.Labels[j] = s.Labels[i]
	}
	return out
}

// Validate checks that the set is internally consistent: sizes, pixel count
// and labels within the class list.
func (s *Set) Validate() error {
	if s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return badInputf("image shape %dx%dx%d is not positive; the reader produced no usable images", s.C, s.H, s.W)
	}
	if len(s.Images) != len(s.Labels)*s.Size() {
		return badInputf("%d pixel values for %d labels of %dx%dx%d images; the label count must equal the image count", len(s.Images), len(s.Labels), s.C, s.H, s.W)
	}
	for i, l := range s.Labels {
		if l < 0 || int(l) >= len(s.Classes) {
			return badInputf("label %d of image %d is outside the %d classes; check the labels file matches the images", l, i, len(s.Classes))
		}
	}
	return nil
}

// Dataset is a loaded dataset: the three splits (Val may be empty) plus what
// was skipped while reading.
type Dataset struct {
	Name, Format     string
	Train, Val, Test *Set
	// Skipped lists images that could not be decoded, as "path: reason".
	Skipped []string
	// Notes are human-readable remarks about decisions taken while loading
	// (for example a test split held out because the source had none).
	Notes []string
}

// ErrBadInput is wrapped by every error caused by the input data or the
// dataset specification (as opposed to I/O failures or cancellation), so a
// command can report it as bad input (exit code 2).
var ErrBadInput = errors.New("bad input")

func badInputf(format string, args ...any) error {
	return kinderr.Errorf(ErrBadInput, format, args...)
}

// inFile prefixes a bad-input error with the file it came from, keeping it
// a bad-input error.
func inFile(name string, err error) error {
	if err == nil {
		return nil
	}
	return &inFileError{name: name, err: err}
}

// inFileError prefixes an error with a file name, keeping what it wraps
// (bad input, a limit) visible to errors.Is.
type inFileError struct {
	name string
	err  error
}

func (e *inFileError) Error() string { return e.name + ": " + e.err.Error() }
func (e *inFileError) Unwrap() error { return e.err }
