package graphedit

import (
	"image"
	"image/color"
	"image/draw"

	"fyne.io/fyne/v2"
)

// rect is an area in widget coordinates.
type rect struct{ x, y, w, h float32 }

func (r rect) contains(p fyne.Position) bool {
	return p.X >= r.x && p.X <= r.x+r.w && p.Y >= r.y && p.Y <= r.y+r.h
}

// mini is the overview's placement and scale.
type mini struct {
	rect
	scale  float32
	x0, y0 float32 // canvas point at the overview's top-left
}

func (m mini) toMini(x, y float32) fyne.Position {
	return fyne.NewPos(m.x+(x-m.x0)*m.scale, m.y+(y-m.y0)*m.scale)
}

func (m mini) toCanvas(p fyne.Position) fyne.Position {
	return fyne.NewPos(m.x0+(p.X-m.x)/m.scale, m.y0+(p.Y-m.y)/m.scale)
}

const (
	barWidth   = 7
	barMargin  = 3
	miniMargin = 14
)

// minimapRect places the overview in the bottom-right corner; it is shown
// only while part of the graph is out of view.
func (e *Editor) minimapRect() (mini, bool) {
	s := e.sc
	if e.exporter || len(s.items) < 2 || e.size.Width < 360 || e.size.Height < 260 {
		return mini{}, false
	}
	vx0, vy0, vx1, vy1 := e.viewRect()
	if s.x0 >= vx0 && s.y0 >= vy0 && s.x1 <= vx1 && s.y1 <= vy1 {
		return mini{}, false
	}
	bw, bh := s.x1-s.x0+40, s.y1-s.y0+40
	// A small graph needs no overview: the scroll bars do.
	if len(s.items) < 24 && bw < 2.5*(vx1-vx0) && bh < 2.5*(vy1-vy0) {
		return mini{}, false
	}
	maxW := min(160, e.size.Width*0.22)
	maxH := min(e.size.Height*0.5, 260)
	scale := min(maxW/bw, maxH/bh)
	w, h := max(bw*scale, 56), max(bh*scale, 40)
	m := mini{scale: scale}
	m.w, m.h = w, h
	m.x = e.size.Width - w - miniMargin - barWidth
	m.y = e.size.Height - h - miniMargin - barWidth
	// Centre the graph in the overview when it is narrower than the box.
	m.x0 = (s.x0+s.x1)/2 - w/2/scale
	m.y0 = (s.y0+s.y1)/2 - h/2/scale
	return m, true
}

// minimapJump centres the view on the canvas point under p in the
// overview.
func (e *Editor) minimapJump(m mini, p fyne.Position) {
	e.autoFit = false
	c := m.toCanvas(p)
	e.offset = fyne.NewPos(c.X-e.size.Width/2/e.zoom, c.Y-e.size.Height/2/e.zoom)
	e.viewChanged()
}

// minimap caches the overview image.
type minimap struct {
	sc   *scene
	ann  map[string]Annotation
	m    mini
	dark bool
	img  *image.NRGBA
}

func (c *minimap) stale(e *Editor, m mini) bool {
	return c.sc != e.sc || c.m != m || c.img == nil
}

// minimapImage draws every card as a small block in its accent colour
// (errors in red); it is the overview raster's generator.
func (e *Editor) minimapImage(w, h int) image.Image {
	m, ok := e.minimapRect()
	if !ok || w <= 0 || h <= 0 {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	}
	c := &e.minimapCache
	if !c.stale(e, m) && c.img.Bounds().Dx() == w && c.img.Bounds().Dy() == h {
		return c.img
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	col := e.colours()
	draw.Draw(img, img.Bounds(), &image.Uniform{withAlpha(col.card, 0)}, image.Point{}, draw.Src)
	sx, sy := float32(w)/m.w, float32(h)/m.h // pixels per widget unit
	edgeCol := withAlpha(col.edge, 0xb0)
	for _, ed := range e.sc.edges {
		for i := 1; i < len(ed.pts); i++ {
			a, b := m.toMini(ed.pts[i-1].X, ed.pts[i-1].Y), m.toMini(ed.pts[i].X, ed.pts[i].Y)
			drawSeg(img, (a.X-m.x)*sx, (a.Y-m.y)*sy, (b.X-m.x)*sx, (b.Y-m.y)*sy, edgeCol)
		}
	}
	for k := range e.sc.items {
		it := &e.sc.items[k]
		x0, y0, x1, y1 := it.rect()
		a, b := m.toMini(x0, y0), m.toMini(x1, y1)
		r := image.Rect(int((a.X-m.x)*sx), int((a.Y-m.y)*sy), int((b.X-m.x)*sx+0.999), int((b.Y-m.y)*sy+0.999))
		if r.Dy() < 1 {
			r.Max.Y = r.Min.Y + 1
		}
		fill := mix(it.style.Accent, col.card, 0.35)
		if it.hasErr(e) {
			fill = col.errc
		} else if e.itemSelected(k) {
			fill = col.primary
		}
		draw.Draw(img, r, &image.Uniform{fill}, image.Point{}, draw.Src)
	}
	c.sc, c.m, c.img = e.sc, m, img
	return img
}

// drawSeg draws a one-pixel line.
func drawSeg(img *image.NRGBA, x0, y0, x1, y1 float32, c color.Color) {
	n := int(max(abs(x1-x0), abs(y1-y0))) + 1
	b := img.Bounds()
	for i := 0; i <= n; i++ {
		t := float32(i) / float32(n)
		x, y := int(x0+(x1-x0)*t), int(y0+(y1-y0)*t)
		if image.Pt(x, y).In(b) {
			img.Set(x, y, c)
		}
	}
}

// contentRect is everything that can be scrolled to: the graph and the
// view.
func (e *Editor) contentRect() (x0, y0, x1, y1 float32) {
	vx0, vy0, vx1, vy1 := e.viewRect()
	s := e.sc
	if len(s.items) == 0 {
		return vx0, vy0, vx1, vy1
	}
	const m = 40
	return min(vx0, s.x0-m), min(vy0, s.y0-m), max(vx1, s.x1+m), max(vy1, s.y1+m)
}

// vbarRect and hbarRect are the scroll bars' thumbs, shown when the graph
// extends beyond the view that way.
func (e *Editor) vbarRect() (rect, bool) {
	_, cy0, _, cy1 := e.contentRect()
	_, vy0, _, vy1 := e.viewRect()
	y, h, ok := e.thumb(cy0, cy1, vy0, vy1, e.size.Height)
	return rect{x: e.size.Width - barWidth - barMargin, y: y, w: barWidth, h: h}, ok
}

func (e *Editor) hbarRect() (rect, bool) {
	cx0, _, cx1, _ := e.contentRect()
	vx0, _, vx1, _ := e.viewRect()
	x, w, ok := e.thumb(cx0, cx1, vx0, vx1, e.size.Width)
	return rect{x: x, y: e.size.Height - barWidth - barMargin, w: w, h: barWidth}, ok
}

// thumb places a scroll bar's thumb along a side of the given length for
// content c0..c1 seen through v0..v1; ok is false when no bar is shown.
func (e *Editor) thumb(c0, c1, v0, v1, side float32) (pos, length float32, ok bool) {
	if e.exporter || len(e.sc.items) == 0 || v0-c0 < 1 && c1-v1 < 1 {
		return 0, 0, false
	}
	track := side - barWidth - 2*barMargin
	length = max(24, track*(v1-v0)/(c1-c0))
	pos = barMargin + (track-length)*(v0-c0)/max(1, (c1-c0)-(v1-v0))
	return pos, length, true
}

// inVBar and inHBar report whether p is on a scroll bar's track.
func (e *Editor) inVBar(p fyne.Position) bool {
	if _, ok := e.vbarRect(); !ok {
		return false
	}
	return p.X >= e.size.Width-barWidth-2*barMargin && p.Y < e.size.Height-barWidth-barMargin
}

func (e *Editor) inHBar(p fyne.Position) bool {
	if _, ok := e.hbarRect(); !ok {
		return false
	}
	return p.Y >= e.size.Height-barWidth-2*barMargin && p.X < e.size.Width-barWidth-barMargin
}

// inChrome reports whether p is on the overview or a scroll bar.
func (e *Editor) inChrome(p fyne.Position) bool {
	if e.inVBar(p) || e.inHBar(p) {
		return true
	}
	m, ok := e.minimapRect()
	return ok && rect{m.x - 6, m.y - 6, m.w + 12, m.h + 12}.contains(p)
}
