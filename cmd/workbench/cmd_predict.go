package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	register(Command{
		Name:    "predict",
		Summary: "classify image files or an .npy batch with a project's model: top classes and probabilities",
		Usage: `workbench predict --project FILE INPUT... [--top K] [--logits OUT.npy] [flags]

Runs the project's model (its current weights, in evaluation mode) on each
INPUT and reports the top K classes with their softmax probabilities.

An INPUT is an image file (PNG, JPEG, GIF), brought to the model's input
size as the project's preprocessing says (resize "stretch": width and height
scaled apart, as Keras' load_img; otherwise scaled to cover and centre-
cropped) and normalised with the project's preprocessing; or an .npy batch
N,C,H,W of float32 values already preprocessed (in the project's channel
order, RGB for imported Keras models).

--logits writes the model's outputs before the softmax, one row per input
(N,K float32), in the order of the inputs.

Done fields: predictions (per input, the top K as {"class","index","prob"}),
inputs (their names), device, seconds.

Examples:
  workbench predict --project resnet50.wbproj eagle.jpg dog.jpg
  workbench predict --project resnet50.wbproj batch.npy --top 1 --logits out.npy --json`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("project", "", "project file (.wbproj) whose model classifies (required)")
			fs.Int("top", 5, "classes to report per input")
			fs.String("logits", "", "write the logits (N,K float32) to this .npy file")
			fs.Bool("force", false, "let --logits replace an existing file that is not an .npy file")
			fs.Int("batch", 8, "inputs per forward pass")
		},
		Run: runPredict,
	})
}

// predictInputs are the preprocessed inputs and their names.
type predictInputs struct {
	names []string
	x     []float32
}

func runPredict(c *Ctx) error {
	path := flagStr(c, "project")
	if path == "" {
		return usageErrorf("predict needs --project FILE (a project with trained or imported weights)")
	}
	if len(c.Args) == 0 {
		return usageErrorf("predict needs at least one INPUT: an image file or an .npy batch (N,C,H,W float32)")
	}
	topK, batch := flagInt(c, "top"), flagInt(c, "batch")
	if topK < 1 || batch < 1 {
		return usageErrorf("--top and --batch must be at least 1 (got %d and %d)", topK, batch)
	}
	if err := checkOutput(flagStr(c, "logits"), "logits", outputNPY, flagStr(c, "force") == "true"); err != nil {
		return err
	}
	train.SetThreads(c.Threads)
	p, err := openProjectFile(path, "project")
	if err != nil {
		return err
	}
	a := nn.Analyze(p.Graph, nil)
	if err := a.Err(); err != nil {
		return usageErrorf("the project's architecture has a problem: %v", err)
	}
	in := a.Nodes[a.Input].Out
	start := time.Now()
	inputs, err := readPredictInputs(c, p, in)
	if err != nil {
		return err
	}
	b, err := chooseBackend(c)
	if err != nil {
		return err
	}
	model, err := nn.Build(p.Graph, in, b, uint64(c.Seed), "default")
	if err != nil {
		return usageErrorf("the project's model does not build: %v", err)
	}
	w, err := projectWeights(p, train.KindLast)
	if err != nil {
		return err
	}
	if loaded, skipped := train.LoadMatching(model, w); len(skipped) > 0 {
		return usageErrorf("the project's weights do not fit its architecture (%d tensors loaded; missing or of another shape: %s)", len(loaded), strings.Join(skipped, ", "))
	}
	n, per := len(inputs.names), tensor.Numel(in)
	var logits []float32
	k := 0
	prog := c.Progress("predict", n)
	for i := 0; i < n; i += batch {
		m := min(batch, n-i)
		xt := tensor.FromData(b, inputs.x[i*per:(i+m)*per], append([]int{m}, in...)...)
		out := model.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(xt))
		s := out.Shape()
		if len(s) != 2 {
			return fmt.Errorf("the model's output has shape %v; predict needs class scores (N,K)", s)
		}
		k = s[1]
		logits = append(logits, out.Value.Data()...)
		prog.Add(m)
		if err := c.Context.Err(); err != nil {
			return err
		}
	}
	prog.Finish()
	if lp := flagStr(c, "logits"); lp != "" {
		if err := writeLogits(lp, npy.FromFloat32([]int{n, k}, logits), flagStr(c, "force") == "true"); err != nil {
			return err // names --logits and the file
		}
	}
	preds := make([][]map[string]any, n)
	for i := range n {
		preds[i] = topClasses(logits[i*k:(i+1)*k], p.Dataset.Classes, topK)
		if !c.JSON {
			var parts []string
			for _, t := range preds[i] {
				parts = append(parts, fmt.Sprintf("%s %.4f", t["class"], t["prob"]))
			}
			fmt.Fprintf(c.Stdout, "%s: %s\n", inputs.names[i], strings.Join(parts, ", "))
		}
	}
	c.Done(map[string]any{"predictions": preds, "inputs": inputs.names, "device": b.Describe(),
		"seconds": time.Since(start).Seconds()})
	return nil
}

// topClasses returns the k most probable classes of one row of logits.
func topClasses(row []float32, classes []string, k int) []map[string]any {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	probs := make([]float64, len(row))
	var sum float64
	for i, v := range row {
		probs[i] = math.Exp(float64(v) - mx)
		sum += probs[i]
	}
	idx := make([]int, len(row))
	for i := range idx {
		idx[i] = i
		probs[i] /= sum
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] > probs[idx[b]] })
	var out []map[string]any
	for _, i := range idx[:min(k, len(idx))] {
		name := fmt.Sprint(i)
		if i < len(classes) {
			name = classes[i]
		}
		out = append(out, map[string]any{"class": name, "index": i, "prob": probs[i]})
	}
	return out
}

// readPredictInputs decodes and preprocesses image files and reads .npy
// batches, in argument order.
func readPredictInputs(c *Ctx, p *projects.Project, in []int) (*predictInputs, error) {
	if len(in) != 3 {
		return nil, usageErrorf("predict classifies images; this model takes %v inputs", in)
	}
	st, err := projectStats(p, in[0], in[1], in[2])
	if err != nil {
		return nil, err
	}
	stretch := false
	switch p.Preprocess.Resize {
	case "", "crop":
	case "stretch":
		stretch = true
	default:
		return nil, usageErrorf("the project's preprocessing resize %q is unknown (crop or stretch)", p.Preprocess.Resize)
	}
	res := &predictInputs{}
	per := in[0] * in[1] * in[2]
	for _, arg := range c.Args {
		if strings.EqualFold(filepath.Ext(arg), ".npy") {
			x, n, err := readNPYBatch(arg, in)
			if err != nil {
				return nil, err
			}
			res.x = append(res.x, x...)
			for i := range n {
				res.names = append(res.names, fmt.Sprintf("%s[%d]", arg, i))
			}
			continue
		}
		x, err := data.ReadImageFile(arg, in[0], in[1], in[2], stretch)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		st.Apply(x, 1)
		res.x = append(res.x, x[:per]...)
		res.names = append(res.names, arg)
	}
	return res, nil
}

func readNPYBatch(path string, in []int) ([]float32, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, usageErrorf("cannot read %s: %v", path, err)
	}
	defer f.Close()
	arr, err := npy.Read(f)
	if err != nil {
		return nil, 0, usageErrorf("%s: %v", path, err)
	}
	want := fmt.Sprintf("(N,%d,%d,%d)", in[0], in[1], in[2])
	if !arr.IsFloat() || len(arr.Shape) != 4 || arr.Shape[1] != in[0] || arr.Shape[2] != in[1] || arr.Shape[3] != in[2] {
		return nil, 0, usageErrorf("%s holds %s %v; the model takes float32 %s, preprocessed", path, arr.Dtype(), arr.Shape, want)
	}
	v, err := arr.Float64s()
	if err != nil {
		return nil, 0, usageErrorf("%s: %v", path, err)
	}
	x := make([]float32, len(v))
	for i, f := range v {
		x[i] = float32(f)
	}
	return x, arr.Shape[0], nil
}

func writeNPY(path string, a *npy.Array) error { return writeLogits(path, a, true) }

// writeLogits writes --logits atomically; an existing file that is not an
// .npy file is replaced only with force.
func writeLogits(path string, a *npy.Array, force bool) error {
	return writeOutput(path, "logits", outputNPY, force, func(w io.Writer) error { return npy.Write(w, a) })
}
