package npy

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// ReadNPZ reads every array of an .npz archive, keyed by name without the
// .npy extension, each of at most MaxBytes.
func ReadNPZ(r io.ReaderAt, size int64) (map[string]*Array, error) {
	return ReadNPZMax(r, size, MaxBytes)
}

// npyHeaderSlack is what an entry may hold beyond its array's data: the
// magic string, version and header of the .npy.
const npyHeaderSlack = 1 << 20

// ReadNPZMax is ReadNPZ refusing with a *SizeError, before allocating, an
// array (or entry) that declares more than maxBytes of data.
func ReadNPZMax(r io.ReaderAt, size int64, maxBytes int64) (map[string]*Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) || errors.Is(err, zip.ErrChecksum) ||
			errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, formatErrorf("not a readable .npz (zip) archive (%v); save it with numpy.savez", err)
		}
		return nil, err
	}
	out := map[string]*Array{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		name := strings.TrimSuffix(f.Name, ".npy")
		if f.UncompressedSize64 > uint64(maxBytes)+npyHeaderSlack {
			return nil, &SizeError{What: f.Name,
				Bytes: int64(min(f.UncompressedSize64, math.MaxInt64)), Limit: maxBytes}
		}
		rc, err := f.Open()
		if err != nil {
			return nil, formatErrorf("%s: %v; the archive is corrupt", f.Name, err)
		}
		a, err := ReadMax(rc, maxBytes)
		rc.Close()
		if err != nil {
			var se *SizeError
			if errors.As(err, &se) {
				se.What = f.Name + ": " + se.What
				return nil, se
			}
			if errors.Is(err, ErrFormat) {
				return nil, formatErrorf("%s: %v", f.Name, err)
			}
			var corrupt flate.CorruptInputError
			if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt) {
				return nil, formatErrorf("%s: %v; the archive is corrupt", f.Name, err)
			}
			return nil, err
		}
		out[name] = a
	}
	return out, nil
}

// OpenNPZ reads an .npz file.
func OpenNPZ(path string) (map[string]*Array, error) { return OpenNPZMax(path, MaxBytes) }

// OpenNPZMax reads an .npz file whose arrays hold at most maxBytes each.
func OpenNPZMax(path string, maxBytes int64) (map[string]*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return ReadNPZMax(f, st.Size(), maxBytes)
}

// WriteNPZ writes arrays as an .npz archive (entries in name order), with
// deflate compression when compress is set, as numpy.savez_compressed.
func WriteNPZ(w io.Writer, arrays map[string]*Array, compress bool) error {
	names := make([]string, 0, len(arrays))
	for k := range arrays {
		names = append(names, k)
	}
	sort.Strings(names)
	zw := zip.NewWriter(w)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for _, k := range names {
		var buf bytes.Buffer
		if err := Write(&buf, arrays[k]); err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: k + ".npy", Method: method})
		if err != nil {
			return err
		}
		if _, err := fw.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return zw.Close()
}
