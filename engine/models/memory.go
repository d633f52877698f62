package models

import (
	"fmt"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
)

// OptimizerStates is how many values per parameter an optimizer keeps
// between steps: none for plain SGD, one for momentum, Nesterov, AdaGrad and
// RMSprop, two for Adam and AdamW. Unknown names count two.
func OptimizerStates(optimizer string, momentum float64) int {
	switch strings.ToLower(optimizer) {
	case "sgd":
		if momentum != 0 {
			return 1
		}
		return 0
	case "momentum", "nesterov", "adagrad", "rmsprop":
		return 1
	}
	return 2
}

// TrainBytesWith is TrainBytes with the optimizer's state on top (states
// values per parameter, see OptimizerStates).
func (s *Summary) TrainBytesWith(batch, states int) int64 {
	return s.TrainBytes(batch) + int64(states)*s.ParamBytes
}

// MemoryCheck compares the memory a training run needs (TrainBytesWith, the
// arithmetic of the summary table) with the memory it may use.
type MemoryCheck struct {
	Batch     int
	Need      int64 // bytes at Batch
	Available int64 // bytes the run may use
	// Fixed is the part that does not grow with the batch (weights,
	// gradients, optimizer state); PerImage what each image adds.
	Fixed, PerImage int64
	// MaxBatch is the largest batch whose estimate fits (0: not even one
	// image does); SuggestBatch the largest power of two up to it.
	MaxBatch, SuggestBatch int
}

// CheckTrainingMemory estimates a training step of s at batch with an
// optimizer keeping states values per parameter, against available bytes.
func CheckTrainingMemory(s *Summary, batch, states int, available int64) MemoryCheck {
	fixed, per := s.TrainBytesWith(0, states), 2*s.ForwardBytes
	c := MemoryCheck{Batch: batch, Need: s.TrainBytesWith(batch, states), Available: available, Fixed: fixed, PerImage: per}
	if per > 0 && available > fixed {
		c.MaxBatch = int(min((available-fixed)/per, 1<<30))
	} else if per == 0 && available >= fixed {
		c.MaxBatch = batch
	}
	if c.MaxBatch > 0 {
		c.SuggestBatch = 1
		for c.SuggestBatch*2 <= c.MaxBatch {
			c.SuggestBatch *= 2
		}
	}
	return c
}

// CheckTraining is CheckTrainingMemory for the network g on images of shape
// in (C,H,W) trained at batch with the named optimizer: what the command
// line and the Train pane call before a run, with available from
// sysmem.Available or a user's limit. The error is the graph's, when it
// cannot be analysed.
func CheckTraining(g graph.Graph, in []int, batch int, optimizer string, momentum float64, available int64) (MemoryCheck, error) {
	s, err := Summarize(g, in)
	if err != nil {
		return MemoryCheck{}, err
	}
	return CheckTrainingMemory(s, batch, OptimizerStates(optimizer, momentum), available), nil
}

// Fits reports whether the estimate is within the available memory.
func (c MemoryCheck) Fits() bool { return c.Need <= c.Available }

// Err is nil when the run fits, else a message naming the estimate, the
// memory and a batch size that fits.
func (c MemoryCheck) Err() error {
	if c.Fits() {
		return nil
	}
	return fmt.Errorf("%s", c.Problem("available"))
}

// Problem says why the run does not fit, calling the budget by what sets it
// ("available", "set by --memory"), and the batch size that fits.
func (c MemoryCheck) Problem(budget string) string {
	if c.MaxBatch == 0 {
		return fmt.Sprintf("training needs about %s even at batch 1 (weights, gradients, optimizer state and one image's activations), more than the %s %s; use a smaller model or a machine with more memory",
			ByteText(c.Fixed+c.PerImage), ByteText(c.Available), budget)
	}
	return fmt.Sprintf("training at batch %d needs about %s of memory (activations and their gradients, weights, gradients, optimizer state), more than the %s %s; a batch of %d or less fits (at most %d)",
		c.Batch, ByteText(c.Need), ByteText(c.Available), budget, c.SuggestBatch, c.MaxBatch)
}

// ByteText writes a size the way the summary table does: 1.23 GB, 45.6 MB.
func ByteText(n int64) string {
	f := float64(n)
	switch {
	case f >= 1e9:
		return fmt.Sprintf("%.2f GB", f/1e9)
	case f >= 1e6:
		return fmt.Sprintf("%.1f MB", f/1e6)
	case f >= 1e3:
		return fmt.Sprintf("%.1f kB", f/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
