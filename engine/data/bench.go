package data

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbench-cv/workbench/engine/data/augment"
)

// BenchLoader measures the loader workload of `workbench bench --workload
// loader`: every image of a zip or folder of class folders (path; "" finds
// CIFAR-10 as Load("cifar10") does) is read, decoded, converted to float32,
// flipped and cropped (padding 4) at random, on threads workers (0: all
// CPUs). It returns images per second over the whole run, opening the
// archive included.
func BenchLoader(ctx context.Context, path string, threads int) (float64, error) {
	if path == "" {
		p, err := Locate(SpecCIFAR10)
		if err != nil {
			return 0, err
		}
		path = p
	}
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	start := time.Now()
	var files []fileRef
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if st.IsDir() {
		files, _, err = listFolder(path)
		if err != nil {
			return 0, err
		}
	} else {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return 0, badInputf("%s: not a readable zip (%v); pass the CIFAR-10 JPEG zip or a folder of class folders", path, err)
		}
		defer zr.Close()
		files, _ = listZip(&zr.Reader)
	}
	splits, _, err := organise(files)
	if err != nil {
		return 0, inFile(path, err)
	}
	var entries []imageEntry
	for _, sp := range splits {
		entries = append(entries, sp.entries...)
	}
	pipe, err := augment.Parse("hflip,crop:4")
	if err != nil {
		return 0, err
	}
	var next atomic.Int64
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			var x []float32
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(entries) {
					return
				}
				buf.Reset()
				err := readEntry(&buf, entries[i], DefaultMaxEntryBytes)
				var im decodedImage
				if err == nil {
					im, err = decodeImage(buf.Bytes(), 0, DefaultMaxImagePixels)
				}
				if err != nil {
					once.Do(func() { firstErr = inFile(entries[i].name, badInputf("%v", err)) })
					return
				}
				x = x[:0]
				for _, v := range im.pix {
					x = append(x, byteToUnit[v])
				}
				pipe.Apply(augment.Image{C: 3, H: im.h, W: im.w, Pix: x}, 1, 0, i)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}
