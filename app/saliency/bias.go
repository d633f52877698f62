package saliency

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/widgets"
)

// biasView is "saliency uncovers biases": for each class, the mean map of
// its test images explained for their true class, over the class's mean
// image, with how much of it lies on the border and in the centre. A
// class whose mass sits in a corner or on the background learned a cue
// other than the object.
type biasView struct {
	p      *salPane
	root   fyne.CanvasObject
	method *widget.Select
	per    *widget.Entry
	run    *widget.Button
	note   *widget.Label
	grid   *fyne.Container

	result []attrib.ClassBias
	cells  []*cell
}

var biasMethods = []struct{ title, key string }{
	{"Saliency", attrib.BiasSaliency}, {"Grad-CAM", attrib.BiasGradCAM}, {"SmoothGrad", attrib.BiasSmoothGrad},
}

func newBiasView(p *salPane) *biasView {
	v := &biasView{p: p, per: widget.NewEntry(), note: widget.NewLabel("Where does the model look for each class? " +
		"The mean map of each class's test images, explained for their true class, over the class's mean image: " +
		"a class whose mass sits on the border or in a corner learned something other than the object.")}
	var titles []string
	for _, m := range biasMethods {
		titles = append(titles, m.title)
	}
	v.method = widget.NewSelect(titles, nil)
	v.method.SetSelected(titles[0])
	v.per.SetText("20")
	v.note.Wrapping = fyne.TextWrapWord
	v.run = widget.NewButtonWithIcon("Show where it looks", theme.MediaPlayIcon(), v.start)
	v.run.Importance = widget.HighImportance
	v.grid = container.NewGridWrap(fyne.NewSize(200, 250))
	form := widget.NewForm(widget.NewFormItem("Map", v.method), widget.NewFormItem("Images per class", v.per))
	left := container.NewVBox(form, v.run, v.note)
	split := container.NewHSplit(container.NewVScroll(left), container.NewVScroll(v.grid))
	split.SetOffset(0.28)
	v.root = widgets.Pad(6, 4, 6, 6, split)
	return v
}

// options reads the settings.
func (v *biasView) options() (attrib.BiasOptions, error) {
	o := attrib.BiasOptions{}
	for _, m := range biasMethods {
		if m.title == v.method.Selected {
			o.Method = m.key
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.per.Text))
	if err != nil || n < 1 || n > 10000 {
		return o, fmt.Errorf("%q images per class: use a whole number from 1 to 10000", v.per.Text)
	}
	o.PerClass = n
	if o.Method == attrib.BiasGradCAM {
		if o.Layer = v.p.layer.Selected; o.Layer == "" {
			return o, fmt.Errorf("the network has no layer with spatial maps for Grad-CAM")
		}
	}
	return o, nil
}

func (v *biasView) start() {
	p := v.p
	if p.Model == nil {
		return
	}
	o, err := v.options()
	if err != nil {
		v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	if !p.DataOK() {
		if p.S.Project.Dataset.Spec == "" {
			v.note.SetText("The bias view needs labelled test images: load a dataset in the Data pane.")
			return
		}
		p.LoadData()
		v.note.SetText("Loading the dataset; press the button again when it is loaded.")
		return
	}
	set := inspection.Split(p.S.Dataset, "test")
	x, labels := classSample(set.Len(), o.PerClass, attribNet(p.Model.First).Classes(),
		func(i int) int { return int(set.Labels[i]) }, func(i int) []float32 { return set.Float(i).Pix })
	mdl, in := p.Model, p.Model.In
	do := uiDo(p.job.Sync)
	err = p.job.Start(fmt.Sprintf("Where the model looks: %s of %d images", v.method.Selected, len(labels)),
		func(ctx context.Context, report widgets.Report) error {
			n, err := mdl.Net()
			if err != nil {
				return err
			}
			o.Progress = func(done, total int) { report(done, total, "") }
			res, err := attribNet(n).Bias(ctx, x, len(labels), labels, o)
			if err != nil {
				return err
			}
			means := classMeans(x, labels, in[0]*in[1]*in[2])
			do(func() { v.show(res, means) })
			return nil
		}, func(err error) {
			if err != nil && !widgets.Cancelled(err) {
				v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
			}
		})
	if err != nil {
		v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// classSample takes up to per images of each class, in order, from n.
func classSample(n, per, classes int, label func(int) int, pix func(int) []float32) ([]float32, []int) {
	var x []float32
	var labels []int
	count := make([]int, classes)
	full := 0
	for i := 0; i < n && full < classes; i++ {
		k := label(i)
		if k < 0 || k >= classes || count[k] >= per {
			continue
		}
		x = append(x, pix(i)...)
		labels = append(labels, k)
		if count[k]++; count[k] == per {
			full++
		}
	}
	return x, labels
}

// classMeans is each class's mean image.
func classMeans(x []float32, labels []int, d int) map[int][]float32 {
	sums, counts := map[int][]float32{}, map[int]int{}
	for i, k := range labels {
		if sums[k] == nil {
			sums[k] = make([]float32, d)
		}
		for j, v := range x[i*d : (i+1)*d] {
			sums[k][j] += v
		}
		counts[k]++
	}
	for k, s := range sums {
		for j := range s {
			s[j] /= float32(counts[k])
		}
	}
	return sums
}

// show draws one cell per class: the mean map over the mean image and
// where its mass lies.
func (v *biasView) show(res []attrib.ClassBias, means map[int][]float32) {
	v.result = res
	in := v.p.Model.In
	v.cells = nil
	objs := make([]fyne.CanvasObject, 0, len(res))
	worst, worstBorder := -1, 0.0
	for _, b := range res {
		c := &cell{img: newPicture(), caption: widget.NewLabel(""), m: &b.Mean}
		c.img.raster.SetMinSize(fyne.NewSquareSize(160))
		c.img.set(attrib.Overlay(means[b.Class], in[0], in[1], in[2], b.Mean, 0.6))
		c.caption.SetText(fmt.Sprintf("%s (%d)\nborder %.0f%% · centre %.0f%%", v.p.ClassName(b.Class), b.Images,
			100*b.Border, 100*b.Regions[1][1]))
		c.caption.Alignment = fyne.TextAlignCenter
		c.caption.Truncation = fyne.TextTruncateEllipsis
		v.cells = append(v.cells, c)
		objs = append(objs, container.NewBorder(nil, c.caption, nil, nil, c.img.raster))
		if b.Border > worstBorder {
			worst, worstBorder = b.Class, b.Border
		}
	}
	v.grid.Objects = objs
	v.grid.Refresh()
	if len(res) == 0 {
		v.note.SetText("No test images to explain.")
		return
	}
	v.note.SetText(fmt.Sprintf("The border band is %.0f%% of the image and the centre cell %.0f%%: a map spread evenly "+
		"puts that much there. Most on the border: %s (%.0f%%).", 100*res[0].BorderArea, 100.0/9, v.p.ClassName(worst), 100*worstBorder))
}
