// Package scatter is an interactive scatter plot for 2-D embeddings
// (t-SNE, PCA): points coloured by class, a hover card with the point's
// image, zoom around the cursor, pan, and box selection.
//
// It is built for 10,000 points and more: the points are drawn into one
// raster image (a pre-computed anti-aliased dot stamped per point) rather
// than as one canvas object each, and the hover ring, the hover card and
// the selection box are a handful of overlay objects, so moving the mouse
// never redraws the points. Like the other widgets it knows images, not the
// engine: a pane hands it coordinates, class labels and a function that
// returns a point's thumbnail.
package scatter
