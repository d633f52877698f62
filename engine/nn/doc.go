// Package nn turns an architecture (engine/graph) into a runnable model: it
// owns the catalogue of layer operations (their attributes, shape rules,
// parameters, multiply-add counts and forward functions on top of
// engine/autograd), infers every node's shape, initialises parameters from a
// seed, and runs forward passes in training or evaluation mode with hooks on
// any node's activation.
//
// Shapes here exclude the batch dimension: [C,H,W] for images, [F] for
// vectors.
package nn
