// dst = max(a + b, 0), NaN kept (as the CPU's max).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer D { float dst[]; };
uniform int n;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		float v = a[i] + b[i];
		dst[i] = isnan(v) ? v : max(v, 0.0);
	}
}
