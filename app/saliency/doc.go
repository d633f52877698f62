// Package saliency is the Saliency pane: which pixels a prediction depends
// on. Until the GUI view lands it shows its empty state, with the command
// that writes the maps.
package saliency
