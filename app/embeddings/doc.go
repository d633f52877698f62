// Package embeddings is the Embeddings pane: the network's feature space
// laid out in 2-D (t-SNE or PCA) with measures of how well classes
// separate, a grid of images placed by their features, and exports.
package embeddings
