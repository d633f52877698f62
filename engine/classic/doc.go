// Package classic holds the baselines taught before convolutional networks:
// k-nearest neighbours with L1 and L2 distances (L2 vectorised through the
// fast GEMM as |a|² + |b|² - 2ab), cross-validation over k, linear
// classifiers (multiclass SVM and softmax) with vectorised loss and gradient
// trained by mini-batch SGD with a random hyper-parameter search, and
// hand-made image features: HOG and hue histograms.
//
// Everything works on plain row-major float32 matrices (one example a row)
// so that raw pixels and features go through the same code.
package classic
