package train_test

import (
	"context"
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
)

// darkOrBright is a toy dataset of n 1×2×2 images: class 0 dark, class 1
// bright, with a little variation.
func darkOrBright(n int) *data.Set {
	s := &data.Set{Classes: []string{"dark", "bright"}, C: 1, H: 2, W: 2}
	for i := range n {
		class := int32(i % 2)
		v := uint8(20 + 7*(i%5))
		if class == 1 {
			v = 235 - v
		}
		s.Images = append(s.Images, v, v+1, v+2, v+3)
		s.Labels = append(s.Labels, class)
	}
	return s
}

// linearNet is a linear classifier for the toy images.
func linearNet() graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 2, "width": 2}},
		{ID: "flat", Op: "flatten", Inputs: []string{"input"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flat"}, Attrs: map[string]float64{"out": 2}},
	}}
}

// A Trainer runs mini-batch training with callbacks per iteration and
// epoch; Evaluate measures a model on a split.
func ExampleTrainer() {
	m, err := nn.Build(linearNet(), nil, cpu.New(), 1, "default")
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := train.Config{Optimizer: "momentum", Optim: optim.Config{LR: 0.5, Momentum: 0.9}, Epochs: 5, Batch: 8, Seed: 1}
	tr, err := train.New(m, darkOrBright(64), darkOrBright(16), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	epochs := 0
	tr.Callbacks.Epoch = func(train.EpochMetrics) { epochs++ }
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, _ := train.Evaluate(context.Background(), m, darkOrBright(20), train.EvalOptions{})
	fmt.Printf("%d epochs, %d iterations; validation accuracy %.2f, test accuracy %.2f\n",
		epochs, res.Iterations, res.History[len(res.History)-1].ValAcc, ev.Acc)
	// Output: 5 epochs, 40 iterations; validation accuracy 1.00, test accuracy 1.00
}

// Search trains several configurations and ranks them by validation
// accuracy; OnTrialStart and OnIteration report progress, and cancelling
// the context stops it.
func ExampleSearch() {
	started := 0
	trials, err := train.Search(context.Background(), train.SearchConfig{
		Base:   train.Config{Optimizer: "sgd", Epochs: 3, Batch: 8, Seed: 1},
		Ranges: map[string]train.Range{"lr": {Lo: 1e-4, Hi: 1, Log: true}},
		Grid:   true, Points: 3, Concurrency: 1,
		Build:        func() (*nn.Model, error) { return nn.Build(linearNet(), nil, cpu.New(), 1, "default") },
		Train:        darkOrBright(64),
		Val:          darkOrBright(16),
		OnTrialStart: func(train.Trial) { started++ },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d trials started; best %s\n", started, trials[0].Describe())
	// Output: 3 trials started; best lr=1
}
