package tfjs

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/nn"
)

// converter maps Keras layers onto graph nodes, one layer at a time, in
// topological order.
type converter struct {
	g      graph.Graph
	shapes map[string][]int  // node id -> per-example shape (C,H,W or F)
	ids    map[string]string // Keras layer -> node id of its output; "" failed
	taken  map[string]bool
	ws     map[string]weightValue
	used   map[string]bool
	out    map[string]interop.Tensor
	// perm holds, for a vector that Flatten made from a C×H×W map, that
	// map's shape: Keras flattened it in H,W,C order, we in C,H,W order
	// (see order).
	perm map[string]order
	uns  interop.Unsupported
	err  error
}

func newConverter(ws map[string]weightValue) *converter {
	return &converter{shapes: map[string][]int{}, ids: map[string]string{}, taken: map[string]bool{},
		ws: ws, used: map[string]bool{}, out: map[string]interop.Tensor{}, perm: map[string]order{}}
}

func (c *converter) unsupported(l *kerasLayer, format string, args ...any) {
	c.uns.Add(l.ClassName, l.Name+": "+fmt.Sprintf(format, args...))
}

func (c *converter) bad(l *kerasLayer, format string, args ...any) {
	if c.err == nil {
		c.err = badf("layer %s (%s): %s", l.Name, l.ClassName, fmt.Sprintf(format, args...))
	}
}

func (c *converter) newID(base string) string {
	id := strings.Trim(nonID.ReplaceAllString(base, "_"), "_")
	if id == "" {
		id = "layer"
	}
	n := id
	for i := 2; c.taken[n]; i++ {
		n = fmt.Sprintf("%s_%d", id, i)
	}
	c.taken[n] = true
	return n
}

// node adds a graph node and infers its shape; "" when the layer's
// settings do not fit its input (recorded as bad input).
func (c *converter) node(l *kerasLayer, base, op string, inputs []string, attrs map[string]float64) string {
	o, ok := nn.Lookup(op)
	if !ok {
		c.unsupported(l, "needs the %s op", op)
		return ""
	}
	var in [][]int
	for _, i := range inputs {
		in = append(in, c.shapes[i])
	}
	n := graph.Node{ID: c.newID(base), Op: op, Inputs: inputs, Attrs: attrs}
	if o.Infer != nil {
		s, err := o.Infer(&n, in)
		if err != nil {
			c.bad(l, "%v", err)
			return ""
		}
		c.shapes[n.ID] = s
	}
	c.g.Nodes = append(c.g.Nodes, n)
	return n.ID
}

// weight returns the Keras weight layer/param, checking its shape.
func (c *converter) weight(l *kerasLayer, param string, shape ...int) []float32 {
	name := l.Name + "/" + param
	w, ok := c.ws[name]
	if !ok {
		for k, v := range c.ws {
			if strings.HasSuffix(k, "/"+name) {
				name, w, ok = k, v, true
				break
			}
		}
	}
	if !ok {
		c.bad(l, "the weights manifest has no %s", l.Name+"/"+param)
		return nil
	}
	if len(w.shape) != len(shape) {
		c.bad(l, "weight %s has shape %v, the layer needs %v", name, w.shape, shape)
		return nil
	}
	for i := range shape {
		if w.shape[i] != shape[i] {
			c.bad(l, "weight %s has shape %v, the layer needs %v", name, w.shape, shape)
			return nil
		}
	}
	c.used[name] = true
	return w.data
}

func (c *converter) put(id, param string, data []float32, shape ...int) {
	c.out[id+"."+param] = interop.Tensor{Shape: shape, Data: data}
}

func (c *converter) unusedWeights() []string {
	var out []string
	for _, k := range sortedKeys(c.ws) {
		if !c.used[k] {
			out = append(out, k)
		}
	}
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return out
}

// supported lists the Keras classes the converter maps.
var supported = map[string]bool{
	"InputLayer": true, "Conv2D": true, "DepthwiseConv2D": true, "SeparableConv2D": true, "Dense": true,
	"BatchNormalization": true, "Activation": true, "ReLU": true, "LeakyReLU": true, "ELU": true, "PReLU": true,
	"Softmax": true, "ZeroPadding2D": true, "MaxPooling2D": true, "AveragePooling2D": true,
	"GlobalAveragePooling2D": true, "GlobalMaxPooling2D": true, "Add": true, "Concatenate": true,
	"Flatten": true, "Dropout": true, "SpatialDropout2D": true, "GaussianNoise": true, "GaussianDropout": true,
	"AlphaDropout": true, "ActivityRegularization": true,
}

// layer maps one Keras layer.
func (c *converter) layer(l *kerasLayer) {
	c.ids[l.Name] = ""
	if !supported[l.ClassName] {
		c.unsupported(l, "no mapping for Keras %s", l.ClassName)
		return
	}
	var in []string
	for _, name := range l.inputs {
		id := c.ids[name]
		if id == "" {
			return // an earlier layer failed; it is reported already
		}
		in = append(in, id)
	}
	if c.err != nil {
		return
	}
	if df := l.cfg.str("data_format", "channels_last"); df != "channels_last" {
		c.unsupported(l, "data_format %s", df)
		return
	}
	if l.ClassName == "InputLayer" {
		c.ids[l.Name] = c.input(l)
		return
	}
	if len(in) == 0 {
		c.bad(l, "it has no input")
		return
	}
	if l.ClassName != "Add" && l.ClassName != "Concatenate" && len(in) != 1 {
		c.bad(l, "it has %d inputs, want 1", len(in))
		return
	}
	x := in[0]
	s := c.shapes[x]
	var id string
	switch l.ClassName {
	case "Conv2D", "DepthwiseConv2D", "SeparableConv2D":
		id = c.conv(l, x, s)
	case "Dense":
		id = c.dense(l, x, s)
	case "BatchNormalization":
		id = c.batchNorm(l, x, s)
	case "Activation":
		id = c.activation(l, x, l.cfg.str("activation", "linear"))
	case "ReLU":
		mx, slope, th := l.cfg.num("max_value", -1), l.cfg.num("negative_slope", 0), l.cfg.num("threshold", 0)
		switch {
		case th != 0:
			c.unsupported(l, "threshold %g", th)
		case !l.cfg.has("max_value") && slope == 0:
			id = c.node(l, l.Name, "relu", in, nil)
		case !l.cfg.has("max_value") && slope > 0 && slope <= 1:
			id = c.node(l, l.Name, "leakyrelu", in, map[string]float64{"slope": slope})
		case mx == 6 && slope == 0:
			id = c.node(l, l.Name, "relu6", in, nil)
		default:
			c.unsupported(l, "max_value %g with negative_slope %g", mx, slope)
		}
	case "LeakyReLU":
		if a := l.cfg.num("alpha", l.cfg.num("negative_slope", 0.3)); a >= 0 && a <= 1 {
			id = c.node(l, l.Name, "leakyrelu", in, map[string]float64{"slope": a})
		} else {
			c.unsupported(l, "alpha %g outside [0, 1]", a)
		}
	case "ELU":
		id = c.node(l, l.Name, "elu", in, map[string]float64{"alpha": l.cfg.num("alpha", 1)})
	case "PReLU":
		id = c.prelu(l, x, s)
	case "Softmax":
		id = c.activation(l, x, "softmax")
	case "ZeroPadding2D":
		id = c.zeroPad(l, x, s)
	case "MaxPooling2D", "AveragePooling2D":
		id = c.pool(l, x, s)
	case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		id = c.globalPool(l, x, s)
	case "Add":
		id = c.merge(l, in, "add")
	case "Concatenate":
		id = c.merge(l, in, "concat")
	case "Flatten":
		id = c.flatten(l, x, s)
	case "Dropout":
		if p := l.cfg.num("rate", 0); p > 0 && p <= 0.99 && len(s) == 1 {
			id = c.node(l, l.Name, "dropout", in, map[string]float64{"p": p})
		} else {
			id = x // the identity at inference
		}
	default: // noise and regularisers: the identity at inference
		id = x
	}
	if id != "" {
		if p := c.perm[x]; p != nil && c.perm[id] == nil && len(c.shapes[id]) == 1 && elementwise(l.ClassName) {
			c.perm[id] = p
		}
	}
	c.ids[l.Name] = id
}

// elementwise says whether a layer keeps the order of a vector's features.
func elementwise(class string) bool {
	switch class {
	case "Activation", "ReLU", "LeakyReLU", "ELU", "Dropout", "SpatialDropout2D", "GaussianNoise",
		"GaussianDropout", "AlphaDropout", "ActivityRegularization", "BatchNormalization", "Add":
		return true
	}
	return false
}

func (c *converter) input(l *kerasLayer) string {
	shape, ok := l.cfg.shape("batch_input_shape")
	if !ok {
		shape, ok = l.cfg.shape("batch_shape")
	}
	if !ok {
		c.bad(l, "it gives no batch_input_shape")
		return ""
	}
	dims := shape[1:]
	for _, d := range dims {
		if d < 0 {
			c.unsupported(l, "input size %v is not fixed; Workbench needs it", shape)
			return ""
		}
	}
	attrs := map[string]float64{}
	switch len(dims) {
	case 3:
		attrs["height"], attrs["width"], attrs["channels"] = float64(dims[0]), float64(dims[1]), float64(dims[2])
	case 1:
		attrs["channels"], attrs["height"], attrs["width"] = float64(dims[0]), 0, 0
	default:
		c.unsupported(l, "input of shape %v (Workbench takes images H,W,C or feature vectors)", shape)
		return ""
	}
	return c.node(l, l.Name, "input", nil, attrs)
}

// activation appends the named Keras activation after x.
func (c *converter) activation(l *kerasLayer, x, act string) string {
	simple := map[string]string{"relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh",
		"elu": "elu", "selu": "selu", "gelu": "gelu", "swish": "silu", "silu": "silu", "softplus": "softplus",
		"softmax": "softmax"}
	base := l.Name
	if l.ClassName != "Activation" && l.ClassName != "Softmax" {
		base += "_" + act
	}
	switch op, ok := simple[act]; {
	case act == "linear" || act == "":
		return x
	case op == "softmax" && len(c.shapes[x]) != 1:
		c.unsupported(l, "softmax over the channels of a map")
	case ok:
		if _, have := nn.Lookup(op); have {
			return c.node(l, base, op, []string{x}, nil)
		}
		c.unsupported(l, "activation %s", act)
	default:
		c.unsupported(l, "activation %s", act)
	}
	return ""
}

func (c *converter) dense(l *kerasLayer, x string, s []int) string {
	if len(s) != 1 {
		c.unsupported(l, "Dense on a %v map (Workbench's linear layer takes vectors: add Flatten)", s)
		return ""
	}
	units := int(l.cfg.num("units", 0))
	if units < 1 {
		c.bad(l, "units %d", units)
		return ""
	}
	in := s[0]
	useBias := l.cfg.boolean("use_bias", true)
	kw := c.weight(l, "kernel", in, units)
	id := c.node(l, l.Name, "linear", []string{x}, map[string]float64{"out": float64(units), "bias": map[bool]float64{true: 1}[useBias]})
	if kw == nil || id == "" {
		return ""
	}
	perm := c.perm[x]
	w := make([]float32, len(kw))
	for k := range in {
		dst := perm.at(k)
		for o := range units {
			w[o*in+dst] = kw[k*units+o]
		}
	}
	c.put(id, "weight", w, units, in)
	if useBias {
		if b := c.weight(l, "bias", units); b != nil {
			c.put(id, "bias", b, units)
		}
	}
	return c.activation(l, id, l.cfg.str("activation", "linear"))
}

// axisOf reads a Keras axis (an int or a one-element list).
func axisOf(raw json.RawMessage) (int, bool) {
	if raw == nil {
		return -1, true
	}
	var a float64
	if json.Unmarshal(raw, &a) == nil {
		return int(a), a == math.Trunc(a)
	}
	var l []float64
	if json.Unmarshal(raw, &l) == nil && len(l) == 1 && l[0] == math.Trunc(l[0]) {
		return int(l[0]), true
	}
	return 0, false
}

func (c *converter) batchNorm(l *kerasLayer, x string, s []int) string {
	axis, ok := axisOf(l.cfg.raw("axis"))
	rank := len(s) + 1
	if !ok || !(axis == -1 || axis == rank-1) {
		c.unsupported(l, "axis %s on a %v input (only the channel axis is supported)", string(l.cfg.raw("axis")), s)
		return ""
	}
	op := map[int]string{3: "batchnorm2d", 1: "batchnorm1d"}[len(s)]
	if op == "" {
		c.unsupported(l, "input of shape %v", s)
		return ""
	}
	n := s[0]
	eps, mom := l.cfg.num("epsilon", 1e-3), l.cfg.num("momentum", 0.99)
	if !(eps > 0 && eps <= 1) || mom < 0 || mom > 1 {
		c.bad(l, "epsilon %g or momentum %g out of range", eps, mom)
		return ""
	}
	gamma, beta := ones(n), make([]float32, n)
	if l.cfg.boolean("scale", true) {
		gamma = c.weight(l, "gamma", n)
	}
	if l.cfg.boolean("center", true) {
		beta = c.weight(l, "beta", n)
	}
	mean, variance := c.weight(l, "moving_mean", n), c.weight(l, "moving_variance", n)
	id := c.node(l, l.Name, op, []string{x}, map[string]float64{"eps": eps, "momentum": 1 - mom})
	if id == "" || gamma == nil || beta == nil || mean == nil || variance == nil {
		return ""
	}
	p := c.perm[x]
	for name, v := range map[string][]float32{"weight": gamma, "bias": beta, "running_mean": mean, "running_var": variance} {
		c.put(id, name, permute(v, p), n)
	}
	return id
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// order is the C,H,W shape of a map that Flatten turned into a vector; nil
// means the vector's order is the same in Keras and here.
type order []int

// at returns our index of Keras' (H,W,C-order) feature k.
func (o order) at(k int) int {
	if o == nil {
		return k
	}
	ch, h, w := o[0], o[1], o[2]
	cc, pos := k%ch, k/ch
	return cc*h*w + pos
}

// permute places v[k] at p.at(k). The caller has checked len(v) against
// weights that really exist, so nothing is allocated from a declared size.
func permute(v []float32, p order) []float32 {
	if p == nil {
		return v
	}
	out := make([]float32, len(v))
	for k := range v {
		out[p.at(k)] = v[k]
	}
	return out
}

func (c *converter) prelu(l *kerasLayer, x string, s []int) string {
	var shared []int
	if raw := l.cfg.raw("shared_axes"); raw != nil {
		if json.Unmarshal(raw, &shared) != nil {
			var one int
			if json.Unmarshal(raw, &one) != nil {
				c.bad(l, "shared_axes is malformed")
				return ""
			}
			shared = []int{one}
		}
	}
	n := s[0]
	var shape []int
	switch {
	case len(s) == 1 && len(shared) == 0:
		shape = []int{n}
	case len(s) == 3 && len(shared) == 2 && ((shared[0] == 1 && shared[1] == 2) || (shared[0] == 2 && shared[1] == 1)):
		shape = []int{1, 1, n}
	default:
		c.unsupported(l, "slopes per position (shared_axes %v on a %v input)", shared, s)
		return ""
	}
	a := c.weight(l, "alpha", shape...)
	id := c.node(l, l.Name, "prelu", []string{x}, nil)
	if a == nil || id == "" {
		return ""
	}
	c.put(id, "weight", permute(a, c.perm[x]), n)
	return id
}

func (c *converter) merge(l *kerasLayer, in []string, op string) string {
	if len(in) < 2 {
		c.bad(l, "it has %d input, want at least 2", len(in))
		return ""
	}
	first := c.shapes[in[0]]
	var p order
	for i, x := range in {
		if q := c.perm[x]; q != nil || p != nil {
			if op == "concat" || i > 0 && !samePerm(p, q) {
				c.unsupported(l, "merging flattened maps")
				return ""
			}
			p = q
		}
	}
	if op == "concat" {
		axis, ok := axisOf(l.cfg.raw("axis"))
		if !ok || !(axis == -1 || axis == len(first)) {
			c.unsupported(l, "axis %s (only the channel axis)", string(l.cfg.raw("axis")))
			return ""
		}
	}
	return c.node(l, l.Name, op, in, nil)
}

func samePerm(a, b order) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (c *converter) flatten(l *kerasLayer, x string, s []int) string {
	if len(s) == 1 {
		return x
	}
	id := c.node(l, l.Name, "flatten", []string{x}, nil)
	if id == "" || len(s) != 3 {
		return id
	}
	if s[0] > 1 && s[1]*s[2] > 1 {
		c.perm[id] = order(s)
	}
	return id
}
