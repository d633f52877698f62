// z = f(a, b) with broadcasting: z is contiguous with shape[0..nd), and a and
// b are read through their own strides (0 where broadcast).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Z { float z[]; };
uniform int n;
uniform int op;
uniform int nd;
uniform int shape[6];
uniform int sa[6];
uniform int sb[6];

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		int offA = 0, offB = 0, rem = i;
		for (int d = nd - 1; d >= 0; d--) {
			int q = rem / shape[d];
			int idx = rem - q * shape[d];
			rem = q;
			offA += idx * sa[d];
			offB += idx * sb[d];
		}
		z[i] = binary_(op, a[offA], b[offB]);
	}
}
