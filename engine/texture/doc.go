// Package texture is non-parametric texture synthesis, the classical
// methods the "texture synthesis" part of the visualizing-and-understanding
// lecture starts from, before the neural (Gram matrix) method of
// engine/style:
//
//   - EfrosLeung (Efros and Leung, ICCV 1999): grow the image pixel by
//     pixel from a seed patch; for the unfilled pixel with the most filled
//     neighbours, compare its window (known pixels only, Gaussian-weighted
//     SSD) with every window of the source and copy the centre of one
//     chosen at random among those within (1+eps) of the best.
//   - WeiLevoy (Wei and Levoy, SIGGRAPH 2000): raster-scan order with a
//     causal (L-shaped) neighbourhood, coarse to fine over Gaussian
//     pyramids (the coarser level's full window joins the neighbourhood),
//     with tree-structured vector quantisation (TSVQ) as the approximate
//     nearest-neighbour search, or exact search.
//
// Images are float32 planes C,H,W in [0, 1] (the layout of engine/style).
// Every run is deterministic for a seed: the only parallel work is the
// exact scan over source windows, whose per-window distances do not depend
// on how the scan is split and whose minimum is the first one in scan
// order. Runs take a context (cancellation) and report progress.
//
// Distance measures written Distance below are mean squared differences
// per value (pixel channel), so they are comparable between window sizes.
package texture
