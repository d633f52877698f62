package graphedit

import (
	"slices"

	"fyne.io/fyne/v2"
)

// Zoom returns the zoom factor (1 is 100 %).
func (e *Editor) Zoom() float32 { return e.zoom }

// Zoom limits.
const (
	MinZoom = 0.05
	MaxZoom = 3
)

// SetZoom zooms about the centre of the view.
func (e *Editor) SetZoom(z float32) {
	e.zoomAt(z, fyne.NewPos(e.size.Width/2, e.size.Height/2))
}

// ZoomIn and ZoomOut step the zoom by a fifth.
func (e *Editor) ZoomIn() { e.SetZoom(e.zoom * 1.25) }

// ZoomOut steps the zoom down by a fifth.
func (e *Editor) ZoomOut() { e.SetZoom(e.zoom / 1.25) }

// zoomAt changes the zoom keeping the canvas point under p (widget
// coordinates) in place.
func (e *Editor) zoomAt(z float32, p fyne.Position) {
	e.autoFit = false
	z = max(MinZoom, min(MaxZoom, z))
	m := e.toCanvas(p)
	e.zoom = z
	e.offset = fyne.NewPos(m.X-p.X/z, m.Y-p.Y/z)
	e.viewChanged()
}

// FitAll zooms and pans so the whole graph is in view (at most 100 %).
func (e *Editor) FitAll() {
	if e.size.Width <= 0 || e.size.Height <= 0 {
		e.fitPending = true
		return
	}
	e.fitPending = false
	bx0, by0, bx1, by1 := e.exportBounds()
	w, h := bx1-bx0, by1-by0
	z := float32(1)
	if len(e.sc.items) > 0 {
		z = min(1, e.size.Width/w, e.size.Height/h)
	}
	z = max(MinZoom, z)
	if z < fitMinZoom && len(e.sc.items) > 0 {
		// A long graph shrunk to fit would be unreadable: show its top
		// at a legible size, centred, and let the overview show the rest.
		z = fitMinZoom
		e.zoom = z
		e.offset = fyne.NewPos((bx0+bx1)/2-e.size.Width/2/z, by0)
		e.viewChanged()
		return
	}
	e.zoom = z
	e.offset = fyne.NewPos((bx0+bx1)/2-e.size.Width/2/z, (by0+by1)/2-e.size.Height/2/z)
	e.viewChanged()
}

// fitMinZoom is the smallest zoom FitAll uses: below it a card's text is
// too small to read. (At 0.5 an 11-layer chain lost its last card on a
// 1280×800 window although 40 % showed it whole and legible.)
const fitMinZoom = 0.4

// CenterOn pans so node id is in the middle of the view (a collapsed
// block's card when it is hidden inside one).
func (e *Editor) CenterOn(id string) {
	e.autoFit = false
	i := slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == id })
	if i < 0 {
		return
	}
	it := &e.sc.items[e.sc.itemOf[i]]
	e.offset = fyne.NewPos(it.x-e.size.Width/2/e.zoom, it.y-e.size.Height/2/e.zoom)
	e.viewChanged()
}

// Reveal pans just enough to bring node id into view.
func (e *Editor) Reveal(id string) {
	i := slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == id })
	if i < 0 || e.size.Width <= 0 {
		return
	}
	x0, y0, x1, y1 := e.sc.items[e.sc.itemOf[i]].rect()
	vx0, vy0, vx1, vy1 := e.viewRect()
	if x0 >= vx0 && x1 <= vx1 && y0 >= vy0 && y1 <= vy1 {
		return
	}
	e.CenterOn(id)
}

// Pan moves the view by (dx, dy) pixels.
func (e *Editor) Pan(dx, dy float32) {
	e.autoFit = false
	e.offset = fyne.NewPos(e.offset.X+dx/e.zoom, e.offset.Y+dy/e.zoom)
	e.viewChanged()
}

func (e *Editor) viewChanged() {
	e.Refresh()
	if e.OnViewChanged != nil {
		e.OnViewChanged()
	}
}

// viewRect is the visible area in canvas units.
func (e *Editor) viewRect() (x0, y0, x1, y1 float32) {
	return e.offset.X, e.offset.Y, e.offset.X + e.size.Width/e.zoom, e.offset.Y + e.size.Height/e.zoom
}

func (e *Editor) boundsVisible() bool {
	x0, y0, x1, y1 := e.viewRect()
	s := e.sc
	return s.x1 > x0 && s.x0 < x1 && s.y1 > y0 && s.y0 < y1
}

// toCanvas converts widget coordinates to canvas units, toScreen back.
func (e *Editor) toCanvas(p fyne.Position) fyne.Position {
	return fyne.NewPos(e.offset.X+p.X/e.zoom, e.offset.Y+p.Y/e.zoom)
}

func (e *Editor) toScreen(p fyne.Position) fyne.Position {
	return fyne.NewPos((p.X-e.offset.X)*e.zoom, (p.Y-e.offset.Y)*e.zoom)
}

// --- helpers ---
