package nn

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

const big = 1 << 20

func numel(s []int) int64 { return int64(tensor.Numel(s)) }

func need(in []int, rank int, op string) error {
	if len(in) != rank {
		fix := "add a Flatten or check the previous layer"
		if rank == 3 && len(in) == 1 {
			// The input is already flat: a Flatten cannot help.
			fix = "move it before the Flatten and fully connected layers, or check the previous layer"
		}
		return fmt.Errorf("%s needs a %d-D input (%s), got %v: %s", op, rank, map[int]string{1: "features", 3: "channels×height×width"}[rank], in, fix)
	}
	return nil
}

func same(n *graph.Node, in [][]int) ([]int, error) { return append([]int(nil), in[0]...), nil }

func noMACs(*graph.Node, [][]int, []int) int64 { return 0 }

func elemMACs(n *graph.Node, in [][]int, out []int) int64 { return numel(out) }

func convOut(size, k, s, p, d int) int { return (size+2*p-d*(k-1)-1)/s + 1 }

func window(kAttr, sAttr, dAttr string) func(n *graph.Node) (int, int, int) {
	return func(n *graph.Node) (int, int, int) {
		k, s, d := iattr(n, kAttr), 1, 1
		if sAttr != "" {
			s = iattr(n, sAttr)
			if s == 0 {
				s = k
			}
		}
		if dAttr != "" {
			d = iattr(n, dAttr)
		}
		return k, s, d
	}
}

func activation(name, doc string, f func(x *autograd.Var, n *graph.Node) *autograd.Var, attrs ...Attr) {
	register(&Op{Name: name, Group: "activation", Doc: doc, Attrs: attrs, MinIn: 1, MaxIn: 1,
		Infer: same, MACs: elemMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return f(in[0], n)
		}})
}

func init() {
	register(&Op{Name: "input", Group: "input", Doc: "The image (or feature vector) fed to the network.",
		Attrs: []Attr{{Name: "channels", Default: 3, Min: 1, Max: 4096, Int: true},
			{Name: "height", Default: 32, Min: 0, Max: 8192, Int: true},
			{Name: "width", Default: 32, Min: 0, Max: 8192, Int: true}},
		MinIn: 0, MaxIn: 0, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			c, h, w := iattr(n, "channels"), iattr(n, "height"), iattr(n, "width")
			if h == 0 && w == 0 {
				return []int{c}, nil
			}
			return []int{c, h, w}, nil
		}})

	register(&Op{Name: "conv2d", Group: "convolution", Doc: "2-D convolution (groups = channels gives a depthwise convolution).",
		Attrs: append([]Attr{{Name: "out", Default: 32, Min: 1, Max: big, Int: true, Doc: "output channels"},
			{Name: "kernel", Default: 3, Min: 1, Max: 1024, Int: true},
			{Name: "stride", Default: 1, Min: 1, Max: 1024, Int: true},
			{Name: "pad", Default: 0, Min: 0, Max: 1024, Int: true},
			{Name: "dilation", Default: 1, Min: 1, Max: 1024, Int: true},
			{Name: "groups", Default: 1, Min: 1, Max: big, Int: true},
			{Name: "bias", Default: 1, Min: 0, Max: 1, Int: true}}, rectAttrs()...),
		MinIn: 1, MaxIn: 1, Window: window("kernel", "stride", "dilation"), WindowHW: windowHW,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "conv2d"); err != nil {
				return nil, err
			}
			c, h, w := in[0][0], in[0][1], in[0][2]
			g, oc := iattr(n, "groups"), iattr(n, "out")
			if c%g != 0 || oc%g != 0 {
				return nil, fmt.Errorf("conv2d groups %d must divide input channels %d and output channels %d", g, c, oc)
			}
			g2 := windowOf(n)
			oh, ow := convOut(h, g2.k[0], g2.s[0], g2.p[0], g2.d[0]), convOut(w, g2.k[1], g2.s[1], g2.p[1], g2.d[1])
			if oh < 1 || ow < 1 {
				return nil, fmt.Errorf("conv2d kernel %s (dilation %d) does not fit the %dx%d input: add padding or use a smaller kernel", kernelText(g2), g2.d[0], h, w)
			}
			return []int{oc, oh, ow}, nil
		},
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			k, g, oc := windowOf(n).k, iattr(n, "groups"), iattr(n, "out")
			cg := in[0][0] / g
			ps := []ParamSpec{{Name: "weight", Shape: []int{oc, cg, k[0], k[1]}, Init: "fan_in", FanIn: cg * k[0] * k[1], Decay: true}}
			if iattr(n, "bias") == 1 {
				ps = append(ps, ParamSpec{Name: "bias", Shape: []int{oc}, Init: "fan_in", FanIn: cg * k[0] * k[1]})
			}
			return ps
		},
		MACs: func(n *graph.Node, in [][]int, out []int) int64 {
			k, g := windowOf(n).k, iattr(n, "groups")
			return numel(out) * int64(in[0][0]/g*k[0]*k[1])
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			g2 := windowOf(n)
			o := autograd.ConvOpts{Stride: g2.s, Pad: g2.p, Dilation: g2.d, Groups: iattr(n, "groups")}
			if autograd.FewOutputs(in[0].Shape(), p["weight"].Shape(), o) {
				return autograd.Conv2dFewOut(in[0], p["weight"], p["bias"], o) // image-producing layers (kn2row)
			}
			return autograd.Conv2d(in[0], p["weight"], p["bias"], o)
		}})

	register(&Op{Name: "linear", Group: "convolution", Doc: "Fully connected layer; dropconnect > 0 drops weights in training.",
		Attrs: []Attr{{Name: "out", Default: 10, Min: 1, Max: big, Int: true},
			{Name: "bias", Default: 1, Min: 0, Max: 1, Int: true},
			{Name: "dropconnect", Default: 0, Min: 0, Max: 0.99}},
		MinIn: 1, MaxIn: 1,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 1, "linear"); err != nil {
				return nil, err
			}
			return []int{iattr(n, "out")}, nil
		},
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			f, o := in[0][0], iattr(n, "out")
			ps := []ParamSpec{{Name: "weight", Shape: []int{o, f}, Init: "fan_in", FanIn: f, Decay: true}}
			if iattr(n, "bias") == 1 {
				ps = append(ps, ParamSpec{Name: "bias", Shape: []int{o}, Init: "fan_in", FanIn: f})
			}
			return ps
		},
		MACs: func(n *graph.Node, in [][]int, out []int) int64 { return int64(in[0][0]) * int64(out[0]) },
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			w := p["weight"]
			if dc := float32(attr(n, "dropconnect")); dc > 0 && c.Training {
				w = autograd.Dropout(w, dc, c.seed(n, 1))
			}
			return autograd.Linear(in[0], w, p["bias"])
		}})

	pool := func(name, doc string, f func(x *autograd.Var, o autograd.PoolOpts) *autograd.Var) {
		register(&Op{Name: name, Group: "pooling", Doc: doc,
			Attrs: append([]Attr{{Name: "kernel", Default: 2, Min: 1, Max: 1024, Int: true},
				{Name: "stride", Default: 0, Min: 0, Max: 1024, Int: true, Doc: "0 means the kernel size"},
				{Name: "pad", Default: 0, Min: 0, Max: 512, Int: true}}, rectAttrs()...),
			MinIn: 1, MaxIn: 1, Window: window("kernel", "stride", ""), WindowHW: windowHW,
			Infer: func(n *graph.Node, in [][]int) ([]int, error) {
				if err := need(in[0], 3, name); err != nil {
					return nil, err
				}
				w := windowOf(n)
				for i := range 2 {
					if 2*w.p[i] > w.k[i] {
						return nil, fmt.Errorf("%s padding %d must be at most half the kernel %d", name, w.p[i], w.k[i])
					}
				}
				oh, ow := convOut(in[0][1], w.k[0], w.s[0], w.p[0], 1), convOut(in[0][2], w.k[1], w.s[1], w.p[1], 1)
				if oh < 1 || ow < 1 {
					return nil, fmt.Errorf("%s kernel %s is larger than its %dx%d input: remove a pooling layer or pad earlier", name, kernelText(w), in[0][1], in[0][2])
				}
				return []int{in[0][0], oh, ow}, nil
			},
			MACs: func(n *graph.Node, in [][]int, out []int) int64 {
				k := windowOf(n).k
				return numel(out) * int64(k[0]*k[1])
			},
			Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
				return f(in[0], poolOpts(n))
			}})
	}
	pool("maxpool2d", "Max pooling.", autograd.MaxPool2d)
	pool("avgpool2d", "Average pooling (padding counted in the divisor).", autograd.AvgPool2d)

	register(&Op{Name: "globalavgpool", Group: "pooling", Doc: "Average of each channel's whole map: C×H×W to C.",
		MinIn: 1, MaxIn: 1,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "globalavgpool"); err != nil {
				return nil, err
			}
			return []int{in[0][0]}, nil
		},
		MACs: func(n *graph.Node, in [][]int, out []int) int64 { return numel(in[0]) },
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.Flatten(autograd.GlobalAvgPool(in[0]))
		}})

	register(&Op{Name: "adaptiveavgpool2d", Group: "pooling", Doc: "Average pooling to a fixed output size (PyTorch's adaptive windows).",
		Attrs: []Attr{{Name: "size", Default: 1, Min: 1, Max: 1024, Int: true}}, MinIn: 1, MaxIn: 1,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "adaptiveavgpool2d"); err != nil {
				return nil, err
			}
			s := iattr(n, "size")
			return []int{in[0][0], s, s}, nil
		},
		MACs: func(n *graph.Node, in [][]int, out []int) int64 { return numel(in[0]) },
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			s := iattr(n, "size")
			return autograd.AdaptiveAvgPool2d(in[0], s, s)
		}})

	register(&Op{Name: "flatten", Group: "shape", Doc: "C×H×W to one vector.", MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) { return []int{int(numel(in[0]))}, nil },
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.Flatten(in[0])
		}})

	register(&Op{Name: "dropout", Group: "regularisation", Doc: "Inverted dropout: zero with probability p in training.",
		Attrs: []Attr{{Name: "p", Default: 0.5, Min: 0, Max: 0.99}}, MinIn: 1, MaxIn: 1, Infer: same, MACs: noMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			if !c.Training {
				return in[0]
			}
			return autograd.Dropout(in[0], float32(attr(n, "p")), c.seed(n, 0))
		}})

	bn := func(name string, rank int) {
		register(&Op{Name: name, Group: "normalisation", Doc: "Batch normalisation with running statistics.",
			Attrs: []Attr{{Name: "eps", Default: 1e-5, Min: 0, Max: 1},
				{Name: "momentum", Default: 0.1, Min: 0, Max: 1},
				{Name: "affine", Default: 1, Min: 0, Max: 1, Int: true}},
			MinIn: 1, MaxIn: 1, MACs: elemMACs,
			Infer: func(n *graph.Node, in [][]int) ([]int, error) {
				if err := need(in[0], rank, name); err != nil {
					return nil, err
				}
				return same(n, in)
			},
			Params: func(n *graph.Node, in [][]int) []ParamSpec {
				if iattr(n, "affine") == 0 {
					return nil
				}
				c := in[0][0]
				return []ParamSpec{{Name: "weight", Shape: []int{c}, Init: "ones"}, {Name: "bias", Shape: []int{c}, Init: "zeros"}}
			},
			Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
				st := c.model.bnState(n, in[0].Shape()[1])
				st.Momentum, st.Eps = float32(attr(n, "momentum")), float32(attr(n, "eps"))
				return autograd.BatchNorm(in[0], p["weight"], p["bias"], st, c.Training)
			}})
	}
	bn("batchnorm2d", 3)
	bn("batchnorm1d", 1)

	register(&Op{Name: "layernorm", Group: "normalisation", Doc: "Layer normalisation over all of an example's values, with an elementwise affine.",
		Attrs: []Attr{{Name: "eps", Default: 1e-5, Min: 0, Max: 1}, {Name: "affine", Default: 1, Min: 0, Max: 1, Int: true}},
		MinIn: 1, MaxIn: 1, Infer: same, MACs: elemMACs,
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			if iattr(n, "affine") == 0 {
				return nil
			}
			return []ParamSpec{{Name: "weight", Shape: append([]int(nil), in[0]...), Init: "ones"}, {Name: "bias", Shape: append([]int(nil), in[0]...), Init: "zeros"}}
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			f := int(numel(in[0].Shape()[1:]))
			return autograd.LayerNorm(in[0], f, p["weight"], p["bias"], float32(attr(n, "eps")))
		}})

	register(&Op{Name: "groupnorm", Group: "normalisation", Doc: "Group normalisation over groups of channels.",
		Attrs: []Attr{{Name: "groups", Default: 8, Min: 1, Max: big, Int: true}, {Name: "eps", Default: 1e-5, Min: 0, Max: 1}},
		MinIn: 1, MaxIn: 1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "groupnorm"); err != nil {
				return nil, err
			}
			if in[0][0]%iattr(n, "groups") != 0 {
				return nil, fmt.Errorf("groupnorm groups %d must divide the %d channels", iattr(n, "groups"), in[0][0])
			}
			return same(n, in)
		},
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			c := in[0][0]
			return []ParamSpec{{Name: "weight", Shape: []int{c}, Init: "ones"}, {Name: "bias", Shape: []int{c}, Init: "zeros"}}
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.GroupNorm(in[0], iattr(n, "groups"), p["weight"], p["bias"], float32(attr(n, "eps")))
		}})

	register(&Op{Name: "instancenorm", Group: "normalisation", Doc: "Instance normalisation: each channel of each image on its own.",
		Attrs: []Attr{{Name: "eps", Default: 1e-5, Min: 0, Max: 1}, {Name: "affine", Default: 0, Min: 0, Max: 1, Int: true}},
		MinIn: 1, MaxIn: 1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "instancenorm"); err != nil {
				return nil, err
			}
			return same(n, in)
		},
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			if iattr(n, "affine") == 0 {
				return nil
			}
			c := in[0][0]
			return []ParamSpec{{Name: "weight", Shape: []int{c}, Init: "ones"}, {Name: "bias", Shape: []int{c}, Init: "zeros"}}
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.InstanceNormAffine(in[0], p["weight"], p["bias"], float32(attr(n, "eps")))
		}})

	register(&Op{Name: "lrn", Group: "normalisation", Doc: "Local response normalisation across channels (AlexNet).",
		Attrs: []Attr{{Name: "size", Default: 5, Min: 1, Max: 99, Int: true}, {Name: "alpha", Default: 1e-4, Min: 0, Max: 10},
			{Name: "beta", Default: 0.75, Min: 0, Max: 10}, {Name: "k", Default: 2, Min: 0, Max: 100}},
		MinIn: 1, MaxIn: 1, MACs: func(n *graph.Node, in [][]int, out []int) int64 { return numel(out) * int64(iattr(n, "size")) },
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "lrn"); err != nil {
				return nil, err
			}
			if iattr(n, "size")%2 == 0 {
				return nil, fmt.Errorf("lrn size %d must be odd", iattr(n, "size"))
			}
			return same(n, in)
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.LocalResponseNorm(in[0], iattr(n, "size"), float32(attr(n, "alpha")), float32(attr(n, "beta")), float32(attr(n, "k")))
		}})

	activation("relu", "max(x, 0).", func(x *autograd.Var, n *graph.Node) *autograd.Var { return autograd.ReLU(x) })
	activation("leakyrelu", "x, or slope·x below zero.", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.LeakyReLU(x, float32(attr(n, "slope")))
	}, Attr{Name: "slope", Default: 0.01, Min: 0, Max: 1})
	activation("elu", "x, or alpha·(eˣ-1) below zero.", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.ELU(x, float32(attr(n, "alpha")))
	}, Attr{Name: "alpha", Default: 1, Min: 0, Max: 100})
	activation("selu", "Self-normalising ELU.", func(x *autograd.Var, n *graph.Node) *autograd.Var { return autograd.SELU(x) })
	activation("gelu", "Gaussian error linear unit (exact).", func(x *autograd.Var, n *graph.Node) *autograd.Var { return autograd.GELU(x) })
	activation("sigmoid", "1/(1+e⁻ˣ).", func(x *autograd.Var, n *graph.Node) *autograd.Var { return autograd.Sigmoid(x) })
	activation("tanh", "Hyperbolic tangent.", func(x *autograd.Var, n *graph.Node) *autograd.Var { return autograd.Tanh(x) })

	register(&Op{Name: "prelu", Group: "activation", Doc: "Leaky ReLU with a learned slope per channel (or one shared).",
		Attrs: []Attr{{Name: "shared", Default: 0, Min: 0, Max: 1, Int: true}, {Name: "init", Default: 0.25, Min: 0, Max: 1}},
		MinIn: 1, MaxIn: 1, Infer: same, MACs: elemMACs,
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			c := in[0][0]
			if iattr(n, "shared") == 1 {
				c = 1
			}
			return []ParamSpec{{Name: "weight", Shape: []int{c}, Init: fmt.Sprintf("const:%g", attr(n, "init"))}}
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.PReLU(in[0], p["weight"])
		}})

	register(&Op{Name: "maxout", Group: "activation", Doc: "Maximum over groups of `pieces` channels.",
		Attrs: []Attr{{Name: "pieces", Default: 2, Min: 2, Max: 64, Int: true}}, MinIn: 1, MaxIn: 1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			k := iattr(n, "pieces")
			if in[0][0]%k != 0 {
				return nil, fmt.Errorf("maxout pieces %d must divide the %d channels", k, in[0][0])
			}
			out := append([]int(nil), in[0]...)
			out[0] /= k
			return out, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			x := in[0]
			if x.Value.Dim() == 2 {
				s := x.Shape()
				return autograd.Reshape(autograd.Maxout(autograd.Reshape(x, s[0], s[1], 1), iattr(n, "pieces")), s[0], -1)
			}
			return autograd.Maxout(x, iattr(n, "pieces"))
		}})

	register(&Op{Name: "softmax", Group: "output", Doc: "Softmax over the classes.", MinIn: 1, MaxIn: 1, Infer: same, MACs: elemMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.Softmax(in[0])
		}})
	register(&Op{Name: "logsoftmax", Group: "output", Doc: "Log-softmax over the classes.", MinIn: 1, MaxIn: 1, Infer: same, MACs: elemMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.LogSoftmax(in[0])
		}})

	register(&Op{Name: "add", Group: "merge", Doc: "Elementwise sum (residual connection).", MinIn: 2, MaxIn: -1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			for _, s := range in[1:] {
				if !tensor.SameShape(s, in[0]) {
					return nil, fmt.Errorf("add inputs differ: %v and %v (channel mismatch at a residual add: add a 1x1 conv projection on the shortcut)", in[0], s)
				}
			}
			return same(n, in)
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			y := in[0]
			for _, x := range in[1:] {
				y = autograd.Add(y, x)
			}
			return y
		}})

	register(&Op{Name: "concat", Group: "merge", Doc: "Join along channels (Inception, DenseNet).", MinIn: 2, MaxIn: -1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			out := append([]int(nil), in[0]...)
			for _, s := range in[1:] {
				if len(s) != len(in[0]) || !tensor.SameShape(s[1:], in[0][1:]) {
					return nil, fmt.Errorf("concat inputs %v and %v differ in spatial size: pad or pool so they match", in[0], s)
				}
				out[0] += s[0]
			}
			return out, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.Concat(in...)
		}})

	register(&Op{Name: "scale", Group: "merge", Doc: "Channel scaling x·s (squeeze-and-excitation): inputs x [C,H,W] and s [C].", MinIn: 2, MaxIn: 2, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if len(in[0]) != 3 || numel(in[1]) != int64(in[0][0]) {
				return nil, fmt.Errorf("scale needs x [C,H,W] and s with C values, got %v and %v", in[0], in[1])
			}
			return same(n, in)
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			s := in[0].Shape()
			return autograd.Mul(in[0], autograd.Reshape(in[1], s[0], s[1], 1, 1))
		}})

	register(&Op{Name: "identity", Group: "shape", Doc: "Passes its input through (a named output or a placeholder).", MinIn: 1, MaxIn: 1,
		Infer: same, MACs: noMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return in[0]
		}})
}
