package pytorch

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// UnsupportedError lists the ops of a graph that have no PyTorch
// translation; nothing was written.
type UnsupportedError struct{ Ops []string }

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("cannot export to PyTorch: no translation for op %s; replace those layers or export to ONNX", strings.Join(e.Ops, ", "))
}

// Module is a generated model.py: its source, and for every state tensor
// the PyTorch name beside Workbench's (torch name → Workbench name).
type Module struct {
	Source string
	// State maps each state_dict name the source defines to the name of
	// the same tensor in the project ("fc_1.weight" → "fc-1.weight").
	State map[string]string
}

// node is what the generator knows of one graph node while writing.
type node struct {
	n     *graph.Node
	info  *nn.NodeInfo
	name  string   // its Python identifier
	args  []string // its inputs' identifiers
	attrs map[string]float64
}

func (g *node) f(k string) float64 { return g.n.Attr(k, defaultAttr(g.n.Op, k)) }
func (g *node) i(k string) int     { return int(g.f(k)) }

// defaultAttr is the catalogue's default of an attribute a node leaves out.
func defaultAttr(op, k string) float64 {
	if o, ok := nn.Lookup(op); ok {
		for _, a := range o.Attrs {
			if a.Name == k {
				return a.Default
			}
		}
	}
	return 0
}

// pair reads a window attribute that may be rectangular: base_h and base_w
// when the node has them, else base for both.
func (g *node) pair(base string) string {
	h, okh := g.n.Attrs[base+"_h"]
	w, okw := g.n.Attrs[base+"_w"]
	okh, okw = okh && h != 0, okw && w != 0 // 0 means the square attribute
	if !okh && !okw {
		return strconv.Itoa(g.i(base))
	}
	if !okh {
		h = g.f(base)
	}
	if !okw {
		w = g.f(base)
	}
	if h == w {
		return strconv.Itoa(int(h))
	}
	return fmt.Sprintf("(%d, %d)", int(h), int(w))
}

func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func pyBool(v int) string {
	if v != 0 {
		return "True"
	}
	return "False"
}

// translation is how one op is written: an optional module built in
// __init__ and the expression that computes the node in forward.
type translation func(g *node) (module, expr string)

func call(g *node) string { return "self." + g.name + "(" + g.args[0] + ")" }

func fn(f string) translation {
	return func(g *node) (string, string) { return "", f + "(" + g.args[0] + ")" }
}

var translations = map[string]translation{
	"conv2d": func(g *node) (string, string) {
		m := fmt.Sprintf("nn.Conv2d(%d, %d, kernel_size=%s, stride=%s, padding=%s, dilation=%s, groups=%d, bias=%s)",
			g.info.In[0][0], g.i("out"), g.pair("kernel"), g.pair("stride"), g.pair("pad"), g.pair("dilation"), g.i("groups"), pyBool(g.i("bias")))
		return m, call(g)
	},
	"linear": func(g *node) (string, string) {
		m := fmt.Sprintf("nn.Linear(%d, %d, bias=%s)", g.info.In[0][0], g.i("out"), pyBool(g.i("bias")))
		if dc := g.f("dropconnect"); dc > 0 {
			return m, fmt.Sprintf("F.linear(%s, F.dropout(self.%s.weight, %s, self.training), self.%s.bias)", g.args[0], g.name, num(dc), g.name)
		}
		return m, call(g)
	},
	"maxpool2d": pool("nn.MaxPool2d"),
	"avgpool2d": pool("nn.AvgPool2d"),
	"globalavgpool": func(g *node) (string, string) {
		return "", g.args[0] + ".mean((2, 3))"
	},
	"adaptiveavgpool2d": func(g *node) (string, string) {
		return fmt.Sprintf("nn.AdaptiveAvgPool2d(%d)", g.i("size")), call(g)
	},
	"flatten": func(g *node) (string, string) { return "", "torch.flatten(" + g.args[0] + ", 1)" },
	"dropout": func(g *node) (string, string) {
		return fmt.Sprintf("nn.Dropout(%s)", num(g.f("p"))), call(g)
	},
	"batchnorm2d": batchnorm("nn.BatchNorm2d"),
	"batchnorm1d": batchnorm("nn.BatchNorm1d"),
	"layernorm": func(g *node) (string, string) {
		shape := make([]string, len(g.info.In[0]))
		for i, d := range g.info.In[0] {
			shape[i] = strconv.Itoa(d)
		}
		return fmt.Sprintf("nn.LayerNorm([%s], eps=%s, elementwise_affine=%s)", strings.Join(shape, ", "), num(g.f("eps")), pyBool(g.i("affine"))), call(g)
	},
	"groupnorm": func(g *node) (string, string) {
		return fmt.Sprintf("nn.GroupNorm(%d, %d, eps=%s)", g.i("groups"), g.info.In[0][0], num(g.f("eps"))), call(g)
	},
	"instancenorm": func(g *node) (string, string) {
		return fmt.Sprintf("nn.InstanceNorm2d(%d, eps=%s, affine=%s)", g.info.In[0][0], num(g.f("eps")), pyBool(g.i("affine"))), call(g)
	},
	"condinstancenorm": func(g *node) (string, string) {
		return fmt.Sprintf("CondInstanceNorm2d(%d, %d, eps=%s)", g.i("styles"), g.info.In[0][0], num(g.f("eps"))), call(g)
	},
	"upsample": func(g *node) (string, string) {
		return "", fmt.Sprintf("F.interpolate(%s, scale_factor=%d, mode=\"nearest\")", g.args[0], g.i("scale"))
	},
	"lrn": func(g *node) (string, string) {
		return fmt.Sprintf("nn.LocalResponseNorm(%d, alpha=%s, beta=%s, k=%s)", g.i("size"), num(g.f("alpha")), num(g.f("beta")), num(g.f("k"))), call(g)
	},
	"relu":        fn("F.relu"),
	"relu6":       fn("F.relu6"),
	"selu":        fn("F.selu"),
	"gelu":        fn("F.gelu"),
	"sigmoid":     fn("torch.sigmoid"),
	"tanh":        fn("torch.tanh"),
	"hardswish":   fn("F.hardswish"),
	"hardsigmoid": fn("F.hardsigmoid"),
	"silu":        fn("F.silu"),
	"leakyrelu": func(g *node) (string, string) {
		return "", fmt.Sprintf("F.leaky_relu(%s, %s)", g.args[0], num(g.f("slope")))
	},
	"elu": func(g *node) (string, string) {
		return "", fmt.Sprintf("F.elu(%s, %s)", g.args[0], num(g.f("alpha")))
	},
	"prelu": func(g *node) (string, string) {
		c := g.info.In[0][0]
		if g.i("shared") == 1 {
			c = 1
		}
		return fmt.Sprintf("nn.PReLU(%d, init=%s)", c, num(g.f("init"))), call(g)
	},
	"maxout": func(g *node) (string, string) {
		k := g.i("pieces")
		return "", fmt.Sprintf("%s.reshape(%s.shape[0], %d, %d, *%s.shape[2:]).amax(2)", g.args[0], g.args[0], g.info.In[0][0]/k, k, g.args[0])
	},
	"softmax":    func(g *node) (string, string) { return "", "F.softmax(" + g.args[0] + ", 1)" },
	"logsoftmax": func(g *node) (string, string) { return "", "F.log_softmax(" + g.args[0] + ", 1)" },
	"add":        func(g *node) (string, string) { return "", strings.Join(g.args, " + ") },
	"concat": func(g *node) (string, string) {
		return "", "torch.cat([" + strings.Join(g.args, ", ") + "], 1)"
	},
	"scale": func(g *node) (string, string) {
		return "", fmt.Sprintf("%s * %s.reshape(%s.shape[0], -1, 1, 1)", g.args[0], g.args[1], g.args[1])
	},
	"identity": func(g *node) (string, string) { return "", g.args[0] },
	"pad2d": func(g *node) (string, string) {
		return "", fmt.Sprintf("F.pad(%s, (%d, %d, %d, %d), value=%s)", g.args[0], g.i("left"), g.i("right"), g.i("top"), g.i("bottom"), num(g.f("value")))
	},
	"reflectpad2d": func(g *node) (string, string) {
		return "", fmt.Sprintf("F.pad(%s, (%d, %d, %d, %d), mode='reflect')", g.args[0], g.i("left"), g.i("right"), g.i("top"), g.i("bottom"))
	},
	"channelshuffle": func(g *node) (string, string) {
		a, c, k := g.args[0], g.info.In[0][0], g.i("groups")
		return "", fmt.Sprintf("%s.reshape(%s.shape[0], %d, %d, *%s.shape[2:]).transpose(1, 2).reshape(%s.shape)", a, a, k, c/k, a, a)
	},
	"channelslice": func(g *node) (string, string) {
		return "", fmt.Sprintf("%s[:, %d:%d]", g.args[0], g.i("from"), g.i("to"))
	},
	"softplus": fn("F.softplus"),
	"clip": func(g *node) (string, string) {
		return "", fmt.Sprintf("torch.clamp(%s, %s, %s)", g.args[0], num(g.f("min")), num(g.f("max")))
	},
	"pool2d": func(g *node) (string, string) {
		return "", fmt.Sprintf("pool2d(%s, (%d, %d), (%d, %d), (%d, %d, %d, %d), %s, %s, %s)", g.args[0],
			g.i("kh"), g.i("kw"), g.i("sh"), g.i("sw"), g.i("pt"), g.i("pb"), g.i("pl"), g.i("pr"),
			pyBool(g.i("ceil")), pyBool(g.i("max")), pyBool(g.i("count_pad")))
	},
	"stochasticdepth": func(g *node) (string, string) {
		mode := "row"
		if g.i("batch") == 1 {
			mode = "batch"
		}
		return "", fmt.Sprintf("stochastic_depth(%s, %s, %q, self.training)", g.args[0], num(g.f("p")), mode)
	},
}

func pool(module string) translation {
	return func(g *node) (string, string) {
		kh, kw := g.axis("kernel", "_h", 0), g.axis("kernel", "_w", 0)
		sh, sw := g.axis("stride", "_h", kh), g.axis("stride", "_w", kw) // stride 0: the kernel
		win := func(h, w int) string {
			if h == w {
				return strconv.Itoa(h)
			}
			return fmt.Sprintf("(%d, %d)", h, w)
		}
		return fmt.Sprintf("%s(kernel_size=%s, stride=%s, padding=%s)", module, win(kh, kw), win(sh, sw), g.pair("pad")), call(g)
	}
}

// axis is one axis of a window attribute: base+suffix when set (non-zero),
// else base, else def when base is 0 too.
func (g *node) axis(base, suffix string, def int) int {
	if v := int(g.n.Attrs[base+suffix]); v != 0 {
		return v
	}
	if v := g.i(base); v != 0 {
		return v
	}
	return def
}

func batchnorm(module string) translation {
	return func(g *node) (string, string) {
		return fmt.Sprintf("%s(%d, eps=%s, momentum=%s, affine=%s)", module, g.info.In[0][0], num(g.f("eps")), num(g.f("momentum")), pyBool(g.i("affine"))), call(g)
	}
}

// Supported reports whether op has a PyTorch translation.
func Supported(op string) bool { _, ok := translations[op]; return ok || op == "input" }

// Generate writes model.py for g at the given input shape (C,H,W or F).
// The module is called Net.
func Generate(g graph.Graph, input []int, header string) (*Module, error) {
	a := nn.Analyze(g, input)
	if err := a.Err(); err != nil {
		return nil, err
	}
	var missing []string
	seen := map[string]bool{}
	for _, id := range a.Order {
		op := a.Nodes[id].Op
		if !Supported(op) && !seen[op] {
			seen[op] = true
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, &UnsupportedError{Ops: missing}
	}
	names := newIdents()
	byID := map[string]*graph.Node{}
	for i := range g.Nodes {
		byID[g.Nodes[i].ID] = &g.Nodes[i]
	}
	var init, fwd strings.Builder
	state := map[string]string{}
	for _, id := range a.Order {
		n, info := byID[id], a.Nodes[id]
		gn := &node{n: n, info: info, name: names.of(id)}
		if n.Op == "input" {
			fmt.Fprintf(&fwd, "        %s = x\n", gn.name)
			continue
		}
		for _, in := range n.Inputs {
			gn.args = append(gn.args, names.of(in))
		}
		module, expr := translations[n.Op](gn)
		if module != "" {
			fmt.Fprintf(&init, "        self.%s = %s\n", gn.name, module)
		}
		comment := ""
		if gn.name != id || (n.Name != "" && n.Name != id) {
			label := id
			if n.Name != "" && n.Name != id {
				label += " (" + n.Name + ")"
			}
			comment = "  # " + label
		}
		fmt.Fprintf(&fwd, "        %s = %s%s\n", gn.name, expr, comment)
		if o, ok := nn.Lookup(n.Op); ok && o.Params != nil {
			for _, ps := range o.Params(n, info.In) {
				state[gn.name+"."+ps.Name] = id + "." + ps.Name
			}
		}
		if n.Op == "batchnorm2d" || n.Op == "batchnorm1d" {
			state[gn.name+".running_mean"] = id + ".running_mean"
			state[gn.name+".running_var"] = id + ".running_var"
		}
	}
	fmt.Fprintf(&fwd, "        return %s\n", names.of(a.Output))
	return &Module{Source: render(header, input, init.String(), fwd.String(), state), State: state}, nil
}
