// dx[n, c, ih, iw] = sum of the column entries that im2col read from that
// pixel: a gather per input pixel (no atomics), summed in the CPU's order.
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer COL { float col[]; };
layout(std430, binding = 1) writeonly buffer DX { float dx[]; };

void main() {
	int cols = GN * OH * OW;
	int total = GN * GC * GH * GW;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int iw = i % GW;
		int ih = (i / GW) % GH;
		int c = (i / (GW * GH)) % GC;
		int n = i / (GW * GH * GC);
		float s = 0.0;
		for (int kh = 0; kh < KH; kh++) {
			int th = ih + PH - kh * DH;
			if (th < 0 || th % SH != 0) continue;
			int oh = th / SH;
			if (oh >= OH) continue;
			for (int kw = 0; kw < KW; kw++) {
				int tw = iw + PW - kw * DW;
				if (tw < 0 || tw % SW != 0) continue;
				int ow = tw / SW;
				if (ow >= OW) continue;
				s += col[((c * KH + kh) * KW + kw) * cols + (n * OH + oh) * OW + ow];
			}
		}
		dx[i] = s;
	}
}
