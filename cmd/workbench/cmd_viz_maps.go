package main

import (
	"fmt"
	"image"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/inspect"
)

// vizMaps computes one attribution map per image with kind's method.
func vizMaps(c *Ctx, t *attribTarget, kind string, w *pngWriter, done map[string]any) error {
	classes, pred := explained(c, t)
	unit, isUnit, err := unitTarget(c, t)
	if err != nil {
		return err
	}
	camLayer := ""
	if kind == "gradcam" {
		isUnit = false
		if camLayer = flagStr(c, "layer"); camLayer == "" {
			if camLayer = lastSpatial(t); camLayer == "" {
				return usageErrorf("the model has no layer with a C×H×W output; name one with --layer")
			}
		}
		if info := t.net.Model.Analysis.Nodes[camLayer]; info == nil || len(info.Out) != 3 {
			return usageErrorf("--layer %s: Grad-CAM needs a layer with a C×H×W output, e.g. a convolution: %v", camLayer, inspect.ConvLayers(t.net.Model.Graph))
		}
	}
	if kind == "occlusion" && isUnit {
		return usageErrorf("occlusion explains a class, not a unit: leave out --layer")
	}
	ch, h, wd := t.shape()
	batch := max(1, flagInt(c, "batch"))
	bar := c.Progress(kind, t.n)
	defer bar.Finish()
	var deltas []float64
	for lo := 0; lo < t.n; lo += batch {
		hi := min(lo+batch, t.n)
		n := hi - lo
		x := t.x[lo*ch*h*wd : hi*ch*h*wd]
		targets := make([]attrib.Target, n)
		for i := range targets {
			targets[i] = attrib.ClassTarget(classes[lo+i])
			if isUnit {
				targets[i] = unit
			}
		}
		maps, extra, err := computeMaps(c, t, kind, x, n, targets, classes[lo:hi], camLayer, bar, lo)
		if err != nil {
			return err
		}
		deltas = append(deltas, extra.deltas...)
		for i := range n {
			img := t.image(lo + i)
			pics := []image.Image{attrib.PixelImage(img, ch, h, wd), attrib.HeatImage(maps[i]), attrib.Overlay(img, ch, h, wd, maps[i], 0.6)}
			if extra.grad != nil {
				pics[1] = attrib.GradientImage(extra.grad[i*ch*h*wd:(i+1)*ch*h*wd], ch, h, wd)
				pics = append(pics, attrib.HeatImage(maps[i]))
			}
			if err := writeStrip(w, fmt.Sprintf("%s-%02d", kind, lo+i), pics...); err != nil {
				return err
			}
		}
		bar.Set(hi)
	}
	names := make([]string, t.n)
	predNames := make([]string, t.n)
	for i := range names {
		names[i], predNames[i] = t.className(classes[i]), t.className(pred[i])
	}
	done["classes"], done["predictions"] = names, predNames
	if isUnit {
		done["layer"], done["channel"] = unit.Layer, unit.Unit
	}
	switch kind {
	case "gradcam":
		done["layer"] = camLayer
	case "intgrad":
		done["convergence_delta"], done["rule"], done["steps"] = deltas, flagStr(c, "rule"), stepsOr(c, 50)
	case "occlusion":
		done["patch"], done["stride"] = flagInt(c, "patch"), flagInt(c, "stride")
	}
	return nil
}

// lastSpatial is the last layer whose output is a map larger than 1×1
// (the rectified features before global pooling in a ResNet, as Grad-CAM
// uses).
func lastSpatial(t *attribTarget) string {
	a := t.net.Model.Analysis
	for i := len(a.Order) - 1; i >= 0; i-- {
		if out := a.Nodes[a.Order[i]].Out; len(out) == 3 && out[1]*out[2] > 1 {
			return a.Order[i]
		}
	}
	return ""
}

func stepsOr(c *Ctx, def int) int {
	if s := flagInt(c, "steps"); s > 0 {
		return s
	}
	return def
}

// mapExtras are what some methods return beside the maps.
type mapExtras struct {
	grad   []float32 // guided backpropagation's gradient image
	deltas []float64 // integrated gradients' convergence deltas
}

func computeMaps(c *Ctx, t *attribTarget, kind string, x []float32, n int, targets []attrib.Target, classes []int, camLayer string, bar *Progress, lo int) ([]attrib.Map, mapExtras, error) {
	var ex mapExtras
	var maps []attrib.Map
	var err error
	switch kind {
	case "saliency":
		maps, _, err = t.net.Saliency(x, n, targets)
	case "guided":
		maps, ex.grad, err = t.net.Guided(x, n, targets)
	case "gradcam":
		var cams []attrib.CAM
		cams, err = t.net.GradCAM(x, n, targets, camLayer)
		for _, cm := range cams {
			maps = append(maps, cm.Image)
		}
	case "smoothgrad":
		if s := flagInt(c, "samples"); s < 1 || s > 10000 {
			return nil, ex, usageErrorf("--samples %d: use 1 to 10000", s)
		}
		maps, _, err = t.net.SmoothGrad(c.Context, x, n, targets, attrib.SmoothOptions{Samples: flagInt(c, "samples"),
			Sigma: flagNum(c, "sigma"), Seed: uint64(c.Seed)})
	case "intgrad":
		steps := stepsOr(c, 50)
		if steps > 10000 {
			return nil, ex, usageErrorf("--steps %d: use at most 10000", steps)
		}
		if _, _, err := attrib.Alphas(flagStr(c, "rule"), steps); err != nil {
			return nil, ex, usageErrorf("--rule/--steps: %v", err)
		}
		b := flagNum(c, "baseline")
		if b < 0 || b > 1 {
			return nil, ex, usageErrorf("--baseline %v: use a grey level in [0,1]", b)
		}
		base := make([]float32, len(x)/n)
		for i := range base {
			base[i] = float32(b)
		}
		_, maps, ex.deltas, err = t.net.IntegratedGradients(c.Context, x, n, targets, attrib.IGOptions{Steps: steps, Method: flagStr(c, "rule"), Baseline: base})
	case "occlusion":
		_, h, w := t.shape()
		if p := flagInt(c, "patch"); p < 0 || p > min(h, w) {
			return nil, ex, usageErrorf("--patch %d: use 1 to %d (0: automatic)", p, min(h, w))
		}
		if f := flagNum(c, "fill"); f < 0 || f > 1 {
			return nil, ex, usageErrorf("--fill %v: use a grey level in [0,1]", f)
		}
		maps, err = t.net.Occlusion(c.Context, x, n, classes, attrib.OcclusionOptions{Patch: flagInt(c, "patch"), Stride: flagInt(c, "stride"),
			Fill: []float32{float32(flagNum(c, "fill"))}, Batch: 32})
	}
	if err != nil {
		if c.Context.Err() != nil {
			return nil, ex, err
		}
		return nil, ex, usageErrorf("%s: %v", kind, err)
	}
	return maps, ex, nil
}

// vizSanity runs cascading randomisation on the saliency maps.
func vizSanity(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	classes, _ := explained(c, t)
	targets := make([]attrib.Target, t.n)
	for i, k := range classes {
		targets[i] = attrib.ClassTarget(k)
	}
	bar := c.Progress("sanity", len(t.net.Model.Params))
	steps, err := attrib.CascadingRandomisation(c.Context, t.net, uint64(c.Seed)+1, func(n attrib.Net) ([]attrib.Map, error) {
		m, _, err := n.Saliency(t.x, t.n, targets)
		return m, err
	}, func(d, total int) { bar.Set(d) })
	bar.Finish()
	if err != nil {
		return err
	}
	ch, h, wd := t.shape()
	var layers []string
	var corr []float64
	for i := range t.n {
		pics := []image.Image{attrib.PixelImage(t.image(i), ch, h, wd)}
		for _, s := range steps {
			pics = append(pics, attrib.HeatImage(s.Maps[i]))
		}
		if err := writeStrip(w, fmt.Sprintf("sanity-%02d", i), pics...); err != nil {
			return err
		}
	}
	for _, s := range steps[1:] {
		layers = append(layers, s.Layer)
		corr = append(corr, s.Correlation)
	}
	done["layers"], done["correlations"] = layers, corr
	return nil
}
