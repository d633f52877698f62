package main

import (
	"flag"
	"time"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
)

func init() {
	register(Command{
		Name:    "attack",
		Summary: "adversarial attack (FGSM, PGD) on the test split: accuracy before and after",
		Usage: `workbench attack --project FILE --method fgsm|pgd --eps E [--steps N] [--step-size A] [--norm linf|l2] [--targeted] [--data D] [--limit N]

Attacks the first --limit test images of the project's dataset (or --data)
with the project's model and reports the accuracy before and after.
Perturbations are in [0,1] pixel units, before the project's normalisation,
and images stay in [0,1]. E and A may be written as fractions (8/255).

  fgsm   one step of size E along the sign of the loss gradient (L-inf), or
         along the gradient scaled to L2 norm E (--norm l2)
  pgd    --steps iterations of --step-size (default 2.5·E/steps), projected
         back onto the E-ball, from a random point of it (--random-start,
         on by default)

--transfer OTHER.wbproj measures another model on the adversarial images
made on --project (a black-box transfer attack): transfer_clean_acc and
transfer_acc.

--targeted drives each image to a random other class (seeded) and reports
success, the fraction that reached it. --curve 0,2/255,4/255,8/255 also
measures the accuracy at each epsilon (done field curve). --against pytorch
runs the same attack in PyTorch on the exported model (same images,
weights and random start; needs python3-torch) and adds clean_acc_pytorch
and adv_acc_pytorch.

Done fields: clean_acc, adv_acc, eps, mean_linf, mean_l2 (mean norms of the
perturbations), method, norm, steps, step_size, images, device, seconds.

Examples:
  workbench attack --project cifar.wbproj --method fgsm --eps 8/255
  workbench attack --project cifar.wbproj --method pgd --eps 8/255 --steps 10 --step-size 2/255`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "project file (.wbproj) with a trained model (required)")
			fs.String("checkpoint", "last", "weights: last or best")
			fs.String("method", "pgd", "fgsm or pgd")
			fs.String("eps", "8/255", "radius of the perturbation in [0,1] pixel units (8/255 allowed)")
			fs.Int("steps", 10, "pgd: iterations")
			fs.String("step-size", "", "pgd: step per iteration (default 2.5·eps/steps)")
			fs.String("norm", "linf", "linf or l2")
			fs.Bool("targeted", false, "drive each image to a random other class instead of away from its own")
			fs.Bool("random-start", true, "pgd: start at a random point of the eps-ball")
			fs.Int("limit", 1000, "number of test images to attack (the first of each class in turn, so every class is in)")
			fs.Int("batch", 32, "images per gradient pass")
			fs.String("curve", "", "comma-separated epsilons: also report the accuracy at each (done field curve)")
			fs.String("split", "test", "images from the test or train split")
			fs.String("transfer", "", "another project (same input): also measure its accuracy on the adversarial images made on --project (done field transfer_acc)")
			fs.String("against", "", "pytorch: also run the same attack (same weights, images and random start) in PyTorch; done fields clean_acc_pytorch, adv_acc_pytorch")
		},
		Run: runAttack,
	})
}

// attackConfig reads the attack's flags.
func attackConfig(c *Ctx) (adversarial.Config, []float64, error) {
	eps, err := parseFraction("eps", flagStr(c, "eps"))
	if err != nil {
		return adversarial.Config{}, nil, err
	}
	cfg := adversarial.Config{Method: flagStr(c, "method"), Norm: flagStr(c, "norm"), Eps: eps, Steps: flagInt(c, "steps"),
		RandomStart: flagStr(c, "random-start") == "true" && flagStr(c, "method") == adversarial.PGD,
		Targeted:    flagStr(c, "targeted") == "true", Seed: uint64(c.Seed), Batch: flagInt(c, "batch")}
	if cfg.Method != adversarial.FGSM && cfg.Method != adversarial.PGD {
		return cfg, nil, usageErrorf("--method %q: use fgsm or pgd", cfg.Method)
	}
	if cfg.Norm != adversarial.LInf && cfg.Norm != adversarial.L2 {
		return cfg, nil, usageErrorf("--norm %q: use linf or l2", cfg.Norm)
	}
	if cfg.Steps < 1 || cfg.Steps > 100000 || cfg.Batch < 1 {
		return cfg, nil, usageErrorf("--steps %d, --batch %d: use at least 1", cfg.Steps, cfg.Batch)
	}
	if s := flagStr(c, "step-size"); s != "" {
		if cfg.StepSize, err = parseFraction("step-size", s); err != nil {
			return cfg, nil, err
		}
	}
	var curve []float64
	for _, s := range splitList(flagStr(c, "curve")) {
		e, err := parseFraction("curve", s)
		if err != nil {
			return cfg, nil, err
		}
		curve = append(curve, e)
	}
	return cfg, curve, nil
}

func runAttack(c *Ctx) error {
	start := time.Now()
	cfg, curve, err := attackConfig(c)
	if err != nil {
		return err
	}
	eps := cfg.Eps
	if flagInt(c, "limit") < 1 {
		return usageErrorf("--limit %d: use at least 1", flagInt(c, "limit"))
	}
	it, err := openInspectTarget(c)
	if err != nil {
		return err
	}
	s, err := it.split(c)
	if err != nil {
		return err
	}
	pick := data.FirstPerClass(s, flagInt(c, "limit"))
	n := len(pick)
	t := &attribTarget{proj: it.proj, net: inspectToAttrib(it.net), device: it.net.Model.B.Describe(), n: n}
	labels := make([]int, n)
	for k, i := range pick {
		for _, v := range s.Image(i) {
			t.x = append(t.x, float32(v)/255)
		}
		labels[k] = int(s.Labels[i])
	}
	goal := labels
	if cfg.Targeted {
		goal = randomOther(c.Seed, t.net.Classes(), labels)
	}
	against := flagStr(c, "against")
	if against != "" && against != "pytorch" {
		return usageErrorf("--against %q: the peer is pytorch", against)
	}
	if against == "pytorch" {
		// One start for both, and the step PGD would choose, written out.
		cfg.Start = sharedStart(cfg, n, len(t.x)/n)
		if cfg.Method == adversarial.FGSM {
			cfg.Steps, cfg.StepSize = 1, eps
		} else if cfg.StepSize == 0 {
			cfg.StepSize = 2.5 * eps / float64(cfg.Steps)
		}
	}
	bar := c.Progress(cfg.Method, 0)
	cfg.Progress = func(d, total int) { bar.Set(d) }
	res, err := adversarial.Run(c.Context, t.net, t.x, n, goal, cfg)
	bar.Finish()
	if err != nil {
		if c.Context.Err() != nil {
			return err
		}
		return usageErrorf("attack: %v", err)
	}
	clean := adversarial.Accuracy(t.net, t.x, n, labels, cfg.Batch)
	adv := adversarial.Accuracy(t.net, res.Adv, n, labels, cfg.Batch)
	done := map[string]any{"clean_acc": clean, "adv_acc": adv, "eps": eps, "mean_linf": res.LInf, "mean_l2": res.L2,
		"method": cfg.Method, "norm": cfg.Norm, "steps": map[bool]int{true: 1, false: cfg.Steps}[cfg.Method == adversarial.FGSM], "images": n, "device": t.device, "targeted": cfg.Targeted}
	if cfg.Method == adversarial.PGD {
		step := cfg.StepSize
		if step == 0 {
			step = 2.5 * eps / float64(cfg.Steps)
		}
		done["step_size"] = step
	}
	if cfg.Targeted {
		ok := 0
		for _, v := range res.Success {
			if v {
				ok++
			}
		}
		done["success"] = float64(ok) / float64(n)
	}
	if other := flagStr(c, "transfer"); other != "" {
		acc, err := transferAccuracy(c, other, t, res.Adv, labels)
		if err != nil {
			return err
		}
		done["transfer_acc"], done["transfer_clean_acc"] = acc[1], acc[0]
	}
	if against == "pytorch" {
		pc, pa, err := attackInPyTorch(c.Context, t, labels, goal, cfg)
		if err != nil {
			return err
		}
		done["clean_acc_pytorch"], done["adv_acc_pytorch"] = pc, pa
	}
	if len(curve) > 0 {
		cc := cfg
		cc.StepSize, cc.Start = 0, nil
		bar := c.Progress("curve", len(curve))
		accs, err := adversarial.Curve(c.Context, t.net, t.x, n, labels, cc, curve, func(d, _ int) { bar.Set(d) })
		bar.Finish()
		if err != nil {
			return err
		}
		pts := make([]map[string]any, len(curve))
		for i := range curve {
			pts[i] = map[string]any{"eps": curve[i], "acc": accs[i]}
		}
		done["curve"] = pts
	}
	done["seconds"] = time.Since(start).Seconds()
	c.Done(done)
	return nil
}

func inspectToAttrib(n inspect.Net) adversarial.Net {
	return adversarial.Net{Model: n.Model, Stats: n.Stats}
}

// transferAccuracy is another project's accuracy on the clean and on the
// adversarial images.
func transferAccuracy(c *Ctx, path string, t *attribTarget, adv []float32, labels []int) ([2]float64, error) {
	p, err := openProjectFile(path, "transfer")
	if err != nil {
		return [2]float64{}, err
	}
	net, _, err := netAt(c, p, t.net.Input())
	if err != nil {
		return [2]float64{}, usageErrorf("--transfer %s: %v", path, err)
	}
	if net.Classes() != t.net.Classes() {
		return [2]float64{}, usageErrorf("--transfer %s has %d classes, --project %d: they must classify the same data", path, net.Classes(), t.net.Classes())
	}
	return [2]float64{adversarial.Accuracy(net, t.x, t.n, labels, 32), adversarial.Accuracy(net, adv, t.n, labels, 32)}, nil
}
