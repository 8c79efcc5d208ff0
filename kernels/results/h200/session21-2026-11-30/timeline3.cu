/*
 * timeline3.cu - session 21's third probe for issue 4's last case (sparse decode
 * attention, Llama-3-8B shape, batch 1: 8 MiB of KV, event-timed at about
 * 9.6 us against 6.1 us for a plain read of the same bytes and 6.8 us for
 * the ideal gather of the same blocks, after an L2 flush). Session 20
 * ruled out the launch context; this asks where inside the kernel the
 * time goes. kernels/decode_attn.cu compiled with -DSS_ATTN_TIMELINE has
 * lane 0 of every warp stamp clock64 at the cp.async kernels' phases (its
 * comment above att_tl_stamp lists them: 0 entry ... 9 exit) and
 * %globaltimer at entry and exit. Call 1 (timeline.cu) had six of the
 * phases; this one splits the first (the metadata's arrival, then the
 * copies' issue) and the merges (the warps' barrier, their merge, the
 * cluster's barrier, its merge), and adds the case v4w.
 *
 * Cases, each run R times interleaved, every run after an L2 flush:
 *   v4       variant 4, its own plan (9 splits a list, clusters of 9)
 *   v4s8     variant 4, 8 splits (clusters of 8)
 *   v4s16    variant 4, 16 splits (too big to cluster: merge kernel)
 *   v6       variant 6 (pushed cluster merge), 9 splits
 *   v7       variant 7 (flag merge, 16 splits)
 *   v4w      variant 4 with its code warm: after the flush, the same
 *            kernel runs once over empty lists (its own q, slot table,
 *            context and output), then the timed launch (KV, slot table
 *            and q still cold)
 *   v4nt     variant 4 with the stamps off (their cost)
 *   read8M   kern_hbm_read of 8 MiB; gather: kern_hbm_gather of the same
 *            512 blocks (the bench's two limits)
 * For each: the event time (median, p10, p90) and, over runs and CTAs,
 * medians of each phase's clock64 cycles from the CTA's entry (warp 0 and
 * the latest warp), of the CTAs' entry skew (globaltimer, from the
 * earliest CTA) and of the span from the first entry to the last exit.
 *
 * Call 3 runs it twice: "base" built from call 2's kernels/decode_attn.cu
 * (commit d622b9f, the one timeline2 ran) and "new" from the change
 * after it (the warps' merge of every head at once, QK's k-steps in two
 * accumulator chains), both for sm_90a as the bench's build is, with v5
 * (variant 5, 8 warps of one stage) in v4s16's place. Build, for each of
 * base/new with its decode_attn.cu in $SRC:
 *   F="-O2 -lineinfo --expt-relaxed-constexpr -gencode=arch=compute_90a,code=sm_90a -Xcompiler=-fPIC"
 *   nvcc $F -DSS_ATTN_TIMELINE -Icommon -Ikernels -I. -c -o build-s21/dA.o $SRC
 *   nvcc $F -Icommon -Ikernels -c -o build-s21/t3.o kernels/results/h200/session21-2026-11-30/timeline3.cu
 *   g++ -o build-s21/timeline3-base build-s21/t3.o build-s21/dA.o \
 *     build-gpu-rev/kernels/libsskernels.a build-gpu-rev/libsparseserve_core.a \
 *     -L/usr/local/cuda/lib64 -lcudart -lcublas -lpthread -lm
 * A probe kept as it ran, not part of the build.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {
#include "decode_attn.h"
#include "device.h"
int kern_attn_timeline(void *buf);
}

#define CK(x)                                                                  \
	do {                                                                   \
		cudaError_t e_ = (x);                                          \
		if (e_ != cudaSuccess) {                                       \
			fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__,      \
				cudaGetErrorString(e_));                       \
			exit(1);                                               \
		}                                                              \
	} while (0)
#define KK(x)                                                                  \
	do {                                                                   \
		if ((x) != 0) {                                                \
			fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__,      \
				err.msg);                                      \
			exit(1);                                               \
		}                                                              \
	} while (0)

static struct ss_err err;

__global__ void flush_kernel(const uint4 *p, uint64_t n, uint4 *sink)
{
	uint4 a = make_uint4(0, 0, 0, 0);

	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < n; i += (uint64_t)gridDim.x * blockDim.x) {
		uint4 v = p[i];
		a.x ^= v.x;
		a.y ^= v.y;
		a.z ^= v.z;
		a.w ^= v.w;
	}
	if (a.x == 0x12345678u && a.y == 0x9abcdef0u)
		*sink = a;
}

__global__ void fill_kernel(uint16_t *p, uint64_t n, uint32_t seed)
{
	for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
	     i < n; i += (uint64_t)gridDim.x * blockDim.x) {
		uint32_t h = (uint32_t)i * 2654435761u ^ seed;
		h ^= h >> 15;
		h *= 2246822519u;
		h ^= h >> 13;
		/* bf16 in [-1, 1): sign, exponent 120..126, mantissa */
		p[i] = (uint16_t)(((h & 1) << 15) | ((120 + (h >> 1) % 7) << 7) |
				  ((h >> 8) & 0x7f));
	}
}

enum { C_V4, C_V4W, C_V5, C_V6, C_V7, C_V4NT, C_READ, C_GATHER, NC };
static const char *cname[NC] = { "v4", "v4w", "v5", "v6", "v7",
				 "v4nt", "read8M", "gather" };
static const uint32_t cvar[NC] = { 4, 4, 5, 6, 7, 4, 0, 0 };
static const uint32_t csplit[NC] = { 0, 0, 0, 0, 0, 0, 0, 0 };

#define R 200
#define MAXCTA 256
#define TLN (MAXCTA * 128)
#define NS 16 /* u64 a warp */

struct ctx {
	cudaStream_t s;
	const uint4 *fbuf;
	uint64_t fn;
	uint4 *fsink;
	int sms;
	void *rbuf;
	uint64_t *rsink;
	const void *cache;
	const int32_t *slots;
	unsigned long long *tl;
	struct kern_attn_args a, w; /* the case; v4w's warming launch */
};

static void launch_case(struct ctx *c, int k)
{
	switch (k) {
	case C_READ:
		KK(kern_hbm_read(c->rbuf, 8u << 20, c->rsink, c->s, &err));
		break;
	case C_GATHER:
		KK(kern_hbm_gather(c->cache, 16384, c->slots, 512, c->rsink,
				   c->s, &err));
		break;
	default:
		c->a.variant = cvar[k];
		c->a.n_splits = csplit[k];
		KK(kern_sparse_decode_attn(&c->a, c->s, &err));
	}
}

/* between the flush and the timed launch: v4w's warming launch */
static void prelaunch(struct ctx *c, int k, int stamps)
{
	if (k != C_V4W)
		return;
	KK(kern_attn_timeline(NULL));
	KK(kern_sparse_decode_attn(&c->w, c->s, &err));
	KK(kern_attn_timeline(stamps ? c->tl : NULL));
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int cmpd(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double pct(double *v, int n, double p)
{
	if (n <= 0)
		return NAN;
	qsort(v, n, sizeof(double), cmpd);
	return v[(int)(p * (n - 1) + 0.5)];
}

/* per-case accumulators: phase cycles of warp 0 / the latest warp, CTA
 * skew and the span (ns) */
enum { NP = 9 };
static const char *pname[NP] = { "metadata", "issued", "first_block",
				 "blocks_done", "warps_met", "warps_merged",
				 "cluster_met", "cluster_merged", "exit" };

struct acc {
	double ev[R];
	double *ph0[NP], *phw[NP], *skew, *span, *dur_ns, *dur_cyc;
	int n_ph, n_skew, n_span;
	int ctas, warps;
};

int main(void)
{
	struct ctx c;
	cudaEvent_t e0, e1;
	static struct acc A[NC];
	static unsigned long long htl[TLN];
	int dev;
	cudaDeviceProp pr;
	int drv = 0;

	CK(cudaGetDevice(&dev));
	CK(cudaGetDeviceProperties(&pr, dev));
	CK(cudaDriverGetVersion(&drv));
	c.sms = pr.multiProcessorCount;
	printf("device %s, %d SMs, L2 %d bytes, driver API %d\n", pr.name,
	       c.sms, pr.l2CacheSize, drv);
	CK(cudaStreamCreateWithFlags(&c.s, cudaStreamNonBlocking));
	CK(cudaEventCreate(&e0));
	CK(cudaEventCreate(&e1));
	c.fn = 4ull * pr.l2CacheSize / 16;
	CK(cudaMalloc((void **)&c.fbuf, c.fn * 16));
	CK(cudaMemset((void *)c.fbuf, 1, c.fn * 16));
	CK(cudaMalloc((void **)&c.fsink, 16));
	CK(cudaMalloc(&c.rbuf, 8u << 20));
	CK(cudaMemset(c.rbuf, 0, 8u << 20));
	CK(cudaMalloc((void **)&c.rsink, 8));
	CK(cudaMemset(c.rsink, 0, 8));
	CK(cudaMalloc((void **)&c.tl, TLN * 8));

	/* the bench's case: 64 random slots of a 2 GiB cache for each of 8
	 * KV heads, 32 query heads, 131,072 tokens of context */
	{
		const uint64_t n_slots = (2ull << 30) / 16384;
		const uint32_t H = 8, L = 64;
		uint16_t *cache, *q, *out;
		int32_t hs[8 * 64], hb[8 * 64], *slots, *bids;
		uint32_t hn[8], hc = 131072, *nl, *cl, ns;
		uint64_t wb = 0;
		void *work;

		CK(cudaMalloc((void **)&cache, n_slots * 16384));
		fill_kernel<<<c.sms * 8, 256, 0, c.s>>>(cache, n_slots * 8192, 7);
		CK(cudaMalloc((void **)&q, 32 * 128 * 2));
		fill_kernel<<<1, 256, 0, c.s>>>(q, 32 * 128, 9);
		CK(cudaMalloc((void **)&out, 32 * 128 * 2));
		for (uint32_t h = 0; h < H; h++) {
			uint32_t b = (uint32_t)(mix(h) % 64);
			for (uint32_t e = 0; e < L; e++) {
				hs[h * L + e] = (int32_t)(mix(1000 + h * L + e) %
							  n_slots);
				b += 1 + (uint32_t)(mix(5000 + h * L + e) % 60);
				hb[h * L + e] = (int32_t)(b % 4096);
			}
			hn[h] = L;
		}
		CK(cudaMalloc((void **)&slots, sizeof hs));
		CK(cudaMalloc((void **)&bids, sizeof hb));
		CK(cudaMalloc((void **)&nl, sizeof hn));
		CK(cudaMalloc((void **)&cl, 4));
		CK(cudaMemcpy(slots, hs, sizeof hs, cudaMemcpyHostToDevice));
		CK(cudaMemcpy(bids, hb, sizeof hb, cudaMemcpyHostToDevice));
		CK(cudaMemcpy(nl, hn, sizeof hn, cudaMemcpyHostToDevice));
		CK(cudaMemcpy(cl, &hc, 4, cudaMemcpyHostToDevice));
		c.cache = cache;
		c.slots = slots;
		memset(&c.a, 0, sizeof c.a);
		c.a.q = q;
		c.a.cache = cache;
		c.a.slots = slots;
		c.a.block_ids = bids;
		c.a.n_list = nl;
		c.a.ctx_len = cl;
		c.a.batch = 1;
		c.a.n_q_heads = 32;
		c.a.n_kv_heads = 8;
		c.a.head_dim = 128;
		c.a.max_list = L;
		c.a.scale = 1.0f / sqrtf(128.0f);
		c.a.out = out;
		for (int k = 0; k < C_READ; k++) {
			uint64_t w;

			c.a.variant = cvar[k];
			c.a.n_splits = csplit[k];
			KK(kern_attn_plan(&c.a, &ns, &w, &err));
			A[k].ctas = 8 * ns;
			A[k].warps = cvar[k] == 5 ? 8 : 4;
			printf("case %-6s variant %u: %u splits, workspace %llu "
			       "bytes\n",
			       cname[k], cvar[k], ns, (unsigned long long)w);
			if (w > wb)
				wb = w;
		}
		CK(cudaMalloc(&work, wb + 16));
		c.a.work = (float *)work;
		c.a.work_bytes = wb + 16;
		/* v4w's warming launch: its own small buffers, empty lists */
		{
			uint16_t *q2, *out2;
			int32_t *slots2, *bids2;
			uint32_t *nl0, *cl2;

			CK(cudaMalloc((void **)&q2, 32 * 128 * 2));
			CK(cudaMemset(q2, 0, 32 * 128 * 2));
			CK(cudaMalloc((void **)&out2, 32 * 128 * 2));
			CK(cudaMalloc((void **)&slots2, sizeof hs));
			CK(cudaMalloc((void **)&bids2, sizeof hb));
			CK(cudaMalloc((void **)&nl0, sizeof hn));
			CK(cudaMalloc((void **)&cl2, 4));
			CK(cudaMemcpy(slots2, hs, sizeof hs, cudaMemcpyHostToDevice));
			CK(cudaMemcpy(bids2, hb, sizeof hb, cudaMemcpyHostToDevice));
			CK(cudaMemset(nl0, 0, sizeof hn));
			CK(cudaMemcpy(cl2, &hc, 4, cudaMemcpyHostToDevice));
			c.w = c.a;
			c.w.q = q2;
			c.w.out = out2;
			c.w.slots = slots2;
			c.w.block_ids = bids2;
			c.w.n_list = nl0;
			c.w.ctx_len = cl2;
			c.w.variant = 4;
			c.w.n_splits = 0;
			c.w.list_bound = L; /* the same plan as the case's */
		}
	}
	for (int k = 0; k < NC; k++) {
		int n = R * (A[k].ctas ? A[k].ctas : 1);

		for (int p = 0; p < NP; p++) {
			A[k].ph0[p] = (double *)calloc(n, sizeof(double));
			A[k].phw[p] = (double *)calloc(n, sizeof(double));
		}
		A[k].skew = (double *)calloc(n, sizeof(double));
		A[k].dur_ns = (double *)calloc(n, sizeof(double));
		A[k].dur_cyc = (double *)calloc(n, sizeof(double));
		A[k].span = (double *)calloc(R, sizeof(double));
	}
	CK(cudaStreamSynchronize(c.s));

	for (int i = 0; i < 30; i++)
		for (int k = 0; k < NC; k++) {
			KK(kern_attn_timeline(k == C_V4NT ? NULL : c.tl));
			flush_kernel<<<c.sms * 8, 256, 0, c.s>>>(c.fbuf, c.fn,
								 c.fsink);
			prelaunch(&c, k, k != C_V4NT);
			launch_case(&c, k);
		}
	CK(cudaStreamSynchronize(c.s));

	for (int i = 0; i < R; i++)
		for (int k = 0; k < NC; k++) {
			float ms;
			int timed = k < C_V4NT;

			KK(kern_attn_timeline(timed ? c.tl : NULL));
			if (timed)
				CK(cudaMemsetAsync(c.tl, 0, TLN * 8, c.s));
			flush_kernel<<<c.sms * 8, 256, 0, c.s>>>(c.fbuf, c.fn,
								 c.fsink);
			prelaunch(&c, k, timed);
			CK(cudaEventRecord(e0, c.s));
			launch_case(&c, k);
			CK(cudaEventRecord(e1, c.s));
			CK(cudaEventSynchronize(e1));
			CK(cudaEventElapsedTime(&ms, e0, e1));
			A[k].ev[i] = 1000.0 * ms;
			if (!timed)
				continue;
			CK(cudaMemcpy(htl, c.tl, TLN * 8, cudaMemcpyDeviceToHost));
			{
				struct acc *a = &A[k];
				unsigned long long g0 = ~0ull, g1 = 0;

				for (int b = 0; b < a->ctas; b++) {
					const unsigned long long *w0 = htl + b * 128;
					if (!w0[14])
						continue;
					g0 = w0[14] < g0 ? w0[14] : g0;
					g1 = w0[15] > g1 ? w0[15] : g1;
				}
				for (int b = 0; b < a->ctas; b++) {
					const unsigned long long *w0 = htl + b * 128;
					if (!w0[14])
						continue;
					for (int p = 0; p < NP; p++) {
						double late = 0;
						for (int w = 0; w < a->warps; w++) {
							const unsigned long long *ww =
								htl + b * 128 + w * NS;
							double d = ww[p + 1] ? (double)(ww[p + 1] - ww[0]) : NAN;
							if (d > late)
								late = d;
						}
						a->ph0[p][a->n_ph] = w0[p + 1] ? (double)(w0[p + 1] - w0[0]) : NAN;
						a->phw[p][a->n_ph] = late;
					}
					a->skew[a->n_ph] = (double)(w0[14] - g0);
					a->dur_ns[a->n_ph] = (double)(w0[15] - w0[14]);
					a->dur_cyc[a->n_ph] = (double)(w0[9] - w0[0]);
					a->n_ph++;
				}
				if (g1 > g0)
					a->span[a->n_span++] = (double)(g1 - g0);
			}
		}

	printf("\nevent time, us (median [p10, p90]) over %d runs\n", R);
	for (int k = 0; k < NC; k++) {
		double m = pct(A[k].ev, R, 0.5), lo = pct(A[k].ev, R, 0.1),
		       hi = pct(A[k].ev, R, 0.9);
		printf("  %-7s %7.2f [%6.2f, %6.2f]  %7.1f GB/s\n", cname[k], m,
		       lo, hi, 8.0 * 1048576 / (m * 1e3));
	}
	printf("\nphases, clock64 cycles from the CTA's entry: median over "
	       "runs x CTAs (warp 0 / latest warp); then CTA entry skew and "
	       "duration (globaltimer ns), span first entry to last exit\n");
	for (int k = 0; k < C_V4NT; k++) {
		struct acc *a = &A[k];
		double cyc, ns;

		printf("  %s (%d CTAs, %d samples)\n", cname[k], a->ctas, a->n_ph);
		for (int p = 0; p < NP; p++) {
			int n0 = 0, nw = 0;
			for (int i = 0; i < a->n_ph; i++) {
				if (!isnan(a->ph0[p][i]))
					a->ph0[p][n0++] = a->ph0[p][i];
				if (!isnan(a->phw[p][i]) && a->phw[p][i] > 0)
					a->phw[p][nw++] = a->phw[p][i];
			}
			printf("    %-14s %7.0f / %7.0f   (p90 %7.0f / %7.0f)\n",
			       pname[p], pct(a->ph0[p], n0, 0.5),
			       pct(a->phw[p], nw, 0.5), pct(a->ph0[p], n0, 0.9),
			       pct(a->phw[p], nw, 0.9));
		}
		cyc = 0;
		ns = 0;
		for (int i = 0; i < a->n_ph; i++) {
			cyc += a->dur_cyc[i];
			ns += a->dur_ns[i];
		}
		printf("    clock: %.3f GHz (sum of CTA cycles / sum of their "
		       "globaltimer ns)\n", ns > 0 ? cyc / ns : NAN);
		printf("    entry skew ns: median %.0f p90 %.0f max %.0f\n",
		       pct(a->skew, a->n_ph, 0.5), pct(a->skew, a->n_ph, 0.9),
		       pct(a->skew, a->n_ph, 1.0));
		printf("    CTA duration ns: median %.0f p90 %.0f\n",
		       pct(a->dur_ns, a->n_ph, 0.5), pct(a->dur_ns, a->n_ph, 0.9));
		printf("    span ns: median %.0f p10 %.0f p90 %.0f\n",
		       pct(a->span, a->n_span, 0.5), pct(a->span, a->n_span, 0.1),
		       pct(a->span, a->n_span, 0.9));
	}
	/* globaltimer granularity: the smallest nonzero step seen */
	{
		unsigned long long g = ~0ull;
		for (int b = 0; b < MAXCTA; b++)
			for (int w = 0; w < 8; w++) {
				unsigned long long x = htl[b * 128 + w * NS + 14],
						   y = htl[b * 128 + w * NS + 15];
				if (x && y > x && y - x < g)
					g = y - x;
			}
		printf("\nsmallest CTA globaltimer duration seen (last run): %llu ns\n", g);
	}
	return 0;
}
