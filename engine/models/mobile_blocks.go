package models

// Building blocks shared by the mobile networks of the zoo (MobileNet v3,
// EfficientNet, MNASNet, ShuffleNet v2) and Inception v3.

// convHW adds a convolution with its own kernel, stride and padding per axis
// (height, width): the factorised 1x7 and 7x1 convolutions of Inception v3.
// Square windows use the square attributes only.
func (b *builder) convHW(id, in string, out int, k, s, p [2]int, groups int, bias bool) string {
	a := map[string]float64{"out": float64(out), "kernel": float64(k[0]), "stride": float64(s[0]),
		"pad": float64(p[0]), "dilation": 1, "groups": float64(groups), "bias": bit(bias)}
	if k[1] != k[0] {
		a["kernel_w"] = float64(k[1])
	}
	if s[1] != s[0] {
		a["stride_w"] = float64(s[1])
	}
	if p[1] != p[0] {
		if p[1] == 0 {
			// 0 would mean "as pad": state the height's on its own.
			a["pad"], a["pad_h"] = 0, float64(p[0])
		} else {
			a["pad_w"] = float64(p[1])
		}
	}
	return b.add(id, "conv2d", a, in)
}

// fitPad is padding p raised, when the map in is smaller than a k-wide
// window, just enough for one output: unpadded convolutions and pools of
// the ImageNet models then still apply to tiny inputs. At the sizes the
// models were designed for it is p.
func (b *builder) fitPad(in string, k, p int) int {
	h, w := b.hw(in)
	if m := min(h, w); m > 0 && m+2*p < k {
		return (k - m + 1) / 2
	}
	return p
}

// convNormAct is torchvision's Conv2dNormActivation: a convolution without
// bias ("<p>.0"), BatchNorm ("<p>.1") and, unless act is "", an activation
// ("<p>.2"), with padding (k-1)/2.
func (b *builder) convNormAct(p, in string, out, k, s, groups int, eps, momentum float64, act string) string {
	x := b.conv(p+".0", in, out, k, s, (k-1)/2, groups, false)
	x = b.add(p+".1", "batchnorm2d", map[string]float64{"eps": eps, "momentum": momentum, "affine": 1}, x)
	if act != "" {
		x = b.act(p+".2", act, x)
	}
	return x
}

// squeezeExcite is torchvision.ops.SqueezeExcitation: average pool to 1x1
// ("<p>.avgpool"), a 1x1 convolution to squeeze channels ("<p>.fc1"), act
// ("<p>.activation"), a 1x1 convolution back ("<p>.fc2"), the gate
// ("<p>.scale_activation": sigmoid or hardsigmoid) and the channel scaling.
// Its parameters are torchvision's 1x1 convolutions, not linear layers.
func (b *builder) squeezeExcite(p, x string, squeeze int, act, gate string) string {
	c := b.channels(x)
	s := b.add(p+".avgpool", "adaptiveavgpool2d", map[string]float64{"size": 1}, x)
	s = b.conv(p+".fc1", s, squeeze, 1, 1, 0, 1, true)
	s = b.act(p+".activation", act, s)
	s = b.conv(p+".fc2", s, c, 1, 1, 0, 1, true)
	s = b.act(p+".scale_activation", gate, s)
	return b.add(p+".scale", "scale", nil, x, s)
}

// makeDivisible is torchvision's _make_divisible: v rounded to the nearest
// multiple of divisor, never below 90% of v.
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}
