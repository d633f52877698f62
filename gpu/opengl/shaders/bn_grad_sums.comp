// Batch norm's backward sums, a workgroup per channel of x and its output
// gradient g viewed as [outer, C, inner]: sums[2ch] = Σ g and sums[2ch+1] =
// Σ g (x - mean), compensated, then combined in a tree (a fixed order).
// With hasY (the output of the fused ReLU) g counts only where y > 0.
// dbeta = Σ g and dgamma = invstd Σ g (x - mean) when wanted.
#include "rowreduce.glsl"
layout(std430, binding = 0) readonly buffer G { float g[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer X { float x[]; };
layout(std430, binding = 3) readonly buffer MU { float mean[]; };
layout(std430, binding = 4) readonly buffer IS { float invstd[]; };
layout(std430, binding = 5) writeonly buffer DG { float dgamma[]; };
layout(std430, binding = 6) writeonly buffer DB { float dbeta[]; };
layout(std430, binding = 7) writeonly buffer S { float sums[]; };
uniform int outer;
uniform int C;
uniform int inner;
uniform bool hasY;
uniform bool wantGamma;
uniform bool wantBeta;

void main() {
	int t = int(gl_LocalInvocationIndex);
	int count = outer * inner;
	for (int ch = int(gl_WorkGroupID.x); ch < C; ch += int(gl_NumWorkGroups.x)) {
		float mu = mean[ch];
		float s = 0.0, cs = 0.0, q = 0.0, cq = 0.0;
		for (int e = t; e < count; e += WG) {
			int o = e / inner;
			int i = (o * C + ch) * inner + (e - o * inner);
			float gv = g[i];
			if (hasY && !(y[i] > 0.0)) gv = 0.0;
			kadd(s, cs, gv);
			kadd(q, cq, gv * (x[i] - mu));
		}
		s = groupSum(s);
		q = groupSum(q);
		if (t == 0) {
			sums[2 * ch] = s;
			sums[2 * ch + 1] = q;
			if (wantBeta) dbeta[ch] = s;
			if (wantGamma) dgamma[ch] = q * invstd[ch];
		}
	}
}
