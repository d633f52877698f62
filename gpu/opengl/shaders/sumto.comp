// dst[o] = sum of x over the summed dimensions, for each output o (the
// gradient of a broadcast). The kept dimensions come sorted by their dst
// stride, largest first; an output no x element maps to is 0. With
// PER_GROUP a workgroup reduces one output; otherwise one invocation does.
// Sums are compensated.
#ifdef PER_GROUP
layout(local_size_x = 256) in;
shared float part[256];
#else
layout(local_size_x = 256) in;
#endif
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
uniform int nOut;
uniform int nk;
uniform int kShape[6];
uniform int kDst[6];
uniform int kX[6];
uniform int ns;
uniform int sShape[6];
uniform int sX[6];
uniform int total; // product of sShape

// base returns the x offset of output o, or -1 when no element maps to it.
int base(int o) {
	int off = 0, rem = o;
	for (int d = 0; d < nk; d++) {
		int idx = rem / kDst[d];
		if (idx >= kShape[d]) return -1;
		rem -= idx * kDst[d];
		off += idx * kX[d];
	}
	return rem == 0 ? off : -1;
}

int summedOffset(int r) {
	int off = 0;
	for (int d = ns - 1; d >= 0; d--) {
		int q = r / sShape[d];
		off += (r - q * sShape[d]) * sX[d];
		r = q;
	}
	return off;
}

void main() {
#ifdef PER_GROUP
	int t = int(gl_LocalInvocationIndex);
	for (int o = int(gl_WorkGroupID.x); o < nOut; o += int(gl_NumWorkGroups.x)) {
		int b = base(o);
		float s = 0.0, c = 0.0;
		if (b >= 0) {
			for (int r = t; r < total; r += 256) kadd(s, c, x[b + summedOffset(r)]);
		}
		part[t] = s;
		memoryBarrierShared();
		barrier();
		for (int h = 128; h > 0; h >>= 1) {
			if (t < h) part[t] += part[t + h];
			memoryBarrierShared();
			barrier();
		}
		if (t == 0) dst[o] = part[0];
		memoryBarrierShared();
		barrier();
	}
#else
	for (int o = int(gl_GlobalInvocationID.x); o < nOut; o += gridStride()) {
		int b = base(o);
		float s = 0.0, c = 0.0;
		if (b >= 0) {
			// An odometer over the summed dimensions, last fastest.
			int idx[6] = int[6](0, 0, 0, 0, 0, 0);
			int off = b;
			for (int r = 0; r < total; r++) {
				kadd(s, c, x[off]);
				for (int d = ns - 1; d >= 0; d--) {
					idx[d]++;
					off += sX[d];
					if (idx[d] < sShape[d]) break;
					off -= idx[d] * sX[d];
					idx[d] = 0;
				}
			}
		}
		dst[o] = s;
	}
#endif
}
