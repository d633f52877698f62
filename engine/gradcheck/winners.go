package gradcheck

import (
	"hash/fnv"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// winners records, during a model's forward pass, every choice that makes
// the network non-differentiable, as the course advises for gradient
// checks: which ReLU units were active (and which ReLU6 units clipped at
// 6), and which input won each max-pool window. When the choices at x+h or
// x-h differ from those at x, the step crossed a kink and the centred
// difference is not the derivative there; the check then measures again
// with a smaller step, and leaves the element out when even that crosses.
type winners struct {
	ops    map[string]string      // node id -> op, for the nodes recorded
	pools  map[string]*graph.Node // the max pools
	pooled map[string]bool        // nodes a max pool reads: their outputs are kept
	kept   map[string]*tensor.Tensor
	h      uint64
	// linear is set when every op is linear between kinks in each
	// parameter (Options.Linear).
	linear bool
}

// piecewiseLinear are the ops whose output is linear in each parameter
// element, and in their input, between kinks.
var piecewiseLinear = map[string]bool{"input": true, "conv2d": true, "linear": true, "relu": true, "leakyrelu": true,
	"relu6": true, "maxpool2d": true, "avgpool2d": true, "globalavgpool": true, "flatten": true, "dropout": true, "add": true,
	"concat": true, "pad2d": true}

func newWinners(m *nn.Model) *winners {
	w := &winners{ops: map[string]string{}, pools: map[string]*graph.Node{}, pooled: map[string]bool{}, kept: map[string]*tensor.Tensor{}, linear: true}
	for i := range m.Graph.Nodes {
		n := &m.Graph.Nodes[i]
		w.linear = w.linear && piecewiseLinear[n.Op]
		switch n.Op {
		case "relu", "leakyrelu", "prelu", "relu6":
			w.ops[n.ID] = n.Op
		case "maxpool2d":
			w.ops[n.ID] = n.Op
			w.pools[n.ID] = n
			if len(n.Inputs) == 1 {
				w.pooled[n.Inputs[0]] = true
			}
		}
	}
	return w
}

// start forgets the last pass's choices (call before each forward pass).
func (w *winners) start() { w.h = fnv.New64a().Sum64() }

// digest identifies the choices of the last pass.
func (w *winners) digest() uint64 { return w.h }

// hook sees every node's output (nn.Ctx.Hook).
func (w *winners) hook(id string, out *autograd.Var) {
	if w.pooled[id] {
		w.kept[id] = out.Value
	}
	op, ok := w.ops[id]
	if !ok {
		return
	}
	h := fnv.New64a()
	var word [8]byte
	for i := range word {
		word[i] = byte(w.h >> (8 * i))
	}
	h.Write(word[:])
	y := out.Value.Data()
	bits := make([]byte, 0, len(y)+len(y)/8)
	switch op {
	case "maxpool2d":
		bits = w.poolWinners(id, out.Shape(), y, bits)
	case "relu6":
		for _, v := range y {
			bits = append(bits, b2(v > 0)|b2(v < 6)<<1)
		}
	default: // active where the output is positive (the slope is positive)
		for _, v := range y {
			bits = append(bits, b2(v > 0))
		}
	}
	h.Write(bits)
	w.h = h.Sum64()
}

// poolWinners appends, for every output of the max pool id, the position in
// its window of the input it copied (the first that equals it).
func (w *winners) poolWinners(id string, shape []int, y []float32, bits []byte) []byte {
	n := w.pools[id]
	in := w.kept[n.Inputs[0]]
	k, s, p, _, ok := nn.WindowOf(n)
	if in == nil || !ok || len(shape) != 4 || len(in.Shape) != 4 {
		return bits
	}
	x := in.Data()
	H, W := in.Shape[2], in.Shape[3]
	OH, OW := shape[2], shape[3]
	plane := H * W
	for nc := 0; nc < shape[0]*shape[1]; nc++ {
		xs := x[nc*plane : (nc+1)*plane]
		for oh := 0; oh < OH; oh++ {
			for ow := 0; ow < OW; ow++ {
				v := y[(nc*OH+oh)*OW+ow]
				win := byte(255)
			search:
				for i := 0; i < k[0]; i++ {
					for j := 0; j < k[1]; j++ {
						r, c := oh*s[0]-p[0]+i, ow*s[1]-p[1]+j
						if r >= 0 && r < H && c >= 0 && c < W && xs[r*W+c] == v {
							win = byte(i*k[1] + j)
							break search
						}
					}
				}
				bits = append(bits, win)
			}
		}
	}
	return bits
}

func b2(b bool) byte {
	if b {
		return 1
	}
	return 0
}
