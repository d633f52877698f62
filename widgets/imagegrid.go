package widgets

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ImageGrid shows a long list of labelled thumbnails in rows that fill the
// width and scroll vertically. It is virtualised: only the cells in view
// exist, and scrolling re-uses them for the images coming into view, so a
// grid of 60,000 images costs what a screenful costs. Thumbnails are scaled
// with nearest-neighbour sampling so that small images (28×28, 32×32) keep
// crisp pixels.
//
// The images come from functions, so the grid holds no copy of the data;
// call Refresh after the data behind them changes.
type ImageGrid struct {
	widget.BaseWidget

	// Length returns the number of images.
	Length func() int
	// Image returns image i, at any size.
	Image func(i int) image.Image
	// Label returns the caption under image i; nil or "" shows none.
	Label func(i int) string
	// LabelColor, if set, colours the caption of image i (nil: the theme's
	// foreground), e.g. to mark wrong predictions.
	LabelColor func(i int) color.Color

	// OnSelected is called when an image is tapped.
	OnSelected func(i int)
	// OnScrolled is called with the visible range [first, last) whenever
	// it changes, e.g. to show "images 1–96 of 60,000".
	OnScrolled func(first, last int)

	// ThumbSize is the side of a thumbnail in Fyne units (default 56).
	ThumbSize float32

	selected int
	scroll   *container.Scroll
	content  *gridContent
}

// NewImageGrid returns a grid of length() images.
func NewImageGrid(length func() int, img func(i int) image.Image, label func(i int) string) *ImageGrid {
	g := &ImageGrid{Length: length, Image: img, Label: label, selected: -1}
	g.ExtendBaseWidget(g)
	return g
}

// gridGap is the space between cells.
const gridGap = 6

func (g *ImageGrid) thumb() float32 {
	if g.ThumbSize <= 0 {
		return 56
	}
	return g.ThumbSize
}

func (g *ImageGrid) length() int {
	if g.Length == nil {
		return 0
	}
	return max(g.Length(), 0)
}

// cellSize is a thumbnail plus its caption.
func (g *ImageGrid) cellSize() fyne.Size {
	h := g.thumb()
	if g.Label != nil {
		h += theme.CaptionTextSize() + 6
	}
	return fyne.NewSize(g.thumb()+4, h+4)
}

// columns is how many cells fit across width.
func (g *ImageGrid) columns(width float32) int {
	cw := g.cellSize().Width + gridGap
	return max(1, int((width+gridGap)/cw))
}

// Selected returns the selected image, -1 for none.
func (g *ImageGrid) Selected() int { return g.selected }

// Select marks image i as selected (-1 clears) without calling OnSelected.
func (g *ImageGrid) Select(i int) {
	g.selected = i
	if g.content != nil {
		g.content.update(true)
	}
}

// VisibleRange returns the images in view, [first, last).
func (g *ImageGrid) VisibleRange() (first, last int) {
	if g.content == nil {
		return 0, 0
	}
	return g.content.first, g.content.last
}

// ScrollTo scrolls so that image i is in view.
func (g *ImageGrid) ScrollTo(i int) {
	if g.scroll == nil {
		return
	}
	cols := g.columns(g.scroll.Size().Width)
	rowH := g.cellSize().Height + gridGap
	y := float32(i/cols) * rowH
	view := g.scroll.Size().Height
	switch {
	case y < g.scroll.Offset.Y:
		g.scroll.Offset.Y = y
	case y+rowH > g.scroll.Offset.Y+view:
		g.scroll.Offset.Y = y + rowH - view
	default:
		return
	}
	g.scroll.Refresh()
	g.content.update(false)
}

// ScrollToTop scrolls back to the first image.
func (g *ImageGrid) ScrollToTop() {
	if g.scroll == nil {
		return
	}
	g.scroll.ScrollToTop()
	g.content.update(false)
}

// Refresh redraws the grid from the data functions (after the data or
// their meaning changed).
func (g *ImageGrid) Refresh() {
	if g.content != nil {
		g.content.Refresh()
		g.scroll.Refresh()
		g.content.update(true)
	}
	g.BaseWidget.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (g *ImageGrid) CreateRenderer() fyne.WidgetRenderer {
	g.ExtendBaseWidget(g)
	g.content = newGridContent(g)
	g.scroll = container.NewVScroll(g.content)
	g.scroll.OnScrolled = func(fyne.Position) { g.content.update(false) }
	return &imageGridRenderer{g: g}
}

type imageGridRenderer struct{ g *ImageGrid }

func (r *imageGridRenderer) Layout(s fyne.Size) {
	r.g.scroll.Resize(s)
	// The content's height depends on the width (columns), so let the
	// scroller measure it again, then fill the view.
	r.g.scroll.Refresh()
	r.g.content.update(false)
}

func (r *imageGridRenderer) MinSize() fyne.Size {
	c := r.g.cellSize()
	return fyne.NewSize(c.Width, c.Height)
}

func (r *imageGridRenderer) Refresh()                     { r.g.content.update(true) }
func (r *imageGridRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.g.scroll} }
func (r *imageGridRenderer) Destroy()                     {}

// gridContent is the scrolled area: as tall as every row, holding only the
// cells in view.
type gridContent struct {
	widget.BaseWidget
	g *ImageGrid

	cells       []*gridCell // pool; cells[:used] are shown
	used        int
	first, last int     // images shown
	created     int     // cells ever created (tests check virtualisation)
	x0          float32 // left margin that centres the columns
	root        *fyne.Container
}

func newGridContent(g *ImageGrid) *gridContent {
	c := &gridContent{g: g, root: container.NewWithoutLayout()}
	c.ExtendBaseWidget(c)
	return c
}

func (c *gridContent) CreateRenderer() fyne.WidgetRenderer {
	return &gridContentRenderer{c: c}
}

// MinSize is the full height of all rows at the scroller's width.
func (c *gridContent) MinSize() fyne.Size {
	g := c.g
	cell := g.cellSize()
	width := cell.Width
	if g.scroll != nil {
		width = max(width, g.scroll.Size().Width)
	}
	rows := (g.length() + g.columns(width) - 1) / g.columns(width)
	h := float32(rows)*(cell.Height+gridGap) - gridGap
	return fyne.NewSize(cell.Width, max(h, 0))
}

// Tapped selects the image under the pointer.
func (c *gridContent) Tapped(ev *fyne.PointEvent) {
	g := c.g
	cell := g.cellSize()
	cols := g.columns(c.Size().Width)
	x := ev.Position.X - c.x0
	if x < 0 {
		return
	}
	col := int(x / (cell.Width + gridGap))
	row := int(ev.Position.Y / (cell.Height + gridGap))
	if col >= cols || x-float32(col)*(cell.Width+gridGap) > cell.Width {
		return
	}
	i := row*cols + col
	if i < 0 || i >= g.length() {
		return
	}
	g.selected = i
	c.update(true)
	if g.OnSelected != nil {
		g.OnSelected(i)
	}
}

// update places cells over the images in view; force redraws every cell
// (the data or the selection changed), otherwise only cells whose image
// changed are redrawn.
func (c *gridContent) update(force bool) {
	g := c.g
	if g.scroll == nil {
		return
	}
	view := g.scroll.Size()
	cell := g.cellSize()
	rowH := cell.Height + gridGap
	n := g.length()
	cols := g.columns(view.Width)
	first, last := 0, 0
	if n > 0 && view.Height > 0 {
		r0 := int(math.Floor(float64(g.scroll.Offset.Y / rowH)))
		r1 := int(math.Ceil(float64((g.scroll.Offset.Y + view.Height) / rowH)))
		first = min(max(r0, 0)*cols, n)
		last = min(max(r1, 0)*cols, n)
	}
	changedRange := first != c.first || last != c.last
	// Centre the columns in the width.
	x0 := max(0, (view.Width-(float32(cols)*(cell.Width+gridGap)-gridGap))/2)
	c.x0 = x0
	count := last - first
	for len(c.cells) < count {
		c.cells = append(c.cells, newGridCell())
		c.created++
	}
	// Keep a cell on the image it already shows where possible, so that
	// a scroll by one row redraws one row.
	byIndex := map[int]*gridCell{}
	var spare []*gridCell
	for _, cl := range c.cells {
		if cl.index >= first && cl.index < last && byIndex[cl.index] == nil {
			byIndex[cl.index] = cl
		} else {
			spare = append(spare, cl)
		}
	}
	shown := make([]*gridCell, 0, count)
	for i := first; i < last; i++ {
		cl, ok := byIndex[i]
		if !ok {
			cl, spare = spare[0], spare[1:]
			cl.index = -1
		}
		if force || cl.index != i {
			cl.show(g, i)
		}
		col, row := i%cols, i/cols
		cl.root.Move(fyne.NewPos(x0+float32(col)*(cell.Width+gridGap), float32(row)*rowH))
		cl.root.Resize(cell)
		cl.layout(cell)
		shown = append(shown, cl)
	}
	for _, cl := range spare {
		cl.index = -1
	}
	// Keep the pool order: shown cells first.
	c.cells = append(shown, spare...)
	c.used = count
	c.first, c.last = first, last
	objs := make([]fyne.CanvasObject, count)
	for k, cl := range shown {
		objs[k] = cl.root
	}
	c.root.Objects = objs
	c.root.Refresh()
	if changedRange && g.OnScrolled != nil {
		g.OnScrolled(first, last)
	}
}

type gridContentRenderer struct{ c *gridContent }

func (r *gridContentRenderer) Layout(s fyne.Size) { r.c.root.Resize(s) }
func (r *gridContentRenderer) MinSize() fyne.Size { return r.c.MinSize() }
func (r *gridContentRenderer) Refresh() {
	for _, cl := range r.c.cells {
		cl.applyTheme()
	}
	r.c.root.Refresh()
}
func (r *gridContentRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.c.root} }
func (r *gridContentRenderer) Destroy()                     {}

// gridCell is one thumbnail with its caption and selection mark.
type gridCell struct {
	index int
	root  *fyne.Container
	bg    *canvas.Rectangle
	img   *canvas.Image
	text  *canvas.Text
	full  string
	sel   bool
}

func newGridCell() *gridCell {
	cl := &gridCell{index: -1}
	cl.bg = canvas.NewRectangle(color.Transparent)
	cl.bg.CornerRadius = 4
	cl.img = canvas.NewImageFromImage(nil)
	cl.img.ScaleMode = canvas.ImageScalePixels
	cl.img.FillMode = canvas.ImageFillContain
	cl.text = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	cl.text.TextSize = theme.CaptionTextSize()
	cl.text.Alignment = fyne.TextAlignCenter
	cl.root = container.NewWithoutLayout(cl.bg, cl.img, cl.text)
	return cl
}

func (cl *gridCell) show(g *ImageGrid, i int) {
	cl.index = i
	if g.Image != nil {
		cl.img.Image = g.Image(i)
	}
	cl.full = ""
	if g.Label != nil {
		cl.full = g.Label(i)
	}
	cl.text.Color = theme.Color(theme.ColorNameForeground)
	if g.LabelColor != nil {
		if c := g.LabelColor(i); c != nil {
			cl.text.Color = c
		}
	}
	cl.sel = i == g.selected
	cl.applyTheme()
	cl.img.Refresh()
	cl.text.Refresh()
}

func (cl *gridCell) applyTheme() {
	if cl.sel {
		cl.bg.FillColor = theme.Color(theme.ColorNameSelection)
		cl.bg.StrokeColor = theme.Color(theme.ColorNamePrimary)
		cl.bg.StrokeWidth = 2
	} else {
		cl.bg.FillColor = color.Transparent
		cl.bg.StrokeWidth = 0
	}
	cl.bg.Refresh()
}

func (cl *gridCell) layout(size fyne.Size) {
	cl.bg.Resize(size)
	cl.bg.Move(fyne.NewPos(0, 0))
	side := size.Width - 4
	cl.img.Move(fyne.NewPos(2, 2))
	cl.img.Resize(fyne.NewSquareSize(side))
	cl.text.Text = fitText(cl.full, size.Width-2, cl.text.TextSize, cl.text.TextStyle)
	th := fyne.MeasureText("Ag", cl.text.TextSize, cl.text.TextStyle).Height
	cl.text.Move(fyne.NewPos(1, side+3))
	cl.text.Resize(fyne.NewSize(size.Width-2, th))
}

// fitText shortens s with an ellipsis until it fits width.
func fitText(s string, width, size float32, style fyne.TextStyle) string {
	if s == "" || fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; fyne.MeasureText(t, size, style).Width <= width {
			return t
		}
	}
	return "…"
}

var (
	_ fyne.Widget   = (*ImageGrid)(nil)
	_ fyne.Tappable = (*gridContent)(nil)
)
