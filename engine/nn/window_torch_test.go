package nn

import (
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
)

// Rectangular kernels, strides and padding of conv2d and the pools against
// PyTorch, and their shapes, parameters, multiply-adds and receptive
// fields.

func init() { moreLayerCases = append(moreLayerCases, windowCases()...) }

func windowCases() []layerCase {
	img := []int{3, 9, 11}
	return []layerCase{
		one("conv2d/1x7-pad0,3", "conv2d", img, "out = F.conv2d(x, T['l.weight'], T['l.bias'], padding=(0, 3))",
			"out", 4, "kernel_h", 1, "kernel_w", 7, "pad", 0, "pad_w", 3),
		one("conv2d/7x1-pad3,0-nobias", "conv2d", img, "out = F.conv2d(x, T['l.weight'], padding=(3, 0))",
			"out", 4, "kernel_h", 7, "kernel_w", 1, "pad_h", 3, "bias", 0),
		one("conv2d/3x5-stride2,1-groups3", "conv2d", []int{3, 9, 11}, "out = F.conv2d(x, T['l.weight'], T['l.bias'], stride=(2, 1), padding=(1, 2), groups=3)",
			"out", 6, "kernel", 3, "kernel_w", 5, "stride", 1, "stride_h", 2, "pad", 1, "pad_w", 2, "groups", 3),
		one("conv2d/2x3-dilation2", "conv2d", img, "out = F.conv2d(x, T['l.weight'], T['l.bias'], stride=(1, 2), dilation=2)",
			"out", 3, "kernel_h", 2, "kernel_w", 3, "stride_w", 2, "dilation", 2),
		one("maxpool2d/3x2-stride2,1-pad1,0", "maxpool2d", img, "out = F.max_pool2d(x, (3, 2), (2, 1), (1, 0))",
			"kernel", 2, "kernel_h", 3, "stride_h", 2, "stride_w", 1, "pad_h", 1).gen_(distinctValues),
		one("maxpool2d/1x3-stride-default", "maxpool2d", img, "out = F.max_pool2d(x, (1, 3))",
			"kernel_h", 1, "kernel_w", 3).gen_(distinctValues),
		one("avgpool2d/3x5-stride1,2-pad1,2", "avgpool2d", img, "out = F.avg_pool2d(x, (3, 5), (1, 2), (1, 2))",
			"kernel", 3, "kernel_w", 5, "stride", 1, "stride_w", 2, "pad", 1, "pad_w", 2),
	}
}

func TestRectangularWindowsAnalysis(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{
		node("x", "input", nil, "channels", 8, "height", 17, "width", 17),
		node("a", "conv2d", []string{"x"}, "out", 8, "kernel_h", 1, "kernel_w", 7, "pad", 0, "pad_w", 3, "bias", 0),
		node("b", "conv2d", []string{"a"}, "out", 16, "kernel_h", 7, "kernel_w", 1, "pad_h", 3, "stride_w", 2),
		node("c", "maxpool2d", []string{"b"}, "kernel", 3, "kernel_w", 1, "stride", 2, "stride_w", 1),
	}}
	a := Analyze(g, nil)
	if !a.OK() {
		t.Fatal(a.Err())
	}
	for _, c := range []struct {
		id            string
		out           []int
		params, macs  int64
		rf, jump      [2]int
		rfMax, jumpMx int
	}{
		{"a", []int{8, 17, 17}, 8 * 8 * 7, 8 * 17 * 17 * 8 * 7, [2]int{1, 7}, [2]int{1, 1}, 7, 1},
		{"b", []int{16, 17, 9}, 16*8*7 + 16, 16 * 17 * 9 * 8 * 7, [2]int{7, 7}, [2]int{1, 2}, 7, 2},
		{"c", []int{16, 8, 9}, 0, 16 * 8 * 9 * 3, [2]int{9, 7}, [2]int{2, 2}, 9, 2},
	} {
		info := a.Nodes[c.id]
		if !slices.Equal(info.Out, c.out) || info.Params != c.params || info.MACs != c.macs {
			t.Errorf("%s: out %v params %d MACs %d, want %v %d %d", c.id, info.Out, info.Params, info.MACs, c.out, c.params, c.macs)
		}
		if info.RFHW != c.rf || info.JumpHW != c.jump || info.RF != c.rfMax || info.Jump != c.jumpMx {
			t.Errorf("%s: field %v jump %v (RF %d, jump %d), want %v %v (%d, %d)", c.id, info.RFHW, info.JumpHW, info.RF, info.Jump, c.rf, c.jump, c.rfMax, c.jumpMx)
		}
	}
	// A square node written before the per-axis attributes reads as before.
	sq := graph.Graph{Nodes: []graph.Node{node("x", "input", nil, "channels", 3, "height", 8, "width", 8),
		node("a", "conv2d", []string{"x"}, "out", 4, "kernel", 3, "stride", 2, "pad", 1)}}
	if info := Analyze(sq, nil).Nodes["a"]; !slices.Equal(info.Out, []int{4, 4, 4}) || info.Params != 4*3*9+4 || info.RF != 3 || info.Jump != 2 {
		t.Errorf("square conv: out %v params %d RF %d jump %d", info.Out, info.Params, info.RF, info.Jump)
	}
	// A window that does not fit names both sides.
	bad := graph.Graph{Nodes: []graph.Node{node("x", "input", nil, "channels", 3, "height", 8, "width", 4),
		node("a", "conv2d", []string{"x"}, "out", 4, "kernel_h", 1, "kernel_w", 7)}}
	if err := Analyze(bad, nil).Err(); err == nil || !strings.Contains(err.Error(), "1x7") || !strings.Contains(err.Error(), "8x4") {
		t.Errorf("a 1x7 kernel on a 4-wide map: %v", err)
	}
}
