// Package npy reads and writes NumPy's .npy arrays and .npz archives
// (plain or compressed zips of .npy files), the formats numpy.save,
// numpy.savez and numpy.savez_compressed produce.
//
// Arrays keep their dtype and shape; accessors convert the elements to
// float64, int64 or strings. Fortran-ordered arrays are reordered to C
// order on reading. Every malformed input returns an error wrapping
// ErrFormat that names the problem, never a panic, and headers that claim
// more data than the file holds are reported before anything large is
// allocated.
package npy
