package data

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LazySet is a split of an image folder or zip whose images are decoded
// when read, so datasets larger than memory can be streamed through the
// Loader. Labels come from the class folders, so splits and subsets need
// no decoding.
type LazySet struct {
	classes []string
	c, h, w int
	size    int // resize target; 0: images must already be h x w
	limits  Limits
	entries []imageEntry
	labels  []int32
}

// Stream is a dataset opened for streaming by OpenStream.
type Stream struct {
	Name, Format     string
	Train, Val, Test *LazySet
	Notes            []string
	closer           io.Closer
}

// Close releases the zip file, if any. The sets cannot be read afterwards.
func (st *Stream) Close() error {
	if st.closer == nil {
		return nil
	}
	return st.closer.Close()
}

// Len is the number of images.
func (l *LazySet) Len() int { return len(l.entries) }

// Shape is the shape every image is decoded to.
func (l *LazySet) Shape() (c, h, w int) { return l.c, l.h, l.w }

// ClassNames are the class folder names.
func (l *LazySet) ClassNames() []string { return l.classes }

// Label is image i's class.
func (l *LazySet) Label(i int) int32 { return l.labels[i] }

// Name is image i's path inside the folder or zip.
func (l *LazySet) Name(i int) string { return l.entries[i].name }

// ReadImage decodes image i into dst (C*H*W bytes). It is safe for
// concurrent use.
func (l *LazySet) ReadImage(i int, dst []uint8) error {
	e := l.entries[i]
	var buf bytes.Buffer
	if err := readEntry(&buf, e, l.limits.MaxEntryBytes); err != nil {
		return inFile(e.name, err)
	}
	im, err := decodeImage(buf.Bytes(), l.size, l.limits.MaxImagePixels)
	if err != nil {
		if errors.Is(err, ErrLimit) {
			return inFile(e.name, err)
		}
		return fmt.Errorf("%s: %w", e.name, err)
	}
	if im.h != l.h || im.w != l.w {
		return badInputf("%s is %dx%d but the stream's images are %dx%d; pass a size (--size N) to resize every image", e.name, im.w, im.h, l.w, l.h)
	}
	plane := l.h * l.w
	if l.c == 3 {
		copy(dst, im.pix)
	} else {
		rgbToGrey(dst, im.pix, plane)
	}
	return nil
}

// subset returns the images at idx.
func (l *LazySet) subset(idx []int) *LazySet {
	out := *l
	out.entries = make([]imageEntry, len(idx))
	out.labels = make([]int32, len(idx))
	for j, i := range idx {
		out.entries[j] = l.entries[i]
		out.labels[j] = l.labels[i]
	}
	return &out
}

// OpenStream opens a folder or zip of class folders of images for
// streaming: nothing is decoded up front except one image, which fixes the
// shape when opt.Size is 0 and the channels when opt.Channels is 0 (grey
// if that image is grey, else RGB). Splits and limits follow Load's rules
// (a test split is held out when the source has none). Close the stream
// when done.
func OpenStream(ctx context.Context, path string, opt Options) (*Stream, error) {
	limits, err := opt.Limits.resolve()
	if err != nil {
		return nil, err
	}
	st, err := statInput(path)
	if err != nil {
		return nil, err
	}
	s := &Stream{Name: strings.TrimSuffix(st.Name(), ".zip")}
	var files []fileRef
	var listNotes []string
	if st.IsDir() {
		s.Format = "image-folder"
		if files, listNotes, err = listFolder(path); err != nil {
			return nil, err
		}
	} else {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, badInputf("%s: streaming reads folders and zips of class folders of images; this is not a readable zip (%v)", path, err)
		}
		s.Format, s.closer = "image-zip", zr
		files, listNotes = listZip(&zr.Reader)
	}
	fail := func(err error) (*Stream, error) {
		s.Close()
		return nil, inFile(path, err)
	}
	splits, notes, err := organise(files)
	if err != nil {
		if len(listNotes) > 0 {
			err = badInputf("%v (%s)", err, strings.Join(listNotes, "; "))
		}
		return fail(err)
	}
	s.Notes = append(listNotes, notes...)
	classes := splits[0].classes
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	var sets []*LazySet
	for _, sp := range splits {
		ls := &LazySet{classes: classes, size: opt.Size, limits: limits, entries: sp.entries, labels: make([]int32, len(sp.entries))}
		for i, e := range sp.entries {
			j, ok := index[sp.classes[e.class]]
			if !ok {
				return fail(badInputf("class folder %q is in %s/ but not in %s/; add it to %s/ or remove it", sp.classes[e.class], sp.name, splits[0].name, splits[0].name))
			}
			ls.labels[i] = int32(j)
		}
		sets = append(sets, ls)
		switch sp.name {
		case "", "train":
			s.Train = ls
		case "val":
			s.Val = ls
		case "test":
			s.Test = ls
		}
	}
	if len(classes) < 2 {
		return fail(badInputf("found a single class folder (%s); a classifier needs at least two class folders", classes[0]))
	}
	// One decoded image fixes the shape and channels.
	var probe decodedImage
	var probeErr error
	for i := range s.Train.entries {
		if ctx.Err() != nil {
			s.Close()
			return nil, ctx.Err()
		}
		var buf bytes.Buffer
		err := readEntry(&buf, s.Train.entries[i], limits.MaxEntryBytes)
		if err == nil {
			probe, err = decodeImage(buf.Bytes(), opt.Size, limits.MaxImagePixels)
		}
		if err != nil && errors.Is(err, ErrLimit) {
			return fail(inFile(s.Train.entries[i].name, err))
		}
		if err == nil {
			probeErr = nil
			break
		}
		probeErr = err
	}
	if probeErr != nil {
		return fail(badInputf("no training image could be decoded (%v)", probeErr))
	}
	c := opt.Channels
	if c == 0 {
		c = 3
		if probe.grey {
			c = 1
		}
	}
	for _, ls := range sets {
		ls.c, ls.h, ls.w = c, probe.h, probe.w
	}
	if s.Test == nil {
		n := max(s.Train.Len()/10, 1)
		pick := balancedPickLabels(s.Train.labels, len(classes), n, testHoldOutSeed, streamVal)
		s.Train, s.Test = splitLazy(s.Train, pick)
		s.Notes = append(s.Notes, fmt.Sprintf("the source has no test split: held out %d training images (10%%, class-balanced, fixed seed) as the test split", n))
	}
	switch {
	case s.Val != nil && opt.Val > 0:
		s.Val = s.Val.subset(balancedPickLabels(s.Val.labels, len(classes), min(opt.Val, s.Val.Len()), opt.Seed, streamLimit))
	case s.Val == nil && opt.Val > 0:
		if opt.Val >= s.Train.Len() {
			return fail(badInputf("--val %d leaves no training images (the training split has %d); pass a smaller --val", opt.Val, s.Train.Len()))
		}
		s.Train, s.Val = splitLazy(s.Train, balancedPickLabels(s.Train.labels, len(classes), opt.Val, opt.Seed, streamVal))
	case s.Val == nil:
		s.Val = s.Train.subset(nil)
	}
	if opt.LimitTrain > 0 && opt.LimitTrain < s.Train.Len() {
		s.Train = s.Train.subset(balancedPickLabels(s.Train.labels, len(classes), opt.LimitTrain, opt.Seed, streamLimit))
	}
	if opt.LimitTest > 0 && opt.LimitTest < s.Test.Len() {
		s.Test = s.Test.subset(balancedPickLabels(s.Test.labels, len(classes), opt.LimitTest, opt.Seed, streamLimit))
	}
	return s, nil
}

// splitLazy splits l into the images not in pick and those in pick.
func splitLazy(l *LazySet, pick []int) (rest, held *LazySet) {
	in := make([]bool, l.Len())
	for _, i := range pick {
		in[i] = true
	}
	var keep []int
	for i := range l.Len() {
		if !in[i] {
			keep = append(keep, i)
		}
	}
	return l.subset(keep), l.subset(pick)
}
