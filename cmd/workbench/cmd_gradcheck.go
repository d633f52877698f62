package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/workbench-cv/workbench/engine/gradcheck"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	register(Command{
		Name:    "gradcheck",
		Summary: "numeric gradient check (centred differences) of every parameter tensor of a model",
		Usage: `workbench gradcheck (--model NAME | --project FILE) [--input C,H,W] [--classes K] [flags]

Runs the model in training mode on a seeded random batch and compares the
gradient that backpropagation gives every parameter with the centred
difference (f(x+h) - f(x-h)) / 2h, in float32 as training runs, the logits
reduced with seeded weights in float64. Reports, per parameter tensor, the
largest relative error |a-n| / max(|a|, |n|, floor) over --samples elements
(chosen by --seed; every element of a smaller tensor).

Reading it: at or below 1e-3 the gradient is right, 1e-3 to 1e-2 suspect,
above 1e-2 wrong (a wrong sign, factor or dropped term scores near 1).
ReLU and max pool are not differentiable everywhere. As the course advises,
the check records which units were active and which input won each pool
window at x, x+h and x-h: a step whose winners change crossed a kink. Such
an element is measured with the one-sided difference on the side that
crossed none (exact in a network of convolutions, ReLUs and pools), or with
a step 4 times smaller, at most 3 times; one whose every step crosses a kink
is counted under "kinks" and left out, and "nudged" counts the elements
measured one-sided or with a smaller step. A first-layer weight moves every
position of its channel, so its steps cross kinks most often and it scores
highest.

--project checks the project's architecture with its trained weights (if
any); --model a zoo model with fresh weights (seeded).

Examples:
  workbench gradcheck --model ref-cnn --json
  workbench gradcheck --project run.wbproj --layer conv1`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("model", "", "zoo model name")
			fs.String("project", "", "project file (.wbproj)")
			fs.String("input", "", "input shape C,H,W (default: the model's or project's)")
			fs.Int("classes", 0, "classes for --model (default: the model's usual)")
			fs.String("layer", "", "check only the parameters of these layers (comma-separated ids)")
			fs.Int("samples", gradcheck.DefaultModelSamples, "elements checked per parameter tensor (0: all)")
			fs.Float64("eps", 1e-3, "step h of the centred difference")
			fs.Int("batch", 0, "random examples (default 1, or 2 when the model has batch norm)")
		},
		Run: runGradcheck,
	})
}

func runGradcheck(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("gradcheck takes no positional arguments (got %q); use --model NAME or --project FILE", c.Args[0])
	}
	set := flagsSet(c)
	name, path := flagStr(c, "model"), flagStr(c, "project")
	if (name == "") == (path == "") {
		return usageErrorf("give either --model NAME or --project FILE (run 'workbench gradcheck --help')")
	}
	if flagInt(c, "samples") < 0 || flagInt(c, "batch") < 0 {
		return usageErrorf("--samples and --batch must be 0 or more")
	}
	if eps := flagNum(c, "eps"); eps <= 0 || eps > 0.1 {
		return usageErrorf("--eps %g: use a step between 0 and 0.1 (1e-3 suits float32)", eps)
	}
	var input []int
	if set["input"] {
		var err error
		if input, err = parseShape(flagStr(c, "input")); err != nil {
			return err
		}
	}
	var g graph.Graph
	var weights map[string]train.Tensor
	if name != "" {
		defIn, classes, ok := models.Defaults(name)
		if !ok {
			return usageErrorf("unknown model %q; choose one of %s", name, strings.Join(models.Names(), ", "))
		}
		if set["classes"] {
			if classes = flagInt(c, "classes"); classes < 1 {
				return usageErrorf("--classes %d: use 1 or more", classes)
			}
		}
		if input == nil {
			input = defIn
		}
		var err error
		if g, err = models.Graph(name, input, classes); err != nil {
			return usageErrorf("%v", err)
		}
	} else {
		p, err := openProjectFile(path, "project")
		if err != nil {
			return err
		}
		if len(p.Graph.Nodes) == 0 {
			return usageErrorf("%s has no architecture to check", path)
		}
		g, weights = p.Graph, p.Group(projects.GroupWeights)
	}
	b, err := chooseBackend(c)
	if err != nil {
		return err
	}
	m, err := buildModel(g, input, b, c.Seed, "default")
	if err != nil {
		return err
	}
	if len(weights) > 0 {
		train.LoadMatching(m, weights)
	}
	in := input
	if in == nil {
		in = m.Analysis.Nodes[m.Analysis.Input].Out
	}
	opt := gradcheck.ModelOptions{Batch: flagInt(c, "batch"), Options: gradcheck.Options{
		Eps: flagNum(c, "eps"), Samples: flagInt(c, "samples"), Seed: uint64(c.Seed), Cancel: c.Context.Done()}}
	if opt.Samples == 0 {
		opt.Samples = -1 // every element
	}
	if l := flagStr(c, "layer"); l != "" {
		opt.Nodes = splitList(l)
	}
	bar := c.Progress("gradient check (elements)", 0)
	opt.Progress = func(done, _ int) { bar.Set(done) }
	rep, err := gradcheck.CheckModel(m, in, opt)
	bar.Finish()
	switch {
	case errors.Is(err, gradcheck.ErrNoParams):
		return usageErrorf("%v", err)
	case err != nil:
		return err
	}
	tensors := make([]map[string]any, len(rep.Tensors))
	for i, t := range rep.Tensors {
		tensors[i] = map[string]any{"name": t.Name, "max_rel_error": t.MaxRelErr, "mean_rel_error": t.MeanRelErr,
			"checked": t.Checked, "size": t.Size, "kinks": t.Kinks, "nudged": t.Nudged, "verdict": t.Verdict.String(), "shape": t.Shape}
	}
	if !c.JSON {
		fmt.Fprint(c.Stdout, rep.String())
		c.Done(nil) // the table above is the human form of the done fields
		return nil
	}
	c.Done(map[string]any{"max_rel_error": rep.MaxRelErr, "verdict": rep.Verdict.String(), "tensors": tensors,
		"eps": rep.Eps, "evaluations": rep.Evals, "device": b.Name(), "input": in})
	return nil
}
