// Package graph holds the architecture of a model as data: a directed acyclic
// graph of layer nodes, each with an operation name, numeric attributes and the
// IDs of the nodes that feed it. It is what the editor edits, what the project
// file stores and what the engine builds a runnable model from.
//
// The graph is deliberately plain data (no interfaces, no closures) so that it
// round-trips through JSON and can be validated before anything is built.
package graph
