package augment

import (
	"math"
	"math/rand/v2"
)

// Mixup mixes a batch with a shuffled copy of itself (Zhang et al. 2018):
// one weight lam ~ Beta(alpha, alpha) per batch, x_i <- lam x_i +
// (1-lam) x_perm(i). x holds n images of d values; the returned soft labels
// (n x k) are lam onehot(y_i) + (1-lam) onehot(y_perm(i)). It returns lam
// too.
func Mixup(x []float32, d int, labels []int32, k int, alpha float64, r *rand.Rand) (soft []float32, lam float64) {
	n := len(labels)
	lam = Beta(r, alpha, alpha)
	perm := r.Perm(n)
	orig := append([]float32(nil), x[:n*d]...)
	l32 := float32(lam)
	for i := range n {
		j := perm[i]
		xi, xj := x[i*d:(i+1)*d], orig[j*d:(j+1)*d]
		for t := range xi {
			xi[t] = l32*xi[t] + (1-l32)*xj[t]
		}
	}
	soft = make([]float32, n*k)
	for i := range n {
		soft[i*k+int(labels[i])] += l32
		soft[i*k+int(labels[perm[i]])] += 1 - l32
	}
	return soft, lam
}

// Beta draws from the Beta(a, b) distribution.
func Beta(r *rand.Rand, a, b float64) float64 {
	x := Gamma(r, a)
	y := Gamma(r, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// Gamma draws from the Gamma(shape, 1) distribution (Marsaglia and Tsang
// 2000; shapes below 1 boosted by U^(1/shape)).
func Gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		return Gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		var x, v float64
		for {
			x = r.NormFloat64()
			v = 1 + c*x
			if v > 0 {
				break
			}
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
