package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The resnet50 workload: ImageNet ResNet-50 (engine/models "resnet50",
// torchvision's v1.5) at 224x224 with seeded weights, exported to PyTorch
// with engine/interop/pytorch (model.py and weights.npz) so that both
// sides run the same network and weights on the same images. For each
// batch size (--sizes, default 1 and 16) each side times
//   - fwd: inference, eval mode (running statistics), no autograd graph;
//   - fwdbwd: a training step without the optimizer: training mode (batch
//     statistics), cross-entropy against fixed labels, backward to every
//     parameter.
//
// Figures are images/s from the best call. The headline ratio is the
// smallest of the four ratios. Both sides also report the eval logits of
// the first image so that the comparison checks the numbers agree
// (max_abs_diff).
//
// With the "profile" param (bench --profile) each side also runs one more
// call of each case at the largest batch under a profiler and prints the
// time per layer type: ours through autograd's profile (convolutions
// named by the path the CPU backend took), PyTorch's through
// torch.profiler, its operators grouped the same way.
func init() {
	Register(Workload{
		Name:           "resnet50",
		Summary:        "ResNet-50 at 224x224: forward (eval) and forward+backward (training step without optimizer), batch 1 and 16",
		Unit:           "images/s",
		HigherIsBetter: true,
		Rounds:         2,
		Validate:       validateResNet50,
		Ours:           offMainThread(resnet50),
		Peers:          []Peer{{Name: "pytorch", Script: "resnet50_torch.py", Modules: []string{"torch", "numpy"}}},
		Merge:          mergeResNet50,
		Compare:        compareResNet50,
	})
}

// resnet50Spec is what our side tells the peer (resnet50-spec.json).
type resnet50Spec struct {
	Size    int   `json:"size"`
	Batches []int `json:"batches"`
	Profile bool  `json:"profile"`
	Calls   int   `json:"calls"`
}

// r50Row is one (case, batch) figure on one side.
type r50Row struct {
	Case   string  `json:"case"` // "fwd" or "fwdbwd"
	Batch  int     `json:"batch"`
	IPS    float64 `json:"ips"` // images/s from the best call
	Median float64 `json:"median_ips"`
	Calls  int     `json:"calls"`
	// CPUIPS is threads x images / processor seconds per call: the speed
	// with the cores to itself (see compareRefCNN).
	CPUIPS float64 `json:"cpu_ips,omitempty"`
}

const maxResNet50Batch = 64

func validateResNet50(o Options) error {
	for _, n := range o.Sizes {
		if n < 1 || n > maxResNet50Batch {
			return fmt.Errorf("%w: resnet50 batch size %d is out of range; use --sizes between 1 and %d", ErrUsage, n, maxResNet50Batch)
		}
	}
	return nil
}

// r50Image fills n seeded images in [0, 1).
func r50Image(seed int64, n, size int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 224))
	v := make([]float32, n*3*size*size)
	for i := range v {
		v[i] = rng.Float32()
	}
	return v
}

// timeCalls runs f once to warm up, then at least calls times and for at
// least minTime seconds; it returns the best and median seconds per call.
// (Measure's five calls would take minutes at batch 16 on two cores.)
func timeCalls(ctx context.Context, calls int, minTime float64, f func()) (best, med, cpu float64, n int, err error) {
	f()
	var times []float64
	cpu0 := cpuTime()
	start := time.Now()
	for len(times) < calls || time.Since(start).Seconds() < minTime {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, 0, err
		}
		t0 := time.Now()
		f()
		times = append(times, time.Since(t0).Seconds())
	}
	cpu = (cpuTime() - cpu0) / float64(len(times))
	slices.Sort(times)
	return times[0], median(times), cpu, len(times), nil
}

func resnet50(ctx context.Context, o Options) (Result, error) {
	if err := validateResNet50(o); err != nil {
		return Result{}, err
	}
	cpu.SetThreads(o.Threads)
	spec := resnet50Spec{Size: 224, Batches: o.Sizes, Profile: o.Params["profile"] != "", Calls: 3}
	if len(spec.Batches) == 0 {
		spec.Batches = []int{1, 16}
	}
	if c, err := strconv.Atoi(o.Params["calls"]); err == nil && c > 0 {
		spec.Calls = c
	}
	in := []int{3, spec.Size, spec.Size}
	g, err := models.Graph("resnet50", in, 1000)
	if err != nil {
		return Result{}, err
	}
	b := cpu.New()
	m, err := nn.Build(g, in, b, uint64(o.Seed), "default")
	if err != nil {
		return Result{}, err
	}
	if o.Dir != "" {
		if _, _, err := pytorch.ExportModel(o.Dir, g, in, m.State(), "resnet50 workload network"); err != nil {
			return Result{}, err
		}
		js, _ := json.Marshal(spec)
		if err := os.WriteFile(filepath.Join(o.Dir, "resnet50-spec.json"), js, 0o644); err != nil {
			return Result{}, err
		}
	}
	runtime.GC()
	minTime := o.MinTime
	if minTime == 0 {
		minTime = 1
	}
	var rows []r50Row
	fields := map[string]any{"threads": o.Threads, "backend": b.Describe()}
	for _, n := range spec.Batches {
		pix := r50Image(o.Seed, n, spec.Size)
		x := autograd.Const(tensor.FromData(b, pix, n, 3, spec.Size, spec.Size))
		labels := make([]int32, n)
		for i := range labels {
			labels[i] = int32(i * 37 % 1000)
		}
		target := autograd.OneHot(b, labels, 1000, 0)
		fwd := func() {
			y := m.Forward(&nn.Ctx{NoGrad: true}, x)
			b.Free(y.Value.Buf)
		}
		step := func() {
			// Last step's parameter gradients go before the forward pass,
			// and the backward pass frees each activation once it is past
			// every op that saved it, as PyTorch's does.
			for _, p := range m.Params {
				if gr := p.V.Grad; gr != nil {
					b.Free(gr.Buf)
				}
				p.V.ZeroGrad()
			}
			logits := m.Forward(&nn.Ctx{Training: true}, x)
			autograd.CrossEntropy(logits, target).BackwardRelease()
		}
		if n == spec.Batches[0] {
			y := m.Forward(&nn.Ctx{NoGrad: true}, x)
			first := y.Value.Data()[:1000]
			if o.Dir != "" {
				if err := writeF32(filepath.Join(o.Dir, "input.f32"), pix[:3*spec.Size*spec.Size]); err != nil {
					return Result{}, err
				}
				if err := writeF32(filepath.Join(o.Dir, "logits.f32"), first); err != nil {
					return Result{}, err
				}
			}
			b.Free(y.Value.Buf)
		}
		for _, c := range []struct {
			name string
			f    func()
		}{{"fwd", fwd}, {"fwdbwd", step}} {
			best, med, cpuSec, calls, err := timeCalls(ctx, spec.Calls, minTime, c.f)
			if err != nil {
				return Result{}, err
			}
			row := r50Row{Case: c.name, Batch: n, IPS: float64(n) / best, Median: float64(n) / med, Calls: calls}
			if cpuSec > 0 {
				row.CPUIPS = float64(o.Threads*n) / cpuSec
			}
			rows = append(rows, row)
			o.Logf("resnet50: ours %s batch %d: %.2f images/s (%.3f s per call)", c.name, n, float64(n)/best, best)
		}
		if spec.Profile && n == spec.Batches[len(spec.Batches)-1] {
			p := autograd.StartProfile()
			fwd()
			fwdProf := p.Stop()
			p = autograd.StartProfile()
			step()
			stepProf := p.Stop()
			fields["profile_fwd"], fields["profile_fwdbwd"] = fwdProf.Rows(), stepProf.Rows()
			o.Logf("resnet50: ours, time per layer type at batch %d, forward (eval):\n%s", n, fwdProf.Table())
			o.Logf("resnet50: ours, time per layer type at batch %d, forward+backward (training):\n%s", n, stepProf.Table())
		}
		b.Free(target.Buf)
		b.Free(x.Value.Buf)
	}
	fields["rows"] = rows
	return Result{Value: rows[len(rows)-1].IPS, Fields: fields}, nil
}

// r50Rows decodes the "rows" field.
func r50Rows(r *Result) []r50Row { return fieldRows[r50Row](r, "rows") }

// mergeResNet50 keeps, case by case, the better figure of two rounds.
func mergeResNet50(a, b Result) Result {
	ra, rb := r50Rows(&a), r50Rows(&b)
	best := map[string]r50Row{}
	for _, r := range rb {
		best[r.Case+strconv.Itoa(r.Batch)] = r
	}
	for i, r := range ra {
		if o, ok := best[r.Case+strconv.Itoa(r.Batch)]; ok && o.IPS > r.IPS {
			ra[i] = o
		}
	}
	m := a
	m.Fields = maps.Clone(a.Fields)
	for k, v := range b.Fields {
		if _, ok := m.Fields[k]; !ok {
			m.Fields[k] = v
		}
	}
	m.Fields["rows"] = ra
	if len(ra) > 0 {
		m.Value = ra[len(ra)-1].IPS
	}
	return m
}

// compareResNet50 sets the cases side by side; the headline ratio is the
// smallest, and ours/peer are the figures of that case.
func compareResNet50(ours Result, peer *Result) Comparison {
	cmp := Comparison{Ours: ours.Value, Peer: math.NaN(), Ratio: math.NaN(), Fields: map[string]any{}}
	peerAt := map[string]r50Row{}
	for _, r := range r50Rows(peer) {
		peerAt[r.Case+strconv.Itoa(r.Batch)] = r
	}
	var table []map[string]any
	for _, r := range r50Rows(&ours) {
		row := map[string]any{"case": r.Case, "batch": r.Batch, "ours": r.IPS}
		if p, ok := peerAt[r.Case+strconv.Itoa(r.Batch)]; ok && p.IPS > 0 {
			ratio := r.IPS / p.IPS
			row["peer"], row["ratio"] = p.IPS, ratio
			if r.CPUIPS > 0 && p.CPUIPS > 0 {
				row["cpu_ratio"] = r.CPUIPS / p.CPUIPS
			}
			cmp.Fields[fmt.Sprintf("ratio_%s_b%d", r.Case, r.Batch)] = ratio
			if math.IsNaN(cmp.Ratio) || ratio < cmp.Ratio {
				cmp.Ours, cmp.Peer, cmp.Ratio = r.IPS, p.IPS, ratio
			}
		}
		table = append(table, row)
	}
	cmp.Fields["cases"] = table
	for _, k := range []string{"profile_fwd", "profile_fwdbwd"} {
		if v, ok := ours.Fields[k]; ok {
			cmp.Fields[k+"_ours"] = v
		}
	}
	if peer != nil {
		for _, k := range []string{"max_abs_diff", "max_abs_logit"} {
			if v, ok := peer.Fields[k]; ok {
				cmp.Fields[k] = v
			}
		}
		for _, k := range []string{"profile_fwd", "profile_fwdbwd"} {
			if v, ok := peer.Fields[k]; ok {
				cmp.Fields[k+"_peer"] = v
			}
		}
		if v, ok := peer.Fields["torch"]; ok {
			cmp.Fields["peer_version"] = "torch " + fmt.Sprint(v)
		}
	}
	return cmp
}
