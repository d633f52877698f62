package tfjs

import (
	"archive/tar"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/internal/kinderr"
)

// Limits on what a model may declare; beyond them a file is refused before
// anything is allocated from it.
const (
	maxModelJSON   = 64 << 20  // bytes of model.json
	maxTotalBytes  = 4 << 30   // bytes of a .tgz once unpacked, and of all shards
	maxTarEntries  = 100000    // entries of a .tgz
	maxWeightElems = 1 << 30   // values of all weights together
	maxDims        = 8         // dimensions of one weight
	maxLabelsJSON  = 16 << 20  // bytes of a labels file
	maxShards      = 1 << 16   // shard files named by the manifest
	maxShardBytes  = 1<<31 - 1 // bytes of one shard
)

// ErrFormat marks a malformed, truncated or hostile input (bad input, not a
// failure of the program).
var ErrFormat = errors.New("tfjs: bad model files")

func badf(format string, args ...any) error {
	return kinderr.Errorf(ErrFormat, format, args...)
}

// files is a read-only set of files addressed by slash paths relative to
// the model's folder ("group1-shard1of2.bin", "../assets/labels.json").
type files interface {
	read(name string, limit int64) ([]byte, error)
	size(name string) (int64, bool)
}

// Package is a model's files as found on disk or in a tarball.
type Package struct {
	// ModelJSON is the content of model.json.
	ModelJSON []byte
	// Where says where model.json was found, for messages.
	Where string
	// Labels is the content of a class-label file found beside the model
	// (assets/labels.json in an npm package), or nil.
	Labels []byte
	// Name is the npm package name when there is a package.json.
	Name  string
	files files
}

// Open reads a TensorFlow.js layers model: a folder holding model.json
// (directly or one or two levels down, as in an unpacked npm package), a
// path to model.json itself, or an npm package tarball (.tgz, .tar.gz).
func Open(p string) (*Package, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, badf("cannot read %s: %v", p, errors.Unwrap(err))
	}
	if st.IsDir() {
		return openDir(p)
	}
	low := strings.ToLower(p)
	if strings.HasSuffix(low, ".tgz") || strings.HasSuffix(low, ".tar.gz") {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadTarball(f, p)
	}
	if strings.HasSuffix(low, ".json") {
		return openModelFile(p)
	}
	return nil, badf("%s is neither a folder, a model.json nor a .tgz package; give the folder holding model.json or the npm .tgz", p)
}

type dirFiles struct{ dir string }

func (d dirFiles) read(name string, limit int64) ([]byte, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(name))
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, badf("%s is %d bytes, more than the %d allowed", name, st.Size(), limit)
	}
	return os.ReadFile(p)
}

func (d dirFiles) size(name string) (int64, bool) {
	st, err := os.Stat(filepath.Join(d.dir, filepath.FromSlash(name)))
	if err != nil || !st.Mode().IsRegular() {
		return 0, false
	}
	return st.Size(), true
}

func openDir(dir string) (*Package, error) {
	var found []string
	root := filepath.Clean(dir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		depth := strings.Count(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if depth >= 2 || (rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules")) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "model.json" {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, badf("no model.json in %s (nor one or two folders down); give the folder of a TensorFlow.js layers model", dir)
	case 1:
		return openModelFile(found[0])
	}
	sort.Strings(found)
	return nil, badf("%s holds several models (%s); give the one to import", dir, strings.Join(found, ", "))
}

func openModelFile(p string) (*Package, error) {
	d := dirFiles{dir: filepath.Dir(p)}
	b, err := d.read(path.Base(filepath.ToSlash(p)), maxModelJSON)
	if err != nil {
		return nil, wrapRead(err, p)
	}
	pkg := &Package{ModelJSON: b, Where: p, files: d}
	// An npm package keeps package.json and assets/labels.json at its root,
	// the model folder beside them or the root itself.
	for _, up := range []string{"", "../"} {
		if pj, err := d.read(up+"package.json", 1<<20); err == nil {
			pkg.Name = packageName(pj)
			if lb, err := d.read(up+"assets/labels.json", maxLabelsJSON); err == nil {
				pkg.Labels = lb
			}
			break
		}
	}
	if pkg.Labels == nil {
		if lb, err := d.read("labels.json", maxLabelsJSON); err == nil {
			pkg.Labels = lb
		}
	}
	return pkg, nil
}

func wrapRead(err error, p string) error {
	if errors.Is(err, ErrFormat) {
		return err
	}
	return badf("cannot read %s: %v", p, err)
}

func packageName(pj []byte) string {
	var v struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(pj, &v) != nil {
		return ""
	}
	return v.Name
}

type memFiles struct {
	dir string // the model's folder inside the archive
	m   map[string][]byte
}

func (t memFiles) lookup(name string) ([]byte, bool) {
	b, ok := t.m[path.Clean(path.Join(t.dir, name))]
	return b, ok
}

func (t memFiles) read(name string, limit int64) ([]byte, error) {
	b, ok := t.lookup(name)
	if !ok {
		return nil, fs.ErrNotExist
	}
	if int64(len(b)) > limit {
		return nil, badf("%s is %d bytes, more than the %d allowed", name, len(b), limit)
	}
	return b, nil
}

func (t memFiles) size(name string) (int64, bool) {
	b, ok := t.lookup(name)
	return int64(len(b)), ok
}

// ReadTarball reads an npm package tarball (gzip-compressed tar) holding
// one model.json; where names it in messages. At most maxTotalBytes are
// unpacked.
func ReadTarball(r io.Reader, where string) (*Package, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, badf("%s is not a gzip-compressed tarball (%v); give an npm .tgz or the unpacked folder", where, err)
	}
	tr := tar.NewReader(zr)
	m := map[string][]byte{}
	var total int64
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, badf("%s: the tarball is damaged (%v)", where, err)
		}
		if n >= maxTarEntries {
			return nil, badf("%s has more than %d entries; it is not a model package", where, maxTarEntries)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Size < 0 || total+h.Size > maxTotalBytes {
			return nil, badf("%s unpacks to more than %d bytes; it is not a model package", where, int64(maxTotalBytes))
		}
		b, err := readAllLimit(tr, h.Size, make([]byte, 0, min(h.Size, 1<<20)))
		if err != nil {
			return nil, badf("%s: entry %s is truncated (%v)", where, name, err)
		}
		total += int64(len(b))
		m[name] = b
	}
	var found []string
	for name := range m {
		if path.Base(name) == "model.json" && !strings.Contains(name, "node_modules/") {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	switch {
	case len(found) == 0:
		return nil, badf("%s holds no model.json; it is not a TensorFlow.js layers model package", where)
	case len(found) > 1:
		return nil, badf("%s holds several models (%s); unpack it and give the folder of the one to import", where, strings.Join(found, ", "))
	}
	mf := found[0]
	if len(m[mf]) > maxModelJSON {
		return nil, badf("%s: %s is larger than %d bytes", where, mf, maxModelJSON)
	}
	t := memFiles{dir: path.Dir(mf), m: m}
	pkg := &Package{ModelJSON: m[mf], Where: where + ":" + mf, files: t}
	// The package root is the folder of the shallowest package.json.
	root := ""
	for name := range m {
		if path.Base(name) == "package.json" && (root == "" || len(name) < len(root)+len("package.json")) {
			root = path.Dir(name)
		}
	}
	if root != "" {
		pkg.Name = packageName(m[path.Join(root, "package.json")])
		if lb, ok := m[path.Join(root, "assets/labels.json")]; ok && len(lb) <= maxLabelsJSON {
			pkg.Labels = lb
		}
	}
	if pkg.Labels == nil {
		if lb, ok := t.lookup("labels.json"); ok && len(lb) <= maxLabelsJSON {
			pkg.Labels = lb
		}
	}
	return pkg, nil
}

// readAllLimit reads exactly n bytes (growing b as the data really
// arrives, so a size the header lies about costs nothing).
func readAllLimit(r io.Reader, n int64, b []byte) ([]byte, error) {
	lr := io.LimitReader(r, n)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		k, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+k]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(b)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

// weightSpec is one entry of the weights manifest.
type weightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	Dtype string   `json:"dtype"`
	Scale *float64 `json:"scale"`
	Min   *float64 `json:"min"`
}

type weightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []weightSpec `json:"weights"`
}

// bytesPer returns the stored size of one value of w.
func (w weightSpec) bytesPer() (int, error) {
	if q := w.Quantization; q != nil {
		switch q.Dtype {
		case "uint8":
			if q.Scale == nil || q.Min == nil {
				return 0, badf("weight %s is quantised to uint8 without scale and min", w.Name)
			}
			return 1, nil
		case "uint16":
			if q.Scale == nil || q.Min == nil {
				return 0, badf("weight %s is quantised to uint16 without scale and min", w.Name)
			}
			return 2, nil
		case "float16":
			return 2, nil
		}
		return 0, badf("weight %s has quantisation dtype %q; Workbench reads uint8, uint16 and float16", w.Name, q.Dtype)
	}
	switch w.Dtype {
	case "float32", "int32":
		return 4, nil
	}
	return 0, badf("weight %s has dtype %q; Workbench reads float32 weights (and quantised uint8/uint16/float16)", w.Name, w.Dtype)
}

// readWeights decodes every weight of the manifest, checking the declared
// shapes against the limits and the shards' real sizes first.
func readWeights(groups []weightGroup, fl files) (map[string]weightValue, error) {
	out := map[string]weightValue{}
	var totalElems int64
	nShards := 0
	for gi, g := range groups {
		var need int64
		for _, w := range g.Weights {
			if len(w.Shape) > maxDims {
				return nil, badf("weight %s has %d dimensions; at most %d are allowed", w.Name, len(w.Shape), maxDims)
			}
			n := int64(1)
			for _, d := range w.Shape {
				if d < 0 || (d > 0 && n > maxWeightElems/int64(d)) {
					return nil, badf("weight %s declares the shape %v, which is negative or too large", w.Name, w.Shape)
				}
				n *= int64(d)
			}
			totalElems += n
			if totalElems > maxWeightElems {
				return nil, badf("the weights declare more than %d values in all; the manifest is damaged or hostile", maxWeightElems)
			}
			bp, err := w.bytesPer()
			if err != nil {
				return nil, err
			}
			need += n * int64(bp)
		}
		nShards += len(g.Paths)
		if nShards > maxShards {
			return nil, badf("the manifest names more than %d shard files", maxShards)
		}
		var have int64
		for _, p := range g.Paths {
			if p == "" || path.IsAbs(p) || strings.Contains(p, "\\") || slices.Contains(strings.Split(p, "/"), "..") {
				return nil, badf("weight shard path %q is not a plain relative path", p)
			}
			sz, ok := fl.size(p)
			if !ok {
				return nil, badf("weight shard %s (group %d) is missing beside model.json", p, gi+1)
			}
			have += sz
		}
		if have < need {
			return nil, badf("the weight shards of group %d hold %d bytes but the manifest declares %d: a shard is truncated or missing", gi+1, have, need)
		}
		buf := make([]byte, 0, have)
		for _, p := range g.Paths {
			b, err := fl.read(p, maxShardBytes)
			if err != nil {
				return nil, wrapRead(err, p)
			}
			buf = append(buf, b...)
		}
		off := int64(0)
		for _, w := range g.Weights {
			bp, _ := w.bytesPer()
			n := int64(1)
			for _, d := range w.Shape {
				n *= int64(d)
			}
			raw := buf[off : off+n*int64(bp)]
			off += n * int64(bp)
			name := strings.TrimSuffix(w.Name, ":0")
			if _, dup := out[name]; dup {
				return nil, badf("the manifest lists weight %s twice", name)
			}
			out[name] = weightValue{shape: append([]int(nil), w.Shape...), data: decode(w, raw, int(n))}
		}
	}
	return out, nil
}

type weightValue struct {
	shape []int
	data  []float32
}

func decode(w weightSpec, raw []byte, n int) []float32 {
	v := make([]float32, n)
	q := w.Quantization
	switch {
	case q == nil && w.Dtype == "int32":
		for i := range v {
			v[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case q == nil:
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case q.Dtype == "uint8":
		s, m := float32(*q.Scale), float32(*q.Min)
		for i := range v {
			v[i] = float32(raw[i])*s + m
		}
	case q.Dtype == "uint16":
		s, m := float32(*q.Scale), float32(*q.Min)
		for i := range v {
			v[i] = float32(binary.LittleEndian.Uint16(raw[2*i:]))*s + m
		}
	case q.Dtype == "float16":
		for i := range v {
			v[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
		}
	}
	return v
}

func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0:
		if frac == 0 {
			return math.Float32frombits(sign)
		}
		f := float32(frac) / 1024 / 16384 // 2^-14 · frac/1024
		if sign != 0 {
			return -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}
