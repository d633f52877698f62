package inspect

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// clusters returns n points of d values around k well separated centres,
// with their cluster labels.
func clusters(n, d, k int, seed uint64) ([]float32, []int32) {
	rng := rand.New(rand.NewPCG(seed, 9))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = rng.NormFloat64() * 6
	}
	x := make([]float32, n*d)
	labels := make([]int32, n)
	for i := range n {
		c := i % k
		labels[i] = int32(c)
		for j := range d {
			x[i*d+j] = float32(centres[c*d+j] + rng.NormFloat64())
		}
	}
	return x, labels
}

func TestTSNESeparatesClusters(t *testing.T) {
	x, labels := clusters(400, 20, 5, 1)
	for _, method := range []string{TSNEExact, TSNEBarnesHut} {
		r, err := TSNE(context.Background(), x, 400, 20, TSNEOptions{Method: method, Perplexity: 20, Iterations: 500, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := EmbeddingKNNAccuracy(r.Layout, labels, 10)
		if err != nil {
			t.Fatal(err)
		}
		if acc < 0.98 {
			t.Errorf("%s: 10-NN accuracy in the embedding %.3f, want the 5 clusters apart (>= 0.98)", method, acc)
		}
		if r.Method != method || r.Iterations != 500 || !(r.KL > 0) || r.LearningRate != 50 {
			t.Errorf("%s: result %s, %d iterations, KL %v, learning rate %v", method, r.Method, r.Iterations, r.KL, r.LearningRate)
		}
	}
}

func TestTSNEIsDeterministicWhateverTheThreads(t *testing.T) {
	x, _ := clusters(300, 10, 4, 2)
	run := func(threads int, seed int64, init string) []float64 {
		r, err := TSNE(context.Background(), x, 300, 10, TSNEOptions{Method: TSNEBarnesHut, Iterations: 300, Seed: seed, Threads: threads, Init: init})
		if err != nil {
			t.Fatal(err)
		}
		return r.Layout
	}
	a := run(1, 5, "random")
	if b := run(3, 5, "random"); !slices.Equal(a, b) {
		t.Error("the same seed on 1 and 3 threads gave different layouts")
	}
	if b := run(2, 5, "random"); !slices.Equal(a, b) {
		t.Error("the same seed twice gave different layouts")
	}
	if b := run(2, 6, "random"); slices.Equal(a, b) {
		t.Error("another seed gave the same random layout")
	}
}

// denseOf expands sparse affinities.
func denseOf(p *Affinities) []float64 {
	n := p.N
	d := make([]float64, n*n)
	for i := range n {
		for t := p.Indptr[i]; t < p.Indptr[i+1]; t++ {
			d[i*n+int(p.Indices[t])] = p.Values[t]
		}
	}
	return d
}

func TestBarnesHutGradientMatchesExact(t *testing.T) {
	n := 500
	x, _ := clusters(n, 8, 6, 3)
	nb, err := KNN(context.Background(), x, n, 8, 45, KNNBrute, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	p := SparseAffinities(nb, 15, 2)
	rng := rand.New(rand.NewPCG(4, 4))
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = rng.NormFloat64() * 10
	}
	exact := make([]float64, 2*n)
	klExact := newExactGrad(denseOf(p), n, 2).grad(y, exact, 1, true)
	if kl := p.KL(y, 2); math.Abs(kl-klExact) > 1e-9*math.Abs(kl) {
		t.Fatalf("Affinities.KL %v, exact gradient's KL %v", kl, klExact)
	}
	relErr := func(g []float64) float64 {
		var num, den float64
		for i := range g {
			num += (g[i] - exact[i]) * (g[i] - exact[i])
			den += exact[i] * exact[i]
		}
		return math.Sqrt(num / den)
	}
	for _, c := range []struct{ theta, tol float64 }{{1e-9, 1e-12}, {0.2, 0.01}, {0.5, 0.05}} {
		g := make([]float64, 2*n)
		kl := newBHGrad(p, c.theta, 3).grad(y, g, 1, true)
		if e := relErr(g); e > c.tol {
			t.Errorf("theta %g: relative gradient error %.3g, want <= %g", c.theta, e, c.tol)
		}
		if math.Abs(kl-klExact) > 10*c.tol*klExact {
			t.Errorf("theta %g: KL %v, exact %v", c.theta, kl, klExact)
		}
	}
}

func TestExactAndBarnesHutEmbeddingsAgree(t *testing.T) {
	n := 300
	x, labels := clusters(n, 12, 3, 5)
	var kls []float64
	for _, m := range []string{TSNEExact, TSNEBarnesHut} {
		r, err := TSNE(context.Background(), x, n, 12, TSNEOptions{Method: m, Perplexity: 10, Iterations: 600, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := EmbeddingKNNAccuracy(r.Layout, labels, 10)
		if acc < 0.99 {
			t.Errorf("%s: 10-NN accuracy %.3f", m, acc)
		}
		kls = append(kls, r.KL)
	}
	// Their P differ (all pairs against 31 neighbours), so the optimum
	// differs a little; the divergences agree within 15%.
	if math.Abs(kls[0]-kls[1]) > 0.15*kls[0] {
		t.Errorf("KL exact %.4f, Barnes-Hut %.4f: more than 15%% apart", kls[0], kls[1])
	}
}

func TestTSNEDivergenceDecreases(t *testing.T) {
	x, _ := clusters(600, 16, 8, 6)
	var seen []TSNEProgress
	r, err := TSNE(context.Background(), x, 600, 16, TSNEOptions{Method: TSNEBarnesHut, Iterations: 800, Seed: 2,
		Snapshots: true, Progress: func(p TSNEProgress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	var after []float64
	for _, h := range r.History {
		if !h.Exaggerated {
			after = append(after, h.KL)
		}
	}
	if len(after) < 10 {
		t.Fatalf("only %d divergence checks after exaggeration: %v", len(after), r.History)
	}
	for i := 1; i < len(after); i++ {
		if after[i] > after[i-1]*(1+1e-3) {
			t.Errorf("KL rose from %.5f to %.5f at check %d", after[i-1], after[i], i)
		}
	}
	if !(after[len(after)-1] < 0.9*after[0]) {
		t.Errorf("KL went from %.4f to only %.4f", after[0], after[len(after)-1])
	}
	if math.Abs(r.KL-after[len(after)-1]) > 0.05*r.KL {
		t.Errorf("final exact KL %.4f, last Barnes-Hut estimate %.4f", r.KL, after[len(after)-1])
	}
	// Progress: phases in order, every 10 iterations, live layouts.
	if seen[0].Phase != "neighbours" || seen[len(seen)-1].Phase != "done" || seen[len(seen)-1].KL != r.KL {
		t.Errorf("progress phases %q ... %q", seen[0].Phase, seen[len(seen)-1].Phase)
	}
	its := 0
	for _, p := range seen {
		if p.Phase == "exaggeration" || p.Phase == "optimising" {
			if p.Iteration != its+10 || len(p.Layout) != 1200 {
				t.Fatalf("progress at iteration %d after %d, layout of %d values", p.Iteration, its, len(p.Layout))
			}
			its = p.Iteration
		}
	}
	if its != 800 {
		t.Errorf("last progress report at iteration %d", its)
	}
}

func TestTSNECancel(t *testing.T) {
	x, _ := clusters(400, 8, 4, 7)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := TSNE(ctx, x, 400, 8, TSNEOptions{Method: TSNEBarnesHut, Progress: func(p TSNEProgress) {
		if p.Iteration >= 100 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if r == nil || r.Iterations != 100 || len(r.Layout) != 800 {
		t.Fatalf("cancelled result %+v: want the layout after 100 iterations", r)
	}
}

func TestTSNERejectsBadInput(t *testing.T) {
	x, _ := clusters(50, 4, 2, 8)
	bad := []struct {
		x    []float32
		n, d int
		o    TSNEOptions
	}{
		{x, 50, 4, TSNEOptions{Perplexity: 50}},
		{x, 50, 4, TSNEOptions{Perplexity: -1}},
		{x, 50, 4, TSNEOptions{Method: "fft"}},
		{x, 50, 4, TSNEOptions{Init: "spectral"}},
		{x, 50, 4, TSNEOptions{Theta: 2}},
		{x, 50, 4, TSNEOptions{LearningRate: math.NaN()}},
		{x[:10], 50, 4, TSNEOptions{}},
		{append([]float32{float32(math.NaN())}, x[1:]...), 50, 4, TSNEOptions{}},
		{x[:4], 1, 4, TSNEOptions{}},
	}
	for i, c := range bad {
		if _, err := TSNE(context.Background(), c.x, c.n, c.d, c.o); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

func TestAffinitiesAreSymmetricCalibratedAndSumToOne(t *testing.T) {
	n, d := 200, 6
	x, _ := clusters(n, d, 3, 9)
	nb, _ := KNN(context.Background(), x, n, d, 30, KNNBrute, 1, 2)
	p := SparseAffinities(nb, 10, 2)
	dense := denseOf(p)
	var sum float64
	for i := range n {
		for j := range n {
			sum += dense[i*n+j]
			if dense[i*n+j] != dense[j*n+i] {
				t.Fatalf("P[%d,%d] = %v but P[%d,%d] = %v", i, j, dense[i*n+j], j, i, dense[j*n+i])
			}
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("P sums to %v", sum)
	}
	// Each conditional row has entropy log(perplexity).
	row := make([]float64, 30)
	for i := range n {
		_, d2 := nb.Row(i)
		conditionalRow(d2, row, 10)
		var h float64
		for _, v := range row {
			if v > 0 {
				h -= v * math.Log(v)
			}
		}
		if math.Abs(h-math.Log(10)) > 1e-4 {
			t.Fatalf("row %d: entropy %v, want log 10 = %v", i, h, math.Log(10))
		}
	}
}

func TestKNNBruteAndVPTreeAgree(t *testing.T) {
	for _, d := range []int{2, 5, 64} {
		n := 700
		rng := rand.New(rand.NewPCG(uint64(d), 1))
		x := make([]float32, n*d)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		a, err := KNN(context.Background(), x, n, d, 12, KNNBrute, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		b, err := KNN(context.Background(), x, n, d, 12, KNNVPTree, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Index, b.Index) || !slices.Equal(a.Dist2, b.Dist2) {
			t.Errorf("d=%d: brute force and the vantage-point tree disagree", d)
		}
		// Against a plain scan for a few points.
		for _, i := range []int{0, 351, n - 1} {
			var all []cand
			for j := range n {
				if j != i {
					all = append(all, cand{dist2(x[i*d:(i+1)*d], x[j*d:(j+1)*d]), int32(j)})
				}
			}
			sortCands(all)
			idx, _ := a.Row(i)
			for t2 := range 12 {
				if idx[t2] != all[t2].i {
					t.Fatalf("d=%d point %d: neighbour %d is %d, a scan says %d", d, i, t2, idx[t2], all[t2].i)
				}
			}
		}
	}
}
