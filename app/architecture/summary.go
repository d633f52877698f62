package architecture

import (
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/models"
)

// summaryView is the course's VGG-16 table for the graph: per layer the
// output volume, the activation memory, the parameters, the multiply-adds
// and the receptive field, with totals for the parameters, the forward
// memory per image, a forward+backward estimate at the training batch size
// and the multiply-adds.
type summaryView struct {
	pane   *editorPane
	table  *widget.Table
	totals *widget.Label
	root   fyne.CanvasObject
	sum    *models.Summary
	batch  int
}

var summaryColumns = []struct {
	title string
	width float32
	right bool
}{
	{"#", 36, true}, {"Layer", 180, false}, {"Type", 130, false}, {"Output (C×H×W)", 140, false},
	{"Memory", 160, true}, {"Parameters", 120, true}, {"Multiply-adds", 120, true}, {"Receptive field", 130, true},
}

func newSummaryView(p *editorPane) *summaryView {
	s := &summaryView{pane: p}
	s.table = widget.NewTableWithHeaders(
		func() (int, int) {
			if s.sum == nil {
				return 0, len(summaryColumns)
			}
			return len(s.sum.Layers), len(summaryColumns)
		},
		func() fyne.CanvasObject { return newCell(false) },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			text, right, bad := s.cell(id.Row, id.Col)
			setCell(o, text, right, bad)
		})
	s.table.ShowHeaderColumn = false
	s.table.CreateHeader = func() fyne.CanvasObject { return newCell(true) }
	s.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(summaryColumns) {
			setCell(o, summaryColumns[id.Col].title, summaryColumns[id.Col].right, false)
		}
	}
	for i, c := range summaryColumns {
		s.table.SetColumnWidth(i, c.width)
	}
	s.table.OnSelected = func(id widget.TableCellID) {
		if s.sum != nil && id.Row >= 0 && id.Row < len(s.sum.Layers) {
			nid := s.sum.Layers[id.Row].ID
			p.ed.Select(nid)
			p.ed.Reveal(nid)
		}
		s.table.UnselectAll()
	}
	s.totals = widget.NewLabel("")
	s.totals.Truncation = fyne.TextTruncateEllipsis
	title := widget.NewLabelWithStyle("Summary", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head := container.NewBorder(nil, nil, title, nil, s.totals)
	s.root = container.NewBorder(container.New(layout.NewCustomPaddedLayout(0, -4, 4, 4), head), nil, nil, nil, s.table)
	return s
}

// cell returns a table cell's text, whether it is right-aligned, and
// whether it shows a problem.
func (s *summaryView) cell(row, col int) (string, bool, bool) {
	l := s.sum.Layers[row]
	right := summaryColumns[col].right
	bad := l.Err != nil
	switch col {
	case 0:
		return fmt.Sprint(row), right, false
	case 1:
		name := l.Name
		if l.Block != "" && !strings.HasPrefix(name, l.Block) {
			name = l.Block + " / " + name
		}
		return name, right, bad
	case 2:
		return opLabel(l.Type), right, false
	case 3:
		if l.Output == nil {
			return "—", right, bad
		}
		return ShapeText(l.Output), right, false
	case 4:
		if l.Output == nil {
			return "", right, false
		}
		return fmt.Sprintf("%s · %s", compact(l.Activations), bytesText(models.BytesPerValue*l.Activations)), right, false
	case 5:
		if l.Params == 0 {
			return "", right, false
		}
		return thousands(l.Params), right, false
	case 6:
		if l.MACs == 0 {
			return "", right, false
		}
		return compact(l.MACs), right, false
	case 7:
		if l.RF == 0 {
			return "", right, false
		}
		return fmt.Sprintf("%d×%d", l.RF, l.RF), right, false
	}
	return "", right, false
}

// set shows a new summary.
func (s *summaryView) set(sum *models.Summary, batch int) {
	rows := func(m *models.Summary) int {
		if m == nil {
			return 0
		}
		return len(m.Layers)
	}
	// A table scrolled past its new end (Undo removed layers, or another
	// project was opened) would show nothing until scrolled: start at the
	// top whenever the number of rows changes.
	changed := rows(sum) != rows(s.sum)
	s.sum, s.batch = sum, batch
	s.totals.SetText(totalsText(sum, batch))
	if changed {
		s.table.ScrollToTop()
	}
	s.table.Refresh()
}

// totalsText is the table's last line, in the course's words.
func totalsText(s *models.Summary, batch int) string {
	if s == nil || len(s.Layers) == 0 {
		return "No layers."
	}
	b, which := batch, ""
	if b < 1 {
		// Training's default batch size.
		b, which = 64, " (default)"
	}
	parts := []string{
		fmt.Sprintf("Parameters %s (%s)", thousands(s.Params), bytesText(s.ParamBytes)),
		fmt.Sprintf("forward memory %s per image", bytesText(s.ForwardBytes)),
		fmt.Sprintf("forward + backward at batch %d%s ≈ %s", b, which, bytesText(s.TrainBytes(b))),
		fmt.Sprintf("%s multiply-adds", compact(s.MACs)),
	}
	return strings.Join(parts, " · ")
}

// compactTheme is the app's theme with less padding inside widgets, so
// that the summary table shows more rows.
type compactTheme struct{}

func (compactTheme) base() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (t compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.base().Color(n, v)
}

func (t compactTheme) Font(s fyne.TextStyle) fyne.Resource { return t.base().Font(s) }

func (t compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.base().Icon(n) }

func (t compactTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return 4
	}
	return t.base().Size(n)
}

// newCell is a table cell: a label with less padding, truncated to its
// column.
func newCell(bold bool) fyne.CanvasObject {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	l.TextStyle.Bold = bold
	return container.NewThemeOverride(l, compactTheme{})
}

func setCell(o fyne.CanvasObject, text string, right, bad bool) {
	l := o.(*container.ThemeOverride).Content.(*widget.Label)
	align := fyne.TextAlignLeading
	if right {
		align = fyne.TextAlignTrailing
	}
	imp := widget.MediumImportance
	if bad {
		imp = widget.DangerImportance
	}
	if l.Text == text && l.Alignment == align && l.Importance == imp {
		return
	}
	l.Alignment, l.Importance = align, imp
	l.SetText(text)
}

func withAlpha(c color.Color, a uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = a
	return n
}
