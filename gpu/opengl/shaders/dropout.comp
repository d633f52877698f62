// Dropout mask from the counter-based hash shared by every backend
// (backend.Uniform: SplitMix64's finaliser of seed + (i+1)*golden), in
// 64-bit arithmetic on uvec2 (x low word, y high word).
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer M { float mask[]; };
uniform int n;
uniform uvec2 seed;
uniform float p;
uniform float keep;

uvec2 add64(uvec2 a, uvec2 b) {
	uint carry;
	uint lo = uaddCarry(a.x, b.x, carry);
	return uvec2(lo, a.y + b.y + carry);
}

uvec2 mul64(uvec2 a, uvec2 b) {
	uint hi, lo;
	umulExtended(a.x, b.x, hi, lo);
	return uvec2(lo, hi + a.x * b.y + a.y * b.x);
}

// xorShift returns z ^ (z >> s) for 0 < s < 32.
uvec2 xorShift(uvec2 z, int s) {
	return z ^ uvec2((z.x >> s) | (z.y << (32 - s)), z.y >> s);
}

float uniform01(uint i) {
	uvec2 z = add64(seed, mul64(uvec2(i + 1u, 0u), uvec2(0x7F4A7C15u, 0x9E3779B9u)));
	z = mul64(xorShift(z, 30), uvec2(0x1CE4E5B9u, 0xBF58476Du));
	z = mul64(xorShift(z, 27), uvec2(0x133111EBu, 0x94D049BBu));
	z = xorShift(z, 31);
	return float(z.y >> 8) / 16777216.0;
}

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		mask[i] = uniform01(uint(i)) < p ? 0.0 : keep;
	}
}
