package models

import "fmt"

// buildShuffleNetV2 is torchvision's ShuffleNet v2 x1.0 (Ma et al. 2018):
// conv 3x3/2 24, BatchNorm, ReLU, max-pool 3x3/2, three stages of 4, 8 and
// 4 units (116, 232 and 464 channels), conv 1x1 1024, BatchNorm, ReLU,
// global average pooling and the classifier. A unit with stride 1 splits
// its channels in two halves, transforms the second (1x1, depthwise 3x3,
// 1x1) and concatenates it with the first; a stride-2 unit transforms the
// whole input in two branches. Either ends with a channel shuffle of two
// groups. Small inputs: the stem convolution has stride 1 and no max-pool.
func buildShuffleNetV2(b *builder, classes int) {
	stem := 2
	if b.small() {
		stem = 1
	}
	bn := func(id, x string) string { return b.bn(id, x, 1e-5) }
	x := b.conv("conv1.0", "input", 24, 3, stem, 1, 1, false)
	x = bn("conv1.1", x)
	x = b.relu("conv1.2", x)
	if stem == 2 {
		x = b.pool("maxpool", "maxpool2d", x, 3, 2, 1)
	}
	in := 24
	for si, st := range []struct{ repeats, out int }{{4, 116}, {8, 232}, {4, 464}} {
		for i := range st.repeats {
			p := fmt.Sprintf("stage%d.%d", si+2, i)
			b.begin(p)
			half := st.out / 2
			var left, right string
			if i == 0 {
				l := p + ".branch1"
				left = b.conv(l+".0", x, in, 3, 2, 1, in, false)
				left = bn(l+".1", left)
				left = b.conv(l+".2", left, half, 1, 1, 0, 1, false)
				left = bn(l+".3", left)
				left = b.relu(l+".4", left)
				right = x
			} else {
				c := b.channels(x)
				left = b.add(p+".split.0", "channelslice", map[string]float64{"from": 0, "to": float64(c / 2)}, x)
				right = b.add(p+".split.1", "channelslice", map[string]float64{"from": float64(c / 2), "to": float64(c)}, x)
			}
			r := p + ".branch2"
			s := 1
			if i == 0 {
				s = 2
			}
			right = b.conv(r+".0", right, half, 1, 1, 0, 1, false)
			right = bn(r+".1", right)
			right = b.relu(r+".2", right)
			right = b.conv(r+".3", right, half, 3, s, 1, half, false)
			right = bn(r+".4", right)
			right = b.conv(r+".5", right, half, 1, 1, 0, 1, false)
			right = bn(r+".6", right)
			right = b.relu(r+".7", right)
			x = b.add(p+".concat", "concat", nil, left, right)
			x = b.add(p+".shuffle", "channelshuffle", map[string]float64{"groups": 2}, x)
			b.end()
			in = st.out
		}
	}
	x = b.conv("conv5.0", x, 1024, 1, 1, 0, 1, false)
	x = bn("conv5.1", x)
	x = b.relu("conv5.2", x)
	x = b.add("avgpool", "globalavgpool", nil, x)
	b.linear("fc", x, classes)
}
