package widgets

import (
	"fmt"
	"image"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// testImages is a source of n tiny images whose grey level encodes the index.
func testGrid(n *int) *ImageGrid {
	img := func(i int) image.Image {
		g := image.NewGray(image.Rect(0, 0, 4, 4))
		for k := range g.Pix {
			g.Pix[k] = uint8(i % 251)
		}
		return g
	}
	return NewImageGrid(func() int { return *n }, img, func(i int) string { return fmt.Sprintf("#%d", i) })
}

// shownLabels returns the captions of the cells on screen.
func shownLabels(g *ImageGrid) map[string]bool {
	out := map[string]bool{}
	for _, o := range g.content.root.Objects {
		for _, c := range o.(*fyne.Container).Objects {
			if t, ok := c.(*canvas.Text); ok {
				out[t.Text] = true
			}
		}
	}
	return out
}

func TestImageGridCreatesOnlyTheVisibleCells(t *testing.T) {
	test.NewTempApp(t)
	n := 60000
	g := testGrid(&n)
	g.ThumbSize = 40
	var lastFirst, lastLast int
	g.OnScrolled = func(first, last int) { lastFirst, lastLast = first, last }
	w := test.NewTempWindow(t, g)
	w.Resize(fyne.NewSize(400, 300))

	first, last := g.VisibleRange()
	if first != 0 || last <= 0 {
		t.Fatalf("visible range %d-%d at the top", first, last)
	}
	cols := g.columns(g.scroll.Size().Width)
	rows := int(g.scroll.Size().Height/(g.cellSize().Height+gridGap)) + 2
	if max := cols * rows; g.content.created > max || g.content.created != last-first {
		t.Fatalf("%d cells created for %d visible (at most %d fit) out of %d images", g.content.created, last-first, max, n)
	}
	if h := g.content.MinSize().Height; h < float32(n/cols)*g.cellSize().Height {
		t.Fatalf("content is %v tall, too short to scroll through %d images", h, n)
	}
	if !shownLabels(g)["#0"] || shownLabels(g)[fmt.Sprintf("#%d", last)] {
		t.Fatalf("the top shows %v", shownLabels(g))
	}

	// Scrolling to the end re-uses the cells.
	created := g.content.created
	g.ScrollTo(n - 1)
	first, last = g.VisibleRange()
	if last != n || first < n-cols*rows {
		t.Fatalf("after ScrollTo(%d) the visible range is %d-%d", n-1, first, last)
	}
	if lastFirst != first || lastLast != last {
		t.Fatalf("OnScrolled reported %d-%d, want %d-%d", lastFirst, lastLast, first, last)
	}
	if g.content.created > created+cols {
		t.Fatalf("scrolling created %d more cells", g.content.created-created)
	}
	if got := shownLabels(g); !got[fmt.Sprintf("#%d", n-1)] || got["#0"] {
		t.Fatalf("at the end the grid shows %v", got)
	}

	// Fewer images: the grid follows after Refresh.
	n = 3
	g.Refresh()
	g.ScrollToTop()
	if first, last := g.VisibleRange(); first != 0 || last != 3 {
		t.Fatalf("3 images: visible %d-%d", first, last)
	}
	if got := shownLabels(g); len(got) != 3 || !got["#2"] {
		t.Fatalf("3 images shown as %v", got)
	}
}

func TestImageGridTapSelectsAndScalesWithNearestNeighbour(t *testing.T) {
	test.NewTempApp(t)
	n := 100
	g := testGrid(&n)
	w := test.NewTempWindow(t, g)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(500, 400))
	picked := -1
	g.OnSelected = func(i int) { picked = i }
	cell := g.cellSize()
	// The second cell of the second row.
	pos := fyne.NewPos(g.content.x0+cell.Width+gridGap+cell.Width/2, cell.Height+gridGap+cell.Height/2)
	test.TapAt(g.content, pos)
	cols := g.columns(g.scroll.Size().Width)
	if picked != cols+1 || g.Selected() != cols+1 {
		t.Fatalf("tap picked %d (selected %d), want %d", picked, g.Selected(), cols+1)
	}
	for _, o := range g.content.root.Objects {
		for _, c := range o.(*fyne.Container).Objects {
			if im, ok := c.(*canvas.Image); ok && im.ScaleMode != canvas.ImageScalePixels {
				t.Fatalf("thumbnail scale mode %v, want nearest-neighbour pixels", im.ScaleMode)
			}
		}
	}
	// A 2x2 checkerboard blown up to a thumbnail keeps hard edges: every
	// captured pixel inside it is black or white, none grey.
	g.Image = func(int) image.Image {
		c := image.NewGray(image.Rect(0, 0, 2, 2))
		c.Pix[0], c.Pix[3] = 255, 255
		return c
	}
	g.Refresh()
	img := w.Canvas().Capture()
	sx := float64(img.Bounds().Dx()) / float64(w.Canvas().Size().Width)
	side := float64(g.thumb())
	grey, seen := 0, map[uint32]bool{}
	for y := 4.0; y < side; y += 0.5 {
		for x := 4.0; x < side; x += 0.5 {
			r, _, _, _ := img.At(int((float64(g.content.x0)+x)*sx), int(y*sx)).RGBA()
			seen[r>>8] = true
			if r>>8 > 10 && r>>8 < 245 {
				grey++
			}
		}
	}
	if grey > 0 || !seen[0] || !seen[255] {
		t.Fatalf("checkerboard thumbnail has %d blended pixels (levels %v)", grey, seen)
	}
}
