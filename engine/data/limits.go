package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Limits bound what one input may make the readers allocate, checked
// against what a header declares before anything is allocated, so that a
// small hostile file (a PNG claiming 100000x100000 pixels, a zip entry or
// an .npz array declaring gigabytes) is refused with a message instead of
// exhausting memory. Each is set, in order of precedence, by Options, by
// its environment variable, or by its default.
type Limits struct {
	// MaxImagePixels bounds width x height of one image (read from its
	// header before decoding).
	MaxImagePixels int64
	// MaxEntryBytes bounds the bytes read for one image file of a folder
	// or entry of a zip (declared size and actual bytes alike).
	MaxEntryBytes int64
	// MaxArrayBytes bounds the data of one array of an .npy, .npz or IDX
	// file, as its header declares it.
	MaxArrayBytes int64
}

// Default limits: generous for research images, small enough that a hostile
// header cannot take the machine's memory.
const (
	DefaultMaxImagePixels = 64_000_000 // 64 MP, e.g. 8000 x 8000
	DefaultMaxEntryBytes  = 256 << 20  // 256 MiB per image file
	DefaultMaxArrayBytes  = 2 << 30    // 2 GiB per array
)

// The environment variables that set a limit when Options leave it 0, and
// the CLI flags that set Options (named here so that messages and the CLI
// agree).
const (
	EnvMaxImagePixels  = "WORKBENCH_MAX_IMAGE_PIXELS"
	EnvMaxEntryBytes   = "WORKBENCH_MAX_ENTRY_BYTES"
	EnvMaxArrayBytes   = "WORKBENCH_MAX_ARRAY_BYTES"
	FlagMaxImagePixels = "max-image-pixels"
	FlagMaxEntryBytes  = "max-entry-bytes"
	FlagMaxArrayBytes  = "max-array-bytes"
)

// ErrLimit is wrapped (with ErrBadInput) by every error about an input
// larger than a limit.
var ErrLimit = errors.New("input over a size limit")

// limitError is bad input that names the limit and how to raise it.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Is(target error) bool {
	return target == ErrLimit || target == ErrBadInput
}

// overLimit reports what exceeds which limit and how to raise it.
func overLimit(what, limit, flag, env string) error {
	return &limitError{msg: fmt.Sprintf("%s, more than the limit of %s; if the input is genuine, raise it with --%s N or %s=N",
		what, limit, flag, env)}
}

func imagePixelsError(w, h int, limit int64) error {
	return overLimit(fmt.Sprintf("image header says %dx%d pixels (%s)", w, h, megapixels(mulSat(int64(w), int64(h)))),
		megapixels(limit)+" per image", FlagMaxImagePixels, EnvMaxImagePixels)
}

func entryBytesError(what string, limit int64) error {
	return overLimit(what, formatBytes(limit)+" per file", FlagMaxEntryBytes, EnvMaxEntryBytes)
}

func arrayBytesError(what string, limit int64) error {
	return overLimit(what, formatBytes(limit)+" per array", FlagMaxArrayBytes, EnvMaxArrayBytes)
}

// megapixels writes a pixel count as 64 MP or 0.3 MP.
func megapixels(n int64) string {
	if n < 100_000 {
		return fmt.Sprintf("%d pixels", n)
	}
	return strconv.FormatFloat(math.Round(float64(n)/1e5)/10, 'f', -1, 64) + " MP"
}

// formatBytes writes a byte count exactly, and rounded in binary units
// when large: 2147483648 bytes (2 GiB).
func formatBytes(n int64) string {
	for _, u := range []struct {
		name string
		size float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= 10240 && float64(n) >= u.size {
			return fmt.Sprintf("%d bytes (%.3g %s)", n, float64(n)/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// resolve fills the zero limits from the environment and the defaults.
func (l Limits) resolve() (Limits, error) {
	fill := func(v *int64, env, flag string, def int64) error {
		if *v < 0 {
			return badInputf("--%s %d must be positive", flag, *v)
		}
		if *v > 0 {
			return nil
		}
		*v = def
		if s := strings.TrimSpace(os.Getenv(env)); s != "" {
			n, err := ParseQuantity(s)
			if err != nil || n <= 0 {
				return badInputf("%s=%q is not a positive number; set it to a count such as 64M or 4GiB, or unset it", env, s)
			}
			*v = n
		}
		return nil
	}
	if err := fill(&l.MaxImagePixels, EnvMaxImagePixels, FlagMaxImagePixels, DefaultMaxImagePixels); err != nil {
		return l, err
	}
	if err := fill(&l.MaxEntryBytes, EnvMaxEntryBytes, FlagMaxEntryBytes, DefaultMaxEntryBytes); err != nil {
		return l, err
	}
	if err := fill(&l.MaxArrayBytes, EnvMaxArrayBytes, FlagMaxArrayBytes, DefaultMaxArrayBytes); err != nil {
		return l, err
	}
	return l, nil
}

// ParseQuantity parses a positive count with an optional suffix: k, M, G, T
// (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024), each optionally
// followed by B, as in 64M, 500MB, 4GiB or 1000000.
func ParseQuantity(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "b")
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a count; write a number with an optional k, M, G, Ki, Mi or Gi suffix, as 64M or 4GiB", s)
	}
	return int64(f * float64(mult)), nil
}

// mulSat multiplies non-negative numbers, saturating at MaxInt64.
func mulSat(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// readLimited reads all of r into buf, failing once more than max bytes
// arrive, so a header that understates its size cannot make it read more.
func readLimited(buf *bytes.Buffer, r io.Reader, max int64) error {
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return err
	}
	if n > max {
		return entryBytesError("holds more than its declared size", max)
	}
	return nil
}

// readEntry reads one image file of a folder or zip into buf, checking
// its declared size (the zip's, or the file's on disk) first.
func readEntry(buf *bytes.Buffer, e imageEntry, max int64) error {
	if e.size > max {
		return entryBytesError("declares "+formatBytes(e.size), max)
	}
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if st, ok := rc.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil {
			if !fi.Mode().IsRegular() {
				return badInputf("not a regular file (%v); remove it from the dataset", fi.Mode().Type())
			}
			if fi.Size() > max {
				return entryBytesError("is "+formatBytes(fi.Size()), max)
			}
		}
	}
	return readLimited(buf, rc, max)
}

// pathErr turns the errors of reaching a path the user named into bad
// input where the fix is theirs: missing, a loop of links, no permission.
func pathErr(p string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBadInput):
		return err
	case errors.Is(err, fs.ErrNotExist):
		return badInputf("%s: no such file or folder; check the path", p)
	case errors.Is(err, syscall.ELOOP):
		return badInputf("%s: a loop of symbolic links (too many levels of links); point at the real file or folder", p)
	case errors.Is(err, fs.ErrPermission):
		return badInputf("%s: permission denied; make it readable or copy it somewhere readable", p)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENAMETOOLONG):
		return badInputf("%s: not a valid path (%v); check the path", p, err)
	}
	return err
}

// walkErr is pathErr for an error met while walking a folder.
func walkErr(p string, err error) error { return pathErr(p, err) }

// statInput stats a path the user named (following links) and refuses
// anything but a folder or a regular file: opening a FIFO blocks forever,
// and devices and sockets hold no dataset.
func statInput(p string) (fs.FileInfo, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, pathErr(p, err)
	}
	if st.IsDir() || st.Mode().IsRegular() {
		return st, nil
	}
	return nil, notRegular(p, st.Mode())
}

func notRegular(p string, m fs.FileMode) error {
	kind := "a special file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeDevice != 0:
		kind = "a device"
	}
	return badInputf("%s is %s, not a dataset file or folder; pass a regular file or a folder", p, kind)
}

// openRegular opens a file after checking it is a regular one.
func openRegular(p string) (*os.File, error) {
	if _, err := statInput(p); err != nil {
		return nil, err
	}
	return os.Open(p)
}

// regularIn reports whether name in fsys is a regular file (following a
// link), without opening it.
func regularIn(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && st.Mode().IsRegular()
}

// regularFile reports whether p is a regular file (following a link).
func regularFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// readIfRegular reads p if it is a regular file, else fails without
// opening it.
func readIfRegular(p string) ([]byte, error) {
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
