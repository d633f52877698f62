package app

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
	"github.com/workbench-cv/workbench/widgets/lintoy"
)

var _ = builtin(Pane{ID: PaneClassic, Title: "Classic", Icon: theme.HistoryIcon(), Order: 40, New: newClassicPane})

// classicPane is the Classic pane: the baselines before deep learning on
// the project's dataset (k-nearest neighbours with cross-validation, linear
// SVM and softmax classifiers with a random search, a two-layer net, HOG and
// hue-histogram features) and the interactive 2-D linear classifier.
type classicPane struct {
	widget.BaseWidget
	s *State

	tabs     *container.AppTabs
	overview *container.TabItem
	job      *jobBar // loading the dataset from this pane
	root     fyne.CanvasObject

	knn      *knnTab
	linear   *linearTab
	net      *netTab
	features *featuresTab
	toy      *lintoy.Toy

	results []classicResult
	ovBody  *fyne.Container
	shownDS *data.Dataset
	loadErr error
}

// classicResult is one finished run, for the overview's table.
type classicResult struct {
	method, input string
	train         int
	val, test     float64 // accuracies; val < 0 when not measured
	detail        string
}

func newClassicPane(s *State) fyne.CanvasObject {
	p := &classicPane{s: s, job: newJobBar()}
	p.ExtendBaseWidget(p)
	p.knn = newKNNTab(p)
	p.linear = newLinearTab(p)
	p.net = newNetTab(p)
	p.features = newFeaturesTab(p)
	p.toy = lintoy.New()
	p.ovBody = container.NewStack()
	p.overview = container.NewTabItemWithIcon("Overview", theme.HomeIcon(), p.ovBody)
	p.tabs = container.NewAppTabs(
		p.overview,
		container.NewTabItem("k-nearest neighbours", p.knn.root),
		container.NewTabItem("Linear classifiers", p.linear.root),
		container.NewTabItem("Two-layer net", p.net.root),
		container.NewTabItem("Features", p.features.root),
		container.NewTabItem("2-D linear toy", p.toy),
	)
	p.root = container.NewBorder(nil, container.New(layout.NewCustomPaddedLayout(0, 4, 8, 8), p.job.root), nil, nil, p.tabs)
	s.OnChange(func(c Change) {
		if c == ProjectReplaced || c == DatasetChanged {
			if c == ProjectReplaced {
				for _, j := range []*jobBar{p.job, p.knn.job, p.linear.job, p.net.job} {
					j.Cancel()
				}
				p.results = nil
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
		p.linear.setDataset(ds)
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
		goTo(p.s, e, PaneData)
		return e
	}
	spec := datasetSpec(p.s)
	e.Steps = []string{fmt.Sprintf("These run on the project's dataset, %s. Load it here, or look at it first in the Data pane.", datasetTitle(spec))}
	e.Command = "workbench knn --data " + shellQuote(spec)
	e.ActionLabel = "Load " + datasetTitle(spec)
	e.OnAction = func() { p.loadDataset() }
	return e
}

// loadDataset loads the project's dataset into the state for every pane.
func (p *classicPane) loadDataset() {
	spec := datasetSpec(p.s)
	opt := loadOptions(p.s, spec, 0)
	var ds *data.Dataset
	p.job.start("Loading "+datasetTitle(spec)+"…", func(ctx context.Context, progress report) error {
		opt.Progress = func(done, total int) { progress(done, total, "") }
		var err error
		ds, err = data.Load(ctx, spec, opt)
		return err
	}, func(err error) {
		switch {
		case cancelled(err):
		case err != nil:
			p.loadErr = err
			p.refresh()
		default:
			setProjectDataset(p.s, spec, ds, 0)
		}
	})
}

// addResult records a finished run for the overview (replacing an earlier
// run of the same method on the same input).
func (p *classicPane) addResult(r classicResult) {
	for i, old := range p.results {
		if old.method == r.method && old.input == r.input {
			p.results[i] = r
			p.showOverview()
			return
		}
	}
	p.results = append(p.results, r)
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
		cv = cardWith("k-NN: cross-validation over k", nil, container.NewBorder(nil, wrapLabel(r.summary()), nil, nil, pv))
	} else {
		cv = cardWith("k-NN: cross-validation over k", nil, hintBox("Run the cross-validation in the k-nearest neighbours tab: each fold's accuracy "+
			"for every k, their mean and spread, and the k to choose.", "Go to k-nearest neighbours", func() { p.tabs.SelectIndex(1) }))
	}
	var tpl fyne.CanvasObject
	if r := p.linear.result; r != nil && r.templates != nil {
		tpl = cardWith("Linear classifier: class templates", nil, container.NewBorder(nil, wrapLabel(r.summary()), nil, nil,
			templateGrid(r.templates, r.classes, 5, 96)))
	} else {
		msg := "Train a linear classifier on raw pixels in the Linear classifiers tab: each class's weights, drawn as an image, are the template it matches."
		if r := p.linear.result; r != nil {
			msg = "The last linear classifier was trained on " + r.features + " features, which are not images; train one on raw pixels to see the class templates."
		}
		tpl = cardWith("Linear classifier: class templates", nil, hintBox(msg, "Go to Linear classifiers", func() { p.tabs.SelectIndex(2) }))
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
		l.Importance = widget.LowImportance
		return card("Results", l)
	}
	cells := []fyne.CanvasObject{cellText("Method", true, false), cellText("Input", true, false), cellText("Training images", true, true),
		cellText("Validation", true, true), cellText("Test", true, true), padLeft(cellText("Settings", true, false))}
	for _, r := range p.results {
		val := "–"
		if r.val >= 0 {
			val = pct(r.val)
		}
		cells = append(cells, cellText(r.method, false, false), cellText(r.input, false, false), cellText(thousands(r.train), false, true),
			cellText(val, false, true), cellText(pct(r.test), false, true), padLeft(truncLabel(r.detail)))
	}
	return card("Results", container.New(&columnsLayout{weights: []float32{1.2, 1, 1, 0.8, 0.8, 2.2}}, cells...))
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

func pct(a float64) string { return fmt.Sprintf("%.1f%%", 100*a) }

// wrapLabel is a wrapped caption.
func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// hintBox says what to do to fill an empty part of the overview.
func hintBox(text, button string, tapped func()) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Alignment = fyne.TextAlignCenter
	b := widget.NewButton(button, tapped)
	return container.NewCenter(container.New(&minWidth{w: 320}, container.NewVBox(l, container.NewCenter(b))))
}

// templateGrid shows images with their class names, cols per row, as
// large as the space allows up to side units.
func templateGrid(imgs []image.Image, names []string, cols int, side float32) fyne.CanvasObject {
	var cells []fyne.CanvasObject
	for i, im := range imgs {
		ci := canvas.NewImageFromImage(im)
		ci.ScaleMode = canvas.ImageScalePixels
		ci.FillMode = canvas.ImageFillStretch
		name := ""
		if i < len(names) {
			name = names[i]
		}
		t := canvas.NewText(name, theme.Color(theme.ColorNameForeground))
		t.Alignment = fyne.TextAlignCenter
		t.TextSize = theme.CaptionTextSize()
		cells = append(cells, ci, t)
	}
	return container.New(&thumbLayout{cols: cols, max: side}, cells...)
}

// thumbLayout places (image, caption) pairs in a centred grid of cols
// columns, the images square and as large as fits, up to max.
type thumbLayout struct {
	cols int
	max  float32
}

const thumbGap = 6

func (l *thumbLayout) caption() float32 {
	return fyne.MeasureText("Ag", theme.CaptionTextSize(), fyne.TextStyle{}).Height + 2
}

func (l *thumbLayout) rows(n int) int { return (n/2 + l.cols - 1) / l.cols }

func (l *thumbLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	n := len(objs) / 2
	cols := min(l.cols, max(n, 1))
	rows := l.rows(len(objs))
	capH := l.caption()
	side := min(l.max, (s.Width-float32(cols-1)*thumbGap)/float32(cols),
		(s.Height-float32(rows)*(capH+thumbGap))/float32(max(rows, 1)))
	side = max(side, 8)
	w := float32(cols)*side + float32(cols-1)*thumbGap
	h := float32(rows)*(side+capH) + float32(rows-1)*thumbGap
	x0, y0 := (s.Width-w)/2, (s.Height-h)/2
	for i := 0; i < n; i++ {
		c, r := i%l.cols, i/l.cols
		x := x0 + float32(c)*(side+thumbGap)
		y := y0 + float32(r)*(side+capH+thumbGap)
		objs[2*i].Move(fyne.NewPos(x, y))
		objs[2*i].Resize(fyne.NewSquareSize(side))
		objs[2*i+1].Move(fyne.NewPos(x-thumbGap/2, y+side+1))
		objs[2*i+1].Resize(fyne.NewSize(side+thumbGap, capH))
	}
}

func (l *thumbLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	rows := l.rows(len(objs))
	return fyne.NewSize(float32(l.cols)*(32+thumbGap), float32(rows)*(32+l.caption()+thumbGap))
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
	if p.s.Dataset == nil {
		p.job.sync = true
		p.loadDataset()
		p.job.sync = false
	}
	if p.s.Dataset == nil || ctx.Err() != nil {
		return
	}
	p.knn.nTrain.SetText("1000")
	p.knn.nTest.SetText("200")
	p.knn.job.sync = true
	p.knn.run()
	p.knn.job.sync = false
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
	p.linear.job.sync = true
	p.linear.run()
	p.linear.job.sync = false
	p.tabs.SelectIndex(0)
}

// ---- form helpers ----

// intField is an entry for a whole number within [lo, hi].
type intField struct {
	*widget.Entry
	name   string
	lo, hi int
}

func newIntField(name string, def, lo, hi int) *intField {
	e := widget.NewEntry()
	e.SetText(strconv.Itoa(def))
	return &intField{Entry: e, name: name, lo: lo, hi: hi}
}

func (f *intField) value() (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(f.Text))
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", f.name, f.Text)
	}
	if v < f.lo || v > f.hi {
		return 0, fmt.Errorf("%s must be between %s and %s, not %s", f.name, thousands(f.lo), thousands(f.hi), thousands(v))
	}
	return v, nil
}

// floatField is an entry for a number within [lo, hi].
type floatField struct {
	*widget.Entry
	name   string
	lo, hi float64
}

func newFloatField(name string, def, lo, hi float64) *floatField {
	e := widget.NewEntry()
	e.SetText(strconv.FormatFloat(def, 'g', -1, 64))
	return &floatField{Entry: e, name: name, lo: lo, hi: hi}
}

func (f *floatField) value() (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(f.Text), 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", f.name, f.Text)
	}
	if v < f.lo || v > f.hi {
		return 0, fmt.Errorf("%s must be between %g and %g, not %g", f.name, f.lo, f.hi, v)
	}
	return v, nil
}

// formPanel is a tab's left column: a form, the Run button, its job's
// progress and the message about the last run.
func formPanel(title string, form *widget.Form, run *widget.Button, job *jobBar, msg *widget.Label) fyne.CanvasObject {
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	run.Importance = widget.HighImportance
	msg.Wrapping = fyne.TextWrapWord
	col := container.NewVBox(head, form, run, job.root, msg)
	return container.New(&minWidth{w: 300}, container.NewVScroll(container.New(layout.NewCustomPaddedLayout(4, 4, 4, 8), col)))
}

// showError puts a run's error in its message label.
func showRunError(msg *widget.Label, err error) {
	if cancelled(err) {
		msg.Importance = widget.MediumImportance
		msg.SetText("Cancelled.")
		return
	}
	msg.Importance = widget.DangerImportance
	msg.SetText(firstUpper(err.Error()) + ".")
}

// subset returns n class-balanced images of s (all of them when n covers s).
func subset(s *data.Set, n int, seed int64) *data.Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	return data.BalancedSubset(s, n, seed)
}

// trainVal returns nTrain training and nVal validation images: the
// dataset's own validation split when it has one, else images held out of
// the training split (class-balanced, seeded).
func trainVal(ds *data.Dataset, nTrain, nVal int, seed int64) (tr, val *data.Set) {
	if ds.Val.Len() > 0 {
		return subset(ds.Train, nTrain, seed), subset(ds.Val, nVal, seed)
	}
	rest, held := data.HoldOut(ds.Train, min(nVal, ds.Train.Len()/2), seed)
	return subset(rest, nTrain, seed), held
}
