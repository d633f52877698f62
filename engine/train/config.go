package train

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
	"github.com/workbench-cv/workbench/engine/optim"
)

// host is where checkpoint tensors are staged.
var host = cpu.New()

// Losses a run can minimise.
const (
	LossSoftmax = "softmax" // softmax cross-entropy
	LossSVM     = "svm"     // multiclass hinge, margin 1
)

// Config holds a run's hyper-parameters. Zero fields take the defaults
// given beside them.
type Config struct {
	// Optimizer is one of optim.Names ("adam").
	Optimizer string
	// Optim holds the learning rate, momentum, weight decay, clipping...
	// (optim's defaults; LR 1e-3 for adam).
	Optim optim.Config
	// Schedule is one of optim.ScheduleNames ("constant").
	Schedule string
	// Warmup is the number of warm-up epochs (0).
	Warmup int
	// StepEvery is the step schedule's period in epochs (a third of the
	// run); Gamma its factor (0.1); MinLR the rate cosine ends at (0).
	StepEvery int
	Gamma     float32
	MinLR     float32

	Epochs int // 10
	Batch  int // 64
	Seed   int64

	// Loss is LossSoftmax (default) or LossSVM.
	Loss string
	// LabelSmoothing spreads eps of each target over the classes.
	LabelSmoothing float32
	// Augment is applied to the training images (nil: none).
	Augment *augment.Pipeline
	// Stats normalise every image (nil: pixels in [0,1]).
	Stats *data.Stats

	// Patience stops the run after this many epochs without a better
	// validation accuracy (0: never).
	Patience int
	// CheckpointEvery writes a KindLast checkpoint every so many
	// iterations, and CheckpointInterval at least that often in time; a
	// checkpoint is also written at the start and at the end of every
	// epoch. Zero turns each off.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// LayerStatsEvery computes per-layer statistics every so many
	// iterations (0: never).
	LayerStatsEvery int
	// Freeze lists graph nodes whose parameters stay fixed (transfer
	// learning; freeze all but the classifier for a linear probe).
	Freeze []string

	// ExplodeFactor stops the run as diverged when the loss exceeds this
	// many times the first loss of the run (at least 1): the learning rate
	// is too high long before the loss overflows to NaN (default 1000;
	// negative: only NaN and infinity stop it).
	ExplodeFactor float64

	// Workers build batches (0: all CPUs); EvalBatch is the batch size of
	// validation (256).
	Workers   int
	EvalBatch int

	// Adversarial, when set, trains on adversarial versions of the
	// batches (see Adversarial).
	Adversarial *Adversarial
}

func (c Config) withDefaults() Config {
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	if c.Schedule == "" {
		c.Schedule = "constant"
	}
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.Loss == "" {
		c.Loss = LossSoftmax
	}
	if c.ExplodeFactor == 0 {
		c.ExplodeFactor = 1000
	}
	if c.EvalBatch == 0 {
		c.EvalBatch = 256
	}
	return c
}

// Validate reports the first bad setting, naming it and the fix.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Adversarial != nil {
		if err := c.Adversarial.Validate(); err != nil {
			return err
		}
	}
	switch {
	case c.Epochs < 0:
		return fmt.Errorf("epochs %d must be positive", c.Epochs)
	case c.Batch < 0:
		return fmt.Errorf("batch size %d must be positive", c.Batch)
	case c.Warmup < 0:
		return fmt.Errorf("warm-up %d must be 0 or more epochs", c.Warmup)
	case c.Loss != LossSoftmax && c.Loss != LossSVM:
		return fmt.Errorf("unknown loss %q: use softmax or svm", c.Loss)
	case c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return fmt.Errorf("label smoothing %g must be in [0, 1)", c.LabelSmoothing)
	case c.Patience < 0 || c.CheckpointEvery < 0 || c.LayerStatsEvery < 0 || c.StepEvery < 0:
		return fmt.Errorf("patience, checkpoint and statistics periods must not be negative")
	}
	if _, err := optim.New(c.Optimizer, c.Optim); err != nil {
		return err
	}
	if _, err := optim.NewSchedule(c.Schedule, 1, 0, optim.ScheduleOptions{Gamma: c.Gamma, MinLR: c.MinLR}); err != nil {
		return err
	}
	return nil
}

// EpochMetrics are one epoch's figures. ValLoss and ValAcc are NaN without
// a validation split.
type EpochMetrics struct {
	Epoch        int // 1-based
	TrainLoss    float64
	TrainAcc     float64
	ValLoss      float64
	ValAcc       float64
	ImagesPerSec float64 // training images per second (validation excluded)
	Seconds      float64 // wall time of the epoch, validation included
	LR           float64 // learning rate of the epoch's last step
}

const epochFields = 8

func (e EpochMetrics) values() []float64 {
	return []float64{float64(e.Epoch), e.TrainLoss, e.TrainAcc, e.ValLoss, e.ValAcc, e.ImagesPerSec, e.Seconds, e.LR}
}

func epochFromValues(v []float64) EpochMetrics {
	return EpochMetrics{Epoch: int(v[0]), TrainLoss: v[1], TrainAcc: v[2], ValLoss: v[3], ValAcc: v[4],
		ImagesPerSec: v[5], Seconds: v[6], LR: v[7]}
}

// SetThreads sets the CPU threads of the engine's kernels and matrix
// products (process-wide).
func SetThreads(n int) {
	parallel.SetThreads(n)
	blas.SetThreads(n)
}

// Threads reports the kernels' thread budget.
func Threads() int { return parallel.Threads() }

// DivergedError stops a run whose loss became NaN or infinite.
type DivergedError struct {
	Epoch, Iteration int // 1-based: epoch, and iteration within it (0: validation)
	Value            float64
	LR               float32
	// First is the run's first loss when the loss exploded past
	// ExplodeFactor times it without overflowing.
	First float64
	// Kept says a checkpoint from before the divergence is kept.
	Kept bool
}

func (e *DivergedError) Error() string {
	what := "NaN"
	if math.IsInf(e.Value, 0) {
		what = "infinite"
	}
	where := fmt.Sprintf("at epoch %d iteration %d", e.Epoch, e.Iteration)
	if e.Iteration == 0 {
		where = fmt.Sprintf("on the validation split after epoch %d", e.Epoch)
	}
	head := fmt.Sprintf("loss became %s %s", what, where)
	if !math.IsNaN(e.Value) && !math.IsInf(e.Value, 0) {
		head = fmt.Sprintf("loss exploded to %.4g %s (from %.4g at the start)", e.Value, where, e.First)
	}
	msg := fmt.Sprintf("%s: the learning rate %s is probably too high or the initialisation is bad",
		head, strings.TrimSuffix(fmt.Sprintf("%g", e.LR), ".0"))
	if e.Kept {
		msg += "; the last good checkpoint is kept"
	}
	return msg
}
