package embeddings

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"time"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/inspect"
)

// embedSettings are the Embeddings pane's choices for one run.
type embedSettings struct {
	layer  string
	split  string // "test" or "train"
	points int
	method string // embedTSNE or embedPCA
	tsne   inspect.TSNEOptions
	seed   int64
}

const (
	embedTSNE = "t-SNE"
	embedPCA  = "PCA"
)

// embedResult is a finished (or cancelled) embedding and its measures.
type embedResult struct {
	settings embedSettings
	set      *data.Set // the images embedded, point i is image i
	layout   []float64 // N×2
	dims     int       // the features' dimension
	// knn2D and knnFeatures are leave-one-out 10-NN accuracies inside the
	// layout and in the features (negative: not measured).
	knn2D, knnFeatures float64
	kl                 float64 // t-SNE's final KL divergence (NaN for PCA)
	explained          float64 // PCA: variance share of the two components
	iterations         int
	seconds            float64
	cancelled          bool
	// grid is the image-grid view: images at their embedded positions.
	grid       image.Image
	cols, rows int
}

// embedProgress reports a run's progress; layout, when not nil, is a copy
// of the t-SNE layout so far.
type embedProgress func(phase string, done, total int, layout []float64)

// embedImages returns the images an embedding with cfg shows: cfg.points
// of the split, class-balanced and seeded.
func embedImages(ds *data.Dataset, cfg embedSettings) *data.Set {
	set := inspection.Split(ds, cfg.split)
	if cfg.points < set.Len() {
		set = data.BalancedSubset(set, cfg.points, cfg.seed)
	}
	return set
}

// runEmbedding computes the features of set's images and embeds them in
// two dimensions. It runs on a job's goroutine.
func runEmbedding(ctx context.Context, m *inspection.Model, set *data.Set, cfg embedSettings, progress embedProgress) (*embedResult, error) {
	start := time.Now()
	n := set.Len()
	if n < 3 {
		return nil, fmt.Errorf("an embedding needs at least 3 images, the split has %d", n)
	}
	if cfg.method == embedTSNE && cfg.tsne.Perplexity >= float64(n-1) {
		return nil, fmt.Errorf("the perplexity (%g) must be less than the number of points minus one (%d): choose a smaller perplexity or more points", cfg.tsne.Perplexity, n-1)
	}
	net, err := m.Net()
	if err != nil {
		return nil, err
	}
	x, d, err := net.Features(ctx, set, nil, cfg.layer, inspect.FeatureOptions{Progress: func(done, total int) {
		progress("Features of "+cfg.layer, done, total, nil)
	}})
	if err != nil {
		return nil, err
	}
	r := &embedResult{settings: cfg, set: set, dims: d, knn2D: -1, knnFeatures: -1, kl: math.NaN(), explained: math.NaN()}
	switch cfg.method {
	case embedPCA:
		progress("PCA", 0, 1, nil)
		pca, err := inspect.FitPCA(x, n, d, 2)
		if err != nil {
			return nil, err
		}
		if r.layout, err = pca.Transform(x, n); err != nil {
			return nil, err
		}
		r.explained = 0
		for _, v := range pca.Ratio {
			r.explained += v
		}
	default:
		opt := cfg.tsne
		opt.Seed = cfg.seed
		opt.Snapshots = true
		opt.Progress = func(p inspect.TSNEProgress) {
			switch p.Phase {
			case "neighbours", "affinities":
				progress("t-SNE: "+p.Phase, 0, opt.Iterations, nil)
			default:
				what := fmt.Sprintf("t-SNE: iteration %d of %d", p.Iteration, p.Iterations)
				if !math.IsNaN(p.KL) {
					what += fmt.Sprintf(" · KL %.3f", p.KL)
				}
				progress(what, p.Iteration, p.Iterations, p.Layout)
			}
		}
		res, err := inspect.TSNE(ctx, x, n, d, opt)
		if err != nil {
			if ctx.Err() != nil && res != nil && res.Layout != nil {
				r.layout, r.iterations, r.cancelled = res.Layout, res.Iterations, true
				r.seconds = time.Since(start).Seconds()
				return r, err
			}
			return nil, err
		}
		r.layout, r.kl, r.iterations = res.Layout, res.KL, res.Iterations
	}
	progress("Measuring the embedding", 0, 1, nil)
	k := min(10, n-1)
	if acc, err := inspect.EmbeddingKNNAccuracy(r.layout, set.Labels, k); err == nil {
		r.knn2D = acc
	}
	if acc, err := featureKNNAccuracy(ctx, x, n, d, set.Labels, k, cfg.seed); err == nil {
		r.knnFeatures = acc
	}
	if err := r.drawGrid(); err != nil {
		return nil, err
	}
	r.seconds = time.Since(start).Seconds()
	return r, nil
}

// drawGrid draws the image grid of a layout: the images at their embedded
// positions, about √n cells a side.
func (r *embedResult) drawGrid() error {
	n := r.set.Len()
	r.cols = min(max(int(math.Sqrt(float64(n))), 2), 30)
	r.rows = r.cols
	assign, err := inspect.GridAssign(r.layout, r.cols, r.rows)
	if err != nil {
		return err
	}
	tile := max(r.set.H, r.set.W, 28)
	r.grid, err = inspect.ThumbnailGrid(assign, r.cols, r.rows, tile, r.set.Picture)
	return err
}

// featureKNNAccuracy is the leave-one-out k-NN accuracy in the original
// features, the reference for the embedding's: a majority vote of each
// point's k nearest other points, ties to the smaller class (as
// inspect.EmbeddingKNNAccuracy votes in 2-D).
func featureKNNAccuracy(ctx context.Context, x []float32, n, d int, labels []int32, k int, seed int64) (float64, error) {
	nb, err := inspect.KNN(ctx, x, n, d, k, inspect.KNNAuto, seed, 0)
	if err != nil {
		return 0, err
	}
	classes := 0
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	votes := make([]int, classes)
	right := 0
	for i := 0; i < n; i++ {
		clear(votes)
		idx, _ := nb.Row(i)
		for _, j := range idx {
			votes[labels[j]]++
		}
		best := 0
		for c := 1; c < classes; c++ {
			if votes[c] > votes[best] {
				best = c
			}
		}
		if int32(best) == labels[i] {
			right++
		}
	}
	return float64(right) / float64(n), nil
}

// writeCSV writes the layout as index,x,y,label,class.
func (r *embedResult) writeCSV(w io.Writer) error {
	return inspect.WriteLayoutCSV(w, r.layout, r.set.Labels, r.set.Classes)
}

// writePNGTo encodes img as PNG.
func writePNGTo(w io.Writer, img image.Image) error {
	if img == nil {
		return fmt.Errorf("there is no picture to save yet: run an embedding first")
	}
	return png.Encode(w, img)
}
