package trainui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// searchTrial is one configuration of a search: the engine's Trial plus
// its loss at every iteration (for the command centre's loss plot).
type searchTrial struct {
	train.Trial
	Losses  []float64
	Running bool
	Done    bool
}

func (t searchTrial) failed() bool { return t.Diverged || t.Err != nil || math.IsNaN(t.ValAcc) }

// searchFeed carries the trials from the search's goroutines to the UI.
type searchFeed struct {
	mu     sync.Mutex
	trials []searchTrial
	dirty  bool
}

func (f *searchFeed) update(i int, fn func(t *searchTrial)) {
	f.mu.Lock()
	fn(&f.trials[i])
	f.dirty = true
	f.mu.Unlock()
}

func (f *searchFeed) pending() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirty
}

func (f *searchFeed) take() []searchTrial {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]searchTrial, len(f.trials))
	for i, t := range f.trials {
		t.Losses = append([]float64(nil), t.Losses...)
		out[i] = t
	}
	f.dirty = false
	return out
}

// searchConfig is the engine's search for the pane's choices: n random
// configurations (seeded), or a grid of about n points over the ranges.
// The data, the model builder and the hooks are added when it runs.
func searchConfig(grid bool, n int, ranges map[string]train.Range, base train.Config, seed int64) train.SearchConfig {
	sc := train.SearchConfig{Base: base, Ranges: ranges, Grid: grid, Trials: n, Seed: seed}
	if grid {
		sc.Points = int(math.Ceil(math.Pow(float64(n), 1/float64(max(len(ranges), 1)))))
	}
	return sc
}

// runSearch runs the engine's search (several trials at once on the CPU,
// sharing the thread budget) on the graph g, reporting each trial's start,
// every iteration's loss (for the "all loss curves" plot) and its end
// through feed.
func runSearch(ctx context.Context, sc train.SearchConfig, g graph.Graph, rs runSettings, feed *searchFeed) error {
	b, _, err := backend.Choose(rs.Train.Device)
	if err != nil {
		return err
	}
	if b.Name() != "cpu" {
		sc.Concurrency = 1 // one device: one trial at a time
	}
	in := []int{sc.Train.C, sc.Train.H, sc.Train.W}
	sc.Build = func() (*nn.Model, error) {
		return nn.Build(g, in, b, uint64(rs.Hyper.Seed), nn.Init(rs.Train.Init))
	}
	sc.OnTrialStart = func(t train.Trial) { feed.update(t.Index, func(st *searchTrial) { st.Running = true }) }
	sc.OnIteration = func(i int, it train.IterationInfo) {
		feed.update(i, func(st *searchTrial) { st.Losses = append(st.Losses, it.Loss) })
	}
	sc.OnTrial = func(t train.Trial) {
		feed.update(t.Index, func(st *searchTrial) { st.Trial, st.Running, st.Done = t, false, true })
	}
	_, err = train.Search(ctx, sc)
	return err
}

// rankTrials orders trials as train.Rank does: best validation accuracy
// first, failures last. It returns the trials' positions in rank order.
func rankTrials(trials []searchTrial) []int {
	ts := make([]train.Trial, 0, len(trials))
	for _, t := range trials {
		if t.Done {
			ts = append(ts, t.Trial)
		}
	}
	train.Rank(ts)
	var order []int
	for _, t := range ts {
		order = append(order, t.Index)
	}
	for i, t := range trials {
		if !t.Done {
			order = append(order, i)
		}
	}
	return order
}

// searchView is the Search tab: a random or grid search over the learning
// rate and weight decay, its results table (click a heading to sort), and
// the "command centre": validation accuracy against each parameter and
// every trial's loss curve on one plot.
type searchView struct {
	p    *trainPane
	root fyne.CanvasObject

	mode                     *widget.RadioGroup
	trialsE, epochsE         *widget.Entry
	lrLo, lrHi, wdLo, wdHi   *widget.Entry
	wdOn                     *widget.Check
	nTrain, nVal             *widget.Entry
	runBtn, refineBtn, useBt *widget.Button
	msg                      *widget.Label
	summary                  *widget.Label
	table                    *widget.Table
	accLR, accWD, losses     *widgets.PlotView

	trials  []searchTrial
	rows    []int // trial positions in table order
	sortCol int
	sortAsc bool
	running bool
	refined bool
}

// Columns of the results table, and their widths: together they fit the
// table's width in a 1280×800 window (130 for Status cut that column off).
var (
	searchCols      = []string{"#", "Learning rate", "Weight decay", "Val. accuracy", "Val. loss", "Train accuracy", "Time", "Status"}
	searchColWidths = []float32{34, 98, 98, 118, 78, 114, 54, 80}
)

func newSearchView(p *trainPane) *searchView {
	v := &searchView{p: p, sortCol: 3}
	entry := func(t string) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(t)
		return e
	}
	v.mode = widget.NewRadioGroup([]string{"Random", "Grid"}, nil)
	v.mode.Horizontal = true
	v.mode.SetSelected("Random")
	v.trialsE, v.epochsE = entry("8"), entry("1")
	v.lrLo, v.lrHi = entry("1e-4"), entry("1e-2")
	v.wdLo, v.wdHi = entry("1e-6"), entry("1e-2")
	v.wdOn = widget.NewCheck("", func(on bool) {
		if on {
			v.wdLo.Enable()
			v.wdHi.Enable()
		} else {
			v.wdLo.Disable()
			v.wdHi.Disable()
		}
	})
	v.wdOn.SetChecked(true)
	v.nTrain, v.nVal = entry("5000"), entry("1000")
	pair := func(a, b fyne.CanvasObject) fyne.CanvasObject { return container.NewGridWithColumns(2, a, b) }
	form := container.NewVBox(
		field("Search", v.mode),
		pair(field("Configurations", v.trialsE), field("Epochs each", v.epochsE)),
		field("Learning rate (log-uniform)", rangeBox(v.lrLo, v.lrHi)),
		field("Weight decay (log-uniform)", container.NewBorder(nil, nil, v.wdOn, nil, rangeBox(v.wdLo, v.wdHi))),
		pair(field("Training images", v.nTrain), field("Validation images", v.nVal)),
	)
	v.runBtn = widget.NewButtonWithIcon("Run search", theme.MediaPlayIcon(), v.run)
	v.runBtn.Importance = widget.HighImportance
	v.refineBtn = widget.NewButtonWithIcon("Refine around the best", theme.ZoomInIcon(), func() {
		if v.refine() {
			v.run()
		}
	})
	v.useBt = widget.NewButtonWithIcon("Use the best settings", theme.ConfirmIcon(), func() { v.promote() })
	v.msg = widgets.WrapLabel("Each configuration trains a fresh copy of the network (same seed, so the comparison is fair) " +
		"on a subset, and is ranked by its best validation accuracy.")
	left := container.NewVBox(widget.NewLabelWithStyle("Hyper-parameter search", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		form, v.runBtn, v.refineBtn, v.useBt, v.msg)
	leftCol := container.New(&widgets.MinWidth{W: 290}, container.NewVScroll(container.New(layout.NewCustomPaddedLayout(4, 4, 4, 8), left)))

	v.summary = widget.NewLabel("No search yet.")
	v.summary.Wrapping = fyne.TextWrapWord
	v.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(v.rows), len(searchCols) },
		func() fyne.CanvasObject { return widget.NewLabel("0.000000") },
		func(id widget.TableCellID, o fyne.CanvasObject) { v.cell(id, o.(*widget.Label)) })
	widgets.SortableHeaders(v.table, searchCols, "Train accuracy", func() (int, bool) { return v.sortCol, v.sortAsc }, v.sortBy)
	for i, w := range searchColWidths {
		v.table.SetColumnWidth(i, w)
	}
	v.accLR = widgets.NewPlotView(nil)
	v.accWD = widgets.NewPlotView(nil)
	v.losses = widgets.NewPlotView(nil)
	for _, pv := range []*widgets.PlotView{v.accLR, v.accWD, v.losses} {
		pv.Min = fyne.NewSize(220, 200)
	}
	plots := container.NewGridWithColumns(3, widgets.PlotCard(v.accLR), widgets.PlotCard(v.accWD), widgets.PlotCard(v.losses))
	right := container.NewBorder(v.summary, nil, nil, nil,
		container.NewGridWithRows(2, widgets.Card("Results", v.table), plots))
	v.root = container.NewBorder(nil, nil, leftCol, nil, container.New(layout.NewCustomPaddedLayout(4, 6, 4, 6), right))
	v.show()
	return v
}

// rangeBox is "lo … hi".
func rangeBox(lo, hi *widget.Entry) fyne.CanvasObject {
	return container.NewGridWithColumns(2, lo, hi)
}

// reset forgets the results (another project).
func (v *searchView) reset() {
	v.trials, v.rows, v.refined = nil, nil, false
	v.restoreSearch()
	v.show()
}

// refreshControls enables the buttons that can act now.
func (v *searchView) refreshControls() {
	ready := v.p.blocker() == nil && !v.p.job.Running()
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	_, haveBest := v.best()
	set(v.runBtn, ready)
	set(v.refineBtn, ready && haveBest)
	set(v.useBt, !v.p.job.Running() && haveBest)
}

// best returns the best trial, if one succeeded.
func (v *searchView) best() (searchTrial, bool) {
	for _, i := range rankTrials(v.trials) {
		if t := v.trials[i]; t.Done && !t.failed() {
			return t, true
		}
		break
	}
	return searchTrial{}, false
}

// presetCoarse sets the lecture's coarse search: wide ranges (centred on
// the finder's suggestion when there is one), one epoch each.
func (v *searchView) presetCoarse(suggested float64) {
	v.mode.SetSelected("Random")
	v.trialsE.SetText("8")
	v.epochsE.SetText("1")
	if suggested > 0 {
		v.lrLo.SetText(shortNum(roundSig(suggested/10, 2)))
		v.lrHi.SetText(shortNum(roundSig(suggested*10, 2)))
	} else {
		v.lrLo.SetText("1e-4")
		v.lrHi.SetText("1e-2")
	}
	v.wdOn.SetChecked(true)
	v.wdLo.SetText("1e-6")
	v.wdHi.SetText("1e-2")
	v.refined = false
}

// refine narrows the ranges to a factor of three around the best trial and
// doubles the epochs (at most 5); it reports false without a best trial.
func (v *searchView) refine() bool {
	best, ok := v.best()
	if !ok {
		v.msg.SetText("There is no successful configuration to refine around yet: run a search first.")
		return false
	}
	lr := best.Params["lr"]
	v.lrLo.SetText(shortNum(roundSig(lr/3, 2)))
	v.lrHi.SetText(shortNum(roundSig(lr*3, 2)))
	if wd, ok := best.Params["weight_decay"]; ok {
		v.wdLo.SetText(shortNum(roundSig(wd/3, 2)))
		v.wdHi.SetText(shortNum(roundSig(wd*3, 2)))
	}
	if e, err := strconv.Atoi(strings.TrimSpace(v.epochsE.Text)); err == nil {
		v.epochsE.SetText(strconv.Itoa(min(max(2*e, 2), 5)))
	}
	v.refined = true
	return true
}

// promote copies the best trial's learning rate and weight decay into the
// project's settings.
func (v *searchView) promote() bool {
	best, ok := v.best()
	if !ok {
		v.msg.SetText("There is no successful configuration to use yet: run a search first.")
		return false
	}
	f := v.p.form
	f.lr.SetText(strconv.FormatFloat(roundSig(best.Params["lr"], 3), 'g', -1, 64))
	if wd, ok := best.Params["weight_decay"]; ok {
		f.decay.SetText(strconv.FormatFloat(roundSig(wd, 3), 'g', -1, 64))
	}
	v.msg.SetText(fmt.Sprintf("The project now trains with %s (configuration #%d). Start a run to train it for %s.",
		paramsInWords(best.Params), best.Index+1, widgets.Plural(f.rs.Hyper.Epochs, "epoch")))
	return true
}

// read parses the form.
func (v *searchView) read() (grid bool, n, epochs, nTrain, nVal int, ranges map[string]train.Range, err error) {
	whole := func(e *widget.Entry, name string, lo, hi int) (int, error) {
		x, err := strconv.Atoi(strings.TrimSpace(e.Text))
		if err != nil || x < lo || x > hi {
			return 0, fmt.Errorf("%s must be a whole number from %d to %s", name, lo, widgets.Thousands(hi))
		}
		return x, nil
	}
	pos := func(e *widget.Entry, name string) (float64, error) {
		x, err := strconv.ParseFloat(strings.TrimSpace(e.Text), 64)
		if err != nil || !(x > 0) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%s: %q is not a positive number", name, e.Text)
		}
		return x, nil
	}
	grid = v.mode.Selected == "Grid"
	if n, err = whole(v.trialsE, "Configurations", 1, 200); err != nil {
		return
	}
	if epochs, err = whole(v.epochsE, "Epochs each", 1, 50); err != nil {
		return
	}
	if nTrain, err = whole(v.nTrain, "Training images", 10, 10_000_000); err != nil {
		return
	}
	if nVal, err = whole(v.nVal, "Validation images", 10, 10_000_000); err != nil {
		return
	}
	ranges = map[string]train.Range{}
	pair := func(key, name string, lo, hi *widget.Entry) error {
		a, err := pos(lo, name+" (lowest)")
		if err != nil {
			return err
		}
		b, err := pos(hi, name+" (highest)")
		if err != nil {
			return err
		}
		if b < a {
			return fmt.Errorf("%s: the highest value %g is below the lowest %g", name, b, a)
		}
		ranges[key] = train.Range{Lo: a, Hi: b, Log: true}
		return nil
	}
	if err = pair("lr", "Learning rate", v.lrLo, v.lrHi); err != nil {
		return
	}
	if v.wdOn.Checked {
		err = pair("weight_decay", "Weight decay", v.wdLo, v.wdHi)
	}
	return
}

// run starts a search with the form's settings.
func (v *searchView) run() {
	p := v.p
	if p.blocker() != nil || p.job.Running() {
		p.refreshControls()
		return
	}
	grid, n, epochs, nTrain, nVal, ranges, err := v.read()
	if err != nil {
		v.msg.Importance = widget.DangerImportance
		v.msg.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	v.msg.Importance = widget.MediumImportance
	rs := p.form.rs
	base, err := rs.Config()
	if err != nil {
		v.msg.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	base.Epochs = epochs
	base.Patience = 0
	sc := searchConfig(grid, n, ranges, base, rs.Hyper.Seed)
	configs, err := sc.Configs()
	if err != nil {
		v.msg.Importance = widget.DangerImportance
		v.msg.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	feed := &searchFeed{trials: make([]searchTrial, len(configs))}
	for i, c := range configs {
		feed.trials[i] = searchTrial{Trial: train.Trial{Index: i, Params: c, ValAcc: math.NaN(), ValLoss: math.NaN(),
			TrainAcc: math.NaN(), TrainLoss: math.NaN()}}
	}
	v.trials = feed.take()
	v.running = true
	p.notice.Hide() // it spoke of the last training run
	v.show()
	g, ds, proj := cloneGraph(p.h.Project().Graph), p.h.Dataset(), p.h.Project()
	what := fmt.Sprintf("Searching %d configurations…", len(configs))
	err = p.job.Start(what, func(ctx context.Context, progress widgets.Report) error {
		trainSet, valSet, _ := runs.Splits(ds, rs.Hyper.Seed, true) // a search needs validation images
		sc.Train, sc.Val = ui.Subset(trainSet, nTrain, rs.Hyper.Seed), ui.Subset(valSet, nVal, rs.Hyper.Seed)
		if sc.Val.Len() == 0 {
			return errors.New("a search ranks configurations by validation accuracy, and there are no validation images")
		}
		if rs.Preprocess != data.NormNone {
			st, err := data.FitStats(sc.Train, rs.Preprocess, data.StatsOptions{Seed: rs.Hyper.Seed})
			if err != nil {
				return err
			}
			sc.Base.Stats = st
		}
		stop := startThrottle(feed.pending, func() {
			if p.h.Project() != proj {
				return
			}
			v.trials = feed.take()
			done := 0
			for _, t := range v.trials {
				if t.Done {
					done++
				}
			}
			p.job.ShowNow(done, len(v.trials), fmt.Sprintf("Searching: %d of %d configurations done…", done, len(v.trials)))
			v.show()
		})
		err := runSearch(ctx, sc, g, rs, feed)
		stop()
		return err
	}, func(err error) {
		v.running = false
		if p.h.Project() != proj {
			return
		}
		v.trials = feed.take()
		switch {
		case widgets.Cancelled(err):
			v.msg.SetText("Search cancelled; the table keeps the configurations that finished.")
		case err != nil:
			v.msg.Importance = widget.DangerImportance
			v.msg.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
		v.recordSearch()
		v.show()
		p.refreshControls()
		p.baby.showSearch()
	})
	if err != nil {
		v.running = false
		v.msg.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	p.refreshControls()
}

// show draws the table, the summary and the plots.
func (v *searchView) show() {
	v.sortRows()
	v.table.Refresh()
	v.accLR.SetPlot(accVsParamPlot(v.trials, "lr", "learning rate"))
	v.accWD.SetPlot(accVsParamPlot(v.trials, "weight_decay", "weight decay"))
	v.losses.SetPlot(allLossPlot(v.trials))
	if len(v.trials) == 0 {
		v.summary.SetText("No search yet: set the ranges on the left and run one (the Babysitting tab's step 4 starts a coarse one).")
		return
	}
	done, diverged := 0, 0
	for _, t := range v.trials {
		if t.Done {
			done++
			if t.Diverged {
				diverged++
			}
		}
	}
	text := fmt.Sprintf("%d of %d configurations done.", done, len(v.trials))
	if best, ok := v.best(); ok {
		text += fmt.Sprintf(" Best so far: #%d, %s: validation accuracy %s.", best.Index+1, paramsInWords(best.Params), widgets.Pct(best.ValAcc))
	}
	if diverged > 0 {
		text += fmt.Sprintf(" %d diverged (learning rate too high).", diverged)
	}
	v.summary.SetText(text)
}

// sortBy sorts the table by a column (again: the other way).
func (v *searchView) sortBy(col int) {
	if col == v.sortCol {
		v.sortAsc = !v.sortAsc
	} else {
		v.sortCol, v.sortAsc = col, col == 0 || col == 4 || col == 6
	}
	v.sortRows()
	v.table.Refresh()
}

func (v *searchView) sortRows() {
	if v.sortCol == 3 && !v.sortAsc {
		v.rows = rankTrials(v.trials)
		return
	}
	v.rows = v.rows[:0]
	for i := range v.trials {
		v.rows = append(v.rows, i)
	}
	key := func(i int) float64 {
		t := v.trials[i]
		switch v.sortCol {
		case 0:
			return float64(t.Index)
		case 1:
			return t.Params["lr"]
		case 2:
			return t.Params["weight_decay"]
		case 3:
			return t.ValAcc
		case 4:
			return t.ValLoss
		case 5:
			return t.TrainAcc
		case 6:
			return t.Seconds
		}
		if t.Done {
			return 1
		}
		return 0
	}
	sort.SliceStable(v.rows, func(a, b int) bool {
		ka, kb := key(v.rows[a]), key(v.rows[b])
		if math.IsNaN(ka) != math.IsNaN(kb) {
			return !math.IsNaN(ka) // unknown values last either way
		}
		if v.sortAsc {
			return ka < kb
		}
		return ka > kb
	})
}

// cell fills one cell of the results table.
func (v *searchView) cell(id widget.TableCellID, l *widget.Label) {
	l.Importance = widget.MediumImportance
	l.TextStyle.Bold = false
	if id.Row >= len(v.rows) {
		l.SetText("")
		return
	}
	t := v.trials[v.rows[id.Row]]
	best, ok := v.best()
	isBest := ok && best.Index == t.Index
	text := ""
	switch id.Col {
	case 0:
		text = strconv.Itoa(t.Index + 1)
	case 1:
		text = shortNum(t.Params["lr"])
	case 2:
		if wd, ok := t.Params["weight_decay"]; ok {
			text = shortNum(wd)
		} else {
			text = "–"
		}
	case 3:
		text = widgets.PercentOrDash(t.ValAcc)
	case 4:
		text = fmtLoss(t.ValLoss)
	case 5:
		text = widgets.PercentOrDash(t.TrainAcc)
	case 6:
		if t.Done {
			text = fmtDuration(secondsDur(t.Seconds))
		}
	case 7:
		switch {
		case t.Running:
			text = fmt.Sprintf("training (%d it.)", len(t.Losses))
		case !t.Done:
			text = "waiting"
		case t.Diverged:
			text, l.Importance = "diverged", widget.DangerImportance
		case errors.Is(t.Err, context.Canceled):
			text = "cancelled"
		case t.Err != nil:
			text, l.Importance = "failed", widget.DangerImportance
		case isBest:
			text, l.Importance = "best", widget.SuccessImportance
		default:
			text = "done"
		}
	}
	if isBest && id.Col != 7 {
		l.TextStyle.Bold = true
	}
	l.SetText(text)
}

// fmtLoss writes a loss, or a dash when unknown.
func fmtLoss(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if math.IsInf(v, 0) || v > 1e4 {
		return "∞"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
