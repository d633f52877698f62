// dx = dy * f'(x); x or y may be absent (hasX, hasY false), then read as 0.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, binding = 3) writeonly buffer DX { float dx[]; };
uniform int n;
uniform int op;
uniform float alpha;
uniform float beta;
uniform bool hasX;
uniform bool hasY;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		float xi = hasX ? x[i] : 0.0;
		float yi = hasY ? y[i] : 0.0;
		if (op == U_RELU) {
			dx[i] = xi > 0.0 ? dy[i] : 0.0;
		} else {
			dx[i] = dy[i] * unaryDeriv_(op, xi, yi, alpha, beta);
		}
	}
}
