package optim

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step updates every parameter that requires a gradient and has one;
	// parameters without a gradient (frozen, or unused by the loss) are
	// left alone, as in PyTorch.
	Step(params []*nn.Param) error
	// SetLR sets the learning rate used by the next steps (schedules).
	SetLR(lr float32)
	// LR is the current learning rate.
	LR() float32
	// State returns the optimizer's state as named tensors,
	// "<param>.<buffer>" ("fc1.weight.exp_avg", "fc1.weight.step"). Buffers
	// are shared with the optimizer; step counts are fresh one-element
	// tensors.
	State() map[string]*tensor.Tensor
	// LoadState replaces the state with a copy of s (as State returned
	// it). Shapes are checked against the parameters at the next Step.
	LoadState(s map[string]*tensor.Tensor) error
}

// Names lists the optimizers New knows, in the order a UI offers them.
var Names = []string{"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"}

// Config holds the hyper-parameters of an optimizer. A zero field takes the
// default given beside it (PyTorch's), so a zero Config is usable once LR is
// set.
type Config struct {
	// LR is the learning rate (default 0.01 for sgd, momentum, nesterov
	// and adagrad; 0.001 for adam and adamw; 0.01 for rmsprop).
	LR float32
	// Momentum is the momentum of "momentum" and "nesterov" (default
	// 0.9). For "sgd" and "rmsprop" it is used as given (default 0).
	Momentum float32
	// Beta1 and Beta2 are Adam's moment decay rates (0.9, 0.999).
	Beta1, Beta2 float32
	// Alpha is RMSProp's decay rate of the squared-gradient average (0.99).
	Alpha float32
	// Centered makes RMSProp normalise by the variance rather than the raw
	// second moment.
	Centered bool
	// Eps is added to denominators (1e-8; AdaGrad 1e-10).
	Eps float32
	// WeightDecay is L2 regularisation added to the gradient (coupled),
	// or for AdamW the decoupled decay w -= lr*wd*w.
	WeightDecay float32
	// DecayAll applies weight decay to every parameter. By default only
	// parameters with Decay set (weights, not biases or normalisation
	// scales) decay.
	DecayAll bool
	// ClipNorm, if positive, rescales the gradients before each step so
	// that their global L2 norm is at most ClipNorm.
	ClipNorm float32
	// ClipValue, if positive, clamps each gradient value to
	// [-ClipValue, ClipValue] before each step.
	ClipValue float32
}

// host holds state loaded from a checkpoint until a Step moves it to the
// parameters' backend.
var host = cpu.New()

type kind int

const (
	kSGD kind = iota
	kMomentum
	kNesterov
	kAdaGrad
	kRMSProp
	kAdam
	kAdamW
)

// New returns the optimizer called name (see Names) with the given
// configuration.
func New(name string, cfg Config) (Optimizer, error) {
	k, ok := map[string]kind{"sgd": kSGD, "momentum": kMomentum, "nesterov": kNesterov,
		"adagrad": kAdaGrad, "rmsprop": kRMSProp, "adam": kAdam, "adamw": kAdamW}[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown optimizer %q: use one of %s", name, strings.Join(Names, ", "))
	}
	bad := func(v float32) bool { return v < 0 || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }
	for _, f := range []struct {
		name string
		v    float32
	}{{"learning rate", cfg.LR}, {"momentum", cfg.Momentum}, {"beta1", cfg.Beta1}, {"beta2", cfg.Beta2},
		{"alpha", cfg.Alpha}, {"eps", cfg.Eps}, {"weight decay", cfg.WeightDecay},
		{"clip norm", cfg.ClipNorm}, {"clip value", cfg.ClipValue}} {
		if bad(f.v) {
			return nil, fmt.Errorf("optimizer %s: %s %g must be a finite number >= 0", name, f.name, f.v)
		}
	}
	if cfg.Momentum >= 1 || cfg.Beta1 >= 1 || cfg.Beta2 >= 1 || cfg.Alpha >= 1 {
		return nil, fmt.Errorf("optimizer %s: momentum, betas and alpha must be below 1", name)
	}
	o := &opt{kind: k, name: strings.ToLower(name), cfg: cfg}
	def := func(p *float32, v float32) {
		if *p == 0 {
			*p = v
		}
	}
	switch k {
	case kAdam, kAdamW:
		def(&o.cfg.LR, 1e-3)
		def(&o.cfg.Beta1, 0.9)
		def(&o.cfg.Beta2, 0.999)
		def(&o.cfg.Eps, 1e-8)
	case kAdaGrad:
		def(&o.cfg.LR, 1e-2)
		def(&o.cfg.Eps, 1e-10)
	case kRMSProp:
		def(&o.cfg.LR, 1e-2)
		def(&o.cfg.Alpha, 0.99)
		def(&o.cfg.Eps, 1e-8)
	case kMomentum, kNesterov:
		def(&o.cfg.LR, 1e-2)
		def(&o.cfg.Momentum, 0.9)
	default:
		def(&o.cfg.LR, 1e-2)
	}
	o.lr = o.cfg.LR
	o.reset()
	return o, nil
}

// Name reports the optimizer's name as New took it ("adam").
func Name(o Optimizer) string {
	if x, ok := o.(*opt); ok {
		return x.name
	}
	return fmt.Sprintf("%T", o)
}

// slot is the state of one parameter.
type slot struct {
	shape []int
	bufs  map[string]*tensor.Tensor
	step  int
	// scratch buffers, not part of the state
	tmp []backend.Buffer
}

type opt struct {
	kind kind
	name string
	cfg  Config
	lr   float32

	slots map[string]*slot
	// pending holds loaded state not yet matched with a parameter.
	pending map[string]*slot
}

func (o *opt) reset() {
	o.slots = map[string]*slot{}
	o.pending = map[string]*slot{}
}

func (o *opt) SetLR(lr float32) { o.lr = lr }
func (o *opt) LR() float32      { return o.lr }

// buffers names the state buffers of each kind (PyTorch's state keys).
func (o *opt) buffers() []string {
	switch o.kind {
	case kMomentum, kNesterov:
		return []string{"momentum_buffer"}
	case kSGD:
		if o.cfg.Momentum != 0 {
			return []string{"momentum_buffer"}
		}
	case kAdaGrad:
		return []string{"sum"}
	case kRMSProp:
		b := []string{"square_avg"}
		if o.cfg.Momentum != 0 {
			b = append(b, "momentum_buffer")
		}
		if o.cfg.Centered {
			b = append(b, "grad_avg")
		}
		return b
	case kAdam, kAdamW:
		return []string{"exp_avg", "exp_avg_sq"}
	}
	return nil
}

func (o *opt) State() map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	add := func(name string, s *slot) {
		for k, t := range s.bufs {
			out[name+"."+k] = t
		}
		if len(o.buffers()) > 0 || s.step > 0 {
			out[name+".step"] = scalar(s.step)
		}
	}
	for name, s := range o.pending {
		add(name, s)
	}
	for name, s := range o.slots {
		add(name, s)
	}
	return out
}

func scalar(v int) *tensor.Tensor {
	return tensor.FromData(host, []float32{float32(v)}, 1)
}

func (o *opt) LoadState(src map[string]*tensor.Tensor) error {
	known := map[string]bool{"step": true}
	for _, b := range o.buffers() {
		known[b] = true
	}
	pending := map[string]*slot{}
	names := make([]string, 0, len(src))
	for k := range src {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, key := range names {
		t := src[key]
		dot := strings.LastIndexByte(key, '.')
		if dot <= 0 || !known[key[dot+1:]] {
			return fmt.Errorf("optimizer state %q does not belong to a %s optimizer with these settings; start the optimizer afresh or use the optimizer the run was saved with", key, o.name)
		}
		p, buf := key[:dot], key[dot+1:]
		s := pending[p]
		if s == nil {
			s = &slot{bufs: map[string]*tensor.Tensor{}}
			pending[p] = s
		}
		if t == nil {
			return fmt.Errorf("optimizer state %q is empty", key)
		}
		if buf == "step" {
			if t.Len() != 1 {
				return fmt.Errorf("optimizer state %q has %d values, want 1", key, t.Len())
			}
			v := t.Item()
			if v < 0 || v != float32(math.Trunc(float64(v))) {
				return fmt.Errorf("optimizer state %q = %g is not a step count", key, v)
			}
			s.step = int(v)
			continue
		}
		s.bufs[buf] = tensor.FromData(host, t.Data(), t.Shape...)
		s.shape = s.bufs[buf].Shape
	}
	o.reset()
	o.pending = pending
	return nil
}

// slotFor finds or creates the state of p on p's backend.
func (o *opt) slotFor(p *nn.Param) (*slot, error) {
	if s, ok := o.slots[p.Name]; ok {
		if !tensor.SameShape(s.shape, p.V.Value.Shape) {
			return nil, fmt.Errorf("optimizer state of %s has shape %v, the parameter %v", p.Name, s.shape, p.V.Value.Shape)
		}
		return s, nil
	}
	b := p.V.Value.B
	shape := p.V.Value.Shape
	s := &slot{shape: append([]int(nil), shape...), bufs: map[string]*tensor.Tensor{}}
	loaded := o.pending[p.Name]
	delete(o.pending, p.Name)
	for _, name := range o.buffers() {
		if loaded != nil {
			if t, ok := loaded.bufs[name]; ok {
				if !tensor.SameShape(t.Shape, shape) {
					return nil, fmt.Errorf("saved optimizer state %s.%s has shape %v, but the parameter has %v: the state belongs to another architecture", p.Name, name, t.Shape, shape)
				}
				s.bufs[name] = tensor.FromData(b, t.Data(), shape...)
				continue
			}
		}
		s.bufs[name] = tensor.New(b, shape...)
	}
	if loaded != nil {
		s.step = loaded.step
	}
	o.slots[p.Name] = s
	return s, nil
}

func (s *slot) scratch(b backend.Backend, k int) []backend.Buffer {
	n := tensor.Numel(s.shape)
	for len(s.tmp) < k {
		s.tmp = append(s.tmp, b.Alloc(n))
	}
	return s.tmp
}

func (o *opt) Step(params []*nn.Param) error {
	if o.cfg.ClipNorm > 0 {
		ClipGradNorm(params, o.cfg.ClipNorm)
	}
	if o.cfg.ClipValue > 0 {
		ClipGradValue(params, o.cfg.ClipValue)
	}
	for _, p := range params {
		if p == nil || p.V == nil || p.V.Grad == nil || !p.V.RequiresGrad() {
			continue
		}
		if p.Name == "" {
			return fmt.Errorf("optimizer: a parameter has no name; names key the optimizer state")
		}
		w, g := p.V.Value, p.V.Grad
		if g.Len() != w.Len() {
			return fmt.Errorf("optimizer: gradient of %s has %d values, the parameter %d", p.Name, g.Len(), w.Len())
		}
		s, err := o.slotFor(p)
		if err != nil {
			return err
		}
		wd := o.cfg.WeightDecay
		if !p.Decay && !o.cfg.DecayAll {
			wd = 0
		}
		o.update(s, w, g, wd)
	}
	return nil
}

func flat(n int) backend.Strided {
	return backend.Strided{Shape: []int{n}, StrideA: []int{1}, StrideB: []int{1}}
}

func (o *opt) update(s *slot, w, g *tensor.Tensor, wd float32) {
	b := w.B
	n := w.Len()
	lr := o.lr
	s.step++
	switch o.kind {
	case kSGD, kMomentum, kNesterov:
		var v backend.Buffer
		if m := s.bufs["momentum_buffer"]; m != nil {
			v = m.Buf
		}
		b.SGDStep(w.Buf, g.Buf, v, lr, o.cfg.Momentum, wd, o.kind == kNesterov)
	case kAdam, kAdamW:
		b.AdamStep(w.Buf, g.Buf, s.bufs["exp_avg"].Buf, s.bufs["exp_avg_sq"].Buf, backend.AdamParams{
			LR: lr, Beta1: o.cfg.Beta1, Beta2: o.cfg.Beta2, Eps: o.cfg.Eps,
			WeightDecay: wd, Decoupled: o.kind == kAdamW, Step: s.step})
	case kAdaGrad:
		// torch: g += wd*w; sum += g*g; w -= lr * g / (sqrt(sum) + eps)
		t := s.scratch(b, 3)
		gd := decayed(b, t[0], g.Buf, w.Buf, wd, n)
		sum := s.bufs["sum"].Buf
		b.Binary(backend.Mul, t[1], gd, gd, flat(n))
		b.Axpy(sum, 1, t[1])
		b.Unary(backend.Sqrt, t[1], sum, 0, 0)
		b.Unary(backend.AddScalar, t[2], t[1], o.cfg.Eps, 0)
		b.Binary(backend.Div, t[1], gd, t[2], flat(n))
		b.Axpy(w.Buf, -lr, t[1])
	case kRMSProp:
		// torch: sq = alpha*sq + (1-alpha)*g*g; avg = sqrt(sq [- ga²]) + eps;
		// with momentum: buf = m*buf + g/avg; w -= lr*buf; else w -= lr*g/avg.
		t := s.scratch(b, 3)
		gd := decayed(b, t[0], g.Buf, w.Buf, wd, n)
		a := o.cfg.Alpha
		sq := s.bufs["square_avg"].Buf
		b.Unary(backend.MulScalar, t[1], sq, a, 0)
		b.Copy(sq, 0, t[1], 0, n)
		b.Binary(backend.Mul, t[1], gd, gd, flat(n))
		b.Axpy(sq, 1-a, t[1])
		if o.cfg.Centered {
			ga := s.bufs["grad_avg"].Buf
			b.Unary(backend.MulScalar, t[1], ga, a, 0)
			b.Copy(ga, 0, t[1], 0, n)
			b.Axpy(ga, 1-a, gd)
			b.Binary(backend.Mul, t[1], ga, ga, flat(n))
			b.Binary(backend.Sub, t[2], sq, t[1], flat(n))
			b.Unary(backend.Sqrt, t[1], t[2], 0, 0)
		} else {
			b.Unary(backend.Sqrt, t[1], sq, 0, 0)
		}
		b.Unary(backend.AddScalar, t[2], t[1], o.cfg.Eps, 0)
		b.Binary(backend.Div, t[1], gd, t[2], flat(n))
		if m := s.bufs["momentum_buffer"]; m != nil {
			b.Unary(backend.MulScalar, t[2], m.Buf, o.cfg.Momentum, 0)
			b.Copy(m.Buf, 0, t[2], 0, n)
			b.Axpy(m.Buf, 1, t[1])
			b.Axpy(w.Buf, -lr, m.Buf)
		} else {
			b.Axpy(w.Buf, -lr, t[1])
		}
	}
}

// decayed returns g + wd*w, written to tmp when wd is not zero.
func decayed(b backend.Backend, tmp, g, w backend.Buffer, wd float32, n int) backend.Buffer {
	if wd == 0 {
		return g
	}
	b.Copy(tmp, 0, g, 0, n)
	b.Axpy(tmp, wd, w)
	return tmp
}
