//go:build amd64 && !purego

package cpu

//go:noescape
func maxPool3x3S2AVX2(out, ix, p *float32, w, base, blocks int)

// maxPool3x3S2Row pools outputs ow0.. of one output row of a 3x3 stride-2
// pool in AVX2 (pool3_amd64.s), eight at a time, for windows inside the
// plane (rows ih..ih+2, columns 2·ow−pw..2·ow−pw+2); it returns how many
// outputs it wrote (a multiple of 8, at most n). The scalar loop spent
// about 25 ns per output on branches a random activation defeats.
func maxPool3x3S2Row(out, ix, src []float32, w, ih, pw, ow0, n int) int {
	blocks := n / 8
	if !bnVec || blocks == 0 {
		return 0
	}
	start := ih*w + 2*ow0 - pw
	// The last block reads one value past its last window (a discarded
	// odd cell): keep it inside src.
	if start+2*w+16*blocks+1 >= len(src) {
		blocks--
		if blocks == 0 {
			return 0
		}
	}
	_, _ = out[8*blocks-1], ix[8*blocks-1]
	maxPool3x3S2AVX2(&out[0], &ix[0], &src[start], w, start, blocks)
	return 8 * blocks
}
