// Package tfjs imports TensorFlow.js layers models: a model.json (the Keras
// topology and the weights manifest) with its binary weight shards, from an
// unpacked folder or straight from an npm package tarball (.tgz).
//
// Weights may be float32 or quantised (uint8 and uint16 with their scale and
// min, float16). Keras layers are mapped onto the engine's graph with their
// exact semantics: NHWC/HWIO layouts become NCHW/OIHW, padding="same" pads
// as TensorFlow does (the extra row and column at the bottom and right, an
// explicit pad2d node when the two sides differ), batch normalisation keeps
// its epsilon, and a Dense layer after Flatten gets its inputs reordered
// from TensorFlow's H,W,C flattening to ours (C,H,W).
//
// Everything the files declare is checked before anything is allocated
// from it; layers that cannot be mapped are listed by Keras class name in
// an interop.UnsupportedError and nothing is imported.
package tfjs
