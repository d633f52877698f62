package main

import (
	"context"
	"errors"
	"flag"
	"image"
	"math"
	"os"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/texture"
)

const textureUsage = `
Texture methods (viz texture --method):
  gram         (default) the neural method above: Gram matching on
               --project's network, from noise
  efros-leung  non-parametric (Efros and Leung, 1999), no network: grows the
               texture from a seed patch, each pixel copied from a source
               window matching its filled neighbours (Gaussian-weighted SSD
               over a --window, 11) within (1 + --match-eps, 0.1) of the best
  wei-levoy    non-parametric (Wei and Levoy, 2000), no network: raster scan
               with causal neighbourhoods (--window, 5) over --levels (3) of
               Gaussian pyramids; --tsvq searches a tree-structured vector
               quantiser instead of every source neighbourhood
  The source is --image read at --source-size (default --size) pixels; the
  texture is --size (64) pixels square. For these two, loss is the mean
  distance from each 5x5 neighbourhood of the texture to the nearest one in
  the source (mean squared difference per value, pixels in [0, 1]; 0: every
  neighbourhood occurs in the source), loss_start the same for the noise
  with the source's colours that Wei-Levoy starts from, steps the pixels
  synthesised, match_distance the method's own mean best-match distance.
  --smooth (gram texture, style): softmax-smoothed style activations
  (Wang et al., 2021) at temperature --smooth-scale (3) times the style's
  activation spread per layer (0: the paper's T = 1). Off by default: on
  the ResNet-50 it moved the result nearer the style's Gram matrices but
  farther from its colours, with more pixel noise at equal content
  change (docs/dream.md). Without
  --style-weight, smoothed style losses weigh 2e5.
  viz style reports measures that are not the objective: gram_share (plain
  Gram loss to the style as a share of the content image's, at the style
  layers; gram_share_spread at six ReLUs over the network), colour_distance
  (per-channel mean and deviation), highfreq and content_change.`

// textureMethods are viz texture's --method values.
var textureMethods = []string{"gram", "efros-leung", "wei-levoy"}

func addTextureFlags(fs *flag.FlagSet) {
	fs.String("method", "gram", "texture: gram, efros-leung or wei-levoy")
	fs.Int("window", 0, "texture efros-leung, wei-levoy: neighbourhood side, odd (0: 11 for efros-leung, 5 for wei-levoy)")
	fs.Int("levels", 3, "texture wei-levoy: Gaussian pyramid levels")
	fs.Bool("tsvq", false, "texture wei-levoy: tree-structured vector quantisation search instead of exact")
	fs.Float64("match-eps", 0.1, "texture efros-leung: sample among matches within (1+match-eps) of the best")
	fs.Int("source-size", 0, "texture efros-leung, wei-levoy: side of the source image in pixels (0: --size)")
	fs.Bool("smooth", false, "texture (gram), style: softmax-smoothed style activations (Wang et al., 2021); measured against plain on the ResNet-50 in docs/dream.md")
	fs.Float64("smooth-scale", 3, "texture (gram), style, with --smooth: softmax temperature as a multiple of the style activations' standard deviation at each layer (0: the paper's T = 1)")
}

// vizTextureMethod runs viz texture's non-parametric methods; handled is
// false for --method gram, which runs on the network.
func vizTextureMethod(c *Ctx, out string) (handled bool, err error) {
	m := flagStr(c, "method")
	switch m {
	case "gram":
		return false, nil
	case "efros-leung", "wei-levoy":
	default:
		return true, usageErrorf("--method %q: use gram, efros-leung or wei-levoy", m)
	}
	return true, vizNonParametric(c, m, out)
}

func vizNonParametric(c *Ctx, method, out string) error {
	start := time.Now()
	files := splitList(flagStr(c, "image"))
	if len(files) != 1 {
		return usageErrorf("viz texture needs one --image FILE (got %d)", len(files))
	}
	size := flagInt(c, "size")
	if size == 0 {
		size = 64
	}
	ss := flagInt(c, "source-size")
	if ss == 0 {
		ss = size
	}
	win, levels, eps := flagInt(c, "window"), flagInt(c, "levels"), flagNum(c, "match-eps")
	switch {
	case size < 8 || size > 1024:
		return usageErrorf("--size %d: use 8 to 1024 pixels", size)
	case ss < 8 || ss > 1024:
		return usageErrorf("--source-size %d: use 8 to 1024 pixels", ss)
	case win != 0 && (win < 3 || win%2 == 0 || win > ss):
		return usageErrorf("--window %d: use an odd size from 3 to the source's %d pixels", win, ss)
	case levels < 1 || levels > 8:
		return usageErrorf("--levels %d: use 1 to 8", levels)
	case eps < 0:
		return usageErrorf("--match-eps %g: use a value >= 0", eps)
	}
	pix, err := data.ReadImageFile(files[0], 3, ss, ss, false)
	if err != nil {
		return usageErrorf("--image: %v", err)
	}
	src := texture.Image{Pix: pix[:3*ss*ss], C: 3, H: ss, W: ss}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageErrorf("--out %s: cannot create the folder: %v", out, err)
	}
	bar := c.Progress(method, size*size)
	prog := func(d, total int) { bar.Set(d * size * size / max(1, total)) }
	done := map[string]any{"kind": "texture", "method": method, "source_size": []int{ss, ss}, "size": []int{size, size}}
	var res *texture.Result
	if method == "efros-leung" {
		o := texture.ELOptions{Window: win, Eps: eps, Seed: uint64(c.Seed), Progress: prog}
		res, err = texture.EfrosLeung(c.Context, src, size, size, o)
		done["window"], done["eps"] = orDefault(win, 11), eps
	} else {
		o := texture.WLOptions{Window: win, Levels: levels, TSVQ: flagBool(c, "tsvq"), Seed: uint64(c.Seed), Progress: prog}
		res, err = texture.WeiLevoy(c.Context, src, size, size, o)
		done["window"], done["levels"], done["search"] = orDefault(win, 5), levels, map[bool]string{true: "tsvq", false: "exact"}[o.TSVQ]
	}
	bar.Finish()
	if err != nil {
		return textureErr(err)
	}
	synth := time.Since(start).Seconds()
	dw := min(5, size, ss)
	loss, err := texture.Distance(c.Context, src, res.Image, dw)
	if err != nil {
		return textureErr(err)
	}
	loss0, err := texture.Distance(c.Context, src, texture.Noise(src, size, size, uint64(c.Seed)), dw)
	if err != nil {
		return textureErr(err)
	}
	w := &pngWriter{dir: out}
	img := attrib.PixelImage(res.Image.Pix, 3, size, size)
	if err := w.write("texture", img); err != nil {
		return err
	}
	if err := writeStrip(w, "texture-beside-source", []image.Image{attrib.PixelImage(src.Pix, 3, ss, ss), img}...); err != nil {
		return err
	}
	done["loss_start"], done["loss"], done["steps"], done["match_distance"] = loss0, loss, res.Pixels, res.MatchDistance
	done["synthesis_seconds"], done["device"], done["seconds"], done["files"] = synth, "CPU", time.Since(start).Seconds(), w.files
	c.Done(done)
	return nil
}

// textureErr passes cancellation through and makes the engine's checks
// (window too large for the source, too many levels) usage errors.
func textureErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return usageErrorf("%v", err)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// styleMeasures adds to done what a stylised image is like by measures
// that are not the objective (so that smoothed and plain style losses
// compare): the Gram loss of plain activations against the style images'
// (equal blend) at the style layers and at six ReLUs spread over the whole
// network, each as a share of the content image's ("gram_share" and
// "gram_share_spread", means over the layers: 1 is no closer to the style
// than the content, 0 the style's own Gram matrices);
// the distance of the colour statistics (per-channel mean and standard
// deviation) to the style's, beside the content's; the high-frequency
// energy of the result, the content and the style; and the content
// layer's relative change mean((f−f₀)²)/mean(f₀²).
func styleMeasures(t *attribTarget, res *style.Result, content style.Image, styles []style.Image, layers []style.LayerWeight, contentLayer string, done map[string]any) error {
	names := []string{}
	for _, l := range layers {
		names = append(names, l.Layer)
	}
	spread := spreadLayers(t.net, 6, 1)
	all := append(append(append([]string{}, names...), spread...), contentLayer)
	acts := func(pix []float32, shape []int) (map[string]*tensor.Tensor, error) {
		return t.net.Activations(pix, shape, all)
	}
	gram := func(x *tensor.Tensor) []float32 { return style.Gram(autograd.Const(x)).Value.Data() }
	ar, err := acts(res.Image, res.Shape)
	if err != nil {
		return err
	}
	ac, err := acts(content.Pix, content.Shape)
	if err != nil {
		return err
	}
	target := map[string][]float32{}
	for _, s := range styles {
		as, err := acts(s.Pix, s.Shape)
		if err != nil {
			return err
		}
		for _, l := range all {
			g := gram(as[l])
			if target[l] == nil {
				target[l] = make([]float32, len(g))
			}
			for i, v := range g {
				target[l][i] += v / float32(len(styles))
			}
		}
	}
	msd := func(a, b []float32) float64 {
		var s float64
		for i, v := range a {
			d := float64(v - b[i])
			s += d * d
		}
		return s / float64(len(a))
	}
	// share is the measure per layer and its mean (none where the content
	// image's Gram matrices are the style's).
	share := func(ls []string, key string) {
		m, mean := map[string]float64{}, 0.0
		for _, l := range ls {
			if den := msd(gram(ac[l]), target[l]); den > 0 {
				m[l] = msd(gram(ar[l]), target[l]) / den
				mean += m[l]
			}
		}
		if len(m) > 0 {
			done[key+"_layers"], done[key] = m, mean/float64(len(m))
		}
	}
	share(names, "gram_share")
	share(spread, "gram_share_spread")
	f, f0 := ar[contentLayer].Data(), ac[contentLayer].Data()
	if e := msd(f0, make([]float32, len(f0))); e > 0 {
		done["content_change"] = msd(f, f0) / e
	}
	st := make([]float64, 6)
	for _, s := range styles {
		for i, v := range colourStats(s.Pix) {
			st[i] += v / float64(len(styles))
		}
	}
	cd := func(pix []float32) float64 {
		var s float64
		for i, v := range colourStats(pix) {
			s += (v - st[i]) * (v - st[i])
		}
		return math.Sqrt(s)
	}
	done["colour_distance"], done["colour_distance_content"] = cd(res.Image), cd(content.Pix)
	done["highfreq"], done["highfreq_content"], done["highfreq_style"] = highFreq(res.Image, res.Shape), highFreq(content.Pix, content.Shape), highFreq(styles[0].Pix, styles[0].Shape)
	return nil
}

// highFreq is the high-frequency energy of an image (C,H,W): the mean
// squared difference between each inner pixel and the mean of its four
// neighbours, the measure of the checkerboard and pixel noise that
// stylising with strided networks leaves.
func highFreq(pix []float32, shape []int) float64 {
	c, h, w := shape[0], shape[1], shape[2]
	var s float64
	n := 0
	for ch := range c {
		p := pix[ch*h*w : (ch+1)*h*w]
		for y := 1; y < h-1; y++ {
			for x := 1; x < w-1; x++ {
				i := y*w + x
				d := float64(p[i]) - float64(p[i-1]+p[i+1]+p[i-w]+p[i+w])/4
				s += d * d
				n++
			}
		}
	}
	return s / float64(max(1, n))
}

// colourStats are the per-channel means and standard deviations of an
// RGB image (C,H,W).
func colourStats(pix []float32) []float64 {
	n := len(pix) / 3
	out := make([]float64, 6)
	for c := range 3 {
		var s, s2 float64
		for _, v := range pix[c*n : (c+1)*n] {
			s += float64(v)
			s2 += float64(v) * float64(v)
		}
		m := s / float64(n)
		out[c], out[3+c] = m, math.Sqrt(max(0, s2/float64(n)-m*m))
	}
	return out
}

// styleWeight is --style-weight; without it, smoothed style losses (about
// 20 times smaller than plain ones at the start on the ResNet-50) weigh
// 2e5 instead of 1e4.
func styleWeight(c *Ctx, smooth bool) float64 {
	if smooth && !flagsSet(c)["style-weight"] {
		return 2e5
	}
	return flagNum(c, "style-weight")
}
