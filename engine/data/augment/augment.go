package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/internal/kinderr"
)

// Image is one image: C planes of H x W float32 pixels (CHW), nominally in
// [0, 1]. Ops modify Pix in place.
type Image struct {
	C, H, W int
	Pix     []float32
}

// Clone returns a deep copy.
func (im Image) Clone() Image {
	im.Pix = append([]float32(nil), im.Pix...)
	return im
}

// Env carries what some ops need to know about the dataset.
type Env struct {
	// Fill is the per-channel value cutout paints (the dataset's mean, so
	// that after normalisation the hole is zero); nil means 0.
	Fill []float32
	// ColourPCA is the pixel-colour covariance's eigen-decomposition used by
	// pca-colour; see FitColourPCA.
	ColourPCA *ColourPCA
}

func (e *Env) fill(c int) float32 {
	if e == nil || c >= len(e.Fill) {
		return 0
	}
	return e.Fill[c]
}

// Op is one augmentation.
type Op interface {
	// Name is the op's name with its parameter, as Parse accepts it.
	Name() string
	// Apply augments im in place using r for every random choice.
	Apply(im Image, r *rand.Rand, env *Env)
}

// Pipeline is a list of ops applied in order, plus mixup, which mixes
// pairs of images within a batch and so is applied by the batch loader.
type Pipeline struct {
	Ops []Op
	// Mixup is the Beta(alpha, alpha) parameter of mixup; 0 means off.
	Mixup float64
	Env   Env
}

// Rand returns the generator for image index in epoch under seed. The same
// triple always gives the same sequence.
func Rand(seed int64, epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(uint64(seed)), mix(uint64(epoch)<<40^uint64(index)^0x5bd1e995)))
}

// BatchRand returns the generator for batch-level choices (mixup) of
// batch b in epoch under seed, independent of the per-image ones.
func BatchRand(seed int64, epoch, b int) *rand.Rand {
	return rand.New(rand.NewPCG(mix(uint64(seed)^0xb7e151628aed2a6b), mix(uint64(epoch)<<40^uint64(b)^0x27d4eb2f165667c5)))
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Apply augments im in place with the generator of (seed, epoch, index).
func (p *Pipeline) Apply(im Image, seed int64, epoch, index int) {
	if p == nil || len(p.Ops) == 0 {
		return
	}
	r := Rand(seed, epoch, index)
	for _, op := range p.Ops {
		op.Apply(im, r, &p.Env)
	}
}

// Empty reports a pipeline that changes nothing.
func (p *Pipeline) Empty() bool { return p == nil || len(p.Ops) == 0 && p.Mixup == 0 }

// String lists the ops as Parse accepts them.
func (p *Pipeline) String() string {
	if p == nil {
		return ""
	}
	var names []string
	for _, op := range p.Ops {
		names = append(names, op.Name())
	}
	if p.Mixup > 0 {
		names = append(names, "mixup:"+fmtF(p.Mixup))
	}
	return strings.Join(names, ",")
}

// NeedsColourPCA reports whether an op uses Env.ColourPCA.
func (p *Pipeline) NeedsColourPCA() bool {
	if p == nil {
		return false
	}
	for _, op := range p.Ops {
		if _, ok := op.(pcaColour); ok {
			return true
		}
	}
	return false
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type spec struct {
	names []string
	help  string
	def   float64
	check func(float64) error
	make  func(float64) Op
}

func inRange(lo, hi float64) func(float64) error {
	return func(v float64) error {
		if v < lo || v > hi || math.IsNaN(v) {
			return fmt.Errorf("must lie in [%s, %s]", fmtF(lo), fmtF(hi))
		}
		return nil
	}
}

var specs = []spec{
	{[]string{"hflip", "flip"}, "horizontal flip with probability P", 0.5, inRange(0, 1), func(v float64) Op { return flip{p: v, horizontal: true} }},
	{[]string{"vflip"}, "vertical flip with probability P", 0.5, inRange(0, 1), func(v float64) Op { return flip{p: v} }},
	{[]string{"crop"}, "random crop after zero padding by P pixels (0: an eighth of the side)", 0, inRange(0, 1024), func(v float64) Op { return crop{pad: int(v)} }},
	{[]string{"resized-crop", "rrc"}, "random resized crop: area fraction in [P, 1], aspect 3/4-4/3, resized back", 0.08, inRange(0.01, 1), func(v float64) Op { return resizedCrop{minScale: v} }},
	{[]string{"scale", "zoom"}, "random zoom by a factor in [1-P, 1+P] about the centre", 0.1, inRange(0, 0.9), func(v float64) Op { return scale{amount: v} }},
	{[]string{"translate", "shift"}, "random shift by up to P of the width and height", 0.1, inRange(0, 1), func(v float64) Op { return translate{frac: v} }},
	{[]string{"rotate", "rotation"}, "random rotation by up to P degrees", 15, inRange(0, 180), func(v float64) Op { return rotate{deg: v} }},
	{[]string{"jitter", "colour-jitter", "color-jitter"}, "brightness, contrast and saturation each scaled by a factor in [1-P, 1+P], in random order", 0.4, inRange(0, 1), func(v float64) Op { return jitter{b: v, c: v, s: v} }},
	{[]string{"brightness"}, "brightness scaled by a factor in [1-P, 1+P]", 0.4, inRange(0, 1), func(v float64) Op { return jitter{b: v} }},
	{[]string{"contrast"}, "contrast scaled by a factor in [1-P, 1+P]", 0.4, inRange(0, 1), func(v float64) Op { return jitter{c: v} }},
	{[]string{"saturation"}, "saturation scaled by a factor in [1-P, 1+P]", 0.4, inRange(0, 1), func(v float64) Op { return jitter{s: v} }},
	{[]string{"pca-colour", "pca-color", "lighting"}, "AlexNet's PCA colour noise with standard deviation P", 0.1, inRange(0, 10), func(v float64) Op { return pcaColour{sigma: v} }},
	{[]string{"cutout"}, "cutout: a square of side P pixels (0: half the side) set to the mean", 0, inRange(0, 4096), func(v float64) Op { return cutout{size: int(v)} }},
	{[]string{"erase", "random-erasing"}, "random erasing with probability P: a rectangle of random noise", 0.5, inRange(0, 1), func(v float64) Op { return erase{p: v} }},
	{[]string{"mixup"}, "mixup of image pairs with Beta(P, P) weights and soft labels", 0.2, inRange(0.001, 100), nil},
}

// Names describes the accepted op names, one line each, for help text.
func Names() []string {
	var out []string
	for _, s := range specs {
		out = append(out, fmt.Sprintf("%s[:P]  %s (P default %s)", strings.Join(s.names, "|"), s.help, fmtF(s.def)))
	}
	sort.Strings(out)
	return out
}

// OpList is the ops' names, comma-separated, for messages and help: each op
// by its first name ("hflip, vflip, crop, …"; Parse also takes the other
// spellings, such as flip). The Data pane's help and Parse's error both show
// it, so the two always agree.
func OpList() string {
	var all []string
	for _, s := range specs {
		all = append(all, s.names[0])
	}
	return strings.Join(all, ", ")
}

// ErrParse is wrapped by every error from Parse.
var ErrParse = fmt.Errorf("augment")

// Parse builds a pipeline from a comma-separated list of op names, each
// optionally with a parameter after a colon: "flip,crop:4,rotate:10,mixup".
// An empty list or "none" gives an empty pipeline.
func Parse(list string) (*Pipeline, error) {
	p := &Pipeline{}
	list = strings.TrimSpace(list)
	if list == "" || list == "none" {
		return p, nil
	}
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, arg, hasArg := strings.Cut(item, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		var sp *spec
		for i := range specs {
			for _, n := range specs[i].names {
				if n == name {
					sp = &specs[i]
				}
			}
		}
		if sp == nil {
			return nil, kinderr.Errorf(ErrParse, "unknown augmentation %q; use a comma-separated list of %s (each optionally name:value)", name, OpList())
		}
		v := sp.def
		if hasArg {
			f, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
			if err != nil {
				return nil, kinderr.Errorf(ErrParse, "augmentation %s: parameter %q is not a number; write %s:%s", name, arg, name, fmtF(sp.def))
			}
			if err := sp.check(f); err != nil {
				return nil, kinderr.Errorf(ErrParse, "augmentation %s: parameter %s %v", name, arg, err)
			}
			v = f
		}
		if sp.make == nil { // mixup
			p.Mixup = v
			continue
		}
		p.Ops = append(p.Ops, sp.make(v))
	}
	return p, nil
}
