package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func logits(r *rand.Rand, rows, cols int, scale float64) []float32 {
	x := normal(r, rows*cols, scale)
	if rows > 1 {
		for i := 0; i < cols; i++ {
			x[i] = 3 // a constant row: uniform probabilities
		}
	}
	if scale >= 100 && rows > 2 {
		x[2*cols] = 1e4
		x[2*cols+cols-1] = -1e4
	}
	return x
}

var softmaxGeoms = [][2]int{{1, 1}, {3, 7}, {5, 1000}, {64, 10}, {300, 3}}

func testSoftmax(t *testing.T, s *suite) {
	r := rng(t)
	for _, log := range []bool{false, true} {
		for _, scale := range []float64{1, 30, 1000} {
			for _, rc := range softmaxGeoms {
				rows, cols := rc[0], rc[1]
				x := logits(r, rows, cols, scale)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(rows * cols)
					k.Softmax(dst, up(k, x), rows, cols, log)
					return down(k, dst, rows*cols)
				})
				ref := refSoftmax(x, rows, cols, log)
				// log-softmax: x - max - lse, rounding relative to |x|.
				mag := abs64(ref)
				if log {
					for i := range mag {
						mag[i] += math.Abs(float64(x[i])) + math.Log(float64(cols))
					}
				}
				for i, v := range got {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) && !log {
						t.Fatalf("log=%v scale %g [%d,%d]: non-finite %v at %d", log, scale, rows, cols, v, i)
					}
				}
				compare(t, fmt.Sprintf("log=%v scale %g [%d,%d]", log, scale, rows, cols), got, orc, ref, mag, trans)
			}
		}
	}
}

func testSoftmaxGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, log := range []bool{false, true} {
		for _, rc := range softmaxGeoms {
			rows, cols := rc[0], rc[1]
			yf := refSoftmax(logits(r, rows, cols, 3), rows, cols, log)
			y := make([]float32, len(yf))
			for i, v := range yf {
				y[i] = float32(v)
			}
			dy := normal(r, rows*cols, 1)
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				dx := k.Alloc(rows * cols)
				k.SoftmaxGrad(dx, up(k, y), up(k, dy), rows, cols, log)
				return down(k, dx, rows*cols)
			})
			ref, mag := refSoftmaxGrad(y, dy, rows, cols, log)
			compare(t, fmt.Sprintf("log=%v [%d,%d]", log, rows, cols), got, orc, ref, mag, tol{rel: float64(2*cols + 16)})
		}
	}
}

func testSoftmaxXent(t *testing.T, s *suite) {
	r := rng(t)
	for _, scale := range []float64{1, 30, 1000} {
		for _, rc := range softmaxGeoms {
			rows, cols := rc[0], rc[1]
			x := logits(r, rows, cols, scale)
			// One-hot rows, smoothed rows and soft (mixup) rows.
			target := make([]float32, rows*cols)
			for i := 0; i < rows; i++ {
				row := target[i*cols : (i+1)*cols]
				switch i % 3 {
				case 0:
					row[r.IntN(cols)] = 1
				case 1:
					for j := range row {
						row[j] = 0.1 / float32(cols)
					}
					row[r.IntN(cols)] += 0.9
				case 2:
					var sum float32
					for j := range row {
						row[j] = r.Float32()
						sum += row[j]
					}
					for j := range row {
						row[j] /= sum
					}
				}
			}
			sc := float32(1) / float32(rows)
			var gotLoss, orcLoss []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				loss, grad := k.Alloc(rows), k.Alloc(rows*cols)
				k.SoftmaxXent(loss, grad, up(k, x), up(k, target), rows, cols, sc)
				if who == 0 {
					gotLoss = down(k, loss, rows)
				} else {
					orcLoss = down(k, loss, rows)
				}
				return down(k, grad, rows*cols)
			})
			loss, lossMag, grad, gradMag := refXent(x, target, rows, cols, float64(sc))
			for i := range lossMag {
				lossMag[i] += math.Log(float64(cols)) // log-sum-exp rounding
			}
			what := fmt.Sprintf("scale %g [%d,%d]", scale, rows, cols)
			compare(t, what+" loss", gotLoss, orcLoss, loss, lossMag, tol{rel: float64(2*cols + 64), abs: 8})
			compare(t, what+" grad", got, orc, grad, gradMag, trans)
		}
	}
}
