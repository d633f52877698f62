// Package saliency is the Saliency pane: which pixels a prediction depends
// on. For a test image (or an image file) it draws every attribution
// method of engine/attrib side by side over the image, runs the
// cascading-randomisation sanity check, and visualises a class by
// gradient ascent with iteration scrubbing and PNG export.
package saliency
