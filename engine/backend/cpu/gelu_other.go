//go:build !amd64 || purego

package cpu

var hasGeluAVX2 = false

// geluBlocks and geluGradBlocks leave every value to the scalar loop.
func geluBlocks(y, x []float32) int { return 0 }

func geluGradBlocks(g, x, dy []float32) int { return 0 }
