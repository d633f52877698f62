package models

// buildInceptionV3 is torchvision's Inception v3 (Szegedy et al. 2015)
// without its auxiliary classifier (a Workbench graph has one output; see
// the zoo entry): a stem of five BasicConv2d layers (convolution without
// bias, BatchNorm eps 0.001, ReLU) and two 3x3/2 max-pools, Inception
// modules A (x3, 35x35 at 299), B (grid reduction), C (x4, 17x17, with
// factorised 1x7 and 7x1 convolutions), D (reduction) and E (x2, 8x8, with
// 1x3 and 3x1 convolutions side by side), global average pooling, dropout
// 0.5 and the classifier. Small inputs: the stem convolutions have stride 1
// and padding 1 and the first max-pool is left out (32x32 reaches the A
// modules at 15x15). Unpadded reductions that would not fit a tiny map get
// just enough padding (the same on every branch, so they still agree).
func buildInceptionV3(b *builder, classes int) {
	small := b.small()
	conv := func(p, in string, out int, k, s, pad [2]int) string {
		x := b.convHW(p+".conv", in, out, k, s, pad, 1, false)
		x = b.bn(p+".bn", x, 0.001)
		return b.relu(p+".relu", x)
	}
	sq := func(v int) [2]int { return [2]int{v, v} }
	c1 := func(p, in string, out int) string { return conv(p, in, out, sq(1), sq(1), sq(0)) }
	c3 := func(p, in string, out int) string { return conv(p, in, out, sq(3), sq(1), sq(1)) }
	// reduce is a 3x3 stride-2 convolution without padding.
	reduce := func(p, in string, out, pad int) string { return conv(p, in, out, sq(3), sq(2), sq(pad)) }
	avg := func(p, in string) string {
		return b.add(p, "avgpool2d", map[string]float64{"kernel": 3, "stride": 1, "pad": 1}, in)
	}
	stemPad, stemStride := 0, 2
	if small {
		stemPad, stemStride = 1, 1
	}
	x := conv("Conv2d_1a_3x3", "input", 32, sq(3), sq(stemStride), sq(b.fitPad("input", 3, stemPad)))
	x = conv("Conv2d_2a_3x3", x, 32, sq(3), sq(1), sq(b.fitPad(x, 3, stemPad)))
	x = c3("Conv2d_2b_3x3", x, 64)
	if !small {
		x = b.pool("maxpool1", "maxpool2d", x, 3, 2, 0)
	}
	x = c1("Conv2d_3b_1x1", x, 80)
	x = conv("Conv2d_4a_3x3", x, 192, sq(3), sq(1), sq(b.fitPad(x, 3, stemPad)))
	x = b.pool("maxpool2", "maxpool2d", x, 3, 2, 0)

	module := func(p string, f func(p string) []string) {
		b.begin(p)
		x = b.add(p+".concat", "concat", nil, f(p)...)
		b.end()
	}
	inceptionA := func(p string, poolFeatures int) {
		module(p, func(p string) []string {
			b1 := c1(p+".branch1x1", x, 64)
			b5 := c1(p+".branch5x5_1", x, 48)
			b5 = conv(p+".branch5x5_2", b5, 64, sq(5), sq(1), sq(2))
			bd := c1(p+".branch3x3dbl_1", x, 64)
			bd = c3(p+".branch3x3dbl_2", bd, 96)
			bd = c3(p+".branch3x3dbl_3", bd, 96)
			bp := c1(p+".branch_pool", avg(p+".branch_pool.avgpool", x), poolFeatures)
			return []string{b1, b5, bd, bp}
		})
	}
	// maxReduce is the 3x3/2 max-pool branch of the reductions, with the
	// convolutions' padding so that the branches agree on tiny maps.
	maxReduce := func(p, in string, pad int) string {
		return b.add(p, "maxpool2d", map[string]float64{"kernel": 3, "stride": 2, "pad": float64(pad)}, in)
	}
	inceptionB := func(p string) {
		module(p, func(p string) []string {
			pad := b.fitPad(x, 3, 0)
			b3 := reduce(p+".branch3x3", x, 384, pad)
			bd := c1(p+".branch3x3dbl_1", x, 64)
			bd = c3(p+".branch3x3dbl_2", bd, 96)
			bd = reduce(p+".branch3x3dbl_3", bd, 96, pad)
			return []string{b3, bd, maxReduce(p+".branch_pool", x, pad)}
		})
	}
	h17, v17 := [2]int{1, 7}, [2]int{7, 1}
	pad17, pad71 := [2]int{0, 3}, [2]int{3, 0}
	inceptionC := func(p string, c7 int) {
		module(p, func(p string) []string {
			b1 := c1(p+".branch1x1", x, 192)
			b7 := c1(p+".branch7x7_1", x, c7)
			b7 = conv(p+".branch7x7_2", b7, c7, h17, sq(1), pad17)
			b7 = conv(p+".branch7x7_3", b7, 192, v17, sq(1), pad71)
			bd := c1(p+".branch7x7dbl_1", x, c7)
			bd = conv(p+".branch7x7dbl_2", bd, c7, v17, sq(1), pad71)
			bd = conv(p+".branch7x7dbl_3", bd, c7, h17, sq(1), pad17)
			bd = conv(p+".branch7x7dbl_4", bd, c7, v17, sq(1), pad71)
			bd = conv(p+".branch7x7dbl_5", bd, 192, h17, sq(1), pad17)
			bp := c1(p+".branch_pool", avg(p+".branch_pool.avgpool", x), 192)
			return []string{b1, b7, bd, bp}
		})
	}
	inceptionD := func(p string) {
		module(p, func(p string) []string {
			pad := b.fitPad(x, 3, 0)
			b3 := c1(p+".branch3x3_1", x, 192)
			b3 = reduce(p+".branch3x3_2", b3, 320, pad)
			b7 := c1(p+".branch7x7x3_1", x, 192)
			b7 = conv(p+".branch7x7x3_2", b7, 192, h17, sq(1), pad17)
			b7 = conv(p+".branch7x7x3_3", b7, 192, v17, sq(1), pad71)
			b7 = reduce(p+".branch7x7x3_4", b7, 192, pad)
			return []string{b3, b7, maxReduce(p+".branch_pool", x, pad)}
		})
	}
	h13, v13 := [2]int{1, 3}, [2]int{3, 1}
	pad13, pad31 := [2]int{0, 1}, [2]int{1, 0}
	inceptionE := func(p string) {
		module(p, func(p string) []string {
			b1 := c1(p+".branch1x1", x, 320)
			b3 := c1(p+".branch3x3_1", x, 384)
			b3 = b.add(p+".branch3x3", "concat", nil,
				conv(p+".branch3x3_2a", b3, 384, h13, sq(1), pad13),
				conv(p+".branch3x3_2b", b3, 384, v13, sq(1), pad31))
			bd := c1(p+".branch3x3dbl_1", x, 448)
			bd = c3(p+".branch3x3dbl_2", bd, 384)
			bd = b.add(p+".branch3x3dbl", "concat", nil,
				conv(p+".branch3x3dbl_3a", bd, 384, h13, sq(1), pad13),
				conv(p+".branch3x3dbl_3b", bd, 384, v13, sq(1), pad31))
			bp := c1(p+".branch_pool", avg(p+".branch_pool.avgpool", x), 192)
			return []string{b1, b3, bd, bp}
		})
	}
	inceptionA("Mixed_5b", 32)
	inceptionA("Mixed_5c", 64)
	inceptionA("Mixed_5d", 64)
	inceptionB("Mixed_6a")
	inceptionC("Mixed_6b", 128)
	inceptionC("Mixed_6c", 160)
	inceptionC("Mixed_6d", 160)
	inceptionC("Mixed_6e", 192)
	inceptionD("Mixed_7a")
	inceptionE("Mixed_7b")
	inceptionE("Mixed_7c")
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.dropout("dropout", x, 0.5)
	b.linear("fc", x, classes)
}
