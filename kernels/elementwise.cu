/*
 * elementwise.cu - RMSNorm, RoPE, SwiGLU and residual add (elementwise.h).
 *
 * All four are memory-bound: each thread moves 16-byte vectors (8 bf16),
 * computes in fp32 and rounds once. RMSNorm takes one CTA per token row
 * and keeps the row in registers between the sum of squares and the
 * scaling (one read, one write; two reads and two writes with the fused
 * residual add, against three and three unfused). RoPE has three launches.
 * KERN_ROPE_REG, the automatic one for at most ROPE_REG_AUTO_MAX head slots per
 * token (the 70B TP-8 share), takes one thread per (token, 8 pairs) that
 * issues the loads of all its slots first, then computes its 8 sin/cos while
 * they are in flight (H200, 16k tokens: 74% of the copy bandwidth
 * event-timed, 94% inside the kernel by Nsight Compute). KERN_ROPE_TILE,
 * the automatic launch past that, takes a CTA per tile of tokens, builds
 * the tile's cos/sin table in shared memory once per (token, pair) while
 * its loads are in flight, and gives each thread a few (token, head, 8
 * pairs) items (Llama-3.1-8B: 93% of the copy bandwidth; slower for the
 * 70B TP-8 share: 79% against the register launch's 82%). The per-thread
 * launch (heads_per_thread = 1..) takes one thread per (token, chunk of
 * heads, 8 pairs), computing its 8 angles' sin/cos itself. All read both halves of
 * each head once; with kv_out they write K and V straight into the
 * contiguous save buffer, so no separate copy pass is needed. The first two
 * share their arithmetic (rope_sincos8, rope_rot8) and agree bit for bit.
 */
#include <cuda_bf16.h>

#include "elementwise.h"
#include "kern_cuda.h"

#define EW_THREADS 256
#define NORM_MAX_VEC 8 /* 16-byte vectors per thread: width <= 65,536 */
#define NORM_PER_THREAD 4 /* vectors per thread the block size aims at */

union vec8 {
	uint4 u;
	__nv_bfloat162 h[4];
};

__device__ __forceinline__ void unpack8(const uint4 &u, float f[8])
{
	union vec8 v;

	v.u = u;
#pragma unroll
	for (int i = 0; i < 4; i++) {
		float2 p = __bfloat1622float2(v.h[i]);
		f[2 * i] = p.x;
		f[2 * i + 1] = p.y;
	}
}

__device__ __forceinline__ uint4 pack8(const float f[8])
{
	union vec8 v;

#pragma unroll
	for (int i = 0; i < 4; i++)
		v.h[i] = __floats2bfloat162_rn(f[2 * i], f[2 * i + 1]);
	return v.u;
}

/*
 * One CTA per row, blockDim = the row's vectors / 4 (rounded up to a warp,
 * at most 1024): every thread issues its (<= NORM_MAX_VEC) 16-byte loads
 * before any arithmetic and keeps them packed, so ~64 B per thread are in
 * flight and small CTAs pack many rows per SM.
 */
__global__ void __launch_bounds__(1024)
	rmsnorm_kernel(uint4 *__restrict__ x, const uint4 *__restrict__ add,
		       const uint4 *__restrict__ gain, uint4 *__restrict__ out,
		       uint32_t nvec, float eps)
{
	__shared__ float red[32];
	const uint64_t row = (uint64_t)blockIdx.x * nvec;
	const uint32_t nt = blockDim.x;
	uint4 raw[NORM_MAX_VEC];
	float ss = 0;

#pragma unroll
	for (int k = 0; k < NORM_MAX_VEC; k++) {
		uint32_t c = threadIdx.x + k * nt;
		if (c < nvec)
			raw[k] = x[row + c];
	}
	if (add) {
#pragma unroll
		for (int k = 0; k < NORM_MAX_VEC; k++) {
			uint32_t c = threadIdx.x + k * nt;
			if (c < nvec) {
				float a[8], v[8];
				unpack8(add[row + c], a);
				unpack8(raw[k], v);
#pragma unroll
				for (int i = 0; i < 8; i++)
					v[i] += a[i];
				raw[k] = pack8(v);
				x[row + c] = raw[k]; /* the stored residual */
			}
		}
	}
#pragma unroll
	for (int k = 0; k < NORM_MAX_VEC; k++) {
		uint32_t c = threadIdx.x + k * nt;
		if (c < nvec) {
			float v[8];
			unpack8(raw[k], v);
#pragma unroll
			for (int i = 0; i < 8; i++)
				ss += v[i] * v[i];
		}
	}
#pragma unroll
	for (int o = 16; o; o >>= 1)
		ss += __shfl_xor_sync(0xffffffffu, ss, o);
	if ((threadIdx.x & 31) == 0)
		red[threadIdx.x >> 5] = ss;
	__syncthreads();
	ss = 0;
	for (uint32_t w = 0; w < nt / 32; w++)
		ss += red[w];
	const float r = rsqrtf(ss / (float)(nvec * 8) + eps);
#pragma unroll
	for (int k = 0; k < NORM_MAX_VEC; k++) {
		uint32_t c = threadIdx.x + k * nt;
		if (c < nvec) {
			float g[8], v[8];
			unpack8(gain[c], g);
			unpack8(raw[k], v);
#pragma unroll
			for (int i = 0; i < 8; i++)
				v[i] = v[i] * r * g[i];
			out[row + c] = pack8(v);
		}
	}
}

static int aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

extern "C" int kern_rmsnorm(kern_bf16 *x, const kern_bf16 *add,
			    const kern_bf16 *gain, kern_bf16 *out,
			    uint32_t n_tokens, uint32_t width, float eps,
			    void *stream, struct ss_err *err)
{
	if (!x || !gain || !out)
		return ss_error(err, SS_EINVAL,
				"rmsnorm: NULL input, gain or output");
	if (!width || width % 8 || width > NORM_MAX_VEC * 1024 * 8)
		return ss_error(err, SS_EINVAL,
				"rmsnorm: field 'width' is %u; must be a "
				"positive multiple of 8, at most %u",
				width, NORM_MAX_VEC * 1024 * 8);
	if (!(eps > 0))
		return ss_error(err, SS_EINVAL, "rmsnorm: field 'eps' must "
						"be > 0");
	if (!aligned16(x) || !aligned16(gain) || !aligned16(out) ||
	    (add && !aligned16(add)))
		return ss_error(err, SS_EINVAL,
				"rmsnorm: buffers must be 16-byte aligned");
	if (out == x || out == add)
		return ss_error(err, SS_EINVAL,
				"rmsnorm: 'out' may not alias 'x' or 'add'");
	if (!n_tokens)
		return 0;
	uint32_t nvec = width / 8;
	uint32_t nt = (nvec + NORM_PER_THREAD - 1) / NORM_PER_THREAD;
	nt = SS_MAX((nt + 31) / 32 * 32, (nvec + NORM_MAX_VEC - 1) / NORM_MAX_VEC);
	nt = SS_MIN((nt + 31) / 32 * 32, 1024u);
	rmsnorm_kernel<<<n_tokens, nt, 0, kern_stream(stream)>>>(
		(uint4 *)x, (const uint4 *)add, (const uint4 *)gain,
		(uint4 *)out, width / 8, eps);
	KCHECK_LAUNCH("rmsnorm_kernel", err);
	return 0;
}

struct rope_freqs {
	float f[KERN_ROPE_MAX_PAIRS];
};

/*
 * The RoPE arithmetic of rope_kernel and rope_reg_kernel, shared so that the
 * two launches give bit-identical results. The roundings are spelled out
 * (__fmul_rn, __fmaf_rn) rather than left to the compiler's contraction of
 * a*b - c*d, which may fuse either product and may differ between kernels.
 */
__device__ __forceinline__ void rope_sincos8(float p, const float *f,
					     float sn[8], float cs[8])
{
#pragma unroll
	for (int k = 0; k < 8; k++)
		sincosf(__fmul_rn(p, f[k]), &sn[k], &cs[k]);
}

/* pairs (i, i + D/2) of 8 consecutive i: lo holds the i, hi the i + D/2 */
__device__ __forceinline__ void rope_rot8(const uint4 &lo, const uint4 &hi,
					  const float sn[8], const float cs[8],
					  uint4 *ro, uint4 *rh)
{
	float a[8], b[8], o[8], q[8];

	unpack8(lo, a);
	unpack8(hi, b);
#pragma unroll
	for (int k = 0; k < 8; k++) {
		o[k] = __fmaf_rn(a[k], cs[k], -__fmul_rn(b[k], sn[k]));
		q[k] = __fmaf_rn(b[k], cs[k], __fmul_rn(a[k], sn[k]));
	}
	*ro = pack8(o);
	*rh = pack8(q);
}

/*
 * Thread = (token, chunk of `hpt` head slots, group of 8 pairs): its 8
 * angles' sin/cos are computed once and applied to that slice of each Q
 * and K head of its chunk; V slices are copied. Head slots: [0, n_q) Q,
 * [n_q, n_q + n_kv) K, [n_q + n_kv, n_q + 2 n_kv) V (touched only with
 * kv_out). Many tokens: one chunk of all heads (sin/cos once per token);
 * few tokens (decode): one head per thread, so the work spreads over
 * enough threads. The head loop is unrolled so several heads' loads are in
 * flight at once.
 */
__global__ void __launch_bounds__(EW_THREADS)
	rope_kernel(uint4 *__restrict__ qkv, uint4 *__restrict__ kv_out,
		    const int32_t *__restrict__ pos, uint32_t n_tokens,
		    uint32_t n_q, uint32_t n_kv, uint32_t d, uint32_t hpt,
		    const rope_freqs fr)
{
	const uint32_t groups = d / 16, heads = n_q + 2 * n_kv;
	const uint32_t chunks = (heads + hpt - 1) / hpt;
	const uint64_t total = (uint64_t)n_tokens * chunks * groups;
	const uint32_t dv = d / 8; /* vectors per head */

	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < total; i += (uint64_t)gridDim.x * blockDim.x) {
		const uint32_t g = (uint32_t)(i % groups);
		const uint32_t hc = (uint32_t)(i / groups % chunks);
		const uint64_t t = i / groups / chunks;
		const uint32_t h0 = hc * hpt, h1 = min(heads, h0 + hpt);
		float sn[8], cs[8];
		rope_sincos8((float)pos[t], &fr.f[g * 8], sn, cs);
		const uint64_t base = t * heads * dv + g;
		const uint64_t kvbase = t * 2 * n_kv * dv + g;
#pragma unroll 4
		for (uint32_t h = h0; h < min(h1, n_q + n_kv); h++) {
			uint64_t src = base + (uint64_t)h * dv;
			uint4 ro, rh;
			rope_rot8(qkv[src], qkv[src + dv / 2], sn, cs, &ro,
				  &rh);
			if (h < n_q || !kv_out) {
				qkv[src] = ro;
				qkv[src + dv / 2] = rh;
			} else {
				uint64_t dst = kvbase + (uint64_t)(h - n_q) * dv;
				kv_out[dst] = ro;
				kv_out[dst + dv / 2] = rh;
			}
		}
		if (kv_out) {
#pragma unroll 4
			for (uint32_t h = max(h0, n_q + n_kv); h < h1; h++) {
				uint64_t src = base + (uint64_t)h * dv;
				uint64_t dst = kvbase + (uint64_t)(h - n_q) * dv;
				uint4 lo = qkv[src], hi = qkv[src + dv / 2];
				kv_out[dst] = lo;
				kv_out[dst + dv / 2] = hi;
			}
		}
	}
}

static unsigned grid_for(uint64_t work)
{
	return (unsigned)SS_MIN((work + EW_THREADS - 1) / EW_THREADS,
				(uint64_t)132 * 16);
}

#define ROPE_REG_MAX 16 /* head slots a thread of rope_reg_kernel holds */
/* the automatic choice takes it up to 10 slots, the measured case (the
 * 70B TP-8 share); 12-16 slots need 180-224 registers (one CTA per SM)
 * and were not measured */
#define ROPE_REG_AUTO_MAX 10

/*
 * KERN_ROPE_REG, for few head slots per token (Llama-3.1-70B's TP-8 share:
 * 8 Q + 1 K + 1 V): thread = (token, group of 8 pairs), one item each, no
 * grid-stride loop. It first issues the loads of every slot it touches
 * (2 S 16-byte vectors, held in registers), then computes its 8 sin/cos
 * while they are in flight, then rotates and stores; no shared memory, no
 * barrier. S, a compile-time bound (even, <= ROPE_REG_MAX) on the slots,
 * keeps the arrays in registers and sizes them for the shape: 10 slots ->
 * 20 vectors = 80 registers of data, <= 128 in all (the launch bound asks
 * for it; ptxas gives 127 without), so two CTAs of 256 per SM and 160 KB of
 * loads in flight per SM, far more than the HBM latency needs. A warp's
 * 32 threads are 4 tokens x 8 groups: each load and store instruction
 * covers four whole 128-byte lines. The stores are plain: kv_out is read
 * next by prefill attention (prefill_attn.h) and evict-first stores would
 * push it out of L2 without saving any HBM traffic.
 */
template <int S>
__global__ void __launch_bounds__(EW_THREADS, S <= 10 ? 2 : 1)
	rope_reg_kernel(uint4 *__restrict__ qkv, uint4 *__restrict__ kv_out,
			const int32_t *__restrict__ pos, uint32_t n_tokens,
			uint32_t n_q, uint32_t n_kv, uint32_t d,
			const rope_freqs fr)
{
	const uint32_t groups = d / 16, dv = d / 8;
	const uint32_t rot = n_q + n_kv, all = rot + n_kv;
	const uint32_t slots = kv_out ? all : rot;
	const uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;

	if (i >= (uint64_t)n_tokens * groups)
		return;
	const uint32_t g = (uint32_t)(i % groups);
	const uint64_t t = i / groups;
	const uint64_t base = t * all * dv + g;
	const uint64_t kvbase = t * 2 * n_kv * dv + g;
	const int32_t p = pos[t];
	uint4 lo[S], hi[S];

#pragma unroll
	for (int h = 0; h < S; h++) {
		if (h < slots) {
			lo[h] = qkv[base + h * dv];
			hi[h] = qkv[base + h * dv + dv / 2];
		}
	}
	float sn[8], cs[8];
	rope_sincos8((float)p, &fr.f[g * 8], sn, cs);
#pragma unroll
	for (int h = 0; h < S; h++) {
		if (h >= slots)
			break;
		uint4 ro = lo[h], rh = hi[h]; /* V: copied as loaded */
		if (h < rot)
			rope_rot8(lo[h], hi[h], sn, cs, &ro, &rh);
		if (h < n_q || !kv_out) {
			qkv[base + h * dv] = ro;
			qkv[base + h * dv + dv / 2] = rh;
		} else {
			uint64_t dst = kvbase + (uint64_t)(h - n_q) * dv;
			kv_out[dst] = ro;
			kv_out[dst + dv / 2] = rh;
		}
	}
}

typedef void (*rope_reg_fn)(uint4 *, uint4 *, const int32_t *, uint32_t,
			    uint32_t, uint32_t, uint32_t, const rope_freqs);

/* rope_reg_kernel for up to 2 (k + 1) slots at index k */
static const rope_reg_fn rope_reg_kernels[ROPE_REG_MAX / 2] = {
	rope_reg_kernel<2>,  rope_reg_kernel<4>,  rope_reg_kernel<6>,
	rope_reg_kernel<8>,  rope_reg_kernel<10>, rope_reg_kernel<12>,
	rope_reg_kernel<14>, rope_reg_kernel<16>,
};

#define ROPE_TILE_MAX 32 /* tokens per CTA of rope_tile_kernel */
#define ROPE_U 4         /* items per thread per batch (loads in flight) */

/*
 * The automatic RoPE launch: CTA = `tt` consecutive tokens. Its threads
 * first issue their first batch of loads, then fill a shared table of
 * (cos, sin) for the tile's tokens x head_dim/2 pairs (one sincosf per
 * (token, pair), spread evenly over the CTA, fp32 as in rope_kernel), then
 * apply it. Item = (token, head slot, group of 8 pairs): two 16-byte
 * vectors (pairs i and i + D/2), items of a token's heads consecutive so
 * a warp reads and writes contiguous rows. So the sin/cos cost is paid
 * once per (token, pair) whatever the number of heads, off the loads'
 * critical path, and few heads per token (Llama-3.1-70B's TP-8 share: 8 Q
 * + 1 K + 1 V) still give every thread whole batches of loads.
 */
__global__ void __launch_bounds__(EW_THREADS)
	rope_tile_kernel(uint4 *__restrict__ qkv, uint4 *__restrict__ kv_out,
			 const int32_t *__restrict__ pos, uint32_t n_tokens,
			 uint32_t n_q, uint32_t n_kv, uint32_t d, uint32_t tt,
			 const rope_freqs fr)
{
	__shared__ __align__(16) float2 cs[ROPE_TILE_MAX * KERN_ROPE_MAX_PAIRS];
	const uint32_t half = d / 2, groups = d / 16, dv = d / 8;
	const uint32_t all = n_q + 2 * n_kv;         /* heads per qkv row */
	const uint32_t rot = n_q + n_kv;             /* rotated head slots */
	const uint32_t slots = kv_out ? all : rot;   /* slots touched */
	const uint64_t t0 = (uint64_t)blockIdx.x * tt;
	const uint32_t nt = (uint32_t)min((uint64_t)tt, n_tokens - t0);
	const uint32_t items = nt * slots * groups;
	const uint32_t step = ROPE_U * blockDim.x;
	uint4 lo[ROPE_U], hi[ROPE_U];
	uint64_t src[ROPE_U];
	uint32_t tok[ROPE_U], h[ROPE_U], g[ROPE_U];

	uint32_t b = threadIdx.x;
#pragma unroll
	for (int u = 0; u < ROPE_U; u++) {
		uint32_t i = b + u * blockDim.x;
		if (i < items) {
			g[u] = i % groups;
			h[u] = i / groups % slots;
			tok[u] = i / groups / slots;
			src[u] = (t0 + tok[u]) * all * dv + h[u] * dv + g[u];
			lo[u] = qkv[src[u]];
			hi[u] = qkv[src[u] + dv / 2];
		}
	}
	for (uint32_t i = threadIdx.x; i < nt * half; i += blockDim.x) {
		float sn, cn;
		sincosf((float)pos[t0 + i / half] * fr.f[i % half], &sn, &cn);
		cs[i] = make_float2(cn, sn);
	}
	__syncthreads();
	for (;;) {
#pragma unroll
		for (int u = 0; u < ROPE_U; u++) {
			if (b + u * blockDim.x >= items)
				break;
			if (h[u] >= rot) { /* V: copied to kv_out */
				uint64_t dst = (t0 + tok[u]) * 2 * n_kv * dv +
					       (h[u] - n_q) * dv + g[u];
				kv_out[dst] = lo[u];
				kv_out[dst + dv / 2] = hi[u];
				continue;
			}
			const float4 *c4 = reinterpret_cast<const float4 *>(
				&cs[tok[u] * half + g[u] * 8]);
			float a[8], bb[8], ro[8], rh[8];
			unpack8(lo[u], a);
			unpack8(hi[u], bb);
#pragma unroll
			for (int k = 0; k < 4; k++) {
				float4 v = c4[k]; /* cos, sin of pairs 2k, 2k+1 */
				ro[2 * k] = a[2 * k] * v.x - bb[2 * k] * v.y;
				rh[2 * k] = bb[2 * k] * v.x + a[2 * k] * v.y;
				ro[2 * k + 1] = a[2 * k + 1] * v.z -
						bb[2 * k + 1] * v.w;
				rh[2 * k + 1] = bb[2 * k + 1] * v.z +
						a[2 * k + 1] * v.w;
			}
			if (h[u] < n_q || !kv_out) {
				qkv[src[u]] = pack8(ro);
				qkv[src[u] + dv / 2] = pack8(rh);
			} else {
				uint64_t dst = (t0 + tok[u]) * 2 * n_kv * dv +
					       (h[u] - n_q) * dv + g[u];
				kv_out[dst] = pack8(ro);
				kv_out[dst + dv / 2] = pack8(rh);
			}
		}
		b += step;
		if (b >= items)
			break;
#pragma unroll
		for (int u = 0; u < ROPE_U; u++) {
			uint32_t i = b + u * blockDim.x;
			if (i < items) {
				g[u] = i % groups;
				h[u] = i / groups % slots;
				tok[u] = i / groups / slots;
				src[u] = (t0 + tok[u]) * all * dv + h[u] * dv +
					 g[u];
				lo[u] = qkv[src[u]];
				hi[u] = qkv[src[u] + dv / 2];
			}
		}
	}
}

/*
 * Tokens per CTA of rope_tile_kernel: about ROPE_U items per thread (one
 * batch of loads: 4 k per CTA), at most ROPE_TILE_MAX; halved while the
 * grid would leave SMs idle (decode, short chunks). Llama-3.1-70B's TP-8
 * share with kv_out: 80 items per token -> 12 tokens (1,366 CTAs at 16k
 * tokens); Llama-3.1-8B: 384 -> 2; LWM-7B: 768 -> 1.
 */
static uint32_t rope_tile_tokens(uint32_t n_tokens, uint32_t items_per_token)
{
	uint32_t tt = EW_THREADS * ROPE_U / items_per_token;

	tt = SS_MAX(1u, SS_MIN(tt, ROPE_TILE_MAX));
	while (tt > 1 && (n_tokens + tt - 1) / tt < 2 * 132)
		tt = (tt + 1) / 2;
	return tt;
}

extern "C" int kern_rope_qkv(kern_bf16 *qkv, kern_bf16 *kv_out,
			     const int32_t *positions, uint32_t n_tokens,
			     uint32_t n_q_heads, uint32_t n_kv_heads,
			     const struct kern_rope *r, void *stream,
			     struct ss_err *err)
{
	rope_freqs fr;

	if (!qkv || !positions || !r)
		return ss_error(err, SS_EINVAL,
				"rope: NULL qkv, positions or frequencies");
	if (!r->head_dim || r->head_dim % 16 ||
	    r->head_dim / 2 > KERN_ROPE_MAX_PAIRS)
		return ss_error(err, SS_EINVAL,
				"rope: field 'head_dim' is %u; must be a "
				"multiple of 16, at most %u (kern_rope_init)",
				r->head_dim, 2 * KERN_ROPE_MAX_PAIRS);
	if (!n_q_heads || !n_kv_heads)
		return ss_error(err, SS_EINVAL,
				"rope: fields 'n_q_heads' and 'n_kv_heads' "
				"must be positive");
	if (!aligned16(qkv) || (kv_out && !aligned16(kv_out)))
		return ss_error(err, SS_EINVAL,
				"rope: buffers must be 16-byte aligned");
	if (!n_tokens)
		return 0;
	memcpy(fr.f, r->inv_freq, sizeof fr.f);
	uint32_t heads = n_q_heads + 2 * n_kv_heads;
	uint32_t slots = kv_out ? heads : n_q_heads + n_kv_heads;
	/* automatic: the register launch whenever its slots fit (the 70B
	 * TP-8 share, 10 slots: 74% of the copy bandwidth on the H200 against
	 * at most 70% for the launches below; session 5);
	 * past ROPE_REG_MAX slots KERN_ROPE_REG takes the per-thread
	 * launch below, 16 slots a thread; the automatic launch past
	 * ROPE_REG_AUTO_MAX slots is the tile launch */
	uint32_t code = r->heads_per_thread;
	if ((code == KERN_ROPE_REG && slots <= ROPE_REG_MAX) ||
	    (code == 0 && slots <= ROPE_REG_AUTO_MAX)) {
		uint64_t threads = (uint64_t)n_tokens * (r->head_dim / 16);
		rope_reg_kernels[(slots - 1) / 2]<<<
			(unsigned)((threads + EW_THREADS - 1) / EW_THREADS),
			EW_THREADS, 0, kern_stream(stream)>>>(
			(uint4 *)qkv, (uint4 *)kv_out, positions, n_tokens,
			n_q_heads, n_kv_heads, r->head_dim, fr);
		KCHECK_LAUNCH("rope_reg_kernel", err);
		return 0;
	}
	/* automatic past ROPE_REG_AUTO_MAX slots: the tile launch (H200,
	 * session 6, clean-L2 timing: Llama-3.1-8B 93% of the copy
	 * bandwidth against 84% for 16 slots per thread; session 5, memset
	 * flush: 90.5% against 82%) */
	if (code == 0)
		code = KERN_ROPE_TILE;
	if (code == KERN_ROPE_TILE) {
		uint32_t tt = rope_tile_tokens(n_tokens,
					       slots * (r->head_dim / 16));
		rope_tile_kernel<<<(unsigned)((n_tokens + tt - 1) / tt),
				   EW_THREADS, 0, kern_stream(stream)>>>(
			(uint4 *)qkv, (uint4 *)kv_out, positions, n_tokens,
			n_q_heads, n_kv_heads, r->head_dim, tt, fr);
		KCHECK_LAUNCH("rope_tile_kernel", err);
		return 0;
	}
	/* sin/cos per thread for `heads_per_thread` head slots (or 16 for
	 * KERN_ROPE_REG past ROPE_REG_MAX slots). Measured on the H200 at
	 * 16k tokens (kernels/results/h200/summary.csv): Llama-3.1-8B 16
	 * slots 82% of the copy bandwidth, 8 78%, 4 76%; the 70B TP-8 share
	 * (10 slots) at most 70% */
	uint64_t pairs = (uint64_t)n_tokens * (r->head_dim / 16);
	uint32_t hpt = code != KERN_ROPE_REG ? code : 16;

	hpt = SS_MIN(hpt, heads);
	uint64_t work = pairs * ((heads + hpt - 1) / hpt);
	rope_kernel<<<grid_for(work), EW_THREADS, 0, kern_stream(stream)>>>(
		(uint4 *)qkv, (uint4 *)kv_out, positions, n_tokens, n_q_heads,
		n_kv_heads, r->head_dim, hpt, fr);
	KCHECK_LAUNCH("rope_kernel", err);
	return 0;
}

__global__ void __launch_bounds__(EW_THREADS)
	swiglu_kernel(const uint4 *__restrict__ gu, uint4 *__restrict__ out,
		      uint64_t total, uint32_t wv)
{
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < total; i += (uint64_t)gridDim.x * blockDim.x) {
		uint64_t t = i / wv, c = i % wv;
		float g[8], u[8];
		unpack8(gu[t * 2 * wv + c], g);
		unpack8(gu[t * 2 * wv + wv + c], u);
#pragma unroll
		for (int k = 0; k < 8; k++)
			g[k] = g[k] / (1.0f + __expf(-g[k])) * u[k];
		out[i] = pack8(g);
	}
}

extern "C" int kern_swiglu(const kern_bf16 *gu, kern_bf16 *out,
			   uint32_t n_tokens, uint32_t width, void *stream,
			   struct ss_err *err)
{
	if (!gu || !out)
		return ss_error(err, SS_EINVAL, "swiglu: NULL input or output");
	if (!width || width % 8)
		return ss_error(err, SS_EINVAL,
				"swiglu: field 'width' is %u; must be a "
				"positive multiple of 8",
				width);
	if (!aligned16(gu) || !aligned16(out))
		return ss_error(err, SS_EINVAL,
				"swiglu: buffers must be 16-byte aligned");
	if (!n_tokens)
		return 0;
	uint64_t total = (uint64_t)n_tokens * (width / 8);
	swiglu_kernel<<<grid_for(total), EW_THREADS, 0, kern_stream(stream)>>>(
		(const uint4 *)gu, (uint4 *)out, total, width / 8);
	KCHECK_LAUNCH("swiglu_kernel", err);
	return 0;
}

__global__ void __launch_bounds__(EW_THREADS)
	add_kernel(uint4 *__restrict__ x, const uint4 *__restrict__ y,
		   uint64_t nvec)
{
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < nvec; i += (uint64_t)gridDim.x * blockDim.x) {
		float a[8], b[8];
		unpack8(x[i], a);
		unpack8(y[i], b);
#pragma unroll
		for (int k = 0; k < 8; k++)
			a[k] += b[k];
		x[i] = pack8(a);
	}
}

extern "C" int kern_residual_add(kern_bf16 *x, const kern_bf16 *y,
				 uint64_t n, void *stream, struct ss_err *err)
{
	if (!x || !y)
		return ss_error(err, SS_EINVAL, "residual add: NULL operand");
	if (n % 8)
		return ss_error(err, SS_EINVAL,
				"residual add: n (%llu) must be a multiple "
				"of 8",
				(unsigned long long)n);
	if (!aligned16(x) || !aligned16(y))
		return ss_error(err, SS_EINVAL,
				"residual add: buffers must be 16-byte "
				"aligned");
	if (!n)
		return 0;
	add_kernel<<<grid_for(n / 8), EW_THREADS, 0, kern_stream(stream)>>>(
		(uint4 *)x, (const uint4 *)y, n / 8);
	KCHECK_LAUNCH("add_kernel", err);
	return 0;
}
