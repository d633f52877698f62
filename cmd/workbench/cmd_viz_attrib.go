package main

import (
	"flag"
	"fmt"
	"image"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// attribKinds are the viz kinds of "which pixels matter and how to fool
// the network" (engine/attrib, engine/adversarial).
var attribKinds = []string{"saliency", "occlusion", "guided", "gradcam", "smoothgrad", "intgrad", "sanity", "classviz", "fool", "universal", "grabcut", "bias"}

const attribUsage = `
Attribution and fooling (images from --image FILE... or --limit test
images of --data / the project's dataset, the first of each class in turn;
--image works for projects without a dataset, e.g. imported ones):
  saliency     |d score / d pixel|, max over channels (Simonyan et al.)
  occlusion    drop in the class probability under a sliding --patch
               (--stride, --fill)
  guided       guided backpropagation of the class score, or of a unit
               (--layer and --channel)
  gradcam      Grad-CAM of any layer with a C×H×W output (--layer, default
               the last one larger than 1×1: the features before pooling)
  smoothgrad   gradients averaged over --samples noisy copies (--sigma)
  intgrad      integrated gradients, black baseline, --steps points of
               --rule (gausslegendre, riemann_left|right|middle|trapezoid)
  sanity       cascading randomisation: the saliency map's rank correlation
               with the trained model's as layers are re-initialised
  classviz     gradient ascent on the score of --class (or a --layer's
               --channel) from grey: --steps --lr --l2 --blur-every
               --blur-sigma --jitter --clip-norm --clip-contrib, at --size
  fool         drives each image to --class (default a random other class)
               until predicted, at most --steps (100) steps of --step-size
  universal    one perturbation of L-inf radius --eps for all the images
The explained class is --class, else the model's prediction. Each image
gives one PNG: the image, the map and the map over the image.` + grabcutUsage + biasUsage

// imageList is a repeatable string flag (--image a.jpg --image b.jpg, or
// a comma-separated list); activations reads it as one index.
type imageList []string

func (l *imageList) String() string { return strings.Join(*l, ",") }
func (l *imageList) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

func addAttribFlags(fs *flag.FlagSet) {
	fs.Int("limit", 8, "attribution: number of test images when no --image is given (the first of each class in turn)")
	fs.Int("class", -1, "attribution: class to explain, visualise or fool towards (-1: the prediction; fool: a random other class)")
	fs.Int("steps", 0, "intgrad: path points (50); classviz: iterations (200); fool: most steps (100)")
	fs.Float64("lr", 0, "classviz: step of the normalised gradient, pixel units (0.02)")
	fs.Float64("l2", 0.01, "classviz: L2 decay towards grey")
	fs.Int("blur-every", 4, "classviz: blur every N steps (0: never)")
	fs.Float64("blur-sigma", 0.5, "classviz: blur radius in pixels")
	fs.Int("jitter", 2, "classviz: random shift in pixels per step")
	fs.Float64("clip-norm", 0, "classviz: reset pixels below this percentile of colour norm")
	fs.Float64("clip-contrib", 0, "classviz: reset pixels below this percentile of contribution")
	fs.Int("samples", 25, "smoothgrad: noisy copies per image")
	fs.Float64("sigma", 0.15, "smoothgrad: noise standard deviation, fraction of the pixel range")
	fs.String("rule", attrib.GaussLegendre, "intgrad: integration rule")
	fs.Float64("baseline", 0, "intgrad: grey level of the baseline image (0: black)")
	fs.Int("patch", 0, "occlusion: patch side in pixels (0: a quarter of the image side)")
	fs.Int("stride", 0, "occlusion: patch step (0: half the patch)")
	fs.Float64("fill", 0.5, "occlusion: patch grey level in [0,1]")
	fs.String("eps", "10/255", "universal: L-inf radius (may be written 8/255)")
	fs.String("step-size", "", "fool: step per iteration (default 1/255); universal: step per batch (default eps/10)")
	fs.Float64("confidence", 0, "fool: go on until the target's probability reaches this (0: until predicted)")
	fs.Int("batch", 16, "attribution: images per gradient pass")
	addGrabCutFlags(fs)
	addBiasFlags(fs)
}

func isAttribKind(k string) bool {
	for _, a := range attribKinds {
		if a == k {
			return true
		}
	}
	return false
}

// parseFraction reads a number that may be written as a fraction (8/255).
func parseFraction(flagName, s string) (float64, error) {
	num, den, frac := strings.Cut(strings.TrimSpace(s), "/")
	v, err := strconv.ParseFloat(num, 64)
	if err == nil && frac {
		var d float64
		d, err = strconv.ParseFloat(den, 64)
		if err == nil && d == 0 {
			err = fmt.Errorf("division by zero")
		}
		v /= d
	}
	if err != nil || v < 0 || v != v || v > 1e6 {
		return 0, usageErrorf("--%s %q: want a number >= 0, e.g. 0.03 or 8/255", flagName, s)
	}
	return v, nil
}

// attribTarget is a model ready for attribution with its images.
type attribTarget struct {
	proj   *projects.Project
	net    attrib.Net
	x      []float32 // pixels in [0, 1], N×C×H×W
	n      int
	names  []string
	labels []int // true classes (-1: unknown, an image file)
	device string
}

func (t *attribTarget) className(k int) string {
	if k >= 0 && k < len(t.proj.Dataset.Classes) {
		return t.proj.Dataset.Classes[k]
	}
	return strconv.Itoa(k)
}

// netAt builds p's model for images of shape in with its weights and
// preprocessing.
func netAt(c *Ctx, p *projects.Project, in []int) (attrib.Net, string, error) {
	b, err := chooseBackend(c)
	if err != nil {
		return attrib.Net{}, "", err
	}
	m, err := nn.Build(p.Graph, in, b, 1, "default")
	if err != nil {
		return attrib.Net{}, "", usageErrorf("the project's model does not take %v images: %v", in, err)
	}
	w, err := projectWeights(p, flagStr(c, "checkpoint"))
	if err != nil {
		return attrib.Net{}, "", err
	}
	if loaded, skipped := train.LoadMatching(m, w); len(skipped) > 0 {
		return attrib.Net{}, "", usageErrorf("the project's weights do not fit its architecture (%d loaded; missing or misshapen: %s)", len(loaded), strings.Join(skipped, ", "))
	}
	st, err := projectStats(p, in[0], in[1], in[2])
	if err != nil {
		return attrib.Net{}, "", err
	}
	return attrib.Net{Model: m, Stats: st}, b.Describe(), nil
}

// openAttribTarget opens --project and reads the --image files, or
// --limit test images of the dataset, the first of each class in turn
// (data.FirstPerClass).
func openAttribTarget(c *Ctx) (*attribTarget, error) {
	files := splitList(flagStr(c, "image"))
	if len(files) == 0 {
		return openAttribData(c)
	}
	t, err := openAttribModel(c)
	if err != nil {
		return nil, err
	}
	in := t.net.Input()
	p := t.proj
	for _, f := range files {
		x, err := data.ReadImageFile(f, in[0], in[1], in[2], p.Preprocess.Resize == "stretch")
		if err != nil {
			return nil, usageErrorf("--image: %v", err)
		}
		t.x = append(t.x, x[:in[0]*in[1]*in[2]]...)
		t.names = append(t.names, f)
		t.labels = append(t.labels, -1)
		t.n++
	}
	return t, nil
}

func openAttribData(c *Ctx) (*attribTarget, error) {
	if p, err := openProjectFile(flagStr(c, "project"), "project"); err == nil && p.Dataset.Spec == "" && !flagsSet(c)["data"] {
		return nil, usageErrorf("%s names no dataset: give image files with --image FILE (or a dataset with --data D)", flagStr(c, "project"))
	}
	it, err := openInspectTarget(c)
	if err != nil {
		return nil, err
	}
	s := it.ds.Test
	if s.Len() == 0 {
		s = it.ds.Train
	}
	limit := flagInt(c, "limit")
	if limit < 1 {
		return nil, usageErrorf("--limit %d: use at least 1", limit)
	}
	t := &attribTarget{proj: it.proj, net: attrib.Net{Model: it.net.Model, Stats: it.net.Stats}, device: it.net.Model.B.Describe()}
	for _, i := range data.FirstPerClass(s, limit) {
		for _, v := range s.Image(i) {
			t.x = append(t.x, float32(v)/255)
		}
		t.names = append(t.names, fmt.Sprintf("test[%d]", i))
		t.labels = append(t.labels, int(s.Labels[i]))
		t.n++
	}
	if len(t.proj.Dataset.Classes) == 0 {
		t.proj.Dataset.Classes = s.Classes
	}
	return t, nil
}

// runVizAttrib runs one of attribKinds, writing into the folder out.
func runVizAttrib(c *Ctx, kind, out string) error {
	start := time.Now()
	var t *attribTarget
	var err error
	if kind == "classviz" {
		t, err = openAttribModel(c)
	} else {
		t, err = openAttribTarget(c)
	}
	if err != nil {
		return err
	}
	if k := flagInt(c, "class"); k >= t.net.Classes() {
		return usageErrorf("--class %d: the model has classes 0 to %d", k, t.net.Classes()-1)
	}
	w, done, err := vizOutput(out, kind)
	if err != nil {
		return err
	}
	switch kind {
	case "classviz":
		err = vizClassViz(c, t, w, done)
	case "fool":
		err = vizFool(c, t, w, done)
	case "universal":
		err = vizUniversal(c, t, w, done)
	case "sanity":
		err = vizSanity(c, t, w, done)
	case "grabcut":
		err = vizGrabCut(c, t, w, done)
	case "bias":
		err = vizBias(c, t, w, done)
	default:
		err = vizMaps(c, t, kind, w, done)
	}
	if err != nil {
		return err
	}
	done["device"], done["seconds"], done["images"] = t.device, time.Since(start).Seconds(), t.names
	w.finish(c, done)
	return nil
}

// explained returns the class each image is explained for: --class, else
// the prediction; and the predictions.
func explained(c *Ctx, t *attribTarget) (classes, pred []int) {
	pred = t.predict(flagInt(c, "batch"))
	classes = append([]int(nil), pred...)
	if k := flagInt(c, "class"); k >= 0 {
		for i := range classes {
			classes[i] = k
		}
	}
	return classes, pred
}

func (t *attribTarget) predict(batch int) []int {
	batch = max(batch, 1)
	d := len(t.x) / t.n
	var out []int
	for lo := 0; lo < t.n; lo += batch {
		hi := min(lo+batch, t.n)
		out = append(out, t.net.Predict(t.x[lo*d:hi*d], hi-lo)...)
	}
	return out
}

// unitTarget reads --layer and --channel as a unit target (ok false when
// no --layer is given).
func unitTarget(c *Ctx, t *attribTarget) (attrib.Target, bool, error) {
	layer := flagStr(c, "layer")
	if layer == "" {
		return attrib.Target{}, false, nil
	}
	shape := t.net.Model.Analysis.Nodes[layer]
	if shape == nil || shape.Out == nil {
		return attrib.Target{}, false, usageErrorf("--layer %s: the model has no such layer; its layers are %v", layer, inspect.Net{Model: t.net.Model}.Layers())
	}
	ch := flagInt(c, "channel")
	if ch >= shape.Out[0] {
		return attrib.Target{}, false, usageErrorf("--channel %d: layer %s has channels 0 to %d", ch, layer, shape.Out[0]-1)
	}
	return attrib.Target{Layer: layer, Unit: ch}, true, nil
}

// randomOther picks, per image, a class other than not[i].
func randomOther(seed int64, k int, not []int) []int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0xf001))
	out := make([]int, len(not))
	for i, y := range not {
		out[i] = (y + 1 + rng.IntN(max(k-1, 1))) % k
	}
	return out
}

func (t *attribTarget) image(i int) []float32 {
	d := len(t.x) / t.n
	return t.x[i*d : (i+1)*d]
}

func (t *attribTarget) shape() (c, h, w int) {
	in := t.net.Input()
	return in[0], in[1], in[2]
}

// writeStrip writes images side by side as NAME.png.
func writeStrip(w *pngWriter, name string, imgs ...image.Image) error {
	return w.write(name, attrib.Strip(160, 4, imgs...))
}
