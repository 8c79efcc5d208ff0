/*
 * select.cu - DSA block selection (see select.h).
 *
 * Two kernels. Scoring: a grid over (64-block tiles, request x KV head);
 * each warp scores 8 consecutive blocks, every lane holding 4 dimensions
 * of the group's queries folded into two vectors (sum q / 2 and
 * sum |q| / 2, so the arithmetic per block does not grow with G) and
 * loading 8 bytes of each corner, so a warp reads 4 KiB of digests with
 * 16 loads in flight per lane. Top-k: one CTA
 * per (request, KV head), radix select over the fp32 scores (4 passes of
 * 8 bits) for the k-th largest, then an ordered compaction (block-wide
 * ballot scans) that keeps ties in block-id order. The candidates' keys
 * are read from global memory once into shared memory (up to
 * TOPK_SMEM_KEYS of them; longer lists read global memory every pass).
 */
#include "kern_cuda.h"
#include "select.h"

#include <cuda_bf16.h>

#define SEL_WARPS 8
#define SEL_PER_WARP 8
#define SEL_TILE (SEL_WARPS * SEL_PER_WARP)
#define TOPK_THREADS 1024
/* Candidates whose keys the top-k kernel keeps in shared memory: 46 KiB,
 * of the 48 KiB a launch gets without opting in, less the static arrays
 * (262,144 tokens = 8,192 blocks fit). */
#define TOPK_SMEM_KEYS 11776

struct sel_range {
	uint32_t sink_end, cand_end, win_start, n_total;
};

__device__ __forceinline__ struct sel_range sel_range(uint32_t ctx,
						      uint32_t n_sink,
						      uint32_t n_window)
{
	struct sel_range r;
	uint32_t full = ctx / KERN_BLOCK_TOKENS;

	r.n_total = (ctx + KERN_BLOCK_TOKENS - 1) / KERN_BLOCK_TOKENS;
	r.sink_end = min(n_sink, r.n_total);
	r.win_start = r.n_total > n_window ? r.n_total - n_window : 0;
	r.win_start = max(r.win_start, r.sink_end);
	r.cand_end = max(min(r.win_start, full), r.sink_end);
	return r;
}

__device__ __forceinline__ float2 bf2x2(uint32_t u)
{
	__nv_bfloat162 h = *reinterpret_cast<__nv_bfloat162 *>(&u);
	return __bfloat1622float2(h);
}

template <int G>
__global__ void __launch_bounds__(SEL_WARPS * 32)
	select_score_kernel(const __nv_bfloat16 *__restrict__ q,
			    const uint2 *__restrict__ digest,
			    const uint32_t *__restrict__ ctx_len,
			    float *__restrict__ scores, uint32_t n_kv_heads,
			    uint32_t max_blocks, uint32_t n_sink,
			    uint32_t n_window)
{
	const uint32_t bh = blockIdx.y, b = bh / n_kv_heads,
		       h = bh % n_kv_heads;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	struct sel_range r = sel_range(ctx_len[b], n_sink, n_window);
	uint32_t j0 = r.sink_end + blockIdx.x * SEL_TILE + warp * SEL_PER_WARP;
	float qa[4] = { 0.0f, 0.0f, 0.0f, 0.0f }, qb[4] = { 0.0f, 0.0f, 0.0f, 0.0f };

	if (j0 >= r.cand_end)
		return;
	/*
	 * max(q u, q l) = (q (u + l) + |q| |u - l|) / 2, so the group's sum
	 * over g is qa_i (u_i + l_i) + qb_i |u_i - l_i| with qa = sum q / 2
	 * and qb = sum |q| / 2 folded once here: 4 operations per dimension
	 * and block whatever G is (it was 4 G).
	 */
#pragma unroll
	for (int g = 0; g < G; g++) {
		const uint2 *qp = reinterpret_cast<const uint2 *>(
			q + ((uint64_t)b * n_kv_heads * G + h * G + g) *
				    KERN_HEAD_DIM);
		uint2 u = qp[lane];
		float2 x = bf2x2(u.x), y = bf2x2(u.y);
		float v[4] = { x.x, x.y, y.x, y.y };
#pragma unroll
		for (int i = 0; i < 4; i++) {
			qa[i] += 0.5f * v[i];
			qb[i] += 0.5f * fabsf(v[i]);
		}
	}
	/* a digest row is 2 x 128 bf16 = 64 uint2: upper [0,32), lower [32,64) */
	const uint2 *base = digest + ((uint64_t)bh * max_blocks + j0) * 64;
	uint2 up[SEL_PER_WARP], lo[SEL_PER_WARP];
#pragma unroll
	for (int u = 0; u < SEL_PER_WARP; u++) {
		if (j0 + u < r.cand_end) {
			up[u] = base[u * 64 + lane];
			lo[u] = base[u * 64 + 32 + lane];
		}
	}
#pragma unroll
	for (int u = 0; u < SEL_PER_WARP; u++) {
		float s = 0.0f, U[4], L[4];
		float2 t;

		if (j0 + u >= r.cand_end)
			break;
		t = bf2x2(up[u].x);
		U[0] = t.x;
		U[1] = t.y;
		t = bf2x2(up[u].y);
		U[2] = t.x;
		U[3] = t.y;
		t = bf2x2(lo[u].x);
		L[0] = t.x;
		L[1] = t.y;
		t = bf2x2(lo[u].y);
		L[2] = t.x;
		L[3] = t.y;
#pragma unroll
		for (int i = 0; i < 4; i++)
			s += qa[i] * (U[i] + L[i]) + qb[i] * fabsf(U[i] - L[i]);
#pragma unroll
		for (int o = 16; o; o >>= 1)
			s += __shfl_xor_sync(0xffffffffu, s, o);
		if (lane == 0)
			scores[(uint64_t)bh * max_blocks + j0 + u] = s;
	}
}

/* Order-preserving map of a float to an unsigned key (NaN never occurs). */
__device__ __forceinline__ uint32_t fkey(float f)
{
	uint32_t u = __float_as_uint(f);
	return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Exclusive block-wide prefix count of `flag`; *total gets the sum. */
__device__ uint32_t block_scan(int flag, uint32_t *total, uint32_t *sm)
{
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t nw = blockDim.x >> 5;
	uint32_t bal = __ballot_sync(0xffffffffu, flag);
	uint32_t before = __popc(bal & ((1u << lane) - 1u)), v, x;

	__syncthreads();
	if (lane == 0)
		sm[warp] = __popc(bal);
	__syncthreads();
	if (warp == 0) {
		v = lane < nw ? sm[lane] : 0;
		x = v;
		for (int o = 1; o < 32; o <<= 1) {
			uint32_t y = __shfl_up_sync(0xffffffffu, x, o);
			if (lane >= (uint32_t)o)
				x += y;
		}
		sm[lane] = x - v; /* exclusive */
		if (lane == 31)
			sm[32] = x;
	}
	__syncthreads();
	*total = sm[32];
	return sm[warp] + before;
}

__global__ void __launch_bounds__(TOPK_THREADS)
	select_topk_kernel(const float *__restrict__ scores,
			   const uint32_t *__restrict__ ctx_len,
			   int32_t *__restrict__ out_ids,
			   uint32_t *__restrict__ out_count,
			   uint32_t n_kv_heads, uint32_t max_blocks,
			   uint32_t topk, uint32_t n_sink, uint32_t n_window,
			   uint32_t smem_keys)
{
	extern __shared__ uint32_t skeys[];
	__shared__ uint32_t hist[256];
	__shared__ uint32_t sm[33];
	__shared__ uint32_t s_prefix, s_krem;
	const uint32_t bh = blockIdx.x, b = bh / n_kv_heads;
	const uint32_t cap = n_sink + topk + n_window;
	struct sel_range r = sel_range(ctx_len[b], n_sink, n_window);
	const float *sc = scores + (uint64_t)bh * max_blocks;
	int32_t *out = out_ids + (uint64_t)bh * cap;
	uint32_t n_cand = r.cand_end - r.sink_end;
	uint32_t k = min(topk, n_cand), prefix = 0, mask = 0, krem = k;
	uint32_t n_win = r.n_total - r.win_start, n_out;
	const bool cached = n_cand <= smem_keys;
#define TOPK_KEY(j) (cached ? skeys[(j) - r.sink_end] : fkey(sc[j]))

	for (uint32_t i = threadIdx.x; i < r.sink_end; i += blockDim.x)
		out[i] = (int32_t)i;
	if (k > 0 && cached) {
		for (uint32_t j = r.sink_end + threadIdx.x; j < r.cand_end;
		     j += blockDim.x)
			skeys[j - r.sink_end] = fkey(sc[j]);
		/* the first pass's barrier publishes them */
	}
	if (k > 0) {
		for (int shift = 24; shift >= 0; shift -= 8) {
			for (uint32_t i = threadIdx.x; i < 256; i += blockDim.x)
				hist[i] = 0;
			__syncthreads();
			for (uint32_t j = r.sink_end + threadIdx.x;
			     j < r.cand_end; j += blockDim.x) {
				uint32_t key = TOPK_KEY(j);
				if ((key & mask) == prefix)
					atomicAdd(&hist[(key >> shift) & 255u],
						  1u);
			}
			__syncthreads();
			if (threadIdx.x < 32) {
				/* warp 0 finds the bin holding the krem-th
				 * largest key: lane l sums bins 255-8l ..
				 * 248-8l, a scan over lanes, then the first
				 * lane reaching krem walks its 8 bins */
				const uint32_t lane = threadIdx.x;
				uint32_t loc[8], sum = 0, incl, excl, hit;
#pragma unroll
				for (int i = 0; i < 8; i++) {
					loc[i] = hist[255 - 8 * lane - i];
					sum += loc[i];
				}
				incl = sum;
#pragma unroll
				for (int o = 1; o < 32; o <<= 1) {
					uint32_t y = __shfl_up_sync(0xffffffffu,
								    incl, o);
					if (lane >= (uint32_t)o)
						incl += y;
				}
				excl = incl - sum;
				hit = __ballot_sync(0xffffffffu, incl >= krem);
				if (lane == (uint32_t)(__ffs(hit) - 1)) {
					uint32_t cum = excl;
#pragma unroll
					for (int i = 0; i < 8; i++) {
						if (cum + loc[i] >= krem) {
							uint32_t bin =
								255 - 8 * lane - i;
							s_prefix = prefix |
								   bin << shift;
							s_krem = krem - cum;
							break;
						}
						cum += loc[i];
					}
				}
			}
			__syncthreads();
			prefix = s_prefix;
			krem = s_krem;
			mask |= 255u << shift;
		}
		/* keys > prefix, plus the first krem keys == prefix */
		uint32_t eq_seen = 0, sel_seen = 0;
		for (uint32_t base = r.sink_end; base < r.cand_end;
		     base += blockDim.x) {
			uint32_t j = base + threadIdx.x, tot;
			uint32_t key = j < r.cand_end ? TOPK_KEY(j) : 0;
			int in = j < r.cand_end;
			int eq = in && key == prefix, gt = in && key > prefix;
			uint32_t eq_rank = block_scan(eq, &tot, sm);
			int sel = gt || (eq && eq_seen + eq_rank < krem);
			uint32_t pos;

			eq_seen += tot;
			pos = block_scan(sel, &tot, sm);
			if (sel)
				out[r.sink_end + sel_seen + pos] = (int32_t)j;
			sel_seen += tot;
		}
	}
	for (uint32_t i = threadIdx.x; i < n_win; i += blockDim.x)
		out[r.sink_end + k + i] = (int32_t)(r.win_start + i);
	n_out = r.sink_end + k + n_win;
	for (uint32_t i = n_out + threadIdx.x; i < cap; i += blockDim.x)
		out[i] = -1;
	if (threadIdx.x == 0)
		out_count[bh] = n_out;
#undef TOPK_KEY
}

extern "C" int kern_select(const struct kern_select_args *a, void *stream,
			   struct ss_err *err)
{
	cudaStream_t s = kern_stream(stream);
	uint32_t G, tiles;

	if (a->head_dim != KERN_HEAD_DIM)
		return ss_error(err, SS_EINVAL,
				"select: field 'head_dim': %u, only %u is "
				"supported",
				a->head_dim, KERN_HEAD_DIM);
	if (!a->n_kv_heads || a->n_q_heads % a->n_kv_heads)
		return ss_error(err, SS_EINVAL,
				"select: field 'n_q_heads': %u is not a "
				"multiple of n_kv_heads %u",
				a->n_q_heads, a->n_kv_heads);
	G = a->n_q_heads / a->n_kv_heads;
	if (G != 1 && G != 2 && G != 4 && G != 8)
		return ss_error(err, SS_EINVAL,
				"select: group size n_q_heads/n_kv_heads = %u, "
				"supported: 1, 2, 4, 8",
				G);
	if (!a->max_blocks)
		return ss_error(err, SS_EINVAL,
				"select: field 'max_blocks' is 0");
	if ((uint64_t)a->batch * a->n_kv_heads > 65535)
		return ss_error(err, SS_EINVAL,
				"select: batch x n_kv_heads = %llu exceeds 65535",
				(unsigned long long)a->batch * a->n_kv_heads);
	if (!a->batch)
		return 0;
	if (!a->q || !a->digest || !a->ctx_len || !a->scores ||
	    !a->out_ids || !a->out_count)
		return ss_error(err, SS_EINVAL,
				"select: a pointer field is NULL (q, digest, "
				"ctx_len, scores, out_ids, out_count)");
	tiles = (a->max_blocks + SEL_TILE - 1) / SEL_TILE;
	dim3 grid(tiles, a->batch * a->n_kv_heads);
#define SEL_LAUNCH(g)                                                         \
	select_score_kernel<g><<<grid, SEL_WARPS * 32, 0, s>>>(               \
		(const __nv_bfloat16 *)a->q, (const uint2 *)a->digest,        \
		a->ctx_len, a->scores, a->n_kv_heads, a->max_blocks,          \
		a->n_sink, a->n_window)
	switch (G) {
	case 1: SEL_LAUNCH(1); break;
	case 2: SEL_LAUNCH(2); break;
	case 4: SEL_LAUNCH(4); break;
	default: SEL_LAUNCH(8); break;
	}
#undef SEL_LAUNCH
	KCHECK_LAUNCH("select_score_kernel", err);
	{
		uint32_t keys = SS_MIN(a->max_blocks, TOPK_SMEM_KEYS);

		select_topk_kernel<<<a->batch * a->n_kv_heads, TOPK_THREADS,
				     (size_t)keys * sizeof(uint32_t), s>>>(
			a->scores, a->ctx_len, a->out_ids, a->out_count,
			a->n_kv_heads, a->max_blocks, a->topk, a->n_sink,
			a->n_window, keys);
	}
	KCHECK_LAUNCH("select_topk_kernel", err);
	return 0;
}
