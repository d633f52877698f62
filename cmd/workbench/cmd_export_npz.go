package main

import (
	"github.com/workbench-cv/workbench/exchange"
)

func init() {
	registerExportFormat("npz", exportFormat{Doc: "the weights as a NumPy .npz, one array per tensor", Write: exportNPZ})
}

func exportNPZ(c *Ctx, job *exportJob) ([]string, error) {
	files, err := exchange.WriteNPZ(job.Weights, job.Out)
	if err != nil {
		return nil, err
	}
	c.Logf("wrote %s (%d arrays)", job.Out, len(job.Weights))
	return files, nil
}
