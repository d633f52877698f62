// dx[p, ih, iw] = sum over the windows containing the pixel of dy*div,
// gathered in the CPU's order.
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer DY { float dy[]; };
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };
uniform float div;

void main() {
	int total = GN * GC * GH * GW;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int iw = i % GW;
		int ih = (i / GW) % GH;
		int p = i / (GW * GH);
		int oh0 = max(0, (ih + PH - KH + SH) / SH);
		int oh1 = min(OH - 1, (ih + PH) / SH);
		int ow0 = max(0, (iw + PW - KW + SW) / SW);
		int ow1 = min(OW - 1, (iw + PW) / SW);
		float s = 0.0;
		for (int oh = oh0; oh <= oh1; oh++) {
			for (int ow = ow0; ow <= ow1; ow++) {
				s += dy[(p * OH + oh) * OW + ow] * div;
			}
		}
		dx[i] = s;
	}
}
