package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

func init() {
	register(Command{
		Name:    "train",
		Summary: "train a model (zoo or project) on a dataset; save and resume runs in a project file",
		Usage: `workbench train [--project FILE | --model NAME] [--data D] [--epochs E] [--batch B]
                [--optim NAME] [--lr X] [--weight-decay X] [--schedule NAME] [--warmup N]
                [--augment LIST] [--save FILE] [--resume FILE] [flags]

Trains with softmax cross-entropy (or --loss svm) and reports, per epoch, the
training and validation loss and accuracy, images per second and seconds
(JSON event "epoch"), then evaluates the test split ("done": test_acc,
test_loss, train_images_per_sec, epochs, device, params).

The model is a zoo model (--model, default ref-cnn) adapted to the dataset's
image size and classes, or the architecture of a project (--project). Pixels
are scaled to [0,1] and, by default, standardised per channel with the
training split's mean and standard deviation (--preprocess). The
validation split (--val N) drives the best-validation checkpoint and
--patience.

--save FILE writes a project file with the architecture, the weights, the
optimizer state, the preprocessing statistics and the run's history, and
keeps it current during training (at the start, every --checkpoint-every
iterations or --checkpoint-seconds, after every epoch). --resume FILE
continues the last run saved in FILE exactly where its last checkpoint left
it: same seed, same data order, same augmentation, same schedule position, so
the final weights equal those of an uninterrupted run (bit for bit on cpu).
Only --epochs may change when resuming (to train longer).

A loss that becomes NaN, or explodes past 1000 times its first value, stops
the run with a message; the project keeps the last good checkpoint.

Optimizers: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw (default
learning rates: adam/adamw 0.001, the others 0.01).
Schedules: constant, step (--gamma every --step-every epochs), cosine (to
--min-lr), linear (to 0), invsqrt; --warmup N epochs of linear warm-up first.
Augmentation (--augment, comma-separated, e.g. flip,crop:4):
  ` + strings.Join(augmentNames(), "\n  ") + `

Examples:
  workbench train --data fashion-mnist --model ref-cnn --epochs 1 --json
  workbench train --data sample --val 500 --epochs 5 --optim momentum --lr 0.05 --schedule cosine --save run.wbproj
  workbench train --resume run.wbproj`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "train the architecture of this project file")
			fs.String("model", "", "zoo model name (default ref-cnn); see 'workbench summary --help'")
			fs.Int("epochs", 10, "epochs to train")
			fs.Int("batch", 64, "mini-batch size")
			fs.String("optim", "adam", "optimizer: "+strings.Join(optim.Names, ", "))
			fs.Float64("lr", 0, "learning rate (default: the optimizer's, 0.001 for adam)")
			fs.Float64("momentum", 0, "momentum for momentum/nesterov (default 0.9), sgd and rmsprop")
			fs.Float64("weight-decay", 0, "L2 weight decay (decoupled for adamw); biases and norm scales are not decayed")
			fs.String("schedule", "constant", "learning-rate schedule: "+strings.Join(optim.ScheduleNames, ", "))
			fs.Int("warmup", 0, "epochs of linear learning-rate warm-up")
			fs.Float64("gamma", 0.1, "step schedule: factor per step")
			fs.Int("step-every", 0, "step schedule: epochs between steps (default: a third of the run)")
			fs.Float64("min-lr", 0, "cosine schedule: final learning rate")
			fs.String("augment", "", "training augmentation, comma-separated (see above); none by default")
			fs.String("preprocess", "channel-std", "input normalisation fitted on the training split: none, mean-image, channel-mean, channel-std, pca-whiten (a project keeps its own)")
			fs.String("init", "default", "weight initialisation: default (PyTorch's), he, xavier, gaussian:<std>")
			fs.String("loss", "softmax", "loss: softmax (cross-entropy) or svm (multiclass hinge)")
			fs.Float64("label-smoothing", 0, "label smoothing epsilon for the softmax loss")
			fs.Float64("clip-norm", 0, "clip the gradients' global L2 norm to this (0: off)")
			fs.Int("patience", 0, "stop after this many epochs without a better validation accuracy (0: never)")
			fs.String("freeze", "", "comma-separated layer IDs whose weights stay fixed (fine-tuning, linear probes)")
			fs.String("from", "", "start from the weights of this project file (layers whose names and shapes match)")
			fs.String("save", "", "write the project (architecture, weights, optimizer state, history) to this file")
			fs.String("resume", "", "continue the last run saved in this project file")
			fs.Int("checkpoint-every", 0, "with --save/--resume: also save every N iterations (0: only by time and at epoch ends)")
			fs.Float64("checkpoint-seconds", 60, "with --save/--resume: save at least this often during an epoch (0: off)")
			fs.Bool("tta", false, "evaluate the test split with test-time augmentation (shifted and flipped views)")
			fs.String("name", "", "a name for the run in the project's history")
		},
		Run: runTrain,
	})
}

// trainIterationHook, when set (by tests), sees every finished iteration.
var trainIterationHook func(train.IterationInfo)

func augmentNames() []string {
	var out []string
	for _, n := range augment.Names() {
		out = append(out, strings.TrimSpace(n))
	}
	return out
}

// flagStr and flagNum read parsed flags by name.
func flagStr(c *Ctx, name string) string {
	if f := c.Flags.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

func flagNum(c *Ctx, name string) float64 {
	v, _ := strconv.ParseFloat(flagStr(c, name), 64)
	return v
}

func flagInt(c *Ctx, name string) int { return int(flagNum(c, name)) }

func flagsSet(c *Ctx) map[string]bool {
	set := map[string]bool{}
	c.Flags.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// openProjectFile opens a project named by a flag; every problem with the
// file is bad input (exit 2).
func openProjectFile(path, flagName string) (*projects.Project, error) {
	p, err := projects.Open(path)
	if err != nil {
		return nil, usageErrorf("--%s: %v", flagName, err)
	}
	return p, nil
}

// trainSettings are the run's settings: the project's Hyper plus the ones
// it has no field for, kept in the project under "train.*".
type trainSettings struct {
	hyper                    projects.Hyper
	preprocess, init, loss   string
	labelSmoothing, clipNorm float64
	gamma, minLR             float64
	stepEvery, patience      int
	freeze                   []string
}

const settingsPrefix = "train."

func (s trainSettings) store(p *projects.Project) {
	if p.Inspect.Strings == nil {
		p.Inspect.Strings = map[string]string{}
	}
	if p.Inspect.Numbers == nil {
		p.Inspect.Numbers = map[string]float64{}
	}
	p.Inspect.Strings[settingsPrefix+"init"] = s.init
	p.Inspect.Strings[settingsPrefix+"loss"] = s.loss
	p.Inspect.Strings[settingsPrefix+"freeze"] = strings.Join(s.freeze, ",")
	p.Inspect.Numbers[settingsPrefix+"label_smoothing"] = s.labelSmoothing
	p.Inspect.Numbers[settingsPrefix+"clip_norm"] = s.clipNorm
	p.Inspect.Numbers[settingsPrefix+"gamma"] = s.gamma
	p.Inspect.Numbers[settingsPrefix+"min_lr"] = s.minLR
	p.Inspect.Numbers[settingsPrefix+"step_every"] = float64(s.stepEvery)
	p.Inspect.Numbers[settingsPrefix+"patience"] = float64(s.patience)
}

func loadSettings(p *projects.Project, h projects.Hyper) trainSettings {
	s := trainSettings{hyper: h, preprocess: normFromProject(p.Preprocess.Mode), init: "default", loss: train.LossSoftmax, gamma: 0.1}
	str := func(k string, dst *string) {
		if v, ok := p.Inspect.Strings[settingsPrefix+k]; ok && v != "" {
			*dst = v
		}
	}
	num := func(k string, dst *float64) {
		if v, ok := p.Inspect.Numbers[settingsPrefix+k]; ok {
			*dst = v
		}
	}
	str("init", &s.init)
	str("loss", &s.loss)
	var freeze string
	str("freeze", &freeze)
	s.freeze = splitList(freeze)
	num("label_smoothing", &s.labelSmoothing)
	num("clip_norm", &s.clipNorm)
	num("gamma", &s.gamma)
	num("min_lr", &s.minLR)
	var se, pa float64
	num("step_every", &se)
	num("patience", &pa)
	s.stepEvery, s.patience = int(se), int(pa)
	return s
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Preprocessing names differ between the data package and the project file.
func normFromProject(mode string) string {
	if mode == projects.PreprocessChannelMeanStd {
		return string(data.NormChannelStd)
	}
	if mode == "" {
		return string(data.NormNone)
	}
	return mode
}

func normToProject(n data.Norm) string {
	if n == data.NormChannelStd {
		return projects.PreprocessChannelMeanStd
	}
	return string(n)
}

// storeStats writes preprocessing statistics into the project.
func storeStats(p *projects.Project, st *data.Stats) {
	p.DeleteGroup(projects.GroupPreprocess)
	p.Preprocess.Mode = normToProject(st.Norm)
	p.Preprocess.Epsilon = float64(st.Epsilon)
	p.Preprocess.Components = len(st.Eigenvalues)
	put := func(name string, v []float32, shape ...int) {
		if len(v) > 0 {
			p.Tensors[name] = projects.Tensor{Shape: shape, Data: append([]float32(nil), v...)}
		}
	}
	d := st.C * st.H * st.W
	switch st.Norm {
	case data.NormMeanImage:
		put(projects.TensorPreprocessMean, st.Mean, st.C, st.H, st.W)
	case data.NormChannelMean, data.NormChannelStd:
		put(projects.TensorPreprocessMean, st.Mean, st.C)
		put(projects.TensorPreprocessStd, st.Std, st.C)
	case data.NormPCAWhiten:
		k := len(st.Eigenvalues)
		put(projects.TensorPreprocessMean, st.Mean, d)
		put(projects.TensorPreprocessPCA, st.Components, k, d)
		scale := make([]float32, k)
		for i, l := range st.Eigenvalues {
			scale[i] = float32(1 / math.Sqrt(float64(l+st.Epsilon)))
		}
		put(projects.TensorPreprocessPCAScale, scale, k)
	}
}

// projectStats reads the preprocessing statistics of a project for images
// of shape c,h,w (nil for none).
func projectStats(p *projects.Project, c, h, w int) (*data.Stats, error) {
	norm, err := data.ParseNorm(normFromProject(p.Preprocess.Mode))
	if err != nil {
		return nil, usageErrorf("project preprocessing: %v", err)
	}
	if norm == data.NormNone {
		return nil, nil
	}
	st := &data.Stats{Norm: norm, C: c, H: h, W: w, Epsilon: float32(p.Preprocess.Epsilon)}
	st.Mean = p.Tensors[projects.TensorPreprocessMean].Data
	st.Std = p.Tensors[projects.TensorPreprocessStd].Data
	if norm == data.NormPCAWhiten {
		st.Components = p.Tensors[projects.TensorPreprocessPCA].Data
		for _, s := range p.Tensors[projects.TensorPreprocessPCAScale].Data {
			st.Eigenvalues = append(st.Eigenvalues, 1/(s*s)-st.Epsilon)
		}
	}
	if err := st.Validate(); err != nil {
		return nil, usageErrorf("the project's preprocessing statistics do not fit %dx%dx%d images: %v", c, h, w, err)
	}
	return st, nil
}

func toTrainTensors(ts map[string]projects.Tensor) map[string]train.Tensor {
	out := make(map[string]train.Tensor, len(ts))
	for k, t := range ts {
		out[k] = train.Tensor{Shape: t.Shape, Data: t.Data}
	}
	return out
}

func toProjectTensors(ts map[string]train.Tensor) map[string]projects.Tensor {
	out := make(map[string]projects.Tensor, len(ts))
	for k, t := range ts {
		out[k] = projects.Tensor{Shape: t.Shape, Data: t.Data}
	}
	return out
}

// lastRun finds the newest run of p with a resumable checkpoint.
func lastRun(p *projects.Project) (*projects.Run, *train.Checkpoint, error) {
	for i := len(p.Runs) - 1; i >= 0; i-- {
		r := &p.Runs[i]
		for _, ck := range r.Checkpoints {
			if ck.Name != train.KindLast {
				continue
			}
			ts := map[string]projects.Tensor{}
			for k, t := range p.Group(ck.Group) {
				ts[k] = t
			}
			for k, t := range p.Group(projects.GroupWeights) {
				ts["weights/"+k] = t
			}
			for k, t := range p.Group(projects.GroupOptim) {
				ts["optim/"+k] = t
			}
			c, err := train.DecodeCheckpoint(train.KindLast, toTrainTensors(ts))
			if err != nil {
				return nil, nil, usageErrorf("run %s cannot be resumed: %v", r.ID, err)
			}
			return r, c, nil
		}
	}
	return nil, nil, usageErrorf("the project has no resumable run; start one with 'workbench train --save FILE'")
}

// buildModel builds g for images of shape in and k classes on b.
func buildModel(g graph.Graph, in []int, b backend.Backend, seed int64, init string) (*nn.Model, error) {
	m, err := nn.Build(g, in, b, uint64(seed), nn.Init(init))
	if err != nil {
		return nil, usageErrorf("the model does not fit %v images: %v", in, err)
	}
	return m, nil
}

// chooseBackend resolves --device, reporting a fallback.
func chooseBackend(c *Ctx) (backend.Backend, error) {
	b, notice, err := backend.Choose(c.Device)
	if err != nil {
		return nil, usageErrorf("--device %s: %v", c.Device, err)
	}
	if notice != "" {
		c.Logf("%s", notice)
	}
	return b, nil
}

func nextRunID(p *projects.Project) string {
	for i := len(p.Runs) + 1; ; i++ {
		id := fmt.Sprintf("r%d", i)
		if p.Run(id) == nil {
			return id
		}
	}
}

func upsertCheckpoint(r *projects.Run, ck projects.Checkpoint) {
	for i := range r.Checkpoints {
		if r.Checkpoints[i].Name == ck.Name {
			r.Checkpoints[i] = ck
			return
		}
	}
	r.Checkpoints = append(r.Checkpoints, ck)
}

func toProjectEpochs(h []train.EpochMetrics) []projects.EpochMetrics {
	out := make([]projects.EpochMetrics, len(h))
	for i, e := range h {
		out[i] = projects.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
			ValLoss: e.ValLoss, ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}

func runTrain(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("train takes no positional arguments (got %q); name the dataset with --data", c.Args[0])
	}
	set := flagsSet(c)
	train.SetThreads(c.Threads)
	df := dataFlagsOf(c)
	savePath := flagStr(c, "save")
	resumePath := flagStr(c, "resume")
	projectPath := flagStr(c, "project")

	var (
		proj   *projects.Project
		err    error
		run    *projects.Run
		resume *train.Checkpoint
		g      graph.Graph
		s      trainSettings
	)
	switch {
	case resumePath != "":
		if projectPath != "" || flagStr(c, "model") != "" || flagStr(c, "from") != "" {
			return usageErrorf("--resume continues the run saved in %s; do not combine it with --project, --model or --from", resumePath)
		}
		for _, f := range []string{"batch", "optim", "lr", "momentum", "weight-decay", "schedule", "warmup", "augment",
			"gamma", "step-every", "min-lr", "preprocess", "init", "loss", "label-smoothing", "clip-norm", "patience",
			"freeze", "seed", "data", "limit-train", "limit-test", "val", "size", "channels"} {
			if set[f] {
				return usageErrorf("--%s cannot change when resuming (the run continues exactly as it was saved); only --epochs may, or start a new run", f)
			}
		}
		if proj, err = openProjectFile(resumePath, "resume"); err != nil {
			return err
		}
		if run, resume, err = lastRun(proj); err != nil {
			return err
		}
		s = loadSettings(proj, run.Hyper)
		if set["epochs"] {
			s.hyper.Epochs = flagInt(c, "epochs")
		}
		c.Seed = s.hyper.Seed
		g = proj.Graph
		if savePath == "" {
			savePath = resumePath
		}
	default:
		if projectPath != "" && flagStr(c, "model") != "" {
			return usageErrorf("give --project FILE or --model NAME, not both")
		}
		h := projects.Hyper{Optimizer: "adam", Schedule: "constant", Batch: 64, Epochs: 10}
		if projectPath != "" {
			if proj, err = openProjectFile(projectPath, "project"); err != nil {
				return err
			}
			if len(proj.Graph.Nodes) == 0 {
				return usageErrorf("--project %s has no architecture to train; build one in the editor or use --model", projectPath)
			}
			if proj.Hyper.Optimizer != "" {
				h = proj.Hyper
			}
			s = loadSettings(proj, h)
			g = proj.Graph
		} else {
			s = trainSettings{hyper: h, preprocess: string(data.NormChannelStd), init: "default", loss: train.LossSoftmax, gamma: 0.1}
		}
		if err := s.fromFlags(c, set); err != nil {
			return err
		}
		s.hyper.Seed = c.Seed
	}
	h := &s.hyper
	if h.Epochs < 1 || h.Batch < 1 {
		return usageErrorf("--epochs and --batch must be at least 1 (got %d and %d)", h.Epochs, h.Batch)
	}

	// The dataset: --data, else the project's.
	if proj != nil && !set["data"] && proj.Dataset.Spec != "" {
		*df.spec = proj.Dataset.Spec
		if !set["limit-train"] {
			*df.limitTrain = proj.Dataset.LimitTrain
		}
		if !set["limit-test"] {
			*df.limitTest = proj.Dataset.LimitTest
		}
		if !set["val"] {
			*df.val = proj.Dataset.Val
		}
	}
	ds, err := df.load(c)
	if err != nil {
		return err
	}
	if ds.Train.Len() == 0 {
		return usageErrorf("dataset %s has no training images; check --data and --limit-train", df.Spec())
	}
	in := []int{ds.Train.C, ds.Train.H, ds.Train.W}
	classes := len(ds.Train.Classes)

	modelName := ""
	if proj == nil {
		modelName = flagStr(c, "model")
		if modelName == "" {
			modelName = "ref-cnn"
		}
		if g, err = models.Graph(modelName, in, classes); err != nil {
			return usageErrorf("--model: %v", err)
		}
	}
	b, err := chooseBackend(c)
	if err != nil {
		return err
	}
	m, err := buildModel(g, in, b, c.Seed, s.init)
	if err != nil {
		return err
	}
	if from := flagStr(c, "from"); from != "" {
		src, err := openProjectFile(from, "from")
		if err != nil {
			return err
		}
		loaded, skipped := train.LoadMatching(m, toTrainTensors(src.Group(projects.GroupWeights)))
		if len(loaded) == 0 {
			return usageErrorf("--from %s: none of its weights fit this model (names or shapes differ)", from)
		}
		c.Logf("loaded %d tensors from %s; %d start from the initialisation: %s", len(loaded), from, len(skipped), strings.Join(skipped, ", "))
	}

	norm, err := data.ParseNorm(s.preprocess)
	if err != nil {
		return usageErrorf("--preprocess: %v", err)
	}
	var stats *data.Stats
	if norm != data.NormNone {
		if stats, err = data.FitStats(ds.Train, norm, data.StatsOptions{Seed: c.Seed}); err != nil {
			return usageErrorf("--preprocess %s: %v", norm, err)
		}
	}
	pipe, err := augment.Parse(strings.Join(h.Augment, ","))
	if err != nil {
		return usageErrorf("--augment: %v", err)
	}
	if pipe.Empty() {
		pipe = nil
	}
	cfg := train.Config{
		Optimizer: h.Optimizer,
		Optim: optim.Config{LR: float32(h.LR), Momentum: float32(h.Momentum), WeightDecay: float32(h.WeightDecay),
			ClipNorm: float32(s.clipNorm)},
		Schedule: h.Schedule, Warmup: h.Warmup, StepEvery: s.stepEvery, Gamma: float32(s.gamma), MinLR: float32(s.minLR),
		Epochs: h.Epochs, Batch: h.Batch, Seed: h.Seed, Loss: s.loss, LabelSmoothing: float32(s.labelSmoothing),
		Augment: pipe, Stats: stats, Patience: s.patience, Freeze: s.freeze,
	}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	tr, err := train.New(m, ds.Train, ds.Val, cfg)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if h.LR == 0 {
		o, _ := optim.New(h.Optimizer, cfg.Optim)
		h.LR = float64(o.LR())
	}

	// The project file the run is saved in.
	if savePath != "" {
		if proj == nil {
			proj = projects.New(strings.TrimSuffix(baseName(savePath), projects.Extension))
		}
		proj.Graph = g
		proj.Hyper = *h
		proj.Dataset = projects.DatasetRef{Spec: df.Spec(), LimitTrain: *df.limitTrain, LimitTest: *df.limitTest, Val: *df.val,
			C: in[0], H: in[1], W: in[2], Classes: ds.Train.Classes}
		if proj.Tensors == nil {
			proj.Tensors = map[string]projects.Tensor{}
		}
		if stats != nil {
			storeStats(proj, stats)
		} else {
			proj.DeleteGroup(projects.GroupPreprocess)
			proj.Preprocess = projects.Preprocess{Mode: projects.PreprocessNone}
		}
		s.store(proj)
		if run == nil {
			proj.Runs = append(proj.Runs, projects.Run{ID: nextRunID(proj), Name: flagStr(c, "name"), Started: time.Now().UTC()})
			run = &proj.Runs[len(proj.Runs)-1]
		}
		run.Status = projects.RunRunning
		run.Device = b.Name()
		run.Hyper = *h
		tr.Config.CheckpointEvery = flagInt(c, "checkpoint-every")
		tr.Config.CheckpointInterval = time.Duration(flagNum(c, "checkpoint-seconds") * float64(time.Second))
	}
	save := func() error {
		proj.Modified = time.Now().UTC()
		if err := projects.Save(proj, savePath); err != nil {
			return err
		}
		return nil
	}

	var progress *Progress
	progressEpoch := 0
	tr.Callbacks.Iteration = func(it train.IterationInfo) {
		if progressEpoch != it.Epoch {
			if progress != nil {
				progress.Finish()
			}
			progress = c.Progress(fmt.Sprintf("epoch %d/%d", it.Epoch, h.Epochs), it.Batches)
			progressEpoch = it.Epoch
		}
		progress.Set(it.Batch)
		if run != nil {
			run.AddLoss(float32(it.Loss))
		}
		if trainIterationHook != nil {
			trainIterationHook(it)
		}
	}
	tr.Callbacks.Epoch = func(e train.EpochMetrics) {
		if progress != nil {
			progress.Finish()
			progress = nil
			progressEpoch = 0
		}
		c.Emit("epoch", map[string]any{"epoch": e.Epoch, "train_loss": e.TrainLoss, "train_acc": e.TrainAcc,
			"val_loss": e.ValLoss, "val_acc": e.ValAcc, "images_per_sec": e.ImagesPerSec, "seconds": e.Seconds, "lr": e.LR})
	}
	if savePath != "" {
		tr.Callbacks.Checkpoint = func(ck *train.Checkpoint) error {
			switch ck.Kind {
			case train.KindBest:
				group := projects.RunGroup(run.ID, train.KindBest)
				proj.SetGroup(group, toProjectTensors(prefixed("weights/", ck.Weights)))
				upsertCheckpoint(run, projects.Checkpoint{Name: train.KindBest, Group: group, Epoch: ck.Epoch})
				return nil // the "last" checkpoint that follows saves the file
			default:
				group := projects.RunGroup(run.ID, train.KindLast)
				all := ck.Tensors()
				pos := map[string]train.Tensor{}
				for k, t := range all {
					if !strings.HasPrefix(k, "weights/") && !strings.HasPrefix(k, "optim/") {
						pos[k] = t
					}
				}
				proj.SetGroup(projects.GroupWeights, toProjectTensors(ck.Weights))
				proj.SetGroup(projects.GroupOptim, toProjectTensors(ck.Optim))
				proj.SetGroup(group, toProjectTensors(pos))
				upsertCheckpoint(run, projects.Checkpoint{Name: train.KindLast, Group: group, Epoch: ck.Epoch})
				run.Epochs = toProjectEpochs(ck.History)
				return save()
			}
		}
	}
	if resume != nil {
		c.Logf("resuming run %s of %s at %s", run.ID, resumePath, resume.Where())
		// A run that failed after its checkpoint recorded losses past it.
		trimLosses(run, resume.Iteration)
	}
	res, runErr := tr.Run(c.Context, resume)
	if progress != nil {
		progress.Finish()
	}
	var diverged *train.DivergedError
	if runErr != nil {
		if run != nil && savePath != "" {
			run.Finished = time.Now().UTC()
			run.Status = projects.RunFailed
			if c.Context.Err() != nil {
				run.Status = projects.RunStopped
			}
			run.Notes = runErr.Error()
			// The tensors are those of the last good checkpoint; the losses
			// recorded since then stay, to show the blow-up.
			if err := save(); err != nil {
				c.Logf("could not save the project: %v", err)
			}
		}
		if errors.As(runErr, &diverged) {
			return runErr
		}
		if c.Context.Err() != nil && savePath != "" {
			c.Logf("training stopped; continue with: workbench train --resume %s", savePath)
		}
		return runErr
	}
	done := map[string]any{"epochs": len(res.History), "device": b.Name(), "device_name": b.Describe(),
		"params": m.Analysis.Params, "train_images_per_sec": res.TrainImagesPerSec, "iterations": res.Iterations,
		"train": ds.Train.Len(), "val": ds.Val.Len(), "test": ds.Test.Len()}
	if modelName != "" {
		done["model"] = modelName
	}
	if len(res.History) > 0 {
		last := res.History[len(res.History)-1]
		done["train_loss"], done["train_acc"], done["val_loss"], done["val_acc"] = last.TrainLoss, last.TrainAcc, last.ValLoss, last.ValAcc
		secs := 0.0
		for _, e := range res.History {
			secs += e.Seconds
		}
		done["seconds"] = secs
	}
	if res.BestEpoch > 0 {
		done["best_epoch"], done["best_val_acc"] = res.BestEpoch, res.BestValAcc
	}
	if res.EarlyStopped {
		done["early_stopped"] = true
	}
	done["test_acc"], done["test_loss"] = math.NaN(), math.NaN()
	if ds.Test.Len() > 0 {
		r, err := train.Evaluate(c.Context, m, ds.Test, train.EvalOptions{Stats: stats, Loss: s.loss, TTA: flagStr(c, "tta") == "true", TTAFlips: true})
		if err != nil {
			return err
		}
		done["test_acc"], done["test_loss"] = r.Acc, r.Loss
		if run != nil {
			run.Tested, run.TestAcc, run.TestLoss = true, r.Acc, r.Loss
		}
	}
	done["diagnosis"] = train.Diagnose(res.History).Message
	if savePath != "" {
		run.Status = projects.RunFinished
		run.Finished = time.Now().UTC()
		if err := save(); err != nil {
			return err
		}
		done["project"] = savePath
		done["run"] = run.ID
	}
	c.Done(done)
	return nil
}

// fromFlags applies the flags given on the command line over the defaults
// (or the project's settings).
func (s *trainSettings) fromFlags(c *Ctx, set map[string]bool) error {
	h := &s.hyper
	if set["epochs"] || h.Epochs == 0 {
		h.Epochs = flagInt(c, "epochs")
	}
	if set["batch"] || h.Batch == 0 {
		h.Batch = flagInt(c, "batch")
	}
	if set["optim"] {
		h.Optimizer = strings.ToLower(flagStr(c, "optim"))
		if !set["lr"] {
			h.LR = 0 // the new optimizer's default
		}
	}
	if set["lr"] {
		h.LR = flagNum(c, "lr")
		if !(h.LR > 0) || math.IsInf(h.LR, 0) {
			return usageErrorf("--lr %s must be a positive number", flagStr(c, "lr"))
		}
	}
	if set["momentum"] {
		h.Momentum = flagNum(c, "momentum")
	}
	if set["weight-decay"] {
		h.WeightDecay = flagNum(c, "weight-decay")
	}
	if set["schedule"] {
		h.Schedule = flagStr(c, "schedule")
	}
	if set["warmup"] {
		h.Warmup = flagInt(c, "warmup")
	}
	if set["augment"] {
		h.Augment = splitList(flagStr(c, "augment"))
		if len(h.Augment) == 1 && h.Augment[0] == "none" {
			h.Augment = nil
		}
	}
	if set["preprocess"] {
		s.preprocess = flagStr(c, "preprocess")
	}
	if set["init"] {
		s.init = flagStr(c, "init")
	}
	if set["loss"] {
		s.loss = flagStr(c, "loss")
	}
	if set["label-smoothing"] {
		s.labelSmoothing = flagNum(c, "label-smoothing")
	}
	if set["clip-norm"] {
		s.clipNorm = flagNum(c, "clip-norm")
	}
	if set["gamma"] {
		s.gamma = flagNum(c, "gamma")
	}
	if set["min-lr"] {
		s.minLR = flagNum(c, "min-lr")
	}
	if set["step-every"] {
		s.stepEvery = flagInt(c, "step-every")
	}
	if set["patience"] {
		s.patience = flagInt(c, "patience")
	}
	if set["freeze"] {
		s.freeze = splitList(flagStr(c, "freeze"))
	}
	if _, err := optim.New(h.Optimizer, optim.Config{}); err != nil {
		return usageErrorf("--optim: %v", err)
	}
	if _, err := optim.NewSchedule(h.Schedule, 1, 0, optim.ScheduleOptions{}); err != nil {
		return usageErrorf("--schedule: %v", err)
	}
	if _, err := augment.Parse(strings.Join(h.Augment, ",")); err != nil {
		return usageErrorf("--augment: %v", err)
	}
	if h.Warmup < 0 {
		return usageErrorf("--warmup %d must be 0 or more epochs", h.Warmup)
	}
	return nil
}

// trimLosses keeps the loss history of the first n iterations.
func trimLosses(r *projects.Run, n int) {
	if r.Iterations <= n {
		return
	}
	every := max(r.LossEvery, 1)
	keep := (n + every - 1) / every
	if keep < len(r.Losses) {
		r.Losses = r.Losses[:keep]
	}
	r.Iterations = n
}

func prefixed(prefix string, ts map[string]train.Tensor) map[string]train.Tensor {
	out := make(map[string]train.Tensor, len(ts))
	for k, t := range ts {
		out[prefix+k] = t
	}
	return out
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}
