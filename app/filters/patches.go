package filters

import (
	"context"
	"fmt"
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/widgets"
)

// layerJob is what the Top patches and Nearest neighbours tabs share: a
// layer to choose, a Run button with its job, a message, the result, and
// the model and dataset the tab was last set up for.
type layerJob struct {
	layer  *widget.Select
	run    *widget.Button
	job    *widgets.JobBar
	msg    *widget.Label
	result *fyne.Container
	root   fyne.CanvasObject

	model  *inspection.Model
	layers []inspection.Layer
	ds     *data.Dataset
}

func newLayerJob() layerJob {
	return layerJob{job: widgets.NewJobBar(), msg: widget.NewLabel("")}
}

// ---- maximally activating patches ----

// patchView finds the image patches that excite one unit of a layer the
// most, over a whole split, and shows them cropped by the unit's exact
// receptive field.
type patchView struct {
	p       *filtersPane
	channel *widgets.IntField
	top     *widgets.IntField
	split   *widget.Select
	nextCh  *widget.Button
	layerJob
}

func newPatchView(p *filtersPane) *patchView {
	v := &patchView{p: p, layerJob: newLayerJob()}
	v.layer = widget.NewSelect(nil, func(string) { v.channel.Hi = v.channels() - 1 })
	v.channel = widgets.NewIntField("Channel", 0, 0, 1<<20)
	v.top = widgets.NewIntField("Patches", 16, 1, 64)
	v.split = widget.NewSelect([]string{"Test", "Training"}, nil)
	v.split.SetSelected("Test")
	v.run = widget.NewButtonWithIcon("Find the top patches", theme.SearchIcon(), v.start)
	v.nextCh = widget.NewButtonWithIcon("Next channel", theme.NavigateNextIcon(), func() {
		c, err := v.channel.Value()
		if err != nil {
			c = -1
		}
		v.channel.SetText(fmt.Sprint((c + 1) % max(v.channels(), 1)))
		v.start()
	})
	form := widget.NewForm(
		widget.NewFormItem("Layer", v.layer),
		widget.NewFormItem("Channel", v.channel.Entry),
		widget.NewFormItem("Patches", v.top.Entry),
		widget.NewFormItem("Images", v.split),
		widget.NewFormItem("", v.nextCh),
	)
	help := widgets.WrapLabel("Every image of the split goes through the network; the units of the chosen channel with the " +
		"largest activations are kept (one per image), and each is shown as the part of the image it sees: its exact " +
		"receptive field, worked out from the kernels, strides, padding and pooling above it. Grey is padding outside the image.")
	left := widgets.FormPanel("Maximally activating patches", form, v.run, v.job, v.msg)
	v.result = container.NewStack(widgets.HintBox("Choose a layer and a channel, then find the patches.", "Find the top patches", v.start))
	right := container.NewBorder(nil, help, nil, nil, v.result)
	v.root = widgets.Pad(6, 4, 6, 6, container.NewBorder(nil, nil, left, nil, widgets.CardWith("Top patches", nil, right)))
	return v
}

func (v *patchView) setModel(m *inspection.Model) {
	v.model = m
	v.layers = nil
	var names []string
	def, firstSpatial := "", ""
	for _, l := range m.Layers() {
		v.layers = append(v.layers, l)
		names = append(names, l.Title())
		if l.Op == "conv2d" && l.Spatial() {
			def = l.Title() // the last convolution
		}
		if firstSpatial == "" && l.Spatial() {
			firstSpatial = l.Title()
		}
	}
	if def == "" {
		def = firstSpatial
	}
	v.layer.Options = names
	if def == "" && len(names) > 0 {
		def = names[0]
	}
	v.layer.SetSelected(def)
	v.channel.Hi = v.channels() - 1
}

func (v *patchView) setDataset(ds *data.Dataset) {
	v.ds = ds
	if ds == nil || !v.p.DataOK() {
		v.result.Objects = []fyne.CanvasObject{v.p.NeedData("Finding the top patches")}
		v.run.Disable()
		v.nextCh.Disable()
	} else {
		v.result.Objects = []fyne.CanvasObject{widgets.HintBox("Choose a layer and a channel, then find the patches.", "Find the top patches", v.start)}
		v.run.Enable()
		v.nextCh.Enable()
	}
	v.result.Refresh()
}

// chosen returns the selected layer.
func (v *patchView) chosen() (inspection.Layer, bool) {
	i := v.layer.SelectedIndex()
	if i < 0 || i >= len(v.layers) {
		return inspection.Layer{}, false
	}
	return v.layers[i], true
}

// channels is the chosen layer's number of channels (entries of a vector).
func (v *patchView) channels() int {
	l, ok := v.chosen()
	if !ok || len(l.Shape) == 0 {
		return 1
	}
	return l.Shape[0]
}

func (v *patchView) start() {
	if v.model == nil || !v.p.DataOK() {
		return
	}
	l, ok := v.chosen()
	if !ok {
		return
	}
	ch, err := v.channel.Value()
	if err == nil && ch >= v.channels() {
		err = fmt.Errorf("%s has %d channels: choose 0 to %d", l.ID, v.channels(), v.channels()-1)
	}
	k, err2 := v.top.Value()
	if err == nil {
		err = err2
	}
	if err != nil {
		widgets.ShowRunError(v.msg, err)
		return
	}
	set := inspection.Split(v.ds, inspection.SplitKey(v.split.Selected))
	m := v.model
	var patches []inspect.Patch
	var crops []image.Image
	var field inspect.Field
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText("")
	v.run.Disable()
	v.job.Sync = v.p.Sync
	err = v.job.Start(fmt.Sprintf("Running %s images through the network…", widgets.Thousands(set.Len())), func(ctx context.Context, progress widgets.Report) error {
		net, err := m.Net()
		if err != nil {
			return err
		}
		if rf, err := inspect.NewReceptiveFields(m.Graph, m.In); err == nil {
			field, _ = rf.Field(l.ID)
		}
		patches, err = net.TopPatches(ctx, set, l.ID, ch, k, inspect.PatchOptions{Progress: func(done, total int) { progress(done, total, "") }})
		if err != nil {
			return err
		}
		for _, pt := range patches {
			c, err := pt.Crop(set)
			if err != nil {
				return err
			}
			crops = append(crops, c)
		}
		return nil
	}, func(err error) {
		v.run.Enable()
		if err != nil {
			widgets.ShowRunError(v.msg, err)
			return
		}
		v.showResult(l, ch, set, patches, crops, field)
	})
	v.job.Sync = false
	if err != nil {
		v.run.Enable()
		widgets.ShowRunError(v.msg, err)
	}
}

func (v *patchView) showResult(l inspection.Layer, ch int, set *data.Set, patches []inspect.Patch, crops []image.Image, field inspect.Field) {
	names := make([]string, len(patches))
	for i, pt := range patches {
		names[i] = fmt.Sprintf("%s %.2f", inspection.ClassName(set, pt.Image), pt.Value)
	}
	cols := 8
	if len(patches) <= 9 {
		cols = 3
	} else if len(patches) <= 16 {
		cols = 4
	}
	grid := widgets.TemplateGrid(crops, names, cols, 112)
	what := fmt.Sprintf("%s, channel %d: the %d strongest units over %s images.", l.ID, ch, len(patches), widgets.Thousands(set.Len()))
	switch {
	case field.Global:
		what += " Every unit of this layer sees the whole image."
	case field.Size > 0:
		what += fmt.Sprintf(" Receptive field %d×%d pixels, %d apart.", field.Size, field.Size, field.Jump)
	}
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText(what)
	v.result.Objects = []fyne.CanvasObject{widgets.Pad(4, 4, 4, 4, grid)}
	v.result.Refresh()
}

// ---- nearest neighbours ----

// neighbourView shows, for some test images, their nearest training
// images by L2 distance in a layer's features beside the nearest in
// pixels: what the network counts as similar.
type neighbourView struct {
	p       *filtersPane
	queries *widgets.IntField
	k       *widgets.IntField
	pool    *widgets.IntField
	layerJob
}

func newNeighbourView(p *filtersPane) *neighbourView {
	v := &neighbourView{p: p, layerJob: newLayerJob()}
	v.layer = widget.NewSelect(nil, nil)
	v.queries = widgets.NewIntField("Test images", 8, 1, 64)
	v.k = widgets.NewIntField("Neighbours", 6, 1, 20)
	v.pool = widgets.NewIntField("Training images", 5000, 10, 1_000_000)
	v.run = widget.NewButtonWithIcon("Find neighbours", theme.SearchIcon(), v.start)
	form := widget.NewForm(
		widget.NewFormItem("Layer", v.layer),
		widget.NewFormItem("Test images", v.queries.Entry),
		widget.NewFormItem("Neighbours", v.k.Entry),
		widget.NewFormItem("Search in", v.pool.Entry),
	)
	left := widgets.FormPanel("Nearest neighbours", form, v.run, v.job, v.msg)
	v.result = container.NewStack(widgets.HintBox("Find the nearest training images of some test images, by the chosen layer's features and by pixels.", "Find neighbours", v.start))
	v.root = widgets.Pad(6, 4, 6, 6, container.NewBorder(nil, nil, left, nil, widgets.CardWith("Neighbours in feature space and in pixel space", nil, v.result)))
	return v
}

func (v *neighbourView) setModel(m *inspection.Model) {
	v.model = m
	v.layers = m.Layers()
	names, def := m.LayerChoices()
	v.layer.Options = names
	v.layer.SetSelected(def)
}

func (v *neighbourView) setDataset(ds *data.Dataset) {
	v.ds = ds
	if ds == nil || !v.p.DataOK() {
		v.result.Objects = []fyne.CanvasObject{v.p.NeedData("Finding neighbours")}
		v.run.Disable()
	} else {
		v.result.Objects = []fyne.CanvasObject{widgets.HintBox("Find the nearest training images of some test images, by the chosen layer's features and by pixels.", "Find neighbours", v.start)}
		v.run.Enable()
	}
	v.result.Refresh()
}

func (v *neighbourView) start() {
	if v.model == nil || !v.p.DataOK() {
		return
	}
	li := v.layer.SelectedIndex()
	if li < 0 || li >= len(v.layers) {
		return
	}
	layer := v.layers[li]
	nq, err := v.queries.Value()
	var k, np int
	if err == nil {
		k, err = v.k.Value()
	}
	if err == nil {
		np, err = v.pool.Value()
	}
	if err != nil {
		widgets.ShowRunError(v.msg, err)
		return
	}
	queries := inspection.Split(v.ds, "test")
	pool := v.ds.Train
	if pool == nil || pool.Len() < 2 {
		pool = queries
	}
	pool = ui.Subset(pool, np, v.p.S.Project.Hyper.Seed)
	qidx := data.FirstPerClass(queries, nq) // the classes in turn, a row each
	m := v.model
	var nb []inspect.Neighbours
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText("")
	v.run.Disable()
	v.job.Sync = v.p.Sync
	err = v.job.Start(fmt.Sprintf("Features of %s images…", widgets.Thousands(pool.Len()+len(qidx))), func(ctx context.Context, progress widgets.Report) error {
		net, err := m.Net()
		if err != nil {
			return err
		}
		nb, err = net.LayerNeighbours(ctx, queries, qidx, pool, layer.ID, k, inspect.FeatureOptions{Progress: func(done, total int) { progress(done, total, "") }})
		return err
	}, func(err error) {
		v.run.Enable()
		if err != nil {
			widgets.ShowRunError(v.msg, err)
			return
		}
		v.showResult(layer, queries, pool, nb)
	})
	v.job.Sync = false
	if err != nil {
		v.run.Enable()
		widgets.ShowRunError(v.msg, err)
	}
}

// showResult draws a row per query: the query, its feature-space
// neighbours and its pixel-space neighbours, each marked green when it has
// the query's class and red when not.
func (v *neighbourView) showResult(l inspection.Layer, queries, pool *data.Set, nb []inspect.Neighbours) {
	const side, gap = 44, 3
	same := theme.Color(theme.ColorNameSuccess)
	other := theme.Color(theme.ColorNameError)
	cell := func(img image.Image, mark color.Color) fyne.CanvasObject {
		bar := canvas.NewRectangle(mark)
		bar.SetMinSize(fyne.NewSize(side, 3))
		return container.NewVBox(widgets.PixelImage(img, fyne.NewSquareSize(side)), bar)
	}
	rowOf := func(cells []fyne.CanvasObject) fyne.CanvasObject {
		return container.New(&widgets.Row{Gap: gap}, cells...)
	}
	var rows []fyne.CanvasObject
	featSame, pixSame, total := 0, 0, 0
	for _, n := range nb {
		qc := queries.Labels[n.Query]
		q := cell(queries.Picture(n.Query), theme.Color(theme.ColorNamePrimary))
		var fc, pc []fyne.CanvasObject
		for _, i := range n.Feature {
			mark := other
			if pool.Labels[i] == qc {
				mark, featSame = same, featSame+1
			}
			fc = append(fc, cell(pool.Picture(i), mark))
		}
		for _, i := range n.Pixel {
			mark := other
			if pool.Labels[i] == qc {
				mark, pixSame = same, pixSame+1
			}
			pc = append(pc, cell(pool.Picture(i), mark))
		}
		total += len(n.Feature)
		rows = append(rows, container.NewHBox(q, widgets.Spacer(14), rowOf(fc), widgets.Spacer(14), rowOf(pc)))
	}
	k := 0
	if len(nb) > 0 {
		k = len(nb[0].Feature)
	}
	width := func(n int) float32 { return float32(n)*side + float32(max(n-1, 0))*gap }
	head := func(s string, w float32) fyne.CanvasObject {
		t := widgets.Caption(s, nil)
		t.TextStyle.Bold = true
		return container.New(&widgets.MinWidth{W: w}, container.NewHBox(t))
	}
	header := container.NewHBox(head("Query", side), widgets.Spacer(14), head("Nearest by "+l.ID+" features", width(k)), widgets.Spacer(14), head("Nearest by pixels", width(k)))
	grid := container.NewVBox(append([]fyne.CanvasObject{header}, rows...)...)
	summary := ""
	if total > 0 {
		summary = fmt.Sprintf("Neighbours of the query's class (green; red: another class): %.0f%% by %s features, %.0f%% by pixels, among %s training images.",
			100*float64(featSame)/float64(total), l.ID, 100*float64(pixSame)/float64(total), widgets.Thousands(pool.Len()))
	}
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText(summary)
	v.result.Objects = []fyne.CanvasObject{container.NewScroll(widgets.Pad(6, 6, 6, 6, grid))}
	v.result.Refresh()
}
