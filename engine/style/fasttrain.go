package style

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// FastTrainOptions configure TrainFast. Zero fields take the defaults in
// brackets.
type FastTrainOptions struct {
	// Size is the side of the square training crops (256); a multiple of 4.
	Size int
	// Steps is the number of optimizer steps (200); Batch the content
	// images per step (4).
	Steps, Batch int
	// LR is Adam's learning rate (1e-3, as Johnson et al.).
	LR float64
	// ContentLayer is the perceptual layer of the content loss.
	ContentLayer  string
	ContentWeight float64 // (1)
	// StyleLayers weigh the Gram losses of the perceptual layers.
	StyleLayers []LayerWeight
	StyleWeight float64 // (1e5)
	// TV weighs the total-variation loss of the output (0).
	TV float64
	// StyleSize is the side the style images are resized to before their
	// Gram matrices are taken (Size).
	StyleSize int
	Seed      uint64
	// Progress, when set, is called after every step.
	Progress func(FastStep)
	// Checkpoint, when set, is called every Every steps and after the last
	// (a caller saves the network there); an error stops training.
	Checkpoint func(step int) error
	Every      int
}

// FastStep is the state after one training step.
type FastStep struct {
	Step, Steps int
	// Style is the style trained on this step (styles take turns).
	Style int
	// Loss is the weighted total; Content, StyleLoss and TV its terms
	// (weighted).
	Loss, Content, StyleLoss, TV float64
	Seconds                      float64
}

// FastResult summarises a training run.
type FastResult struct {
	// LossStart is the first step's loss and Loss the mean of the last
	// tenth of the steps' (single batches are noisy).
	LossStart, Loss float64
	Steps           int
	Seconds         float64
}

func (o FastTrainOptions) defaults() FastTrainOptions {
	if o.Size <= 0 {
		o.Size = 256
	}
	if o.Steps <= 0 {
		o.Steps = 200
	}
	if o.Batch <= 0 {
		o.Batch = 4
	}
	if o.LR <= 0 {
		o.LR = 1e-3
	}
	if o.ContentWeight == 0 {
		o.ContentWeight = 1
	}
	if o.StyleWeight == 0 {
		o.StyleWeight = 1e5
	}
	if o.StyleSize <= 0 {
		o.StyleSize = o.Size
	}
	if o.Every <= 0 {
		o.Every = max(1, o.Steps/4)
	}
	return o
}

// perceptual runs a batch y [N, 3, H, W] of [0, 1] pixels through the
// perceptual network's preprocessing (on autograd, so that gradients
// reach y) to the deepest of layers, and returns their activations.
func perceptual(net attrib.Net, y *autograd.Var, layers []string) (map[string]*autograd.Var, error) {
	st := net.Stats
	x := y
	if st != nil && st.Norm != data.NormNone {
		if st.Norm != data.NormChannelMean && st.Norm != data.NormChannelStd {
			return nil, fmt.Errorf("fast style transfer needs a perceptual network with per-channel preprocessing, not %v", st.Norm)
		}
		scale, shift := make([]float32, st.C), make([]float32, st.C)
		for c := range st.C {
			s := float32(1)
			if st.Norm == data.NormChannelStd {
				s = 1 / st.Std[c]
			}
			scale[c], shift[c] = s, -st.Mean[c]*s
		}
		b := y.B()
		x = autograd.Add(autograd.Mul(y, autograd.Const(tensor.FromData(b, scale, 1, st.C, 1, 1))), autograd.Const(tensor.FromData(b, shift, 1, st.C, 1, 1)))
	}
	want := map[string]bool{}
	for _, l := range layers {
		want[l] = true
	}
	stop := ""
	for _, id := range net.Model.Analysis.Order {
		if want[id] {
			stop = id
		}
	}
	if len(want) == 1 && !y.RequiresGrad() {
		// One layer and no gradient (the content targets): without a Hook
		// the forward pass frees each activation once it has been read.
		return map[string]*autograd.Var{stop: net.Model.Forward(&nn.Ctx{NoGrad: true, Stop: stop}, x)}, nil
	}
	acts := map[string]*autograd.Var{}
	net.Model.Forward(&nn.Ctx{NoGrad: true, Stop: stop, Hook: func(id string, out *autograd.Var) *autograd.Var {
		if want[id] {
			acts[id] = out
		}
		return nil
	}}, x)
	return acts, nil
}

// styleTargets are each style's Gram matrices at the style layers, of the
// style image resized to side×side (aspect kept by a centre crop).
func styleTargets(net attrib.Net, styles []Image, layers []LayerWeight, side int) ([][]*tensor.Tensor, error) {
	names := layerNames(layers)
	out := make([][]*tensor.Tensor, len(styles))
	for k, im := range styles {
		if err := checkImage(im.Pix, im.Shape); err != nil {
			return nil, fmt.Errorf("style image %d: %v", k+1, err)
		}
		sd := min(im.Shape[1], im.Shape[2])
		sq := cropResize(im, (im.Shape[1]-sd)/2, (im.Shape[2]-sd)/2, sd, side, false)
		acts, err := net.Activations(sq, []int{3, side, side}, names)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			out[k] = append(out[k], Gram(autograd.Const(acts[n])).Value)
		}
		for _, a := range acts {
			net.Model.B.Free(a.Buf)
		}
	}
	return out, nil
}

// cropResize cuts the square of side s at (y, x) from im (grey images give
// three equal channels), resizes it to side×side and flips it left-right
// when flip is set.
func cropResize(im Image, y, x, s, side int, flip bool) []float32 {
	c, h, w := im.Shape[0], im.Shape[1], im.Shape[2]
	crop := make([]float32, 3*s*s)
	for ch := range 3 {
		src := im.Pix[min(ch, c-1)*h*w:]
		for r := range s {
			row := crop[(ch*s+r)*s : (ch*s+r+1)*s]
			copy(row, src[(y+r)*w+x:(y+r)*w+x+s])
			if flip {
				for i, j := 0, s-1; i < j; i, j = i+1, j-1 {
					row[i], row[j] = row[j], row[i]
				}
			}
		}
	}
	return Resize(crop, 3, s, s, side, side)
}

// contentBatch draws n random crops (a random square of 60-100% of the
// shorter side, resized to side, flipped half the time) from the set.
func contentBatch(rng *rand.Rand, set []Image, n, side int) []float32 {
	out := make([]float32, 0, n*3*side*side)
	for range n {
		im := set[rng.IntN(len(set))]
		h, w := im.Shape[1], im.Shape[2]
		s := max(1, int(float64(min(h, w))*(0.6+0.4*rng.Float64())))
		y, x := rng.IntN(h-s+1), rng.IntN(w-s+1)
		out = append(out, cropResize(im, y, x, s, side, rng.IntN(2) == 1)...)
	}
	return out
}

// FastTrainer takes optimizer steps of a transformation network on the
// perceptual losses of a fixed network: TrainFast's loop, or a caller's
// own (a pane that shows previews between steps, a benchmark that feeds
// fixed batches).
type FastTrainer struct {
	per  attrib.Net
	net  *FastNet
	opt  optim.Optimizer
	o    FastTrainOptions
	grms [][]*tensor.Tensor // per style, its Gram targets tiled over the batch
}

// NewFastTrainer checks the options and computes the styles' Gram targets.
func NewFastTrainer(per attrib.Net, net *FastNet, styles []Image, o FastTrainOptions) (*FastTrainer, error) {
	o = o.defaults()
	if len(styles) != net.Config.Styles {
		return nil, fmt.Errorf("%d style images for a network of %d styles", len(styles), net.Config.Styles)
	}
	if o.Size%4 != 0 || o.Size < net.MinSide() {
		return nil, fmt.Errorf("training size %d is not a multiple of 4 of at least %d: use 128, 192 or 256", o.Size, net.MinSide())
	}
	if len(o.StyleLayers) == 0 {
		return nil, fmt.Errorf("fast style training needs at least one style layer")
	}
	if err := per.CheckLayers(append(layerNames(o.StyleLayers), o.ContentLayer)); err != nil {
		return nil, err
	}
	targets, err := styleTargets(per, styles, o.StyleLayers, o.StyleSize)
	if err != nil {
		return nil, err
	}
	opt, err := optim.New("adam", optim.Config{LR: float32(o.LR)})
	if err != nil {
		return nil, err
	}
	b := net.Model.B
	t := &FastTrainer{per: per, net: net, opt: opt, o: o, grms: make([][]*tensor.Tensor, len(targets))}
	for k, ts := range targets {
		for _, g := range ts {
			d := g.Data()
			rep := make([]float32, 0, o.Batch*len(d))
			for range o.Batch {
				rep = append(rep, d...)
			}
			t.grms[k] = append(t.grms[k], tensor.FromData(b, rep, append([]int{o.Batch}, g.Shape...)...))
		}
	}
	return t, nil
}

// Step takes one Adam step for style k on the batch x (Batch images of
// 3×Size×Size in [0, 1], the content crops) and returns the losses before
// the step.
func (t *FastTrainer) Step(x []float32, k int) (FastStep, error) {
	if k < 0 || k >= len(t.grms) || len(x) != t.o.Batch*3*t.o.Size*t.o.Size {
		return FastStep{}, fmt.Errorf("a step of style %d on %d values (want a style below %d and %d images of 3×%d×%d)", k, len(x), len(t.grms), t.o.Batch, t.o.Size, t.o.Size)
	}
	s, err := fastStep(t.per, t.net, t.opt, x, k, t.grms[k], t.o)
	s.Style = k
	return s, err
}

// TrainFast trains the transformation network on the perceptual losses of
// per: for each step, a batch of random crops of the content set is
// stylised, and the loss is ContentWeight·MSE(features at ContentLayer of
// the output, of the input) + StyleWeight·Σ w_l·MSE(Gram of the output's
// features at layer l, the style's) + TV·TV(output). With several styles
// the steps take turns, each training its style's conditional instance
// norm parameters and the shared convolutions (Dumoulin et al.). Adam
// updates the network; ctx cancels between steps (the weights of the last
// finished step stay in the network).
func TrainFast(ctx context.Context, per attrib.Net, net *FastNet, styles []Image, content []Image, o FastTrainOptions) (*FastResult, error) {
	o = o.defaults()
	if len(content) == 0 {
		return nil, fmt.Errorf("no content images to train on")
	}
	for i, im := range content {
		if err := checkImage(im.Pix, im.Shape); err != nil {
			return nil, fmt.Errorf("content image %d: %v", i+1, err)
		}
	}
	tr, err := NewFastTrainer(per, net, styles, o)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xfa57))
	res := &FastResult{Steps: o.Steps}
	start := time.Now()
	var tail []float64
	for step := 1; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := tr.Step(contentBatch(rng, content, o.Batch, o.Size), (step-1)%len(styles))
		if err != nil {
			return nil, err
		}
		s.Step, s.Steps, s.Seconds = step, o.Steps, time.Since(start).Seconds()
		if step == 1 {
			res.LossStart = s.Loss
		}
		if step > o.Steps-max(1, o.Steps/10) {
			tail = append(tail, s.Loss)
		}
		if o.Progress != nil {
			o.Progress(s)
		}
		if o.Checkpoint != nil && (step%o.Every == 0 || step == o.Steps) {
			if err := o.Checkpoint(step); err != nil {
				return nil, err
			}
		}
	}
	for _, v := range tail {
		res.Loss += v / float64(len(tail))
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// fastStep is one optimizer step on the batch x (content crops) for style k.
func fastStep(per attrib.Net, net *FastNet, opt optim.Optimizer, x []float32, k int, grams []*tensor.Tensor, o FastTrainOptions) (FastStep, error) {
	b := net.Model.B
	n, side := o.Batch, o.Size
	blend := make([]float32, net.Config.Styles)
	blend[k] = 1
	// The content targets: the perceptual features of the input itself.
	// The same input goes through the transformation network; its buffer
	// goes back to the backend at the end of the step.
	xin := autograd.Const(tensor.FromData(b, x, n, 3, side, side))
	defer b.Free(xin.Value.Buf)
	ca, err := perceptual(per, xin, []string{o.ContentLayer})
	if err != nil {
		return FastStep{}, err
	}
	ct := ca[o.ContentLayer].Value
	y := net.trainForward(xin, blend)
	acts, err := perceptual(per, y, append(layerNames(o.StyleLayers), o.ContentLayer))
	if err != nil {
		return FastStep{}, err
	}
	content := autograd.Scale(autograd.MSE(acts[o.ContentLayer], ct), float32(o.ContentWeight))
	var st *autograd.Var
	for i, l := range o.StyleLayers {
		term := autograd.Scale(autograd.MSE(autograd.BatchGram(acts[l.Layer]), grams[i]), float32(o.StyleWeight*l.Weight))
		if st == nil {
			st = term
		} else {
			st = autograd.Add(st, term)
		}
	}
	total := autograd.Add(content, st)
	var tv *autograd.Var
	if o.TV > 0 {
		tv = autograd.Scale(TV(y), float32(o.TV))
		total = autograd.Add(total, tv)
	}
	s := FastStep{Loss: float64(total.Item()), Content: float64(content.Item()), StyleLoss: float64(st.Item())}
	if tv != nil {
		s.TV = float64(tv.Item())
	}
	if math.IsNaN(s.Loss) || math.IsInf(s.Loss, 0) {
		return s, fmt.Errorf("the loss became %v: lower the learning rate or the style weight", s.Loss)
	}
	for _, p := range net.Model.Params {
		p.V.ZeroGrad()
	}
	// The graph's activations go back to the backend as the backward pass
	// leaves them behind (the losses were read above): the step's peak is
	// the forward activations, not them and every gradient too.
	total.BackwardRelease()
	b.Free(ct.Buf)
	if err := opt.Step(net.Model.Params); err != nil {
		return s, err
	}
	// The gradients go back to the backend too: dropped to the garbage
	// collector (ZeroGrad alone), a step's 7 MB of them would pile up until
	// the next collection, which a heap of this size (the backend's pooled
	// buffers) puts off for 40 steps and half a gigabyte.
	for _, p := range net.Model.Params {
		if p.V.Grad != nil {
			b.Free(p.V.Grad.Buf)
			p.V.ZeroGrad()
		}
	}
	return s, nil
}
