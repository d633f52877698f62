package saliency

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/widgets"
)

// vizView visualises a class by gradient ascent on its score from grey,
// keeping every tenth iteration for scrubbing.
type vizView struct {
	p      *salPane
	root   fyne.CanvasObject
	class  *widget.SelectEntry
	steps  *widget.Entry
	size   *widget.Entry
	run    *widget.Button
	export *widget.Button
	scrub  *widget.Slider
	note   *widget.Label
	pic    *picture

	frames []vizFrame
}

// vizFrame is the image after some iterations.
type vizFrame struct {
	step int
	img  image.Image
}

const vizEvery = 10

func newVizView(p *salPane) *vizView {
	v := &vizView{p: p, class: inspection.NewClassEntry(), steps: widget.NewEntry(), size: widget.NewEntry(), note: widget.NewLabel(""), pic: newPicture()}
	v.steps.SetText("200")
	v.note.Wrapping = fyne.TextWrapWord
	v.pic.raster.SetMinSize(fyne.NewSquareSize(320))
	v.run = widget.NewButtonWithIcon("Visualise", theme.MediaPlayIcon(), v.start)
	v.run.Importance = widget.HighImportance
	v.export = widget.NewButtonWithIcon("Export PNG…", theme.DocumentSaveIcon(), v.exportDialog)
	v.export.Disable()
	v.scrub = widget.NewSlider(0, 0)
	v.scrub.OnChanged = func(f float64) { v.showFrame(int(f)) }
	form := widget.NewForm(widget.NewFormItem("Class", v.class), widget.NewFormItem("Iterations", v.steps),
		widget.NewFormItem("Size (pixels)", v.size),
		widget.NewFormItem("Iteration", v.scrub))
	left := container.NewVBox(form, container.NewHBox(v.run, v.export), v.note)
	split := container.NewHSplit(left, v.pic.raster)
	split.SetOffset(0.3)
	v.root = widgets.Pad(6, 4, 6, 6, split)
	return v
}

func (v *vizView) setModel() {
	v.p.SetClassOptions(v.class, attribNet(v.p.Model.First).Classes())
	// Large inputs (ImageNet's 224) visualise at 128 pixels: four times
	// fewer pixels, the same classes.
	side := min(v.p.Model.In[1], v.p.Model.In[2])
	if side > 160 {
		side = 128
	}
	v.size.SetText(strconv.Itoa(side))
	v.frames = nil
	v.pic.set(nil)
	v.export.Disable()
}

func (v *vizView) start() {
	p := v.p
	steps, err := strconv.Atoi(v.steps.Text)
	if err != nil || steps < 1 || steps > 5000 {
		v.note.SetText(fmt.Sprintf("%q iterations: use a whole number from 1 to 5000.", v.steps.Text))
		return
	}
	side, err := strconv.Atoi(strings.TrimSpace(v.size.Text))
	if err != nil || side < 8 || side > 1024 {
		v.note.SetText(fmt.Sprintf("%q pixels: use a whole number from 8 to 1024.", v.size.Text))
		return
	}
	mdl := p.Model
	if mdl == nil {
		return
	}
	k, err := p.ClassIndex(v.class.Text, attribNet(mdl.First).Classes())
	if err != nil {
		v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	v.frames = nil
	v.note.SetText("")
	in := []int{mdl.In[0], side, side}
	err = p.job.Start("Visualising "+p.ClassName(k), func(ctx context.Context, report widgets.Report) error {
		net, err := netAt(mdl, side)
		if err != nil {
			return err
		}
		o := attrib.AscentOptions{Steps: steps, LR: 0.02, L2: 0.01, BlurEvery: 4, BlurSigma: 0.5, Jitter: 2, Seed: 1,
			Every: vizEvery, Progress: func(done, total int) { report(done, total, "") },
			Iterate: func(step int, x []float32) {
				f := vizFrame{step: step, img: attrib.PixelImage(x, in[0], in[1], in[2])}
				widgets.Do(func() { v.addFrame(f) })
			}}
		res, err := attrib.Ascend(ctx, net.Input(), net.Objective(attrib.ClassTarget(k)), o)
		if err != nil {
			return err
		}
		score := res.Scores[len(res.Scores)-1]
		widgets.Do(func() {
			v.note.SetText(fmt.Sprintf("%s after %d iterations at %d×%d pixels: score %.3g. Drag the iteration slider to watch it form.", widgets.FirstUpper(p.ClassName(k)), steps, side, side, score))
		})
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

// addFrame keeps an iteration and shows it (the newest while it runs).
func (v *vizView) addFrame(f vizFrame) {
	v.frames = append(v.frames, f)
	v.scrub.Max = float64(len(v.frames) - 1)
	v.scrub.SetValue(v.scrub.Max)
	v.showFrame(len(v.frames) - 1)
	v.export.Enable()
}

func (v *vizView) showFrame(i int) {
	if i < 0 || i >= len(v.frames) {
		return
	}
	v.pic.set(v.frames[i].img)
	v.scrub.Refresh()
}

// shown is the frame the slider points at.
func (v *vizView) shown() (vizFrame, bool) {
	i := int(v.scrub.Value)
	if i < 0 || i >= len(v.frames) {
		return vizFrame{}, false
	}
	return v.frames[i], true
}

func (v *vizView) exportDialog() {
	if _, ok := v.shown(); !ok {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		if err := v.exportPNG(path); err != nil {
			v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	}, v.p.S.Window)
	d.SetFileName("classviz.png")
	d.Show()
}

// exportPNG writes the shown iteration as a PNG file.
func (v *vizView) exportPNG(path string) error {
	f, ok := v.shown()
	if !ok {
		return fmt.Errorf("nothing to export: visualise a class first")
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(out, f.img); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	v.note.SetText(fmt.Sprintf("Iteration %d written to %s.", f.step, path))
	return nil
}

// netAt builds the model for side×side images: the project's own size, or
// another one where the network takes it (global pooling before the
// classifier) and the preprocessing is per channel.
func netAt(mdl *inspection.Model, side int) (attrib.Net, error) {
	if side == mdl.In[1] && side == mdl.In[2] {
		n, err := mdl.Net()
		return attribNet(n), err
	}
	model, err := nn.Build(mdl.Graph, []int{mdl.In[0], side, side}, cpu.New(), 1, "default")
	if err != nil {
		return attrib.Net{}, fmt.Errorf("the network does not take %d×%d images (%v): use %d pixels", side, side, err, mdl.In[1])
	}
	if _, skipped := train.LoadMatching(model, mdl.Weights); len(skipped) > 0 {
		return attrib.Net{}, fmt.Errorf("at %d×%d pixels the saved weights no longer fit (%s): use %d pixels", side, side, strings.Join(skipped, ", "), mdl.In[1])
	}
	st, err := attrib.Net{Stats: mdl.Stats}.StatsAt(side, side)
	if err != nil {
		return attrib.Net{}, err
	}
	return attrib.Net{Model: model, Stats: st}, nil
}
