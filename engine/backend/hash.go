package backend

// Uniform returns a float32 in [0, 1) from a counter-based hash of (seed, i)
// (SplitMix64's finaliser). Every backend uses the same function, so random
// masks agree bit for bit across devices and do not depend on thread count.
func Uniform(seed, i uint64) float32 {
	z := seed + (i+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return float32(z>>40) / (1 << 24)
}
