package data

import (
	"fmt"
)

// Source is what the Loader reads: labelled images of one shape, either
// in memory (*Set) or decoded on demand (*LazySet, for image folders and
// zips too large to hold decoded).
type Source interface {
	Len() int
	Shape() (c, h, w int)
	ClassNames() []string
	Label(i int) int32
	// ReadImage writes image i as CHW uint8 into dst (len C*H*W).
	ReadImage(i int, dst []uint8) error
}

// Shape is the image shape (C, H, W).
func (s *Set) Shape() (c, h, w int) { return s.C, s.H, s.W }

// ClassNames returns s.Classes.
func (s *Set) ClassNames() []string { return s.Classes }

// Label returns the label of image i.
func (s *Set) Label(i int) int32 { return s.Labels[i] }

// ReadImage copies image i into dst.
func (s *Set) ReadImage(i int, dst []uint8) error {
	copy(dst, s.Image(i))
	return nil
}

// SampleSet decodes a class-balanced subset of n images of src (chosen
// under seed; all when n <= 0 or n >= src.Len()) into memory, for example
// to compute preprocessing statistics of a LazySet. Images that cannot be
// read are left out and listed in skipped.
func SampleSet(src Source, n int, seed int64) (set *Set, skipped []string, err error) {
	c, h, w := src.Shape()
	labels := make([]int32, src.Len())
	for i := range labels {
		labels[i] = src.Label(i)
	}
	idx := make([]int, src.Len())
	for i := range idx {
		idx[i] = i
	}
	if n > 0 && n < src.Len() {
		idx = balancedPickLabels(labels, len(src.ClassNames()), n, seed, streamLimit)
	}
	d := c * h * w
	set = &Set{Classes: src.ClassNames(), C: c, H: h, W: w, Images: make([]uint8, 0, len(idx)*d)}
	buf := make([]uint8, d)
	for _, i := range idx {
		if err := src.ReadImage(i, buf); err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		set.Images = append(set.Images, buf...)
		set.Labels = append(set.Labels, labels[i])
	}
	if set.Len() == 0 {
		return nil, skipped, badInputf("none of the %d sampled images could be read (first: %s)", len(idx), firstOr(skipped, "none"))
	}
	return set, skipped, nil
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[0]
}

// sourceName describes a source for messages.
func sourceName(src Source) string {
	c, h, w := src.Shape()
	return fmt.Sprintf("%d images of %dx%dx%d", src.Len(), c, h, w)
}
