package classic

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/widgets"
)

// netTab trains the course's two-layer net (fully connected 100, ReLU,
// fully connected to the classes: the zoo's mlp2) through the engine's
// trainer, on raw pixels or on hand-made features.
type netTab struct {
	p    *classicPane
	ds   *data.Dataset
	root *fyne.Container
	form fyne.CanvasObject

	input                *widget.Select
	optimizer            *widget.Select
	nTrain, nVal, epochs *widgets.IntField
	batch                *widgets.IntField
	lr, decay            *widgets.FloatField
	runBtn               *widget.Button
	job                  *widgets.JobBar
	msg                  *widget.Label
	plot                 *widgets.PlotView

	history []train.EpochMetrics
}

func newNetTab(p *classicPane) *netTab {
	t := &netTab{p: p, job: widgets.NewJobBar(), msg: widget.NewLabel("")}
	t.input = widget.NewSelect(classic.FeatureKinds, nil)
	t.input.SetSelected("pixels")
	t.optimizer = widget.NewSelect([]string{"sgd", "momentum", "nesterov", "adam"}, nil)
	t.optimizer.SetSelected("adam")
	t.nTrain = widgets.NewIntField("Training images", 10000, 20, 1_000_000)
	t.nVal = widgets.NewIntField("Validation images", 1000, 10, 100_000)
	t.epochs = widgets.NewIntField("Epochs", 10, 1, 1000)
	t.batch = widgets.NewIntField("Batch", 200, 1, 10000)
	t.lr = widgets.NewFloatField("Learning rate", 1e-3, 1e-7, 10)
	t.decay = widgets.NewFloatField("Weight decay", 1e-4, 0, 1)
	t.runBtn = widget.NewButtonWithIcon("Train", theme.MediaPlayIcon(), t.run)
	form := widget.NewForm(
		widget.NewFormItem("Input", t.input),
		widget.NewFormItem("Training", t.nTrain.Entry),
		widget.NewFormItem("Validation", t.nVal.Entry),
		widget.NewFormItem("Epochs", t.epochs.Entry),
		widget.NewFormItem("Batch", t.batch.Entry),
		widget.NewFormItem("Optimizer", t.optimizer),
		widget.NewFormItem("Learning rate", t.lr.Entry),
		widget.NewFormItem("Weight decay", t.decay.Entry),
	)
	t.msg.SetText("The course's TwoLayerNet: fully connected 100, ReLU, fully connected to the classes, with softmax loss, " +
		"trained by the engine on the CPU. Pixels have the mean image subtracted; features are standardised.")
	t.plot = widgets.NewPlotView(nil)
	t.plot.Min = fyne.NewSize(360, 260)
	left := widgets.FormPanel("Two-layer net", form, t.runBtn, t.job, t.msg)
	t.form = container.NewBorder(nil, nil, left, nil, container.New(layout.NewCustomPaddedLayout(4, 4, 4, 4),
		widgets.Card("Accuracy per epoch", t.plot)))
	t.root = container.NewStack()
	return t
}

func (t *netTab) setDataset(ds *data.Dataset) {
	t.ds = ds
	t.history = nil
	t.plot.SetPlot(nil)
	if ds == nil {
		t.root.Objects = []fyne.CanvasObject{t.p.needData("Load the dataset to train a two-layer net.")}
	} else {
		t.root.Objects = []fyne.CanvasObject{t.form}
	}
	t.root.Refresh()
}

// netRun holds what a run trains on.
type netRun struct {
	tr, val, te *data.Set
	stats       *data.Stats
}

// featureSets turns feature matrices into data sets the trainer reads:
// each standardised feature is stored as a byte, v*32+128 clamped (four
// standard deviations either side at 1/32 of one), and the Stats undo that
// scaling, so the net sees the standardised values.
func featureSets(pr *prepared) *netRun {
	quant := func(m *classic.Matrix, s *data.Set) *data.Set {
		d := m.Cols - 1 // without the bias column: the net has biases
		out := &data.Set{Classes: s.Classes, C: 1, H: 1, W: d, Images: make([]uint8, m.Rows*d), Labels: s.Labels}
		for i := 0; i < m.Rows; i++ {
			row := m.Row(i)
			for j := 0; j < d; j++ {
				out.Images[i*d+j] = uint8(math.Max(0, math.Min(255, math.Round(float64(row[j])*32+128))))
			}
		}
		return out
	}
	return &netRun{
		tr: quant(pr.xtr, pr.tr), val: quant(pr.xval, pr.val), te: quant(pr.xte, pr.te),
		stats: &data.Stats{Norm: data.NormChannelStd, C: 1, H: 1, W: pr.xtr.Cols - 1, Mean: []float32{128.0 / 255}, Std: []float32{32.0 / 255}},
	}
}

// netSets are the training, validation and test sets of a run on feat
// (raw pixels, standardised by the mean image, or features).
func netSets(ctx context.Context, ds *data.Dataset, feat string, nTrain, nVal int, seed int64, progress widgets.Report) (*netRun, error) {
	var run *netRun
	if feat == "pixels" {
		tr, val := trainVal(ds, nTrain, nVal, seed)
		st, err := data.FitStats(tr, data.NormMeanImage, data.StatsOptions{Seed: seed})
		if err != nil {
			return nil, err
		}
		run = &netRun{tr: tr, val: val, te: ds.Test, stats: st}
	} else {
		pr, err := prepareLinear(ctx, ds, feat, nTrain, nVal, seed, func(d, n int, w string) { progress(0, 1, w) })
		if err != nil {
			return nil, err
		}
		run = featureSets(pr)
	}
	if run.val.Len() == 0 {
		return nil, errors.New("too few training images to hold some out for validation")
	}
	return run, nil
}

// run trains the two-layer net with the settings shown.
func (t *netTab) run() {
	ds := t.ds
	if ds == nil {
		return
	}
	vals := make([]int, 4)
	for i, f := range []*widgets.IntField{t.nTrain, t.nVal, t.epochs, t.batch} {
		v, err := f.Value()
		if err != nil {
			widgets.ShowRunError(t.msg, err)
			return
		}
		vals[i] = v
	}
	lr, err1 := t.lr.Value()
	decay, err2 := t.decay.Value()
	for _, err := range []error{err1, err2} {
		if err != nil {
			widgets.ShowRunError(t.msg, err)
			return
		}
	}
	nTrain, nVal, epochs, batch := vals[0], vals[1], vals[2], vals[3]
	feat, opt := t.input.Selected, t.optimizer.Selected
	seed := t.p.s.Project.Hyper.Seed
	t.history = nil
	t.plot.SetPlot(nil)
	t.runBtn.Disable()
	t.msg.Importance = widget.MediumImportance
	t.msg.SetText("")
	var testAcc float64
	var trainN int
	err := t.job.Start("Training the two-layer net…", func(ctx context.Context, progress widgets.Report) error {
		run, err := netSets(ctx, ds, feat, nTrain, nVal, seed, progress)
		if err != nil {
			return err
		}
		trainN = run.tr.Len()
		in := []int{run.tr.C, run.tr.H, run.tr.W}
		g, err := models.Graph("mlp2", in, len(run.tr.Classes))
		if err != nil {
			return err
		}
		m, err := nn.Build(g, in, cpu.New(), uint64(seed), nn.Init("default"))
		if err != nil {
			return err
		}
		cfg := train.Config{Optimizer: opt, Optim: optim.Config{LR: float32(lr), WeightDecay: float32(decay)},
			Epochs: epochs, Batch: batch, Seed: seed, Stats: run.stats}
		tr, err := train.New(m, run.tr, run.val, cfg)
		if err != nil {
			return err
		}
		tr.Callbacks.Iteration = func(it train.IterationInfo) {
			progress(it.Iteration, it.Total, fmt.Sprintf("Epoch %d of %d · loss %.3f", it.Epoch, epochs, it.Loss))
		}
		tr.Callbacks.Epoch = func(e train.EpochMetrics) {
			fyne.Do(func() {
				if t.ds != ds {
					return
				}
				t.history = append(t.history, e)
				t.plot.SetPlot(epochPlot(t.history, epochs))
			})
		}
		res, err := tr.Run(ctx, nil)
		if err != nil {
			return err
		}
		if res.Stopped {
			return context.Canceled
		}
		progress(1, 1, "Testing…")
		ev, err := train.Evaluate(ctx, m, run.te, train.EvalOptions{Stats: run.stats, Misclassified: -1})
		if err != nil {
			return err
		}
		testAcc = ev.Acc
		return nil
	}, func(err error) {
		t.runBtn.Enable()
		switch {
		case t.ds != ds:
			return // the dataset changed meanwhile: the run is stale
		case err == nil && len(t.history) == 0:
			err = errors.New("the run ended before its first epoch")
		}
		if err != nil {
			widgets.ShowRunError(t.msg, err)
			return
		}
		last := t.history[len(t.history)-1]
		best := 0.0
		for _, e := range t.history {
			best = math.Max(best, e.ValAcc)
		}
		t.msg.Importance = widget.MediumImportance
		t.msg.SetText(fmt.Sprintf("Two-layer net on %s (%s training images, %d epochs): validation %s (best %s), test %s.",
			feat, widgets.Thousands(trainN), len(t.history), widgets.Pct(last.ValAcc), widgets.Pct(best), widgets.Pct(testAcc)))
		t.p.addResult(classicResult{method: "Two-layer net", input: feat, train: trainN, val: last.ValAcc, test: testAcc,
			detail: fmt.Sprintf("%s, lr %g, %d epochs", opt, lr, len(t.history))})
	})
	if err != nil {
		t.runBtn.Enable()
		widgets.ShowRunError(t.msg, err)
	}
}

// epochPlot draws training and validation accuracy per epoch.
func epochPlot(h []train.EpochMetrics, epochs int) *plot.Plot {
	p := widgets.NewPlot()
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "accuracy"
	p.Y.Tick.Marker = widgets.PercentTicks{}
	p.X.Min, p.X.Max = 1, float64(max(epochs, 2))
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.NRGBA{A: 0}
	grid.Horizontal.Color = color.NRGBA{R: 128, G: 128, B: 128, A: 50}
	p.Add(grid)
	var trainPts, valPts plotter.XYs
	for _, e := range h {
		trainPts = append(trainPts, plotter.XY{X: float64(e.Epoch), Y: e.TrainAcc})
		if !math.IsNaN(e.ValAcc) {
			valPts = append(valPts, plotter.XY{X: float64(e.Epoch), Y: e.ValAcc})
		}
	}
	widgets.AddLinePoints(p, "train", trainPts, widgets.SplitColors["Train"], vg.Points(2.5))
	widgets.AddLinePoints(p, "validation", valPts, widgets.SplitColors["Validation"], vg.Points(2.5))
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(6), vg.Points(6)
	return p
}
