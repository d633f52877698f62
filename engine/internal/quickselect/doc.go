// Package quickselect finds the k-th smallest of a slice in place
// (Hoare's selection), for code that needs one order statistic or a median
// split without sorting the whole slice.
package quickselect
