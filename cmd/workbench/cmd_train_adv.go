package main

import (
	"flag"

	"github.com/workbench-cv/workbench/engine/train"
)

// addAdvFlags adds train's adversarial-training flags.
func addAdvFlags(fs *flag.FlagSet) {
	fs.String("adv", "", "adversarial training: pgd or fgsm (with a random start); each batch is replaced by its attack on the current weights (not saved in the project: repeat it with --resume)")
	fs.String("adv-eps", "8/255", "adversarial training: L∞ radius in [0,1] pixel units (8/255 allowed)")
	fs.Int("adv-steps", 7, "adversarial training: pgd iterations")
	fs.String("adv-step-size", "", "adversarial training: pgd step (default 2.5·eps/steps; fgsm steps 1.25·eps)")
	fs.Int("adv-ramp", 0, "adversarial training: epochs over which epsilon grows from 0 (helps a model not settle on one class)")
}

// advConfig reads the adversarial-training flags (nil without --adv).
func advConfig(c *Ctx) (*train.Adversarial, error) {
	set := flagsSet(c)
	method := flagStr(c, "adv")
	if method == "" {
		for _, f := range []string{"adv-eps", "adv-steps", "adv-step-size", "adv-ramp"} {
			if set[f] {
				return nil, usageErrorf("--%s needs --adv pgd or --adv fgsm", f)
			}
		}
		return nil, nil
	}
	if flagStr(c, "backend") == "torchrun" {
		return nil, usageErrorf("--adv trains with this engine's attacks: drop --backend torchrun")
	}
	a := &train.Adversarial{Method: method, Steps: flagInt(c, "adv-steps"), Ramp: flagInt(c, "adv-ramp")}
	var err error
	if a.Eps, err = parseFraction("adv-eps", flagStr(c, "adv-eps")); err != nil {
		return nil, err
	}
	if s := flagStr(c, "adv-step-size"); s != "" {
		if a.StepSize, err = parseFraction("adv-step-size", s); err != nil {
			return nil, err
		}
	}
	if err := a.Validate(); err != nil {
		return nil, usageErrorf("--adv: %v", err)
	}
	return a, nil
}
