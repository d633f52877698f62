package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/segment"
)

const grabcutUsage = `
  grabcut      cuts the explained object out of each image: GrabCut seeded by
               the SmoothGrad map (--samples, --sigma), its top --object-frac
               of the pixels the object and its bottom --background-frac the
               background (--iterations, --gamma); writes grabcut-NN.png (the
               image, the map, the seeds, the cut-out), grabcut-NN-mask.png
               and grabcut-NN-cutout.png (transparent outside the object)`

func addGrabCutFlags(fs *flag.FlagSet) {
	fs.Float64("object-frac", 0.1, "grabcut: fraction of the most salient pixels taken as the object")
	fs.Float64("background-frac", 0.3, "grabcut: fraction of the least salient pixels taken as the background")
	fs.Int("iterations", 5, "grabcut: iterations of re-fitting the colour models and cutting")
	fs.Float64("gamma", 50, "grabcut: weight of a smooth boundary against the colour models")
}

// vizGrabCut seeds GrabCut with each image's SmoothGrad map and writes the
// masks and cut-outs.
func vizGrabCut(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	ch, h, wd := t.shape()
	if ch != 1 && ch != 3 {
		return usageErrorf("grabcut takes grey or RGB images; this model takes %d channels", ch)
	}
	if s := flagInt(c, "samples"); s < 1 || s > 10000 {
		return usageErrorf("--samples %d: use 1 to 10000", s)
	}
	if it := flagInt(c, "iterations"); it < 1 || it > 100 {
		return usageErrorf("--iterations %d: use 1 to 100", it)
	}
	if g := flagNum(c, "gamma"); !(g > 0) {
		return usageErrorf("--gamma %v: use a number > 0 (50)", g)
	}
	classes, _ := explained(c, t)
	bar := c.Progress("grabcut", t.n)
	defer bar.Finish()
	var fractions []float64
	var iterations []int
	for i := range t.n {
		img := t.image(i)
		maps, _, err := t.net.SmoothGrad(c.Context, img, 1, []attrib.Target{attrib.ClassTarget(classes[i])},
			attrib.SmoothOptions{Samples: flagInt(c, "samples"), Sigma: flagNum(c, "sigma"), Seed: uint64(c.Seed)})
		if err != nil {
			return err
		}
		tri, err := segment.SaliencyTrimap(maps[0].V, flagNum(c, "object-frac"), flagNum(c, "background-frac"))
		if err != nil {
			return usageErrorf("--object-frac, --background-frac: %v", err)
		}
		res, err := segment.GrabCut(c.Context, img, ch, h, wd, tri, segment.Options{Iterations: flagInt(c, "iterations"),
			Gamma: flagNum(c, "gamma"), Seed: uint64(c.Seed)})
		if err != nil {
			return fmt.Errorf("%s: %v", t.names[i], err)
		}
		mask, cutout, seeds := maskImages(img, ch, h, wd, res.Mask, tri)
		name := fmt.Sprintf("grabcut-%02d", i)
		if err := writeStrip(w, name, attrib.PixelImage(img, ch, h, wd), attrib.HeatImage(maps[0]), seeds, cutout); err != nil {
			return err
		}
		if err := w.write(name+"-mask", mask); err != nil {
			return err
		}
		if err := w.write(name+"-cutout", cutout); err != nil {
			return err
		}
		n := 0
		for _, v := range res.Mask {
			if v {
				n++
			}
		}
		fractions = append(fractions, float64(n)/float64(h*wd))
		iterations = append(iterations, res.Iterations)
		bar.Set(i + 1)
	}
	names := make([]string, t.n)
	for i := range names {
		names[i] = t.className(classes[i])
	}
	done["classes"], done["object_fraction"], done["iterations"] = names, fractions, iterations
	return nil
}

// maskImages renders the mask (white on the object), the cut-out
// (transparent elsewhere) and the seeds (object red, background blue,
// undecided grey).
func maskImages(x []float32, c, h, w int, mask []bool, tri []uint8) (m, cut, seeds *image.NRGBA) {
	m, cut, seeds = image.NewNRGBA(image.Rect(0, 0, w, h)), attrib.PixelImage(x, c, h, w), image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for xx := range w {
			p := y*w + xx
			if mask[p] {
				m.SetNRGBA(xx, y, color.NRGBA{255, 255, 255, 255})
			} else {
				m.SetNRGBA(xx, y, color.NRGBA{0, 0, 0, 255})
				cut.SetNRGBA(xx, y, color.NRGBA{})
			}
			switch tri[p] {
			case segment.Foreground:
				seeds.SetNRGBA(xx, y, color.NRGBA{220, 40, 40, 255})
			case segment.Background:
				seeds.SetNRGBA(xx, y, color.NRGBA{40, 60, 220, 255})
			default:
				seeds.SetNRGBA(xx, y, color.NRGBA{128, 128, 128, 255})
			}
		}
	}
	return m, cut, seeds
}
