package exchange

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/onnx"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/train"
)

// Format is an export format.
type Format struct {
	// Name is how the CLI's --format and the app name it.
	Name string
	// Doc says what it writes, in a few words.
	Doc string
	// Ext is the file extension written (".onnx"), "" for a folder.
	Ext string
}

// Formats are the export formats, in the order the app lists them.
var Formats = []Format{
	{Name: "onnx", Doc: "one .onnx file (opset 17, shapes in value_info)", Ext: ".onnx"},
	{Name: "pytorch", Doc: "a folder with model.py (an nn.Module) and weights.npz"},
	{Name: "npz", Doc: "the weights as a NumPy .npz, one array per tensor", Ext: ".npz"},
}

// FormatOf returns the format called name.
func FormatOf(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Model is what an export writes: a graph, its per-example input shape
// (C,H,W) and its weights by nn.Model.State name.
type Model struct {
	Graph   graph.Graph
	Input   []int
	Weights map[string]tensor.Host
	// Producer names the writer (ONNX's producer_name, model.py's header).
	Producer string
}

// Write exports m in format to out (a file, or a folder for pytorch) and
// returns the files written. Files are replaced atomically.
func Write(format string, m Model, out string) ([]string, error) {
	switch format {
	case "onnx":
		return WriteONNX(m, out)
	case "npz":
		return WriteNPZ(m.Weights, out)
	case "pytorch":
		return WritePyTorch(m, out)
	}
	return nil, inputf("cannot export as %q: choose onnx, pytorch or npz", format)
}

// WriteONNX writes m as one ONNX file.
func WriteONNX(m Model, out string) ([]string, error) {
	w := make(map[string]onnx.Tensor, len(m.Weights))
	for k, t := range m.Weights {
		w[k] = onnx.Tensor{Shape: t.Shape, Data: t.Data}
	}
	data, err := onnx.Export(m.Graph, m.Input, w, m.Producer)
	if err != nil {
		return nil, inputf("cannot export to ONNX: %v", err)
	}
	if err := WriteFileAtomic(out, data); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", out, err)
	}
	return []string{out}, nil
}

// WriteNPZ writes the weights as a NumPy .npz, one array per tensor.
func WriteNPZ(weights map[string]tensor.Host, out string) ([]string, error) {
	arrays := make(map[string]*npy.Array, len(weights))
	for k, t := range weights {
		arrays[k] = npy.FromFloat32(append([]int(nil), t.Shape...), t.Data)
	}
	var buf bytes.Buffer
	if err := npy.WriteNPZ(&buf, arrays, true); err != nil {
		return nil, fmt.Errorf("cannot encode the .npz: %w", err)
	}
	if err := WriteFileAtomic(out, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", out, err)
	}
	return []string{out}, nil
}

// WritePyTorch writes model.py and weights.npz into the folder out.
func WritePyTorch(m Model, out string) ([]string, error) {
	b, _, err := backend.Choose("cpu")
	if err != nil {
		return nil, err
	}
	state := make(map[string]*tensor.Tensor, len(m.Weights))
	for k, t := range m.Weights {
		state[k] = tensor.FromData(b, t.Data, t.Shape...)
	}
	files, _, err := pytorch.ExportModel(out, m.Graph, m.Input, state, m.Producer)
	if err != nil {
		return nil, inputf("cannot export to PyTorch: %v", err)
	}
	return files, nil
}

// WritePyTorchTraining writes model.py and weights.npz and, beside them,
// train.py, train.json and data.npz: the same training (settings cfg, the
// splits' pixels) under torchrun with DistributedDataParallel.
func WritePyTorchTraining(m Model, cfg train.Config, sp pytorch.Splits, out string) ([]string, error) {
	b, _, err := backend.Choose("cpu")
	if err != nil {
		return nil, err
	}
	state := make(map[string]*tensor.Tensor, len(m.Weights))
	for k, t := range m.Weights {
		state[k] = tensor.FromData(b, t.Data, t.Shape...)
	}
	files, err := pytorch.ExportTraining(out, m.Graph, m.Input, state, cfg, sp, m.Producer)
	if err != nil {
		return nil, inputf("cannot export the training to PyTorch: %v", err)
	}
	return files, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// folder, synced and then renamed, so that a failed write leaves the old
// file as it was.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
