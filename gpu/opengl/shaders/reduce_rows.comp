// dst[r] = reduce(x[r*n .. r*n+n)): one workgroup per row.
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer D { float dst[]; };
uniform int rows;
uniform int n;
uniform int op; // 0 sum, 1 mean, 2 max
shared float part[256];

void main() {
	int t = int(gl_LocalInvocationIndex);
	for (int r = int(gl_WorkGroupID.x); r < rows; r += int(gl_NumWorkGroups.x)) {
		int b = r * n;
		float s = op == 2 ? -INF_ : 0.0, c = 0.0;
		for (int j = t; j < n; j += 256) {
			float v = x[b + j];
			if (op == 2) {
				s = (isnan(v) || isnan(s)) ? NAN_ : max(s, v);
			} else {
				kadd(s, c, v);
			}
		}
		part[t] = s;
		memoryBarrierShared();
		barrier();
		for (int h = 128; h > 0; h >>= 1) {
			if (t < h) {
				float o = part[t + h];
				if (op == 2) {
					part[t] = (isnan(o) || isnan(part[t])) ? NAN_ : max(part[t], o);
				} else {
					part[t] += o;
				}
			}
			memoryBarrierShared();
			barrier();
		}
		if (t == 0) dst[r] = op == 1 ? part[0] / float(n) : part[0];
		memoryBarrierShared();
		barrier();
	}
}
