// Package torchref lets engine tests compare their results with PyTorch.
//
// A test describes its cases (named float32 inputs plus a few lines of
// Python that compute `out` from them with torch), and Run executes every
// case of the call in ONE Python process, because importing torch takes
// seconds. The reference runs in float64 by default, so its own rounding is
// negligible next to the float32 engine under test. For every case it
// returns the output, the gradients of the inputs that asked for one, and
// any tensors the code stored in the dict `extra` (running statistics, a
// loss value).
//
// The gradient is that of sum(out * gy), where gy[i] = cos(1.3*i + 0.5) over
// out's flattened elements (see Upstream), unless the code assigns a scalar
// `loss`, whose gradient is taken instead. Using a fixed, non-constant
// upstream gradient makes the checks see every output element and avoids
// the degenerate gradients of sum() (a softmax summed is constant).
//
// Debian's python3-torch lives in /usr/bin/python3; the environment variable
// WORKBENCH_PYTHON overrides the interpreter. When torch is missing the
// tests are skipped, except when CI=true, where they fail.
package torchref
