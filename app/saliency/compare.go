package saliency

import (
	"context"
	"fmt"
	"image"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// compare is the second model of "two models side by side": another
// project's network (a standard and an adversarially trained model of the
// same architecture, say) explained on the same image for the same class,
// its maps in a second row under the project's own.
type compare struct {
	p     *salPane
	path  *widget.Entry
	load  *widget.Button
	title *widget.Label // over the first row
	other *widget.Label // over the second row
	grid  *fyne.Container
	cells []*cell
	model *inspection.Model
	name  string
	// root holds both rows; the second shows once a model is loaded.
	root   *fyne.Container
	second *fyne.Container
}

func newCompare(p *salPane, first fyne.CanvasObject) *compare {
	c := &compare{p: p, path: widget.NewEntry(), title: widget.NewLabel(""), other: widget.NewLabel("")}
	c.path.SetPlaceHolder("another .wbproj, Enter loads")
	c.path.OnSubmitted = func(s string) { c.open(strings.TrimSpace(s)) }
	c.load = widget.NewButtonWithIcon("", theme.ContentClearIcon(), c.clear)
	c.title.TextStyle.Bold, c.other.TextStyle.Bold = true, true
	var objs []fyne.CanvasObject
	for _, m := range p.methods {
		cl := &cell{img: newPicture(), caption: widget.NewLabel(m.title)}
		cl.caption.Alignment = fyne.TextAlignCenter
		cl.caption.Truncation = fyne.TextTruncateEllipsis
		c.cells = append(c.cells, cl)
		objs = append(objs, container.NewBorder(nil, cl.caption, nil, nil, cl.img.raster))
	}
	c.grid = container.NewGridWrap(singleCell, objs...)
	c.second = container.NewVBox(c.other, c.grid)
	c.second.Hide()
	c.title.Hide()
	c.root = container.NewVBox(c.title, first, c.second)
	return c
}

// row is the form row that names the second model.
func (c *compare) row() *widget.FormItem {
	return widget.NewFormItem("Compare with", container.NewBorder(nil, nil, nil, c.load, c.path))
}

// open reads the project at path and checks that its network takes the
// same images.
func (c *compare) open(path string) {
	p := c.p
	if path == "" || p.Model == nil {
		c.clear()
		return
	}
	err := p.job.Start("Reading "+filepath.Base(path), func(ctx context.Context, report widgets.Report) error {
		pr, err := projects.Open(path)
		if err != nil {
			return err
		}
		m, err := inspection.LoadModel(pr)
		if err != nil {
			return fmt.Errorf("%s: %v", filepath.Base(path), err)
		}
		uiDo(p.job.Sync)(func() { c.use(m, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))) })
		return nil
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// use makes m the second model when it takes the project's images.
func (c *compare) use(m *inspection.Model, name string) {
	p := c.p
	if p.Model == nil {
		return
	}
	in := p.Model.In
	if len(m.In) != 3 || m.In[0] != in[0] || m.In[1] != in[1] || m.In[2] != in[2] {
		p.info.SetText(fmt.Sprintf("%s takes %v images, this project %v: compare models of the same input.", name, m.In, in))
		return
	}
	if k, mine := attribNet(m.First).Classes(), attribNet(p.Model.First).Classes(); k != mine {
		p.info.SetText(fmt.Sprintf("%s has %d classes, this project %d: compare models of the same classes.", name, k, mine))
		return
	}
	c.model, c.name = m, name
	c.title.SetText("This project: " + p.S.Project.Name)
	c.other.SetText("Compared with: " + name)
	c.title.Show()
	c.second.Show()
	c.cellSize(compareCell)
	for _, cl := range c.cells {
		cl.m = nil
	}
	p.drawGrid()
	p.info.SetText(fmt.Sprintf("%s loaded: Explain shows its maps under this project's, for the same class.", widgets.FirstUpper(name)))
}

// clear drops the second model.
func (c *compare) clear() {
	c.model, c.name = nil, ""
	c.path.SetText("")
	c.title.Hide()
	c.second.Hide()
	c.cellSize(singleCell)
}

// Cell sizes: one model's maps large, two models' small enough that each
// model's six maps fit on one row.
var (
	singleCell  = fyne.NewSize(232, 262)
	compareCell = fyne.NewSize(140, 172)
)

// cellSize lays both rows' cells out at size s.
func (c *compare) cellSize(s fyne.Size) {
	for _, g := range []*fyne.Container{c.p.grid, c.grid} {
		g.Layout = layout.NewGridWrapLayout(s)
		g.Refresh()
	}
	for _, cl := range append(c.p.cells, c.cells...) {
		cl.img.raster.SetMinSize(fyne.NewSquareSize(min(180, s.Width-4)))
	}
}

// draw shows the second model's maps over the image.
func (c *compare) draw(x []float32, in []int, alpha float64) {
	for i, cl := range c.cells {
		var img image.Image
		switch {
		case x == nil || c.model == nil:
		case cl.m == nil:
			img = attrib.PixelImage(x, in[0], in[1], in[2])
		default:
			img = attrib.Overlay(x, in[0], in[1], in[2], *cl.m, alpha)
		}
		cl.img.set(img)
		if cl.m == nil {
			cl.caption.SetText(c.p.methods[i].title)
		}
	}
}
