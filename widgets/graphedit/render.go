package graphedit

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

// colours of the canvas, derived from the theme so that light and dark both
// work.
type colours struct {
	canvas, grid, card, border, fg, muted, primary, errc, errBg, edge, edgeHi, frame, frameBg, shadow, portFill color.Color
}

func (e *Editor) colours() colours {
	c := func(n fyne.ThemeColorName) color.Color { return theme.ColorForWidget(n, e) }
	bg, fg := c(theme.ColorNameBackground), c(theme.ColorNameForeground)
	primary, errc := c(theme.ColorNamePrimary), c(theme.ColorNameError)
	dark := luminance(bg) < 0.5
	out := colours{
		canvas:  mix(bg, fg, 0.035),
		grid:    mix(bg, fg, 0.075),
		card:    bg,
		border:  mix(bg, fg, 0.22),
		fg:      fg,
		muted:   mix(bg, fg, 0.6),
		primary: primary,
		errc:    errc,
		errBg:   mix(bg, errc, 0.09),
		edge:    mix(bg, fg, 0.42),
		edgeHi:  mix(bg, fg, 0.75),
		frame:   mix(bg, primary, 0.45),
		frameBg: mix(mix(bg, fg, 0.035), primary, 0.05),
		shadow:  mix(bg, fg, 0.10),
	}
	if dark {
		out.canvas = mix(bg, fg, 0.02)
		out.card = mix(bg, fg, 0.09)
		out.border = mix(bg, fg, 0.3)
		out.shadow = mix(bg, color.Black, 0.5)
	}
	out.portFill = out.card
	return out
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
}

// mix blends a towards b by t (0..1), opaque.
func mix(a, b color.Color, t float64) color.Color {
	if a == nil {
		a = color.Transparent
	}
	if b == nil {
		b = color.Transparent
	}
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	f := func(x, y uint32) uint8 { return uint8((float64(x)*(1-t) + float64(y)*t) / 257) }
	return color.NRGBA{f(ar, br), f(ag, bg), f(ab, bb), 0xff}
}

func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}

// card is the set of canvas objects drawing one card; cards are pooled and
// reused for whatever is in view.
type card struct {
	shadow, back, box, stripe *canvas.Rectangle
	title, sub, shape, detail *canvas.Text
	in, out                   *canvas.Circle
	badge                     *canvas.Circle
	badgeText                 *canvas.Text
}

func newCard() *card {
	c := &card{
		shadow: canvas.NewRectangle(nil), back: canvas.NewRectangle(nil), box: canvas.NewRectangle(nil),
		stripe: canvas.NewRectangle(nil),
		title:  canvas.NewText("", nil), sub: canvas.NewText("", nil), shape: canvas.NewText("", nil),
		detail: canvas.NewText("", nil),
		in:     canvas.NewCircle(nil), out: canvas.NewCircle(nil), badge: canvas.NewCircle(nil),
		badgeText: canvas.NewText("!", nil),
	}
	c.title.TextStyle.Bold = true
	c.badgeText.TextStyle.Bold = true
	c.badgeText.Alignment = fyne.TextAlignCenter
	c.detail.Alignment = fyne.TextAlignTrailing
	return c
}

func (c *card) objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{c.shadow, c.back, c.box, c.stripe, c.title, c.sub, c.shape, c.detail, c.in, c.out, c.badge, c.badgeText}
}

// callout is the error message box beside a card.
type callout struct {
	box   *canvas.Rectangle
	lines []*canvas.Text
}

// frameView draws an expanded block's outline and label.
type frameView struct {
	box   *canvas.Rectangle
	label *canvas.Text
}

type renderer struct {
	e       *Editor
	bg      *canvas.Rectangle
	grid    []*canvas.Line
	frames  []*frameView
	lines   []*canvas.Line
	cards   []*card
	calls   []*callout
	wire    []*canvas.Line
	boxSel  *canvas.Rectangle
	dropBox *canvas.Rectangle
	dropLbl *canvas.Text
	mmBack  *canvas.Rectangle
	mmImage *canvas.Raster
	mmView  *canvas.Rectangle
	vbar    *canvas.Rectangle
	hbar    *canvas.Rectangle
	objects []fyne.CanvasObject
	texts   textCache
}

func newRenderer(e *Editor) *renderer {
	r := &renderer{e: e, bg: canvas.NewRectangle(nil), boxSel: canvas.NewRectangle(nil),
		dropBox: canvas.NewRectangle(nil), dropLbl: canvas.NewText("", nil),
		mmBack: canvas.NewRectangle(nil), mmView: canvas.NewRectangle(nil),
		vbar: canvas.NewRectangle(nil), hbar: canvas.NewRectangle(nil), texts: textCache{}}
	r.mmImage = canvas.NewRaster(e.minimapImage)
	r.dropLbl.TextStyle.Bold = true
	r.Refresh()
	return r
}

func (r *renderer) Destroy()                     {}
func (r *renderer) MinSize() fyne.Size           { return r.e.MinSize() }
func (r *renderer) Objects() []fyne.CanvasObject { return r.objects }

// IsClip makes the canvas clip what is drawn to the widget's area.
func (r *renderer) IsClip() {}

func (r *renderer) Layout(size fyne.Size) {
	e := r.e
	first := e.size.Width <= 0
	if size == e.size {
		return
	}
	if !first {
		// Keep the centre of the view where it was.
		c := e.toCanvas(fyne.NewPos(e.size.Width/2, e.size.Height/2))
		e.size = size
		e.offset = fyne.NewPos(c.X-size.Width/2/e.zoom, c.Y-size.Height/2/e.zoom)
	} else {
		e.size = size
	}
	if (e.fitPending || e.autoFit) && size.Width > 0 {
		e.FitAll()
		return
	}
	r.Refresh()
}

// setText updates a text object and refreshes it only when it changed (a
// refresh re-renders the glyphs).
func setText(t *canvas.Text, s string, size float32, col color.Color) {
	if t.Text == s && t.TextSize == size && t.Color == col && t.Visible() {
		return
	}
	t.Text, t.TextSize, t.Color = s, size, col
	t.Show()
	t.Refresh()
}

func setFill(r *canvas.Rectangle, fill, stroke color.Color, width, radius float32) {
	if r.FillColor == fill && r.StrokeColor == stroke && r.StrokeWidth == width && r.CornerRadius == radius && r.Visible() {
		return
	}
	r.FillColor, r.StrokeColor, r.StrokeWidth, r.CornerRadius = fill, stroke, width, radius
	r.Show()
	r.Refresh()
}

func place(o fyne.CanvasObject, x, y, w, h float32) {
	o.Move(fyne.NewPos(x, y))
	o.Resize(fyne.NewSize(w, h))
}

func (r *renderer) Refresh() {
	e := r.e
	col := e.colours()
	z := e.zoom
	size := e.size
	objs := r.objects[:0]

	r.bg.FillColor = col.canvas
	place(r.bg, 0, 0, size.Width, size.Height)
	objs = append(objs, r.bg)

	// Grid: lines every 40 canvas units (200 when zoomed far out).
	step := float32(40)
	for step*z < 14 {
		step *= 5
	}
	vx0, vy0, vx1, vy1 := e.viewRect()
	ng := 0
	gridLine := func(x0, y0, x1, y1 float32) {
		if ng == len(r.grid) {
			r.grid = append(r.grid, canvas.NewLine(nil))
		}
		l := r.grid[ng]
		ng++
		l.StrokeColor, l.StrokeWidth = col.grid, 1
		l.Position1, l.Position2 = fyne.NewPos(x0, y0), fyne.NewPos(x1, y1)
		objs = append(objs, l)
	}
	if !e.exporter {
		for x := float32(math.Ceil(float64(vx0/step))) * step; x < vx1; x += step {
			sx := (x - e.offset.X) * z
			gridLine(sx, 0, sx, size.Height)
		}
		for y := float32(math.Ceil(float64(vy0/step))) * step; y < vy1; y += step {
			sy := (y - e.offset.Y) * z
			gridLine(0, sy, size.Width, sy)
		}
	}

	sc := e.sc
	visible := func(x0, y0, x1, y1 float32) bool { return x1 >= vx0 && x0 <= vx1 && y1 >= vy0 && y0 <= vy1 }
	showText := levelOf(z) >= lodTitle

	// Frames of expanded blocks.
	nf := 0
	for k := range sc.frames {
		f := &sc.frames[k]
		if !visible(f.x0-frameLabelWidth(f.name), f.y0, f.x1, f.y1) {
			continue
		}
		if nf == len(r.frames) {
			fv := &frameView{box: canvas.NewRectangle(nil), label: canvas.NewText("", nil)}
			fv.label.TextStyle.Bold = true
			fv.label.Alignment = fyne.TextAlignTrailing
			r.frames = append(r.frames, fv)
		}
		fv := r.frames[nf]
		nf++
		stroke := col.frame
		if len(f.members) > 0 && e.sel[e.g.Nodes[f.members[0]].ID] && e.SelectedBlock() == f.name {
			stroke = col.primary
		}
		setFill(fv.box, col.frameBg, stroke, max(1, 1.2*z), 10*z)
		p := e.toScreen(fyne.NewPos(f.x0, f.y0))
		place(fv.box, p.X, p.Y, (f.x1-f.x0)*z, (f.y1-f.y0)*z)
		objs = append(objs, fv.box)
		if showText {
			w := frameLabelWidth(f.name) * z
			fs := max(9, 11*z)
			w = max(w, frameLabelWidth(f.name)*fs/11)
			setText(fv.label, f.name, fs, stroke)
			place(fv.label, p.X-w-4*z, p.Y, w, fs*1.3)
			objs = append(objs, fv.label)
		}
	}

	// Edges.
	nl := 0
	line := func(pool *[]*canvas.Line, n *int, a, b fyne.Position, c color.Color, w float32) {
		// Clip to the view: the software painter mis-draws lines that
		// start outside the widget's clip.
		var ok bool
		if a, b, ok = clipSegment(a, b, size.Width, size.Height); !ok {
			return
		}
		if *n == len(*pool) {
			*pool = append(*pool, canvas.NewLine(nil))
		}
		l := (*pool)[*n]
		*n++
		l.StrokeColor, l.StrokeWidth = c, w
		l.Position1, l.Position2 = a, b
		objs = append(objs, l)
	}
	for k := range sc.edges {
		ed := &sc.edges[k]
		if !visible(ed.x0, ed.y0, ed.x1, ed.y1) {
			continue
		}
		if e.gest.kind == gWire && e.gest.detached == [2]string{ed.src, ed.dst} {
			continue
		}
		c, w := col.edge, max(1, 1.4*z)
		switch {
		case e.selEdge == [2]string{ed.src, ed.dst}:
			c, w = col.primary, max(2, 2.6*z)
		case e.itemSelected(ed.from) || e.itemSelected(ed.to):
			c, w = col.edgeHi, max(1.2, 1.8*z)
		}
		prev := e.toScreen(ed.pts[0])
		for _, p := range ed.pts[1:] {
			s := e.toScreen(p)
			line(&r.lines, &nl, prev, s, c, w)
			prev = s
		}
	}

	// Cards.
	nc, ncall := 0, 0
	var calls []int
	for k := range sc.items {
		it := &sc.items[k]
		x0, y0, x1, y1 := it.rect()
		if !visible(x0-8, y0-8, x1+8, y1+8) {
			if it.hasErr(e) && visible(x1, y0, x1+calloutWidth+20, y1+60) {
				calls = append(calls, k)
			}
			continue
		}
		if nc == len(r.cards) {
			r.cards = append(r.cards, newCard())
		}
		cv := r.cards[nc]
		nc++
		objs = r.drawCard(objs, cv, k, col)
		if it.hasErr(e) {
			calls = append(calls, k)
		}
	}

	// Error callouts above every card.
	if showText {
		for _, k := range calls {
			if ncall == len(r.calls) {
				r.calls = append(r.calls, &callout{box: canvas.NewRectangle(nil)})
			}
			objs = r.drawCallout(objs, r.calls[ncall], k, col)
			ncall++
		}
	}

	// The wire being dragged out of a port.
	nw := 0
	if e.gest.kind == gWire {
		it := &sc.items[e.gest.from]
		var a, b fyne.Position
		if e.gest.reverse {
			a, b = e.gest.cur, e.toScreen(it.inPort())
		} else {
			a, b = e.toScreen(it.outPort()), e.gest.cur
		}
		dy := max(40*z, float32(math.Abs(float64(b.Y-a.Y)))/2)
		pts := cubic(nil, a, fyne.NewPos(a.X, a.Y+dy), fyne.NewPos(b.X, b.Y-dy), b, 16)
		for i := 1; i < len(pts); i++ {
			line(&r.wire, &nw, pts[i-1], pts[i], col.primary, max(1.5, 2*z))
		}
	}

	if e.gest.kind == gBox {
		a, b := e.gest.start, e.gest.cur
		setFill(r.boxSel, withAlpha(col.primary, 0x22), col.primary, 1, 0)
		place(r.boxSel, min(a.X, b.X), min(a.Y, b.Y), abs(b.X-a.X), abs(b.Y-a.Y))
		objs = append(objs, r.boxSel)
	}

	if d := e.drop; d != nil {
		w, h := NodeWidth*z, NodeHeight*z
		setFill(r.dropBox, withAlpha(col.primary, 0x26), col.primary, 1.5, 6*z)
		place(r.dropBox, d.pos.X-w/2, d.pos.Y-h/2, w, h)
		setText(r.dropLbl, d.label, max(9, 12*z), col.primary)
		place(r.dropLbl, d.pos.X-w/2+12*z, d.pos.Y-7*z, w, 14*z)
		objs = append(objs, r.dropBox, r.dropLbl)
	}

	if !e.exporter {
		objs = r.drawChrome(objs, col)
	}
	r.objects = objs
	// One cheap refresh marks the canvas for repainting; refreshing the
	// widget itself would re-render every glyph of every card.
	r.bg.Refresh()
}

func abs(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// calloutWidth is the width of an error message box in canvas units.
const calloutWidth = 250

func (r *renderer) drawCallout(objs []fyne.CanvasObject, c *callout, k int, col colours) []fyne.CanvasObject {
	e := r.e
	z := e.zoom
	it := &e.sc.items[k]
	_, _, _, _, msg, fix := e.cardText(k)
	x0, y0, x1, _ := it.rect()
	_ = x0
	size := max(9, 10.5*z)
	width := max(calloutWidth*z, 190)
	inner := width - 16*size/10.5
	var lines []string
	var bold []bool
	for i, l := range r.texts.wrap(msg, size, fyne.TextStyle{}, inner) {
		if i == 4 {
			lines[len(lines)-1] += "…"
			break
		}
		lines = append(lines, l)
		bold = append(bold, false)
	}
	if fix != "" {
		for i, l := range r.texts.wrap("Fix: "+fix, size, fyne.TextStyle{Bold: true}, inner) {
			if i == 2 {
				lines[len(lines)-1] += "…"
				break
			}
			lines = append(lines, l)
			bold = append(bold, true)
		}
	}
	lh := size * 1.33
	p := e.toScreen(fyne.NewPos(x1+12, y0))
	hgt := float32(len(lines))*lh + 10*size/10.5
	setFill(c.box, col.errBg, col.errc, max(1, z), max(3, 5*z))
	place(c.box, p.X, p.Y, width, hgt)
	objs = append(objs, c.box)
	for len(c.lines) < len(lines) {
		c.lines = append(c.lines, canvas.NewText("", nil))
	}
	for i, l := range lines {
		t := c.lines[i]
		if t.TextStyle.Bold != bold[i] {
			t.TextStyle.Bold = bold[i]
			t.Text = ""
		}
		cl := col.fg
		if bold[i] {
			cl = col.errc
		}
		setText(t, l, size, cl)
		place(t, p.X+8*size/10.5, p.Y+5*size/10.5+float32(i)*lh, inner, lh)
		objs = append(objs, t)
	}
	return objs
}

// drawChrome draws the overview and the scroll bars.
func (r *renderer) drawChrome(objs []fyne.CanvasObject, col colours) []fyne.CanvasObject {
	e := r.e
	if mm, ok := e.minimapRect(); ok {
		setFill(r.mmBack, withAlpha(col.card, 0xf0), col.border, 1, 6)
		place(r.mmBack, mm.x-6, mm.y-6, mm.w+12, mm.h+12)
		place(r.mmImage, mm.x, mm.y, mm.w, mm.h)
		if e.minimapCache.stale(e, mm) {
			r.mmImage.Refresh()
		}
		vx0, vy0, vx1, vy1 := e.viewRect()
		a, b := mm.toMini(vx0, vy0), mm.toMini(vx1, vy1)
		a.X, a.Y = max(a.X, mm.x-4), max(a.Y, mm.y-4)
		b.X, b.Y = min(b.X, mm.x+mm.w+4), min(b.Y, mm.y+mm.h+4)
		setFill(r.mmView, withAlpha(col.primary, 0x1c), col.primary, 1.5, 2)
		place(r.mmView, a.X, a.Y, max(3, b.X-a.X), max(3, b.Y-a.Y))
		objs = append(objs, r.mmBack, r.mmImage, r.mmView)
	}
	barCol := withAlpha(col.fg, 0x55)
	if v, ok := e.vbarRect(); ok {
		c := barCol
		if e.gest.kind == gScrollV || e.hover.bar == 1 {
			c = withAlpha(col.fg, 0x99)
		}
		setFill(r.vbar, c, nil, 0, 3)
		place(r.vbar, v.x, v.y, v.w, v.h)
		objs = append(objs, r.vbar)
	}
	if h, ok := e.hbarRect(); ok {
		c := barCol
		if e.gest.kind == gScrollH || e.hover.bar == 2 {
			c = withAlpha(col.fg, 0x99)
		}
		setFill(r.hbar, c, nil, 0, 3)
		place(r.hbar, h.x, h.y, h.w, h.h)
		objs = append(objs, r.hbar)
	}
	return objs
}

// Levels of detail of a card by zoom: everything, title and shape, the
// title alone, or a bare box.
const (
	lodNone = iota
	lodTitle
	lodCompact
	lodFull
)

func levelOf(z float32) int {
	switch {
	case z >= 0.8:
		return lodFull
	case z >= 0.42:
		return lodCompact
	case z >= 0.3:
		return lodTitle
	}
	return lodNone
}

// clipSegment clips the segment a-b to the rectangle (0,0)-(w,h) grown by a
// few pixels (Liang-Barsky); ok is false when nothing of it is inside.
func clipSegment(a, b fyne.Position, w, h float32) (fyne.Position, fyne.Position, bool) {
	const m = 4
	x0, y0, x1, y1 := float32(-m), float32(-m), w+m, h+m
	dx, dy := b.X-a.X, b.Y-a.Y
	t0, t1 := float32(0), float32(1)
	for _, pq := range [4][2]float32{{-dx, a.X - x0}, {dx, x1 - a.X}, {-dy, a.Y - y0}, {dy, y1 - a.Y}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return a, b, false
			}
			continue
		}
		r := q / p
		if p < 0 {
			t0 = max(t0, r)
		} else {
			t1 = min(t1, r)
		}
		if t0 > t1 {
			return a, b, false
		}
	}
	return fyne.NewPos(a.X+t0*dx, a.Y+t0*dy), fyne.NewPos(a.X+t1*dx, a.Y+t1*dy), true
}
