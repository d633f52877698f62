// Package classic is the Classic pane: the methods that came before deep
// networks on the same data (k-nearest neighbours with cross-validation,
// linear SVM and softmax classifiers with a search, a two-layer net on
// features, HOG and hue-histogram features), and an overview comparing
// their results.
package classic
