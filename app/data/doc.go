// Package data is the Data pane: choose a dataset (the bundled sample, a
// named download, a file or folder of one's own), load it with progress and
// Cancel, and look at it before training: examples by class and split,
// class counts, the mean image and statistics, what augmentation does, and
// the files that could not be read.
package data
