package projects

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// FormatVersion is the newest project format this package reads, and the one
// it writes.
const FormatVersion = 3

// Extension is the file name extension of project files.
const Extension = ".wbproj"

// Project is everything a project file holds. The zero value is usable; [New]
// fills in the version, times and an empty tensor map.
//
// A Project is plain data and is not safe for concurrent use: a goroutine that
// saves while another trains must save a [Project.Clone].
type Project struct {
	// FormatVersion is the format the project was read as. Open returns
	// projects migrated to the current FormatVersion; Save always writes the
	// current one, whatever this field says.
	FormatVersion int `json:"format_version"`
	// Name is the project's human name (not the file name).
	Name string `json:"name"`
	// Created and Modified are stored in UTC; Open returns them in UTC.
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`

	Dataset    DatasetRef  `json:"dataset"`
	Preprocess Preprocess  `json:"preprocess"`
	Graph      graph.Graph `json:"graph"`
	Hyper      Hyper       `json:"hyper"`
	// Train holds the training settings Hyper has no field for (format 2;
	// format 1 kept them in Inspect under "train.*").
	Train   TrainSettings `json:"train"`
	Runs    []Run         `json:"runs,omitempty"`
	Inspect Inspect       `json:"inspect"`
	// Results are the app's other computed results (format 3).
	Results Results `json:"results"`

	// Tensors are stored in tensors.safetensors, not in the manifest. Names
	// are slash-separated paths such as "weights/conv1.weight",
	// "optim/conv1.weight.m", "preprocess/mean" or
	// "runs/<run id>/best/weights/conv1.weight"; see [ValidTensorName].
	Tensors map[string]Tensor `json:"-"`
}

// DatasetRef says which dataset the project trains on and how it is cut. The
// data itself is never stored in the project.
type DatasetRef struct {
	// Spec is what engine/data.Load takes: "sample", "fashion-mnist",
	// "mnist", "cifar10" or a path to a dataset file or folder.
	Spec       string `json:"spec"`
	LimitTrain int    `json:"limit_train,omitempty"`
	LimitTest  int    `json:"limit_test,omitempty"`
	Val        int    `json:"val,omitempty"`
	// C, H and W are the input shape seen when the project last loaded the
	// dataset; zero when unknown.
	C       int      `json:"c,omitempty"`
	H       int      `json:"h,omitempty"`
	W       int      `json:"w,omitempty"`
	Classes []string `json:"classes,omitempty"`
}

// Preprocessing modes.
const (
	PreprocessNone           = "none"
	PreprocessMeanImage      = "mean-image"      // subtract the mean image (C×H×W)
	PreprocessChannelMean    = "channel-mean"    // subtract the per-channel mean (C)
	PreprocessChannelMeanStd = "channel-meanstd" // subtract the channel mean, divide by the channel std (C)
	PreprocessPCAWhiten      = "pca-whiten"      // project on principal components and scale to unit variance
)

// PreprocessModes lists the valid Preprocess.Mode values.
var PreprocessModes = []string{PreprocessNone, PreprocessMeanImage, PreprocessChannelMean,
	PreprocessChannelMeanStd, PreprocessPCAWhiten}

// Names of the tensors that hold the preprocessing statistics. Which of them
// exist depends on the mode; they are absent until the statistics have been
// computed from the training split.
const (
	TensorPreprocessMean = "preprocess/mean" // shape [C,H,W] for mean-image, [C] for channel modes, [D] for pca-whiten
	TensorPreprocessStd  = "preprocess/std"  // shape [C]
	// TensorPreprocessPCA holds the principal components as rows, [K,D].
	TensorPreprocessPCA = "preprocess/pca_components"
	// TensorPreprocessPCAScale holds 1/sqrt(eigenvalue+epsilon) per component, [K].
	TensorPreprocessPCAScale = "preprocess/pca_scale"
)

// Preprocess is how images are normalised before they reach the network.
type Preprocess struct {
	// Mode is one of PreprocessModes; "" reads as "none".
	Mode string `json:"mode"`
	// Epsilon regularises the whitening (pca-whiten) or the std division.
	Epsilon float64 `json:"epsilon,omitempty"`
	// Components is the number of principal components kept by pca-whiten
	// (0 means all).
	Components int `json:"components,omitempty"`
	// Resize says how an image of another size is brought to the input
	// size (predict on image files): "" or "crop" covers the input and
	// keeps the centre, "stretch" scales width and height apart (Keras'
	// load_img; imported Keras models).
	Resize string `json:"resize,omitempty"`
	// Source says where the preprocessing of an imported model comes from
	// and how it was mapped (e.g. Keras' "caffe" mode).
	Source string `json:"source,omitempty"`
}

// Hyper holds the training hyper-parameters.
type Hyper struct {
	// Optimizer is e.g. "sgd", "momentum", "nesterov", "adagrad", "rmsprop",
	// "adam", "adamw".
	Optimizer   string  `json:"optimizer"`
	LR          float64 `json:"lr"`
	Momentum    float64 `json:"momentum,omitempty"`
	WeightDecay float64 `json:"weight_decay,omitempty"`
	// Schedule is e.g. "constant", "step", "cosine", "exp".
	Schedule string `json:"schedule,omitempty"`
	// Warmup is the number of warm-up epochs.
	Warmup  int      `json:"warmup,omitempty"`
	Batch   int      `json:"batch"`
	Epochs  int      `json:"epochs"`
	Augment []string `json:"augment,omitempty"`
	Seed    int64    `json:"seed"`
}

// AdversarialTraining records how a run attacked its training batches
// (engine/train's Adversarial): the method ("pgd" or "fgsm"), the L∞
// radius in 0–1 pixel units, PGD's steps and step size (0: the defaults),
// and the epochs over which epsilon grew from 0.
type AdversarialTraining struct {
	Method   string  `json:"method"`
	Eps      float64 `json:"eps"`
	Steps    int     `json:"steps,omitempty"`
	StepSize float64 `json:"step_size,omitempty"`
	Ramp     int     `json:"ramp,omitempty"`
}

// Run statuses.
const (
	RunRunning  = "running"
	RunFinished = "finished"
	RunStopped  = "stopped" // cancelled by the user
	RunFailed   = "failed"
)

// MaxLosses bounds the per-iteration losses a run keeps; see [Run.AddLoss].
const MaxLosses = 4096

// Run is one training run in the project's history.
type Run struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	// Status is one of RunRunning, RunFinished, RunStopped, RunFailed. A run
	// read back as "running" was interrupted.
	Status string `json:"status"`
	// Device is the compute device, e.g. "cpu" or the OpenGL renderer.
	Device string `json:"device,omitempty"`
	// Hyper is a copy of the hyper-parameters the run used.
	Hyper Hyper `json:"hyper"`
	// Adversarial, when set, says the run trained on attacked batches
	// (adversarial training): its training loss and accuracy are on those.
	Adversarial *AdversarialTraining `json:"adversarial,omitempty"`
	Epochs      []EpochMetrics       `json:"epochs,omitempty"`
	// Losses are per-iteration training losses, thinned so that there are
	// never more than MaxLosses: Losses[i] is the loss of iteration
	// i*LossEvery (0-based). Use AddLoss to append.
	Losses    []float32 `json:"losses,omitempty"`
	LossEvery int       `json:"loss_every,omitempty"`
	// Iterations counts the iterations passed to AddLoss.
	Iterations int `json:"iterations,omitempty"`
	// TestAcc and TestLoss are set once the run has been evaluated on the
	// test split (Tested).
	Tested   bool    `json:"tested,omitempty"`
	TestAcc  float64 `json:"test_acc,omitempty"`
	TestLoss float64 `json:"test_loss,omitempty"`
	Notes    string  `json:"notes,omitempty"`
	// Checkpoints name the tensor groups saved by this run.
	Checkpoints []Checkpoint `json:"checkpoints,omitempty"`
	// Layers are the layer statistics of the run's last sample, taken at
	// iteration LayersAt (see LayerStat).
	Layers   []LayerStat `json:"layers,omitempty"`
	LayersAt int         `json:"layers_at,omitempty"`
	// Snapshots are the weights after some of its epochs, thinned to
	// every SnapshotEvery-th (see AddSnapshot).
	Snapshots     []Snapshot `json:"snapshots,omitempty"`
	SnapshotEvery int        `json:"snapshot_every,omitempty"`
}

// EpochMetrics are the figures of one epoch. Values may be NaN or ±Inf (a
// diverging run); the manifest stores those as the strings "NaN", "+Inf" and
// "-Inf".
type EpochMetrics struct {
	Epoch        int     `json:"epoch"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
	ImagesPerSec float64 `json:"images_per_sec"`
	Seconds      float64 `json:"seconds"`
}

// Checkpoint names a group of tensors saved by a run: every tensor whose name
// starts with Group+"/" (see [Project.Group]).
type Checkpoint struct {
	// Name is e.g. "best" or "last".
	Name string `json:"name"`
	// Group is the tensor name prefix, e.g. "runs/r3/best" (see RunGroup).
	Group string `json:"group"`
	// Epoch is the epoch (1-based) after which it was taken.
	Epoch int `json:"epoch"`
}

// Inspect holds the settings of the inspection panes (chosen layer, class,
// method, strength...), keyed by "pane.setting".
type Inspect struct {
	Strings map[string]string  `json:"strings,omitempty"`
	Numbers map[string]float64 `json:"numbers,omitempty"`
}

// Tensor is a dense float32 array in row-major order; len(Data) equals the
// product of Shape (1 for an empty Shape, a scalar). It is the engine's host
// tensor ([tensor.Host], also engine/train's Tensor), so weights and
// checkpoints pass between the engine and a project without copies.
type Tensor = tensor.Host

// Tensor group prefixes.
const (
	GroupWeights    = "weights"
	GroupOptim      = "optim"
	GroupPreprocess = "preprocess"
)

// RunGroup returns the tensor group prefix for checkpoint name of run id,
// "runs/<id>/<name>".
func RunGroup(id, name string) string { return "runs/" + id + "/" + name }

// New returns an empty project of the current format named name, created now.
func New(name string) *Project {
	now := time.Now().UTC().Round(0)
	return &Project{
		FormatVersion: FormatVersion,
		Name:          name,
		Created:       now,
		Modified:      now,
		Preprocess:    Preprocess{Mode: PreprocessNone},
		Tensors:       map[string]Tensor{},
	}
}

// Clone returns a deep copy of p, tensors included, safe to save from another
// goroutine while p changes.
func (p *Project) Clone() *Project {
	q := *p
	q.Dataset.Classes = slices.Clone(p.Dataset.Classes)
	q.Graph = cloneGraph(p.Graph)
	q.Hyper = p.Hyper.clone()
	q.Train = p.Train.clone()
	if p.Runs != nil {
		q.Runs = make([]Run, len(p.Runs))
		for i, r := range p.Runs {
			r.Hyper = r.Hyper.clone()
			if r.Adversarial != nil {
				a := *r.Adversarial
				r.Adversarial = &a
			}
			r.Epochs = slices.Clone(r.Epochs)
			r.Losses = slices.Clone(r.Losses)
			r.Checkpoints = slices.Clone(r.Checkpoints)
			r.Layers = slices.Clone(r.Layers)
			r.Snapshots = slices.Clone(r.Snapshots)
			q.Runs[i] = r
		}
	}
	q.Results = p.Results.clone()
	q.Inspect.Strings = maps.Clone(p.Inspect.Strings)
	q.Inspect.Numbers = maps.Clone(p.Inspect.Numbers)
	if p.Tensors != nil {
		q.Tensors = make(map[string]Tensor, len(p.Tensors))
		for k, t := range p.Tensors {
			q.Tensors[k] = t.Clone()
		}
	}
	return &q
}

func (h Hyper) clone() Hyper {
	h.Augment = slices.Clone(h.Augment)
	return h
}

func cloneGraph(g graph.Graph) graph.Graph {
	out := graph.Graph{Blocks: slices.Clone(g.Blocks)}
	if g.Nodes != nil {
		out.Nodes = make([]graph.Node, len(g.Nodes))
		for i, n := range g.Nodes {
			n.Inputs = slices.Clone(n.Inputs)
			n.Attrs = maps.Clone(n.Attrs)
			out.Nodes[i] = n
		}
	}
	return out
}

// Group returns the tensors whose names start with prefix+"/", keyed by the
// rest of the name. The tensors share memory with p.
func (p *Project) Group(prefix string) map[string]Tensor {
	pre := strings.TrimSuffix(prefix, "/") + "/"
	out := map[string]Tensor{}
	for k, t := range p.Tensors {
		if rest, ok := strings.CutPrefix(k, pre); ok {
			out[rest] = t
		}
	}
	return out
}

// SetGroup replaces every tensor under prefix with ts (names relative to the
// prefix).
func (p *Project) SetGroup(prefix string, ts map[string]Tensor) {
	p.DeleteGroup(prefix)
	if p.Tensors == nil {
		p.Tensors = make(map[string]Tensor, len(ts))
	}
	pre := strings.TrimSuffix(prefix, "/") + "/"
	for k, t := range ts {
		p.Tensors[pre+k] = t
	}
}

// DeleteGroup removes every tensor under prefix.
func (p *Project) DeleteGroup(prefix string) {
	pre := strings.TrimSuffix(prefix, "/") + "/"
	for k := range p.Tensors {
		if strings.HasPrefix(k, pre) {
			delete(p.Tensors, k)
		}
	}
}

// Run returns the run with the given ID, or nil.
func (p *Project) Run(id string) *Run {
	for i := range p.Runs {
		if p.Runs[i].ID == id {
			return &p.Runs[i]
		}
	}
	return nil
}

// DeleteRun removes the run with the given ID and the tensors of its
// checkpoints. It reports whether the run existed.
func (p *Project) DeleteRun(id string) bool {
	for i := range p.Runs {
		if p.Runs[i].ID == id {
			for _, c := range p.Runs[i].Checkpoints {
				p.DeleteGroup(c.Group)
			}
			p.DeleteGroup("runs/" + id)
			p.Runs = slices.Delete(p.Runs, i, i+1)
			return true
		}
	}
	return false
}

// TensorNames returns the tensor names in sorted order.
func (p *Project) TensorNames() []string {
	names := make([]string, 0, len(p.Tensors))
	for k := range p.Tensors {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// AddLoss records the loss of the next iteration. It keeps at most MaxLosses
// values: when full, it drops every other value and records half as often, so
// the history always spans the whole run at an even stride (LossEvery).
func (r *Run) AddLoss(loss float32) {
	if r.LossEvery < 1 {
		r.LossEvery = 1
	}
	it := r.Iterations
	r.Iterations++
	if it%r.LossEvery != 0 {
		return
	}
	if len(r.Losses) >= MaxLosses {
		kept := r.Losses[:0]
		for i := 0; i < len(r.Losses); i += 2 {
			kept = append(kept, r.Losses[i])
		}
		r.Losses = kept
		r.LossEvery *= 2
		if it%r.LossEvery != 0 {
			return
		}
	}
	r.Losses = append(r.Losses, loss)
}
