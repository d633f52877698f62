package widgets

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// EmptyState is what a pane shows when it has nothing to show yet: an icon, a
// title, what the pane is for, and the next thing to do, with an optional
// button that does it. It is never blank.
type EmptyState struct {
	widget.BaseWidget

	Icon        fyne.Resource
	Title       string
	Description string   // what the pane does, one short paragraph
	Steps       []string // what to do first, in order
	Command     string   // an optional command line that does it from a terminal
	Note        string   // an optional fact about the current project, shown last

	ActionLabel string // button text; no button when empty or OnAction is nil
	OnAction    func()
}

// NewEmptyState returns an empty state with an icon, a title and a description.
func NewEmptyState(icon fyne.Resource, title, description string) *EmptyState {
	e := &EmptyState{Icon: icon, Title: title, Description: description}
	e.ExtendBaseWidget(e)
	return e
}

// emptyStateWidth keeps the text in a readable column on wide windows.
const emptyStateWidth = 560

// CreateRenderer builds the layout; Refresh rebuilds it from the fields.
func (e *EmptyState) CreateRenderer() fyne.WidgetRenderer {
	e.ExtendBaseWidget(e)
	r := &emptyStateRenderer{e: e, root: container.NewStack()}
	r.build()
	return r
}

type emptyStateRenderer struct {
	e    *EmptyState
	root *fyne.Container
}

func (r *emptyStateRenderer) build() {
	e := r.e
	var items []fyne.CanvasObject
	if e.Icon != nil {
		icon := canvas.NewImageFromResource(theme.NewPrimaryThemedResource(e.Icon))
		icon.FillMode = canvas.ImageFillContain
		icon.SetMinSize(fyne.NewSquareSize(72))
		items = append(items, container.NewCenter(icon))
	}
	title := widget.NewRichText(&widget.TextSegment{
		Text:  e.Title,
		Style: widget.RichTextStyle{Alignment: fyne.TextAlignCenter, SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}},
	})
	items = append(items, title)
	if e.Description != "" {
		d := widget.NewLabel(e.Description)
		d.Wrapping = fyne.TextWrapWord
		d.Alignment = fyne.TextAlignCenter
		items = append(items, d)
	}
	if len(e.Steps) > 0 {
		items = append(items, widget.NewSeparator())
		head := widget.NewLabelWithStyle("What to do first", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		items = append(items, head)
		for i, s := range e.Steps {
			text := s
			if len(e.Steps) > 1 {
				text = string(rune('1'+i)) + ". " + s
			}
			l := widget.NewLabel(text)
			l.Wrapping = fyne.TextWrapWord
			l.Alignment = fyne.TextAlignCenter
			items = append(items, l)
		}
	}
	if e.Command != "" {
		cmd := widget.NewLabelWithStyle(e.Command, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
		cmd.Selectable = true
		items = append(items, container.NewCenter(container.NewStack(NewBackground(theme.ColorNameInputBackground), cmd)))
	}
	if e.ActionLabel != "" && e.OnAction != nil {
		b := widget.NewButton(e.ActionLabel, e.OnAction)
		b.Importance = widget.HighImportance
		items = append(items, container.NewCenter(b))
	}
	if e.Note != "" {
		n := widget.NewLabel(e.Note)
		n.Wrapping = fyne.TextWrapWord
		n.Alignment = fyne.TextAlignCenter
		n.TextStyle = fyne.TextStyle{Italic: true}
		items = append(items, n)
	}
	column := container.New(&columnLayout{width: emptyStateWidth}, container.NewVBox(items...))
	r.root.Objects = []fyne.CanvasObject{container.NewVScroll(container.NewCenter(column))}
	r.root.Refresh()
}

func (r *emptyStateRenderer) Layout(s fyne.Size)           { r.root.Resize(s) }
func (r *emptyStateRenderer) MinSize() fyne.Size           { return r.root.MinSize() }
func (r *emptyStateRenderer) Refresh()                     { r.build() }
func (r *emptyStateRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.root} }
func (r *emptyStateRenderer) Destroy()                     {}

// columnLayout gives its single child a fixed width (so wrapped text has a
// width to wrap to) and the height the child needs at that width.
type columnLayout struct{ width float32 }

func (l *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(fyne.NewSize(size.Width, o.MinSize().Height))
		o.Move(fyne.NewPos(0, 0))
	}
}

func (l *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		// Wrapped labels report their height for their current width, so
		// give them the column's width before asking.
		o.Resize(fyne.NewSize(l.width, o.Size().Height))
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.width, h)
}

var _ fyne.Layout = (*columnLayout)(nil)
