package main

import (
	"flag"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// An exportFormat writes a project in one format. Each format lives in its
// own file (cmd_export_<name>.go) and registers itself from init with
// registerExportFormat; runExport does the common part (flags, project,
// weights, overwrite rules) and reports the files the format wrote.
type exportFormat struct {
	// Doc is one line for the usage text.
	Doc string
	// Write exports job and returns the paths it wrote.
	Write func(c *Ctx, job *exportJob) ([]string, error)
}

// exportJob is what every format receives.
type exportJob struct {
	Project *projects.Project
	Graph   graph.Graph
	// Input is the per-example input shape (C,H,W or F).
	Input []int
	// Weights are the parameters and running statistics of the chosen
	// checkpoint, named as nn.Model.State names them.
	Weights map[string]train.Tensor
	Out     string
	Force   bool
}

var exportFormats = map[string]exportFormat{}

func registerExportFormat(name string, f exportFormat) {
	if _, dup := exportFormats[name]; dup {
		panic("workbench: export format " + name + " registered twice")
	}
	exportFormats[name] = f
}

func exportFormatNames() []string {
	names := make([]string, 0, len(exportFormats))
	for n := range exportFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func init() {
	register(Command{
		Name:    "export",
		Summary: "export a project's model (architecture and weights) to ONNX, NumPy .npz or PyTorch",
		Usage: `workbench export --project FILE --format FORMAT --out PATH [--checkpoint last|best] [--force] [flags]

Writes the project's model in another format:
  onnx   one .onnx file: opset 17, batch dimension "N", every intermediate
         shape in value_info; runs in ONNX Runtime and imports back with
         'workbench import --onnx'
  npz    the weights and running statistics as a NumPy .npz, one array per
         tensor named as PyTorch names them ("conv1.weight")
  pytorch  a folder: model.py (a readable nn.Module), weights.npz and, when
         the project's dataset loads (or with --data), train.py, train.json
         and data.npz to train the same run under torchrun with DDP

--checkpoint best exports the best-validation snapshot of the newest run
instead of the current weights. An existing --out is kept unless --force.

Examples:
  workbench export --project run.wbproj --format onnx --out model.onnx
  workbench export --project run.wbproj --format npz --out weights.npz --json`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "project file (.wbproj) to export (required)")
			fs.String("format", "", "onnx, npz or pytorch (required)")
			fs.String("out", "", "file (or folder, for pytorch) to write (required)")
			fs.String("checkpoint", "last", "weights to export: last (the current weights) or best (best validation accuracy)")
			fs.Bool("force", false, "overwrite --out if it exists")
		},
		Run: runExport,
	})
}

func runExport(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("export takes no positional arguments (got %q); use --project FILE --format FORMAT --out PATH", c.Args[0])
	}
	path, format, out := flagStr(c, "project"), flagStr(c, "format"), flagStr(c, "out")
	switch {
	case path == "":
		return usageErrorf("export needs --project FILE (a saved or imported project)")
	case format == "":
		return usageErrorf("export needs --format: one of %s", strings.Join(exportFormatNames(), ", "))
	case out == "":
		return usageErrorf("export needs --out PATH (where to write the %s export)", format)
	}
	f, ok := exportFormats[format]
	if !ok {
		return usageErrorf("--format %q: choose one of %s", format, strings.Join(exportFormatNames(), ", "))
	}
	force := flagBool(c, "force")
	if _, err := os.Stat(out); err == nil && !force {
		return usageErrorf("%s exists; choose another --out or add --force to overwrite it", out)
	}
	start := time.Now()
	p, err := openProjectFile(path, "project")
	if err != nil {
		return err
	}
	a := nn.Analyze(p.Graph, nil)
	if err := a.Err(); err != nil {
		return usageErrorf("the project's architecture has a problem: %v", err)
	}
	w, err := projectWeights(p, flagStr(c, "checkpoint"))
	if err != nil {
		return err
	}
	job := &exportJob{Project: p, Graph: p.Graph, Input: a.Nodes[a.Input].Out, Weights: w, Out: out, Force: force}
	files, err := f.Write(c, job)
	if err != nil {
		return err
	}
	c.Done(map[string]any{"files": files, "format": format, "params": a.Params, "seconds": time.Since(start).Seconds()})
	return nil
}
