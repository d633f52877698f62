// Package data turns datasets on disk (or the one embedded in the binary) into
// uint8 image sets, and feeds them to the engine as float32 batches.
//
// It holds the readers (IDX, CIFAR-10 binary, folders and zips of class
// folders of PNG/JPEG, NumPy .npy/.npz; the format is detected from the
// path), the named datasets (sample, fashion-mnist, mnist, cifar10), splits
// (class-balanced seeded subsets, validation hold-out, k-fold folds),
// preprocessing statistics computed on the training split (mean image,
// per-channel mean and std, PCA whitening), and the batch Loader that
// shuffles, augments (see sub-package augment) and prefetches on goroutines.
// Load decodes everything into memory; OpenStream opens a folder or zip of
// images too large for that, decoding each image when the Loader reads it.
// Sub-package npy reads and writes NumPy arrays.
//
// Every problem with the input wraps ErrBadInput, names what is wrong and
// says how to fix it, so that a command can report it and exit 2.
package data
