package data

import (
	"bytes"
	"errors"
	"testing"
)

// The readers must never panic or over-allocate on arbitrary input, and
// what they accept must be self-consistent. Seed corpora live in
// testdata/fuzz; run for instance go test -fuzz FuzzReadIDX -fuzztime 30s.

func FuzzReadIDX(f *testing.F) {
	s := synthSet(3, 2, 1, 2, 3)
	var img, lab bytes.Buffer
	WriteIDXImages(&img, 3, 2, 3, s.Images)
	WriteIDXLabels(&lab, s.Labels)
	f.Add(img.Bytes(), lab.Bytes())
	f.Add(gz(img.Bytes()), gz(lab.Bytes()))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28}, []byte{0, 0, 8, 1, 0, 0, 0, 1, 5})
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		set, err := ReadIDXPair(bytes.NewReader(images), bytes.NewReader(labels), nil)
		if err != nil {
			return
		}
		if verr := set.Validate(); verr != nil && set.Len() > 0 {
			t.Fatalf("accepted an invalid set: %v", verr)
		}
		if len(set.Images) != set.Len()*set.H*set.W {
			t.Fatalf("%d pixels for %d images of %dx%d", len(set.Images), set.Len(), set.H, set.W)
		}
	})
}

func FuzzReadCIFAR10(f *testing.F) {
	s := synthSet(2, 10, 3, 32, 32)
	var b bytes.Buffer
	WriteCIFAR10Batch(&b, s)
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:3073+100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ReadCIFAR10Batch(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		if set.Len()*3073 != len(data) || set.Validate() != nil {
			t.Fatalf("accepted %d bytes as %d records", len(data), set.Len())
		}
	})
}
