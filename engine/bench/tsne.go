package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/train"
)

// The tsne workload: a t-SNE embedding of 5,000 feature vectors, ours
// (engine/inspect, Barnes-Hut) against scikit-learn's TSNE with
// method="barnes_hut", in seconds per embedding. The vectors are the
// penultimate-layer (relu3, 128 values) features of a ref-cnn trained for
// one epoch on 12,000 Fashion-MNIST training images, computed for 5,000
// class-balanced test images; our side computes them once per seed (cached
// in the temporary folder) and both sides read the same .npy file. Without
// Fashion-MNIST the features are synthetic clusters of the same shape (the
// done event says which).
//
// Both sides use perplexity 30, 1,000 iterations, early exaggeration 12,
// learning rate "auto", PCA initialisation, theta (angle) 0.5 and the
// same seed and threads; each round times one whole embedding (neighbour
// search, affinities, initialisation and optimisation), since one takes
// seconds. The comparison then scores both layouts with the same code:
// the exact KL(P || Q) over the same P (Q's normaliser summed over all
// pairs, not the tree's estimate), and the leave-one-out 10-NN accuracy
// inside each 2-D layout. scikit-learn's own reported divergence is kept
// as kl_peer_sklearn.
func init() {
	Register(Workload{
		Name:     "tsne",
		Summary:  "t-SNE (Barnes-Hut) of 5,000 CNN feature vectors of Fashion-MNIST test images",
		Unit:     "seconds",
		Devices:  []string{"cpu"},
		Validate: validateTSNE,
		Ours:     runTSNE,
		Peers:    []Peer{{Name: "sklearn", Script: "tsne_sklearn.py", Modules: []string{"sklearn", "numpy"}}},
		Compare:  compareTSNE,
	})
}

// tsneJob is what our side tells the peer, in Options.Dir.
type tsneJob struct {
	Features   string  `json:"features"` // .npy, points × dims float32
	Labels     string  `json:"labels"`   // .npy, int64
	Perplexity float64 `json:"perplexity"`
	Iterations int     `json:"iterations"`
	Init       string  `json:"init"`
	Layout     string  `json:"layout"` // where the peer writes its embedding
}

const tsneJobFile = "tsne-job.json"

type tsneParams struct {
	points, iterations int
	perplexity         float64
	init, features     string
}

// tsneSettings reads Params "points" (5000), "iterations" (1000),
// "perplexity" (30), "init" (pca or random) and "features" (cnn, or
// synthetic for quick tests).
func tsneSettings(o Options) (tsneParams, error) {
	p := tsneParams{points: 5000, iterations: 1000, perplexity: 30, init: "pca", features: "cnn"}
	for k, v := range o.Params {
		var err error
		switch k {
		case "points":
			p.points, err = strconv.Atoi(v)
			if err == nil && (p.points < 100 || p.points > 10000) {
				err = errors.New("out of range")
			}
		case "iterations":
			p.iterations, err = strconv.Atoi(v)
			if err == nil && (p.iterations < 1 || p.iterations > 100000) {
				err = errors.New("out of range")
			}
		case "perplexity":
			p.perplexity, err = strconv.ParseFloat(v, 64)
			if err == nil && !(p.perplexity >= 2 && p.perplexity <= 100) {
				err = errors.New("out of range")
			}
		case "init":
			p.init = v
			if v != "pca" && v != "random" {
				err = errors.New("unknown")
			}
		case "features":
			p.features = v
			if v != "cnn" && v != "synthetic" {
				err = errors.New("unknown")
			}
		default:
			return p, fmt.Errorf("%w: the tsne workload has no setting %q; it takes points (100-10000), iterations, perplexity (2-100), init (pca or random) and features (cnn or synthetic)", ErrUsage, k)
		}
		if err != nil {
			return p, fmt.Errorf("%w: tsne %s %q is not valid; use points 100-10000, iterations 1-100000, perplexity 2-100, init pca or random, features cnn or synthetic", ErrUsage, k, v)
		}
	}
	if p.perplexity*3+1 >= float64(p.points) {
		return p, fmt.Errorf("%w: tsne perplexity %g needs more than %d points", ErrUsage, p.perplexity, int(3*p.perplexity+1))
	}
	return p, nil
}

func validateTSNE(o Options) error {
	_, err := tsneSettings(o)
	return err
}

// tsneFeatureNet is the network whose features are embedded.
const (
	tsneTrainImages = 12000
	tsneLayer       = "relu3"
)

// tsneFeatures returns the points×dims features and labels, computing them
// (and caching them under the temporary folder) the first time for a seed.
func tsneFeatures(ctx context.Context, o Options, points int, kind string) (x []float32, labels []int32, d int, source string, err error) {
	if kind == "synthetic" {
		x, labels := syntheticFeatures(points, 128, o.Seed)
		return x, labels, 128, "synthetic", nil
	}
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("workbench-bench-tsne-%d-%d", o.Seed, points))
	fx, fl, fs := filepath.Join(cache, "features.npy"), filepath.Join(cache, "labels.npy"), filepath.Join(cache, "source")
	if x, labels, d, err = readFeatures(fx, fl); err == nil && len(labels) == points {
		src, _ := os.ReadFile(fs)
		return x, labels, d, string(src), nil
	}
	x, labels, d, source, err = computeFeatures(ctx, o, points)
	if err != nil {
		return nil, nil, 0, "", err
	}
	if err := os.MkdirAll(cache, 0o755); err == nil {
		// A failed cache only costs time next run.
		if writeNPY(fx, npy.FromFloat32([]int{points, d}, x)) == nil && writeNPY(fl, npy.FromInt64([]int{points}, int64s(labels))) == nil {
			os.WriteFile(fs, []byte(source), 0o644)
		}
	}
	return x, labels, d, source, nil
}

func int64s(v []int32) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func computeFeatures(ctx context.Context, o Options, points int) ([]float32, []int32, int, string, error) {
	ds, err := data.Load(ctx, data.SpecFashionMNIST, data.Options{LimitTrain: tsneTrainImages, LimitTest: points, Seed: o.Seed, Threads: o.Threads})
	if err != nil || ds.Test.Len() != points {
		if ctx.Err() != nil {
			return nil, nil, 0, "", ctx.Err()
		}
		o.Logf("tsne: Fashion-MNIST not available (%v); embedding synthetic clustered features of the same shape", err)
		x, labels := syntheticFeatures(points, 128, o.Seed)
		return x, labels, 128, "synthetic", nil
	}
	input := []int{ds.Train.C, ds.Train.H, ds.Train.W}
	g, err := models.Graph("ref-cnn", input, len(ds.Train.Classes))
	if err != nil {
		return nil, nil, 0, "", err
	}
	m, err := nn.Build(g, input, cpu.New(), uint64(o.Seed), "default")
	if err != nil {
		return nil, nil, 0, "", err
	}
	tr, err := train.New(m, ds.Train, nil, train.Config{Optimizer: "adam", Optim: optim.Config{LR: 1e-3},
		Epochs: 1, Batch: 64, Seed: o.Seed, Workers: o.Threads})
	if err != nil {
		return nil, nil, 0, "", err
	}
	o.Logf("tsne: training ref-cnn for one epoch on %d Fashion-MNIST images for the features (once per seed)", ds.Train.Len())
	start := time.Now()
	if _, err := tr.Run(ctx, nil); err != nil {
		return nil, nil, 0, "", err
	}
	net := inspect.Net{Model: m}
	x, d, err := net.Features(ctx, ds.Test, nil, tsneLayer, inspect.FeatureOptions{Batch: 250})
	if err != nil {
		return nil, nil, 0, "", err
	}
	o.Logf("tsne: features of %d test images (%s, %d values) in %.1f s", points, tsneLayer, d, time.Since(start).Seconds())
	return x, append([]int32(nil), ds.Test.Labels...), d, "fashion-mnist ref-cnn " + tsneLayer, nil
}

// syntheticFeatures are ten Gaussian clusters with overlapping tails,
// non-negative like ReLU features.
func syntheticFeatures(n, d int, seed int64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x75e))
	centres := make([]float64, 10*d)
	for i := range centres {
		centres[i] = math.Abs(rng.NormFloat64()) * 2
	}
	x := make([]float32, n*d)
	labels := make([]int32, n)
	for i := range n {
		c := i % 10
		labels[i] = int32(c)
		for j := range d {
			x[i*d+j] = float32(max(0, centres[c*d+j]+rng.NormFloat64()))
		}
	}
	return x, labels
}

func writeNPY(path string, a *npy.Array) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := npy.Write(f, a); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readNPY(path string) (*npy.Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return npy.Read(f)
}

func readFeatures(fx, fl string) ([]float32, []int32, int, error) {
	a, err := readNPY(fx)
	if err != nil {
		return nil, nil, 0, err
	}
	l, err := readNPY(fl)
	if err != nil {
		return nil, nil, 0, err
	}
	if len(a.Shape) != 2 || len(l.Shape) != 1 || l.Shape[0] != a.Shape[0] {
		return nil, nil, 0, fmt.Errorf("features %v and labels %v do not match", a.Shape, l.Shape)
	}
	v, err := a.Float64s()
	if err != nil {
		return nil, nil, 0, err
	}
	lv, err := l.Int64s()
	if err != nil {
		return nil, nil, 0, err
	}
	x := make([]float32, len(v))
	for i, f := range v {
		x[i] = float32(f)
	}
	labels := make([]int32, len(lv))
	for i, c := range lv {
		labels[i] = int32(c)
	}
	return x, labels, a.Shape[1], nil
}

func readLayout(path string, n int) ([]float64, error) {
	a, err := readNPY(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) != 2 || a.Shape[0] != n || a.Shape[1] != 2 {
		return nil, fmt.Errorf("layout %s has shape %v, want [%d 2]", path, a.Shape, n)
	}
	return a.Float64s()
}

func runTSNE(ctx context.Context, o Options) (Result, error) {
	p, err := tsneSettings(o)
	if err != nil {
		return Result{}, err
	}
	if o.Dir == "" {
		return Result{}, errors.New("tsne: no shared folder (Options.Dir) to leave the features in")
	}
	cpu.SetThreads(o.Threads)
	x, labels, d, source, err := tsneFeatures(ctx, o, p.points, p.features)
	if err != nil {
		return Result{}, err
	}
	job := tsneJob{Features: filepath.Join(o.Dir, "features.npy"), Labels: filepath.Join(o.Dir, "labels.npy"),
		Perplexity: p.perplexity, Iterations: p.iterations, Init: p.init, Layout: filepath.Join(o.Dir, "peer-layout.npy")}
	if err := writeNPY(job.Features, npy.FromFloat32([]int{p.points, d}, x)); err != nil {
		return Result{}, err
	}
	if err := writeNPY(job.Labels, npy.FromInt64([]int{p.points}, int64s(labels))); err != nil {
		return Result{}, err
	}
	js, _ := json.Marshal(job)
	if err := os.WriteFile(filepath.Join(o.Dir, tsneJobFile), js, 0o644); err != nil {
		return Result{}, err
	}
	o.Logf("tsne: ours embeds %d points of %d values (%s) on %d threads", p.points, d, source, o.Threads)
	var affinities time.Duration
	start := time.Now()
	r, err := inspect.TSNE(ctx, x, p.points, d, inspect.TSNEOptions{Perplexity: p.perplexity, Iterations: p.iterations,
		Method: inspect.TSNEBarnesHut, Init: p.init, Seed: o.Seed, Threads: o.Threads,
		Progress: func(pr inspect.TSNEProgress) {
			if pr.Phase == "exaggeration" && affinities == 0 {
				affinities = pr.Elapsed
			}
		}})
	secs := time.Since(start).Seconds()
	if err != nil {
		return Result{}, err
	}
	acc, err := inspect.EmbeddingKNNAccuracy(r.Layout, labels, 10)
	if err != nil {
		return Result{}, err
	}
	layout := filepath.Join(o.Dir, "ours-layout.npy")
	if err := writeNPY(layout, npy.FromFloat64([]int{p.points, 2}, r.Layout)); err != nil {
		return Result{}, err
	}
	o.Logf("tsne: ours %.2f s, KL %.4f, 10-NN accuracy %.4f", secs, r.KL, acc)
	fields := map[string]any{"kl": r.KL, "knn10": acc, "iterations": r.Iterations,
		"points": p.points, "dims": d, "data": source, "layout_npy": layout, "features_npy": job.Features,
		"labels_npy": job.Labels, "perplexity": p.perplexity, "init": p.init, "learning_rate": r.LearningRate,
		"setup_seconds": affinities.Seconds()}
	if len(r.History) > 0 {
		// The tree's estimate at the last check, comparable with the
		// divergence scikit-learn reports.
		fields["kl_tree"] = r.History[len(r.History)-1].KL
	}
	return Result{Value: secs, Fields: fields}, nil
}

func fieldFloat(r *Result, k string) float64 {
	if r == nil {
		return math.NaN()
	}
	switch v := r.Fields[k].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return math.NaN()
}

func fieldString(r *Result, k string) string {
	if r == nil {
		return ""
	}
	s, _ := r.Fields[k].(string)
	return s
}

// compareTSNE scores the peer's layout with our code (exact KL over the
// same P, 10-NN accuracy), beside ours.
func compareTSNE(ours Result, peer *Result) Comparison {
	c := Comparison{Ours: ours.Value, Fields: map[string]any{"kl_ours": fieldFloat(&ours, "kl"), "knn10_ours": fieldFloat(&ours, "knn10"),
		"points": ours.Fields["points"], "data": ours.Fields["data"]}}
	if peer == nil {
		return c
	}
	c.Peer = peer.Value
	if ours.Value > 0 {
		c.Ratio = peer.Value / ours.Value
	}
	c.Fields["kl_peer_sklearn"] = fieldFloat(peer, "kl")
	c.Fields["kl_peer"] = math.NaN()
	c.Fields["knn10_peer"] = math.NaN()
	x, labels, d, err := readFeatures(fieldString(&ours, "features_npy"), fieldString(&ours, "labels_npy"))
	var layout []float64
	if err == nil {
		layout, err = readLayout(fieldString(peer, "layout_npy"), len(labels))
	}
	if err != nil {
		c.Fields["compare_error"] = err.Error()
		return c
	}
	perp := fieldFloat(&ours, "perplexity")
	n := len(labels)
	nb, err := inspect.KNN(context.Background(), x, n, d, min(n-1, int(3*perp+1)), inspect.KNNAuto, 1, 0)
	if err != nil {
		c.Fields["compare_error"] = err.Error()
		return c
	}
	klPeer := inspect.SparseAffinities(nb, perp, 0).KL(layout, 0)
	accPeer, _ := inspect.EmbeddingKNNAccuracy(layout, labels, 10)
	c.Fields["kl_peer"] = klPeer
	c.Fields["knn10_peer"] = accPeer
	klOurs, accOurs := fieldFloat(&ours, "kl"), fieldFloat(&ours, "knn10")
	c.Fields["kl_excess"] = klOurs/klPeer - 1
	c.Fields["targets_met"] = map[string]any{
		"time_at_most_half": c.Ratio >= 2,
		"kl_within_5pct":    klOurs <= 1.05*klPeer,
		"knn10_within_2pts": accOurs >= accPeer-0.02,
	}
	return c
}
