// Package style is what a trained network's features can make (the second
// half of "visualizing and understanding"): the perceptual losses (Gram
// matrices, content/feature reconstruction, style over weighted layers,
// total variation), all on autograd, and the loops built on them and on
// attrib's shared gradient-ascent machinery: DeepDream with octaves,
// feature inversion, texture synthesis from noise and neural style
// transfer (Adam or L-BFGS).
package style
