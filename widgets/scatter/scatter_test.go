package scatter

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// grid returns n×n points on the integer grid with labels by column.
func grid(n int) ([]float64, []int32) {
	var xy []float64
	var labels []int32
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			xy = append(xy, float64(x), float64(y))
			labels = append(labels, int32(x%10))
		}
	}
	return xy, labels
}

// shown puts a scatter of the points in a 400×300 window.
func shown(t *testing.T, xy []float64, labels []int32) (*Scatter, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	s := New()
	s.SetPoints(xy, labels)
	w := test.NewTempWindow(t, s)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(400, 300))
	if s.Size() != fyne.NewSize(400, 300) {
		t.Fatalf("scatter laid out at %v", s.Size())
	}
	return s, w
}

func near(a, b fyne.Position) bool {
	return math.Abs(float64(a.X-b.X)) < 0.01 && math.Abs(float64(a.Y-b.Y)) < 0.01
}

func TestFittedViewKeepsEveryPointInsideWithEqualAxes(t *testing.T) {
	xy, labels := grid(5) // x and y in [0, 4]
	s, _ := shown(t, xy, labels)
	for i := 0; i < s.Len(); i++ {
		p := s.PointPosition(i)
		if p.X < margin-0.01 || p.X > 400-margin+0.01 || p.Y < margin-0.01 || p.Y > 300-margin+0.01 {
			t.Fatalf("point %d at %v is outside the plot's margin", i, p)
		}
	}
	// One data unit is as long across as up (t-SNE distances keep their
	// meaning), and y grows upwards.
	dx := s.PointPosition(1).X - s.PointPosition(0).X
	dy := s.PointPosition(0).Y - s.PointPosition(5).Y
	if math.Abs(float64(dx-dy)) > 0.01 || dx <= 0 {
		t.Fatalf("unit steps %v across and %v up", dx, dy)
	}
	if want := float32(300-2*margin) / 4; math.Abs(float64(dx-want)) > 0.01 {
		t.Fatalf("a unit is %v units, want %v (the height limits the fit)", dx, want)
	}
}

func TestHoverShowsTheNearestPointsImageAndCaption(t *testing.T) {
	xy, labels := grid(5)
	s, _ := shown(t, xy, labels)
	thumb := image.NewRGBA(image.Rect(0, 0, 8, 8))
	s.Thumbnail = func(i int) image.Image { return thumb }
	s.Caption = func(i int) string { return fmt.Sprintf("point %d", i) }
	var hovered []int
	s.OnHovered = func(i int) { hovered = append(hovered, i) }

	p := s.PointPosition(7)
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p.Add(fyne.NewPos(2, -1))}})
	if s.Hovered() != 7 || !slices.Equal(hovered, []int{7}) {
		t.Fatalf("hovering next to point 7: hovered %d, callbacks %v", s.Hovered(), hovered)
	}
	r := test.WidgetRenderer(s).(*renderer)
	if !r.card.Visible() || !r.thumb.Visible() || r.thumb.Image != thumb || r.caption.Text != "point 7" || !r.ring.Visible() {
		t.Fatalf("hover card: visible %v, image %v, caption %q", r.card.Visible(), r.thumb.Image != nil, r.caption.Text)
	}
	// The card stays inside the widget.
	cp, cs := r.card.Position(), r.card.Size()
	if cp.X < 0 || cp.Y < 0 || cp.X+cs.Width > 400 || cp.Y+cs.Height > 300 {
		t.Fatalf("card at %v size %v leaves the 400x300 plot", cp, cs)
	}
	// Moving within the same point does not call back again.
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}})
	if len(hovered) != 1 {
		t.Fatalf("callbacks %v after moving over the same point", hovered)
	}
	// Half-way between two points, 34 units apart, is too far from both.
	mid := fyne.NewPos((s.PointPosition(0).X+s.PointPosition(1).X)/2, (s.PointPosition(0).Y+s.PointPosition(5).Y)/2)
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: mid}})
	if s.Hovered() != -1 || r.card.Visible() || r.ring.Visible() {
		t.Fatalf("between points: hovered %d, card visible %v", s.Hovered(), r.card.Visible())
	}
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: s.PointPosition(3)}})
	s.MouseOut()
	if s.Hovered() != -1 || !slices.Equal(hovered, []int{7, -1, 3, -1}) {
		t.Fatalf("after MouseOut: hovered %d, callbacks %v", s.Hovered(), hovered)
	}
}

func TestBoxSelectionListsThePointsInsideAndDimsTheOthers(t *testing.T) {
	xy, labels := grid(5)
	s, w := shown(t, xy, labels)
	s.Mode = ModeSelect
	var got []int
	calls := 0
	s.OnSelected = func(idx []int) { got, calls = idx, calls+1 }

	// A box around the 2×2 points (1..2, 1..2).
	a := s.PointPosition(1*5 + 1).Subtract(fyne.NewPos(5, -5))
	b := s.PointPosition(2*5 + 2).Add(fyne.NewPos(5, -5))
	drag(s, a, b)
	if calls != 1 || !slices.Equal(got, []int{6, 7, 11, 12}) || !slices.Equal(s.Selected(), got) {
		t.Fatalf("selected %v (%d calls), want [6 7 11 12]", got, calls)
	}
	if s.Zoom() != 1 || !s.Following() {
		t.Fatalf("selecting moved the view")
	}
	// Selected points keep their colour, the others fade toward the
	// background.
	pic := s.Picture(1, color.White)
	in, out := s.PointPosition(6), s.PointPosition(0)
	ci := pic.RGBAAt(int(in.X), int(in.Y))
	co := pic.RGBAAt(int(out.X), int(out.Y))
	if want := Tab10[1].(color.NRGBA); !close3(ci, want, 2) {
		t.Fatalf("selected point drawn %v, want its class colour %v", ci, want)
	}
	if int(co.R)+int(co.G)+int(co.B) < 3*200 {
		t.Fatalf("unselected point drawn %v, want a pale colour", co)
	}

	// A tap on empty space clears the selection.
	mid := fyne.NewPos((s.PointPosition(0).X+s.PointPosition(1).X)/2, s.PointPosition(0).Y-17)
	test.TapCanvas(w.Canvas(), mid)
	if calls != 2 || got != nil || len(s.Selected()) != 0 {
		t.Fatalf("after a tap on empty space: selected %v (%d calls)", s.Selected(), calls)
	}
}

func TestShiftDragSelectsInPanMode(t *testing.T) {
	xy, labels := grid(5)
	s, _ := shown(t, xy, labels)
	var got []int
	s.OnSelected = func(idx []int) { got = idx }
	s.MouseDown(&desktop.MouseEvent{Button: desktop.MouseButtonPrimary, Modifier: fyne.KeyModifierShift})
	a := s.PointPosition(0).Subtract(fyne.NewPos(4, -4))
	s.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: a.Add(fyne.NewPos(1, -1))}, Dragged: fyne.NewDelta(1, -1)})
	end := s.PointPosition(6).Add(fyne.NewPos(4, -4))
	s.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: end}, Dragged: fyne.NewDelta(end.X-a.X-1, end.Y-a.Y+1)})
	if r := test.WidgetRenderer(s).(*renderer); !r.selBox.Visible() {
		t.Fatalf("no selection box while dragging")
	}
	s.DragEnd()
	if !slices.Equal(got, []int{0, 1, 5, 6}) || !s.Following() {
		t.Fatalf("shift-drag selected %v (view following %v), want [0 1 5 6] and no pan", got, s.Following())
	}
}

func TestWheelZoomKeepsThePointUnderTheCursor(t *testing.T) {
	xy, labels := grid(5)
	s, _ := shown(t, xy, labels)
	at := s.PointPosition(8)
	d0 := s.PointPosition(9).X - s.PointPosition(8).X
	s.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.NewDelta(0, 200)})
	if z := s.Zoom(); z <= 1.2 || s.Following() {
		t.Fatalf("zoom %v after scrolling up, following %v", z, s.Following())
	}
	if !near(s.PointPosition(8), at) {
		t.Fatalf("the point under the cursor moved from %v to %v", at, s.PointPosition(8))
	}
	if d := s.PointPosition(9).X - s.PointPosition(8).X; math.Abs(float64(d/d0)-s.Zoom()) > 1e-4 {
		t.Fatalf("distances grew %v times at zoom %v", d/d0, s.Zoom())
	}
	// Zooming out is bounded, and a double tap fits the view again.
	for i := 0; i < 50; i++ {
		s.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: at}, Scrolled: fyne.NewDelta(0, -400)})
	}
	if z := s.Zoom(); math.Abs(z-0.25) > 1e-9 {
		t.Fatalf("zoomed out to %v, want the 1/4 bound", z)
	}
	s.DoubleTapped(&fyne.PointEvent{})
	if s.Zoom() != 1 || !s.Following() {
		t.Fatalf("after a double tap: zoom %v, following %v", s.Zoom(), s.Following())
	}
}

func TestDragPansAndLiveUpdatesStopRefittingAfterwards(t *testing.T) {
	xy, labels := grid(5)
	s, w := shown(t, xy, labels)
	before := s.PointPosition(12)
	empty := fyne.NewPos(3, 3) // the corner, outside the points' margin
	test.Drag(w.Canvas(), empty, 30, -20)
	if got := s.PointPosition(12); !near(got, before.Add(fyne.NewPos(30, -20))) {
		t.Fatalf("after dragging by (30,-20) the point moved from %v to %v", before, got)
	}
	// A new layout (t-SNE moving on) keeps the user's view: the same
	// scale and centre, so a layout three times as large looks so.
	origin := s.PointPosition(0) // data (0, 0)
	unit := s.PointPosition(1).X - s.PointPosition(0).X
	big := make([]float64, len(xy))
	for i, v := range xy {
		big[i] = 3 * v
	}
	s.SetPoints(big, labels)
	if !near(s.PointPosition(0), origin) || math.Abs(float64(s.PointPosition(1).X-s.PointPosition(0).X-3*unit)) > 0.01 || s.Following() {
		t.Fatalf("the view refitted a new layout after the user panned")
	}
	// ...until the view is reset: then every point fits again.
	s.ResetView()
	for i := 0; i < s.Len(); i++ {
		p := s.PointPosition(i)
		if p.X < 0 || p.X > 400 || p.Y < 0 || p.Y > 300 {
			t.Fatalf("after ResetView point %d is at %v", i, p)
		}
	}
}

func TestLiveLayoutsRefitWhileFollowing(t *testing.T) {
	xy, labels := grid(4)
	s, _ := shown(t, xy, labels)
	corner := s.PointPosition(15)
	for _, f := range []float64{1e-4, 0.5, 40} {
		v := make([]float64, len(xy))
		for i := range xy {
			v[i] = f * (xy[i] - 1.5)
		}
		s.SetPoints(v, labels)
		if !near(s.PointPosition(15), corner) {
			t.Fatalf("a layout scaled by %v is drawn at %v, want the fitted %v", f, s.PointPosition(15), corner)
		}
	}
}

func TestTapOnAPointReportsIt(t *testing.T) {
	xy, labels := grid(3)
	s, w := shown(t, xy, labels)
	got := -1
	s.OnTapped = func(i int) { got = i }
	test.TapCanvas(w.Canvas(), s.PointPosition(4).Add(fyne.NewPos(1, 1)))
	if got != 4 {
		t.Fatalf("tapped point %d, want 4", got)
	}
}

func TestPictureColoursPointsByClassOnTheBackground(t *testing.T) {
	xy, labels := grid(5)
	s, _ := shown(t, xy, labels)
	pic := s.Picture(2, color.White)
	if pic.Rect.Dx() != 800 || pic.Rect.Dy() != 600 {
		t.Fatalf("picture at scale 2 is %v, want 800x600", pic.Rect)
	}
	for _, i := range []int{0, 3, 24} {
		p := s.PointPosition(i)
		got := pic.RGBAAt(int(2*p.X), int(2*p.Y))
		c := Tab10[labels[i]].(color.NRGBA)
		want := color.NRGBA{blendOverWhite(c.R), blendOverWhite(c.G), blendOverWhite(c.B), 255}
		if !close3(got, want, 2) {
			t.Errorf("point %d (class %d) drawn %v, want %v", i, labels[i], got, want)
		}
	}
	if got := pic.RGBAAt(2, 2); got != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("background %v, want white", got)
	}
	// Points without labels are grey.
	s.SetPoints(xy, nil)
	p := s.PointPosition(0)
	if got := s.Picture(1, color.White).RGBAAt(int(p.X), int(p.Y)); got.R != got.G || got.G != got.B || got.R > 160 {
		t.Errorf("unlabelled point drawn %v, want grey", got)
	}
}

func TestTenThousandPointsHoverAndSelect(t *testing.T) {
	xy, labels := random(10000)
	s, _ := shown(t, xy, labels)
	// The hovered point is the nearest one on screen.
	pos := fyne.NewPos(200, 150)
	i := s.PointAt(pos)
	if i < 0 {
		t.Fatalf("no point near the centre of 10,000")
	}
	best := math.Inf(1)
	for j := 0; j < s.Len(); j++ {
		q := s.PointPosition(j)
		best = math.Min(best, math.Hypot(float64(q.X-pos.X), float64(q.Y-pos.Y)))
	}
	q := s.PointPosition(i)
	if d := math.Hypot(float64(q.X-pos.X), float64(q.Y-pos.Y)); d > best+1e-6 {
		t.Fatalf("hovered point is %v away, the nearest %v", d, best)
	}
	s.Mode = ModeSelect
	var got []int
	s.OnSelected = func(idx []int) { got = idx }
	drag(s, fyne.NewPos(100, 80), fyne.NewPos(300, 220))
	want := s.InBox(fyne.NewPos(100, 80), fyne.NewPos(300, 220))
	if len(got) < 1000 || !slices.Equal(got, want) {
		t.Fatalf("box selected %d points, want %d", len(got), len(want))
	}
}

// drag moves the mouse from a to b in four steps as the desktop driver
// reports it (each event at the new position with the step's delta), then
// releases it.
func drag(s *Scatter, a, b fyne.Position) {
	prev := a
	for k := 1; k <= 4; k++ {
		f := float32(k) / 4
		p := fyne.NewPos(a.X+(b.X-a.X)*f, a.Y+(b.Y-a.Y)*f)
		s.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
		prev = p
	}
	s.DragEnd()
}

func random(n int) ([]float64, []int32) {
	r := rand.New(rand.NewPCG(3, 4))
	xy := make([]float64, 2*n)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(r.IntN(10))
		xy[2*i] = r.NormFloat64() + 4*float64(labels[i]%5)
		xy[2*i+1] = r.NormFloat64() + 4*float64(labels[i]/5)
	}
	return xy, labels
}

func blendOverWhite(c uint8) uint8 {
	return uint8(255 + (float32(c)-255)*pointAlpha + 0.5)
}

func close3(a color.RGBA, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return int(x)-int(y) <= tol && int(y)-int(x) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

func BenchmarkDraw10k(b *testing.B) {
	test.NewTempApp(b)
	xy, labels := random(10000)
	s := New()
	s.SetPoints(xy, labels)
	s.resized(fyne.NewSize(800, 600))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.draw(1600, 1200, color.White)
	}
}

func BenchmarkPointAt10k(b *testing.B) {
	test.NewTempApp(b)
	xy, labels := random(10000)
	s := New()
	s.SetPoints(xy, labels)
	s.resized(fyne.NewSize(800, 600))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.PointAt(fyne.NewPos(float32(i%800), float32(i%600)))
	}
}

func TestScatterLooksRight(t *testing.T) {
	xy, labels := random(400)
	s, w := shown(t, xy, labels)
	s.Thumbnail = func(i int) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, 4, 4))
		for k := range img.Pix {
			img.Pix[k] = 200
		}
		return img
	}
	s.Caption = func(i int) string { return fmt.Sprintf("class %d", labels[i]) }
	s.Select(s.InBox(fyne.NewPos(150, 60), fyne.NewPos(260, 200)))
	s.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: s.PointPosition(s.Selected()[0])}})
	test.AssertImageMatches(t, "scatter_selection_hover.png", w.Canvas().Capture())
}
