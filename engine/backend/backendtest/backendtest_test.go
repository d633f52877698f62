package backendtest_test

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/backendtest"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// broken is the CPU backend with one kernel made subtly wrong, the kind of
// bug a GPU port makes. The suite must catch each one.
type broken struct {
	*cpu.CPU
	bug string
}

func (b broken) Gemm(transA, transB bool, m, n, k int, alpha float32, a backend.Buffer, offA, lda int, bb backend.Buffer, offB, ldb int, beta float32, c backend.Buffer, offC, ldc int) {
	if b.bug == "gemm-ignores-ld" && lda != k && !transA {
		lda = k
	}
	b.CPU.Gemm(transA, transB, m, n, k, alpha, a, offA, lda, bb, offB, ldb, beta, c, offC, ldc)
}

func (b broken) MaxPool(dst, idx, x backend.Buffer, g backend.PoolGeom) {
	b.CPU.MaxPool(dst, idx, x, g)
	if b.bug == "maxpool-last-tie" {
		// Re-pick the last maximum of each window instead of the first.
		xs, is := cpu.Data(x), cpu.Data(idx)
		for p := 0; p < g.N*g.C; p++ {
			for o := 0; o < g.OH*g.OW; o++ {
				oh, ow := o/g.OW, o%g.OW
				best := cpu.Data(dst)[p*g.OH*g.OW+o]
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih, iw := oh*g.SH-g.PH+kh, ow*g.SW-g.PW+kw
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W && xs[(p*g.H+ih)*g.W+iw] == best {
							is[p*g.OH*g.OW+o] = float32(ih*g.W + iw)
						}
					}
				}
			}
		}
	}
}

func (b broken) Im2Col(col, x backend.Buffer, g backend.ConvGeom) {
	if b.bug == "im2col-ignores-dilation" {
		g.DH, g.DW = 1, 1
	}
	b.CPU.Im2Col(col, x, g)
}

func (b broken) Softmax(dst, x backend.Buffer, rows, cols int, log bool) {
	if b.bug != "softmax-unstable" {
		b.CPU.Softmax(dst, x, rows, cols, log)
		return
	}
	ys, xs := cpu.Data(dst), cpu.Data(x)
	for r := 0; r < rows; r++ {
		var s float32
		for _, v := range xs[r*cols : (r+1)*cols] {
			s += float32(math.Exp(float64(v)))
		}
		for i, v := range xs[r*cols : (r+1)*cols] {
			y := float32(math.Exp(float64(v))) / s
			if log {
				y = float32(math.Log(float64(y)))
			}
			ys[r*cols+i] = y
		}
	}
}

func (b broken) ChannelStats(mean, variance, x backend.Buffer, outer, c, inner int) {
	if b.bug != "stats-one-pass" {
		b.CPU.ChannelStats(mean, variance, x, outer, c, inner)
		return
	}
	ms, vs, xs := cpu.Data(mean), cpu.Data(variance), cpu.Data(x)
	n := float32(outer * inner)
	for ch := 0; ch < c; ch++ {
		var s, q float32
		for o := 0; o < outer; o++ {
			for _, v := range xs[(o*c+ch)*inner : (o*c+ch+1)*inner] {
				s += v
				q += v * v
			}
		}
		ms[ch], vs[ch] = s/n, q/n-(s/n)*(s/n)
	}
}

func (b broken) DropoutMask(mask backend.Buffer, p float32, seed uint64) {
	if b.bug == "dropout-own-rng" {
		seed++
	}
	b.CPU.DropoutMask(mask, p, seed)
}

func (b broken) AdamStep(w, g, m, v backend.Buffer, p backend.AdamParams) {
	if b.bug == "adam-no-bias-correction" {
		p.Step = 1 << 20
	}
	b.CPU.AdamStep(w, g, m, v, p)
}

func (b broken) Binary(op backend.BinaryOp, dst, a, c backend.Buffer, s backend.Strided) {
	if b.bug == "binary-ignores-broadcast" && len(cpu.Data(c)) < len(cpu.Data(dst)) {
		s.StrideB = make([]int, len(s.StrideB)) // a broadcast B read as a scalar
	}
	b.CPU.Binary(op, dst, a, c, s)
}

func (b broken) Col2Im(dx, col backend.Buffer, g backend.ConvGeom) {
	b.CPU.Col2Im(dx, col, g)
	if b.bug == "col2im-drops-border" {
		d := cpu.Data(dx)
		d[len(d)-1] = 0
	}
}

var bugs = map[string]string{
	"gemm-ignores-ld":          "TestConformance/Gemm",
	"maxpool-last-tie":         "TestConformance/MaxPool",
	"im2col-ignores-dilation":  "TestConformance/Im2Col",
	"softmax-unstable":         "TestConformance/Softmax",
	"stats-one-pass":           "TestConformance/ChannelStats",
	"dropout-own-rng":          "TestConformance/DropoutMask",
	"adam-no-bias-correction":  "TestConformance/AdamStep",
	"binary-ignores-broadcast": "TestConformance/Binary",
	"col2im-drops-border":      "TestConformance/Col2Im",
}

// TestConformance runs the suite on a broken backend when re-executed by
// TestSuiteCatchesBrokenKernels, and on the CPU backend otherwise.
func TestConformance(t *testing.T) {
	bug := os.Getenv("BACKENDTEST_BUG")
	if bug == "" {
		backendtest.Run(t, cpu.New())
		return
	}
	backendtest.Run(t, broken{CPU: cpu.New(), bug: bug})
}

func TestSuiteCatchesBrokenKernels(t *testing.T) {
	if os.Getenv("BACKENDTEST_BUG") != "" {
		t.Skip("inside a re-executed run")
	}
	if testing.Short() {
		t.Skip("re-executes the test binary once per bug")
	}
	for bug, failing := range bugs {
		t.Run(bug, func(t *testing.T) {
			kernel := strings.TrimPrefix(failing, "TestConformance/")
			cmd := exec.Command(os.Args[0], "-test.run=^TestConformance$/^"+kernel+"$", "-test.v")
			cmd.Env = append(os.Environ(), "BACKENDTEST_BUG="+bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend with %s", bug)
			}
			var failed []string
			for _, line := range strings.Split(string(out), "\n") {
				if f, ok := strings.CutPrefix(strings.TrimSpace(line), "--- FAIL: "); ok {
					name := strings.Fields(f)[0]
					if strings.Count(name, "/") == 1 {
						failed = append(failed, name)
					}
				}
			}
			found := false
			for _, f := range failed {
				found = found || f == failing
			}
			if !found {
				t.Errorf("%s: want %s to fail, failed %v", bug, failing, failed)
			}
		})
	}
}
