// Average pooling with padded cells counted in the divisor.
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
uniform float div;

void main() {
	int total = GN * GC * OH * OW;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int ow = i % OW;
		int oh = (i / OW) % OH;
		int b = (i / (OW * OH)) * GH * GW;
		float s = 0.0;
		for (int kh = 0; kh < KH; kh++) {
			int ih = oh * SH - PH + kh;
			if (ih < 0 || ih >= GH) continue;
			for (int kw = 0; kw < KW; kw++) {
				int iw = ow * SW - PW + kw;
				if (iw >= 0 && iw < GW) s += x[b + ih * GW + iw];
			}
		}
		dst[i] = s * div;
	}
}
