package data

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registered so stray GIFs decode instead of being skipped
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// imageEntry is one image file found in a folder or a zip.
type imageEntry struct {
	name  string // slash-separated path inside the folder or zip
	class int
	size  int64 // declared size (a zip entry's); 0 when unknown
	open  func() (io.ReadCloser, error)
}

// imageSplit is the list of images of one split, by class.
type imageSplit struct {
	name    string // "train", "val", "test" or "" (no split folders)
	entries []imageEntry
	classes []string // class folder names found in this split
}

var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".gif": true}

func isImageName(name string) bool { return imageExts[strings.ToLower(path.Ext(name))] }

// hiddenName reports names that never hold data: dot files and the
// __MACOSX folder that macOS adds to zips.
func hiddenName(name string) bool {
	return strings.HasPrefix(name, ".") || name == "__MACOSX" || name == "Thumbs.db"
}

type fileRef struct {
	name string
	size int64 // declared size; 0 when unknown
	open func() (io.ReadCloser, error)
}

// listFolder lists the regular files under dir (recursively) with slash
// paths. Anything else (FIFOs, sockets, devices, links to folders, broken
// or looping links) is left out and counted in a note: opening a FIFO
// would block forever.
func listFolder(dir string) ([]fileRef, []string, error) {
	var out []fileRef
	var odd []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return walkErr(p, err)
		}
		if p != dir && hiddenName(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			// Follow a link to a regular file; leave anything else out.
			st, err := os.Stat(p)
			if err != nil || !st.Mode().IsRegular() {
				odd = append(odd, filepath.ToSlash(rel))
				return nil
			}
		}
		full := p
		out = append(out, fileRef{name: filepath.ToSlash(rel), open: func() (io.ReadCloser, error) { return os.Open(full) }})
		return nil
	})
	var notes []string
	if len(odd) > 0 {
		notes = append(notes, fmt.Sprintf("ignored %d entries that are not regular files or links to them (FIFOs, sockets, devices, links to folders, broken or looping links), first %s", len(odd), odd[0]))
	}
	return out, notes, err
}

// zipName returns the slash path of a zip entry, or ok false for a name
// that could escape a folder if extracted: absolute, with a drive letter
// or a ".." component. Such entries are never made into classes.
func zipName(raw string) (name string, ok bool) {
	name = strings.ReplaceAll(raw, "\\", "/")
	drive := len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z')
	if strings.HasPrefix(name, "/") || drive || strings.ContainsRune(name, 0) {
		return "", false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", false
		}
	}
	return path.Clean(name), true
}

// listZip lists the files of a zip; they are read in place, never
// extracted. Entries with unsafe paths are left out and noted.
func listZip(zr *zip.Reader) ([]fileRef, []string) {
	var out []fileRef
	var unsafe []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || strings.HasSuffix(f.Name, "\\") {
			continue
		}
		name, ok := zipName(f.Name)
		if !ok {
			unsafe = append(unsafe, fmt.Sprintf("%q", f.Name))
			continue
		}
		hidden := false
		for _, part := range strings.Split(name, "/") {
			if hiddenName(part) {
				hidden = true
			}
		}
		if hidden {
			continue
		}
		out = append(out, fileRef{name: name, size: int64(min(f.UncompressedSize64, math.MaxInt64)), open: f.Open})
	}
	var notes []string
	if len(unsafe) > 0 {
		notes = append(notes, fmt.Sprintf("ignored %d zip entries with absolute, drive-letter or '..' paths, first %s; re-create the zip with relative paths", len(unsafe), unsafe[0]))
	}
	return out, notes
}

var splitNames = map[string]string{
	"train": "train", "training": "train",
	"val": "val", "valid": "val", "validation": "val",
	"test": "test", "testing": "test",
}

// organise finds the class folders (and train/val/test folders) in a list
// of files and returns the splits plus notes on what was ignored.
func organise(files []fileRef) ([]imageSplit, []string, error) {
	// Strip single wrapping folders (a zip of "cifar10/train/...").
	for {
		top := map[string]bool{}
		rootFiles := false
		for _, f := range files {
			i := strings.IndexByte(f.name, '/')
			if i < 0 {
				if isImageName(f.name) {
					rootFiles = true
				}
				continue
			}
			top[f.name[:i]] = true
		}
		if len(top) != 1 || rootFiles {
			break
		}
		var prefix string
		for k := range top {
			prefix = k + "/"
		}
		if splitNames[strings.ToLower(strings.TrimSuffix(prefix, "/"))] != "" {
			break
		}
		// Only unwrap when the single folder holds folders, not images
		// directly (then it is a one-class dataset, which is reported).
		deeper := false
		for _, f := range files {
			if strings.Count(strings.TrimPrefix(f.name, prefix), "/") >= 1 {
				deeper = true
			}
		}
		if !deeper {
			break
		}
		var next []fileRef
		for _, f := range files {
			if strings.HasPrefix(f.name, prefix) {
				next = append(next, fileRef{name: strings.TrimPrefix(f.name, prefix), size: f.size, open: f.open})
			}
		}
		files = next
	}
	var notes []string
	bySplit := map[string][]fileRef{}
	hasSplits := false
	for _, f := range files {
		i := strings.IndexByte(f.name, '/')
		if i > 0 && splitNames[strings.ToLower(f.name[:i])] == "train" {
			hasSplits = true
		}
	}
	ignored := 0
	for _, f := range files {
		if !isImageName(f.name) {
			ignored++
			continue
		}
		if !hasSplits {
			bySplit[""] = append(bySplit[""], f)
			continue
		}
		i := strings.IndexByte(f.name, '/')
		sp := ""
		if i > 0 {
			sp = splitNames[strings.ToLower(f.name[:i])]
		}
		if sp == "" {
			ignored++
			continue
		}
		bySplit[sp] = append(bySplit[sp], f)
	}
	if ignored > 0 {
		notes = append(notes, fmt.Sprintf("ignored %d files that are not PNG/JPEG images in a class folder", ignored))
	}
	var splits []imageSplit
	for _, sp := range []string{"", "train", "val", "test"} {
		list := bySplit[sp]
		if len(list) == 0 {
			continue
		}
		s := imageSplit{name: sp}
		classIdx := map[string]int{}
		var loose int
		type pending struct {
			class string
			f     fileRef
		}
		var all []pending
		for _, f := range list {
			rel := f.name
			if sp != "" {
				rel = rel[strings.IndexByte(rel, '/')+1:]
			}
			i := strings.IndexByte(rel, '/')
			if i < 0 {
				loose++
				continue
			}
			cls := rel[:i]
			if _, ok := classIdx[cls]; !ok {
				classIdx[cls] = 0
			}
			all = append(all, pending{cls, f})
		}
		if loose > 0 {
			where := "the top folder"
			if sp != "" {
				where = sp + "/"
			}
			notes = append(notes, fmt.Sprintf("ignored %d images directly in %s (not inside a class folder)", loose, where))
		}
		if len(all) == 0 {
			continue // only loose images: no split
		}
		for cls := range classIdx {
			s.classes = append(s.classes, cls)
		}
		sort.Slice(s.classes, func(i, j int) bool { return naturalLess(s.classes[i], s.classes[j]) })
		for i, c := range s.classes {
			classIdx[c] = i
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].class != all[j].class {
				return classIdx[all[i].class] < classIdx[all[j].class]
			}
			return naturalLess(all[i].f.name, all[j].f.name)
		})
		for _, p := range all {
			s.entries = append(s.entries, imageEntry{name: p.f.name, class: classIdx[p.class], size: p.f.size, open: p.f.open})
		}
		splits = append(splits, s)
	}
	if len(splits) == 0 {
		return nil, notes, badInputf("no PNG/JPEG images inside class folders; lay the data out as CLASS/IMAGE.png (optionally under train/ and test/)")
	}
	if hasSplits && splits[0].name != "train" {
		return nil, notes, badInputf("train/ holds no images in class folders; put the training images in train/CLASS/")
	}
	return splits, notes, nil
}

// imageDecodeOptions says how images become a fixed-size uint8 CHW set.
type imageDecodeOptions struct {
	size     int // 0: keep the size of the images, which must all agree
	channels int // 0: 1 if every image is grey, else 3
	threads  int
	limits   Limits // resolved (all positive)
}

// decodedImage is one decoded image at the target size, as RGB CHW.
type decodedImage struct {
	pix  []uint8 // 3*h*w
	h, w int
	grey bool
}

// decodeImage decodes one file and, if size > 0, resizes it to cover
// size x size and crops the centre. The header is read first: an image of
// more than maxPixels pixels is refused before its pixels are allocated.
func decodeImage(data []byte, size int, maxPixels int64) (decodedImage, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return decodedImage{}, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return decodedImage{}, fmt.Errorf("image has no pixels")
	}
	if mulSat(int64(cfg.Width), int64(cfg.Height)) > maxPixels {
		return decodedImage{}, imagePixelsError(cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return decodedImage{}, err
	}
	pix, h, w := toRGBCHW(img)
	if h == 0 || w == 0 {
		return decodedImage{}, fmt.Errorf("image has no pixels")
	}
	if size > 0 && (h != size || w != size) {
		pix = resizeCoverCrop(pix, 3, h, w, size, size)
		h, w = size, size
	}
	return decodedImage{pix: pix, h: h, w: w, grey: isGrey(pix, h*w)}, nil
}

func isGrey(pix []uint8, plane int) bool {
	r, g, b := pix[:plane], pix[plane:2*plane], pix[2*plane:3*plane]
	for i := range r {
		if r[i] != g[i] || r[i] != b[i] {
			return false
		}
	}
	return true
}

// toRGBCHW converts any image to 8-bit RGB planes (alpha composited onto
// black), with fast paths for the types the PNG and JPEG decoders return.
func toRGBCHW(img image.Image) ([]uint8, int, int) {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	plane := h * w
	pix := make([]uint8, 3*plane)
	R, G, B := pix[:plane], pix[plane:2*plane], pix[2*plane:]
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[(y)*m.Stride : y*m.Stride+w]
			copy(R[y*w:], row)
			copy(G[y*w:], row)
			copy(B[y*w:], row)
		}
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bb := ycbcrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				o := y*w + x
				R[o], G[o], B[o] = r, g, bb
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				a := uint32(row[4*x+3])
				o := y*w + x
				if a == 255 {
					R[o], G[o], B[o] = row[4*x], row[4*x+1], row[4*x+2]
				} else {
					R[o] = uint8(uint32(row[4*x]) * a / 255)
					G[o] = uint8(uint32(row[4*x+1]) * a / 255)
					B[o] = uint8(uint32(row[4*x+2]) * a / 255)
				}
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := range w {
				o := y*w + x
				R[o], G[o], B[o] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				o := y*w + x
				R[o], G[o], B[o] = uint8(r>>8), uint8(g>>8), uint8(bb>>8)
			}
		}
	}
	return pix, h, w
}

// ycbcrToRGB is the JFIF conversion, as image/color does it.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	g := yy1 - 22554*cb1 - 46802*cr1
	b := yy1 + 116130*cb1
	return clamp16(r), clamp16(g), clamp16(b)
}

func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}

// decodeSplit decodes the entries of one split in parallel into a Set.
// Images that fail to decode are skipped and listed as "name: reason".
func decodeSplit(ctx context.Context, sp imageSplit, classes []string, classMap []int, opt imageDecodeOptions, prog *progress) (*Set, []string, error) {
	n := len(sp.entries)
	threads := opt.threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	results := make([]decodedImage, n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				e := sp.entries[i]
				buf.Reset()
				err := readEntry(&buf, e, opt.limits.MaxEntryBytes)
				if err == nil {
					results[i], err = decodeImage(buf.Bytes(), opt.size, opt.limits.MaxImagePixels)
				}
				if err != nil && errors.Is(err, ErrLimit) {
					// Stop early: the whole load fails on a limit.
					next.Store(int64(n))
				}
				errs[i] = err
				prog.add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	// An image over a limit fails the load (skipping it would hide the
	// remedy); other unreadable images are skipped and listed.
	for i, err := range errs {
		if err != nil && errors.Is(err, ErrLimit) {
			return nil, nil, inFile(sp.entries[i].name, err)
		}
	}
	// Fix the size: the requested one, or the first decoded image's.
	h, w := opt.size, opt.size
	if h == 0 {
		for i := range results {
			if errs[i] == nil {
				h, w = results[i].h, results[i].w
				break
			}
		}
	}
	var skipped []string
	var mismatched []string
	nMismatch := 0
	allGrey := true
	keep := make([]int, 0, n)
	for i := range results {
		if errs[i] != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", sp.entries[i].name, errs[i]))
			continue
		}
		if results[i].h != h || results[i].w != w {
			nMismatch++
			if len(mismatched) < 3 {
				mismatched = append(mismatched, fmt.Sprintf("%s is %dx%d", sp.entries[i].name, results[i].w, results[i].h))
			}
			continue
		}
		allGrey = allGrey && results[i].grey
		keep = append(keep, i)
	}
	if nMismatch > 0 {
		return nil, skipped, badInputf("mixed image sizes: the first image is %dx%d but %d differ (%s); pass a size (--size N) to resize and centre-crop every image to NxN",
			w, h, nMismatch, strings.Join(mismatched, ", "))
	}
	c := opt.channels
	if c == 0 {
		c = 3
		if allGrey {
			c = 1
		}
	}
	s := &Set{Classes: classes, C: c, H: h, W: w,
		Images: make([]uint8, len(keep)*c*h*w), Labels: make([]int32, len(keep))}
	plane := h * w
	for j, i := range keep {
		dst := s.Images[j*c*plane : (j+1)*c*plane]
		src := results[i].pix
		if c == 3 {
			copy(dst, src)
		} else {
			rgbToGrey(dst, src, plane)
		}
		s.Labels[j] = int32(classMap[sp.entries[i].class])
		results[i].pix = nil
	}
	return s, skipped, nil
}

// rgbToGrey uses the ITU-R 601 luma weights (as PIL's "L" conversion).
func rgbToGrey(dst, src []uint8, plane int) {
	for k := range plane {
		r, g, b := uint32(src[k]), uint32(src[plane+k]), uint32(src[2*plane+k])
		dst[k] = uint8((r*299 + g*587 + b*114 + 500) / 1000)
	}
}

// readImages reads a folder or a zip of class folders; listNotes are
// the notes of the listing (entries left out).
func readImages(ctx context.Context, files []fileRef, listNotes []string, format string, opt imageDecodeOptions, prog *progress) (*Dataset, error) {
	splits, notes, err := organise(files)
	notes = append(listNotes, notes...)
	if err != nil {
		if len(listNotes) > 0 {
			return nil, badInputf("%v (%s)", err, strings.Join(listNotes, "; "))
		}
		return nil, err
	}
	// The class list is the training split's; other splits must use a
	// subset of it.
	base := splits[0]
	classes := base.classes
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	total := 0
	for _, sp := range splits {
		total += len(sp.entries)
	}
	prog.setTotal(int64(total))
	ds := &Dataset{Format: format, Notes: notes}
	for _, sp := range splits {
		cmap := make([]int, len(sp.classes))
		for i, c := range sp.classes {
			j, ok := index[c]
			if !ok {
				return nil, badInputf("class folder %q is in %s/ but not in %s/; add it to %s/ or remove it", c, sp.name, base.name, base.name)
			}
			cmap[i] = j
		}
		set, skipped, err := decodeSplit(ctx, sp, classes, cmap, opt, prog)
		ds.Skipped = append(ds.Skipped, skipped...)
		if err != nil {
			return nil, err
		}
		counts := set.ClassCounts()
		for _, local := range sp.classes {
			if counts[index[local]] == 0 {
				where := sp.name + "/"
				if sp.name == "" {
					where = ""
				}
				return nil, badInputf("class folder %s%s has no readable images (%d unreadable skipped in total); add images or remove the folder", where, local, len(ds.Skipped))
			}
		}
		switch sp.name {
		case "", "train":
			ds.Train = set
		case "val":
			ds.Val = set
		case "test":
			ds.Test = set
		}
	}
	if len(classes) < 2 {
		return nil, badInputf("found a single class folder (%s); a classifier needs at least two class folders", classes[0])
	}
	// Splits decoded separately may disagree on channels or size.
	for _, s := range []*Set{ds.Val, ds.Test} {
		if s == nil {
			continue
		}
		if s.H != ds.Train.H || s.W != ds.Train.W {
			return nil, badInputf("train images are %dx%d but another split's are %dx%d; pass --size N to resize every image to NxN", ds.Train.W, ds.Train.H, s.W, s.H)
		}
		if s.C != ds.Train.C {
			unifyChannels(ds)
			break
		}
	}
	return ds, nil
}

// unifyChannels turns grey splits into RGB when another split has colour.
func unifyChannels(ds *Dataset) {
	for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
		if s == nil || s.C == 3 {
			continue
		}
		plane := s.H * s.W
		out := make([]uint8, 3*len(s.Images))
		for i := range s.Len() {
			src := s.Images[i*plane : (i+1)*plane]
			for c := range 3 {
				copy(out[(3*i+c)*plane:], src)
			}
		}
		s.C, s.Images = 3, out
	}
}
