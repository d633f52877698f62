package runs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

func TestATorchrunRunIsRecordedWithItsWeightsAndNote(t *testing.T) {
	p := projects.New("p")
	rec := Begin(p, "", projects.Hyper{Epochs: 1, Seed: 2}, time.Now())
	w := map[string]train.Tensor{"fc.weight": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}}
	tr := &TorchrunResult{Torch: &pytorch.Result{WorldSize: 2, Device: "cpu", TestAcc: 0.5625, Iterations: 7},
		History: []train.EpochMetrics{{Epoch: 1, TrainLoss: 1.5, TrainAcc: 0.4, ValAcc: 0.5}}, Weights: w}
	rec.Torchrun(tr, 2)
	rec.Finish(tr.Result(), nil, time.Now())
	r := p.Run(rec.ID)
	if r.Status != projects.RunFinished || len(r.Epochs) != 1 || r.Device != "torchrun (2 processes, cpu)" {
		t.Fatalf("run %+v", r)
	}
	if !strings.Contains(r.Notes, "56.25% test accuracy") || !strings.Contains(r.Notes, "cannot be continued") {
		t.Fatalf("notes %q", r.Notes)
	}
	ws, _, ok := Weights(p, r)
	if !ok || len(ws["fc.weight"].Data) != 6 {
		t.Fatalf("the run's weights: %v %v", ws, ok)
	}
	if _, err := Newest(p); err != nil {
		t.Fatalf("the run has no last checkpoint: %v", err)
	}
}

func TestTorchrunRefusesWhatTrainPyCannotDoAsAnExportError(t *testing.T) {
	ds := tiny(t, 60)
	g, err := models.Graph("linear", []int{ds.Train.C, ds.Train.H, ds.Train.W}, len(ds.Train.Classes))
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{Hyper: projects.Hyper{Optimizer: "sgd", LR: 0.05, Batch: 20, Epochs: 1, Seed: 3, Schedule: "constant", Augment: []string{"mixup:0.2"}},
		Train: Defaults(projects.TrainSettings{}), Preprocess: data.NormNone}
	pr, err := Prepare(g, ds, s, Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Torchrun(context.Background(), pr, g, TorchrunOptions{Dir: t.TempDir()})
	var ee *ExportError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "mixup") {
		t.Fatalf("mixup under torchrun: %v", err)
	}
}
