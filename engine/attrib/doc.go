// Package attrib explains a classifier's decisions pixel by pixel: vanilla
// gradient saliency, occlusion, guided backpropagation, Grad-CAM,
// SmoothGrad and integrated gradients (Captum's conventions), the sanity
// checks of Adebayo et al. (2018) with Spearman rank correlation, and a
// reusable gradient-ascent loop for class and unit visualisation (shared
// with DeepDream-like methods).
//
// Every method works on images as [0, 1] pixels (C×H×W, row-major, N
// images back to back) and applies the model's preprocessing itself, so
// gradients and perturbations are in pixel units whatever the project's
// normalisation. Long methods take a context (Cancel), report progress per
// step through a callback and, where they iterate, can hand back
// intermediate images for scrubbing.
package attrib
