package widgets

import (
	"fmt"
	"image"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The pieces of a pane's settings column: checked number entries, the
// column with its Run button and job bar, and hints for empty views.

// IntField is an entry for a whole number within [lo, hi].
type IntField struct {
	*widget.Entry
	// Name names the field in messages.
	Name string
	// Lo and Hi bound the values accepted; a pane may move them.
	Lo, Hi int
}

// NewIntField is an entry for name, showing def, accepting lo..hi.
func NewIntField(name string, def, lo, hi int) *IntField {
	e := widget.NewEntry()
	e.SetText(strconv.Itoa(def))
	return &IntField{Entry: e, Name: name, Lo: lo, Hi: hi}
}

// Value is the number entered, or an error naming the field and its range.
func (f *IntField) Value() (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(f.Text))
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", f.Name, f.Text)
	}
	if v < f.Lo || v > f.Hi {
		return 0, fmt.Errorf("%s must be between %s and %s, not %s", f.Name, Thousands(f.Lo), Thousands(f.Hi), Thousands(v))
	}
	return v, nil
}

// FloatField is an entry for a number within [lo, hi].
type FloatField struct {
	*widget.Entry
	// Name names the field in messages.
	Name string
	// Lo and Hi bound the values accepted.
	Lo, Hi float64
}

// NewFloatField is an entry for name, showing def, accepting lo..hi.
func NewFloatField(name string, def, lo, hi float64) *FloatField {
	e := widget.NewEntry()
	e.SetText(strconv.FormatFloat(def, 'g', -1, 64))
	return &FloatField{Entry: e, Name: name, Lo: lo, Hi: hi}
}

// Value is the number entered, or an error naming the field and its range.
func (f *FloatField) Value() (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(f.Text), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", f.Name, f.Text)
	}
	if v < f.Lo || v > f.Hi {
		return 0, fmt.Errorf("%s must be between %g and %g, not %g", f.Name, f.Lo, f.Hi, v)
	}
	return v, nil
}

// FormPanel is a tab's left column: a form, the Run button, its job's
// progress and the message about the last run.
func FormPanel(title string, form *widget.Form, run *widget.Button, job *JobBar, msg *widget.Label) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	run.Importance = widget.HighImportance
	msg.Wrapping = fyne.TextWrapWord
	col := container.NewVBox(head, form, run, job.Content(), msg)
	return container.New(&MinWidth{W: 300}, container.NewVScroll(container.New(layout.NewCustomPaddedLayout(4, 4, 4, 8), col)))
}

// ShowRunError puts a run's error in its message label.
func ShowRunError(msg *widget.Label, err error) {
	if Cancelled(err) {
		msg.Importance = widget.MediumImportance
		msg.SetText("Cancelled.")
		return
	}
	msg.Importance = widget.DangerImportance
	msg.SetText(FirstUpper(err.Error()) + ".")
}

// HintBox says what to do to fill an empty part of the overview.
func HintBox(text, button string, tapped func()) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	b := widget.NewButton(button, tapped)
	return container.NewCenter(container.New(&MinWidth{W: 320}, container.NewVBox(l, container.NewCenter(b))))
}

// TemplateGrid shows images with their class names, cols per row, as
// large as the space allows up to side units.
func TemplateGrid(imgs []image.Image, names []string, cols int, side float32) fyne.CanvasObject {
	var cells []fyne.CanvasObject
	for i, im := range imgs {
		ci := canvas.NewImageFromImage(im)
		ci.ScaleMode = canvas.ImageScalePixels
		ci.FillMode = canvas.ImageFillStretch
		name := ""
		if i < len(names) {
			name = names[i]
		}
		t := canvas.NewText(name, theme.Color(theme.ColorNameForeground))
		t.Alignment = fyne.TextAlignCenter
		t.TextSize = theme.CaptionTextSize()
		cells = append(cells, ci, t)
	}
	return container.New(&thumbLayout{cols: cols, max: side}, cells...)
}

// thumbLayout places (image, caption) pairs in a centred grid of cols
// columns, the images square and as large as fits, up to max.
type thumbLayout struct {
	cols int
	max  float32
}

const thumbGap = 6

func (l *thumbLayout) caption() float32 {
	return fyne.MeasureText("Ag", theme.CaptionTextSize(), fyne.TextStyle{}).Height + 2
}

func (l *thumbLayout) rows(n int) int { return (n/2 + l.cols - 1) / l.cols }

func (l *thumbLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	n := len(objs) / 2
	cols := min(l.cols, max(n, 1))
	rows := l.rows(len(objs))
	capH := l.caption()
	side := min(l.max, (s.Width-float32(cols-1)*thumbGap)/float32(cols),
		(s.Height-float32(rows)*(capH+thumbGap))/float32(max(rows, 1)))
	side = max(side, 8)
	w := float32(cols)*side + float32(cols-1)*thumbGap
	h := float32(rows)*(side+capH) + float32(rows-1)*thumbGap
	x0, y0 := (s.Width-w)/2, (s.Height-h)/2
	for i := 0; i < n; i++ {
		c, r := i%l.cols, i/l.cols
		x := x0 + float32(c)*(side+thumbGap)
		y := y0 + float32(r)*(side+capH+thumbGap)
		objs[2*i].Move(fyne.NewPos(x, y))
		objs[2*i].Resize(fyne.NewSquareSize(side))
		objs[2*i+1].Move(fyne.NewPos(x-thumbGap/2, y+side+1))
		objs[2*i+1].Resize(fyne.NewSize(side+thumbGap, capH))
	}
}

func (l *thumbLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	rows := l.rows(len(objs))
	return fyne.NewSize(float32(l.cols)*(32+thumbGap), float32(rows)*(32+l.caption()+thumbGap))
}

// Labelled is a control after its name, at least w wide.
func Labelled(name string, o fyne.CanvasObject, w float32) fyne.CanvasObject {
	return container.NewHBox(widget.NewLabel(name), container.New(&MinWidth{W: w}, o))
}

// SortableHeaders gives a table a header row of buttons titled cols (the
// widest title is widest, with its arrow): tapping one calls sortBy with
// its column, and the sorted column shows ▲ or ▼ as sorted reports.
func SortableHeaders(t *widget.Table, cols []string, widest string, sorted func() (col int, asc bool), sortBy func(col int)) {
	t.ShowHeaderColumn = false
	t.CreateHeader = func() fyne.CanvasObject { return widget.NewButton(widest+" ▼", nil) }
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		name := cols[id.Col]
		if c, asc := sorted(); id.Col == c {
			if asc {
				name += " ▲"
			} else {
				name += " ▼"
			}
		}
		b.SetText(name)
		col := id.Col
		b.OnTapped = func() { sortBy(col) }
	}
}
