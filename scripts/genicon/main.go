// Command genicon draws Workbench's application icon, assets/icon.png: a
// rounded square with a blue-to-teal gradient and a stack of three feature
// maps, the front one split into a 3×3 kernel. It is drawn from signed
// distance functions with 4×4 supersampling, so edges are smooth at any size.
//
// Run from the repository root:
//
//	go run ./scripts/genicon -o assets/icon.png
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

func main() {
	out := flag.String("o", "assets/icon.png", "output PNG file")
	size := flag.Int("size", 512, "width and height in pixels")
	flag.Parse()
	if *size < 16 || *size > 4096 {
		fmt.Fprintln(os.Stderr, "genicon: --size must be between 16 and 4096")
		os.Exit(2)
	}
	img := draw(*size)
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
	if err := png.Encode(f, img); err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "genicon:", err)
		os.Exit(1)
	}
}

// rgba is a colour with straight (non-premultiplied) alpha, components 0..1.
type rgba struct{ r, g, b, a float64 }

// over composites c over dst (both straight alpha).
func over(dst, c rgba) rgba {
	a := c.a + dst.a*(1-c.a)
	if a == 0 {
		return rgba{}
	}
	mix := func(x, y float64) float64 { return (x*c.a + y*dst.a*(1-c.a)) / a }
	return rgba{mix(c.r, dst.r), mix(c.g, dst.g), mix(c.b, dst.b), a}
}

// roundedBox is the signed distance from (x,y) to a rounded rectangle centred
// at (cx,cy) with half sizes hw,hh and corner radius r (negative inside).
func roundedBox(x, y, cx, cy, hw, hh, r float64) float64 {
	dx := math.Abs(x-cx) - (hw - r)
	dy := math.Abs(y-cy) - (hh - r)
	outside := math.Hypot(math.Max(dx, 0), math.Max(dy, 0))
	inside := math.Min(math.Max(dx, dy), 0)
	return outside + inside - r
}

func hex(s string, a float64) rgba {
	var r, g, b int
	fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b)
	return rgba{float64(r) / 255, float64(g) / 255, float64(b) / 255, a}
}

// shade returns the icon's colour at (x,y), coordinates in 0..1.
func shade(x, y float64) rgba {
	var c rgba
	// Background: rounded square, diagonal gradient indigo -> teal.
	if roundedBox(x, y, 0.5, 0.5, 0.46, 0.46, 0.11) < 0 {
		t := math.Min(math.Max((x+y)/2, 0), 1)
		a, b := hex("#364fc7", 1), hex("#0b9d8a", 1)
		c = rgba{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t, 1}
		// A soft highlight in the upper left.
		if d := math.Hypot(x-0.25, y-0.2); d < 0.55 {
			c = over(c, rgba{1, 1, 1, 0.10 * (1 - d/0.55)})
		}
	} else {
		return rgba{}
	}
	// Three stacked feature maps, back to front, each with a soft shadow.
	maps := []struct {
		cx, cy, alpha float64
	}{
		{0.575, 0.425, 0.30},
		{0.505, 0.495, 0.55},
		{0.425, 0.575, 1.00},
	}
	const half, radius = 0.2, 0.035
	for i, m := range maps {
		if d := roundedBox(x, y, m.cx+0.012, m.cy+0.018, half, half, radius); d < 0.02 {
			c = over(c, rgba{0, 0, 0.1, 0.18 * m.alpha * math.Min(1, (0.02-d)/0.02)})
		}
		if roundedBox(x, y, m.cx, m.cy, half, half, radius) < 0 {
			c = over(c, rgba{1, 1, 1, 0.92 * m.alpha})
			if i == len(maps)-1 {
				c = kernel(c, x, y, m.cx, m.cy, half)
			}
		}
	}
	return c
}

// kernel draws a 3×3 grid of cells of varying strength on the front map, the
// way a learned filter looks.
func kernel(c rgba, x, y, cx, cy, half float64) rgba {
	weights := [3][3]float64{
		{0.25, 0.65, 0.95},
		{0.45, 0.85, 0.55},
		{0.90, 0.35, 0.15},
	}
	inner := half * 0.78
	cell := 2 * inner / 3
	gx := (x - (cx - inner)) / cell
	gy := (y - (cy - inner)) / cell
	if gx < 0 || gy < 0 || gx >= 3 || gy >= 3 {
		return c
	}
	i, j := int(gy), int(gx)
	ccx := cx - inner + (float64(j)+0.5)*cell
	ccy := cy - inner + (float64(i)+0.5)*cell
	if roundedBox(x, y, ccx, ccy, cell*0.42, cell*0.42, cell*0.12) < 0 {
		w := weights[i][j]
		a, b := hex("#364fc7", 1), hex("#0b9d8a", 1)
		col := rgba{a.r + (b.r-a.r)*w, a.g + (b.g-a.g)*w, a.b + (b.b-a.b)*w, 0.25 + 0.75*w}
		c = over(c, col)
	}
	return c
}

// draw renders the icon at n×n pixels with 4×4 supersampling.
func draw(n int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	const ss = 4
	for py := 0; py < n; py++ {
		for px := 0; px < n; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/ss) / float64(n)
					y := (float64(py) + (float64(sy)+0.5)/ss) / float64(n)
					c := shade(x, y)
					// Average premultiplied colour.
					r += c.r * c.a
					g += c.g * c.a
					b += c.b * c.a
					a += c.a
				}
			}
			k := float64(ss * ss)
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(255 * r / a)),
				G: uint8(math.Round(255 * g / a)),
				B: uint8(math.Round(255 * b / a)),
				A: uint8(math.Round(255 * a / k)),
			})
		}
	}
	return img
}
