// One fused Adam/AdamW step; stepSize = lr/(1-beta1^t) and
// sqrtBC2 = sqrt(1-beta2^t) come from the host, as the CPU computes them.
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(std430, binding = 2) buffer M { float m[]; };
layout(std430, binding = 3) buffer V { float v[]; };
uniform int n;
uniform float lr;
uniform float beta1;
uniform float beta2;
uniform float eps;
uniform float wd;
uniform bool decoupled;
uniform float stepSize;
uniform float sqrtBC2;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		float gi = g[i];
		float wi = w[i];
		if (decoupled) {
			wi *= 1.0 - lr * wd;
		} else if (wd != 0.0) {
			gi += wd * wi;
		}
		float mi = beta1 * m[i] + (1.0 - beta1) * gi;
		float vi = beta2 * v[i] + (1.0 - beta2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] = wi - stepSize * mi / (sqrt(vi) / sqrtBC2 + eps);
	}
}
