package trainui

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// runSettings are everything a training run is configured with (the
// project's Hyper, its typed training settings and its preprocessing
// mode), shared with `workbench train` through package runs.
type runSettings struct{ runs.Settings }

// Validation choices.
const (
	valHoldOut = projects.ValidationHoldOut
	valNone    = projects.ValidationNone
)

// defaultLR is the optimizer's default learning rate.
func defaultLR(name string) float64 { return runs.DefaultLR(name) }

// loadRunSettings reads the settings of project p, with the pane's
// defaults for the hyper-parameters the project leaves empty.
func loadRunSettings(p *projects.Project) runSettings {
	rs := runSettings{runs.SettingsOf(p)}
	h := &rs.Hyper
	if h.Optimizer == "" {
		h.Optimizer = "adam"
	}
	if h.Schedule == "" {
		h.Schedule = "constant"
	}
	if h.LR <= 0 {
		h.LR = defaultLR(h.Optimizer)
	}
	if h.Batch <= 0 {
		h.Batch = 64
	}
	if h.Epochs <= 0 {
		h.Epochs = 10
	}
	return rs
}

// store writes the settings into p and reports whether anything changed.
func (rs runSettings) store(p *projects.Project) bool { return rs.Settings.Store(p) }

// scheduleCurve samples the learning rate over a run of these settings
// with batches mini-batches per epoch: x in epochs, y the rate.
func (rs runSettings) scheduleCurve(batches int) (xs, ys []float64, err error) {
	h := rs.Hyper
	batches = max(batches, 1)
	total := max(h.Epochs, 1) * batches
	s, err := optim.NewSchedule(h.Schedule, float32(h.LR), h.Warmup*batches,
		optim.ScheduleOptions{Gamma: float32(rs.Train.Gamma), MinLR: float32(rs.Train.MinLR), Every: rs.Train.StepEvery * batches})
	if err != nil {
		return nil, nil, err
	}
	steps, rates := optim.Curve(s, total, 400)
	for i, st := range steps {
		xs = append(xs, float64(st)/float64(batches))
		ys = append(ys, float64(rates[i]))
	}
	// The rate holds for the whole last step: end the curve at the run's end.
	if n := len(ys); n > 0 {
		xs = append(xs, float64(total)/float64(batches))
		ys = append(ys, ys[n-1])
	}
	return xs, ys, nil
}

// settingsForm edits runSettings. Every valid change is written to the
// project at once (and marks it edited); an invalid field says what is
// wrong in the form's problem line and keeps the last valid value.
type settingsForm struct {
	rs       runSettings
	onChange func(rs runSettings, problem string)
	loading  bool
	// relayout lays out what holds the form after rows appeared.
	relayout func()

	optimizer, schedule, preprocess, device *widget.Select
	validation                              *widget.Select
	lr, momentum, warmup, batch, epochs     *widget.Entry
	decay, augment, seed, gamma, minLR      *widget.Entry
	stepEvery                               *widget.Entry
	gammaRow, minLRRow                      *fyne.Container
	root                                    fyne.CanvasObject
}

// The validation choices in words (the dataset's own validation split,
// when it has one, is always used).
const (
	valChoiceHold = "hold out 10%"
	valChoiceNone = "none"
)

// preprocessChoices are the input normalisations offered, in words.
var preprocessChoices = []struct {
	norm data.Norm
	name string
}{
	{data.NormNone, "pixels in [0,1]"},
	{data.NormChannelMean, "minus channel mean"},
	{data.NormChannelStd, "standardised"},
	{data.NormMeanImage, "minus mean image"},
	{data.NormPCAWhiten, "PCA-whitened"},
}

func newSettingsForm(onChange func(rs runSettings, problem string)) *settingsForm {
	f := &settingsForm{onChange: onChange}
	changed := func(string) { f.changed() }
	entry := func(place string) *widget.Entry {
		e := widget.NewEntry()
		e.PlaceHolder = place
		e.OnChanged = changed
		return e
	}
	f.optimizer = widget.NewSelect(optim.Names, func(name string) {
		if !f.loading && name != f.rs.Hyper.Optimizer {
			// A new optimizer starts from its own default rate unless the
			// rate was changed from the old one's.
			if v, err := strconv.ParseFloat(strings.TrimSpace(f.lr.Text), 64); err == nil && v == defaultLR(f.rs.Hyper.Optimizer) {
				f.loading = true
				f.lr.SetText(fmtNum(defaultLR(name)))
				f.loading = false
			}
		}
		f.changed()
	})
	f.schedule = widget.NewSelect(optim.ScheduleNames, changed)
	names := make([]string, len(preprocessChoices))
	for i, c := range preprocessChoices {
		names[i] = c.name
	}
	f.preprocess = widget.NewSelect(names, changed)
	f.device = widget.NewSelect([]string{"auto", "cpu", "gl"}, changed)
	f.validation = widget.NewSelect([]string{valChoiceHold, valChoiceNone}, changed)
	f.lr = entry("0.001")
	f.momentum = entry("0.9")
	f.warmup = entry("0")
	f.batch = entry("64")
	f.epochs = entry("10")
	f.decay = entry("0")
	f.augment = entry("none, or e.g. hflip,crop:4")
	f.seed = entry("1")
	f.gamma = entry("0.1")
	f.minLR = entry("0")

	f.stepEvery = entry("a third of the run")
	f.gammaRow = container.NewGridWithColumns(2, field("Factor per step", f.gamma), field("Every (epochs)", f.stepEvery))
	f.minLRRow = container.NewGridWithColumns(2, field("Final rate", f.minLR), layout.NewSpacer())
	f.augment.PlaceHolder = "none; e.g. hflip,crop:4"
	pair := func(a, b fyne.CanvasObject) fyne.CanvasObject { return container.NewGridWithColumns(2, a, b) }
	f.root = container.NewVBox(
		pair(field("Optimizer", f.optimizer), field("Learning rate", f.lr)),
		pair(field("Schedule", f.schedule), field("Warm-up epochs", f.warmup)),
		f.gammaRow, f.minLRRow,
		pair(field("Batch size", f.batch), field("Epochs", f.epochs)),
		pair(field("Weight decay", f.decay), field("Momentum", f.momentum)),
		field("Augmentation", f.augment),
		pair(field("Inputs", f.preprocess), field("Validation", f.validation)),
		pair(field("Device", f.device), field("Seed", f.seed)),
	)
	return f
}

// set shows rs without reporting a change.
func (f *settingsForm) set(rs runSettings) {
	f.loading = true
	defer func() { f.loading = false }()
	f.rs = rs
	h := rs.Hyper
	f.optimizer.SetSelected(h.Optimizer)
	f.lr.SetText(fmtNum(h.LR))
	f.momentum.SetText(fmtNum(h.Momentum))
	f.schedule.SetSelected(h.Schedule)
	f.warmup.SetText(strconv.Itoa(h.Warmup))
	f.batch.SetText(strconv.Itoa(h.Batch))
	f.epochs.SetText(strconv.Itoa(h.Epochs))
	f.decay.SetText(fmtNum(h.WeightDecay))
	f.augment.SetText(strings.Join(h.Augment, ","))
	f.seed.SetText(strconv.FormatInt(h.Seed, 10))
	f.gamma.SetText(fmtNum(rs.Train.Gamma))
	f.minLR.SetText(fmtNum(rs.Train.MinLR))
	f.stepEvery.SetText("")
	if rs.Train.StepEvery > 0 {
		f.stepEvery.SetText(strconv.Itoa(rs.Train.StepEvery))
	}
	for _, c := range preprocessChoices {
		if c.norm == rs.Preprocess {
			f.preprocess.SetSelected(c.name)
		}
	}
	f.device.SetSelected(rs.Train.Device)
	f.validation.SetSelected(valChoiceHold)
	if rs.Train.Validation == valNone {
		f.validation.SetSelected(valChoiceNone)
	}
	f.showRows()
}

// showRows shows the rows that apply to the chosen optimizer and schedule.
func (f *settingsForm) showRows() {
	opt := f.optimizer.Selected
	f.momentum.PlaceHolder = "0"
	if opt == "momentum" || opt == "nesterov" {
		f.momentum.PlaceHolder = "0.9"
	}
	if opt == "adam" || opt == "adamw" || opt == "adagrad" {
		f.momentum.Disable()
	} else {
		f.momentum.Enable()
	}
	g, m := f.schedule.Selected != "step", f.schedule.Selected != "cosine"
	if g != f.gammaRow.Hidden || m != f.minLRRow.Hidden {
		f.gammaRow.Hidden, f.minLRRow.Hidden = g, m
		// The column lays the rows out again (a row shown for the first
		// time has never been laid out).
		if c, ok := f.root.(*fyne.Container); ok {
			c.Refresh()
		}
		if f.relayout != nil {
			f.relayout()
		}
	}
}

// read parses the form: the settings, or the first problem in words.
func (f *settingsForm) read() (runSettings, string) {
	rs := f.rs
	h := &rs.Hyper
	h.Augment = slices.Clone(h.Augment)
	h.Optimizer = f.optimizer.Selected
	h.Schedule = f.schedule.Selected
	rs.Train.Device = f.device.Selected
	rs.Train.Validation = valHoldOut
	if f.validation.Selected == valChoiceNone {
		rs.Train.Validation = valNone
	}
	for _, c := range preprocessChoices {
		if c.name == f.preprocess.Selected {
			rs.Preprocess = c.norm
		}
	}
	num := func(e *widget.Entry, name string, lo, hi float64, def float64) (float64, string) {
		t := strings.TrimSpace(e.Text)
		if t == "" {
			return def, ""
		}
		v, err := strconv.ParseFloat(t, 64)
		switch {
		case err != nil || math.IsNaN(v):
			return 0, fmt.Sprintf("%s: %q is not a number", name, t)
		case v < lo || v > hi:
			return 0, fmt.Sprintf("%s must be between %g and %g", name, lo, hi)
		}
		return v, ""
	}
	whole := func(e *widget.Entry, name string, lo, hi, def int) (int, string) {
		t := strings.TrimSpace(e.Text)
		if t == "" {
			return def, ""
		}
		v, err := strconv.Atoi(t)
		switch {
		case err != nil:
			return 0, fmt.Sprintf("%s: %q is not a whole number", name, t)
		case v < lo || v > hi:
			return 0, fmt.Sprintf("%s must be between %d and %d", name, lo, hi)
		}
		return v, ""
	}
	var bad []string
	note := func(p string) {
		if p != "" {
			bad = append(bad, p)
		}
	}
	var p string
	h.LR, p = num(f.lr, "Learning rate", 1e-12, 100, defaultLR(h.Optimizer))
	note(p)
	if p == "" && h.LR <= 0 {
		note("Learning rate must be above 0")
	}
	h.Momentum, p = num(f.momentum, "Momentum", 0, 0.9999, 0)
	note(p)
	h.Warmup, p = whole(f.warmup, "Warm-up", 0, 1000, 0)
	note(p)
	h.Batch, p = whole(f.batch, "Batch size", 1, 65536, 64)
	note(p)
	h.Epochs, p = whole(f.epochs, "Epochs", 1, 100000, 10)
	note(p)
	if h.Warmup >= h.Epochs && h.Warmup > 0 {
		note(fmt.Sprintf("Warm-up (%s) must be shorter than the run (%s)", widgets.Plural(h.Warmup, "epoch"), widgets.Plural(h.Epochs, "epoch")))
	}
	h.WeightDecay, p = num(f.decay, "Weight decay", 0, 10, 0)
	note(p)
	rs.Train.Gamma, p = num(f.gamma, "Step factor", 1e-6, 1, 0.1)
	note(p)
	rs.Train.MinLR, p = num(f.minLR, "Final rate", 0, 100, 0)
	note(p)
	rs.Train.StepEvery, p = whole(f.stepEvery, "Step every", 0, 100000, 0)
	note(p)
	seed, p := whole(f.seed, "Seed", math.MinInt32, math.MaxInt32, 1)
	note(p)
	h.Seed = int64(seed)
	aug := strings.TrimSpace(f.augment.Text)
	if _, err := augment.Parse(aug); err != nil {
		note("Augmentation: " + err.Error())
	} else {
		h.Augment = nil
		for _, a := range strings.Split(aug, ",") {
			if a = strings.TrimSpace(a); a != "" && a != "none" {
				h.Augment = append(h.Augment, a)
			}
		}
	}
	if len(bad) > 0 {
		return f.rs, widgets.FirstUpper(bad[0]) + "."
	}
	return rs, ""
}

// changed reads the form after an edit and reports it.
func (f *settingsForm) changed() {
	if f.loading {
		return
	}
	f.showRows()
	rs, problem := f.read()
	f.augment.SetValidationError(nil)
	if problem == "" {
		f.rs = rs
	} else if strings.HasPrefix(problem, "Augmentation") {
		f.augment.SetValidationError(fmt.Errorf("%s", problem))
	}
	if f.onChange != nil {
		f.onChange(f.rs, problem)
	}
}

// setEnabled locks the form while a run uses its settings.
func (f *settingsForm) setEnabled(on bool) {
	for _, w := range []fyne.Disableable{f.optimizer, f.schedule, f.preprocess, f.device, f.validation, f.lr, f.warmup,
		f.batch, f.epochs, f.decay, f.augment, f.seed, f.gamma, f.minLR, f.stepEvery} {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
	if on {
		f.showRows()
	} else {
		f.momentum.Disable()
	}
}

// field is a setting with its caption above it.
func field(caption string, w fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabel(caption)
	l.SizeName = theme.SizeNameCaptionText
	l.TextStyle.Bold = true
	return container.NewBorder(container.New(layout.NewCustomPaddedLayout(-6, -8, 0, 0), l), nil, nil, nil, w)
}

// fmtNum writes a setting the way people type it: 0.001, 3e-05, 64. Six
// significant digits hide float32 round-off (0.0010000000474974513, a
// rate that went through the engine, shows as 0.001).
func fmtNum(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}
