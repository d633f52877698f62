// Package adversarial is the Adversarial pane: images changed just enough
// to fool the network. It attacks one image (a test image or a file) with
// FGSM or PGD under an L-inf or L2 budget, shows the original, the
// magnified difference and the adversarial image with the class
// probabilities before and after and a step-through of the iterations, and
// measures accuracy against epsilon over a slice of the test split.
package adversarial
