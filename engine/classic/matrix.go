package classic

import (
	"github.com/workbench-cv/workbench/engine/data"
)

// Matrix is a row-major float32 matrix: one example a row.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i without copying.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Pixels flattens a data set's images into a matrix of raw pixel values
// (0-255, as floats), the input of the course's first classifiers.
func Pixels(s *data.Set) *Matrix {
	n, d := s.Len(), s.Size()
	m := &Matrix{Rows: n, Cols: d, Data: make([]float32, n*d)}
	for i, v := range s.Images {
		m.Data[i] = float32(v)
	}
	return m
}

// Standardizer subtracts a per-column mean and divides by a per-column
// standard deviation, both computed on the training matrix.
type Standardizer struct {
	Mean, Std []float32
	// ScaleStd is false for raw pixels (the course only subtracts the mean
	// image) and true for features.
	ScaleStd bool
}

// FitStandardizer computes the statistics of m.
func FitStandardizer(m *Matrix, scaleStd bool) *Standardizer {
	s := &Standardizer{Mean: make([]float32, m.Cols), Std: make([]float32, m.Cols), ScaleStd: scaleStd}
	mean := make([]float64, m.Cols)
	sq := make([]float64, m.Cols)
	for i := 0; i < m.Rows; i++ {
		for j, v := range m.Row(i) {
			mean[j] += float64(v)
			sq[j] += float64(v) * float64(v)
		}
	}
	for j := range mean {
		mu := mean[j] / float64(max(m.Rows, 1))
		v := sq[j]/float64(max(m.Rows, 1)) - mu*mu
		s.Mean[j] = float32(mu)
		s.Std[j] = 1
		if scaleStd && v > 1e-12 {
			s.Std[j] = float32(sqrt(v))
		}
	}
	return s
}

// Apply returns a standardised copy of m.
func (s *Standardizer) Apply(m *Matrix) *Matrix {
	out := &Matrix{Rows: m.Rows, Cols: m.Cols, Data: make([]float32, len(m.Data))}
	for i := 0; i < m.Rows; i++ {
		src, dst := m.Row(i), out.Row(i)
		for j, v := range src {
			dst[j] = (v - s.Mean[j]) / s.Std[j]
		}
	}
	return out
}

// WithBias appends a column of ones (the bias trick).
func WithBias(m *Matrix) *Matrix {
	out := &Matrix{Rows: m.Rows, Cols: m.Cols + 1, Data: make([]float32, m.Rows*(m.Cols+1))}
	for i := 0; i < m.Rows; i++ {
		copy(out.Row(i), m.Row(i))
		out.Row(i)[m.Cols] = 1
	}
	return out
}

// Concat joins the columns of matrices with the same number of rows.
func Concat(ms ...*Matrix) *Matrix {
	cols := 0
	for _, m := range ms {
		cols += m.Cols
	}
	out := &Matrix{Rows: ms[0].Rows, Cols: cols, Data: make([]float32, ms[0].Rows*cols)}
	for i := 0; i < out.Rows; i++ {
		off := 0
		for _, m := range ms {
			copy(out.Row(i)[off:], m.Row(i))
			off += m.Cols
		}
	}
	return out
}
