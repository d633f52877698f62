package train

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/tensor"
)

// Tensor is a host copy of a tensor: row-major values and their shape. It
// is [tensor.Host], the type project files store too, so checkpoints go
// into a project without conversion.
type Tensor = tensor.Host

// Checkpoint kinds.
const (
	// KindLast is the newest resumable state: written at the start of a
	// run, every CheckpointEvery iterations or CheckpointInterval, at the
	// end of every epoch and when the run is stopped.
	KindLast = "last"
	// KindBest is the state after the epoch with the best validation
	// accuracy so far (early stopping keeps it).
	KindBest = "best"
)

// Checkpoint is everything needed to continue a run exactly: the weights
// (with BatchNorm statistics), the optimizer state and the position in the
// run. The random streams (shuffling, augmentation, dropout) are functions
// of the seed and the position, so the position restores them too.
type Checkpoint struct {
	Kind string
	// Epoch is the number of finished epochs; Batch the batches done in the
	// epoch in progress; Iteration the optimizer steps taken in all.
	Epoch, Batch, Iteration int
	Seed                    int64
	Weights                 map[string]Tensor
	Optim                   map[string]Tensor
	// History holds the finished epochs' metrics.
	History []EpochMetrics
	// The epoch in progress so far: summed loss (times batch size), correct
	// predictions and images seen, so its metrics come out as if it had not
	// been interrupted.
	LossSum       float64
	Correct, Seen int
	// BestValAcc and BestEpoch (1-based, 0 for none) track the best
	// validation accuracy; BadEpochs counts epochs since it improved.
	BestValAcc float64
	BestEpoch  int
	BadEpochs  int
}

// Where describes the position in words: "epoch 2, iteration 130".
func (c *Checkpoint) Where() string {
	if c.Batch == 0 {
		if c.Epoch == 0 {
			return "the start of the run"
		}
		return fmt.Sprintf("the end of epoch %d", c.Epoch)
	}
	return fmt.Sprintf("epoch %d, iteration %d", c.Epoch+1, c.Batch)
}

// Names of the tensors Tensors writes.
const (
	tensorPosition = "position"
	tensorHistory  = "history"
	prefixWeights  = "weights/"
	prefixOptim    = "optim/"
	positionFormat = 1
)

// split64 stores a float64 as two float32 whose sum gives it back (to
// within 2^-48 relative; integers below 2^48 exactly).
func split64(v float64) (float32, float32) {
	hi := float32(v)
	if math.IsNaN(v) || math.IsInf(v, 0) || math.IsInf(float64(hi), 0) {
		return hi, 0
	}
	return hi, float32(v - float64(hi))
}

func join64(hi, lo float32) float64 { return float64(hi) + float64(lo) }

// Tensors flattens the checkpoint into named tensors for a file:
// "weights/<name>", "optim/<name>", and Position's "position" and
// "history".
func (c *Checkpoint) Tensors() map[string]Tensor {
	out := c.Position()
	for k, t := range c.Weights {
		out[prefixWeights+k] = t
	}
	for k, t := range c.Optim {
		out[prefixOptim+k] = t
	}
	return out
}

// Position flattens where the run is (epoch, batch, iteration, seed, the
// epoch in progress, early stopping) and its history into the tensors
// "position" and "history": the checkpoint without its weights and
// optimizer state, which a project keeps as groups of their own.
func (c *Checkpoint) Position() map[string]Tensor {
	out := map[string]Tensor{}
	var pos []float32
	add := func(vs ...float64) {
		for _, v := range vs {
			hi, lo := split64(v)
			pos = append(pos, hi, lo)
		}
	}
	u := uint64(c.Seed)
	add(positionFormat, float64(c.Epoch), float64(c.Batch), float64(c.Iteration),
		float64(u>>48), float64(u>>32&0xffff), float64(u>>16&0xffff), float64(u&0xffff),
		c.LossSum, float64(c.Correct), float64(c.Seen), c.BestValAcc, float64(c.BestEpoch), float64(c.BadEpochs))
	out[tensorPosition] = Tensor{Shape: []int{len(pos)}, Data: pos}
	if len(c.History) > 0 {
		var h []float32
		for _, e := range c.History {
			for _, v := range e.values() {
				hi, lo := split64(v)
				h = append(h, hi, lo)
			}
		}
		out[tensorHistory] = Tensor{Shape: []int{len(c.History), 2 * epochFields}, Data: h}
	}
	return out
}

// DecodeCheckpoint rebuilds a checkpoint from the tensors Tensors wrote.
func DecodeCheckpoint(kind string, ts map[string]Tensor) (*Checkpoint, error) {
	position, weights, optim := map[string]Tensor{}, map[string]Tensor{}, map[string]Tensor{}
	for k, t := range ts {
		switch {
		case strings.HasPrefix(k, prefixWeights):
			weights[k[len(prefixWeights):]] = t
		case strings.HasPrefix(k, prefixOptim):
			optim[k[len(prefixOptim):]] = t
		default:
			position[k] = t
		}
	}
	return NewCheckpoint(kind, position, weights, optim)
}

// NewCheckpoint rebuilds a checkpoint from the tensors Position wrote and
// the weights and optimizer state (by parameter name). The maps are used,
// not copied.
func NewCheckpoint(kind string, position, weights, optim map[string]Tensor) (*Checkpoint, error) {
	ts := position
	pos, ok := ts[tensorPosition]
	if !ok {
		return nil, errors.New("the checkpoint has no position: it was not written by a training run")
	}
	const fields = 14
	if len(pos.Data) != 2*fields {
		return nil, fmt.Errorf("the checkpoint position has %d values, want %d", len(pos.Data), 2*fields)
	}
	v := make([]float64, fields)
	for i := range v {
		v[i] = join64(pos.Data[2*i], pos.Data[2*i+1])
	}
	if v[0] != positionFormat {
		return nil, fmt.Errorf("checkpoint position format %g is not %d; this Workbench cannot resume it", v[0], positionFormat)
	}
	for i, x := range v {
		if i != 8 && i != 11 && (x < 0 || x != math.Trunc(x) || x > 1<<48) {
			return nil, fmt.Errorf("checkpoint position field %d = %g is not a count", i, x)
		}
	}
	c := &Checkpoint{Kind: kind, Epoch: int(v[1]), Batch: int(v[2]), Iteration: int(v[3]),
		Seed:    int64(uint64(v[4])<<48 | uint64(v[5])<<32 | uint64(v[6])<<16 | uint64(v[7])),
		LossSum: v[8], Correct: int(v[9]), Seen: int(v[10]), BestValAcc: v[11], BestEpoch: int(v[12]), BadEpochs: int(v[13]),
		Weights: weights, Optim: optim}
	if h, ok := ts[tensorHistory]; ok {
		if len(h.Shape) != 2 || h.Shape[1] != 2*epochFields || len(h.Data) != h.Shape[0]*h.Shape[1] {
			return nil, fmt.Errorf("checkpoint history has shape %v, want [epochs, %d]", h.Shape, 2*epochFields)
		}
		for e := range h.Shape[0] {
			row := h.Data[e*2*epochFields : (e+1)*2*epochFields]
			vals := make([]float64, epochFields)
			for i := range vals {
				vals[i] = join64(row[2*i], row[2*i+1])
			}
			c.History = append(c.History, epochFromValues(vals))
		}
	}
	if len(c.History) != c.Epoch {
		return nil, fmt.Errorf("checkpoint at %s holds %d epochs of history; it is damaged", c.Where(), len(c.History))
	}
	if c.Optim == nil {
		c.Optim = map[string]Tensor{}
	}
	if len(c.Weights) == 0 {
		return nil, errors.New("the checkpoint holds no weights")
	}
	return c, nil
}

// hostCopy copies tensors to the host.
func hostCopy(ts map[string]*tensor.Tensor) map[string]Tensor {
	out := make(map[string]Tensor, len(ts))
	names := make([]string, 0, len(ts))
	for k := range ts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t := ts[k]
		out[k] = Tensor{Shape: append([]int(nil), t.Shape...), Data: t.Data()}
	}
	return out
}

// toTensors places host tensors on the CPU for LoadState calls.
func toTensors(ts map[string]Tensor) (map[string]*tensor.Tensor, error) {
	out := make(map[string]*tensor.Tensor, len(ts))
	for k, t := range ts {
		if tensor.Numel(t.Shape) != len(t.Data) {
			return nil, fmt.Errorf("tensor %s has %d values for shape %v", k, len(t.Data), t.Shape)
		}
		out[k] = tensor.FromData(host, t.Data, t.Shape...)
	}
	return out, nil
}
