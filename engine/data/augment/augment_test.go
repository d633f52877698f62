package augment

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// testImage is a C x H x W image whose pixels are all different.
func testImage(c, h, w int) Image {
	im := Image{C: c, H: h, W: w, Pix: make([]float32, c*h*w)}
	for i := range im.Pix {
		im.Pix[i] = float32(i%251) / 251
	}
	return im
}

func equal(a, b []float32, tol float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func at(im Image, c, y, x int) float32 { return im.Pix[(c*im.H+y)*im.W+x] }

func TestFlipTwiceIsIdentity(t *testing.T) {
	im := testImage(3, 5, 7)
	orig := im.Clone()
	HFlip(im)
	if equal(im.Pix, orig.Pix, 0) {
		t.Fatal("HFlip changed nothing")
	}
	if at(im, 1, 2, 0) != at(orig, 1, 2, 6) {
		t.Fatal("HFlip did not mirror columns")
	}
	HFlip(im)
	if !equal(im.Pix, orig.Pix, 0) {
		t.Fatal("HFlip twice is not the identity")
	}
	VFlip(im)
	if at(im, 2, 0, 3) != at(orig, 2, 4, 3) {
		t.Fatal("VFlip did not mirror rows")
	}
	VFlip(im)
	if !equal(im.Pix, orig.Pix, 0) {
		t.Fatal("VFlip twice is not the identity")
	}
}

func TestShift(t *testing.T) {
	im := testImage(1, 4, 4)
	orig := im.Clone()
	Shift(im, 1, 2, -1)
	if at(im, 0, 2, 1) != at(orig, 0, 0, 0) || at(im, 0, 3, 3) != at(orig, 0, 1, 2) {
		t.Fatal("Shift moved pixels to the wrong place")
	}
	if at(im, 0, 0, 0) != -1 || at(im, 0, 3, 0) != -1 {
		t.Fatal("Shift did not fill the uncovered pixels")
	}
}

// A random crop after padding by p equals a shift by at most p each way.
func TestCropIsBoundedShift(t *testing.T) {
	orig := testImage(3, 8, 8)
	op := crop{pad: 2}
	seen := map[[2]int]bool{}
	for i := range 200 {
		im := orig.Clone()
		op.Apply(im, Rand(1, 0, i), nil)
		found := false
		for dy := -2; dy <= 2 && !found; dy++ {
			for dx := -2; dx <= 2 && !found; dx++ {
				ref := orig.Clone()
				Shift(ref, dx, dy, 0)
				if equal(im.Pix, ref.Pix, 0) {
					found = true
					seen[[2]int{dx, dy}] = true
				}
			}
		}
		if !found {
			t.Fatalf("crop %d is not a shift of at most 2 pixels", i)
		}
	}
	if len(seen) < 20 {
		t.Fatalf("crop used only %d of the 25 offsets in 200 draws", len(seen))
	}
}

func TestRotate90IsExact(t *testing.T) {
	im := testImage(1, 6, 6)
	orig := im.Clone()
	Rotate(im, 90, 0)
	// Counter-clockwise on screen: the top row becomes the left column,
	// read bottom to top.
	for y := range 6 {
		for x := range 6 {
			want := at(orig, 0, x, 5-y)
			if got := at(im, 0, y, x); math.Abs(float64(got-want)) > 1e-5 {
				t.Fatalf("pixel (%d,%d) = %v, want %v", y, x, got, want)
			}
		}
	}
	Rotate(im, -90, 0)
	if !equal(im.Pix, orig.Pix, 1e-5) {
		t.Fatal("rotating by 90 and back is not the identity")
	}
	im2 := orig.Clone()
	Rotate(im2, 0, 0)
	if !equal(im2.Pix, orig.Pix, 1e-6) {
		t.Fatal("rotating by 0 changed the image")
	}
}

func TestScaleZeroAndResizedCropFullAreIdentity(t *testing.T) {
	orig := testImage(3, 8, 8)
	im := orig.Clone()
	scale{amount: 0}.Apply(im, Rand(3, 0, 0), nil)
	if !equal(im.Pix, orig.Pix, 1e-6) {
		t.Fatal("scale:0 changed the image")
	}
	// An area fraction of 1 on a square image leaves only the whole image.
	for i := range 20 {
		im := orig.Clone()
		resizedCrop{minScale: 1}.Apply(im, Rand(3, 0, i), nil)
		if !equal(im.Pix, orig.Pix, 1e-5) {
			t.Fatal("resized-crop:1 changed a square image")
		}
	}
	// A smaller fraction zooms in: the output differs but stays in range.
	im = orig.Clone()
	resizedCrop{minScale: 0.1}.Apply(im, Rand(3, 0, 1), nil)
	if equal(im.Pix, orig.Pix, 1e-5) {
		t.Fatal("resized-crop:0.1 left the image unchanged")
	}
	for _, v := range im.Pix {
		if v < 0 || v > 1 {
			t.Fatalf("resized crop produced %v outside [0,1]", v)
		}
	}
}

func TestColourOps(t *testing.T) {
	im := testImage(3, 4, 4)
	orig := im.Clone()
	Brightness(im, 0.5)
	for i := range im.Pix {
		if math.Abs(float64(im.Pix[i]-orig.Pix[i]/2)) > 1e-6 {
			t.Fatal("Brightness(0.5) did not halve the pixels")
		}
	}
	im = orig.Clone()
	Contrast(im, 0)
	for _, v := range im.Pix[1:] {
		if v != im.Pix[0] {
			t.Fatal("Contrast(0) did not give a flat image")
		}
	}
	im = orig.Clone()
	Saturation(im, 0)
	plane := 16
	for k := range plane {
		if math.Abs(float64(im.Pix[k]-im.Pix[plane+k])) > 1e-6 || math.Abs(float64(im.Pix[k]-im.Pix[2*plane+k])) > 1e-6 {
			t.Fatal("Saturation(0) did not give a grey image")
		}
	}
	im = orig.Clone()
	Saturation(im, 1)
	Contrast(im, 1)
	if !equal(im.Pix, orig.Pix, 1e-6) {
		t.Fatal("factors of 1 changed the image")
	}
}

func TestCutoutAndErase(t *testing.T) {
	orig := testImage(3, 16, 16)
	env := &Env{Fill: []float32{-1, -2, -3}}
	for i := range 50 {
		im := orig.Clone()
		cutout{size: 6}.Apply(im, Rand(9, 0, i), env)
		for c := range 3 {
			n := 0
			for _, v := range im.Pix[c*256 : (c+1)*256] {
				if v == env.Fill[c] {
					n++
				}
			}
			if n == 0 || n > 36 {
				t.Fatalf("cutout painted %d pixels of channel %d, want 1-36", n, c)
			}
		}
	}
	im := orig.Clone()
	erase{p: 0}.Apply(im, Rand(1, 0, 0), nil)
	if !equal(im.Pix, orig.Pix, 0) {
		t.Fatal("erase:0 changed the image")
	}
	changed := 0
	for i := range 20 {
		im := orig.Clone()
		erase{p: 1}.Apply(im, Rand(1, 0, i), nil)
		if !equal(im.Pix, orig.Pix, 0) {
			changed++
		}
	}
	if changed < 18 {
		t.Fatalf("erase:1 changed only %d of 20 images", changed)
	}
}

func TestPipelineDeterministic(t *testing.T) {
	p, err := Parse("flip,vflip,crop:3,resized-crop:0.3,scale,translate,rotate:20,jitter,pca-colour,cutout,erase")
	if err != nil {
		t.Fatal(err)
	}
	orig := testImage(3, 12, 12)
	p.Env.ColourPCA, err = FitColourPCA(toBytes(orig), 1, 3, 12, 12, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := orig.Clone(), orig.Clone(), orig.Clone()
	p.Apply(a, 7, 2, 41)
	p.Apply(b, 7, 2, 41)
	p.Apply(c, 7, 3, 41)
	if !equal(a.Pix, b.Pix, 0) {
		t.Fatal("same (seed, epoch, index) gave different images")
	}
	if equal(a.Pix, c.Pix, 0) {
		t.Fatal("a different epoch gave the same augmentation")
	}
}

func toBytes(im Image) []uint8 {
	out := make([]uint8, len(im.Pix))
	for i, v := range im.Pix {
		out[i] = uint8(v * 255)
	}
	return out
}

func TestParse(t *testing.T) {
	p, err := Parse(" flip , crop:4,rotate:10, mixup:0.4")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Ops) != 3 || p.Mixup != 0.4 {
		t.Fatalf("got %d ops and mixup %v", len(p.Ops), p.Mixup)
	}
	if got := p.String(); got != "hflip:0.5,crop:4,rotate:10,mixup:0.4" {
		t.Fatalf("String() = %q", got)
	}
	again, err := Parse(p.String())
	if err != nil || again.String() != p.String() {
		t.Fatalf("String does not round-trip: %v %q", err, again.String())
	}
	for _, bad := range []string{"flop", "rotate:x", "hflip:2", "crop:-1"} {
		_, err := Parse(bad)
		if !errors.Is(err, ErrParse) {
			t.Errorf("Parse(%q) = %v, want a parse error", bad, err)
		}
	}
	if err := func() error { _, err := Parse("flop"); return err }(); !strings.Contains(err.Error(), "flip") {
		t.Errorf("error does not list the valid names: %v", err)
	}
	if p, _ := Parse("none"); !p.Empty() {
		t.Error("none is not empty")
	}
}

func TestMixup(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n, d, k := 8, 5, 3
	x := make([]float32, n*d)
	labels := make([]int32, n)
	for i := range n {
		labels[i] = int32(i % k)
		for j := range d {
			x[i*d+j] = float32(labels[i])
		}
	}
	soft, lam := Mixup(x, d, labels, k, 0.4, r)
	if lam < 0 || lam > 1 {
		t.Fatalf("lambda %v outside [0,1]", lam)
	}
	for i := range n {
		var sum, expect float32
		for c := range k {
			sum += soft[i*k+c]
			expect += float32(c) * soft[i*k+c]
		}
		if math.Abs(float64(sum-1)) > 1e-6 {
			t.Fatalf("soft labels of row %d sum to %v", i, sum)
		}
		// Each pixel held its label, so the mixed pixel is the soft
		// labels' expected class.
		if math.Abs(float64(x[i*d]-expect)) > 1e-5 {
			t.Fatalf("row %d pixel %v does not match soft labels (%v)", i, x[i*d], expect)
		}
	}
}

func TestBetaMean(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, ab := range [][2]float64{{0.2, 0.2}, {2, 5}} {
		var s float64
		const n = 20000
		for range n {
			v := Beta(r, ab[0], ab[1])
			if v < 0 || v > 1 {
				t.Fatalf("Beta draw %v outside [0,1]", v)
			}
			s += v
		}
		want := ab[0] / (ab[0] + ab[1])
		if math.Abs(s/n-want) > 0.01 {
			t.Errorf("Beta(%v,%v) mean %v, want %v", ab[0], ab[1], s/n, want)
		}
	}
}

func TestTTA(t *testing.T) {
	im := testImage(1, 6, 6)
	views := TTA(im, 2, true)
	if len(views) != 10 {
		t.Fatalf("%d views, want 10", len(views))
	}
	if !equal(views[0].Image.Pix, im.Pix, 0) {
		t.Fatal("first view is not the image")
	}
	f := im.Clone()
	HFlip(f)
	if !equal(views[1].Image.Pix, f.Pix, 0) {
		t.Fatal("second view is not the mirrored image")
	}
	avg, err := Average([][]float32{{1, 2}, {3, 4}})
	if err != nil || avg[0] != 2 || avg[1] != 3 {
		t.Fatalf("Average = %v, %v", avg, err)
	}
	if len(TTA(im, 0, false)) != 1 {
		t.Fatal("no pad and no flips should give one view")
	}
}

func TestFitColourPCA(t *testing.T) {
	// Pixels vary only in brightness, so the top colour direction is grey.
	n, h, w := 50, 2, 2
	pix := make([]uint8, n*3*h*w)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		for k := range h * w {
			v := uint8(r.IntN(256))
			for c := range 3 {
				pix[i*3*h*w+c*h*w+k] = v
			}
		}
	}
	p, err := FitColourPCA(pix, n, 3, h, w, 1)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		if math.Abs(math.Abs(float64(p.Vectors[c]))-1/math.Sqrt(3)) > 1e-4 {
			t.Fatalf("top eigenvector %v is not grey", p.Vectors[:3])
		}
	}
	if p.Values[1] > 1e-6*p.Values[0] {
		t.Fatalf("eigenvalues %v: only one direction should vary", p.Values)
	}
}

// Shift works in place; compare it with a plain out-of-place reference for
// every direction, including shifts past the border.
func TestShiftMatchesReference(t *testing.T) {
	orig := testImage(2, 4, 6)
	for dy := -5; dy <= 5; dy++ {
		for dx := -7; dx <= 7; dx++ {
			im := orig.Clone()
			Shift(im, dx, dy, -1)
			for c := range 2 {
				for y := range 4 {
					for x := range 6 {
						want := float32(-1)
						if sx, sy := x-dx, y-dy; sx >= 0 && sx < 6 && sy >= 0 && sy < 4 {
							want = at(orig, c, sy, sx)
						}
						if got := at(im, c, y, x); got != want {
							t.Fatalf("shift (%d,%d): pixel (%d,%d,%d) = %v, want %v", dx, dy, c, y, x, got, want)
						}
					}
				}
			}
		}
	}
}

// The list of ops that help shows is the one the error names, every op in
// it parses, and the flip's other spelling gives the same op.
func TestOpListAndParseErrorAgree(t *testing.T) {
	list := OpList()
	_, err := Parse("hflip,wobble")
	if err == nil || !strings.Contains(err.Error(), list) || !strings.HasPrefix(list, "hflip, vflip") {
		t.Fatalf("error %v does not carry the list %q", err, list)
	}
	for _, name := range strings.Split(list, ", ") {
		if _, err := Parse(name); err != nil {
			t.Fatalf("listed op %q: %v", name, err)
		}
	}
	a, err1 := Parse("flip:0.3")
	b, err2 := Parse("hflip:0.3")
	if err1 != nil || err2 != nil || a.String() != b.String() || a.String() != "hflip:0.3" {
		t.Fatalf("flip:0.3 is %v (%v), hflip:0.3 is %v (%v)", a, err1, b, err2)
	}
}
