// Package tensor is the engine's dense float32 tensor: a shape and a buffer on
// a compute backend. Tensors are contiguous and row-major (NCHW for images);
// Reshape returns a view that shares the buffer, and broadcasting follows
// NumPy's rules (see Broadcast). Values stay on the device; Data reads them
// back only when asked.
package tensor
