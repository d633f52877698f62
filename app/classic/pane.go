package classic

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
	"github.com/workbench-cv/workbench/widgets/lintoy"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneClassic, Title: "Classic", Icon: theme.HistoryIcon(), Order: 40, New: newClassicPane}

// classicPane is the Classic pane: the baselines before deep learning on
// the project's dataset (k-nearest neighbours with cross-validation, linear
// SVM and softmax classifiers with a random search, a two-layer net, HOG and
// hue-histogram features) and the interactive 2-D linear classifier.
type classicPane struct {
	widget.BaseWidget
	s *ui.State

	tabs     *container.AppTabs
	overview *container.TabItem
	job      *widgets.JobBar // loading the dataset from this pane
	root     fyne.CanvasObject

	knn      *knnTab
	linear   *linearTab
	net      *netTab
	features *featuresTab
	toy      *lintoy.Toy

	results []classicResult
	// rendering is set while PrepareRender runs: its runs are not the
	// user's and are not recorded.
	rendering bool
	ovBody    *fyne.Container
	shownDS   *data.Dataset
	loadErr   error
}

// classicResult is one finished run, for the overview's table.
type classicResult struct {
	method, input string
	train         int
	val, test     float64 // accuracies; val < 0 when not measured
	detail        string
}

func newClassicPane(s *ui.State) fyne.CanvasObject {
	p := &classicPane{s: s, job: widgets.NewJobBar()}
	p.ExtendBaseWidget(p)
	p.knn = newKNNTab(p)
	p.linear = newLinearTab(p)
	p.net = newNetTab(p)
	p.features = newFeaturesTab(p)
	p.toy = lintoy.New()
	p.ovBody = container.NewStack()
	p.overview = container.NewTabItemWithIcon("Overview", theme.HomeIcon(), container.NewScroll(p.ovBody))
	// Tabs scroll rather than widen a small window (1024x700).
	p.tabs = container.NewAppTabs(
		p.overview,
		container.NewTabItem("k-nearest neighbours", container.NewScroll(p.knn.root)),
		container.NewTabItem("Linear classifiers", container.NewScroll(p.linear.root)),
		container.NewTabItem("Two-layer net", container.NewScroll(p.net.root)),
		container.NewTabItem("Features", container.NewScroll(p.features.root)),
		container.NewTabItem("2-D linear toy", container.NewScroll(p.toy)),
	)
	p.root = container.NewBorder(nil, container.New(layout.NewCustomPaddedLayout(0, 4, 8, 8), p.job.Content()), nil, nil, p.tabs)
	s.OnChange(func(c ui.Change) {
		if c == ui.ProjectReplaced || c == ui.DatasetChanged {
			if c == ui.ProjectReplaced {
				for _, j := range []*widgets.JobBar{p.job, p.knn.job, p.linear.job, p.net.job} {
					j.Cancel()
				}
				p.results, p.shownDS = nil, nil // another project: its own results
			}
			p.loadErr = nil
			p.refresh()
		}
	})
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *classicPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// refresh follows the state's dataset.
func (p *classicPane) refresh() {
	ds := p.s.Dataset
	if ds != p.shownDS {
		// Results belong to the data they were computed on.
		p.shownDS, p.results = ds, nil
		p.knn.setDataset(ds)
		if ds != nil {
			p.restore() // the results the project recorded on this data
		}
		p.linear.setDataset(ds)
		if ds != nil {
			p.restoreLinear()
		}
		p.net.setDataset(ds)
		p.features.setDataset(ds)
	}
	p.showOverview()
}

// needData is what a tab shows until the dataset is loaded.
func (p *classicPane) needData(what string) *widgets.EmptyState {
	e := widgets.NewEmptyState(theme.HistoryIcon(), "Classic methods",
		"The baselines before deep learning, on the same data and splits as the networks: k-nearest "+
			"neighbours with cross-validation over k, linear SVM and softmax classifiers on raw pixels or on "+
			"HOG and colour-histogram features, and a two-layer net. "+what)
	if p.loadErr != nil {
		e.Icon = theme.ErrorIcon()
		e.Steps = []string{"The dataset could not be loaded: " + p.loadErr.Error() + ". Fix it in the Data pane."}
		ui.GoTo(p.s, e, ui.PaneData)
		return e
	}
	spec := ui.DatasetSpec(p.s)
	e.Steps = []string{fmt.Sprintf("These run on the project's dataset, %s. Load it here, or look at it first in the Data pane.", ui.DatasetTitle(spec))}
	e.Command = "workbench knn --data " + ui.ShellQuote(spec)
	e.ActionLabel = "Load " + ui.DatasetTitle(spec)
	e.OnAction = func() { p.loadDataset() }
	return e
}

// loadDataset loads the project's dataset into the state for every pane.
func (p *classicPane) loadDataset() {
	ui.LoadDataset(p.s, p.job, ui.DatasetSpec(p.s), 0, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.loadErr = err
			p.refresh()
		}
	})
}

// addResult records a finished run for the overview (replacing an earlier
// run of the same method on the same input).
func (p *classicPane) addResult(r classicResult) {
	for i, old := range p.results {
		if old.method == r.method && old.input == r.input {
			p.results[i] = r
			p.record()
			p.showOverview()
			return
		}
	}
	p.results = append(p.results, r)
	p.record()
	p.showOverview()
}

// showOverview draws the overview tab: the cross-validation plot, the class
// templates and every result side by side.
func (p *classicPane) showOverview() {
	if p.s.Dataset == nil {
		p.ovBody.Objects = []fyne.CanvasObject{p.needData("Load the dataset to start.")}
		p.ovBody.Refresh()
		return
	}
	var cv fyne.CanvasObject
	if r := p.knn.result; r != nil {
		pv := widgets.NewPlotView(cvPlot(r.cv, r.best.K))
		pv.Min = fyne.NewSize(360, 260)
		cv = widgets.CardWith("k-NN: cross-validation over k", nil, container.NewBorder(nil, widgets.WrapLabel(r.summary()), nil, nil, pv))
	} else {
		cv = widgets.CardWith("k-NN: cross-validation over k", nil, widgets.HintBox("Run the cross-validation in the k-nearest neighbours tab: each fold's accuracy "+
			"for every k, their mean and spread, and the k to choose.", "Go to k-nearest neighbours", func() { p.tabs.SelectIndex(1) }))
	}
	var tpl fyne.CanvasObject
	if r := p.linear.result; r != nil && r.templates != nil {
		tpl = widgets.CardWith("Linear classifier: class templates", nil, container.NewBorder(nil, widgets.WrapLabel(r.summary()), nil, nil,
			widgets.TemplateGrid(r.templates, r.classes, 5, 96)))
	} else {
		msg := "Train a linear classifier on raw pixels in the Linear classifiers tab: each class's weights, drawn as an image, are the template it matches."
		if r := p.linear.result; r != nil {
			msg = "The last linear classifier was trained on " + r.features + " features, which are not images; train one on raw pixels to see the class templates."
		}
		tpl = widgets.CardWith("Linear classifier: class templates", nil, widgets.HintBox(msg, "Go to Linear classifiers", func() { p.tabs.SelectIndex(2) }))
	}
	top := container.NewGridWithColumns(2, cv, tpl)
	body := container.NewBorder(nil, p.resultsTable(), nil, nil, top)
	p.ovBody.Objects = []fyne.CanvasObject{container.New(layout.NewCustomPaddedLayout(6, 6, 6, 6), body)}
	p.ovBody.Refresh()
}

// resultsTable lists every finished run.
func (p *classicPane) resultsTable() fyne.CanvasObject {
	if len(p.results) == 0 {
		l := widget.NewLabel("Finished runs are listed here, so the methods can be compared on the same data.")
		l.TextStyle.Italic = true // full contrast, as every hint
		l.Wrapping = fyne.TextWrapWord
		return widgets.Card("Results", l)
	}
	cells := []fyne.CanvasObject{widgets.CellText("Method", true, false), widgets.CellText("Input", true, false), widgets.CellText("Training images", true, true),
		widgets.CellText("Validation", true, true), widgets.CellText("Test", true, true), padLeft(widgets.CellText("Settings", true, false))}
	for _, r := range p.results {
		val := "–"
		if r.val >= 0 {
			val = widgets.Pct(r.val)
		}
		cells = append(cells, widgets.CellText(r.method, false, false), widgets.CellText(r.input, false, false), widgets.CellText(widgets.Thousands(r.train), false, true),
			widgets.CellText(val, false, true), widgets.CellText(widgets.Pct(r.test), false, true), padLeft(truncLabel(r.detail)))
	}
	return widgets.Card("Results", container.New(&columnsLayout{weights: []float32{1.2, 1, 1, 0.8, 0.8, 2.2}}, cells...))
}

// truncLabel is a table cell that shortens its text to fit.
func truncLabel(s string) fyne.CanvasObject {
	l := widget.NewLabel(s)
	l.Truncation = fyne.TextTruncateEllipsis
	return container.New(layout.NewCustomPaddedLayout(-4, -4, -4, 0), l)
}

func padLeft(o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(0, 0, 24, 0), o)
}

// columnsLayout lays cells out in rows of len(weights) columns, each column
// as wide as its weight's share of the width, rows as tall as their
// tallest cell.
type columnsLayout struct{ weights []float32 }

func (l *columnsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	n := len(l.weights)
	total := float32(0)
	for _, w := range l.weights {
		total += w
	}
	y := float32(0)
	for r := 0; r*n < len(objs); r++ {
		row := objs[r*n : min((r+1)*n, len(objs))]
		h := float32(0)
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		x := float32(0)
		for c, o := range row {
			w := s.Width * l.weights[c] / total
			o.Move(fyne.NewPos(x, y))
			o.Resize(fyne.NewSize(w, h))
			x += w
		}
		y += h
	}
}

func (l *columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	n := len(l.weights)
	var w, h float32
	for r := 0; r*n < len(objs); r++ {
		rh, rw := float32(0), float32(0)
		for _, o := range objs[r*n : min((r+1)*n, len(objs))] {
			rh = max(rh, o.MinSize().Height)
			rw += o.MinSize().Width
		}
		h += rh
		w = max(w, rw)
	}
	return fyne.NewSize(w, h)
}

// PrepareRender computes what the Classic pane shows in render-panes: it
// loads the dataset if no pane has, runs a small k-NN cross-validation and
// a small linear classifier search on raw pixels (real runs, on subsets
// sized to take seconds), and shows the overview.
func (p *classicPane) PrepareRender(ctx context.Context) {
	p.rendering = true // render-panes records nothing in the project
	defer func() { p.rendering = false }()
	if p.s.Dataset == nil {
		p.job.Sync = true
		p.loadDataset()
		p.job.Sync = false
	}
	if p.s.Dataset == nil || ctx.Err() != nil {
		return
	}
	p.knn.nTrain.SetText("1000")
	p.knn.nTest.SetText("200")
	p.knn.job.Sync = true
	p.knn.run()
	p.knn.job.Sync = false
	// A narrowed search around the course's setting (lr 1e-7, reg 2.5e4),
	// which learns recognisable templates in a few hundred iterations.
	p.linear.nTrain.SetText("2000")
	p.linear.nVal.SetText("500")
	p.linear.search.SetText("4")
	p.linear.iters.SetText("500")
	p.linear.lrLo.SetText("1e-7")
	p.linear.lrHi.SetText("3e-7")
	p.linear.regLo.SetText("2e4")
	p.linear.regHi.SetText("5e4")
	p.linear.job.Sync = true
	p.linear.run()
	p.linear.job.Sync = false
	p.tabs.SelectIndex(0)
}

// trainVal returns nTrain training and nVal validation images: the
// dataset's own validation split when it has one, else images held out of
// the training split (class-balanced, seeded).
func trainVal(ds *data.Dataset, nTrain, nVal int, seed int64) (tr, val *data.Set) {
	if ds.Val.Len() > 0 {
		return ui.Subset(ds.Train, nTrain, seed), ui.Subset(ds.Val, nVal, seed)
	}
	rest, held := data.HoldOut(ds.Train, min(nVal, ds.Train.Len()/2), seed)
	return ui.Subset(rest, nTrain, seed), held
}
