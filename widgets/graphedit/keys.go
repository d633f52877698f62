package graphedit

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// FocusGained, FocusLost, TypedRune and TypedKey implement fyne.Focusable.
func (e *Editor) FocusGained() { e.focused = true }

// FocusLost implements fyne.Focusable.
func (e *Editor) FocusLost() {
	e.focused = false
	e.keys = map[fyne.KeyName]bool{}
}

// TypedRune implements fyne.Focusable: + and - zoom, 0 is 100 %, f fits.
func (e *Editor) TypedRune(r rune) {
	switch r {
	case '+', '=':
		e.ZoomIn()
	case '-', '_':
		e.ZoomOut()
	case '0':
		e.SetZoom(1)
	case 'f', 'F':
		e.FitAll()
	}
}

// TypedKey implements fyne.Focusable: Delete removes the selection, arrows
// nudge it (or pan), Escape cancels.
func (e *Editor) TypedKey(ev *fyne.KeyEvent) {
	step := float32(10)
	switch ev.Name {
	case fyne.KeyDelete, fyne.KeyBackspace:
		e.DeleteSelection()
	case fyne.KeyEscape:
		if e.gest.kind != gNone {
			if e.gest.kind == gMove {
				for i := range e.g.Nodes {
					if o, ok := e.gest.orig[e.g.Nodes[i].ID]; ok {
						e.g.Nodes[i].X, e.g.Nodes[i].Y = o.X, o.Y
					}
				}
				e.rebuild()
			}
			e.gest = gesture{from: -1, target: -1}
			e.Refresh()
			return
		}
		e.Select()
	case fyne.KeyUp:
		e.nudge(0, -step)
	case fyne.KeyDown:
		e.nudge(0, step)
	case fyne.KeyLeft:
		e.nudge(-step, 0)
	case fyne.KeyRight:
		e.nudge(step, 0)
	}
}

func (e *Editor) nudge(dx, dy float32) {
	sel := e.Selected()
	if len(sel) == 0 {
		e.Pan(dx*4*e.zoom, dy*4*e.zoom)
		return
	}
	set := setOf(sel)
	e.EditMerging("nudge", "Move "+plural(len(sel), "node"), func(g *Graph) error {
		for i := range g.Nodes {
			if set[g.Nodes[i].ID] {
				g.Nodes[i].X += dx
				g.Nodes[i].Y += dy
			}
		}
		return nil
	})
}

// KeyDown and KeyUp implement desktop.Keyable, to know which modifiers are
// held while scrolling and dragging.
func (e *Editor) KeyDown(ev *fyne.KeyEvent) { e.keys[ev.Name] = true }

// KeyUp implements desktop.Keyable.
func (e *Editor) KeyUp(ev *fyne.KeyEvent) { delete(e.keys, ev.Name) }

// TypedShortcut implements fyne.Shortcutable: copy, cut, paste, select
// all, undo (Ctrl+Z), redo (Ctrl+Shift+Z or Ctrl+Y), zoom (Ctrl+plus,
// Ctrl+minus, Ctrl+0).
func (e *Editor) TypedShortcut(s fyne.Shortcut) {
	switch sc := s.(type) {
	case *fyne.ShortcutCopy:
		e.Copy()
	case *fyne.ShortcutCut:
		e.Cut()
	case *fyne.ShortcutPaste:
		e.Paste()
	case *fyne.ShortcutSelectAll:
		e.SelectAll()
	case *fyne.ShortcutUndo:
		e.Undo()
	case *fyne.ShortcutRedo:
		e.Redo()
	case *desktop.CustomShortcut:
		ctrl := sc.Modifier&(fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
		switch {
		case ctrl && sc.KeyName == fyne.KeyZ && sc.Modifier&fyne.KeyModifierShift != 0:
			e.Redo()
		case ctrl && sc.KeyName == fyne.KeyY:
			e.Redo()
		case ctrl && sc.KeyName == fyne.KeyZ:
			e.Undo()
		case ctrl && (sc.KeyName == fyne.KeyEqual || sc.KeyName == fyne.KeyPlus):
			e.ZoomIn()
		case ctrl && sc.KeyName == fyne.KeyMinus:
			e.ZoomOut()
		case ctrl && sc.KeyName == fyne.Key0:
			e.SetZoom(1)
		}
	}
}

// TappedSecondary implements fyne.SecondaryTappable: the context menu.
func (e *Editor) TappedSecondary(ev *fyne.PointEvent) {
	e.requestFocus()
	m := e.toCanvas(ev.Position)
	if k := e.sc.hitItem(m); k >= 0 && !e.itemSelected(k) {
		e.selectItem(k, false)
	}
	c := fyne.CurrentApp().Driver().CanvasForObject(e)
	if c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(e.contextMenu(), c, ev.AbsolutePosition)
}

// contextMenu builds the right-click menu for the current selection.
func (e *Editor) contextMenu() *fyne.Menu {
	sel := e.Selected()
	item := func(label string, fn func(), enabled bool) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, fn)
		it.Disabled = !enabled
		return it
	}
	_, _, edgeSel := e.SelectedEdge()
	items := []*fyne.MenuItem{
		item("Delete", e.DeleteSelection, len(sel) > 0 || edgeSel),
		item("Cut", e.Cut, len(sel) > 0),
		item("Copy", e.Copy, len(sel) > 0),
		item("Paste", e.Paste, true),
		fyne.NewMenuItemSeparator(),
	}
	if b := e.SelectedBlock(); b != "" {
		_, collapsed := e.BlockOf(sel[0])
		if collapsed {
			items = append(items, item("Expand "+b, func() { e.SetCollapsed(b, false) }, true))
		} else {
			items = append(items, item("Collapse "+b, func() { e.SetCollapsed(b, true) }, true))
		}
		items = append(items, item("Ungroup "+b, func() { e.Ungroup(b) }, true))
	}
	if e.ContextMenu != nil {
		if extra := e.ContextMenu(sel); len(extra) > 0 {
			items = append(items, extra...)
		}
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		item(strings.TrimSpace("Undo "+e.UndoLabel()), func() { e.Undo() }, e.CanUndo()),
		item(strings.TrimSpace("Redo "+e.RedoLabel()), func() { e.Redo() }, e.CanRedo()),
		item("Automatic layout", e.AutoLayout, e.Layout != nil),
		item("Fit to view", e.FitAll, true),
	)
	return fyne.NewMenu("", items...)
}

// --- dropping palette items ---
