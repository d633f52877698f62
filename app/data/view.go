package data

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/widgets"
)

// dataView shows a loaded dataset: a filterable grid of samples, the class
// histogram per split, the split counts, the mean image and channel
// statistics, an augmentation preview, and what was skipped while reading.
type dataView struct {
	s    *ui.State
	ds   *data.Dataset
	root fyne.CanvasObject

	splits  []splitInfo
	split   *widget.Select
	class   *widget.Select
	showing *widget.Label
	grid    *widgets.ImageGrid
	set     *data.Set
	idx     []int // images of set the grid shows

	mean      *canvas.Image
	meanText  *widget.Label
	statsDone chan struct{}
	fill      []float32 // channel means, for cutout
	pca       *augment.ColourPCA

	augEntry   *widget.Entry
	augMsg     *widget.Label
	augUse     *widget.Button
	augImgs    []*canvas.Image
	augCaption *widget.Label
	augEpoch   int
}

type splitInfo struct {
	name string
	set  *data.Set
}

func newDataView(s *ui.State, ds *data.Dataset) *dataView {
	v := &dataView{s: s, ds: ds, statsDone: make(chan struct{})}
	for _, sp := range []splitInfo{{"Train", ds.Train}, {"Validation", ds.Val}, {"Test", ds.Test}} {
		if sp.set.Len() > 0 {
			v.splits = append(v.splits, sp)
		}
	}
	v.root = container.NewBorder(v.header(), nil, nil, v.side(), v.samples())
	v.selectSplit(0)
	widgets.Go(v.computeStats)
	return v
}

func (v *dataView) classes() []string {
	if v.ds.Train != nil {
		return v.ds.Train.Classes
	}
	return nil
}

func (v *dataView) shape() (c, h, w int) {
	for _, sp := range v.splits {
		return sp.set.C, sp.set.H, sp.set.W
	}
	return 0, 0, 0
}

func (v *dataView) header() fyne.CanvasObject {
	title := widget.NewLabelWithStyle(ui.DatasetTitle(v.s.Project.Dataset.Spec), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	c, h, w := v.shape()
	facts := []string{formatName(v.ds.Format),
		fmt.Sprintf("%d×%d×%d", c, h, w), fmt.Sprintf("%d classes", len(v.classes()))}
	for _, sp := range []splitInfo{{"train", v.ds.Train}, {"validation", v.ds.Val}, {"test", v.ds.Test}} {
		facts = append(facts, widgets.Thousands(sp.set.Len())+" "+sp.name)
	}
	if ref := v.s.Project.Dataset; ref.LimitTrain > 0 || ref.LimitTest > 0 {
		facts = append(facts, "class-balanced subset of the full dataset")
	}
	info := widget.NewLabel(strings.Join(facts, "  ·  "))
	info.Truncation = fyne.TextTruncateEllipsis
	return container.New(layout.NewCustomPaddedLayout(2, 0, 4, 4), container.NewBorder(nil, nil, title, nil, info))
}

// formatName names a data.Dataset format for people.
func formatName(f string) string {
	switch f {
	case "idx":
		return "IDX files"
	case "cifar10-bin":
		return "CIFAR-10 binary"
	case "image-folder":
		return "Image folder"
	case "image-zip":
		return "Zip of images"
	case "":
		return "Embedded"
	}
	return strings.ToUpper(f)
}

// samples is the grid with its filters.
func (v *dataView) samples() fyne.CanvasObject {
	var names []string
	for _, sp := range v.splits {
		names = append(names, fmt.Sprintf("%s · %s", sp.name, widgets.Thousands(sp.set.Len())))
	}
	v.split = widget.NewSelect(names, func(string) { v.selectSplit(v.split.SelectedIndex()) })
	v.class = widget.NewSelect(append([]string{"All classes"}, v.classes()...), func(string) { v.filter() })
	v.class.SetSelectedIndex(0)
	v.showing = widget.NewLabel("")
	v.grid = widgets.NewImageGrid(func() int { return len(v.idx) },
		func(i int) image.Image { return v.set.Picture(v.idx[i]) },
		func(i int) string {
			if l := int(v.set.Labels[v.idx[i]]); l >= 0 && l < len(v.set.Classes) {
				return v.set.Classes[l]
			}
			return "?"
		})
	v.grid.OnScrolled = func(first, last int) { v.showRange(first, last) }
	v.grid.OnSelected = func(int) { v.augEpoch = 0; v.preview() }
	c, h, w := v.shape()
	_ = c
	v.grid.ThumbSize = float32(max(56, min(2*max(h, w), 72)))
	head := widget.NewLabelWithStyle("Samples", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(container.NewBorder(nil, nil, head, v.showing), container.NewGridWithColumns(2, v.split, v.class))
	return container.New(layout.NewCustomPaddedLayout(0, 4, 4, 8), container.NewBorder(top, nil, nil, nil, v.grid))
}

func (v *dataView) selectSplit(i int) {
	if i < 0 || i >= len(v.splits) {
		return
	}
	if v.split.SelectedIndex() != i {
		v.split.SetSelectedIndex(i) // calls back here
		return
	}
	v.set = v.splits[i].set
	v.filter()
}

// filter shows the images of the chosen split and class.
func (v *dataView) filter() {
	if v.set == nil {
		return
	}
	k := v.class.SelectedIndex() - 1 // -1: all classes
	v.idx = v.idx[:0]
	if k < 0 {
		v.idx = roundRobin(v.set)
	} else {
		for i, l := range v.set.Labels {
			if int(l) == k {
				v.idx = append(v.idx, i)
			}
		}
	}
	v.grid.Select(-1)
	v.grid.Refresh()
	v.grid.ScrollToTop()
	first, last := v.grid.VisibleRange()
	v.showRange(first, last)
	v.preview()
}

// roundRobin orders a set's images class by class in turn (the first image
// of each class, then the second of each...), so that the grid shows every
// class at once even when the files are sorted by class.
func roundRobin(s *data.Set) []int {
	byClass := make([][]int, len(s.Classes))
	for i, l := range s.Labels {
		if int(l) >= 0 && int(l) < len(byClass) {
			byClass[l] = append(byClass[l], i)
		}
	}
	out := make([]int, 0, s.Len())
	for r := 0; len(out) < s.Len(); r++ {
		added := false
		for _, idx := range byClass {
			if r < len(idx) {
				out = append(out, idx[r])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

func (v *dataView) showRange(first, last int) {
	if len(v.idx) == 0 {
		v.showing.SetText("no images")
		return
	}
	v.showing.SetText(fmt.Sprintf("%s–%s of %s", widgets.Thousands(first+1), widgets.Thousands(last), widgets.Thousands(len(v.idx))))
}

// side is the right-hand column.
func (v *dataView) side() fyne.CanvasObject {
	chart := widgets.NewPlotView(v.histogram())
	chart.Min = fyne.NewSize(380, 36+18*float32(len(v.classes())))
	legend := container.NewHBox()
	for _, sp := range v.splits {
		legend.Add(widgets.SwatchLabel(sp.name, widgets.SplitColors[sp.name]))
	}
	classes := widgets.CardWith("Images per class", legend, chart)

	// Split counts beside the mean image.
	total := 0
	for _, sp := range v.splits {
		total += sp.set.Len()
	}
	rows := []fyne.CanvasObject{widgets.CellText("Split", true, false), widgets.CellText("Images", true, true), widgets.CellText("Share", true, true)}
	for _, sp := range []splitInfo{{"Train", v.ds.Train}, {"Validation", v.ds.Val}, {"Test", v.ds.Test}} {
		n := sp.set.Len()
		share := "–"
		if total > 0 && n > 0 {
			share = fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
		}
		rows = append(rows, widgets.SwatchLabel(sp.name, widgets.SplitColors[sp.name]), widgets.CellText(widgets.Thousands(n), false, true), widgets.CellText(share, false, true))
	}
	splitTable := container.New(layout.NewGridLayoutWithColumns(3), rows...)

	v.mean = canvas.NewImageFromImage(nil)
	v.mean.ScaleMode = canvas.ImageScalePixels
	v.mean.FillMode = canvas.ImageFillContain
	v.mean.SetMinSize(fyne.NewSquareSize(96))
	v.meanText = widget.NewLabel("Computing the mean image…")
	v.meanText.Wrapping = fyne.TextWrapWord
	v.meanText.SizeName = theme.SizeNameCaptionText
	splitsAndMean := container.NewBorder(nil, v.meanText, nil, container.NewCenter(v.mean),
		container.New(layout.NewCustomPaddedLayout(0, 0, 0, 16), container.NewCenter(splitTable)))
	stats := widgets.Card("Splits and mean image", splitsAndMean)

	col := container.NewVBox(classes, stats, v.augmentCard(), v.problemsCard())
	return container.New(&widgets.MinWidth{W: 410}, container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 4, 0, 6), col)))
}

// computeStats computes the mean image and channel statistics of the
// training split off the UI goroutine.
func (v *dataView) computeStats() {
	defer close(v.statsDone)
	tr := v.ds.Train
	if tr.Len() == 0 {
		return
	}
	var mean image.Image
	var text string
	var fill []float32
	err := widgets.RunSafely(func() error {
		m := data.MeanImage(tr)
		mean = data.Picture(augment.Image{C: tr.C, H: tr.H, W: tr.W, Pix: m})
		st, err := data.FitStats(tr, data.NormChannelStd, data.StatsOptions{})
		if err != nil {
			return err
		}
		fill = st.Mean
		names := []string{"R", "G", "B"}
		var parts []string
		for c := range st.Mean {
			p := fmt.Sprintf("%.3f ± %.3f", st.Mean[c], st.Std[c])
			if len(st.Mean) == 3 {
				p = names[c] + " " + p
			}
			parts = append(parts, p)
		}
		text = "Mean of the " + widgets.Thousands(tr.Len()) + " training images (right). Pixel mean ± std on a 0–1 scale: " + strings.Join(parts, ", ") + "."
		return nil
	})
	widgets.DoAndWait(func() {
		if err != nil {
			v.meanText.SetText("Cannot compute the statistics: " + err.Error())
			return
		}
		v.fill = fill
		v.mean.Image = mean
		v.mean.Refresh()
		v.meanText.SetText(text)
		v.preview()
	})
}

// ---- augmentation preview ----

// defaultAugment is shown when the project has no augmentation.
const defaultAugment = "hflip,crop:4,jitter"

func (v *dataView) augmentCard() fyne.CanvasObject {
	v.augEntry = widget.NewEntry()
	v.augEntry.SetPlaceHolder("e.g. " + defaultAugment)
	text := strings.Join(v.s.Project.Hyper.Augment, ",")
	if text == "" {
		text = defaultAugment
	}
	v.augEntry.SetText(text)
	v.augEntry.OnChanged = func(string) { v.augEpoch = 0; v.preview() }
	resample := widget.NewButtonWithIcon("Resample", theme.ViewRefreshIcon(), func() { v.augEpoch++; v.preview() })
	v.augUse = widget.NewButton("Use for training", func() {
		var ops []string
		for _, o := range strings.Split(v.augEntry.Text, ",") {
			if o = strings.TrimSpace(o); o != "" && o != "none" {
				ops = append(ops, o)
			}
		}
		v.s.Project.Hyper.Augment = ops
		v.s.MarkDirty()
		v.preview()
	})
	v.augMsg = widget.NewLabel("")
	v.augMsg.Wrapping = fyne.TextWrapWord
	v.augMsg.SizeName = theme.SizeNameCaptionText
	v.augCaption = widget.NewLabel("")
	v.augCaption.SizeName = theme.SizeNameCaptionText
	row := container.NewHBox()
	for k := 0; k < 5; k++ {
		im := canvas.NewImageFromImage(nil)
		im.ScaleMode = canvas.ImageScalePixels
		im.FillMode = canvas.ImageFillContain
		im.SetMinSize(fyne.NewSquareSize(64))
		v.augImgs = append(v.augImgs, im)
		row.Add(im)
		if k == 0 {
			row.Add(widget.NewSeparator())
		}
	}
	controls := container.NewBorder(nil, nil, nil, container.NewHBox(resample, v.augUse), v.augEntry)
	return widgets.Card("Augmentation preview", container.NewVBox(controls, container.NewCenter(row), v.augCaption, v.augMsg))
}

// previewImage is the image the preview augments: the grid's selection,
// else the first image shown.
func (v *dataView) previewImage() (set *data.Set, i int, ok bool) {
	if v.set == nil || len(v.idx) == 0 {
		return nil, 0, false
	}
	k := v.grid.Selected()
	if k < 0 || k >= len(v.idx) {
		k = 0
	}
	return v.set, v.idx[k], true
}

// preview draws the chosen image and four augmentations of it.
func (v *dataView) preview() {
	if v.augEntry == nil {
		return
	}
	set, i, ok := v.previewImage()
	if !ok {
		return
	}
	pipe, err := augment.Parse(v.augEntry.Text)
	if err != nil {
		v.augMsg.Importance = widget.DangerImportance
		v.augMsg.SetText(widgets.FirstUpper(err.Error()) + ".")
		v.augUse.Disable()
		return
	}
	v.augMsg.Importance = widget.MediumImportance
	v.augMsg.SetText("Operations: " + opsHelp())
	if strings.Join(v.s.Project.Hyper.Augment, ",") == pipe.String() || (pipe.Empty() && len(v.s.Project.Hyper.Augment) == 0) {
		v.augUse.Disable()
	} else {
		v.augUse.Enable()
	}
	pipe.Env.Fill = v.fill
	if pipe.NeedsColourPCA() {
		if v.pca == nil {
			tr := v.ds.Train
			v.pca, _ = augment.FitColourPCA(tr.Images, tr.Len(), tr.C, tr.H, tr.W, max(1, tr.Len()/2000))
		}
		pipe.Env.ColourPCA = v.pca
	}
	v.augImgs[0].Image = set.Picture(i)
	v.augImgs[0].Refresh()
	seed := v.s.Project.Hyper.Seed
	note := ""
	for k := 1; k < len(v.augImgs); k++ {
		im := set.Float(i)
		epoch := v.augEpoch*len(v.augImgs) + k
		pipe.Apply(im, seed, epoch, i)
		if pipe.Mixup > 0 && set.Len() > 1 {
			r := augment.BatchRand(seed, epoch, i)
			j := r.IntN(set.Len())
			lam := augment.Beta(r, pipe.Mixup, pipe.Mixup)
			other := set.Float(j)
			for p := range im.Pix {
				im.Pix[p] = float32(lam)*im.Pix[p] + float32(1-lam)*other.Pix[p]
			}
			note = " Mixup blends each copy with another image of the split."
		}
		v.augImgs[k].Image = data.Picture(im)
		v.augImgs[k].Refresh()
	}
	label := "?"
	if l := int(set.Labels[i]); l >= 0 && l < len(set.Classes) {
		label = set.Classes[l]
	}
	v.augCaption.SetText(fmt.Sprintf("Image %s (%s), then four draws of the pipeline.%s Select another image in the grid.", widgets.Thousands(i), label, note))
}

func opsHelp() string {
	return augment.OpList() + "."
}

// ---- problems ----

func (v *dataView) problemsCard() fyne.CanvasObject {
	var items []fyne.CanvasObject
	for _, n := range v.ds.Notes {
		l := widget.NewLabel(widgets.FirstUpper(n) + ".")
		l.Wrapping = fyne.TextWrapWord
		items = append(items, l)
	}
	if len(v.ds.Skipped) == 0 {
		l := widget.NewLabel("Every image was read; none skipped.")
		l.TextStyle.Italic = true // full contrast: LowImportance's grey was hard to read
		items = append(items, l)
		return widgets.Card("Problems", container.NewVBox(items...))
	}
	head := widget.NewLabel(fmt.Sprintf("%s unreadable images were skipped:", widgets.Thousands(len(v.ds.Skipped))))
	head.Importance = widget.WarningImportance
	list := widget.NewList(func() int { return len(v.ds.Skipped) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			l.SizeName = theme.SizeNameCaptionText
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.ds.Skipped[i]) })
	items = append(items, head, container.New(&widgets.MinHeight{H: 140}, list))
	return widgets.Card("Problems", container.NewVBox(items...))
}

// ---- class histogram ----

// histogram is a horizontal bar chart of images per class, one bar per
// split, the first class at the top.
func (v *dataView) histogram() *plot.Plot {
	p := widgets.NewPlot()
	classes := v.classes()
	b := &hbars{}
	for _, sp := range v.splits {
		b.series = append(b.series, barSeries{name: sp.name, counts: sp.set.ClassCounts(), color: widgets.SplitColors[sp.name]})
	}
	p.Add(b)
	names := make([]string, len(classes))
	for i, c := range classes {
		names[len(classes)-1-i] = c
	}
	p.NominalY(names...)
	p.X.Min = 0
	p.X.Tick.Marker = widgets.ThousandsTicks{}
	p.Y.Padding = 0
	return p
}

// barSeries is one split's counts.
type barSeries struct {
	name   string
	counts []int
	color  color.Color
}

// hbars draws grouped horizontal bars in data coordinates: class i of K
// at y = K-1-i, its series side by side within 0.8 of a unit.
type hbars struct{ series []barSeries }

func (b *hbars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	n := len(b.series)
	for k, s := range b.series {
		k0 := len(s.counts)
		for i, cnt := range s.counts {
			y := float64(k0 - 1 - i)
			h := 0.8 / float64(n)
			top := y + 0.4 - float64(k)*h
			bot := top - h*0.9
			x0, x1 := trX(0), trX(float64(cnt))
			y0, y1 := trY(bot), trY(top)
			c.FillPolygon(s.color, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		}
	}
}

func (b *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	k := 0
	for _, s := range b.series {
		for _, c := range s.counts {
			xmax = math.Max(xmax, float64(c))
		}
		k = max(k, len(s.counts))
	}
	return 0, xmax * 1.04, -0.5, float64(k) - 0.5
}
