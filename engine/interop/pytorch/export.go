package pytorch

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// ExportModel writes model.py and weights.npz for g into dir (created if
// missing) and returns the files written. state holds every tensor the
// model has (nn.Model.State), by Workbench name.
func ExportModel(dir string, g graph.Graph, input []int, state map[string]*tensor.Tensor, header string) ([]string, *Module, error) {
	mod, err := Generate(g, input, header)
	if err != nil {
		return nil, nil, err
	}
	for _, wb := range mod.State {
		if _, ok := state[wb]; !ok {
			return nil, nil, fmt.Errorf("the project has no tensor %s: train or initialise the model before exporting", wb)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	modelPath, weightsPath := filepath.Join(dir, "model.py"), filepath.Join(dir, "weights.npz")
	if err := writeTextAtomic(modelPath, mod.Source); err != nil {
		return nil, nil, err
	}
	if err := WriteWeights(weightsPath, state); err != nil {
		return nil, nil, err
	}
	return []string{modelPath, weightsPath}, mod, nil
}
