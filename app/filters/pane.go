package filters

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneFilters, Title: "Filters & Activations", Icon: theme.ColorPaletteIcon(), Order: 50, New: newFiltersPane}

// filtersPane is the Filters & Activations pane: what the trained network
// learned, seen from inside. Its first tab puts the filters of a layer
// (with a slider through the saved checkpoints) beside every layer's
// activations for a chosen image; the others find the image patches that
// excite a unit most and the nearest neighbours of test images in a
// layer's feature space beside those in pixel space.
type filtersPane struct {
	widget.BaseWidget
	inspection.Base

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

func newFiltersPane(s *ui.State) fyne.CanvasObject {
	p := &filtersPane{Base: inspection.Base{S: s, Title: "Filters & Activations", Icon: theme.ColorPaletteIcon(),
		About: filtersAbout, DataJob: widgets.NewJobBar()}}
	p.Base.OnLoaded = func() { p.shownDS = nil; p.refresh() }
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
	p.root = container.NewBorder(nil, widgets.Pad(0, 4, 8, 8, p.DataJob.Content()), nil, nil, p.body)
	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectReplaced:
			for _, j := range []*widgets.JobBar{p.DataJob, p.patches.job, p.neigh.job} {
				j.Cancel()
			}
			p.DataErr = nil
			p.refresh()
		case ui.ProjectEdited, ui.ProjectSaved:
			p.refresh()
		case ui.DatasetChanged:
			p.DataErr = nil
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
	return widgets.Pad(6, 4, 6, 6, split)
}

// refresh follows the project (its network and weights) and the dataset.
func (p *filtersPane) refresh() {
	if p.SyncModel() && p.Model != nil {
		p.filters.setModel(p.Model, p.S.Project)
		p.acts.setModel(p.Model)
		p.patches.setModel(p.Model)
		p.neigh.setModel(p.Model)
		p.shownDS = nil
	}
	if e := p.Blocked("workbench viz filters --project " + ui.ProjectArg(p.S) + " --out DIR"); e != nil {
		p.setBody(e)
		return
	}
	if p.shownDS != p.S.Dataset || p.S.Dataset == nil {
		p.shownDS = p.S.Dataset
		p.acts.setDataset(p.S.Dataset)
		p.patches.setDataset(p.S.Dataset)
		p.neigh.setDataset(p.S.Dataset)
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
	p.Sync = true
	defer func() { p.Sync = false }()
	if p.Model == nil {
		return
	}
	if p.S.Dataset == nil {
		p.LoadData()
	}
	if ctx.Err() != nil || !p.DataOK() {
		return
	}
	p.tabs.SelectIndex(0)
	p.acts.show(p.acts.cur)
}
