/*
 * decode_attn.cu - sparse and dense paged decode attention (decode_attn.h).
 *
 * CTA = 4 warps for one (request, KV head, split). A warp takes one 32-token
 * block at a time: lane t loads token t's whole K row (16 x 16 B) and, for
 * the PV product, 8 bytes (4 dimensions) of every V row, so the block's
 * 16 KiB is in flight before any arithmetic. Scores use the group's queries
 * from shared memory (broadcast reads), pre-scaled by scale*log2(e) so the
 * online softmax runs on exp2. Warps merge in shared memory; splits merge
 * in decode_attn_merge_kernel.
 */
#include "decode_attn.h"
#include "kern_cuda.h"

#include <cuda_bf16.h>

#define ATT_WARPS 4
#define ATT_D 128
#define ATT_BT 32

__device__ __forceinline__ float2 bf2(uint32_t u)
{
	__nv_bfloat162 h = *reinterpret_cast<__nv_bfloat162 *>(&u);
	return __bfloat1622float2(h);
}

/* Partial record per (bh, split, g): m, l, acc[128] (fp32, log2 domain). */
#define ATT_REC (ATT_D + 2)

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
		float M = -INFINITY, L = 0.0f, A = 0.0f;
#pragma unroll
		for (int w = 0; w < ATT_WARPS; w++)
			M = fmaxf(M, wm[w][g]);
		if (M != -INFINITY) {
#pragma unroll
			for (int w = 0; w < ATT_WARPS; w++) {
				float f = wm[w][g] == -INFINITY
						  ? 0.0f
						  : exp2f(wm[w][g] - M);
				L += wl[w][g] * f;
				A += wacc[w][g][d] * f;
			}
		}
		rec[g * ATT_REC + 2 + d] = A;
		if (d == 0) {
			rec[g * ATT_REC] = M;
			rec[g * ATT_REC + 1] = L;
		}
	}
}

/* One CTA of 128 threads per query head: merge the splits' partials. */
__global__ void decode_attn_merge_kernel(const float *__restrict__ work,
					 __nv_bfloat16 *__restrict__ out,
					 uint32_t G, uint32_t n_splits)
{
	const uint32_t qh = blockIdx.x, bh = qh / G, g = qh % G;
	const uint32_t d = threadIdx.x;
	const float *rec = work + (uint64_t)bh * n_splits * G * ATT_REC +
			   g * ATT_REC;
	float M = -INFINITY, L = 0.0f, A = 0.0f;

	for (uint32_t s = 0; s < n_splits; s++)
		M = fmaxf(M, rec[(uint64_t)s * G * ATT_REC]);
	if (M != -INFINITY)
		for (uint32_t s = 0; s < n_splits; s++) {
			const float *r = rec + (uint64_t)s * G * ATT_REC;
			float f = r[0] == -INFINITY ? 0.0f : exp2f(r[0] - M);
			L += r[1] * f;
			A += r[2 + d] * f;
		}
	out[(uint64_t)qh * ATT_D + d] = __float2bfloat16(L > 0 ? A / L : 0.0f);
}

extern "C" int kern_attn_plan(const struct kern_attn_args *a,
			      uint32_t *n_splits, uint64_t *work_bytes,
			      struct ss_err *err)
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
	if (bh > INT32_MAX)
		return ss_error(err, SS_EINVAL,
				"decode_attn: batch x n_kv_heads too large");
	if (!splits) {
		int sms = 132;
		if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount,
					   0) != cudaSuccess)
			cudaGetLastError();
		/* about 8 CTAs per SM (two waves at the kernel's
		 * occupancy), at least 4 entries (one per warp) per split */
		uint64_t want = ((uint64_t)sms * 8 + bh - 1) / (bh ? bh : 1);
		uint64_t most = (a->max_list + ATT_WARPS - 1) / ATT_WARPS;
		splits = (uint32_t)SS_MAX(1, SS_MIN(SS_MIN(want, most), 64));
	}
	if (splits > 65535 || splits > a->max_list)
		return ss_error(err, SS_EINVAL,
				"decode_attn: field 'n_splits': %u exceeds "
				"max_list %u or 65535",
				splits, a->max_list);
	*n_splits = splits;
	*work_bytes = bh * splits * G * ATT_REC * sizeof(float);
	return 0;
}

static int attn_launch(const struct kern_attn_args *a, int sparse,
		       void *stream, struct ss_err *err)
{
	cudaStream_t s = kern_stream(stream);
	uint32_t splits, per_split, G;
	uint64_t need;
	int rc = kern_attn_plan(a, &splits, &need, err);

	if (rc)
		return rc;
	if (!a->batch)
		return 0;
	if (!a->q || !a->cache || !a->slots || !a->ctx_len || !a->out ||
	    !a->work)
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
	G = a->n_q_heads / a->n_kv_heads;
	per_split = (a->max_list + splits - 1) / splits;
	dim3 grid(a->batch * a->n_kv_heads, splits);
	const float qscale = a->scale * 1.4426950408889634f;
#define ATT_LAUNCH(g)                                                         \
	decode_attn_kernel<g><<<grid, ATT_WARPS * 32, 0, s>>>(                \
		(const __nv_bfloat16 *)a->q, (const __nv_bfloat16 *)a->cache, \
		a->slots, sparse ? a->block_ids : NULL,                       \
		sparse ? a->n_list : NULL, a->ctx_len, a->n_kv_heads,         \
		a->max_list, per_split, qscale, a->work)
	switch (G) {
	case 1: ATT_LAUNCH(1); break;
	case 2: ATT_LAUNCH(2); break;
	case 4: ATT_LAUNCH(4); break;
	default: ATT_LAUNCH(8); break;
	}
#undef ATT_LAUNCH
	KCHECK_LAUNCH("decode_attn_kernel", err);
	decode_attn_merge_kernel<<<a->batch * a->n_q_heads, ATT_D, 0, s>>>(
		a->work, (__nv_bfloat16 *)a->out, G, splits);
	KCHECK_LAUNCH("decode_attn_merge_kernel", err);
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
