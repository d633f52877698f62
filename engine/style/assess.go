package style

import (
	"fmt"
	"strings"

	"github.com/workbench-cv/workbench/engine/attrib"
)

// Facts are what a network's weights do not say about how it was made;
// the caller knows them from the project.
type Facts struct {
	// Trained says the weights were learned (a training run, an imported
	// model) rather than left at their initialisation.
	Trained bool
	// TrainSize is the H, W of the images it learned from (zero: the
	// network's own input size).
	TrainSize [2]int
	// TrainImages and Classes describe its training set (0: unknown).
	TrainImages, Classes int
}

// Weakness is one reason why what a network makes will look poor.
type Weakness struct {
	// Kind names the reason: one of the Weak* constants.
	Kind string
	// Text says what is wrong, why it matters and what helps.
	Text string
}

// The kinds of Weakness.
const (
	WeakUntrained   = "untrained"
	WeakUpscaled    = "upscaled"
	WeakFewChannels = "few-channels"
	WeakGrayscale   = "grayscale"
	WeakSmallData   = "small-dataset"
)

// The thresholds below which Assess calls a network weak.
const (
	// MinChannels is the fewest feature maps a chosen layer should have:
	// a Gram matrix of c channels has c(c+1)/2 numbers to describe a style.
	MinChannels = 32
	// MaxUpscale is how much larger than the training images an image may
	// be before the filters see only small parts of what they learned on.
	MaxUpscale = 2.0
	// MinTrainImages and MinClasses: features learned from fewer describe
	// little beyond the classes they separate (ImageNet: 1.28 million
	// images of 1000 classes).
	MinTrainImages = 100000
	MinClasses     = 100
)

// Assess says why DeepDream, inversion, texture synthesis or style transfer
// with net's layers on images of size H, W will give poor results; nil when
// it sees no reason. It checks the weights' provenance, the image size
// against the training size, the channels of the layers, colour input and
// the size of the training set.
func Assess(net attrib.Net, layers []string, size [2]int, f Facts) []Weakness {
	var out []Weakness
	add := func(kind, format string, a ...any) {
		out = append(out, Weakness{Kind: kind, Text: fmt.Sprintf(format, a...)})
	}
	in := net.Input()
	if !f.Trained {
		add(WeakUntrained, "The network is untrained: its filters are random, so its features make noise rather than "+
			"pictures. Train it first, or import an ImageNet network (File ▸ Import Model…).")
	}
	ts := f.TrainSize
	if ts[0] <= 0 || ts[1] <= 0 {
		if len(in) == 3 {
			ts = [2]int{in[1], in[2]}
		}
	}
	if ts[0] > 0 && ts[1] > 0 {
		if r := max(float64(size[0])/float64(ts[0]), float64(size[1])/float64(ts[1])); r > MaxUpscale {
			add(WeakUpscaled, "The network learned on %d×%d images and these are %d×%d (%.0f× larger): its filters see "+
				"only small parts of the shapes they learned. Use a size near %d, or a network trained on larger images.",
				ts[0], ts[1], size[0], size[1], r, max(ts[0], ts[1]))
		}
	}
	var few []string
	for _, l := range layers {
		info := net.Model.Analysis.Nodes[l]
		if info == nil || len(info.Out) == 0 {
			continue
		}
		if c := info.Out[0]; c < MinChannels {
			few = append(few, fmt.Sprintf("%s (%d)", l, c))
		}
	}
	if len(few) > 0 {
		add(WeakFewChannels, "Few feature maps in %s: fewer than %d channels describe little of an image's texture or "+
			"style. Choose wider layers, or a wider network.", strings.Join(few, ", "), MinChannels)
	}
	if len(in) == 3 && in[0] == 1 {
		add(WeakGrayscale, "The network sees grey images only: it cannot tell or make colours, so results are grey. "+
			"Use a network trained on colour images.")
	}
	var small []string
	if f.TrainImages > 0 && f.TrainImages < MinTrainImages {
		small = append(small, fmt.Sprintf("%d images", f.TrainImages))
	}
	if f.Classes > 0 && f.Classes < MinClasses {
		small = append(small, fmt.Sprintf("%d classes", f.Classes))
	}
	if len(small) > 0 {
		add(WeakSmallData, "The network learned from a small dataset (%s): its features describe little beyond the "+
			"classes it separates. These methods were made with ImageNet networks (1.28 million images, 1000 classes).",
			strings.Join(small, ", "))
	}
	return out
}
