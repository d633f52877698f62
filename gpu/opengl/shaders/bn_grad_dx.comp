// Batch norm's input gradient for x and g viewed as [outer, C, inner]:
// dx = k (g - Σg/count - (x - mean) invstd² Σg(x-mean)/count) in training
// (sums from bn_grad_sums), k g otherwise; with hasY, g counts only where
// y > 0 (the fused ReLU).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer X { float x[]; };
layout(std430, binding = 3) readonly buffer MU { float mean[]; };
layout(std430, binding = 4) readonly buffer IS { float invstd[]; };
layout(std430, binding = 5) readonly buffer K { float k[]; };
layout(std430, binding = 6) readonly buffer S { float sums[]; };
layout(std430, binding = 7) writeonly buffer DX { float dx[]; };
uniform int n;
uniform int C;
uniform int inner;
uniform float count;
uniform bool hasY;
uniform bool training;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		int ch = (i / inner) % C;
		float gv = g[i];
		if (hasY && !(y[i] > 0.0)) gv = 0.0;
		if (training) {
			float inv = invstd[ch];
			float m1 = sums[2 * ch] / count;
			float a = sums[2 * ch + 1] / count * inv * inv;
			dx[i] = k[ch] * (gv - m1 - (x[i] - mean[ch]) * a);
		} else {
			dx[i] = k[ch] * gv;
		}
	}
}
