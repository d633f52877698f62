package inspect

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"
)

// knnAccuracyScan is the plain O(N²) definition of EmbeddingKNNAccuracy.
func knnAccuracyScan(y []float64, labels []int32, k, classes int) float64 {
	n := len(labels)
	correct := 0
	for i := range n {
		var all []cand
		for j := range n {
			if j != i {
				dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
				all = append(all, cand{dx*dx + dy*dy, int32(j)})
			}
		}
		sortCands(all)
		votes := make([]int, classes)
		for _, c := range all[:k] {
			votes[labels[c.i]]++
		}
		best := 0
		for c := range votes {
			if votes[c] > votes[best] {
				best = c
			}
		}
		if int32(best) == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(n)
}

func TestEmbeddingKNNAccuracyMatchesAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, spread := range []float64{0.3, 1, 3} {
		n := 600
		y := make([]float64, 2*n)
		labels := make([]int32, n)
		for i := range n {
			c := i % 3
			labels[i] = int32(c)
			y[2*i] = float64(c)*2 + rng.NormFloat64()*spread
			y[2*i+1] = rng.NormFloat64() * spread
			if i%50 == 0 { // clumps of duplicates and far outliers
				y[2*i], y[2*i+1] = 100, -40
			}
		}
		got, err := EmbeddingKNNAccuracy(y, labels, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := knnAccuracyScan(y, labels, 10, 3); got != want {
			t.Errorf("spread %g: grid search %v, scan %v", spread, got, want)
		}
	}
	// Two far apart groups: perfect.
	y := []float64{0, 0, 0.1, 0, 0, 0.1, 10, 10, 10.1, 10, 10, 10.1}
	if acc, _ := EmbeddingKNNAccuracy(y, []int32{0, 0, 0, 1, 1, 1}, 2); acc != 1 {
		t.Errorf("separated groups: accuracy %v", acc)
	}
	if _, err := EmbeddingKNNAccuracy(y, []int32{0, 1}, 1); err == nil {
		t.Error("mismatched labels: no error")
	}
	if _, err := EmbeddingKNNAccuracy(y, []int32{0, 0, 0, 1, 1, 1}, 6); err == nil {
		t.Error("k = N: no error")
	}
}

func TestLayoutCSVAndPictures(t *testing.T) {
	y := []float64{0, 0, 1.5, -2, 3, 1}
	var b bytes.Buffer
	if err := WriteLayoutCSV(&b, y, []int32{0, 1, 1}, []string{"cat", "dog, big"}); err != nil {
		t.Fatal(err)
	}
	want := "index,x,y,label,class\n0,0,0,0,cat\n1,1.5,-2,1,\"dog, big\"\n2,3,1,1,\"dog, big\"\n"
	if b.String() != want {
		t.Errorf("CSV\n%s\nwant\n%s", b.String(), want)
	}
	img, err := ScatterImage(y, []int32{0, 1, 1}, 100)
	if err != nil {
		t.Fatal(err)
	}
	// The leftmost point (class 0) is drawn in the first colour near the
	// left margin; the picture is otherwise white.
	coloured := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] != 255 || img.Pix[i+1] != 255 || img.Pix[i+2] != 255 {
			coloured++
		}
	}
	if coloured != 27 {
		t.Errorf("%d coloured pixels, want 3 dots of 9", coloured)
	}
	found := false
	for x := 0; x < 10; x++ {
		for yy := 0; yy < 100; yy++ {
			if img.NRGBAAt(x, yy) == Palette[0] {
				found = true
			}
		}
	}
	if !found {
		t.Error("no class-0 dot at the left edge")
	}
	g, err := GridAssign([]float64{0, 0, 1, 1, 0, 1, 1, 0}, 2, 2)
	if err != nil || !slices.Equal(g, []int{2, 1, 0, 3}) {
		t.Errorf("grid assignment %v, want [2 1 0 3] (top-left, top-right, bottom-left, bottom-right)", g)
	}
	if sel := SelectRegion(y, 2, 2, -1, -3); len(sel) != 2 || sel[0] != 0 || sel[1] != 1 {
		t.Errorf("selection %v, want [0 1]", sel)
	}
}

func TestThumbnailGrid(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	img, err := ThumbnailGrid([]int{0, -1, 1, 0}, 2, 2, 8, func(i int) image.Image {
		if i == 1 {
			return image.NewGray(image.Rect(0, 0, 2, 2)) // black
		}
		return white
	})
	if err != nil || img.Bounds().Dx() != 16 || img.Bounds().Dy() != 16 {
		t.Fatalf("grid %v (%v)", img.Bounds(), err)
	}
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{{3, 3, color.NRGBA{255, 255, 255, 255}}, {12, 3, Background}, {3, 12, color.NRGBA{0, 0, 0, 255}}, {15, 15, color.NRGBA{255, 255, 255, 255}}} {
		if got := img.NRGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	if _, err := ThumbnailGrid([]int{0}, 2, 2, 8, nil); err == nil {
		t.Error("1 cell for a 2x2 grid: no error")
	}
}

func TestLocatorFindsTheNearestPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	n := 2000
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = rng.NormFloat64() * 10
	}
	l := NewLocator(y)
	for range 500 {
		qx, qy := rng.NormFloat64()*15, rng.NormFloat64()*15
		got, d := l.Nearest(qx, qy)
		best, bd := -1, 1e300
		for i := range n {
			dx, dy := qx-y[2*i], qy-y[2*i+1]
			if dd := dx*dx + dy*dy; dd < bd {
				best, bd = i, dd
			}
		}
		if got != best || d*d-bd > 1e-9 {
			t.Fatalf("query (%v,%v): locator %d at %v, scan %d at %v", qx, qy, got, d, best, bd)
		}
	}
	if i, _ := NewLocator(nil).Nearest(0, 0); i != -1 {
		t.Errorf("empty layout: %d", i)
	}
}
