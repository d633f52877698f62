// Package augment holds the data augmentations applied to training images:
// flips, random crops with padding, random resized crops, scaling,
// translation, rotation, colour jitter, PCA colour augmentation (AlexNet),
// cutout, random erasing and mixup, plus test-time augmentation views.
//
// Images are float32 CHW with pixels in [0, 1]. A Pipeline is parsed from a
// list of names such as "flip,crop" (the --augment flag) and applied with a
// random generator derived from (seed, epoch, index), so a given image gets
// the same augmentation in the same epoch however the work is split across
// goroutines, and a run resumed at an epoch sees the same data.
package augment
