package inspect

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// t-SNE methods.
const (
	TSNEAuto      = "auto"       // exact up to TSNEExactMax points, else Barnes-Hut
	TSNEExact     = "exact"      // all pairs, O(N²) per iteration
	TSNEBarnesHut = "barnes-hut" // sparse P over 3·perplexity neighbours, quadtree gradient
)

// TSNEExactMax is the largest N that TSNEAuto embeds exactly.
const TSNEExactMax = 1000

// TSNEOptions configure [TSNE]. Zero values take the defaults beside them,
// which are scikit-learn's (1.2) so that results can be compared.
type TSNEOptions struct {
	Perplexity float64 // 30
	Iterations int     // 1000, exaggeration phase included
	// LearningRate: 0 means "auto", max(N / EarlyExaggeration / 4, 50).
	LearningRate      float64
	EarlyExaggeration float64 // 12
	ExaggerationIters int     // 250, at momentum 0.5; then momentum 0.8
	Theta             float64 // Barnes-Hut angle, 0.5
	Method            string  // TSNEAuto
	Init              string  // "pca" (default; scaled to std 1e-4) or "random" (N(0, 1e-4²))
	Neighbors         string  // KNNAuto: how the input neighbours are found
	Seed              int64
	Threads           int // 0: the engine's budget (--threads)

	// Progress, when set, is called every ProgressEvery iterations (10)
	// and at the end, on the optimising goroutine.
	Progress      func(TSNEProgress)
	ProgressEvery int
	// Snapshots adds a copy of the layout to each progress report.
	Snapshots bool
}

// TSNEProgress is a progress report.
type TSNEProgress struct {
	Phase      string // "neighbours", "affinities", "exaggeration", "optimising", "done"
	Iteration  int    // iterations done
	Iterations int
	// KL is the latest divergence computed (every 50 iterations, as in
	// scikit-learn; NaN before the first). During the exaggeration phase it
	// is the objective with the exaggerated P.
	KL      float64
	Elapsed time.Duration
	// Layout is a copy of the current N×2 layout when Snapshots is set
	// (nil otherwise): the caller may keep it.
	Layout []float64
}

// KLPoint is the divergence at an iteration.
type KLPoint struct {
	Iteration   int
	KL          float64
	Exaggerated bool
}

// TSNEResult is an embedding.
type TSNEResult struct {
	N      int
	Layout []float64 // N×2, row-major
	// KL is KL(P || Q) of the final layout, with Q's normaliser summed
	// exactly over all pairs.
	KL           float64
	Iterations   int // iterations run (fewer than asked when it converged)
	Method       string
	LearningRate float64
	History      []KLPoint
	Seconds      float64
	// P is the input affinity matrix (sparse; for the exact method, the
	// entries of the dense matrix above the floor).
	P *Affinities
}

const (
	tsneCheckEvery    = 50 // scikit-learn's _N_ITER_CHECK
	tsneNoProgress    = 300
	tsneMinGradNorm   = 1e-7
	tsneMinGain       = 0.01
	tsneMomentumEarly = 0.5
	tsneMomentumLate  = 0.8
)

func (o *TSNEOptions) defaults(n int) error {
	if o.Perplexity == 0 {
		o.Perplexity = 30
	}
	if o.Iterations == 0 {
		o.Iterations = 1000
	}
	if o.EarlyExaggeration == 0 {
		o.EarlyExaggeration = 12
	}
	if o.ExaggerationIters == 0 {
		o.ExaggerationIters = 250
	}
	if o.Theta == 0 {
		o.Theta = 0.5
	}
	if o.Method == "" {
		o.Method = TSNEAuto
	}
	if o.Init == "" {
		o.Init = "pca"
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 10
	}
	switch {
	case !(o.Perplexity > 0) || math.IsInf(o.Perplexity, 0):
		return fmt.Errorf("perplexity %g must be positive (typical: 5 to 50)", o.Perplexity)
	case o.Perplexity >= float64(n):
		return fmt.Errorf("perplexity %g must be less than the number of points (%d); use a smaller one or more points", o.Perplexity, n)
	case o.Iterations < 1:
		return fmt.Errorf("iterations %d must be at least 1", o.Iterations)
	case o.LearningRate < 0 || math.IsNaN(o.LearningRate) || math.IsInf(o.LearningRate, 0):
		return fmt.Errorf("learning rate %g must be positive (or 0 for auto)", o.LearningRate)
	case !(o.EarlyExaggeration >= 1) || math.IsInf(o.EarlyExaggeration, 0):
		return fmt.Errorf("early exaggeration %g must be at least 1", o.EarlyExaggeration)
	case o.ExaggerationIters < 0:
		return fmt.Errorf("exaggeration iterations %d must not be negative", o.ExaggerationIters)
	case !(o.Theta > 0) || o.Theta > 1:
		return fmt.Errorf("Barnes-Hut theta %g must be in (0, 1]", o.Theta)
	case o.Init != "pca" && o.Init != "random":
		return fmt.Errorf("unknown t-SNE initialisation %q: use pca or random", o.Init)
	}
	switch o.Method {
	case TSNEAuto:
		o.Method = TSNEBarnesHut
		if n <= TSNEExactMax {
			o.Method = TSNEExact
		}
	case TSNEExact, TSNEBarnesHut:
	default:
		return fmt.Errorf("unknown t-SNE method %q: use auto, exact or barnes-hut", o.Method)
	}
	if o.LearningRate == 0 {
		o.LearningRate = max(float64(n)/o.EarlyExaggeration/4, 50)
	}
	return nil
}

type gradFunc interface {
	grad(y, g []float64, alpha float64, wantKL bool) float64
}

// TSNE embeds n rows of d values in two dimensions (van der Maaten and
// Hinton 2008; Barnes-Hut: van der Maaten 2014), optimising as
// scikit-learn does: gradient descent with momentum and per-coordinate
// gains, early exaggeration, a divergence check every 50 iterations that
// stops after 300 without progress. The same seed gives the same layout
// bit for bit, whatever the thread count.
//
// Cancelling ctx stops it within an iteration; the error is ctx's and
// the result, if the optimisation had started, holds the layout so far.
func TSNE(ctx context.Context, x []float32, n, d int, opt TSNEOptions) (*TSNEResult, error) {
	start := time.Now()
	if n < 2 || d < 1 || len(x) != n*d {
		return nil, fmt.Errorf("t-SNE needs at least 2 points of 1 or more values (got %d points of %d values, %d numbers)", n, d, len(x))
	}
	if err := opt.defaults(n); err != nil {
		return nil, err
	}
	if err := checkFinite32(x); err != nil {
		return nil, err
	}
	threads := threadsOr(opt.Threads)
	report := func(p TSNEProgress) {
		if opt.Progress != nil {
			p.Iterations = opt.Iterations
			p.Elapsed = time.Since(start)
			opt.Progress(p)
		}
	}
	res := &TSNEResult{N: n, Method: opt.Method, LearningRate: opt.LearningRate}
	var g gradFunc
	report(TSNEProgress{Phase: "neighbours", KL: math.NaN()})
	if opt.Method == TSNEExact {
		d2 := pairwiseDist2(x, n, d, threads)
		report(TSNEProgress{Phase: "affinities", KL: math.NaN()})
		p := denseAffinities(d2, n, opt.Perplexity, threads)
		res.P = sparseFromDense(p, n)
		g = newExactGrad(p, n, threads)
	} else {
		k := min(n-1, int(3*opt.Perplexity+1))
		nb, err := KNN(ctx, x, n, d, k, opt.Neighbors, opt.Seed, threads)
		if err != nil {
			return nil, err
		}
		report(TSNEProgress{Phase: "affinities", KL: math.NaN()})
		res.P = SparseAffinities(nb, opt.Perplexity, threads)
		g = newBHGrad(res.P, opt.Theta, threads)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y, err := tsneInit(x, n, d, opt)
	if err != nil {
		return nil, err
	}
	res.Layout = y
	grad := make([]float64, 2*n)
	update := make([]float64, 2*n)
	gains := make([]float64, 2*n)
	lastKL := math.NaN()
	it := 0
	// Two phases, as scikit-learn runs two _gradient_descent calls: each
	// starts with zero updates and unit gains.
	phases := []struct {
		end       int
		alpha     float64
		momentum  float64
		patience  int
		name      string
		exaggerat bool
	}{
		{min(opt.ExaggerationIters, opt.Iterations), opt.EarlyExaggeration, tsneMomentumEarly, opt.ExaggerationIters, "exaggeration", true},
		{opt.Iterations, 1, tsneMomentumLate, tsneNoProgress, "optimising", false},
	}
	for _, ph := range phases {
		if it >= ph.end {
			continue
		}
		clear(update)
		for i := range gains {
			gains[i] = 1
		}
		best, bestIt := math.MaxFloat64, it
		for ; it < ph.end; it++ {
			if err := ctx.Err(); err != nil {
				res.Iterations = it
				res.Seconds = time.Since(start).Seconds()
				return res, err
			}
			check := (it+1)%tsneCheckEvery == 0
			kl := g.grad(y, grad, ph.alpha, check || it == opt.Iterations-1)
			var norm float64
			for t, gv := range grad {
				if update[t]*gv < 0 {
					gains[t] += 0.2
				} else {
					gains[t] = max(gains[t]*0.8, tsneMinGain)
				}
				gv *= gains[t]
				norm += gv * gv
				update[t] = ph.momentum*update[t] - opt.LearningRate*gv
				y[t] += update[t]
			}
			if !math.IsNaN(kl) {
				lastKL = kl
				res.History = append(res.History, KLPoint{Iteration: it + 1, KL: kl, Exaggerated: ph.exaggerat})
			}
			done := it+1 == opt.Iterations
			if check {
				if kl < best {
					best, bestIt = kl, it
				} else if it-bestIt > ph.patience {
					done = true
				}
				if math.Sqrt(norm) <= tsneMinGradNorm {
					done = true
				}
			}
			if (it+1)%opt.ProgressEvery == 0 || done {
				p := TSNEProgress{Phase: ph.name, Iteration: it + 1, KL: lastKL}
				if opt.Snapshots {
					p.Layout = append([]float64(nil), y...)
				}
				report(p)
			}
			if done {
				it++
				break
			}
		}
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("t-SNE diverged (the layout has non-finite values): lower the learning rate %g", opt.LearningRate)
		}
	}
	res.Iterations = it
	res.KL = res.P.KL(y, threads)
	res.Seconds = time.Since(start).Seconds()
	p := TSNEProgress{Phase: "done", Iteration: it, KL: res.KL}
	if opt.Snapshots {
		p.Layout = append([]float64(nil), y...)
	}
	report(p)
	return res, nil
}

// tsneInit is scikit-learn's initial layout: the first two principal
// components scaled so that the first has standard deviation 1e-4, or
// seeded Gaussian noise of that size.
func tsneInit(x []float32, n, d int, opt TSNEOptions) ([]float64, error) {
	y := make([]float64, 2*n)
	if opt.Init == "random" || d < 2 {
		rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x75e))
		for i := range y {
			y[i] = 1e-4 * rng.NormFloat64()
		}
		return y, nil
	}
	p, err := FitPCA(x, n, d, 2)
	if err != nil {
		return nil, err
	}
	y, err = p.Transform(x, n)
	if err != nil {
		return nil, err
	}
	var m, s float64
	for i := range n {
		m += y[2*i]
	}
	m /= float64(n)
	for i := range n {
		s += (y[2*i] - m) * (y[2*i] - m)
	}
	s = math.Sqrt(s / float64(n))
	if s == 0 {
		s = 1
	}
	for i := range y {
		y[i] = y[i] / s * 1e-4
	}
	return y, nil
}

// pairwiseDist2 returns the n×n squared Euclidean distances in float64.
func pairwiseDist2(x []float32, n, d, threads int) []float64 {
	out := make([]float64, n*n)
	parallelFor(threads, n, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := i + 1; j < n; j++ {
				v := dist2(x[i*d:(i+1)*d], x[j*d:(j+1)*d])
				out[i*n+j] = v
			}
		}
	})
	for i := range n {
		for j := i + 1; j < n; j++ {
			out[j*n+i] = out[i*n+j]
		}
	}
	return out
}

// sparseFromDense keeps a dense P's off-diagonal entries as Affinities.
func sparseFromDense(p []float64, n int) *Affinities {
	a := &Affinities{N: n, Indptr: make([]int32, n+1)}
	for i := range n {
		for j := range n {
			if i != j && p[i*n+j] > 0 {
				a.Indices = append(a.Indices, int32(j))
				a.Values = append(a.Values, p[i*n+j])
			}
		}
		a.Indptr[i+1] = int32(len(a.Indices))
	}
	return a
}
