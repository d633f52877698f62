package pytorch

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// WriteWeights writes every tensor of state to an .npz file under its
// Workbench name (float32, the tensor's shape), through a temporary file
// renamed into place.
func WriteWeights(path string, state map[string]*tensor.Tensor) error {
	arrays := make(map[string]*npy.Array, len(state))
	for name, t := range state {
		arrays[name] = npy.FromFloat32(append([]int(nil), t.Shape...), t.Data())
	}
	return writeFileAtomic(path, func(f *os.File) error { return npy.WriteNPZ(f, arrays, false) })
}

// Weights are tensors read back from an .npz: name → shape and values.
type Weights map[string]Weight

// Weight is one named array.
type Weight struct {
	Shape []int
	Data  []float32
}

// ReadWeights reads an .npz of float arrays (weights.npz, or what
// save_weights wrote after training).
func ReadWeights(path string) (Weights, error) {
	arrays, err := npy.OpenNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("reading weights %s: %w", path, err)
	}
	out := make(Weights, len(arrays))
	names := make([]string, 0, len(arrays))
	for k := range arrays {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a := arrays[k]
		if !a.IsFloat() {
			return nil, fmt.Errorf("weights %s: %s is %s, not a float array", path, k, a.Dtype())
		}
		v, err := a.Float64s()
		if err != nil {
			return nil, fmt.Errorf("weights %s: %s: %w", path, k, err)
		}
		d := make([]float32, len(v))
		for i, x := range v {
			d[i] = float32(x)
		}
		out[k] = Weight{Shape: append([]int(nil), a.Shape...), Data: d}
	}
	return out, nil
}

// writeFileAtomic writes path through a temporary file in the same folder,
// synced and renamed, so a crash leaves the old file or the new one.
func writeFileAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeTextAtomic(path, text string) error {
	return writeFileAtomic(path, func(f *os.File) error {
		_, err := f.WriteString(text)
		return err
	})
}
