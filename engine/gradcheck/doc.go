// Package gradcheck checks the gradients that autograd computes against
// centred finite differences, for any function of Vars: one op, a layer,
// or a whole nn.Model with its loss. It is a feature users run (is my
// custom layer right? does this architecture backpropagate?), and the
// engine's own tests run it over every op.
//
// For each checked element x of each tensor in wrt, the numeric derivative
// is (f(x+h) - f(x-h)) / 2h and the score is CS231n's relative error
// |a-n| / max(|a|, |n|, floor). When f returns more than one value, the
// checker reduces it itself, in float64, to Σ wᵢ·fᵢ with seeded weights,
// and backpropagates the same weights: outputs that x does not touch are
// then bit-identical in both evaluations and cancel exactly, which makes
// the check far more precise than reducing in float32 inside f. Return the
// logits or per-example losses rather than their mean where you can.
//
// # Expected error levels
//
// f is evaluated in float32, as training runs. With the default step
// h = 1e-3, correct gradients of the engine's ops and of small models score
// 1e-6 to 5e-4; the verdict passes at or below 1e-3, calls 1e-3 to 1e-2
// suspect and anything above 1e-2 wrong (CS231n's float64 scale moved up by
// about three orders of magnitude for float32). A gradient wrong by a
// constant factor, a sign, or a dropped term scores near 1.
//
// Two things limit what finite differences can see:
//
//   - Rounding. Each element's floor is at least its estimated float32
//     noise divided by the Pass threshold (Element.Noise, Element.Floor),
//     so a gradient far smaller than the noise is compared absolutely and
//     a small relative error on it cannot be resolved.
//   - Kinks. ReLU at 0, a max changing hands, |x| at 0: when x±h straddles
//     one, the centred difference is meaningless. Elements whose analytic
//     gradient matches a one-sided difference while the two one-sided
//     differences disagree are flagged as kinks, reported, and left out of
//     the verdict. Functions that are smooth but not twice differentiable
//     (ELU with alpha 1 at 0; SELU and other ELUs have a true kink there) have an O(h) truncation error near the joint.
//
// Sample elements of large tensors with Options.Samples (seeded), and make
// f deterministic: fix dropout seeds; batch norm in training mode may update
// its running statistics on every call, since they do not change the output.
package gradcheck
