/*
 * select.cu - DSA block selection (see select.h).
 *
 * Two kernels. Scoring: a grid over (64-block tiles, request x KV head);
 * each warp scores 8 consecutive blocks, every lane holding 4 dimensions
 * of the group's queries folded into two vectors (sum q / 2 and
 * sum |q| / 2, so the arithmetic per block does not grow with G) and
 * loading 8 bytes of each corner, so a warp reads 4 KiB of digests with
 * 16 loads in flight per lane. Top-k: one CTA per (request, KV head).
 * The candidates' keys are read from global memory once, into shared
 * memory (up to TOPK_SMEM_KEYS of them; longer lists read global memory
 * again in every later step), and reduced to their minimum and maximum:
 * the bits those two share are shared by every key, so the radix select
 * for the k-th largest starts below them, 8 bits a pass, and stops as
 * soon as the k-th key's bin holds exactly the keys still wanted. An
 * ordered compaction then writes the chosen ids, ties in block-id order,
 * after one block-wide scan.
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
/* the compaction packs two counts of one round's candidates in a word */
static_assert(TOPK_SMEM_KEYS < 65536 && 4 * TOPK_THREADS < 65536,
	      "top-k counts must fit 16 bits");

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

/*
 * Exclusive block-wide prefix sum of v; *total gets the sum (the caller
 * keeps it below 2^32). One barrier: every warp scans the 32 warp totals
 * itself rather than wait at a second barrier for warp 0's scan, so `sm`
 * (32 words) must not be written again until after another barrier.
 */
__device__ __forceinline__ uint32_t block_scan(uint32_t v, uint32_t *total,
					       uint32_t *sm)
{
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t nw = blockDim.x >> 5;
	uint32_t x = v, w, y;

#pragma unroll
	for (int o = 1; o < 32; o <<= 1) {
		y = __shfl_up_sync(0xffffffffu, x, o);
		if (lane >= (uint32_t)o)
			x += y;
	}
	if (lane == 31)
		sm[warp] = x;
	__syncthreads();
	w = lane < nw ? sm[lane] : 0;
	y = w;
#pragma unroll
	for (int o = 1; o < 32; o <<= 1) {
		uint32_t t = __shfl_up_sync(0xffffffffu, y, o);
		if (lane >= (uint32_t)o)
			y += t;
	}
	*total = __shfl_sync(0xffffffffu, y, 31);
	return __shfl_sync(0xffffffffu, y - w, warp) + x - v;
}

/*
 * Keys of candidates j .. j+3 (j a multiple of 4, j < n; 0 past n): one
 * shared-memory vector when cached, else four reads of the scores.
 */
__device__ __forceinline__ uint4 topk_keys4(const uint4 *skeys4,
					    const float *sc, bool cached,
					    uint32_t j, uint32_t n)
{
	uint4 q;

	if (cached)
		return skeys4[j / 4];
	q.x = fkey(sc[j]);
	q.y = j + 1 < n ? fkey(sc[j + 1]) : 0;
	q.z = j + 2 < n ? fkey(sc[j + 2]) : 0;
	q.w = j + 3 < n ? fkey(sc[j + 3]) : 0;
	return q;
}

/* Two CTAs of 1,024 threads per SM, so at most 32 registers: G = 1
 * batches launch about 4 CTAs per SM (LWM-7B, batch 16: 512 on 132). */
__global__ void __launch_bounds__(TOPK_THREADS, 2)
	select_topk_kernel(const float *__restrict__ scores,
			   const uint32_t *__restrict__ ctx_len,
			   int32_t *__restrict__ out_ids,
			   uint32_t *__restrict__ out_count,
			   uint32_t n_kv_heads, uint32_t max_blocks,
			   uint32_t topk, uint32_t n_sink, uint32_t n_window,
			   uint32_t smem_keys)
{
	/* keys of candidates sink_end + j at j, read 4 at a time in the
	 * compaction (smem_keys is a multiple of 4) */
	extern __shared__ uint4 skeys4[];
	uint32_t *skeys = reinterpret_cast<uint32_t *>(skeys4);
	__shared__ uint32_t hist[256];
	__shared__ uint32_t sm[2][32], s_min[32], s_max[32];
	__shared__ uint32_t s_prefix, s_krem, s_done;
	const uint32_t bh = blockIdx.x, b = bh / n_kv_heads;
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	const uint32_t nw = blockDim.x >> 5;
	const uint32_t cap = n_sink + topk + n_window;
	struct sel_range r = sel_range(ctx_len[b], n_sink, n_window);
	const float *sc = scores + (uint64_t)bh * max_blocks + r.sink_end;
	int32_t *out = out_ids + (uint64_t)bh * cap;
	uint32_t n_cand = r.cand_end - r.sink_end;
	uint32_t k = min(topk, n_cand), krem = k;
	uint32_t n_win = r.n_total - r.win_start, n_out;
	const bool cached = n_cand <= smem_keys;
#define TOPK_KEY(j) (cached ? skeys[j] : fkey(sc[j]))

	for (uint32_t i = threadIdx.x; i < r.sink_end; i += blockDim.x)
		out[i] = (int32_t)i;
	if (k > 0) {
		uint32_t kmin = 0xffffffffu, kmax = 0, d, prefix, mask;

		for (uint32_t i = threadIdx.x; i < 256; i += blockDim.x)
			hist[i] = 0;
		/* 4 loads in flight per thread (4,096 candidates take one
		 * round), not one L2 round trip after another */
		for (uint32_t j0 = threadIdx.x; j0 < n_cand;
		     j0 += 4 * blockDim.x) {
			float f[4];

#pragma unroll
			for (uint32_t i = 0; i < 4; i++)
				if (j0 + i * blockDim.x < n_cand)
					f[i] = sc[j0 + i * blockDim.x];
#pragma unroll
			for (uint32_t i = 0; i < 4; i++) {
				uint32_t j = j0 + i * blockDim.x, key;

				if (j < n_cand) {
					key = fkey(f[i]);
					if (cached)
						skeys[j] = key;
					kmin = min(kmin, key);
					kmax = max(kmax, key);
				}
			}
		}
		kmin = __reduce_min_sync(0xffffffffu, kmin);
		kmax = __reduce_max_sync(0xffffffffu, kmax);
		if (lane == 0) {
			s_min[warp] = kmin;
			s_max[warp] = kmax;
		}
		/* also publishes the keys and the cleared histogram */
		__syncthreads();
		kmin = __reduce_min_sync(0xffffffffu,
					 lane < nw ? s_min[lane] : 0xffffffffu);
		kmax = __reduce_max_sync(0xffffffffu,
					 lane < nw ? s_max[lane] : 0);
		/*
		 * Every key lies in [kmin, kmax], so shares the bits above the
		 * highest one where those two differ: the first pass starts
		 * there. A pass counts the keys whose masked bits equal prefix
		 * in 256 bins of the 8 bits below, then takes the bin holding
		 * the krem-th largest. Keys that all lie in a few bins of the
		 * sign and exponent no longer cost a full pass of atomics on
		 * the same few words.
		 */
		d = kmin ^ kmax;
		mask = d ? ~(0xffffffffu >> __clz(d)) : 0xffffffffu;
		prefix = kmin & mask;
		for (int hi = d ? 31 - __clz(d) : -1; hi >= 0;) {
			/* below 8 bits left, the bins repeat resolved bits */
			const int shift = max(hi - 7, 0);

			for (uint32_t j = threadIdx.x; j < n_cand;
			     j += blockDim.x) {
				uint32_t key = TOPK_KEY(j);
				if ((key & mask) == prefix)
					atomicAdd(&hist[(key >> shift) & 255u],
						  1u);
			}
			__syncthreads();
			if (warp == 0) {
				/* lane l sums bins 255-8l .. 248-8l (and
				 * clears them for the next pass), a scan
				 * over lanes, then the first lane reaching
				 * krem walks its 8 bins */
				uint32_t loc[8], sum = 0, incl, excl, hit;
#pragma unroll
				for (int i = 0; i < 8; i++) {
					loc[i] = hist[255 - 8 * lane - i];
					hist[255 - 8 * lane - i] = 0;
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
							/* all of the bin is
							 * taken: no tie to
							 * split below it */
							s_done = loc[i] ==
								 krem - cum;
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
			hi = s_done ? -1 : shift - 1;
		}
		/*
		 * Keys whose masked bits are above prefix, plus the first krem
		 * equal to it. Each thread takes a run of 4 nv consecutive
		 * candidates (all of them in one round when cached), so one
		 * scan of its two counts, 16 bits each, places its writes;
		 * only the few threads with a write read their run again.
		 */
		const uint32_t nv = cached ? (n_cand + 4 * blockDim.x - 1) /
						     (4 * blockDim.x)
					   : 1;
		uint32_t gt_seen = 0, eq_seen = 0;

		for (uint32_t base = 0, round = 0; base < n_cand;
		     base += 4 * nv * blockDim.x, round++) {
			const uint32_t j0 = base + threadIdx.x * 4 * nv;
			uint32_t gt = 0, eq = 0, x, tot, e, pos;

			for (uint32_t j = j0; j < j0 + 4 * nv && j < n_cand;
			     j += 4) {
				uint4 q = topk_keys4(skeys4, sc, cached, j,
						     n_cand);
				uint32_t kv[4] = { q.x, q.y, q.z, q.w };
#pragma unroll
				for (uint32_t i = 0; i < 4; i++) {
					uint32_t m = kv[i] & mask;

					if (j + i < n_cand) {
						gt += m > prefix;
						eq += m == prefix;
					}
				}
			}
			/* rounds alternate buffers: one barrier each */
			x = block_scan(gt << 16 | eq, &tot, sm[round & 1]);
			e = eq_seen + (x & 0xffffu);
			pos = r.sink_end + gt_seen + (x >> 16) + min(e, krem);
			for (uint32_t j = j0; (gt || (eq && e < krem)) &&
					      j < j0 + 4 * nv && j < n_cand;
			     j += 4) {
				uint4 q = topk_keys4(skeys4, sc, cached, j,
						     n_cand);
				uint32_t kv[4] = { q.x, q.y, q.z, q.w };
#pragma unroll
				for (uint32_t i = 0; i < 4; i++) {
					uint32_t m = kv[i] & mask;

					if (j + i < n_cand &&
					    (m > prefix ||
					     (m == prefix && e++ < krem)))
						out[pos++] = (int32_t)(
							r.sink_end + j + i);
				}
			}
			gt_seen += tot >> 16;
			eq_seen += tot & 0xffffu;
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
		/* a multiple of 4: the compaction reads keys 4 at a time */
		uint32_t keys = SS_MIN((a->max_blocks + 3) & ~3u,
				       TOPK_SMEM_KEYS);

		select_topk_kernel<<<a->batch * a->n_kv_heads, TOPK_THREADS,
				     (size_t)keys * sizeof(uint32_t), s>>>(
			a->scores, a->ctx_len, a->out_ids, a->out_count,
			a->n_kv_heads, a->max_blocks, a->topk, a->n_sink,
			a->n_window, keys);
	}
	KCHECK_LAUNCH("select_topk_kernel", err);
	return 0;
}
