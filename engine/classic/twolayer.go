package classic

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TwoLayerConfig sets the course's two-layer network: affine, ReLU, affine,
// softmax, trained by SGD with momentum and a per-epoch learning-rate decay.
type TwoLayerConfig struct {
	Hidden int
	LR     float32
	// Reg is the L2 strength on the weights (the loss adds Reg·Σw²).
	Reg    float32
	Epochs int
	Batch  int
	// Decay multiplies the learning rate after every epoch (0.95).
	Decay float32
	Seed  uint64
}

// TwoLayer is a trained two-layer network, built and run by the engine.
type TwoLayer struct {
	Model *nn.Model
	// History is the training loss per iteration and the validation
	// accuracy per epoch.
	Loss   []float64
	ValAcc []float64
}

// TwoLayerGraph is the architecture: input [d] → linear hidden → ReLU →
// linear classes.
func TwoLayerGraph(d, hidden, classes int) graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": float64(d), "height": 0, "width": 0}},
		{ID: "fc1", Op: "linear", Inputs: []string{"input"}, Attrs: map[string]float64{"out": float64(hidden)}},
		{ID: "relu", Op: "relu", Inputs: []string{"fc1"}},
		{ID: "fc2", Op: "linear", Inputs: []string{"relu"}, Attrs: map[string]float64{"out": float64(classes)}},
	}}
}

// TrainTwoLayer trains the network on the rows of xtr (features or pixels,
// already standardised) and reports validation accuracy each epoch.
func TrainTwoLayer(ctx context.Context, xtr *Matrix, ytr []int32, xval *Matrix, yval []int32, classes int,
	cfg TwoLayerConfig, progress func(epoch int, valAcc float64)) (*TwoLayer, error) {
	if cfg.Batch <= 0 || cfg.Epochs <= 0 || cfg.Hidden <= 0 {
		return nil, fmt.Errorf("two-layer net needs positive hidden size, epochs and batch")
	}
	if cfg.Decay == 0 {
		cfg.Decay = 0.95
	}
	b := cpu.New()
	m, err := nn.Build(TwoLayerGraph(xtr.Cols, cfg.Hidden, classes), []int{xtr.Cols}, b, cfg.Seed, "he")
	if err != nil {
		return nil, err
	}
	opt, err := optim.New("momentum", optim.Config{LR: cfg.LR, Momentum: 0.9})
	if err != nil {
		return nil, err
	}
	var weights []*autograd.Var
	for _, p := range m.Params {
		if p.Decay {
			weights = append(weights, p.V)
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 17))
	net := &TwoLayer{Model: m}
	perm := make([]int, xtr.Rows)
	for i := range perm {
		perm[i] = i
	}
	xb := make([]float32, cfg.Batch*xtr.Cols)
	yb := make([]int32, cfg.Batch)
	lr := cfg.LR
	for ep := 0; ep < cfg.Epochs; ep++ {
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		for s := 0; s+cfg.Batch <= len(perm); s += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for i := 0; i < cfg.Batch; i++ {
				copy(xb[i*xtr.Cols:(i+1)*xtr.Cols], xtr.Row(perm[s+i]))
				yb[i] = ytr[perm[s+i]]
			}
			x := autograd.Const(tensor.FromData(b, xb, cfg.Batch, xtr.Cols))
			loss := autograd.CrossEntropy(m.Forward(&nn.Ctx{Training: true}, x), autograd.OneHot(b, yb, classes, 0))
			if cfg.Reg > 0 {
				loss = autograd.Add(loss, autograd.Scale(autograd.L2Penalty(weights), cfg.Reg))
			}
			l := float64(loss.Item())
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, fmt.Errorf("loss became %v in epoch %d: the learning rate %g is too high", l, ep+1, lr)
			}
			loss.Backward()
			if err := opt.Step(m.Params); err != nil {
				return nil, err
			}
			for _, p := range m.Params {
				p.V.ZeroGrad()
			}
			net.Loss = append(net.Loss, l)
		}
		lr *= cfg.Decay
		opt.SetLR(lr)
		acc := net.Accuracy(xval, yval)
		net.ValAcc = append(net.ValAcc, acc)
		if progress != nil {
			progress(ep+1, acc)
		}
	}
	return net, nil
}

// Predict returns the arg-max class of each row.
func (n *TwoLayer) Predict(x *Matrix) []int32 {
	out := make([]int32, 0, x.Rows)
	const chunk = 1000
	for lo := 0; lo < x.Rows; lo += chunk {
		hi := min(lo+chunk, x.Rows)
		in := autograd.Const(tensor.FromData(n.Model.B, x.Data[lo*x.Cols:hi*x.Cols], hi-lo, x.Cols))
		s := n.Model.Forward(&nn.Ctx{NoGrad: true}, in).Value
		c := s.Shape[1]
		v := s.Data()
		for i := 0; i < hi-lo; i++ {
			row := v[i*c : (i+1)*c]
			best := 0
			for j, x := range row {
				if x > row[best] {
					best = j
				}
			}
			out = append(out, int32(best))
		}
	}
	return out
}

// Accuracy is the fraction of rows predicted right.
func (n *TwoLayer) Accuracy(x *Matrix, y []int32) float64 {
	if x == nil || x.Rows == 0 {
		return 0
	}
	ok := 0
	for i, p := range n.Predict(x) {
		if p == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(x.Rows)
}
