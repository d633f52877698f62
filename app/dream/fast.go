package dream

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/projects/stylenet"
	"github.com/workbench-cv/workbench/widgets"
)

// modeFast trains a transformation network (Johnson et al.; conditional
// instance norm for several styles, Dumoulin et al.) on the perceptual
// losses of the project's network, then stylises a gallery in one pass
// each.
const modeFast = "Fast style"

// gallerySize is how many content images the gallery shows (and the
// network trains on).
const gallerySize = 12

// fastView is the fast-style gallery and the settings only it has.
type fastView struct {
	p       *dreamPane
	width   *valueSlider
	batch   *widgets.IntField
	restyle *widget.Button
	save    *widget.Button // Save network…
	open    *widget.Button // Open network…
	cells   *fyne.Container
	note    *widget.Label
	root    fyne.CanvasObject

	net     *style.FastNet // the last trained (or opened) network
	meta    stylenet.Meta  // how it was trained, saved with it
	content []*source      // the images the gallery shows (it trained on them)
	size    int
	shown   []image.Image // the gallery's stylised images
}

func newFastView(p *dreamPane) *fastView {
	v := &fastView{p: p, batch: widgets.NewIntField("Batch", 2, 1, 16), note: widget.NewLabel("")}
	v.width = newValueSlider(4, 32, 4, 16, func(x float64) string { return fmt.Sprintf("%.0f", x) }, nil)
	v.note.Wrapping = fyne.TextWrapWord
	v.note.SetText("Train a transformation network on the content image and the other images in its folder (or the " +
		"first test images), then each stylises in one pass. With several styles, the blend weights mix them; " +
		"Stylise again re-renders the gallery with the current weights. Save network… keeps the trained network " +
		"as a project (workbench viz style --fast opens it too); Open network… brings back one saved here or by " +
		"workbench train-style.")
	v.restyle = widget.NewButtonWithIcon("Stylise again", theme.ViewRefreshIcon(), v.stylise)
	v.restyle.Disable()
	v.save = widget.NewButtonWithIcon("Save network…", theme.DocumentSaveIcon(), v.saveDialog)
	v.save.Disable()
	v.open = widget.NewButtonWithIcon("Open network…", theme.FolderOpenIcon(), v.openDialog)
	v.cells = container.NewGridWrap(fyne.NewSize(180, 206))
	v.root = container.NewBorder(container.NewVBox(v.note, container.NewHBox(v.restyle, v.save, v.open)), nil, nil, nil, container.NewVScroll(v.cells))
	return v
}

// items are the fast mode's own form rows.
func (v *fastView) items() []*widget.FormItem {
	return []*widget.FormItem{widget.NewFormItem("Network width", v.width.box), widget.NewFormItem("Batch", v.batch.Entry)}
}

// contentSet is what the network trains on and the gallery shows: the
// content image and the other image files of its folder (the style images
// left out), else the first test images, at most gallerySize.
func (v *fastView) contentSet(src *source, styles []*source) []*source {
	out := []*source{src}
	if src.path != "" {
		skip := map[string]bool{src.path: true}
		for _, s := range styles {
			skip[s.path] = true
		}
		ents, _ := os.ReadDir(filepath.Dir(src.path))
		var names []string
		for _, e := range ents {
			if p := filepath.Join(filepath.Dir(src.path), e.Name()); !e.IsDir() && imageFile(p) && !skip[p] {
				names = append(names, p)
			}
		}
		sort.Strings(names)
		for _, p := range names[:min(len(names), gallerySize-1)] {
			if s, err := fileSource(p, 3, v.p.stretch()); err == nil {
				out = append(out, s)
			}
		}
		return out
	}
	if v.p.DataOK() {
		set := inspection.Split(v.p.S.Dataset, "test")
		for i := 0; i < set.Len() && len(out) < gallerySize; i++ {
			im := inspection.Picked{X: set.Float(i).Pix, Name: fmt.Sprintf("test image %d", i), Label: int(set.Labels[i])}
			if !slices.Equal(im.X, src.pix) {
				out = append(out, datasetSource(im, v.p.Model.In))
			}
		}
	}
	return out
}

// fastJob is a training run read from the controls.
type fastJob struct {
	*job
	content []*source
	width   int
	o       style.FastTrainOptions
	meta    stylenet.Meta
}

func (p *dreamPane) readFast() (*fastJob, error) {
	if p.Model.In[0] != 3 {
		return nil, fmt.Errorf("fast style needs a colour perceptual network; this one takes %d channel images", p.Model.In[0])
	}
	j, err := p.readJob() // the style transfer settings: images, layers, weights
	if err != nil {
		return nil, err
	}
	batch, err := p.fast.batch.Value()
	if err != nil {
		return nil, err
	}
	j.size -= j.size % 4
	f := &fastJob{job: j, content: p.fast.contentSet(j.src, j.styles), width: int(p.fast.width.Value)}
	f.o = style.FastTrainOptions{Size: j.size, Steps: j.opt.Steps, Batch: batch, LR: j.opt.LR, ContentLayer: j.contentLayer,
		ContentWeight: j.contentWeight, StyleLayers: j.layers, StyleWeight: 1, TV: j.synth.TV, Seed: 1, Every: max(1, j.opt.Steps/4)}
	// The style weight is in the layers' weights (StyleWeight 1): record it.
	sw, err := p.c.styleW.Value()
	if err != nil {
		return nil, err
	}
	f.meta = stylenet.Meta{Perceptual: p.S.ProjectName(), ContentLayer: j.contentLayer, Size: j.size,
		StyleWeight: sw, ContentWeight: j.contentWeight, TV: j.synth.TV}
	return f, nil
}

// startFast trains the network on a job, redrawing the gallery at each
// checkpoint (a quarter of the steps) and plotting the loss.
func (p *dreamPane) startFast() {
	f, err := p.readFast()
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	v, mdl, do := p.fast, p.Model, uiDo(p.job.Sync)
	p.view.begin(false)
	v.restyle.Disable()
	v.save.Disable()
	p.info.SetText("")
	st := &stream{do: do, apply: p.view.add}
	blend := f.blend
	err = p.job.Start(fmt.Sprintf("Training a fast-style network on %d images at %d px", len(f.content), f.size), func(ctx context.Context, report widgets.Report) error {
		n, err := mdl.Net()
		if err != nil {
			return err
		}
		per := attrib.Net{Model: n.Model, Stats: n.Stats}
		content, styles, err := f.images()
		if err != nil {
			return err
		}
		var names []string
		for _, s := range f.styles {
			names = append(names, s.name)
		}
		net, err := style.NewFastNet(n.Model.B, style.FastConfig{Width: f.width, Residual: 3, Styles: len(styles)}, names, 1)
		if err != nil {
			return err
		}
		f.o.Progress = func(s style.FastStep) {
			report(s.Step, s.Steps, "")
			st.loss(s.Step, s.Loss)
		}
		f.o.Checkpoint = func(int) error {
			imgs, _, err := galleryOf(net, content, blend)
			if err == nil {
				do(func() { v.show(f.content, imgs) })
			}
			return err
		}
		res, err := style.TrainFast(ctx, per, net, styles, content, f.o)
		st.flush()
		if err != nil {
			return err
		}
		_, per1, err := galleryOf(net, content[:1], blend)
		if err != nil {
			return err
		}
		do(func() {
			v.net, v.content, v.size = net, f.content, f.size
			v.meta = f.meta
			v.meta.Steps = res.Steps
			v.restyle.Enable()
			v.save.Enable()
			p.info.SetText(fmt.Sprintf("Fast style: %d steps in %.1f s, loss %.3g → %.3g (mean of the last tenth); "+
				"stylising one %d px image takes %.0f ms.", res.Steps, res.Seconds, res.LossStart, res.Loss, f.size, 1000*per1))
		})
		return nil
	}, func(err error) {
		p.view.end()
		if widgets.Cancelled(err) {
			p.info.SetText("Cancelled: the gallery shows the network at its last checkpoint.")
		} else if err != nil {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// images reads the content set and the styles at the training size.
func (f *fastJob) images() (content, styles []style.Image, err error) {
	for _, s := range f.content {
		im, err := s.at(3, f.size, f.stretch)
		if err != nil {
			return nil, nil, err
		}
		content = append(content, im)
	}
	for _, s := range f.styles {
		im, err := s.at(3, f.size, f.stretch)
		if err != nil {
			return nil, nil, err
		}
		styles = append(styles, im)
	}
	return content, styles, nil
}

// galleryOf stylises each image with the blend and reports the seconds
// one took on average.
func galleryOf(net *style.FastNet, imgs []style.Image, blend []float64) ([]image.Image, float64, error) {
	var out []image.Image
	start := time.Now()
	for _, im := range imgs {
		r, err := net.Stylise(im, blend)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, attrib.PixelImage(r.Pix, 3, r.Shape[1], r.Shape[2]))
	}
	return out, time.Since(start).Seconds() / float64(max(1, len(imgs))), nil
}

// show puts the stylised images in the gallery, each under its name.
func (v *fastView) show(src []*source, imgs []image.Image) {
	v.shown = imgs
	var objs []fyne.CanvasObject
	for i, img := range imgs {
		pic := canvas.NewImageFromImage(img)
		pic.FillMode = canvas.ImageFillContain
		pic.SetMinSize(fyne.NewSquareSize(176))
		name := widget.NewLabel(src[i].name)
		name.Alignment = fyne.TextAlignCenter
		name.Truncation = fyne.TextTruncateEllipsis
		objs = append(objs, container.NewBorder(nil, name, nil, nil, pic))
	}
	v.cells.Objects = objs
	v.cells.Refresh()
	v.p.view.updateExport()
}

// clear forgets the network and its gallery (another model).
func (v *fastView) clear() {
	v.net, v.content, v.shown = nil, nil, nil
	v.restyle.Disable()
	v.save.Disable()
	v.cells.Objects = nil
	v.cells.Refresh()
	v.p.view.updateExport()
}

// stylise renders the gallery again with the style list's blend weights.
func (v *fastView) stylise() {
	p := v.p
	if v.net == nil {
		return
	}
	blend, err := p.styles.blend()
	if err != nil || len(blend) != len(v.net.Styles) {
		p.info.SetText(fmt.Sprintf("The network knows %d styles (%v): keep one blend weight per style, not all zero.", len(v.net.Styles), v.net.Styles))
		return
	}
	content, size, err := v.gallerySet(v.net)
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	net, stretch, do := v.net, p.stretch(), uiDo(p.job.Sync)
	err = p.job.Start("Stylising the gallery", func(ctx context.Context, report widgets.Report) error {
		out, err := restyle(ctx, net, content, size, stretch, blend, report)
		if err == nil {
			do(func() { v.content, v.size = content, size; v.show(content, out) })
		}
		return err
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}
