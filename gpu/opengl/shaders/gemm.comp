// C = alpha*op(A)*op(B) + beta*C, row-major, at offsets and leading
// dimensions (Nugteren's recipe): a workgroup computes a BM×BN tile of C
// from BK-deep slices of A and B staged in shared memory; each invocation
// keeps a TM×TN block of results in registers (2-D register blocking), in
// groups of 4 rows/columns strided so that the shared-memory reads of a
// warp are contiguous vec4s. Global loads of an operand stored along m (or
// n) are vec4 when its offset and leading dimension are multiples of 4
// (vecA, vecB), with a bounds-checked scalar path at the edges; an operand
// stored along k is read as four scalars per vec4. The next slice is
// fetched into registers while the current one is multiplied.
//
// Split-K: workgroup z covers k in [z*kChunk, min(K, (z+1)*kChunk)); with
// partial set it writes its raw sums to a scratch [splits, M, N] that
// gemm_reduce folds into C.
//
// Defines: BM, BN, BK, TM, TN (multiples of 4) and NT = (BM/TM)*(BN/TN), a
// literal because GLSL 4.30 layout qualifiers take no expressions.
#pragma optionNV(unroll all)
#define GM (TM / 4)
#define GN (TN / 4)
#define TX (BN / TN)
#define TY (BM / TM)
layout(local_size_x = NT) in;
layout(std430, binding = 0) readonly buffer A1 { float a1[]; };
layout(std430, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer B1 { float b1[]; };
layout(std430, binding = 1) readonly buffer B4 { vec4 b4[]; };
layout(std430, binding = 2) buffer C1 { float c1[]; };
uniform int M;
uniform int N;
uniform int K;
uniform int offA;
uniform int lda;
uniform int offB;
uniform int ldb;
uniform int offC;
uniform int ldc;
uniform int kChunk;
uniform bool transA;
uniform bool transB;
uniform bool vecA;
uniform bool vecB;
uniform bool partial;
uniform float alpha;
uniform float beta;

shared vec4 As[BK][BM / 4];
shared vec4 Bs[BK][BN / 4];

// The next slice's global values wait in registers (pa, pb) while the
// current slice is multiplied from shared memory, hiding the loads'
// latency: each invocation fetches LA vec4s of A and LB of B per slice.
// Every vec4 is four consecutive m (or n) values at one k, so it is stored
// whole: no invocation writes single components of a shared vec4, which
// drivers could implement as a racy read-modify-write.
#define LA ((BM * BK / 4 + NT - 1) / NT)
#define LB ((BN * BK / 4 + NT - 1) / NT)
vec4 pa[LA];
vec4 pb[LB];

void fetchA(int i0, int p0, int pEnd, int tid) {
	for (int s = 0; s < LA; s++) {
		int l = tid + s * NT;
		vec4 v = vec4(0.0);
		if (l < BM * BK / 4) {
			if (!transA) { // A[i, p] at i*lda + p: four rows at one k
				int iq = l / BK;
				int gp = p0 + (l - iq * BK), gi = i0 + iq * 4;
				if (gp < pEnd) {
					for (int q = 0; q < 4; q++) {
						if (gi + q < M) v[q] = a1[offA + (gi + q) * lda + gp];
					}
				}
			} else { // A[i, p] at p*lda + i: vec4 along m
				int pr = l / (BM / 4);
				int gi = i0 + (l - pr * (BM / 4)) * 4, gp = p0 + pr;
				if (gp < pEnd) {
					int at = offA + gp * lda + gi;
					if (vecA && gi + 3 < M) {
						v = a4[at >> 2];
					} else {
						for (int q = 0; q < 4; q++) {
							if (gi + q < M) v[q] = a1[at + q];
						}
					}
				}
			}
		}
		pa[s] = v;
	}
}

void fetchB(int j0, int p0, int pEnd, int tid) {
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		vec4 v = vec4(0.0);
		if (l < BN * BK / 4) {
			if (!transB) { // B[p, j] at p*ldb + j: vec4 along n
				int pr = l / (BN / 4);
				int gj = j0 + (l - pr * (BN / 4)) * 4, gp = p0 + pr;
				if (gp < pEnd) {
					int at = offB + gp * ldb + gj;
					if (vecB && gj + 3 < N) {
						v = b4[at >> 2];
					} else {
						for (int q = 0; q < 4; q++) {
							if (gj + q < N) v[q] = b1[at + q];
						}
					}
				}
			} else { // B[p, j] at j*ldb + p: four columns at one k
				int jq = l / BK;
				int gp = p0 + (l - jq * BK), gj = j0 + jq * 4;
				if (gp < pEnd) {
					for (int q = 0; q < 4; q++) {
						if (gj + q < N) v[q] = b1[offB + (gj + q) * ldb + gp];
					}
				}
			}
		}
		pb[s] = v;
	}
}

// stash writes the fetched slice to shared memory, k-major: As[k][m/4],
// Bs[k][n/4].
void stash(int tid) {
	for (int s = 0; s < LA; s++) {
		int l = tid + s * NT;
		if (l >= BM * BK / 4) break;
		if (!transA) {
			int iq = l / BK;
			As[l - iq * BK][iq] = pa[s];
		} else {
			int pr = l / (BM / 4);
			As[pr][l - pr * (BM / 4)] = pa[s];
		}
	}
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		if (l >= BN * BK / 4) break;
		if (!transB) {
			int pr = l / (BN / 4);
			Bs[pr][l - pr * (BN / 4)] = pb[s];
		} else {
			int jq = l / BK;
			Bs[l - jq * BK][jq] = pb[s];
		}
	}
}

void main() {
	int tid = int(gl_LocalInvocationIndex);
	int tx = tid % TX;
	int ty = tid / TX;
	int i0 = int(gl_WorkGroupID.y) * BM;
	int j0 = int(gl_WorkGroupID.x) * BN;
	int z = int(gl_WorkGroupID.z);
	int kBegin = z * kChunk;
	int kEnd = min(K, kBegin + kChunk);

	vec4 acc[TM][GN];
	for (int r = 0; r < TM; r++) {
		for (int g = 0; g < GN; g++) acc[r][g] = vec4(0.0);
	}
	fetchA(i0, kBegin, kEnd, tid);
	fetchB(j0, kBegin, kEnd, tid);
	for (int p0 = kBegin; p0 < kEnd; p0 += BK) {
		stash(tid);
		memoryBarrierShared();
		barrier();
		if (p0 + BK < kEnd) {
			fetchA(i0, p0 + BK, kEnd, tid);
			fetchB(j0, p0 + BK, kEnd, tid);
		}
		for (int kk = 0; kk < BK; kk++) {
			vec4 ra[GM];
			vec4 rb[GN];
			for (int g = 0; g < GM; g++) ra[g] = As[kk][g * TY + ty];
			for (int g = 0; g < GN; g++) rb[g] = Bs[kk][g * TX + tx];
			for (int gi = 0; gi < GM; gi++) {
				for (int r = 0; r < 4; r++) {
					float av = ra[gi][r];
					for (int gj = 0; gj < GN; gj++) acc[gi * 4 + r][gj] += av * rb[gj];
				}
			}
		}
		memoryBarrierShared();
		barrier();
	}

	for (int gi = 0; gi < GM; gi++) {
		for (int r = 0; r < 4; r++) {
			int row = i0 + gi * TY * 4 + ty * 4 + r;
			if (row >= M) continue;
			for (int gj = 0; gj < GN; gj++) {
				int col0 = j0 + gj * TX * 4 + tx * 4;
				for (int q = 0; q < 4; q++) {
					int col = col0 + q;
					if (col >= N) continue;
					float v = acc[gi * 4 + r][gj][q];
					if (partial) {
						c1[(z * M + row) * N + col] = v;
					} else {
						int at = offC + row * ldc + col;
						c1[at] = beta == 0.0 ? alpha * v : alpha * v + beta * c1[at];
					}
				}
			}
		}
	}
}
