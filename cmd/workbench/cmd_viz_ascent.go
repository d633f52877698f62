package main

import (
	"fmt"
	"image"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
)

// openAttribModel opens --project's model alone (class visualisation
// needs no images), at --size when given.
func openAttribModel(c *Ctx) (*attribTarget, error) {
	path := flagStr(c, "project")
	if path == "" {
		return nil, usageErrorf("--project FILE is required (a trained or imported project)")
	}
	p, err := openProjectFile(path, "project")
	if err != nil {
		return nil, err
	}
	a := nn.Analyze(p.Graph, nil)
	if err := a.Err(); err != nil {
		return nil, usageErrorf("the project's architecture has a problem: %v", err)
	}
	in := append([]int(nil), a.Nodes[a.Input].Out...)
	if len(in) != 3 {
		return nil, usageErrorf("class visualisation needs a model of images (C,H,W); this one takes %v", in)
	}
	if s := flagInt(c, "size"); s != 0 {
		if s < 8 || s > 1024 {
			return nil, usageErrorf("--size %d: use 8 to 1024 pixels", s)
		}
		in[1], in[2] = s, s
	}
	train.SetThreads(c.Threads)
	net, dev, err := netAt(c, p, in)
	if err != nil {
		return nil, err
	}
	return &attribTarget{proj: p, net: net, device: dev}, nil
}

// vizClassViz maximises a class score (or a unit) from a grey image.
func vizClassViz(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	unit, isUnit, err := unitTarget(c, t)
	if err != nil {
		return err
	}
	var targets []attrib.Target
	switch k := flagInt(c, "class"); {
	case isUnit:
		targets = []attrib.Target{unit}
	case k >= 0:
		targets = []attrib.Target{attrib.ClassTarget(k)}
	default:
		for k := range min(4, t.net.Classes()) {
			targets = append(targets, attrib.ClassTarget(k))
		}
	}
	steps := stepsOr(c, 200)
	lr := flagNum(c, "lr")
	if lr == 0 {
		lr = 0.02
	}
	ch, h, wd := t.shape()
	var names []string
	var first, last, probs []float64
	bar := c.Progress("classviz", steps*len(targets))
	defer bar.Finish()
	for ti, tg := range targets {
		var frames []image.Image
		res, err := attrib.Ascend(c.Context, t.net.Input(), t.net.Objective(tg), attrib.AscentOptions{
			Steps: steps, LR: lr, L2: flagNum(c, "l2"), BlurEvery: flagInt(c, "blur-every"), BlurSigma: flagNum(c, "blur-sigma"),
			Jitter: flagInt(c, "jitter"), ClipNorm: flagNum(c, "clip-norm"), ClipContrib: flagNum(c, "clip-contrib"), Seed: uint64(c.Seed),
			Every: max(1, steps/4), Progress: func(d, _ int) { bar.Set(ti*steps + d) },
			Iterate: func(_ int, x []float32) { frames = append(frames, attrib.PixelImage(x, ch, h, wd)) }})
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%s:%d", tg.Layer, tg.Unit)
		if tg.Layer == "" {
			name = t.className(tg.Class)
			probs = append(probs, float64(attrib.Softmax(t.net.Logits(res.Image, 1), 1)[tg.Class]))
		}
		if err := w.write("classviz-"+name, attrib.PixelImage(res.Image, ch, h, wd)); err != nil {
			return err
		}
		if err := writeStrip(w, "classviz-"+name+"-iterations", frames...); err != nil {
			return err
		}
		names = append(names, name)
		first, last = append(first, res.Scores[0]), append(last, res.Scores[len(res.Scores)-1])
	}
	done["classes"], done["score_start"], done["score"], done["steps"], done["size"] = names, first, last, steps, []int{h, wd}
	if probs != nil {
		done["prob"] = probs
	}
	return nil
}

// labelsOrPredictions are the true classes where known, else predictions.
func labelsOrPredictions(c *Ctx, t *attribTarget) []int {
	pred := t.predict(flagInt(c, "batch"))
	out := make([]int, t.n)
	for i, y := range t.labels {
		out[i] = y
		if y < 0 {
			out[i] = pred[i]
		}
	}
	return out
}

// vizFool drives every image to a target class until predicted.
func vizFool(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	step := 1.0 / 255
	if s := flagStr(c, "step-size"); s != "" {
		var err error
		if step, err = parseFraction("step-size", s); err != nil {
			return err
		}
	}
	maxSteps := stepsOr(c, 100)
	if p := flagNum(c, "confidence"); p < 0 || p >= 1 {
		return usageErrorf("--confidence %v: use a probability in [0, 1)", p)
	}
	src := labelsOrPredictions(c, t)
	targets := randomOther(c.Seed, t.net.Classes(), src)
	if k := flagInt(c, "class"); k >= 0 {
		for i := range targets {
			targets[i] = k
		}
	}
	bar := c.Progress("fool", maxSteps*((t.n+15)/16))
	res, err := adversarial.Fool(c.Context, t.net, t.x, t.n, targets, adversarial.FoolOptions{MaxSteps: maxSteps, StepSize: step, Batch: 16, MinProb: flagNum(c, "confidence"),
		Progress: func(d, _ int) { bar.Set(d) }})
	bar.Finish()
	if err != nil {
		return err
	}
	ch, h, wd := t.shape()
	fooled, stepSum := 0, 0
	var rows []map[string]any
	for i := range t.n {
		x, adv := t.image(i), res.Adv[i*ch*h*wd:(i+1)*ch*h*wd]
		diff := make([]float32, len(x))
		for j := range x {
			diff[j] = adv[j] - x[j]
		}
		if err := writeStrip(w, fmt.Sprintf("fool-%02d", i), attrib.PixelImage(x, ch, h, wd), attrib.GradientImage(diff, ch, h, wd), attrib.PixelImage(adv, ch, h, wd)); err != nil {
			return err
		}
		if res.Success[i] {
			fooled++
			stepSum += res.Steps[i]
		}
		rows = append(rows, map[string]any{"image": t.names[i], "from": t.className(src[i]), "target": t.className(targets[i]),
			"predicted": t.className(res.Pred[i]), "fooled": res.Success[i], "steps": res.Steps[i]})
	}
	done["fooled"] = float64(fooled) / float64(t.n)
	done["steps"] = float64(stepSum) / float64(max(fooled, 1))
	done["mean_linf"], done["linf"], done["mean_l2"], done["results"] = res.LInf, res.LInf, res.L2, rows
	return nil
}

// vizUniversal finds one perturbation for all the images.
func vizUniversal(c *Ctx, t *attribTarget, w *pngWriter, done map[string]any) error {
	eps, err := parseFraction("eps", flagStr(c, "eps"))
	if err != nil {
		return err
	}
	var step float64
	if s := flagStr(c, "step-size"); s != "" {
		if step, err = parseFraction("step-size", s); err != nil {
			return err
		}
	}
	epochs := stepsOr(c, 5)
	labels := labelsOrPredictions(c, t)
	batch := max(1, flagInt(c, "batch"))
	bar := c.Progress("universal", epochs*((t.n+batch-1)/batch))
	u, err := adversarial.Universal(c.Context, t.net, t.x, t.n, labels, adversarial.UniversalOptions{Eps: eps, StepSize: step, Epochs: epochs,
		Batch: batch, Progress: func(d, _ int) { bar.Set(d) }})
	bar.Finish()
	if err != nil {
		return usageErrorf("universal: %v", err)
	}
	ch, h, wd := t.shape()
	if err := w.write("universal-perturbation", attrib.Strip(160, 4, attrib.GradientImage(u.Delta, ch, h, wd))); err != nil {
		return err
	}
	for i := range min(t.n, 4) {
		x := t.image(i)
		adv := make([]float32, len(x))
		for j := range x {
			adv[j] = min(max(x[j]+u.Delta[j], 0), 1)
		}
		if err := writeStrip(w, fmt.Sprintf("universal-%02d", i), attrib.PixelImage(x, ch, h, wd), attrib.PixelImage(adv, ch, h, wd)); err != nil {
			return err
		}
	}
	var linf float64
	for _, v := range u.Delta {
		linf = max(linf, float64(max(v, -v)))
	}
	done["fooling_rate"], done["clean_acc"], done["adv_acc"], done["eps"], done["mean_linf"], done["epochs"] = u.FoolingRate, u.CleanAcc, u.AdvAcc, eps, linf, epochs
	return nil
}
