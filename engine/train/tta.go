package train

import (
	"context"
	"errors"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TTAResult is the outcome of EvaluateTTA: accuracies at airbench's three
// test-time augmentation levels.
type TTAResult struct {
	// Acc is tta_level 2: half the mirror-averaged logits of the image,
	// half the mean of the mirror-averaged logits of the image moved one
	// pixel up-left and one pixel down-right (reflect padding).
	Acc float64
	// Flip is tta_level 1: the mean of the logits of the image and of its
	// left-right mirror.
	Flip float64
	// Plain uses the image alone.
	Plain  float64
	Images int
}

// ttaViews are the six views of tta_level 2 with their weights: the image
// and its mirror (1/4 each), and the two one-pixel translations and their
// mirrors (1/8 each). NormalizeCrop with pad 1 and offset 0 (2) shows the
// reflect-padded image's top-left (bottom-right) window.
var ttaViews = []struct {
	pad int
	cr  data.Crop
	w   float32
}{
	{0, data.Crop{}, 0.25}, {0, data.Crop{Flip: true}, 0.25},
	{1, data.Crop{}, 0.125}, {1, data.Crop{Flip: true}, 0.125},
	{1, data.Crop{DY: 2, DX: 2}, 0.125}, {1, data.Crop{DY: 2, DX: 2, Flip: true}, 0.125},
}

// EvaluateTTA evaluates m (in inference mode) on s, each image normalised
// with the per-channel mean and std (of pixels in [0, 1]), at airbench's
// test-time augmentation levels 0, 1 and 2 (see TTAResult). Logits are
// averaged, not probabilities, as airbench does.
func EvaluateTTA(ctx context.Context, m *nn.Model, s *data.Set, batch int, mean, std []float32) (*TTAResult, error) {
	if s == nil || s.Len() == 0 {
		return nil, errors.New("the split to evaluate is empty")
	}
	if err := checkFits(m, s); err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = 500
	}
	size := s.Size()
	res := &TTAResult{Images: s.Len()}
	plainOK, flipOK, ttaOK := 0, 0, 0
	buf := make([]float32, batch*size)
	logits := make([][]float32, len(ttaViews))
	for start := 0; start < s.Len(); start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(batch, s.Len()-start)
		for v, view := range ttaViews {
			for i := 0; i < n; i++ {
				data.NormalizeCrop(buf[i*size:(i+1)*size], s.Image(start+i), s.C, s.H, s.W, view.pad, view.cr, mean, std)
			}
			x := autograd.Const(tensor.FromData(m.B, buf[:n*size], n, s.C, s.H, s.W))
			out := m.Forward(&nn.Ctx{NoGrad: true}, x)
			logits[v] = out.Value.Data()
			m.B.Free(out.Value.Buf)
			m.B.Free(x.Value.Buf)
		}
		k := len(logits[0]) / n
		sum := make([]float32, k)
		for i := 0; i < n; i++ {
			l := int(s.Labels[start+i])
			row := func(v int) []float32 { return logits[v][i*k : (i+1)*k] }
			if argmax(row(0)) == l {
				plainOK++
			}
			for j := range sum {
				sum[j] = row(0)[j] + row(1)[j]
			}
			if argmax(sum) == l {
				flipOK++
			}
			clear(sum)
			for v, view := range ttaViews {
				for j, z := range row(v) {
					sum[j] += view.w * z
				}
			}
			if argmax(sum) == l {
				ttaOK++
			}
		}
	}
	res.Acc = float64(ttaOK) / float64(s.Len())
	res.Flip = float64(flipOK) / float64(s.Len())
	res.Plain = float64(plainOK) / float64(s.Len())
	return res, nil
}
