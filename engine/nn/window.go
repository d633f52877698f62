package nn

import (
	"fmt"
	"strconv"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// Rectangular windows. conv2d, maxpool2d and avgpool2d keep their square
// attributes (kernel, stride, pad) and take per-axis ones beside them:
// kernel_h/kernel_w, stride_h/stride_w and pad_h/pad_w, each 0 by default,
// meaning "the square attribute". Inception v3's 1x7 convolution with
// padding (0, 3) is kernel_h 1, kernel_w 7, pad 0, pad_w 3. Files written
// before these attributes existed read as they did.

// rectAttrs are the per-axis attributes of the windowed ops.
func rectAttrs() []Attr {
	a := func(name, doc string) Attr {
		return Attr{Name: name, Default: 0, Min: 0, Max: 1024, Int: true, Doc: doc + " (0: as the square attribute)"}
	}
	return []Attr{a("kernel_h", "kernel height"), a("kernel_w", "kernel width"),
		a("stride_h", "vertical stride"), a("stride_w", "horizontal stride"),
		a("pad_h", "padding above and below"), a("pad_w", "padding left and right")}
}

// win2 is a window's geometry per axis: index 0 the height, 1 the width.
type win2 struct{ k, s, p, d [2]int }

// axis reads a per-axis attribute, falling back to the square one.
func axis(n *graph.Node, square string, hw int) int {
	if v := iattr(n, square+[2]string{"_h", "_w"}[hw]); v != 0 {
		return v
	}
	return iattr(n, square)
}

// windowOf reads a conv2d or pooling node's geometry. For the pools a
// stride of 0 means the kernel; they have no dilation.
func windowOf(n *graph.Node) win2 {
	var w win2
	pool := n.Op != "conv2d"
	for i := range 2 {
		w.k[i], w.s[i], w.p[i], w.d[i] = axis(n, "kernel", i), axis(n, "stride", i), axis(n, "pad", i), 1
		if pool && w.s[i] == 0 {
			w.s[i] = w.k[i]
		}
		if !pool {
			w.d[i] = iattr(n, "dilation")
		}
	}
	return w
}

func (w win2) square() bool { return w.k[0] == w.k[1] }

// windowHW is the Op.WindowHW of conv2d and the pools.
func windowHW(n *graph.Node) (k, s, d [2]int) {
	w := windowOf(n)
	return w.k, w.s, w.d
}

// poolOpts reads a pooling node's kernel, stride and padding per axis.
func poolOpts(n *graph.Node) autograd.PoolOpts {
	w := windowOf(n)
	return autograd.PoolOpts{Kernel: w.k, Stride: w.s, Pad: w.p}
}

// kernelText is "3" for a square kernel and "1x7" (height x width) otherwise.
func kernelText(w win2) string {
	if w.square() {
		return strconv.Itoa(w.k[0])
	}
	return fmt.Sprintf("%dx%d", w.k[0], w.k[1])
}

// WindowOf returns a conv2d, maxpool2d or avgpool2d node's kernel, stride,
// padding and dilation per axis (index 0 the height, 1 the width), with the
// per-axis attributes resolved against the square ones and a pool's stride
// 0 resolved to its kernel. ok is false for other ops.
func WindowOf(n *graph.Node) (k, s, p, d [2]int, ok bool) {
	if n.Op != "conv2d" && n.Op != "maxpool2d" && n.Op != "avgpool2d" {
		return k, s, p, d, false
	}
	w := windowOf(n)
	return w.k, w.s, w.p, w.d, true
}
