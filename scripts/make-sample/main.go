// Command make-sample cuts the small dataset embedded in Workbench
// (assets/sample) from Fashion-MNIST: the first images of each class, in
// file order, so the sample is balanced, real and reproducible.
//
// Usage (from the repository root):
//
//	go run ./scripts/make-sample [-src /usr/share/datasets/fashion-mnist] [-train 6000] [-test 1000] [-out assets/sample]
//
// The source is Debian's dataset-fashion-mnist package by default (its
// standard location); -src or $WORKBENCH_DATA/fashion-mnist override it.
// The output is gzipped IDX files, classes.txt and a README with the
// provenance. Re-running with the same source gives byte-identical files.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
)

func main() {
	src := flag.String("src", defaultSource(), "folder holding Fashion-MNIST's IDX files")
	nTrain := flag.Int("train", 6000, "training images (a multiple of 10: equal per class)")
	nTest := flag.Int("test", 1000, "test images (a multiple of 10)")
	out := flag.String("out", filepath.Join("assets", "sample"), "output folder")
	flag.Parse()
	if err := run(*src, *out, *nTrain, *nTest); err != nil {
		fmt.Fprintln(os.Stderr, "make-sample:", err)
		os.Exit(1)
	}
}

func defaultSource() string {
	if d := os.Getenv("WORKBENCH_DATA"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "fashion-mnist")); err == nil {
			return filepath.Join(d, "fashion-mnist")
		}
	}
	return "/usr/share/datasets/fashion-mnist"
}

func run(src, out string, nTrain, nTest int) error {
	if nTrain%10 != 0 || nTest%10 != 0 {
		return fmt.Errorf("-train and -test must be multiples of 10 (equal images per class)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, sp := range []struct {
		prefix string
		n      int
	}{{"train", nTrain}, {"t10k", nTest}} {
		s, err := readPair(src, sp.prefix)
		if err != nil {
			return err
		}
		sub := firstPerClass(s, sp.n/len(s.Classes))
		var img, lab bytes.Buffer
		if err := data.WriteIDXImages(&img, sub.Len(), sub.H, sub.W, sub.Images); err != nil {
			return err
		}
		if err := data.WriteIDXLabels(&lab, sub.Labels); err != nil {
			return err
		}
		if err := writeGz(filepath.Join(out, sp.prefix+"-images-idx3-ubyte.gz"), img.Bytes()); err != nil {
			return err
		}
		if err := writeGz(filepath.Join(out, sp.prefix+"-labels-idx1-ubyte.gz"), lab.Bytes()); err != nil {
			return err
		}
		fmt.Printf("%s: %d images (%d per class)\n", sp.prefix, sub.Len(), sp.n/len(s.Classes))
	}
	classes := strings.Join(data.FashionMNISTClasses, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(out, "classes.txt"), []byte(classes), 0o644); err != nil {
		return err
	}
	readme := fmt.Sprintf(`# The embedded sample dataset

A class-balanced subset of Fashion-MNIST (Xiao, Rasul and Vollgraf, Zalando
Research, 2017; MIT licence): the first %d training and the first %d test
images of each of the 10 classes, in the original file order, as gzipped IDX
files. Cut by scripts/make-sample from Debian's dataset-fashion-mnist package;
regenerate with:

    go run ./scripts/make-sample

classes.txt gives the class names in label order.
`, nTrain/10, nTest/10)
	return os.WriteFile(filepath.Join(out, "README.md"), []byte(readme), 0o644)
}

func readPair(dir, prefix string) (*data.Set, error) {
	img, err := os.Open(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"))
	if err != nil {
		return nil, fmt.Errorf("%w (install Debian's dataset-fashion-mnist or pass -src)", err)
	}
	defer img.Close()
	lab, err := os.Open(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		return nil, err
	}
	defer lab.Close()
	return data.ReadIDXPair(img, lab, data.FashionMNISTClasses)
}

// firstPerClass keeps the first k images of every class, in file order.
func firstPerClass(s *data.Set, k int) *data.Set {
	taken := make([]int, len(s.Classes))
	var idx []int
	for i, l := range s.Labels {
		if taken[l] < k {
			taken[l]++
			idx = append(idx, i)
		}
	}
	return s.Subset(idx)
}

// writeGz writes deterministic gzip (no name, no time stamp).
func writeGz(path string, b []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
