// Package pytorch exports a Workbench model to PyTorch and brings training
// done there back.
//
// Export writes a self-contained, readable model.py (one nn.Module whose
// attributes and forward pass follow the layer graph node by node), the
// weights as weights.npz under Workbench's own tensor names, and a train.py
// that trains the same model on the same data with the same optimizer and
// schedule under torchrun with DistributedDataParallel (gloo on CPU, NCCL on
// GPUs, several nodes through torchrun's rendezvous flags). The generated
// code needs only torch and numpy.
//
// Torchrun launches that script, streams the JSON Lines metrics its rank 0
// prints, and reads the trained weights back, so a run trained by PyTorch
// becomes an ordinary run of the project.
//
// What cannot be expressed in PyTorch (an op the generator does not know)
// is refused with the op names; nothing is half-exported.
package pytorch
