package lintoy

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ClassColors are the colours of the three classes (red, green, blue, as in
// the course's demo, toned for a light background).
var ClassColors = [Classes]color.NRGBA{
	{R: 214, G: 69, B: 65, A: 255},
	{R: 46, G: 158, B: 88, A: 255},
	{R: 52, G: 106, B: 214, A: 255},
}

// Plane shows a Model on the 2-D plane: the decision regions (each point
// coloured by the class that scores highest there), every class's decision
// line W[c]·x + B[c] = 0 with its weight vector drawn as an arrow, and the
// points. Everything can be dragged: a point moves; the circle on a line
// moves the line (changing B[c]); the arrow's tip turns and scales W[c].
type Plane struct {
	widget.BaseWidget

	Model *Model
	// Extent is the half-width of the plane shown along its shorter side
	// (default 1.2).
	Extent float64
	// OnChanged is called after a drag changed the model.
	OnChanged func()

	drag   target
	offset [2]float64 // target minus pointer at the start of a drag
}

// ArrowScale converts a weight vector to the arrow's length in plane units.
const ArrowScale = 0.12

// target is what a drag moves.
type target struct {
	kind  int // 0 none, 1 point, 2 line anchor, 3 arrow tip
	index int
}

const (
	dragNone = iota
	dragPoint
	dragAnchor
	dragTip
)

// NewPlane returns a plane showing m.
func NewPlane(m *Model) *Plane {
	p := &Plane{Model: m}
	p.ExtendBaseWidget(p)
	return p
}

func (p *Plane) extent() float64 {
	if p.Extent <= 0 {
		return 1.2
	}
	return p.Extent
}

// view maps plane coordinates to positions in a widget of size s.
type view struct {
	cx, cy, scale float64
}

func (p *Plane) viewFor(s fyne.Size) view {
	side := math.Min(float64(s.Width), float64(s.Height))
	return view{cx: float64(s.Width) / 2, cy: float64(s.Height) / 2, scale: side / 2 / p.extent()}
}

func (v view) pos(x, y float64) fyne.Position {
	return fyne.NewPos(float32(v.cx+x*v.scale), float32(v.cy-y*v.scale))
}

func (v view) at(pos fyne.Position) (x, y float64) {
	return (float64(pos.X) - v.cx) / v.scale, (v.cy - float64(pos.Y)) / v.scale
}

// Anchor returns the point of class c's decision line nearest the origin
// (the origin when W[c] is zero).
func (m *Model) Anchor(c int) (x, y float64) {
	w := m.W[c]
	n2 := w[0]*w[0] + w[1]*w[1]
	if n2 < 1e-12 {
		return 0, 0
	}
	return -m.B[c] * w[0] / n2, -m.B[c] * w[1] / n2
}

// Tip returns the end of class c's weight arrow.
func (m *Model) Tip(c int) (x, y float64) {
	ax, ay := m.Anchor(c)
	return ax + ArrowScale*m.W[c][0], ay + ArrowScale*m.W[c][1]
}

// hit finds what lies under pos: a point first, then arrow tips, then
// anchors, within a few units.
func (p *Plane) hit(pos fyne.Position) target {
	v := p.viewFor(p.Size())
	near := func(x, y float64, r float32) bool {
		q := v.pos(x, y)
		dx, dy := q.X-pos.X, q.Y-pos.Y
		return dx*dx+dy*dy <= r*r
	}
	m := p.Model
	for i := len(m.Points) - 1; i >= 0; i-- {
		if near(m.Points[i].X, m.Points[i].Y, 11) {
			return target{dragPoint, i}
		}
	}
	for c := range m.W {
		if x, y := m.Tip(c); near(x, y, 11) {
			return target{dragTip, c}
		}
	}
	for c := range m.W {
		if x, y := m.Anchor(c); near(x, y, 10) {
			return target{dragAnchor, c}
		}
	}
	return target{}
}

// Dragged moves what the drag started on. Fyne's events carry the pointer's
// position and the movement since the last event, so the gesture started
// at Position − Dragged; the object keeps its offset from the pointer, so
// it does not jump to the pointer when grabbed off-centre.
func (p *Plane) Dragged(ev *fyne.DragEvent) {
	v := p.viewFor(p.Size())
	if p.drag.kind == dragNone {
		start := ev.Position.Subtract(ev.Dragged)
		p.drag = p.hit(start)
		if p.drag.kind == dragNone {
			p.drag.kind = -1 // started on empty space: ignore this gesture
			return
		}
		ox, oy := p.targetAt(p.drag)
		sx, sy := v.at(start)
		p.offset = [2]float64{ox - sx, oy - sy}
	}
	if p.drag.kind <= dragNone {
		return
	}
	x, y := v.at(ev.Position)
	p.MoveTo(p.drag.kind, p.drag.index, x+p.offset[0], y+p.offset[1])
}

// targetAt is where a drag target is on the plane.
func (p *Plane) targetAt(t target) (x, y float64) {
	switch t.kind {
	case dragPoint:
		return p.Model.Points[t.index].X, p.Model.Points[t.index].Y
	case dragAnchor:
		return p.Model.Anchor(t.index)
	default:
		return p.Model.Tip(t.index)
	}
}

// DragEnd ends the gesture.
func (p *Plane) DragEnd() { p.drag = target{} }

// MoveTo moves a point (kind 1), a line through (x, y) (kind 2) or an
// arrow tip (kind 3) of index i, then redraws and reports the change.
func (p *Plane) MoveTo(kind, i int, x, y float64) {
	m := p.Model
	lim := 3 * p.extent()
	x, y = math.Max(-lim, math.Min(lim, x)), math.Max(-lim, math.Min(lim, y))
	switch kind {
	case dragPoint:
		m.Points[i].X, m.Points[i].Y = x, y
	case dragAnchor:
		m.B[i] = -(m.W[i][0]*x + m.W[i][1]*y)
	case dragTip:
		ax, ay := m.Anchor(i)
		w := [2]float64{(x - ax) / ArrowScale, (y - ay) / ArrowScale}
		if w[0]*w[0]+w[1]*w[1] < 1e-4 {
			return
		}
		m.W[i] = w
		m.B[i] = -(w[0]*ax + w[1]*ay)
	default:
		return
	}
	p.Refresh()
	if p.OnChanged != nil {
		p.OnChanged()
	}
}

// Cursor shows a pointer for dragging.
func (p *Plane) Cursor() desktop.Cursor { return desktop.PointerCursor }

// CreateRenderer implements fyne.Widget.
func (p *Plane) CreateRenderer() fyne.WidgetRenderer {
	p.ExtendBaseWidget(p)
	r := &planeRenderer{p: p}
	r.regions = canvas.NewRaster(r.paint)
	for c := 0; c < Classes; c++ {
		col := ClassColors[c]
		dark := shade(col, 0.75)
		r.lines[c] = canvas.NewLine(dark)
		r.lines[c].StrokeWidth = 2
		r.shafts[c] = canvas.NewLine(dark)
		r.shafts[c].StrokeWidth = 2.5
		for k := range r.heads[c] {
			r.heads[c][k] = canvas.NewLine(dark)
			r.heads[c][k].StrokeWidth = 2.5
		}
		r.anchors[c] = canvas.NewCircle(color.White)
		r.anchors[c].StrokeColor = dark
		r.anchors[c].StrokeWidth = 2
		r.tips[c] = canvas.NewCircle(dark)
	}
	for _, t := range []string{"-1", "0", "1"} {
		txt := canvas.NewText(t, theme.Color(theme.ColorNameDisabled))
		txt.TextSize = theme.CaptionTextSize()
		r.ticks = append(r.ticks, txt)
	}
	r.Refresh()
	return r
}

type planeRenderer struct {
	p       *Plane
	regions *canvas.Raster
	lines   [Classes]*canvas.Line
	shafts  [Classes]*canvas.Line
	heads   [Classes][2]*canvas.Line
	anchors [Classes]*canvas.Circle
	tips    [Classes]*canvas.Circle
	points  []*canvas.Circle
	ticks   []*canvas.Text
	objects []fyne.CanvasObject
}

func (r *planeRenderer) MinSize() fyne.Size { return fyne.NewSize(260, 260) }
func (r *planeRenderer) Destroy()           {}

func (r *planeRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *planeRenderer) Refresh() {
	m := r.p.Model
	for len(r.points) < len(m.Points) {
		r.points = append(r.points, canvas.NewCircle(color.Black))
	}
	r.points = r.points[:len(m.Points)]
	r.objects = []fyne.CanvasObject{r.regions}
	for _, t := range r.ticks {
		r.objects = append(r.objects, t)
	}
	for c := 0; c < Classes; c++ {
		r.objects = append(r.objects, r.lines[c], r.shafts[c], r.heads[c][0], r.heads[c][1])
	}
	for c := 0; c < Classes; c++ {
		r.objects = append(r.objects, r.anchors[c], r.tips[c])
	}
	for _, pt := range r.points {
		r.objects = append(r.objects, pt)
	}
	r.Layout(r.p.Size())
	r.regions.Refresh()
	for _, o := range r.objects[1:] {
		o.Refresh()
	}
}

func (r *planeRenderer) Layout(s fyne.Size) {
	p, m := r.p, r.p.Model
	v := p.viewFor(s)
	r.regions.Resize(s)
	// Extent of the view in plane units.
	x0, y1 := v.at(fyne.NewPos(0, 0))
	x1, y0 := v.at(fyne.NewPos(s.Width, s.Height))
	for k, t := range r.ticks {
		val := float64(k - 1)
		sz := t.MinSize()
		q := v.pos(val, 0)
		t.Move(fyne.NewPos(q.X-sz.Width-3, q.Y+2))
		if val == 0 {
			t.Move(fyne.NewPos(q.X+3, q.Y+2))
		}
	}
	for c := 0; c < Classes; c++ {
		w, b := m.W[c], m.B[c]
		a, e, ok := clipLine(w[0], w[1], b, x0, x1, y0, y1)
		r.lines[c].Hidden = !ok
		if ok {
			r.lines[c].Position1 = v.pos(a[0], a[1])
			r.lines[c].Position2 = v.pos(e[0], e[1])
		}
		ax, ay := m.Anchor(c)
		tx, ty := m.Tip(c)
		pa, pt := v.pos(ax, ay), v.pos(tx, ty)
		r.shafts[c].Position1, r.shafts[c].Position2 = pa, pt
		// Arrow head: two strokes 25° off the shaft, 10 units long.
		ang := math.Atan2(float64(pt.Y-pa.Y), float64(pt.X-pa.X))
		for k, side := range []float64{1, -1} {
			a := ang + math.Pi - side*25*math.Pi/180
			r.heads[c][k].Position1 = pt
			r.heads[c][k].Position2 = fyne.NewPos(pt.X+float32(10*math.Cos(a)), pt.Y+float32(10*math.Sin(a)))
		}
		place(r.anchors[c], pa, 5)
		place(r.tips[c], pt, 4)
	}
	fg := theme.Color(theme.ColorNameForeground)
	for i, pt := range r.points {
		q := m.Points[i]
		pt.FillColor = ClassColors[q.Class]
		pt.StrokeWidth = 2
		pt.StrokeColor = color.White
		if m.Predict(q.X, q.Y) != q.Class {
			pt.StrokeColor = fg
			pt.StrokeWidth = 2.5
		}
		place(pt, v.pos(q.X, q.Y), 7)
	}
}

func place(c *canvas.Circle, at fyne.Position, radius float32) {
	c.Move(fyne.NewPos(at.X-radius, at.Y-radius))
	c.Resize(fyne.NewSquareSize(2 * radius))
}

// paint draws the decision regions, the grid and the axes at w×h pixels.
func (r *planeRenderer) paint(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	p, m := r.p, r.p.Model
	side := math.Min(float64(w), float64(h))
	scale := side / 2 / p.extent()
	cx, cy := float64(w)/2, float64(h)/2
	bg := toNRGBA(theme.Color(theme.ColorNameBackground))
	grid := toNRGBA(theme.Color(theme.ColorNameForeground))
	var tint [Classes]color.NRGBA
	for c := range tint {
		tint[c] = mix(bg, ClassColors[c], 0.22)
	}
	for py := 0; py < h; py++ {
		y := (cy - float64(py) - 0.5) / scale
		for px := 0; px < w; px++ {
			x := (float64(px) + 0.5 - cx) / scale
			col := tint[m.Predict(x, y)]
			o := img.PixOffset(px, py)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = col.R, col.G, col.B, 255
		}
	}
	// Grid every 0.5 units, axes darker.
	blend := func(px, py int, a float64) {
		if px < 0 || py < 0 || px >= w || py >= h {
			return
		}
		o := img.PixOffset(px, py)
		c := mix(color.NRGBA{img.Pix[o], img.Pix[o+1], img.Pix[o+2], 255}, grid, a)
		img.Pix[o], img.Pix[o+1], img.Pix[o+2] = c.R, c.G, c.B
	}
	lim := int(math.Ceil(math.Max(float64(w), float64(h)) / scale))
	for k := -2 * lim; k <= 2*lim; k++ {
		a := 0.08
		if k == 0 {
			a = 0.45
		}
		gx := int(math.Round(cx + float64(k)*0.5*scale))
		gy := int(math.Round(cy - float64(k)*0.5*scale))
		for py := 0; py < h; py++ {
			blend(gx, py, a)
		}
		for px := 0; px < w; px++ {
			blend(px, gy, a)
		}
	}
	return img
}

// clipLine returns where the line wx·x + wy·y + b = 0 crosses the
// rectangle [x0,x1]×[y0,y1], if it does.
func clipLine(wx, wy, b, x0, x1, y0, y1 float64) (a, e [2]float64, ok bool) {
	var pts [][2]float64
	add := func(x, y float64) {
		const eps = 1e-9
		if x < x0-eps || x > x1+eps || y < y0-eps || y > y1+eps {
			return
		}
		for _, q := range pts {
			if math.Abs(q[0]-x) < 1e-9 && math.Abs(q[1]-y) < 1e-9 {
				return
			}
		}
		pts = append(pts, [2]float64{x, y})
	}
	if math.Abs(wy) > 1e-12 {
		add(x0, -(wx*x0+b)/wy)
		add(x1, -(wx*x1+b)/wy)
	}
	if math.Abs(wx) > 1e-12 {
		add(-(wy*y0+b)/wx, y0)
		add(-(wy*y1+b)/wx, y1)
	}
	if len(pts) < 2 {
		return a, e, false
	}
	return pts[0], pts[1], true
}

func toNRGBA(c color.Color) color.NRGBA {
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// mix blends b over a with weight t.
func mix(a, b color.NRGBA, t float64) color.NRGBA {
	f := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.NRGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

func shade(c color.NRGBA, f float64) color.NRGBA {
	return color.NRGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), c.A}
}

var (
	_ fyne.Draggable     = (*Plane)(nil)
	_ desktop.Cursorable = (*Plane)(nil)
)
