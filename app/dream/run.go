package dream

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/widgets"
)

// keep is about how many iterates a run keeps for the scrubber.
const keep = 40

// previewGap is the least time between two updates of the preview and the
// loss curve while a run iterates.
const previewGap = 150 * time.Millisecond

// job is one run, read from the controls on the UI goroutine.
type job struct {
	mode          string
	src           *source
	styles        []*source
	blend         []float64
	c, size       int
	stretch       bool
	opt           style.Options
	layer         string
	octaves       int
	scale         float64
	synth         style.SynthOptions
	layers        []style.LayerWeight
	contentLayer  string
	contentWeight float64
	fromNoise     bool
}

// readJob checks the controls and returns the run they describe.
func (p *dreamPane) readJob() (*job, error) {
	c := p.c
	j := &job{mode: p.mode.Selected, src: p.src.src, c: p.Model.In[0], size: int(c.size.Value), stretch: p.stretch()}
	if j.src == nil {
		return nil, fmt.Errorf("choose an image first: a test image, an image file, or drop one on the window")
	}
	steps, err := c.steps.Value()
	if err != nil {
		return nil, err
	}
	lr, err := c.lr.Value()
	if err != nil {
		return nil, err
	}
	tv, err := c.tv.Value()
	if err != nil {
		return nil, err
	}
	j.opt = style.Options{Steps: steps, LR: lr, Seed: 1}
	j.synth = style.SynthOptions{TV: tv, LBFGS: c.optimizer.Selected == optLBFGS, Smooth: c.smooth.Checked}
	if j.synth.Smooth && (j.mode == modeTexture || j.mode == modeStyle) {
		if j.synth.SmoothScale, err = c.smoothScale.Value(); err != nil {
			return nil, err
		}
	} else {
		j.synth.Smooth = false
	}
	switch j.mode {
	case modeDream:
		j.layer, j.octaves, j.scale = c.layer.Selected, int(c.octaves.Value), c.scale.Value
		j.opt.Jitter = int(c.jitter.Value)
		j.opt.Every = max(1, steps*j.octaves/keep)
	case modeInvert:
		j.layer = c.layer.Selected
	case modeTexture, modeStyle, modeFast:
		sw, err := c.styleW.Value()
		if err != nil {
			return nil, err
		}
		if j.layers = c.styleLayers.weights(sw); len(j.layers) == 0 {
			return nil, fmt.Errorf("choose at least one style layer")
		}
	}
	if j.mode == modeStyle || j.mode == modeFast {
		if err := p.readStyle(j); err != nil {
			return nil, err
		}
	}
	if (j.mode == modeDream || j.mode == modeInvert) && j.layer == "" {
		return nil, fmt.Errorf("choose a layer")
	}
	if j.opt.Every == 0 {
		j.opt.Every = max(1, steps/keep)
	}
	return j, nil
}

func (p *dreamPane) readStyle(j *job) error {
	c := p.c
	if len(p.styles.items) == 0 {
		return fmt.Errorf("add a style image: a file, a test image, or drop one on the style list")
	}
	blend, err := p.styles.blend()
	if err != nil {
		return err
	}
	for _, it := range p.styles.items {
		j.styles = append(j.styles, it.src)
	}
	j.blend = blend
	if j.contentWeight, err = c.contentW.Value(); err != nil {
		return err
	}
	j.contentLayer, j.fromNoise = c.contentLayer.Selected, c.init.Selected == initNois
	if j.contentLayer == "" {
		return fmt.Errorf("choose a content layer")
	}
	return nil
}

// run makes the job's image on net.
func (j *job) run(ctx context.Context, net attrib.Net) (*style.Result, error) {
	src, err := j.src.at(j.c, j.size, j.stretch)
	if err != nil {
		return nil, err
	}
	so := j.synth
	so.Options = j.opt
	switch j.mode {
	case modeDream:
		return style.Dream(ctx, net, src.Pix, src.Shape, style.DreamOptions{Options: j.opt, Layer: j.layer, Octaves: j.octaves, OctaveScale: j.scale})
	case modeInvert:
		return style.Invert(ctx, net, src, j.layer, so)
	case modeTexture:
		return style.Texture(ctx, net, src, src.Shape, j.layers, so)
	}
	var styles []style.Image
	for _, s := range j.styles {
		im, err := s.at(j.c, j.size, j.stretch)
		if err != nil {
			return nil, err
		}
		styles = append(styles, im)
	}
	return style.Transfer(ctx, net, src, styles, style.TransferOptions{SynthOptions: so, ContentLayer: j.contentLayer,
		ContentWeight: j.contentWeight, StyleLayers: j.layers, StyleWeight: 1, Blend: j.blend, FromNoise: j.fromNoise})
}

// start runs the chosen mode on a job, streaming iterates and losses to
// the preview.
func (p *dreamPane) start() {
	if p.Model == nil {
		return
	}
	if p.mode.Selected == modeFast {
		p.startFast()
		return
	}
	j, err := p.readJob()
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	mdl, v, do := p.Model, p.view, uiDo(p.job.Sync)
	v.begin(j.mode == modeDream)
	p.info.SetText("")
	st := &stream{do: do, apply: v.add}
	began := time.Now()
	err = p.job.Start(fmt.Sprintf("%s of %s at %d px", j.mode, j.src.name, j.size), func(ctx context.Context, report widgets.Report) error {
		n, err := mdl.Net()
		if err != nil {
			return err
		}
		j.opt.Progress = func(done, total int) { report(done, total, "") }
		j.opt.Iterate, j.opt.Loss = st.frame, st.loss
		res, err := j.run(ctx, attrib.Net{Model: n.Model, Stats: n.Stats})
		st.flush()
		if err != nil {
			return err
		}
		secs := time.Since(began).Seconds()
		do(func() { p.info.SetText(summary(j.mode, res, secs)) })
		return nil
	}, func(err error) {
		v.end()
		if widgets.Cancelled(err) {
			p.info.SetText(fmt.Sprintf("Cancelled. The %d iterations kept stay to scrub and export.", len(v.frames)))
		} else if err != nil {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// summary says what a run made, in a sentence.
func summary(mode string, r *style.Result, secs float64) string {
	if mode == modeDream {
		return fmt.Sprintf("DeepDream: the layer's energy rose from %.3g to %.3g in %d steps (%.1f s).", r.LossStart, r.Loss, r.Steps, secs)
	}
	ratio := ""
	if r.Loss > 0 {
		ratio = fmt.Sprintf(", %.0f× lower", r.LossStart/r.Loss)
	}
	return fmt.Sprintf("%s: the loss fell from %.3g to %.3g%s in %d steps (%.1f s).", mode, r.LossStart, r.Loss, ratio, r.Steps, secs)
}

// frame is a kept iterate.
type frame struct {
	step int
	img  image.Image
}

// stream batches a run's iterates and losses from its goroutine to the UI,
// at most every previewGap (and all that is left at flush).
type stream struct {
	do     func(func())
	apply  func([]frame, []lossPoint)
	frames []frame
	losses []lossPoint
	last   time.Time
}

type lossPoint struct {
	step int
	loss float64
}

func (s *stream) frame(step int, x []float32, shape []int) {
	s.frames = append(s.frames, frame{step: step, img: attrib.PixelImage(x, shape[0], shape[1], shape[2])})
	s.maybeFlush()
}

func (s *stream) loss(step int, l float64) {
	s.losses = append(s.losses, lossPoint{step, l})
	s.maybeFlush()
}

func (s *stream) maybeFlush() {
	if time.Since(s.last) >= previewGap {
		s.flush()
	}
}

func (s *stream) flush() {
	if len(s.frames) == 0 && len(s.losses) == 0 {
		return
	}
	f, l := s.frames, s.losses
	s.frames, s.losses, s.last = nil, nil, time.Now()
	s.do(func() { s.apply(f, l) })
}

// uiDo is how a job shows its results: on the UI goroutine, or at once
// when the job runs synchronously (render-panes).
func uiDo(sync bool) func(func()) {
	if sync {
		return func(fn func()) { fn() }
	}
	return widgets.Do
}

// facts are what the project says about how its network was made.
func (p *dreamPane) facts() style.Facts {
	pr := p.S.Project
	f := style.Facts{Trained: len(pr.Runs) > 0 || pr.Dataset.Spec == "", Classes: len(pr.Dataset.Classes)}
	if pr.Dataset.H > 0 {
		f.TrainSize = [2]int{pr.Dataset.H, pr.Dataset.W}
	}
	if ds := p.S.Dataset; ds != nil && ds.Train != nil {
		f.TrainImages = ds.Train.Len()
	} else if pr.Dataset.LimitTrain > 0 {
		f.TrainImages = pr.Dataset.LimitTrain
	}
	return f
}

// assess shows the reasons the chosen network and layers will give poor
// results, if any.
func (p *dreamPane) assess() {
	if p.Model == nil || p.mode == nil || p.notice == nil {
		return
	}
	sz := int(p.c.size.Value)
	var layers []string
	for _, l := range p.c.layers(p.mode.Selected) {
		if l != "" {
			layers = append(layers, l)
		}
	}
	p.notice.show(style.Assess(p.net(), layers, [2]int{sz, sz}, p.facts()))
}
