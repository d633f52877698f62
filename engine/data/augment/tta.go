package augment

import "fmt"

// View is one test-time augmentation view.
type View struct {
	Name  string
	Image Image
}

// TTA returns fixed views of im for test-time augmentation: the image
// itself and, when pad > 0, the four corner crops of the image padded by
// pad (that is, shifts by pad pixels diagonally); with flips, each of those
// also mirrored left to right. Classify every view and average the
// outputs (Average).
func TTA(im Image, pad int, flips bool) []View {
	type shift struct {
		name   string
		dx, dy int
	}
	shifts := []shift{{"centre", 0, 0}}
	if pad > 0 {
		shifts = append(shifts,
			shift{"top-left", pad, pad}, shift{"top-right", -pad, pad},
			shift{"bottom-left", pad, -pad}, shift{"bottom-right", -pad, -pad})
	}
	var views []View
	for _, s := range shifts {
		v := im.Clone()
		if s.dx != 0 || s.dy != 0 {
			Shift(v, s.dx, s.dy, 0)
		}
		views = append(views, View{Name: s.name, Image: v})
		if flips {
			f := v.Clone()
			HFlip(f)
			views = append(views, View{Name: s.name + "+flip", Image: f})
		}
	}
	return views
}

// Average returns the element-wise mean of equally long outputs (for
// example class probabilities of each TTA view).
func Average(outputs [][]float32) ([]float32, error) {
	if len(outputs) == 0 {
		return nil, fmt.Errorf("augment.Average: no outputs")
	}
	out := make([]float32, len(outputs[0]))
	for _, o := range outputs {
		if len(o) != len(out) {
			return nil, fmt.Errorf("augment.Average: outputs of lengths %d and %d", len(out), len(o))
		}
		for i, v := range o {
			out[i] += v
		}
	}
	for i := range out {
		out[i] /= float32(len(outputs))
	}
	return out, nil
}
