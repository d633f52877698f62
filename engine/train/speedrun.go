package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// SpeedrunConfig is airbench94's training recipe (Keller Jordan 2024) for a
// model built by models.Speedrun: Nesterov SGD on the summed
// label-smoothed cross-entropy with a triangular learning-rate schedule,
// BatchNorm biases at 64x the learning rate, the whitening layer's bias
// (at the base rate) trained for the first epochs only, Lookahead every 5
// steps, alternating-flip and reflect-translate augmentation; evaluate with
// EvaluateTTA (mirror and translate test-time augmentation). Zero fields
// take airbench's values.
type SpeedrunConfig struct {
	Epochs           float64 // 9.9
	Batch            int     // 1024
	LR               float64 // 11.5, per 1024 examples
	Momentum         float64 // 0.85
	WeightDecay      float64 // 0.0153, per 1024 examples
	BiasScaler       float64 // 64
	LabelSmoothing   float64 // 0.2
	WhitenBiasEpochs int     // 3
	Translate        int     // 2 pixels of reflect padding
	NoFlip           bool    // turn off the mirror augmentation
	// RandomFlip mirrors each image with probability 1/2 every epoch
	// instead of airbench's alternating flip (half the images mirrored
	// once, at random, and all of them mirrored again every odd epoch, so
	// each image is seen both ways in turn).
	RandomFlip  bool
	NoLookahead bool
	Scale       float32 // the logits' multiplier (models.SpeedrunScale)
	EvalBatch   int     // 500
	Seed        int64
	// Mean and Std normalise pixels in [0, 1] per channel (CIFAR-10's).
	Mean, Std []float32
	// Epoch, when set, is called after each epoch with its number (1-based)
	// and training seconds.
	Epoch func(epoch int, seconds, loss, acc float64)
}

// CIFAR10Mean and CIFAR10Std are the channel statistics airbench
// normalises with.
var (
	CIFAR10Mean = []float32{0.4914, 0.4822, 0.4465}
	CIFAR10Std  = []float32{0.2470, 0.2435, 0.2616}
)

func (c SpeedrunConfig) withDefaults() SpeedrunConfig {
	def := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.Epochs, 9.9)
	def(&c.LR, 11.5)
	def(&c.Momentum, 0.85)
	def(&c.WeightDecay, 0.0153)
	def(&c.BiasScaler, 64)
	def(&c.LabelSmoothing, 0.2)
	if c.Batch == 0 {
		c.Batch = 1024
	}
	if c.WhitenBiasEpochs == 0 {
		c.WhitenBiasEpochs = 3
	}
	if c.Translate == 0 {
		c.Translate = 2
	}
	if c.Scale == 0 {
		c.Scale = 1.0 / 9
	}
	if c.EvalBatch == 0 {
		c.EvalBatch = 500
	}
	if c.Mean == nil {
		c.Mean, c.Std = CIFAR10Mean, CIFAR10Std
	}
	return c
}

// SpeedrunResult sums up a speedrun.
type SpeedrunResult struct {
	Steps        int
	EpochSeconds []float64 // training time of each epoch (evaluation excluded)
	TrainImages  int       // images trained on, over all epochs
	TrainSeconds float64
	TrainLoss    float64 // mean loss per image over the last epoch
	TrainAcc     float64
}

// SpeedrunLR is airbench94's schedule: the factor on the base learning
// rate at step of total, rising linearly from 0.2 to 1 over the first 23%
// of the steps and then falling linearly to 0.07 at the last step.
func SpeedrunLR(step, total int) float64 {
	peak := int(0.23 * float64(total))
	if step < peak {
		f := float64(step) / float64(peak)
		return 0.2*(1-f) + f
	}
	f := float64(step-peak) / float64(total-peak)
	return (1 - f) + 0.07*f
}

// speedrunGroups sorts the parameters into airbench's optimizer groups:
// BatchNorm biases (high learning rate) and everything else but the frozen
// whitening weights and BatchNorm scales. The whitening bias is in the
// second group: airbench picks the high-rate group by "norm" in the name.
func speedrunGroups(m *nn.Model) (biases, other []*nn.Param, whitenBias *nn.Param, err error) {
	for _, p := range m.Params {
		node := m.Node(p.Node)
		switch {
		case p.Name == "whiten.weight":
			p.V.SetRequiresGrad(false)
		case p.Name == "whiten.bias":
			whitenBias = p
			p.V.SetRequiresGrad(true)
			other = append(other, p)
		case node != nil && node.Op == "batchnorm2d" && strings.HasSuffix(p.Name, ".weight"):
			p.V.SetRequiresGrad(false)
		case node != nil && node.Op == "batchnorm2d":
			p.V.SetRequiresGrad(true)
			biases = append(biases, p)
		default:
			p.V.SetRequiresGrad(true)
			other = append(other, p)
		}
	}
	if whitenBias == nil {
		return nil, nil, nil, errors.New("speedrun: the model has no whiten.bias; build it with models.Speedrun")
	}
	return biases, other, whitenBias, nil
}

// Speedrun trains m on trainSet with airbench's recipe. The model must
// have been initialised with models.InitSpeedrun. Evaluate afterwards with
// EvaluateTTA.
func Speedrun(ctx context.Context, m *nn.Model, trainSet *data.Set, cfg SpeedrunConfig) (*SpeedrunResult, error) {
	cfg = cfg.withDefaults()
	if err := checkFits(m, trainSet); err != nil {
		return nil, err
	}
	nb := trainSet.Len() / cfg.Batch // airbench drops the last partial batch
	if nb == 0 {
		return nil, fmt.Errorf("speedrun: %d training images make no batch of %d; use more images or a smaller batch", trainSet.Len(), cfg.Batch)
	}
	total := int(math.Ceil(float64(nb) * cfg.Epochs))
	biases, other, whitenBias, err := speedrunGroups(m)
	if err != nil {
		return nil, err
	}
	kilostep := 1024 * (1 + 1/(1-cfg.Momentum))
	lr := cfg.LR / kilostep
	wd := cfg.WeightDecay * float64(cfg.Batch) / kilostep
	lrBias := lr * cfg.BiasScaler
	mkOpt := func(lr float64) (optim.Optimizer, error) {
		return optim.New("nesterov", optim.Config{LR: float32(lr), Momentum: float32(cfg.Momentum),
			WeightDecay: float32(wd / lr), DecayAll: true})
	}
	optBias, err := mkOpt(lrBias)
	if err != nil {
		return nil, err
	}
	optOther, err := mkOpt(lr)
	if err != nil {
		return nil, err
	}
	var la *Lookahead
	if !cfg.NoLookahead {
		la = NewLookahead(m)
		defer la.Free()
	}
	feed := newSpeedrunFeed(trainSet, cfg)
	defer feed.close()
	classes := len(trainSet.Classes)
	res := &SpeedrunResult{}
	step := 0
	for epoch := 0; step < total; epoch++ {
		if epoch == cfg.WhitenBiasEpochs {
			whitenBias.V.SetRequiresGrad(false)
			if g := whitenBias.V.Grad; g != nil {
				g.B.Free(g.Buf)
			}
			whitenBias.V.ZeroGrad()
		}
		start := time.Now()
		lossSum, correct, seen := 0.0, 0, 0
		feed.start(epoch)
		for bi := 0; bi < nb && step < total; bi++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			xb, labels := feed.next()
			n := len(labels)
			x := autograd.Const(tensor.FromData(m.B, xb, n, trainSet.C, trainSet.H, trainSet.W))
			feed.done(xb) // copied to the backend: the feed may build the next batch in it
			logits := autograd.Scale(m.Forward(&nn.Ctx{Training: true, Seed: uint64(cfg.Seed), Step: uint64(step)}, x), cfg.Scale)
			ce := autograd.CrossEntropy(logits, autograd.OneHot(m.B, labels, classes, float32(cfg.LabelSmoothing)))
			loss := autograd.Scale(ce, float32(n)) // airbench sums over the batch
			// Read what the step reports before the pass frees the graph.
			lv := float64(ce.Item())
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				return nil, &DivergedError{Epoch: epoch + 1, Iteration: bi + 1, Value: lv, LR: float32(lr * SpeedrunLR(step, total))}
			}
			lossSum += lv * float64(n)
			correct += countCorrect(logits.Value, labels)
			seen += n
			for _, p := range m.Params {
				if g := p.V.Grad; g != nil {
					g.B.Free(g.Buf)
				}
				p.V.ZeroGrad()
			}
			// Each activation is freed as soon as the backward pass is
			// past it: the peak is the forward's activations, not those
			// plus every gradient.
			loss.BackwardRelease()
			f := SpeedrunLR(step, total)
			optBias.SetLR(float32(lrBias * f))
			optOther.SetLR(float32(lr * f))
			if err := optBias.Step(biases); err != nil {
				return nil, err
			}
			if err := optOther.Step(other); err != nil {
				return nil, err
			}
			m.B.Free(x.Value.Buf)
			step++
			if la != nil && step%5 == 0 {
				la.Update(float32(math.Pow(0.95, 5) * math.Pow(float64(step)/float64(total), 3)))
			}
		}
		if step >= total && la != nil {
			la.Update(1)
		}
		sec := time.Since(start).Seconds()
		res.EpochSeconds = append(res.EpochSeconds, sec)
		res.TrainSeconds += sec
		res.TrainImages += seen
		res.TrainLoss, res.TrainAcc = lossSum/math.Max(float64(seen), 1), float64(correct)/math.Max(float64(seen), 1)
		if cfg.Epoch != nil {
			cfg.Epoch(epoch+1, sec, res.TrainLoss, res.TrainAcc)
		}
	}
	for _, p := range m.Params {
		if g := p.V.Grad; g != nil {
			g.B.Free(g.Buf)
		}
		p.V.ZeroGrad()
	}
	res.Steps = step
	return res, nil
}

// speedrunFeed builds the augmented batches of an epoch one ahead of the
// training step, on its own goroutine, reusing two batch buffers.
type speedrunFeed struct {
	s   *data.Set
	cfg SpeedrunConfig
	// mirror is each image's flip in even epochs (alternating flip),
	// drawn once per run.
	mirror []bool
	out    chan speedrunBatch
	free   chan []float32
	stop   chan struct{}
	done_  chan struct{}
}

type speedrunBatch struct {
	x      []float32
	labels []int32
}

func newSpeedrunFeed(s *data.Set, cfg SpeedrunConfig) *speedrunFeed {
	f := &speedrunFeed{s: s, cfg: cfg, free: make(chan []float32, 2), stop: make(chan struct{})}
	for i := 0; i < 2; i++ {
		f.free <- make([]float32, cfg.Batch*s.Size())
	}
	if !cfg.NoFlip && !cfg.RandomFlip {
		r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xf11b))
		f.mirror = make([]bool, s.Len())
		for i := range f.mirror {
			f.mirror[i] = r.IntN(2) == 1
		}
	}
	return f
}

// start begins producing epoch's batches (the previous epoch must have been
// consumed).
func (f *speedrunFeed) start(epoch int) {
	nb := f.s.Len() / f.cfg.Batch
	r := rand.New(rand.NewPCG(uint64(f.cfg.Seed), uint64(epoch)+0x5eed))
	order := r.Perm(f.s.Len())
	f.out = make(chan speedrunBatch, 1)
	f.done_ = make(chan struct{})
	go func(out chan speedrunBatch, done chan struct{}) {
		defer close(done)
		size, pad := f.s.Size(), f.cfg.Translate
		for b := 0; b < nb; b++ {
			var buf []float32
			select {
			case buf = <-f.free:
			case <-f.stop:
				return
			}
			labels := make([]int32, f.cfg.Batch)
			for i := 0; i < f.cfg.Batch; i++ {
				idx := order[b*f.cfg.Batch+i]
				cr := data.Crop{DY: r.IntN(2*pad + 1), DX: r.IntN(2*pad + 1)}
				switch {
				case f.mirror != nil:
					cr.Flip = f.mirror[idx] != (epoch%2 == 1)
				case f.cfg.RandomFlip:
					cr.Flip = r.IntN(2) == 1
				}
				data.NormalizeCrop(buf[i*size:(i+1)*size], f.s.Image(idx), f.s.C, f.s.H, f.s.W, pad, cr, f.cfg.Mean, f.cfg.Std)
				labels[i] = f.s.Labels[idx]
			}
			select {
			case out <- speedrunBatch{buf, labels}:
			case <-f.stop:
				return
			}
		}
	}(f.out, f.done_)
}

func (f *speedrunFeed) next() ([]float32, []int32) {
	b := <-f.out
	return b.x, b.labels
}

// done hands a batch buffer back for reuse.
func (f *speedrunFeed) done(x []float32) { f.free <- x }

func (f *speedrunFeed) close() {
	close(f.stop)
	if f.done_ != nil {
		<-f.done_
	}
}
