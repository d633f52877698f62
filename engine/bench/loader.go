package bench

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The loader workload: how many CIFAR-10 images per second the input
// pipeline delivers (zip read + JPEG decode + flip + crop), set beside how
// many ref-cnn training consumes on the same threads. It has no peer: the
// ratio is loader throughput over training throughput, and above 1 means
// training never waits for data.
func init() {
	Register(Workload{
		Name:           "loader",
		Summary:        "CIFAR-10 zip decode + flip + crop, against ref-cnn training consumption",
		Unit:           "images/s",
		HigherIsBetter: true,
		Ours:           runLoader,
		Compare: func(ours Result, _ *Result) Comparison {
			train, _ := ours.Fields["train_images_per_sec"].(float64)
			// There is no peer process: the figure set beside ours is
			// training's consumption, so the done fields say so.
			c := Comparison{Ours: ours.Value, Fields: map[string]any{"train_images_per_sec": train}}
			if train > 0 {
				c.Peer, c.Ratio = train, ours.Value/train
				c.Fields["peer"], c.Fields["ratio"], c.Fields["against"] = train, c.Ratio, "ref-cnn training"
			}
			return c
		},
	})
}

func runLoader(ctx context.Context, o Options) (Result, error) {
	ips, err := data.BenchLoader(ctx, "", o.Threads)
	if err != nil {
		return Result{}, err
	}
	o.Logf("loader: %.0f images/s decoded, flipped and cropped", ips)
	train, err := refCNNThroughput(ctx, []int{3, 32, 32}, 10, 3*time.Second, o.Seed)
	if err != nil {
		return Result{}, err
	}
	o.Logf("loader: ref-cnn training consumes %.0f images/s", train)
	return Result{Value: ips, Fields: map[string]any{"train_images_per_sec": train}}, nil
}

// refCNNThroughput times ref-cnn training steps (forward, backward, Adam)
// at batch 64 on random images for about d, after two warm-up steps.
func refCNNThroughput(ctx context.Context, input []int, classes int, d time.Duration, seed int64) (float64, error) {
	b := cpu.New()
	g, err := models.Graph("ref-cnn", input, classes)
	if err != nil {
		return 0, err
	}
	m, err := nn.Build(g, input, b, uint64(seed), "default")
	if err != nil {
		return 0, err
	}
	opt, err := optim.New("adam", optim.Config{LR: 1e-3})
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	const batch = 64
	n := tensor.Numel(input)
	x := make([]float32, batch*n)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int32, batch)
	for i := range y {
		y[i] = int32(i % classes)
	}
	xt := tensor.FromData(b, x, append([]int{batch}, input...)...)
	tgt := autograd.OneHot(b, y, classes, 0)
	step := func() error {
		out := m.Forward(&nn.Ctx{Training: true}, autograd.Const(xt))
		autograd.CrossEntropy(out, tgt).Backward()
		return opt.Step(m.Params)
	}
	for range 2 {
		if err := step(); err != nil {
			return 0, err
		}
	}
	start, steps := time.Now(), 0
	for time.Since(start) < d || steps < 3 {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := step(); err != nil {
			return 0, err
		}
		steps++
	}
	return float64(steps*batch) / time.Since(start).Seconds(), nil
}
