// dx[p, ih, iw] = sum of dy over the windows that selected this pixel: a
// gather over the windows that could contain it, in the CPU's order. With
// RELU defined, only the windows whose output y (of the fused max-pool and
// ReLU) is positive count.
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer DY { float dy[]; };
layout(std430, binding = 1) readonly buffer I { float idx[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };
layout(std430, binding = 3) readonly buffer Y { float y[]; };

void main() {
	int total = GN * GC * GH * GW;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int iw = i % GW;
		int ih = (i / GW) % GH;
		int p = i / (GW * GH);
		float me = float(ih * GW + iw);
		// Windows oh with oh*SH-PH <= ih <= oh*SH-PH+KH-1.
		int oh0 = max(0, (ih + PH - KH + SH) / SH);
		int oh1 = min(OH - 1, (ih + PH) / SH);
		int ow0 = max(0, (iw + PW - KW + SW) / SW);
		int ow1 = min(OW - 1, (iw + PW) / SW);
		float s = 0.0;
		for (int oh = oh0; oh <= oh1; oh++) {
			for (int ow = ow0; ow <= ow1; ow++) {
				int o = (p * OH + oh) * OW + ow;
#ifdef RELU
				if (idx[o] == me && y[o] > 0.0) s += dy[o];
#else
				if (idx[o] == me) s += dy[o];
#endif
			}
		}
		dx[i] = s;
	}
}
