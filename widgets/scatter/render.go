package scatter

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

// pointAlpha lets dense clusters read darker than sparse ones.
const pointAlpha = 0.85

// draw renders the points into a w×h picture of the current view.
func (s *Scatter) draw(w, h int, bg color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	b := rgb(bg)
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = b[0], b[1], b[2], 255
	}
	n := s.Len()
	if n == 0 || s.size.Width <= 0 {
		return img
	}
	scale := float64(w) / float64(s.size.Width)
	r := float64(s.radius()) * scale
	dot := newStamp(r)
	ring := newStamp(r + math.Max(1, scale))

	colors := s.Colors
	if len(colors) == 0 {
		colors = Tab10
	}
	pal := make([][3]uint8, len(colors))
	dim := make([][3]uint8, len(colors))
	for i, c := range colors {
		pal[i] = rgb(c)
		dim[i] = mix(pal[i], b, 0.78)
	}
	grey := [3]uint8{128, 128, 128}
	colour := func(i int, dimmed bool) [3]uint8 {
		if s.labels == nil || s.labels[i] < 0 {
			if dimmed {
				return mix(grey, b, 0.78)
			}
			return grey
		}
		c := int(s.labels[i]) % len(pal)
		if dimmed {
			return dim[c]
		}
		return pal[c]
	}
	at := func(i int) (int, int, bool) {
		x := (float64(s.size.Width)/2 + (s.xy[2*i]-s.cx)*s.k) * scale
		y := (float64(s.size.Height)/2 - (s.xy[2*i+1]-s.cy)*s.k) * scale
		if math.IsNaN(x) || math.IsNaN(y) || x < -r-2 || y < -r-2 || x > float64(w)+r+2 || y > float64(h)+r+2 {
			return 0, 0, false
		}
		return int(math.Floor(x)), int(math.Floor(y)), true
	}
	sel := len(s.selected) > 0
	for _, i := range s.order {
		if sel && s.selMask[i] {
			continue
		}
		if x, y, ok := at(i); ok {
			dot.blend(img, x, y, colour(i, sel), pointAlpha)
		}
	}
	if sel {
		// Selected points on top, outlined in the foreground's contrast.
		edge := mix(rgb(theme.Color(theme.ColorNameForeground)), b, 0.15)
		for _, i := range s.selected {
			if x, y, ok := at(i); ok {
				ring.blend(img, x, y, edge, 1)
				dot.blend(img, x, y, colour(i, false), 1)
			}
		}
	}
	return img
}

// stamp is an anti-aliased disc: per-pixel coverage around its centre.
type stamp struct {
	half int
	a    []float32 // (2·half+1)² coverages
}

func newStamp(r float64) stamp {
	half := int(math.Ceil(r + 0.5))
	side := 2*half + 1
	st := stamp{half: half, a: make([]float32, side*side)}
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			d := math.Hypot(float64(x-half), float64(y-half))
			st.a[y*side+x] = float32(math.Min(1, math.Max(0, r+0.5-d)))
		}
	}
	return st
}

func (st stamp) blend(img *image.RGBA, cx, cy int, c [3]uint8, alpha float32) {
	side := 2*st.half + 1
	bw, bh := img.Rect.Dx(), img.Rect.Dy()
	for dy := 0; dy < side; dy++ {
		y := cy + dy - st.half
		if y < 0 || y >= bh {
			continue
		}
		row := img.Pix[y*img.Stride:]
		for dx := 0; dx < side; dx++ {
			x := cx + dx - st.half
			a := st.a[dy*side+dx] * alpha
			if x < 0 || x >= bw || a <= 0 {
				continue
			}
			p := row[4*x : 4*x+3]
			for k := 0; k < 3; k++ {
				p[k] = uint8(float32(p[k]) + (float32(c[k])-float32(p[k]))*a + 0.5)
			}
		}
	}
}

func rgb(c color.Color) [3]uint8 {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return [3]uint8{255, 255, 255}
	}
	// Un-premultiply, then assume an opaque colour.
	return [3]uint8{uint8(r * 255 / a), uint8(g * 255 / a), uint8(b * 255 / a)}
}

// mix moves c toward d by t (0: c, 1: d).
func mix(c, d [3]uint8, t float64) [3]uint8 {
	var o [3]uint8
	for k := range o {
		o[k] = uint8(float64(c[k]) + (float64(d[k])-float64(c[k]))*t + 0.5)
	}
	return o
}

func (s *Scatter) background() color.Color {
	return theme.Color(theme.ColorNameInputBackground)
}

// renderer draws the raster of points and the overlay: a ring on the
// hovered point, its card, and the selection box while dragging.
type renderer struct {
	s       *Scatter
	raster  *canvas.Raster
	border  *canvas.Rectangle
	selBox  *canvas.Rectangle
	ring    *canvas.Circle
	card    *canvas.Rectangle
	thumb   *canvas.Image
	caption *canvas.Text
	objects []fyne.CanvasObject
}

func newRenderer(s *Scatter) *renderer {
	r := &renderer{s: s}
	r.raster = canvas.NewRaster(func(w, h int) image.Image { return s.draw(w, h, s.background()) })
	r.raster.ScaleMode = canvas.ImageScalePixels
	r.border = canvas.NewRectangle(color.Transparent)
	r.border.StrokeWidth = 1
	r.selBox = canvas.NewRectangle(color.Transparent)
	r.selBox.StrokeWidth = 1
	r.selBox.Hide()
	r.ring = canvas.NewCircle(color.Transparent)
	r.ring.StrokeWidth = 2
	r.ring.Hide()
	r.card = canvas.NewRectangle(color.Transparent)
	r.card.StrokeWidth = 1
	r.card.CornerRadius = 4
	r.card.Hide()
	r.thumb = canvas.NewImageFromImage(nil)
	r.thumb.ScaleMode = canvas.ImageScalePixels
	r.thumb.FillMode = canvas.ImageFillContain
	r.thumb.Hide()
	r.caption = canvas.NewText("", color.Black)
	r.caption.TextSize = theme.CaptionTextSize()
	r.caption.Hide()
	r.objects = []fyne.CanvasObject{r.raster, r.border, r.selBox, r.ring, r.card, r.thumb, r.caption}
	r.applyTheme()
	return r
}

func (r *renderer) applyTheme() {
	r.border.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	p := theme.Color(theme.ColorNamePrimary)
	r.selBox.StrokeColor = p
	pr, pg, pb, _ := p.RGBA()
	r.selBox.FillColor = color.NRGBA{uint8(pr >> 8), uint8(pg >> 8), uint8(pb >> 8), 40}
	r.ring.StrokeColor = theme.Color(theme.ColorNameForeground)
	r.card.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	r.card.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	r.caption.Color = theme.Color(theme.ColorNameForeground)
}

func (r *renderer) Layout(size fyne.Size) {
	r.s.resized(size)
	r.raster.Resize(size)
	r.border.Resize(size)
	r.layoutOverlay()
}

func (r *renderer) MinSize() fyne.Size { return fyne.NewSize(120, 120) }

func (r *renderer) Refresh() {
	r.applyTheme()
	r.raster.Refresh()
	r.layoutOverlay()
	canvas.Refresh(r.border)
}

func (r *renderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *renderer) Destroy() {}

// layoutOverlay places the selection box and the hover marks.
func (r *renderer) layoutOverlay() {
	s := r.s
	if s.drag == dragSelect {
		a, b := s.dragFrom, s.dragTo
		r.selBox.Move(fyne.NewPos(min(a.X, b.X), min(a.Y, b.Y)))
		r.selBox.Resize(fyne.NewSize(abs32(a.X-b.X), abs32(a.Y-b.Y)))
		r.selBox.Show()
	} else {
		r.selBox.Hide()
	}
	canvas.Refresh(r.selBox)
	r.showHover()
}

// showHover rings the hovered point and shows its card beside the cursor,
// inside the widget.
func (r *renderer) showHover() {
	s := r.s
	if s.hover < 0 || s.hover >= s.Len() {
		for _, o := range []fyne.CanvasObject{r.ring, r.card, r.thumb, r.caption} {
			o.Hide()
		}
		return
	}
	p := s.PointPosition(s.hover)
	rad := s.radius() + 3
	r.ring.Move(fyne.NewPos(p.X-rad, p.Y-rad))
	r.ring.Resize(fyne.NewSquareSize(2 * rad))
	r.ring.Show()
	canvas.Refresh(r.ring)

	const pad = 6
	var img image.Image
	if s.Thumbnail != nil {
		img = s.Thumbnail(s.hover)
	}
	text := ""
	if s.Caption != nil {
		text = s.Caption(s.hover)
	}
	r.caption.Text = text
	ts := fyne.MeasureText(text, r.caption.TextSize, r.caption.TextStyle)
	side := float32(0)
	if img != nil {
		side = s.thumbSize()
	}
	w := max(side, ts.Width) + 2*pad
	h := side + 2*pad
	if text != "" {
		h += ts.Height
		if img != nil {
			h += 2
		}
	}
	if img == nil && text == "" {
		r.card.Hide()
		r.thumb.Hide()
		r.caption.Hide()
		return
	}
	// Below and right of the cursor, flipped where it would leave the plot.
	x, y := s.hoverPos.X+14, s.hoverPos.Y+14
	if x+w > s.size.Width {
		x = s.hoverPos.X - 14 - w
	}
	if y+h > s.size.Height {
		y = s.hoverPos.Y - 14 - h
	}
	x, y = max(x, 0), max(y, 0)
	r.card.Move(fyne.NewPos(x, y))
	r.card.Resize(fyne.NewSize(w, h))
	r.card.Show()
	canvas.Refresh(r.card)
	if img != nil {
		r.thumb.Image = img
		r.thumb.Move(fyne.NewPos(x+(w-side)/2, y+pad))
		r.thumb.Resize(fyne.NewSquareSize(side))
		r.thumb.Show()
		r.thumb.Refresh()
	} else {
		r.thumb.Hide()
	}
	if text != "" {
		top := y + pad
		if img != nil {
			top += side + 2
		}
		r.caption.Move(fyne.NewPos(x+(w-ts.Width)/2, top))
		r.caption.Resize(ts)
		r.caption.Show()
		r.caption.Refresh()
	} else {
		r.caption.Hide()
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
