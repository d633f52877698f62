package adversarial

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneAdversarial, Title: "Adversarial", Icon: theme.WarningIcon(), Order: 80, New: newAdversarialPane}

const about = "Fool the network: change an image by an amount too small to see until the network calls it " +
	"another class (fast gradient sign and iterative attacks), and measure how accuracy falls as the " +
	"allowed change grows."

// advPane is the Adversarial pane: the attack settings on the left, the
// attacked image (original, magnified difference, adversarial, the class
// probabilities before and after, a slider through the iterations) in one
// tab and the accuracy-against-epsilon curve in the other.
type advPane struct {
	widget.BaseWidget
	inspection.Base

	body, root *fyne.Container
	tabs       *container.AppTabs
	job        *widgets.JobBar

	// The attacked image: pixels in [0, 1], C×H×W, and its true class (-1
	// for a file).
	x     []float32
	name  string
	label int
	pred  int

	index    *widget.Entry
	path     *widget.Entry
	method   *widget.Select
	norm     *widget.Select
	eps      *widget.Slider
	epsLabel *widget.Label
	steps    *widget.Entry
	stepSize *widget.Entry
	targeted *widget.Check
	target   *widget.SelectEntry
	attack   *widget.Button
	info     *widget.Label

	view  *attackView
	curve *curveView
}

func newAdversarialPane(s *ui.State) fyne.CanvasObject {
	p := &advPane{Base: inspection.Base{S: s, Title: "Adversarial examples", Icon: theme.WarningIcon(), About: about,
		DataJob: widgets.NewJobBar()}, job: widgets.NewJobBar(), label: -1}
	p.Base.OnLoaded = p.refresh
	p.ExtendBaseWidget(p)
	p.index = widget.NewEntry()
	p.index.SetText("0")
	p.index.OnSubmitted = func(string) { p.chooseTest() }
	p.path = widget.NewEntry()
	p.path.OnSubmitted = func(s string) { p.openFile(strings.TrimSpace(s)) }
	p.method = widget.NewSelect([]string{"FGSM", "PGD"}, func(m string) {
		if m == "FGSM" {
			p.steps.Disable()
			p.stepSize.Disable()
		} else {
			p.steps.Enable()
			p.stepSize.Enable()
		}
	})
	p.norm = widget.NewSelect([]string{"L∞", "L2"}, nil)
	p.norm.SetSelected("L∞")
	p.epsLabel = widget.NewLabel("")
	p.eps = widget.NewSlider(0, 32)
	p.eps.Step = 0.5
	p.eps.OnChanged = func(v float64) { p.epsLabel.SetText(fmt.Sprintf("ε = %g/255", v)) }
	p.eps.SetValue(8)
	p.steps, p.stepSize = widget.NewEntry(), widget.NewEntry()
	p.steps.SetText("10")
	p.stepSize.SetPlaceHolder("default: 2.5·ε/steps")
	p.method.SetSelected("PGD")
	p.target = inspection.NewClassEntry()
	p.target.Disable()
	p.targeted = widget.NewCheck("Targeted", func(on bool) {
		if on {
			p.target.Enable()
		} else {
			p.target.Disable()
		}
	})
	p.attack = widget.NewButtonWithIcon("Attack", theme.MediaPlayIcon(), p.runAttack)
	p.attack.Importance = widget.HighImportance
	p.info = widget.NewLabel("")
	p.info.Wrapping = fyne.TextWrapWord
	p.view = newAttackView(p)
	p.curve = newCurveView(p)
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Attack", theme.WarningIcon(), p.attackTab()),
		container.NewTabItem("Accuracy against ε", p.curve.root),
	)
	p.body = container.NewStack()
	p.root = p.Frame(p.job, p.body, p.refresh)
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *advPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

func (p *advPane) attackTab() fyne.CanvasObject {
	form := widget.NewForm(append(inspection.PathPickerItems(p.index, p.chooseTest, p.path, p.chooseFile),
		widget.NewFormItem("Attack", p.method),
		widget.NewFormItem("Norm", p.norm),
		widget.NewFormItem("Epsilon", container.NewBorder(nil, nil, nil, p.epsLabel, p.eps)),
		widget.NewFormItem("Steps", p.steps),
		widget.NewFormItem("Step size (/255)", p.stepSize),
		widget.NewFormItem("", p.targeted),
		widget.NewFormItem("Towards class", p.target),
	)...)
	left := container.NewVBox(form, p.attack, p.info)
	split := container.NewHSplit(container.NewVScroll(left), p.view.root)
	split.SetOffset(0.3)
	return widgets.Pad(6, 4, 6, 6, split)
}

// refresh follows the project's model and the dataset.
func (p *advPane) refresh() {
	p.RefreshOneImage(inspection.OneImageView{
		Body: p.body, Main: p.tabs, Command: "workbench attack --project " + ui.ProjectArg(p.S) + " --out DIR", Pane: "The Adversarial pane",
		HasImage: func() bool { return p.x != nil },
		OnModel:  func() { p.x = nil; p.setModel() },
		Choose:   p.chooseTest,
	})
}

func (p *advPane) setModel() {
	p.view.clear()
	if p.Model == nil {
		return
	}
	p.SetClassOptions(p.target, net(p.Model).Classes())
}

// chooseTest takes test image number index of the dataset next.
func (p *advPane) chooseTest() { p.ChooseTest(p.index.Text, p.info, p.use) }

// chooseFile asks for an image file.
func (p *advPane) chooseFile() {
	p.ShowFileOpen(func(path string) {
		p.path.SetText(path)
		p.openFile(path)
	})
}

// openFile reads an image file, resized to the network's input.
func (p *advPane) openFile(path string) { p.OpenFile(path, p.info, p.use) }

func (p *advPane) use(im inspection.Picked) { p.setImage(im.X, im.Name, im.Label) }

// setImage makes x the attacked image once the network's prediction for
// it is known: a forward pass (a fraction of a second on ResNet-50), run
// as a job, off the UI goroutine.
func (p *advPane) setImage(x []float32, name string, label int) {
	n := net(p.Model)
	var probs []float32
	err := p.job.Start("Predicting the class of "+name+"…", func(context.Context, widgets.Report) error {
		probs = attrib.Softmax(n.Logits(x, 1), 1)
		return nil
	}, func(err error) {
		if err != nil {
			p.info.SetText("Cannot predict the class of " + name + ": " + err.Error())
			return
		}
		p.x, p.name, p.label = x, name, label
		p.pred = attrib.Argmax(probs, 1)[0]
		txt := fmt.Sprintf("%s: the network says %s (%.0f%%).", widgets.FirstUpper(name), p.ClassName(p.pred), 100*probs[p.pred])
		if label >= 0 {
			txt += " Its class is " + p.ClassName(label) + "."
		}
		p.info.SetText(txt)
		p.view.original(x, probs)
		p.refresh()
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + " before choosing another image.")
	}
}

// PrepareRender computes what the pane shows in render-panes: a PGD attack
// on the dataset's first test image.
func (p *advPane) PrepareRender(ctx context.Context) {
	p.Sync, p.job.Sync = true, true
	defer func() { p.Sync, p.job.Sync = false, false }()
	if p.Model == nil {
		return
	}
	if p.S.Dataset == nil && p.S.Project.Dataset.Spec != "" {
		p.LoadData()
	}
	if ctx.Err() != nil || !p.DataOK() {
		return
	}
	p.refresh()
	p.runAttack()
}
