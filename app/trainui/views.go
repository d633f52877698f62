package trainui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// statChip is a small figure with its caption ("Images/s", "912").
func statChip(caption, value string) fyne.CanvasObject {
	c := canvas.NewText(caption, theme.Color(theme.ColorNamePlaceHolder))
	c.TextSize = theme.CaptionTextSize()
	v := canvas.NewText(value, theme.Color(theme.ColorNameForeground))
	v.TextStyle.Bold = true
	v.TextSize = theme.TextSize() * 1.15
	return container.NewStack(widgets.NewPanelBackground(),
		container.New(layout.NewCustomPaddedLayout(4, 4, 10, 10), container.NewVBox(c, v)))
}

// diagnosisRow shows a diagnosis with an icon for its kind.
func diagnosisRow(d train.Diagnosis) fyne.CanvasObject {
	icon := theme.InfoIcon()
	imp := widget.MediumImportance
	switch d.Kind {
	case "healthy":
		icon, imp = theme.ConfirmIcon(), widget.SuccessImportance
	case "overfitting", "underfitting", "still-learning", "lr-too-low":
		icon, imp = theme.WarningIcon(), widget.WarningImportance
	case "diverged", "not-learning", "dead-units", "lr-too-high":
		icon, imp = theme.ErrorIcon(), widget.DangerImportance
	}
	l := widget.NewLabel(widgets.FirstUpper(d.Message) + ".")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	head := widget.NewLabelWithStyle(diagnosisTitle(d.Kind), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(icon), head), nil, l)
}

func diagnosisTitle(kind string) string {
	switch kind {
	case "healthy":
		return "Healthy:"
	case "overfitting":
		return "Overfitting:"
	case "underfitting":
		return "Underfitting:"
	case "diverged":
		return "Diverged:"
	case "not-learning":
		return "Not learning:"
	case "no-validation":
		return "No validation:"
	case "dead-units":
		return "Dead units:"
	case "lr-too-high":
		return "Learning rate too high:"
	case "lr-too-low":
		return "Learning rate too low:"
	case "still-learning":
		return "Still learning:"
	}
	return "Diagnosis:"
}

// curvesView is the Curves tab: the run in progress, or the newest run of
// the history, as loss and accuracy curves with its figures and a reading
// of the curves.
type curvesView struct {
	p     *trainPane
	root  *fyne.Container
	title *widget.Label
	sub   *widget.Label
	chips *fyne.Container
	loss  *widgets.PlotView
	acc   *widgets.PlotView
	diag  *fyne.Container
	body  fyne.CanvasObject
	// shown is the run ID on display ("" for the empty state).
	shown string
	// live counts the live updates drawn (tests); lastPlot is when the
	// live plots were last replaced.
	live     int
	lastPlot time.Time
}

// livePlotEvery is the shortest time between two redraws of the live
// plots. Drawing a plot of a thousand points takes tens of milliseconds of
// CPU that training would rather have, so the plots follow the run twice a
// second while the figures above them follow it ten times a second.
const livePlotEvery = 500 * time.Millisecond

func newCurvesView(p *trainPane) *curvesView {
	v := &curvesView{p: p, root: container.NewStack()}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.sub = widget.NewLabel("")
	v.sub.Truncation = fyne.TextTruncateEllipsis
	v.chips = container.NewHBox()
	v.loss = widgets.NewPlotView(nil)
	v.loss.Min = fyne.NewSize(300, 200)
	v.acc = widgets.NewPlotView(nil)
	v.acc.Min = fyne.NewSize(240, 200)
	v.diag = container.NewStack()
	head := container.NewBorder(nil, nil, nil, nil, container.NewVBox(
		container.NewBorder(nil, nil, v.title, nil, v.sub), v.chips))
	plots := container.New(&ratioColumns{ratio: 0.58}, widgets.PlotCard(v.loss), widgets.PlotCard(v.acc))
	v.body = container.New(layout.NewCustomPaddedLayout(4, 6, 6, 6),
		container.NewBorder(head, container.New(layout.NewCustomPaddedLayout(4, 0, 0, 0), v.diag), nil, nil, plots))
	return v
}

// showLatest shows the newest run of the history, or what to do first.
func (v *curvesView) showLatest() {
	pr := v.p.h.Project()
	if pr == nil || len(pr.Runs) == 0 {
		v.shown = ""
		v.root.Objects = []fyne.CanvasObject{v.emptyState()}
		v.root.Refresh()
		return
	}
	r := &pr.Runs[len(pr.Runs)-1]
	v.showRun(r)
}

// emptyState says what to do before the first run.
func (v *curvesView) emptyState() *widgets.EmptyState {
	p := v.p
	e := widgets.NewEmptyState(theme.MediaPlayIcon(), "Train",
		"Train the network on the dataset with the settings on the left and watch the loss and accuracy curves "+
			"live, with per-layer statistics. Every run is kept in the project's history with its metrics and weights, "+
			"and the Babysitting tab walks through the course's checks before a long run.")
	if b := p.blocker(); b != nil {
		e.Steps = []string{b.msg}
		if b.action != "" && b.do != nil {
			e.ActionLabel, e.OnAction = b.action, b.do
		}
	} else {
		e.Steps = []string{"Press Start to train with the settings on the left; the curves appear here as the network learns.",
			"Or check the setup first in the Babysitting tab: the initial loss, overfitting a few batches, a learning-rate finder."}
		e.ActionLabel, e.OnAction = "Start", p.startTraining
	}
	path := "FILE.wbproj"
	if p.h.ProjectPath() != "" {
		path = ui.ShellQuote(p.h.ProjectPath())
	}
	e.Command = "workbench train --project " + path + " --save " + path
	return e
}

// showRun draws a run of the history.
func (v *curvesView) showRun(r *projects.Run) {
	v.shown = r.ID
	v.title.SetText(runTitle(r))
	v.sub.SetText(runSubtitle(r))
	var chips []fyne.CanvasObject
	chips = append(chips, statChip("Epochs", fmt.Sprintf("%d / %d", len(r.Epochs), r.Hyper.Epochs)))
	if n := len(r.Epochs); n > 0 {
		last := r.Epochs[n-1]
		chips = append(chips, statChip("Train accuracy", widgets.PercentOrDash(last.TrainAcc)))
		if !math.IsNaN(last.ValAcc) {
			chips = append(chips, statChip("Validation accuracy", widgets.Pct(last.ValAcc)))
		}
		if best, at := bestVal(r.Epochs); at > 0 {
			chips = append(chips, statChip("Best validation", fmt.Sprintf("%s (epoch %d)", widgets.Pct(best), at)))
		}
		ips, secs := 0.0, 0.0
		for _, e := range r.Epochs {
			ips += e.ImagesPerSec
			secs += e.Seconds
		}
		chips = append(chips, statChip("Images / s", widgets.Thousands(int(math.Round(ips/float64(n))))))
		chips = append(chips, statChip("Time", fmtDuration(secondsDur(secs))))
	}
	if r.Tested {
		chips = append(chips, statChip("Test accuracy", widgets.Pct(r.TestAcc)))
	}
	v.chips.Objects = chips
	v.chips.Refresh()
	c := curveOfRun(r)
	v.loss.SetPlot(lossPlot(c))
	v.acc.SetPlot(accuracyPlot(c))
	v.setDiagnosis(v.p.diagnose(r, nil), len(r.Epochs), r.Notes, r.Status)
	v.root.Objects = []fyne.CanvasObject{v.body}
	v.root.Refresh()
}

// showLive draws the run in progress.
func (v *curvesView) showLive(lr *liveRun) {
	v.shown = lr.id
	v.live++
	s := lr.last
	it := s.it
	state := "training"
	if lr.trainer != nil && lr.trainer.Paused() {
		state = "paused"
	}
	if it.Total == 0 {
		state = "starting"
	}
	if lr.torchrun != "" {
		state = "training under torchrun"
	}
	v.title.SetText(fmt.Sprintf("Run %s — %s", lr.id, state))
	sub := ""
	if r := lr.run(); r != nil {
		sub = hyperSummary(r.Hyper)
		if lr.device != "" {
			sub += " · " + lr.device
		}
	}
	v.sub.SetText(sub)
	chips := []fyne.CanvasObject{statChip("Epoch", fmt.Sprintf("%d / %d", max(it.Epoch, 1), lr.planned))}
	if it.Total > 0 {
		chips = append(chips, statChip("Iteration", fmt.Sprintf("%s / %s", widgets.Thousands(it.Iteration), widgets.Thousands(it.Total))))
		chips = append(chips, statChip("Loss", fmt.Sprintf("%.3f", it.Loss)))
		chips = append(chips, statChip("Images / s", widgets.Thousands(int(math.Round(it.ImagesPerSec)))))
		chips = append(chips, statChip("Time left", fmtDuration(it.ETA)))
	}
	if n := len(s.epochs); n > 0 {
		chips = append(chips, statChip("Validation accuracy", widgets.PercentOrDash(s.epochs[n-1].ValAcc)))
	}
	v.chips.Objects = chips
	v.chips.Refresh()
	if time.Since(v.lastPlot) >= livePlotEvery || len(v.root.Objects) == 0 || v.root.Objects[0] != v.body {
		v.lastPlot = time.Now()
		c := lr.curve()
		v.loss.SetPlot(lossPlot(c))
		v.acc.SetPlot(accuracyPlot(c))
	}
	v.setDiagnosis(v.p.diagnose(lr.run(), s.epochs), len(s.epochs), "", projects.RunRunning)
	v.root.Objects = []fyne.CanvasObject{v.body}
	v.root.Refresh()
}

// setDiagnosis shows the run's diagnosis (and a failed run's message).
func (v *curvesView) setDiagnosis(d train.Diagnosis, epochs int, notes, status string) {
	var rows []fyne.CanvasObject
	if status == projects.RunFailed && notes != "" {
		l := widget.NewLabel(widgets.FirstUpper(notes) + ".")
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.DangerImportance
		rows = append(rows, container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, l))
	}
	if epochs > 0 || status != projects.RunRunning {
		rows = append(rows, diagnosisCard(d))
	} else {
		rows = append(rows, widgets.WrapLabel("The diagnosis reads the curves once the first epoch has ended."))
	}
	v.diag.Objects = []fyne.CanvasObject{widgets.Card("Diagnosis: curves, layers and optimizer", container.NewVBox(rows...))}
	v.diag.Refresh()
}

// runTitle is "Run r3 — finished" (with the run's name when it has one).
func runTitle(r *projects.Run) string {
	name := "Run " + r.ID
	if r.Name != "" {
		name += " “" + r.Name + "”"
	}
	status := r.Status
	if status == projects.RunRunning {
		status = "interrupted" // a run read back as running did not finish
	}
	return name + " — " + status
}

// runSubtitle sums up the run's settings and device.
func runSubtitle(r *projects.Run) string {
	s := hyperSummary(r.Hyper)
	if r.Device != "" {
		s += " · " + r.Device
	}
	if !r.Started.IsZero() {
		s += " · " + r.Started.Local().Format("2 Jan 15:04")
	}
	return s
}

// hyperSummary is "adam, lr 0.001, batch 64, 10 epochs, decay 1e-4".
func hyperSummary(h projects.Hyper) string {
	parts := []string{h.Optimizer, "lr " + shortNum(h.LR)}
	if h.Schedule != "" && h.Schedule != "constant" {
		parts = append(parts, h.Schedule)
	}
	if h.Warmup > 0 {
		parts = append(parts, fmt.Sprintf("warm-up %d", h.Warmup))
	}
	parts = append(parts, fmt.Sprintf("batch %d", h.Batch), widgets.Plural(h.Epochs, "epoch"))
	if h.WeightDecay > 0 {
		parts = append(parts, "decay "+shortNum(h.WeightDecay))
	}
	if len(h.Augment) > 0 {
		parts = append(parts, strings.Join(h.Augment, ","))
	}
	return strings.Join(parts, ", ")
}

// bestVal returns the best validation accuracy and its epoch (0: none).
func bestVal(h []projects.EpochMetrics) (float64, int) {
	best, at := math.Inf(-1), 0
	for _, e := range h {
		if !math.IsNaN(e.ValAcc) && e.ValAcc > best {
			best, at = e.ValAcc, e.Epoch
		}
	}
	return best, at
}

// ratioColumns lays two objects side by side, the first taking ratio of
// the width.
type ratioColumns struct{ ratio float32 }

func (l *ratioColumns) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	gap := theme.Padding()
	w0 := (s.Width - gap) * l.ratio
	x := float32(0)
	for i, o := range objs {
		w := w0
		if i > 0 {
			w = s.Width - gap - w0
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, s.Height))
		x += w + gap
	}
}

func (l *ratioColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w += m.Width
		h = max(h, m.Height)
	}
	return fyne.NewSize(w+theme.Padding(), h)
}

// ---- layer statistics ----

// Levels of a layer's flag.
const (
	flagNone = iota
	flagWarn
	flagBad
)

// layerFlag is what looks wrong with a layer, in words.
type layerFlag struct {
	level int
	text  string
}

// flagLayer reads a layer's statistics the way the weight-initialisation
// lecture does: dead ReLUs, saturated tanh/sigmoid units, activations that
// explode or collapse, and updates far from 1e-3 of the weights.
func flagLayer(s train.LayerStats) layerFlag {
	var f layerFlag
	add := func(level int, format string, args ...any) {
		f.level = max(f.level, level)
		if f.text != "" {
			f.text += "; "
		}
		f.text += fmt.Sprintf(format, args...)
	}
	switch {
	case math.IsNaN(s.Std) || math.IsInf(s.Std, 0):
		add(flagBad, "activations are not finite")
	case s.Std > 1e3:
		add(flagBad, "activations explode (std %s): scale the initialisation down or add normalisation", shortNum(s.Std))
	case s.Std < 1e-5 && s.Op != "softmax":
		add(flagWarn, "activations collapse to zero (std %s): the initialisation is too small", shortNum(s.Std))
	}
	switch s.Op {
	case "relu":
		switch {
		case s.Dead > train.DeadLimit:
			add(flagBad, "%.0f%% of the units are dead (zero for every image)", 100*s.Dead)
		case s.Dead >= 0.2:
			add(flagWarn, "%.0f%% of the units are dead (zero for every image)", 100*s.Dead)
		case s.Zero >= 0.9:
			add(flagWarn, "%.0f%% of the outputs are zero", 100*s.Zero)
		}
	case "tanh", "sigmoid":
		if s.Saturated >= 0.5 {
			add(flagBad, "%.0f%% of the units are saturated (no gradient flows)", 100*s.Saturated)
		} else if s.Saturated >= 0.2 {
			add(flagWarn, "%.0f%% of the units are saturated", 100*s.Saturated)
		}
	}
	if s.HasWeight {
		switch r := s.UpdateRatio; {
		// The figure only: whether it means the rate is wrong depends on
		// the optimizer and the loss, which the run's one diagnosis reads.
		case r > train.RatioHigh:
			add(flagWarn, "updates are typically %s of the weights (about 1e-3 is healthy; the diagnosis above says whether the rate is to blame)", shortNum(r))
		case r > 0 && r < train.RatioLow:
			add(flagWarn, "updates are typically only %s of the weights (about 1e-3 is healthy; the diagnosis above says whether the rate is to blame)", shortNum(r))
		}
		if s.WeightGradStd == 0 && s.GradStd == 0 {
			add(flagWarn, "no gradient reaches this layer")
		}
	}
	return f
}

// layersView is the Layers tab: every layer's activation histogram (the
// weight-initialisation lecture's figure), the spread of activations and
// gradients through the depth, each layer's update-to-weight ratio over
// the run, and the layers that look wrong, in words.
type layersView struct {
	root   *fyne.Container
	head   *widget.Label
	grid   *fyne.Container
	hists  []*widgets.PlotView
	ratio  *widgets.PlotView
	spread *widgets.PlotView
	flags  *fyne.Container
	body   fyne.CanvasObject
	empty  fyne.CanvasObject
	// iter is the iteration of the statistics on display, diag the
	// diagnosis shown above the flags.
	iter int
	diag train.Diagnosis
}

func newLayersView() *layersView {
	v := &layersView{root: container.NewStack()}
	v.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.grid = container.NewGridWrap(fyne.NewSize(168, 128))
	v.ratio = widgets.NewPlotView(nil)
	v.ratio.Min = fyne.NewSize(260, 220)
	v.spread = widgets.NewPlotView(nil)
	v.spread.Min = fyne.NewSize(260, 220)
	v.flags = container.NewVBox()
	hist := widgets.Card("Activations per layer", container.NewVScroll(v.grid))
	bottom := container.NewGridWithColumns(2, widgets.PlotCard(v.ratio), widgets.PlotCard(v.spread))
	v.body = container.New(layout.NewCustomPaddedLayout(4, 6, 6, 6),
		container.NewBorder(v.head, container.NewVBox(bottom, v.flags), nil, nil, hist))
	e := widgets.NewEmptyState(theme.ListIcon(), "Layer statistics",
		"While a run trains, every few iterations each layer's activations are summarised as a histogram, with "+
			"the spread of the gradients flowing back and the size of each update relative to the weights, so "+
			"dead, saturated or exploding layers show up at once.")
	e.Steps = []string{"Start a run: the statistics appear here after its first iterations."}
	v.empty = e
	v.root.Objects = []fyne.CanvasObject{v.empty}
	return v
}

// show draws the newest statistics of a run, with the run's diagnosis.
func (v *layersView) show(s feedSnapshot, d train.Diagnosis) {
	if len(s.layers) == 0 {
		v.iter = 0
		if len(v.root.Objects) == 0 || v.root.Objects[0] != v.empty {
			v.root.Objects = []fyne.CanvasObject{v.empty}
			v.root.Refresh()
		}
		return
	}
	if s.layerIter == v.iter && len(v.hists) == len(s.layers) && len(v.flags.Objects) > 0 {
		if d.Message != v.diag.Message { // the epochs moved on: the verdict may change
			v.diag = d
			v.flags.Objects[0] = diagnosisRow(d)
			v.flags.Refresh()
		}
		return // nothing new: statistics come every few iterations
	}
	v.diag = d
	v.iter = s.layerIter
	v.head.SetText(fmt.Sprintf("Iteration %s: activations, gradients and updates of every layer", widgets.Thousands(s.layerIter)))
	if len(v.hists) != len(s.layers) {
		v.hists = nil
		v.grid.Objects = nil
		for range s.layers {
			pv := widgets.NewPlotView(nil)
			pv.Min = fyne.NewSize(160, 120)
			v.hists = append(v.hists, pv)
			v.grid.Objects = append(v.grid.Objects, pv)
		}
		v.grid.Refresh()
	}
	typical := map[string]float64{}
	for _, r := range s.ratios {
		var ys []float64
		for _, pt := range r.pts {
			ys = append(ys, pt.Y)
		}
		typical[r.node] = quantile(ys, 0.5)
	}
	var bad []fyne.CanvasObject
	for i, st := range s.layers {
		if m, ok := typical[st.Node]; ok && st.HasWeight {
			// Judge the update size over the run, not at this one step
			// (a schedule that decays to zero ends with tiny updates).
			st.UpdateRatio = m
		}
		f := flagLayer(st)
		v.hists[i].SetPlot(histogramPlot(st, f))
		if f.level > flagNone {
			l := widget.NewLabel(fmt.Sprintf("%s (%s): %s.", st.Node, st.Op, f.text))
			l.Wrapping = fyne.TextWrapWord
			icon := theme.WarningIcon()
			l.Importance = widget.WarningImportance
			if f.level == flagBad {
				icon, l.Importance = theme.ErrorIcon(), widget.DangerImportance
			}
			bad = append(bad, container.NewBorder(nil, nil, widget.NewIcon(icon), nil, l))
		}
	}
	if len(bad) == 0 {
		l := widget.NewLabel("Every layer looks healthy: no dead or saturated units, no exploding activations, updates near 1e-3 of the weights.")
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.SuccessImportance
		bad = append(bad, container.NewBorder(nil, nil, widget.NewIcon(theme.ConfirmIcon()), nil, l))
	}
	if len(bad) > 4 {
		bad = append(bad[:4], widgets.WrapLabel(fmt.Sprintf("…and %d more layers.", len(bad)-4)))
	}
	v.flags.Objects = append([]fyne.CanvasObject{diagnosisRow(d)}, bad...)
	v.flags.Refresh()
	v.ratio.SetPlot(ratioPlot(s.ratios))
	v.spread.SetPlot(layerStdPlot(s.layers))
	if len(v.root.Objects) == 0 || v.root.Objects[0] != v.body {
		v.root.Objects = []fyne.CanvasObject{v.body}
		v.root.Refresh()
	}
}
