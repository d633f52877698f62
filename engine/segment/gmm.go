package segment

import (
	"math"
	"math/rand/v2"
)

// components is the number of Gaussians of each colour model.
const components = 5

type gaussian struct {
	weight float64
	mean   [3]float64
	inv    [3][3]float64 // inverse covariance
	logDet float64       // log determinant of the covariance
}

// gmm is a mixture of full-covariance Gaussians over RGB.
type gmm struct{ comps []gaussian }

// logLik is log Σ_k w_k N(z | μ_k, Σ_k).
func (m *gmm) logLik(z [3]float64) float64 {
	best := math.Inf(-1)
	var terms [components]float64
	for k := range m.comps {
		terms[k] = m.compLog(k, z)
		best = max(best, terms[k])
	}
	var s float64
	for k := range m.comps {
		s += math.Exp(terms[k] - best)
	}
	return best + math.Log(s)
}

// compLog is log(w_k N(z | μ_k, Σ_k)).
func (m *gmm) compLog(k int, z [3]float64) float64 {
	c := &m.comps[k]
	if c.weight <= 0 {
		return math.Inf(-1)
	}
	var d [3]float64
	for i := range 3 {
		d[i] = z[i] - c.mean[i]
	}
	var q float64
	for i := range 3 {
		for j := range 3 {
			q += d[i] * c.inv[i][j] * d[j]
		}
	}
	return math.Log(c.weight) - 0.5*(q+c.logDet+3*math.Log(2*math.Pi))
}

// best is the component most likely to have made z.
func (m *gmm) best(z [3]float64) int {
	k, bl := 0, math.Inf(-1)
	for i := range m.comps {
		if l := m.compLog(i, z); l > bl {
			k, bl = i, l
		}
	}
	return k
}

// fit estimates the mixture from the colours and their component labels.
func fit(z [][3]float64, label []int) *gmm {
	m := &gmm{comps: make([]gaussian, components)}
	var n [components]float64
	var sum [components][3]float64
	var sq [components][3][3]float64
	for i, c := range z {
		k := label[i]
		n[k]++
		for a := range 3 {
			sum[k][a] += c[a]
			for b := range 3 {
				sq[k][a][b] += c[a] * c[b]
			}
		}
	}
	for k := range components {
		if n[k] == 0 {
			continue
		}
		g := &m.comps[k]
		g.weight = n[k] / float64(len(z))
		var cov [3][3]float64
		for a := range 3 {
			g.mean[a] = sum[k][a] / n[k]
		}
		for a := range 3 {
			for b := range 3 {
				cov[a][b] = sq[k][a][b]/n[k] - g.mean[a]*g.mean[b]
			}
			cov[a][a] += 1e-4 // keeps a flat colour region invertible
		}
		g.inv, g.logDet = invert(cov)
	}
	return m
}

// invert returns the inverse and the log determinant of a symmetric
// positive definite 3×3 matrix.
func invert(a [3][3]float64) ([3][3]float64, float64) {
	det := a[0][0]*(a[1][1]*a[2][2]-a[1][2]*a[2][1]) - a[0][1]*(a[1][0]*a[2][2]-a[1][2]*a[2][0]) + a[0][2]*(a[1][0]*a[2][1]-a[1][1]*a[2][0])
	var inv [3][3]float64
	inv[0][0] = (a[1][1]*a[2][2] - a[1][2]*a[2][1]) / det
	inv[0][1] = (a[0][2]*a[2][1] - a[0][1]*a[2][2]) / det
	inv[0][2] = (a[0][1]*a[1][2] - a[0][2]*a[1][1]) / det
	inv[1][0] = (a[1][2]*a[2][0] - a[1][0]*a[2][2]) / det
	inv[1][1] = (a[0][0]*a[2][2] - a[0][2]*a[2][0]) / det
	inv[1][2] = (a[0][2]*a[1][0] - a[0][0]*a[1][2]) / det
	inv[2][0] = (a[1][0]*a[2][1] - a[1][1]*a[2][0]) / det
	inv[2][1] = (a[0][1]*a[2][0] - a[0][0]*a[2][1]) / det
	inv[2][2] = (a[0][0]*a[1][1] - a[0][1]*a[1][0]) / det
	return inv, math.Log(det)
}

// kmeans labels z with components clusters (k-means++ seeding, 10
// iterations).
func kmeans(z [][3]float64, rng *rand.Rand) []int {
	label := make([]int, len(z))
	k := min(components, len(z))
	centres := make([][3]float64, 0, k)
	centres = append(centres, z[rng.IntN(len(z))])
	d2 := make([]float64, len(z))
	for len(centres) < k {
		var total float64
		for i, c := range z {
			d2[i] = math.Inf(1)
			for _, m := range centres {
				d2[i] = min(d2[i], dist2(c, m))
			}
			total += d2[i]
		}
		if total == 0 {
			break
		}
		r := rng.Float64() * total
		i := 0
		for ; i < len(z)-1 && r > d2[i]; i++ {
			r -= d2[i]
		}
		centres = append(centres, z[i])
	}
	for range 10 {
		for i, c := range z {
			best := math.Inf(1)
			for j, m := range centres {
				if d := dist2(c, m); d < best {
					best, label[i] = d, j
				}
			}
		}
		var sum = make([][3]float64, len(centres))
		cnt := make([]float64, len(centres))
		for i, c := range z {
			cnt[label[i]]++
			for a := range 3 {
				sum[label[i]][a] += c[a]
			}
		}
		for j := range centres {
			if cnt[j] > 0 {
				for a := range 3 {
					centres[j][a] = sum[j][a] / cnt[j]
				}
			}
		}
	}
	return label
}

func dist2(a, b [3]float64) float64 {
	var s float64
	for i := range 3 {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}
