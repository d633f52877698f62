package filters

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// ---- filters ----

// filterView shows a convolution's filters, normalised per filter: the
// first layer's as colour (or grey) tiles, deeper ones as a grey tile per
// input channel; a slider steps through the saved checkpoints.
type filterView struct {
	p       *filtersPane
	layer   *widget.Select
	slider  *widget.Slider
	step    *widget.Label
	caption *widget.Label
	// sliderBox holds the slider and its label; the slider is hidden
	// when there is one set of weights.
	sliderBox   *fyne.Container
	stepsRow    *fyne.Container
	stepButtons *fyne.Container
	view        *widgets.ZoomView
	zoom        *widget.Select
	root        fyne.CanvasObject

	snaps []inspection.FilterSnapshot
	convs []string
	quiet bool
	// schedule says which epochs the snapshots are ("" for checkpoints).
	schedule string
}

// epochSnapshots are the weights after each epoch kept by the newest run
// that has snapshots, one slider step each, and the run's thinning
// schedule in words; nil when no run kept any.
func epochSnapshots(p *projects.Project) ([]inspection.FilterSnapshot, string) {
	for i := len(p.Runs) - 1; i >= 0; i-- {
		r := &p.Runs[i]
		if len(r.Snapshots) == 0 {
			continue
		}
		var out []inspection.FilterSnapshot
		for _, s := range r.Snapshots {
			out = append(out, inspection.FilterSnapshot{Label: fmt.Sprintf("after epoch %d of run %s", s.Epoch, r.ID), Weights: p.SnapshotWeights(s)})
		}
		return out, fmt.Sprintf("Run %s keeps the weights after %s: %d of its %d epochs.", r.ID, projects.SnapshotSchedule(r),
			len(r.Snapshots), max(len(r.Epochs), r.Snapshots[len(r.Snapshots)-1].Epoch))
	}
	return nil, ""
}

func newFilterView(p *filtersPane) *filterView {
	v := &filterView{p: p, view: widgets.NewZoomView()}
	v.layer = widget.NewSelect(nil, func(string) {
		if !v.quiet {
			v.show()
		}
	})
	v.slider = widget.NewSlider(0, 1)
	v.slider.Step = 1
	v.slider.OnChanged = func(float64) {
		if !v.quiet {
			v.show()
		}
	}
	v.step = widget.NewLabel("")
	v.caption = widget.NewLabel("")
	v.caption.Wrapping = fyne.TextWrapWord
	v.caption.SizeName = theme.SizeNameCaptionText
	v.zoom = widget.NewSelect(widgets.ZoomChoices, func(s string) { v.view.SetZoom(widgets.ZoomFactor(s)) })
	v.zoom.SetSelected("Fit")

	head := []fyne.CanvasObject{widgets.Labelled("Layer", v.layer, 110), widgets.Labelled("Zoom", v.zoom, 80)}
	back := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.slider.SetValue(max(v.slider.Value-1, v.slider.Min)) })
	fwd := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.slider.SetValue(min(v.slider.Value+1, v.slider.Max)) })
	v.stepButtons = container.NewHBox(back, fwd)
	v.sliderBox = container.NewBorder(nil, nil, v.stepButtons, nil, v.slider)
	v.step.Truncation = fyne.TextTruncateEllipsis
	v.stepsRow = container.NewStack()
	steps := container.NewBorder(nil, nil, widget.NewLabel("Weights"), nil, v.stepsRow)
	v.root = widgets.CardWith("Filters", nil, widgets.WithBar(container.NewBorder(steps, v.caption, nil, nil, v.view), head...))
	return v
}

// setModel shows the filters of m's convolutions in every snapshot of p.
func (v *filterView) setModel(m *inspection.Model, p *projects.Project) {
	v.convs = inspect.ConvLayers(m.Graph)
	var schedule string
	if v.snaps, schedule = epochSnapshots(p); len(v.snaps) == 0 {
		v.snaps = inspection.FilterSnapshots(p)
	}
	v.schedule = schedule
	v.quiet = true
	old := v.layer.Selected
	v.layer.Options = v.convs
	if len(v.convs) > 0 && !slices.Contains(v.convs, old) {
		v.layer.SetSelected(v.convs[0])
	} else if slices.Contains(v.convs, old) {
		v.layer.SetSelected(old)
	}
	v.layer.Refresh()
	v.slider.Max = float64(max(len(v.snaps)-1, 1))
	v.slider.SetValue(float64(max(len(v.snaps)-1, 0)))
	// The slider only when there is more than one set of weights.
	if len(v.snaps) > 1 {
		v.slider.Show()
		v.stepButtons.Show()
		// The slider on its own row, its label below at full width (side by
		// side in a narrow card, the slider shrank and the label was cut).
		v.stepsRow.Objects = []fyne.CanvasObject{container.NewVBox(v.sliderBox, v.step)}
	} else {
		v.slider.Hide()
		v.stepButtons.Hide()
		v.stepsRow.Objects = []fyne.CanvasObject{v.step}
	}
	v.stepsRow.Refresh()
	v.quiet = false
	v.show()
}

// show draws the chosen layer's filters in the chosen snapshot.
func (v *filterView) show() {
	if len(v.convs) == 0 {
		v.view.SetImage(nil)
		v.step.SetText("")
		v.caption.SetText("This network has no convolutions, so it has no filters to show. Its layers' activations are on the right.")
		return
	}
	layer := v.layer.Selected
	i := min(max(int(math.Round(v.slider.Value)), 0), len(v.snaps)-1)
	if i < 0 {
		return
	}
	snap := v.snaps[i]
	if len(v.snaps) > 1 {
		v.step.SetText(fmt.Sprintf("%d of %d: %s", i+1, len(v.snaps), snap.Label))
	} else {
		v.step.SetText(snap.Label)
	}
	w, ok := snap.Weights[layer+".weight"]
	if !ok {
		v.view.SetImage(nil)
		v.caption.SetText(fmt.Sprintf("These weights have no %s: they were saved for another architecture.", layer))
		return
	}
	img, err := inspect.FilterGrid(w.Shape, w.Data, 0)
	if err != nil {
		v.view.SetImage(nil)
		v.caption.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	v.view.SetImage(img)
	v.caption.SetText(strings.TrimSpace(filterCaption(layer, w.Shape) + " " + v.schedule))
}

// filterCaption says how to read a filter grid.
func filterCaption(layer string, shape []int) string {
	if len(shape) != 4 {
		return ""
	}
	o, in, kh, kw := shape[0], shape[1], shape[2], shape[3]
	norm := "Each filter is stretched to its own range: black its most negative weight, white its most positive."
	switch in {
	case 3:
		return fmt.Sprintf("%s: %d filters of %d×%d over the RGB input, drawn in colour. %s", layer, o, kh, kw, norm)
	case 1:
		return fmt.Sprintf("%s: %d filters of %d×%d over the grey input. %s", layer, o, kh, kw, norm)
	}
	return fmt.Sprintf("%s: %d filters × %d input channels of %d×%d: a row per filter, a column per input channel. %s", layer, o, in, kh, kw, norm)
}

// ---- activations ----

// actZoomChoices magnify the activation grids.
var actZoomChoices = []string{"½×", "1×", "1½×", "2×", "3×", "4×"}

func actZoom(s string) float32 {
	switch s {
	case "½×":
		return 0.5
	case "1½×":
		return 1.5
	}
	if z := widgets.ZoomFactor(s); z > 0 {
		return z
	}
	return 1
}

// activationView shows, for one image, every layer's output as a grid of
// channel maps, with zoom.
type activationView struct {
	p       *filtersPane
	split   *widget.Select
	index   *widget.Entry
	class   *widget.Select
	norm    *widget.Select
	zoom    *widget.Select
	choose  *widget.Button
	prev    *widget.Button
	next    *widget.Button
	input   *fyne.Container // the chosen image and what the network says
	flow    *fyne.Container
	scroll  *container.Scroll
	content fyne.CanvasObject
	inner   *fyne.Container // the chosen image over the grids
	body    *fyne.Container
	root    fyne.CanvasObject

	model *inspection.Model
	ds    *data.Dataset
	set   *data.Set
	cur   int
	quiet bool

	mu    sync.Mutex // one forward pass at a time on model.First
	seq   int        // the latest request; older results are dropped
	shown []actGrid
}

// actGrid is one layer's activations drawn as a grid.
type actGrid struct {
	title string
	img   image.Image
	err   error
}

func newActivationView(p *filtersPane) *activationView {
	v := &activationView{p: p}
	v.split = widget.NewSelect([]string{"Test", "Training"}, func(string) {
		if !v.quiet {
			v.setSplit()
		}
	})
	v.index = widget.NewEntry()
	v.index.OnSubmitted = func(s string) {
		i, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v.set == nil || i < 0 || i >= v.set.Len() {
			v.index.SetText(strconv.Itoa(v.cur))
			return
		}
		v.show(i)
	}
	v.class = widget.NewSelect(nil, func(string) {
		if !v.quiet {
			v.nextOfClass(v.class.SelectedIndex())
		}
	})
	v.class.PlaceHolder = "Class"
	v.prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.step(-1) })
	v.next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.step(1) })
	v.choose = widget.NewButtonWithIcon("Choose…", theme.GridIcon(), v.chooseImage)
	v.norm = widget.NewSelect([]string{"Per layer", "Per channel"}, func(string) {
		if !v.quiet {
			v.show(v.cur)
		}
	})
	v.quiet = true
	v.split.SetSelected("Test")
	v.norm.SetSelected("Per layer")
	v.quiet = false
	v.zoom = widget.NewSelect(actZoomChoices, func(string) {
		if v.flow != nil {
			v.layoutGrids()
		}
	})
	v.zoom.SetSelected("1×")

	v.input = container.NewStack()
	v.flow, v.scroll = widgets.NewFlowScroll(8)
	v.inner = container.NewBorder(v.input, nil, nil, nil, v.scroll)
	v.content = widgets.WithBar(v.inner,
		container.New(&widgets.MinWidth{W: 110}, v.split), widgets.Labelled("Image", v.index, 64), container.NewHBox(v.prev, v.next),
		container.New(&widgets.MinWidth{W: 130}, v.class), v.choose,
		widgets.Labelled("Normalise", v.norm, 0), widgets.Labelled("Zoom", v.zoom, 80))
	v.body = container.NewStack(v.content)
	v.root = widgets.CardWith("Activations", nil, v.body)
	return v
}

func (v *activationView) setModel(m *inspection.Model) {
	v.model = m
	v.shown = nil
}

// setDataset shows the first test image of a new dataset.
func (v *activationView) setDataset(ds *data.Dataset) {
	v.ds = ds
	if ds == nil || !v.p.DataOK() {
		v.set = nil
		v.body.Objects = []fyne.CanvasObject{v.p.NeedData("Activations")}
		v.body.Refresh()
		return
	}
	v.body.Objects = []fyne.CanvasObject{v.content}
	v.body.Refresh()
	v.quiet = true
	v.class.Options = append([]string(nil), ds.Train.Classes...)
	v.class.ClearSelected()
	v.quiet = false
	v.setSplit()
}

// setSplit shows the first image of the chosen split.
func (v *activationView) setSplit() {
	if v.ds == nil {
		return
	}
	name := "test"
	if v.split.Selected == "Training" {
		name = "train"
	}
	v.set = inspection.Split(v.ds, name)
	v.show(0)
}

// step moves to the previous or next image.
func (v *activationView) step(d int) {
	if v.set == nil || v.set.Len() == 0 {
		return
	}
	v.show((v.cur + d + v.set.Len()) % v.set.Len())
}

// nextOfClass moves to the next image of class c after the current one.
func (v *activationView) nextOfClass(c int) {
	if v.set == nil || c < 0 {
		return
	}
	n := v.set.Len()
	for k := 1; k <= n; k++ {
		if i := (v.cur + k) % n; int(v.set.Labels[i]) == c {
			v.show(i)
			return
		}
	}
}

// chooseImage picks the image from a grid of the split.
func (v *activationView) chooseImage() {
	if v.set == nil || v.p.S.Window == nil {
		return
	}
	set := v.set
	g := widgets.NewImageGrid(set.Len, set.Picture, func(i int) string { return inspection.ClassName(set, i) })
	g.ThumbSize = 48
	var d dialog.Dialog
	g.OnSelected = func(i int) {
		d.Hide()
		v.show(i)
	}
	g.Select(v.cur)
	d = dialog.NewCustom("Choose an image", "Close", g, v.p.S.Window)
	d.Resize(fyne.NewSize(760, 540))
	d.Show()
	g.ScrollTo(v.cur)
}

// show computes image i's activations off the UI goroutine (on it when
// rendering) and shows them.
func (v *activationView) show(i int) {
	if v.set == nil || v.model == nil || i < 0 || i >= v.set.Len() {
		return
	}
	v.cur = i
	v.index.SetText(strconv.Itoa(i))
	v.showInput(nil)
	v.seq++
	seq, set, net, norm := v.seq, v.set, v.model.First, inspect.NormLayer
	if v.norm.Selected == "Per channel" {
		norm = inspect.NormChannel
	}
	work := func() ([]actGrid, []float32) {
		v.mu.Lock()
		defer v.mu.Unlock()
		acts, err := net.Activations(set, i)
		if err != nil {
			return []actGrid{{title: "activations", err: err}}, nil
		}
		var grids []actGrid
		var out []float32
		for _, a := range acts {
			out = a.Data
			if a.Op == "input" || a.Op == "flatten" {
				continue // the image itself; the same values as the layer before
			}
			img, err := activationPicture(a, norm)
			grids = append(grids, actGrid{title: inspection.Layer{ID: a.Layer, Shape: a.Shape}.Title(), img: img, err: err})
		}
		return grids, out
	}
	apply := func(grids []actGrid, out []float32) {
		if seq != v.seq {
			return
		}
		v.shown = grids
		v.showInput(out)
		v.layoutGrids()
	}
	if v.p.Sync {
		apply(work())
		return
	}
	widgets.Go(func() {
		grids, out := work()
		widgets.Do(func() { apply(grids, out) })
	})
}

// activationPicture draws a layer's output: a grid of channel maps, or for
// a vector a block of cells, one per value, about square.
func activationPicture(a inspect.Activation, norm string) (image.Image, error) {
	if len(a.Shape) == 3 {
		// Maps of every layer about 32 pixels, so that layers compare.
		return a.Grid(norm, max(1, int(math.Round(32/float64(max(a.Shape[1], a.Shape[2]))))))
	}
	pix, _, _, f, err := a.Maps(norm)
	if err != nil {
		return nil, err
	}
	cols := min(f, max(16, int(math.Ceil(math.Sqrt(float64(f))))))
	rows := (f + cols - 1) / cols
	cell := min(max(192/cols, 3), 14)
	img := image.NewNRGBA(image.Rect(0, 0, cols*(cell+1)+1, rows*(cell+1)+1))
	draw.Draw(img, img.Bounds(), image.NewUniform(inspect.Background), image.Point{}, draw.Src)
	for k, v := range pix {
		x, y := 1+(k%cols)*(cell+1), 1+(k/cols)*(cell+1)
		draw.Draw(img, image.Rect(x, y, x+cell, y+cell), image.NewUniform(color.Gray{Y: v}), image.Point{}, draw.Src)
	}
	return img, nil
}

// showInput shows the chosen image, its class and, once the output is
// known, what the network predicts.
func (v *activationView) showInput(out []float32) {
	set, i := v.set, v.cur
	img := widgets.PixelImage(set.Picture(i), fyne.NewSquareSize(80))
	lines := []string{fmt.Sprintf("Image %s of %s %s", widgets.Thousands(i), widgets.Thousands(set.Len()), v.splitName()),
		"Class: " + inspection.ClassName(set, i)}
	if pred, prob, ok := topClass(out, set.Classes); ok {
		lines = append(lines, fmt.Sprintf("The network says: %s (%.0f%%)", pred, 100*prob))
	} else if out == nil {
		lines = append(lines, "Computing…")
	}
	txt := widget.NewLabel(strings.Join(lines, "\n"))
	v.input.Objects = []fyne.CanvasObject{widgets.Pad(4, 4, 0, 0, container.NewBorder(nil, nil, img, nil, txt))}
	v.input.Refresh()
	// The input's height changes the layout around it.
	v.inner.Refresh()
}

func (v *activationView) splitName() string {
	if v.split.Selected == "Training" {
		return "training images"
	}
	return "test images"
}

// topClass reads the network's output as class scores: the most likely
// class and its softmax probability.
func topClass(out []float32, classes []string) (string, float64, bool) {
	if len(out) == 0 || len(out) != len(classes) {
		return "", 0, false
	}
	best, mx := 0, math.Inf(-1)
	for k, x := range out {
		if float64(x) > mx {
			best, mx = k, float64(x)
		}
	}
	sum := 0.0
	for _, x := range out {
		sum += math.Exp(float64(x) - mx)
	}
	return classes[best], 1 / sum, true
}

// layoutGrids shows every layer's grid at the chosen zoom.
func (v *activationView) layoutGrids() {
	z := actZoom(v.zoom.Selected)
	var cards []fyne.CanvasObject
	for _, g := range v.shown {
		var body fyne.CanvasObject
		if g.err != nil {
			l := widget.NewLabel(widgets.FirstUpper(g.err.Error()) + ".")
			l.Wrapping = fyne.TextWrapWord
			body = l
		} else {
			b := g.img.Bounds()
			body = widgets.PixelImage(g.img, fyne.NewSize(float32(b.Dx())*z, float32(b.Dy())*z))
		}
		t := widgets.Caption(g.title, nil)
		t.TextStyle.Bold = true
		cards = append(cards, container.NewStack(widgets.NewPanelBackground(),
			widgets.Pad(4, 6, 6, 6, container.NewBorder(t, nil, nil, nil, body))))
	}
	v.flow.Objects = cards
	v.flow.Refresh()
	v.scroll.Refresh()
}
