package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// shell is the content of the main window: the navigation list on the left,
// the current pane, and the status bar. The desktop window and the
// render-panes command both build one.
type shell struct {
	state   *ui.State
	panes   []Pane
	built   map[string]fyne.CanvasObject
	current string

	nav     *widget.List
	body    *fyne.Container
	root    fyne.CanvasObject
	project *widget.Label
	dirty   *widget.Label
	file    *widget.Label
	device  *widget.Label
	status  *fyne.Container
}

// navWidth is the width of the navigation list.
const navWidth = 210

func newShell(s *ui.State) *shell {
	sh := &shell{state: s, panes: Panes(), built: map[string]fyne.CanvasObject{}}
	sh.body = container.NewStack()
	sh.nav = widget.NewList(
		func() int { return len(sh.panes) },
		func() fyne.CanvasObject {
			icon := widget.NewIcon(theme.FileIcon())
			return container.NewHBox(icon, widget.NewLabel("Filters & Activations"))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Icon).SetResource(sh.panes[i].Icon)
			row.Objects[1].(*widget.Label).SetText(sh.panes[i].Title)
		},
	)
	sh.nav.OnSelected = func(i widget.ListItemID) { sh.show(sh.panes[i].ID) }

	sh.nav.HideSeparators = true

	sh.project = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sh.dirty = widget.NewLabel("")
	sh.dirty.Importance = widget.WarningImportance
	sh.device = widget.NewLabel("")
	sh.file = widget.NewLabel("")
	sh.file.Truncation = fyne.TextTruncateEllipsis
	status := container.NewBorder(nil, nil,
		container.NewHBox(widget.NewIcon(theme.DocumentIcon()), sh.project),
		container.NewHBox(sh.dirty, widget.NewIcon(theme.ComputerIcon()), sh.device),
		sh.file,
	)
	sh.status = status
	statusBar := container.NewStack(
		widgets.NewBackground(theme.ColorNameHeaderBackground),
		container.NewBorder(widget.NewSeparator(), nil, nil, nil,
			container.New(layout.NewCustomPaddedLayout(0, 0, 8, 8), status)),
	)

	logo := canvas.NewImageFromResource(Icon())
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(28))
	title := widget.NewLabelWithStyle("Workbench", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	navHeader := container.New(layout.NewCustomPaddedLayout(10, 6, 10, 4), container.NewHBox(logo, title))
	navPanel := container.NewBorder(navHeader, nil, nil, nil,
		container.New(layout.NewCustomPaddedLayout(0, 4, 4, 4), sh.nav))
	left := container.New(&widgets.FixedWidth{W: navWidth},
		container.NewStack(widgets.NewBackground(theme.ColorNameHeaderBackground), navPanel))

	sh.root = container.NewBorder(nil, statusBar, container.NewHBox(left, widget.NewSeparator()), nil, sh.body)
	s.SetNavigation(sh.show, func(id string) (string, bool) {
		p, ok := PaneByID(id)
		return p.Title, ok
	})
	s.OnChange(func(ui.Change) { sh.updateStatus() })
	sh.updateStatus()
	return sh
}

// show brings the pane id to the front, building it on first use.
func (sh *shell) show(id string) {
	idx := -1
	for i, p := range sh.panes {
		if p.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	if sh.current != id {
		sh.current = id
		obj, ok := sh.built[id]
		if !ok {
			obj = sh.panes[idx].New(sh.state)
			sh.built[id] = obj
		}
		sh.body.Objects = []fyne.CanvasObject{obj}
		sh.body.Refresh()
	}
	sh.nav.Select(idx) // no-op when already selected; keeps the list in step
}

// updateStatus refreshes the status bar from the state.
func (sh *shell) updateStatus() {
	s := sh.state
	sh.project.SetText(s.ProjectName())
	if s.Path == "" {
		sh.file.SetText("not saved yet")
	} else {
		sh.file.SetText(s.Path)
	}
	if s.Dirty() {
		sh.dirty.SetText("● unsaved changes")
	} else {
		sh.dirty.SetText("")
	}
	sh.device.SetText("Device: " + s.Device)
	// The labels' widths changed: lay the bar out again so that the
	// unsaved mark and the device do not overlap.
	if sh.status != nil {
		sh.status.Refresh()
	}
}
