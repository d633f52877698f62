// col[(c*KH+kh)*KW+kw, (n*OH+oh)*OW+ow] = x[n, c, oh*SH-PH+kh*DH, ow*SW-PW+kw*DW],
// 0 outside the image.
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer COL { float col[]; };

void main() {
	int cols = GN * OH * OW;
	int total = GC * KH * KW * cols;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int r = i / cols;
		int j = i - r * cols;
		int kw = r % KW;
		int kh = (r / KW) % KH;
		int c = r / (KW * KH);
		int ow = j % OW;
		int oh = (j / OW) % OH;
		int n = j / (OW * OH);
		int ih = oh * SH - PH + kh * DH;
		int iw = ow * SW - PW + kw * DW;
		float v = 0.0;
		if (ih >= 0 && ih < GH && iw >= 0 && iw < GW) {
			v = x[((n * GC + c) * GH + ih) * GW + iw];
		}
		col[i] = v;
	}
}
