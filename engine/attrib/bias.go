package attrib

import (
	"context"
	"fmt"
	"math"
)

// Bias methods: which attribution map shows where the model looks.
const (
	BiasSaliency   = "saliency"
	BiasGradCAM    = "gradcam"
	BiasSmoothGrad = "smoothgrad"
)

// BiasOptions tune Bias.
type BiasOptions struct {
	Method string // BiasSaliency (default), BiasGradCAM or BiasSmoothGrad
	Layer  string // Grad-CAM's layer
	// Border is the width of the border band as a fraction of the image
	// side (1/8).
	Border float64
	// PerClass caps the images of each class (0: all).
	PerClass int
	Batch    int // images per gradient pass (16)
	// Masks, when set, holds one foreground mask of H×W per image (true:
	// the object, e.g. a GrabCut cut): ClassBias.Foreground is the
	// fraction of the map on it.
	Masks    [][]bool
	Samples  int // SmoothGrad's noisy copies (25)
	Progress Progress
}

// ClassBias is where the model looks when it explains one class: the mean
// of its images' maps (each normalised to sum 1 first, so every image
// counts the same) and how that mass is spread over the image.
type ClassBias struct {
	Class  int
	Images int
	// Empty counts the images whose map was zero everywhere (Grad-CAM's
	// ReLU can cut all of it); they are left out of the mean.
	Empty int
	Mean  Map // sums to 1 (all zero when every map was)
	// Border is the share of the mass in the border band, BorderArea the
	// band's share of the image (what a map spread evenly would give).
	Border, BorderArea float64
	// Regions is the share of the mass in each cell of a 3×3 grid over
	// the image, [row][column]: [0][0] is the top-left corner, [1][1]
	// the centre.
	Regions [3][3]float64
	// Foreground is the share on the foreground masks (NaN without them),
	// ForegroundArea the masks' mean share of the image.
	Foreground, ForegroundArea float64
	// PeakY, PeakX is the mean map's largest value.
	PeakY, PeakX int
}

// Bias is the "saliency uncovers biases" view: for each class present in
// labels, where the model looks to find it, from the maps of up to
// o.PerClass of its images explained for their true class. A model that
// learned a spurious cue (a watermark in a corner, snow behind wolves)
// shows its mass there instead of on the object. Classes come back in
// order; classes without images are left out.
func (n Net) Bias(ctx context.Context, x []float32, N int, labels []int, o BiasOptions) ([]ClassBias, error) {
	in := n.Input()
	c, h, w := in[0], in[1], in[2]
	d := c * h * w
	if len(x) != N*d || len(labels) != N {
		return nil, fmt.Errorf("%d values and %d labels for %d images of %v", len(x), len(labels), N, in)
	}
	if o.Masks != nil && len(o.Masks) != N {
		return nil, fmt.Errorf("%d foreground masks for %d images", len(o.Masks), N)
	}
	if o.Border == 0 {
		o.Border = 1.0 / 8
	}
	if !(o.Border > 0 && o.Border < 0.5) {
		return nil, fmt.Errorf("border %g: use a fraction of the side between 0 and 0.5", o.Border)
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	switch o.Method {
	case "":
		o.Method = BiasSaliency
	case BiasSaliency, BiasSmoothGrad:
	case BiasGradCAM:
		if o.Layer == "" {
			return nil, fmt.Errorf("Grad-CAM needs a layer")
		}
	default:
		return nil, fmt.Errorf("bias method %q: use %s, %s or %s", o.Method, BiasSaliency, BiasGradCAM, BiasSmoothGrad)
	}
	classes := n.Classes()
	// The images to explain: up to PerClass of each class, in order.
	var pick []int
	count := make(map[int]int)
	for i, k := range labels {
		if k < 0 || k >= classes {
			return nil, fmt.Errorf("image %d has class %d; the model has %d classes", i, k, classes)
		}
		if o.PerClass > 0 && count[k] >= o.PerClass {
			continue
		}
		count[k]++
		pick = append(pick, i)
	}
	sums := make(map[int][]float64)
	empty := make(map[int]int)
	fg := make(map[int][2]float64) // share on the mask, mask area, summed
	for lo := 0; lo < len(pick); lo += o.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := pick[lo:min(lo+o.Batch, len(pick))]
		xb := make([]float32, 0, len(idx)*d)
		targets := make([]Target, len(idx))
		for j, i := range idx {
			xb = append(xb, x[i*d:(i+1)*d]...)
			targets[j] = ClassTarget(labels[i])
		}
		maps, err := n.biasMaps(ctx, xb, len(idx), targets, o)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			k := labels[i]
			v := normalisedMass(maps[j])
			if v == nil {
				empty[k]++
				continue
			}
			if sums[k] == nil {
				sums[k] = make([]float64, h*w)
			}
			for p, m := range v {
				sums[k][p] += m
			}
			if o.Masks != nil {
				on, area := maskShare(v, o.Masks[i])
				f := fg[k]
				fg[k] = [2]float64{f[0] + on, f[1] + area}
			}
		}
		o.Progress.report(min(lo+o.Batch, len(pick)), len(pick))
	}
	var out []ClassBias
	for k := range classes {
		if count[k] == 0 {
			continue
		}
		b := ClassBias{Class: k, Images: count[k], Empty: empty[k], Foreground: math.NaN(), ForegroundArea: math.NaN()}
		used := float64(count[k] - empty[k])
		mean := Map{H: h, W: w, V: make([]float32, h*w)}
		for p, s := range sums[k] {
			mean.V[p] = float32(s / used)
		}
		b.Mean = mean
		b.Border, b.BorderArea = borderShare(mean, o.Border)
		b.Regions = regionShares(mean)
		b.PeakY, b.PeakX = mean.Max()
		if o.Masks != nil && used > 0 {
			b.Foreground, b.ForegroundArea = fg[k][0]/used, fg[k][1]/used
		}
		out = append(out, b)
	}
	return out, nil
}

// biasMaps explains a batch with the chosen method.
func (n Net) biasMaps(ctx context.Context, x []float32, N int, targets []Target, o BiasOptions) ([]Map, error) {
	switch o.Method {
	case BiasGradCAM:
		cams, err := n.GradCAM(x, N, targets, o.Layer)
		if err != nil {
			return nil, err
		}
		maps := make([]Map, N)
		for i, c := range cams {
			maps[i] = c.Image
		}
		return maps, nil
	case BiasSmoothGrad:
		s := o.Samples
		if s <= 0 {
			s = 25
		}
		maps, _, err := n.SmoothGrad(ctx, x, N, targets, SmoothOptions{Samples: s, Sigma: 0.15, Seed: 1})
		return maps, err
	}
	maps, _, err := n.Saliency(x, N, targets)
	return maps, err
}

// normalisedMass is m's non-negative part scaled to sum 1 (nil when m has
// no positive value).
func normalisedMass(m Map) []float64 {
	v := make([]float64, len(m.V))
	var s float64
	for i, x := range m.V {
		if x > 0 {
			v[i] = float64(x)
			s += v[i]
		}
	}
	if !(s > 0) {
		return nil
	}
	for i := range v {
		v[i] /= s
	}
	return v
}

// maskShare is the mass of v on mask and the mask's share of the image.
func maskShare(v []float64, mask []bool) (on, area float64) {
	if len(mask) != len(v) {
		return math.NaN(), math.NaN()
	}
	var n int
	for i, m := range mask {
		if m {
			on += v[i]
			n++
		}
	}
	return on, float64(n) / float64(len(v))
}

// borderShare is m's mass within a band of frac·side pixels along the
// edges (at least one pixel), and the band's share of the image.
func borderShare(m Map, frac float64) (mass, area float64) {
	by := max(1, int(math.Round(frac*float64(m.H))))
	bx := max(1, int(math.Round(frac*float64(m.W))))
	var n int
	for y := range m.H {
		for x := range m.W {
			if y < by || y >= m.H-by || x < bx || x >= m.W-bx {
				mass += float64(m.V[y*m.W+x])
				n++
			}
		}
	}
	return mass, float64(n) / float64(m.H*m.W)
}

// regionShares is m's mass in each cell of a 3×3 grid.
func regionShares(m Map) [3][3]float64 {
	var r [3][3]float64
	for y := range m.H {
		for x := range m.W {
			r[y*3/m.H][x*3/m.W] += float64(m.V[y*m.W+x])
		}
	}
	return r
}
