package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Background fills its area with a colour of the current theme, and follows
// the theme when it changes (light and dark). Stack it under other content.
type Background struct {
	widget.BaseWidget
	ColorName fyne.ThemeColorName
}

// NewBackground returns a background of the named theme colour.
func NewBackground(name fyne.ThemeColorName) *Background {
	b := &Background{ColorName: name}
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer implements fyne.Widget.
func (b *Background) CreateRenderer() fyne.WidgetRenderer {
	r := &backgroundRenderer{b: b, rect: canvas.NewRectangle(nil)}
	r.Refresh()
	return r
}

type backgroundRenderer struct {
	b    *Background
	rect *canvas.Rectangle
}

func (r *backgroundRenderer) Layout(s fyne.Size)           { r.rect.Resize(s) }
func (r *backgroundRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *backgroundRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.rect} }
func (r *backgroundRenderer) Destroy()                     {}

func (r *backgroundRenderer) Refresh() {
	r.rect.FillColor = theme.ColorForWidget(r.b.ColorName, r.b)
	r.rect.Refresh()
}
