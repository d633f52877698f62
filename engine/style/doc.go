// Package style is what a trained network's features can make (the second
// half of "visualizing and understanding"): the perceptual losses (Gram
// matrices, content/feature reconstruction, style over weighted layers,
// total variation), all on autograd, and the loops built on them and on
// attrib's shared gradient-ascent machinery: DeepDream with octaves,
// feature inversion, texture synthesis from noise and neural style
// transfer (Adam or L-BFGS), with softmax-smoothed style activations as an
// option (smooth.go); fast style transfer, a feed-forward transformation
// network with conditional instance normalisation trained on the same
// losses (fast.go, fasttrain.go); and Assess, the reasons a network will
// make poor images (assess.go).
package style
