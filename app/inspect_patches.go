package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
)

// ---- maximally activating patches ----

// patchView finds the image patches that excite one unit of a layer the
// most, over a whole split, and shows them cropped by the unit's exact
// receptive field.
type patchView struct {
	p       *filtersPane
	layer   *widget.Select
	channel *intField
	top     *intField
	split   *widget.Select
	run     *widget.Button
	nextCh  *widget.Button
	job     *jobBar
	msg     *widget.Label
	result  *fyne.Container
	root    fyne.CanvasObject

	model  *inspectModel
	layers []inspectLayer
	ds     *data.Dataset
}

func newPatchView(p *filtersPane) *patchView {
	v := &patchView{p: p, job: newJobBar(), msg: widget.NewLabel("")}
	v.layer = widget.NewSelect(nil, func(string) { v.channel.hi = v.channels() - 1 })
	v.channel = newIntField("Channel", 0, 0, 1<<20)
	v.top = newIntField("Patches", 16, 1, 64)
	v.split = widget.NewSelect([]string{"Test", "Training"}, nil)
	v.split.SetSelected("Test")
	v.run = widget.NewButtonWithIcon("Find the top patches", theme.SearchIcon(), v.start)
	v.nextCh = widget.NewButtonWithIcon("Next channel", theme.NavigateNextIcon(), func() {
		c, err := v.channel.value()
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
	help := wrapLabel("Every image of the split goes through the network; the units of the chosen channel with the " +
		"largest activations are kept (one per image), and each is shown as the part of the image it sees: its exact " +
		"receptive field, worked out from the kernels, strides, padding and pooling above it. Grey is padding outside the image.")
	left := formPanel("Maximally activating patches", form, v.run, v.job, v.msg)
	v.result = container.NewStack(hintBox("Choose a layer and a channel, then find the patches.", "Find the top patches", v.start))
	right := container.NewBorder(nil, help, nil, nil, v.result)
	v.root = inspPad(6, 4, 6, 6, container.NewBorder(nil, nil, left, nil, cardWith("Top patches", nil, right)))
	return v
}

func (v *patchView) setModel(m *inspectModel) {
	v.model = m
	v.layers = nil
	var names []string
	def, firstSpatial := "", ""
	for _, l := range m.layers() {
		v.layers = append(v.layers, l)
		names = append(names, l.title())
		if l.op == "conv2d" && l.spatial() {
			def = l.title() // the last convolution
		}
		if firstSpatial == "" && l.spatial() {
			firstSpatial = l.title()
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
	v.channel.hi = v.channels() - 1
}

func (v *patchView) setDataset(ds *data.Dataset) {
	v.ds = ds
	if ds == nil || !v.p.dataOK() {
		v.result.Objects = []fyne.CanvasObject{v.p.needData("Finding the top patches")}
		v.run.Disable()
		v.nextCh.Disable()
	} else {
		v.result.Objects = []fyne.CanvasObject{hintBox("Choose a layer and a channel, then find the patches.", "Find the top patches", v.start)}
		v.run.Enable()
		v.nextCh.Enable()
	}
	v.result.Refresh()
}

// chosen returns the selected layer.
func (v *patchView) chosen() (inspectLayer, bool) {
	i := v.layer.SelectedIndex()
	if i < 0 || i >= len(v.layers) {
		return inspectLayer{}, false
	}
	return v.layers[i], true
}

// channels is the chosen layer's number of channels (entries of a vector).
func (v *patchView) channels() int {
	l, ok := v.chosen()
	if !ok || len(l.shape) == 0 {
		return 1
	}
	return l.shape[0]
}

func (v *patchView) start() {
	if v.model == nil || !v.p.dataOK() {
		return
	}
	l, ok := v.chosen()
	if !ok {
		return
	}
	ch, err := v.channel.value()
	if err == nil && ch >= v.channels() {
		err = fmt.Errorf("%s has %d channels: choose 0 to %d", l.id, v.channels(), v.channels()-1)
	}
	k, err2 := v.top.value()
	if err == nil {
		err = err2
	}
	if err != nil {
		showRunError(v.msg, err)
		return
	}
	set := inspectSplit(v.ds, inspSplitKey(v.split.Selected))
	m := v.model
	var patches []inspect.Patch
	var crops []image.Image
	var field inspect.Field
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText("")
	v.run.Disable()
	v.job.sync = v.p.sync
	err = v.job.start(fmt.Sprintf("Running %s images through the network…", thousands(set.Len())), func(ctx context.Context, progress report) error {
		net, err := m.net()
		if err != nil {
			return err
		}
		if rf, err := inspect.NewReceptiveFields(m.graph, m.in); err == nil {
			field, _ = rf.Field(l.id)
		}
		patches, err = net.TopPatches(ctx, set, l.id, ch, k, inspect.PatchOptions{Progress: func(done, total int) { progress(done, total, "") }})
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
			showRunError(v.msg, err)
			return
		}
		v.showResult(l, ch, set, patches, crops, field)
	})
	v.job.sync = false
	if err != nil {
		v.run.Enable()
		showRunError(v.msg, err)
	}
}

func (v *patchView) showResult(l inspectLayer, ch int, set *data.Set, patches []inspect.Patch, crops []image.Image, field inspect.Field) {
	names := make([]string, len(patches))
	for i, pt := range patches {
		names[i] = fmt.Sprintf("%s %.2f", inspClassName(set, pt.Image), pt.Value)
	}
	cols := 8
	if len(patches) <= 9 {
		cols = 3
	} else if len(patches) <= 16 {
		cols = 4
	}
	grid := templateGrid(crops, names, cols, 112)
	what := fmt.Sprintf("%s, channel %d: the %d strongest units over %s images.", l.id, ch, len(patches), thousands(set.Len()))
	switch {
	case field.Global:
		what += " Every unit of this layer sees the whole image."
	case field.Size > 0:
		what += fmt.Sprintf(" Receptive field %d×%d pixels, %d apart.", field.Size, field.Size, field.Jump)
	}
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText(what)
	v.result.Objects = []fyne.CanvasObject{inspPad(4, 4, 4, 4, grid)}
	v.result.Refresh()
}

// ---- nearest neighbours ----

// neighbourView shows, for some test images, their nearest training
// images by L2 distance in a layer's features beside the nearest in
// pixels: what the network counts as similar.
type neighbourView struct {
	p       *filtersPane
	layer   *widget.Select
	queries *intField
	k       *intField
	pool    *intField
	run     *widget.Button
	job     *jobBar
	msg     *widget.Label
	result  *fyne.Container
	root    fyne.CanvasObject

	model  *inspectModel
	layers []inspectLayer
	ds     *data.Dataset
}

func newNeighbourView(p *filtersPane) *neighbourView {
	v := &neighbourView{p: p, job: newJobBar(), msg: widget.NewLabel("")}
	v.layer = widget.NewSelect(nil, nil)
	v.queries = newIntField("Test images", 8, 1, 64)
	v.k = newIntField("Neighbours", 6, 1, 20)
	v.pool = newIntField("Training images", 5000, 10, 1_000_000)
	v.run = widget.NewButtonWithIcon("Find neighbours", theme.SearchIcon(), v.start)
	form := widget.NewForm(
		widget.NewFormItem("Layer", v.layer),
		widget.NewFormItem("Test images", v.queries.Entry),
		widget.NewFormItem("Neighbours", v.k.Entry),
		widget.NewFormItem("Search in", v.pool.Entry),
	)
	left := formPanel("Nearest neighbours", form, v.run, v.job, v.msg)
	v.result = container.NewStack(hintBox("Find the nearest training images of some test images, by the chosen layer's features and by pixels.", "Find neighbours", v.start))
	v.root = inspPad(6, 4, 6, 6, container.NewBorder(nil, nil, left, nil, cardWith("Neighbours in feature space and in pixel space", nil, v.result)))
	return v
}

func (v *neighbourView) setModel(m *inspectModel) {
	v.model = m
	v.layers = m.layers()
	pen := m.penultimateLayer()
	var names []string
	def := ""
	for _, l := range v.layers {
		names = append(names, l.title())
		if l.id == pen {
			def = l.title()
		}
	}
	v.layer.Options = names
	if def == "" && len(names) > 0 {
		def = names[len(names)-1]
	}
	v.layer.SetSelected(def)
}

func (v *neighbourView) setDataset(ds *data.Dataset) {
	v.ds = ds
	if ds == nil || !v.p.dataOK() {
		v.result.Objects = []fyne.CanvasObject{v.p.needData("Finding neighbours")}
		v.run.Disable()
	} else {
		v.result.Objects = []fyne.CanvasObject{hintBox("Find the nearest training images of some test images, by the chosen layer's features and by pixels.", "Find neighbours", v.start)}
		v.run.Enable()
	}
	v.result.Refresh()
}

func (v *neighbourView) start() {
	if v.model == nil || !v.p.dataOK() {
		return
	}
	li := v.layer.SelectedIndex()
	if li < 0 || li >= len(v.layers) {
		return
	}
	layer := v.layers[li]
	nq, err := v.queries.value()
	var k, np int
	if err == nil {
		k, err = v.k.value()
	}
	if err == nil {
		np, err = v.pool.value()
	}
	if err != nil {
		showRunError(v.msg, err)
		return
	}
	queries := inspectSplit(v.ds, "test")
	pool := v.ds.Train
	if pool == nil || pool.Len() < 2 {
		pool = queries
	}
	pool = subset(pool, np, v.p.s.Project.Hyper.Seed)
	qidx := inspSpreadQueries(queries, nq)
	m := v.model
	var nb []inspect.Neighbours
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText("")
	v.run.Disable()
	v.job.sync = v.p.sync
	err = v.job.start(fmt.Sprintf("Features of %s images…", thousands(pool.Len()+len(qidx))), func(ctx context.Context, progress report) error {
		net, err := m.net()
		if err != nil {
			return err
		}
		nb, err = net.LayerNeighbours(ctx, queries, qidx, pool, layer.id, k, inspect.FeatureOptions{Progress: func(done, total int) { progress(done, total, "") }})
		return err
	}, func(err error) {
		v.run.Enable()
		if err != nil {
			showRunError(v.msg, err)
			return
		}
		v.showResult(layer, queries, pool, nb)
	})
	v.job.sync = false
	if err != nil {
		v.run.Enable()
		showRunError(v.msg, err)
	}
}

// inspSpreadQueries picks n images of s taking the classes in turn (the
// first of each class, then the second...), so that the rows show
// different classes.
func inspSpreadQueries(s *data.Set, n int) []int {
	n = min(n, s.Len())
	byClass := map[int32][]int{}
	var order []int32
	for i, c := range s.Labels {
		if _, ok := byClass[c]; !ok {
			order = append(order, c)
		}
		byClass[c] = append(byClass[c], i)
	}
	slices.Sort(order)
	var out []int
	for round := 0; len(out) < n; round++ {
		for _, c := range order {
			if round < len(byClass[c]) && len(out) < n {
				out = append(out, byClass[c][round])
			}
		}
	}
	return out
}

// showResult draws a row per query: the query, its feature-space
// neighbours and its pixel-space neighbours, each marked green when it has
// the query's class and red when not.
func (v *neighbourView) showResult(l inspectLayer, queries, pool *data.Set, nb []inspect.Neighbours) {
	const side, gap = 44, 3
	same := theme.Color(theme.ColorNameSuccess)
	other := theme.Color(theme.ColorNameError)
	cell := func(img image.Image, mark color.Color) fyne.CanvasObject {
		bar := canvas.NewRectangle(mark)
		bar.SetMinSize(fyne.NewSize(side, 3))
		return container.NewVBox(inspPixelImage(img, fyne.NewSquareSize(side)), bar)
	}
	rowOf := func(cells []fyne.CanvasObject) fyne.CanvasObject {
		return container.New(&inspRowLayout{gap: gap}, cells...)
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
		rows = append(rows, container.NewHBox(q, inspSpacer(14), rowOf(fc), inspSpacer(14), rowOf(pc)))
	}
	k := 0
	if len(nb) > 0 {
		k = len(nb[0].Feature)
	}
	width := func(n int) float32 { return float32(n)*side + float32(max(n-1, 0))*gap }
	head := func(s string, w float32) fyne.CanvasObject {
		t := inspCaption(s, nil)
		t.TextStyle.Bold = true
		return container.New(&minWidth{w: w}, container.NewHBox(t))
	}
	header := container.NewHBox(head("Query", side), inspSpacer(14), head("Nearest by "+l.id+" features", width(k)), inspSpacer(14), head("Nearest by pixels", width(k)))
	grid := container.NewVBox(append([]fyne.CanvasObject{header}, rows...)...)
	summary := ""
	if total > 0 {
		summary = fmt.Sprintf("Neighbours of the query's class (green; red: another class): %.0f%% by %s features, %.0f%% by pixels, among %s training images.",
			100*float64(featSame)/float64(total), l.id, 100*float64(pixSame)/float64(total), thousands(pool.Len()))
	}
	v.msg.Importance = widget.MediumImportance
	v.msg.SetText(summary)
	v.result.Objects = []fyne.CanvasObject{container.NewScroll(inspPad(6, 6, 6, 6, grid))}
	v.result.Refresh()
}

func inspSpacer(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 1))
	return r
}

// inspRowLayout places objects left to right at their minimum sizes with a
// fixed gap (HBox uses the theme's padding).
type inspRowLayout struct{ gap float32 }

func (l *inspRowLayout) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	x := float32(0)
	for _, o := range objs {
		m := o.MinSize()
		o.Move(fyne.NewPos(x, 0))
		o.Resize(m)
		x += m.Width + l.gap
	}
}

func (l *inspRowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		w += m.Width
		if i > 0 {
			w += l.gap
		}
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

// inspSplitKey maps a split chooser's text to inspectSplit's name.
func inspSplitKey(choice string) string {
	if choice == "Training" {
		return "train"
	}
	return "test"
}
