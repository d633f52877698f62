package trainui

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// babyStep is one step of the babysitting workflow: what it checks, its
// controls, and its result in words (with a plot for some).
type babyStep struct {
	root    fyne.CanvasObject
	run     *widget.Button
	icon    *widget.Icon
	result  *widget.Label
	plot    *widgets.PlotView
	plotBox *fyne.Container
	extra   *fyne.Container // buttons offered by the result
	// changed lays the column out again after the step's height changed.
	changed func()
}

func newBabyStep(n int, title, what string, controls []fyne.CanvasObject, run *widget.Button, withPlot bool) *babyStep {
	st := &babyStep{run: run, icon: widget.NewIcon(nil), extra: container.NewHBox()}
	num := canvas.NewText(strconv.Itoa(n), theme.Color(theme.ColorNamePrimary))
	num.TextStyle.Bold = true
	num.TextSize = theme.TextSize() * 1.8
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	desc := widgets.WrapLabel(what)
	st.result = widget.NewLabel("Not run yet.")
	st.result.Wrapping = fyne.TextWrapWord
	st.result.TextStyle.Italic = true // full contrast: LowImportance's grey was hard to read
	ctl := container.NewHBox(controls...)
	if run != nil {
		run.Importance = widget.HighImportance
		ctl.Add(run)
	}
	top := container.NewBorder(nil, nil, nil, ctl, head)
	res := container.NewBorder(nil, nil, st.icon, st.extra, st.result)
	body := container.NewVBox(top, desc, res)
	if withPlot {
		st.plot = widgets.NewPlotView(nil)
		st.plot.Min = fyne.NewSize(420, 220)
		st.plotBox = container.NewStack(st.plot)
		st.plotBox.Hide()
		body.Add(st.plotBox)
	}
	numBox := container.New(layout.NewCustomPaddedLayout(0, 0, 4, 10), num)
	st.root = container.NewStack(widgets.NewPanelBackground(),
		container.New(layout.NewCustomPaddedLayout(6, 6, 8, 8), container.NewBorder(nil, nil, container.NewVBox(numBox), nil, body)))
	return st
}

// show sets the step's result: ok true/false, or neutral (nil).
func (st *babyStep) show(ok *bool, text string) {
	st.result.SetText(text)
	st.result.TextStyle.Italic = false
	switch {
	case ok == nil:
		st.icon.SetResource(theme.InfoIcon())
		st.result.Importance = widget.MediumImportance
	case *ok:
		st.icon.SetResource(theme.ConfirmIcon())
		st.result.Importance = widget.SuccessImportance
	default:
		st.icon.SetResource(theme.WarningIcon())
		st.result.Importance = widget.WarningImportance
	}
	st.result.Refresh()
	st.relayout()
}

func (st *babyStep) relayout() {
	if st.changed != nil {
		st.changed()
	}
}

func (st *babyStep) clear() {
	st.result.SetText("Not run yet.")
	st.result.Importance = widget.MediumImportance
	st.result.TextStyle.Italic = true
	st.result.Refresh()
	st.icon.SetResource(nil)
	st.extra.Objects = nil
	st.extra.Refresh()
	if st.plotBox != nil {
		st.plotBox.Hide()
	}
	st.relayout()
}

func boolp(b bool) *bool { return &b }

// babysitView is the Babysitting tab: the lecture's way to start training
// a network, as six guided steps each ending with a result in words.
type babysitView struct {
	p    *trainPane
	root fyne.CanvasObject

	initial, overfit, finder, coarse, refine, diagnose *babyStep
	batches, steps                                     *widget.Entry
	suggested                                          float64
}

func newBabysitView(p *trainPane) *babysitView {
	v := &babysitView{p: p}
	v.batches = widget.NewEntry()
	v.batches.SetText("5")
	v.steps = widget.NewEntry()
	v.steps.SetText("100")
	small := func(e *widget.Entry, label string) fyne.CanvasObject {
		return container.NewHBox(widget.NewLabel(label), container.New(&widgets.MinWidth{W: 60}, e))
	}
	v.initial = newBabyStep(1, "Check the initial loss",
		"With small random weights every class is about equally likely, so the first softmax loss should be close to "+
			"log(C) (C−1 for the SVM loss). It is measured on 500 training images with regularisation off: no weight "+
			"decay added, dropout in evaluation mode.", nil,
		widget.NewButtonWithIcon("Measure", theme.MediaPlayIcon(), v.runInitial), false)
	v.overfit = newBabyStep(2, "Overfit a few mini-batches",
		"Train on a handful of mini-batches with regularisation and augmentation off until they are classified "+
			"100% correctly. A network that cannot learn 5–10 batches by heart has a bug, or a learning rate far off.",
		[]fyne.CanvasObject{small(v.batches, "batches")},
		widget.NewButtonWithIcon("Overfit", theme.MediaPlayIcon(), v.runOverfit), true)
	v.finder = newBabyStep(3, "Find a learning rate",
		"Sweep the learning rate log-uniformly from 1e-7 to 10 over about 100 iterations and watch the loss: "+
			"the rate where it falls fastest is a good start (Smith's range test). The sweep changes a throw-away copy "+
			"of the network.",
		[]fyne.CanvasObject{small(v.steps, "iterations")},
		widget.NewButtonWithIcon("Sweep", theme.MediaPlayIcon(), v.runFinder), true)
	v.coarse = newBabyStep(4, "Coarse random search",
		"Try a few configurations for 1–5 epochs each, with the learning rate and weight decay drawn log-uniformly "+
			"over wide ranges, and rank them by validation accuracy. The Search tab holds the ranges, the results "+
			"table and the command-centre plots.", nil,
		widget.NewButtonWithIcon("Run coarse search", theme.SearchIcon(), func() {
			p.search.presetCoarse(v.suggested)
			p.tabs.SelectIndex(3)
			p.search.run()
		}), false)
	v.refine = newBabyStep(5, "Refine around the best, then train longer",
		"Search again in narrower ranges around the best configuration, then copy the best settings into the project "+
			"and train for the full number of epochs.", nil,
		widget.NewButtonWithIcon("Refine search", theme.SearchIcon(), func() {
			if p.search.refine() {
				p.tabs.SelectIndex(3)
				p.search.run()
			}
		}), false)
	v.diagnose = newBabyStep(6, "Read the curves",
		"A large gap between training and validation accuracy is overfitting (regularise, add data, stop earlier); "+
			"no gap at a low accuracy is underfitting (a bigger model, a higher rate, longer); a loss that explodes to "+
			"NaN means the learning rate is too high or the initialisation is bad.", nil, nil, false)
	col := container.NewVBox(v.initial.root, v.overfit.root, v.finder.root, v.coarse.root, v.refine.root, v.diagnose.root)
	scroll := container.NewVScroll(container.New(layout.NewCustomPaddedLayout(6, 6, 6, 10), col))
	v.root = scroll
	for _, st := range []*babyStep{v.initial, v.overfit, v.finder, v.coarse, v.refine, v.diagnose} {
		st.clear()
		st.changed = scroll.Refresh
	}
	return v
}

// reset forgets the results (another project).
func (v *babysitView) reset() {
	for _, st := range []*babyStep{v.initial, v.overfit, v.finder, v.coarse, v.refine, v.diagnose} {
		st.clear()
	}
	v.refine.extra.Objects = v.refine.extra.Objects[:0]
	v.suggested = 0
	v.restoreSteps()
	v.refresh()
}

// refresh updates the steps that read the project: the search summary and
// the diagnosis of the newest run.
func (v *babysitView) refresh() {
	v.refreshControls()
	v.showSearch()
	pr := v.p.h.Project()
	if pr == nil || len(pr.Runs) == 0 {
		v.diagnose.show(nil, "No run yet: train one (step 5, or Start) and its curves are read here.")
		return
	}
	r := &pr.Runs[len(pr.Runs)-1]
	d := v.p.diagnose(r, nil)
	ok := d.Kind == "healthy"
	text := fmt.Sprintf("Run %s: %s.", r.ID, d.Message)
	if d.Kind == "no-validation" || d.Kind == "not-learning" && len(r.Epochs) == 0 {
		v.diagnose.show(nil, text)
		return
	}
	v.diagnose.show(&ok, text)
}

// runFinished reads the curves of a run that just ended.
func (v *babysitView) runFinished() { v.refresh() }

// showSearch sums up the newest search in steps 4 and 5.
func (v *babysitView) showSearch() {
	sv := v.p.search
	if len(sv.trials) == 0 || sv.running {
		return
	}
	best, ok := sv.best()
	if !ok {
		v.coarse.show(boolp(false), "Every configuration diverged or failed: lower the learning-rate range.")
		return
	}
	text := fmt.Sprintf("Best of %d configurations: %s, validation accuracy %s after %s.",
		len(sv.trials), paramsInWords(best.Params), widgets.Pct(best.ValAcc), widgets.Plural(len(best.History), "epoch"))
	if sv.refined {
		v.refine.show(boolp(true), "Refined. "+text+" Use it to train for the project's epochs.")
	} else {
		v.coarse.show(boolp(true), text)
		v.refine.show(nil, "Ready to refine around "+paramsInWords(best.Params)+".")
	}
	if len(v.refine.extra.Objects) == 0 {
		v.refine.extra.Add(widget.NewButtonWithIcon("Use the best and train", theme.MediaPlayIcon(), func() {
			if v.p.search.promote() {
				v.p.tabs.SelectIndex(0)
				v.p.startTraining()
			}
		}))
	}
}

// paramsInWords is "learning rate 0.0031, weight decay 1.2e-5".
func paramsInWords(ps map[string]float64) string {
	var parts []string
	if v, ok := ps["lr"]; ok {
		parts = append(parts, "learning rate "+shortNum(v))
	}
	if v, ok := ps["weight_decay"]; ok {
		parts = append(parts, "weight decay "+shortNum(v))
	}
	return strings.Join(parts, ", ")
}

// refreshControls enables the steps when a run could start.
func (v *babysitView) refreshControls() {
	ready := v.p.blocker() == nil && !v.p.job.Running()
	for _, st := range []*babyStep{v.initial, v.overfit, v.finder, v.coarse, v.refine} {
		if st.run == nil {
			continue
		}
		if ready {
			st.run.Enable()
		} else {
			st.run.Disable()
		}
	}
	if ready && len(v.p.search.trials) == 0 {
		v.refine.run.Disable()
	}
	for _, o := range v.refine.extra.Objects {
		if b, ok := o.(*widget.Button); ok {
			if ready && len(v.p.search.trials) > 0 {
				b.Enable()
			} else {
				b.Disable()
			}
		}
	}
}

// runStep runs a step's work on the pane's job, with fresh model and data
// prepared from the settings shown.
func (v *babysitView) runStep(st *babyStep, what string, work func(ctx context.Context, pr *runs.Prepared, progress widgets.Report) (func(), error)) {
	p := v.p
	if p.blocker() != nil {
		p.refreshControls()
		return
	}
	g, ds, rs, proj := cloneGraph(p.h.Project().Graph), p.h.Dataset(), p.form.rs, p.h.Project()
	var show func()
	st.show(nil, what)
	p.notice.Hide() // it spoke of the last training run
	err := p.job.Start(what, func(ctx context.Context, progress widgets.Report) error {
		pr, err := prepareRun(g, ds, rs)
		if err != nil {
			return err
		}
		show, err = work(ctx, pr, progress)
		return err
	}, func(err error) {
		p.refreshControls()
		if p.h.Project() != proj {
			return
		}
		switch {
		case widgets.Cancelled(err):
			st.show(nil, "Cancelled.")
		case err != nil:
			st.show(boolp(false), widgets.FirstUpper(err.Error())+".")
		case show != nil:
			show()
		}
	})
	if err != nil {
		st.show(boolp(false), widgets.FirstUpper(err.Error())+".")
		return
	}
	p.refreshControls()
}

func (v *babysitView) runInitial() {
	st := v.initial
	v.runStep(st, "Measuring the initial loss…", func(ctx context.Context, pr *runs.Prepared, progress widgets.Report) (func(), error) {
		res, err := train.InitialLoss(ctx, pr.Model, pr.Train, train.EvalOptions{Stats: pr.Stats, Loss: pr.Config.Loss}, 500)
		if err != nil {
			return nil, err
		}
		return func() {
			st.show(&res.OK, widgets.FirstUpper(res.Message)+".")
			v.recordStep(stepInitial, res.OK, st.result.Text, 0)
		}, nil
	})
}

func (v *babysitView) runOverfit() {
	st := v.overfit
	n, err := strconv.Atoi(strings.TrimSpace(v.batches.Text))
	if err != nil || n < 1 || n > 50 {
		st.show(boolp(false), "Batches must be a whole number from 1 to 50 (5–10 is the lecture's advice).")
		return
	}
	v.runStep(st, fmt.Sprintf("Overfitting %d mini-batches…", n), func(ctx context.Context, pr *runs.Prepared, progress widgets.Report) (func(), error) {
		cfg := pr.Config
		cfg.Epochs = 200
		res, err := train.Overfit(ctx, pr.Model, pr.Train, cfg, n, func(done, total int) {
			progress(done, total, fmt.Sprintf("Overfitting %d mini-batches: epoch %d (at most %d)…", n, done, total))
		})
		if err != nil {
			return nil, err
		}
		return func() {
			st.show(&res.OK, widgets.FirstUpper(res.Message)+".")
			v.recordStep(stepOverfit, res.OK, st.result.Text, 0)
			st.plot.SetPlot(overfitPlot(res.History))
			st.plotBox.Show()
			st.relayout()
		}, nil
	})
}

// finderTrial is the length of the trial that validates the finder's
// suggestion for the optimizer in use (train.ValidateLR).
const finderTrial = 100

func (v *babysitView) runFinder() {
	st := v.finder
	n, err := strconv.Atoi(strings.TrimSpace(v.steps.Text))
	if err != nil || n < 10 || n > 5000 {
		st.show(boolp(false), "Iterations must be a whole number from 10 to 5,000 (about 100 is enough).")
		return
	}
	v.runStep(st, "Sweeping the learning rate…", func(ctx context.Context, pr *runs.Prepared, progress widgets.Report) (func(), error) {
		cfg := pr.Config
		res, err := train.FindLR(ctx, pr.Model, pr.Train, train.LRFinderConfig{Optimizer: cfg.Optimizer, Optim: cfg.Optim,
			Batch: cfg.Batch, Steps: n, Stats: pr.Stats, Seed: cfg.Seed, Loss: cfg.Loss, Validate: finderTrial, Progress: progress})
		if err != nil {
			return nil, err
		}
		return func() { v.showFinder(res) }, nil
	})
}

// showFinder shows the sweep and offers its suggestion.
func (v *babysitView) showFinder(res *train.LRFinderResult) {
	st := v.finder
	st.plot.SetPlot(lrFinderPlot(res))
	st.plotBox.Show()
	st.relayout()
	st.extra.Objects = nil
	if res.Suggested <= 0 {
		st.show(boolp(false), widgets.FirstUpper(res.Message)+".")
		v.recordStep(stepFinder, false, st.result.Text, 0)
		st.extra.Refresh()
		return
	}
	lr := roundSig(res.Suggested, 2)
	v.suggested = lr
	st.show(boolp(true), widgets.FirstUpper(res.Message)+".")
	v.recordStep(stepFinder, true, st.result.Text, lr)
	// The trial's verdict, read by the same diagnosis as the runs'.
	if n := len(res.Trials); n > 0 {
		st.extra.Add(diagnosisCard(res.Trials[0].Verdict))
		if n > 1 {
			st.extra.Add(diagnosisCard(res.Trials[n-1].Verdict))
		}
	}
	st.extra.Add(v.useButton(lr))
	st.extra.Refresh()
	st.relayout()
}

// useButton sets the project's learning rate to the finder's lr.
func (v *babysitView) useButton(lr float64) *widget.Button {
	use := widget.NewButtonWithIcon("Use "+shortNum(lr), theme.ConfirmIcon(), func() {
		v.p.form.lr.SetText(strconv.FormatFloat(lr, 'g', -1, 64))
		v.finder.show(boolp(true), fmt.Sprintf("The learning rate is now %s.", shortNum(lr)))
	})
	// A plain button: white on the primary colour was hard to read with a
	// light primary (green, yellow) in the user's settings.
	return use
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	return f
}
