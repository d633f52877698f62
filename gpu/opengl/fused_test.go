//go:build linux || windows

package opengl

import (
	"fmt"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// The fused batch-norm kernels against the CPU backend's: every
// combination of training, the fused ReLU's mask and wanted gradients, on
// shapes with long and short channel sums.
func TestBatchNormGradMatchesCPU(t *testing.T) {
	w := newTwin(t)
	var _ backend.BatchNormGrader = w.g
	for _, s := range [][3]int{{3, 5, 37}, {1, 300, 1}, {16, 4, 64}, {2, 1, 3000}} {
		outer, c, inner := s[0], s[1], s[2]
		n := outer * c * inner
		x, gr := w.rand(n), w.rand(n)
		mean := w.from(w.randn(c, -0.5, 0.5))
		invstd, k := w.from(w.randn(c, 0.5, 2)), w.from(w.randn(c, -2, 2))
		shift := w.rand(c)
		y := w.zeros(n)
		w.g.ChannelAffineReLU(y.g, x.g, k.g, shift.g, outer, c, inner)
		w.c.ChannelAffineReLU(y.c, x.c, k.c, shift.c, outer, c, inner)
		w.same(fmt.Sprintf("ChannelAffineReLU %v", s), y, 1e-6, 1e-6)
		for _, training := range []bool{true, false} {
			for _, masked := range []bool{false, true} {
				for _, want := range []string{"all", "dx", "dgamma", "dbeta"} {
					out := map[string]pair{}
					for _, name := range []string{"dx", "dgamma", "dbeta"} {
						if want == "all" || want == name {
							size := c
							if name == "dx" {
								size = n
							}
							out[name] = w.from(w.randn(size, -9, 9)) // overwritten
						}
					}
					var yg, yc backend.Buffer
					if masked {
						yg, yc = y.g, y.c
					}
					w.g.BatchNormGrad(out["dx"].g, out["dgamma"].g, out["dbeta"].g, gr.g, yg, x.g, mean.g, invstd.g, k.g, outer, c, inner, training)
					w.c.BatchNormGrad(out["dx"].c, out["dgamma"].c, out["dbeta"].c, gr.c, yc, x.c, mean.c, invstd.c, k.c, outer, c, inner, training)
					tol := 1e-6 * float64(outer*inner+1)
					for name, p := range out {
						w.same(fmt.Sprintf("%s %v training=%v relu=%v want=%s", name, s, training, masked, want), p, tol, 1e-4)
					}
				}
			}
		}
	}
}

// AddReLU is exact, NaN kept, and may write in place.
func TestAddReLUMatchesCPU(t *testing.T) {
	w := newTwin(t)
	var _ backend.AddReLUer = w.g
	d := w.randn(1001, -2, 2)
	d[3], d[500] = float32(math.NaN()), float32(math.Inf(-1))
	a, b, dst := w.from(d), w.rand(1001), w.zeros(1001)
	w.g.AddReLU(dst.g, a.g, b.g)
	w.c.AddReLU(dst.c, a.c, b.c)
	w.exact("AddReLU", dst)
	w.g.AddReLU(a.g, a.g, b.g)
	w.c.AddReLU(a.c, a.c, b.c)
	w.exact("AddReLU in place", a)
}
