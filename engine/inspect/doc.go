// Package inspect answers "what did the model learn?": it renders
// first-layer filters as a colour grid and deeper ones as grey grids per
// input channel (and their evolution over checkpoints), every layer's
// activations for one image, the image patches that most activate a
// unit (cropped by that unit's exact receptive field, computed from the
// graph), nearest neighbours in a layer's feature space beside those in
// pixel space, PCA, and t-SNE embeddings with their quality measure.
//
// Everything here is GUI-free: pictures come back as image.Image grids
// (or uint8 CHW maps), long jobs take a context.Context for Cancel and a
// progress callback, and t-SNE reports live layout snapshots while it
// optimises, so the app's panes and the CLI's `workbench viz` and
// `workbench tsne` share one implementation.
//
// # t-SNE
//
// [TSNE] follows scikit-learn's optimiser (so results compare): input
// affinities calibrated to a perplexity by binary search, early
// exaggeration (12 for 250 iterations at momentum 0.5, then momentum 0.8),
// per-coordinate gains, learning rate "auto" = max(N/12/4, 50), PCA
// initialisation scaled to 1e-4, a divergence check every 50 iterations.
// Small N is embedded exactly (all pairs); large N with Barnes-Hut: the
// 3·perplexity nearest neighbours (brute force through SGEMM, or a
// vantage-point tree) give a sparse P, and a quadtree rebuilt every
// iteration, flattened into arrays in Morton order, approximates the
// repulsive forces (theta 0.5). Neighbour search, affinities and both
// halves of the gradient run on all threads; each point's sums run in a
// fixed order, so a seed gives the same layout bit for bit whatever the
// thread count. [EmbeddingKNNAccuracy] scores a layout by leave-one-out
// 10-NN classification inside it.
//
// # Receptive fields
//
// [ReceptiveFields] gives the nominal field of every layer (size, jump
// and offset through kernel, stride, padding and dilation) and the exact
// box of any single unit, clipped at the image borders; see rf.go.
package inspect
