package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// bnCase runs batch norm's kernels as autograd's BatchNormReLU does in a
// training step: statistics, the fused affine and ReLU, then the gradient.
type bnCase struct {
	n, c, hw      int
	x, g, y, dx   *Buf
	mean, vr, inv *Buf
	k, shift      *Buf
	dgamma, dbeta *Buf
}

func newBNCase(rng *rand.Rand, n, c, hw int) *bnCase {
	x := randn(rng, n*c*hw)
	for i := range x {
		x[i] = 3 + 2*x[i] // a mean far from zero
	}
	vec := func() *Buf { return &Buf{D: make([]float32, c)} }
	return &bnCase{n: n, c: c, hw: hw, x: &Buf{D: x}, g: &Buf{D: randn(rng, len(x))},
		y: &Buf{D: make([]float32, len(x))}, dx: &Buf{D: make([]float32, len(x))},
		mean: vec(), vr: vec(), inv: vec(), k: vec(), shift: vec(), dgamma: vec(), dbeta: vec()}
}

func (b *bnCase) forward(k *CPU) {
	k.ChannelStats(b.mean, b.vr, b.x, b.n, b.c, b.hw)
	for ch := range b.c {
		inv := float32(1 / math.Sqrt(float64(b.vr.D[ch])+1e-5))
		gamma, beta := 0.5+float32(ch%7)/7, float32(ch%5)/5-0.4
		b.inv.D[ch], b.k.D[ch] = inv, gamma*inv
		b.shift.D[ch] = beta - b.mean.D[ch]*gamma*inv
	}
	k.ChannelAffineReLU(b.y, b.x, b.k, b.shift, b.n, b.c, b.hw)
}

func (b *bnCase) backward(k *CPU, training bool) {
	k.BatchNormGrad(b.dx, b.dgamma, b.dbeta, b.g, b.y, b.x, b.mean, b.inv, b.k, b.n, b.c, b.hw, training)
}

// TestBatchNormKernels checks the batch-norm kernels against float64 sums
// and that their bits do not depend on the number of threads.
func TestBatchNormKernels(t *testing.T) {
	defer SetThreads(Threads())
	k := New()
	for _, s := range []struct{ n, c, hw int }{{3, 5, 49}, {2, 3, 1000}, {4, 2, 7}} {
		var first [][]float32
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			b := newBNCase(rand.New(rand.NewPCG(1, 2)), s.n, s.c, s.hw)
			b.forward(k)
			b.backward(k, true)
			got := [][]float32{b.mean.D, b.vr.D, b.y.D, b.dx.D, b.dgamma.D, b.dbeta.D}
			if first == nil {
				first = got
				checkBNReference(t, b)
				checkBNForward(t, k, b)
				b2 := newBNCase(rand.New(rand.NewPCG(1, 2)), s.n, s.c, s.hw)
				b2.forward(k)
				b2.backward(k, false)
				for i, v := range b2.dx.D {
					ch := i / s.hw % s.c
					want := float64(b2.k.D[ch]) * float64(b2.g.D[i])
					if b2.y.D[i] <= 0 {
						want = 0
					}
					if math.Abs(float64(v)-want) > 1e-6*(1+math.Abs(want)) {
						t.Fatalf("%v eval: dx[%d] = %v, want %v", s, i, v, want)
					}
				}
				continue
			}
			for j := range got {
				for i := range got[j] {
					if math.Float32bits(got[j][i]) != math.Float32bits(first[j][i]) {
						t.Fatalf("%v: output %d [%d] differs on %d threads: %v, %v on one", s, j, i, th, got[j][i], first[j][i])
					}
				}
			}
		}
	}
}

// checkBNForward checks the one-kernel forward (BatchNormForward, with
// and without the affine and the ReLU) against the statistics and the
// affine kernels run one after the other.
func checkBNForward(t *testing.T, k *CPU, b *bnCase) {
	t.Helper()
	gamma, beta := &Buf{D: make([]float32, b.c)}, &Buf{D: make([]float32, b.c)}
	for ch := range b.c {
		gamma.D[ch], beta.D[ch] = 0.5+float32(ch%7)/7, float32(ch%5)/5-0.4
	}
	for _, affine := range []bool{true, false} {
		for _, relu := range []bool{true, false} {
			vec := func() *Buf { return &Buf{D: make([]float32, b.c)} }
			mean, vr, inv, kk, shift := vec(), vec(), vec(), vec(), vec()
			y, want := &Buf{D: make([]float32, len(b.x.D))}, &Buf{D: make([]float32, len(b.x.D))}
			var g, bt backend.Buffer = gamma, beta
			if !affine {
				g, bt = nil, nil
			}
			k.BatchNormForward(y, mean, vr, inv, kk, b.x, g, bt, b.n, b.c, b.hw, 1e-5, relu)
			for ch := range b.c {
				if mean.D[ch] != b.mean.D[ch] || vr.D[ch] != b.vr.D[ch] {
					t.Fatalf("channel %d: mean, var %v %v, ChannelStats %v %v", ch, mean.D[ch], vr.D[ch], b.mean.D[ch], b.vr.D[ch])
				}
				wantK, wantSh := b.inv.D[ch], -b.mean.D[ch]*b.inv.D[ch]
				if affine {
					wantK, wantSh = b.k.D[ch], b.shift.D[ch]
				}
				if math.Abs(float64(kk.D[ch]-wantK)) > 1e-6*math.Abs(float64(wantK)) {
					t.Fatalf("k[%d] = %v, want %v", ch, kk.D[ch], wantK)
				}
				shift.D[ch] = wantSh
			}
			if relu {
				k.ChannelAffineReLU(want, b.x, kk, shift, b.n, b.c, b.hw)
			} else {
				k.ChannelAffine(want, b.x, kk, shift, b.n, b.c, b.hw)
			}
			for i, v := range y.D {
				if math.Abs(float64(v-want.D[i])) > 1e-5*(1+math.Abs(float64(want.D[i]))) {
					t.Fatalf("affine %v relu %v: y[%d] = %v, want %v", affine, relu, i, v, want.D[i])
				}
			}
		}
	}
}

func checkBNReference(t *testing.T, b *bnCase) {
	t.Helper()
	close := func(what string, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("%d×%d×%d: %s = %v, want %v", b.n, b.c, b.hw, what, got, want)
		}
	}
	cnt := float64(b.n * b.hw)
	for ch := range b.c {
		at := func(o, i int) int { return (o*b.c+ch)*b.hw + i }
		var s, q, sg, sgx float64
		for o := range b.n {
			for i := range b.hw {
				s += float64(b.x.D[at(o, i)])
			}
		}
		mu := s / cnt
		for o := range b.n {
			for i := range b.hw {
				dv := float64(b.x.D[at(o, i)]) - mu
				q += dv * dv
			}
		}
		close(fmt.Sprintf("mean[%d]", ch), b.mean.D[ch], mu)
		close(fmt.Sprintf("var[%d]", ch), b.vr.D[ch], q/cnt)
		kc, sh := float64(b.k.D[ch]), float64(b.shift.D[ch])
		gm := func(o, i int) float64 {
			if b.y.D[at(o, i)] <= 0 {
				return 0
			}
			return float64(b.g.D[at(o, i)])
		}
		for o := range b.n {
			for i := range b.hw {
				close("y", b.y.D[at(o, i)], max(float64(b.x.D[at(o, i)])*kc+sh, 0))
				sg += gm(o, i)
				sgx += gm(o, i) * (float64(b.x.D[at(o, i)]) - float64(b.mean.D[ch]))
			}
		}
		inv := float64(b.inv.D[ch])
		close("dbeta", b.dbeta.D[ch], sg)
		close("dgamma", b.dgamma.D[ch], sgx*inv)
		for o := range b.n {
			for i := range b.hw {
				xh := (float64(b.x.D[at(o, i)]) - float64(b.mean.D[ch])) * inv
				close("dx", b.dx.D[at(o, i)], kc*(gm(o, i)-sg/cnt-xh*sgx*inv/cnt))
			}
		}
	}
}

// BenchmarkBatchNorm times batch norm's kernels (forward: statistics and
// the fused affine + ReLU one after the other, and in one kernel; backward:
// the fused gradient) at ResNet-50 shapes at batch 16, on one and two
// threads, with the AVX2 loops (vector) and the Go loops (go) in one
// process:
// go test -run xxx -bench BatchNorm ./engine/backend/cpu
func BenchmarkBatchNorm(b *testing.B) {
	defer SetThreads(Threads())
	defer func(v bool) { bnVec = v }(bnVec)
	k := New()
	vec := bnVec
	for _, s := range []struct{ n, c, h int }{{16, 64, 56}, {16, 1024, 14}, {1024, 64, 15}, {1024, 256, 7}, {1024, 256, 3}} {
		bn := newBNCase(rand.New(rand.NewPCG(5, 6)), s.n, s.c, s.h*s.h)
		for _, th := range []int{1, 2} {
			for _, loops := range []string{"vector", "go"} {
				if loops == "vector" && !vec {
					continue
				}
				name := fmt.Sprintf("N%d_C%d_%d/threads=%d/%s", s.n, s.c, s.h, th, loops)
				run := func(b *testing.B, f func()) {
					SetThreads(th)
					bnVec = loops == "vector"
					c0 := cpuSeconds()
					for b.Loop() {
						f()
					}
					b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/op")
				}
				b.Run(name+"/fwd", func(b *testing.B) { run(b, func() { bn.forward(k) }) })
				b.Run(name+"/fwd-fused", func(b *testing.B) {
					run(b, func() {
						k.BatchNormForward(bn.y, bn.mean, bn.vr, bn.inv, bn.k, bn.x, nil, nil, bn.n, bn.c, bn.hw, 1e-5, true)
					})
				})
				b.Run(name+"/bwd", func(b *testing.B) { run(b, func() { bn.backward(k, true) }) })
			}
		}
	}
}
