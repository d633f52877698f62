// Workgroup-wide reductions for kernels that give one workgroup a row.
// Every invocation of the workgroup must call them (uniform control flow).
#define WG 128
layout(local_size_x = WG) in;
shared float red[WG];

float groupSum(float v) {
	int t = int(gl_LocalInvocationIndex);
	red[t] = v;
	memoryBarrierShared();
	barrier();
	for (int h = WG / 2; h > 0; h >>= 1) {
		if (t < h) red[t] += red[t + h];
		memoryBarrierShared();
		barrier();
	}
	float r = red[0];
	memoryBarrierShared();
	barrier();
	return r;
}

float groupMax(float v) {
	int t = int(gl_LocalInvocationIndex);
	red[t] = v;
	memoryBarrierShared();
	barrier();
	for (int h = WG / 2; h > 0; h >>= 1) {
		if (t < h) {
			float o = red[t + h];
			red[t] = (isnan(o) || isnan(red[t])) ? NAN_ : max(red[t], o);
		}
		memoryBarrierShared();
		barrier();
	}
	float r = red[0];
	memoryBarrierShared();
	barrier();
	return r;
}

float rowMax(float m, float v) { return (isnan(v) || isnan(m)) ? NAN_ : max(m, v); }
