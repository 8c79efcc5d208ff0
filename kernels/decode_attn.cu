/*
 * decode_attn.cu - sparse and dense paged decode attention (decode_attn.h).
 *
 * CTA = 4 warps for one (request, KV head, split). A warp takes one 32-token
 * block at a time: lane t loads token t's whole K row (16 x 16 B) and, for
 * the PV product, 8 bytes (4 dimensions) of every V row, so the block's
 * 16 KiB is in flight before any arithmetic. Scores use the group's queries
 * from shared memory (broadcast reads), pre-scaled by scale*log2(e) so the
 * online softmax runs on exp2. Warps merge in shared memory; splits merge
 * in decode_attn_merge_kernel. This is variant 1; then variant 2 (tensor
 * cores, mma.sync with the group's queries as the A rows), 3 (2 with the
 * splits of a list merged in a thread-block cluster), 4 and 5 (2's PV, QK
 * transposed with K's rows as the A operand, the blocks staged in shared
 * memory by cp.async; 4 warps of three stages, 8 of one), 6 (4 warps of
 * two, each CTA's merged partial pushed into the CTA that owns the head), and
 * the automatic choice (attn_auto: 6 for a cluster plan, else 4 or 5, for
 * small problems, 2 for large ones), 7 (4's kernel without a cluster:
 * every split leaves its record and a flag, and a CTA that finds every
 * flag set merges; flag_merge). decode_attn.h lists them too.
 *
 * Built by meson with the other kernels (-Dgpu_arch=90a); checked by
 * tests/test_kernels_gpu.c (t_sparse_decode_attn, t_dense_decode_attn)
 * and timed by `sparseserve bench --only attn`.
 */
#include "decode_attn.h"
#include "kern_cuda.h"
#include "kern_ptx.h"

#include <cooperative_groups.h>
#include <cuda_bf16.h>

namespace cg = cooperative_groups;

#define ATT_WARPS 4
#define ATT_D 128
#define ATT_BT 32

__device__ __forceinline__ float2 bf2(uint32_t u)
{
	__nv_bfloat162 h = *reinterpret_cast<__nv_bfloat162 *>(&u);
	return __bfloat1622float2(h);
}

/*
 * Phase timeline, for a probe build only (-DSS_ATTN_TIMELINE, never the
 * library's; see kernels/results/h200/session21-2026-11-30/): lane 0 of
 * each warp of the cp.async kernels takes clock64 at their phases (0
 * entry, 1 the slot table, list length, context and q have arrived, 2
 * stages issued, 3 first block landed, 4 blocks done, 5 the warps met, 6
 * warps merged, 7 the cluster met, 8 cluster merged, 9 exit; variant 6:
 * 2 also past the cluster wait, 5 the CTA's warps met, records written,
 * 6 the warp's heads merged and copied (at once for a warp with no head),
 * 7 an owner's bytes in, 8 its outputs written)
 * and %globaltimer (ns) at entry and exit (entries 14 and 15). The stamps
 * wait in shared memory, and the exit stamp writes the warp's 16 to
 * att_tl[((split * gridDim.x + bh) * 8 + warp) * 16 + i] (unstamped
 * entries 0) when att_tl is set: the pointer's load is off the kernel's
 * path. (Session 21's calls 1-3 ran an earlier form that tested att_tl at
 * every stamp, so the first stamp waited for a cold global load, and whose
 * ATT_TLD did not wait for its value.) ATT_TLD(i, v) stamps once v has
 * arrived: a store predicated on v comes before the clock read.
 */
#ifdef SS_ATTN_TIMELINE
__device__ unsigned long long *att_tl;
__shared__ unsigned long long att_tl_sm[8][16];

__device__ __forceinline__ void att_tl_stamp(int i, uint32_t dep)
{
	const uint32_t w = threadIdx.x >> 5;
	const bool lead = (threadIdx.x & 31) == 0;
	unsigned long long t;

	if (lead && dep == 0x9e3779b9u) /* any value: the test waits */
		att_tl_sm[w][13] = dep;
	asm volatile("mov.u64 %0, %%clock64;" : "=l"(t));
	if (!lead)
		return;
	if (i == 0)
		for (int k = 0; k < 16; k++)
			att_tl_sm[w][k] = 0;
	att_tl_sm[w][i] = t;
	if (i == 0 || i == 9) {
		asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
		att_tl_sm[w][i == 0 ? 14 : 15] = t;
	}
	if (i == 9 && att_tl) {
		unsigned long long *p =
			att_tl + ((blockIdx.y * gridDim.x + blockIdx.x) * 8 + w) * 16;

		for (int k = 0; k < 16; k++)
			p[k] = k == 13 ? 0 : att_tl_sm[w][k];
	}
}

/* the buffer the stamps go to (device, 128 u64 per CTA), NULL: none */
extern "C" int kern_attn_timeline(void *buf)
{
	return cudaMemcpyToSymbol(att_tl, &buf, sizeof buf) != cudaSuccess;
}
#define ATT_TL(i) att_tl_stamp(i, 0)
#define ATT_TLD(i, v) att_tl_stamp(i, v)
#else
#define ATT_TL(i) ((void)0)
#define ATT_TLD(i, v) ((void)0)
#endif

/*
 * Partial record per (bh, split, g): m, l, two pad words, acc[128] (fp32,
 * log2 domain); 528 bytes, so the merge reads acc with 16-byte loads.
 */
#define ATT_ACC 4
#define ATT_REC (ATT_D + ATT_ACC)

/*
 * exp2(m - M), the factor of a partial or score m against the maximum M
 * (log2 domain), and 0 where m = -inf: a partial with no scored token or a
 * masked token (also when M = -inf, where m - M would be NaN).
 */
__device__ __forceinline__ float exp2_from(float m, float M)
{
	return m == -INFINITY ? 0.0f : exp2f(m - M);
}

/*
 * Head h's (max, sum) and dimension d of its accumulator, merged over the
 * W warps' partials in shared memory (wm, wl [warp][head], wacc
 * [warp][head][dim], H head slots; a warp with nothing has max -inf).
 */
template <int W, int H>
__device__ __forceinline__ void warps_merge(const float (*wm)[H],
					    const float (*wl)[H],
					    const float (*wacc)[H][ATT_D],
					    int h, uint32_t d, float &M,
					    float &L, float &A)
{
	M = -INFINITY;
	L = A = 0.0f;
#pragma unroll
	for (int w = 0; w < W; w++)
		M = fmaxf(M, wm[w][h]);
	/* no early exit: with M = -inf every factor is 0, and a branch here
	 * would keep the caller from overlapping several heads' merges */
#pragma unroll
	for (int w = 0; w < W; w++) {
		float f = exp2_from(wm[w][h], M);

		L += wl[w][h] * f;
		A += wacc[w][h][d] * f;
	}
}

template <int G>
__global__ void __launch_bounds__(ATT_WARPS * 32)
	decode_attn_kernel(const __nv_bfloat16 *__restrict__ q,
			   const __nv_bfloat16 *__restrict__ cache,
			   const int32_t *__restrict__ slots,
			   const int32_t *__restrict__ block_ids,
			   const uint32_t *__restrict__ n_list,
			   const uint32_t *__restrict__ ctx_len,
			   uint32_t n_kv_heads, uint32_t max_list,
			   uint32_t per_split, float qscale,
			   float *__restrict__ work)
{
	__shared__ float qs[G][ATT_D];
	__shared__ float wm[ATT_WARPS][G], wl[ATT_WARPS][G];
	__shared__ float wacc[ATT_WARPS][G][ATT_D];
	const uint32_t bh = blockIdx.x, b = bh / n_kv_heads;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t ctx = ctx_len[b];
	uint32_t n = n_list ? n_list[bh] : (ctx + ATT_BT - 1) / ATT_BT;
	uint32_t e0 = blockIdx.y * per_split, e1;
	float m[G], l[G], acc[G][4];

	n = min(n, max_list);
	e1 = min(n, e0 + per_split);
	for (uint32_t i = threadIdx.x; i < G * ATT_D; i += blockDim.x)
		qs[i / ATT_D][i % ATT_D] =
			__bfloat162float(q[((uint64_t)bh * G) * ATT_D + i]) *
			qscale;
	__syncthreads();
#pragma unroll
	for (int g = 0; g < G; g++) {
		m[g] = -INFINITY;
		l[g] = 0.0f;
		acc[g][0] = acc[g][1] = acc[g][2] = acc[g][3] = 0.0f;
	}
	for (uint32_t e = e0 + warp; e < e1; e += ATT_WARPS) {
		uint64_t li = (uint64_t)bh * max_list + e;
		uint32_t slot = (uint32_t)slots[li];
		uint32_t blk = block_ids ? (uint32_t)block_ids[li] : e;
		const __nv_bfloat16 *kb = cache + (uint64_t)slot * 2 * ATT_BT *
							  ATT_D;
		const uint4 *krow =
			reinterpret_cast<const uint4 *>(kb + lane * ATT_D);
		const uint2 *vcol = reinterpret_cast<const uint2 *>(
			kb + ATT_BT * ATT_D);
		uint4 kr[ATT_D / 8];
		uint2 vr[ATT_BT];
		float s[G];

#pragma unroll
		for (int i = 0; i < ATT_D / 8; i++)
			kr[i] = krow[i];
#pragma unroll
		for (int t = 0; t < ATT_BT; t++)
			vr[t] = vcol[t * (ATT_D / 4) + lane];
		/* a masked token's V is zeroed: its weight is 0, and 0 x a
		 * NaN left in a block's unwritten tail would be NaN */
#pragma unroll
		for (int t = 0; t < ATT_BT; t++)
			if ((uint64_t)blk * ATT_BT + t >= ctx)
				vr[t] = make_uint2(0, 0);
#pragma unroll
		for (int g = 0; g < G; g++)
			s[g] = 0.0f;
#pragma unroll
		for (int i = 0; i < ATT_D / 8; i++) {
			float2 k0 = bf2(kr[i].x), k1 = bf2(kr[i].y);
			float2 k2 = bf2(kr[i].z), k3 = bf2(kr[i].w);
#pragma unroll
			for (int g = 0; g < G; g++) {
				float4 qa = *reinterpret_cast<const float4 *>(
					&qs[g][8 * i]);
				float4 qb = *reinterpret_cast<const float4 *>(
					&qs[g][8 * i + 4]);
				s[g] += qa.x * k0.x + qa.y * k0.y +
					qa.z * k1.x + qa.w * k1.y +
					qb.x * k2.x + qb.y * k2.y +
					qb.z * k3.x + qb.w * k3.y;
			}
		}
		bool valid = (uint64_t)blk * ATT_BT + lane < ctx;
#pragma unroll
		for (int g = 0; g < G; g++) {
			float mx = valid ? s[g] : -INFINITY, mnew, corr, p;
#pragma unroll
			for (int o = 16; o; o >>= 1)
				mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu,
							       mx, o));
			mnew = fmaxf(m[g], mx);
			if (mnew == -INFINITY)
				continue; /* nothing valid yet */
			corr = exp2f(m[g] - mnew);
			p = valid ? exp2f(s[g] - mnew) : 0.0f;
			l[g] = l[g] * corr + p; /* per-lane share */
			m[g] = mnew;
			float a0 = acc[g][0] * corr, a1 = acc[g][1] * corr;
			float a2 = acc[g][2] * corr, a3 = acc[g][3] * corr;
#pragma unroll
			for (int t = 0; t < ATT_BT; t++) {
				float pt = __shfl_sync(0xffffffffu, p, t);
				float2 v0 = bf2(vr[t].x), v1 = bf2(vr[t].y);
				a0 += pt * v0.x;
				a1 += pt * v0.y;
				a2 += pt * v1.x;
				a3 += pt * v1.y;
			}
			acc[g][0] = a0;
			acc[g][1] = a1;
			acc[g][2] = a2;
			acc[g][3] = a3;
		}
	}
#pragma unroll
	for (int g = 0; g < G; g++) {
		float sum = l[g];
#pragma unroll
		for (int o = 16; o; o >>= 1)
			sum += __shfl_xor_sync(0xffffffffu, sum, o);
		if (lane == 0) {
			wm[warp][g] = m[g];
			wl[warp][g] = sum;
		}
		*reinterpret_cast<float4 *>(&wacc[warp][g][lane * 4]) =
			make_float4(acc[g][0], acc[g][1], acc[g][2],
				    acc[g][3]);
	}
	__syncthreads();
	/* thread d merges dimension d of every g over the warps */
	const uint32_t d = threadIdx.x;
	float *rec = work + ((uint64_t)bh * gridDim.y + blockIdx.y) * G *
				    ATT_REC;
#pragma unroll
	for (int g = 0; g < G; g++) {
		float M, L, A;

		warps_merge<ATT_WARPS, G>(wm, wl, wacc, g, d, M, L, A);
		rec[g * ATT_REC + ATT_ACC + d] = A;
		if (d == 0) {
			rec[g * ATT_REC] = M;
			rec[g * ATT_REC + 1] = L;
			rec[g * ATT_REC + 2] = rec[g * ATT_REC + 3] = 0.0f;
		}
	}
}

/*
 * Variant 2: tensor cores. CTA = MMA_WARPS warps for one (request, KV head,
 * split); a warp takes one 32-token block at a time, lane (g = lane/4,
 * c = lane%4) loading 256 B of K and 256 B of V with 16-byte loads.
 *
 * QK: S[16 x 32] = Q[16 x 128] K^T, query head g as A row g (rows >= G and
 * 8..15 zero), 4 n-tiles of 8 tokens x 8 k-steps. The k index is permuted
 * identically in Q and K (k-step 2j+h, logical 2c+e and 2c+8+e read
 * physical dims 32j+8c+4h+e and +2), so a thread's K operand for n-tile t
 * is one uint4 per j: K[8t+g][32j+8c .. +7]. The accumulator gives thread
 * (g, c) scores of head g, tokens 8t+2c, 8t+2c+1.
 *
 * PV, transposed: O^T[16 dims x 8 heads] += V^T[16 x 16 tokens] P^T, so
 * the query heads are the 8 columns and the P operand is exactly the QK
 * accumulator of head g (tokens 16u+2c.. of tiles 2u, 2u+1) packed to
 * bf16, no shuffles. Row g of m-tile mt is dim D = 64(mt/4) + 8g + 2(mt%4),
 * row g+8 is D+1; a thread loads V rows 16u + 2c + {0, 1, 8, 9}, dims
 * 8g..8g+7 and 64+8g..+7 (128 contiguous bytes per warp instruction) and
 * pairs two tokens' halves with byte_perm. Accumulator: heads 2c, 2c+1,
 * dims D, D+1.
 */
#define MMA_WARPS 4
#define MMA_CLUSTER_MAX 16 /* variant 3's largest cluster (mma_cluster_max) */

__device__ __forceinline__ void mma_bf16(float (&d)[4], uint32_t a0,
					 uint32_t a1, uint32_t a2, uint32_t a3,
					 uint32_t b0, uint32_t b1)
{
	asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
		     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
		     "{%0, %1, %2, %3};\n"
		     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
		     : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi)
{
	__nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
	return *reinterpret_cast<uint32_t *>(&h);
}

__device__ __forceinline__ uint32_t u4w(const uint4 &v, int i)
{
	return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

/*
 * Variant 3's merge: the S splits of one (request, KV head) are the CTAs of
 * one thread-block cluster (dims 1 x S). Each CTA leaves its partial in
 * shared memory (max and sum of head h in cm[h], cl[h]; its accumulator in
 * acc[h][0..127], the first warp's slot of wacc, which only the thread of
 * that dimension touches after the warps' merge); after a cluster barrier
 * (release/acquire at cluster scope) CTA r computes outputs r*128 + t,
 * r*128 + t + S*128, ... of the G x 128 reading every CTA's partial
 * through distributed shared memory; a second barrier keeps each CTA's
 * shared memory until the others have read it. No workspace, no second
 * kernel: at batch 1 the merge kernel was a fixed 3.8 us of 11 (Nsight
 * Compute, session 7). The second barrier's arrive is relaxed where it
 * can be: a thread whose outputs used every partial it read has those
 * reads complete once the outputs are stored (the stores depend on the
 * loaded registers; checked in sm_90's SASS, session 17), and nothing
 * else needs ordering, while cluster.sync()'s release arrive waited for
 * the output stores to reach global memory first (the ERRBAR before the
 * last barrier in session 9's Nsight Compute samples). A thread that
 * read partials it did not use (a head of no scored token: M = -inf)
 * arrives with release, so that its reads are done before any CTA exits.
 */
template <int G>
__device__ __forceinline__ void cluster_merge(float *cm, float *cl,
					      float (*acc)[8][ATT_D],
					      uint32_t S,
					      __nv_bfloat16 *__restrict__ out)
{
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
	/* clusters are sm_90's; the plan refuses variant 3 below it */
	cg::cluster_group cluster = cg::this_cluster();
	const uint32_t r = cluster.block_rank();
	bool used = true; /* every partial read went into an output */

	cluster.sync();
	ATT_TL(7);
	for (uint32_t i = r * blockDim.x + threadIdx.x; i < G * ATT_D;
	     i += S * blockDim.x) {
		const uint32_t h = i / ATT_D, d = i % ATT_D;
		float mk[MMA_CLUSTER_MAX], lk[MMA_CLUSTER_MAX];
		float ak[MMA_CLUSTER_MAX], M = -INFINITY, L = 0.0f, A = 0.0f;

		/* every CTA's partial requested before any is used: one
		 * distributed-shared-memory round trip, not one per CTA
		 * (a loop over a runtime S waited 3 x S of them) */
#pragma unroll
		for (uint32_t k = 0; k < MMA_CLUSTER_MAX; k++) {
			mk[k] = k < S ? cluster.map_shared_rank(cm, k)[h]
				      : -INFINITY;
			lk[k] = k < S ? cluster.map_shared_rank(cl, k)[h] : 0.0f;
			ak[k] = k < S ? cluster.map_shared_rank(&acc[0][h][d],
								 k)[0]
				      : 0.0f;
		}
#pragma unroll
		for (uint32_t k = 0; k < MMA_CLUSTER_MAX; k++)
			M = fmaxf(M, mk[k]);
		used = used && M != -INFINITY;
		if (M != -INFINITY)
#pragma unroll
			for (uint32_t k = 0; k < MMA_CLUSTER_MAX; k++) {
				float f = exp2_from(mk[k], M);

				L += lk[k] * f;
				A += ak[k] * f;
			}
		out[i] = __float2bfloat16(L > 0 ? A / L : 0.0f);
	}
	ATT_TL(8);
	if (used)
		asm volatile("barrier.cluster.arrive.relaxed;" ::: "memory");
	else
		asm volatile("barrier.cluster.arrive.release;" ::: "memory");
	asm volatile("barrier.cluster.wait;" ::: "memory");
#else
	__trap();
#endif
}

/*
 * Variant 6's merge (sessions 22-24): every split merges its warps'
 * partials of a head and pushes the result straight into the shared
 * memory of the CTA that owns the head, and the owners merge the splits:
 * no CTA reads another's shared memory (one cluster barrier remains at
 * the end, for the copies' sources). Head h is owned by rank h mod S (the
 * first G ranks when G <= S; a rank owns at most ceil(G / S) heads, its
 * slot j = h / S). From the blocks done to the outputs at Llama-3-8B
 * batch 1: the pull merge (variants 3-5: __syncthreads, the warps' merge,
 * a cluster barrier, reads through distributed shared memory, a second
 * cluster barrier) 3,250 cycles; session 22's push of every warp's record
 * 2,720 (call 3's timeline); session 23's push of a CTA's W records a head
 * in one copy 2,500 (call 2); this form 2,230 (session 24, call 3).
 * - At the start (push_begin) each owner arms one mbarrier for the bytes
 *   it will receive, S x (its heads) records of PUSH_PAY bytes, and every
 *   thread arrives (relaxed) on the cluster barrier after the barrier's
 *   init is fenced. Every thread waits on that barrier once its stage
 *   fill is issued (the owners' mbarriers armed), not at the push.
 * - A warp done with its blocks writes, for each head 2c + e it holds, a
 *   record into the CTA's send buffer (PUSH_SEND, [head][warp]): its 128
 *   fp32 accumulators in the order of its MMA fragments (lane (g, c):
 *   floats 16 g + 4 q .. + 3 are dims 32 q + g, + 8, + 16, + 24), and
 *   lane (0, c) the head's max and sum.
 * - Once the CTA's warps have met (__syncthreads), warp w merges heads w,
 *   w + W, ...: lane i floats 4i .. 4i + 3 of the head's W records (the
 *   same fragment order in every warp) into one record (PUSH_MRG), lane 0
 *   the max and sum; the warp fences its stores for the async proxy, and
 *   lane 0 copies the record to the head's owner with one bulk copy
 *   (push_warp): G copies of 528 bytes a CTA, no second CTA barrier.
 * - Each CTA then arrives on a last cluster barrier, an owner once its
 *   bytes are in, and waits on it before it exits: a CTA's merged
 *   records must outlive the copies that read them. An owner merges
 *   while the barrier completes.
 * - An owner waits for the bytes; then, for each of its heads, each warp
 *   on its own: lane i takes partial i's max, the head's maximum M,
 *   factors f_p = 2^(m_p - M) and sum L = sum f_p l_p, and thread t sums
 *   f_p acc_p[t] over the S partials (the factors by shuffle) and writes
 *   dim dim(t) of the head.
 * Records: [slot j][rank][PUSH_REC] floats in the owner's dynamic shared
 * memory past the stages (acc 0-127, m 128, l 129); ceil(G / S) x S per
 * owner, at most S + G - 1 (PUSH_BYTES). Session 24 measured this form at
 * 71.0-72.6% of the same-size read at Llama-3-8B batch 1 against
 * 69.2-71.3% for session 23's on the same lease (call 3). Tried and not
 * kept (kernels/experimental/README.md): owners of half a head, folding
 * each rank in as it lands, a lane merging 4 floats of S partials
 * (session 23), and the CTA's merge by every thread for every head, which
 * needed a second CTA barrier (session 24, call 2).
 */
#define PUSH_REC (ATT_D + 4)           /* floats a record: 528 bytes */
#define PUSH_PAY (PUSH_REC * 4)        /* bytes copied a record */
#define PUSH_BYTES ((MMA_CLUSTER_MAX + 8 - 1) * PUSH_PAY) /* S + G - 1 */
#define PUSH_SEND (4 * 8 * PUSH_PAY)   /* the send buffer: W x G <= 32 */
#define PUSH_MRG (8 * PUSH_PAY)        /* the CTA's merged records: G */

/* how many heads rank r owns */
__device__ __forceinline__ uint32_t push_owned(uint32_t r, uint32_t S,
					       uint32_t G)
{
	return r < G ? (G - 1 - r) / S + 1 : 0;
}

__device__ __forceinline__ void push_begin(uint64_t *mbar, uint32_t rank,
					   uint32_t S, uint32_t G)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	const uint32_t own = push_owned(rank, S, G);

	if (threadIdx.x == 0 && own) {
		uint32_t mb = smem_u32(mbar);

		asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(mb)
			     : "memory");
		asm volatile("{\n\t.reg .b64 st;\n\t"
			     "mbarrier.arrive.expect_tx.shared::cta.b64 st, "
			     "[%0], %1;\n\t}" ::"r"(mb),
			     "r"(S * own * PUSH_PAY)
			     : "memory");
		asm volatile("fence.mbarrier_init.release.cluster;" ::
				     : "memory");
	}
	asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
#endif
}

__device__ __forceinline__ uint32_t cluster_addr(uint32_t saddr, uint32_t rank)
{
	uint32_t r = saddr;

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("mapa.shared::cluster.u32 %0, %1, %2;"
		     : "=r"(r)
		     : "r"(saddr), "r"(rank));
#endif
	return r;
}

/*
 * This warp's partial to the heads' owners: lane (g, c) holds heads 2c,
 * 2c + 1 (e = 0, 1) of dims 16 mt + g (o[mt][e]) and 16 mt + 8 + g
 * (o[mt][2 + e]), their max m[e] (the same in the 8 lanes of c) and sum
 * l[e] (summed over them here). The records are written into the CTA's
 * send buffer `send` ([head][warp]); once every warp's are in, the warps
 * merge them a warp a head (the merged records past the send buffer) and
 * each copies its head's record to the owner with one bulk copy
 * (cp.async.bulk, shared::cta to shared::cluster), counted on the owner's
 * mbarrier. (Session 22, call 1: stored from registers with st.async, 33
 * 16-byte stores a record, the same merge ran at 817-822 GB/s at
 * Llama-3-8B batch 1, against 884-906 for variant 4's pull.) The merged
 * records must outlive the copies: every CTA waits at a last cluster
 * barrier, on which the owners arrive once their bytes are in, before the
 * kernel's end.
 */
template <int G, int W>
__device__ __forceinline__ void push_warp(const float (&o)[8][4],
					  const float (&m)[2], float (&l)[2],
					  uint64_t *mbar, const float *pb,
					  float *send)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	const uint32_t S = gridDim.y, rank = blockIdx.y;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, c = lane & 3;

#pragma unroll
	for (int e = 0; e < 2; e++) {
		const uint32_t h = 2 * c + e;

		l[e] += __shfl_xor_sync(0xffffffffu, l[e], 4);
		l[e] += __shfl_xor_sync(0xffffffffu, l[e], 8);
		l[e] += __shfl_xor_sync(0xffffffffu, l[e], 16);
		if (h >= G)
			continue;
		float *rec = send + (h * W + warp) * PUSH_REC;

#pragma unroll
		for (int q = 0; q < 4; q++)
			*reinterpret_cast<float4 *>(rec + 16 * g + 4 * q) =
				make_float4(o[2 * q][e], o[2 * q][2 + e],
					    o[2 * q + 1][e], o[2 * q + 1][2 + e]);
		if (g == 0)
			*reinterpret_cast<float4 *>(rec + ATT_D) =
				make_float4(m[e], l[e], 0.0f, 0.0f);
	}
	__syncthreads();
	ATT_TL(5);
	/* the CTA's merge, a warp a head (heads warp, warp + W, ...): lane
	 * i merges floats 4i .. 4i + 3 of the W records of the head (the
	 * same fragment order in every warp) into the head's record in mrg,
	 * lane 0 also the max and sum; the warp fences its stores (generic)
	 * before the copy's reads (async proxy), and lane 0 copies the
	 * record to the head's owner: no second CTA barrier. The owners'
	 * mbarriers are armed (push_begin; waited for after the stage fill
	 * was issued). */
	static_assert(32 * 4 == ATT_D, "push: a warp a record");
	for (uint32_t h = warp; h < G; h += W) {
		const float *rw = send + h * W * PUSH_REC;
		float *mrg = send + PUSH_SEND / 4 + h * PUSH_REC;
		float mw[W], M = -INFINITY, L = 0.0f;
		float4 A = make_float4(0.0f, 0.0f, 0.0f, 0.0f);

#pragma unroll
		for (int w = 0; w < W; w++) {
			mw[w] = rw[w * PUSH_REC + ATT_D];
			M = fmaxf(M, mw[w]);
		}
#pragma unroll
		for (int w = 0; w < W; w++) {
			const float f = exp2_from(mw[w], M);
			const float4 x = *reinterpret_cast<const float4 *>(
				rw + w * PUSH_REC + 4 * lane);

			L += f * rw[w * PUSH_REC + ATT_D + 1];
			A.x += f * x.x;
			A.y += f * x.y;
			A.z += f * x.z;
			A.w += f * x.w;
		}
		*reinterpret_cast<float4 *>(mrg + 4 * lane) = A;
		if (lane == 0)
			*reinterpret_cast<float4 *>(mrg + ATT_D) =
				make_float4(M, L, 0.0f, 0.0f);
		asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
		__syncwarp();
		if (lane == 0) {
			const uint32_t to = h % S, j = h / S; /* owner, slot */
			const uint32_t dst = cluster_addr(
				smem_u32(pb + (j * S + rank) * PUSH_REC), to);
			const uint32_t rmb = cluster_addr(smem_u32(mbar), to);

			asm volatile("cp.async.bulk.shared::cluster."
				     "shared::cta.mbarrier::complete_tx::bytes "
				     "[%0], [%1], %2, [%3];" ::"r"(dst),
				     "r"(smem_u32(mrg)), "n"(PUSH_PAY),
				     "r"(rmb)
				     : "memory");
		}
	}
#endif
}

/*
 * An owner (rank r, push_owned(r) > 0 heads): wait for every CTA's merged
 * record of each of its heads, merge them, write the outputs of its heads
 * r, r + S, ...
 */
template <int G, int W>
__device__ __forceinline__ void push_merge(uint64_t *mbar, const float *pb,
					   __nv_bfloat16 *__restrict__ out)
{
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	const uint32_t S = gridDim.y, rank = blockIdx.y;
	const uint32_t lane = threadIdx.x & 31;
	const uint32_t own = push_owned(rank, S, G);
	const uint32_t P = S; /* partials a head (a CTA's): at most 16 */
	uint32_t done = 0;

	static_assert(W * 32 == ATT_D, "push: a thread a dimension");
	while (!done)
		asm volatile("{\n\t.reg .pred p;\n\t"
			     "mbarrier.try_wait.parity.shared::cta.b64 "
			     "p, [%1], 0;\n\tselp.u32 %0, 1, 0, p;\n\t}"
			     : "=r"(done)
			     : "r"(smem_u32(mbar))
			     : "memory");
	ATT_TL(7);
	/* every copy to this CTA has read its source (the kernel's end) */
	asm volatile("barrier.cluster.arrive.relaxed;" ::: "memory");
	/* thread t: record float t, dim 16 (2 q + r / 2) + 8 (r % 2) + g
	 * for t = 16 g + 4 q + r (push_warp's order) */
	const uint32_t t = threadIdx.x;
	const uint32_t dim = 16 * (2 * ((t >> 2) & 3) + ((t >> 1) & 1)) +
			     8 * (t & 1) + (t >> 4);

	/* each warp on its own, no CTA barrier: lane i holds partial i's
	 * max and sum, every partial's float t is loaded before the head's
	 * maximum is known, and the factors reach the lanes by shuffle */
	static_assert(MMA_CLUSTER_MAX <= 32, "push: a lane a partial");
	for (uint32_t j = 0; j < own; j++) {
		const float *rp = pb + (j * P + lane) * PUSH_REC;
		const float mk = lane < P ? rp[ATT_D] : -INFINITY;
		const float lk = lane < P ? rp[ATT_D + 1] : 0.0f;
		float a[MMA_CLUSTER_MAX], M = mk, L, f;
		float A[4] = {0.0f, 0.0f, 0.0f, 0.0f};

#pragma unroll
		for (int k = 0; k < MMA_CLUSTER_MAX; k++)
			a[k] = k < (int)P ? pb[(j * P + k) * PUSH_REC + t]
					  : 0.0f;
#pragma unroll
		for (int x = 16; x; x >>= 1)
			M = fmaxf(M, __shfl_xor_sync(0xffffffffu, M, x));
		f = exp2_from(mk, M);
		L = lk * f;
#pragma unroll
		for (int x = 16; x; x >>= 1)
			L += __shfl_xor_sync(0xffffffffu, L, x);
#pragma unroll
		for (int k = 0; k < MMA_CLUSTER_MAX; k++)
			A[k & 3] += __shfl_sync(0xffffffffu, f, k) * a[k];
		const float As = (A[0] + A[1]) + (A[2] + A[3]);

		out[(rank + S * j) * ATT_D + dim] =
			__float2bfloat16(L > 0 ? As / L : 0.0f);
	}
#else
	__trap();
#endif
}

/*
 * A split's entries. The planned range is entries split * per_split on
 * (the host splits the bound evenly); split_prefetch fetches the slot and
 * block id of the warp's first 32 entries of it (lane i: entry
 * p0 + warp + W i, W warps a CTA; the table is max_list wide, so an
 * entry past the list reads an unused word) before the list's length is
 * known, so the K/V
 * loads are one round trip behind the kernel's start, not two;
 * split_bounds then reads the context and the length: when the plan
 * covers the list (its bound was right) the fetched words are this
 * split's, else the list is split evenly and `planned` is false (the
 * kernel fetches again).
 */
struct split_range {
	uint32_t slot, blk;  /* this lane's prefetched entry */
	uint32_t ctx, e0, e1; /* context tokens; the split's entries */
	bool planned;
};

template <int W>
__device__ __forceinline__ void split_prefetch(
	const int32_t *__restrict__ slots, const int32_t *__restrict__ block_ids,
	uint32_t max_list, uint32_t per_split, struct split_range &r)
{
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint64_t p0 = (uint64_t)blockIdx.y * per_split;
	const uint64_t p1 = SS_MIN(p0 + per_split, (uint64_t)max_list);
	const uint64_t pe = p0 + warp + W * lane;

	r.slot = r.blk = 0;
	if (pe < p1) {
		uint64_t li = (uint64_t)blockIdx.x * max_list + pe;

		r.slot = (uint32_t)slots[li];
		r.blk = block_ids ? (uint32_t)block_ids[li] : (uint32_t)pe;
	}
}

__device__ __forceinline__ void split_bounds(
	const uint32_t *__restrict__ n_list, const uint32_t *__restrict__ ctx_len,
	uint32_t n_kv_heads, uint32_t max_list, uint32_t per_split,
	struct split_range &r)
{
	const uint32_t bh = blockIdx.x, S = gridDim.y, split = blockIdx.y;
	uint32_t n, chunk;

	r.ctx = ctx_len[bh / n_kv_heads];
	n = n_list ? n_list[bh] : (r.ctx + ATT_BT - 1) / ATT_BT;
	n = min(n, max_list);
	r.planned = (uint64_t)per_split * S >= n;
	chunk = r.planned ? per_split : (n + S - 1) / S;
	r.e0 = (uint32_t)SS_MIN((uint64_t)split * chunk, (uint64_t)n);
	r.e1 = (uint32_t)SS_MIN((uint64_t)r.e0 + chunk, (uint64_t)n);
}

/*
 * The online softmax of one 32-token block for head g (rows >= G and
 * tokens at or past ctx masked), its scores sc[t][x] for tokens 8t + 2c + x
 * (the QK accumulator of n-tile t); leaves the block's weights in p, and
 * rescales this thread's PV accumulator (heads 2c, 2c+1 in columns 0/2 and
 * 1/3 of each m-tile) to the new running maximum. Variant 2.
 */
template <int G>
__device__ __forceinline__ void block_softmax(const float (&sc)[4][4],
					      uint32_t blk, uint32_t ctx,
					      uint32_t g, uint32_t c,
					      float qscale, float &m, float &l,
					      float (&p)[4][2],
					      float (&o)[8][4])
{
	float mx = -INFINITY, mnew, corr, corr0, corr1;

#pragma unroll
	for (int t = 0; t < 4; t++)
#pragma unroll
		for (int x = 0; x < 2; x++) {
			uint32_t tok = 8 * t + 2 * c + x;
			bool valid = g < G && (uint64_t)blk * ATT_BT + tok < ctx;

			p[t][x] = valid ? sc[t][x] * qscale : -INFINITY;
			mx = fmaxf(mx, p[t][x]);
		}
	mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
	mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
	mnew = fmaxf(m, mx);
	corr = mnew == -INFINITY ? 1.0f : exp2f(m - mnew);
	l *= corr;
#pragma unroll
	for (int t = 0; t < 4; t++)
#pragma unroll
		for (int x = 0; x < 2; x++) {
			p[t][x] = exp2_from(p[t][x], mnew);
			l += p[t][x];
		}
	m = mnew;
	/* this thread accumulates heads 2c and 2c+1 */
	corr0 = __shfl_sync(0xffffffffu, corr, 8 * c);
	corr1 = __shfl_sync(0xffffffffu, corr, 8 * c + 4);
#pragma unroll
	for (int mt = 0; mt < 8; mt++) {
		o[mt][0] *= corr0;
		o[mt][2] *= corr0;
		o[mt][1] *= corr1;
		o[mt][3] *= corr1;
	}
}

/*
 * Variants 4-7 score a block transposed, S^T[32 tokens x 8 heads] =
 * K Q^T: K rows are the A operand, so two m-tiles of 16 tokens cover a
 * block where Q as A (G <= 8 of its 16 rows used) took four n-tiles: 16 MMAs,
 * not 32. A row r of m-tile mt is token 16 mt + sig(r): rows 0-7 tokens
 * 0-7, rows 8-15 tokens 8-15 rotated by 4, so that both the K rows of one
 * ldmatrix and the V rows that PV's k pairs gather (tokens sig(c),
 * sig(c + 8)) fall in 8 different bank groups of the swizzle.
 */
__device__ __forceinline__ uint32_t sig(uint32_t r)
{
	return r ^ ((r >> 1) & 4);
}

/*
 * The online softmax of one block from the transposed scores: thread
 * (g, c) holds sc[mt] = heads 2c, 2c+1 (columns 0/1) of tokens
 * 16 mt + sig(g) and 16 mt + sig(g + 8) (rows g, g + 8), and the running
 * max m[e] and partial sum l[e] of head 2c + e (the max is the same in the
 * 8 lanes of a c; the sum is this lane's tokens only). Leaves the weights
 * packed to bf16 pairs in pw[mt][e] (head 2c + e, tokens sig(g), sig(g + 8)),
 * and rescales the PV accumulator, whose columns are the same heads, with
 * no shuffle.
 */
template <int G>
__device__ __forceinline__ void block_softmax_t(const float (&sc)[2][4],
						uint32_t blk, uint32_t ctx,
						uint32_t g, uint32_t c,
						float qscale, float (&m)[2],
						float (&l)[2],
						uint32_t (&pw)[2][2],
						float (&o)[8][4])
{
	float p[2][4], corr[2];

#pragma unroll
	for (int e = 0; e < 2; e++) {
		float mx = -INFINITY, mnew;

#pragma unroll
		for (int mt = 0; mt < 2; mt++)
#pragma unroll
			for (int h = 0; h < 2; h++) {
				uint32_t tok = 16 * mt + sig(g + 8 * h);
				bool valid = 2 * c + e < G &&
					     (uint64_t)blk * ATT_BT + tok < ctx;
				float v = valid ? sc[mt][2 * h + e] * qscale
						: -INFINITY;

				p[mt][2 * h + e] = v;
				mx = fmaxf(mx, v);
			}
		mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
		mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 8));
		mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 16));
		mnew = fmaxf(m[e], mx);
		corr[e] = mnew == -INFINITY ? 1.0f : exp2f(m[e] - mnew);
		l[e] *= corr[e];
#pragma unroll
		for (int mt = 0; mt < 2; mt++)
#pragma unroll
			for (int h = 0; h < 2; h++) {
				float &v = p[mt][2 * h + e];

				v = exp2_from(v, mnew);
				l[e] += v;
			}
		m[e] = mnew;
	}
#pragma unroll
	for (int mt = 0; mt < 2; mt++) {
		pw[mt][0] = pack_bf16(p[mt][0], p[mt][2]);
		pw[mt][1] = pack_bf16(p[mt][1], p[mt][3]);
	}
#pragma unroll
	for (int mt = 0; mt < 8; mt++) {
		o[mt][0] *= corr[0];
		o[mt][2] *= corr[0];
		o[mt][1] *= corr[1];
		o[mt][3] *= corr[1];
	}
}

/*
 * The end of a CTA of variant 2, 4, 5, 6 or 7, once each warp has put its
 * accumulator in wacc[warp][head][dim] and holds head g's running max in
 * lane (g, 0) and its sum spread over lanes (g, 0..3) (m is read from
 * c = 0, l summed over c): the warps' (max, sum) into wm, wl,
 * then thread d merges dimension d of every head over the warps and
 * writes the output (one split), leaves the partial for the cluster merge
 * (CLUSTER; variant 6 pushes its warps' partials instead, push_warp), or
 * writes the split's record for the merge kernel.
 */
template <int G, bool CLUSTER, int W>
__device__ __forceinline__ void attn_finish(float m, float l,
					    float (*wm)[8], float (*wl)[8],
					    float (*wacc)[8][ATT_D], float *cm,
					    float *cl, float *__restrict__ work,
					    __nv_bfloat16 *__restrict__ out)
{
	const uint32_t bh = blockIdx.x, S = gridDim.y, split = blockIdx.y;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, c = lane & 3;

	static_assert(W * 32 % ATT_D == 0, "whole dimension sets a CTA");
	l += __shfl_xor_sync(0xffffffffu, l, 1);
	l += __shfl_xor_sync(0xffffffffu, l, 2);
	if (c == 0) {
		wm[warp][g] = m;
		wl[warp][g] = l;
	}
	__syncthreads();
	ATT_TL(5);
	/* thread t merges dimension t mod 128 of heads t / 128,
	 * t / 128 + W / 4, ... over the warps (below) */
	const uint32_t d = threadIdx.x % ATT_D;
	float *rec = work + ((uint64_t)bh * S + split) * G * ATT_REC;

	/* (h0, h0 + HS, ...: HS = W / 4) all of them merged before any
	 * result leaves the thread, so that their chains of shared-memory
	 * loads and exp2 overlap
	 * (session 21, call 2: head after head, this took 1,170 cycles at
	 * Llama-3-8B batch 1, G = 4) */
	constexpr int HS = W * 32 / ATT_D, NH = (G + HS - 1) / HS;
	const int h0 = HS == 1 ? 0 : threadIdx.x / ATT_D;
	float hm[NH], hl[NH], ha[NH];

#pragma unroll
	for (int j = 0; j < NH; j++)
		if (h0 + j * HS < G)
			warps_merge<W, 8>(wm, wl, wacc, h0 + j * HS, d, hm[j],
					  hl[j], ha[j]);
#pragma unroll
	for (int j = 0; j < NH; j++) {
		const int h = h0 + j * HS;

		if (h >= G)
			continue;
		const float M = hm[j], L = hl[j], A = ha[j];

		if (S == 1) {
			out[((uint64_t)bh * G + h) * ATT_D + d] =
				__float2bfloat16(L > 0 ? A / L : 0.0f);
			continue;
		}
		if (CLUSTER) {
			/* this thread alone reads and writes [.][h][d] */
			wacc[0][h][d] = A;
			if (d == 0) {
				cm[h] = M;
				cl[h] = L;
			}
			continue;
		}
		rec[h * ATT_REC + ATT_ACC + d] = A;
		if (d == 0) {
			rec[h * ATT_REC] = M;
			rec[h * ATT_REC + 1] = L;
			rec[h * ATT_REC + 2] = rec[h * ATT_REC + 3] = 0.0f;
		}
	}
	ATT_TL(6);
	if (CLUSTER && S > 1) /* the launch makes a cluster of all S */
		cluster_merge<G>(cm, cl, wacc, S,
				 out + (uint64_t)bh * G * ATT_D);
}

template <int G, bool CLUSTER>
__global__ void __launch_bounds__(MMA_WARPS * 32, 2)
	decode_attn_mma_kernel(const __nv_bfloat16 *__restrict__ q,
			       const __nv_bfloat16 *__restrict__ cache,
			       const int32_t *__restrict__ slots,
			       const int32_t *__restrict__ block_ids,
			       const uint32_t *__restrict__ n_list,
			       const uint32_t *__restrict__ ctx_len,
			       uint32_t n_kv_heads, uint32_t max_list,
			       uint32_t per_split, float qscale,
			       float *__restrict__ work,
			       __nv_bfloat16 *__restrict__ out)
{
	__shared__ float wm[MMA_WARPS][8], wl[MMA_WARPS][8];
	__shared__ float wacc[MMA_WARPS][8][ATT_D];
	__shared__ float cm[CLUSTER ? 8 : 1], cl[CLUSTER ? 8 : 1];
	const uint32_t bh = blockIdx.x;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, c = lane & 3;
	struct split_range r;
	uint32_t my_slot, my_blk, e0, e1, ctx;
	uint32_t qa[8][2];
	float m = -INFINITY, l = 0.0f, o[8][4];
	bool planned;

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	/* the merge kernel may be scheduled now; it waits for our end */
	asm volatile("griddepcontrol.launch_dependents;");
#endif
	split_prefetch<MMA_WARPS>(slots, block_ids, max_list, per_split, r);
	/* A rows: k index permuted as K's registers are (above) */
	if (g < G) {
		const uint4 *qp = reinterpret_cast<const uint4 *>(
			q + ((uint64_t)bh * G + g) * ATT_D);
#pragma unroll
		for (int j = 0; j < 4; j++) {
			uint4 v = qp[4 * j + c];
			qa[2 * j][0] = v.x;
			qa[2 * j][1] = v.y;
			qa[2 * j + 1][0] = v.z;
			qa[2 * j + 1][1] = v.w;
		}
	} else {
#pragma unroll
		for (int s = 0; s < 8; s++)
			qa[s][0] = qa[s][1] = 0;
	}
	split_bounds(n_list, ctx_len, n_kv_heads, max_list, per_split, r);
	my_slot = r.slot;
	my_blk = r.blk;
	e0 = r.e0;
	e1 = r.e1;
	ctx = r.ctx;
	planned = r.planned;
#pragma unroll
	for (int mt = 0; mt < 8; mt++)
		o[mt][0] = o[mt][1] = o[mt][2] = o[mt][3] = 0.0f;

	/* lane i of the warp holds the slot and block id of the warp's
	 * i-th entry, so the K/V loads wait on a shuffle, not on memory */
	for (uint32_t base = e0 + warp; base < e1; base += MMA_WARPS * 32) {
		uint32_t my_e = base + MMA_WARPS * lane;
		uint32_t cnt = min(32u, (e1 - base + MMA_WARPS - 1) / MMA_WARPS);

		if (!planned || base != e0 + warp) {
			my_slot = my_blk = 0;
			if (my_e < e1) {
				uint64_t li = (uint64_t)bh * max_list + my_e;
				my_slot = (uint32_t)slots[li];
				my_blk = block_ids ? (uint32_t)block_ids[li]
						   : my_e;
			}
		}
		uint4 kr[4][4];

		/*
		 * Software pipeline in the registers there are: K of the
		 * first entry here; each iteration loads its V, runs QK on K,
		 * then loads the next entry's K into the same registers, so
		 * V's load waits behind QK and the next K's behind the
		 * softmax and PV (ncu: 70% of the stalls were on these loads
		 * when both were issued at the top of the iteration).
		 */
		if (cnt) {
			uint32_t slot0 = __shfl_sync(0xffffffffu, my_slot, 0);
			const uint4 *kb = reinterpret_cast<const uint4 *>(
				cache + (uint64_t)slot0 * 2 * ATT_BT * ATT_D);

#pragma unroll
			for (int t = 0; t < 4; t++)
#pragma unroll
				for (int j = 0; j < 4; j++)
					kr[t][j] = kb[(8 * t + g) * 16 + 4 * j + c];
		}
		for (uint32_t it = 0; it < cnt; it++) {
			uint32_t slot = __shfl_sync(0xffffffffu, my_slot, it);
			uint32_t blk = __shfl_sync(0xffffffffu, my_blk, it);
			const uint4 *vb = reinterpret_cast<const uint4 *>(
				cache + (uint64_t)slot * 2 * ATT_BT * ATT_D) +
				ATT_BT * ATT_D / 8;
			uint4 vr[2][4][2];
			float sc[4][4], p[4][2];

#pragma unroll
			for (int u = 0; u < 2; u++)
#pragma unroll
				for (int i = 0; i < 4; i++) {
					uint32_t tok = 16 * u + 2 * c + (i & 1) +
						       8 * (i >> 1);
					vr[u][i][0] = vb[tok * 16 + g];
					vr[u][i][1] = vb[tok * 16 + 8 + g];
				}
			/* masked tokens' V zeroed (0 x a NaN in an unwritten
			 * tail would be NaN) */
#pragma unroll
			for (int u = 0; u < 2; u++)
#pragma unroll
				for (int i = 0; i < 4; i++) {
					uint32_t tok = 16 * u + 2 * c + (i & 1) +
						       8 * (i >> 1);

					if ((uint64_t)blk * ATT_BT + tok >= ctx)
						vr[u][i][0] = vr[u][i][1] =
							make_uint4(0, 0, 0, 0);
				}
#pragma unroll
			for (int t = 0; t < 4; t++) {
				sc[t][0] = sc[t][1] = sc[t][2] = sc[t][3] = 0.0f;
#pragma unroll
				for (int s = 0; s < 8; s++) {
					const uint4 &k = kr[t][s >> 1];
					mma_bf16(sc[t], qa[s][0], 0, qa[s][1], 0,
						 (s & 1) ? k.z : k.x,
						 (s & 1) ? k.w : k.y);
				}
			}
			if (it + 1 < cnt) {
				uint32_t ns = __shfl_sync(0xffffffffu, my_slot,
							  it + 1);
				const uint4 *kb = reinterpret_cast<const uint4 *>(
					cache + (uint64_t)ns * 2 * ATT_BT * ATT_D);

#pragma unroll
				for (int t = 0; t < 4; t++)
#pragma unroll
					for (int j = 0; j < 4; j++)
						kr[t][j] = kb[(8 * t + g) * 16 +
							      4 * j + c];
			}
			block_softmax<G>(sc, blk, ctx, g, c, qscale, m, l, p, o);
#pragma unroll
			for (int u = 0; u < 2; u++) {
				uint32_t b0 = pack_bf16(p[2 * u][0], p[2 * u][1]);
				uint32_t b1 = pack_bf16(p[2 * u + 1][0],
							p[2 * u + 1][1]);
#pragma unroll
				for (int mt = 0; mt < 8; mt++) {
					uint32_t w0 = u4w(vr[u][0][mt >> 2], mt & 3);
					uint32_t w1 = u4w(vr[u][1][mt >> 2], mt & 3);
					uint32_t w2 = u4w(vr[u][2][mt >> 2], mt & 3);
					uint32_t w3 = u4w(vr[u][3][mt >> 2], mt & 3);
					mma_bf16(o[mt], __byte_perm(w0, w1, 0x5410),
						 __byte_perm(w0, w1, 0x7632),
						 __byte_perm(w2, w3, 0x5410),
						 __byte_perm(w2, w3, 0x7632), b0,
						 b1);
				}
			}
		}
	}
#pragma unroll
	for (int mt = 0; mt < 8; mt++) {
		uint32_t D = 64 * (mt >> 2) + 8 * g + 2 * (mt & 3);
		if (2 * c < G) {
			wacc[warp][2 * c][D] = o[mt][0];
			wacc[warp][2 * c][D + 1] = o[mt][2];
		}
		if (2 * c + 1 < G) {
			wacc[warp][2 * c + 1][D] = o[mt][1];
			wacc[warp][2 * c + 1][D + 1] = o[mt][3];
		}
	}
	attn_finish<G, CLUSTER, MMA_WARPS>(m, l, wm, wl, wacc, cm, cl, work, out);
}

/*
 * Variants 4-7: variant 2's PV and a transposed QK (block_softmax_t) on
 * tensor cores, with the blocks staged in shared memory by cp.async
 * instead of registers: variant 2 keeps
 * its next block's K in the registers it has left (255 of 255), and at
 * batch 4 a warp spent most of each block waiting for it. A warp of a
 * W-warp CTA owns CPA_NS(V) stages of 16 KiB (rows 0-31 K, 32-63 V, 256 B
 * a row, 16-byte chunks XOR-swizzled by row: swz) and takes entries
 * e0 + warp + W k; entry k is copied into stage k mod CPA_NS, the lanes
 * copying 512 contiguous bytes an instruction, one commit group per
 * entry. Fragments come by ldmatrix, bank-conflict free: QK's A operand
 * (K rows = tokens, untransposed: the scores transposed, block_softmax_t)
 * and PV's A operand (V^T: ldmatrix.trans of V's rows), the queries as
 * QK's B operand in the plain k order. One CTA per SM. Merged
 * as variant 3 (cluster; variant 6 by push_warp and push_merge) when the
 * batch's clusters all run at once, else by the merge kernel.
 */
#define CPA_STAGE (2 * ATT_BT * ATT_D * 2) /* bytes */

/*
 * Variant 7's merge, with no cluster and no second kernel: each split of a
 * list has written its record (attn_finish, as for the merge kernel);
 * then its flag word, after the records' fence, takes the launch's epoch.
 * A CTA that finds every split's flag at the epoch (a sequentially
 * consistent fence between its own flag and the reads) merges: the S
 * records into its shared memory by cp.async (one L2 round trip), thread
 * d merges dimension d of every head, and writes the outputs. The last
 * CTA to set its flag always finds them all; CTAs that finish together
 * may both merge, writing the same values. The epoch (a number per
 * launch from the host, never 0 or all ones) makes the flags valid
 * whatever the workspace held: the records' space of another launch, NaN
 * poison. Flags: S words per list past the records (kern_attn_plan's
 * workspace). `stage` is the CTA's dynamic shared memory, at least
 * S x G x ATT_REC floats (the plan's split bound).
 */
template <int G>
__device__ __forceinline__ void flag_merge(float *__restrict__ work,
					   uint64_t epoch, uint32_t stage,
					   __nv_bfloat16 *__restrict__ out)
{
	const uint32_t bh = blockIdx.x, S = gridDim.y, split = blockIdx.y;
	const uint32_t lane = threadIdx.x & 31;
	const uint64_t nrec = (uint64_t)gridDim.x * S * G * ATT_REC;
	const float *recs = work + (uint64_t)bh * S * G * ATT_REC;
	unsigned long long *flags =
		reinterpret_cast<unsigned long long *>(work + nrec) +
		(uint64_t)bh * S;
	__shared__ int all;

	/* every thread's record stores before the flag (attn_finish wrote
	 * them; thread h x 128 + d its own): each thread's fence, then the
	 * barrier, then a release store of the flag, which also covers the
	 * stores the barrier made visible to its thread */
	__threadfence();
	__syncthreads();
	if (threadIdx.x < 32) {
		int mine = 1;

		if (lane == 0)
			asm volatile("st.release.gpu.global.b64 [%0], %1;" ::"l"(
					     flags + split),
				     "l"((unsigned long long)epoch)
				     : "memory");
		__syncwarp();
		/* each reading lane's own SC fence after the flag's store
		 * (ordered by the warp barrier): the loads below cannot
		 * both miss another CTA's flag and be missed by it */
		asm volatile("fence.sc.gpu;" ::: "memory");
		/* all of a lane's flags requested before any is compared */
		for (uint32_t i0 = 0; i0 < S; i0 += 4 * 32) {
			unsigned long long f[4];

#pragma unroll
			for (int k = 0; k < 4; k++) {
				uint32_t i = i0 + lane + 32 * k;

				f[k] = epoch;
				if (i < S)
					asm volatile("ld.relaxed.gpu.global.b64 %0, [%1];"
						     : "=l"(f[k])
						     : "l"(flags + i)
						     : "memory");
			}
#pragma unroll
			for (int k = 0; k < 4; k++)
				mine &= f[k] == epoch;
		}
		/* acquire: the others' records after the flags just read
		 * (the barrier below carries it to the other warps) */
		asm volatile("fence.acq_rel.gpu;" ::: "memory");
		mine = __all_sync(0xffffffffu, mine);
		if (lane == 0)
			all = mine;
	}
	__syncthreads();
	if (!all)
		return;
	asm volatile("fence.acq_rel.gpu;" ::: "memory");
	{
		const uint32_t n16 = S * G * ATT_REC / 4;

		for (uint32_t i = threadIdx.x; i < n16; i += blockDim.x)
			cp_async16(stage + 16 * i, recs + 4 * i, 16);
		asm volatile("cp.async.commit_group;\n"
			     "cp.async.wait_group 0;\n" ::: "memory");
	}
	__syncthreads();
	{
		extern __shared__ __align__(1024) uint8_t cpa_smem[];
		const float *r = reinterpret_cast<const float *>(cpa_smem);

		for (uint32_t i = threadIdx.x; i < G * ATT_D; i += blockDim.x) {
			const uint32_t h = i / ATT_D, d = i % ATT_D;
			float M = -INFINITY, L = 0.0f, A = 0.0f;

			for (uint32_t k = 0; k < S; k++)
				M = fmaxf(M, r[(k * G + h) * ATT_REC]);
			if (M != -INFINITY)
				for (uint32_t k = 0; k < S; k++) {
					const float *q = r + (k * G + h) * ATT_REC;
					float f = exp2_from(q[0], M);

					L += q[1] * f;
					A += q[ATT_ACC + d] * f;
				}
			out[((uint64_t)bh * G + h) * ATT_D + d] =
				__float2bfloat16(L > 0 ? A / L : 0.0f);
		}
	}
}
/* by variant: 4: 4 warps of 3 stages; 5: 8 warps of 1 (192 and 128 KiB:
 * one CTA per SM either way); 6: 4 warps of 2 and the push merge's
 * records', send and merged buffers (PUSH_BYTES + PUSH_SEND + PUSH_MRG;
 * 160.5 KiB); 7: as 4 (its merge reuses the stages) */
#define CPA_W(v) ((v) == 5 ? 8 : 4)
#define CPA_NS(v) ((v) == 4 || (v) == 7 ? 3 : (v) == 5 ? 1 : 2)
#define CPA_SMEM(v)                                                           \
	(CPA_W(v) * CPA_NS(v) * CPA_STAGE +                                  \
	 ((v) == 6 ? PUSH_BYTES + PUSH_SEND + PUSH_MRG : 0))

/* entry k of this warp's list: its slot and block id (the first 32 from
 * the prefetch, by shuffle, when the plan held) */
template <int W>
__device__ __forceinline__ void cpa_entry(const struct split_range &r,
					  uint32_t k,
					  const int32_t *__restrict__ slots,
					  const int32_t *__restrict__ block_ids,
					  uint32_t max_list, uint32_t &slot,
					  uint32_t &blk)
{
	const uint32_t e = r.e0 + (threadIdx.x >> 5) + W * k;

	if (r.planned && k < 32) {
		slot = __shfl_sync(0xffffffffu, r.slot, k);
		blk = __shfl_sync(0xffffffffu, r.blk, k);
	} else {
		uint64_t li = (uint64_t)blockIdx.x * max_list + e;

		slot = (uint32_t)slots[li];
		blk = block_ids ? (uint32_t)block_ids[li] : e;
	}
}

/*
 * One block's 16 KiB into the stage at shared address `st`, all lanes; the
 * V rows of tokens at or past ctx are zero-filled instead (their weight is
 * 0, and 0 x a NaN in a block's unwritten tail would be NaN).
 */
__device__ __forceinline__ void cpa_copy(uint32_t st,
					 const __nv_bfloat16 *__restrict__ cache,
					 uint32_t slot, uint32_t blk,
					 uint32_t ctx, uint32_t lane)
{
	const uint4 *src = reinterpret_cast<const uint4 *>(
		cache + (uint64_t)slot * 2 * ATT_BT * ATT_D);

#pragma unroll
	for (uint32_t j = 0; j < CPA_STAGE / 16 / 32; j++) {
		uint32_t i = lane + 32 * j, row = i >> 4;
		bool masked = row >= ATT_BT &&
			      (uint64_t)blk * ATT_BT + (row - ATT_BT) >= ctx;

		cp_async16(st + swz(row, i & 15), src + i, masked ? 0 : 16);
	}
}

template <int G, bool CLUSTER, int V>
__global__ void __launch_bounds__(CPA_W(V) * 32, 1)
	decode_attn_cpa_kernel(const __nv_bfloat16 *__restrict__ q,
			       const __nv_bfloat16 *__restrict__ cache,
			       const int32_t *__restrict__ slots,
			       const int32_t *__restrict__ block_ids,
			       const uint32_t *__restrict__ n_list,
			       const uint32_t *__restrict__ ctx_len,
			       uint32_t n_kv_heads, uint32_t max_list,
			       uint32_t per_split, float qscale,
			       float *__restrict__ work,
			       __nv_bfloat16 *__restrict__ out, uint64_t epoch)
{
	extern __shared__ __align__(1024) uint8_t cpa_smem[];
	constexpr int W = CPA_W(V);
	constexpr uint32_t NS = CPA_NS(V);
	constexpr bool PUSH = V == 6;
	__shared__ float wm[W][8], wl[W][8];
	__shared__ float wacc[W][8][ATT_D];
	__shared__ float cm[CLUSTER ? 8 : 1], cl[CLUSTER ? 8 : 1];
	__shared__ __align__(8) uint64_t mbar[1];
	const uint32_t bh = blockIdx.x;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t g = lane >> 2, c = lane & 3;
	const uint32_t st0 = smem_u32(cpa_smem) + warp * NS * CPA_STAGE;
	struct split_range r;
	uint32_t qa[8][2], cnt, bq[NS];
	float m2[2] = {-INFINITY, -INFINITY}, l2[2] = {0.0f, 0.0f}, o[8][4];
	/* this lane's ldmatrix rows: QK's K (A rows sig(0-15)) and PV's V
	 * (k pairs 2c', 2c'+1 = tokens sig(c'), sig(c' + 8), the second
	 * half's c' + 4) */
	const uint32_t krow = sig((lane & 7) + 8 * ((lane >> 3) & 1));
	const uint32_t vrow = sig(((lane & 7) >> 1) + 4 * (lane >> 4) +
				  8 * (lane & 1));

	ATT_TL(0);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	asm volatile("griddepcontrol.launch_dependents;");
#endif
	if (CLUSTER && PUSH) /* waited for after the stage fill */
		push_begin(mbar, blockIdx.y, gridDim.y, G);
	split_prefetch<W>(slots, block_ids, max_list, per_split, r);
	/* QK's B column g (head g) of k-step s: dims 16s + 2c, +1 (b0) and
	 * 16s + 8 + 2c, +1 (b1) */
#pragma unroll
	for (int s = 0; s < 8; s++) {
		const uint32_t *qp = reinterpret_cast<const uint32_t *>(
			q + ((uint64_t)bh * G + g) * ATT_D + 16 * s + 2 * c);

		qa[s][0] = g < G ? qp[0] : 0;
		qa[s][1] = g < G ? qp[4] : 0;
	}
	split_bounds(n_list, ctx_len, n_kv_heads, max_list, per_split, r);
	cnt = r.e1 > r.e0 + warp ? (r.e1 - r.e0 - warp + W - 1) / W : 0;
	ATT_TLD(1, cnt ^ r.slot ^ r.ctx ^ qa[0][0]);
#pragma unroll
	for (int mt = 0; mt < 8; mt++)
		o[mt][0] = o[mt][1] = o[mt][2] = o[mt][3] = 0.0f;
	/* fill the stages; a group is committed every time, empty or not,
	 * so "all but the newest NS - 1" is always entry k's */
#pragma unroll
	for (uint32_t k = 0; k < NS; k++) {
		bq[k] = 0;
		if (k < cnt) {
			uint32_t slot;

			cpa_entry<W>(r, k, slots, block_ids, max_list, slot, bq[k]);
			cpa_copy(st0 + k * CPA_STAGE, cache, slot, bq[k], r.ctx,
				 lane);
		}
		asm volatile("cp.async.commit_group;\n" ::);
	}
	/* variant 6: the owners' mbarriers are armed (push_begin), waited
	 * for here while the blocks are in flight, not at the push */
	if constexpr (CLUSTER && PUSH) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
		asm volatile("barrier.cluster.wait.acquire.aligned;" ::
				     : "memory");
#endif
	}
	ATT_TL(2);
	for (uint32_t k = 0; k < cnt; k++) {
		const uint32_t st = st0 + (k % NS) * CPA_STAGE;
		const uint32_t blk = bq[0];
		float sc[2][4];
		uint32_t pw[2][2];

		asm volatile("cp.async.wait_group %0;\n" ::"n"(NS - 1));
		__syncwarp();
		if (k == 0)
			ATT_TL(3);
		/* QK, transposed: m-tile mt's A row r is token 16 mt + sig(r) */
#pragma unroll
		for (int mt = 0; mt < 2; mt++) {
			/* the odd k-steps in their own accumulator: two
			 * chains of 4 dependent MMAs an m-tile, not one of 8 */
			float so[4] = {0.0f, 0.0f, 0.0f, 0.0f};

			sc[mt][0] = sc[mt][1] = sc[mt][2] = sc[mt][3] = 0.0f;
#pragma unroll
			for (int s = 0; s < 8; s++) {
				uint32_t a0, a1, a2, a3;

				ldsm_x4(st + swz(16 * mt + krow, 2 * s + (lane >> 4)),
					a0, a1, a2, a3);
				if (s & 1)
					mma_bf16(so, a0, a1, a2, a3, qa[s][0],
						 qa[s][1]);
				else
					mma_bf16(sc[mt], a0, a1, a2, a3,
						 qa[s][0], qa[s][1]);
			}
#pragma unroll
			for (int i = 0; i < 4; i++)
				sc[mt][i] += so[i];
		}
		block_softmax_t<G>(sc, blk, r.ctx, g, c, qscale, m2, l2, pw, o);
		/* PV: O^T[16 dims x 8 heads] += V^T[dims x 16 tokens] P^T; B
		 * of head g, k pairs 2c, 2c+1 and 2c+8, 2c+9 (tokens sig(c),
		 * sig(c+8) and sig(c+4), sig(c+12)) from the lanes of row c
		 * and c + 4, column g/2, i.e. lanes s0 and s0 + 16, whose words
		 * hold heads 2(g/2) and 2(g/2)+1 */
#pragma unroll
		for (int u = 0; u < 2; u++) {
			const uint32_t s0 = 4 * c + (g >> 1);
			uint32_t e0 = __shfl_sync(0xffffffffu, pw[u][0], s0);
			uint32_t o0 = __shfl_sync(0xffffffffu, pw[u][1], s0);
			uint32_t e1 = __shfl_sync(0xffffffffu, pw[u][0], s0 + 16);
			uint32_t o1 = __shfl_sync(0xffffffffu, pw[u][1], s0 + 16);
			uint32_t b0 = g & 1 ? o0 : e0, b1 = g & 1 ? o1 : e1;

#pragma unroll
			for (int mt = 0; mt < 8; mt++) {
				uint32_t a0, a1, a2, a3;

				ldsm_x4_t(st + swz(ATT_BT + 16 * u + vrow,
						   2 * mt + ((lane >> 3) & 1)),
					  a0, a1, a2, a3);
				mma_bf16(o[mt], a0, a1, a2, a3, b0, b1);
			}
		}
		/* every lane is done with the stage: refill it */
		__syncwarp();
#pragma unroll
		for (int i = 0; i + 1 < NS; i++)
			bq[i] = bq[i + 1];
		bq[NS - 1] = 0;
		if (k + NS < cnt) {
			uint32_t slot;

			cpa_entry<W>(r, k + NS, slots, block_ids, max_list,
				  slot, bq[NS - 1]);
			cpa_copy(st, cache, slot, bq[NS - 1], r.ctx, lane);
		}
		asm volatile("cp.async.commit_group;\n" ::);
	}
	asm volatile("cp.async.wait_group 0;\n" ::);
	ATT_TL(4);
	if constexpr (CLUSTER && PUSH) { /* variant 6: push_warp */
		float *pb = reinterpret_cast<float *>(cpa_smem +
						      W * NS * CPA_STAGE);

		/* (a cluster is of S >= 2: mma_cluster) */
		push_warp<G, W>(o, m2, l2, mbar, pb, pb + PUSH_BYTES / 4);
		ATT_TL(6);
		if (push_owned(blockIdx.y, gridDim.y, G)) {
			push_merge<G, W>(mbar, pb,
					 out + (uint64_t)bh * G * ATT_D);
			ATT_TL(8);
		} else {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
			asm volatile("barrier.cluster.arrive.relaxed;" ::
					     : "memory");
#endif
		}
		/* no CTA leaves while a copy may still read its merged
		 * records */
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
		asm volatile("barrier.cluster.wait;" ::: "memory");
#endif
	} else {
		/* row g of m-tile mt is dim 16 mt + g, row g + 8 dim
		 * 16 mt + 8 + g */
#pragma unroll
		for (int mt = 0; mt < 8; mt++) {
			if (2 * c < G) {
				wacc[warp][2 * c][16 * mt + g] = o[mt][0];
				wacc[warp][2 * c][16 * mt + 8 + g] = o[mt][2];
			}
			if (2 * c + 1 < G) {
				wacc[warp][2 * c + 1][16 * mt + g] = o[mt][1];
				wacc[warp][2 * c + 1][16 * mt + 8 + g] =
					o[mt][3];
			}
		}
		/* heads 2c, 2c+1 summed over the 8 lanes of c; then head
		 * g's max and sum in lane (g, 0), as attn_finish takes them */
		float m, l;
#pragma unroll
		for (int e = 0; e < 2; e++) {
			l2[e] += __shfl_xor_sync(0xffffffffu, l2[e], 4);
			l2[e] += __shfl_xor_sync(0xffffffffu, l2[e], 8);
			l2[e] += __shfl_xor_sync(0xffffffffu, l2[e], 16);
		}
		{
			float me = __shfl_sync(0xffffffffu, m2[0], g >> 1);
			float mo = __shfl_sync(0xffffffffu, m2[1], g >> 1);
			float le = __shfl_sync(0xffffffffu, l2[0], g >> 1);
			float lo = __shfl_sync(0xffffffffu, l2[1], g >> 1);

			m = g & 1 ? mo : me;
			l = c == 0 ? (g & 1 ? lo : le) : 0.0f;
		}
		attn_finish<G, CLUSTER, W>(m, l, wm, wl, wacc, cm, cl, work,
					   out);
		if (V == 7 && !CLUSTER && gridDim.y > 1)
			flag_merge<G>(work, epoch, smem_u32(cpa_smem), out);
	}
	ATT_TL(9);
}

/*
 * One CTA of 128 threads per query head: merge the splits' partials in one
 * pass. Warp w takes splits w, w + 4, ...; lane i dimensions 4i..4i+3.
 * MERGE_UNROLL records at a time are loaded together (the 16-byte header
 * m, l and the lane's 16 bytes of acc), then folded into the warp's running
 * (max, sum, acc) with the online-softmax rescale; the four warps meet in
 * shared memory. One L2 round trip per MERGE_UNROLL x 4 splits: at batch 1
 * (Llama-3-8B dense, 32 splits) the merge is one round trip after the
 * attention kernel. (A loop over splits per dimension before session 6
 * waited one round trip per split: 14.6 us at 128 splits; a two-pass
 * version, maxima then weights then sums, three.)
 */
#define MERGE_UNROLL 8
#define MERGE_WARPS (ATT_D / 32)

__global__ void __launch_bounds__(ATT_D)
	decode_attn_merge_kernel(const float *__restrict__ work,
				 __nv_bfloat16 *__restrict__ out, uint32_t G,
				 uint32_t n_splits)
{
	__shared__ float wm[MERGE_WARPS], wl[MERGE_WARPS];
	__shared__ float4 wa[MERGE_WARPS][32];
	const uint32_t qh = blockIdx.x, bh = qh / G, g = qh % G;
	const uint32_t d = threadIdx.x, lane = d & 31, warp = d >> 5;
	const uint64_t stride = (uint64_t)G * ATT_REC;
	const float *rec = work + (uint64_t)bh * n_splits * stride +
			   g * ATT_REC;
	float m = -INFINITY, l = 0.0f;
	float4 a = make_float4(0.0f, 0.0f, 0.0f, 0.0f);

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
	/* launched early (programmatic dependent launch): wait until the
	 * attention kernel has finished and its partials are visible */
	asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
	for (uint32_t s0 = warp; s0 < n_splits;
	     s0 += MERGE_WARPS * MERGE_UNROLL) {
		float4 hd[MERGE_UNROLL], v[MERGE_UNROLL];

#pragma unroll
		for (int u = 0; u < MERGE_UNROLL; u++) {
			uint32_t s = s0 + u * MERGE_WARPS;
			const float4 *r = reinterpret_cast<const float4 *>(
				rec + (uint64_t)s * stride);

			if (s < n_splits) {
				hd[u] = r[0];
				v[u] = r[ATT_ACC / 4 + lane];
			} else {
				hd[u] = make_float4(-INFINITY, 0.0f, 0.0f, 0.0f);
				v[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
			}
		}
#pragma unroll
		for (int u = 0; u < MERGE_UNROLL; u++) {
			float mn, co, cn;

			if (hd[u].x == -INFINITY)
				continue; /* an empty split (or none) */
			mn = fmaxf(m, hd[u].x);
			co = exp2f(m - mn); /* 0 while m is -inf */
			cn = exp2f(hd[u].x - mn);
			l = l * co + hd[u].y * cn;
			a.x = a.x * co + v[u].x * cn;
			a.y = a.y * co + v[u].y * cn;
			a.z = a.z * co + v[u].z * cn;
			a.w = a.w * co + v[u].w * cn;
			m = mn;
		}
	}
	if (!lane) {
		wm[warp] = m;
		wl[warp] = l;
	}
	wa[warp][lane] = a;
	__syncthreads();
	{
		const float *pa = reinterpret_cast<const float *>(wa);
		float M = -INFINITY, L = 0.0f, A = 0.0f;

#pragma unroll
		for (int w = 0; w < MERGE_WARPS; w++)
			M = fmaxf(M, wm[w]);
		if (M != -INFINITY)
#pragma unroll
			for (int w = 0; w < MERGE_WARPS; w++) {
				float f = exp2_from(wm[w], M);

				L += wl[w] * f;
				A += pa[w * ATT_D + d] * f;
			}
		out[(uint64_t)qh * ATT_D + d] =
			__float2bfloat16(L > 0 ? A / L : 0.0f);
	}
}

/*
 * Variant 2's automatic split count. Large problems (more than
 * MMA_SMALL_ENTRIES list entries in all): each warp takes k blocks of a
 * split (chunk = MMA_WARPS * k entries), k growing from 1 to 4 once the
 * grid holds two waves of resident CTAs or more (from the occupancy API:
 * 2 per SM since session 6's pipelined K/V loads took the kernel from 167
 * to 248-250 registers per thread, ptxas sm_90a); at k = 4 the partials
 * (G x 528 B per split, written and read) stay under 4% of the KV bytes
 * even at G = 8. Small problems: 8 blocks per warp (chunk 32), but at least one
 * CTA per SM while a warp keeps one block or more. Measured on the H200
 * (session 6, bench "splits=N" rows, Llama-3-8B): dense 32k at batch 1
 * 65% at 32 splits against 58% at the two-wave rule's 86; sparse 2,048
 * tokens at batch 16 65% at 2 splits against 59% at 6, at batch 4 37% at
 * 4-8 against 34%; batch 1 is best at 16 (15%), one block per warp.
 */
#define MMA_SMALL_ENTRIES 16384

static uint32_t attn_mma_splits(uint64_t bh, uint32_t max_list)
{
	/* the kernel's occupancy and the SM count, asked once: the live
	 * executor plans every decode layer, and its host is its bottleneck */
	static uint64_t resident_cached, sms_cached;
	uint64_t total = bh * max_list, resident, k, chunk, splits;
	int per_sm = 2;

	if (!bh)
		return 1; /* nothing to launch (kern_attn_plan's batch 0) */
	if (!resident_cached) {
		if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(
			    &per_sm, decode_attn_mma_kernel<8, false>, MMA_WARPS * 32,
			    0) != cudaSuccess ||
		    per_sm < 1) {
			cudaGetLastError();
			per_sm = 2;
		}
		sms_cached = kern_dev_attr(cudaDevAttrMultiProcessorCount, 132);
		resident_cached = (uint64_t)per_sm * sms_cached;
	}
	resident = resident_cached;
	if (total <= MMA_SMALL_ENTRIES) {
		uint64_t most = (max_list + MMA_WARPS - 1) / MMA_WARPS;

		splits = SS_MAX((max_list + 31) / 32,
				(sms_cached + bh - 1) / bh);
		return (uint32_t)SS_MAX(1, SS_MIN(splits, most));
	}
	k = SS_MAX(1, SS_MIN(total / (MMA_WARPS * 2 * resident), 4));
	chunk = MMA_WARPS * k;
	splits = (max_list + chunk - 1) / chunk;
	return (uint32_t)SS_MAX(1, SS_MIN(splits, 65535));
}

/* A launch of grid `grid` in clusters of 1 x S CTAs (S = 1: no cluster)
 * of `warps` warps and `smem` bytes of dynamic shared memory. */
static void cluster_config(cudaLaunchConfig_t *cfg, cudaLaunchAttribute *at,
			   dim3 grid, uint32_t S, uint32_t warps, size_t smem,
			   cudaStream_t stream)
{
	*cfg = cudaLaunchConfig_t{};
	at->id = cudaLaunchAttributeClusterDimension;
	at->val.clusterDim.x = 1;
	at->val.clusterDim.y = S;
	at->val.clusterDim.z = 1;
	cfg->gridDim = grid;
	cfg->blockDim = dim3(warps * 32);
	cfg->dynamicSmemBytes = smem;
	cfg->stream = stream;
	cfg->attrs = at;
	cfg->numAttrs = S > 1;
}

/*
 * The device's compute capability (major) and whether this library's
 * device code has sm_90's clusters and programmatic dependent launch:
 * built for an older arch and run through the PTX JIT on an H100/H200,
 * cluster_merge is a trap and griddepcontrol.wait is compiled out. Asked
 * once (the live executor plans every decode layer).
 */
static int dev_major(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = kern_dev_attr(cudaDevAttrComputeCapabilityMajor, 0);
	return cached;
}

static int sm90_code(void)
{
	static int cached = -1;

	if (cached < 0) {
		cudaFuncAttributes fa;

		cached = dev_major() >= 9 &&
			 cudaFuncGetAttributes(&fa, decode_attn_merge_kernel) ==
				 cudaSuccess &&
			 fa.ptxVersion >= 90;
		cudaGetLastError();
	}
	return cached;
}

/*
 * Variant 4, 5 and 6's kernels may use CPA_SMEM(variant) of shared
 * memory (above the 48 KiB default): 0, or the CUDA error that refused
 * it (a device with less shared memory a block). Clusters of more than 8
 * are a separate, optional permission (*big, when asked for). Asked once
 * per variant.
 */
template <int V>
static cudaError_t cpa_setup(int *big = NULL)
{
	static int done, big_ok;
	static cudaError_t rc;

	if (!done) {
		cudaError_t np = cudaSuccess;

#define CPA_ATTR(g, cl)                                                       \
	do {                                                                  \
		if (rc == cudaSuccess)                                        \
			rc = cudaFuncSetAttribute(                            \
				decode_attn_cpa_kernel<g, cl, V>,             \
				cudaFuncAttributeMaxDynamicSharedMemorySize,  \
				CPA_SMEM(V));                                 \
		if (np == cudaSuccess && (cl))                                \
			np = cudaFuncSetAttribute(                            \
				decode_attn_cpa_kernel<g, cl, V>,             \
				cudaFuncAttributeNonPortableClusterSizeAllowed,\
				1);                                           \
	} while (0)
		CPA_ATTR(1, false);
		CPA_ATTR(2, false);
		CPA_ATTR(4, false);
		CPA_ATTR(8, false);
		if constexpr (V != 7) { /* 7 runs without a cluster */
			CPA_ATTR(1, true);
			CPA_ATTR(2, true);
			CPA_ATTR(4, true);
			CPA_ATTR(8, true);
		}
#undef CPA_ATTR
		big_ok = np == cudaSuccess;
		cudaGetLastError(); /* the refusals above, not sticky */
		done = 1;
	}
	if (big)
		*big = big_ok;
	return rc;
}

/*
 * How many clusters of S CTAs of kernel `fn` (`warps` warps, `smem` bytes
 * of dynamic shared memory) the device runs at once: the SMs of a
 * cluster are in one GPC, so not simply SMs / S. 0 where the runtime
 * cannot say or refuses that size.
 */
static int clusters_fit(const void *fn, uint32_t S, uint32_t warps,
			size_t smem)
{
	cudaLaunchConfig_t cfg;
	cudaLaunchAttribute at;
	int n = 0;

	cluster_config(&cfg, &at, dim3(1, S), S, warps, smem, 0);
	cfg.numAttrs = 1;
	if (cudaOccupancyMaxActiveClusters(&n, fn, &cfg) != cudaSuccess)
		n = -1;
	cudaGetLastError();
	return n;
}

/*
 * The largest cluster of variant 3 (mma kernel): 16 CTAs where the
 * runtime allows that non-portable size for every instantiation and can
 * place such a cluster, else the portable 8. Asked once.
 */
static uint32_t mma_cluster_max(void)
{
	static uint32_t cached;

	if (!cached) {
		int ok = 1;

		cached = 8;
#define NP_ATTR(g)                                                            \
	ok = ok && cudaFuncSetAttribute(                                      \
			   decode_attn_mma_kernel<g, true>,                   \
			   cudaFuncAttributeNonPortableClusterSizeAllowed,    \
			   1) == cudaSuccess
		NP_ATTR(1);
		NP_ATTR(2);
		NP_ATTR(4);
		NP_ATTR(8);
#undef NP_ATTR
		if (ok && clusters_fit((const void *)decode_attn_mma_kernel<8, true>,
				       MMA_CLUSTER_MAX, MMA_WARPS, 0) > 0)
			cached = MMA_CLUSTER_MAX;
		cudaGetLastError();
	}
	return cached;
}

/*
 * How many clusters of S CTAs of variant 4 or 5's kernel (one CTA per
 * SM) the device runs at once: 0 where none fit (or S is past 16, or past
 * 8 without the non-portable permission), -1 where the runtime cannot say.
 * Asked once per S.
 */
template <int V>
static int cpa_clusters_fit(uint32_t S)
{
	static int cached[MMA_CLUSTER_MAX + 1], asked[MMA_CLUSTER_MAX + 1];
	int big = 0;

	if (S < 1 || S > MMA_CLUSTER_MAX)
		return 0;
	if (!asked[S]) {
		if (cpa_setup<V>(&big) != cudaSuccess || !sm90_code())
			cached[S] = -1;
		else if (S > 8 && !big)
			cached[S] = 0;
		else
			cached[S] = clusters_fit(
				(const void *)decode_attn_cpa_kernel<8, true, V>,
				S, CPA_W(V), CPA_SMEM(V));
		asked[S] = 1;
	}
	return cached[S];
}

static int cpa_fit(uint32_t variant, uint32_t S)
{
	return variant == 4   ? cpa_clusters_fit<4>(S)
	       : variant == 5 ? cpa_clusters_fit<5>(S)
	       : variant == 6 ? cpa_clusters_fit<6>(S)
			      : 0; /* 7: no cluster */
}

static cudaError_t cpa_ready(uint32_t variant)
{
	return variant == 4   ? cpa_setup<4>()
	       : variant == 5 ? cpa_setup<5>()
	       : variant == 6 ? cpa_setup<6>()
			      : cpa_setup<7>();
}

/*
 * Variant 7's epoch: a new number for every launch (flag_merge), never 0
 * or all ones (a zeroed or 0xFF-poisoned workspace), from any host thread.
 */
static uint64_t flag_epoch(void)
{
	static uint64_t next = 0x5eed000000000000ull;
	uint64_t e;

	do
		e = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	while (e == 0 || e == ~0ull);
	return e;
}

/* Do variants 3 to 6 merge these splits in a cluster (else: one split,
 * or the merge kernel: variant 3 past its largest cluster, 4 to 6 when
 * the batch's clusters would not all run at once)? */
static int mma_cluster(const struct kern_attn_args *a, uint32_t splits)
{
	int fit;

	if (splits < 2 || a->variant < 3 || a->variant == 7)
		return 0;
	if (a->variant == 3)
		return splits <= mma_cluster_max();
	fit = cpa_fit(a->variant, splits);
	return fit > 0 && (uint64_t)fit >= (uint64_t)a->batch * a->n_kv_heads;
}

static int attn_plan(const struct kern_attn_args *a, uint32_t *n_splits,
		     uint64_t *work_bytes, struct ss_err *err)
{
	uint32_t G, splits = a->n_splits;
	uint64_t bh = (uint64_t)a->batch * a->n_kv_heads;

	if (a->head_dim != ATT_D)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'head_dim': %u, only %u is "
				"supported",
				a->head_dim, ATT_D);
	if (!a->n_kv_heads || a->n_q_heads % a->n_kv_heads)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'n_q_heads': %u is not a "
				"multiple of n_kv_heads %u",
				a->n_q_heads, a->n_kv_heads);
	G = a->n_q_heads / a->n_kv_heads;
	if (G != 1 && G != 2 && G != 4 && G != 8)
		return ss_error(err, SS_EINVAL,
				"decode_attn: group size %u, supported: 1, 2, "
				"4, 8",
				G);
	if (!a->max_list)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'max_list' is 0");
	if (a->variant > 7)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'variant': %u, supported: "
				"0 (automatic), 1, 2, 3, 4, 5, 6, 7",
				a->variant);
	if (a->variant >= 3 && !sm90_code())
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'variant': %u needs "
				"compute capability 9.0 or newer, and device "
				"code built for it (%s)",
				a->variant,
				a->variant == 7 ? "its flags, fences and cp.async"
						: "thread-block clusters");
	if (a->variant >= 4 && cpa_ready(a->variant) != cudaSuccess)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'variant': %u needs %u bytes "
				"of shared memory a block: %s",
				a->variant, (unsigned)CPA_SMEM(a->variant),
				cudaGetErrorString(cpa_ready(a->variant)));
	if (bh > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"decode_attn: batch x n_kv_heads too large");
	if (!splits && a->variant == 1) {
		int sms = kern_dev_attr(cudaDevAttrMultiProcessorCount, 132);
		/* about 8 CTAs per SM (two waves at the kernel's
		 * occupancy), at least 4 entries (one per warp) per split */
		uint64_t want = ((uint64_t)sms * 8 + bh - 1) / (bh ? bh : 1);
		uint64_t most = (a->max_list + ATT_WARPS - 1) / ATT_WARPS;
		splits = (uint32_t)SS_MAX(1, SS_MIN(SS_MIN(want, most), 64));
	} else if (!splits) {
		uint32_t list = a->list_bound && a->list_bound < a->max_list
					? a->list_bound
					: a->max_list;

		splits = attn_mma_splits(bh, list);
		/* variant 3: small problems as one cluster per list */
		if (a->variant == 3 && bh * list <= MMA_SMALL_ENTRIES)
			splits = SS_MIN(splits, mma_cluster_max());
		/* variant 7 (one CTA per SM, no cluster): one wave, and the
		 * records of a list within the CTA's shared memory */
		if (a->variant == 7) {
			uint64_t sms = kern_dev_attr(
				cudaDevAttrMultiProcessorCount, 132);
			uint64_t fit = CPA_SMEM(7) / (G * ATT_REC * sizeof(float));

			splits = (uint32_t)SS_MAX(
				1, SS_MIN(SS_MIN(splits, SS_MAX(1, sms / bh)), fit));
		}
		/* variants 4 to 6 (one CTA per SM): the largest cluster of
		 * which all bh fit at once (session 9: at Llama-3-8B batch 1
		 * 16 CTAs a cluster, which do not, ran at 67% of 8's rate) */
		if (a->variant >= 4 && a->variant <= 6 &&
		    bh * list <= MMA_SMALL_ENTRIES) {
			splits = SS_MIN(splits, MMA_CLUSTER_MAX);
			while (splits > 1) {
				int fit = cpa_fit(a->variant, splits);

				if (fit < 0 || (uint64_t)fit >= bh)
					break; /* unknown, or they fit */
				splits--;
			}
			/* no split left empty: 64 entries in 9 splits
			 * are 8 of 8 (session 22) */
			splits = (list + (list + splits - 1) / splits - 1) /
				 ((list + splits - 1) / splits);
		}
	}
	if (splits > 65535 || splits > a->max_list)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'n_splits': %u exceeds "
				"max_list %u or 65535",
				splits, a->max_list);
	if (a->variant == 7 &&
	    (uint64_t)splits * G * ATT_REC * sizeof(float) > CPA_SMEM(7))
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'n_splits': %u, variant 7 "
				"merges at most %u splits of group size %u",
				splits,
				(unsigned)(CPA_SMEM(7) /
					   (G * ATT_REC * sizeof(float))),
				G);
	*n_splits = splits;
	*work_bytes = (a->variant != 1 && splits == 1) || mma_cluster(a, splits)
			      ? 0
			      : bh * splits * G * ATT_REC * sizeof(float) +
					(a->variant == 7 ? bh * splits * 8 : 0);
	return 0;
}

/*
 * Variant 0, the automatic choice: small problems (at most
 * MMA_SMALL_ENTRIES list entries in all) on sm_90 take the cp.async
 * kernels (4, 5 or 6), the others variant 2. Of the two cp.async kernels, variant 5
 * (8 warps of one stage) when a CTA's share of a list is 13-32 blocks,
 * too many for variant 4's 4 x 3 stages to hold at once and few enough
 * that its warps' serial chains are what 8 warps shorten; variant 4 (4
 * warps of three) below (everything in flight at once) and above (deeper
 * pipelines for long lists). Measured on the H200 (session 9, calls 4
 * and 5, percent of an ideal read of the same bytes): sparse Llama-3-8B
 * batch 1 (8 blocks a CTA) 62 (v4) against 60 (v5), batch 4 (22) 66
 * against 71, LWM-7B batch 1 (22) 71.6 against 71.9; dense Llama-3-8B
 * batch 1 (114) 84 against 82; at 64 blocks a tie. Where the plan is a
 * cluster, variant 6 (the pushed merge) instead. Session 14 chose it for
 * clusters of 2-4 (calls 3-5: LWM-7B batch 1, clusters of 4, 79.7-80.1%
 * against 71.0-71.2 (4) and 72.5-72.9 (5); Llama-3-8B batch 4 72.2-72.9
 * against 71.2-71.5 (5)); at Llama-3-8B batch 1 (clusters of 9) its
 * merge into one CTA ran at 56.7-59.5 against variant 4's 60.7-62.1.
 * Session 22's merge by the warps' bulk copies to the heads' owners
 * (call 2): Llama-3-8B batch 1 69.0 against variant 4's 64.9, dense
 * Llama-3-8B 32k batch 1 90.0 against 88.1. Variant 7
 * (session 15, call 1) is not chosen: 48.5 at Llama-3-8B batch 1, and
 * the 3-8 points it gains on large problems (one wave, whole lists) would
 * change every live run under profiles calibrated on this choice.
 */
static uint32_t attn_auto(const struct kern_attn_args *a)
{
	uint64_t bh = (uint64_t)a->batch * a->n_kv_heads;
	uint32_t list = a->list_bound && a->list_bound < a->max_list
				? a->list_bound
				: a->max_list;
	struct kern_attn_args t = *a;
	uint32_t splits, chunk;
	uint64_t wb;
	struct ss_err e2;

	if (bh * list > MMA_SMALL_ENTRIES || !sm90_code())
		return 2;
	t.variant = 4;
	if (attn_plan(&t, &splits, &wb, &e2))
		return 2; /* no room for its shared memory, or the caller's
			     plan reports the error */
	/* a cluster: the pushed merge (variant 6). Planned above as
	 * variant 4; the launch plans variant 6 again with its own cluster
	 * fit, the same while both run one CTA per SM */
	if (splits >= 2 && cpa_ready(6) == cudaSuccess) {
		t.variant = 6;
		if (mma_cluster(&t, splits))
			return 6;
	}
	chunk = (list + splits - 1) / splits;
	t.variant = chunk > 4 * CPA_NS(4) && chunk <= 8 * 4 ? 5 : 4;
	return cpa_ready(t.variant) == cudaSuccess ? t.variant : 2;
}

/* *a with variant 0 resolved to the variant that runs */
static struct kern_attn_args attn_resolve(const struct kern_attn_args *a)
{
	struct kern_attn_args t = *a;

	if (!t.variant && t.batch && t.max_list && t.n_kv_heads)
		t.variant = attn_auto(a);
	return t;
}

extern "C" int kern_attn_plan(const struct kern_attn_args *a,
			      uint32_t *n_splits, uint64_t *work_bytes,
			      struct ss_err *err)
{
	struct kern_attn_args t = attn_resolve(a);

	return attn_plan(&t, n_splits, work_bytes, err);
}

static int attn_launch(const struct kern_attn_args *args, int sparse,
		       void *stream, struct ss_err *err)
{
	const struct kern_attn_args resolved = attn_resolve(args);
	const struct kern_attn_args *a = &resolved;
	cudaStream_t s = kern_stream(stream);
	uint32_t splits, per_split, plan_split, G;
	uint64_t need;
	int rc = kern_attn_plan(a, &splits, &need, err);

	if (rc)
		return rc;
	if (!a->batch)
		return 0;
	if (!a->q || !a->cache || !a->slots || !a->ctx_len || !a->out ||
	    (need && !a->work))
		return ss_error(err, SS_EINVAL,
				"decode_attn: a pointer field is NULL (q, "
				"cache, slots, ctx_len, out, work)");
	if (sparse && (!a->block_ids || !a->n_list))
		return ss_error(err, SS_EINVAL,
				"sparse_decode_attn: fields 'block_ids' and "
				"'n_list' are required");
	if (a->work_bytes < need)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'work_bytes': %llu, need "
				"%llu",
				(unsigned long long)a->work_bytes,
				(unsigned long long)need);
	if (need && ((uintptr_t)a->work & 15))
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'work': not 16-byte "
				"aligned (the merge reads it with 16-byte "
				"loads)");
	G = a->n_q_heads / a->n_kv_heads;
	per_split = (a->max_list + splits - 1) / splits;
	/* the mma kernel's planned ranges: the bound split evenly (a list
	 * longer than the bound is split evenly by the kernel itself) */
	plan_split = ((a->list_bound && a->list_bound < a->max_list
			       ? a->list_bound
			       : a->max_list) +
		      splits - 1) /
		     splits;
	dim3 grid(a->batch * a->n_kv_heads, splits);
	const float qscale = a->scale * 1.4426950408889634f;
	const __nv_bfloat16 *q = (const __nv_bfloat16 *)a->q;
	const __nv_bfloat16 *cache = (const __nv_bfloat16 *)a->cache;
	const int32_t *bids = sparse ? a->block_ids : NULL;
	const uint32_t *nl = sparse ? a->n_list : NULL;
	__nv_bfloat16 *out = (__nv_bfloat16 *)a->out;

	/* one launch macro per kernel, instantiated for the group size */
#define ATT_BY_G(L)                                                           \
	switch (G) {                                                          \
	case 1: L(1); break;                                                  \
	case 2: L(2); break;                                                  \
	case 4: L(4); break;                                                  \
	default: L(8); break;                                                 \
	}
	if (a->variant == 1) {
#define ATT_LAUNCH(g)                                                         \
	decode_attn_kernel<g><<<grid, ATT_WARPS * 32, 0, s>>>(                \
		q, cache, a->slots, bids, nl, a->ctx_len, a->n_kv_heads,      \
		a->max_list, per_split, qscale, a->work)
		ATT_BY_G(ATT_LAUNCH);
#undef ATT_LAUNCH
		KCHECK_LAUNCH("decode_attn_kernel", err);
	} else if (a->variant >= 4) {
		/* variants 4 to 7: blocks staged by cp.async; merged in a
		 * cluster (as 3) when the splits fit at once, else by the
		 * merge kernel; 7 by the CTAs themselves (flag_merge) */
		const uint32_t V = a->variant;
		const int cl = mma_cluster(a, splits);
		cudaLaunchConfig_t cfg;
		cudaLaunchAttribute at;

		KCHECK(cpa_ready(V), err);
		cluster_config(&cfg, &at, grid, cl ? splits : 1, CPA_W(V),
			       CPA_SMEM(V), s);
		const uint64_t epoch = V == 7 ? flag_epoch() : 0;
#define CPA_LAUNCH(g, c, v)                                                   \
	cudaLaunchKernelEx(&cfg, decode_attn_cpa_kernel<g, c, v>, q, cache,   \
			   a->slots, bids, nl, a->ctx_len, a->n_kv_heads,     \
			   a->max_list, plan_split, qscale, a->work, out,     \
			   epoch)
#define CPA_BY_V(g, c)                                                        \
	(V == 4 ? CPA_LAUNCH(g, c, 4)                                         \
		: V == 5 ? CPA_LAUNCH(g, c, 5) : CPA_LAUNCH(g, c, 6))
#define ATT_LAUNCH(g)                                                         \
	KCHECK(V == 7 ? CPA_LAUNCH(g, false, 7)                               \
		      : cl ? CPA_BY_V(g, true) : CPA_BY_V(g, false),          \
	       err)
		ATT_BY_G(ATT_LAUNCH);
#undef ATT_LAUNCH
#undef CPA_BY_V
#undef CPA_LAUNCH
		if (cl || splits == 1 || V == 7)
			return 0; /* the kernel wrote `out` */
	} else if (mma_cluster(a, splits)) {
		/* variant 3: the S splits of a list are one cluster, merged
		 * through distributed shared memory (cluster_merge) */
		cudaLaunchConfig_t cfg;
		cudaLaunchAttribute at;

		cluster_config(&cfg, &at, grid, splits, MMA_WARPS, 0, s);
#define ATT_LAUNCH(g)                                                         \
	KCHECK(cudaLaunchKernelEx(&cfg, decode_attn_mma_kernel<g, true>, q,   \
				  cache, a->slots, bids, nl, a->ctx_len,      \
				  a->n_kv_heads, a->max_list, plan_split,     \
				  qscale, a->work, out),                      \
	       err)
		ATT_BY_G(ATT_LAUNCH);
#undef ATT_LAUNCH
		return 0; /* the clusters wrote `out` */
	} else {
#define ATT_LAUNCH(g)                                                         \
	decode_attn_mma_kernel<g, false><<<grid, MMA_WARPS * 32, 0, s>>>(     \
		q, cache, a->slots, bids, nl, a->ctx_len, a->n_kv_heads,      \
		a->max_list, plan_split, qscale, a->work, out)
		ATT_BY_G(ATT_LAUNCH);
#undef ATT_LAUNCH
		KCHECK_LAUNCH("decode_attn_mma_kernel", err);
		if (splits == 1)
			return 0; /* the kernel wrote `out` */
	}
#undef ATT_BY_G
	/* programmatic dependent launch (sm_90+): the merge CTAs are
	 * scheduled while the attention kernel drains, hiding the launch
	 * gap; the merge kernel waits for it with griddepcontrol.wait */
	cudaLaunchConfig_t cfg = {};
	cudaLaunchAttribute attr[1];
	cfg.gridDim = dim3(a->batch * a->n_q_heads);
	cfg.blockDim = dim3(ATT_D);
	cfg.stream = s;
	if (sm90_code()) { /* the merge kernel's griddepcontrol.wait */
		attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
		attr[0].val.programmaticStreamSerializationAllowed = 1;
		cfg.attrs = attr;
		cfg.numAttrs = 1;
	}
	KCHECK(cudaLaunchKernelEx(&cfg, decode_attn_merge_kernel,
				  (const float *)a->work, out, G, splits),
	       err);
	return 0;
}

extern "C" int kern_sparse_decode_attn(const struct kern_attn_args *a,
				       void *stream, struct ss_err *err)
{
	return attn_launch(a, 1, stream, err);
}

extern "C" int kern_dense_decode_attn(const struct kern_attn_args *a,
				      void *stream, struct ss_err *err)
{
	return attn_launch(a, 0, stream, err);
}
