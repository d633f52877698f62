// dst = x*scale[c] + shift[c] for x viewed as [outer, C, inner]; with RELU
// defined, max(·, 0) with NaN kept (batch norm and ReLU fused).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer S { float sc[]; };
layout(std430, binding = 2) readonly buffer B { float sh[]; };
layout(std430, binding = 3) writeonly buffer D { float dst[]; };
uniform int n;
uniform int C;
uniform int inner;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		int ch = (i / inner) % C;
		float v = x[i] * sc[ch] + sh[ch];
#ifdef RELU
		v = isnan(v) ? v : max(v, 0.0);
#endif
		dst[i] = v;
	}
}
