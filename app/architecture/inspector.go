package architecture

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets"
)

// inspector shows and edits what is selected: a layer's hyper-parameters
// (validated as typed), its output shape, parameters, multiply-adds and
// receptive field, its problems with their quick fixes; a block; several
// layers; or, with nothing selected, the network as a whole.
type inspector struct {
	pane *editorPane
	box  *fyne.Container
	root fyne.CanvasObject
	// key says what is shown (a node ID, a block, a selection); the fields
	// are kept while it stays the same, so typing is not interrupted.
	key string
	// attrs are the attribute entries of the shown node, by name.
	attrs map[string]*attrField
	info  *widget.Label
	probs *fyne.Container
	grad  *gradPanel
}

type attrField struct {
	a     nn.Attr
	entry *widget.Entry
	check *widget.Check
	note  *widget.Label
}

func newInspector(p *editorPane) *inspector {
	in := &inspector{pane: p, box: container.NewVBox(), grad: newGradPanel(p)}
	in.root = container.NewVScroll(widgets.Pad(4, 8, 8, 8, in.box))
	return in
}

// update shows the current selection; the fields stay when it is the same
// node as before, only their facts change.
func (in *inspector) update() {
	p := in.pane
	sel := p.ed.Selected()
	key := "graph"
	switch b := p.ed.SelectedBlock(); {
	case b != "":
		key = "block:" + b
	case len(sel) == 1:
		key = "node:" + sel[0]
		if n, ok := p.ed.Node(sel[0]); ok {
			key += ":" + n.Op
		}
	case len(sel) > 1:
		key = "nodes:" + strings.Join(sel, ",")
	}
	if key == in.key && strings.HasPrefix(key, "node:") {
		in.refreshNode(sel[0])
		return
	}
	in.key = key
	in.attrs = nil
	switch {
	case strings.HasPrefix(key, "block:"):
		in.showBlock(p.ed.SelectedBlock())
	case strings.HasPrefix(key, "node:"):
		in.showNode(sel[0])
	case strings.HasPrefix(key, "nodes:"):
		in.showSelection(sel)
	default:
		in.showGraph()
	}
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func caption(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

func sectionTitle(text string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(strings.ToUpper(text), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameCaptionText
	l.Importance = widget.HighImportance
	return container.NewVBox(widget.NewSeparator(), l)
}

func (in *inspector) set(objs ...fyne.CanvasObject) {
	in.box.Objects = objs
	in.box.Refresh()
}

func (in *inspector) showNode(id string) {
	p := in.pane
	n, _ := p.ed.Node(id)
	op, known := nn.Lookup(n.Op)
	swatch := canvas.NewRectangle(accentOf(n.Op))
	swatch.SetMinSize(fyne.NewSize(4, 18))
	swatch.CornerRadius = 2
	kind := widget.NewLabelWithStyle(opLabel(n.Op), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	objs := []fyne.CanvasObject{heading(n.Title()), container.NewHBox(swatch, kind)}
	if known {
		objs = append(objs, caption(op.Doc))
	}
	objs = append(objs, sectionTitle("Output"))

	in.info = widget.NewLabel("")
	in.info.Wrapping = fyne.TextWrapWord
	in.info.SizeName = theme.SizeNameCaptionText
	in.probs = container.NewVBox()
	objs = append(objs, in.info, in.probs)

	// ID: renamed with Enter (weights are saved under it).
	idEntry := widget.NewEntry()
	idEntry.SetText(n.ID)
	idNote := caption("")
	idNote.Hide()
	idEntry.OnChanged = func(s string) {
		if err := p.checkRename(id, s); err != nil {
			showNote(idNote, err.Error(), true)
		} else if s != id {
			showNote(idNote, "Press Enter to rename (weights are saved under this name).", false)
		} else {
			idNote.Hide()
		}
	}
	idEntry.OnSubmitted = func(s string) {
		if err := p.rename(id, s); err != nil {
			showNote(idNote, err.Error(), true)
		}
	}
	objs = append(objs, sectionTitle("Layer"), field("Name", idEntry), idNote)

	in.attrs = map[string]*attrField{}
	if known && len(op.Attrs) > 0 {
		objs = append(objs, sectionTitle("Hyper-parameters"))
		for _, a := range op.Attrs {
			f := &attrField{a: a, note: caption("")}
			f.note.Hide()
			in.attrs[a.Name] = f
			v := attrOf(n, a.Name)
			if a.Int && a.Min == 0 && a.Max == 1 {
				name := a.Name
				f.check = widget.NewCheck(a.Name, func(on bool) {
					val := 0.0
					if on {
						val = 1
					}
					p.setAttr(id, name, val)
				})
				f.check.SetChecked(v == 1)
				objs = append(objs, field("", f.check))
				continue
			}
			f.entry = widget.NewEntry()
			f.entry.SetText(num(v))
			f.entry.SetPlaceHolder(rangeText(a))
			a := a
			f.entry.OnChanged = func(s string) {
				val, err := parseAttr(a, s)
				if err != nil {
					showNote(f.note, err.Error(), true)
					return
				}
				f.note.Hide()
				p.setAttr(id, a.Name, val)
			}
			objs = append(objs, field(a.Name, f.entry), f.note)
		}
	}

	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { p.ed.Delete(id) })
	del.Importance = widget.LowImportance
	show := widget.NewButtonWithIcon("Show", theme.ZoomFitIcon(), func() { p.ed.CenterOn(id) })
	show.Importance = widget.LowImportance
	if info := in.paramsOf(id); info > 0 {
		objs = append(objs, in.grad.show(id))
	}
	objs = append(objs, widget.NewSeparator(), container.NewHBox(del, show))
	in.set(objs...)
	in.refreshNode(id)
}

// paramsOf is the number of parameters of node id (0 when unknown).
func (in *inspector) paramsOf(id string) int64 {
	if r := in.pane.res; r != nil && r.an != nil && r.an.Nodes[id] != nil {
		return r.an.Nodes[id].Params
	}
	return 0
}

// showNote shows a note under a field, in red for an error.
func showNote(l *widget.Label, text string, bad bool) {
	l.Text = text
	l.Importance = widget.MediumImportance
	if bad {
		l.Importance = widget.DangerImportance
	}
	l.Show()
	l.Refresh()
}

// field puts a label left of an input.
func field(label string, w fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabel(label)
	return container.NewBorder(nil, nil, container.New(&widgets.MinWidth{W: 76}, l), nil, w)
}

// refreshNode updates the facts and problems of the shown node, and the
// attribute fields when the graph changed under them (undo).
func (in *inspector) refreshNode(id string) {
	p := in.pane
	r := p.res
	n, ok := p.ed.Node(id)
	if !ok || r == nil || in.info == nil {
		return
	}
	for name, f := range in.attrs {
		v := attrOf(n, name)
		switch {
		case f.check != nil:
			if f.check.Checked != (v == 1) {
				f.check.SetChecked(v == 1)
			}
		case f.entry != nil:
			if cur, err := parseAttr(f.a, f.entry.Text); err != nil || cur != v {
				if c := fyne.CurrentApp().Driver().CanvasForObject(f.entry); c == nil || c.Focused() != f.entry {
					f.entry.SetText(num(v))
				}
			}
		}
	}
	info := r.an.Nodes[id]
	var lines []string
	if info != nil && info.Out != nil {
		lines = append(lines, "Output "+ShapeText(info.Out)+fmt.Sprintf(" = %s values (%s)", thousands(info.Activations), bytesText(4*info.Activations)))
		lines = append(lines, "Parameters "+thousands(info.Params))
		lines = append(lines, "Multiply-adds "+thousands(info.MACs)+" per image")
		if len(info.Out) == 3 {
			lines = append(lines, fmt.Sprintf("Receptive field %d×%d pixels", info.RF, info.RF))
		}
		if len(info.In) > 0 {
			var ins []string
			for _, s := range info.In {
				ins = append(ins, ShapeText(s))
			}
			lines = append([]string{"Input " + strings.Join(ins, ", ")}, lines...)
		}
	} else {
		lines = append(lines, "Output unknown until the problems before it are fixed.")
	}
	in.info.SetText(strings.Join(lines, "\n"))
	in.probs.Objects = nil
	for _, pr := range r.problemsOf(id) {
		in.probs.Add(problemCard(p, r, pr))
	}
	in.box.Refresh()
}

// problemCard shows a problem in red with its fix and quick-fix button.
func problemCard(p *editorPane, r *result, pr problem) fyne.CanvasObject {
	msg := widget.NewLabel(pr.msg)
	msg.Wrapping = fyne.TextWrapWord
	msg.Importance = widget.DangerImportance
	objs := []fyne.CanvasObject{msg}
	if pr.fix != "" {
		fix := widget.NewLabelWithStyle("Fix: "+pr.fix, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		fix.Wrapping = fyne.TextWrapWord
		objs = append(objs, fix)
	}
	if qf := fixFor(r, p.ed, pr); qf != nil {
		b := widget.NewButtonWithIcon(qf.label, theme.ConfirmIcon(), func() {
			if err := qf.apply(p.ed); err != nil {
				p.message(err.Error())
			}
		})
		b.Importance = widget.WarningImportance
		objs = append(objs, b)
	}
	bg := canvas.NewRectangle(withAlpha(theme.Color(theme.ColorNameError), 0x1c))
	bg.CornerRadius = 6
	bg.StrokeColor = withAlpha(theme.Color(theme.ColorNameError), 0x80)
	bg.StrokeWidth = 1
	return container.NewStack(bg, widgets.Pad(2, 4, 4, 4, container.NewVBox(objs...)))
}

func (in *inspector) showBlock(name string) {
	p := in.pane
	members := p.ed.Selected()
	_, collapsed := p.ed.BlockOf(members[0])
	var params int64
	errs := 0
	if r := p.res; r != nil {
		for _, id := range members {
			if info := r.an.Nodes[id]; info != nil {
				params += info.Params
			}
			errs += len(r.problemsOf(id))
		}
	}
	facts := fmt.Sprintf("%d layers · %s parameters", len(members), thousands(params))
	if errs > 0 {
		facts += fmt.Sprintf(" · %d problems", errs)
	}
	toggle := widget.NewButtonWithIcon("Collapse", theme.ZoomOutIcon(), func() { p.ed.SetCollapsed(name, true) })
	if collapsed {
		toggle = widget.NewButtonWithIcon("Expand", theme.ZoomInIcon(), func() { p.ed.SetCollapsed(name, false) })
	}
	ungroup := widget.NewButton("Ungroup", func() { p.ed.Ungroup(name) })
	dup := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), p.ed.Copy)
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), p.ed.DeleteSelection)
	for _, b := range []*widget.Button{ungroup, dup, del} {
		b.Importance = widget.LowImportance
	}
	in.set(heading(name), caption("Block"), widget.NewLabel(facts),
		caption("A block is a named group of layers (an Inception module, a residual block). Collapse it to one card, copy it and paste it after another layer to reuse it."),
		container.NewGridWithColumns(2, toggle, ungroup, dup, del))
}

func (in *inspector) showSelection(ids []string) {
	p := in.pane
	name := widget.NewEntry()
	name.SetPlaceHolder("Block name")
	name.SetText(p.freeBlockName())
	note := caption("")
	group := widget.NewButtonWithIcon("Group into block", theme.ContentAddIcon(), func() {
		if err := p.ed.Group(strings.TrimSpace(name.Text), ids); err != nil {
			note.SetText(err.Error())
			note.Importance = widget.DangerImportance
			note.Refresh()
		}
	})
	group.Importance = widget.HighImportance
	del := widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), p.ed.DeleteSelection)
	del.Importance = widget.LowImportance
	in.set(heading(fmt.Sprintf("%d layers selected", len(ids))), caption(strings.Join(ids, ", ")),
		sectionTitle("Block"), name, group, note, widget.NewSeparator(), del)
}

// showGraph describes the whole network when nothing is selected.
func (in *inspector) showGraph() {
	p := in.pane
	r := p.res
	objs := []fyne.CanvasObject{heading("Network")}
	if r == nil || len(r.g.Nodes) == 0 {
		objs = append(objs, caption("No layers yet. Click Input in the palette, then the layers to follow it, or insert a model from the zoo."))
		in.set(objs...)
		return
	}
	s := r.sum
	lines := []string{fmt.Sprintf("%d layers", len(r.g.Nodes))}
	if s.Input != nil {
		lines = append(lines, "Input "+ShapeText(s.Input))
	}
	if s.Output != nil {
		lines = append(lines, "Output "+ShapeText(s.Output))
	}
	lines = append(lines, "Parameters "+thousands(s.Params), "Multiply-adds "+compact(s.MACs)+" per image")
	info := widget.NewLabel(strings.Join(lines, "\n"))
	objs = append(objs, info)
	if r.ok() {
		ok := widget.NewLabelWithStyle("✓ Ready to train", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		ok.Importance = widget.SuccessImportance
		objs = append(objs, ok)
	} else {
		n := len(r.problems)
		title := fmt.Sprintf("%d problems", n)
		if n == 1 {
			title = "1 problem"
		}
		objs = append(objs, sectionTitle(title))
		for i, pr := range r.problems {
			if i == 8 {
				objs = append(objs, caption(fmt.Sprintf("… and %d more", n-8)))
				break
			}
			if pr.id == "" {
				objs = append(objs, problemCard(p, r, pr))
				continue
			}
			// A wrapped line per problem (it must not widen the column)
			// and a button that shows the layer.
			l := widget.NewLabel(pr.id + ": " + pr.msg)
			l.Wrapping = fyne.TextWrapWord
			l.Importance = widget.DangerImportance
			id := pr.id
			show := widget.NewButtonWithIcon("", theme.VisibilityIcon(), func() {
				p.ed.Select(id)
				p.ed.Reveal(id)
			})
			show.Importance = widget.LowImportance
			objs = append(objs, container.NewBorder(nil, nil, nil, show, l))
		}
	}
	objs = append(objs, sectionTitle("How to edit"), caption(
		"Click a layer in the palette to add it after the selected one, or drag it onto the canvas, a card or a connection. "+
			"Drag from a card's bottom port to another card to connect them. Drag on empty canvas to select several; "+
			"Delete removes them, Ctrl+C / Ctrl+V copy them, Ctrl+Z / Ctrl+Shift+Z undo and redo. "+
			"Scroll to zoom, drag with the middle button or Ctrl to pan."))
	in.set(objs...)
}

// rangeText describes an attribute's valid values.
func rangeText(a nn.Attr) string {
	kind := "number"
	if a.Int {
		kind = "whole number"
	}
	hi := num(a.Max)
	if a.Max >= 1<<20 {
		hi = "∞"
	}
	s := fmt.Sprintf("%s to %s", num(a.Min), hi)
	if kind == "whole number" {
		s += ", whole"
	}
	if a.Doc != "" {
		s = a.Doc + " (" + s + ")"
	}
	return s
}

// parseAttr reads an attribute's value as typed, checking its range.
func parseAttr(a nn.Attr, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s must be a number", a.Name)
	}
	if a.Int && v != math.Trunc(v) {
		return 0, fmt.Errorf("%s must be a whole number", a.Name)
	}
	if v < a.Min || v > a.Max {
		return 0, fmt.Errorf("%s must be between %s and %s", a.Name, num(a.Min), num(a.Max))
	}
	return v, nil
}
