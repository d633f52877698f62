package train

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

func TestSearchHooksReportEveryTrialAndIteration(t *testing.T) {
	ds := sample(t)
	small := data.BalancedSubset(ds.Train, 100, 1)
	var mu sync.Mutex
	started, iters := map[int]bool{}, map[int]int{}
	sc := SearchConfig{
		Base:   Config{Epochs: 1, Batch: 25, Seed: 1, Optimizer: "momentum", Optim: optim.Config{Momentum: 0.9}},
		Ranges: map[string]Range{"lr": {Lo: 1e-3, Hi: 1e-2, Log: true}, "momentum": {Lo: 0.5, Hi: 0.9}},
		Grid:   true, Points: 2, Concurrency: 2,
		Build: func() (*nn.Model, error) { return nn.Build(smallCNN(10), nil, cpu.New(), 1, "default") },
		Train: small, Val: data.BalancedSubset(ds.Val, 50, 1),
		OnTrialStart: func(tr Trial) {
			mu.Lock()
			started[tr.Index] = tr.Params["lr"] > 0
			mu.Unlock()
		},
		OnIteration: func(i int, it IterationInfo) {
			mu.Lock()
			iters[i]++
			mu.Unlock()
		},
	}
	trials, err := Search(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(trials) != 4 || len(started) != 4 {
		t.Fatalf("%d trials, %d started", len(trials), len(started))
	}
	for i := range 4 {
		if !started[i] || iters[i] != 4 {
			t.Fatalf("trial %d: started %v with params, %d iterations (want 4)", i, started[i], iters[i])
		}
	}
	// The momentum range is applied, not only the rate.
	if trials[0].Params["momentum"] == 0 {
		t.Fatalf("trial params %v", trials[0].Params)
	}
}

func TestSearchCancelsFromAHookAndSurvivesAPanic(t *testing.T) {
	ds := sample(t)
	small := data.BalancedSubset(ds.Train, 100, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	builds := 0
	sc := SearchConfig{
		Base:   Config{Epochs: 3, Batch: 25, Seed: 1, Optimizer: "sgd"},
		Ranges: map[string]Range{"lr": {Lo: 1e-3, Hi: 1e-2, Log: true}},
		Trials: 3, Concurrency: 1,
		Build: func() (*nn.Model, error) {
			builds++
			if builds == 1 {
				panic("a broken layer")
			}
			return nn.Build(smallCNN(10), nil, cpu.New(), 1, "default")
		},
		Train: small, Val: data.BalancedSubset(ds.Val, 50, 1),
		OnIteration: func(i int, it IterationInfo) {
			if it.Iteration == 2 {
				cancel()
			}
		},
	}
	trials, err := Search(ctx, sc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Search = %v, want context.Canceled", err)
	}
	var panicked, cancelled int
	for _, tr := range trials {
		switch {
		case tr.Err != nil && strings.Contains(tr.Err.Error(), "a broken layer"):
			panicked++
		case errors.Is(tr.Err, context.Canceled):
			cancelled++
		}
	}
	if panicked != 1 || cancelled != 2 {
		t.Fatalf("%d trials failed by the panic, %d cancelled: %+v", panicked, cancelled, trials)
	}
}

func TestGridSearchRefusesMoreThanMaxGridPoints(t *testing.T) {
	sc := SearchConfig{Grid: true, Points: 101, Ranges: map[string]Range{"lr": {Lo: 1e-3, Hi: 1e-2}, "momentum": {Lo: 0, Hi: 0.9}}}
	if _, err := sc.Configs(); err == nil || !strings.Contains(err.Error(), "more than 10000 points") {
		t.Fatalf("Configs = %v", err)
	}
}
