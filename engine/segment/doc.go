// Package segment cuts an object out of an image: GrabCut (Rother,
// Kolmogorov and Blake 2004), with colour models of 5-component Gaussian
// mixtures for the object and the background (k-means initialised), an s-t
// minimum cut on the 8-neighbour pixel graph (Dinic's max-flow), iterated.
// It is seeded by a rectangle or by a saliency map (its top pixels are the
// object, its bottom ones the background), so a model's saliency becomes a
// mask and a cut-out.
package segment
