package classic

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// knnTab runs k-nearest neighbours: cross-validation over k on a training
// subset (the course's plot), then the test subset with the best k, and
// shows test images beside their nearest training images.
type knnTab struct {
	p    *classicPane
	ds   *data.Dataset
	root *fyne.Container

	nTrain, nTest, folds *widgets.IntField
	ks                   *widget.Entry
	metric               *widget.RadioGroup
	runBtn               *widget.Button
	job                  *widgets.JobBar
	msg                  *widget.Label
	plot                 *widgets.PlotView
	neighbours           *fyne.Container
	form                 fyne.CanvasObject // the tab's content once data is loaded

	result *knnResult
}

// knnResult is a finished k-NN run.
type knnResult struct {
	cv            []classic.CVResult
	best          classic.CVResult
	testAcc       float64
	train, test   *data.Set
	nb            [][]int // each test image's nearest training images
	metric        classic.Metric
	folds         int
	testAccByK    map[int]float64
	trainN, testN int
	classes       []string
}

func (r *knnResult) summary() string {
	return fmt.Sprintf("%s training images, %d folds, %s distance: best k = %d with %s ± %s cross-validation accuracy; %s on %s test images.",
		widgets.Thousands(r.trainN), r.folds, strings.ToUpper(string(r.metric)), r.best.K, widgets.Pct(r.best.Mean), widgets.Pct(r.best.Std), widgets.Pct(r.testAcc), widgets.Thousands(r.testN))
}

func newKNNTab(p *classicPane) *knnTab {
	t := &knnTab{p: p, job: widgets.NewJobBar(), msg: widget.NewLabel("")}
	t.nTrain = widgets.NewIntField("Training images", 5000, 10, 1_000_000)
	t.nTest = widgets.NewIntField("Test images", 500, 1, 1_000_000)
	t.folds = widgets.NewIntField("Folds", 5, 2, 20)
	t.ks = widget.NewEntry()
	t.ks.SetText("1,3,5,8,10,12,15,20,50,100")
	t.metric = widget.NewRadioGroup([]string{"L1", "L2"}, nil)
	t.metric.Horizontal = true
	t.metric.Required = true
	t.metric.SetSelected("L2")
	t.runBtn = widget.NewButtonWithIcon("Run cross-validation", theme.MediaPlayIcon(), t.run)
	form := widget.NewForm(
		widget.NewFormItem("Training", t.nTrain.Entry),
		widget.NewFormItem("Test", t.nTest.Entry),
		widget.NewFormItem("Distance", t.metric),
		widget.NewFormItem("k values", t.ks),
		widget.NewFormItem("Folds", t.folds.Entry),
	)
	t.msg.SetText("Cross-validates k on a class-balanced subset of the training split (each fold held out in turn), " +
		"then classifies the test subset with the best k. Votes are majority votes; ties go to the smaller class index.")
	t.plot = widgets.NewPlotView(nil)
	t.plot.Min = fyne.NewSize(360, 240)
	t.neighbours = container.NewStack()
	t.root = container.NewStack()
	left := widgets.FormPanel("k-nearest neighbours", form, t.runBtn, t.job, t.msg)
	t.layout(left)
	return t
}

func (t *knnTab) layout(left fyne.CanvasObject) {
	right := container.NewVSplit(widgets.Card("Cross-validation accuracy for each k", t.plot), widgets.Card("Nearest training images of test images", t.neighbours))
	right.Offset = 0.55
	t.form = container.NewBorder(nil, nil, left, nil, container.New(layout.NewCustomPaddedLayout(4, 4, 4, 4), right))
}

func (t *knnTab) setDataset(ds *data.Dataset) {
	t.ds = ds
	t.result = nil
	t.plot.SetPlot(nil)
	t.neighbours.Objects = nil
	t.neighbours.Refresh()
	if ds == nil {
		t.root.Objects = []fyne.CanvasObject{t.p.needData("Load the dataset to run k-nearest neighbours.")}
	} else {
		t.root.Objects = []fyne.CanvasObject{t.form}
	}
	t.root.Refresh()
}

// parseKs reads a comma-separated list of positive k.
func parseKs(s string) ([]int, error) {
	var ks []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil || k < 1 {
			return nil, fmt.Errorf("k values: %q is not a positive whole number; write them like 1,3,5,10", f)
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("k values: give at least one, like 1,3,5,10")
	}
	sort.Ints(ks)
	return ks, nil
}

// run starts a cross-validation with the form's settings.
func (t *knnTab) run() {
	ds := t.ds
	if ds == nil {
		return
	}
	nTrain, err1 := t.nTrain.Value()
	nTest, err2 := t.nTest.Value()
	folds, err3 := t.folds.Value()
	ks, err4 := parseKs(t.ks.Text)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			widgets.ShowRunError(t.msg, err)
			return
		}
	}
	if ds.Train.Len() == 0 || ds.Test.Len() == 0 {
		widgets.ShowRunError(t.msg, fmt.Errorf("k-NN needs training and test images; %s has %d and %d", ui.DatasetTitle(t.p.s.Project.Dataset.Spec), ds.Train.Len(), ds.Test.Len()))
		return
	}
	nTrain, nTest = min(nTrain, ds.Train.Len()), min(nTest, ds.Test.Len())
	if perFold := nTrain - (nTrain+folds-1)/folds; ks[len(ks)-1] > perFold {
		widgets.ShowRunError(t.msg, fmt.Errorf("the largest k, %d, is more than the %d training images of a fold; use smaller k or more training images", ks[len(ks)-1], perFold))
		return
	}
	metric := classic.L2
	if t.metric.Selected == "L1" {
		metric = classic.L1
	}
	seed := t.p.s.Project.Hyper.Seed
	startTabJob(tabJob{job: t.job, button: t.runBtn, msg: t.msg, stale: func() bool { return t.ds != ds }},
		"Cross-validating k…", func(ctx context.Context, progress widgets.Report) (*knnResult, error) {
			return runKNN(ctx, ds, nTrain, nTest, folds, ks, metric, seed, progress)
		}, t.show)
}

// tabJob is what a tab's computation runs with: its job bar, the button
// that starts it, the line that shows errors, and whether a result came
// too late (the dataset changed meanwhile).
type tabJob struct {
	job    *widgets.JobBar
	button *widget.Button
	msg    *widget.Label
	stale  func() bool
}

// startTabJob runs work on the tab's job bar with its button disabled;
// show gets the result unless it is stale, and an error goes to the
// message line.
func startTabJob[R any](tj tabJob, what string, work func(ctx context.Context, progress widgets.Report) (R, error), show func(R)) {
	var res R
	tj.msg.Importance = widget.MediumImportance
	tj.msg.SetText("")
	tj.button.Disable()
	err := tj.job.Start(what, func(ctx context.Context, progress widgets.Report) error {
		var err error
		res, err = work(ctx, progress)
		return err
	}, func(err error) {
		tj.button.Enable()
		switch {
		case tj.stale():
		case err != nil:
			widgets.ShowRunError(tj.msg, err)
		default:
			show(res)
		}
	})
	if err != nil {
		tj.button.Enable()
		widgets.ShowRunError(tj.msg, err)
	}
}

// runKNN is the computation, off the UI goroutine: the engine's recipe
// (the one `workbench knn` runs) on class-balanced subsets.
func runKNN(ctx context.Context, ds *data.Dataset, nTrain, nTest, folds int, ks []int, metric classic.Metric, seed int64, progress widgets.Report) (*knnResult, error) {
	tr := ui.Subset(ds.Train, nTrain, seed)
	te := ui.Subset(ds.Test, nTest, seed)
	// Folds take most of the time; the test distances one more share.
	steps := folds + 1
	r, err := classic.KNN(ctx, tr, te, classic.KNNConfig{Ks: ks, Metric: metric, Folds: folds, Seed: seed, Neighbours: 10,
		Progress: func(stage string, done, total int) {
			switch {
			case stage != "cv":
			case done < total:
				progress(done, steps, fmt.Sprintf("Cross-validating: fold %d of %d done", done, total))
			default:
				progress(folds, steps, "Classifying the test images…")
			}
		}})
	if err != nil {
		return nil, err
	}
	progress(steps, steps, "")
	return &knnResult{cv: r.CV, best: r.Best, testAcc: r.TestAcc, train: tr, test: te, nb: r.Neighbours, metric: metric, folds: folds,
		testAccByK: r.TestAccByK, trainN: tr.Len(), testN: te.Len(), classes: tr.Classes}, nil
}

// show puts a finished run on screen and in the overview.
func (t *knnTab) show(r *knnResult) {
	t.result = r
	t.plot.SetPlot(cvPlot(r.cv, r.best.K))
	t.msg.Importance = widget.MediumImportance
	t.msg.SetText(r.summary())
	t.neighbours.Objects = []fyne.CanvasObject{neighboursView(r, knnRows, knnShown)}
	t.neighbours.Refresh()
	t.p.recordKNN(r, t.p.s.Project.Hyper.Seed)
	t.p.addResult(classicResult{method: "k-NN (k = " + strconv.Itoa(r.best.K) + ")", input: "pixels", train: r.trainN,
		val: r.best.Mean, test: r.testAcc, detail: fmt.Sprintf("%s distance, %d-fold CV over %d values of k", strings.ToUpper(string(r.metric)), r.folds, len(r.cv))})
}

// showRestored shows a cross-validation read back from the project: its
// plot, figures and neighbour grid (a project recorded before the grid was
// kept shows it with a new run).
func (t *knnTab) showRestored(r *knnResult) {
	t.result = r
	// The settings it ran with, so that Run cross-validation repeats it.
	ks := make([]string, len(r.cv))
	for i, c := range r.cv {
		ks[i] = strconv.Itoa(c.K)
	}
	t.ks.SetText(strings.Join(ks, ", "))
	t.nTrain.SetText(strconv.Itoa(r.trainN))
	t.nTest.SetText(strconv.Itoa(r.testN))
	t.folds.SetText(strconv.Itoa(r.folds))
	t.metric.SetSelected(strings.ToUpper(string(r.metric)))
	t.plot.SetPlot(cvPlot(r.cv, r.best.K))
	t.msg.Importance = widget.MediumImportance
	if len(neighbourRows(r, knnRows)) == 0 {
		t.msg.SetText(r.summary() + " (recorded; run again to see the neighbours)")
		return
	}
	t.msg.SetText(r.summary())
	t.neighbours.Objects = []fyne.CanvasObject{neighboursView(r, knnRows, knnShown)}
	t.neighbours.Refresh()
}

// cvPlot is the course's cross-validation figure: every fold's accuracy
// as a point for each k, the mean as a line with the standard deviation as
// error bars, and the chosen k marked.
func cvPlot(cv []classic.CVResult, bestK int) *plot.Plot {
	p := widgets.NewPlot()
	p.X.Label.Text = "k"
	p.Y.Label.Text = "cross-validation accuracy"
	p.Y.Tick.Marker = widgets.PercentTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.NRGBA{A: 0}
	grid.Horizontal.Color = color.NRGBA{R: 128, G: 128, B: 128, A: 50}
	p.Add(grid)

	var pts, mean plotter.XYs
	var errs meanErrors
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range cv {
		for _, a := range r.Folds {
			pts = append(pts, plotter.XY{X: float64(r.K), Y: a})
			lo, hi = math.Min(lo, a), math.Max(hi, a)
		}
		mean = append(mean, plotter.XY{X: float64(r.K), Y: r.Mean})
		errs = append(errs, meanError{x: float64(r.K), y: r.Mean, e: r.Std})
	}
	accent := color.NRGBA{R: 37, G: 99, B: 235, A: 255}
	if best := float64(bestK); len(cv) > 0 {
		marker, _ := plotter.NewLine(plotter.XYs{{X: best, Y: lo - 0.02}, {X: best, Y: hi + 0.02}})
		marker.Color = color.NRGBA{R: 16, G: 150, B: 100, A: 255}
		marker.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		marker.Width = vg.Points(1.2)
		p.Add(marker)
	}
	sc, _ := plotter.NewScatter(pts)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(2.6)
	sc.GlyphStyle.Color = color.NRGBA{R: 100, G: 116, B: 139, A: 170}
	line, _ := plotter.NewLine(mean)
	line.Color = accent
	line.Width = vg.Points(2)
	eb, _ := plotter.NewYErrorBars(errs)
	eb.Color = accent
	eb.Width = vg.Points(1.4)
	eb.CapWidth = vg.Points(6)
	p.Add(sc, line, eb)
	p.Legend.Add("each fold", sc)
	p.Legend.Add("mean ± std", line)
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(6), vg.Points(4)
	// k on a log scale, as the small values are the interesting ones;
	// every k tried gets a tick, the usual ones a label.
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	for _, r := range cv {
		t := plot.Tick{Value: float64(r.K)}
		if labelK(r.K, cv) {
			t.Label = strconv.Itoa(r.K)
		}
		ticks = append(ticks, t)
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	if len(cv) > 0 {
		p.X.Min, p.X.Max = float64(cv[0].K)/1.25, float64(cv[len(cv)-1].K)*1.25
	}
	p.Y.Min = math.Max(0, lo-0.02)
	p.Y.Max = math.Min(1, hi+0.02)
	return p
}

// labelK says whether k's tick gets a label: one whose neighbour on the log
// axis is not too close, preferring round numbers.
func labelK(k int, cv []classic.CVResult) bool {
	for _, r := range cv {
		if r.K == k {
			continue
		}
		close := math.Abs(math.Log10(float64(r.K))-math.Log10(float64(k))) < 0.09
		if close && roundness(r.K) > roundness(k) {
			return false
		}
		if close && roundness(r.K) == roundness(k) && r.K < k {
			return false
		}
	}
	return true
}

func roundness(k int) int {
	switch {
	case k%10 == 0:
		return 3
	case k%5 == 0:
		return 2
	case k == 1:
		return 2
	}
	return 1
}

// meanErrors feed plotter.NewYErrorBars.
type meanError struct{ x, y, e float64 }
type meanErrors []meanError

func (m meanErrors) Len() int                         { return len(m) }
func (m meanErrors) XY(i int) (float64, float64)      { return m[i].x, m[i].y }
func (m meanErrors) YError(i int) (low, high float64) { return m[i].e, m[i].e }

// The neighbour grid shows knnRows test images with their knnShown
// nearest training images; the project records those.
const knnRows, knnShown = 8, 10

// neighbourRows are the test images the grid shows: one of each class
// first, up to rows, among those with neighbours.
func neighbourRows(r *knnResult, rows int) []int {
	var picks []int
	seen := map[int32]bool{}
	for i, l := range r.test.Labels {
		if i < len(r.nb) && len(r.nb[i]) > 0 && !seen[l] && len(picks) < rows {
			seen[l] = true
			picks = append(picks, i)
		}
	}
	return picks
}

// neighboursView shows rows test images, each with its first k nearest
// training images; a neighbour's caption is green when its class is the
// test image's, red when not.
func neighboursView(r *knnResult, rows, k int) fyne.CanvasObject {
	good := color.NRGBA{R: 22, G: 140, B: 70, A: 255}
	bad := color.NRGBA{R: 200, G: 40, B: 40, A: 255}
	picks := neighbourRows(r, rows)
	box := container.NewVBox()
	cell := func(img fyne.CanvasObject, text string, c color.Color) fyne.CanvasObject {
		t := canvas.NewText(text, c)
		t.TextSize = theme.CaptionTextSize()
		t.Alignment = fyne.TextAlignCenter
		return container.NewVBox(img, container.New(&widgets.MinWidth{W: 52}, t))
	}
	thumb := func(s *data.Set, i int) *canvas.Image {
		im := canvas.NewImageFromImage(s.Picture(i))
		im.ScaleMode = canvas.ImageScalePixels
		im.FillMode = canvas.ImageFillContain
		im.SetMinSize(fyne.NewSquareSize(44))
		return im
	}
	for _, i := range picks {
		truth := r.test.Labels[i]
		row := container.NewHBox(cell(thumb(r.test, i), widgets.Short(r.classes[truth]), theme.Color(theme.ColorNameForeground)), widget.NewSeparator())
		for _, j := range r.nb[i][:min(k, len(r.nb[i]))] {
			c := good
			if r.train.Labels[j] != truth {
				c = bad
			}
			row.Add(cell(thumb(r.train, j), widgets.Short(r.classes[r.train.Labels[j]]), c))
		}
		box.Add(row)
	}
	note := widget.NewLabel(fmt.Sprintf("Left: a test image; right: its %d nearest training images by %s distance, nearest first (green: same class).", k, strings.ToUpper(string(r.metric))))
	note.SizeName = theme.SizeNameCaptionText
	note.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, note, nil, nil, container.NewScroll(box))
}
