package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
)

var sizes = []int{16, 24, 32, 48, 64, 128, 256, 512}

func main() {
	src := flag.String("src", "assets/icon.png", "the square source PNG")
	ico := flag.String("ico", "", "write a Windows .ico here")
	hicolor := flag.String("hicolor", "", "write DIR/hicolor/NxN/{apps,mimetypes}/... PNGs under this folder")
	flag.Parse()
	if *ico == "" && *hicolor == "" {
		fail(fmt.Errorf("give -ico FILE or -hicolor DIR"))
	}
	f, err := os.Open(*src)
	if err != nil {
		fail(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		fail(fmt.Errorf("%s: %w", *src, err))
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 256 {
		fail(fmt.Errorf("%s is %dx%d; it must be square and at least 256 pixels", *src, b.Dx(), b.Dy()))
	}
	if *ico != "" {
		if err := writeICO(*ico, img); err != nil {
			fail(err)
		}
	}
	if *hicolor != "" {
		for _, s := range sizes {
			b, err := encode(shrink(img, s))
			if err != nil {
				fail(err)
			}
			for _, p := range []string{"apps/workbench.png", "mimetypes/application-x-workbench-project.png"} {
				out := filepath.Join(*hicolor, "hicolor", fmt.Sprintf("%dx%d", s, s), p)
				if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
					fail(err)
				}
				if err := os.WriteFile(out, b, 0o644); err != nil {
					fail(err)
				}
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "packicons:", err)
	os.Exit(1)
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := png.Encode(&buf, img)
	return buf.Bytes(), err
}

// writeICO writes an .ico whose entries are PNGs (Windows Vista and later).
func writeICO(path string, img image.Image) error {
	var entries [][]byte
	var icoSizes []int
	for _, s := range sizes {
		if s > 256 {
			continue
		}
		b, err := encode(shrink(img, s))
		if err != nil {
			return err
		}
		entries = append(entries, b)
		icoSizes = append(icoSizes, s)
	}
	var buf bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&buf, le, [3]uint16{0, 1, uint16(len(entries))}) // reserved, type icon, count
	offset := 6 + 16*len(entries)
	for i, b := range entries {
		dim := uint8(icoSizes[i] % 256) // 0 means 256
		binary.Write(&buf, le, struct {
			W, H, Colors, Reserved uint8
			Planes, Bits           uint16
			Size, Offset           uint32
		}{dim, dim, 0, 0, 1, 32, uint32(len(b)), uint32(offset)})
		offset += len(b)
	}
	for _, b := range entries {
		buf.Write(b)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// shrink scales img to n×n by averaging the source pixels each target pixel
// covers (premultiplied alpha, so edges do not darken).
func shrink(img image.Image, n int) *image.NRGBA {
	b := img.Bounds()
	w := b.Dx()
	out := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		y0, y1 := b.Min.Y+y*w/n, b.Min.Y+(y+1)*w/n
		for x := 0; x < n; x++ {
			x0, x1 := b.Min.X+x*w/n, b.Min.X+(x+1)*w/n
			var r, g, bl, a, cnt uint64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					c := color.RGBA64Model.Convert(img.At(sx, sy)).(color.RGBA64)
					r, g, bl, a = r+uint64(c.R), g+uint64(c.G), bl+uint64(c.B), a+uint64(c.A)
					cnt++
				}
			}
			if cnt == 0 {
				continue
			}
			c := color.RGBA64{uint16(r / cnt), uint16(g / cnt), uint16(bl / cnt), uint16(a / cnt)}
			out.Set(x, y, color.NRGBAModel.Convert(c))
		}
	}
	return out
}
