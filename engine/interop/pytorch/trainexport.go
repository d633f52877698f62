package pytorch

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/train"
)

//go:embed train.py
var trainScript string

// TrainScript is the generated train.py (the same for every model: it
// reads train.json and imports model.py).
func TrainScript() string { return trainScript }

// supportedAugment lists the augmentations train.py reproduces.
var supportedAugment = map[string]bool{"hflip": true, "vflip": true, "crop": true, "translate": true}

// trainJSON is train.json: everything train.py needs besides the model,
// the weights and the data. The embedded parts share one JSON object.
type trainJSON struct {
	runJSON
	optimJSON
	decayJSON
	scheduleJSON
}

type runJSON struct {
	Epochs         int         `json:"epochs"`
	Batch          int         `json:"batch"`
	Seed           int64       `json:"seed"`
	Loss           string      `json:"loss"`
	LabelSmoothing float64     `json:"label_smoothing"`
	Augment        []string    `json:"augment"`
	Stats          *data.Stats `json:"stats"`
	Classes        []string    `json:"classes"`
}

type optimJSON struct {
	Optimizer string  `json:"optimizer"`
	LR        float64 `json:"lr"`
	Momentum  float64 `json:"momentum"`
	Beta1     float64 `json:"beta1"`
	Beta2     float64 `json:"beta2"`
	Alpha     float64 `json:"alpha"`
	Centered  bool    `json:"centered"`
	Eps       float64 `json:"eps"`
}

// decayJSON says which parameters decay, which stay frozen (PyTorch names)
// and how gradients are clipped.
type decayJSON struct {
	WeightDecay float64  `json:"weight_decay"`
	DecayAll    bool     `json:"decay_all"`
	DecayParams []string `json:"decay_params"`
	Frozen      []string `json:"frozen"`
	ClipNorm    float64  `json:"clip_norm"`
	ClipValue   float64  `json:"clip_value"`
}

type scheduleJSON struct {
	Schedule     string  `json:"schedule"`
	WarmupEpochs int     `json:"warmup_epochs"`
	StepEvery    int     `json:"step_every_epochs"`
	Gamma        float64 `json:"gamma"`
	MinLR        float64 `json:"min_lr"`
}

// Splits are the data a training export carries; Val and Test may be nil.
type Splits struct{ Train, Val, Test *data.Set }

// ExportTraining writes model.py, weights.npz (the starting weights),
// train.py, train.json and data.npz (uint8 pixels and labels of each split)
// into dir, for training under torchrun. Settings train.py cannot
// reproduce (an augmentation without a PyTorch version, mixup) are refused.
func ExportTraining(dir string, g graph.Graph, input []int, state map[string]*tensor.Tensor, cfg train.Config, sp Splits, header string) ([]string, error) {
	if sp.Train == nil || sp.Train.Len() == 0 {
		return nil, fmt.Errorf("the training split is empty: load a dataset before exporting a training run")
	}
	files, mod, err := ExportModel(dir, g, input, state, header)
	if err != nil {
		return nil, err
	}
	tj, err := trainConfig(g, input, cfg, mod)
	if err != nil {
		return nil, err
	}
	tj.Classes = sp.Train.Classes
	js, err := json.MarshalIndent(tj, "", "  ")
	if err != nil {
		return nil, err
	}
	paths := map[string]string{"train.py": trainScript, "train.json": string(js) + "\n"}
	for _, name := range []string{"train.py", "train.json"} {
		p := filepath.Join(dir, name)
		if err := writeTextAtomic(p, paths[name]); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	dataPath := filepath.Join(dir, "data.npz")
	if err := writeSplits(dataPath, sp); err != nil {
		return nil, err
	}
	return append(files, dataPath), nil
}

func trainConfig(g graph.Graph, input []int, cfg train.Config, mod *Module) (*trainJSON, error) {
	if cfg.Augment != nil && cfg.Augment.Mixup > 0 {
		return nil, fmt.Errorf("mixup has no PyTorch version in train.py: train without it or on this machine")
	}
	aug := []string{}
	if cfg.Augment != nil {
		var bad []string
		for _, op := range cfg.Augment.Ops {
			name := op.Name()
			if !supportedAugment[strings.SplitN(name, ":", 2)[0]] {
				bad = append(bad, name)
			}
			aug = append(aug, name)
		}
		if len(bad) > 0 {
			return nil, fmt.Errorf("augmentation %s has no PyTorch version in train.py (it has flips, crop and translate): train without it or on this machine", strings.Join(bad, ", "))
		}
	}
	o := cfg.Optim
	opt := strings.ToLower(cfg.Optimizer)
	if opt == "" {
		opt = "adam"
	}
	tj := &trainJSON{
		runJSON: runJSON{Epochs: orInt(cfg.Epochs, 10), Batch: orInt(cfg.Batch, 64), Seed: cfg.Seed, Loss: cfg.Loss,
			LabelSmoothing: float64(cfg.LabelSmoothing), Augment: aug, Stats: cfg.Stats},
		optimJSON: optimJSON{Optimizer: opt, LR: float64(o.LR), Momentum: float64(o.Momentum), Beta1: orF(o.Beta1, 0.9),
			Beta2: orF(o.Beta2, 0.999), Alpha: orF(o.Alpha, 0.99), Centered: o.Centered, Eps: orF(o.Eps, 1e-8)},
		decayJSON: decayJSON{WeightDecay: float64(o.WeightDecay), DecayAll: o.DecayAll, DecayParams: []string{},
			Frozen: []string{}, ClipNorm: float64(o.ClipNorm), ClipValue: float64(o.ClipValue)},
		scheduleJSON: scheduleJSON{Schedule: cfg.Schedule, WarmupEpochs: cfg.Warmup, StepEvery: cfg.StepEvery,
			Gamma: orF(cfg.Gamma, 0.1), MinLR: float64(cfg.MinLR)}}
	if tj.Schedule == "" {
		tj.Schedule = "constant"
	}
	if tj.Loss == "" {
		tj.Loss = train.LossSoftmax
	}
	if tj.LR == 0 {
		tj.LR = map[string]float64{"adam": 1e-3, "adamw": 1e-3}[opt]
		if tj.LR == 0 {
			tj.LR = 0.01
		}
	}
	if (opt == "momentum" || opt == "nesterov") && tj.Momentum == 0 {
		tj.Momentum = 0.9
	}
	if opt == "adagrad" && o.Eps == 0 {
		tj.Eps = 1e-10
	}
	a := nn.Analyze(g, input)
	torchName := map[string]string{}
	for tn, wb := range mod.State {
		torchName[wb] = tn
	}
	frozen := map[string]bool{}
	for _, id := range cfg.Freeze {
		frozen[id] = true
	}
	for _, id := range a.Order {
		n := g.Find(id)
		op, ok := nn.Lookup(n.Op)
		if !ok || op.Params == nil {
			continue
		}
		for _, ps := range op.Params(n, a.Nodes[id].In) {
			tn := torchName[id+"."+ps.Name]
			if ps.Decay {
				tj.DecayParams = append(tj.DecayParams, tn)
			}
			if frozen[id] {
				tj.Frozen = append(tj.Frozen, tn)
			}
		}
	}
	return tj, nil
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orF(v float32, def float64) float64 {
	if v == 0 {
		return def
	}
	return float64(v)
}

// writeSplits stores each split's uint8 pixels (N x C x H x W) and labels.
func writeSplits(path string, sp Splits) error {
	arrays := map[string]*npy.Array{}
	for name, s := range map[string]*data.Set{"train": sp.Train, "val": sp.Val, "test": sp.Test} {
		if s == nil || s.Len() == 0 {
			continue
		}
		labels := make([]int64, len(s.Labels))
		for i, l := range s.Labels {
			labels[i] = int64(l)
		}
		arrays["x_"+name] = npy.FromUint8([]int{s.Len(), s.C, s.H, s.W}, s.Images)
		arrays["y_"+name] = npy.FromInt64([]int{s.Len()}, labels)
	}
	return writeFileAtomic(path, func(f *os.File) error { return npy.WriteNPZ(f, arrays, false) })
}
