package trainui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// Adversarial-training choices, in words.
const (
	advOff  = "off"
	advPGD  = "PGD (random start)"
	advFGSM = "FGSM (random start)"
)

// advSettings are the adversarial-training settings of the next run, as
// `workbench train --adv pgd|fgsm --adv-eps --adv-steps --adv-step-size
// --adv-ramp` takes them: every training batch is replaced by its attack
// on the current weights (engine/train's Adversarial). Like the command's
// flags, they are not project settings: each run records those it used
// (projects.Run.Adversarial), and "Use these settings" on a run brings
// them back.
type advSettings struct {
	method                     *widget.Select
	eps, steps, stepSize, ramp *widget.Entry
	problem                    *widget.Label
	root                       fyne.CanvasObject
	// locked holds every control disabled while a run trains: the
	// settings are read when a run starts, so an edit during one would
	// look applied and not be.
	locked bool
}

func newAdvSettings() *advSettings {
	a := &advSettings{eps: widget.NewEntry(), steps: widget.NewEntry(), stepSize: widget.NewEntry(), ramp: widget.NewEntry(),
		problem: widgets.WrapLabel("")}
	a.problem.Importance = widget.DangerImportance
	a.eps.SetText("8/255")
	a.steps.SetText("7")
	a.stepSize.SetPlaceHolder("2.5·ε/steps")
	a.ramp.SetText("0")
	for _, e := range []*widget.Entry{a.eps, a.steps, a.stepSize, a.ramp} {
		e.OnChanged = func(string) { a.check() }
	}
	a.method = widget.NewSelect([]string{advOff, advPGD, advFGSM}, func(string) { a.check() })
	a.method.SetSelected(advOff)
	pair := func(x, y fyne.CanvasObject) fyne.CanvasObject { return container.NewGridWithColumns(2, x, y) }
	note := widgets.WrapLabel("Each batch is replaced by its attack on the current weights (Madry et al.): a model " +
		"robust within ε, at some clean accuracy. Applies to the next run; ε may be written 8/255.")
	note.SizeName = "captionText"
	a.root = container.NewVBox(
		pair(field("Attack while training", a.method), field("Epsilon (L∞)", a.eps)),
		pair(field("PGD steps", a.steps), field("Step size", a.stepSize)),
		pair(field("Ramp ε over (epochs)", a.ramp), widget.NewLabel("")),
		note, a.problem)
	return a
}

// set shows the settings of a (nil: off).
func (a *advSettings) set(c *train.Adversarial) {
	if c == nil {
		a.method.SetSelected(advOff)
		return
	}
	a.eps.SetText(epsText(c.Eps))
	if c.Steps > 0 {
		a.steps.SetText(strconv.Itoa(c.Steps))
	}
	a.stepSize.SetText("")
	if c.StepSize > 0 {
		a.stepSize.SetText(epsText(c.StepSize))
	}
	a.ramp.SetText(strconv.Itoa(c.Ramp))
	if c.Method == adversarial.FGSM {
		a.method.SetSelected(advFGSM)
	} else {
		a.method.SetSelected(advPGD)
	}
	a.check()
}

// epsText writes v as k/255 when it is one, else as a decimal.
func epsText(v float64) string {
	if k := math.Round(v * 255); k >= 1 && math.Abs(k/255-v) < 1e-9 {
		return strconv.Itoa(int(k)) + "/255"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// advSummary says in a few words how a run attacked its batches.
func advSummary(a *projects.AdversarialTraining) string {
	s := "adversarial " + strings.ToUpper(a.Method) + " ε " + epsText(a.Eps)
	if a.Method == adversarial.PGD && a.Steps > 0 {
		s += fmt.Sprintf(" × %d", a.Steps)
	}
	if a.Ramp > 0 {
		s += fmt.Sprintf(" (ramp %d)", a.Ramp)
	}
	return s
}

// card is the settings in a card, for the Settings column.
func (a *advSettings) card() fyne.CanvasObject {
	return widgets.CardWith("Adversarial training", nil, a.root)
}

// check shows the first problem of the settings, if any.
func (a *advSettings) check() {
	_, err := a.config()
	a.problem.SetText("")
	if err != nil {
		a.problem.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
	if a.locked {
		a.method.Disable()
		for _, e := range []*widget.Entry{a.eps, a.steps, a.stepSize, a.ramp} {
			e.Disable()
		}
		return
	}
	a.method.Enable()
	off := a.method.Selected == advOff
	for _, e := range []*widget.Entry{a.eps, a.steps, a.stepSize, a.ramp} {
		if off {
			e.Disable()
		} else {
			e.Enable()
		}
	}
	if a.method.Selected == advFGSM {
		a.steps.Disable()
		a.stepSize.Disable()
	}
}

// setEnabled locks the settings while a run trains (on false) and unlocks
// them after.
func (a *advSettings) setEnabled(on bool) {
	if a.locked == !on {
		return
	}
	a.locked = !on
	a.check()
}

// config is the engine's adversarial-training configuration (nil when
// off), or what is wrong with the settings.
func (a *advSettings) config() (*train.Adversarial, error) {
	var method string
	switch a.method.Selected {
	case advPGD:
		method = adversarial.PGD
	case advFGSM:
		method = adversarial.FGSM
	default:
		return nil, nil
	}
	eps, err := fraction(a.eps.Text)
	if err != nil {
		return nil, fmt.Errorf("adversarial epsilon %q: use a number in (0, 1] such as 0.03 or 8/255", a.eps.Text)
	}
	adv := &train.Adversarial{Method: method, Eps: eps}
	if method == adversarial.PGD {
		if adv.Steps, err = strconv.Atoi(strings.TrimSpace(a.steps.Text)); err != nil || adv.Steps < 1 || adv.Steps > 1000 {
			return nil, fmt.Errorf("PGD steps %q: use a whole number from 1 to 1000", a.steps.Text)
		}
		if t := strings.TrimSpace(a.stepSize.Text); t != "" {
			if adv.StepSize, err = fraction(t); err != nil || adv.StepSize == 0 {
				return nil, fmt.Errorf("step size %q: use a number above 0 such as 2/255, or leave it empty", t)
			}
		}
	}
	if adv.Ramp, err = strconv.Atoi(strings.TrimSpace(a.ramp.Text)); err != nil || adv.Ramp < 0 || adv.Ramp > 10000 {
		return nil, fmt.Errorf("ramp %q: use a whole number of epochs, 0 for none", a.ramp.Text)
	}
	if err := adv.Validate(); err != nil {
		return nil, err
	}
	return adv, nil
}

// fraction reads a number that may be written as a fraction (8/255).
func fraction(s string) (float64, error) {
	num, den, isFrac := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err == nil && isFrac {
		var d float64
		if d, err = strconv.ParseFloat(strings.TrimSpace(den), 64); err == nil && d == 0 {
			err = fmt.Errorf("division by zero")
		}
		v /= d
	}
	if err == nil && (v < 0 || math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("not a number >= 0")
	}
	return v, err
}
