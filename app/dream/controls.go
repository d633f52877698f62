package dream

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/widgets"
)

// The modes of the pane.
const (
	modeDream   = "DeepDream"
	modeInvert  = "Feature inversion"
	modeTexture = "Texture synthesis"
	modeStyle   = "Style transfer"
)

var modes = []string{modeDream, modeInvert, modeTexture, modeStyle, modeFast}

// modeDefaults are the steps (per octave for DeepDream), Adam step size,
// TV and style weights a mode starts with: the CLI's, but inversion's TV
// (without it the image from noise stays noisy; 1 suits pixels in [0, 1])
// and fast style's steps (train-style's 200 take long on a CPU).
var modeDefaults = map[string]struct {
	steps      int
	lr, tv, sw float64
}{
	modeDream: {10, 0.01, 0, 1e4}, modeInvert: {200, 0.05, 1, 1e4}, modeTexture: {200, 0.05, 0, 1e4},
	modeStyle: {200, 0.02, 0, 1e4}, modeFast: {100, 1e-3, 0, 1e5},
}

const (
	optAdam  = "Adam"
	optLBFGS = "L-BFGS"
	initFrom = "Content"
	initNois = "Noise"
)

// valueSlider is a slider with its value written beside it.
type valueSlider struct {
	*widget.Slider
	label *widget.Label
	box   fyne.CanvasObject
}

func newValueSlider(lo, hi, step, v float64, format func(float64) string, changed func()) *valueSlider {
	s := &valueSlider{Slider: widget.NewSlider(lo, hi), label: widget.NewLabel("")}
	s.Step = step
	s.OnChanged = func(v float64) {
		s.label.SetText(format(v))
		if changed != nil {
			changed()
		}
	}
	s.SetValue(v)
	s.label.SetText(format(s.Value))
	s.box = container.NewBorder(nil, nil, nil, container.New(&widgets.MinWidth{W: 64}, s.label), s.Slider)
	return s
}

// narrow gives the value a narrower column (the weights' "1.00").
func (s *valueSlider) narrow() *valueSlider {
	s.box = container.NewBorder(nil, nil, nil, container.New(&widgets.MinWidth{W: 36}, s.label), s.Slider)
	return s
}

// controls are the settings of every mode; form shows those of one.
type controls struct {
	layer, contentLayer *widget.Select
	styleLayers         *layerList
	size                *valueSlider
	octaves, scale      *valueSlider
	jitter              *valueSlider
	steps               *widgets.IntField
	lr, tv              *widgets.FloatField
	contentW, styleW    *widgets.FloatField
	init, optimizer     *widget.RadioGroup
	// smooth takes the style losses on softmax-smoothed activations (Wang
	// et al., 2021) at a temperature of smoothScale standard deviations.
	smooth      *widget.Check
	smoothScale *widgets.FloatField
	mode        string
	// modeLayer is the layer each one-layer mode starts with.
	modeLayer map[string]string
}

func newControls(changed func()) *controls {
	c := &controls{
		layer:        widget.NewSelect(nil, func(string) { changed() }),
		contentLayer: widget.NewSelect(nil, func(string) { changed() }),
		steps:        widgets.NewIntField("Steps", 10, 1, 5000),
		lr:           widgets.NewFloatField("Step size", 0.01, 1e-6, 100),
		tv:           widgets.NewFloatField("TV weight", 0, 0, 1e9),
		contentW:     widgets.NewFloatField("Content weight", 1, 0, 1e9),
		styleW:       widgets.NewFloatField("Style weight", 1e4, 0, 1e12),
		init:         widget.NewRadioGroup([]string{initFrom, initNois}, nil),
	}
	c.styleLayers = newLayerList(changed)
	px := func(v float64) string { return fmt.Sprintf("%.0f px", v) }
	c.size = newValueSlider(16, 512, 4, 224, px, changed)
	c.octaves = newValueSlider(1, 6, 1, 3, func(v float64) string { return fmt.Sprintf("%.0f", v) }, nil)
	c.scale = newValueSlider(1.1, 2, 0.05, 1.4, func(v float64) string { return fmt.Sprintf("%.2f×", v) }, nil)
	c.jitter = newValueSlider(0, 32, 1, 2, px, nil) // the CLI's --jitter
	c.init.Horizontal = true
	c.init.SetSelected(initFrom)
	c.optimizer = widget.NewRadioGroup([]string{optAdam, optLBFGS}, func(o string) {
		// L-BFGS takes whole steps (its line search scales them); Adam the mode's.
		if o == optLBFGS {
			c.lr.SetText("1")
		} else if d, ok := modeDefaults[c.mode]; ok {
			c.lr.SetText(strconv.FormatFloat(d.lr, 'g', -1, 64))
		}
	})
	c.optimizer.Horizontal = true
	c.smoothScale = widgets.NewFloatField("Smoothing scale", 3, 0, 1000)
	c.smooth = widget.NewCheck("Softmax-smoothed, T = σ ×", func(on bool) {
		// The smoothed losses are smaller: the CLI's 2e5 starts near the
		// plain default's balance.
		if on {
			c.styleW.SetText("200000")
		} else if d, ok := modeDefaults[c.mode]; ok {
			c.styleW.SetText(strconv.FormatFloat(d.sw, 'g', -1, 64))
		}
	})
	return c
}

// setMode puts the mode's default layer, steps and step size in (Adam's).
func (c *controls) setMode(m string) {
	c.mode = m
	if l, ok := c.modeLayer[m]; ok {
		c.layer.SetSelected(l)
	}
	d := modeDefaults[m]
	c.steps.SetText(strconv.Itoa(d.steps))
	c.tv.SetText(strconv.FormatFloat(d.tv, 'g', -1, 64))
	c.smooth.SetChecked(false)
	c.styleW.SetText(strconv.FormatFloat(d.sw, 'g', -1, 64))
	c.optimizer.SetSelected(optAdam)
	c.lr.SetText(strconv.FormatFloat(d.lr, 'g', -1, 64))
}

// form is the settings of mode m, with extra rows for fast style.
func (c *controls) form(m string, extra []*widget.FormItem) fyne.CanvasObject {
	item := widget.NewFormItem
	var items []*widget.FormItem
	switch m {
	case modeDream:
		items = []*widget.FormItem{item("Layer", c.layer), item("Octaves", c.octaves.box), item("Octave scale", c.scale.box),
			item("Jitter", c.jitter.box), item("Steps per octave", c.steps.Entry)}
	case modeInvert:
		items = []*widget.FormItem{item("Layer", c.layer), item("TV weight", c.tv.Entry), item("Optimizer", c.optimizer),
			item("Steps", c.steps.Entry)}
	case modeTexture:
		items = []*widget.FormItem{item("Style layers", c.styleLayers.root), item("Style loss", c.smoothRow()),
			item("Style weight", c.styleW.Entry), item("TV weight", c.tv.Entry), item("Optimizer", c.optimizer), item("Steps", c.steps.Entry)}
	case modeStyle:
		items = []*widget.FormItem{item("Content layer", c.contentLayer), item("Style layers", c.styleLayers.root),
			item("Style loss", c.smoothRow()), item("Content weight", c.contentW.Entry), item("Style weight", c.styleW.Entry),
			item("TV weight", c.tv.Entry), item("Start from", c.init), item("Optimizer", c.optimizer), item("Steps", c.steps.Entry)}
	case modeFast:
		items = append([]*widget.FormItem{item("Content layer", c.contentLayer), item("Style layers", c.styleLayers.root),
			item("Content weight", c.contentW.Entry), item("Style weight", c.styleW.Entry), item("TV weight", c.tv.Entry),
			item("Steps", c.steps.Entry)}, extra...)
	}
	items = append(items, item("Step size", c.lr.Entry), item("Size", c.size.box))
	return widget.NewForm(items...)
}

// smoothRow is the smoothing check with its scale.
func (c *controls) smoothRow() fyne.CanvasObject {
	return container.NewBorder(nil, nil, c.smooth, nil, c.smoothScale.Entry)
}

// setModel fills the layer choices with the model's spatial layers and
// picks the defaults: the ReLU at half depth for DeepDream, at a tenth for
// inversion (deeper layers keep less of the picture), at 40% for the
// content, four over the first half for style (the CLI's, but inversion's).
func (c *controls) setModel(m *inspection.Model) {
	var ids []string
	for _, l := range m.Layers() {
		if l.Spatial() && l.Op != "input" {
			ids = append(ids, l.ID)
		}
	}
	net := attrib.Net{Model: m.First.Model, Stats: m.First.Stats}
	pick := func(frac float64) string {
		if ls := style.ReLULayers(net, 1, frac); len(ls) > 0 {
			return ls[0]
		}
		if len(ids) > 0 {
			return ids[len(ids)/2]
		}
		return ""
	}
	c.modeLayer = map[string]string{modeDream: pick(0.5), modeInvert: pick(0.1)}
	c.layer.SetOptions(ids)
	c.layer.SetSelected(c.modeLayer[modeDream])
	if l, ok := c.modeLayer[c.mode]; ok {
		c.layer.SetSelected(l)
	}
	c.contentLayer.SetOptions(ids)
	c.contentLayer.SetSelected(pick(0.4))
	def := style.ReLULayers(net, 4, 0.5)
	if len(def) == 0 && len(ids) > 0 {
		def = ids[:1]
	}
	c.styleLayers.set(ids, def)
	c.size.SetValue(float64(min(m.In[1], 512)))
}

// layers are the layers mode m reads, for the weak-network check.
func (c *controls) layers(m string) []string {
	switch m {
	case modeDream, modeInvert:
		return []string{c.layer.Selected}
	case modeStyle, modeFast:
		return append(c.styleLayers.names(), c.contentLayer.Selected)
	}
	return c.styleLayers.names()
}

// layerList is the style layers, each with its weight on a slider, and a
// chooser that adds another.
type layerList struct {
	rows    *fyne.Container
	add     *widget.Select
	root    fyne.CanvasObject
	items   []layerRow
	changed func()
}

type layerRow struct {
	name   string
	weight *valueSlider
}

func newLayerList(changed func()) *layerList {
	l := &layerList{rows: container.NewVBox(), changed: changed}
	l.add = widget.NewSelect(nil, func(id string) {
		if id == "" {
			return
		}
		l.append(id, 1)
		l.add.ClearSelected()
		l.show()
	})
	l.add.PlaceHolder = "Add a layer…"
	l.root = container.NewVBox(l.rows, l.add)
	return l
}

// set offers ids and shows the layers chosen, each of weight 1.
func (l *layerList) set(ids, chosen []string) {
	l.add.SetOptions(ids)
	l.items = nil
	for _, id := range chosen {
		l.append(id, 1)
	}
	l.show()
}

func (l *layerList) append(id string, w float64) {
	for _, it := range l.items {
		if it.name == id {
			return
		}
	}
	l.items = append(l.items, layerRow{name: id, weight: newValueSlider(0, 2, 0.05, w,
		func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }, nil).narrow()})
}

func (l *layerList) show() {
	var objs []fyne.CanvasObject
	for i, it := range l.items {
		name := widget.NewLabel(it.name)
		name.Truncation = fyne.TextTruncateEllipsis
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { l.remove(i) })
		rm.Importance = widget.LowImportance
		objs = append(objs, container.NewBorder(nil, nil, container.New(&widgets.MinWidth{W: 112}, name), rm, it.weight.box))
	}
	l.rows.Objects = objs
	l.rows.Refresh()
	if l.changed != nil {
		l.changed()
	}
}

func (l *layerList) remove(i int) {
	if i < len(l.items) {
		l.items = append(l.items[:i], l.items[i+1:]...)
		l.show()
	}
}

func (l *layerList) names() []string {
	var out []string
	for _, it := range l.items {
		out = append(out, it.name)
	}
	return out
}

// weights are the layers with their slider weights times w.
func (l *layerList) weights(w float64) []style.LayerWeight {
	var out []style.LayerWeight
	for _, it := range l.items {
		out = append(out, style.LayerWeight{Layer: it.name, Weight: it.weight.Value * w})
	}
	return out
}
