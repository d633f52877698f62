package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
)

// The ref-cnn workload: one training epoch of the reference CNN (models
// "ref-cnn") on Fashion-MNIST, batch 64, Adam at lr 1e-3, pixels scaled to
// [0, 1], ours (engine/train) against the same model, optimizer, batch and
// threads in PyTorch. The headline is training images per second over the
// epoch (data loading and evaluation excluded on both sides); both sides
// then report their test accuracy (evaluated in batches of 64 too), and
// the harness their peak memory.
//
// Our side writes where it found Fashion-MNIST into the shared folder, and
// the peer reads the same IDX files with NumPy.
func init() {
	Register(Workload{
		Name:           "ref-cnn",
		Summary:        "one training epoch of ref-cnn on Fashion-MNIST (batch 64, Adam 1e-3)",
		Unit:           "images/s",
		HigherIsBetter: true,
		Devices:        []string{"cpu", "gl"},
		Validate:       validateRefCNN,
		Ours:           offMainThread(refCNN),
		Peers:          []Peer{{Name: "pytorch", Script: "refcnn_torch.py", Modules: []string{"torch", "numpy"}}},
		Compare:        compareRefCNN,
	})
}

// refCNN's fixed settings, shared with peers/refcnn_torch.py.
const (
	refCNNBatch = 64
	refCNNLR    = 1e-3
	refCNNFile  = "refcnn-data.json" // in Options.Dir: what our side used
)

// refCNNData is what our side tells the peer about the data.
type refCNNData struct {
	Dir        string `json:"dir"` // the IDX folder
	LimitTrain int    `json:"limit_train"`
	LimitTest  int    `json:"limit_test"`
}

// refCNNLimits reads the optional Params "limit-train" and "limit-test"
// (a smaller run for tests; 0 or absent: the whole split).
func refCNNLimits(o Options) (train, test int, err error) {
	get := func(name string) (int, error) {
		s, ok := o.Params[name]
		if !ok || s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: ref-cnn %s %q must be a whole number of images, 0 or more", ErrUsage, name, s)
		}
		return n, nil
	}
	if train, err = get("limit-train"); err != nil {
		return
	}
	test, err = get("limit-test")
	return
}

func validateRefCNN(o Options) error {
	_, _, err := refCNNLimits(o)
	return err
}

// offMainThread runs a workload's own side on a fresh goroutine. The
// workbench binary links Fyne, whose init locks the main goroutine to the
// main thread; every wake-up of a locked goroutine (after each parallel
// kernel, each batch received) must hand its processor over to that one
// thread. A fresh goroutine has no such tie.
func offMainThread(run func(context.Context, Options) (Result, error)) func(context.Context, Options) (Result, error) {
	return func(ctx context.Context, o Options) (Result, error) {
		type out struct {
			r   Result
			err error
		}
		ch := make(chan out, 1)
		go func() {
			r, err := run(ctx, o)
			ch <- out{r, err}
		}()
		res := <-ch
		return res.r, res.err
	}
}

func refCNN(ctx context.Context, o Options) (Result, error) {
	limTrain, limTest, err := refCNNLimits(o)
	if err != nil {
		return Result{}, err
	}
	train.SetThreads(o.Threads)
	cpu.SetThreads(o.Threads)
	dir, err := data.Locate(data.SpecFashionMNIST)
	if err != nil {
		return Result{}, err
	}
	ds, err := data.Load(ctx, data.SpecFashionMNIST, data.Options{LimitTrain: limTrain, LimitTest: limTest, Seed: o.Seed, Threads: o.Threads})
	if err != nil {
		return Result{}, err
	}
	// Decoding left tens of MB of scratch; collect it now so that
	// training's buffers reuse those pages instead of growing the heap.
	runtime.GC()
	if o.Dir != "" {
		js, _ := json.Marshal(refCNNData{Dir: dir, LimitTrain: limTrain, LimitTest: limTest})
		if err := os.WriteFile(filepath.Join(o.Dir, refCNNFile), js, 0o644); err != nil {
			return Result{}, err
		}
	}
	input := []int{ds.Train.C, ds.Train.H, ds.Train.W}
	g, err := models.Graph("ref-cnn", input, len(ds.Train.Classes))
	if err != nil {
		return Result{}, err
	}
	dev, err := openDevice(o.Device)
	if err != nil {
		return Result{}, err
	}
	m, err := nn.Build(g, input, dev, uint64(o.Seed), "default")
	if err != nil {
		return Result{}, err
	}
	tr, err := train.New(m, ds.Train, nil, train.Config{Optimizer: "adam", Optim: optim.Config{LR: refCNNLR},
		Epochs: 1, Batch: refCNNBatch, Seed: o.Seed, Workers: o.Threads})
	if err != nil {
		return Result{}, err
	}
	o.Logf("ref-cnn: ours trains one epoch of %d images on %d threads (%s)", ds.Train.Len(), o.Threads, m.B.Describe())
	start, cpu0 := time.Now(), cpuTime()
	res, err := tr.Run(ctx, nil)
	if err != nil {
		return Result{}, err
	}
	epoch, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	ev, err := train.Evaluate(ctx, m, ds.Test, train.EvalOptions{Batch: refCNNBatch, Misclassified: -1})
	if err != nil {
		return Result{}, err
	}
	h := res.History[len(res.History)-1]
	o.Logf("ref-cnn: ours %.0f images/s, train loss %.4f, test accuracy %.2f%%", res.TrainImagesPerSec, h.TrainLoss, 100*ev.Acc)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Result{Value: res.TrainImagesPerSec, Fields: map[string]any{
		"acc": ev.Acc, "train_loss": h.TrainLoss, "train_acc": h.TrainAcc, "epoch_seconds": epoch,
		"epoch_cpu_seconds": cpu,
		"images":            ds.Train.Len(), "test_images": ds.Test.Len(), "backend": m.B.Describe(),
		"gc_cycles": ms.NumGC, "heap_sys": ms.HeapSys, "threads": o.Threads,
	}}, nil
}

// compareRefCNN is the default images/s ratio plus both accuracies and
// the processor-time figures: cpu_ours and cpu_peer are threads x images /
// processor seconds of the epoch, an estimate of images/s on an idle
// machine that other programs' load barely moves (a peer whose threads
// spin while waiting pays for it here), and cpu_ratio their ratio.
func compareRefCNN(ours Result, peer *Result) Comparison {
	c := Comparison{Ours: ours.Value, Fields: map[string]any{"acc_ours": ours.Fields["acc"]}}
	cpuRate := func(r *Result, threads any) (float64, bool) {
		cpu, _ := r.Fields["epoch_cpu_seconds"].(float64)
		n, _ := r.Fields["images"].(float64)
		t, _ := threads.(float64)
		if !(cpu > 0) || !(n > 0) || !(t > 0) {
			return 0, false
		}
		return t * n / cpu, true
	}
	co, okOurs := cpuRate(&ours, ours.Fields["threads"])
	if okOurs {
		c.Fields["cpu_ours"] = co
	}
	if peer != nil {
		c.Peer = peer.Value
		if peer.Value > 0 {
			c.Ratio = ours.Value / peer.Value
		}
		c.Fields["acc_peer"] = peer.Fields["acc"]
		if cp, ok := cpuRate(peer, peer.Fields["threads"]); ok {
			c.Fields["cpu_peer"] = cp
			if okOurs {
				c.Fields["cpu_ratio"] = co / cp
			}
		}
		if v, ok := peer.Fields["torch"]; ok {
			c.Fields["peer_version"] = "torch " + fmt.Sprint(v)
		}
	}
	return c
}
