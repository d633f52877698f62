// Max pooling: dst and idx (the index of the maximum within its H×W plane;
// the first maximum in row-major order wins, a NaN wins over numbers).
// With RELU defined the pooled value is max(·, 0), NaN kept (ReLU and
// max-pooling fused; the index is the same).
#include "geom.glsl"
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
layout(std430, binding = 2) writeonly buffer I { float idx[]; };

void main() {
	int total = GN * GC * OH * OW;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int ow = i % OW;
		int oh = (i / OW) % OH;
		int p = i / (OW * OH);
		int b = p * GH * GW;
		float best = -INF_;
		int bi = -1;
		for (int kh = 0; kh < KH; kh++) {
			int ih = oh * SH - PH + kh;
			if (ih < 0 || ih >= GH) continue;
			for (int kw = 0; kw < KW; kw++) {
				int iw = ow * SW - PW + kw;
				if (iw < 0 || iw >= GW) continue;
				float v = x[b + ih * GW + iw];
				if (bi < 0 || v > best || isnan(v)) {
					best = v;
					bi = ih * GW + iw;
				}
			}
		}
#ifdef RELU
		if (!isnan(best)) best = max(best, 0.0);
#endif
		dst[i] = best;
		idx[i] = float(bi);
	}
}
