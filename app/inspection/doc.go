// Package inspection is what the panes that look inside a trained network
// (Filters & Activations, Embeddings) share: the project's trained model as
// they read it (Model: graph, weights and preprocessing, read again when
// the project changes), the saved checkpoints to show filters of, and Base,
// the empty states and dataset loading such a pane shows around its
// content.
package inspection
