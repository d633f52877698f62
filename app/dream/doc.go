// Package dream is the Dream & Style pane: DeepDream and style transfer on
// the trained network. Until the GUI view lands it shows its empty state,
// with the commands that run them.
package dream
