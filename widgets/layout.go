package widgets

import (
	"image"
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// This file holds the small display pieces the inspection panes share:
// an image with zoom, a wrapping flow of cards, and figure tiles.

// ZoomView shows an image with crisp pixels: fitted to the view (zoom 0)
// or at zoom image pixels per unit, scrolling when larger than the view.
type ZoomView struct {
	widget.BaseWidget
	img    *canvas.Image
	lay    *zoomLayout
	scroll *container.Scroll
}

// ZoomChoices are the zooms a ZoomView's chooser offers.
var ZoomChoices = []string{"Fit", "1×", "2×", "4×", "8×"}

// ZoomFactor is the zoom of one of ZoomChoices (0: fit).
func ZoomFactor(s string) float32 {
	if v, err := strconv.Atoi(strings.TrimSuffix(s, "×")); err == nil {
		return float32(v)
	}
	return 0
}

// NewZoomView returns an empty zoom view that fits its image.
func NewZoomView() *ZoomView {
	z := &ZoomView{img: canvas.NewImageFromImage(nil), lay: &zoomLayout{}}
	z.img.ScaleMode = canvas.ImageScalePixels
	z.img.FillMode = canvas.ImageFillContain
	z.lay.img = z.img
	z.scroll = container.NewScroll(container.New(z.lay, z.img))
	z.ExtendBaseWidget(z)
	return z
}

// SetImage shows im (nil: nothing).
func (z *ZoomView) SetImage(im image.Image) {
	z.img.Image = im
	z.lay.natural = fyne.Size{}
	if im != nil {
		b := im.Bounds()
		z.lay.natural = fyne.NewSize(float32(b.Dx()), float32(b.Dy()))
	}
	z.img.Refresh()
	z.scroll.Refresh()
}

// Image returns the image shown.
func (z *ZoomView) Image() image.Image { return z.img.Image }

// SetZoom sets image pixels per Fyne unit (0: fit the view).
func (z *ZoomView) SetZoom(f float32) {
	z.lay.zoom = max(f, 0)
	z.scroll.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (z *ZoomView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(z.scroll)
}

type zoomLayout struct {
	img     *canvas.Image
	natural fyne.Size
	zoom    float32
}

func (l *zoomLayout) size() fyne.Size {
	return fyne.NewSize(l.natural.Width*l.zoom, l.natural.Height*l.zoom)
}

func (l *zoomLayout) Layout(_ []fyne.CanvasObject, s fyne.Size) {
	if l.zoom == 0 {
		l.img.Move(fyne.NewPos(0, 0))
		l.img.Resize(s)
		return
	}
	is := l.size()
	l.img.Move(fyne.NewPos(max(0, (s.Width-is.Width)/2), max(0, (s.Height-is.Height)/2)))
	l.img.Resize(is)
}

func (l *zoomLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	if l.zoom == 0 {
		return fyne.NewSize(40, 40)
	}
	return l.size()
}

// flowLayout places objects at their minimum sizes left to right,
// wrapping into rows at the width it is given (like text). Its minimum
// height is that of the last width laid out; when a new width changes it,
// reflow is called so that a scroll around it can take the new height.
type flowLayout struct {
	gap    float32
	width  float32
	reflow func()
}

func (l *flowLayout) place(objs []fyne.CanvasObject, width float32, move bool) (w, h float32) {
	x, y, rowH := float32(0), float32(0), float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if x > 0 && x+m.Width > width {
			x, y, rowH = 0, y+rowH+l.gap, 0
		}
		if move {
			o.Move(fyne.NewPos(x, y))
			o.Resize(m)
		}
		x += m.Width + l.gap
		rowH = max(rowH, m.Height)
		w = max(w, x-l.gap)
	}
	return w, y + rowH
}

func (l *flowLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	_, before := l.place(objs, l.width, false)
	l.width = s.Width
	_, after := l.place(objs, s.Width, true)
	if after != before && l.reflow != nil {
		l.reflow()
	}
}

func (l *flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	widest := float32(0)
	for _, o := range objs {
		if o.Visible() {
			widest = max(widest, o.MinSize().Width)
		}
	}
	width := l.width
	if width < widest {
		width = widest
	}
	_, h := l.place(objs, width, false)
	return fyne.NewSize(widest, h)
}

// NewFlowScroll is a scroll of objects that wrap into rows (and
// scroll across when one is wider than the view).
func NewFlowScroll(gap float32) (*fyne.Container, *container.Scroll) {
	fl := &flowLayout{gap: gap}
	box := container.New(fl)
	scroll := container.NewScroll(Pad(4, 4, 4, 4, box))
	fl.reflow = func() { scroll.Refresh() }
	return box, scroll
}

// PixelImage shows img at a fixed size in Fyne units with crisp pixels.
func PixelImage(img image.Image, size fyne.Size) *canvas.Image {
	ci := canvas.NewImageFromImage(img)
	ci.ScaleMode = canvas.ImageScalePixels
	ci.FillMode = canvas.ImageFillStretch
	ci.SetMinSize(size)
	return ci
}

// Caption is small text in the theme's foreground (or a given colour).
func Caption(s string, c color.Color) *canvas.Text {
	if c == nil {
		c = theme.Color(theme.ColorNameForeground)
	}
	t := canvas.NewText(s, c)
	t.TextSize = theme.CaptionTextSize()
	return t
}

// Figure is a measured figure: a large value over a small caption.
type Figure struct {
	value, caption *canvas.Text
	root           fyne.CanvasObject
}

// NewFigure is a figure showing "–" over caption.
func NewFigure(caption string) *Figure {
	f := &Figure{value: canvas.NewText("–", theme.Color(theme.ColorNameForeground)), caption: Caption(caption, theme.Color(theme.ColorNamePlaceHolder))}
	f.value.TextSize = theme.TextSize() * 1.5
	f.value.TextStyle.Bold = true
	f.root = container.NewStack(NewPanelBackground(),
		Pad(3, 5, 10, 10, container.New(&Rows{Gap: 1}, f.value, f.caption)))
	return f
}

// Content is the figure's widget.
func (f *Figure) Content() fyne.CanvasObject { return f.root }

// Value is the value shown.
func (f *Figure) Value() string { return f.value.Text }

// Caption is the caption shown.
func (f *Figure) Caption() string { return f.caption.Text }

// SetValue shows a new value.
func (f *Figure) SetValue(value string) {
	f.value.Text = value
	f.value.Refresh()
}

// SetCaption shows a new caption.
func (f *Figure) SetCaption(s string) {
	f.caption.Text = s
	f.caption.Refresh()
}

// Pad surrounds o with fixed space (top, bottom, left, right). Unlike
// layout.NewCustomPaddedLayout it never gives o a negative size (which
// the software painter of render-panes cannot draw) when laid out in less
// room than the padding, as content swapped into a container not laid out
// yet is.
func Pad(top, bottom, left, right float32, o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&padLayout{top, bottom, left, right}, o)
}

type padLayout struct{ top, bottom, left, right float32 }

func (l *padLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(l.left, l.top))
		o.Resize(fyne.NewSize(max(0, s.Width-l.left-l.right), max(0, s.Height-l.top-l.bottom)))
	}
}

func (l *padLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m.Add(fyne.NewSize(l.left+l.right, l.top+l.bottom))
}

// HeadCard is a panel with a header (a label that may change) and extra
// objects at its right, like cardWith.
func HeadCard(head, extra, content fyne.CanvasObject) fyne.CanvasObject {
	body := container.NewBorder(container.NewBorder(nil, nil, nil, extra, head), nil, nil, nil, content)
	return container.NewStack(NewPanelBackground(), Pad(2, 6, 6, 6, body))
}

// Hint is a quiet, centred sentence for an empty view.
func Hint(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	l.Importance = widget.LowImportance
	return container.NewCenter(container.New(&MinWidth{W: 260}, l))
}

// Swatch is a colour square and a small name, for legends.
func Swatch(name string, c color.Color) fyne.CanvasObject {
	sq := canvas.NewRectangle(c)
	sq.SetMinSize(fyne.NewSquareSize(9))
	sq.CornerRadius = 2
	return container.New(&Row{Gap: 6}, container.NewCenter(sq), Caption(name, nil))
}

// Rows stacks objects at their minimum heights with a small gap (VBox
// uses the theme's padding).
type Rows struct{ Gap float32 }

func (l *Rows) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(s.Width, h))
		y += h + l.Gap
	}
}

func (l *Rows) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height
		n++
	}
	return fyne.NewSize(w, h+float32(max(n-1, 0))*l.Gap)
}

// WithBar puts a bar of controls above content. The controls keep their
// minimum sizes and wrap into more rows when the width is short (a 1024-
// pixel window), and the content takes the rest of the height. Unlike a
// flow inside a Border, the bar's height follows from the width in the same
// layout pass.
func WithBar(content fyne.CanvasObject, items ...fyne.CanvasObject) fyne.CanvasObject {
	bar := container.New(&flowLayout{gap: 4}, items...)
	return container.New(&barLayout{bar: bar, gap: 4}, bar, content)
}

type barLayout struct {
	bar   *fyne.Container
	gap   float32
	width float32
}

func (l *barLayout) barHeight(width float32) float32 {
	_, h := l.bar.Layout.(*flowLayout).place(l.bar.Objects, width, false)
	return h
}

func (l *barLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	l.width = s.Width
	h := l.barHeight(s.Width)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(s.Width, h))
	if len(objs) > 1 {
		objs[1].Move(fyne.NewPos(0, h+l.gap))
		objs[1].Resize(fyne.NewSize(s.Width, max(0, s.Height-h-l.gap)))
	}
}

func (l *barLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	bm := objs[0].MinSize() // the widest control
	w := max(bm.Width, l.width)
	m := fyne.NewSize(bm.Width, l.barHeight(w))
	if len(objs) > 1 {
		c := objs[1].MinSize()
		m = fyne.NewSize(max(m.Width, c.Width), m.Height+l.gap+c.Height)
	}
	return m
}

// Spacer is empty room w wide.
func Spacer(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 1))
	return r
}

// Row places objects left to right at their minimum sizes with a
// fixed gap (HBox uses the theme's padding).
type Row struct{ Gap float32 }

func (l *Row) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	x := float32(0)
	for _, o := range objs {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, 0))
		o.Resize(m)
		x += m.Width + l.Gap
	}
}

func (l *Row) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		w += m.Width
		if i > 0 {
			w += l.Gap
		}
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}
