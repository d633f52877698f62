package tfjs

import "encoding/json"

// Windowed layers: convolutions (plain, grouped, depthwise, separable),
// zero padding and pooling, with TensorFlow's padding rules.

// samePad returns TensorFlow's padding="same" amounts before and after
// for one axis: the output has ceil(n/s) positions and the odd pixel of
// padding goes after.
func samePad(n, k, s, d int) (int, int) {
	out := (n + s - 1) / s
	total := max((out-1)*s+(k-1)*d+1-n, 0)
	return total / 2, total - total/2
}

// win is a window's geometry: kernel and stride per axis, dilation, and
// the Keras padding mode.
type win struct {
	kh, kw, sh, sw, d int
	pad               string
}

// window reads a kernel, strides and dilation and the padding mode; ok is
// false when the layer was reported.
func (c *converter) window(l *kerasLayer, kKey, sKey string, def []int) (win, bool) {
	ks, ok1 := l.cfg.ints(kKey, 2, def)
	// Convolutions step 1 by default, pools by their window.
	sdef := []int{1, 1}
	if def != nil {
		sdef = ks
	}
	ss, ok2 := l.cfg.ints(sKey, 2, sdef)
	ds, ok3 := l.cfg.ints("dilation_rate", 2, []int{1, 1})
	if !ok1 || !ok2 || !ok3 || ks == nil || ss == nil {
		c.bad(l, "%s, %s or dilation_rate is malformed", kKey, sKey)
		return win{}, false
	}
	w := win{kh: ks[0], kw: ks[1], sh: ss[0], sw: ss[1], d: ds[0], pad: l.cfg.str("padding", "valid")}
	switch {
	case ds[0] != ds[1]:
		c.unsupported(l, "dilation_rate %v (Workbench dilates both axes alike)", ds)
	case w.kh < 1 || w.kw < 1 || w.sh < 1 || w.sw < 1 || w.d < 1 || w.kh > 1024 || w.kw > 1024 || w.sh > 1024 || w.sw > 1024 || w.d > 1024:
		c.bad(l, "kernel %v, strides %v, dilation %v must be in 1..1024", ks, ss, ds)
	case w.pad != "valid" && w.pad != "same":
		c.unsupported(l, "padding %q", w.pad)
	default:
		return w, true
	}
	return win{}, false
}

// pads returns TensorFlow's padding for the window on an h×w input:
// top, bottom, left, right (all 0 for "valid").
func (w win) pads(h, wd int) (t, b, l, r int) {
	if w.pad != "same" {
		return 0, 0, 0, 0
	}
	t, b = samePad(h, w.kh, w.sh, w.d)
	l, r = samePad(wd, w.kw, w.sw, w.d)
	return t, b, l, r
}

// geometry writes the window as conv2d/maxpool2d attributes (square
// attributes, the _h/_w ones where the axes differ).
func (w win) geometry(attrs map[string]float64, ph, pw int) map[string]float64 {
	set := func(name string, h, v int) {
		attrs[name] = float64(h)
		if h != v {
			attrs[name+"_h"], attrs[name+"_w"] = float64(h), float64(v)
		}
	}
	set("kernel", w.kh, w.kw)
	set("stride", w.sh, w.sw)
	set("pad", ph, pw)
	return attrs
}

// padFor returns the input of a convolution with TensorFlow's "same"
// padding applied and the symmetric pads the convolution itself should
// use: when the two sides of an axis differ an explicit pad2d node comes
// first.
func (c *converter) padFor(l *kerasLayer, x string, s []int, w win) (string, int, int) {
	t, b, lf, r := w.pads(s[1], s[2])
	if t == b && lf == r {
		return x, t, lf
	}
	attrs := map[string]float64{"top": float64(t), "bottom": float64(b), "left": float64(lf), "right": float64(r)}
	return c.node(l, l.Name+"_pad", "pad2d", []string{x}, attrs), 0, 0
}

func (c *converter) conv(l *kerasLayer, x string, s []int) string {
	if len(s) != 3 {
		c.unsupported(l, "input of shape %v (want a C×H×W map)", s)
		return ""
	}
	wn, ok := c.window(l, "kernel_size", "strides", nil)
	if !ok {
		return ""
	}
	kh, kw := wn.kh, wn.kw
	cin := s[0]
	useBias := l.cfg.boolean("use_bias", true)
	var filters, groups, mult int
	switch l.ClassName {
	case "Conv2D":
		filters, groups = int(l.cfg.num("filters", 0)), int(l.cfg.num("groups", 1))
		if filters < 1 || groups < 1 || cin%groups != 0 || filters%groups != 0 {
			c.bad(l, "filters %d and groups %d do not fit %d input channels", filters, groups, cin)
			return ""
		}
	default:
		mult = int(l.cfg.num("depth_multiplier", 1))
		if mult < 1 {
			c.bad(l, "depth_multiplier %d", mult)
			return ""
		}
	}
	x, ph, pw := c.padFor(l, x, s, wn)
	if x == "" {
		return ""
	}
	attrs := func(out, g int, bias bool) map[string]float64 {
		b := 0.0
		if bias {
			b = 1
		}
		return wn.geometry(map[string]float64{"out": float64(out), "dilation": float64(wn.d), "groups": float64(g), "bias": b}, ph, pw)
	}
	if l.ClassName == "Conv2D" {
		kern := c.weight(l, "kernel", kh, kw, cin/groups, filters)
		id := c.node(l, l.Name, "conv2d", []string{x}, attrs(filters, groups, useBias))
		if kern == nil || id == "" {
			return ""
		}
		c.put(id, "weight", hwioToOIHW(kern, kh, kw, cin/groups, filters), filters, cin/groups, kh, kw)
		if useBias {
			if b := c.weight(l, "bias", filters); b != nil {
				c.put(id, "bias", b, filters)
			}
		}
		return c.activation(l, id, l.cfg.str("activation", "linear"))
	}
	// Depthwise: Keras' [k, k, C, m] holds output channel c*m+j at [.., c, j],
	// which is our grouped layout [C*m, 1, k, k] read in the same order.
	dk := c.weight(l, "depthwise_kernel", kh, kw, cin, mult)
	dwBias := useBias && l.ClassName == "DepthwiseConv2D"
	name := l.Name
	if l.ClassName == "SeparableConv2D" {
		name += "_depthwise"
	}
	id := c.node(l, name, "conv2d", []string{x}, attrs(cin*mult, cin, dwBias))
	if dk == nil || id == "" {
		return ""
	}
	c.put(id, "weight", hwioToOIHW(dk, kh, kw, 1, cin*mult), cin*mult, 1, kh, kw)
	if dwBias {
		if b := c.weight(l, "bias", cin*mult); b != nil {
			c.put(id, "bias", b, cin*mult)
		}
	}
	if l.ClassName == "SeparableConv2D" {
		filters = int(l.cfg.num("filters", 0))
		if filters < 1 {
			c.bad(l, "filters %d", filters)
			return ""
		}
		pk := c.weight(l, "pointwise_kernel", 1, 1, cin*mult, filters)
		pw := c.node(l, l.Name, "conv2d", []string{id}, map[string]float64{"out": float64(filters), "kernel": 1, "bias": map[bool]float64{true: 1}[useBias]})
		if pk == nil || pw == "" {
			return ""
		}
		c.put(pw, "weight", hwioToOIHW(pk, 1, 1, cin*mult, filters), filters, cin*mult, 1, 1)
		if useBias {
			if b := c.weight(l, "bias", filters); b != nil {
				c.put(pw, "bias", b, filters)
			}
		}
		id = pw
	}
	return c.activation(l, id, l.cfg.str("activation", "linear"))
}

// hwioToOIHW turns Keras' [kh, kw, I, O] kernel into our [O, I, kh, kw].
// For a depthwise kernel [kh, kw, C, m] with I=1, O=C*m the flat order of
// the last two axes is already our output channel order.
func hwioToOIHW(w []float32, kh, kw, in, out int) []float32 {
	r := make([]float32, len(w))
	for y := range kh {
		for x := range kw {
			for i := range in {
				for o := range out {
					r[((o*in+i)*kh+y)*kw+x] = w[((y*kw+x)*in+i)*out+o]
				}
			}
		}
	}
	return r
}

func (c *converter) zeroPad(l *kerasLayer, x string, s []int) string {
	if len(s) != 3 {
		c.unsupported(l, "input of shape %v", s)
		return ""
	}
	var t, b, lf, r int
	raw := l.cfg.raw("padding")
	var one float64
	var pair []float64
	var pairs [][]float64
	switch {
	case raw == nil:
		t, b, lf, r = 1, 1, 1, 1
	case json.Unmarshal(raw, &one) == nil:
		t, b, lf, r = int(one), int(one), int(one), int(one)
	case json.Unmarshal(raw, &pair) == nil && len(pair) == 2:
		t, b, lf, r = int(pair[0]), int(pair[0]), int(pair[1]), int(pair[1])
	case json.Unmarshal(raw, &pairs) == nil && len(pairs) == 2 && len(pairs[0]) == 2 && len(pairs[1]) == 2:
		t, b, lf, r = int(pairs[0][0]), int(pairs[0][1]), int(pairs[1][0]), int(pairs[1][1])
	default:
		c.bad(l, "padding %s is malformed", clip(string(raw)))
		return ""
	}
	for _, v := range []int{t, b, lf, r} {
		if v < 0 || v > 8192 {
			c.bad(l, "padding %d out of range", v)
			return ""
		}
	}
	return c.node(l, l.Name, "pad2d", []string{x}, map[string]float64{"top": float64(t), "bottom": float64(b), "left": float64(lf), "right": float64(r)})
}

func (c *converter) pool(l *kerasLayer, x string, s []int) string {
	if len(s) != 3 {
		c.unsupported(l, "input of shape %v", s)
		return ""
	}
	wn, ok := c.window(l, "pool_size", "strides", []int{2, 2})
	if !ok {
		return ""
	}
	op, isMax := "avgpool2d", 0.0
	if l.ClassName == "MaxPooling2D" {
		op, isMax = "maxpool2d", 1
	}
	t, b, lf, r := wn.pads(s[1], s[2])
	if t+b+lf+r == 0 {
		return c.node(l, l.Name, op, []string{x}, wn.geometry(map[string]float64{}, 0, 0))
	}
	// TensorFlow's padding never wins a maximum and is not counted in an
	// average: pool2d with count_pad 0.
	return c.node(l, l.Name, "pool2d", []string{x}, map[string]float64{"max": isMax,
		"kh": float64(wn.kh), "kw": float64(wn.kw), "sh": float64(wn.sh), "sw": float64(wn.sw),
		"pt": float64(t), "pb": float64(b), "pl": float64(lf), "pr": float64(r), "count_pad": 0})
}

func (c *converter) globalPool(l *kerasLayer, x string, s []int) string {
	if len(s) != 3 || l.cfg.boolean("keepdims", false) {
		c.unsupported(l, "input of shape %v or keepdims", s)
		return ""
	}
	if l.ClassName == "GlobalAveragePooling2D" {
		return c.node(l, l.Name, "globalavgpool", []string{x}, nil)
	}
	if s[1] != s[2] {
		c.unsupported(l, "a %dx%d map (Workbench's pooling windows are square)", s[1], s[2])
		return ""
	}
	p := c.node(l, l.Name+"_pool", "maxpool2d", []string{x}, map[string]float64{"kernel": float64(s[1]), "stride": float64(s[1])})
	if p == "" {
		return ""
	}
	return c.node(l, l.Name, "flatten", []string{p}, nil)
}
