// Package adversarial is the Adversarial pane: images changed just enough
// to fool the network. Until the GUI view lands it shows its empty state,
// with the command that runs the attack.
package adversarial
