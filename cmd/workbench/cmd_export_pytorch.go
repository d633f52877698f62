package main

import (
	"errors"

	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/exchange"
	"github.com/workbench-cv/workbench/runs"
)

func init() {
	registerExportFormat("pytorch", exportFormat{
		Doc:   "a folder: model.py (an nn.Module), weights.npz and, with the project's dataset, train.py for torchrun DDP",
		Write: exportPyTorch})
}

// exportPyTorch writes model.py and weights.npz; when the project's
// dataset (or --data) loads, also train.py, train.json and data.npz, which
// train the same run under torchrun.
func exportPyTorch(c *Ctx, job *exportJob) ([]string, error) {
	m := exchange.Model{Graph: job.Graph, Input: job.Input, Weights: job.Weights, Producer: job.Project.Name + ", exported by workbench " + Version()}
	p := job.Project
	if !flagsSet(c)["data"] && p.Dataset.Spec == "" {
		files, err := exchange.WritePyTorch(m, job.Out)
		if err != nil {
			return nil, exportErr(err)
		}
		c.Logf("wrote %s: model.py and weights.npz (the project names no dataset, so no train.py; give --data D for one)", job.Out)
		return files, nil
	}
	_, ds, err := loadEvalData(c, p)
	if err != nil {
		return nil, err
	}
	s := runs.SettingsOf(p)
	cfg, err := s.Config()
	if err != nil {
		return nil, usageErrorf("the project's training settings: %v", err)
	}
	if cfg.Stats, err = projectStats(p, ds.Train.C, ds.Train.H, ds.Train.W); err != nil {
		return nil, err
	}
	files, err := exchange.WritePyTorchTraining(m, cfg, pytorch.Splits{Train: ds.Train, Val: ds.Val, Test: ds.Test}, job.Out)
	if err != nil {
		return nil, exportErr(err)
	}
	c.Logf("wrote %s: model.py, weights.npz, train.py, train.json and data.npz; train with: torchrun --nproc_per_node 2 %s/train.py", job.Out, job.Out)
	return files, nil
}

func exportErr(err error) error {
	if errors.Is(err, exchange.ErrInput) {
		return usageErrorf("%v", err)
	}
	return err
}
