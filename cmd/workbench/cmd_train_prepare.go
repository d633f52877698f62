package main

import (
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// prepared is the run ready to train: the shared preparation (model,
// splits, statistics) and the dataset and trainer it uses.
type prepared struct {
	*runs.Prepared
	ds *data.Dataset
	tr *train.Trainer
}

// prepare loads the dataset (--data, else the project's), builds the
// model (--model, else the project's architecture) and the trainer the
// way the Train pane does (runs.Prepare).
func (j *trainJob) prepare(c *Ctx) (*prepared, error) {
	df := j.df
	if j.proj != nil && !j.set["data"] && j.proj.Dataset.Spec != "" {
		ref := j.proj.Dataset
		*df.spec = ref.Spec
		for _, f := range []struct {
			name     string
			dst      *int
			fromFile int
		}{{"limit-train", df.limitTrain, ref.LimitTrain}, {"limit-test", df.limitTest, ref.LimitTest}, {"val", df.val, ref.Val}} {
			if !j.set[f.name] {
				*f.dst = f.fromFile
			}
		}
	}
	ds, err := df.load(c)
	if err != nil {
		return nil, err
	}
	if ds.Train.Len() == 0 {
		return nil, usageErrorf("dataset %s has no training images; check --data and --limit-train", df.Spec())
	}
	if j.proj == nil {
		if j.modelName == "" {
			j.modelName = "ref-cnn"
		}
		if j.g, err = models.Graph(j.modelName, []int{ds.Train.C, ds.Train.H, ds.Train.W}, len(ds.Train.Classes)); err != nil {
			return nil, usageErrorf("--model: %v", err)
		}
	}
	if err := checkFreeze(j.g, j.s.Train.Freeze); err != nil {
		return nil, err
	}
	rp, err := runs.Prepare(j.g, ds, j.s, runs.Options{Device: c.Device})
	if err != nil {
		if se, ok := err.(*runs.SettingError); ok {
			return nil, usageErrorf("--%s: %v", se.Setting, se.Err)
		}
		return nil, usageErrorf("%v", err)
	}
	reportNotice(c, rp.Notice)
	if rp.Backend.Name() == "cpu" {
		// The CPU backend holds the batch's activations in this process's
		// memory: a batch that cannot fit dies with an out-of-memory trace
		// mid-run unless refused here.
		h := j.s.Hyper
		in := []int{ds.Train.C, ds.Train.H, ds.Train.W}
		if err := checkTrainMemory(j.g, in, min(h.Batch, rp.Train.Len()), h.Optimizer, h.Momentum, j.memory); err != nil {
			return nil, err
		}
	}
	if err := j.loadFrom(c, rp); err != nil {
		return nil, err
	}
	tr, err := rp.Trainer()
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	if h := &j.s.Hyper; h.LR == 0 {
		o, _ := optim.New(h.Optimizer, rp.Config.Optim)
		h.LR = float64(o.LR())
	}
	return &prepared{Prepared: rp, ds: ds, tr: tr}, nil
}

// loadFrom starts the model from the matching weights of --from.
func (j *trainJob) loadFrom(c *Ctx, rp *runs.Prepared) error {
	if j.from == "" {
		return nil
	}
	src, err := openProjectFile(j.from, "from")
	if err != nil {
		return err
	}
	loaded, skipped := train.LoadMatching(rp.Model, src.Group(projects.GroupWeights))
	if len(loaded) == 0 {
		return usageErrorf("--from %s: none of its weights fit this model (names or shapes differ)", j.from)
	}
	c.Logf("loaded %d tensors from %s; %d start from the initialisation: %s", len(loaded), j.from, len(skipped), strings.Join(skipped, ", "))
	return nil
}

// checkFreeze refuses --freeze names that are not layers of g, listing the
// layers there are.
func checkFreeze(g graph.Graph, freeze []string) error {
	var ids []string
	have := map[string]bool{}
	for _, n := range g.Nodes {
		have[n.ID] = true
		if n.Op != "input" {
			ids = append(ids, n.ID)
		}
	}
	for _, f := range freeze {
		if !have[f] {
			return usageErrorf("--freeze %s: the model has no layer %q; its layers are %s", f, f, strings.Join(ids, ", "))
		}
	}
	return nil
}
