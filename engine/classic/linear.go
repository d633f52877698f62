package classic

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/workbench-cv/workbench/engine/blas"
)

// Loss is the linear classifier's loss.
type Loss string

// Losses.
const (
	SVM     Loss = "svm"
	Softmax Loss = "softmax"
)

// Linear is a linear classifier: scores = X·W, W of shape [D, C] (with the
// bias folded in as the last row when X carries a column of ones).
type Linear struct {
	D, C int
	W    []float32
	Loss Loss
}

// NewLinear starts W as small random numbers (std 1e-4, as in the course).
func NewLinear(d, c int, loss Loss, seed uint64) *Linear {
	rng := rand.New(rand.NewPCG(seed, 7))
	w := make([]float32, d*c)
	for i := range w {
		w[i] = float32(rng.NormFloat64() * 1e-4)
	}
	return &Linear{D: d, C: c, W: w, Loss: loss}
}

// Scores returns X·W, [N, C].
func (l *Linear) Scores(x *Matrix) []float32 {
	s := make([]float32, x.Rows*l.C)
	blas.Sgemm(false, false, x.Rows, l.C, l.D, 1, x.Data, x.Cols, l.W, l.C, 0, s, l.C)
	return s
}

// LossGrad returns the data loss averaged over the batch plus reg·Σw², and
// its gradient with respect to W, fully vectorised: the scores and the
// gradient are one GEMM each.
func (l *Linear) LossGrad(x *Matrix, y []int32, reg float32) (float64, []float32) {
	n, c := x.Rows, l.C
	s := l.Scores(x)
	ds := make([]float32, n*c) // dLoss/dscores
	var loss float64
	switch l.Loss {
	case SVM:
		for i := 0; i < n; i++ {
			row, g := s[i*c:(i+1)*c], ds[i*c:(i+1)*c]
			sy := row[y[i]]
			count := 0
			for j, v := range row {
				if j == int(y[i]) {
					continue
				}
				if m := v - sy + 1; m > 0 {
					loss += float64(m)
					g[j] = 1
					count++
				}
			}
			g[y[i]] = -float32(count)
		}
	case Softmax:
		for i := 0; i < n; i++ {
			row, g := s[i*c:(i+1)*c], ds[i*c:(i+1)*c]
			m := row[0]
			for _, v := range row {
				m = max(m, v)
			}
			var z float64
			for _, v := range row {
				z += math.Exp(float64(v - m))
			}
			for j, v := range row {
				p := math.Exp(float64(v-m)) / z
				g[j] = float32(p)
			}
			loss -= float64(row[y[i]]-m) - math.Log(z)
			g[y[i]]--
		}
	default:
		panic(fmt.Sprintf("classic: unknown loss %q", l.Loss))
	}
	inv := 1 / float32(n)
	for i := range ds {
		ds[i] *= inv
	}
	loss /= float64(n)
	dw := make([]float32, len(l.W))
	blas.Sgemm(true, false, l.D, c, n, 1, x.Data, x.Cols, ds, c, 0, dw, c)
	var r float64
	for i, w := range l.W {
		r += float64(w) * float64(w)
		dw[i] += 2 * reg * w
	}
	return loss + float64(reg)*r, dw
}

// Predict returns the arg-max class of each row.
func (l *Linear) Predict(x *Matrix) []int32 {
	s := l.Scores(x)
	out := make([]int32, x.Rows)
	for i := range out {
		row := s[i*l.C : (i+1)*l.C]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		out[i] = int32(best)
	}
	return out
}

// Accuracy is the fraction of rows predicted right.
func (l *Linear) Accuracy(x *Matrix, y []int32) float64 {
	p := l.Predict(x)
	ok := 0
	for i, v := range p {
		if v == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(max(len(p), 1))
}

// SGDConfig are the training settings of a linear classifier.
type SGDConfig struct {
	LR, Reg float32
	Iters   int
	Batch   int
	Seed    uint64
}

// Train runs mini-batch SGD (batches sampled with replacement, as in the
// course) and returns the loss history. It stops early when ctx is done.
func (l *Linear) Train(ctx context.Context, x *Matrix, y []int32, cfg SGDConfig, progress func(it int, loss float64)) ([]float64, error) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 11))
	batch := &Matrix{Rows: cfg.Batch, Cols: x.Cols, Data: make([]float32, cfg.Batch*x.Cols)}
	by := make([]int32, cfg.Batch)
	hist := make([]float64, 0, cfg.Iters)
	for it := 0; it < cfg.Iters; it++ {
		if it%50 == 0 {
			if err := ctx.Err(); err != nil {
				return hist, err
			}
		}
		for b := 0; b < cfg.Batch; b++ {
			i := rng.IntN(x.Rows)
			copy(batch.Row(b), x.Row(i))
			by[b] = y[i]
		}
		loss, dw := l.LossGrad(batch, by, cfg.Reg)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return hist, fmt.Errorf("loss became %v at iteration %d: the learning rate %g is too high for this regularisation %g", loss, it, cfg.LR, cfg.Reg)
		}
		for i := range l.W {
			l.W[i] -= cfg.LR * dw[i]
		}
		hist = append(hist, loss)
		if progress != nil {
			progress(it, loss)
		}
	}
	return hist, nil
}

// SearchResult is one configuration of a hyper-parameter search.
type SearchResult struct {
	LR, Reg          float32
	TrainAcc, ValAcc float64
	Err              string
	Model            *Linear
}

// RandomSearch trains n classifiers with learning rates and regularisation
// strengths drawn log-uniformly from the ranges, and returns them sorted by
// validation accuracy (best first).
func RandomSearch(ctx context.Context, loss Loss, xtr *Matrix, ytr []int32, xval *Matrix, yval []int32, classes int,
	lrRange, regRange [2]float64, n, iters int, seed uint64, progress func(done, total int)) ([]SearchResult, error) {
	rng := rand.New(rand.NewPCG(seed, 13))
	logU := func(r [2]float64) float32 {
		a, b := math.Log10(r[0]), math.Log10(r[1])
		return float32(math.Pow(10, a+rng.Float64()*(b-a)))
	}
	var out []SearchResult
	for i := 0; i < n; i++ {
		lr, reg := logU(lrRange), logU(regRange)
		m := NewLinear(xtr.Cols, classes, loss, seed+uint64(i))
		_, err := m.Train(ctx, xtr, ytr, SGDConfig{LR: lr, Reg: reg, Iters: iters, Batch: 200, Seed: seed + uint64(i)}, nil)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := SearchResult{LR: lr, Reg: reg, Model: m}
		if err != nil {
			r.Err = err.Error()
		} else {
			r.TrainAcc, r.ValAcc = m.Accuracy(xtr, ytr), m.Accuracy(xval, yval)
		}
		out = append(out, r)
		if progress != nil {
			progress(i+1, n)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ValAcc > out[b].ValAcc })
	return out, nil
}

// Templates turns each class's weights (without the bias row) into an image
// scaled to 0-255, the course's "visual viewpoint". shape is the image's
// C,H,W; the first C*H*W rows of W must be pixel weights.
func (l *Linear) Templates(c, h, w int) [][]uint8 {
	n := c * h * w
	out := make([][]uint8, l.C)
	for k := 0; k < l.C; k++ {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for i := 0; i < n; i++ {
			v := l.W[i*l.C+k]
			lo, hi = min(lo, v), max(hi, v)
		}
		img := make([]uint8, n)
		for i := 0; i < n; i++ {
			v := (l.W[i*l.C+k] - lo) / max(hi-lo, 1e-12)
			img[i] = uint8(math.Round(float64(v) * 255))
		}
		out[k] = img
	}
	return out
}
