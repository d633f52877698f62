package panetest

import (
	"context"
	"sync"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// Sample returns the bundled sample project.
func Sample(t testing.TB) *projects.Project {
	t.Helper()
	p, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Trained returns the sample project with a weight tensor, as after
// training (the weights are zeros: enough for the panes' empty states).
func Trained(t testing.TB) *projects.Project {
	p := Sample(t)
	p.Tensors["weights/conv1.weight"] = projects.Tensor{Shape: []int{32, 1, 3, 3}, Data: make([]float32, 288)}
	return p
}

var (
	sampleOnce sync.Once
	sampleDS   *data.Dataset
	sampleErr  error
)

// SampleData is the bundled sample dataset, loaded once.
func SampleData(t testing.TB) *data.Dataset {
	t.Helper()
	sampleOnce.Do(func() { sampleDS, sampleErr = data.Load(context.Background(), "sample", data.Options{}) })
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleDS
}

var (
	trainedOnce sync.Once
	trainedProj *projects.Project
	trainedErr  error
)

// TrainedSample is the sample project trained for two short epochs on 320
// images of the bundled sample, as the Train pane would leave it: current
// weights, channel-standardisation statistics, and a run whose best
// checkpoint (epoch 1) holds other weights than its last (epoch 2).
func TrainedSample(t testing.TB) *projects.Project {
	t.Helper()
	ds := SampleData(t)
	trainedOnce.Do(func() { trainedProj, trainedErr = trainSample(ds) })
	if trainedErr != nil {
		t.Fatal(trainedErr)
	}
	return trainedProj.Clone()
}

func trainSample(ds *data.Dataset) (*projects.Project, error) {
	p, err := projects.Sample()
	if err != nil {
		return nil, err
	}
	tr := data.BalancedSubset(ds.Train, 320, 1)
	stats, err := data.FitStats(tr, data.NormChannelStd, data.StatsOptions{})
	if err != nil {
		return nil, err
	}
	m, err := nn.Build(p.Graph, []int{tr.C, tr.H, tr.W}, cpu.New(), 1, "default")
	if err != nil {
		return nil, err
	}
	state := func() map[string]projects.Tensor {
		out := map[string]projects.Tensor{}
		for k, v := range m.State() {
			out[k] = projects.Tensor{Shape: append([]int(nil), v.Shape...), Data: append([]float32(nil), v.Data()...)}
		}
		return out
	}
	epoch := func() error {
		tn, err := train.New(m, tr, nil, train.Config{Epochs: 1, Batch: 32, Seed: 1, Stats: stats, Workers: 1})
		if err != nil {
			return err
		}
		_, err = tn.Run(context.Background(), nil)
		return err
	}
	if err := epoch(); err != nil {
		return nil, err
	}
	p.SetGroup("runs/r1/best/weights", state())
	if err := epoch(); err != nil {
		return nil, err
	}
	p.SetGroup(projects.GroupWeights, state())
	p.Runs = append(p.Runs, projects.Run{ID: "r1", Status: projects.RunFinished, Checkpoints: []projects.Checkpoint{
		{Name: train.KindLast, Group: "runs/r1/last", Epoch: 2}, {Name: train.KindBest, Group: "runs/r1/best", Epoch: 1}}})
	p.Dataset.C, p.Dataset.H, p.Dataset.W = tr.C, tr.H, tr.W
	p.Dataset.Classes = tr.Classes
	p.Preprocess.Mode = projects.PreprocessChannelMeanStd
	p.Tensors[projects.TensorPreprocessMean] = projects.Tensor{Shape: []int{tr.C}, Data: stats.Mean}
	p.Tensors[projects.TensorPreprocessStd] = projects.Tensor{Shape: []int{tr.C}, Data: stats.Std}
	return p, nil
}
