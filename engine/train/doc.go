// Package train runs and judges training: the loop over a model and a batch
// loader, evaluation, checkpoints that resume exactly, and the course's
// babysitting workflow.
//
// Trainer.Run trains an nn.Model on a data.Dataset with an optimizer and a
// learning-rate schedule from engine/optim, reporting every iteration's loss
// and every epoch's train and validation loss and accuracy, images per
// second and the time left through Callbacks. It writes Checkpoints (the
// best-validation snapshot and periodic ones) holding the weights, the
// optimizer state and the position in the run; because the loader's
// shuffling, the augmentation and dropout are all functions of the seed and
// the position, resuming from a checkpoint gives bit-identical weights to a
// run that was never interrupted. A loss that becomes NaN or infinite stops
// the run with a DivergedError and keeps the last good checkpoint.
//
// Evaluate measures a model (or an ensemble, averaging probabilities, with
// optional test-time augmentation) on a split: accuracy, loss, confusion
// matrix, per-class accuracy and the misclassified images with their top
// predictions. The babysitting helpers follow the lecture: InitialLoss
// compares the first loss with log(C), Overfit trains on a few batches
// until they are learnt, FindLR sweeps log-spaced learning rates and
// suggests the steepest descent, and Search runs random or grid searches
// over log-uniform ranges, several configurations at once, ranked by
// validation accuracy. Diagnose reads a run's curves.
package train
