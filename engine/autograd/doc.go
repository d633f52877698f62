// Package autograd is the engine's reverse-mode automatic differentiation, in
// the style of micrograd and the course's gate API: every operation computes
// its output (Forward) and records a closure that, given the gradient of its
// output, adds the gradients of its inputs (Backward). Calling Backward on a
// scalar walks the recorded graph in reverse topological order.
//
// Operations run on whatever backend their inputs live on. A Var that does
// not require a gradient, and everything computed only from such Vars,
// records nothing: that is evaluation/no-grad mode. Hooks on a Var read or
// replace its gradient as it passes (guided backprop, saliency), and
// Detach cuts the graph.
//
// Memory: an intermediate gradient is freed as soon as its op has used it;
// Release frees a finished graph's activations and saved tensors (a
// training loop calls it after the optimizer step), so that on the CPU the
// next step reuses the same buffers from the backend's pool.
package autograd
