package trainui

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/workbench-cv/workbench/engine/data"
)

// The small vocabulary the app's panes share (cards, captions, plot style),
// kept here so that this package stands alone and looks like its siblings.

// Split colours, as in the Data pane's charts.
var (
	colTrain = color.NRGBA{R: 59, G: 130, B: 246, A: 255}
	colVal   = color.NRGBA{R: 245, G: 158, B: 11, A: 255}
	colTest  = color.NRGBA{R: 16, G: 185, B: 129, A: 255}
)

// card is a titled group with a light background.
func card(title string, content fyne.CanvasObject) fyne.CanvasObject {
	return cardWith(title, nil, content)
}

// cardWith is a card with extra objects at the right of its title.
func cardWith(title string, extra, content fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := container.NewBorder(container.NewBorder(nil, nil, head, extra), nil, nil, nil, content)
	return container.NewStack(newPanelBackground(),
		container.New(layout.NewCustomPaddedLayout(2, 6, 6, 6), body))
}

// plotCard is a plot on a panel, without a title row (plots carry their
// own titles).
func plotCard(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(newPanelBackground(), container.New(layout.NewCustomPaddedLayout(4, 4, 4, 4), o))
}

// panelBackground is a rounded rectangle of the theme's input background
// colour that follows theme changes.
type panelBackground struct {
	widget.BaseWidget
	rect *canvas.Rectangle
}

func newPanelBackground() *panelBackground {
	b := &panelBackground{rect: canvas.NewRectangle(color.Transparent)}
	b.ExtendBaseWidget(b)
	return b
}

func (b *panelBackground) CreateRenderer() fyne.WidgetRenderer {
	r := &panelBackgroundRenderer{b: b}
	r.Refresh()
	return r
}

type panelBackgroundRenderer struct{ b *panelBackground }

func (r *panelBackgroundRenderer) Layout(s fyne.Size)           { r.b.rect.Resize(s) }
func (r *panelBackgroundRenderer) MinSize() fyne.Size           { return fyne.Size{} }
func (r *panelBackgroundRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.b.rect} }
func (r *panelBackgroundRenderer) Destroy()                     {}
func (r *panelBackgroundRenderer) Refresh() {
	r.b.rect.FillColor = theme.ColorForWidget(theme.ColorNameInputBackground, r.b)
	r.b.rect.CornerRadius = theme.SizeForWidget(theme.SizeNameInputRadius, r.b) + 2
	r.b.rect.Refresh()
}

// wrapLabel is a wrapped caption.
func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// minWidth gives its children at least a width.
type minWidth struct{ w float32 }

func (l *minWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

func (l *minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(max(s.Width, l.w), s.Height)
}

// newPlot returns a plot in Workbench's style: sans-serif text a little
// smaller than gonum's default.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Variant = "Sans"
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Variant = "Sans"
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Variant = "Sans"
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Variant = "Sans"
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	return p
}

// percentTicks labels accuracies as percentages.
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Round(1000*t.Value)/10, 'f', -1, 64) + "%"
		}
	}
	return ticks
}

// thousands formats n with separators: 1234567 -> "1,234,567".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := ""
	for len(s) > 3 {
		out = "," + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	out = s + out
	if neg {
		out = "-" + out
	}
	return out
}

// plural is "1 epoch", "3 epochs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if word == "batch" {
		return thousands(n) + " batches"
	}
	return thousands(n) + " " + word + "s"
}

func pct(a float64) string { return fmt.Sprintf("%.1f%%", 100*a) }

// percentOrDash writes an accuracy, or a dash when unknown.
func percentOrDash(a float64) string {
	if math.IsNaN(a) {
		return "–"
	}
	return pct(a)
}

// firstUpper capitalises a message's first letter.
func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// short abbreviates a class name for tick labels and captions.
func short(s string) string {
	if r := []rune(s); len(r) > 9 {
		return string(r[:8]) + "…"
	}
	return s
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// subset returns n class-balanced images of s (all of them when n covers s).
func subset(s *data.Set, n int, seed int64) *data.Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	return data.BalancedSubset(s, n, seed)
}
