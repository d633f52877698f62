package onnx

import (
	"math"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// mapResize maps Resize (opset 10 and later) and Upsample (opsets 7 to 9)
// when they repeat each pixel in an s×s block, s a whole number: the
// engine's upsample. That is what PyTorch's F.interpolate(mode='nearest')
// and nn.Upsample with an integer scale factor export. Whether the
// coordinate transform and rounding of the node give exactly that is
// checked on every output row and column of the model's input size, so a
// node that would pick other pixels there (half_pixel with floor rounding,
// most align_corners, downscaling, a fractional scale) is refused, not
// approximated.
func mapResize(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "X")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	if mode := a.str("mode", "nearest"); mode != "nearest" {
		return nil, notMapped("mode %s (Workbench maps nearest-neighbour resizing by a whole factor)", mode)
	}
	// The transform and rounding of each form of the op.
	ctm, nearest := "asymmetric", "floor" // Upsample and Resize-10
	var scales []float64
	switch {
	case n.GetOpType() == "Upsample" && im.opset < 9:
		for _, v := range a.floats("scales") {
			scales = append(scales, float64(v))
		}
	case n.GetOpType() == "Upsample" || im.opset < 11: // scales as the second input
		sc, err := constIn(in, 1, "scales")
		if err != nil || sc == nil {
			return nil, orMissing(err, "Scales")
		}
		for _, v := range sc.floats() {
			scales = append(scales, float64(v))
		}
	default: // X, roi, scales, sizes
		ctm, nearest = a.str("coordinate_transformation_mode", "half_pixel"), a.str("nearest_mode", "round_prefer_floor")
		if a.int("antialias", 0) != 0 || a.has("axes") || a.str("keep_aspect_ratio_policy", "stretch") != "stretch" {
			return nil, notMapped("antialias, axes or keep_aspect_ratio_policy")
		}
		sc, err := constIn(in, 2, "scales")
		if err != nil {
			return nil, err
		}
		sz, err := constIn(in, 3, "sizes")
		if err != nil {
			return nil, err
		}
		switch {
		case sc != nil && sc.numel() > 0:
			for _, v := range sc.floats() {
				scales = append(scales, float64(v))
			}
		case sz != nil && sz.numel() == 4:
			sizes, ok := sz.ints()
			if !ok {
				return nil, inputErrorf("Resize sizes are not whole numbers")
			}
			scales = []float64{1, 1, float64(sizes[2]) / float64(x.shape[1]), float64(sizes[3]) / float64(x.shape[2])}
			if sizes[1] != int64(x.shape[0]) {
				return nil, notMapped("resizing the channel axis")
			}
		default:
			return nil, inputErrorf("Resize has neither scales nor sizes for a rank-4 input")
		}
	}
	if len(scales) != 4 {
		return nil, inputErrorf("%s has %d scales for a rank-4 input; want 4", n.GetOpType(), len(scales))
	}
	if scales[0] != 1 || scales[1] != 1 {
		return nil, notMapped("resizing the batch or channel axis")
	}
	s := scales[2]
	if scales[3] != s || s != math.Trunc(s) || s < 1 || s > 64 {
		return nil, notMapped("scales %v: Workbench upsamples height and width by the same whole factor from 1 to 64", scales[2:])
	}
	for ax, length := range x.shape[1:] {
		for i := range length * int(s) {
			src, ok := nearestSource(i, s, length, length*int(s), ctm, nearest)
			if !ok {
				return nil, notMapped("coordinate_transformation_mode %s with nearest_mode %s", ctm, nearest)
			}
			if src != i/int(s) {
				return nil, notMapped("coordinate_transformation_mode %s with nearest_mode %s takes pixel %d for output %d of axis %d, not a %gx%g block copy",
					ctm, nearest, src, i, ax+2, s, s)
			}
		}
	}
	return im.add("upsample", hint(n, -1), map[string]float64{"scale": s}, x)
}

// nearestSource is the input index ONNX's Resize reads for output index
// i along an axis of the given lengths (the operator's definition),
// false for a transform or rounding it does not know.
func nearestSource(i int, scale float64, inLen, outLen int, ctm, nearest string) (int, bool) {
	xr := float64(i)
	var xo float64
	switch ctm {
	case "half_pixel":
		xo = (xr+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if outLen > 1 {
			xo = (xr+0.5)/scale - 0.5
		}
	case "align_corners":
		if outLen > 1 {
			xo = xr * float64(inLen-1) / float64(outLen-1)
		}
	case "asymmetric":
		xo = xr / scale
	case "tf_half_pixel_for_nn":
		xo = (xr + 0.5) / scale
	default:
		return 0, false
	}
	var k float64
	switch nearest {
	case "round_prefer_floor":
		k = math.Ceil(xo - 0.5)
	case "round_prefer_ceil":
		k = math.Floor(xo + 0.5)
	case "floor":
		k = math.Floor(xo)
	case "ceil":
		k = math.Ceil(xo)
	default:
		return 0, false
	}
	return int(min(max(k, 0), float64(inLen-1))), true
}
