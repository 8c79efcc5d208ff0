/*
 * prefill_attn.cu - causal prefill and chunked-prefill attention on tensor
 * cores (prefill_attn.h), FlashAttention-2 style.
 *
 * CTA = NW warps for BM = 16 NW query rows of one query head of one
 * sequence; grid (query head, query tile, sequence), query heads fastest so
 * the CTAs that share a KV head run together and share it in L2, and the
 * query tiles in reverse so the longest (last) tiles start first. Each warp
 * keeps its 16 query rows as mma.sync A fragments in registers, streams
 * 64-key K/V tiles through shared memory (two stages, cp.async, zero-filled
 * past the end; 16-byte chunks XOR-swizzled by row so ldmatrix is
 * conflict-free), computes S = Q K^T with m16n8k16 bf16 mma (fp32
 * accumulate), runs the online softmax in the exp2 domain in registers,
 * turns P into A fragments without leaving registers and accumulates
 * O += P V (V fragments by ldmatrix.trans). The causal mask is applied only
 * on tiles that cross the diagonal; tiles wholly above a warp's rows are
 * skipped by that warp. Variants (kern_prefill_args.variant): 1, NW = 4
 * (64-row CTAs, two per SM); 2, NW = 8 (128-row CTAs, one per SM); 3,
 * 32 rows per warp (below); 4, the same loop on wgmma
 * (prefill_attn_sm90a.cu); 5, wgmma with two query heads of one KV head
 * per 64-row CTA (4 where the GQA group is odd); 6, variant 4 over
 * split work items and a combine kernel; 7 and 8, one CTA per SM with
 * the products of consecutive tiles in flight together, 8 with a loading
 * warpgroup (all in prefill_attn_sm90a.cu); 0 = 4 where the device runs
 * sm_90a code, else 1 (the fastest measured, docs/model-kernels.md), 8
 * for grids of at most one wave (pick_ws), and 5 instead of 4 for other
 * small grids (pick_head_pair).
 *
 * kern_prefill_attn_ref is the naive fp32 reference: one CTA per (query
 * row, head), 128 keys at a time, fp32 dot products and online softmax.
 */
#include <cuda_bf16.h>
#include <math.h>

#include "kern_cuda.h"
#include "prefill_attn.h"
#include "prefill_attn_impl.h"

template <int NW>
__device__ __forceinline__ void load_tile(uint32_t ks, uint32_t vs,
					  const __nv_bfloat16 *k,
					  const __nv_bfloat16 *v,
					  uint64_t stride, uint32_t n0,
					  uint32_t kv_len)
{
#pragma unroll
	for (int it = 0; it < PA_BN * 16 / (NW * 32); it++) {
		uint32_t i = threadIdx.x + it * NW * 32;
		uint32_t row = i >> 4, c = i & 15;
		uint32_t key = n0 + row;
		int ok = key < kv_len;
		uint64_t off = ok ? (uint64_t)key * stride + c * 8 : 0;
		cp_async16(ks + swz(row, c), k + off, ok ? 16 : 0);
		cp_async16(vs + swz(row, c), v + off, ok ? 16 : 0);
	}
	asm volatile("cp.async.commit_group;\n" ::);
}

template <int NW>
__global__ void __launch_bounds__(NW * 32, NW == 8 ? 1 : 2)
	prefill_attn_kernel(const pa_params p)
{
	extern __shared__ __align__(128) unsigned char pa_smem[];
	const uint32_t seq = blockIdx.z, h = blockIdx.x;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, t = lane & 3;
	const int BM = NW * 16;
	uint32_t q_begin = 0, kv_begin = 0, q_len = p.q_len, kv_len = p.kv_len;

	if (p.cu_q) {
		q_begin = p.cu_q[seq];
		q_len = p.cu_q[seq + 1] - q_begin;
		kv_begin = p.cu_kv[seq];
		kv_len = p.cu_kv[seq + 1] - kv_begin;
	}
	const uint32_t qt = gridDim.y - 1 - blockIdx.y;
	const uint32_t m0 = qt * BM;
	if (m0 >= q_len)
		return;
	const uint32_t off = kv_len - q_len; /* position of query row 0 */
	const uint32_t kvh = h / p.group;
	const uint32_t n_keys = min(kv_len, off + m0 + BM);
	const uint32_t n_tiles = (n_keys + PA_BN - 1) / PA_BN;
	const uint32_t r0 = m0 + warp * 16;           /* warp's first row */
	const uint32_t wpos_lo = off + r0, wpos_hi = off + r0 + 15;

	const __nv_bfloat16 *kbase =
		p.k + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const __nv_bfloat16 *vbase =
		p.v + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const uint32_t ks0 = smem_u32(pa_smem);
	const uint32_t tile_bytes = PA_BN * PA_D * 2;
	/* stage s: K at ks0 + 2 s tile, V right after */

	load_tile<NW>(ks0, ks0 + tile_bytes, kbase, vbase, p.kv_stride, 0,
		      kv_len);

	/* Q fragments straight from global memory (read once) */
	uint32_t qf[8][4];
	{
		const uint32_t ra = r0 + g, rb = r0 + g + 8;
		const uint32_t *qa = reinterpret_cast<const uint32_t *>(
			p.q + (uint64_t)(q_begin + ra) * p.q_stride + h * PA_D);
		const uint32_t *qb = reinterpret_cast<const uint32_t *>(
			p.q + (uint64_t)(q_begin + rb) * p.q_stride + h * PA_D);
#pragma unroll
		for (int kk = 0; kk < 8; kk++) {
			qf[kk][0] = ra < q_len ? qa[kk * 8 + t] : 0u;
			qf[kk][1] = rb < q_len ? qb[kk * 8 + t] : 0u;
			qf[kk][2] = ra < q_len ? qa[kk * 8 + 4 + t] : 0u;
			qf[kk][3] = rb < q_len ? qb[kk * 8 + 4 + t] : 0u;
		}
	}

	float o[16][4];
#pragma unroll
	for (int i = 0; i < 16; i++)
		o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
	float m[2] = { -INFINITY, -INFINITY }, l[2] = { 0.0f, 0.0f };

	for (uint32_t j = 0; j < n_tiles; j++) {
		const uint32_t st = j & 1;
		if (j + 1 < n_tiles) {
			uint32_t ns = (j + 1) & 1;
			load_tile<NW>(ks0 + ns * 2 * tile_bytes,
				      ks0 + ns * 2 * tile_bytes + tile_bytes,
				      kbase, vbase, p.kv_stride,
				      (j + 1) * PA_BN, kv_len);
			asm volatile("cp.async.wait_group 1;\n" ::);
		} else {
			asm volatile("cp.async.wait_group 0;\n" ::);
		}
		__syncthreads();

		const uint32_t n0 = j * PA_BN;
		if (n0 <= wpos_hi) {
			const uint32_t ks = ks0 + st * 2 * tile_bytes;
			const uint32_t vs = ks + tile_bytes;
			float s[8][4];
#pragma unroll
			for (int i = 0; i < 8; i++)
				s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.0f;
			/* S = Q K^T: lane addresses key jn*8 + lane%8,
			 * chunk kk2*4 + lane/8 */
#pragma unroll
			for (int kk2 = 0; kk2 < 4; kk2++) {
#pragma unroll
				for (int jn = 0; jn < 8; jn++) {
					uint32_t b0, b1, b2, b3;
					uint32_t row = jn * 8 + (lane & 7);
					ldsm_x4(ks + swz(row, kk2 * 4 + (lane >> 3)),
						b0, b1, b2, b3);
					mma16816(s[jn], qf[2 * kk2], b0, b1);
					mma16816(s[jn], qf[2 * kk2 + 1], b2, b3);
				}
			}
			/* causal mask, only where the tile crosses the
			 * diagonal of this warp's rows */
			if (n0 + PA_BN - 1 > wpos_lo) {
#pragma unroll
				for (int jn = 0; jn < 8; jn++) {
#pragma unroll
					for (int e = 0; e < 4; e++) {
						uint32_t key = n0 + jn * 8 + 2 * t + (e & 1);
						uint32_t pos = wpos_lo + g + (e >= 2 ? 8 : 0);
						if (key > pos)
							s[jn][e] = -INFINITY;
					}
				}
			}
			/* online softmax, rows g (e = 0,1) and g+8 (e = 2,3) */
#pragma unroll
			for (int rh = 0; rh < 2; rh++) {
				float mx = -INFINITY;
#pragma unroll
				for (int jn = 0; jn < 8; jn++)
					mx = fmaxf(mx, fmaxf(s[jn][2 * rh],
							     s[jn][2 * rh + 1]));
				mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
				mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
				float mnew = fmaxf(m[rh], mx * p.scale_log2);
				float msub = mnew == -INFINITY ? 0.0f : mnew;
				float alpha = exp2f(m[rh] - msub);
				float sum = 0.0f;
#pragma unroll
				for (int jn = 0; jn < 8; jn++) {
					float x0 = exp2f(fmaf(s[jn][2 * rh], p.scale_log2, -msub));
					float x1 = exp2f(fmaf(s[jn][2 * rh + 1], p.scale_log2, -msub));
					s[jn][2 * rh] = x0;
					s[jn][2 * rh + 1] = x1;
					sum += x0 + x1;
				}
				l[rh] = l[rh] * alpha + sum;
				m[rh] = mnew;
#pragma unroll
				for (int dn = 0; dn < 16; dn++) {
					o[dn][2 * rh] *= alpha;
					o[dn][2 * rh + 1] *= alpha;
				}
			}
			/* O += P V */
#pragma unroll
			for (int kc = 0; kc < 4; kc++) {
				uint32_t a[4];
				a[0] = pack_bf2(s[2 * kc][0], s[2 * kc][1]);
				a[1] = pack_bf2(s[2 * kc][2], s[2 * kc][3]);
				a[2] = pack_bf2(s[2 * kc + 1][0], s[2 * kc + 1][1]);
				a[3] = pack_bf2(s[2 * kc + 1][2], s[2 * kc + 1][3]);
#pragma unroll
				for (int dn2 = 0; dn2 < 8; dn2++) {
					uint32_t b0, b1, b2, b3;
					uint32_t row = kc * 16 + (lane & 15);
					ldsm_x4_t(vs + swz(row, dn2 * 2 + (lane >> 4)),
						  b0, b1, b2, b3);
					mma16816(o[2 * dn2], a, b0, b1);
					mma16816(o[2 * dn2 + 1], a, b2, b3);
				}
			}
		}
		__syncthreads();
	}

	/* normalise and write */
#pragma unroll
	for (int rh = 0; rh < 2; rh++) {
		float lt = l[rh];
		lt += __shfl_xor_sync(0xffffffffu, lt, 1);
		lt += __shfl_xor_sync(0xffffffffu, lt, 2);
		const float inv = lt > 0 ? 1.0f / lt : 0.0f;
		const uint32_t row = r0 + g + rh * 8;
		if (row < q_len) {
			uint32_t *dst = reinterpret_cast<uint32_t *>(
				p.out + (uint64_t)(q_begin + row) * p.out_stride +
				h * PA_D);
#pragma unroll
			for (int dn = 0; dn < 16; dn++)
				dst[dn * 4 + t] = pack_bf2(o[dn][2 * rh] * inv,
							   o[dn][2 * rh + 1] * inv);
		}
	}
}

/*
 * Variant 2: each warp takes 32 query rows (two m16 tiles) so every K and
 * V fragment loaded from shared memory feeds two MMAs (FlashAttention-2's
 * split for head_dim 128); Q then lives in shared memory (swizzled like
 * K/V, loaded with tile 0) and its A fragments are re-read per tile, as
 * registers cannot hold 32 rows of Q beside 32 rows of O. 4 warps, BM 128,
 * 96 KiB of shared memory, two CTAs per SM.
 */
template <int NW>
__global__ void __launch_bounds__(NW * 32, 2)
	prefill_attn_m32_kernel(const pa_params p)
{
	extern __shared__ __align__(128) unsigned char pa_smem[];
	const uint32_t seq = blockIdx.z, h = blockIdx.x;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, t = lane & 3;
	const int BM = NW * 32;
	uint32_t q_begin = 0, kv_begin = 0, q_len = p.q_len, kv_len = p.kv_len;

	if (p.cu_q) {
		q_begin = p.cu_q[seq];
		q_len = p.cu_q[seq + 1] - q_begin;
		kv_begin = p.cu_kv[seq];
		kv_len = p.cu_kv[seq + 1] - kv_begin;
	}
	const uint32_t qt = gridDim.y - 1 - blockIdx.y;
	const uint32_t m0 = qt * BM;
	if (m0 >= q_len)
		return;
	const uint32_t off = kv_len - q_len;
	const uint32_t kvh = h / p.group;
	const uint32_t n_keys = min(kv_len, off + m0 + BM);
	const uint32_t n_tiles = (n_keys + PA_BN - 1) / PA_BN;
	const uint32_t r0 = m0 + warp * 32;
	const uint32_t wpos_lo = off + r0, wpos_hi = off + r0 + 31;

	const __nv_bfloat16 *kbase =
		p.k + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const __nv_bfloat16 *vbase =
		p.v + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const uint32_t qs0 = smem_u32(pa_smem);
	const uint32_t ks0 = qs0 + BM * PA_D * 2;
	const uint32_t tile_bytes = PA_BN * PA_D * 2;

	for (uint32_t i = threadIdx.x; i < (uint32_t)BM * 16; i += NW * 32) {
		uint32_t row = i >> 4, c = i & 15;
		int ok = m0 + row < q_len;
		const __nv_bfloat16 *src =
			ok ? p.q + (uint64_t)(q_begin + m0 + row) * p.q_stride +
				     h * PA_D + c * 8
			   : p.q;
		cp_async16(qs0 + swz(row, c), src, ok ? 16 : 0);
	}
	load_tile<NW>(ks0, ks0 + tile_bytes, kbase, vbase, p.kv_stride, 0,
		      kv_len);

	float o[2][16][4];
#pragma unroll
	for (int mt = 0; mt < 2; mt++)
#pragma unroll
		for (int i = 0; i < 16; i++)
			o[mt][i][0] = o[mt][i][1] = o[mt][i][2] = o[mt][i][3] = 0.0f;
	float m[2][2] = { { -INFINITY, -INFINITY }, { -INFINITY, -INFINITY } };
	float l[2][2] = { { 0.0f, 0.0f }, { 0.0f, 0.0f } };

	for (uint32_t j = 0; j < n_tiles; j++) {
		const uint32_t st = j & 1;
		if (j + 1 < n_tiles) {
			uint32_t ns = (j + 1) & 1;
			load_tile<NW>(ks0 + ns * 2 * tile_bytes,
				      ks0 + ns * 2 * tile_bytes + tile_bytes,
				      kbase, vbase, p.kv_stride,
				      (j + 1) * PA_BN, kv_len);
			asm volatile("cp.async.wait_group 1;\n" ::);
		} else {
			asm volatile("cp.async.wait_group 0;\n" ::);
		}
		__syncthreads();

		const uint32_t n0 = j * PA_BN;
		if (n0 <= wpos_hi) {
			const uint32_t ks = ks0 + st * 2 * tile_bytes;
			const uint32_t vs = ks + tile_bytes;
			float s[2][8][4];
#pragma unroll
			for (int mt = 0; mt < 2; mt++)
#pragma unroll
				for (int i = 0; i < 8; i++)
					s[mt][i][0] = s[mt][i][1] = s[mt][i][2] =
						s[mt][i][3] = 0.0f;
#pragma unroll
			for (int kk2 = 0; kk2 < 4; kk2++) {
				uint32_t qa[2][2][4];
#pragma unroll
				for (int mt = 0; mt < 2; mt++)
#pragma unroll
					for (int kq = 0; kq < 2; kq++) {
						uint32_t row = warp * 32 + mt * 16 + (lane & 15);
						ldsm_x4(qs0 + swz(row, (2 * kk2 + kq) * 2 + (lane >> 4)),
							qa[mt][kq][0], qa[mt][kq][1],
							qa[mt][kq][2], qa[mt][kq][3]);
					}
#pragma unroll
				for (int jn = 0; jn < 8; jn++) {
					uint32_t b0, b1, b2, b3;
					uint32_t row = jn * 8 + (lane & 7);
					ldsm_x4(ks + swz(row, kk2 * 4 + (lane >> 3)),
						b0, b1, b2, b3);
#pragma unroll
					for (int mt = 0; mt < 2; mt++) {
						mma16816(s[mt][jn], qa[mt][0], b0, b1);
						mma16816(s[mt][jn], qa[mt][1], b2, b3);
					}
				}
			}
			if (n0 + PA_BN - 1 > wpos_lo) {
#pragma unroll
				for (int mt = 0; mt < 2; mt++)
#pragma unroll
				for (int jn = 0; jn < 8; jn++)
#pragma unroll
				for (int e = 0; e < 4; e++) {
					uint32_t key = n0 + jn * 8 + 2 * t + (e & 1);
					uint32_t pos = wpos_lo + mt * 16 + g + (e >= 2 ? 8 : 0);
					if (key > pos)
						s[mt][jn][e] = -INFINITY;
				}
			}
#pragma unroll
			for (int mt = 0; mt < 2; mt++)
#pragma unroll
			for (int rh = 0; rh < 2; rh++) {
				float mx = -INFINITY;
#pragma unroll
				for (int jn = 0; jn < 8; jn++)
					mx = fmaxf(mx, fmaxf(s[mt][jn][2 * rh],
							     s[mt][jn][2 * rh + 1]));
				mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
				mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
				float mnew = fmaxf(m[mt][rh], mx * p.scale_log2);
				float msub = mnew == -INFINITY ? 0.0f : mnew;
				float alpha = exp2f(m[mt][rh] - msub);
				float sum = 0.0f;
#pragma unroll
				for (int jn = 0; jn < 8; jn++) {
					float x0 = exp2f(fmaf(s[mt][jn][2 * rh], p.scale_log2, -msub));
					float x1 = exp2f(fmaf(s[mt][jn][2 * rh + 1], p.scale_log2, -msub));
					s[mt][jn][2 * rh] = x0;
					s[mt][jn][2 * rh + 1] = x1;
					sum += x0 + x1;
				}
				l[mt][rh] = l[mt][rh] * alpha + sum;
				m[mt][rh] = mnew;
#pragma unroll
				for (int dn = 0; dn < 16; dn++) {
					o[mt][dn][2 * rh] *= alpha;
					o[mt][dn][2 * rh + 1] *= alpha;
				}
			}
#pragma unroll
			for (int kc = 0; kc < 4; kc++) {
				uint32_t a[2][4];
#pragma unroll
				for (int mt = 0; mt < 2; mt++) {
					a[mt][0] = pack_bf2(s[mt][2 * kc][0], s[mt][2 * kc][1]);
					a[mt][1] = pack_bf2(s[mt][2 * kc][2], s[mt][2 * kc][3]);
					a[mt][2] = pack_bf2(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
					a[mt][3] = pack_bf2(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
				}
#pragma unroll
				for (int dn2 = 0; dn2 < 8; dn2++) {
					uint32_t b0, b1, b2, b3;
					uint32_t row = kc * 16 + (lane & 15);
					ldsm_x4_t(vs + swz(row, dn2 * 2 + (lane >> 4)),
						  b0, b1, b2, b3);
#pragma unroll
					for (int mt = 0; mt < 2; mt++) {
						mma16816(o[mt][2 * dn2], a[mt], b0, b1);
						mma16816(o[mt][2 * dn2 + 1], a[mt], b2, b3);
					}
				}
			}
		}
		__syncthreads();
	}

#pragma unroll
	for (int mt = 0; mt < 2; mt++)
#pragma unroll
	for (int rh = 0; rh < 2; rh++) {
		float lt = l[mt][rh];
		lt += __shfl_xor_sync(0xffffffffu, lt, 1);
		lt += __shfl_xor_sync(0xffffffffu, lt, 2);
		const float inv = lt > 0 ? 1.0f / lt : 0.0f;
		const uint32_t row = r0 + mt * 16 + g + rh * 8;
		if (row < q_len) {
			uint32_t *dst = reinterpret_cast<uint32_t *>(
				p.out + (uint64_t)(q_begin + row) * p.out_stride +
				h * PA_D);
#pragma unroll
			for (int dn = 0; dn < 16; dn++)
				dst[dn * 4 + t] = pack_bf2(o[mt][dn][2 * rh] * inv,
							   o[mt][dn][2 * rh + 1] * inv);
		}
	}
}

static int aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

static int check_args(const struct kern_prefill_args *a, int chunked,
		      struct ss_err *err)
{
	const char *who = chunked ? "chunked prefill attention"
				  : "prefill attention";

	if (!a)
		return ss_error(err, SS_EINVAL, "%s: NULL arguments", who);
	if (a->head_dim != PA_D)
		return ss_error(err, SS_EINVAL,
				"%s: field 'head_dim' is %u; only %u is "
				"supported",
				who, a->head_dim, PA_D);
	if (!a->n_kv_heads || !a->n_q_heads || a->n_q_heads % a->n_kv_heads ||
	    a->n_q_heads > 65535)
		return ss_error(err, SS_EINVAL,
				"%s: field 'n_q_heads' (%u) must be a positive "
				"multiple of 'n_kv_heads' (%u), at most 65535",
				who, a->n_q_heads, a->n_kv_heads);
	if (!a->q || !a->k || !a->v || !a->out)
		return ss_error(err, SS_EINVAL, "%s: NULL q, k, v or out",
				who);
	if (!aligned16(a->q) || !aligned16(a->k) || !aligned16(a->v) ||
	    !aligned16(a->out))
		return ss_error(err, SS_EINVAL,
				"%s: q, k, v and out must be 16-byte aligned",
				who);
	if (a->q_stride % 8 || a->kv_stride % 8 || a->out_stride % 2 ||
	    a->q_stride < (uint64_t)a->n_q_heads * PA_D ||
	    a->out_stride < (uint64_t)a->n_q_heads * PA_D ||
	    a->kv_stride < (uint64_t)a->n_kv_heads * PA_D)
		return ss_error(err, SS_EINVAL,
				"%s: fields 'q_stride' (%llu), 'kv_stride' "
				"(%llu), 'out_stride' (%llu) must hold the heads "
				"and be multiples of 8 (8, 8, 2)",
				who, (unsigned long long)a->q_stride,
				(unsigned long long)a->kv_stride,
				(unsigned long long)a->out_stride);
	if (!(a->scale > 0) || !isfinite(a->scale))
		return ss_error(err, SS_EINVAL, "%s: field 'scale' must be > 0",
				who);
	if (a->variant > 8)
		return ss_error(err, SS_EINVAL,
				"%s: field 'variant' is %u; 0 to 8", who,
				a->variant);
	if (!a->n_seqs)
		return ss_error(err, SS_EINVAL, "%s: field 'n_seqs' is 0", who);
	if (a->n_seqs == 1 && !a->cu_q) {
		if (a->cu_kv)
			return ss_error(err, SS_EINVAL,
					"%s: 'cu_kv' given without 'cu_q'",
					who);
		if (a->q_len > a->kv_len || a->kv_len > INT32_MAX)
			return ss_error(err, SS_EINVAL,
					"%s: field 'q_len' (%u) exceeds "
					"'kv_len' (%u) or kv_len is too large",
					who, a->q_len, a->kv_len);
		if (!chunked && a->q_len != a->kv_len)
			return ss_error(err, SS_EINVAL,
					"%s: 'q_len' (%u) != 'kv_len' (%u); "
					"use the chunked kernel",
					who, a->q_len, a->kv_len);
	} else {
		if (!a->cu_q || !a->cu_kv)
			return ss_error(err, SS_EINVAL,
					"%s: %u sequences need 'cu_q' and "
					"'cu_kv'",
					who, a->n_seqs);
		if (a->n_seqs > 65535)
			return ss_error(err, SS_EINVAL,
					"%s: field 'n_seqs' (%u) exceeds 65535",
					who, a->n_seqs);
	}
	return 0;
}

static void fill_params(pa_params *p, const struct kern_prefill_args *a)
{
	p->q = (const __nv_bfloat16 *)a->q;
	p->k = (const __nv_bfloat16 *)a->k;
	p->v = (const __nv_bfloat16 *)a->v;
	p->out = (__nv_bfloat16 *)a->out;
	p->q_stride = a->q_stride;
	p->kv_stride = a->kv_stride;
	p->out_stride = a->out_stride;
	p->group = a->n_q_heads / a->n_kv_heads;
	p->scale_log2 = a->scale * PA_LOG2E;
	p->q_len = a->q_len;
	p->kv_len = a->kv_len;
	p->cu_q = a->cu_q;
	p->cu_kv = a->cu_kv;
}

template <int NW, int M32>
static int launch(const struct kern_prefill_args *a, void *stream,
		  struct ss_err *err)
{
	const int BM = NW * (M32 ? 32 : 16);
	const size_t smem = 2u * 2u * PA_BN * PA_D * 2u +
			    (M32 ? (size_t)BM * PA_D * 2u : 0u);
	uint32_t rows = a->cu_q ? a->max_q_len : a->q_len;
	uint32_t tiles = (rows + BM - 1) / BM;
	pa_params p;

	if (!tiles)
		return 0;
	if (tiles > 65535)
		return ss_error(err, SS_EINVAL,
				"prefill attention: %u query rows exceed the "
				"grid (at most %u)",
				rows, 65535u * BM);
	fill_params(&p, a);
	void (*kern)(const pa_params);
	if constexpr (M32)
		kern = prefill_attn_m32_kernel<NW>;
	else
		kern = prefill_attn_kernel<NW>;
	KCHECK(cudaFuncSetAttribute(kern,
				    cudaFuncAttributeMaxDynamicSharedMemorySize,
				    (int)smem),
	       err);
	dim3 grid(a->n_q_heads, tiles, a->n_seqs);
	kern<<<grid, NW * 32, smem, kern_stream(stream)>>>(p);
	KCHECK_LAUNCH("prefill_attn_kernel", err);
	return 0;
}

/*
 * Whether the automatic choice takes the wgmma head-pair CTAs (variant 5):
 * where the GQA group is even and variant 4's grid of 128-row CTAs is
 * under PA_PAIR_WAVES waves of two CTAs per SM. Such grids run as one or
 * a few waves of very unequal causal lengths, and the longest CTAs set
 * the time; variant 5's CTAs do half the work each and are twice as many
 * (Llama-3.1-70B's TP-8 share at 4k tokens: 256 CTAs of 128 rows on 264
 * slots, longest 32 units against 16 on average; 512 of 64 rows,
 * longest 16). Larger grids balance either way and keep variant 4, the
 * measured one. (Measured on the H200: +1-3%, and the 70B share at 4k
 * stays at a third of the GEMM rate: a CTA of two heads' 64 rows still
 * reads every key its last row sees, so the longest CTA is as long as
 * variant 4's. Variant 6 splits the keys instead.)
 */
#define PA_PAIR_WAVES 4

static int device_sms(void)
{
	return kern_dev_attr(cudaDevAttrMultiProcessorCount, 132);
}

/* variant 4's CTAs of 128 query rows for `a` */
static uint64_t wg_ctas(const struct kern_prefill_args *a)
{
	uint32_t rows = a->cu_q ? a->max_q_len : a->q_len;

	return (uint64_t)a->n_q_heads * ((rows + 127) / 128) * a->n_seqs;
}

/*
 * Whether the automatic choice takes variant 8: where variant 4's grid is
 * at most one wave of two CTAs per SM (a short prompt or chunk on few
 * heads). There variant 4's CTAs share an SM with a much shorter one or
 * none and run in step with it, and variant 8's one CTA an SM, which
 * overlaps its own softmax and products, is faster: the 70B TP-8 share
 * at 4k tokens (256 CTAs) 50.2-52.5% of the GEMM rate against variant
 * 4's 33-34% and variant 6's 37% (session 10, calls 6-8 and 10). Larger
 * grids keep variants 4 and 5, which measured 1-5% above variant 8
 * there (call 8).
 */
static int pick_ws(const struct kern_prefill_args *a)
{
	return wg_ctas(a) <= 2ull * (uint64_t)device_sms();
}

static int pick_head_pair(const struct kern_prefill_args *a)
{
	if ((a->n_q_heads / a->n_kv_heads) % 2)
		return 0;
	return wg_ctas(a) < (uint64_t)PA_PAIR_WAVES * 2 * (uint64_t)device_sms();
}

extern "C" uint64_t
kern_prefill_attn_work_bytes(const struct kern_prefill_args *a)
{
	struct pa_split sp;

	if (!a || !a->n_q_heads || !pa_split_plan(a, device_sms(), &sp))
		return 0;
	return pa_split_bytes(&sp, a->n_q_heads);
}

static int run(const struct kern_prefill_args *a, int chunked, void *stream,
	       struct ss_err *err)
{
	int rc = check_args(a, chunked, err);
	struct pa_split sp;
	pa_params p;

	if (rc)
		return rc;
	fill_params(&p, a);
	switch (a->variant) {
	case 1:
		return launch<4, 0>(a, stream, err);
	case 2:
		return launch<8, 0>(a, stream, err);
	case 3:
		return launch<4, 1>(a, stream, err);
	case 4:
		return pa_launch_wgmma(&p, a, PA_WG_ONE, NULL, stream, err);
	case 5:
		return pa_launch_wgmma(&p, a, PA_WG_PAIR, NULL, stream, err);
	case 7:
		return pa_launch_wgmma(&p, a, PA_WG_PIPE, NULL, stream, err);
	case 8:
		return pa_launch_wgmma(&p, a, PA_WG_WS, NULL, stream, err);
	case 6:
		if (a->work && !aligned16(a->work))
			return ss_error(err, SS_EINVAL,
					"prefill attention variant 6: field "
					"'work' must be 16-byte aligned");
		if (!pa_split_plan(a, device_sms(), &sp)) /* runs as 4 */
			return pa_launch_wgmma(&p, a, PA_WG_ONE, NULL, stream,
					       err);
		if (!a->work || a->work_bytes < pa_split_bytes(&sp, a->n_q_heads))
			return ss_error(err, SS_EINVAL,
					"prefill attention variant 6: field "
					"'work_bytes' is %llu; this launch needs "
					"%llu (kern_prefill_attn_work_bytes)",
					(unsigned long long)(a->work ? a->work_bytes
								     : 0),
					(unsigned long long)pa_split_bytes(
						&sp, a->n_q_heads));
		return pa_launch_wgmma(&p, a, PA_WG_ONE, &sp, stream, err);
	default: /* automatic: wgmma where the device runs sm_90a code,
		  * unless every sequence has at most 64 queries (decode,
		  * small chunks): its 128-row tiles would mostly idle */
		if ((a->cu_q ? a->max_q_len : a->q_len) <= 64)
			return launch<4, 0>(a, stream, err);
		if (pick_ws(a))
			rc = pa_launch_wgmma(&p, a, PA_WG_WS, NULL, stream, err);
		else
			rc = pa_launch_wgmma(&p, a,
					     pick_head_pair(a) ? PA_WG_PAIR
							       : PA_WG_ONE,
					     NULL, stream, err);
		return rc == SS_ENODEV ? launch<4, 0>(a, stream, err) : rc;
	}
}

extern "C" int kern_prefill_attn(const struct kern_prefill_args *a,
				 void *stream, struct ss_err *err)
{
	return run(a, 0, stream, err);
}

extern "C" int kern_chunked_prefill_attn(const struct kern_prefill_args *a,
					 void *stream, struct ss_err *err)
{
	return run(a, 1, stream, err);
}

/* ---- naive fp32 reference ---- */

#define REF_T 128

__global__ void __launch_bounds__(REF_T)
	prefill_ref_kernel(const pa_params p, uint32_t row_step)
{
	__shared__ float sc[REF_T];
	__shared__ float red[REF_T / 32];
	const uint32_t h = blockIdx.y, d = threadIdx.x;
	uint32_t row = blockIdx.x * row_step;
	if (row >= p.q_len)
		row = p.q_len - 1; /* the extra last block */
	const uint32_t pos = p.kv_len - p.q_len + row;
	const __nv_bfloat16 *q =
		p.q + (uint64_t)row * p.q_stride + h * PA_D;
	const uint32_t kvh = h / p.group;
	float m = -INFINITY, l = 0, acc = 0;

	for (uint32_t k0 = 0; k0 <= pos; k0 += REF_T) {
		uint32_t key = k0 + threadIdx.x;
		float s = -INFINITY;
		if (key <= pos) {
			const __nv_bfloat16 *kr =
				p.k + (uint64_t)key * p.kv_stride + kvh * PA_D;
			s = 0;
			for (int i = 0; i < PA_D; i++)
				s += __bfloat162float(q[i]) *
				     __bfloat162float(kr[i]);
			s *= p.scale_log2; /* log2 domain */
		}
		float mx = s;
		for (int o2 = 16; o2; o2 >>= 1)
			mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o2));
		if ((threadIdx.x & 31) == 0)
			red[threadIdx.x >> 5] = mx;
		__syncthreads();
		mx = fmaxf(fmaxf(red[0], red[1]), fmaxf(red[2], red[3]));
		float mnew = fmaxf(m, mx);
		float e = key <= pos ? exp2f(s - mnew) : 0.0f;
		sc[threadIdx.x] = e;
		__syncthreads();
		float alpha = exp2f(m - mnew), sum = 0, pv = 0;
		uint32_t n = min((uint32_t)REF_T, pos + 1 - k0);
		for (uint32_t i = 0; i < n; i++) {
			sum += sc[i];
			pv += sc[i] * __bfloat162float(
					      p.v[(uint64_t)(k0 + i) * p.kv_stride +
						  kvh * PA_D + d]);
		}
		l = l * alpha + sum;
		acc = acc * alpha + pv;
		m = mnew;
		__syncthreads();
	}
	p.out[(uint64_t)row * p.out_stride + h * PA_D + d] =
		__float2bfloat16(acc / l);
}

extern "C" int kern_prefill_attn_ref(const struct kern_prefill_args *a,
				     uint32_t row_step, void *stream,
				     struct ss_err *err)
{
	int rc = check_args(a, 1, err);
	pa_params p;

	if (rc)
		return rc;
	if (a->cu_q || a->n_seqs != 1)
		return ss_error(err, SS_EINVAL,
				"prefill reference: one sequence only");
	if (!row_step)
		return ss_error(err, SS_EINVAL,
				"prefill reference: 'row_step' is 0");
	if (!a->q_len)
		return 0;
	fill_params(&p, a);
	dim3 grid((a->q_len + row_step - 1) / row_step + 1, a->n_q_heads);
	prefill_ref_kernel<<<grid, REF_T, 0, kern_stream(stream)>>>(p, row_step);
	KCHECK_LAUNCH("prefill_ref_kernel", err);
	return 0;
}
