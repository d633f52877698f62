package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
)

// The fast-style workload: a fast style transfer network (engine/style's
// FastNet: Johnson et al.'s transformation network, width 32, 5 residual
// blocks, reflection padding, instance norm, nearest upsampling) with seeded weights, written
// to the shared folder so that the peer builds the same network in
// PyTorch with the same weights. The headline is images per second
// stylising one 256×256 image (inference, no graph). The training step is
// measured too: a batch of 2 procedural 128×128 images through the
// network and a 5-convolution VGG-like perceptual network (the style
// workload's, exported with engine/interop/pytorch), content loss at relu4,
// batched Gram style losses at relu1..relu5, backward and one Adam step.
// Both sides report the loss of their first step (the same weights and
// images: it must agree) and of their second (after one Adam step: it
// agrees when the gradients do), and the peer the largest difference
// between its stylised image and ours.
func init() {
	Register(Workload{
		Name:           "fast-style",
		Summary:        "fast style transfer network: stylise 256×256 images (headline) and training steps at 128 px, same weights",
		Unit:           "images/s",
		HigherIsBetter: true,
		Rounds:         2,
		Validate:       validateFastStyle,
		Ours:           offMainThread(fastStyle),
		Peers:          []Peer{{Name: "pytorch", Script: "faststyle_torch.py", Modules: []string{"torch", "numpy"}}},
		Compare:        compareFastStyle,
	})
}

// fastStyleSpec is what our side tells the peer (faststyle-spec.json).
type fastStyleSpec struct {
	Width         int              `json:"width"`
	Padding       string           `json:"padding"` // the convolutions': "reflect" or "zeros"
	Residual      int              `json:"residual"`
	Size          int              `json:"size"`       // stylised images
	TrainSize     int              `json:"train_size"` // training crops
	Batch         int              `json:"batch"`
	LR            float64          `json:"lr"`
	ContentLayer  string           `json:"content_layer"`
	StyleLayers   []string         `json:"style_layers"`
	Convs         []string         `json:"convs"` // the convolution each style layer's ReLU reads
	ContentWeight float64          `json:"content_weight"`
	StyleWeight   float64          `json:"style_weight"`
	Params        []fastStyleParam `json:"params"` // in the order of params.f32
}

type fastStyleParam struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// validateFastStyle checks --sizes: the stylised side and the training
// side, multiples of 4 from 16 to 1024.
func validateFastStyle(o Options) error {
	if len(o.Sizes) > 2 {
		return fmt.Errorf("%w: fast-style takes --sizes STYLISE[,TRAIN], not %d sizes", ErrUsage, len(o.Sizes))
	}
	for _, s := range o.Sizes {
		if s < 16 || s > 1024 || s%4 != 0 {
			return fmt.Errorf("%w: fast-style size %d: use a multiple of 4 from 16 to 1024", ErrUsage, s)
		}
	}
	return nil
}

func fastStyle(ctx context.Context, o Options) (Result, error) {
	cpu.SetThreads(o.Threads)
	spec := fastStyleSpec{Width: 32, Residual: 5, Size: 256, TrainSize: 128, Batch: 2, LR: 1e-3, ContentLayer: "relu4",
		StyleLayers: []string{"relu1", "relu2", "relu3", "relu4", "relu5"}, Convs: []string{"conv1", "conv2", "conv3", "conv4", "conv5"},
		ContentWeight: 1, StyleWeight: 1e5}
	if len(o.Sizes) > 0 {
		spec.Size = o.Sizes[0]
	}
	if len(o.Sizes) > 1 {
		spec.TrainSize = o.Sizes[1]
	}
	b := cpu.New()
	net, err := style.NewFastNet(b, style.FastConfig{Width: spec.Width, Residual: spec.Residual, Styles: 1}, []string{"waves"}, uint64(o.Seed))
	if err != nil {
		return Result{}, err
	}
	spec.Padding = net.Config.Padding
	// The weights, in one file in a stable order.
	var flat []float32
	w := net.Weights()
	for _, name := range net.ParamNames() {
		spec.Params = append(spec.Params, fastStyleParam{Name: name, Shape: w[name].Shape})
		flat = append(flat, w[name].Data...)
	}
	// The perceptual network of the training step.
	pin := []int{3, spec.TrainSize, spec.TrainSize}
	g := styleGraph()
	pm, err := nn.Build(g, pin, b, uint64(o.Seed)+1, "default")
	if err != nil {
		return Result{}, err
	}
	pdir := filepath.Join(o.Dir, "perceptual")
	if _, _, err := pytorch.ExportModel(pdir, g, pin, pm.State(), "fast-style workload perceptual network"); err != nil {
		return Result{}, err
	}
	img, _ := styleImages(spec.Size)
	content, sty := styleImages(spec.TrainSize)
	batch := append(append([]float32(nil), content...), sty...) // two different images
	js, _ := json.Marshal(spec)
	files := map[string][]float32{"params.f32": flat, "image.f32": img, "batch.f32": batch, "style.f32": sty}
	ours := net.StyliseBatch(img, 1, spec.Size, spec.Size, nil)
	files["ours-out.f32"] = ours
	for name, v := range files {
		if err := writeF32(filepath.Join(o.Dir, name), v); err != nil {
			return Result{}, err
		}
	}
	if err := os.WriteFile(filepath.Join(o.Dir, "faststyle-spec.json"), js, 0o644); err != nil {
		return Result{}, err
	}
	o.Logf("fast-style: ours stylises %d×%d images on %d threads", spec.Size, spec.Size, o.Threads)
	inf, err := o.Measure(ctx, func() { net.StyliseBatch(img, 1, spec.Size, spec.Size, nil) })
	if err != nil {
		return Result{}, err
	}
	var layers []style.LayerWeight
	for _, l := range spec.StyleLayers {
		layers = append(layers, style.LayerWeight{Layer: l, Weight: 1})
	}
	tr, err := style.NewFastTrainer(attrib.Net{Model: pm}, net, []style.Image{{Pix: sty, Shape: pin}}, style.FastTrainOptions{
		Size: spec.TrainSize, Batch: spec.Batch, LR: spec.LR, ContentLayer: spec.ContentLayer, ContentWeight: spec.ContentWeight,
		StyleLayers: layers, StyleWeight: spec.StyleWeight})
	if err != nil {
		return Result{}, err
	}
	first, err := tr.Step(batch, 0)
	if err != nil {
		return Result{}, err
	}
	// The second step's loss is after one Adam step: it agrees with the
	// peer's only if the gradients did.
	second, err := tr.Step(batch, 0)
	if err != nil {
		return Result{}, err
	}
	var stepErr error
	o.Logf("fast-style: ours trains on batches of %d at %d px", spec.Batch, spec.TrainSize)
	trn, err := o.Measure(ctx, func() {
		if _, err := tr.Step(batch, 0); err != nil && stepErr == nil {
			stepErr = err
		}
	})
	if err == nil {
		err = stepErr
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Value: 1 / inf.Median, Fields: map[string]any{"stylise_seconds": inf.Median, "stylise_cpu_seconds": inf.CPU,
		"train_steps_per_sec": 1 / trn.Median, "train_cpu_seconds": trn.CPU, "loss_first": first.Loss, "loss_second": second.Loss, "threads": o.Threads,
		"size": spec.Size, "train_size": spec.TrainSize, "batch": spec.Batch}}, nil
}

// compareFastStyle sets the stylising throughputs side by side (the
// ratio: ours/theirs images per second) and adds the training-step ratio,
// the processor-time ratios (cpu_ratio: their processor seconds per image
// over ours, which other programs' load moves less), the first-step losses
// and the largest pixel difference between the two stylised images.
func compareFastStyle(ours Result, peer *Result) Comparison {
	c := Comparison{Ours: ours.Value, Fields: map[string]any{"train_steps_per_sec_ours": ours.Fields["train_steps_per_sec"], "loss_first_ours": ours.Fields["loss_first"]}}
	if peer == nil {
		return c
	}
	c.Peer = peer.Value
	if peer.Value > 0 {
		c.Ratio = ours.Value / peer.Value
	}
	num := func(r *Result, k string) float64 { v, _ := r.Fields[k].(float64); return v }
	c.Fields["train_steps_per_sec_peer"], c.Fields["loss_first_peer"] = peer.Fields["train_steps_per_sec"], peer.Fields["loss_first"]
	if t := num(peer, "train_steps_per_sec"); t > 0 {
		c.Fields["train_ratio"] = num(&ours, "train_steps_per_sec") / t
	}
	if a, b := num(&ours, "stylise_cpu_seconds"), num(peer, "stylise_cpu_seconds"); a > 0 && b > 0 {
		c.Fields["cpu_ratio"] = b / a
	}
	if a, b := num(&ours, "train_cpu_seconds"), num(peer, "train_cpu_seconds"); a > 0 && b > 0 {
		c.Fields["train_cpu_ratio"] = b / a
	}
	for _, k := range []string{"loss_first", "loss_second"} {
		if lo, lp := num(&ours, k), num(peer, k); lp != 0 {
			c.Fields[k+"_rel_diff"] = math.Abs(lo-lp) / math.Abs(lp)
		}
	}
	c.Fields["max_pixel_diff"] = peer.Fields["max_pixel_diff"]
	if v, ok := peer.Fields["torch"]; ok {
		c.Fields["peer_version"] = "torch " + fmt.Sprint(v)
	}
	return c
}
