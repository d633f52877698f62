package train

import (
	"context"
	"errors"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// FlipTTAResult is the outcome of EvaluateFlipTTA.
type FlipTTAResult struct {
	// Acc averages the logits of each image and its mirror image (airbench's
	// tta_level 1); Plain uses the image alone.
	Acc, Plain float64
	Images     int
}

// EvaluateFlipTTA evaluates m (in inference mode) on s, each image
// normalised with the per-channel mean and std (of pixels in [0, 1]),
// with flip test-time augmentation: the class is the argmax of the mean of
// the logits of the image and of its left-right mirror. Logits are
// averaged, not probabilities, as airbench does.
func EvaluateFlipTTA(ctx context.Context, m *nn.Model, s *data.Set, batch int, mean, std []float32) (*FlipTTAResult, error) {
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
	res := &FlipTTAResult{Images: s.Len()}
	plainOK, ttaOK := 0, 0
	buf := make([]float32, batch*size)
	for start := 0; start < s.Len(); start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := min(batch, s.Len()-start)
		var logits [2][]float32
		for view := 0; view < 2; view++ {
			for i := 0; i < n; i++ {
				data.NormalizeCrop(buf[i*size:(i+1)*size], s.Image(start+i), s.C, s.H, s.W, 0,
					data.Crop{Flip: view == 1}, mean, std)
			}
			x := autograd.Const(tensor.FromData(m.B, buf[:n*size], n, s.C, s.H, s.W))
			out := m.Forward(&nn.Ctx{NoGrad: true}, x)
			logits[view] = out.Value.Data()
			m.B.Free(out.Value.Buf)
			m.B.Free(x.Value.Buf)
		}
		k := len(logits[0]) / n
		for i := 0; i < n; i++ {
			a, b := logits[0][i*k:(i+1)*k], logits[1][i*k:(i+1)*k]
			l := int(s.Labels[start+i])
			if argmax(a) == l {
				plainOK++
			}
			bestJ, best := 0, a[0]+b[0]
			for j := 1; j < k; j++ {
				if v := a[j] + b[j]; v > best {
					bestJ, best = j, v
				}
			}
			if bestJ == l {
				ttaOK++
			}
		}
	}
	res.Acc = float64(ttaOK) / float64(s.Len())
	res.Plain = float64(plainOK) / float64(s.Len())
	return res, nil
}
