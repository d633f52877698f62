// Row-wise softmax or log-softmax of x [rows, cols]: a workgroup per row.
#include "rowreduce.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
uniform int rows;
uniform int cols;
uniform bool logMode;

void main() {
	int t = int(gl_LocalInvocationIndex);
	for (int r = int(gl_WorkGroupID.x); r < rows; r += int(gl_NumWorkGroups.x)) {
		int b = r * cols;
		float m = -INF_;
		for (int j = t; j < cols; j += WG) m = rowMax(m, x[b + j]);
		m = groupMax(m);
		float s = 0.0, c = 0.0;
		for (int j = t; j < cols; j += WG) kadd(s, c, exp(x[b + j] - m));
		float lse = log(groupSum(s));
		for (int j = t; j < cols; j += WG) {
			float l = (x[b + j] - m) - lse;
			y[b + j] = logMode ? l : exp(l);
		}
	}
}
