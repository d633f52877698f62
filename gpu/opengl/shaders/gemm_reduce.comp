// C = alpha * (sum over the splits of the split-K partial products) + beta*C.
// With no splits it is the BLAS rule for k = 0 or alpha = 0: C = beta*C
// (C is overwritten when beta is 0).
layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer P { float part[]; };
layout(std430, binding = 1) buffer C1 { float c1[]; };
uniform int M;
uniform int N;
uniform int offC;
uniform int ldc;
uniform int splits;
uniform float alpha;
uniform float beta;

void main() {
	int total = M * N;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += gridStride()) {
		int row = i / N;
		int col = i - row * N;
		float s = 0.0;
		for (int z = 0; z < splits; z++) s += part[z * total + i];
		int at = offC + row * ldc + col;
		if (splits == 0) {
			c1[at] = beta == 0.0 ? 0.0 : (beta == 1.0 ? c1[at] : beta * c1[at]);
		} else {
			c1[at] = beta == 0.0 ? alpha * s : alpha * s + beta * c1[at];
		}
	}
}
