package lintoy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/widgets"
)

// Toy is the whole interactive demo: the plane beside the controls (loss,
// step size, regularisation, Step, Train, Randomise, Reset) and live
// read-outs of the loss, the parameters and every point's scores and loss.
type Toy struct {
	widget.BaseWidget

	Model *Model
	Plane *Plane

	lossSel  *widget.RadioGroup
	lrSlider *widget.Slider
	lrLabel  *widget.Label
	rgSlider *widget.Slider
	rgLabel  *widget.Label
	train    *widget.Button
	total    *widget.Label
	parts    *widget.Label
	params   *widget.Label
	table    *widget.Label
	root     fyne.CanvasObject

	mu      sync.Mutex
	running bool
	stop    chan struct{}
	rng     *rand.Rand
	steps   int
}

// New returns the toy on the course demo's starting point.
func New() *Toy {
	t := &Toy{Model: NewModel(), rng: rand.New(rand.NewPCG(1, 2))}
	t.ExtendBaseWidget(t)
	t.Plane = NewPlane(t.Model)
	t.Plane.OnChanged = t.update
	t.build()
	t.update()
	return t
}

// lossNames are the radio options, in Loss order.
var lossNames = []string{"Multiclass SVM", "Softmax"}

func (t *Toy) build() {
	m := t.Model
	t.lossSel = widget.NewRadioGroup(lossNames, func(s string) {
		for i, n := range lossNames {
			if n == s {
				m.Loss = Loss(i)
			}
		}
		t.update()
	})
	t.lossSel.Horizontal = true
	t.lossSel.Required = true
	t.lossSel.SetSelected(lossNames[m.Loss])

	t.lrLabel = widget.NewLabel("")
	t.lrSlider = widget.NewSlider(-3, 0)
	t.lrSlider.Step = 0.1
	t.lrSlider.SetValue(math.Log10(m.LR))
	t.lrSlider.OnChanged = func(v float64) { m.LR = math.Pow(10, v); t.update() }

	t.rgLabel = widget.NewLabel("")
	t.rgSlider = widget.NewSlider(-4, 0)
	t.rgSlider.Step = 0.1
	t.rgSlider.SetValue(math.Log10(m.Reg))
	t.rgSlider.OnChanged = func(v float64) { m.Reg = math.Pow(10, v); t.update() }

	step := widget.NewButton("Step", func() { t.Step() })
	step.Importance = widget.HighImportance
	t.train = widget.NewButton("Train", func() {
		if t.Running() {
			t.Stop()
		} else {
			t.Start()
		}
	})
	random := widget.NewButton("Randomise W, b", func() {
		m.Randomize(t.rng)
		t.update()
	})
	reset := widget.NewButton("Reset", func() {
		m.Reset()
		t.update()
	})

	t.total = widget.NewLabel("")
	t.total.TextStyle.Bold = true
	t.total.SizeName = theme.SizeNameSubHeadingText
	t.parts = widget.NewLabel("")
	t.parts.Wrapping = fyne.TextWrapWord
	t.params = widget.NewLabel("")
	t.params.TextStyle.Monospace = true
	t.table = widget.NewLabel("")
	t.table.TextStyle.Monospace = true
	t.table.SizeName = theme.SizeNameCaptionText

	hint := widget.NewLabel("Drag a point, the ring on a line (moves the boundary: the bias) or an arrow's tip (turns and scales the class's weights).")
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText

	heading := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	controls := container.NewVBox(
		heading("Loss"), t.lossSel,
		container.NewBorder(nil, nil, widget.NewLabel("Step size"), t.lrLabel, t.lrSlider),
		container.NewBorder(nil, nil, widget.NewLabel("Regularisation"), t.rgLabel, t.rgSlider),
		container.NewGridWithColumns(2, step, t.train),
		container.NewGridWithColumns(2, random, reset),
		widget.NewSeparator(),
		t.total, t.parts,
		heading("Parameters"), t.params,
		heading("Points"), t.table,
	)
	side := container.New(&widgets.FixedWidth{W: 330}, container.NewVScroll(controls))
	t.root = container.NewBorder(nil, container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), hint), nil, side, t.Plane)
}

// Step takes one gradient step and redraws.
func (t *Toy) Step() {
	t.Model.Step()
	t.steps++
	t.Plane.Refresh()
	t.update()
}

// Running reports whether Train is stepping on its own.
func (t *Toy) Running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.running
}

// Start steps about 20 times a second until Stop; each step runs on the
// UI goroutine through fyne.Do.
func (t *Toy) Start() {
	t.mu.Lock()
	if t.running {
		t.mu.Unlock()
		return
	}
	t.running = true
	stop := make(chan struct{})
	t.stop = stop
	t.mu.Unlock()
	t.train.SetText("Stop")
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				fyne.DoAndWait(func() {
					if t.Running() {
						t.Step()
					}
				})
			}
		}
	}()
}

// Stop ends Train.
func (t *Toy) Stop() {
	t.mu.Lock()
	if t.running {
		close(t.stop)
		t.running = false
	}
	t.mu.Unlock()
	t.train.SetText("Train")
}

// update shows the model's numbers.
func (t *Toy) update() {
	if t.root == nil {
		return // still building: callbacks fire as controls get their values
	}
	m := t.Model
	total, data, reg := m.Losses()
	t.lrLabel.SetText(fmt.Sprintf("%.3g", m.LR))
	t.rgLabel.SetText(fmt.Sprintf("%.3g", m.Reg))
	t.total.SetText(fmt.Sprintf("Total loss %.3f", total))
	ok := int(math.Round(m.Accuracy() * float64(len(m.Points))))
	t.parts.SetText(fmt.Sprintf("data %.3f + regularisation %.3f\n%d of %d points right · %d steps", data, reg, ok, len(m.Points), t.steps))
	var b strings.Builder
	fmt.Fprintf(&b, "      W[·,0]   W[·,1]      b\n")
	for c := range m.W {
		fmt.Fprintf(&b, "c%d  %7.2f  %7.2f  %7.2f\n", c, m.W[c][0], m.W[c][1], m.B[c])
	}
	t.params.SetText(strings.TrimRight(b.String(), "\n"))
	b.Reset()
	fmt.Fprintf(&b, "  x      y   c   s0     s1     s2    loss\n")
	for i, p := range m.Points {
		s := m.Scores(p.X, p.Y)
		fmt.Fprintf(&b, "%5.2f %5.2f  %d %6.2f %6.2f %6.2f %6.2f\n", p.X, p.Y, p.Class, s[0], s[1], s[2], m.PointLoss(i))
	}
	t.table.SetText(strings.TrimRight(b.String(), "\n"))
	t.Plane.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (t *Toy) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(t.root)
}
