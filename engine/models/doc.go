// Package models is the model zoo: the architectures the field is built on,
// written as engine/graph graphs that the editor can show and edit and that
// engine/nn can analyse, build and train.
//
// Graph(name, input, classes) returns a named architecture adapted to an
// input shape (C,H,W) and a class count; Names lists the zoo (the names of
// the CLI contract, torchvision's where torchvision has the model). At
// 3x224x224 with 1000 classes every model that torchvision has matches it
// exactly: node IDs follow torchvision's module paths, so parameter names
// ("layer1.0.conv1.weight") and shapes equal its state_dict's, and so do
// parameter counts. GoogLeNet and Inception v3 are torchvision's with aux_logits=False
// (a graph has one output; the auxiliary heads only serve training). Models end in logits; the softmax belongs to the loss.
//
// Inputs smaller than 64 pixels on a side (MNIST, CIFAR-10) get the usual
// small-input variants (see each builder's comment): the ImageNet stems
// that divide the image by 4 at once become a stride-1 3x3 (ResNet,
// GoogLeNet, DenseNet) or 5x5 (AlexNet, ZFNet) convolution with no stem
// max-pool, and the mobile networks (MobileNets, ShuffleNet, MNASNet,
// EfficientNet) keep their first stride-2 stages at stride 1; Inception v3's
// stem keeps stride 1 and padding 1 and drops its first max-pool.
// Everywhere, a max-pool that would shrink a 1-pixel map is left out, and the
// adaptive pools before a classifier pool to at most the map's own size (no
// upsampling of a 1x1 map to 7x7). So every model gives a valid graph for
// any input from 1x1 pixels up.
//
// Blocks (residual, bottleneck, Inception, dense layers, inverted residuals)
// are named in Graph.Blocks and on their nodes, for the editor to collapse.
// Inception and SEBlock build the course's modules into any graph, and
// Layout places nodes on the canvas. Summarize gives the per-layer table
// (output volume, parameters, activations, multiply-adds, receptive field)
// and the memory totals behind `workbench summary`.
package models
