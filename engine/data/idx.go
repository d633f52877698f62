package data

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
	// maxIDXBytes bounds what a header may claim when no limit is given
	// (ReadIDXPair), so a corrupt header is reported instead of
	// exhausting memory.
	maxIDXBytes = DefaultMaxArrayBytes
)

// maybeGunzip returns a reader that decompresses r if it starts with the
// gzip header, and r's bytes unchanged otherwise.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, badInputf("corrupt gzip header (%v); re-download the file or gunzip it to check", err)
		}
		return zr, nil
	}
	return br, nil
}

// readIDX reads one IDX file (gzipped or not) whose magic must equal want,
// returning its dimensions and the uint8 payload of at most maxBytes.
func readIDX(r io.Reader, want uint32, what string, maxBytes int64) ([]int, []byte, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, nil, err
	}
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, nil, idxReadErr(err, "the 4-byte magic number")
	}
	magic := binary.BigEndian.Uint32(head[:])
	if magic != want {
		hint := ""
		switch magic {
		case idxImagesMagic:
			hint = " (that is an IDX images file: swap the images and labels files)"
		case idxLabelsMagic:
			hint = " (that is an IDX labels file: swap the images and labels files)"
		default:
			if head[0] != 0 || head[1] != 0 {
				hint = " (not an IDX file at all)"
			} else if head[2] != 0x08 {
				hint = fmt.Sprintf(" (element type 0x%02x; only unsigned bytes, 0x08, are supported)", head[2])
			}
		}
		return nil, nil, badInputf("wrong magic number 0x%08x, expected 0x%08x for an IDX %s file%s; pass the %s file (e.g. *-%s-idx%d-ubyte[.gz])",
			magic, want, what, hint, what, what, want&0xff)
	}
	nd := int(head[3])
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, nil, idxReadErr(err, "the dimension sizes")
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		dims[i] = int(d)
		total = mulSat(total, int64(d))
	}
	if total > maxBytes {
		return nil, nil, arrayBytesError(fmt.Sprintf("the header declares dimensions %v, %s", dims, formatBytes(total)), maxBytes)
	}
	payload, extra, err := readPayload(r, total)
	if err != nil {
		return nil, nil, idxReadErr(err, "the data")
	}
	if int64(len(payload)) < total {
		return nil, nil, badInputf("truncated: the header promises %d data bytes for dimensions %v but the file holds %d; re-download the file", total, dims, len(payload))
	}
	if extra {
		return nil, nil, badInputf("the file holds more bytes than its header (dimensions %v) promises; the header or the file is corrupt, re-download it", dims)
	}
	return dims, payload, nil
}

// payloadFirst is the most readPayload allocates before the data has shown
// it is really there: a header that claims gigabytes in a file of a few
// bytes costs this much, not the claim.
const payloadFirst = 8 << 20

// readPayload reads up to total bytes of r straight into their final
// buffer (io.ReadAll's doubling held up to three times the pixels at once:
// Fashion-MNIST's 47 MB of training pixels peaked above 140 MB). The
// buffer starts at payloadFirst bytes and, once those are filled, grows
// once to exactly total. extra reports bytes beyond total.
func readPayload(r io.Reader, total int64) (payload []byte, extra bool, err error) {
	buf := make([]byte, 0, min(total, payloadFirst))
	for int64(len(buf)) < total {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), total)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n > 0 {
			return buf, true, nil
		}
		if err == io.EOF {
			return buf, false, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
}

func idxReadErr(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return badInputf("truncated: the file ends inside %s; re-download the file", what)
	}
	return compressedErr(err)
}

// compressedErr turns a corrupt-compression error into a bad-input error.
func compressedErr(err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt) {
		return badInputf("corrupt compressed data (%v); re-download the file", err)
	}
	if err == io.ErrUnexpectedEOF {
		return badInputf("truncated compressed data; re-download the file")
	}
	return err
}

// ReadIDXImages reads an IDX images file (magic 0x00000803, gzipped or not)
// and returns the image count, height, width and pixels (N*H*W bytes).
func ReadIDXImages(r io.Reader) (n, h, w int, pix []uint8, err error) {
	return readIDXImages(r, maxIDXBytes)
}

func readIDXImages(r io.Reader, maxBytes int64) (n, h, w int, pix []uint8, err error) {
	dims, payload, err := readIDX(r, idxImagesMagic, "images", maxBytes)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if len(dims) != 3 {
		return 0, 0, 0, nil, badInputf("IDX images file has %d dimensions, expected 3 (count, rows, columns); pass an idx3 file", len(dims))
	}
	if dims[1] == 0 || dims[2] == 0 {
		return 0, 0, 0, nil, badInputf("IDX images file has empty %dx%d images; the header is corrupt, re-download the file", dims[1], dims[2])
	}
	return dims[0], dims[1], dims[2], payload, nil
}

// ReadIDXLabels reads an IDX labels file (magic 0x00000801, gzipped or not).
func ReadIDXLabels(r io.Reader) ([]int32, error) { return readIDXLabels(r, maxIDXBytes) }

func readIDXLabels(r io.Reader, maxBytes int64) ([]int32, error) {
	dims, payload, err := readIDX(r, idxLabelsMagic, "labels", maxBytes)
	if err != nil {
		return nil, err
	}
	if len(dims) != 1 {
		return nil, badInputf("IDX labels file has %d dimensions, expected 1; pass an idx1 file", len(dims))
	}
	labels := make([]int32, len(payload))
	for i, b := range payload {
		labels[i] = int32(b)
	}
	return labels, nil
}

// ReadIDXPair reads an images file and its labels file into a Set with the
// given class names (nil: "0", "1", ... up to the largest label).
func ReadIDXPair(images, labels io.Reader, classes []string) (*Set, error) {
	n, h, w, pix, err := ReadIDXImages(images)
	if err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	lab, err := ReadIDXLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return idxSet(n, h, w, pix, lab, classes)
}

func idxSet(n, h, w int, pix []uint8, lab []int32, classes []string) (*Set, error) {
	if len(lab) != n {
		return nil, badInputf("the labels file has %d labels but the images file has %d images; pair files of the same split (train-* with train-*, t10k-* with t10k-*)", len(lab), n)
	}
	if classes == nil {
		classes = numberedClasses(lab)
	}
	s := &Set{Classes: classes, C: 1, H: h, W: w, Images: pix, Labels: lab}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// numberedClasses names classes "0".."K-1" where K-1 is the largest label.
func numberedClasses(labels []int32) []string {
	maxL := int32(-1)
	for _, l := range labels {
		maxL = max(maxL, l)
	}
	names := make([]string, maxL+1)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// WriteIDXImages writes n images of h x w bytes as an uncompressed IDX file.
func WriteIDXImages(w io.Writer, n, h, wd int, pix []uint8) error {
	if len(pix) != n*h*wd {
		return fmt.Errorf("WriteIDXImages: %d bytes for %d images of %dx%d", len(pix), n, h, wd)
	}
	return writeIDX(w, idxImagesMagic, []int{n, h, wd}, pix)
}

// WriteIDXLabels writes labels (each 0..255) as an uncompressed IDX file.
func WriteIDXLabels(w io.Writer, labels []int32) error {
	b := make([]byte, len(labels))
	for i, l := range labels {
		if l < 0 || l > 255 {
			return fmt.Errorf("WriteIDXLabels: label %d does not fit a byte", l)
		}
		b[i] = byte(l)
	}
	return writeIDX(w, idxLabelsMagic, []int{len(labels)}, b)
}

func writeIDX(w io.Writer, magic uint32, dims []int, payload []byte) error {
	var hdr bytes.Buffer
	binary.Write(&hdr, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&hdr, binary.BigEndian, uint32(d))
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}
