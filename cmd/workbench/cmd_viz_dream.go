package main

import (
	"flag"
	"image"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/style"
)

// dreamKinds are the viz kinds of what a network's features can make
// (engine/style).
var dreamKinds = []string{"dream", "invert", "texture", "style"}

const dreamUsage = `
Dream and style (engine/style; images at --size N pixels, default the
model's input side; --layers is a comma list, LAYER:WEIGHT for style layers;
pixels stay in [0, 1]):
  dream        DeepDream on --image: gradient ascent on ½·mean(a²) of --layer,
               step normalised by mean |grad|, --jitter, --octaves (3) of
               --octave-scale (1.4), --steps per octave (10), --lr (0.01)
  invert       reconstructs --image from --layer's features, from noise,
               with --tv; Adam (--lr 0.05) or --optimizer lbfgs
  texture      synthesises a texture like --image by Gram matching over
               --layers, from noise
  style        --content FILE --style FILE... (blended by --blend W,W...):
               content (--content-layer, --content-weight) + style (--layers,
               --style-weight) + --tv; --init content|noise; Adam or L-BFGS
The done event has loss_start, loss, steps, seconds and files.`

func addDreamFlags(fs *flag.FlagSet) {
	fs.String("layers", "", "texture, style: style layers, LAYER[:WEIGHT],... (default: 4 ReLUs spread over the first half, from the first)")
	fs.String("content", "", "style: the content image file")
	fs.Var(&imageList{}, "style", "style: style image files (repeat or comma-separate)")
	fs.String("blend", "", "style: weights of the style images' Gram matrices, W,W,... (default equal)")
	fs.String("content-layer", "", "style: content layer (default a ReLU at 40% depth)")
	fs.Float64("content-weight", 1, "style: content loss weight")
	fs.Float64("style-weight", 1e4, "style, texture: style loss weight (with smoothing and no --style-weight: 2e5)")
	fs.Float64("tv", 0, "invert, texture, style: total-variation weight")
	fs.String("init", "content", "style: start from content or noise")
	fs.String("optimizer", "adam", "invert, texture, style: adam or lbfgs")
	fs.Int("octaves", 3, "dream: number of scales")
	fs.Float64("octave-scale", 1.4, "dream: ratio between scales")
	fs.Int("every", 0, "dream, invert, texture, style: save an iterate every N steps (0: a quarter of the steps)")
	addTextureFlags(fs)
}

func isDreamKind(k string) bool {
	for _, d := range dreamKinds {
		if d == k {
			return true
		}
	}
	return false
}

// readSized reads an image file at the net's input size.
func readSized(t *attribTarget, flagName, file string) (style.Image, error) {
	in := t.net.Input()
	x, err := data.ReadImageFile(file, in[0], in[1], in[2], t.proj.Preprocess.Resize == "stretch")
	if err != nil {
		return style.Image{}, usageErrorf("--%s: %v", flagName, err)
	}
	return style.Image{Pix: x[:in[0]*in[1]*in[2]], Shape: append([]int(nil), in...)}, nil
}

// spreadLayers picks k ReLU outputs with spatial maps spread over the first
// frac of the network.
func spreadLayers(n attrib.Net, k int, frac float64) []string {
	var relus []string
	a := n.Model.Analysis
	for _, id := range a.Order {
		if info := a.Nodes[id]; info != nil && len(info.Out) == 3 && info.Out[1] > 1 && n.Model.Node(id).Op == "relu" {
			relus = append(relus, id)
		}
	}
	if len(relus) == 0 {
		return nil
	}
	last := max(0, int(frac*float64(len(relus)))-1)
	var out []string
	for i := range k {
		j := last
		if k > 1 {
			j = last * i / (k - 1)
		}
		if len(out) == 0 || out[len(out)-1] != relus[j] {
			out = append(out, relus[j])
		}
	}
	return out
}

// styleLayers reads --layers (LAYER[:WEIGHT],...).
func styleLayers(c *Ctx, n attrib.Net) ([]style.LayerWeight, error) {
	var out []style.LayerWeight
	for _, s := range splitList(flagStr(c, "layers")) {
		name, w, hasW := strings.Cut(s, ":")
		lw := style.LayerWeight{Layer: name, Weight: 1}
		if hasW {
			v, err := strconv.ParseFloat(w, 64)
			if err != nil || v < 0 {
				return nil, usageErrorf("--layers %s: the weight %q is not a number >= 0", s, w)
			}
			lw.Weight = v
		}
		out = append(out, lw)
	}
	if len(out) == 0 {
		for _, l := range spreadLayers(n, 4, 0.5) {
			out = append(out, style.LayerWeight{Layer: l, Weight: 1})
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("the model has no ReLU feature maps to take style from; give --layers")
	}
	for _, l := range out {
		if err := n.CheckLayers([]string{l.Layer}); err != nil {
			return nil, usageErrorf("--layers: %v", err)
		}
	}
	return out, nil
}

// oneLayer is --flag or the ReLU at frac of the depth.
func oneLayer(c *Ctx, n attrib.Net, flagName string, frac float64) (string, error) {
	l := flagStr(c, flagName)
	if l == "" {
		if ls := spreadLayers(n, 1, frac); len(ls) > 0 {
			l = ls[0]
		}
	}
	if err := n.CheckLayers([]string{l}); err != nil {
		return "", usageErrorf("--%s: %v", flagName, err)
	}
	return l, nil
}

// runVizDream runs one of dreamKinds, writing into the folder out.
func runVizDream(c *Ctx, kind, out string) error {
	if kind == "texture" {
		if handled, err := vizTextureMethod(c, out); handled {
			return err
		}
	}
	start := time.Now()
	t, err := openAttribModel(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageErrorf("--out %s: cannot create the folder: %v", out, err)
	}
	var opt string
	switch opt = flagStr(c, "optimizer"); opt {
	case "adam", "lbfgs":
	default:
		return usageErrorf("--optimizer %q: use adam or lbfgs", opt)
	}
	w := &pngWriter{dir: out}
	done := map[string]any{"kind": kind}
	var res *style.Result
	var frames []image.Image
	var bar *Progress
	o := style.Options{Steps: flagInt(c, "steps"), LR: flagNum(c, "lr"), Seed: uint64(c.Seed), Every: flagInt(c, "every"),
		Progress: func(d, total int) {
			if bar == nil {
				bar = c.Progress(kind, total)
			}
			bar.Set(d)
		},
		Iterate: func(_ int, x []float32, sh []int) {
			frames = append(frames, attrib.PixelImage(x, sh[0], sh[1], sh[2]))
		}}
	if o.Every <= 0 && o.Steps > 0 {
		o.Every = max(1, o.Steps/4)
	}
	so := style.SynthOptions{Options: o, TV: flagNum(c, "tv"), LBFGS: opt == "lbfgs", Smooth: flagBool(c, "smooth"), SmoothScale: flagNum(c, "smooth-scale")}
	if so.SmoothScale < 0 {
		return usageErrorf("--smooth-scale %g: use a value >= 0 (0: the paper's T = 1)", so.SmoothScale)
	}
	if so.LBFGS && o.LR == 0 {
		so.LR = 1
	}
	var src []style.Image
	switch kind {
	case "dream", "invert", "texture":
		files := splitList(flagStr(c, "image"))
		if len(files) != 1 {
			return usageErrorf("viz %s needs one --image FILE (got %d)", kind, len(files))
		}
		im, err := readSized(t, "image", files[0])
		if err != nil {
			return err
		}
		src = append(src, im)
	}
	switch kind {
	case "dream":
		var layer string
		if layer, err = oneLayer(c, t.net, "layer", 0.5); err != nil {
			return err
		}
		o.Jitter = flagInt(c, "jitter")
		res, err = style.Dream(c.Context, t.net, src[0].Pix, src[0].Shape, style.DreamOptions{Options: o, Layer: layer,
			Octaves: flagInt(c, "octaves"), OctaveScale: flagNum(c, "octave-scale")})
		done["layer"] = layer
	case "invert":
		var layer string
		if layer, err = oneLayer(c, t.net, "layer", 0.5); err != nil {
			return err
		}
		res, err = style.Invert(c.Context, t.net, src[0], layer, so)
		done["layer"] = layer
	case "texture":
		var layers []style.LayerWeight
		if layers, err = styleLayers(c, t.net); err != nil {
			return err
		}
		for i := range layers {
			layers[i].Weight *= styleWeight(c, so.Smooth)
		}
		res, err = style.Texture(c.Context, t.net, src[0], src[0].Shape, layers, so)
		done["layers"], done["smooth"], done["method"] = layers, so.Smooth, "gram"
	case "style":
		res, src, err = vizStyle(c, t, so, done)
	}
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	return finishDream(c, kind, t, w, res, src, frames, done, start)
}

// vizStyle runs style transfer from --content and --style.
func vizStyle(c *Ctx, t *attribTarget, so style.SynthOptions, done map[string]any) (*style.Result, []style.Image, error) {
	cf, sf := flagStr(c, "content"), splitList(flagStr(c, "style"))
	if cf == "" || len(sf) == 0 {
		return nil, nil, usageErrorf("viz style needs --content FILE and at least one --style FILE")
	}
	content, err := readSized(t, "content", cf)
	if err != nil {
		return nil, nil, err
	}
	imgs := []style.Image{content}
	for _, f := range sf {
		im, err := readSized(t, "style", f)
		if err != nil {
			return nil, nil, err
		}
		imgs = append(imgs, im)
	}
	var blend []float64
	for _, s := range splitList(flagStr(c, "blend")) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 {
			return nil, nil, usageErrorf("--blend %s: want weights >= 0, one per --style image", flagStr(c, "blend"))
		}
		blend = append(blend, v)
	}
	if blend != nil && len(blend) != len(sf) {
		return nil, nil, usageErrorf("--blend has %d weights for %d --style images", len(blend), len(sf))
	}
	layers, err := styleLayers(c, t.net)
	if err != nil {
		return nil, nil, err
	}
	cl, err := oneLayer(c, t.net, "content-layer", 0.4)
	if err != nil {
		return nil, nil, err
	}
	init := flagStr(c, "init")
	if init != "content" && init != "noise" {
		return nil, nil, usageErrorf("--init %q: use content or noise", init)
	}
	done["layers"], done["content_layer"], done["smooth"] = layers, cl, so.Smooth
	r, err := style.Transfer(c.Context, t.net, content, imgs[1:], style.TransferOptions{SynthOptions: so, ContentLayer: cl,
		ContentWeight: flagNum(c, "content-weight"), StyleLayers: layers, StyleWeight: styleWeight(c, so.Smooth), Blend: blend, FromNoise: init == "noise"})
	if err == nil {
		err = styleMeasures(t, r, content, imgs[1:], layers, cl, done)
	}
	return r, imgs, err
}

// finishDream writes the result, the sources beside it and the iterates,
// and sends the done event.
func finishDream(c *Ctx, kind string, t *attribTarget, w *pngWriter, res *style.Result, src []style.Image, frames []image.Image, done map[string]any, start time.Time) error {
	sh := res.Shape
	img := attrib.PixelImage(res.Image, sh[0], sh[1], sh[2])
	if err := w.write(kind, img); err != nil {
		return err
	}
	side := []image.Image{}
	for _, s := range src {
		side = append(side, attrib.PixelImage(s.Pix, s.Shape[0], s.Shape[1], s.Shape[2]))
	}
	if err := writeStrip(w, kind+"-beside-source", append(side, img)...); err != nil {
		return err
	}
	if len(frames) > 0 {
		if err := writeStrip(w, kind+"-iterations", frames...); err != nil {
			return err
		}
	}
	done["loss_start"], done["loss"], done["steps"], done["size"] = res.LossStart, res.Loss, res.Steps, []int{sh[1], sh[2]}
	done["device"], done["seconds"], done["files"] = t.device, time.Since(start).Seconds(), w.files
	c.Done(done)
	return nil
}
