package lintoy

import (
	"math"
	"math/rand/v2"
)

// Loss selects the classifier's loss.
type Loss int

// The losses of the course's demo.
const (
	// SVM is the Weston–Watkins multiclass hinge loss:
	// L_i = Σ_{j≠y_i} max(0, s_j − s_{y_i} + 1).
	SVM Loss = iota
	// Softmax is the cross-entropy loss L_i = −log(e^{s_{y_i}} / Σ_j e^{s_j}).
	Softmax
)

func (l Loss) String() string {
	if l == Softmax {
		return "softmax"
	}
	return "svm"
}

// Classes is the number of classes of the toy.
const Classes = 3

// Point is a labelled point of the plane.
type Point struct {
	X, Y  float64
	Class int
}

// Model is a linear classifier of 2-D points into Classes classes: the
// score of class c at x is W[c]·x + B[c]. It holds its data, the loss and
// the hyper-parameters of gradient descent.
type Model struct {
	Points []Point
	W      [Classes][2]float64
	B      [Classes]float64
	Loss   Loss
	// Reg is the L2 regularisation strength: the loss adds Reg·Σ W².
	Reg float64
	// LR is the step size of Step.
	LR float64
}

// NewModel returns the course demo's starting point: nine points, three
// per class, and weights that classify some of them wrongly.
func NewModel() *Model {
	m := &Model{Reg: 0.1, LR: 0.1}
	m.Reset()
	return m
}

// Reset puts the points and weights back where NewModel had them (the loss
// and hyper-parameters are kept).
func (m *Model) Reset() {
	m.Points = []Point{
		{0.5, 0.4, 0}, {0.8, 0.3, 0}, {0.3, 0.8, 0},
		{-0.4, 0.3, 1}, {-0.3, 0.7, 1}, {-0.7, 0.2, 1},
		{0.7, -0.4, 2}, {0.5, -0.6, 2}, {-0.4, -0.5, 2},
	}
	m.W = [Classes][2]float64{{1, 2}, {2, -4}, {3, -1}}
	m.B = [Classes]float64{0, 0.5, -0.5}
}

// Randomize draws new weights (standard normal) and biases (in ±0.5).
func (m *Model) Randomize(r *rand.Rand) {
	for c := range m.W {
		m.W[c] = [2]float64{r.NormFloat64(), r.NormFloat64()}
		m.B[c] = r.Float64() - 0.5
	}
}

// Scores returns every class's score at (x, y).
func (m *Model) Scores(x, y float64) [Classes]float64 {
	var s [Classes]float64
	for c := range s {
		s[c] = m.W[c][0]*x + m.W[c][1]*y + m.B[c]
	}
	return s
}

// Predict returns the class with the highest score at (x, y) (the lowest
// class index on ties).
func (m *Model) Predict(x, y float64) int {
	s := m.Scores(x, y)
	best := 0
	for c := 1; c < Classes; c++ {
		if s[c] > s[best] {
			best = c
		}
	}
	return best
}

// PointLoss returns the data loss of point i.
func (m *Model) PointLoss(i int) float64 {
	p := m.Points[i]
	s := m.Scores(p.X, p.Y)
	if m.Loss == Softmax {
		mx := s[0]
		for _, v := range s[1:] {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for _, v := range s {
			sum += math.Exp(v - mx)
		}
		return -(s[p.Class] - mx - math.Log(sum))
	}
	l := 0.0
	for c := range s {
		if c != p.Class {
			l += math.Max(0, s[c]-s[p.Class]+1)
		}
	}
	return l
}

// Losses returns the total loss (the data loss, averaged over the points,
// plus the regularisation loss) and its two parts.
func (m *Model) Losses() (total, data, reg float64) {
	for i := range m.Points {
		data += m.PointLoss(i)
	}
	if n := len(m.Points); n > 0 {
		data /= float64(n)
	}
	for c := range m.W {
		reg += m.W[c][0]*m.W[c][0] + m.W[c][1]*m.W[c][1]
	}
	reg *= m.Reg
	return data + reg, data, reg
}

// Accuracy is the fraction of points classified right.
func (m *Model) Accuracy() float64 {
	if len(m.Points) == 0 {
		return 0
	}
	ok := 0
	for _, p := range m.Points {
		if m.Predict(p.X, p.Y) == p.Class {
			ok++
		}
	}
	return float64(ok) / float64(len(m.Points))
}

// Gradient returns the gradient of the total loss with respect to W and B.
func (m *Model) Gradient() (dW [Classes][2]float64, dB [Classes]float64) {
	n := float64(max(len(m.Points), 1))
	for _, p := range m.Points {
		s := m.Scores(p.X, p.Y)
		var ds [Classes]float64
		if m.Loss == Softmax {
			mx := s[0]
			for _, v := range s[1:] {
				mx = math.Max(mx, v)
			}
			sum := 0.0
			for c := range s {
				ds[c] = math.Exp(s[c] - mx)
				sum += ds[c]
			}
			for c := range ds {
				ds[c] /= sum
			}
			ds[p.Class]--
		} else {
			for c := range s {
				if c != p.Class && s[c]-s[p.Class]+1 > 0 {
					ds[c]++
					ds[p.Class]--
				}
			}
		}
		for c := range ds {
			dW[c][0] += ds[c] * p.X / n
			dW[c][1] += ds[c] * p.Y / n
			dB[c] += ds[c] / n
		}
	}
	for c := range dW {
		dW[c][0] += 2 * m.Reg * m.W[c][0]
		dW[c][1] += 2 * m.Reg * m.W[c][1]
	}
	return dW, dB
}

// Step takes one gradient-descent step of size LR on every point.
func (m *Model) Step() {
	dW, dB := m.Gradient()
	for c := range m.W {
		m.W[c][0] -= m.LR * dW[c][0]
		m.W[c][1] -= m.LR * dW[c][1]
		m.B[c] -= m.LR * dB[c]
	}
}
