package style

import "github.com/workbench-cv/workbench/engine/attrib"

// watched returns obj and o set up so that o.Loss hears, after each step
// that o.Progress reports, sign times the value of the step's last
// evaluation of obj (the loss a curve plots: DeepDream's energy with sign
// +1, the minimised loss with −1 for the descent objectives).
func (o Options) watched(obj attrib.Objective, sign float64) (attrib.Objective, Options) {
	if o.Loss == nil {
		return obj, o
	}
	var last float64
	loss, progress := o.Loss, o.Progress
	o.Progress = func(done, total int) {
		loss(done, last)
		if progress != nil {
			progress(done, total)
		}
	}
	return func(x []float32) (float64, []float32, error) {
		s, g, err := obj(x)
		if err == nil {
			last = sign * s
		}
		return s, g, err
	}, o
}
