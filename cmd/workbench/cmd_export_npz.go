package main

import (
	"bytes"
	"fmt"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

func init() {
	registerExportFormat("npz", exportFormat{Doc: "the weights as a NumPy .npz, one array per tensor", Write: exportNPZ})
}

func exportNPZ(c *Ctx, job *exportJob) ([]string, error) {
	arrays := make(map[string]*npy.Array, len(job.Weights))
	for k, t := range job.Weights {
		arrays[k] = npy.FromFloat32(append([]int(nil), t.Shape...), t.Data)
	}
	var buf bytes.Buffer
	if err := npy.WriteNPZ(&buf, arrays, true); err != nil {
		return nil, fmt.Errorf("cannot encode the .npz: %w", err)
	}
	if err := writeFileAtomic(job.Out, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", job.Out, err)
	}
	c.Logf("wrote %s (%d arrays)", job.Out, len(arrays))
	return []string{job.Out}, nil
}
