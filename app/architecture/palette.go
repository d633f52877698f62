package architecture

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
)

// entry is one item of the palette.
type entry struct {
	kind   string // "op", "zoo" or "block"
	name   string // op name, zoo model name or block kind
	label  string
	doc    string
	accent color.Color
}

// paletteEntries lists every op of the engine by group, the zoo and the
// blocks, as sections.
func paletteEntries() []section {
	var out []section
	byGroup := map[string][]entry{}
	for _, o := range nn.Ops() {
		byGroup[o.Group] = append(byGroup[o.Group], entry{kind: "op", name: o.Name, label: opLabel(o.Name), doc: o.Doc, accent: accentOf(o.Name)})
	}
	known := map[string]bool{}
	for _, g := range groups {
		known[g.id] = true
		if len(byGroup[g.id]) > 0 {
			out = append(out, section{title: g.title, entries: byGroup[g.id]})
		}
	}
	// A group the catalogue gains later still shows.
	for _, o := range nn.Ops() {
		if !known[o.Group] {
			known[o.Group] = true
			out = append(out, section{title: strings.ToUpper(o.Group[:1]) + o.Group[1:], entries: byGroup[o.Group]})
		}
	}
	var blocks []entry
	for _, b := range blockKinds {
		blocks = append(blocks, entry{kind: "block", name: b.id, label: b.label, doc: b.doc, accent: accents["block"]})
	}
	out = append(out, section{title: "Blocks", entries: blocks})
	var zoo []entry
	listed := map[string]bool{}
	add := func(name string) {
		if listed[name] {
			return
		}
		listed[name] = true
		zoo = append(zoo, entry{kind: "zoo", name: name, label: zooName(name), doc: models.Doc(name), accent: accents["output"]})
	}
	for _, name := range zooOrder {
		if models.Doc(name) != "" {
			add(name)
		}
	}
	for _, name := range models.Names() {
		add(name)
	}
	out = append(out, section{title: "Model zoo", entries: zoo})
	return out
}

type section struct {
	title   string
	entries []entry
}

// palette is the list of everything that can be added to the graph: click
// an item to add it after the selected layer, or drag it onto the canvas.
type palette struct {
	root     fyne.CanvasObject
	search   *widget.Entry
	acc      *widget.Accordion
	hint     *widget.Label
	sections []section
	open     map[string]bool

	onTap  func(entry)
	onDrag func(entry, fyne.Position)
	onDrop func(entry, fyne.Position)
}

func newPalette() *palette {
	p := &palette{sections: paletteEntries(), open: map[string]bool{}}
	for _, s := range p.sections[:min(3, len(p.sections))] {
		p.open[s.title] = true
	}
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search layers and models")
	p.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	p.search.OnChanged = func(string) { p.build() }
	p.acc = widget.NewAccordion()
	p.acc.MultiOpen = true
	p.hint = widget.NewLabel("Click to add after the selected layer, or drag onto the canvas.")
	p.hint.Wrapping = fyne.TextWrapWord
	p.hint.SizeName = theme.SizeNameCaptionText
	p.build()
	title := widget.NewLabelWithStyle("Layers", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.root = container.NewBorder(container.NewVBox(title, p.search), p.hint, nil, nil, container.NewVScroll(p.acc))
	return p
}

func (p *palette) build() {
	q := strings.ToLower(strings.TrimSpace(p.search.Text))
	var items []*widget.AccordionItem
	for _, s := range p.sections {
		var rows []fyne.CanvasObject
		for _, e := range s.entries {
			if q != "" && !strings.Contains(strings.ToLower(e.label+" "+e.name+" "+e.doc), q) {
				continue
			}
			rows = append(rows, newPaletteItem(p, e))
		}
		if len(rows) == 0 {
			continue
		}
		item := widget.NewAccordionItem(s.title, container.NewVBox(rows...))
		item.Open = q != "" || p.open[s.title]
		items = append(items, item)
	}
	// Remember which sections the person opened.
	for _, it := range p.acc.Items {
		if q == "" {
			p.open[it.Title] = it.Open
		}
	}
	p.acc.Items = items
	p.acc.Refresh()
}

// paletteItem is one clickable, draggable row of the palette.
type paletteItem struct {
	widget.BaseWidget
	p       *palette
	e       entry
	hovered bool
	drag    bool
	last    fyne.Position
}

func newPaletteItem(p *palette, e entry) *paletteItem {
	it := &paletteItem{p: p, e: e}
	it.ExtendBaseWidget(it)
	return it
}

func (it *paletteItem) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	bg.CornerRadius = 4
	sw := canvas.NewRectangle(it.e.accent)
	sw.CornerRadius = 2
	label := canvas.NewText(it.e.label, theme.Color(theme.ColorNameForeground))
	label.TextSize = theme.TextSize() - 0.5
	r := &paletteItemRenderer{it: it, bg: bg, swatch: sw, label: label}
	r.Refresh()
	return r
}

// Tapped adds the item after the selected layer.
func (it *paletteItem) Tapped(*fyne.PointEvent) {
	if it.p.onTap != nil {
		it.p.onTap(it.e)
	}
}

// Dragged shows where the item would land on the canvas.
func (it *paletteItem) Dragged(ev *fyne.DragEvent) {
	it.drag = true
	if it.p.onDrag != nil {
		it.p.onDrag(it.e, it.abs(ev.Position))
	}
	it.last = ev.Position
}

// DragEnd drops the item.
func (it *paletteItem) DragEnd() {
	if it.drag && it.p.onDrop != nil {
		it.p.onDrop(it.e, it.abs(it.last))
	}
	it.drag = false
}

func (it *paletteItem) abs(p fyne.Position) fyne.Position {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(it).Add(p)
}

func (it *paletteItem) MouseIn(*desktop.MouseEvent) {
	it.hovered = true
	text := it.e.doc
	if !strings.HasPrefix(text, it.e.label) {
		text = it.e.label + ": " + text
	}
	it.p.hint.SetText(text)
	it.Refresh()
}

func (it *paletteItem) MouseMoved(*desktop.MouseEvent) {}

func (it *paletteItem) MouseOut() {
	it.hovered = false
	it.Refresh()
}

func (it *paletteItem) Cursor() desktop.Cursor { return desktop.PointerCursor }

type paletteItemRenderer struct {
	it     *paletteItem
	bg     *canvas.Rectangle
	swatch *canvas.Rectangle
	label  *canvas.Text
}

func (r *paletteItemRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	r.swatch.Move(fyne.NewPos(6, 5))
	r.swatch.Resize(fyne.NewSize(4, s.Height-10))
	ls := r.label.MinSize()
	r.label.Move(fyne.NewPos(18, (s.Height-ls.Height)/2))
	r.label.Resize(ls)
}

func (r *paletteItemRenderer) MinSize() fyne.Size {
	ls := r.label.MinSize()
	return fyne.NewSize(ls.Width+24, ls.Height+10)
}

func (r *paletteItemRenderer) Refresh() {
	if r.it.hovered {
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
	} else {
		r.bg.FillColor = color.Transparent
	}
	r.label.Color = theme.Color(theme.ColorNameForeground)
	r.label.Text = r.it.e.label
	r.bg.Refresh()
	r.label.Refresh()
}

func (r *paletteItemRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.swatch, r.label}
}

func (r *paletteItemRenderer) Destroy() {}
