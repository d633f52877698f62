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
//
// Hostile input is bounded before anything is allocated (see Limits):
// pixels per image (read from the header with image.DecodeConfig), bytes
// per image file or zip entry (declared, then enforced while reading), and
// bytes per .npy/.npz/IDX array (declared by the header); each limit is
// raised by an Options field, a CLI flag or an environment variable that
// the error names. Only folders and regular files are opened (a FIFO would
// block), zip entries with absolute, drive-letter or ".." paths are
// skipped, and loops of links are reported as bad input.
package data
