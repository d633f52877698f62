// Package filters is the Filters & Activations pane: the first layer's
// filters through the saved checkpoints, every layer's activations for a
// chosen image, the image patches that excite a unit most (cropped by its
// receptive field), and nearest neighbours in feature and pixel space.
package filters
