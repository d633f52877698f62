// Per-row loss -sum(t*log softmax(x)) and gradient (softmax(x)*sum(t) - t)*scale.
#include "rowreduce.glsl"
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer T { float tg[]; };
layout(std430, binding = 2) writeonly buffer L { float loss[]; };
layout(std430, binding = 3) writeonly buffer G { float grad[]; };
uniform int rows;
uniform int cols;
uniform float scale;

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
		float l = 0.0, ts = 0.0;
		for (int j = t; j < cols; j += WG) {
			float tv = tg[b + j];
			l -= tv * ((x[b + j] - m) - lse);
			ts += tv;
		}
		l = groupSum(l);
		ts = groupSum(ts);
		if (t == 0) loss[r] = l;
		for (int j = t; j < cols; j += WG) {
			float p = exp((x[b + j] - m) - lse);
			grad[b + j] = (p * ts - tg[b + j]) * scale;
		}
	}
}
