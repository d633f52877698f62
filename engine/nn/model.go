package nn

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Param is one learned tensor of a model.
type Param struct {
	// Name is "<node id>.<param>", e.g. "conv1.weight" (PyTorch's naming).
	Name  string
	Node  string
	V     *autograd.Var
	Decay bool
}

// Model is a graph built into parameters on a backend.
type Model struct {
	Graph    graph.Graph
	Analysis *Analysis
	B        backend.Backend
	Params   []*Param

	nodes  map[string]*graph.Node
	params map[string]map[string]*autograd.Var
	bn     map[string]*autograd.BatchNormState
	// poolReLU maps a max-pool to the ReLU that feeds it and nothing
	// else; Forward runs the pair as autograd.MaxPool2dReLU.
	poolReLU map[string]string
	// convBN maps a batchnorm2d to the convolution it folds into at
	// inference (fold.go).
	convBN map[string]string
	// bnReLU maps a batchnorm2d to the ReLU that alone reads it (fold.go).
	bnReLU map[string]string
	// bnAdd maps an add that only a ReLU reads to a batchnorm2d that only
	// the add reads (a residual block's end); Forward runs the three as
	// autograd.BatchNormAddReLU (fold.go).
	bnAdd map[string]string
}

// Init chooses how weights start: "default" (PyTorch's uniform
// ±1/sqrt(fan_in)), "he" (Kaiming normal, std sqrt(2/fan_in)), "xavier"
// (Glorot normal over fan_in and fan_out), or "gaussian:<std>" (the course's
// small random numbers). Biases start as in PyTorch for "default", else 0.
type Init string

// Build analyses g and creates its parameters, seeded.
func Build(g graph.Graph, input []int, b backend.Backend, seed uint64, init Init) (*Model, error) {
	a := Analyze(g, input)
	if err := a.Err(); err != nil {
		return nil, err
	}
	m := &Model{Graph: g, Analysis: a, B: b, nodes: map[string]*graph.Node{},
		params: map[string]map[string]*autograd.Var{}, bn: map[string]*autograd.BatchNormState{}}
	for i := range g.Nodes {
		m.nodes[g.Nodes[i].ID] = &g.Nodes[i]
	}
	m.poolReLU = fusedReLUs(g, a.Output)
	m.convBN = convBNs(g, a.Output)
	m.bnReLU = bnReLUs(g, a.Output)
	m.bnAdd = bnAdds(g, a.Output, m.bnReLU)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, id := range a.Order {
		n := m.nodes[id]
		op := ops[n.Op]
		if op.Params == nil {
			continue
		}
		m.params[id] = map[string]*autograd.Var{}
		for _, ps := range op.Params(n, a.Nodes[id].In) {
			data, err := initValues(ps, init, rng)
			if err != nil {
				return nil, err
			}
			v := autograd.Param(tensor.FromData(b, data, ps.Shape...), id+"."+ps.Name)
			m.params[id][ps.Name] = v
			m.Params = append(m.Params, &Param{Name: v.Name, Node: id, V: v, Decay: ps.Decay})
		}
	}
	return m, nil
}

func initValues(ps ParamSpec, init Init, rng *rand.Rand) ([]float32, error) {
	n := tensor.Numel(ps.Shape)
	out := make([]float32, n)
	switch {
	case ps.Init == "zeros":
	case ps.Init == "ones":
		for i := range out {
			out[i] = 1
		}
	case strings.HasPrefix(ps.Init, "const:"):
		v, _ := strconv.ParseFloat(ps.Init[6:], 64)
		for i := range out {
			out[i] = float32(v)
		}
	case ps.Init == "fan_in":
		fan := float64(max(ps.FanIn, 1))
		isBias := ps.Name == "bias"
		switch {
		case init == "" || init == "default":
			bound := 1 / math.Sqrt(fan)
			for i := range out {
				out[i] = float32((rng.Float64()*2 - 1) * bound)
			}
		case isBias:
		case init == "he":
			std := math.Sqrt(2 / fan)
			for i := range out {
				out[i] = float32(rng.NormFloat64() * std)
			}
		case init == "xavier":
			// fan_out = out_channels·kh·kw, as torch.nn.init (the kernel
			// area counts on both sides, not only in fan_in).
			fanOut := float64(ps.Shape[0] * tensor.Numel(ps.Shape[2:]))
			std := math.Sqrt(2 / (fan + fanOut))
			for i := range out {
				out[i] = float32(rng.NormFloat64() * std)
			}
		case strings.HasPrefix(string(init), "gaussian:"):
			std, err := strconv.ParseFloat(string(init[9:]), 64)
			if err != nil || !(std > 0) || math.IsInf(std, 0) {
				return nil, fmt.Errorf("initialiser %q: want gaussian:<std> with a positive std, e.g. gaussian:0.01", init)
			}
			for i := range out {
				out[i] = float32(rng.NormFloat64() * std)
			}
		default:
			return nil, fmt.Errorf("unknown initialiser %q: use default, he, xavier or gaussian:<std>", init)
		}
	default:
		return nil, fmt.Errorf("nn: parameter %s has unknown init %q", ps.Name, ps.Init)
	}
	return out, nil
}

func (m *Model) bnState(n *graph.Node, c int) *autograd.BatchNormState {
	st, ok := m.bn[n.ID]
	if !ok {
		st = &autograd.BatchNormState{Mean: tensor.New(m.B, c), Var: tensor.Full(m.B, 1, c)}
		m.bn[n.ID] = st
	}
	return st
}

// Ctx carries the mode of one forward pass.
type Ctx struct {
	// Training selects batch statistics and active dropout.
	Training bool
	// NoGrad records no graph for the parameters (evaluation, inference).
	NoGrad bool
	// Seed and Step make dropout masks reproducible: the mask of a node
	// depends only on (Seed, Step, node).
	Seed, Step uint64
	// Hook, when set, sees every node's output and may replace it (read an
	// activation, amplify it for DeepDream, register a gradient hook).
	Hook func(id string, out *autograd.Var) *autograd.Var
	// Stop, when set, ends the forward pass after that node and returns its
	// output (features of an intermediate layer).
	Stop string
	// Style weighs the styles of conditional instance normalisation layers
	// (condinstancenorm): S values for the whole batch or N·S, one row per
	// image; nil selects style 0.
	Style []float32

	model *Model
}

func (c *Ctx) seed(n *graph.Node, k uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(n.ID))
	return c.Seed*0x9E3779B97F4A7C15 ^ c.Step*0xBF58476D1CE4E5B9 ^ h.Sum64() ^ k
}

// fusedReLUs finds the ReLUs whose only consumer is a max-pool (ReLU,
// then pool: every classic CNN), keyed by the pool.
func fusedReLUs(g graph.Graph, output string) map[string]string {
	uses := useCounts(g)
	byID := map[string]*graph.Node{}
	for i := range g.Nodes {
		byID[g.Nodes[i].ID] = &g.Nodes[i]
	}
	fused := map[string]string{}
	for _, n := range g.Nodes {
		if n.Op != "maxpool2d" || len(n.Inputs) != 1 {
			continue
		}
		r := byID[n.Inputs[0]]
		if r != nil && r.Op == "relu" && len(r.Inputs) == 1 && uses[r.ID] == 1 && r.ID != output {
			fused[n.ID] = r.ID
		}
	}
	return fused
}

// Forward runs the model on a batch x ([N, C, H, W] or [N, F]). Without a
// Hook, a ReLU followed only by a max-pool runs fused with it (same values
// and gradients; the ReLU node's own output is not computed unless Stop
// names it). With NoGrad and no Hook, each intermediate activation is
// freed as soon as the last node reading it has run, so inference holds a
// layer or two at a time instead of the whole network's activations.
func (m *Model) Forward(c *Ctx, x *autograd.Var) *autograd.Var {
	c.model = m
	vals := map[string]*autograd.Var{}
	skip := map[string]bool{}
	if c.Hook == nil {
		for _, relu := range m.poolReLU {
			if relu != c.Stop {
				skip[relu] = true
			}
		}
	}
	if foldBN(c, x) {
		for _, conv := range m.convBN {
			if conv != c.Stop {
				skip[conv] = true
			}
		}
	}
	// A batch norm or a sum and the ReLU that alone reads it run as one op
	// (not when the batch norm is folded into its convolution); the ReLU
	// node then passes the fused output on.
	fusedBN, reluOf := map[string]bool{}, map[string]string{}
	if c.Hook == nil {
		for bn, relu := range m.bnReLU {
			conv, folded := m.convBN[bn]
			if bn != c.Stop && !skip[relu] && !(folded && skip[conv]) {
				fusedBN[bn], reluOf[relu] = true, bn
			}
		}
	}
	// A batch norm read only by an add that only a ReLU reads runs inside
	// the add (unless folded into its convolution, or a hook or Stop must
	// see its output); bnAddOf maps the add to it.
	bnAddOf := map[string]string{}
	if c.Hook == nil && !bnAddOff {
		for add, bn := range m.bnAdd {
			conv, folded := m.convBN[bn]
			if fusedBN[add] && bn != c.Stop && !(folded && skip[conv]) {
				bnAddOf[add] = bn
				skip[bn] = true
			}
		}
	}
	// inputs are the nodes each node reads, after fusion.
	inputs := func(id string) []string {
		if bn, ok := bnAddOf[id]; ok {
			ins := slices.Clone(m.nodes[id].Inputs)
			for i, in := range ins {
				if in == bn {
					ins[i] = m.nodes[bn].Inputs[0]
				}
			}
			return ins
		}
		if relu, ok := m.poolReLU[id]; ok && skip[relu] {
			return m.nodes[relu].Inputs
		}
		if conv, ok := m.convBN[id]; ok && skip[conv] {
			return m.nodes[conv].Inputs
		}
		return m.nodes[id].Inputs
	}
	var fr *forwardFreer
	if c.NoGrad && c.Hook == nil {
		fr = newForwardFreer(m, x, skip, inputs)
	}
	for _, id := range m.Analysis.Order {
		n := m.nodes[id]
		var out *autograd.Var
		if skip[id] {
			continue
		}
		if relu, ok := m.poolReLU[id]; ok && skip[relu] {
			end := autograd.ProfileBegin("pool")
			out = autograd.MaxPool2dReLU(vals[m.nodes[relu].Inputs[0]], poolOpts(n))
			end()
		} else if conv, ok := m.convBN[id]; ok && skip[conv] {
			end := autograd.ProfileBegin("conv+bn")
			out = m.foldedConvBN(c, m.nodes[conv], n, vals[m.nodes[conv].Inputs[0]])
			end()
		} else if bn, ok := reluOf[id]; ok {
			out = vals[bn]
		} else if n.Op == "input" {
			out = x
		} else {
			in := make([]*autograd.Var, len(n.Inputs))
			for i, s := range n.Inputs {
				in[i] = vals[s]
			}
			p := m.params[id]
			if c.NoGrad && p != nil {
				d := make(map[string]*autograd.Var, len(p))
				for k, v := range p {
					d[k] = v.Detach()
				}
				p = d
			}
			if bn, ok := bnAddOf[id]; ok {
				var x, res *autograd.Var
				for _, s := range n.Inputs {
					if s == bn {
						x = vals[m.nodes[bn].Inputs[0]]
					} else {
						res = vals[s]
					}
				}
				end := autograd.ProfileBegin("bn+add+relu")
				out = m.bnAddReLUForward(c, m.nodes[bn], x, res)
				end()
			} else if fusedBN[id] {
				end := autograd.ProfileBegin(profileKind(n.Op) + "+relu")
				out = m.bnReLUForward(c, n, p, in)
				end()
			} else {
				end := autograd.ProfileBegin(profileKind(n.Op))
				out = ops[n.Op].Forward(c, n, p, in)
				end()
			}
		}
		if c.Hook != nil {
			if r := c.Hook(id, out); r != nil {
				out = r
			}
		}
		vals[id] = out
		if id == c.Stop {
			return out
		}
		if fr != nil {
			fr.ran(id, out, vals)
		}
	}
	return vals[m.Analysis.Output]
}

// forwardFreer frees the activations of a NoGrad forward pass once their
// last reader has run. Views (Flatten, Reshape) and ops that return their
// input share a buffer with another node, so buffers are counted by the
// nodes holding them; the input batch and the parameters are never freed.
type forwardFreer struct {
	b      backend.Backend
	uses   map[string]int // readers of each node's output still to run
	holds  map[backend.Buffer]int
	keep   map[backend.Buffer]bool
	inputs func(id string) []string
}

func newForwardFreer(m *Model, x *autograd.Var, skip map[string]bool, inputs func(string) []string) *forwardFreer {
	f := &forwardFreer{b: m.B, uses: map[string]int{}, holds: map[backend.Buffer]int{},
		keep: map[backend.Buffer]bool{x.Value.Buf: true}, inputs: inputs}
	for _, p := range m.Params {
		f.keep[p.V.Value.Buf] = true
	}
	for _, id := range m.Analysis.Order {
		if skip[id] {
			continue
		}
		for _, in := range inputs(id) {
			f.uses[in]++
		}
	}
	return f
}

// ran records that node id produced out and has read its inputs.
func (f *forwardFreer) ran(id string, out *autograd.Var, vals map[string]*autograd.Var) {
	f.holds[out.Value.Buf]++
	for _, in := range f.inputs(id) {
		f.uses[in]--
		v := vals[in]
		if f.uses[in] > 0 || v == nil || v.RequiresGrad() {
			continue
		}
		buf := v.Value.Buf
		f.holds[buf]--
		if f.holds[buf] == 0 && !f.keep[buf] {
			f.b.Free(buf)
		}
	}
}

// Node returns the graph node with the given ID.
func (m *Model) Node(id string) *graph.Node { return m.nodes[id] }

// State returns every parameter and running statistic by name, sharing the
// model's tensors ("conv1.weight", "bn1.running_mean", ...).
func (m *Model) State() map[string]*tensor.Tensor {
	s := map[string]*tensor.Tensor{}
	for _, p := range m.Params {
		s[p.Name] = p.V.Value
	}
	for _, id := range m.Analysis.Order {
		n := m.nodes[id]
		if n.Op == "batchnorm2d" || n.Op == "batchnorm1d" {
			st := m.bnState(n, m.Analysis.Nodes[id].Out[0])
			s[id+".running_mean"] = st.Mean
			s[id+".running_var"] = st.Var
		}
	}
	return s
}

// LoadState copies values into the model's tensors by name. Every tensor of
// the model must be present with the right shape.
func (m *Model) LoadState(src map[string]*tensor.Tensor) error {
	for name, dst := range m.State() {
		t, ok := src[name]
		if !ok {
			return fmt.Errorf("weights have no %s: they belong to a different architecture", name)
		}
		if !tensor.SameShape(t.Shape, dst.Shape) {
			return fmt.Errorf("weight %s has shape %v, the model needs %v", name, t.Shape, dst.Shape)
		}
		dst.Set(t.Data())
	}
	return nil
}

// profileKind groups graph ops into the layer types of a profile
// (autograd.StartProfile).
func profileKind(op string) string {
	switch {
	case op == "conv2d":
		return "conv"
	case strings.HasPrefix(op, "batchnorm"):
		return "bn"
	case op == "relu":
		return "relu"
	case strings.Contains(op, "pool"):
		return "pool"
	case op == "add":
		return "add"
	case op == "linear":
		return "linear"
	}
	return op
}
