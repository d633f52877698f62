package autograd

// HardSigmoid is PyTorch's hard sigmoid, relu6(x+3)/6: 0 below -3, 1 above
// 3 and x/6 + 1/2 between (MobileNet v3's gate). It is composed of
// MulScalar, AddScalar and Clamp, so every backend runs it.
func HardSigmoid(x *Var) *Var { return Clamp(AddScalar(Scale(x, 1.0/6), 0.5), 0, 1) }

// HardSwish is x·HardSigmoid(x) (MobileNet v3's activation).
func HardSwish(x *Var) *Var { return Mul(x, HardSigmoid(x)) }

// SiLU is x·sigmoid(x), the swish of EfficientNet.
func SiLU(x *Var) *Var { return Mul(x, Sigmoid(x)) }
