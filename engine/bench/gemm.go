package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/blas"
)

// The gemm workload: C = A*B on square float32 matrices, our BLAS layer
// against torch.mm, in GFLOPS (2n^3 / best time).
func init() {
	Register(Workload{
		Name:           "gemm",
		Summary:        "float32 matrix product, 256/1024/2048 square",
		Unit:           "GFLOPS",
		HigherIsBetter: true,
		Devices:        []string{"cpu", "gl"},
		Rounds:         4,
		Validate:       validateGemm,
		Ours:           runGemm,
		Peers:          []Peer{{Name: "pytorch", Script: "gemm_torch.py", Modules: []string{"torch"}}},
		Merge:          mergeGemm,
		Compare:        compareGemm,
	})
}

// gemmSizes are the default sizes; the ratio is the smallest of the
// ratios at gemmRatioSizes (all sizes when --sizes leaves none of them).
var (
	gemmSizes      = []int{256, 1024, 2048}
	gemmRatioSizes = map[int]bool{1024: true, 2048: true}
)

// maxGemmSize bounds --sizes: three n x n float32 matrices at 16384 take 3 GiB.
const maxGemmSize = 16384

// gemmRow is one size's figures on one side.
type gemmRow struct {
	N            int     `json:"n"`
	GFLOPS       float64 `json:"gflops"`        // from the best time
	MedianGFLOPS float64 `json:"median_gflops"` // from the median time
	Calls        int     `json:"calls"`
	// CPUGFLOPS is threads * flops / processor time per call: the speed
	// with the cores to itself, a steadier figure on a busy machine.
	CPUGFLOPS *float64 `json:"cpu_gflops"`
}

func validateGemm(o Options) error {
	switch o.Impl {
	case "", "native", "go":
	default:
		return fmt.Errorf("%w: unknown --impl %q for gemm; use native (the build's BLAS, %s) or go (the pure-Go SGEMM)", ErrUsage, o.Impl, blas.Impl())
	}
	for _, n := range o.Sizes {
		if n < 1 || n > maxGemmSize {
			return fmt.Errorf("%w: gemm size %d is out of range; use sizes from 1 to %d", ErrUsage, n, maxGemmSize)
		}
	}
	return nil
}

func runGemm(ctx context.Context, o Options) (Result, error) {
	if err := validateGemm(o); err != nil {
		return Result{}, err
	}
	if o.Device == "gl" {
		return runGemmDevice(ctx, o)
	}
	blas.SetThreads(o.Threads)
	sgemm, impl := blas.Sgemm, blas.Impl()
	if o.Impl == "go" {
		sgemm, impl = blas.SgemmGo, "go"
	}
	sizes := o.Sizes
	if len(sizes) == 0 {
		sizes = gemmSizes
	}
	var rows []gemmRow
	for _, n := range sizes {
		rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(n)))
		a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
		for i := range a {
			a[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		t, err := o.Measure(ctx, func() { sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n) })
		if err != nil {
			return Result{}, err
		}
		// A fast wrong answer is no result: spot-check C.
		if err := checkProduct(rng, n, a, b, c); err != nil {
			return Result{}, fmt.Errorf("gemm %s at n=%d: %v", impl, n, err)
		}
		flops := 2 * float64(n) * float64(n) * float64(n)
		row := gemmRow{N: n, GFLOPS: flops / t.Best / 1e9, MedianGFLOPS: flops / t.Median / 1e9, Calls: t.Calls}
		if t.CPU > 0 {
			g := float64(o.Threads) * flops / t.CPU / 1e9
			row.CPUGFLOPS = &g
		}
		rows = append(rows, row)
		o.Logf("ours gemm %d (%s): %.1f GFLOPS", n, impl, rows[len(rows)-1].GFLOPS)
	}
	fields := map[string]any{"sizes": rows, "impl": impl, "threads": blas.Threads()}
	if impl == "go" {
		fields["kernel"] = blas.GoKernel()
	}
	return Result{Value: rows[len(rows)-1].GFLOPS, Fields: fields}, nil
}

// checkProduct compares 16 random elements of c = a*b with float64 dot
// products.
func checkProduct(rng *rand.Rand, n int, a, b, c []float32) error {
	for range 16 {
		i, j := rng.IntN(n), rng.IntN(n)
		var dot, mag float64
		for p := 0; p < n; p++ {
			x := float64(a[i*n+p]) * float64(b[p*n+j])
			dot += x
			mag += math.Abs(x)
		}
		if d := math.Abs(float64(c[i*n+j]) - dot); !(d <= float64(n+4)*2*0x1p-23*mag) {
			return fmt.Errorf("C[%d,%d] = %g but the product is %g", i, j, c[i*n+j], dot)
		}
	}
	return nil
}

// gemmRows decodes the "sizes" field of a gemm Result.
func gemmRows(r *Result) []gemmRow { return fieldRows[gemmRow](r, "sizes") }

// fieldRows decodes a Result field that holds a list of rows (it may have
// come back from a child process as JSON); nil when r or the field is
// missing or of another shape.
func fieldRows[T any](r *Result, key string) []T {
	if r == nil {
		return nil
	}
	data, err := json.Marshal(r.Fields[key])
	if err != nil {
		return nil
	}
	var rows []T
	if json.Unmarshal(data, &rows) != nil {
		return nil
	}
	return rows
}

// mergeGemm keeps, size by size, the row with the higher GFLOPS.
func mergeGemm(a, b Result) Result {
	ra, rb := gemmRows(&a), gemmRows(&b)
	best := map[int]gemmRow{}
	for _, r := range rb {
		best[r.N] = r
	}
	rows := make([]gemmRow, len(ra))
	for i, r := range ra {
		if o, ok := best[r.N]; ok {
			if o.GFLOPS > r.GFLOPS {
				r, o = o, r
			}
			r.CPUGFLOPS = maxPtr(r.CPUGFLOPS, o.CPUGFLOPS)
		}
		rows[i] = r
	}
	m := a
	m.Fields = maps.Clone(a.Fields)
	m.Fields["sizes"] = rows
	if len(rows) > 0 {
		m.Value = rows[len(rows)-1].GFLOPS
	}
	return m
}

// maxPtr returns the larger of two optional figures.
func maxPtr(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

// compareGemm sets the sizes side by side. The headline ratio is the
// smallest at 1024 and 2048, and ours/peer are the figures at that size;
// without a peer, ours is the figure at the largest of those sizes. The
// *_cpu columns and cpu_ratio (per size, and the smallest of the counted
// sizes) compare processor-time figures (see gemmRow.CPUGFLOPS), a
// cross-check when the machine is busy.
func compareGemm(ours Result, peer *Result) Comparison {
	cmp := Comparison{Ours: ours.Value, Peer: math.NaN(), Ratio: math.NaN()}
	peerAt := map[int]gemmRow{}
	for _, r := range gemmRows(peer) {
		peerAt[r.N] = r
	}
	oursRows := gemmRows(&ours)
	restricted := false
	for _, r := range oursRows {
		if _, ok := peerAt[r.N]; (ok || peer == nil) && gemmRatioSizes[r.N] {
			restricted = true
		}
	}
	var table []map[string]any
	cpuRatio := math.NaN()
	for _, r := range oursRows {
		row := map[string]any{"n": r.N, "ours": r.GFLOPS, "ours_median": r.MedianGFLOPS}
		if r.CPUGFLOPS != nil {
			row["ours_cpu"] = *r.CPUGFLOPS
		}
		counts := !restricted || gemmRatioSizes[r.N]
		if p, ok := peerAt[r.N]; ok {
			ratio := r.GFLOPS / p.GFLOPS
			row["peer"], row["peer_median"], row["ratio"] = p.GFLOPS, p.MedianGFLOPS, ratio
			if p.CPUGFLOPS != nil {
				row["peer_cpu"] = *p.CPUGFLOPS
				if r.CPUGFLOPS != nil {
					cr := *r.CPUGFLOPS / *p.CPUGFLOPS
					row["cpu_ratio"] = cr
					if counts && !(cr >= cpuRatio) {
						cpuRatio = cr
					}
				}
			}
			if counts && (math.IsNaN(cmp.Ratio) || ratio < cmp.Ratio) {
				cmp.Ours, cmp.Peer, cmp.Ratio = r.GFLOPS, p.GFLOPS, ratio
			}
		} else if peer == nil && counts {
			cmp.Ours = r.GFLOPS // the last (largest) counted size
		}
		table = append(table, row)
	}
	cmp.Fields = map[string]any{"sizes": table, "impl": ours.Fields["impl"]}
	if !math.IsNaN(cpuRatio) {
		cmp.Fields["cpu_ratio"] = cpuRatio
	}
	if k, ok := ours.Fields["kernel"]; ok {
		cmp.Fields["kernel"] = k
	}
	if peer != nil {
		if v, ok := peer.Fields["torch"]; ok {
			cmp.Fields["peer_version"] = "torch " + fmt.Sprint(v)
		}
	}
	return cmp
}
