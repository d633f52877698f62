// Package stylenet saves a trained fast style-transfer network
// (engine/style's FastNet: Johnson et al. 2016, several styles by
// conditional instance normalisation, Dumoulin et al. 2017) as a Workbench
// project and opens one back.
//
// A saved network is an ordinary project: its graph is the transformation
// network's, its weights are the "weights/" group, and the training's
// metadata (the style names in blend order, the perceptual network, the
// content layer, the crop size, the steps trained and the weights of the
// losses) sit in the project's inspection settings under "faststyle.*".
// `workbench train-style` writes it, `workbench viz style --fast` and the
// Dream & Style pane's Fast style mode open it. Saving goes through
// projects.Save, so it is atomic and never replaces a file that is not a
// project.
//
// A network is opened with the graph it was saved with, so a network
// trained before a change to style.FastGraph (zero padding before
// reflection padding) runs exactly as it was trained.
package stylenet
