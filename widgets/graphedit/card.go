package graphedit

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
)

func (it *item) hasErr(e *Editor) bool {
	if !it.block {
		return e.ann[it.id].Error != ""
	}
	if a, ok := e.ann[it.id]; ok && a.Error != "" {
		return true
	}
	for _, m := range it.members {
		if e.ann[e.g.Nodes[m].ID].Error != "" {
			return true
		}
	}
	return false
}

// cardText returns what a card shows.
func (e *Editor) cardText(k int) (title, sub, shape, detail, errMsg, fix string) {
	it := &e.sc.items[k]
	if !it.block {
		n := &e.g.Nodes[it.node]
		a := e.ann[n.ID]
		title = n.Title()
		// Inside a block's frame the block's name is its label: "layer1.0"
		// around "conv1" reads better than "layer1.0.conv1" on every card.
		if n.Name == "" && n.Block != "" && strings.HasPrefix(n.ID, n.Block+".") && len(n.ID) > len(n.Block)+1 {
			title = n.ID[len(n.Block)+1:]
		}
		return title, it.style.Subtitle, a.Shape, a.Detail, a.Error, a.Fix
	}
	a, ok := e.ann[it.id]
	errs := 0
	var first Annotation
	for _, m := range it.members {
		if ma := e.ann[e.g.Nodes[m].ID]; ma.Error != "" {
			if errs == 0 {
				first = ma
			}
			errs++
		}
	}
	sub = "block · " + plural(len(it.members), "layer")
	if !ok {
		a = Annotation{Shape: e.ann[e.g.Nodes[it.exit].ID].Shape}
	}
	if a.Error == "" && errs > 0 {
		a.Error = first.Error
		a.Fix = first.Fix
		if errs > 1 {
			a.Error = plural(errs, "problem") + " inside, first: " + first.Error
		}
	}
	return it.id, sub, a.Shape, a.Detail, a.Error, a.Fix
}

func (r *renderer) drawCard(objs []fyne.CanvasObject, cv *card, k int, col colours) []fyne.CanvasObject {
	e := r.e
	it := &e.sc.items[k]
	z := e.zoom
	x0, y0, _, _ := it.rect()
	p := e.toScreen(fyne.NewPos(x0, y0))
	w, h := NodeWidth*z, NodeHeight*z
	title, sub, shape, detail, errMsg, _ := e.cardText(k)
	sel := e.itemSelected(k)
	radius := 6 * z

	stroke, sw := col.border, max(1, 1*z)
	switch {
	case sel:
		stroke, sw = col.primary, max(2, 2.2*z)
	case errMsg != "":
		stroke, sw = col.errc, max(1.5, 1.8*z)
	}
	if e.gest.kind == gWire && e.gest.target == k {
		stroke, sw = col.primary, max(2, 2.5*z)
	}
	if !e.exporter {
		setFill(cv.shadow, col.shadow, nil, 0, radius)
		place(cv.shadow, p.X+1.5*z, p.Y+2.5*z, w, h)
		objs = append(objs, cv.shadow)
	}
	if it.block {
		setFill(cv.back, col.card, col.border, max(1, z), radius)
		place(cv.back, p.X+5*z, p.Y+5*z, w, h)
		objs = append(objs, cv.back)
	}
	setFill(cv.box, col.card, stroke, sw, radius)
	place(cv.box, p.X, p.Y, w, h)
	setFill(cv.stripe, it.style.Accent, nil, 0, 2*z)
	place(cv.stripe, p.X+4*z, p.Y+6*z, 4*z, h-12*z)
	objs = append(objs, cv.box, cv.stripe)

	switch lod := levelOf(z); lod {
	case lodFull:
		pad := 14 * z
		tw := w - pad - 10*z
		if errMsg != "" {
			tw -= 10 * z
		}
		setText(cv.title, r.texts.fit(title, 12*z, fyne.TextStyle{Bold: true}, tw), 12*z, col.fg)
		place(cv.title, p.X+pad, p.Y+4*z, tw, 16*z)
		setText(cv.sub, r.texts.fit(sub, 10.5*z, fyne.TextStyle{}, w-pad-8*z), 10.5*z, col.muted)
		place(cv.sub, p.X+pad, p.Y+20.5*z, w-pad-8*z, 14*z)
		dw := r.texts.width(detail, 10.5*z, fyne.TextStyle{})
		shapeCol := col.fg
		if shape == "" {
			shape = "?"
			shapeCol = col.muted
		}
		setText(cv.shape, r.texts.fit(shape, 10.5*z, fyne.TextStyle{Bold: true}, w-pad-dw-16*z), 10.5*z, shapeCol)
		place(cv.shape, p.X+pad, p.Y+36*z, w-pad-dw-16*z, 14*z)
		objs = append(objs, cv.title, cv.sub, cv.shape)
		if detail != "" {
			setText(cv.detail, detail, 10.5*z, col.muted)
			place(cv.detail, p.X+w-dw-10*z, p.Y+36*z, dw, 14*z)
			objs = append(objs, cv.detail)
		}
	case lodCompact, lodTitle:
		// Zoomed out: fewer lines at a size that stays legible.
		fs := min(11, max(9, 12*z))
		lh := fs * 1.3
		pad := max(9, 14*z)
		tw := w - pad - 4
		lines := float32(2)
		if lod == lodTitle {
			lines = 1
		}
		top := p.Y + (h-lines*lh)/2
		setText(cv.title, r.texts.fit(title, fs, fyne.TextStyle{Bold: true}, tw), fs, col.fg)
		place(cv.title, p.X+pad, top, tw, lh)
		objs = append(objs, cv.title)
		if lod == lodCompact {
			if shape == "" {
				shape = "?"
			}
			setText(cv.shape, r.texts.fit(shape, fs, fyne.TextStyle{Bold: true}, tw), fs, col.muted)
			place(cv.shape, p.X+pad, top+lh, tw, lh)
			objs = append(objs, cv.shape)
		}
	}
	if z >= 0.3 {
		pr := 4.5 * z
		portStroke := func(out bool) (color.Color, color.Color) {
			if e.hover.item == k && e.hover.port == portOf(out) {
				return col.primary, col.primary
			}
			if e.gest.kind == gWire && e.gest.target == k && out == e.gest.reverse {
				return col.primary, col.primary
			}
			return col.portFill, it.style.Accent
		}
		if it.hasIn() {
			fill, st := portStroke(false)
			cv.in.FillColor, cv.in.StrokeColor, cv.in.StrokeWidth = fill, st, max(1, 1.6*z)
			place(cv.in, p.X+w/2-pr, p.Y-pr, 2*pr, 2*pr)
			objs = append(objs, cv.in)
		}
		if it.hasOut() {
			fill, st := portStroke(true)
			cv.out.FillColor, cv.out.StrokeColor, cv.out.StrokeWidth = fill, st, max(1, 1.6*z)
			place(cv.out, p.X+w/2-pr, p.Y+h-pr, 2*pr, 2*pr)
			objs = append(objs, cv.out)
		}
	}
	if errMsg != "" {
		br := max(5, 7.5*z)
		cv.badge.FillColor, cv.badge.StrokeColor, cv.badge.StrokeWidth = col.errc, col.card, max(1, 1.5*z)
		place(cv.badge, p.X+w-br-1.5*z, p.Y-br+3*z, 2*br, 2*br)
		objs = append(objs, cv.badge)
		if levelOf(z) != lodNone {
			setText(cv.badgeText, "!", max(8, 11*z), color.White)
			place(cv.badgeText, p.X+w-br-1.5*z, p.Y-br+3*z+0.5*z, 2*br, 2*br-2*z)
			objs = append(objs, cv.badgeText)
		}
	}
	return objs
}
