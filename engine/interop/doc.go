// Package interop holds what every model importer produces: a Model (the
// engine graph, its weights by parameter name, the input shape, the class
// names and the preprocessing the network was trained with) and the
// UnsupportedError that lists, by the source format's own names, what an
// importer could not map. The importers live in sub-packages (tfjs for
// TensorFlow.js layers models); projects/imported turns a Model into an
// ordinary project.
//
// An importer maps what it knows exactly or refuses the whole model: a
// Model is never half-loaded.
package interop
