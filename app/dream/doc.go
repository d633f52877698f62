// Package dream is the Dream & Style pane: what the trained network's
// features can make (engine/style). DeepDream, feature inversion, texture
// synthesis and style transfer (one content image, several style images
// with blend weights) on any project model or an imported ImageNet
// network, with the layers and their weights on sliders, a live preview,
// a scrubber over the kept iterates, the loss curve, Cancel, PNG export,
// and a notice when the network is too weak for good results
// (style.Assess). Image files dropped on the window come here (Drop).
package dream
