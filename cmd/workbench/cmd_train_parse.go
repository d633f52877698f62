package main

import (
	"math"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// trainJob is a parsed train command: the settings of the run and where
// it comes from and goes to.
type trainJob struct {
	set                   map[string]bool
	df                    *dataFlags
	savePath, resumePath  string
	modelName, from, name string
	proj                  *projects.Project // the project trained, resumed or saved (nil: none yet)
	resumed               *projects.Run     // the run --resume continues
	resume                *train.Checkpoint // and its checkpoint
	g                     graph.Graph
	s                     runs.Settings
	rec                   *runs.Recorder // records the run when saving
	checkpointEvery       int
	checkpointSecs        float64
	tta, force            bool
	memory                string          // --memory
	torch                 *pytorch.Result // set when --backend torchrun trained the run
}

// resumeFixed are the flags a resumed run cannot change.
var resumeFixed = []string{"batch", "optim", "lr", "momentum", "weight-decay", "schedule", "warmup", "augment",
	"gamma", "step-every", "min-lr", "preprocess", "init", "loss", "label-smoothing", "clip-norm", "patience",
	"freeze", "seed", "data", "limit-train", "limit-test", "val", "size", "channels"}

// defaultHyper are the command's hyper-parameters when neither the
// project nor the flags give them.
var defaultHyper = projects.Hyper{Optimizer: "adam", Schedule: "constant", Batch: 64, Epochs: 10}

// parseTrain reads the flags, and the project --resume or --project
// names, into a trainJob.
func parseTrain(c *Ctx) (*trainJob, error) {
	if len(c.Args) > 0 {
		return nil, usageErrorf("train takes no positional arguments (got %q); name the dataset with --data", c.Args[0])
	}
	j := &trainJob{set: flagsSet(c), df: dataFlagsOf(c), savePath: flagStr(c, "save"), resumePath: flagStr(c, "resume"),
		modelName: flagStr(c, "model"), from: flagStr(c, "from"), name: flagStr(c, "name"),
		checkpointEvery: flagInt(c, "checkpoint-every"), checkpointSecs: flagNum(c, "checkpoint-seconds"),
		tta: flagStr(c, "tta") == "true", force: flagStr(c, "force") == "true", memory: flagStr(c, "memory")}
	if _, _, err := parseMemory(j.memory); err != nil {
		return nil, err
	}
	var err error
	if j.resumePath != "" {
		err = j.parseResume(c)
	} else {
		err = j.parseNew(c)
	}
	if err != nil {
		return nil, err
	}
	if h := j.s.Hyper; h.Epochs < 1 || h.Batch < 1 {
		return nil, usageErrorf("--epochs and --batch must be at least 1 (got %d and %d)", h.Epochs, h.Batch)
	}
	return j, nil
}

// parseResume reads the run --resume continues.
func (j *trainJob) parseResume(c *Ctx) error {
	if flagStr(c, "project") != "" || j.modelName != "" || j.from != "" {
		return usageErrorf("--resume continues the run saved in %s; do not combine it with --project, --model or --from", j.resumePath)
	}
	for _, f := range resumeFixed {
		if j.set[f] && f != "seed" {
			return usageErrorf("--%s cannot change when resuming (the run continues exactly as it was saved); only --epochs may, or start a new run", f)
		}
	}
	var err error
	if j.proj, err = openProjectFile(j.resumePath, "resume"); err != nil {
		return err
	}
	if j.resumed, err = runs.Newest(j.proj); err != nil {
		return usageErrorf("the project has no resumable run; start one with 'workbench train --save FILE'")
	}
	if seed := j.resumed.Hyper.Seed; j.set["seed"] && c.Seed != seed {
		// The run's own seed may be repeated; another would not continue it.
		return usageErrorf("--seed %d cannot change when resuming: run %s was trained with seed %d (give that, or none, or start a new run)", c.Seed, j.resumed.ID, seed)
	}
	if j.resume, err = runs.LastCheckpoint(j.proj, j.resumed); err != nil {
		return usageErrorf("run %s cannot be resumed: %v", j.resumed.ID, err)
	}
	j.s = runs.SettingsOf(j.proj)
	j.s.Hyper = j.resumed.Hyper
	j.s.Hyper.Augment = slices.Clone(j.resumed.Hyper.Augment)
	if j.set["epochs"] {
		j.s.Hyper.Epochs = flagInt(c, "epochs")
	}
	c.Seed = j.s.Hyper.Seed
	j.g = j.proj.Graph
	if j.savePath == "" {
		j.savePath = j.resumePath
	}
	return nil
}

// parseNew reads the settings of a new run: the defaults, or the
// project's, with the flags given over them.
func (j *trainJob) parseNew(c *Ctx) error {
	projectPath := flagStr(c, "project")
	if projectPath != "" && j.modelName != "" {
		return usageErrorf("give --project FILE or --model NAME, not both")
	}
	j.s = runs.Settings{Hyper: defaultHyper, Train: runs.Defaults(projects.TrainSettings{}), Preprocess: data.NormChannelStd}
	if projectPath != "" {
		var err error
		if j.proj, err = openProjectFile(projectPath, "project"); err != nil {
			return err
		}
		if len(j.proj.Graph.Nodes) == 0 {
			return usageErrorf("--project %s has no architecture to train; build one in the editor or use --model", projectPath)
		}
		j.s = runs.SettingsOf(j.proj)
		if j.proj.Hyper.Optimizer == "" {
			j.s.Hyper = defaultHyper
		}
		j.g = j.proj.Graph
	}
	if err := j.fromFlags(c); err != nil {
		return err
	}
	j.s.Hyper.Seed = c.Seed
	return nil
}

// fromFlags applies the flags given on the command line over the defaults
// (or the project's settings).
func (j *trainJob) fromFlags(c *Ctx) error {
	set, h, t := j.set, &j.s.Hyper, &j.s.Train
	h.Augment = slices.Clone(h.Augment)
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
	if set["augment"] {
		h.Augment = splitList(flagStr(c, "augment"))
		if len(h.Augment) == 1 && h.Augment[0] == "none" {
			h.Augment = nil
		}
	}
	if set["preprocess"] {
		n, err := data.ParseNorm(flagStr(c, "preprocess"))
		if err != nil {
			return usageErrorf("--preprocess: %v", err)
		}
		j.s.Preprocess = n
	}
	nums := map[string]*float64{"momentum": &h.Momentum, "weight-decay": &h.WeightDecay, "label-smoothing": &t.LabelSmoothing,
		"clip-norm": &t.ClipNorm, "gamma": &t.Gamma, "min-lr": &t.MinLR}
	ints := map[string]*int{"warmup": &h.Warmup, "step-every": &t.StepEvery, "patience": &t.Patience}
	strs := map[string]*string{"schedule": &h.Schedule, "init": &t.Init, "loss": &t.Loss}
	for name, dst := range nums {
		if set[name] {
			*dst = flagNum(c, name)
		}
	}
	for name, dst := range ints {
		if set[name] {
			*dst = flagInt(c, name)
		}
	}
	for name, dst := range strs {
		if set[name] {
			*dst = flagStr(c, name)
		}
	}
	if set["freeze"] {
		t.Freeze = splitList(flagStr(c, "freeze"))
	}
	if err := nn.Init(t.Init).Validate(); err != nil {
		return usageErrorf("--init: %v", err)
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
