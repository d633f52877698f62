package backend

import (
	"fmt"
	"os"
	"sort"
	"sync"
)

// Buffer is device storage for float32 values. Its contents are reached only
// through a Backend.
type Buffer interface {
	Len() int
}

// UnaryOp names an elementwise function y = f(x).
type UnaryOp int

// Unary operations. Alpha is read by LeakyReLU (negative slope), ELU (alpha),
// Pow (exponent), AddScalar, MulScalar and Clamp (lower bound; Beta upper).
const (
	Neg UnaryOp = iota
	Exp
	Log
	Sqrt
	Abs
	Square
	Recip
	ReLU
	LeakyReLU
	ELU
	SELU
	GELU
	Sigmoid
	Tanh
	Sign
	Pow
	AddScalar
	MulScalar
	Clamp
	numUnary
)

var unaryNames = [...]string{"neg", "exp", "log", "sqrt", "abs", "square", "recip", "relu",
	"leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "sign", "pow", "add_scalar",
	"mul_scalar", "clamp"}

func (o UnaryOp) String() string {
	if o >= 0 && o < numUnary {
		return unaryNames[o]
	}
	return fmt.Sprintf("unary(%d)", int(o))
}

// BinaryOp names an elementwise function z = f(a, b).
type BinaryOp int

// Binary operations.
const (
	Add BinaryOp = iota
	Sub
	Mul
	Div
	Max
	Min
	// GreaterMask is 1 where a > b, else 0.
	GreaterMask
	numBinary
)

var binaryNames = [...]string{"add", "sub", "mul", "div", "max", "min", "greater_mask"}

func (o BinaryOp) String() string {
	if o >= 0 && o < numBinary {
		return binaryNames[o]
	}
	return fmt.Sprintf("binary(%d)", int(o))
}

// ReduceOp names a reduction along one axis.
type ReduceOp int

// Reductions.
const (
	Sum ReduceOp = iota
	Mean
	MaxReduce
)

// MaxDims is the largest rank that the strided kernels (Binary, Permute,
// SumTo) accept.
const MaxDims = 6

// Strided describes how a broadcast operand is read: for each output
// dimension, the stride into the operand (0 where the operand is broadcast).
type Strided struct {
	Shape   []int // output shape, len <= MaxDims
	StrideA []int
	StrideB []int
}

// ConvGeom is the geometry of a 2-D convolution over a batch in NCHW layout.
type ConvGeom struct {
	N, C, H, W int // input
	KH, KW     int
	SH, SW     int // stride
	PH, PW     int // padding
	DH, DW     int // dilation
	OH, OW     int // output spatial size
}

// Out computes OH and OW from the other fields and returns the geometry.
func (g ConvGeom) Out() ConvGeom {
	g.OH = (g.H+2*g.PH-g.DH*(g.KH-1)-1)/g.SH + 1
	g.OW = (g.W+2*g.PW-g.DW*(g.KW-1)-1)/g.SW + 1
	return g
}

// ColRows is the number of rows of the im2col matrix: C*KH*KW.
func (g ConvGeom) ColRows() int { return g.C * g.KH * g.KW }

// ColCols is the number of columns of the im2col matrix: N*OH*OW.
func (g ConvGeom) ColCols() int { return g.N * g.OH * g.OW }

// PoolGeom is the geometry of a 2-D pooling over a batch in NCHW layout. For
// average pooling, padded cells are counted in the divisor (PyTorch's
// count_include_pad=True).
type PoolGeom struct {
	N, C, H, W int
	KH, KW     int
	SH, SW     int
	PH, PW     int
	OH, OW     int
}

// Out computes OH and OW (floor mode) and returns the geometry.
func (g PoolGeom) Out() PoolGeom {
	g.OH = (g.H+2*g.PH-g.KH)/g.SH + 1
	g.OW = (g.W+2*g.PW-g.KW)/g.SW + 1
	return g
}

// AdamParams are the hyper-parameters of one fused Adam/AdamW step.
type AdamParams struct {
	LR, Beta1, Beta2, Eps float32
	// WeightDecay is L2 added to the gradient (Adam) or, when Decoupled, a
	// decay of the weights (AdamW).
	WeightDecay float32
	Decoupled   bool
	// Step is the 1-based step count, for bias correction.
	Step int
}

// Backend is the kernel interface. All buffers passed to one call belong to
// the same backend. Unless stated, output buffers are overwritten. The
// elementwise kernels (Unary, Binary with a contiguous operand of the output's
// shape, Axpy, ChannelAffine) may work in place (dst the same buffer as an
// input); other outputs must not alias inputs.
type Backend interface {
	// Name is the short name used by --device ("cpu", "gl").
	Name() string
	// Describe is a human description: "CPU (OpenBLAS, 2 threads)", or the
	// GL renderer's name.
	Describe() string

	// Alloc returns a zeroed buffer of n values.
	Alloc(n int) Buffer
	// Free releases a buffer early; using it afterwards is an error. Buffers
	// that are not freed are reclaimed by the garbage collector.
	Free(b Buffer)
	// Write copies src into b starting at element off.
	Write(b Buffer, off int, src []float32)
	// Read copies len(dst) values of b starting at element off into dst.
	Read(b Buffer, off int, dst []float32)
	// Copy copies n values from src[srcOff:] to dst[dstOff:]. dst and src
	// may be the same buffer when the ranges do not overlap.
	Copy(dst Buffer, dstOff int, src Buffer, srcOff, n int)
	// Fill sets every value of b to v.
	Fill(b Buffer, v float32)

	// Unary computes dst = f(x), elementwise.
	Unary(op UnaryOp, dst, x Buffer, alpha, beta float32)
	// UnaryGrad computes dx = dy * f'(x) given x, y = f(x) and dy.
	UnaryGrad(op UnaryOp, dx, x, y, dy Buffer, alpha, beta float32)
	// Binary computes dst = f(a, b) with broadcasting described by s; dst
	// has shape s.Shape and is contiguous.
	Binary(op BinaryOp, dst, a, b Buffer, s Strided)
	// Axpy computes dst += alpha * x.
	Axpy(dst Buffer, alpha float32, x Buffer)
	// SumTo sums x (shape s.Shape, contiguous) into dst, whose layout is
	// given by s.StrideA (0 on the summed dimensions): the gradient of a
	// broadcast. dst is overwritten.
	SumTo(dst, x Buffer, s Strided)
	// Reduce reduces x, viewed as [outer, n, inner], along the middle axis
	// into dst [outer, inner].
	Reduce(op ReduceOp, dst, x Buffer, outer, n, inner int)
	// Permute writes x (contiguous, shape) to dst with its axes reordered:
	// dst axis i is x axis perm[i].
	Permute(dst, x Buffer, shape, perm []int)

	// Gemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices at
	// the given offsets and leading dimensions; op(A) is m×k, op(B) k×n.
	Gemm(transA, transB bool, m, n, k int, alpha float32,
		a Buffer, offA, lda int, b Buffer, offB, ldb int,
		beta float32, c Buffer, offC, ldc int)

	// Im2Col writes the [C*KH*KW, N*OH*OW] column matrix of x (NCHW).
	Im2Col(col, x Buffer, g ConvGeom)
	// Col2Im accumulates the column matrix back into dx (NCHW), which is
	// overwritten first.
	Col2Im(dx, col Buffer, g ConvGeom)

	// MaxPool writes the pooled output and, in idx, the flat input index of
	// each maximum (as float32, exact below 2^24 elements per image plane
	// batch).
	MaxPool(dst, idx, x Buffer, g PoolGeom)
	// MaxPoolGrad scatters dy into dx (overwritten) through idx.
	MaxPoolGrad(dx, dy, idx Buffer, g PoolGeom)
	// AvgPool and AvgPoolGrad: average pooling with padding counted.
	AvgPool(dst, x Buffer, g PoolGeom)
	AvgPoolGrad(dx, dy Buffer, g PoolGeom)

	// Softmax writes the row-wise softmax (or log-softmax) of x [rows, cols].
	Softmax(dst, x Buffer, rows, cols int, log bool)
	// SoftmaxGrad computes dx from y = softmax(x) (or log-softmax) and dy.
	SoftmaxGrad(dx, y, dy Buffer, rows, cols int, log bool)
	// SoftmaxXent computes, for logits [rows, cols] and target distributions
	// [rows, cols], per-row losses -sum(t*log softmax(x)) into loss[rows] and
	// the gradient (softmax(x)-t)*scale into grad.
	SoftmaxXent(loss, grad, logits, target Buffer, rows, cols int, scale float32)

	// ChannelStats computes per-channel mean and biased variance of x viewed
	// as [outer, C, inner] (batch norm over N and H×W).
	ChannelStats(mean, variance, x Buffer, outer, c, inner int)
	// ChannelAffine computes dst = x*scale[c] + shift[c] for x viewed as
	// [outer, C, inner].
	ChannelAffine(dst, x, scale, shift Buffer, outer, c, inner int)

	// Dropout writes a mask of 1/(1-p) (kept) or 0 (dropped) drawn from a
	// counter-based hash of (seed, index): every backend draws the same mask.
	DropoutMask(mask Buffer, p float32, seed uint64)

	// SGDStep: v = momentum*v + g (+ wd*w); w -= lr*(nesterov ? g+momentum*v : v).
	// With momentum 0, v may be nil.
	SGDStep(w, g, v Buffer, lr, momentum, weightDecay float32, nesterov bool)
	// AdamStep is one fused Adam/AdamW update of w with moments m and v.
	AdamStep(w, g, m, v Buffer, p AdamParams)
}

// UninitAllocator is implemented by backends that can hand out a buffer
// without clearing it. AllocUninit uses it.
type UninitAllocator interface {
	// AllocUninit returns a buffer of n values whose contents are
	// unspecified (possibly an earlier tensor's values).
	AllocUninit(n int) Buffer
}

// AllocUninit returns a buffer of n values for an output that a kernel
// will overwrite completely (every kernel output except those that
// accumulate): from the backend's AllocUninit when it has one, else from
// Alloc. Clearing memory that is about to be overwritten is a large part
// of a CPU training step.
func AllocUninit(b Backend, n int) Buffer {
	if u, ok := b.(UninitAllocator); ok {
		return u.AllocUninit(n)
	}
	return b.Alloc(n)
}

// MaxPoolReLUer is implemented by backends with max-pooling and ReLU in one
// kernel. Autograd's MaxPool2dReLU uses it when present and MaxPool, Unary
// and UnaryGrad otherwise.
type MaxPoolReLUer interface {
	// MaxPoolReLU is MaxPool with max(0, ·) applied to the pooled values
	// (NaN kept); idx is MaxPool's.
	MaxPoolReLU(dst, idx, x Buffer, g PoolGeom)
	// MaxPoolReLUGrad is MaxPoolGrad counting dy only where y, the output
	// of MaxPoolReLU, is positive.
	MaxPoolReLUGrad(dx, dy, y, idx Buffer, g PoolGeom)
}

// ConvGroups names a convolution's output channels and groups beside its
// ConvGeom: the weights are [OC, C/Groups, KH, KW].
type ConvGroups struct{ OC, Groups int }

// DirectConv is implemented by backends that convolve without the
// whole-batch column matrix of Im2Col (the CPU backend works image by
// image in cache-sized pieces). Autograd uses it when present and falls
// back to Im2Col, Gemm and Col2Im otherwise; both give the same values up
// to the summation order.
type DirectConv interface {
	// ConvForward writes y [N, OC, OH, OW] = x ⋆ w + bias for x [N, C, H,
	// W] and w [OC, C/Groups, KH, KW]; bias [OC] may be nil.
	ConvForward(y, x, w, bias Buffer, g ConvGeom, o ConvGroups)
	// ConvBackward overwrites, from dy [N, OC, OH, OW], the input gradient
	// dx, the weight gradient dw and the bias gradient db; any of them may
	// be nil when not wanted.
	ConvBackward(dx, dw, db, dy, x, w Buffer, g ConvGeom, o ConvGroups)
}

// BatchNormGrader is implemented by backends with batch normalisation's
// backward pass in one kernel, and batch norm followed by ReLU fused.
// Autograd's BatchNorm and BatchNormReLU use it when present.
type BatchNormGrader interface {
	// BatchNormGrad computes, for x and its output gradient g viewed as
	// [outer, C, inner], per-channel mean and invstd (1/sqrt(var+eps)) and
	// k = gamma*invstd: dbeta = Σ g, dgamma = invstd Σ g (x-mean), and dx =
	// k (g - Σg/count - (x-mean) invstd² Σ g (x-mean) / count) in training
	// (batch statistics) or k g otherwise. With y (the output of
	// ChannelAffineReLU), g counts only where y > 0. Any of dx, dgamma,
	// dbeta may be nil; the others are overwritten.
	BatchNormGrad(dx, dgamma, dbeta, g, y, x, mean, invstd, k Buffer, outer, c, inner int, training bool)
	// ChannelAffineReLU is ChannelAffine followed by max(·, 0).
	ChannelAffineReLU(dst, x, scale, shift Buffer, outer, c, inner int)
}

// BatchNormForwarder is implemented by backends with batch norm's training
// forward pass in one kernel, each channel's statistics and output computed
// while its values are in cache (autograd's BatchNorm and BatchNormReLU use
// it in training when present).
type BatchNormForwarder interface {
	// BatchNormForward computes, for x viewed as [outer, C, inner], each
	// channel's mean and biased variance, invstd = 1/sqrt(variance + eps)
	// and k = gamma·invstd (gamma nil: invstd), writes them to mean,
	// variance, invstd and k ([C] each), and writes dst = x·k + beta −
	// mean·k (beta nil: 0), then max(·, 0) with relu.
	BatchNormForward(dst, mean, variance, invstd, k, x, gamma, beta Buffer, outer, c, inner int, eps float32, relu bool)
}

// BatchNormAddReLUer is implemented by backends that end a residual block
// in one pass: batch norm, the shortcut added, ReLU
// (autograd.BatchNormAddReLU uses it when present, with BatchNormGrader
// for the backward pass). Each output is the bits of BatchNorm's (or
// ChannelAffine's) output added to res, then max(·, 0), as the separate
// ops give; the batch norm's own output is never written.
type BatchNormAddReLUer interface {
	// BatchNormAddReLUForward is BatchNormForward with relu set and res
	// (x's shape) added before the ReLU: dst = max((x·k + shift) + res, 0).
	BatchNormAddReLUForward(dst, mean, variance, invstd, k, x, res, gamma, beta Buffer, outer, c, inner int, eps float32)
	// ChannelAffineAddReLU computes dst = max((x·scale[c] + shift[c]) +
	// res, 0) for x and res viewed as [outer, C, inner].
	ChannelAffineAddReLU(dst, x, res, scale, shift Buffer, outer, c, inner int)
}

// AddReLUer is implemented by backends with ReLU(a + b) over buffers of
// the same length in one pass (autograd.AddReLU uses it when present).
type AddReLUer interface {
	AddReLU(dst, a, b Buffer)
}

// ConvPather is implemented by DirectConv backends that pick one of
// several convolution algorithms per shape: ConvPath names the one a
// convolution takes (profiles show it).
type ConvPather interface {
	ConvPath(g ConvGeom, o ConvGroups) string
}

var (
	mu       sync.Mutex
	registry = map[string]func() (Backend, error){}
)

// Register makes a backend constructor available under name. Backends call it
// from init, so a blank import is enough to add one.
func Register(name string, open func() (Backend, error)) {
	mu.Lock()
	defer mu.Unlock()
	registry[name] = open
}

// Names lists the registered backends.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	var n []string
	for k := range registry {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// Open opens the backend registered under name.
func Open(name string) (Backend, error) {
	mu.Lock()
	open, ok := registry[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no %q compute backend in this build (have %v)", name, Names())
	}
	return open()
}

// Choose resolves a --device value: "cpu", "gl", or "auto" (gl when it opens
// on a GPU, else cpu). The notice explains a fallback and is empty otherwise.
func Choose(device string) (b Backend, notice string, err error) {
	switch device {
	case "", "auto":
		if hasBackend("gl") {
			b, err := Open("gl")
			switch sw := softwareRenderer(b); {
			case err != nil:
				notice = fmt.Sprintf("OpenGL compute unavailable (%v); using the CPU", err)
			case sw != "" && os.Getenv("WORKBENCH_GL_SOFTWARE") != "1":
				// A software rasteriser (Mesa's llvmpipe on a machine with no
				// GPU) is far slower than the CPU backend; --device gl, or
				// WORKBENCH_GL_SOFTWARE=1 for auto, still selects it.
				notice = fmt.Sprintf("OpenGL renders in software here (%s); using the CPU", sw)
			default:
				return b, "", nil
			}
		}
		b, err := Open("cpu")
		return b, notice, err
	case "cpu", "gl":
		b, err := Open(device)
		if sw := softwareRenderer(b); err == nil && sw != "" {
			// Asked for by name, it is used; but a run about a hundred
			// times slower than --device cpu must not come as a surprise.
			notice = fmt.Sprintf("OpenGL renders in software here (%s), typically about 100x slower than --device cpu; use --device cpu unless you are testing the GL backend", sw)
		}
		return b, notice, err
	default:
		return nil, "", fmt.Errorf("unknown device %q: use cpu, gl or auto", device)
	}
}

// softwareRenderer is the renderer's name when b draws in software (a
// backend says so with a Software method), else "".
func softwareRenderer(b Backend) string {
	if s, ok := b.(interface{ Software() string }); ok {
		return s.Software()
	}
	return ""
}

func hasBackend(name string) bool {
	mu.Lock()
	defer mu.Unlock()
	_, ok := registry[name]
	return ok
}
