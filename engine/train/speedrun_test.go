package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/tensor"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

func TestSpeedrunLR(t *testing.T) {
	// airbench94's triangle: np.interp(step, [0, int(0.23*T), T], [0.2, 1, 0.07]) with T = 100.
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.2}, {10, 0.2 + 0.8*10/23.0}, {23, 1}, {61, 1 - 0.93*38/77.0}, {99, 1 - 0.93*76/77.0}, {100, 0.07}} {
		if g := SpeedrunLR(c.step, 100); math.Abs(g-c.want) > 1e-12 {
			t.Errorf("SpeedrunLR(%d, 100) = %g, want %g", c.step, g, c.want)
		}
	}
}

// TestLookahead follows PyTorch's lerp_ semantics: slow += (1-decay)(net-slow),
// then net = slow.
func TestLookahead(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1}},
		{ID: "fc", Op: "linear", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 2, "bias": 0}}}}
	m, err := nn.Build(g, []int{1}, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	v := m.Params[0].V
	v.Value.Set([]float32{1, 2})
	l := NewLookahead(m)
	v.Value.Set([]float32{3, 6})
	l.Update(0.75)
	if g := v.Value.Data(); g[0] != 1.5 || g[1] != 3 {
		t.Errorf("after decay 0.75: %v, want [1.5 3]", g)
	}
	v.Value.Set([]float32{10, 10})
	l.Update(1)
	if g := v.Value.Data(); g[0] != 1.5 || g[1] != 3 {
		t.Errorf("decay 1 must reset to the slow weights: %v", g)
	}
	l.Free()
}

// rampSet holds n 1x8x32 images whose values rise left to right, labelled
// with their index, so a batch tells which image was mirrored.
func rampSet(n int) *data.Set {
	s := &data.Set{C: 1, H: 8, W: 32, Classes: make([]string, n)}
	for i := 0; i < n; i++ {
		s.Labels = append(s.Labels, int32(i))
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				s.Images = append(s.Images, uint8(4*x+i%3))
			}
		}
	}
	return s
}

// TestSpeedrunFeedAlternatesFlip checks airbench's alternating flip: each
// image keeps one random orientation in even epochs and the other in odd
// epochs, and about half the images start mirrored.
func TestSpeedrunFeedAlternatesFlip(t *testing.T) {
	s := rampSet(64)
	cfg := SpeedrunConfig{Batch: 16, Seed: 7, Mean: []float32{0}, Std: []float32{1}}.withDefaults()
	f := newSpeedrunFeed(s, cfg)
	defer f.close()
	flips := make([][]bool, 3)
	for epoch := range flips {
		flips[epoch] = make([]bool, s.Len())
		seen := 0
		f.start(epoch)
		for b := 0; b < s.Len()/cfg.Batch; b++ {
			x, labels := f.next()
			for i, l := range labels {
				row := x[i*s.Size() : i*s.Size()+s.W] // first row; the middle is clear of the reflected border
				flips[epoch][l] = row[16] > row[17]
				seen++
			}
			f.done(x)
		}
		if seen != s.Len() {
			t.Fatalf("epoch %d fed %d images, want %d", epoch, seen, s.Len())
		}
	}
	mirrored := 0
	for i := range flips[0] {
		if flips[0][i] {
			mirrored++
		}
		if flips[1][i] == flips[0][i] || flips[2][i] != flips[0][i] {
			t.Errorf("image %d mirrored %v, %v, %v in epochs 0-2: want one way in even epochs, the other in odd", i, flips[0][i], flips[1][i], flips[2][i])
		}
	}
	if mirrored < 16 || mirrored > 48 {
		t.Errorf("%d of 64 images start mirrored, want about half", mirrored)
	}
	// RandomFlip draws each epoch afresh: some image keeps its orientation.
	f2 := newSpeedrunFeed(s, SpeedrunConfig{Batch: 64, Seed: 7, RandomFlip: true, Mean: []float32{0}, Std: []float32{1}}.withDefaults())
	defer f2.close()
	var same int
	var first []bool
	for epoch := 0; epoch < 2; epoch++ {
		f2.start(epoch)
		x, labels := f2.next()
		cur := make([]bool, s.Len())
		for i, l := range labels {
			row := x[i*s.Size() : i*s.Size()+s.W]
			cur[l] = row[16] > row[17]
		}
		f2.done(x)
		if first == nil {
			first = cur
			continue
		}
		for i := range cur {
			if cur[i] == first[i] {
				same++
			}
		}
	}
	if same == 0 || same == s.Len() {
		t.Errorf("random flip: %d of 64 images kept their orientation between epochs", same)
	}
}

// TestEvaluateTTA rebuilds airbench's six test-time views by hand
// (mirror, and the reflect-padded image's corner windows) and checks the
// three accuracies EvaluateTTA reports against them.
func TestEvaluateTTA(t *testing.T) {
	const n, c, h, w, classes = 60, 3, 6, 7, 4
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": c, "height": h, "width": w}},
		{ID: "conv", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 5, "kernel": 3, "pad": 0, "bias": 1}},
		{ID: "act", Op: "relu", Inputs: []string{"conv"}},
		{ID: "flat", Op: "flatten", Inputs: []string{"act"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flat"}, Attrs: map[string]float64{"out": classes, "bias": 1}},
	}}
	m, err := nn.Build(g, []int{c, h, w}, cpu.New(), 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	s := &data.Set{C: c, H: h, W: w, Classes: make([]string, classes), Labels: make([]int32, n), Images: make([]uint8, n*c*h*w)}
	for i := range s.Images {
		s.Images[i] = uint8(r.IntN(256))
	}
	mean, std := []float32{0.5, 0.4, 0.3}, []float32{0.2, 0.25, 0.3}
	refl := func(i, n int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*n - 2 - i
		}
		return i
	}
	// view returns image i moved by (d, d) (reflect padding), mirrored when flip.
	view := func(i, d int, flip bool) []float32 {
		out := make([]float32, c*h*w)
		im := s.Image(i)
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					xx := x
					if flip {
						xx = w - 1 - x
					}
					v := im[(ch*h+refl(y+d, h))*w+refl(xx+d, w)]
					out[(ch*h+y)*w+x] = (float32(v)/255 - mean[ch]) / std[ch]
				}
			}
		}
		return out
	}
	logits := func(x []float32) []float32 {
		v := autograd.Const(tensor.FromData(m.B, x, 1, c, h, w))
		return m.Forward(&nn.Ctx{NoGrad: true}, v).Value.Data()
	}
	plain, flip, full := make([]int, n), make([]int, n), make([]int, n)
	for i := 0; i < n; i++ {
		a, af := logits(view(i, 0, false)), logits(view(i, 0, true))
		ul, ulf := logits(view(i, -1, false)), logits(view(i, -1, true))
		dr, drf := logits(view(i, 1, false)), logits(view(i, 1, true))
		mir, tta := make([]float32, classes), make([]float32, classes)
		for j := range mir {
			mir[j] = 0.5*a[j] + 0.5*af[j]
			tta[j] = 0.5*mir[j] + 0.5*(0.5*(0.5*ul[j]+0.5*ulf[j])+0.5*(0.5*dr[j]+0.5*drf[j]))
		}
		plain[i], flip[i], full[i] = argmax(a), argmax(mir), argmax(tta)
	}
	// Label the images with each level's answers in turn: that level must
	// score 1 and the others their agreement with it.
	preds := [3][]int{plain, flip, full}
	for k := range preds {
		var want [3]int
		for i := 0; i < n; i++ {
			s.Labels[i] = int32(preds[k][i])
			for k2 := range preds {
				if preds[k2][i] == preds[k][i] {
					want[k2]++
				}
			}
		}
		if k == 2 && (want[0] == n || want[1] == n) {
			t.Errorf("the levels agree on every image (%v of %d); the test cannot tell them apart", want, n)
		}
		for _, batch := range []int{7, n} {
			res, err := EvaluateTTA(context.Background(), m, s, batch, mean, std)
			if err != nil {
				t.Fatal(err)
			}
			got := [3]float64{res.Plain, res.Flip, res.Acc}
			for k2, name := range []string{"plain", "mirror", "mirror and translate"} {
				if math.Abs(got[k2]-float64(want[k2])/n) > 1e-12 {
					t.Errorf("labels of level %d, batch %d: %s accuracy %g, want %d/%d", k, batch, name, got[k2], want[k2], n)
				}
			}
		}
	}
}
