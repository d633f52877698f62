// y = f(x), elementwise.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
uniform int n;
uniform int op;
uniform float alpha;
uniform float beta;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		y[i] = unary_(op, x[i], alpha, beta);
	}
}
