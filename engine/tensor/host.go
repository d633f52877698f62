package tensor

import "slices"

// Host is a host copy of a tensor: row-major float32 values and their
// shape. It is the one type for tensors that leave a device: training
// checkpoints (engine/train) and project files (projects) both use it, so
// weights pass between them without conversion.
type Host struct {
	Shape []int
	Data  []float32
}

// Elements returns the number of elements the shape holds (1 for an empty
// shape, a scalar).
func (t Host) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Clone returns a deep copy of t.
func (t Host) Clone() Host {
	return Host{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}
