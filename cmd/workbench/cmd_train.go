package main

import (
	"flag"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
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
Only --epochs may change when resuming (to train longer). While it runs, the
project is locked: a second process saving to it is refused at once. --save
replaces an existing file only if it is the project named by --project or
--resume, or with --force.

Before training, the memory a step needs (as 'workbench summary' estimates
it for the batch) is compared with the memory available (or --memory); a
batch that does not fit is refused with a batch size that does.

A loss that becomes NaN, or explodes past 1000 times its first value, stops
the run with a message; the project keeps the last good checkpoint.

Optimizers: sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw (default
learning rates: adam/adamw 0.001, the others 0.01).
Schedules: constant, step (--gamma every --step-every epochs), cosine (to
--min-lr), linear (to 0), invsqrt; --warmup N epochs of linear warm-up first.
Augmentation (--augment, comma-separated, e.g. flip,crop:4):
  ` + strings.Join(augmentNames(), "\n  ") + `

--backend torchrun exports the model (model.py), its starting weights, the
data and these settings (train.py, train.json) and trains them with PyTorch
DistributedDataParallel under torchrun (--nproc processes per node, gloo on
CPU, NCCL on GPUs; --nnodes/--node-rank/--rdzv for several machines). Epochs
stream in as usual; the trained weights come back into the model, are
evaluated here and saved as the run's weights (PyTorch's own test figures are
in "done" as torch_test_acc and torch_test_loss). Needs python3-torch.

--adv pgd|fgsm trains adversarially (Madry et al.): every batch is replaced
by its L∞ attack of radius --adv-eps on the current weights (pgd: --adv-steps
steps of --adv-step-size from a random start; fgsm: one step of 1.25·eps from
a random start, Wong et al.); --adv-ramp N grows epsilon from 0 over N epochs.
The reported training accuracy is then on the attacked batches.

Examples:
  workbench train --data fashion-mnist --model ref-cnn --epochs 1 --json
  workbench train --data sample --val 500 --epochs 5 --optim momentum --lr 0.05 --schedule cosine --save run.wbproj
  workbench train --resume run.wbproj
  workbench train --data fashion-mnist --epochs 1 --backend torchrun --nproc 2 --save ddp.wbproj
  workbench train --data cifar10 --model bn-cnn --adv pgd --adv-eps 8/255 --adv-steps 7 --save robust.wbproj`,
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
			fs.Bool("force", false, "let --save replace an existing file that is not the project trained (--project) or resumed")
			fs.String("memory", "", memoryFlagUsage)
			fs.String("resume", "", "continue the last run saved in this project file")
			fs.Int("checkpoint-every", 0, "with --save/--resume: also save every N iterations (0: only by time and at epoch ends)")
			fs.Float64("checkpoint-seconds", 60, "with --save/--resume: save at least this often during an epoch (0: off)")
			fs.Bool("tta", false, "evaluate the test split with test-time augmentation (shifted and flipped views)")
			fs.String("name", "", "a name for the run in the project's history")
			fs.String("backend", "local", "local (this engine) or torchrun (export to PyTorch and train with DDP under torchrun)")
			fs.Int("nproc", 1, "torchrun: processes per node (CPU processes with gloo, or one per GPU with NCCL)")
			fs.Int("nnodes", 1, "torchrun: number of machines (needs --rdzv)")
			fs.Int("node-rank", 0, "torchrun: this machine's rank among --nnodes")
			fs.String("rdzv", "", "torchrun: rendezvous endpoint HOST:PORT (c10d) for several machines")
			fs.String("torch-device", "auto", "torchrun: auto (CUDA when PyTorch sees a GPU), cpu or cuda")
			fs.String("export-dir", "", "torchrun: keep the exported model.py, train.py, weights and data in this folder")
			addAdvFlags(fs)
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

// projectStats reads the preprocessing statistics of a project for images
// of shape c,h,w (nil for none); a problem with them is bad input.
func projectStats(p *projects.Project, c, h, w int) (*data.Stats, error) {
	st, err := runs.Stats(p, c, h, w)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return st, nil
}

// buildModel builds g for images of shape in on b.
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
	reportNotice(c, notice)
	return b, nil
}

// reportNotice shows why the backend is not the expected one: a warning
// when --device gl was asked for and is slow (a software rasteriser), a
// note when auto fell back to the CPU.
func reportNotice(c *Ctx, notice string) {
	switch {
	case notice == "":
	case c.Device == "gl":
		c.Warnf("%s", notice)
	default:
		c.Notef("%s", notice)
	}
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

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// runTrain is the train command: parse the flags (and the project they
// name), prepare the dataset and model, train while recording the run,
// and report.
func runTrain(c *Ctx) error {
	j, err := parseTrain(c)
	if err != nil {
		return err
	}
	if err := checkBackend(c, j); err != nil {
		return err
	}
	adv, err := advConfig(c)
	if err != nil {
		return err
	}
	if j.savePath != "" {
		// Before any work: a target that cannot be written, or that
		// another process is writing (a second train --save of the same
		// file), fails now, naming that process.
		lock, err := lockForSave(j.savePath, j.force)
		if err != nil {
			return err
		}
		source := j.resumePath
		if source == "" {
			source = flagStr(c, "project")
		}
		if err := checkNewSave(j.savePath, source, j.force); err != nil {
			lock.Release()
			return err
		}
		defer lock.Release()
	}
	train.SetThreads(c.Threads)
	pr, err := j.prepare(c)
	if err != nil {
		return err
	}
	pr.tr.Config.Adversarial = adv
	var res *train.Result
	if flagStr(c, "backend") == "torchrun" {
		res, err = j.trainTorchrun(c, pr)
	} else {
		res, err = j.train(c, pr)
	}
	if err != nil {
		return err
	}
	return j.report(c, pr, res)
}
