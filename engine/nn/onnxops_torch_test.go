package nn

// PyTorch parity of pool2d (ONNX pooling geometry), softplus and clip.
// Asymmetric pads have no PyTorch pooling argument, so their reference pads
// explicitly (-inf for max, zeros for an average that counts padding).

import "math/rand/v2"

func init() {
	moreLayerCases = append(moreLayerCases, func() []layerCase {
		img := []int{3, 7, 9}
		pool := func(name, torch string, attrs ...any) layerCase {
			return one(name, "pool2d", img, "out = "+torch, attrs...)
		}
		return []layerCase{
			pool("pool2d/max-rect-ceil", "F.max_pool2d(x, (3, 2), (2, 1), (1, 1), ceil_mode=True)",
				"max", 1, "kh", 3, "kw", 2, "sh", 2, "sw", 1, "pt", 1, "pb", 1, "pl", 1, "pr", 1, "ceil", 1),
			pool("pool2d/max-asym", "F.max_pool2d(F.pad(x, (0, 1, 1, 0), value=-math.inf), 2, 2)",
				"max", 1, "kh", 2, "kw", 2, "sh", 2, "sw", 2, "pt", 1, "pr", 1),
			pool("pool2d/avg-ceil-countpad", "F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True)",
				"max", 0, "kh", 3, "kw", 3, "sh", 2, "sw", 2, "pt", 1, "pb", 1, "pl", 1, "pr", 1, "ceil", 1, "count_pad", 1),
			pool("pool2d/avg-ceil-nocount", "F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)",
				"max", 0, "kh", 3, "kw", 3, "sh", 2, "sw", 2, "pt", 1, "pb", 1, "pl", 1, "pr", 1, "ceil", 1),
			pool("pool2d/avg-asym-countpad", "F.avg_pool2d(F.pad(x, (0, 1, 1, 0)), 2, 2)",
				"max", 0, "kh", 2, "kw", 2, "sh", 2, "sw", 2, "pt", 1, "pr", 1, "count_pad", 1),
			one("softplus", "softplus", []int{3, 4, 5}, "out = F.softplus(x)").gen_(func(rng *rand.Rand, v []float32) {
				for i := range v {
					v[i] = float32(rng.NormFloat64() * 12) // both tails, past PyTorch's threshold of 20
				}
			}),
			one("clip", "clip", []int{3, 4, 5}, "out = torch.clamp(x, -0.5, 1.2)", "min", -0.5, "max", 1.2),
		}
	}()...)
}
