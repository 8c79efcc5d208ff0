/*
 * prefill_attn_sm90a.cu - variants 4 to 8 of prefill attention (prefill_attn.h):
 * the same FlashAttention-2 loop as prefill_attn.cu, with the two matrix
 * products on Hopper's warpgroup MMA (wgmma, sm_90a only).
 *
 * CTA = 2 warpgroups (8 warps) for 128 query rows, 64 per warpgroup, one
 * query head, one sequence. Q (128 x 128) and two stages of K and V (64 x
 * 128 each) sit in shared memory in the canonical 128-byte-swizzled
 * layout: each 64-column half ("panel") of a tile is its own region of
 * 128-byte rows, 16-byte chunk c of row r stored at c ^ (r % 8), regions
 * 1024-byte aligned. S = Q K^T is eight m64n64k16 wgmmas per tile (A and B
 * K-major from shared memory); after the online softmax in registers
 * (the accumulator layout per warp is mma.sync's, so the mask and softmax
 * code is the same), O += P V is four m64n128k16 wgmmas with P as the A
 * operand in registers and V read MN-major (transposed) from shared
 * memory: LBO = the 8 KiB between V's two 64-column panels, SBO = the
 * 1 KiB between groups of 8 keys. Loads are cp.async, made visible to the
 * tensor cores' async proxy by fence.proxy.async before the barrier.
 *
 * Two CTA shapes (template HP, the query heads per CTA): HP = 1 (variant
 * 4) takes 128 query rows of one head, warpgroup w rows 64w .. 64w + 63;
 * HP = 2 (variant 5) takes 64 query rows of two query heads that share a
 * KV head (GQA group even), warpgroup w head 2x + w. Both keep 128 query
 * rows per K/V tile loaded (same shared memory, two CTAs per SM), but
 * HP = 2 halves the longest CTA's causal work and doubles the CTA count,
 * so a short prompt on few heads (Llama-3.1-70B's TP-8 share: 8 heads,
 * 4k tokens = 256 CTAs of 128 rows, one partial wave of very unequal
 * lengths) fills the GPU's 2 x 132 slots longest first and the tail
 * shrinks; and no warpgroup idles on the diagonal tile. Grid: (heads /
 * HP, tiles, sequences), heads fastest, tiles longest first.
 *
 * Built for sm_90 too (the project's target), where the kernel body is
 * empty; a probe kernel tells the launcher which code the device runs,
 * so on a binary without sm_90a code variants 4 to 8 answer SS_ENODEV.
 *
 * Variant 6 (template SPLIT = 1, HP = 1): the CTAs of pa_split_plan's work
 * items; a split tile's half writes its normalised fp32 output and
 * log2-sum-exp to the caller's workspace and prefill_attn_combine_kernel
 * (programmatic dependent launch) merges the two halves into `out`.
 */
#include <cuda_bf16.h>
#include <math.h>
#include <string.h>

#include "kern_cuda.h"
#include "prefill_attn_impl.h"

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define PA_HAVE_WGMMA 1
#endif

#define WG_BM 128 /* query rows per CTA (2 warpgroups x 64) */
#define WG_THREADS 256
#define WG_PANEL(rows) ((rows) * 128u) /* bytes of one 64-column panel */
#define WG_SMEM (2u * WG_PANEL(WG_BM) + 2u * 2u * 2u * WG_PANEL(PA_BN) + 1024u)

/* byte offset of element (row, col) of a [rows][128] tile in panels */
__device__ __forceinline__ uint32_t wg_off(uint32_t rows, uint32_t row,
					   uint32_t chunk16)
{
	uint32_t panel = chunk16 >> 3, c = chunk16 & 7;
	return panel * WG_PANEL(rows) + row * 128u + ((c ^ (row & 7)) << 4);
}

__device__ __forceinline__ uint64_t wg_desc(uint32_t addr, uint32_t lbo,
					    uint32_t sbo)
{
	return (uint64_t)((addr & 0x3FFFFu) >> 4) |
	       ((uint64_t)((lbo >> 4) & 0x3FFFu) << 16) |
	       ((uint64_t)((sbo >> 4) & 0x3FFFu) << 32) | (1ull << 62);
}

#ifdef PA_HAVE_WGMMA
__device__ __forceinline__ void wg_fence(void)
{
	asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wg_commit(void)
{
	asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wg_wait0(void)
{
	asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
}

/* d[32] (+)= A(smem) B(smem), m64n64k16, both K-major */
__device__ __forceinline__ void wg_ss_64x64(float d[32], uint64_t da,
					    uint64_t db, int accumulate)
{
	asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
		     "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
		     "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
		     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
		     : "l"(da), "l"(db), "r"(accumulate));
}

/* d[64] += A(registers) B(smem, MN-major), m64n128k16 */
__device__ __forceinline__ void wg_rs_64x128(float d[64], const uint32_t a[4],
					     uint64_t db)
{
	asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
		     "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
		     "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
		     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
		     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
}
#endif

__global__ void wg_probe_kernel(int *flag)
{
#ifdef PA_HAVE_WGMMA
	*flag = 1;
#else
	*flag = 0;
#endif
}

__device__ __forceinline__ void wg_load_kv(uint32_t ks, uint32_t vs,
					   const __nv_bfloat16 *k,
					   const __nv_bfloat16 *v,
					   uint64_t stride, uint32_t n0,
					   uint32_t kv_len)
{
#pragma unroll
	for (int it = 0; it < PA_BN * 16 / WG_THREADS; it++) {
		uint32_t i = threadIdx.x + it * WG_THREADS;
		uint32_t row = i >> 4, c = i & 15;
		uint32_t key = n0 + row;
		int ok = key < kv_len;
		uint64_t off = ok ? (uint64_t)key * stride + c * 8 : 0;
		cp_async16(ks + wg_off(PA_BN, row, c), k + off, ok ? 16 : 0);
		cp_async16(vs + wg_off(PA_BN, row, c), v + off, ok ? 16 : 0);
	}
	asm volatile("cp.async.commit_group;\n" ::);
}

#ifdef PA_HAVE_WGMMA
__device__ __forceinline__ void wg_wait1(void)
{
	asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
}

/* S = Q K^T for this warpgroup's 64 rows and the 64 keys at ks: eight
 * m64n64k16 wgmmas over the 128 dimensions, issued (no fence, no
 * commit) */
__device__ __forceinline__ void wg_issue_qk(float s[32], uint32_t qa_base,
					    uint32_t ks)
{
#pragma unroll
	for (int kk = 0; kk < 8; kk++) {
		uint32_t pan = kk >> 2, ko = (kk & 3) * 32;
		uint64_t da = wg_desc(qa_base + pan * WG_PANEL(WG_BM) + ko, 16,
				      1024);
		uint64_t db = wg_desc(ks + pan * WG_PANEL(PA_BN) + ko, 16, 1024);
		wg_ss_64x64(s, da, db, kk > 0);
	}
}

/* O += P V for the 64 keys at vs, P in registers: four m64n128k16
 * wgmmas */
__device__ __forceinline__ void wg_issue_pv(float o[64], const uint32_t a[4][4],
					    uint32_t vs)
{
#pragma unroll
	for (int kc = 0; kc < 4; kc++)
		wg_rs_64x128(o, a[kc],
			     wg_desc(vs + kc * 16u * 128u, WG_PANEL(PA_BN), 1024));
}
#endif

/* the causal mask on one tile of scores (keys from n0; this thread's rows
 * at positions wpos_lo + g and + 8), where the tile crosses the warp's
 * diagonal */
__device__ __forceinline__ void wg_mask(float s[32], uint32_t n0,
					uint32_t wpos_lo, uint32_t g,
					uint32_t t)
{
	if (n0 + PA_BN - 1 <= wpos_lo)
		return;
#pragma unroll
	for (int jn = 0; jn < 8; jn++)
#pragma unroll
		for (int e = 0; e < 4; e++) {
			uint32_t key = n0 + jn * 8 + 2 * t + (e & 1);
			uint32_t pos = wpos_lo + g + (e >= 2 ? 8 : 0);
			if (key > pos)
				s[jn * 4 + e] = -INFINITY;
		}
}

/* The online softmax step on one tile of scores (exp2 domain): s becomes
 * the probabilities, the running max m and sum l of this thread's two
 * rows move on, and alpha[rh] is what the rows' output must be scaled by */
__device__ __forceinline__ void wg_softmax(float s[32], float m[2], float l[2],
					   float alpha[2], float scale_log2)
{
#pragma unroll
	for (int rh = 0; rh < 2; rh++) {
		float mx = -INFINITY;
#pragma unroll
		for (int jn = 0; jn < 8; jn++)
			mx = fmaxf(mx, fmaxf(s[jn * 4 + 2 * rh],
					     s[jn * 4 + 2 * rh + 1]));
		mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
		mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
		float mnew = fmaxf(m[rh], mx * scale_log2);
		float msub = mnew == -INFINITY ? 0.0f : mnew;
		float sum = 0.0f;
		alpha[rh] = exp2f(m[rh] - msub);
#pragma unroll
		for (int jn = 0; jn < 8; jn++) {
			float x0 = exp2f(fmaf(s[jn * 4 + 2 * rh], scale_log2, -msub));
			float x1 = exp2f(fmaf(s[jn * 4 + 2 * rh + 1], scale_log2, -msub));
			s[jn * 4 + 2 * rh] = x0;
			s[jn * 4 + 2 * rh + 1] = x1;
			sum += x0 + x1;
		}
		l[rh] = l[rh] * alpha[rh] + sum;
		m[rh] = mnew;
	}
}

__device__ __forceinline__ void wg_rescale(float o[64], const float alpha[2])
{
#pragma unroll
	for (int dn = 0; dn < 16; dn++)
#pragma unroll
		for (int e = 0; e < 4; e++)
			o[dn * 4 + e] *= alpha[e >> 1];
}

/* the probabilities as the bf16 A operand of P V */
__device__ __forceinline__ void wg_pack_p(uint32_t a[4][4], const float s[32])
{
#pragma unroll
	for (int kc = 0; kc < 4; kc++)
#pragma unroll
		for (int i = 0; i < 4; i++)
			a[kc][i] = pack_bf2(s[8 * kc + 2 * i], s[8 * kc + 2 * i + 1]);
}

/* this thread's two rows (row0 and row0 + 8, sequence rows) of head h,
 * normalised by their sums, to out; rows past q_len are not stored */
__device__ __forceinline__ void wg_store(const pa_params &p, const float o[64],
					 const float l[2], uint32_t q_begin,
					 uint32_t q_len, uint32_t row0,
					 uint32_t h, uint32_t t)
{
#pragma unroll
	for (int rh = 0; rh < 2; rh++) {
		float lt = l[rh];
		lt += __shfl_xor_sync(0xffffffffu, lt, 1);
		lt += __shfl_xor_sync(0xffffffffu, lt, 2);
		const float inv = lt > 0 ? 1.0f / lt : 0.0f;
		const uint32_t row = row0 + rh * 8;
		if (row >= q_len)
			continue;
		uint32_t *dst = reinterpret_cast<uint32_t *>(
			p.out + (uint64_t)(q_begin + row) * p.out_stride + h * PA_D);
#pragma unroll
		for (int dn = 0; dn < 16; dn++)
			dst[dn * 4 + t] = pack_bf2(o[dn * 4 + 2 * rh] * inv,
						   o[dn * 4 + 2 * rh + 1] * inv);
	}
}

/* floats before variant 6's log2-sum-exp records in its workspace */
__host__ __device__ __forceinline__ uint64_t pa_lse_at(const struct pa_split *sp,
						       uint32_t heads)
{
	return (uint64_t)(sp->n_tiles - sp->first_split) * heads * 2 * WG_BM *
	       PA_D;
}

/* variant 6's extra parameters (the plan travels in the parameter space:
 * no upload); empty for variants 4 and 5 */
template <int SPLIT> struct pa_split_arg {
	char unused;
};
template <> struct pa_split_arg<1> {
	struct pa_split sp;
	float *ws; /* partial outputs, then their log2-sum-exp */
};
/* kernel parameters are limited to 4 KiB (before CUDA 12.1's larger
 * space, which this code does not ask for) */
static_assert(sizeof(pa_params) + sizeof(pa_split_arg<1>) <= 4096,
	      "variant 6's plan no longer fits the kernel parameters");

template <int HP, int SPLIT>
__global__ void __launch_bounds__(WG_THREADS, 2)
	prefill_attn_wgmma_kernel(const pa_params p, const pa_split_arg<SPLIT> sa)
{
#ifdef PA_HAVE_WGMMA
	extern __shared__ unsigned char pa_smem[];
	const uint32_t BM = WG_BM / HP; /* query rows per CTA */
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t wg = warp >> 2, wq = warp & 3;
	const uint32_t seq = blockIdx.z, h0 = blockIdx.x * HP;
	const uint32_t h = h0 + (HP == 2 ? wg : 0); /* this group's head */
	const uint32_t wrow = HP == 2 ? 0 : wg * 64; /* its first row - m0 */
	const uint32_t g = lane >> 2, t = lane & 3;
	uint32_t q_begin = 0, kv_begin = 0, q_len = p.q_len, kv_len = p.kv_len;

	if (p.cu_q) {
		q_begin = p.cu_q[seq];
		q_len = p.cu_q[seq + 1] - q_begin;
		kv_begin = p.cu_kv[seq];
		kv_len = p.cu_kv[seq + 1] - kv_begin;
	}
	uint32_t qt = gridDim.y - 1 - blockIdx.y, half = 0, split = 0;
	if constexpr (SPLIT) {
		/* the combine kernel may be scheduled now; it waits for us */
		asm volatile("griddepcontrol.launch_dependents;");
		qt = sa.sp.item[blockIdx.y] >> 1;
		half = sa.sp.item[blockIdx.y] & 1;
		split = qt >= sa.sp.first_split;
	}
	const uint32_t m0 = qt * BM;
	if (m0 >= q_len)
		return;
	const uint32_t off = kv_len - q_len;
	const uint32_t kvh = h0 / p.group; /* HP = 2: group even, h0 even */
	const uint32_t n_keys = min(kv_len, off + m0 + BM);
	const uint32_t n_tiles = (n_keys + PA_BN - 1) / PA_BN;
	/* variant 6: a split tile's first half [0, n/2) or second [n/2, n)
	 * of its key tiles (pa_split_plan counts the same halves) */
	const uint32_t j_lo = split && half ? n_tiles / 2 : 0;
	const uint32_t j_hi = split && !half ? n_tiles / 2 : n_tiles;
	const uint32_t r0 = m0 + wrow + wq * 16; /* this warp's rows */
	const uint32_t wpos_lo = off + r0;
	const uint32_t wg_hi = off + m0 + wrow + 63;

	const __nv_bfloat16 *kbase =
		p.k + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const __nv_bfloat16 *vbase =
		p.v + (uint64_t)kv_begin * p.kv_stride + kvh * PA_D;
	const uint32_t qs = (smem_u32(pa_smem) + 1023u) & ~1023u;
	const uint32_t ks0 = qs + 2u * WG_PANEL(WG_BM);
	const uint32_t tile = 2u * WG_PANEL(PA_BN); /* one K or V tile */

	/* shared rows 0..127: HP = 1 rows m0.. of head h0; HP = 2 rows
	 * m0..m0+63 of head h0, then the same rows of head h0 + 1 */
	for (uint32_t i = threadIdx.x; i < WG_BM * 16u; i += WG_THREADS) {
		uint32_t row = i >> 4, c = i & 15;
		uint32_t qr = m0 + row % BM, qh = h0 + row / BM;
		int ok = qr < q_len;
		const __nv_bfloat16 *src =
			ok ? p.q + (uint64_t)(q_begin + qr) * p.q_stride +
				     qh * PA_D + c * 8
			   : p.q;
		cp_async16(qs + wg_off(WG_BM, row, c), src, ok ? 16 : 0);
	}
	wg_load_kv(ks0, ks0 + tile, kbase, vbase, p.kv_stride, j_lo * PA_BN,
		   kv_len);

	float o[64];
#pragma unroll
	for (int i = 0; i < 64; i++)
		o[i] = 0.0f;
	float m[2] = { -INFINITY, -INFINITY }, l[2] = { 0.0f, 0.0f };
	const uint32_t qa_base = qs + wg * 64u * 128u; /* this group's rows */

	for (uint32_t j = j_lo; j < j_hi; j++) {
		const uint32_t st = (j - j_lo) & 1;
		if (j + 1 < j_hi) {
			uint32_t ns = (j + 1 - j_lo) & 1;
			wg_load_kv(ks0 + ns * 2 * tile, ks0 + ns * 2 * tile + tile,
				   kbase, vbase, p.kv_stride, (j + 1) * PA_BN,
				   kv_len);
			asm volatile("cp.async.wait_group 1;\n" ::);
		} else {
			asm volatile("cp.async.wait_group 0;\n" ::);
		}
		asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
		__syncthreads();

		const uint32_t n0 = j * PA_BN;
		if (n0 <= wg_hi) { /* uniform over the warpgroup */
			const uint32_t ks = ks0 + st * 2 * tile, vs = ks + tile;
			float s[32], alpha[2];
			uint32_t a[4][4];
#pragma unroll
			for (int i = 0; i < 32; i++)
				s[i] = 0.0f;
			wg_fence();
			wg_issue_qk(s, qa_base, ks);
			wg_commit();
			wg_wait0();
			wg_mask(s, n0, wpos_lo, g, t);
			wg_softmax(s, m, l, alpha, p.scale_log2);
			wg_rescale(o, alpha);
			wg_pack_p(a, s);
			wg_fence();
			wg_issue_pv(o, a, vs);
			wg_commit();
			wg_wait0();
		}
		__syncthreads();
	}

	if constexpr (SPLIT) {
		if (split) {
#pragma unroll
			for (int rh = 0; rh < 2; rh++) {
				float lt = l[rh];
				lt += __shfl_xor_sync(0xffffffffu, lt, 1);
				lt += __shfl_xor_sync(0xffffffffu, lt, 2);
				const float inv = lt > 0 ? 1.0f / lt : 0.0f;
				const uint32_t row = r0 + g + rh * 8;
				if (row >= q_len)
					continue;
				/* this half's normalised output and its
				 * log2-sum-exp (m is in log2 units): the
				 * combine kernel weighs the halves by it */
				const uint64_t rec =
					((uint64_t)(qt - sa.sp.first_split) *
						 gridDim.x + h) * 2 + half;
				const uint32_t lr = row - m0;
				float *dst = sa.ws + (rec * WG_BM + lr) * PA_D;
#pragma unroll
				for (int dn = 0; dn < 16; dn++)
					*reinterpret_cast<float2 *>(dst + dn * 8 +
								    2 * t) =
						make_float2(o[dn * 4 + 2 * rh] * inv,
							    o[dn * 4 + 2 * rh + 1] *
								    inv);
				if (t == 0)
					sa.ws[pa_lse_at(&sa.sp, gridDim.x) +
					      rec * WG_BM + lr] =
						lt > 0 ? m[rh] + log2f(lt)
						       : -INFINITY;
			}
			return;
		}
	}
	wg_store(p, o, l, q_begin, q_len, r0 + g, h, t);
#endif
}

#ifdef PA_HAVE_WGMMA
/*
 * Variant 8's pingpong: the computing warpgroups issue their products in
 * turns (named barrier 1 + wg is warpgroup wg's turn; each hands the turn
 * to the other right after issuing), so that one's softmax runs while the
 * other's products keep the tensor cores busy (FlashAttention-3's
 * inter-warpgroup schedule). PING 0: no turns (variant 7); 1: wait for
 * the turn, then hand it over; 2: wait only (the last turn).
 */
__device__ __forceinline__ void ping_wait(uint32_t wg)
{
	asm volatile("bar.sync %0, 256;\n" ::"r"(1 + wg) : "memory");
}

__device__ __forceinline__ void ping_pass(uint32_t wg)
{
	asm volatile("bar.arrive %0, 256;\n" ::"r"(2 - wg) : "memory");
}

/*
 * One pipelined step of variants 7 and 8: S of the 64 keys at ks (from
 * key n0) and O += P V of the previous keys (P in a, V at vs) go to the
 * tensor cores as two groups; the mask and softmax of S run while the
 * second is in flight; then O is rescaled and the new P packed into a.
 * PV = false: the first step, S alone (O is still 0). Straight-line from
 * the first issue to the last wait: a branch between a wgmma and its wait
 * makes ptxas serialise every wgmma of the kernel.
 */
template <int PING, bool PV = true>
__device__ __forceinline__ void wp_pair(float s[32], float o[64],
					uint32_t a[4][4], float m[2], float l[2],
					uint32_t qa_base, uint32_t ks,
					uint32_t vs, uint32_t n0,
					uint32_t wpos_lo, uint32_t g, uint32_t t,
					float scale_log2, uint32_t wg)
{
	float alpha[2];

	if (PING)
		ping_wait(wg);
	wg_fence();
	wg_issue_qk(s, qa_base, ks);
	wg_commit();
	if constexpr (PV) {
		wg_issue_pv(o, a, vs);
		wg_commit();
	}
	if (PING == 1)
		ping_pass(wg);
	if constexpr (PV)
		wg_wait1();
	else
		wg_wait0();
	wg_mask(s, n0, wpos_lo, g, t);
	wg_softmax(s, m, l, alpha, scale_log2);
	if constexpr (PV) {
		wg_wait0();
		wg_rescale(o, alpha);
	}
	wg_pack_p(a, s);
}

/* a pipelined CTA's registers before its first step */
__device__ __forceinline__ void wp_zero(float o[64], float s[32],
					uint32_t a[4][4])
{
#pragma unroll
	for (int i = 0; i < 64; i++)
		o[i] = 0.0f;
#pragma unroll
	for (int i = 0; i < 32; i++)
		s[i] = 0.0f;
#pragma unroll
	for (int kc = 0; kc < 4; kc++)
#pragma unroll
		for (int i = 0; i < 4; i++)
			a[kc][i] = 0;
}

/* the last P V of a pipelined kernel, alone */
template <int PING>
__device__ __forceinline__ void wp_last(float o[64], const uint32_t a[4][4],
					uint32_t vs, uint32_t wg)
{
	if (PING)
		ping_wait(wg);
	wg_fence();
	wg_issue_pv(o, a, vs);
	wg_commit();
	if (PING == 1)
		ping_pass(wg);
	wg_wait0();
}
#endif

/*
 * Variants 7 and 8: variant 4's CTA (two warpgroups of 64 query rows of
 * one head) with two products in flight together (FlashAttention-3's
 * intra-warpgroup pipelining): each step issues S_j = Q K_j^T and
 * O += P_{j-1} V_{j-1} as two wgmma groups, waits for the first only and
 * runs tile j's mask and softmax while the tensor cores work on the
 * second (wp_pair). S_j, P_{j-1} and O take 154-156 registers a thread, so
 * one CTA fits an SM (variant 4: 125, two CTAs).
 * - Variant 7: every thread loads its share of each K/V tile with
 *   cp.async, WP_LEAD tiles ahead, and the CTA meets once a tile.
 * - Variant 8: a third warpgroup loads the tiles (warp specialisation)
 *   and the computing warpgroups never meet: per stage, a "full" mbarrier
 *   completes when the loaders' copies have landed
 *   (cp.async.mbarrier.arrive) and
 *   an "empty" one when the eight computing warps have finished with the
 *   stage, so each warpgroup runs at its own pace, up to the stages
 *   ahead of the other.
 * Step j reads K_j and V_{j-1}. A warpgroup stops at the last tile that
 * reaches its rows (the CTA's last tile is above the first warpgroup's).
 */
#define WP_LEAD 2                /* variant 7: tiles loaded ahead */
#define WP_NK (WP_LEAD + 1)      /* K stages: K_j .. K_{j+LEAD} */
#define WP_NV (WP_LEAD + 2)      /* V stages: V_{j-1} .. V_{j+LEAD} */
#define WS_NS 4                  /* variant 8: K+V stages */
#define WP_TILE (2u * WG_PANEL(PA_BN)) /* bytes of one K or V tile */
#define WP_SMEM (2u * WG_PANEL(WG_BM) + (WP_NK + WP_NV) * WP_TILE + 1024u)
#define WS_SMEM (2u * WG_PANEL(WG_BM) + 2u * WS_NS * WP_TILE + 1024u)
#define WS_LOADERS 128 /* variant 8: threads of the loading warpgroup */
#define WS_THREADS (WG_THREADS + WS_LOADERS)

/* what a pipelined CTA and warpgroup work on */
struct wp_ctx {
	uint32_t q_begin, q_len, kv_len, m0, h, n_tiles, own, r0, wpos_lo;
	const __nv_bfloat16 *kbase, *vbase;
	uint32_t qs, qa_base; /* shared: Q, this warpgroup's 64 rows of it */
};

/* 0 where the CTA has no rows (a shorter sequence of a batch) */
__device__ __forceinline__ int wp_setup(const pa_params &p, wp_ctx &c)
{
	extern __shared__ unsigned char pa_smem[];
	const uint32_t warp = threadIdx.x >> 5, wg = warp >> 2, wq = warp & 3;
	const uint32_t seq = blockIdx.z;
	uint32_t kv_begin = 0;

	c.q_begin = 0;
	c.q_len = p.q_len;
	c.kv_len = p.kv_len;
	if (p.cu_q) {
		c.q_begin = p.cu_q[seq];
		c.q_len = p.cu_q[seq + 1] - c.q_begin;
		kv_begin = p.cu_kv[seq];
		c.kv_len = p.cu_kv[seq + 1] - kv_begin;
	}
	c.m0 = (gridDim.y - 1 - blockIdx.y) * WG_BM;
	if (c.m0 >= c.q_len)
		return 0;
	c.h = blockIdx.x;
	const uint32_t off = c.kv_len - c.q_len;
	const uint32_t n_keys = min(c.kv_len, off + c.m0 + WG_BM);
	c.n_tiles = (n_keys + PA_BN - 1) / PA_BN;
	c.r0 = c.m0 + wg * 64 + wq * 16; /* this warp's rows */
	c.wpos_lo = off + c.r0;
	/* the tiles that start at or before this warpgroup's last row */
	c.own = min(c.n_tiles, (off + c.m0 + wg * 64 + 63) / PA_BN + 1);
	c.kbase = p.k + (uint64_t)kv_begin * p.kv_stride + (c.h / p.group) * PA_D;
	c.vbase = p.v + (uint64_t)kv_begin * p.kv_stride + (c.h / p.group) * PA_D;
	c.qs = (smem_u32(pa_smem) + 1023u) & ~1023u;
	c.qa_base = c.qs + wg * 64u * 128u;
	return 1;
}

/* A CTA with rows but no keys (only where a batch breaks kv_len >= q_len,
 * which lives on the device unchecked): its computing threads store zero
 * rows, as variant 4 does, instead of waiting for tiles that never come */
__device__ __forceinline__ int wp_no_keys(const pa_params &p, const wp_ctx &c)
{
	if (c.n_tiles)
		return 0;
	if (threadIdx.x < WG_THREADS) {
		const uint32_t lane = threadIdx.x & 31;
		float o[64], l[2] = { 0.0f, 0.0f };

#pragma unroll
		for (int i = 0; i < 64; i++)
			o[i] = 0.0f;
		wg_store(p, o, l, c.q_begin, c.q_len, c.r0 + (lane >> 2), c.h,
			 lane & 3);
	}
	return 1;
}

/* the CTA's 128 query rows into shared memory by threads 0 .. n-1, as
 * one cp.async group (not committed) */
__device__ __forceinline__ void wp_load_q(const pa_params &p, const wp_ctx &c,
					  uint32_t n)
{
	for (uint32_t i = threadIdx.x; i < WG_BM * 16u; i += n) {
		uint32_t row = i >> 4, col = i & 15;
		uint32_t qr = c.m0 + row;
		int ok = qr < c.q_len;
		const __nv_bfloat16 *src =
			ok ? p.q + (uint64_t)(c.q_begin + qr) * p.q_stride +
				     c.h * PA_D + col * 8
			   : p.q;
		cp_async16(c.qs + wg_off(WG_BM, row, col), src, ok ? 16 : 0);
	}
}

/* variant 7, every thread once per key tile j: wait until tile j has
 * landed (tile j+1 may be in flight) and meet; every thread is then past
 * step j-1, so tile j + LEAD loads into the stages K_{j-1} and V_{j-2}
 * left */
__device__ __forceinline__ void wp_next_tile(const wp_ctx &c, uint64_t stride,
					     uint32_t j, uint32_t kst,
					     uint32_t vst)
{
	if (j + 1 < c.n_tiles)
		asm volatile("cp.async.wait_group %0;\n" ::"n"(WP_LEAD - 1));
	else
		asm volatile("cp.async.wait_group 0;\n" ::);
	asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
	__syncthreads();
	if (j + WP_LEAD < c.n_tiles) {
		const uint32_t n = j + WP_LEAD;
		wg_load_kv(kst + (n % WP_NK) * WP_TILE, vst + (n % WP_NV) * WP_TILE,
			   c.kbase, c.vbase, stride, n * PA_BN, c.kv_len);
	}
}

__global__ void __launch_bounds__(WG_THREADS, 1)
	prefill_attn_wgmma_pipe_kernel(const pa_params p)
{
#ifdef PA_HAVE_WGMMA
	wp_ctx c;

	if (!wp_setup(p, c) || wp_no_keys(p, c))
		return;
	const uint32_t lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
	const uint32_t kst = c.qs + 2u * WG_PANEL(WG_BM);
	const uint32_t vst = kst + WP_NK * WP_TILE;

	/* Q with tile 0 in the first cp.async group, then tiles 1 .. LEAD-1 */
	wp_load_q(p, c, WG_THREADS);
#pragma unroll
	for (uint32_t j = 0; j < WP_LEAD; j++)
		if (j < c.n_tiles)
			wg_load_kv(kst + j * WP_TILE, vst + j * WP_TILE, c.kbase,
				   c.vbase, p.kv_stride, j * PA_BN, c.kv_len);

	float o[64], s[32], m[2] = { -INFINITY, -INFINITY }, l[2] = { 0.0f, 0.0f };
	uint32_t a[4][4];

	wp_zero(o, s, a);

	wp_next_tile(c, p.kv_stride, 0, kst, vst);
	wp_pair<0, false>(s, o, a, m, l, c.qa_base, kst, 0, 0, c.wpos_lo, g, t,
			  p.scale_log2, 0);
	for (uint32_t j = 1; j < c.own; j++) {
		wp_next_tile(c, p.kv_stride, j, kst, vst);
		wp_pair<0>(s, o, a, m, l, c.qa_base, kst + (j % WP_NK) * WP_TILE,
			   vst + ((j - 1) % WP_NV) * WP_TILE, j * PA_BN,
			   c.wpos_lo, g, t, p.scale_log2, 0);
	}
	wp_last<0>(o, a, vst + ((c.own - 1) % WP_NV) * WP_TILE, 0);
	/* the CTA's tiles past this warpgroup's rows: its share of the
	 * loads and barriers */
	for (uint32_t j = c.own; j < c.n_tiles; j++)
		wp_next_tile(c, p.kv_stride, j, kst, vst);
	wg_store(p, o, l, c.q_begin, c.q_len, c.r0 + g, c.h, t);
#endif
}

#ifdef PA_HAVE_WGMMA
__device__ __forceinline__ void mb_init(uint32_t bar, uint32_t count)
{
	asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar),
		     "r"(count)
		     : "memory");
}

/* until phase `parity` of the barrier has completed (acquire) */
__device__ __forceinline__ void mb_wait(uint32_t bar, uint32_t parity)
{
	uint32_t done;

	do {
		asm volatile("{\n.reg .pred p;\n"
			     "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
			     "selp.u32 %0, 1, 0, p;\n}\n"
			     : "=r"(done)
			     : "r"(bar), "r"(parity)
			     : "memory");
	} while (!done);
}

__device__ __forceinline__ void mb_arrive(uint32_t bar)
{
	asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar)
		     : "memory");
}

/* the barrier's pending count drops when this thread's earlier cp.async
 * copies have landed (noinc: the count at init includes it) */
__device__ __forceinline__ void mb_arrive_cp_async(uint32_t bar)
{
	asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(
			     bar)
		     : "memory");
}
#endif

__global__ void __launch_bounds__(WS_THREADS, 1)
	prefill_attn_wgmma_ws_kernel(const pa_params p)
{
#ifdef PA_HAVE_WGMMA
	__shared__ uint64_t bars[2 * WS_NS]; /* full[WS_NS], empty[WS_NS] */
	wp_ctx c;

	if (!wp_setup(p, c) || wp_no_keys(p, c))
		return;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, t = lane & 3;
	const uint32_t kst = c.qs + 2u * WG_PANEL(WG_BM);
	const uint32_t vst = kst + WS_NS * WP_TILE;
	const uint32_t full = smem_u32(bars), empty = full + 8u * WS_NS;

	if (threadIdx.x == 0)
		for (uint32_t i = 0; i < WS_NS; i++) {
			mb_init(full + 8u * i, WS_LOADERS);
			mb_init(empty + 8u * i, 8);  /* the computing warps */
		}
	__syncthreads(); /* the barriers; the CTA meets no more */

	if (warp >= 8) { /* the loading warpgroup */
		const uint32_t lt = threadIdx.x - WG_THREADS;

		for (uint32_t j = 0; j < c.n_tiles; j++) {
			const uint32_t st = j % WS_NS;
			if (j >= WS_NS)
				mb_wait(empty + 8u * st, (j / WS_NS - 1) & 1);
#pragma unroll
			for (uint32_t it = 0; it < PA_BN * 16 / WS_LOADERS; it++) {
				uint32_t i = lt + it * WS_LOADERS;
				uint32_t row = i >> 4, col = i & 15;
				uint32_t key = j * PA_BN + row;
				int ok = key < c.kv_len;
				uint64_t off = ok ? (uint64_t)key * p.kv_stride +
							    col * 8
						  : 0;
				uint32_t so = wg_off(PA_BN, row, col);
				cp_async16(kst + st * WP_TILE + so, c.kbase + off,
					   ok ? 16 : 0);
				cp_async16(vst + st * WP_TILE + so, c.vbase + off,
					   ok ? 16 : 0);
			}
			mb_arrive_cp_async(full + 8u * st);
		}
		asm volatile("cp.async.wait_all;\n" ::: "memory");
		return;
	}

	/* the computing warpgroups: Q while the first tiles load */
	const uint32_t wg = warp >> 2;
	wp_load_q(p, c, WG_THREADS);
	asm volatile("cp.async.commit_group;\n" ::);
	asm volatile("cp.async.wait_group 0;\n" ::);
	asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
	asm volatile("bar.sync 3, 256;\n" ::: "memory");

	float o[64], s[32], m[2] = { -INFINITY, -INFINITY }, l[2] = { 0.0f, 0.0f };
	uint32_t a[4][4];

	wp_zero(o, s, a);

	/* tile j's K and V have landed (visible to the tensor cores' proxy) */
#define WS_WAIT(j)                                                          \
	do {                                                                \
		mb_wait(full + 8u * ((j) % WS_NS), ((j) / WS_NS) & 1);       \
		asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); \
	} while (0)
	/* this warp is done with tile j's stage */
#define WS_FREE(j)                                                          \
	do {                                                                \
		if (lane == 0)                                              \
			mb_arrive(empty + 8u * ((j) % WS_NS));              \
	} while (0)
	if (wg == 1)
		ping_pass(wg); /* warpgroup 0 goes first */
	WS_WAIT(0);
	wp_pair<1, false>(s, o, a, m, l, c.qa_base, kst, 0, 0, c.wpos_lo, g, t,
			  p.scale_log2, wg);
	for (uint32_t j = 1; j < c.own; j++) {
		WS_WAIT(j);
		wp_pair<1>(s, o, a, m, l, c.qa_base, kst + (j % WS_NS) * WP_TILE,
			   vst + ((j - 1) % WS_NS) * WP_TILE, j * PA_BN,
			   c.wpos_lo, g, t, p.scale_log2, wg);
		WS_FREE(j - 1);
	}
	/* turns: n_tiles + 1 each. Warpgroup 1 owns every tile (own ==
	 * n_tiles: its rows end at the CTA's last key) and its last turn
	 * hands nothing over; warpgroup 0 may own a tile less and pads */
	if (wg == 0)
		wp_last<1>(o, a, vst + ((c.own - 1) % WS_NS) * WP_TILE, wg);
	else
		wp_last<2>(o, a, vst + ((c.own - 1) % WS_NS) * WP_TILE, wg);
	WS_FREE(c.own - 1);
	for (uint32_t j = c.own; j < c.n_tiles; j++) {
		ping_wait(wg);
		ping_pass(wg);
	}
#undef WS_WAIT
#undef WS_FREE
	wg_store(p, o, l, c.q_begin, c.q_len, c.r0 + g, c.h, t);
#endif
}

/*
 * Variant 6's second kernel: for each split tile (blockIdx.x), head
 * (blockIdx.y), group of PA_COMBINE_ROWS rows (blockIdx.z) and row,
 * out = (w0 O0 + w1 O1) / (w0 + w1) with w = exp2(lse - max lse).
 * Launched early (programmatic dependent launch); waits for the attention
 * kernel's end. (One CTA per tile and head, 128 CTAs for the 70B share at
 * 4k, took 17 us under Nsight Compute: too few loads in flight.)
 */
#define PA_COMBINE_ROWS 16
__global__ void __launch_bounds__(256)
	prefill_attn_combine_kernel(const pa_params p, uint32_t first_split,
				    uint32_t n_tiles, const float *ws)
{
	const uint32_t heads = gridDim.y, h = blockIdx.y;
	const uint32_t m0 = (first_split + blockIdx.x) * WG_BM;
	const uint64_t rec = ((uint64_t)blockIdx.x * heads + h) * 2;
	const float *o0 = ws + rec * WG_BM * PA_D, *o1 = o0 + WG_BM * PA_D;
	const float *lse = ws + (uint64_t)(n_tiles - first_split) * heads * 2 *
					WG_BM * PA_D +
			   rec * WG_BM;

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
	for (uint32_t i = threadIdx.x; i < PA_COMBINE_ROWS * (PA_D / 4);
	     i += blockDim.x) {
		const uint32_t r = blockIdx.z * PA_COMBINE_ROWS + i / (PA_D / 4);
		const uint32_t c = i % (PA_D / 4);
		if (m0 + r >= p.q_len)
			break; /* rows ascend with i */
		const float a = lse[r], b = lse[WG_BM + r], mx = fmaxf(a, b);
		const float wa = mx == -INFINITY ? 0.0f : exp2f(a - mx);
		const float wb = mx == -INFINITY ? 0.0f : exp2f(b - mx);
		const float inv = wa + wb > 0 ? 1.0f / (wa + wb) : 0.0f;
		const float4 x = reinterpret_cast<const float4 *>(o0 + r * PA_D)[c];
		const float4 y = reinterpret_cast<const float4 *>(o1 + r * PA_D)[c];
		uint32_t *dst = reinterpret_cast<uint32_t *>(
			p.out + (uint64_t)(m0 + r) * p.out_stride + h * PA_D +
			c * 4);
		dst[0] = pack_bf2((wa * x.x + wb * y.x) * inv,
				  (wa * x.y + wb * y.y) * inv);
		dst[1] = pack_bf2((wa * x.z + wb * y.z) * inv,
				  (wa * x.w + wb * y.w) * inv);
	}
}

/* Key tiles (of PA_BN) that 128-row tile qt of one sequence attends. */
static uint32_t split_keys(const struct kern_prefill_args *a, uint32_t qt)
{
	uint64_t n = (uint64_t)a->kv_len - a->q_len + (uint64_t)(qt + 1) * WG_BM;

	n = SS_MIN(n, (uint64_t)a->kv_len);
	return (uint32_t)((n + PA_BN - 1) / PA_BN);
}

/*
 * A grid under one wave is as slow as its longest CTA: a 4k prompt on the
 * 8 query heads of Llama-3.1-70B's TP-8 share is 256 CTAs of 2 to 64 key
 * tiles on 264 slots. Halving every tile longer than half the longest
 * bounds a CTA at about half the longest, and ordering the items longest
 * first lets the short ones fill in behind (a list-scheduling model of
 * the SMs put this case at ~1.5x variant 4; measured 1.13x: CTAs that
 * start together run their MMA and softmax phases in step;
 * docs/model-kernels.md).
 */
int pa_split_plan(const struct kern_prefill_args *a, int sms,
		  struct pa_split *sp)
{
	uint32_t T, nmax, cap, u, s0, s1, k = 0;

	if (a->cu_q || a->n_seqs != 1 || a->q_len <= 64)
		return 0;
	T = (a->q_len + WG_BM - 1) / WG_BM;
	if ((uint64_t)T * a->n_q_heads > 2ull * (uint64_t)sms)
		return 0;
	nmax = split_keys(a, T - 1);
	cap = (nmax + 1) / 2;
	if (nmax < 2)
		return 0;
	sp->n_tiles = T;
	sp->first_split = T;
	while (sp->first_split > 0 && split_keys(a, sp->first_split - 1) > cap)
		sp->first_split--;
	if (T + (T - sp->first_split) > PA_SPLIT_MAX)
		return 0;
	/* merge, longest first, three runs that each grow with the tile:
	 * second halves (n - n/2 key tiles), first halves (n/2), whole tiles
	 * below first_split; ties: second halves (the diagonal's), first,
	 * whole */
	u = sp->first_split;
	s0 = s1 = T;
	while (u > 0 || s0 > sp->first_split || s1 > sp->first_split) {
		uint32_t l1 = s1 > sp->first_split
				      ? split_keys(a, s1 - 1) -
						split_keys(a, s1 - 1) / 2
				      : 0;
		uint32_t l0 = s0 > sp->first_split ? split_keys(a, s0 - 1) / 2 : 0;
		uint32_t lu = u > 0 ? split_keys(a, u - 1) : 0;

		if (s1 > sp->first_split && l1 >= l0 && l1 >= lu)
			sp->item[k++] = (uint16_t)((--s1 << 1) | 1);
		else if (s0 > sp->first_split && l0 >= lu)
			sp->item[k++] = (uint16_t)(--s0 << 1);
		else
			sp->item[k++] = (uint16_t)(--u << 1);
	}
	sp->n_items = k;
	return 1;
}

uint64_t pa_split_bytes(const struct pa_split *sp, uint32_t n_q_heads)
{
	return (uint64_t)(sp->n_tiles - sp->first_split) * n_q_heads * 2 *
	       WG_BM * (PA_D + 1) * sizeof(float);
}

int pa_launch_wgmma(const pa_params *p, const struct kern_prefill_args *a,
		    int kind, const struct pa_split *split, void *stream,
		    struct ss_err *err)
{
	/* which code the device runs is fixed for the process: probe once */
	static int have = -1;
	const uint32_t hp = kind == PA_WG_PAIR && p->group % 2 == 0 ? 2 : 1;
	const uint32_t bm = WG_BM / hp;
	uint32_t rows = a->cu_q ? a->max_q_len : a->q_len;
	uint32_t tiles = (rows + bm - 1) / bm;

	if (have < 0) {
		int *d = NULL, h = 0;
		KCHECK(cudaMalloc(&d, sizeof *d), err);
		wg_probe_kernel<<<1, 1>>>(d);
		cudaError_t e1 = cudaMemcpy(&h, d, sizeof h,
					    cudaMemcpyDeviceToHost);
		cudaFree(d);
		KCHECK(e1, err);
		have = h;
	}
	if (!have)
		return ss_error(err, SS_ENODEV,
				"prefill attention variants 4-8 need sm_90a code "
				"(wgmma), which this device does not run");
	if (!tiles)
		return 0;
	if (tiles > 65535)
		return ss_error(err, SS_EINVAL,
				"prefill attention: %u query rows exceed the "
				"grid",
				rows);
	if (split) {
		pa_split_arg<1> sa;
		cudaLaunchConfig_t cfg = {};

		memset(&sa, 0, sizeof sa); /* no uninitialised bytes launched */
		cudaLaunchAttribute attr[1];

		KCHECK(cudaFuncSetAttribute(prefill_attn_wgmma_kernel<1, 1>,
					    cudaFuncAttributeMaxDynamicSharedMemorySize,
					    (int)WG_SMEM),
		       err);
		sa.sp.n_items = split->n_items;
		sa.sp.n_tiles = split->n_tiles;
		sa.sp.first_split = split->first_split;
		memcpy(sa.sp.item, split->item,
		       split->n_items * sizeof(split->item[0]));
		sa.ws = (float *)a->work;
		prefill_attn_wgmma_kernel<1, 1>
			<<<dim3(a->n_q_heads, split->n_items, 1), WG_THREADS,
			   WG_SMEM, kern_stream(stream)>>>(*p, sa);
		KCHECK_LAUNCH("prefill_attn_wgmma_kernel (split)", err);
		if (split->first_split == split->n_tiles)
			return 0;
		cfg.gridDim = dim3(split->n_tiles - split->first_split,
				   a->n_q_heads, WG_BM / PA_COMBINE_ROWS);
		cfg.blockDim = dim3(256);
		cfg.stream = kern_stream(stream);
		attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
		attr[0].val.programmaticStreamSerializationAllowed = 1;
		cfg.attrs = attr;
		cfg.numAttrs = 1;
		KCHECK(cudaLaunchKernelEx(&cfg, prefill_attn_combine_kernel, *p,
					  split->first_split, split->n_tiles,
					  (const float *)a->work),
		       err);
		return 0;
	}
	if (kind == PA_WG_PIPE || kind == PA_WG_WS) {
		void (*pk)(const pa_params) = kind == PA_WG_PIPE
						      ? prefill_attn_wgmma_pipe_kernel
						      : prefill_attn_wgmma_ws_kernel;
		const uint32_t smem = kind == PA_WG_PIPE ? WP_SMEM : WS_SMEM;

		KCHECK(cudaFuncSetAttribute(pk,
					    cudaFuncAttributeMaxDynamicSharedMemorySize,
					    (int)smem),
		       err);
		pk<<<dim3(a->n_q_heads, tiles, a->n_seqs),
		     kind == PA_WG_PIPE ? WG_THREADS : WS_THREADS, smem,
		     kern_stream(stream)>>>(*p);
		KCHECK_LAUNCH(kind == PA_WG_PIPE ? "prefill_attn_wgmma_pipe_kernel"
					      : "prefill_attn_wgmma_ws_kernel",
			      err);
		return 0;
	}
	void (*kern)(const pa_params, const pa_split_arg<0>) =
		hp == 2 ? prefill_attn_wgmma_kernel<2, 0>
			: prefill_attn_wgmma_kernel<1, 0>;
	KCHECK(cudaFuncSetAttribute(kern,
				    cudaFuncAttributeMaxDynamicSharedMemorySize,
				    (int)WG_SMEM),
	       err);
	dim3 grid(a->n_q_heads / hp, tiles, a->n_seqs);
	kern<<<grid, WG_THREADS, WG_SMEM, kern_stream(stream)>>>(*p,
								  pa_split_arg<0>());
	KCHECK_LAUNCH("prefill_attn_wgmma_kernel", err);
	return 0;
}
