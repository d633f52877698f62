package inspect

import (
	"fmt"
	"image"
	"sort"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/train"
)

// ConvLayers lists the graph's convolutions in graph order: the layers
// whose filters can be shown.
func ConvLayers(g graph.Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.Op == "conv2d" {
			out = append(out, n.ID)
		}
	}
	return out
}

// FilterImages renders the filters of a convolution weight of shape
// [O, I, K, K]. With 3 input channels (a first layer on colour images)
// each filter is one colour tile, and with 1 (grey images) one grey tile,
// laid out about square (cols 0); otherwise each (filter, input channel)
// is a grey tile, row o holding filter o's I channels (so rows are
// filters and columns input channels, cols = I). Every filter is normalised on its
// own, its smallest weight black and its largest white, as in the course.
// It returns the tiles and the number of columns to lay them out in.
func FilterImages(shape []int, w []float32) (tiles []image.Image, cols int, err error) {
	if len(shape) != 4 || shape[2] < 1 || shape[3] < 1 || len(w) != shape[0]*shape[1]*shape[2]*shape[3] {
		return nil, 0, fmt.Errorf("filters need a [out, in, k, k] weight with matching values; got shape %v and %d values", shape, len(w))
	}
	o, in, kh, kw := shape[0], shape[1], shape[2], shape[3]
	size := in * kh * kw
	if in == 3 {
		for f := range o {
			v := w[f*size : (f+1)*size]
			lo, hi := minMax(v)
			img, _ := ColorMap(v, kh, kw, lo, hi)
			tiles = append(tiles, img)
		}
		return tiles, 0, nil
	}
	if in == 1 {
		cols = 0
	} else {
		cols = in
	}
	for f := range o {
		v := w[f*size : (f+1)*size]
		lo, hi := minMax(v)
		for c := range in {
			img, _ := GrayMap(v[c*kh*kw:(c+1)*kh*kw], kh, kw, lo, hi)
			tiles = append(tiles, img)
		}
	}
	return tiles, cols, nil
}

// FilterGrid is FilterImages laid out as one picture (first-layer filters
// about square, deeper ones a row per filter). scale 0 enlarges small
// kernels to at least 12 pixels a tile.
func FilterGrid(shape []int, w []float32, scale int) (*image.NRGBA, error) {
	tiles, cols, err := FilterImages(shape, w)
	if err != nil {
		return nil, err
	}
	if scale <= 0 {
		scale = max(1, (12+shape[3]-1)/shape[3])
	}
	return TileGrid(tiles, GridOptions{Cols: cols, Scale: scale}), nil
}

// Snapshot is a named set of weights, such as a checkpoint taken after
// an epoch (names "<node>.weight", PyTorch's).
type Snapshot struct {
	Label   string
	Epoch   int
	Weights map[string]train.Tensor
}

// FilterFrame is one layer's filters in one snapshot.
type FilterFrame struct {
	Label string
	Epoch int
	Image *image.NRGBA
}

// FilterEvolution renders layer's filters in every snapshot that holds
// them, ordered by epoch (stable for equal epochs), so that a slider can
// step through training. Snapshots without the layer are skipped; an
// error says when none has it.
func FilterEvolution(snaps []Snapshot, layer string, scale int) ([]FilterFrame, error) {
	order := make([]int, len(snaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return snaps[order[a]].Epoch < snaps[order[b]].Epoch })
	var frames []FilterFrame
	for _, i := range order {
		s := snaps[i]
		t, ok := s.Weights[layer+".weight"]
		if !ok {
			continue
		}
		img, err := FilterGrid(t.Shape, t.Data, scale)
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", layer, s.Label, err)
		}
		frames = append(frames, FilterFrame{Label: s.Label, Epoch: s.Epoch, Image: img})
	}
	if len(frames) == 0 {
		return nil, fmt.Errorf("no snapshot holds %s.weight: is %s a convolution of this model?", layer, layer)
	}
	return frames, nil
}
