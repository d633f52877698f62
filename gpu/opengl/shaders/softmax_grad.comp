// dx from y = softmax(x) (or log-softmax) and dy, a workgroup per row.
#include "rowreduce.glsl"
layout(std430, binding = 0) readonly buffer Y { float y[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };
uniform int rows;
uniform int cols;
uniform bool logMode;

void main() {
	int t = int(gl_LocalInvocationIndex);
	for (int r = int(gl_WorkGroupID.x); r < rows; r += int(gl_NumWorkGroups.x)) {
		int b = r * cols;
		float s = 0.0, c = 0.0;
		for (int j = t; j < cols; j += WG) kadd(s, c, logMode ? dy[b + j] : dy[b + j] * y[b + j]);
		s = groupSum(s);
		for (int j = t; j < cols; j += WG) {
			dx[b + j] = logMode ? dy[b + j] - exp(y[b + j]) * s : y[b + j] * (dy[b + j] - s);
		}
	}
}
