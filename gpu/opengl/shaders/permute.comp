// dst (contiguous, shape outShape) = x read through inStride: dst axis d is
// an axis of x with stride inStride[d].
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
uniform int n;
uniform int nd;
uniform int outShape[6];
uniform int inStride[6];

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		int off = 0, rem = i;
		for (int d = nd - 1; d >= 0; d--) {
			int q = rem / outShape[d];
			off += (rem - q * outShape[d]) * inStride[d];
			rem = q;
		}
		dst[i] = x[off];
	}
}
