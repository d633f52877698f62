package data

import (
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// FashionMNISTClasses are the class names of Fashion-MNIST, in label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// DigitClasses are MNIST's class names.
var DigitClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

type idxPair struct {
	split          string // "train" or "test"
	images, labels string
}

// idxPairs finds the images/labels file pairs among names (one folder).
func idxPairs(names []string) ([]idxPair, error) {
	have := map[string]string{} // name without .gz -> name
	for _, n := range names {
		have[strings.TrimSuffix(n, ".gz")] = n
	}
	var pairs []idxPair
	var imgs []string
	for _, n := range names {
		base := strings.ToLower(strings.TrimSuffix(n, ".gz"))
		if strings.Contains(base, "idx3") && strings.Contains(base, "images") {
			imgs = append(imgs, n)
		}
	}
	sort.Strings(imgs)
	for _, n := range imgs {
		base := strings.TrimSuffix(n, ".gz")
		lb := strings.Replace(strings.Replace(base, "images", "labels", 1), "idx3", "idx1", 1)
		ln, ok := have[lb]
		if !ok {
			return nil, badInputf("%s has no labels file %s[.gz] beside it; add the matching labels file", n, lb)
		}
		low := strings.ToLower(base)
		split := ""
		switch {
		case strings.HasPrefix(low, "train"):
			split = "train"
		case strings.HasPrefix(low, "t10k"), strings.HasPrefix(low, "test"):
			split = "test"
		default:
			return nil, badInputf("cannot tell whether %s is the training or the test split; name it train-images-idx3-ubyte or t10k-images-idx3-ubyte", n)
		}
		for _, p := range pairs {
			if p.split == split {
				return nil, badInputf("two %s image files (%s and %s); keep one per split in the folder", split, p.images, n)
			}
		}
		pairs = append(pairs, idxPair{split: split, images: n, labels: ln})
	}
	return pairs, nil
}

func hasIDX(names []string) bool {
	for _, n := range names {
		low := strings.ToLower(n)
		if strings.Contains(low, "idx3") && strings.Contains(low, "images") {
			return true
		}
	}
	return false
}

// readIDXFS reads the IDX files of the root folder of fsys. classes nil
// means: from classes.txt if present, else numbered.
func readIDXFS(fsys fs.FS, classes []string, maxBytes int64, prog *progress) (*Dataset, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		// Regular files only: opening a FIFO would block forever.
		if e.Type().IsRegular() || !e.IsDir() && regularIn(fsys, e.Name()) {
			names = append(names, e.Name())
		}
	}
	pairs, err := idxPairs(names)
	if err != nil {
		return nil, err
	}
	if len(pairs) == 0 {
		return nil, badInputf("no IDX images files (*-images-idx3-ubyte[.gz]); pass a folder that holds them")
	}
	hasTrain := false
	for _, p := range pairs {
		hasTrain = hasTrain || p.split == "train"
	}
	if !hasTrain {
		return nil, badInputf("only test IDX files found; add train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]")
	}
	if classes == nil {
		// Only a regular classes.txt: reading a FIFO would block.
		if regularIn(fsys, "classes.txt") {
			if b, err := fs.ReadFile(fsys, "classes.txt"); err == nil {
				classes = splitLines(string(b))
			}
		}
	}
	var total int64
	for _, p := range pairs {
		for _, n := range []string{p.images, p.labels} {
			if st, err := fs.Stat(fsys, n); err == nil {
				total += st.Size()
			}
		}
	}
	prog.setTotal(total)
	open := func(name string) (io.ReadCloser, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		return readCloser{prog.reader(f), f}, nil
	}
	type split struct {
		n, h, w int
		pix     []uint8
		lab     []int32
	}
	read := make([]split, len(pairs))
	var all []int32 // labels of every split, to name the classes
	for i, p := range pairs {
		imf, err := open(p.images)
		if err != nil {
			return nil, err
		}
		n, h, w, pix, err := readIDXImages(imf, maxBytes)
		imf.Close()
		if err != nil {
			return nil, inFile(p.images, err)
		}
		lbf, err := open(p.labels)
		if err != nil {
			return nil, err
		}
		lab, err := readIDXLabels(lbf, maxBytes)
		lbf.Close()
		if err != nil {
			return nil, inFile(p.labels, err)
		}
		read[i] = split{n, h, w, pix, lab}
		all = append(all, lab...)
	}
	// Without names, the classes are the union of every split's labels
	// (digits when they fit), so a label the test split lacks (or only it
	// has) still has its class and every split shares one class list.
	if classes == nil {
		classes = DigitClasses
		if mx := numberedClasses(all); len(mx) > 10 {
			classes = mx
		}
	}
	ds := &Dataset{Format: "idx"}
	for i, p := range pairs {
		r := read[i]
		s, err := idxSet(r.n, r.h, r.w, r.pix, r.lab, classes)
		if err != nil {
			return nil, inFile(path.Join(p.images+" + "+p.labels), err)
		}
		if p.split == "train" {
			ds.Train = s
		} else {
			ds.Test = s
		}
	}
	if ds.Test != nil && (ds.Test.H != ds.Train.H || ds.Test.W != ds.Train.W) {
		return nil, badInputf("train images are %dx%d but test images are %dx%d; use files from the same dataset", ds.Train.W, ds.Train.H, ds.Test.W, ds.Test.H)
	}
	return ds, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
