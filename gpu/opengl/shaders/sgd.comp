// v = momentum*v + g + wd*w; w -= lr*(nesterov ? g' + momentum*v : v).
layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer W { float w[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(std430, binding = 2) buffer V { float v[]; };
uniform int n;
uniform float lr;
uniform float momentum;
uniform float wd;
uniform bool nesterov;

void main() {
	for (int i = int(gl_GlobalInvocationID.x); i < n; i += gridStride()) {
		float gi = g[i] + wd * w[i];
		if (momentum != 0.0) {
			float vi = momentum * v[i] + gi;
			v[i] = vi;
			gi = nesterov ? gi + momentum * vi : vi;
		}
		w[i] -= lr * gi;
	}
}
