package classic

import (
	"context"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

func sqrt(x float64) float64 { return math.Sqrt(x) }

// Metric is a distance for nearest neighbours.
type Metric string

// Metrics.
const (
	L1 Metric = "l1"
	L2 Metric = "l2"
)

// Distances returns the [test.Rows, train.Rows] matrix of distances. L2 is
// computed fully vectorised as sqrt(|a|² + |b|² - 2ab) with one GEMM; L1 with
// a blocked loop over goroutines.
func Distances(train, test *Matrix, metric Metric) ([]float32, error) {
	if train.Cols != test.Cols {
		return nil, fmt.Errorf("train has %d values per example, test %d: use the same features for both", train.Cols, test.Cols)
	}
	nTr, nTe, d := train.Rows, test.Rows, train.Cols
	out := make([]float32, nTe*nTr)
	switch metric {
	case L2:
		blas.Sgemm(false, true, nTe, nTr, d, -2, test.Data, d, train.Data, d, 0, out, nTr)
		trN, teN := rowNorms(train), rowNorms(test)
		parallel.For(nTe, nTr, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				row := out[i*nTr : (i+1)*nTr]
				for j := range row {
					row[j] = float32(math.Sqrt(float64(max(row[j]+teN[i]+trN[j], 0))))
				}
			}
		})
	case L1:
		parallel.For(nTe, nTr*d, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				a := test.Row(i)
				row := out[i*nTr : (i+1)*nTr]
				for j := range row {
					row[j] = l1(a, train.Row(j))
				}
			}
		})
	default:
		return nil, fmt.Errorf("unknown metric %q: use l1 or l2", metric)
	}
	return out, nil
}

func l1(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += abs32(a[i] - b[i])
		s1 += abs32(a[i+1] - b[i+1])
		s2 += abs32(a[i+2] - b[i+2])
		s3 += abs32(a[i+3] - b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += abs32(a[i] - b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func rowNorms(m *Matrix) []float32 {
	n := make([]float32, m.Rows)
	parallel.For(m.Rows, m.Cols, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var s0, s1, s2, s3 float32
			r := m.Row(i)
			j := 0
			for ; j+4 <= len(r); j += 4 {
				s0 += r[j] * r[j]
				s1 += r[j+1] * r[j+1]
				s2 += r[j+2] * r[j+2]
				s3 += r[j+3] * r[j+3]
			}
			for ; j < len(r); j++ {
				s0 += r[j] * r[j]
			}
			n[i] = (s0 + s1) + (s2 + s3)
		}
	})
	return n
}

// DistancesTwoLoops is the course's naive L2 distance (a loop over test and
// train examples), kept as the baseline the vectorised version is measured
// against.
func DistancesTwoLoops(train, test *Matrix) []float32 {
	out := make([]float32, test.Rows*train.Rows)
	for i := 0; i < test.Rows; i++ {
		a := test.Row(i)
		for j := 0; j < train.Rows; j++ {
			b := train.Row(j)
			var s float64
			for k, v := range a {
				dv := float64(v - b[k])
				s += dv * dv
			}
			out[i*train.Rows+j] = float32(math.Sqrt(s))
		}
	}
	return out
}

// Neighbors returns, for each test row of dists ([nTest, nTrain]), the
// indices of its k nearest training examples, nearest first (ties by lower
// index).
func Neighbors(dists []float32, nTrain, k int) [][]int {
	nTest := len(dists) / nTrain
	out := make([][]int, nTest)
	parallel.For(nTest, nTrain*2, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = topK(dists[i*nTrain:(i+1)*nTrain], k)
		}
	})
	return out
}

// topK selects the indices of the k smallest values, smallest first, ties
// by lower index. It keeps a sorted window of k candidates, so most values
// cost one comparison.
func topK(row []float32, k int) []int {
	k = min(k, len(row))
	idx := make([]int, 0, k)
	for j, v := range row {
		if len(idx) == k && v >= row[idx[k-1]] {
			continue
		}
		// Insert j keeping idx sorted by (value, index).
		pos := len(idx)
		for pos > 0 && row[idx[pos-1]] > v {
			pos--
		}
		if len(idx) < k {
			idx = append(idx, 0)
		}
		copy(idx[pos+1:], idx[pos:len(idx)-1])
		idx[pos] = j
	}
	return idx
}

// NearestNeighbors returns the k nearest training rows of every test row,
// computing the distances in blocks of test rows so that memory stays
// bounded (the full matrix for Fashion-MNIST would take 2.4 GB).
func NearestNeighbors(ctx context.Context, train, test *Matrix, metric Metric, k int, progress func(done, total int)) ([][]int, error) {
	const block = 512
	out := make([][]int, 0, test.Rows)
	for lo := 0; lo < test.Rows; lo += block {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+block, test.Rows)
		sub := &Matrix{Rows: hi - lo, Cols: test.Cols, Data: test.Data[lo*test.Cols : hi*test.Cols]}
		d, err := Distances(train, sub, metric)
		if err != nil {
			return nil, err
		}
		out = append(out, Neighbors(d, train.Rows, k)...)
		if progress != nil {
			progress(hi, test.Rows)
		}
	}
	return out, nil
}

// Vote is the majority label among the first k neighbours. Ties go to the
// smallest class index (the course's rule: argmax of the vote counts).
func Vote(neigh []int, labels []int32, k, classes int) int32 {
	counts := make([]int, classes)
	for _, j := range neigh[:min(k, len(neigh))] {
		counts[labels[j]]++
	}
	best := 0
	for c, n := range counts {
		if n > counts[best] {
			best = c
		}
	}
	return int32(best)
}

// KNNAccuracy predicts every test example with k neighbours and returns the
// accuracy and the predictions.
func KNNAccuracy(neigh [][]int, trainLabels, testLabels []int32, k, classes int) (float64, []int32) {
	pred := make([]int32, len(neigh))
	correct := 0
	for i, nb := range neigh {
		pred[i] = Vote(nb, trainLabels, k, classes)
		if pred[i] == testLabels[i] {
			correct++
		}
	}
	return float64(correct) / float64(max(len(neigh), 1)), pred
}

// CVResult is cross-validation accuracy for one k.
type CVResult struct {
	K     int
	Folds []float64
	Mean  float64
	Std   float64
}

// CrossValidateKNN runs folds-fold cross-validation over ks on the training
// matrix. Each fold's distance matrix is computed once and reused for every
// k. folds gives each fold's row indices (see data.Folds).
func CrossValidateKNN(ctx context.Context, x *Matrix, labels []int32, classes int, folds [][]int, ks []int, metric Metric, progress func(done, total int)) ([]CVResult, error) {
	res := make([]CVResult, len(ks))
	for i, k := range ks {
		res[i].K = k
	}
	maxK := 0
	for _, k := range ks {
		maxK = max(maxK, k)
	}
	for f := range folds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		inVal := map[int]bool{}
		for _, i := range folds[f] {
			inVal[i] = true
		}
		var trIdx []int
		for i := 0; i < x.Rows; i++ {
			if !inVal[i] {
				trIdx = append(trIdx, i)
			}
		}
		tr, trL := take(x, labels, trIdx)
		va, vaL := take(x, labels, folds[f])
		nb, err := NearestNeighbors(ctx, tr, va, metric, maxK, nil)
		if err != nil {
			return nil, err
		}
		for i, k := range ks {
			acc, _ := KNNAccuracy(nb, trL, vaL, k, classes)
			res[i].Folds = append(res[i].Folds, acc)
		}
		if progress != nil {
			progress(f+1, len(folds))
		}
	}
	for i := range res {
		var s, q float64
		for _, a := range res[i].Folds {
			s += a
		}
		res[i].Mean = s / float64(len(res[i].Folds))
		for _, a := range res[i].Folds {
			q += (a - res[i].Mean) * (a - res[i].Mean)
		}
		res[i].Std = math.Sqrt(q / float64(len(res[i].Folds)))
	}
	return res, nil
}

// BestK picks the k with the highest mean accuracy (the smallest k on ties).
func BestK(res []CVResult) CVResult {
	best := res[0]
	for _, r := range res[1:] {
		if r.Mean > best.Mean+1e-12 || (math.Abs(r.Mean-best.Mean) <= 1e-12 && r.K < best.K) {
			best = r
		}
	}
	return best
}

func take(x *Matrix, labels []int32, idx []int) (*Matrix, []int32) {
	m := &Matrix{Rows: len(idx), Cols: x.Cols, Data: make([]float32, len(idx)*x.Cols)}
	l := make([]int32, len(idx))
	for j, i := range idx {
		copy(m.Row(j), x.Row(i))
		l[j] = labels[i]
	}
	return m, l
}

// KNNConfig is the course's k-NN recipe: cross-validate k on the training
// split, then classify the test split with the best k.
type KNNConfig struct {
	// Ks are the values of k to try (at least one).
	Ks     []int
	Metric Metric
	// Folds is the number of cross-validation folds (class-balanced, drawn
	// under Seed); 1 skips cross-validation and uses Ks[0].
	Folds int
	Seed  int64
	// Neighbours keeps at least this many nearest training images of each
	// test image in the result (to show them); the largest k is always kept.
	Neighbours int
	// Progress, when set, reports each finished fold (stage "cv") and the
	// test images classified so far (stage "test").
	Progress func(stage string, done, total int)
}

// KNNResult is what the recipe found.
type KNNResult struct {
	// CV holds the cross-validation accuracy of each k, in the order of
	// Ks (nil with one fold); Best is the chosen k's.
	CV   []CVResult
	Best CVResult
	// TestAcc is the test accuracy with the best k; TestAccByK every k's.
	TestAcc    float64
	TestAccByK map[int]float64
	// Neighbours are each test image's nearest training images, nearest
	// first.
	Neighbours [][]int
}

// KNN runs the recipe on pixels: cross-validation over cfg.Ks on train
// (each fold's distances computed once for every k), the best k (ties: the
// smaller), then the test split classified with all of train. Cancelling
// ctx stops it between blocks of work.
func KNN(ctx context.Context, train, test *data.Set, cfg KNNConfig) (*KNNResult, error) {
	if len(cfg.Ks) == 0 {
		return nil, fmt.Errorf("give at least one k")
	}
	if cfg.Folds < 1 {
		return nil, fmt.Errorf("%d folds: use 1 or more", cfg.Folds)
	}
	if train.Len() == 0 || test.Len() == 0 {
		return nil, fmt.Errorf("k-NN needs training and test images (got %d and %d)", train.Len(), test.Len())
	}
	if cfg.Folds > train.Len() {
		return nil, fmt.Errorf("%d folds are more than the %d training images", cfg.Folds, train.Len())
	}
	report := func(stage string) func(done, total int) {
		if cfg.Progress == nil {
			return nil
		}
		return func(done, total int) { cfg.Progress(stage, done, total) }
	}
	classes := len(train.Classes)
	xtr, xte := Pixels(train), Pixels(test)
	res := &KNNResult{Best: CVResult{K: cfg.Ks[0]}, TestAccByK: map[int]float64{}}
	if cfg.Folds > 1 {
		cv, err := CrossValidateKNN(ctx, xtr, train.Labels, classes, data.Folds(train, cfg.Folds, cfg.Seed), cfg.Ks, cfg.Metric, report("cv"))
		if err != nil {
			return nil, err
		}
		res.CV, res.Best = cv, BestK(cv)
	}
	keep := cfg.Neighbours
	for _, k := range cfg.Ks {
		keep = max(keep, k)
	}
	nb, err := NearestNeighbors(ctx, xtr, xte, cfg.Metric, min(keep, xtr.Rows), report("test"))
	if err != nil {
		return nil, err
	}
	res.Neighbours = nb
	res.TestAcc, _ = KNNAccuracy(nb, train.Labels, test.Labels, res.Best.K, classes)
	for _, k := range cfg.Ks {
		res.TestAccByK[k], _ = KNNAccuracy(nb, train.Labels, test.Labels, k, classes)
	}
	return res, nil
}
