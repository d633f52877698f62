package projects

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Entry names inside the zip container.
const (
	ManifestEntry = "manifest.json"
	TensorsEntry  = "tensors.safetensors"
)

// maxDeflateRatio is the most a deflate stream can expand (about 1032:1),
// with slack; an entry claiming more is lying about its size.
const maxDeflateRatio = 1100

// Open reads and validates the project file at path, migrating it from an
// older format if needed. Every error is an *Error; errors.Is tells its kind
// (ErrRead, ErrCorrupt, ErrUnsafe, ErrInvalid, ErrNewerVersion). Open never
// writes to path.
func Open(path string) (*Project, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Kind: ErrRead, Path: path, Problem: "cannot read the project file",
			Fix: "check that the file exists and that you may read it", Err: bareCause(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{Kind: ErrRead, Path: path, Problem: "cannot read the project file",
			Fix: "check that the file exists and that you may read it", Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{Kind: ErrRead, Path: path, Problem: "not a regular file",
			Fix: "choose a " + Extension + " project file"}
	}
	p, err := decode(f, st.Size())
	if err != nil {
		return nil, withPath(err, path)
	}
	return p, nil
}

// bareCause is the cause of a file-system error without the path it
// carries, which the *Error names once already.
func bareCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Decode reads a project from the size bytes of r, as Open does from a file.
func Decode(r io.ReaderAt, size int64) (*Project, error) {
	p, err := decode(r, size)
	if err != nil {
		return nil, withPath(err, "")
	}
	return p, nil
}

func decode(r io.ReaderAt, size int64) (*Project, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, corruptf(err, "")
	}
	var manifest, tensors *zip.File
	for _, f := range zr.File {
		if escapes(f.Name) {
			return nil, unsafef("entry %q is a path that escapes the project", truncateForMessage(f.Name))
		}
		var slot **zip.File
		switch f.Name {
		case ManifestEntry:
			slot = &manifest
		case TensorsEntry:
			slot = &tensors
		default:
			return nil, unsafef("unexpected entry %q; a project holds only %s and %s", truncateForMessage(f.Name), ManifestEntry, TensorsEntry)
		}
		if *slot != nil {
			return nil, unsafef("entry %q appears twice", f.Name)
		}
		if err := checkEntry(f, size); err != nil {
			return nil, err
		}
		*slot = f
	}
	if manifest == nil {
		return nil, corruptf(nil, "it has no %s", ManifestEntry)
	}
	if tensors == nil {
		return nil, corruptf(nil, "it has no %s", TensorsEntry)
	}

	mb, err := readEntry(manifest)
	if err != nil {
		return nil, err
	}
	doc, version, err := parseManifestHead(mb)
	if err != nil {
		return nil, err
	}
	if version > FormatVersion {
		return nil, newerVersion(version)
	}

	rc, err := tensors.Open()
	if err != nil {
		return nil, corruptf(err, "cannot read %s", TensorsEntry)
	}
	ts, err := readSafetensors(rc, int64(tensors.UncompressedSize64), tensors.Method == zip.Store)
	if err == nil {
		err = expectEOF(rc, TensorsEntry)
	}
	rc.Close()
	if err != nil {
		return nil, err
	}

	if version < FormatVersion {
		if err := migrate(doc, ts, version); err != nil {
			return nil, err
		}
		if mb, err = json.Marshal(doc); err != nil {
			return nil, invalidf(err, "cannot migrate the manifest")
		}
	}
	p := &Project{}
	if err := json.Unmarshal(mb, p); err != nil {
		return nil, manifestError(err)
	}
	p.FormatVersion = FormatVersion
	p.Tensors = ts
	p.normalizeTimes()
	if err := checkProject(p); err != nil {
		return nil, invalidf(nil, "%v", err)
	}
	return p, nil
}

// escapes reports whether a zip entry name is a path that would leave the
// folder it is extracted to (or is otherwise not a plain relative path).
func escapes(name string) bool {
	if name == "" || strings.ContainsAny(name, `\:`) || strings.ContainsRune(name, 0) || path.IsAbs(name) {
		return true
	}
	return slices.Contains(strings.Split(name, "/"), "..")
}

// checkEntry checks an entry's declared sizes against the real file size
// and the limits, before anything is allocated from them.
func checkEntry(f *zip.File, fileSize int64) error {
	if f.Flags&0x1 != 0 {
		return unsafef("entry %q is encrypted", f.Name)
	}
	limit := uint64(MaxTensorBytes)
	if f.Name == ManifestEntry {
		limit = MaxManifestBytes
	}
	if f.UncompressedSize64 > limit {
		return unsafef("entry %q declares %d bytes, more than the %d allowed", f.Name, f.UncompressedSize64, limit)
	}
	if f.CompressedSize64 > uint64(fileSize) {
		return corruptf(nil, "entry %q declares %d bytes but the file has only %d", f.Name, f.CompressedSize64, fileSize)
	}
	switch f.Method {
	case zip.Store:
		if f.UncompressedSize64 != f.CompressedSize64 {
			return corruptf(nil, "stored entry %q declares %d bytes uncompressed but %d stored", f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
	case zip.Deflate:
		if f.UncompressedSize64 > f.CompressedSize64*maxDeflateRatio+1024 {
			return unsafef("entry %q declares %d bytes from %d compressed, more than compression can produce", f.Name, f.UncompressedSize64, f.CompressedSize64)
		}
	default:
		return unsafef("entry %q uses compression method %d; project files use only stored or deflated entries", f.Name, f.Method)
	}
	return nil
}

// readEntry reads a whole entry whose size checkEntry has bounded.
func readEntry(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, corruptf(err, "cannot read %s", f.Name)
	}
	defer rc.Close()
	b := make([]byte, f.UncompressedSize64)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, corruptf(err, "cannot read %s", f.Name)
	}
	if err := expectEOF(rc, f.Name); err != nil {
		return nil, err
	}
	return b, nil
}

// expectEOF reads past the end of an entry, which is when archive/zip checks
// the length and the CRC.
func expectEOF(r io.Reader, name string) error {
	var one [1]byte
	n, err := r.Read(one[:])
	for n == 0 && err == nil {
		n, err = r.Read(one[:])
	}
	if n > 0 {
		return corruptf(nil, "%s is longer than it declares", name)
	}
	if err != io.EOF {
		return corruptf(err, "%s is damaged", name)
	}
	return nil
}

// parseManifestHead checks that the manifest is a JSON object and returns
// its format version.
func parseManifestHead(b []byte) (map[string]json.RawMessage, int, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, 0, manifestError(err)
	}
	if doc == nil {
		return nil, 0, invalidf(nil, "%s is not a JSON object", ManifestEntry)
	}
	raw, ok := doc["format_version"]
	if !ok {
		return doc, 0, nil // version 0 had no version field
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&n); err != nil || n == "" || raw[0] == '"' {
		return nil, 0, invalidf(nil, "format_version is %s, not a number", truncateForMessage(string(raw)))
	}
	v, err := n.Int64()
	if err != nil || v < 0 {
		return nil, 0, invalidf(nil, "format_version is %s, not a whole number ≥ 0", truncateForMessage(n.String()))
	}
	if v > math.MaxInt32 {
		v = math.MaxInt32
	}
	return doc, int(v), nil
}

// manifestError turns a JSON decoding error into a message naming the field.
func manifestError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "the top level"
		}
		return invalidf(nil, "in %s, %s holds a JSON %s where a %s belongs", ManifestEntry, field, te.Value, jsonTypeName(te.Type.String()))
	case errors.As(err, &se):
		return invalidf(err, "%s is not valid JSON", ManifestEntry)
	}
	return invalidf(err, "%s has a bad value", ManifestEntry)
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "[") && strings.Contains(goType, "]"):
		return "list"
	case strings.HasPrefix(goType, "map["), strings.Contains(goType, "."):
		if goType == "time.Time" {
			return "time (RFC 3339 string)"
		}
		return "JSON object"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "whole number"
	case strings.HasPrefix(goType, "float"):
		return "number"
	case goType == "string":
		return "string"
	case goType == "bool":
		return "true or false"
	}
	return goType
}

func (p *Project) normalizeTimes() {
	p.Created = p.Created.UTC()
	p.Modified = p.Modified.UTC()
	for i := range p.Runs {
		p.Runs[i].Started = p.Runs[i].Started.UTC()
		p.Runs[i].Finished = p.Runs[i].Finished.UTC()
	}
}

// Encode writes p in the project format to w. Save uses it; it is exported
// for tools that stream projects elsewhere than a file.
func Encode(w io.Writer, p *Project) error {
	if err := checkProject(p); err != nil {
		return &Error{Kind: ErrInvalid, Problem: "cannot save the project: " + err.Error(),
			Fix: "nothing was written; fix the value and save again"}
	}
	m := *p
	m.FormatVersion = FormatVersion
	m.Runs = slices.Clone(p.Runs) // normalizeTimes must not touch p's runs
	m.normalizeTimes()
	mb, err := json.MarshalIndent(&m, "", " ")
	if err != nil {
		return &Error{Kind: ErrInvalid, Problem: "cannot save the project", Err: err,
			Fix: "nothing was written; fix the value and save again"}
	}
	zw := zip.NewWriter(w)
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: ManifestEntry, Method: zip.Deflate})
	if err == nil {
		_, err = fw.Write(mb)
	}
	if err == nil {
		// Float data hardly compresses; storing it keeps saves fast.
		fw, err = zw.CreateHeader(&zip.FileHeader{Name: TensorsEntry, Method: zip.Store})
	}
	if err == nil {
		err = writeSafetensors(fw, p.Tensors)
	}
	if err == nil {
		err = zw.Close()
	}
	return err
}

// checkProject reports the first value that cannot be stored, or nil. Save
// and Open apply the same rules, so whatever saves opens.
func checkProject(p *Project) error {
	for name, t := range p.Tensors {
		if err := checkTensor(name, t); err != nil {
			return err
		}
	}
	if p.Preprocess.Mode != "" && !slices.Contains(PreprocessModes, p.Preprocess.Mode) {
		return fmt.Errorf("preprocess.mode %q is unknown (choose one of %s)", p.Preprocess.Mode, strings.Join(PreprocessModes, ", "))
	}
	d := p.Dataset
	for _, f := range []struct {
		name string
		v    int
	}{{"dataset.limit_train", d.LimitTrain}, {"dataset.limit_test", d.LimitTest}, {"dataset.val", d.Val},
		{"dataset.c", d.C}, {"dataset.h", d.H}, {"dataset.w", d.W}, {"preprocess.components", p.Preprocess.Components}} {
		if f.v < 0 {
			return fmt.Errorf("%s is %d; it must be ≥ 0", f.name, f.v)
		}
	}
	if err := checkTime("created", p.Created); err != nil {
		return err
	}
	if err := checkTime("modified", p.Modified); err != nil {
		return err
	}
	if err := checkHyper("hyper", p.Hyper); err != nil {
		return err
	}
	if err := finite("preprocess.epsilon", p.Preprocess.Epsilon); err != nil {
		return err
	}
	for i, r := range p.Runs {
		if err := checkHyper(fmt.Sprintf("runs[%d].hyper", i), r.Hyper); err != nil {
			return err
		}
		if err := checkTime(fmt.Sprintf("runs[%d].started", i), r.Started); err != nil {
			return err
		}
		if err := checkTime(fmt.Sprintf("runs[%d].finished", i), r.Finished); err != nil {
			return err
		}
		if r.LossEvery < 0 || r.Iterations < 0 {
			return fmt.Errorf("runs[%d] has a negative loss_every or iterations", i)
		}
	}
	for k, v := range p.Inspect.Numbers {
		if err := finite(fmt.Sprintf("inspect.numbers[%q]", k), v); err != nil {
			return err
		}
	}
	for _, n := range p.Graph.Nodes {
		for k, v := range n.Attrs {
			if err := finite(fmt.Sprintf("graph node %q attribute %q", n.ID, k), v); err != nil {
				return err
			}
		}
		if err := finite(fmt.Sprintf("graph node %q position", n.ID), float64(n.X)+float64(n.Y)); err != nil {
			return err
		}
	}
	return nil
}

// checkTime refuses times JSON cannot hold (RFC 3339 has four-digit years).
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s is in the year %d; it must be between 0 and 9999", name, y)
	}
	return nil
}

func checkHyper(prefix string, h Hyper) error {
	if h.Batch < 0 || h.Epochs < 0 || h.Warmup < 0 {
		return fmt.Errorf("%s: batch, epochs and warmup must be ≥ 0 (got %d, %d, %d)", prefix, h.Batch, h.Epochs, h.Warmup)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"lr", h.LR}, {"momentum", h.Momentum}, {"weight_decay", h.WeightDecay}} {
		if err := finite(prefix+"."+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}

func finite(name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is %v; it must be a finite number", name, v)
	}
	return nil
}

// Save writes p to path atomically: it writes a temporary file in the same
// folder, syncs it, renames it over path and syncs the folder. If anything
// fails (or the process dies) the previous file at path is left as it was.
// If path is a symbolic link, the file it points to is replaced.
//
// Save refuses (ErrNotProject) to replace a file that is not a Workbench
// project, and (ErrLocked) to write a project another process holds the
// Lock of; SaveWith with Overwrite replaces any regular file.
func Save(p *Project, path string) error {
	return SaveWith(p, path, SaveOptions{})
}

// SaveOptions change what Save may replace.
type SaveOptions struct {
	// Overwrite replaces an existing regular file even if it is not a
	// Workbench project (the user said so: --force, or a Save dialog's
	// "replace?" answered yes).
	Overwrite bool
}

// SaveWith is Save with options.
func SaveWith(p *Project, path string, opt SaveOptions) error {
	return saveAtomic(p, path, opt)
}

// CheckTarget reports, without writing anything, whether Save may write
// path: nil, or the error Save would give for what is there now (a folder,
// a device, a file that is not a project). Commands call it before long
// work so that a bad target fails at once.
func CheckTarget(path string, opt SaveOptions) error {
	target := path
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(target); err == nil {
			target = real
		}
	}
	_, _, err := checkReplace(target, path, opt)
	return err
}

// checkReplace looks at what target holds now: its mode, whether it exists,
// and whether Save may replace it.
func checkReplace(target, shown string, opt SaveOptions) (mode fs.FileMode, exists bool, err error) {
	fi, err := os.Stat(target)
	if err != nil {
		return 0o666, false, nil // less the umask, as os.Create does
	}
	switch {
	case fi.IsDir():
		return 0, true, &Error{Kind: ErrWrite, Path: shown, Problem: "a folder has that name", Fix: "choose another file name"}
	case !fi.Mode().IsRegular():
		return 0, true, &Error{Kind: ErrWrite, Path: shown, Problem: "it is not a regular file (a device, pipe or socket)", Fix: "choose a file name"}
	case !opt.Overwrite && fi.Size() > 0 && !looksLikeProject(target):
		return 0, true, &Error{Kind: ErrNotProject, Path: shown, Problem: "it exists and is not a Workbench project, so it was not replaced",
			Fix: "save to another file name, or pass --force to replace it"}
	}
	return fi.Mode().Perm(), true, nil
}

// looksLikeProject reports whether the file at path is a zip whose
// directory lists a project manifest (a damaged project counts as a project).
func looksLikeProject(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return false
	}
	for _, e := range zr.File {
		if e.Name == ManifestEntry {
			return true
		}
	}
	return false
}

func saveAtomic(p *Project, target string, opt SaveOptions) (err error) {
	shown := target
	if fi, err := os.Lstat(target); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(target); err == nil {
			target = real
		}
	}
	writeErr := func(err error) error { return saveError(shown, err) }

	// One save of a file at a time: this process's own saves wait for
	// each other; another process's lock refuses the save.
	key, err := lockKey(target)
	if err != nil {
		return err
	}
	mu := savingMutex(key)
	mu.Lock()
	defer mu.Unlock()
	if !heldHere(key) {
		l, err := acquire(key, shown)
		if err != nil {
			return err
		}
		defer l.release()
	}

	mode, keepMode, err := checkReplace(target, shown, opt)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	removeStaleTemps(dir, base)
	tmp, err := createTemp(dir, "."+base+tempInfix, mode)
	if err != nil {
		return writeErr(err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := Encode(bw, p); err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			pe.Path = shown
			return pe
		}
		return writeErr(err)
	}
	if err := bw.Flush(); err != nil {
		return writeErr(err)
	}
	if keepMode {
		if err := tmp.Chmod(mode); err != nil {
			return writeErr(err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return writeErr(err)
	}
	if err := tmp.Close(); err != nil {
		return writeErr(err)
	}
	if err := os.Rename(tmpName, target); err != nil {
		return writeErr(err)
	}
	if err := syncDir(dir); err != nil {
		return &Error{Kind: ErrWrite, Path: shown, Problem: "the project was written but its folder could not be synced", Err: err,
			Fix: "the file may not survive a power cut; save again"}
	}
	return nil
}

// tempInfix joins a project's name and the random suffix of its temporary
// files: ".NAME.tmp-0123456789abcdef".
const tempInfix = ".tmp-"

// removeStaleTemps deletes the temporary files a killed save of base left
// in dir. The caller holds base's lock, so no live writer owns any of them.
func removeStaleTemps(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + tempInfix
	for _, e := range ents {
		suffix, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || len(suffix) != 16 || !e.Type().IsRegular() {
			continue
		}
		if _, err := hex.DecodeString(suffix); err == nil {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// createTemp makes a new file with a random name; unlike os.CreateTemp it
// lets the umask apply to perm.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		var b [8]byte
		rand.Read(b[:])
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, errors.New("cannot create a temporary file")
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there; rename is durable
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
