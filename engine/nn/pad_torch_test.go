package nn

// PyTorch parity of pad2d (F.pad takes left, right, top, bottom).
func init() {
	moreLayerCases = append(moreLayerCases,
		one("pad2d/asymmetric", "pad2d", []int{3, 4, 5}, "out = F.pad(x, (2, 0, 1, 3))", "top", 1, "bottom", 3, "left", 2),
		one("pad2d/keras-same-stride2", "pad2d", []int{2, 6, 6}, "out = F.pad(x, (0, 1, 0, 1))", "bottom", 1, "right", 1),
		one("pad2d/value", "pad2d", []int{2, 3, 4}, "out = F.pad(x, (1, 2, 2, 1), value=-1.5)", "top", 2, "bottom", 1, "left", 1, "right", 2, "value", -1.5),
		one("pad2d/rows-only", "pad2d", []int{2, 3, 4}, "out = F.pad(x, (0, 0, 2, 0))", "top", 2),
		one("pad2d/none", "pad2d", []int{2, 3, 4}, "out = x"),
	)
}
