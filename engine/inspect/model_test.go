package inspect

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/train"
)

func sampleSet(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.Load(context.Background(), "sample", data.Options{LimitTrain: 300, LimitTest: 60, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func refCNN(t *testing.T) Net {
	t.Helper()
	g, err := models.Graph("ref-cnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, []int{1, 28, 28}, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	return Net{Model: m}
}

// spotSet holds 1×12×12 black images, each with one white pixel.
func spotSet(spots [][2]int) *data.Set {
	s := &data.Set{Classes: []string{"a"}, C: 1, H: 12, W: 12}
	for _, p := range spots {
		im := make([]uint8, 144)
		im[p[0]*12+p[1]] = 255
		s.Images = append(s.Images, im...)
		s.Labels = append(s.Labels, 0)
	}
	return s
}

func TestTopPatchesCropTheExactReceptiveField(t *testing.T) {
	// conv1 copies the centre pixel to channel 0 (its other taps and
	// channel 1 are zero); conv2 (5x5, pad 2) after a 2x2 pooling sums
	// channel 0 over its window. The brightest unit of conv1 channel 0 sits
	// on a spot.
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 12, "width": 12}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 2, "kernel": 3, "pad": 1, "bias": 0}},
		{ID: "pool", Op: "maxpool2d", Inputs: []string{"conv1"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"pool"}, Attrs: map[string]float64{"out": 1, "kernel": 5, "pad": 2, "bias": 0}},
	}}
	b := cpu.New()
	m, err := nn.Build(g, nil, b, 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	w1 := make([]float32, 2*9)
	w1[4] = 1
	w2 := make([]float32, 1*2*25)
	for i := range 25 {
		w2[i] = 1
	}
	if err := m.LoadState(map[string]*tensor.Tensor{"conv1.weight": tensor.FromData(b, w1, 2, 1, 3, 3),
		"conv2.weight": tensor.FromData(b, w2, 1, 2, 5, 5)}); err != nil {
		t.Fatal(err)
	}
	net := Net{Model: m}
	s := spotSet([][2]int{{5, 7}, {0, 11}, {9, 2}})
	ps, err := net.TopPatches(context.Background(), s, "conv1", 0, 3, PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Value != 1 {
			t.Fatalf("patch %+v: activation %v, want 1 (the spot)", p, p.Value)
		}
		spot := [][2]int{{5, 7}, {0, 11}, {9, 2}}[p.Image]
		if p.Y != spot[0] || p.X != spot[1] {
			t.Errorf("image %d: unit (%d,%d), want the spot %v", p.Image, p.Y, p.X, spot)
		}
		if p.Window != image.Rect(p.X-1, p.Y-1, p.X+2, p.Y+2) || p.Box != p.Window.Intersect(image.Rect(0, 0, 12, 12)) {
			t.Errorf("image %d: window %v box %v", p.Image, p.Window, p.Box)
		}
		crop, err := p.Crop(s)
		if err != nil {
			t.Fatal(err)
		}
		if crop.Bounds().Dx() != 3 || color.GrayModel.Convert(crop.At(1, 1)).(color.Gray).Y != 255 {
			t.Errorf("image %d: the crop's centre is not the white spot", p.Image)
		}
		// The corner spot's crop shows padding outside the image.
		if p.Image == 1 && crop.At(2, 0) != color.Color(Background) {
			t.Errorf("corner crop: outside pixel is %v, want the background", crop.At(2, 0))
		}
	}
	// Deeper: conv1 sees 3 pixels (offset -1), the pooling 3+1 = 4 (jump
	// 2), conv2 4 + 4·2 = 12 (offset -1 - 2·2 = -5); every patch's window
	// and box follow that arithmetic.
	ps, err = net.TopPatches(context.Background(), s, "conv2", 0, 3, PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rf, _ := NewReceptiveFields(g, nil)
	for _, p := range ps {
		if want := image.Rect(-5+2*p.X, -5+2*p.Y, -5+2*p.X+12, -5+2*p.Y+12); p.Window != want {
			t.Errorf("conv2 unit (%d,%d): window %v, want %v", p.Y, p.X, p.Window, want)
		}
		box, _, _ := rf.Box("conv2", 0, p.Y, p.X)
		if p.Box != box || p.Box != p.Window.Intersect(image.Rect(0, 0, 12, 12)) {
			t.Errorf("conv2 unit (%d,%d): box %v, exact %v", p.Y, p.X, p.Box, box)
		}
		spot := [][2]int{{5, 7}, {0, 11}, {9, 2}}[p.Image]
		if !image.Pt(spot[1], spot[0]).In(p.Box) {
			t.Errorf("conv2 patch of image %d misses the spot", p.Image)
		}
	}
	if _, err := net.TopPatches(context.Background(), s, "conv1", 2, 3, PatchOptions{}); err == nil {
		t.Error("channel 2 of a 2-channel layer: no error")
	}
}

func TestTopPatchesAreTheLargestActivations(t *testing.T) {
	ds := sampleSet(t)
	net := refCNN(t)
	s := ds.Test
	ps, err := net.TopPatches(context.Background(), s, "relu2", 5, 8, PatchOptions{Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	f, d, err := net.Features(context.Background(), s, nil, "relu2", FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The best unit of channel 5 in each image, sorted, gives the patches.
	var best []float32
	for i := range s.Len() {
		m := float32(math.Inf(-1))
		for _, v := range f[i*d+5*196 : i*d+6*196] {
			m = max(m, v)
		}
		best = append(best, m)
	}
	for r, p := range ps {
		if got := f[p.Image*d+5*196+p.Y*14+p.X]; got != p.Value || got != best[p.Image] {
			t.Errorf("patch %d: value %v, features say %v, image best %v", r, p.Value, got, best[p.Image])
		}
		if r > 0 && p.Value > ps[r-1].Value {
			t.Errorf("patches out of order at %d", r)
		}
		if p.Window.Dx() != 8 || p.Window.Min.X != -3+2*p.X {
			t.Errorf("relu2 window %v for unit x=%d: want 8 wide from %d", p.Window, p.X, -3+2*p.X)
		}
	}
	larger := 0
	for _, v := range best {
		if v > ps[len(ps)-1].Value {
			larger++
		}
	}
	if larger > len(ps)-1 {
		t.Errorf("%d images beat the last patch", larger)
	}
	grid, err := PatchGrid(s, ps, GridOptions{Cols: 4})
	if err != nil || grid.Bounds().Dx() != 4*8*6+5 {
		t.Errorf("patch grid %v (%v)", grid.Bounds(), err)
	}
}

func TestFiltersActivationsAndNeighbours(t *testing.T) {
	ds := sampleSet(t)
	net := refCNN(t)
	st := net.Model.State()
	w := st["conv1.weight"]
	tiles, cols, err := FilterImages(w.Shape, w.Data())
	if err != nil || len(tiles) != 32 || cols != 0 {
		t.Fatalf("conv1 filters: %d tiles, %d columns (%v)", len(tiles), cols, err)
	}
	// Each filter stretches from black to white.
	for i, tile := range tiles {
		g := tile.(*image.Gray)
		lo, hi := uint8(255), uint8(0)
		for _, v := range g.Pix {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 255 {
			t.Fatalf("filter %d spans %d-%d, want 0-255", i, lo, hi)
		}
	}
	w2 := st["conv2.weight"]
	tiles, cols, _ = FilterImages(w2.Shape, w2.Data())
	if len(tiles) != 64*32 || cols != 32 {
		t.Errorf("conv2: %d tiles in %d columns, want 64 rows of 32", len(tiles), cols)
	}
	rgb := make([]float32, 4*3*5*5)
	for i := range rgb {
		rgb[i] = float32(i % 7)
	}
	tiles, _, _ = FilterImages([]int{4, 3, 5, 5}, rgb)
	if len(tiles) != 4 || tiles[0].ColorModel() != color.NRGBAModel {
		t.Errorf("colour filters: %d tiles", len(tiles))
	}
	grid, err := FilterGrid(w.Shape, w.Data(), 0)
	if err != nil || grid.Bounds().Dx() != 6*12+7 {
		t.Errorf("filter grid %v (%v): want 6 columns of 12-pixel tiles", grid.Bounds(), err)
	}
	snaps := []Snapshot{{Label: "last", Epoch: 3, Weights: map[string]train.Tensor{"conv1.weight": {Shape: w.Shape, Data: w.Data()}}},
		{Label: "best", Epoch: 1, Weights: map[string]train.Tensor{"conv1.weight": {Shape: w.Shape, Data: w.Data()}}}, {Label: "other"}}
	frames, err := FilterEvolution(snaps, "conv1", 0)
	if err != nil || len(frames) != 2 || frames[0].Label != "best" {
		t.Errorf("evolution: %d frames (%v)", len(frames), err)
	}
	if _, err := FilterEvolution(snaps, "fc1", 0); err == nil {
		t.Error("no snapshot has fc1 filters: no error")
	}

	acts, err := net.Activations(ds.Test, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 11 || acts[0].Layer != "input" || acts[1].Layer != "conv1" || len(acts[1].Data) != 32*28*28 {
		t.Fatalf("%d activations, first %s", len(acts), acts[0].Layer)
	}
	direct, _, _ := net.Features(context.Background(), ds.Test, []int{3}, "relu2", FeatureOptions{})
	for _, a := range acts {
		if a.Layer == "relu2" {
			for i := range direct {
				if direct[i] != a.Data[i] {
					t.Fatal("relu2 activation differs from its features")
				}
			}
		}
	}
	pix, c, h, wd, err := acts[1].Maps(NormChannel)
	if err != nil || c != 32 || h != 28 || wd != 28 || len(pix) != 32*28*28 {
		t.Fatalf("maps %d×%d×%d (%v)", c, h, wd, err)
	}
	g, err := acts[1].Grid(NormLayer, 0)
	if err != nil || g.Bounds().Dx() != 6*28+7 {
		t.Errorf("activation grid %v (%v)", g.Bounds(), err)
	}
	if g, err := acts[9].Grid(NormLayer, 0); err != nil || g.Bounds().Dy() != 4+2 {
		t.Errorf("vector activation strip %v (%v)", g.Bounds(), err)
	}

	nb, err := net.LayerNeighbours(context.Background(), ds.Test, []int{0, 7}, ds.Train, "relu3", 5, FeatureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	feats, d, _ := net.Features(context.Background(), ds.Train, nil, "relu3", FeatureOptions{})
	q, _, _ := net.Features(context.Background(), ds.Test, []int{0, 7}, "relu3", FeatureOptions{})
	for r, n := range nb {
		// Against a scan.
		bestI, bestD := -1, math.Inf(1)
		for i := range ds.Train.Len() {
			if dd := dist2(q[r*d:(r+1)*d], feats[i*d:(i+1)*d]); dd < bestD {
				bestI, bestD = i, dd
			}
		}
		if n.Feature[0] != bestI || math.Abs(n.FeatureDist2[0]-bestD) > 1e-9*bestD {
			t.Errorf("query %d: nearest in features %d (%v), scan %d (%v)", n.Query, n.Feature[0], n.FeatureDist2[0], bestI, bestD)
		}
		if len(n.Pixel) != 5 || n.PixelDist2[0] > n.PixelDist2[4] {
			t.Errorf("query %d: pixel neighbours %v %v", n.Query, n.Pixel, n.PixelDist2)
		}
	}
	self, err := net.LayerNeighbours(context.Background(), ds.Test, []int{4}, ds.Test, "relu3", 3, FeatureOptions{})
	if err != nil || self[0].Feature[0] == 4 || self[0].Pixel[0] == 4 {
		t.Errorf("a query is its own neighbour: %+v (%v)", self, err)
	}
	img, err := NeighbourGrid(ds.Test, ds.Train, nb, 1)
	if err != nil || img.Bounds().Dx() != 13*28+14 || img.Bounds().Dy() != 2*28+3 {
		t.Errorf("neighbour grid %v (%v)", img.Bounds(), err)
	}
}
