package saliency

import (
	"context"
	"fmt"
	"image"
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
var Pane = ui.Pane{ID: ui.PaneSaliency, Title: "Saliency", Icon: theme.VisibilityIcon(), Order: 70, New: newSaliencyPane}

const about = "Ask which pixels a prediction depends on: gradient saliency maps, guided backpropagation, " +
	"Grad-CAM, SmoothGrad, integrated gradients and occlusion sensitivity, drawn over the image as heat maps."

// predicted is the class choice that explains the model's own prediction.
const predicted = "Predicted class"

// salPane is the Saliency pane: an image (a test image of the project's
// dataset or a file), the class to explain, and three tabs: every method's
// map over the image, the sanity check, and the class visualisation.
type salPane struct {
	widget.BaseWidget
	inspection.Base

	body, root *fyne.Container
	tabs       *container.AppTabs
	job        *widgets.JobBar

	// The image being explained: pixels in [0, 1], C×H×W.
	x     []float32
	name  string
	label int // true class, -1 for a file
	pred  int
	probs []float32

	index   *widget.Entry
	path    *widget.Entry
	info    *widget.Label
	class   *widget.Select
	layer   *widget.Select
	opacity *widget.Slider
	run     *widget.Button

	grid    *fyne.Container
	cells   []*cell
	methods []method

	sanity *sanityView
	viz    *vizView
	bias   *biasView
	cmp    *compare
}

// cell is one method's picture in the grid.
type cell struct {
	img     *picture
	caption *widget.Label
	m       *attrib.Map
}

func newSaliencyPane(s *ui.State) fyne.CanvasObject {
	p := &salPane{Base: inspection.Base{S: s, Title: "Saliency", Icon: theme.VisibilityIcon(), About: about,
		DataJob: widgets.NewJobBar()}, job: widgets.NewJobBar(), label: -1}
	p.Base.OnLoaded = p.refresh
	p.ExtendBaseWidget(p)
	p.methods = methods()
	p.index = widget.NewEntry()
	p.index.SetText("0")
	p.index.OnSubmitted = func(string) { p.chooseTest() }
	p.path = widget.NewEntry()
	p.path.OnSubmitted = func(s string) { p.openFile(strings.TrimSpace(s)) }
	p.info = widget.NewLabel("")
	p.info.Wrapping = fyne.TextWrapWord
	p.class = widget.NewSelect([]string{predicted}, nil)
	p.class.SetSelected(predicted)
	p.layer = widget.NewSelect(nil, nil)
	p.opacity = widget.NewSlider(0, 1)
	p.opacity.Step = 0.05
	p.opacity.SetValue(0.5)
	p.opacity.OnChanged = func(float64) { p.drawGrid() }
	p.run = widget.NewButtonWithIcon("Explain", theme.MediaPlayIcon(), p.explain)
	p.run.Importance = widget.HighImportance
	for _, m := range p.methods {
		c := &cell{img: newPicture(), caption: widget.NewLabel(m.title)}
		c.caption.Alignment = fyne.TextAlignCenter
		c.caption.Truncation = fyne.TextTruncateEllipsis
		p.cells = append(p.cells, c)
	}
	objs := make([]fyne.CanvasObject, len(p.cells))
	for i, c := range p.cells {
		objs[i] = container.NewBorder(nil, c.caption, nil, nil, c.img.raster)
	}
	p.grid = container.NewGridWrap(fyne.NewSize(232, 262), objs...)
	p.cmp = newCompare(p, p.grid)
	p.sanity = newSanityView(p)
	p.viz = newVizView(p)
	p.bias = newBiasView(p)
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Methods", theme.VisibilityIcon(), p.methodsTab()),
		container.NewTabItem("Sanity check", p.sanity.root),
		container.NewTabItem("Class visualisation", p.viz.root),
		container.NewTabItem("Where it looks", p.bias.root),
	)
	p.body = container.NewStack()
	p.root = p.Frame(p.job, p.body, p.refresh)
	p.refresh()
	return p
}

// CreateRenderer implements fyne.Widget.
func (p *salPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.root) }

func (p *salPane) methodsTab() fyne.CanvasObject {
	form := widget.NewForm(append(inspection.PathPickerItems(p.index, p.chooseTest, p.path, p.chooseFile),
		widget.NewFormItem("Explain", p.class),
		widget.NewFormItem("Grad-CAM layer", p.layer),
		widget.NewFormItem("Overlay opacity", p.opacity),
		p.cmp.row(),
	)...)
	left := container.NewVBox(form, p.run, p.info)
	split := container.NewHSplit(container.NewVScroll(left), container.NewVScroll(p.cmp.root))
	split.SetOffset(0.28)
	return widgets.Pad(6, 4, 6, 6, split)
}

// refresh follows the project's model and the dataset.
func (p *salPane) refresh() {
	p.RefreshOneImage(inspection.OneImageView{
		Body: p.body, Main: p.tabs, Command: "workbench viz saliency --project " + ui.ProjectArg(p.S) + " --out DIR", Pane: "The Saliency pane",
		HasImage: func() bool { return p.x != nil },
		OnModel:  func() { p.x = nil; p.cmp.clear(); p.setModel() },
		Choose:   p.chooseTest,
	})
}

// setModel fills the class and layer choices from a newly read model.
func (p *salPane) setModel() {
	if p.Model == nil {
		return
	}
	opts := []string{predicted}
	for k := 0; k < attribNet(p.Model.First).Classes(); k++ {
		opts = append(opts, p.ClassName(k))
	}
	p.class.SetOptions(opts)
	p.class.SetSelected(predicted)
	var layers []string
	for _, l := range p.Model.Layers() {
		if l.Spatial() && (l.Shape[1] > 1 || l.Shape[2] > 1) && l.Op != "input" {
			layers = append(layers, l.ID)
		}
	}
	p.layer.SetOptions(layers)
	if len(layers) > 0 {
		p.layer.SetSelected(layers[len(layers)-1])
	}
	p.viz.setModel()
}

// target is the class to explain: the chosen one, else the prediction.
func (p *salPane) target() int {
	for i, o := range p.class.Options {
		if o == p.class.Selected && i > 0 {
			return i - 1
		}
	}
	return p.pred
}

// chooseTest takes test image number index of the dataset next.
func (p *salPane) chooseTest() { p.ChooseTest(p.index.Text, p.info, p.use) }

// chooseFile asks for an image file.
func (p *salPane) chooseFile() {
	p.ShowFileOpen(func(path string) {
		p.path.SetText(path)
		p.openFile(path)
	})
}

// openFile reads an image file, resized to the network's input.
func (p *salPane) openFile(path string) { p.OpenFile(path, p.info, p.use) }

func (p *salPane) use(im inspection.Picked) { p.setImage(im.X, im.Name, im.Label) }

// setImage makes x the explained image and clears the maps, once the
// network's prediction for it is known: that is a forward pass (a
// fraction of a second on ResNet-50), so it runs as a job, off the UI
// goroutine.
func (p *salPane) setImage(x []float32, name string, label int) {
	n := attribNet(p.Model.First)
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
		p.probs = probs
		p.pred = attrib.Argmax(p.probs, 1)[0]
		for _, c := range append(p.cells, p.cmp.cells...) {
			c.m = nil
		}
		txt := fmt.Sprintf("%s: the network says %s (%.0f%%).", widgets.FirstUpper(name), p.ClassName(p.pred), 100*p.probs[p.pred])
		if label >= 0 {
			txt += " Its class is " + p.ClassName(label) + "."
		}
		p.info.SetText(txt)
		p.drawGrid()
		p.refresh()
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + " before choosing another image.")
	}
}

// drawGrid draws each method's map over the image at the chosen opacity.
func (p *salPane) drawGrid() {
	if p.Model == nil {
		return
	}
	in := p.Model.In
	for i, c := range p.cells {
		var img image.Image
		switch {
		case p.x == nil:
		case c.m == nil:
			img = attrib.PixelImage(p.x, in[0], in[1], in[2])
		default:
			img = attrib.Overlay(p.x, in[0], in[1], in[2], *c.m, p.opacity.Value)
		}
		c.img.set(img)
		if c.m == nil {
			c.caption.SetText(p.methods[i].title)
		}
	}
	p.cmp.draw(p.x, in, p.opacity.Value)
}

// PrepareRender computes what the pane shows in render-panes: the dataset's
// first test image explained by every method.
func (p *salPane) PrepareRender(ctx context.Context) {
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
	p.explain()
}
