package main

import (
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/inspect"
)

func init() {
	register(Command{
		Name:    "tsne",
		Summary: "t-SNE embedding of a layer's features (or of given vectors), with CSV and PNG export",
		Usage: `workbench tsne (--project FILE --layer NAME [--data D] | --features FILE.npy [--labels FILE.npy]) [flags]

Embeds feature vectors in two dimensions with t-SNE: the outputs of layer
NAME of a trained project's model for the images of a split (the test split
by default; the project's dataset unless --data is given), or the rows of a
2-D .npy array. Up to 1,000 points are embedded exactly, more with
Barnes-Hut (theta 0.5; --method chooses). The optimiser is scikit-learn's:
early exaggeration 12 for 250 iterations, learning rate "auto"
(max(N/48, 50)), PCA initialisation, the same seed giving the same layout.

--limit keeps a class-balanced subset of N images (seeded). --out writes
the coordinates as CSV (index,x,y[,label,class]); --png draws the layout,
coloured by class. With labels, "knn10" in the done event is the
leave-one-out 10-NN classification accuracy inside the 2-D layout.

Examples:
  workbench tsne --project run.wbproj --layer relu3 --limit 5000 --out tsne.csv --png tsne.png
  workbench tsne --features feats.npy --labels labels.npy --perplexity 40 --json`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("project", "", "project file (.wbproj) whose model gives the features")
			fs.String("layer", "", "layer whose outputs are embedded (with --project)")
			fs.String("checkpoint", "last", "weights: last or best")
			fs.String("split", "test", "images from the test or train split (with --project)")
			fs.String("features", "", "a .npy file of feature vectors, one row per point (instead of --project)")
			fs.String("labels", "", "with --features: a .npy file of integer class labels, one per row")
			fs.Int("limit", 0, "embed a class-balanced subset of this many points (0: all)")
			fs.Float64("perplexity", 30, "effective number of neighbours (typical 5 to 50)")
			fs.Int("iterations", 1000, "optimisation iterations (the first 250 exaggerated)")
			fs.Float64("learning-rate", 0, "learning rate (0: auto, max(N/48, 50))")
			fs.Float64("exaggeration", 12, "early exaggeration factor")
			fs.Float64("theta", 0.5, "Barnes-Hut accuracy (smaller: slower, more exact)")
			fs.String("method", inspect.TSNEAuto, "auto, exact or barnes-hut")
			fs.String("init", "pca", "initial layout: pca or random")
			fs.String("out", "", "write the coordinates to this CSV file")
			fs.String("png", "", "draw the layout to this PNG file")
			fs.Bool("force", false, "let --out and --png replace an existing file that is not an earlier CSV or PNG")
			fs.Int("png-size", 800, "width and height of the --png picture in pixels")
		},
		Run: runTSNE,
	})
}

// tsnePoints are the vectors to embed.
type tsnePoints struct {
	x       []float32
	n, d    int
	labels  []int32 // nil when unknown
	classes []string
	source  string
}

func runTSNE(c *Ctx) error {
	if len(c.Args) > 0 {
		return usageErrorf("tsne takes no positional arguments (got %q); give --project FILE --layer NAME or --features FILE.npy", c.Args[0])
	}
	proj, feats := flagStr(c, "project"), flagStr(c, "features")
	switch {
	case proj != "" && feats != "":
		return usageErrorf("give either --project FILE --layer NAME or --features FILE.npy, not both")
	case proj == "" && feats == "":
		return usageErrorf("tsne needs --project FILE --layer NAME (a trained model's features) or --features FILE.npy")
	case proj != "" && flagStr(c, "layer") == "":
		return usageErrorf("--project needs --layer NAME: the layer whose features are embedded")
	case feats == "" && flagStr(c, "labels") != "":
		return usageErrorf("--labels goes with --features; a project's images bring their own labels")
	}
	force := flagStr(c, "force") == "true"
	if err := checkOutput(flagStr(c, "out"), "out", outputCSV, force); err != nil {
		return err
	}
	if err := checkOutput(flagStr(c, "png"), "png", outputPNG, force); err != nil {
		return err
	}
	limit := flagInt(c, "limit")
	if limit < 0 {
		return usageErrorf("--limit %d must not be negative", limit)
	}
	if s := flagInt(c, "png-size"); s < 16 || s > 16384 {
		return usageErrorf("--png-size %d: use 16 to 16384 pixels", s)
	}
	opt := inspect.TSNEOptions{Perplexity: flagNum(c, "perplexity"), Iterations: flagInt(c, "iterations"),
		LearningRate: flagNum(c, "learning-rate"), EarlyExaggeration: flagNum(c, "exaggeration"), Theta: flagNum(c, "theta"),
		Method: flagStr(c, "method"), Init: flagStr(c, "init"), Seed: c.Seed, Threads: c.Threads}
	// Zero means "default" to the engine; here it is a mistake.
	for name, v := range map[string]float64{"perplexity": opt.Perplexity, "iterations": float64(opt.Iterations), "exaggeration": opt.EarlyExaggeration, "theta": opt.Theta} {
		if !(v > 0) {
			return usageErrorf("--%s %v must be positive", name, v)
		}
	}
	cpu.SetThreads(c.Threads)
	var pts *tsnePoints
	var err error
	if feats != "" {
		pts, err = tsneFromFiles(feats, flagStr(c, "labels"), limit, c.Seed)
	} else {
		pts, err = tsneFromProject(c, limit)
	}
	if err != nil {
		return err
	}
	if pts.n < 2 {
		return usageErrorf("t-SNE needs at least 2 points, got %d", pts.n)
	}
	if opt.Perplexity >= float64(pts.n) {
		return usageErrorf("--perplexity %g must be less than the %d points; use a smaller one", opt.Perplexity, pts.n)
	}
	bar := c.Progress("t-SNE", opt.Iterations)
	lastKL := -1
	opt.Progress = func(p inspect.TSNEProgress) {
		bar.Set(p.Iteration)
		if p.Iteration >= lastKL+50 && !math.IsNaN(p.KL) && p.Phase != "done" && p.Iteration%50 == 0 {
			lastKL = p.Iteration
			c.Emit("kl", map[string]any{"iteration": p.Iteration, "kl": p.KL, "phase": p.Phase})
		}
	}
	r, err := inspect.TSNE(c.Context, pts.x, pts.n, pts.d, opt)
	bar.Finish()
	if err != nil {
		if c.Context.Err() != nil {
			return err
		}
		return usageErrorf("%v", err)
	}
	done := map[string]any{"kl": r.KL, "seconds": r.Seconds, "points": pts.n, "dims": pts.d, "iterations": r.Iterations,
		"method": r.Method, "perplexity": opt.Perplexity, "learning_rate": r.LearningRate, "source": pts.source}
	if pts.labels != nil {
		acc, err := inspect.EmbeddingKNNAccuracy(r.Layout, pts.labels, min(10, pts.n-1))
		if err == nil {
			done["knn10"] = acc
		}
	}
	var files []string
	if out := flagStr(c, "out"); out != "" {
		err := writeOutput(out, "out", outputCSV, force, func(w io.Writer) error {
			return inspect.WriteLayoutCSV(w, r.Layout, pts.labels, pts.classes)
		})
		if err != nil {
			return err
		}
		files = append(files, out)
	}
	if out := flagStr(c, "png"); out != "" {
		img, err := inspect.ScatterImage(r.Layout, pts.labels, flagInt(c, "png-size"))
		if err != nil {
			return usageErrorf("--png: %v", err)
		}
		if err := writeOutput(out, "png", outputPNG, force, func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
			return err
		}
		files = append(files, out)
	}
	if files != nil {
		done["files"] = files
	}
	c.Done(done)
	return nil
}

// tsneFromFiles reads the vectors (and labels) from .npy files.
func tsneFromFiles(path, labelsPath string, limit int, seed int64) (*tsnePoints, error) {
	read := func(p string) (*npy.Array, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		defer f.Close()
		a, err := npy.Read(f)
		if err != nil {
			return nil, usageErrorf("%s: %v", p, err)
		}
		return a, nil
	}
	a, err := read(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 || a.Shape[0] < 1 || a.Shape[1] < 1 || !(a.IsFloat() || a.IsInt()) {
		return nil, usageErrorf("--features %s holds a %s array of shape %v; want a 2-D numeric array, one row per point", path, a.Dtype(), a.Shape)
	}
	v, err := a.Float64s()
	if err != nil {
		return nil, usageErrorf("--features %s: %v", path, err)
	}
	pts := &tsnePoints{n: a.Shape[0], d: a.Shape[1], x: make([]float32, len(v)), source: path}
	for i, f := range v {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, usageErrorf("--features %s: value %d (row %d) is %v; t-SNE needs finite numbers", path, i, i/pts.d, f)
		}
		pts.x[i] = float32(f)
	}
	if labelsPath != "" {
		l, err := read(labelsPath)
		if err != nil {
			return nil, err
		}
		lv, err := l.Int64s()
		if err != nil || !l.IsInt() || l.Len() != pts.n {
			return nil, usageErrorf("--labels %s: want %d integer labels (one per feature row), got a %s array of shape %v", labelsPath, pts.n, l.Dtype(), l.Shape)
		}
		pts.labels = make([]int32, pts.n)
		for i, c := range lv {
			if c < 0 || c > math.MaxInt32 {
				return nil, usageErrorf("--labels %s: label %d of row %d is not a class index (0 or more)", labelsPath, c, i)
			}
			pts.labels[i] = int32(c)
		}
	}
	if limit > 0 && limit < pts.n {
		idx := subsetIndices(pts.labels, pts.n, limit, seed)
		x := make([]float32, 0, len(idx)*pts.d)
		var labels []int32
		for _, i := range idx {
			x = append(x, pts.x[i*pts.d:(i+1)*pts.d]...)
			if pts.labels != nil {
				labels = append(labels, pts.labels[i])
			}
		}
		pts.x, pts.labels, pts.n = x, labels, len(idx)
	}
	return pts, nil
}

// subsetIndices picks limit of n rows: class-balanced under seed when
// labels are known (the same rule as --limit-test, data.BalancedSubset,
// run on a set whose 4-channel "pixels" encode each row's index), else
// evenly spaced.
func subsetIndices(labels []int32, n, limit int, seed int64) []int {
	if labels == nil {
		idx := make([]int, limit)
		for i := range idx {
			idx[i] = i * n / limit
		}
		return idx
	}
	classes := 0
	for _, l := range labels {
		classes = max(classes, int(l)+1)
	}
	enc := &data.Set{Classes: make([]string, classes), C: 4, H: 1, W: 1, Images: make([]uint8, 4*n), Labels: labels}
	for i := range n {
		enc.Images[4*i], enc.Images[4*i+1], enc.Images[4*i+2], enc.Images[4*i+3] = uint8(i), uint8(i>>8), uint8(i>>16), uint8(i>>24)
	}
	sub := data.BalancedSubset(enc, limit, seed)
	idx := make([]int, sub.Len())
	for k := range idx {
		p := sub.Images[4*k : 4*k+4]
		idx[k] = int(p[0]) | int(p[1])<<8 | int(p[2])<<16 | int(p[3])<<24
	}
	return idx
}

// tsneFromProject computes a layer's features for the split's images.
func tsneFromProject(c *Ctx, limit int) (*tsnePoints, error) {
	t, err := openInspectTarget(c)
	if err != nil {
		return nil, err
	}
	layer := flagStr(c, "layer")
	if err := t.layer(layer); err != nil {
		return nil, err
	}
	s, err := t.split(c)
	if err != nil {
		return nil, err
	}
	if limit > 0 && limit < s.Len() {
		s = data.BalancedSubset(s, limit, c.Seed)
	}
	bar := c.Progress("features of "+layer, s.Len())
	x, d, err := t.net.Features(c.Context, s, nil, layer, inspect.FeatureOptions{Progress: func(done, _ int) { bar.Set(done) }})
	bar.Finish()
	if err != nil {
		return nil, err
	}
	return &tsnePoints{x: x, n: s.Len(), d: d, labels: s.Labels, classes: s.Classes,
		source: fmt.Sprintf("%s %s of %d %s images", strings.TrimSuffix(flagStr(c, "project"), ".wbproj"), layer, s.Len(), flagStr(c, "split"))}, nil
}
