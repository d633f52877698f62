package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
)

func init() {
	register(Command{
		Name:    "linear",
		Summary: "linear classifier (multiclass SVM or softmax) on pixels or HOG/colour features",
		Usage: `workbench linear --data D --loss svm|softmax [--features pixels|hog|hist|hog+hist] [--search N] [flags]

Trains a linear classifier with mini-batch SGD (batch 200) and L2
regularisation. Raw pixels have the training mean image subtracted; features
are standardised with training statistics; a bias column is appended. With
--search N, N learning rates and regularisation strengths are drawn
log-uniformly and the best on the validation split is kept (--val, default
1000 images held out of training).

Example (the course's setting):
  workbench linear --data cifar10 --loss svm --val 1000 --search 8`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("loss", "", "svm or softmax (required)")
			fs.String("features", "pixels", "pixels, hog, hist or hog+hist")
			fs.Int("search", 0, "random-search this many (lr, reg) settings; 0: train once with --lr and --reg")
			fs.Float64("lr", 0, "learning rate (0: a default for the features)")
			fs.Float64("reg", -1, "L2 regularisation strength (negative: a default for the features)")
			fs.Int("iters", 1500, "SGD iterations")
			fs.Int("hidden", 0, "train the course's two-layer net (affine-ReLU-affine, through the engine) with this many hidden units instead of a linear classifier")
			fs.Int("epochs", 10, "two-layer net: epochs")
		},
		Run: runLinear,
	})
}

func runLinear(c *Ctx) error {
	cpu.SetThreads(c.Threads)
	loss := classic.Loss(c.Flags.Lookup("loss").Value.String())
	if loss != classic.SVM && loss != classic.Softmax {
		return usageErrorf("--loss %q: use svm or softmax", loss)
	}
	feat := c.Flags.Lookup("features").Value.String()
	search, _ := strconv.Atoi(c.Flags.Lookup("search").Value.String())
	iters, _ := strconv.Atoi(c.Flags.Lookup("iters").Value.String())
	lr, _ := strconv.ParseFloat(c.Flags.Lookup("lr").Value.String(), 64)
	reg, _ := strconv.ParseFloat(c.Flags.Lookup("reg").Value.String(), 64)
	if iters < 1 || search < 0 {
		return usageErrorf("--iters must be positive and --search not negative")
	}
	ds, err := loadData(c, 1000)
	if err != nil {
		return err
	}
	if ds.Val.Len() == 0 {
		return usageErrorf("no validation images: set --val N (N below the %d training images)", ds.Train.Len())
	}
	p := c.Progress("extracting "+feat, 3)
	sets := []*data.Set{ds.Train, ds.Val, ds.Test}
	mats := make([]*classic.Matrix, 3)
	for i, s := range sets {
		m, err := classic.ExtractFeatures(s, feat)
		if err != nil {
			return usageErrorf("%v", err)
		}
		mats[i] = m
		p.Add(1)
	}
	p.Finish()
	st := classic.FitStandardizer(mats[0], feat != "pixels")
	for i := range mats {
		mats[i] = classic.WithBias(st.Apply(mats[i]))
	}
	classes := len(ds.Train.Classes)
	if h, _ := strconv.Atoi(c.Flags.Lookup("hidden").Value.String()); h > 0 {
		return runTwoLayer(c, mats, ds, classes, h, feat, lr, reg)
	}
	// Defaults that work for each input scale: raw pixels are in 0-255
	// units (the course's 1e-7 and 2.5e4); standardised features are O(1).
	lrR, regR := [2]float64{1e-8, 1e-6}, [2]float64{1e3, 1e5}
	defLR, defReg := 1e-7, 2.5e4
	if feat != "pixels" {
		lrR, regR = [2]float64{1e-3, 1e-1}, [2]float64{1e-5, 1e-2}
		defLR, defReg = 1e-2, 1e-4
	}
	var best classic.SearchResult
	if search > 0 {
		pr := c.Progress("searching", search)
		res, err := classic.RandomSearch(c.Context, loss, mats[0], ds.Train.Labels, mats[1], ds.Val.Labels, classes,
			lrR, regR, search, iters, uint64(c.Seed), func(done, total int) { pr.Set(done) })
		pr.Finish()
		if err != nil {
			return err
		}
		for _, r := range res {
			c.Emit("trial", map[string]any{"lr": r.LR, "reg": r.Reg, "train_acc": r.TrainAcc, "val_acc": r.ValAcc, "error": r.Err})
		}
		best = res[0]
		if best.Model == nil || best.Err != "" {
			return fmt.Errorf("every setting diverged; narrow the ranges")
		}
	} else {
		if lr == 0 {
			lr = defLR
		}
		if reg < 0 {
			reg = defReg
		}
		m := classic.NewLinear(mats[0].Cols, classes, loss, uint64(c.Seed))
		pr := c.Progress("training", iters)
		_, err := m.Train(c.Context, mats[0], ds.Train.Labels, classic.SGDConfig{LR: float32(lr), Reg: float32(reg), Iters: iters, Batch: 200, Seed: uint64(c.Seed)},
			func(it int, l float64) { pr.Set(it + 1) })
		pr.Finish()
		if err != nil {
			return usageErrorf("%v", err)
		}
		best = classic.SearchResult{LR: float32(lr), Reg: float32(reg), Model: m,
			TrainAcc: m.Accuracy(mats[0], ds.Train.Labels), ValAcc: m.Accuracy(mats[1], ds.Val.Labels)}
	}
	test := best.Model.Accuracy(mats[2], ds.Test.Labels)
	c.Done(map[string]any{"val_acc": best.ValAcc, "test_acc": test, "train_acc": best.TrainAcc,
		"lr": round6(float64(best.LR)), "reg": round6(float64(best.Reg)), "loss": string(loss), "features": feat})
	return nil
}

func round6(x float64) float64 {
	if x == 0 {
		return 0
	}
	p := math.Pow(10, 5-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*p) / p
}

// runTwoLayer trains the two-layer net on the prepared matrices. Inputs are
// standardised (pixels too, unlike the linear classifier's mean-only
// centring), so one default learning rate suits pixels and features.
func runTwoLayer(c *Ctx, mats []*classic.Matrix, ds *data.Dataset, classes, hidden int, feat string, lr, reg float64) error {
	epochs, _ := strconv.Atoi(c.Flags.Lookup("epochs").Value.String())
	if epochs < 1 {
		return usageErrorf("--epochs must be positive")
	}
	if lr == 0 {
		lr = 1e-2
	}
	if reg < 0 {
		reg = 1e-4
	}
	if feat == "pixels" {
		// Per-pixel standardisation on top of the mean subtraction.
		st := classic.FitStandardizer(mats[0], true)
		for i := range mats {
			mats[i] = st.Apply(mats[i])
		}
	}
	p := c.Progress("training two-layer net", epochs)
	net, err := classic.TrainTwoLayer(c.Context, mats[0], ds.Train.Labels, mats[1], ds.Val.Labels, classes,
		classic.TwoLayerConfig{Hidden: hidden, LR: float32(lr), Reg: float32(reg), Epochs: epochs, Batch: 200, Seed: uint64(c.Seed)},
		func(ep int, acc float64) {
			p.Set(ep)
			c.Emit("epoch", map[string]any{"epoch": ep, "val_acc": acc})
		})
	p.Finish()
	if err != nil {
		return usageErrorf("%v", err)
	}
	c.Done(map[string]any{"val_acc": net.Accuracy(mats[1], ds.Val.Labels), "test_acc": net.Accuracy(mats[2], ds.Test.Labels),
		"train_acc": net.Accuracy(mats[0], ds.Train.Labels), "lr": lr, "reg": reg, "hidden": hidden,
		"epochs": epochs, "model": "two-layer", "features": feat})
	return nil
}
