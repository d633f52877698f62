// y += alpha * x.
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer X { float x[]; };
uniform int n;
uniform float alpha;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		y[i] += alpha * x[i];
	}
}
