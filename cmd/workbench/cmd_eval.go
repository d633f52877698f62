package main

import (
	"flag"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	register(Command{
		Name:    "eval",
		Summary: "evaluate a saved model on a test split: accuracy, loss, confusion matrix, per-class accuracy, mistakes",
		Usage: `workbench eval --project FILE [--data D] [--checkpoint last|best] [--tta] [--ensemble FILES] [flags]

Evaluates the project's model on the test split of its dataset (or of --data)
in evaluation mode, with the project's preprocessing. Reports the accuracy,
the mean cross-entropy loss, the confusion matrix (rows: true class, columns:
predicted), each class's accuracy and the first misclassified test images
with their top predictions.

--checkpoint best evaluates the best-validation snapshot of the newest run
instead of the current weights. --tta averages the predictions over shifted
and mirrored views of each image. --ensemble adds other projects (same
classes and image size) and averages the probabilities of all the models.

Examples:
  workbench eval --project run.wbproj
  workbench eval --project run.wbproj --checkpoint best --tta --json`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "project file (.wbproj) to evaluate (required)")
			fs.String("checkpoint", "last", "weights to evaluate: last (the current weights) or best (best validation accuracy)")
			fs.Bool("tta", false, "test-time augmentation: average over shifted and flipped views")
			fs.Bool("tta-flips", true, "with --tta, include mirrored views")
			fs.String("ensemble", "", "comma-separated further project files whose models are averaged with this one")
			fs.Int("batch", 256, "evaluation batch size")
			fs.Int("mistakes", 10, "misclassified images to list")
		},
		Run: runEval,
	})
}

// projectWeights returns the weights of the named checkpoint of p.
func projectWeights(p *projects.Project, which string) (map[string]train.Tensor, error) {
	switch which {
	case "", train.KindLast:
		w := p.Group(projects.GroupWeights)
		if len(w) == 0 {
			return nil, usageErrorf("the project has no trained weights; train it first (workbench train --project FILE --save FILE)")
		}
		return w, nil
	case train.KindBest:
		for i := len(p.Runs) - 1; i >= 0; i-- {
			for _, ck := range p.Runs[i].Checkpoints {
				if ck.Name == train.KindBest {
					w := p.Group(ck.Group + "/weights")
					if len(w) > 0 {
						return w, nil
					}
				}
			}
		}
		return nil, usageErrorf("the project has no best-validation checkpoint (train with --val N to keep one); use --checkpoint last")
	}
	return nil, usageErrorf("--checkpoint %q: use last or best", which)
}

func runEval(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("eval takes no positional arguments (got %q); give the project with --project FILE", c.Args[0])
	}
	path := flagStr(c, "project")
	if path == "" {
		return usageErrorf("eval needs --project FILE (a project saved by 'workbench train --save FILE')")
	}
	batch := flagInt(c, "batch")
	if batch < 1 {
		return usageErrorf("--batch %d: use 1 or more", batch)
	}
	train.SetThreads(c.Threads)
	paths := append([]string{path}, splitList(flagStr(c, "ensemble"))...)
	projs, err := openEvalProjects(paths)
	if err != nil {
		return err
	}
	p := projs[0]
	df, ds, err := loadEvalData(c, p)
	if err != nil {
		return err
	}
	in := []int{ds.Test.C, ds.Test.H, ds.Test.W}
	b, err := chooseBackend(c)
	if err != nil {
		return err
	}
	ms, err := evalModels(c, projs, paths, df.Spec(), in, b)
	if err != nil {
		return err
	}
	stats, err := projectStats(p, in[0], in[1], in[2])
	if err != nil {
		return err
	}
	loss := train.LossSoftmax
	if p.Train.Loss == train.LossSVM {
		loss = p.Train.Loss
	}
	mistakes := flagInt(c, "mistakes")
	if mistakes <= 0 {
		mistakes = -1
	}
	r, err := train.EvaluateEnsemble(c.Context, ms, ds.Test, train.EvalOptions{Batch: batch, Stats: stats, Loss: loss,
		TTA: flagStr(c, "tta") == "true", TTAFlips: flagStr(c, "tta-flips") == "true", Misclassified: mistakes, TopK: 3})
	if err != nil {
		return usageErrorf("%v", err)
	}
	c.Done(evalDone(r, ds.Test.Classes, b.Name(), len(ms)))
	return nil
}

// openEvalProjects opens the evaluated project and its ensemble partners.
func openEvalProjects(paths []string) ([]*projects.Project, error) {
	var projs []*projects.Project
	for i, pp := range paths {
		name := "project"
		if i > 0 {
			name = "ensemble"
		}
		p, err := openProjectFile(pp, name)
		if err != nil {
			return nil, err
		}
		if len(p.Graph.Nodes) == 0 {
			return nil, usageErrorf("%s has no architecture to evaluate", pp)
		}
		projs = append(projs, p)
	}
	return projs, nil
}

// loadEvalData loads --data, or the project's own dataset (with the seed
// of its training run, so the same test subset).
func loadEvalData(c *Ctx, p *projects.Project) (*dataFlags, *data.Dataset, error) {
	set := flagsSet(c)
	df := dataFlagsOf(c)
	if !set["data"] {
		if p.Dataset.Spec == "" {
			return nil, nil, usageErrorf("the project names no dataset; give --data D")
		}
		*df.spec = p.Dataset.Spec
		if !set["limit-test"] {
			*df.limitTest = p.Dataset.LimitTest
		}
		if !set["limit-train"] {
			*df.limitTrain = p.Dataset.LimitTrain
		}
		if !set["val"] {
			*df.val = p.Dataset.Val
		}
	}
	if !set["seed"] && p.Hyper.Seed != 0 {
		c.Seed = p.Hyper.Seed // the same test subset as in training
	}
	ds, err := df.load(c)
	if err != nil {
		return nil, nil, err
	}
	if ds.Test.Len() == 0 {
		return nil, nil, usageErrorf("dataset %s has no test images to evaluate on", df.Spec())
	}
	return df, ds, nil
}

// evalModels builds each project's model for images of shape in with its
// weights.
func evalModels(c *Ctx, projs []*projects.Project, paths []string, spec string, in []int, b backend.Backend) ([]*nn.Model, error) {
	var ms []*nn.Model
	for i, q := range projs {
		// A model that does not take the data's images, or whose weights
		// then misfit, is the data's fault when the shapes differ.
		m, err := buildModel(q.Graph, in, b, 1, "default")
		if err != nil {
			if serr := checkEvalShape(q, paths[i], spec, in); serr != nil {
				return nil, serr
			}
			return nil, err
		}
		w, err := projectWeights(q, flagStr(c, "checkpoint"))
		if err != nil {
			return nil, err
		}
		if loaded, skipped := train.LoadMatching(m, w); len(skipped) > 0 {
			if serr := checkEvalShape(q, paths[i], spec, in); serr != nil {
				return nil, serr
			}
			return nil, usageErrorf("%s: its weights do not fit its architecture (%d loaded, missing or misshapen: %v)", paths[i], len(loaded), skipped)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// evalDone is the done event of eval: accuracy, loss, confusion, per-class
// accuracy and the misclassified images.
func evalDone(r *train.EvalResult, classes []string, device string, models int) map[string]any {
	perClass := make([]map[string]any, len(classes))
	for i, name := range classes {
		acc := r.PerClass[i]
		total := 0
		for _, v := range r.Confusion[i] {
			total += v
		}
		perClass[i] = map[string]any{"name": name, "acc": acc, "images": total}
		if math.IsNaN(acc) {
			perClass[i]["acc"] = nil
		}
	}
	var wrong []map[string]any
	for _, mk := range r.Misclassified {
		top := make([]map[string]any, len(mk.Top))
		for j, t := range mk.Top {
			top[j] = map[string]any{"class": classes[t.Class], "prob": t.Prob}
		}
		wrong = append(wrong, map[string]any{"index": mk.Index, "label": classes[mk.Label],
			"predicted": classes[mk.Top[0].Class], "prob": mk.Top[0].Prob, "top": top})
	}
	done := map[string]any{"test_acc": r.Acc, "test_loss": r.Loss, "confusion": r.Confusion, "classes": classes,
		"per_class": perClass, "test": r.N, "device": device, "models": models}
	if len(wrong) > 0 {
		done["misclassified"] = wrong
	}
	return done
}

// checkEvalShape explains a model that cannot run on the data: when its
// images differ in shape from those the project's model was trained on, it
// names both (the weights are not at fault, the data is); else nil.
func checkEvalShape(p *projects.Project, path, spec string, in []int) error {
	d := p.Dataset
	if d.C <= 0 || d.H <= 0 || d.W <= 0 {
		// No dataset recorded (an imported model): the shape its graph
		// was made for, if it says.
		s, err := models.Summarize(p.Graph, nil)
		if err != nil || len(s.Input) != 3 {
			return nil
		}
		d.C, d.H, d.W = s.Input[0], s.Input[1], s.Input[2]
	}
	if d.C == in[0] && d.H == in[1] && d.W == in[2] {
		return nil
	}
	hint := "evaluate on data of that shape"
	if d.H == d.W {
		hint += fmt.Sprintf(" (or convert it: --size %d --channels %d)", d.H, d.C)
	}
	return usageErrorf("dataset %s has %dx%dx%d images (CxHxW) but the model of %s expects %dx%dx%d, the shape it was trained on; %s",
		spec, in[0], in[1], in[2], path, d.C, d.H, d.W, hint)
}
