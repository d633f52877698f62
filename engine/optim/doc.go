// Package optim updates a model's parameters from their gradients.
//
// It holds the first-order optimizers of the course (SGD, SGD with momentum,
// Nesterov momentum, AdaGrad, RMSProp, Adam and AdamW) behind one small
// interface, gradient clipping by global norm and by value, learning-rate
// schedules with linear warm-up (and a sampler of the rate curve for plots),
// and L-BFGS for full-batch problems. Updates run on the parameters' backend:
// SGD and Adam through the fused backend kernels, the others through
// elementwise kernels, so the same code serves the CPU and the GPU.
//
// Every optimizer exposes its state (moment buffers, step counts) as named
// tensors, "<param>.<buffer>" after PyTorch's state keys, so that a
// checkpoint restores it exactly. The numbers follow torch.optim: the tests
// compare parameters after ten steps of each optimizer with PyTorch's.
package optim
