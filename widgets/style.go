package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The small visual vocabulary every pane shares: cards on panels, captions,
// compact cells and legends, and layouts that keep a minimum size.

// Split colours tell the training, validation and test splits apart in
// every chart.
var (
	ColorTrain = color.NRGBA{R: 59, G: 130, B: 246, A: 255}
	ColorVal   = color.NRGBA{R: 245, G: 158, B: 11, A: 255}
	ColorTest  = color.NRGBA{R: 16, G: 185, B: 129, A: 255}
)

// SplitColors are the split colours by the splits' names as shown.
var SplitColors = map[string]color.NRGBA{
	"Train":      ColorTrain,
	"Validation": ColorVal,
	"Test":       ColorTest,
}

// Card is a titled group with a light background.
func Card(title string, content fyne.CanvasObject) fyne.CanvasObject {
	return CardWith(title, nil, content)
}

// CardWith is a card with extra objects at the right of its title.
func CardWith(title string, extra, content fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := container.NewBorder(container.NewBorder(nil, nil, head, extra), nil, nil, nil, content)
	return container.NewStack(NewPanelBackground(),
		container.New(layout.NewCustomPaddedLayout(2, 6, 6, 6), body))
}

// PlotCard is a plot on a panel, without a title row (plots carry their
// own titles).
func PlotCard(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(NewPanelBackground(), container.New(layout.NewCustomPaddedLayout(4, 4, 4, 4), o))
}

// PanelBackground is a rounded rectangle of the theme's input background
// colour that follows theme changes.
type PanelBackground struct {
	widget.BaseWidget
	rect *canvas.Rectangle
}

// NewPanelBackground returns a panel to stack content on.
func NewPanelBackground() *PanelBackground {
	b := &PanelBackground{rect: canvas.NewRectangle(color.Transparent)}
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer is part of fyne.Widget.
func (b *PanelBackground) CreateRenderer() fyne.WidgetRenderer {
	r := &panelBackgroundRenderer{b: b}
	r.Refresh()
	return r
}

type panelBackgroundRenderer struct{ b *PanelBackground }

func (r *panelBackgroundRenderer) Layout(s fyne.Size)           { r.b.rect.Resize(s) }
func (r *panelBackgroundRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *panelBackgroundRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.rect} }
func (r *panelBackgroundRenderer) Destroy()                     {}
func (r *panelBackgroundRenderer) Refresh() {
	r.b.rect.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, r.b)
	r.b.rect.CornerRadius = theme.SizeForWidget(theme.SizeNameInputRadius, r.b) + 2
	r.b.rect.Refresh()
}

// WrapLabel is a wrapped caption.
func WrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// CellText is a compact table cell (a label with less padding).
func CellText(s string, bold, right bool) fyne.CanvasObject {
	t := canvas.NewText(s, theme.Color(theme.ColorNameForeground))
	t.TextStyle.Bold = bold
	if right {
		t.Alignment = fyne.TextAlignTrailing
	}
	return container.New(layout.NewCustomPaddedLayout(3, 3, 4, 4), t)
}

// SwatchLabel is a colour square and a name, for legends.
func SwatchLabel(name string, c color.Color) fyne.CanvasObject {
	sq := canvas.NewRectangle(c)
	sq.SetMinSize(fyne.NewSquareSize(10))
	sq.CornerRadius = 2
	t := canvas.NewText(name, theme.Color(theme.ColorNameForeground))
	return container.New(layout.NewCustomPaddedLayout(3, 3, 4, 4), container.NewHBox(container.NewCenter(sq), t))
}

// MinWidth is a layout that gives its children the whole space and at
// least a width.
type MinWidth struct{ W float32 }

// Layout is part of fyne.Layout.
func (l *MinWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) { fill(objs, s) }

// MinSize is part of fyne.Layout.
func (l *MinWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := maxMin(objs)
	return fyne.NewSize(max(s.Width, l.W), s.Height)
}

// MinHeight is a layout that gives its children the whole space and at
// least a height.
type MinHeight struct{ H float32 }

// Layout is part of fyne.Layout.
func (l *MinHeight) Layout(objs []fyne.CanvasObject, s fyne.Size) { fill(objs, s) }

// MinSize is part of fyne.Layout.
func (l *MinHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := maxMin(objs)
	return fyne.NewSize(s.Width, max(s.Height, l.H))
}

func fill(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func maxMin(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

// FixedWidth is a layout that gives its children the full space and asks
// for exactly W of width (and the tallest child's height).
type FixedWidth struct{ W float32 }

// Layout is part of fyne.Layout.
func (l *FixedWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) { fill(objs, s) }

// MinSize is part of fyne.Layout.
func (l *FixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(l.W, maxMin(objs).Height)
}
