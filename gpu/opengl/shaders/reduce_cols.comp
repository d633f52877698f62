// dst[o, i] = reduce over j of x[o, j, i], one invocation per output, with
// a compensated sum.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
uniform int outer;
uniform int n;
uniform int inner;
uniform int op; // 0 sum, 1 mean, 2 max

void main() {
	int total = outer * inner;
	for (int k = int(gl_GlobalInvocationID.x); k < total; k += gridStride()) {
		int o = k / inner;
		int i = k - o * inner;
		int b = o * n * inner + i;
		float s = x[b], c = 0.0;
		for (int j = 1; j < n; j++) {
			float v = x[b + j * inner];
			if (op == 2) {
				s = (isnan(v) || isnan(s)) ? NAN_ : max(s, v);
			} else {
				kadd(s, c, v);
			}
		}
		if (op == 1) s /= float(n);
		dst[k] = s;
	}
}
