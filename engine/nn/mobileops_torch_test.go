package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// PyTorch parity of the ops the wider zoo needs: hard-swish, hard-sigmoid,
// SiLU, channel shuffle, channel slice and stochastic depth.

func init() { moreLayerCases = append(moreLayerCases, mobileOpCases()...) }

// wide is normal values of spread 3 kept 0.02 away from the kinks at ±3.
func wide(rng *rand.Rand, v []float32) {
	for i := range v {
		x := rng.NormFloat64() * 3
		for math.Abs(math.Abs(x)-3) < 0.02 || math.Abs(x) < 0.01 {
			x += 0.05
		}
		v[i] = float32(x)
	}
}

// sdKeep is the keep pattern (as Python) that a stochasticdepth node "l"
// draws in a case's forward pass (Ctx seed 0, step 0), n draws at p.
func sdKeep(n int, p float32) (string, int) {
	seed := (&Ctx{}).seed(&graph.Node{ID: "l"}, 2)
	var s []string
	kept := 0
	for i := range n {
		if backend.Uniform(seed, uint64(i)) < p {
			s = append(s, "0.")
		} else {
			s = append(s, "1.")
			kept++
		}
	}
	return "[" + strings.Join(s, ", ") + "]", kept
}

// stochasticDepthTorch runs torchvision.ops.stochastic_depth with its
// Bernoulli draws replaced by ours, so that what is compared is the
// semantics: noise shape, scaling and where it applies.
func stochasticDepthTorch(keep string, p float64, mode string) string {
	return fmt.Sprintf(`import torchvision.ops
keep = torch.tensor(%s, dtype=x.dtype)
orig = torch.Tensor.bernoulli_
torch.Tensor.bernoulli_ = lambda self, q=0.5: self.copy_(keep.view_as(self))
try:
    out = torchvision.ops.stochastic_depth(x, %g, %q, True)
finally:
    torch.Tensor.bernoulli_ = orig`, keep, p, mode)
}

func mobileOpCases() []layerCase {
	keepRows, _ := sdKeep(8, 0.5)
	keepBatch, _ := sdKeep(1, 0.3)
	sdRow := one("stochasticdepth/train-row", "stochasticdepth", []int{3, 2, 3}, stochasticDepthTorch(keepRows, 0.5, "row"), "p", 0.5)
	sdRow.batch = 8
	return []layerCase{
		one("hardswish", "hardswish", []int{3, 4, 5}, "out = F.hardswish(x)").gen_(wide),
		one("hardsigmoid", "hardsigmoid", []int{3, 4, 5}, "out = F.hardsigmoid(x)").gen_(wide),
		one("hardswish/features", "hardswish", []int{7}, "out = F.hardswish(x)").gen_(wide),
		one("silu", "silu", []int{3, 4, 5}, "out = F.silu(x)").gen_(wide),
		one("channelshuffle/3", "channelshuffle", []int{6, 3, 4}, "from torchvision.models.shufflenetv2 import channel_shuffle\nout = channel_shuffle(x, 3)", "groups", 3),
		one("channelshuffle/2", "channelshuffle", []int{8, 2, 3}, "from torchvision.models.shufflenetv2 import channel_shuffle\nout = channel_shuffle(x, 2)", "groups", 2),
		one("channelslice", "channelslice", []int{6, 3, 4}, "out = x[:, 1:4]", "from", 1, "to", 4),
		one("channelslice/chunk", "channelslice", []int{6, 3, 4}, "out = x.chunk(2, dim=1)[1]", "from", 3, "to", 6),
		one("stochasticdepth/eval", "stochasticdepth", []int{3, 4, 5}, `import torchvision.ops
out = torchvision.ops.stochastic_depth(x, 0.4, "row", False)`, "p", 0.4).eval(),
		sdRow,
		one("stochasticdepth/train-batch", "stochasticdepth", []int{3, 2, 3}, stochasticDepthTorch(keepBatch, 0.3, "batch"), "p", 0.3, "batch", 1),
		one("stochasticdepth/p0", "stochasticdepth", []int{3, 2, 3}, `import torchvision.ops
out = torchvision.ops.stochastic_depth(x, 0.0, "row", True)`, "p", 0),
	}
}

// The row case above must exercise both outcomes, or it would not show a
// wrong scaling of the dropped or kept rows.
func TestStochasticDepthCaseMixesOutcomes(t *testing.T) {
	if _, kept := sdKeep(8, 0.5); kept == 0 || kept == 8 {
		t.Fatalf("the train-row case keeps %d of 8 rows; pick another batch size", kept)
	}
}

// Stochastic depth draws per example with the configured probability,
// changes with the step, and repeats for the same (seed, step).
func TestStochasticDepthDraws(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{node("x", "input", nil), node("l", "stochasticdepth", []string{"x"}, "p", 0.3)}}
	b := cpu.New()
	m, err := Build(g, []int{2, 1, 1}, b, 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	ones := make([]float32, n*2)
	for i := range ones {
		ones[i] = 1
	}
	x := autograd.Const(tensor.FromData(b, ones, n, 2, 1, 1))
	run := func(step uint64) []float32 {
		return m.Forward(&Ctx{Training: true, Seed: 9, Step: step}, x).Value.Data()
	}
	a, a2, c := run(1), run(1), run(2)
	dropped, differ := 0, 0
	for i := 0; i < n; i++ {
		r := a[2*i : 2*i+2]
		if r[0] != r[1] {
			t.Fatalf("row %d not dropped as a whole: %v", i, r)
		}
		switch r[0] {
		case 0:
			dropped++
		case float32(1 / 0.7):
		default:
			t.Fatalf("row %d scaled to %v, want 0 or 1/0.7", i, r[0])
		}
		if a[2*i] != a2[2*i] {
			t.Fatalf("the same seed and step drew differently at row %d", i)
		}
		if a[2*i] != c[2*i] {
			differ++
		}
	}
	if f := float64(dropped) / n; math.Abs(f-0.3) > 0.03 {
		t.Errorf("dropped %.3f of the rows, want 0.3", f)
	}
	if differ == 0 {
		t.Error("another step drew the same rows")
	}
	if y := m.Forward(&Ctx{Training: false}, x).Value.Data(); y[0] != 1 || y[len(y)-1] != 1 {
		t.Error("not the identity in evaluation")
	}
}
