// Package adversarial attacks classifiers: FGSM (Goodfellow et al., 2015),
// iterative FGSM / PGD (Kurakin et al., 2017; Madry et al., 2018) under the
// L∞ and L2 norms with random starts, targeted and untargeted, on a batch;
// accuracy under attack against epsilon; fooling images driven to a chosen
// class; a universal perturbation over a dataset; and transfer of attacks
// from one model to another.
//
// Images are [0, 1] pixels (attrib.Net applies the model's
// preprocessing), so epsilon is in pixel units: 8/255 means eight grey
// levels. Long methods take a context, report progress per step and can
// hand back every iterate for step-through.
package adversarial
