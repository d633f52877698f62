package scatter

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Mode says what dragging does.
type Mode int

const (
	// ModePan: dragging moves the view; Shift-drag or a secondary-button
	// drag selects a box.
	ModePan Mode = iota
	// ModeSelect: dragging selects the points inside a box.
	ModeSelect
)

// Tab10 is matplotlib's ten-colour qualitative palette, the default class
// colours (the same as engine/inspect's, so the app's pictures agree).
var Tab10 = []color.Color{
	color.NRGBA{31, 119, 180, 255}, color.NRGBA{255, 127, 14, 255}, color.NRGBA{44, 160, 44, 255},
	color.NRGBA{214, 39, 40, 255}, color.NRGBA{148, 103, 189, 255}, color.NRGBA{140, 86, 75, 255},
	color.NRGBA{227, 119, 194, 255}, color.NRGBA{127, 127, 127, 255}, color.NRGBA{188, 189, 34, 255},
	color.NRGBA{23, 190, 207, 255},
}

// Scatter shows a 2-D layout as dots coloured by class. Hovering shows the
// nearest point's thumbnail and caption; the mouse wheel zooms around the
// cursor, dragging pans (or selects a box, see Mode), a double tap fits the
// view to the points again.
//
// Call its methods on the UI goroutine. A layout that changes while it is
// computed (t-SNE's live view) is passed to SetPoints again: the view keeps
// fitting the points until the user zooms or pans.
type Scatter struct {
	widget.BaseWidget

	// Thumbnail returns the image shown when point i is hovered (nil: none).
	Thumbnail func(i int) image.Image
	// Caption returns the text shown when point i is hovered (nil: none).
	Caption func(i int) string
	// Colors colour the classes: label c gets Colors[c%len(Colors)]
	// (nil: Tab10). Points without labels are grey.
	Colors []color.Color
	// Mode says what dragging does (ModePan).
	Mode Mode
	// PointRadius is the dots' radius in Fyne units (default 2.5).
	PointRadius float32
	// ThumbSize is the side of the hover card's image in Fyne units
	// (default 96).
	ThumbSize float32

	// OnHovered is called when the hovered point changes (-1: none).
	OnHovered func(i int)
	// OnSelected is called with the points inside a box the user dragged,
	// in index order (nil when a tap on empty space clears the selection).
	OnSelected func(idx []int)
	// OnTapped is called when a point is tapped.
	OnTapped func(i int)

	xy     []float64
	labels []int32
	order  []int // drawing order: a fixed shuffle, so no class hides another
	minX   float64
	maxX   float64
	minY   float64
	maxY   float64

	selected []int
	selMask  []bool
	hover    int
	hoverPos fyne.Position

	// The view: data point (cx, cy) at the centre, k Fyne units per data
	// unit. follow: refit on every change (until the user zooms or pans).
	cx, cy, k float64
	follow    bool
	size      fyne.Size

	drag             dragKind
	dragFrom, dragTo fyne.Position
	secondary, shift bool
	r                *renderer
}

type dragKind int

const (
	dragNone dragKind = iota
	dragPan
	dragSelect
)

// New returns an empty scatter plot.
func New() *Scatter {
	s := &Scatter{hover: -1, follow: true, k: 1}
	s.ExtendBaseWidget(s)
	return s
}

// SetPoints shows a layout: xy holds N points as x, y pairs (row-major N×2)
// and labels, when not nil, their N classes. The widget keeps both slices;
// pass new ones to change the picture. The selection is kept when the
// number of points stays the same (a t-SNE layout moving), else cleared.
func (s *Scatter) SetPoints(xy []float64, labels []int32) {
	n := len(xy) / 2
	if labels != nil && len(labels) != n {
		labels = nil // a mismatch is drawn without classes rather than panicking
	}
	if n != len(s.xy)/2 {
		s.order = shuffled(n)
		s.selected, s.selMask = nil, nil
	}
	s.xy, s.labels = xy[:2*n], labels
	s.minX, s.maxX, s.minY, s.maxY = bounds(s.xy)
	if s.hover >= n {
		s.setHover(-1, fyne.Position{})
	}
	if s.follow {
		s.fit()
	}
	s.changed()
}

// Len returns the number of points.
func (s *Scatter) Len() int { return len(s.xy) / 2 }

// Point returns point i's layout coordinates.
func (s *Scatter) Point(i int) (x, y float64) { return s.xy[2*i], s.xy[2*i+1] }

// Label returns point i's class (-1 without labels).
func (s *Scatter) Label(i int) int32 {
	if s.labels == nil {
		return -1
	}
	return s.labels[i]
}

// Selected returns the selected points in index order.
func (s *Scatter) Selected() []int { return s.selected }

// Select sets the selection (nil clears it) without calling OnSelected.
func (s *Scatter) Select(idx []int) {
	n := s.Len()
	s.selected, s.selMask = nil, nil
	if len(idx) > 0 {
		s.selMask = make([]bool, n)
		for _, i := range idx {
			if i >= 0 && i < n && !s.selMask[i] {
				s.selMask[i] = true
			}
		}
		for i, on := range s.selMask {
			if on {
				s.selected = append(s.selected, i)
			}
		}
	}
	s.changed()
}

// Hovered returns the point under the mouse, -1 for none.
func (s *Scatter) Hovered() int { return s.hover }

// Zoom returns the magnification relative to the view that fits every
// point (1 while the view follows the points).
func (s *Scatter) Zoom() float64 {
	f := s.fitScale()
	if f <= 0 {
		return 1
	}
	return s.k / f
}

// Following reports whether the view fits the points (no zoom or pan yet).
func (s *Scatter) Following() bool { return s.follow }

// ZoomAt magnifies the view by factor (below 1 zooms out), keeping the
// point under at where it is. Zoom stays between 1/4 and 1000 times the
// fitted view.
func (s *Scatter) ZoomAt(factor float64, at fyne.Position) {
	if !(factor > 0) || s.size.IsZero() {
		return
	}
	fit := s.fitScale()
	k := s.k * factor
	if fit > 0 {
		k = min(max(k, fit/4), fit*1000)
	}
	x, y := s.toData(at)
	s.k = k
	// Move the centre so that (x, y) is still under at.
	s.cx = x - float64(at.X-s.size.Width/2)/s.k
	s.cy = y + float64(at.Y-s.size.Height/2)/s.k
	s.follow = false
	s.changed()
}

// Pan moves the view by (dx, dy) Fyne units: the points follow the mouse.
func (s *Scatter) Pan(dx, dy float32) {
	s.cx -= float64(dx) / s.k
	s.cy += float64(dy) / s.k
	s.follow = false
	s.changed()
}

// ResetView fits the view to the points and follows them again.
func (s *Scatter) ResetView() {
	s.follow = true
	s.fit()
	s.changed()
}

// PointPosition returns where point i is drawn, in the widget's
// coordinates.
func (s *Scatter) PointPosition(i int) fyne.Position {
	return s.toScreen(s.xy[2*i], s.xy[2*i+1])
}

// PointAt returns the point nearest to pos within a few units of it (the
// one drawn on top when they tie), -1 for none. A linear scan: some 25µs
// for 10,000 points on one core, far below a mouse event's period.
func (s *Scatter) PointAt(pos fyne.Position) int {
	reach := float64(max(s.radius()*2, 6))
	best, bestD := -1, reach*reach
	for j := len(s.order) - 1; j >= 0; j-- {
		i := s.order[j]
		p := s.toScreen(s.xy[2*i], s.xy[2*i+1])
		dx, dy := float64(p.X-pos.X), float64(p.Y-pos.Y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// InBox returns the points drawn inside the rectangle with corners a and b
// (widget coordinates), in index order.
func (s *Scatter) InBox(a, b fyne.Position) []int {
	x0, x1 := min(a.X, b.X), max(a.X, b.X)
	y0, y1 := min(a.Y, b.Y), max(a.Y, b.Y)
	var out []int
	for i := 0; i < s.Len(); i++ {
		p := s.toScreen(s.xy[2*i], s.xy[2*i+1])
		if p.X >= x0 && p.X <= x1 && p.Y >= y0 && p.Y <= y1 {
			out = append(out, i)
		}
	}
	return out
}

// Picture draws the points as the widget shows them, scale device pixels
// per Fyne unit, on background bg (nil: the theme's): the view to export
// as PNG. It has no hover card or selection box.
func (s *Scatter) Picture(scale float32, bg color.Color) *image.RGBA {
	if bg == nil {
		bg = s.background()
	}
	w := max(1, int(math.Round(float64(s.size.Width*scale))))
	h := max(1, int(math.Round(float64(s.size.Height*scale))))
	return s.draw(w, h, bg)
}

// CreateRenderer implements fyne.Widget.
func (s *Scatter) CreateRenderer() fyne.WidgetRenderer {
	s.r = newRenderer(s)
	return s.r
}

// ---- events ----

// MouseIn implements desktop.Hoverable.
func (s *Scatter) MouseIn(e *desktop.MouseEvent) { s.MouseMoved(e) }

// MouseMoved implements desktop.Hoverable: the nearest point gets the
// hover card.
func (s *Scatter) MouseMoved(e *desktop.MouseEvent) {
	if s.drag != dragNone {
		return
	}
	s.setHover(s.PointAt(e.Position), e.Position)
}

// MouseOut implements desktop.Hoverable.
func (s *Scatter) MouseOut() { s.setHover(-1, fyne.Position{}) }

// MouseDown implements desktop.Mouseable: it notes whether the drag that
// may follow selects (Shift or the secondary button).
func (s *Scatter) MouseDown(e *desktop.MouseEvent) {
	s.shift = e.Modifier&fyne.KeyModifierShift != 0
	s.secondary = e.Button == desktop.MouseButtonSecondary
}

// MouseUp implements desktop.Mouseable.
func (s *Scatter) MouseUp(*desktop.MouseEvent) {}

// Scrolled implements fyne.Scrollable: the wheel zooms around the cursor.
func (s *Scatter) Scrolled(e *fyne.ScrollEvent) {
	d := float64(e.Scrolled.DY)
	if d == 0 {
		d = float64(e.Scrolled.DX)
	}
	s.ZoomAt(math.Pow(1.0025, d), e.Position)
}

// Dragged implements fyne.Draggable.
func (s *Scatter) Dragged(e *fyne.DragEvent) {
	if s.drag == dragNone {
		s.dragFrom = e.Position.Subtract(fyne.NewPos(e.Dragged.DX, e.Dragged.DY))
		s.drag = dragPan
		if s.Mode == ModeSelect || s.shift || s.secondary {
			s.drag = dragSelect
		}
		s.setHover(-1, fyne.Position{})
	}
	s.dragTo = e.Position
	if s.drag == dragPan {
		s.Pan(e.Dragged.DX, e.Dragged.DY)
		return
	}
	if s.r != nil {
		s.r.layoutOverlay()
	}
}

// DragEnd implements fyne.Draggable: a selection box selects its points.
func (s *Scatter) DragEnd() {
	kind := s.drag
	s.drag = dragNone
	s.shift, s.secondary = false, false
	if kind != dragSelect {
		return
	}
	idx := s.InBox(s.dragFrom, s.dragTo)
	s.Select(idx)
	if s.r != nil {
		s.r.layoutOverlay()
	}
	if s.OnSelected != nil {
		s.OnSelected(s.selected)
	}
}

// Tapped implements fyne.Tappable: a point is reported; empty space clears
// the selection.
func (s *Scatter) Tapped(e *fyne.PointEvent) {
	i := s.PointAt(e.Position)
	if i >= 0 {
		if s.OnTapped != nil {
			s.OnTapped(i)
		}
		return
	}
	if len(s.selected) > 0 {
		s.Select(nil)
		if s.OnSelected != nil {
			s.OnSelected(nil)
		}
	}
}

// DoubleTapped implements fyne.DoubleTappable: fit the view again.
func (s *Scatter) DoubleTapped(*fyne.PointEvent) { s.ResetView() }

// ---- internals ----

func (s *Scatter) radius() float32 {
	if s.PointRadius <= 0 {
		return 2.5
	}
	return s.PointRadius
}

func (s *Scatter) thumbSize() float32 {
	if s.ThumbSize <= 0 {
		return 96
	}
	return s.ThumbSize
}

func (s *Scatter) setHover(i int, pos fyne.Position) {
	changed := i != s.hover
	s.hover, s.hoverPos = i, pos
	if s.r != nil {
		s.r.showHover()
	}
	if changed && s.OnHovered != nil {
		s.OnHovered(i)
	}
}

// changed redraws the points (not the overlay alone).
func (s *Scatter) changed() {
	if s.r != nil {
		s.r.layoutOverlay()
		s.r.raster.Refresh()
	}
}

// resized keeps the view when the widget changes size: a followed view
// refits, a zoomed one keeps its centre and scale.
func (s *Scatter) resized(size fyne.Size) {
	if size == s.size {
		return
	}
	s.size = size
	if s.follow {
		s.fit()
	}
}

const margin = 14 // Fyne units between the outermost points and the edge

func (s *Scatter) fitScale() float64 {
	if s.Len() == 0 || s.size.IsZero() {
		return 0
	}
	w := float64(s.size.Width) - 2*margin
	h := float64(s.size.Height) - 2*margin
	dx, dy := s.maxX-s.minX, s.maxY-s.minY
	switch {
	case dx <= 0 && dy <= 0:
		return 1
	case dx <= 0:
		return max(h, 1) / dy
	case dy <= 0:
		return max(w, 1) / dx
	}
	return max(min(w/dx, h/dy), 1e-12)
}

func (s *Scatter) fit() {
	if s.Len() == 0 {
		s.cx, s.cy, s.k = 0, 0, 1
		return
	}
	s.cx, s.cy = (s.minX+s.maxX)/2, (s.minY+s.maxY)/2
	if k := s.fitScale(); k > 0 {
		s.k = k
	}
}

func (s *Scatter) toScreen(x, y float64) fyne.Position {
	return fyne.NewPos(s.size.Width/2+float32((x-s.cx)*s.k), s.size.Height/2-float32((y-s.cy)*s.k))
}

func (s *Scatter) toData(p fyne.Position) (x, y float64) {
	return s.cx + float64(p.X-s.size.Width/2)/s.k, s.cy - float64(p.Y-s.size.Height/2)/s.k
}

func bounds(xy []float64) (minX, maxX, minY, maxY float64) {
	minX, minY = math.Inf(1), math.Inf(1)
	maxX, maxY = math.Inf(-1), math.Inf(-1)
	for i := 0; i+1 < len(xy); i += 2 {
		x, y := xy[i], xy[i+1]
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			continue
		}
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	if minX > maxX {
		return 0, 0, 0, 0
	}
	return
}

// shuffled is a fixed permutation of n, the same for every layout of n
// points, so that a live layout does not flicker.
func shuffled(n int) []int {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	p := r.Perm(n)
	return p
}
