// Implicit-GEMM convolution (NCHW): the tiled product of gemm.comp whose
// tile loads read the image through the convolution's index arithmetic,
// so no column matrix is ever written. MODE selects the product, per group
// gi (workgroup z / splits):
//
//   MODE 0, forward:  y[n, oc, oh, ow] = sum over (c, kh, kw) of
//                     w[oc, c, kh, kw] * x[n, c, ih, iw] (+ bias[oc])
//                     M = OC/G, N = batch*OH*OW, K = C/G*KH*KW
//   MODE 1, dx:       dx[n, c, ih, iw] = sum over (oc, kh, kw) of
//                     w[oc, c, kh, kw] * dy[n, oc, oh, ow], a gather per
//                     input pixel over the outputs that read it (no atomics),
//                     one dispatch per stride phase: the pixels with
//                     (ih+PH) % SH, (iw+PW) % SW fixed, which only the taps
//                     kh = kh0 + a*khStep (a < nKH), kw likewise, reach
//                     M = C/G, N = batch*nH*nW, K = OC/G*nKH*nKW
//   MODE 2, dw:       dw[oc, c, kh, kw] = sum over (n, oh, ow) of
//                     dy[n, oc, oh, ow] * x[n, c, ih, iw]
//                     M = OC/G, N = C/G*KH*KW, K = batch*OH*OW
//
// with ih = oh*SH - PH + kh*DH and iw = ow*SW - PW + kw*DW (0 outside the
// image). Split-K: workgroup z covers k in [s*kChunk, (s+1)*kChunk) of
// group z / splits and, with partial set, writes its raw sums to a scratch
// [G, splits, M, N] that the REDUCE variant of this file folds in a fixed
// order, so results never depend on scheduling.
//
// Defines: MODE; then either REDUCE, or BM, BN, BK, TM, TN and NT as in
// gemm.comp (NT a multiple of BN/4).
#pragma optionNV(unroll all)
#include "geom.glsl"
layout(std430, binding = 0) readonly buffer SA { float srcA[]; };
layout(std430, binding = 1) readonly buffer SB { float srcB[]; };
layout(std430, binding = 2) buffer OUT { float dst[]; };
layout(std430, binding = 3) readonly buffer BIAS { float bias[]; };
uniform int M;
uniform int N;
uniform int K;
uniform int OC; // all output channels
uniform int G;  // groups
// MODE 1's stride phase: the first ih and iw, their counts, then per axis
// the first tap, the taps' step and count.
uniform int ph[10];
#define IH0 ph[0]
#define IW0 ph[1]
#define NH ph[2]
#define NW ph[3]
#define KH0 ph[4]
#define KHS ph[5]
#define NKH ph[6]
#define KW0 ph[7]
#define KWS ph[8]
#define NKW ph[9]
uniform int splits;
uniform bool hasBias;

// store writes C[row, col] of group gi to its place in the output.
void store(int gi, int row, int col, float v) {
#if MODE == 0
	int p = OH * OW;
	int n = col / p;
	int oc = gi * M + row;
	dst[(n * OC + oc) * p + (col - n * p)] = hasBias ? v + bias[oc] : v;
#elif MODE == 1
	int n = col / (NH * NW);
	int t = col - n * (NH * NW);
	int th = t / NW;
	int ih = IH0 + th * SH, iw = IW0 + (t - th * NW) * SW;
	dst[((n * GC + gi * M + row) * GH + ih) * GW + iw] = v;
#else
	dst[(gi * M + row) * N + col] = v;
#endif
}

#ifdef REDUCE
layout(local_size_x = 256) in;
// Each output sums its splits in order: srcA is the scratch.
void main() {
	int gi = int(gl_WorkGroupID.y);
	int total = M * N;
	for (int i = int(gl_GlobalInvocationID.x); i < total; i += int(gl_NumWorkGroups.x * gl_WorkGroupSize.x)) {
		float s = 0.0;
		for (int z = 0; z < splits; z++) s += srcA[(gi * splits + z) * total + i];
		int row = i / N;
		store(gi, row, i - row * N, s);
	}
}
#else
#define RM4 (TM / 4)
#define RN4 (TN / 4)
#define TX (BN / TN)
#define TY (BM / TM)
layout(local_size_x = NT) in;
uniform int kChunk;
uniform bool partial;

shared vec4 As[BK][BM / 4];
shared vec4 Bs[BK][BN / 4];

#define LA ((BM * BK / 4 + NT - 1) / NT)
#define LB ((BN * BK / 4 + NT - 1) / NT)
vec4 pa[LA];
vec4 pb[LB];

int gi; // this workgroup's group
int cg; // input channels per group

// A is read as four rows at one k (k-major, like gemm.comp's untransposed
// A): consecutive invocations read consecutive k of one row. A[i, p] is
// srcA[i * aRowStride + aCol(p)], so the four rows share aCol's divisions.
#if MODE == 0 // w[gi*M + i, p]
#define aRowStride K
int aCol(int p) { return gi * M * K + p; }
#elif MODE == 1 // w[gi*OCg + oc, i, kh, kw] for p = (oc, the phase's tap)
#define aRowStride (KH * KW)
int aCol(int p) {
	int taps = NKH * NKW;
	int oc = p / taps;
	int t = p - oc * taps;
	int a = t / NKW;
	int kh = KH0 + a * KHS, kw = KW0 + (t - a * NKW) * KWS;
	return (gi * (OC / G) + oc) * M * (KH * KW) + kh * KW + kw;
}
#else // dy[n, gi*M + i, pix] for p = (n, pix)
#define aRowStride (OH * OW)
int aCol(int p) {
	int op = OH * OW;
	int n = p / op;
	return (n * OC + gi * M) * op + (p - n * op);
}
#endif

void fetchA(int i0, int p0, int pEnd, int tid) {
	for (int s = 0; s < LA; s++) {
		int l = tid + s * NT;
		vec4 v = vec4(0.0);
		if (l < BM * BK / 4) {
			int iq = l / BK;
			int gp = p0 + (l - iq * BK), r = i0 + iq * 4;
			if (gp < pEnd) {
				int at = aCol(gp) + r * aRowStride;
				for (int q = 0; q < 4; q++) {
					if (r + q < M) v[q] = srcA[at + q * aRowStride];
				}
			}
		}
		pa[s] = v;
	}
}

#if MODE != 2
// B is read as four consecutive columns at one k. Each invocation always
// loads the same four columns (NT is a multiple of BN/4), so their index
// arithmetic is done once: colBase, colH, colW.
int colBase[4];
int colH[4];
int colW[4];

void initColumns(int j0, int tid) {
	int j = j0 + (tid % (BN / 4)) * 4;
	for (int q = 0; q < 4; q++) {
		colBase[q] = -1;
		if (j + q >= N) continue;
#if MODE == 0 // column (n, oh, ow): the window's corner in x
		int p = OH * OW;
		int n = (j + q) / p;
		int pix = j + q - n * p;
		int oh = pix / OW;
		colH[q] = oh * SH - PH;
		colW[q] = (pix - oh * OW) * SW - PW;
		colBase[q] = (n * GC + gi * cg) * GH * GW;
#else // column (n, ih, iw) of the phase: oh = colH - tap's row (below)
		int n = (j + q) / (NH * NW);
		int t = j + q - n * (NH * NW);
		int th = t / NW;
		colH[q] = th + (IH0 + PH) / SH;
		colW[q] = (t - th * NW) + (IW0 + PW) / SW;
		colBase[q] = (n * OC + gi * (OC / G)) * OH * OW;
#endif
	}
}

void fetchB(int j0, int p0, int pEnd, int tid) {
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		vec4 v = vec4(0.0);
		if (l < BN * BK / 4) {
			int gp = p0 + l / (BN / 4);
			if (gp < pEnd) {
#if MODE == 0
				int kk = KH * KW;
				int c = gp / kk; // input channel
				int r = gp - c * kk;
				int kh = r / KW;
				int kw = r - kh * KW;
#else
				int taps = NKH * NKW;
				int c = gp / taps; // output channel
				int t = gp - c * taps;
				int a = t / NKW;
				int kh = KH0 + a * KHS, kw = KW0 + (t - a * NKW) * KWS;
				// ih + PH - kh*DH = oh*SH, and in the phase ih + PH and
				// kh*DH leave the same remainder mod SH: oh = colH - dh.
				int dh = kh * DH / SH, dw = kw * DW / SW;
#endif
				for (int q = 0; q < 4; q++) {
					if (colBase[q] < 0) continue;
#if MODE == 0
					int ih = colH[q] + kh * DH, iw = colW[q] + kw * DW;
					if (ih >= 0 && ih < GH && iw >= 0 && iw < GW) {
						v[q] = srcB[colBase[q] + (c * GH + ih) * GW + iw];
					}
#else
					int oh = colH[q] - dh, ow = colW[q] - dw;
					if (oh >= 0 && oh < OH && ow >= 0 && ow < OW) v[q] = srcB[colBase[q] + (c * OH + oh) * OW + ow];
#endif
				}
			}
		}
		pb[s] = v;
	}
}

void stashB(int tid) {
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		if (l >= BN * BK / 4) break;
		int pr = l / (BN / 4);
		Bs[pr][l - pr * (BN / 4)] = pb[s];
	}
}
#else
// dw: B[p, j] = x[n, gi*cg + c, ih, iw] for p = (n, oh, ow), j = (c, kh,
// kw), read as four columns at one k, like gemm.comp's transposed B. The
// columns an invocation loads are fixed, so their offsets are computed
// once: colOff (within the image), colH and colW (the tap's offsets).
int colOff[LB][4];
int colH[LB][4];
int colW[LB][4];

void initColumns(int j0, int tid) {
	int kk = KH * KW;
	for (int s = 0; s < LB; s++) {
		int jq = (tid + s * NT) / BK;
		for (int q = 0; q < 4; q++) {
			int j = j0 + jq * 4 + q;
			colOff[s][q] = -1;
			if (j >= N) continue;
			int c = j / kk;
			int r = j - c * kk;
			int kh = r / KW;
			colH[s][q] = kh * DH;
			colW[s][q] = (r - kh * KW) * DW;
			colOff[s][q] = (c * GH + colH[s][q]) * GW + colW[s][q];
		}
	}
}

void fetchB(int j0, int p0, int pEnd, int tid) {
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		vec4 v = vec4(0.0);
		if (l < BN * BK / 4) {
			int gp = p0 + (l - (l / BK) * BK);
			if (gp < pEnd) {
				int op = OH * OW;
				int n = gp / op;
				int pix = gp - n * op;
				int oh = pix / OW;
				int ih0 = oh * SH - PH, iw0 = (pix - oh * OW) * SW - PW;
				int base = (n * GC + gi * cg) * GH * GW + ih0 * GW + iw0;
				for (int q = 0; q < 4; q++) {
					if (colOff[s][q] < 0) continue;
					int ih = ih0 + colH[s][q], iw = iw0 + colW[s][q];
					if (ih >= 0 && ih < GH && iw >= 0 && iw < GW) v[q] = srcB[base + colOff[s][q]];
				}
			}
		}
		pb[s] = v;
	}
}

void stashB(int tid) {
	for (int s = 0; s < LB; s++) {
		int l = tid + s * NT;
		if (l >= BN * BK / 4) break;
		int jq = l / BK;
		Bs[l - jq * BK][jq] = pb[s];
	}
}
#endif

void stash(int tid) {
	for (int s = 0; s < LA; s++) {
		int l = tid + s * NT;
		if (l >= BM * BK / 4) break;
		int iq = l / BK;
		As[l - iq * BK][iq] = pa[s];
	}
	stashB(tid);
}

void main() {
	int tid = int(gl_LocalInvocationIndex);
	int tx = tid % TX;
	int ty = tid / TX;
	int i0 = int(gl_WorkGroupID.y) * BM;
	int z = int(gl_WorkGroupID.z);
	gi = z / splits;
	int sp = z - gi * splits;
	cg = GC / G;
	int kBegin = sp * kChunk;
	int kEnd = min(K, kBegin + kChunk);
	int tilesX = (N + BN - 1) / BN;
	// Column tiles in a grid-stride loop: more than a dispatch can count.
	for (int tile = int(gl_WorkGroupID.x); tile < tilesX; tile += int(gl_NumWorkGroups.x)) {
		int j0 = tile * BN;
		initColumns(j0, tid);
		vec4 acc[TM][RN4];
		for (int r = 0; r < TM; r++) {
			for (int g = 0; g < RN4; g++) acc[r][g] = vec4(0.0);
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
				vec4 ra[RM4];
				vec4 rb[RN4];
				for (int g = 0; g < RM4; g++) ra[g] = As[kk][g * TY + ty];
				for (int g = 0; g < RN4; g++) rb[g] = Bs[kk][g * TX + tx];
				for (int a = 0; a < RM4; a++) {
					for (int r = 0; r < 4; r++) {
						float av = ra[a][r];
						for (int b = 0; b < RN4; b++) acc[a * 4 + r][b] += av * rb[b];
					}
				}
			}
			memoryBarrierShared();
			barrier();
		}
		for (int a = 0; a < RM4; a++) {
			for (int r = 0; r < 4; r++) {
				int row = i0 + a * TY * 4 + ty * 4 + r;
				if (row >= M) continue;
				for (int b = 0; b < RN4; b++) {
					int col0 = j0 + b * TX * 4 + tx * 4;
					for (int q = 0; q < 4; q++) {
						int col = col0 + q;
						if (col >= N) continue;
						float v = acc[a * 4 + r][b][q];
						if (partial) {
							dst[((gi * splits + sp) * M + row) * N + col] = v;
						} else {
							store(gi, row, col, v);
						}
					}
				}
			}
		}
	}
}
#endif
