// Per-channel mean and biased variance of x viewed as [outer, C, inner]:
// a workgroup per channel, two passes (mean, then squared deviations).
#include "rowreduce.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer M { float mean[]; };
layout(std430, binding = 2) writeonly buffer V { float var[]; };
uniform int outer;
uniform int C;
uniform int inner;

void main() {
	int t = int(gl_LocalInvocationIndex);
	int count = outer * inner;
	for (int ch = int(gl_WorkGroupID.x); ch < C; ch += int(gl_NumWorkGroups.x)) {
		float s = 0.0, c = 0.0;
		for (int e = t; e < count; e += WG) {
			int o = e / inner;
			kadd(s, c, x[(o * C + ch) * inner + (e - o * inner)]);
		}
		float mu = groupSum(s) / float(count);
		float q = 0.0;
		c = 0.0;
		for (int e = t; e < count; e += WG) {
			int o = e / inner;
			float d = x[(o * C + ch) * inner + (e - o * inner)] - mu;
			kadd(q, c, d * d);
		}
		q = groupSum(q);
		if (t == 0) {
			mean[ch] = mu;
			var[ch] = q / float(count);
		}
	}
}
