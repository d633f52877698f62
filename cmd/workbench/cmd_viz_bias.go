package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/segment"
)

const biasUsage = `
  bias         where the model looks, per class ("saliency uncovers
               biases"): the mean --map (saliency, gradcam, smoothgrad) of
               up to --per-class images of each class, explained for their
               true class (image files: the prediction); writes
               bias-CLASS.png (the class's mean image, the mean map, the map
               over the image) and reports per class the share of the map in
               the --border band, in a 3×3 grid and, with --grabcut, on the
               object GrabCut cuts out of each image`

func addBiasFlags(fs *flag.FlagSet) {
	fs.String("map", attrib.BiasSaliency, "bias: the map to average: saliency, gradcam or smoothgrad")
	fs.Int("per-class", 0, "bias: most images of each class (0: all of --limit)")
	fs.Float64("border", 0.125, "bias: width of the border band, fraction of the image side")
	fs.Bool("grabcut", false, "bias: also measure the share of the map on each image's GrabCut foreground")
}

// vizBias averages each class's maps and measures where their mass lies.
func vizBias(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	o := attrib.BiasOptions{Method: flagStr(c, "map"), PerClass: flagInt(c, "per-class"), Border: flagNum(c, "border"),
		Batch: max(1, flagInt(c, "batch")), Samples: flagInt(c, "samples")}
	switch o.Method {
	case attrib.BiasSaliency, attrib.BiasSmoothGrad:
	case attrib.BiasGradCAM:
		if o.Layer = flagStr(c, "layer"); o.Layer == "" {
			o.Layer = lastSpatial(t)
		}
		if info := t.net.Model.Analysis.Nodes[o.Layer]; info == nil || len(info.Out) != 3 {
			return usageErrorf("--layer %q: Grad-CAM needs a layer with a C×H×W output", o.Layer)
		}
		done["layer"] = o.Layer
	default:
		return usageErrorf("--map %q: use saliency, gradcam or smoothgrad", o.Method)
	}
	if !(o.Border > 0 && o.Border < 0.5) {
		return usageErrorf("--border %v: use a fraction of the image side between 0 and 0.5, e.g. 0.125", o.Border)
	}
	if o.PerClass < 0 {
		return usageErrorf("--per-class %d: use 0 (all) or more", o.PerClass)
	}
	labels := labelsOrPredictions(c, t)
	if flagBool(c, "grabcut") {
		masks, err := grabCutMasks(c, t, labels)
		if err != nil {
			return err
		}
		o.Masks = masks
	}
	bar := c.Progress("bias", t.n)
	o.Progress = func(d, _ int) { bar.Set(d) }
	bs, err := t.net.Bias(c.Context, t.x, t.n, labels, o)
	bar.Finish()
	if err != nil {
		return err
	}
	ch, h, wd := t.shape()
	var names []string
	var counts []int
	var border, fg []float64
	var regions [][3][3]float64
	var peaks [][2]int
	for _, b := range bs {
		mean := make([]float32, ch*h*wd)
		d := len(mean)
		n := 0
		for i, k := range labels {
			if k == b.Class && (o.PerClass == 0 || n < o.PerClass) {
				for j, v := range t.x[i*d : (i+1)*d] {
					mean[j] += v
				}
				n++
			}
		}
		for j := range mean {
			mean[j] /= float32(max(n, 1))
		}
		name := t.className(b.Class)
		img := attrib.PixelImage(mean, ch, h, wd)
		if err := writeStrip(w, "bias-"+name, img, attrib.HeatImage(b.Mean), attrib.Overlay(mean, ch, h, wd, b.Mean, 0.6)); err != nil {
			return err
		}
		names, counts = append(names, name), append(counts, b.Images)
		border, regions, peaks = append(border, b.Border), append(regions, b.Regions), append(peaks, [2]int{b.PeakY, b.PeakX})
		if !math.IsNaN(b.Foreground) {
			fg = append(fg, b.Foreground)
		}
	}
	done["classes"], done["per_class"], done["border"], done["regions"], done["peak"] = names, counts, border, regions, peaks
	if len(bs) > 0 {
		done["border_area"] = bs[0].BorderArea
	}
	if fg != nil {
		done["foreground"] = fg
	}
	done["map"] = o.Method
	return nil
}

// grabCutMasks cuts each image's object out with GrabCut seeded by its
// saliency map for its class.
func grabCutMasks(c *Ctx, t *attribTarget, labels []int) ([][]bool, error) {
	ch, h, wd := t.shape()
	if ch != 1 && ch != 3 {
		return nil, usageErrorf("--grabcut takes grey or RGB images; this model takes %d channels", ch)
	}
	bar := c.Progress("grabcut", t.n)
	defer bar.Finish()
	masks := make([][]bool, t.n)
	for i := range t.n {
		img := t.image(i)
		maps, _, err := t.net.Saliency(img, 1, []attrib.Target{attrib.ClassTarget(labels[i])})
		if err != nil {
			return nil, err
		}
		attrib.Blur(maps[0].V, 1, h, wd, 1.5)
		tri, err := segment.SaliencyTrimap(maps[0].V, flagNum(c, "object-frac"), flagNum(c, "background-frac"))
		if err != nil {
			return nil, usageErrorf("--object-frac, --background-frac: %v", err)
		}
		res, err := segment.GrabCut(c.Context, img, ch, h, wd, tri, segment.Options{Iterations: flagInt(c, "iterations"),
			Gamma: flagNum(c, "gamma"), Seed: uint64(c.Seed)})
		if err != nil {
			return nil, fmt.Errorf("%s: %v", t.names[i], err)
		}
		masks[i] = res.Mask
		bar.Set(i + 1)
	}
	return masks, nil
}
