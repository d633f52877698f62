package train

import (
	"context"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

func TestInitialLoss(t *testing.T) {
	ds := sample(t)
	r, err := InitialLoss(context.Background(), build(t, 1), ds.Train, EvalOptions{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || math.Abs(r.Expected-math.Log(10)) > 1e-12 || math.Abs(r.Loss-r.Expected) > 0.2 {
		t.Fatalf("default init: %+v", r)
	}
	big, err := nn.Build(smallCNN(10), nil, cpu.New(), 1, "gaussian:1")
	if err != nil {
		t.Fatal(err)
	}
	r, err = InitialLoss(context.Background(), big, ds.Train, EvalOptions{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Loss < 5 {
		t.Fatalf("gaussian:1 init should start far above log(10): %+v", r)
	}
}

func TestOverfitSmallSubset(t *testing.T) {
	ds := sample(t)
	var epochs []int
	r, err := Overfit(context.Background(), build(t, 1), ds.Train, Config{Batch: 20, Seed: 1, Optim: optim.Config{LR: 3e-3}}, 2,
		func(done, total int) {
			if total != 200 {
				t.Errorf("progress total %d, want the 200 epochs at most", total)
			}
			epochs = append(epochs, done)
		})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Acc != 1 || r.Images != 40 {
		t.Fatalf("%+v", r)
	}
	if len(epochs) != r.Epochs || epochs[len(epochs)-1] != r.Epochs {
		t.Fatalf("progress heard epochs %v of a %d-epoch run", epochs, r.Epochs)
	}
	// An optimizer that cannot move does not overfit, and says so.
	r, err = Overfit(context.Background(), build(t, 1), ds.Train, Config{Batch: 20, Seed: 1, Epochs: 3, Optimizer: "sgd", Optim: optim.Config{LR: 1e-9}}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || r.Epochs != 3 {
		t.Fatalf("tiny learning rate: %+v", r)
	}
}

func TestFindLR(t *testing.T) {
	ds := sample(t)
	r, err := FindLR(context.Background(), build(t, 1), ds.Train, LRFinderConfig{Batch: 32, Steps: 60, Lo: 1e-6, Hi: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.LRs) < 20 || r.LRs[0] != 1e-6 {
		t.Fatalf("sweep: %d points from %v", len(r.LRs), r.LRs)
	}
	// Adam on this CNN learns fastest somewhere between 1e-4 and 1e-1; the
	// sweep must stop once the loss blows up at high rates.
	if r.Suggested < 1e-4 || r.Suggested > 0.1 {
		t.Fatalf("suggested %g; losses %v", r.Suggested, r.Smoothed)
	}
	// At the top of the sweep the loss is back well above its minimum.
	lo := math.Inf(1)
	for _, v := range r.Smoothed {
		lo = math.Min(lo, v)
	}
	if end := r.Smoothed[len(r.Smoothed)-1]; end < 1.5*lo {
		t.Errorf("loss at the highest rate %v, minimum %v: the sweep missed the blow-up", end, lo)
	}
	t.Logf("suggested %.3g; smoothed %.3v", r.Suggested, r.Smoothed)
}

func TestRandomSearchRanks(t *testing.T) {
	ds := sample(t)
	small := data.BalancedSubset(ds.Train, 300, 1)
	var seen int
	trials, err := Search(context.Background(), SearchConfig{
		Base:        Config{Epochs: 1, Batch: 25, Seed: 1, Optimizer: "sgd", Optim: optim.Config{Momentum: 0.9}},
		Ranges:      map[string]Range{"lr": {Lo: 1e-5, Hi: 30, Log: true}, "weight_decay": {Lo: 1e-6, Hi: 1e-2, Log: true}},
		Trials:      8,
		Concurrency: 2,
		Build:       func() (*nn.Model, error) { return nn.Build(smallCNN(10), nil, cpu.New(), 1, "default") },
		Train:       small, Val: ds.Val, Seed: 1, // draws lr 0.017, 0.031 and 0.055 among others
		OnTrial: func(Trial) { seen++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 8 || seen != 8 {
		t.Fatalf("%d trials, %d reported", len(trials), seen)
	}
	okCount := 0
	for i, tr := range trials {
		lr := tr.Params["lr"]
		if lr < 1e-5 || lr > 30 || tr.Params["weight_decay"] < 1e-6 || tr.Params["weight_decay"] > 1e-2 {
			t.Fatalf("trial %s outside its ranges", tr.Describe())
		}
		if tr.Err == nil {
			okCount++
			if i > 0 && trials[i-1].Err == nil && trials[i-1].ValAcc < tr.ValAcc {
				t.Fatalf("not ranked: %v before %v", trials[i-1].ValAcc, tr.ValAcc)
			}
		} else if i+1 < len(trials) && trials[i+1].Err == nil {
			t.Fatalf("a failed trial (%v) ranks above a finished one", tr.Err)
		}
	}
	if okCount < 4 || trials[0].ValAcc < 0.3 {
		t.Fatalf("best trial %s: val acc %v (%d finished)", trials[0].Describe(), trials[0].ValAcc, okCount)
	}
	// Grid: 3 x 3 points, ends included.
	sc := SearchConfig{Grid: true, Ranges: map[string]Range{"lr": {Lo: 1e-4, Hi: 1e-2, Log: true}, "momentum": {Lo: 0.5, Hi: 0.9}}}
	cfgs, err := sc.configs()
	if err != nil || len(cfgs) != 9 || math.Abs(cfgs[1]["lr"]-1e-3) > 1e-12 || cfgs[8]["momentum"] != 0.9 {
		t.Fatalf("grid %v %v", cfgs, err)
	}
}

func TestDiagnose(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		h    []EpochMetrics
		want string
	}{
		{[]EpochMetrics{{TrainLoss: 1, TrainAcc: 0.6, ValAcc: 0.6}, {TrainLoss: 0.1, TrainAcc: 0.99, ValAcc: 0.7}}, "overfitting"},
		{[]EpochMetrics{{TrainLoss: 2, TrainAcc: 0.3, ValAcc: 0.3}, {TrainLoss: 1.5, TrainAcc: 0.5, ValAcc: 0.5}}, "underfitting"},
		{[]EpochMetrics{{TrainLoss: 2.3, ValAcc: 0.1}, {TrainLoss: nan, ValAcc: 0.1}}, "diverged"},
		{[]EpochMetrics{{TrainLoss: 2.3, ValAcc: 0.1}, {TrainLoss: 2.3, ValAcc: 0.1}}, "not-learning"},
		{[]EpochMetrics{{TrainLoss: 1, TrainAcc: 0.9, ValAcc: nan}, {TrainLoss: 0.5, TrainAcc: 0.95, ValAcc: nan}}, "no-validation"},
		{[]EpochMetrics{{TrainLoss: 1, TrainAcc: 0.9, ValAcc: 0.9}, {TrainLoss: 0.3, TrainAcc: 0.95, ValAcc: 0.93}}, "healthy"},
	} {
		if d := Diagnose(tc.h); d.Kind != tc.want {
			t.Errorf("%v: %s (%s), want %s", tc.h, d.Kind, d.Message, tc.want)
		}
	}
}
