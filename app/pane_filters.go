package app

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
)

var _ = builtin(Pane{ID: PaneFilters, Title: "Filters & Activations", Icon: theme.ColorPaletteIcon(), Order: 50, New: newFiltersPane})

// filtersPane is the Filters & Activations pane: what the trained network
// learned, seen from inside. Its first tab puts the filters of a layer
// (with a slider through the saved checkpoints) beside every layer's
// activations for a chosen image; the others find the image patches that
// excite a unit most and the nearest neighbours of test images in a
// layer's feature space beside those in pixel space.
type filtersPane struct {
	widget.BaseWidget
	inspectBase

	body *fyne.Container
	root fyne.CanvasObject
	tabs *container.AppTabs

	filters *filterView
	acts    *activationView
	patches *patchView
	neigh   *neighbourView

	shownDS *data.Dataset
}

const filtersAbout = "See what the trained network has learned: the first layer's filters as images, the " +
	"activation maps of any layer for an image you choose, and the image patches that excite " +
	"a unit the most."

func newFiltersPane(s *State) fyne.CanvasObject {
	p := &filtersPane{inspectBase: inspectBase{s: s, title: "Filters & Activations", icon: theme.ColorPaletteIcon(),
		about: filtersAbout, dataJob: newJobBar()}}
	p.inspectBase.refresh = func() { p.shownDS = nil; p.refresh() }
	p.ExtendBaseWidget(p)
	p.filters = newFilterView(p)
	p.acts = newActivationView(p)
	p.patches = newPatchView(p)
	p.neigh = newNeighbourView(p)
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Filters & activations", theme.ColorPaletteIcon(), p.overview()),
		container.NewTabItem("Top patches", p.patches.root),
		container.NewTabItem("Nearest neighbours", p.neigh.root),
	)
	p.body = container.NewStack()
	p.root = container.NewBorder(nil, inspPad(0, 4, 8, 8, p.dataJob.root), nil, nil, p.body)
	s.OnChange(func(c Change) {
		switch c {
		case ProjectReplaced:
			for _, j := range []*jobBar{p.dataJob, p.patches.job, p.neigh.job} {
				j.Cancel()
			}
			p.dataErr = nil
			p.refresh()
		case ProjectEdited, ProjectSaved:
			p.refresh()
		case DatasetChanged:
			p.dataErr = nil
			p.refresh()
		}
	})
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *filtersPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// overview is the first tab: the filters beside the activations.
func (p *filtersPane) overview() fyne.CanvasObject {
	split := container.NewHSplit(p.filters.root, p.acts.root)
	split.SetOffset(0.36)
	return inspPad(6, 4, 6, 6, split)
}

// refresh follows the project (its network and weights) and the dataset.
func (p *filtersPane) refresh() {
	if p.syncModel() && p.model != nil {
		p.filters.setModel(p.model, p.s.Project)
		p.acts.setModel(p.model)
		p.patches.setModel(p.model)
		p.neigh.setModel(p.model)
		p.shownDS = nil
	}
	if e := p.blocked("workbench viz filters --project " + projectArg(p.s) + " --out DIR"); e != nil {
		p.setBody(e)
		return
	}
	if p.shownDS != p.s.Dataset || p.s.Dataset == nil {
		p.shownDS = p.s.Dataset
		p.acts.setDataset(p.s.Dataset)
		p.patches.setDataset(p.s.Dataset)
		p.neigh.setDataset(p.s.Dataset)
	}
	p.setBody(p.tabs)
}

func (p *filtersPane) setBody(o fyne.CanvasObject) {
	if len(p.body.Objects) == 1 && p.body.Objects[0] == o {
		return
	}
	p.body.Objects = []fyne.CanvasObject{o}
	p.body.Refresh()
}

// PrepareRender computes what the pane shows in render-panes: it loads
// the dataset if no pane has, and shows the first convolution's filters
// beside the activations of a test image.
func (p *filtersPane) PrepareRender(ctx context.Context) {
	p.sync = true
	defer func() { p.sync = false }()
	if p.model == nil {
		return
	}
	if p.s.Dataset == nil {
		p.loadData()
	}
	if ctx.Err() != nil || !p.dataOK() {
		return
	}
	p.tabs.SelectIndex(0)
	p.acts.show(p.acts.cur)
}
