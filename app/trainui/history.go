package trainui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// runEval is a run's evaluation on the test split.
type runEval struct {
	runID   string
	which   string // which weights: "final weights", "best validation weights (epoch 3)"
	res     *train.EvalResult
	set     *data.Set // the split evaluated (for the mistakes' pictures)
	classes []string
}

func newRunEval(id, which string, res *train.EvalResult, ds *data.Dataset) *runEval {
	e := &runEval{runID: id, which: which, res: res}
	if ds != nil {
		e.set = ds.Test
		e.classes = ds.Test.Classes
	}
	return e
}

// runsView is the Runs tab: the project's run history, newest first; the
// selected run's curves, settings and diagnosis; and its evaluation on the
// test split (accuracy and loss, the confusion matrix as a heat map, the
// accuracy per class and a gallery of misclassified images with their top
// predictions).
type runsView struct {
	p     *trainPane
	root  *fyne.Container
	list  *widget.List
	ids   []string // newest first
	sel   string
	count int // runs when last refreshed

	title, sub                     *widget.Label
	evalBtn, useBtn, delB, contBtn *widget.Button
	contWhy                        *widget.Label // why Continue is greyed out
	chips                          *fyne.Container
	loss, acc                      *widgets.PlotView
	diag                           *fyne.Container
	evalBox                        *fyne.Container
	conf, perClass                 *widgets.PlotView
	detail                         fyne.CanvasObject
	detailTabs                     *container.AppTabs
	empty                          fyne.CanvasObject
	split                          *container.Split
}

func newRunsView(p *trainPane) *runsView {
	v := &runsView{p: p, root: container.NewStack()}
	v.list = widget.NewList(func() int { return len(v.ids) },
		func() fyne.CanvasObject {
			t := widget.NewLabelWithStyle("r10 — finished", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			d := widget.NewLabel("val 88.8% · test 88.1%")
			d.SizeName = theme.SizeNameCaptionText
			d.Truncation = fyne.TextTruncateEllipsis
			return container.New(layout.NewCustomPaddedLayout(-4, -4, 0, 0), container.NewVBox(t, d))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			box := o.(*fyne.Container).Objects[0].(*fyne.Container)
			r := p.h.Project().Run(v.ids[i])
			if r == nil {
				return
			}
			box.Objects[0].(*widget.Label).SetText(runTitle(r))
			box.Objects[1].(*widget.Label).SetText(runLine(r))
		})
	v.list.OnSelected = func(i widget.ListItemID) {
		if i < len(v.ids) && v.sel != v.ids[i] {
			v.sel = v.ids[i]
			v.showSelected()
		}
	}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.sub = widgets.WrapLabel("")
	v.evalBtn = widget.NewButtonWithIcon("Evaluate on the test split", theme.MediaPlayIcon(), func() { v.evaluate(v.sel) })
	v.evalBtn.Importance = widget.HighImportance
	v.useBtn = widget.NewButtonWithIcon("Use these settings", theme.ContentCopyIcon(), v.useSettings)
	v.delB = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), v.deleteRun)
	v.contBtn = widget.NewButtonWithIcon("Continue", theme.MediaPlayIcon(), func() {
		if err := p.resumeRun(v.sel); err != nil {
			v.sub.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	v.chips = container.NewHBox()
	v.loss = widgets.NewPlotView(nil)
	v.acc = widgets.NewPlotView(nil)
	v.loss.Min, v.acc.Min = fyne.NewSize(260, 200), fyne.NewSize(220, 200)
	v.diag = container.NewStack()
	curves := container.NewBorder(nil, v.diag, nil, nil, container.New(&ratioColumns{ratio: 0.55}, widgets.PlotCard(v.loss), widgets.PlotCard(v.acc)))
	v.conf = widgets.NewPlotView(nil)
	v.perClass = widgets.NewPlotView(nil)
	v.conf.Min, v.perClass.Min = fyne.NewSize(300, 250), fyne.NewSize(220, 250)
	v.evalBox = container.NewStack()
	v.detailTabs = container.NewAppTabs(
		container.NewTabItem("Curves", curves),
		container.NewTabItem("Evaluation", v.evalBox))
	buttons := container.NewHBox(v.evalBtn, v.contBtn, v.useBtn, v.delB)
	v.contWhy = widgets.WrapLabel("")
	v.contWhy.SizeName = theme.SizeNameCaptionText
	v.contWhy.Hide()
	head := container.NewVBox(v.title, v.sub, v.chips, buttons, v.contWhy)
	v.detail = container.New(layout.NewCustomPaddedLayout(4, 6, 6, 6), container.NewBorder(head, nil, nil, nil, v.detailTabs))
	e := widgets.NewEmptyState(theme.HistoryIcon(), "Run history",
		"Every training run is kept in the project with its settings, its loss and accuracy curves, its checkpoints "+
			"and its test results, so runs can be compared, evaluated again and their settings reused.")
	e.Steps = []string{"No run yet: press Start to train one."}
	v.empty = e
	listCol := container.New(layout.NewCustomPaddedLayout(4, 4, 4, 0), container.NewBorder(
		widget.NewLabelWithStyle("Runs, newest first", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, nil, nil, v.list))
	v.split = container.NewHSplit(listCol, v.detail)
	v.split.Offset = 0.24
	v.refresh()
	return v
}

// runLine sums up a run's results in one line.
func runLine(r *projects.Run) string {
	s := hyperSummary(r.Hyper)
	if a := r.Adversarial; a != nil {
		s += ", " + advSummary(a)
	}
	if best, at := bestVal(r.Epochs); at > 0 {
		s = "val " + widgets.Pct(best) + " · " + s
	}
	if r.Tested {
		s = "test " + widgets.Pct(r.TestAcc) + " · " + s
	}
	return s
}

// refresh follows the project's run history.
func (v *runsView) refresh() {
	pr := v.p.h.Project()
	v.ids = v.ids[:0]
	if pr != nil {
		for i := len(pr.Runs) - 1; i >= 0; i-- {
			v.ids = append(v.ids, pr.Runs[i].ID)
		}
	}
	if len(v.ids) == 0 {
		v.sel = ""
		v.root.Objects = []fyne.CanvasObject{v.empty}
		v.root.Refresh()
		return
	}
	if pr.Run(v.sel) == nil || len(v.ids) > v.count {
		v.sel = v.ids[0] // the newest run, also when one was just added
	}
	v.count = len(v.ids)
	v.list.Refresh()
	for i, id := range v.ids {
		if id == v.sel {
			v.list.Select(i)
		}
	}
	v.root.Objects = []fyne.CanvasObject{v.split}
	v.root.Refresh()
	v.showSelected()
}

// refreshControls enables what the selected run allows.
func (v *runsView) refreshControls() {
	busy := v.p.job.Running()
	r := v.p.h.Project().Run(v.sel)
	live := v.p.live != nil && v.p.live.id == v.sel
	can := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	_, _, hasWeights := runWeightsOf(v.p.h.Project(), r)
	can(v.evalBtn, r != nil && !busy && hasWeights && v.p.h.Dataset() != nil && v.p.h.Dataset().Test.Len() > 0)
	can(v.useBtn, r != nil && !busy)
	can(v.delB, r != nil && !busy && !live)
	_, err := resumable(v.p.h.Project(), v.sel)
	b := v.p.blocker()
	can(v.contBtn, r != nil && !busy && err == nil && b == nil)
	why := ""
	switch {
	case r == nil:
	case err != nil:
		why = "Continue is off: " + err.Error() + "."
	case busy:
		why = "Continue is off while a job runs; wait for it or cancel it."
	case b != nil:
		why = "Continue is off. " + b.msg
	}
	if why != v.contWhy.Text {
		v.contWhy.SetText(why)
	}
	if why == "" {
		v.contWhy.Hide()
	} else {
		v.contWhy.Show()
	}
}

func runWeightsOf(p *projects.Project, r *projects.Run) (map[string]projects.Tensor, string, bool) {
	if r == nil {
		return nil, "", false
	}
	return runs.Weights(p, r)
}

// showSelected draws the selected run.
func (v *runsView) showSelected() {
	r := v.p.h.Project().Run(v.sel)
	if r == nil {
		return
	}
	v.title.SetText(runTitle(r))
	sub := runSubtitle(r)
	if r.Notes != "" {
		sub += ". " + widgets.FirstUpper(r.Notes) + "."
	}
	if n := len(r.Snapshots); n > 0 {
		sub += fmt.Sprintf(". Weights kept after %s, %s: the Filters pane's slider and the Embeddings pane's replay step through them",
			widgets.Plural(n, "epoch"), projects.SnapshotSchedule(r))
	}
	v.sub.SetText(sub)
	var chips []fyne.CanvasObject
	if best, at := bestVal(r.Epochs); at > 0 {
		chips = append(chips, statChip("Best validation", fmt.Sprintf("%s (epoch %d)", widgets.Pct(best), at)))
	}
	if n := len(r.Epochs); n > 0 {
		chips = append(chips, statChip("Final train accuracy", widgets.PercentOrDash(r.Epochs[n-1].TrainAcc)))
	}
	if r.Tested {
		chips = append(chips, statChip("Test accuracy", widgets.Pct(r.TestAcc)), statChip("Test loss", fmtLoss(r.TestLoss)))
	}
	v.chips.Objects = chips
	v.chips.Refresh()
	c := curveOfRun(r)
	v.loss.SetPlot(lossPlot(c))
	v.acc.SetPlot(accuracyPlot(c))
	v.diag.Objects = []fyne.CanvasObject{diagnosisCard(v.p.diagnose(r, nil))}
	v.diag.Refresh()
	v.showEval()
	v.refreshControls()
}

// showEval draws the selected run's evaluation, or how to get one.
func (v *runsView) showEval() {
	r := v.p.h.Project().Run(v.sel)
	ev := v.p.evals[v.sel]
	if r == nil || ev == nil || ev.res == nil {
		msg := "Evaluate the run on the test split to see its confusion matrix, its accuracy per class and the images it gets wrong."
		_, which, ok := runWeightsOf(v.p.h.Project(), r)
		switch {
		case !ok:
			msg = "This run's weights are not in the project (only the newest run keeps its final weights, and every run its best-validation snapshot): it cannot be evaluated again."
		case v.p.h.Dataset() == nil:
			msg = "Load the dataset (press Start's Load button, or use the Data pane) to evaluate the run's " + which + " on the test split."
		default:
			msg = "Evaluate the run's " + which + " on the test split to see its confusion matrix, its accuracy per class and the images it gets wrong."
		}
		l := widget.NewLabel(msg)
		l.Wrapping = fyne.TextWrapWord
		l.Alignment = fyne.TextAlignCenter
		v.evalBox.Objects = []fyne.CanvasObject{container.NewCenter(container.New(&widgets.MinWidth{W: 380}, l))}
		v.evalBox.Refresh()
		return
	}
	res := ev.res
	classes := ev.classes
	v.conf.SetPlot(confusionPlot(res.Confusion, classes))
	v.perClass.SetPlot(perClassPlot(res.PerClass, classes))
	head := widget.NewLabel(fmt.Sprintf("%s on %s test images: accuracy %s, loss %s.", widgets.FirstUpper(ev.which), widgets.Thousands(res.N), widgets.Pct(res.Acc), fmtLoss(res.Loss)))
	head.Wrapping = fyne.TextWrapWord
	head.TextStyle.Bold = true
	worst, worstAcc := -1, 2.0
	for i, a := range res.PerClass {
		if !math.IsNaN(a) && a < worstAcc {
			worst, worstAcc = i, a
		}
	}
	if worst >= 0 && worst < len(classes) {
		head.SetText(head.Text + fmt.Sprintf(" Hardest class: %s (%s).", classes[worst], widgets.Pct(worstAcc)))
	}
	mistakes := res.Misclassified
	gallery := widgets.NewImageGrid(func() int { return len(mistakes) },
		func(i int) image.Image {
			if ev.set == nil || mistakes[i].Index >= ev.set.Len() {
				return image.NewGray(image.Rect(0, 0, 1, 1))
			}
			return ev.set.Picture(mistakes[i].Index)
		},
		func(i int) string { return mistakeLabel(mistakes[i], classes) })
	gallery.ThumbSize = 72
	gallery.LabelColor = func(int) color.Color { return colBad }
	gallery.OnSelected = func(i int) {
		m := mistakes[i]
		text := "True class: " + className(classes, m.Label) + "\n"
		for _, t := range m.Top {
			text += fmt.Sprintf("\n%s  %.1f%%", className(classes, t.Class), 100*t.Prob)
		}
		if v.p.h.Window() != nil {
			dialog.ShowInformation(fmt.Sprintf("Test image %d", m.Index), text, v.p.h.Window())
		}
	}
	galleryCard := widgets.Card(fmt.Sprintf("Misclassified: the first %d, captioned with the top prediction (tap one for its true class and top 3)", len(mistakes)), gallery)
	top := container.New(&ratioColumns{ratio: 0.55}, widgets.PlotCard(v.conf), widgets.PlotCard(v.perClass))
	v.evalBox.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(head, top), nil, nil, nil, galleryCard)}
	v.evalBox.Refresh()
}

func className(classes []string, i int) string {
	if i >= 0 && i < len(classes) {
		return classes[i]
	}
	return fmt.Sprintf("class %d", i)
}

// mistakeLabel is "Shirt → T-shirt 61%".
func mistakeLabel(m train.Mistake, classes []string) string {
	if len(m.Top) == 0 {
		return widgets.Short(className(classes, m.Label))
	}
	return fmt.Sprintf("%s %.0f%%", widgets.Short(className(classes, m.Top[0].Class)), 100*m.Top[0].Prob)
}

// evaluate runs the run's weights on the test split.
func (v *runsView) evaluate(id string) {
	p := v.p
	pr := p.h.Project()
	r := pr.Run(id)
	ds := p.h.Dataset()
	if r == nil || ds == nil || ds.Test.Len() == 0 {
		return
	}
	ws, which, ok := runs.Weights(pr, r)
	if !ok {
		return
	}
	st, err := runs.Stats(pr, ds.Test.C, ds.Test.H, ds.Test.W)
	if err != nil {
		v.sub.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	g, loss := cloneGraph(pr.Graph), loadRunSettings(pr).Train.Loss
	var res *train.EvalResult
	err = p.job.Start("Evaluating run "+id+" on the test split…", func(ctx context.Context, progress widgets.Report) error {
		var err error
		res, err = evaluateWeights(ctx, g, ws, ds.Test, st, loss)
		return err
	}, func(err error) {
		p.refreshControls()
		if p.h.Project() != pr {
			return
		}
		if err != nil {
			if !widgets.Cancelled(err) {
				v.sub.SetText(widgets.FirstUpper(err.Error()) + ".")
			}
			return
		}
		p.evals[id] = newRunEval(id, which, res, ds)
		if v.sel == id {
			v.showSelected()
			v.detailTabs.SelectIndex(1)
		}
	})
	if err == nil {
		p.refreshControls()
	}
}

// useSettings copies the selected run's settings into the project.
func (v *runsView) useSettings() {
	r := v.p.h.Project().Run(v.sel)
	if r == nil {
		return
	}
	rs := v.p.form.rs
	rs.Hyper = r.Hyper
	rs.Hyper.Augment = append([]string(nil), r.Hyper.Augment...)
	v.p.form.set(rs)
	v.p.settingsChanged(rs, "")
	summary := hyperSummary(r.Hyper)
	if a, err := runs.AdversarialConfig(r.Adversarial); err == nil {
		v.p.adv.set(a)
		if a != nil {
			summary += ", " + advSummary(r.Adversarial)
		}
	}
	v.sub.SetText(fmt.Sprintf("The settings of run %s are now the project's: %s.", r.ID, summary))
}

// deleteRun removes the selected run and its checkpoints, after asking.
func (v *runsView) deleteRun() {
	id := v.sel
	pr := v.p.h.Project()
	if pr.Run(id) == nil {
		return
	}
	do := func() {
		pr.DeleteRun(id)
		delete(v.p.evals, id)
		v.p.h.MarkDirty()
	}
	if v.p.h.Window() == nil {
		do()
		return
	}
	dialog.ShowConfirm("Delete run "+id+"?",
		"The run's history, checkpoints and evaluation are removed from the project (the project's current weights stay).",
		func(ok bool) {
			if ok {
				do()
			}
		}, v.p.h.Window())
}
