package trainui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is the Train pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneTrain, Title: "Train", Icon: theme.MediaPlayIcon(), Order: 30, New: New}

// New builds the Train pane on the state's project; the pane follows the
// state's changes (another project stops the work on the old one).
func New(s *ui.State) fyne.CanvasObject {
	p := newTrainPane(host{s})
	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectReplaced:
			p.stateChanged(changeReplaced)
		case ui.ProjectEdited, ui.DatasetChanged:
			p.stateChanged(changeEdited)
		}
	})
	return p
}

type change int

const (
	changeReplaced change = iota
	changeEdited
)

// trainPane is the Train pane: the run's settings with the learning-rate
// schedule drawn as they change; Start, Pause and Stop; live loss and
// accuracy curves and per-layer statistics; the babysitting workflow as
// guided steps; hyper-parameter searches with the "command centre" plots;
// and the project's run history with an evaluation of each run.
//
// Training runs on a goroutine. Its callbacks only append to a liveFeed;
// the UI copies the feed at most ten times a second (throttle), so the UI
// goroutine never waits on the engine and a fast run cannot flood it.
type trainPane struct {
	widget.BaseWidget
	h host

	form      *settingsForm
	adv       *advSettings
	problem   string // the first invalid setting, "" when all are valid
	schedView *widgets.PlotView
	schedNote *widget.Label
	// schedXs and schedYs are the plotted schedule (epochs, rates).
	schedXs, schedYs []float64
	start            *widget.Button
	pause            *widget.Button
	reason           *widget.Label
	reasonBtn        *widget.Button
	notice           *widget.Label
	job              *widgets.JobBar

	tabs     *container.AppTabs
	controls *fyne.Container
	curves   *curvesView
	layers   *layersView
	baby     *babysitView
	search   *searchView
	history  *runsView
	root     fyne.CanvasObject

	live     *liveRun
	evals    map[string]*runEval // test evaluations of this project's runs, by run ID
	runsSig  string              // what the run history looked like when last drawn
	lastLive feedSnapshot        // the last run's final feed (layer statistics)
	// runLayers are the layer statistics of this session's runs, by run
	// ID, for their diagnosis (diagnosis.go).
	runLayers map[string]layerEvidence

	scaleOutBtn *widget.Button // Scale out: train under torchrun (torchrun.go)
	scaleOut    scaleOut       // its last settings
}

func newTrainPane(h host) *trainPane {
	p := &trainPane{h: h, job: widgets.NewJobBar(), evals: map[string]*runEval{}}
	p.ExtendBaseWidget(p)
	p.job.MinGap = uiUpdateEvery
	p.job.Stop.OnTapped = p.stopTraining
	p.form = newSettingsForm(p.settingsChanged)
	p.schedView = widgets.NewPlotView(nil)
	p.schedView.Min = fyne.NewSize(280, 150)
	p.schedNote = widgets.WrapLabel("")
	p.start = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), p.startTraining)
	p.start.Importance = widget.HighImportance
	p.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), p.togglePause)
	p.pause.Disable()
	p.reason = widgets.WrapLabel("")
	p.reason.Importance = widget.DangerImportance
	p.reasonBtn = widget.NewButton("", nil)
	p.reasonBtn.Hide()
	p.notice = widgets.WrapLabel("")
	p.notice.Importance = widget.WarningImportance
	p.notice.Hide()

	p.curves = newCurvesView(p)
	p.layers = newLayersView()
	p.baby = newBabysitView(p)
	p.search = newSearchView(p)
	defer func() { // the project's recorded search and babysitting (results.go)
		p.search.restoreSearch()
		p.baby.restoreSteps()
	}()
	p.history = newRunsView(p)

	settings := widgets.CardWith("Settings", nil, p.form.root)
	p.adv = newAdvSettings()
	sched := widgets.CardWith("Learning rate over the run", nil, container.NewBorder(nil, p.schedNote, nil, nil, p.schedView))
	settingsScroll := container.NewVScroll(container.NewVBox(settings, p.adv.card(), sched))
	p.form.relayout = settingsScroll.Refresh
	settingsCol := container.New(layout.NewCustomPaddedLayout(6, 6, 6, 0), container.New(&widgets.MinWidth{W: 330}, settingsScroll))
	// Each tab scrolls when the window is smaller than it would like, so
	// that a finished run or an error line never grows the window
	// (layout.go).
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Curves", theme.MediaPlayIcon(), fitWindow(container.NewBorder(nil, nil, settingsCol, nil, p.curves.root))),
		container.NewTabItemWithIcon("Layers", theme.ListIcon(), fitWindow(p.layers.root)),
		container.NewTabItemWithIcon("Babysitting", theme.ConfirmIcon(), p.baby.root),
		container.NewTabItemWithIcon("Search", theme.SearchIcon(), fitWindow(p.search.root)),
		container.NewTabItemWithIcon("Runs", theme.HistoryIcon(), fitWindow(p.history.root)),
	)
	// The controls stay in view on every tab: Start and Pause, the running
	// job's progress with Stop, and why a run cannot start.
	buttons := container.NewGridWithColumns(3, p.start, p.pause, p.newScaleOutButton())
	status := container.NewVBox(p.job.Content(), p.notice, container.NewBorder(nil, nil, nil, p.reasonBtn, p.reason))
	p.controls = container.NewBorder(nil, nil, container.NewVBox(container.New(&widgets.MinWidth{W: 330}, buttons)), nil,
		container.New(layout.NewCustomPaddedLayout(0, 0, 8, 0), status))
	bar := container.NewStack(widgets.NewBackground(theme.ColorNameHeaderBackground),
		container.New(layout.NewCustomPaddedLayout(6, 6, 6, 6), p.controls))
	p.root = container.NewBorder(nil, bar, nil, nil, p.tabs)

	p.form.set(loadRunSettings(h.Project()))
	p.refresh(true)
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *trainPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

// stateChanged follows the application state.
func (p *trainPane) stateChanged(c change) {
	switch c {
	case changeReplaced:
		// Work on the old project stops; its results would land nowhere.
		p.job.Cancel()
		p.live = nil
		p.lastLive = feedSnapshot{}
		p.runLayers = nil
		p.evals = map[string]*runEval{}
		p.search.reset()
		p.baby.reset()
		p.form.set(loadRunSettings(p.h.Project()))
		p.problem = ""
		p.refresh(true)
	case changeEdited:
		p.refresh(false)
	}
}

// settingsChanged stores valid settings in the project.
func (p *trainPane) settingsChanged(rs runSettings, problem string) {
	p.problem = problem
	if problem == "" && p.h.Project() != nil && rs.store(p.h.Project()) {
		p.h.MarkDirty() // refreshes the pane through stateChanged
		return
	}
	p.refreshControls()
	p.showSchedule()
}

// refresh redraws what depends on the project and dataset; the curves and
// the history only when the runs changed (or all is set).
func (p *trainPane) refresh(all bool) {
	p.refreshControls()
	p.showSchedule()
	sig := runsSignature(p.h.Project())
	if all || sig != p.runsSig || p.live == nil && p.curves.shown == "" {
		// (The empty state says what to do first, which changes with
		// the dataset and the network.)
		p.runsSig = sig
		if p.live == nil {
			p.curves.showLatest()
		}
		p.history.refresh()
	}
	p.baby.refresh()
	p.search.refreshControls()
}

// runsSignature summarises the run history, to tell when it changed.
func runsSignature(pr *projects.Project) string {
	if pr == nil {
		return ""
	}
	var b strings.Builder
	for _, r := range pr.Runs {
		fmt.Fprintf(&b, "%s/%s/%d/%d/%v/%s;", r.ID, r.Status, len(r.Epochs), r.Iterations, r.Tested, r.Name)
	}
	return b.String()
}

// blocker says why training cannot start and what would fix it.
type blocker struct {
	msg    string
	action string
	do     func()
}

// blocker returns what stops a run from starting, nil when one can.
func (p *trainPane) blocker() *blocker {
	h := p.h
	pr := h.Project()
	goArch := h.ShowArchitecture
	if pr == nil || len(pr.Graph.Nodes) == 0 {
		return &blocker{"The project has no network yet: design one in the Architecture pane (or start from a zoo model there).", "Go to Architecture", goArch}
	}
	if probs := h.ArchitectureProblems(); len(probs) > 0 {
		msg := "The network cannot be trained: " + strings.TrimSuffix(probs[0], ".") + "."
		if len(probs) > 1 {
			msg += fmt.Sprintf(" (%d more problems.)", len(probs)-1)
		}
		return &blocker{msg, "Go to Architecture", goArch}
	}
	if k, out := p.classesAndOutputs(); k > 0 && out > 0 && k != out {
		return &blocker{fmt.Sprintf("The network outputs %d scores per image but the dataset has %d classes: set the last layer's outputs to %d.", out, k, k),
			"Go to Architecture", goArch}
	}
	if ds := h.Dataset(); ds == nil || ds.Train.Len() == 0 {
		title := ui.DatasetTitle(h.DatasetSpec())
		return &blocker{fmt.Sprintf("The dataset (%s) is not loaded yet.", title), "Load " + title, p.loadDataset}
	}
	if p.problem != "" {
		return &blocker{p.problem, "", nil}
	}
	return nil
}

// classesAndOutputs returns the dataset's class count and the network's
// output size (0 when unknown).
func (p *trainPane) classesAndOutputs() (classes, outputs int) {
	pr := p.h.Project()
	if ds := p.h.Dataset(); ds != nil && ds.Train != nil {
		classes = len(ds.Train.Classes)
	} else {
		classes = len(pr.Dataset.Classes)
	}
	a := nn.Analyze(pr.Graph, p.h.DatasetShape())
	if a.Err() != nil {
		return classes, 0
	}
	id := a.Output
	for _, n := range pr.Graph.Nodes {
		if n.ID == id && (n.Op == "softmax" || n.Op == "logsoftmax") && len(n.Inputs) == 1 {
			id = n.Inputs[0]
		}
	}
	if info := a.Nodes[id]; info != nil && len(info.Out) == 1 {
		outputs = info.Out[0]
	}
	return classes, outputs
}

// refreshControls enables Start when a run can start, and says why not
// otherwise.
func (p *trainPane) refreshControls() {
	busy := p.job.Running()
	b := p.blocker()
	p.reasonBtn.Hide()
	switch {
	case busy:
		p.start.Disable()
		p.reason.SetText("")
		p.reason.Hide()
	case b != nil:
		p.start.Disable()
		p.reason.SetText(b.msg)
		p.reason.Show()
		if b.action != "" && b.do != nil {
			p.reasonBtn.SetText(b.action)
			p.reasonBtn.OnTapped = b.do
			p.reasonBtn.Show()
		}
	default:
		p.start.Enable()
		p.reason.SetText("")
		p.reason.Hide()
	}
	if p.live == nil || !busy {
		p.pause.Disable()
		p.pause.SetText("Pause")
		p.pause.SetIcon(theme.MediaPauseIcon())
	}
	p.form.setEnabled(!busy)
	p.adv.setEnabled(!busy)
	p.refreshScaleOut()
	p.baby.refreshControls()
	p.search.refreshControls()
	p.history.refreshControls()
	p.relayoutControls()
}

// relayoutControls lays the control bar out again after parts of it were
// shown or hidden.
func (p *trainPane) relayoutControls() {
	if p.controls != nil {
		p.controls.Refresh()
	}
}

// batchesPerEpoch estimates the mini-batches of one epoch for the schedule
// plot: the loaded training split less the held-out validation images, or
// the project's cut of its dataset.
func (p *trainPane) batchesPerEpoch(batch int) int {
	n := 0
	if ds := p.h.Dataset(); ds != nil && ds.Train != nil {
		n = ds.Train.Len()
		if ds.Val.Len() == 0 && n >= 20 && p.form.rs.Train.Validation != valNone {
			n -= min(max(n/10, 1), 5000)
		}
	} else if p.h.Project() != nil && p.h.Project().Dataset.LimitTrain > 0 {
		n = p.h.Project().Dataset.LimitTrain
	}
	if n <= 0 {
		return 100
	}
	return (n + max(batch, 1) - 1) / max(batch, 1)
}

// showSchedule draws the learning rate over the run of the settings shown.
func (p *trainPane) showSchedule() {
	rs := p.form.rs
	nb := p.batchesPerEpoch(rs.Hyper.Batch)
	xs, ys, err := rs.scheduleCurve(nb)
	if err != nil {
		p.schedNote.SetText(widgets.FirstUpper(err.Error()) + ".")
		p.schedView.SetPlot(schedulePlot(nil, nil, rs.Hyper.Epochs))
		return
	}
	p.schedXs, p.schedYs = xs, ys
	p.schedView.SetPlot(schedulePlot(xs, ys, rs.Hyper.Epochs))
	h := rs.Hyper
	desc := fmt.Sprintf("%s from %s", h.Schedule, shortNum(h.LR))
	switch h.Schedule {
	case "step":
		desc += fmt.Sprintf(", ×%g each step", rs.Train.Gamma)
	case "cosine":
		desc += " to " + shortNum(rs.Train.MinLR)
	case "linear":
		desc += " to 0"
	}
	if h.Warmup > 0 {
		desc = fmt.Sprintf("%s of warm-up, then %s", widgets.Plural(h.Warmup, "epoch"), desc)
	}
	if p.h.Dataset() == nil {
		p.schedNote.SetText(fmt.Sprintf("%s over %s (the steps per epoch are known once the dataset is loaded).", widgets.FirstUpper(desc), widgets.Plural(h.Epochs, "epoch")))
		return
	}
	p.schedNote.SetText(fmt.Sprintf("%s; %s of %s (%s).", widgets.FirstUpper(desc), widgets.Plural(h.Epochs, "epoch"), widgets.Plural(nb, "batch"), widgets.Plural(nb*h.Epochs, "step")))
}

// loadDataset loads the project's dataset for every pane.
func (p *trainPane) loadDataset() {
	proj := p.h.Project()
	err := ui.LoadDataset(p.h.s, p.job, p.h.DatasetSpec(), 0, func(err error) {
		switch {
		case p.h.Project() != proj || widgets.Cancelled(err):
		case err != nil:
			p.reason.SetText("The dataset could not be loaded: " + err.Error() + ". Look at it in the Data pane.")
			p.reason.Show()
			p.reasonBtn.SetText("Go to Data")
			p.reasonBtn.OnTapped = p.h.ShowData
			p.reasonBtn.Show()
			p.relayoutControls()
			return
		}
		p.refreshControls()
	})
	if err == nil {
		p.refreshControls()
	}
}

// PrepareRender makes render-panes show the newest run with its
// evaluation: when the dataset is (or can be) loaded and the run has
// weights, it evaluates the run on the test split.
func (p *trainPane) PrepareRender(ctx context.Context) {
	if len(p.h.Project().Runs) == 0 {
		return
	}
	if p.h.Dataset() == nil && p.h.Project().Dataset.Spec != "" {
		p.job.Sync = true
		p.loadDataset()
		p.job.Sync = false
	}
	last := &p.h.Project().Runs[len(p.h.Project().Runs)-1]
	if p.h.Dataset() != nil && ctx.Err() == nil {
		p.history.sel = last.ID
		p.job.Sync = true
		p.history.evaluate(last.ID)
		p.job.Sync = false
	}
	p.tabs.SelectIndex(0)
	p.curves.showLatest()
}
