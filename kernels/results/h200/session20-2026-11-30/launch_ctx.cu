/*
 * launch_ctx.cu - session 20's probe for issue 4's last case (sparse
 * decode attention, Llama-3-8B shape, batch 1: 8 MiB of KV, event-timed
 * at about 9.6 us against 6.1 us for a plain read of 8 MiB after the same
 * L2 flush). Question: how much of that gap is the launch context rather
 * than the kernel's work? The bench flushes the L2 with a kernel that uses
 * no shared memory, then times the attention, whose CTAs need 192 KiB of
 * it (an SM's shared-memory carveout must change), in thread-block
 * clusters; the read kernels need neither.
 *
 * Targets, each timed 300 times as the bench times (flush, event, target,
 * event; median and the 10th/90th percentiles), after a flush kernel with
 * the default carveout (A) and after one that asks for the largest shared
 * carveout (B), and back to back with no flush (C, L2 warm):
 *   empty0      an empty kernel, 72 CTAs of 128 threads, no shared memory
 *   empty192    the same with 192 KiB of dynamic shared memory
 *   empty192c   the same in clusters of 9 (as variant 4 runs batch 1)
 *   read8M      kern_hbm_read of 8 MiB (the bench's read limit)
 *   attn0/attn4 kern_sparse_decode_attn, automatic choice / variant 4, on
 *               the bench's case (64 random slots of a 2 GiB cache for each
 *               of 8 KV heads, 32 query heads, 131,072 tokens of context)
 *
 * Built against the project's kernels library (from the repository root,
 * after `meson compile -C build`):
 *   nvcc -O2 -gencode=arch=compute_90a,code=sm_90a -Icommon -Ikernels -c \
 *     -o build-s20/launch_ctx.o kernels/results/h200/session20-2026-11-30/launch_ctx.cu
 *   g++ -o build-s20/launch_ctx build-s20/launch_ctx.o build/kernels/libsskernels.a \
 *     build/libsparseserve_core.a -L/usr/local/cuda/lib64 -lcudart -lcublas -lpthread -lm
 * (build/ configured with gpu_arch 90, as here; nvcc as the linker tries a
 * device link of the archives and fails)
 * A probe kept as it ran, not part of the build.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

extern "C" {
#include "decode_attn.h"
#include "device.h"
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

__global__ void flush_a(const uint4 *p, uint64_t n, uint4 *sink)
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
/* the same code, its own function so that its carveout can differ */
__global__ void flush_b(const uint4 *p, uint64_t n, uint4 *sink)
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

__global__ void empty_kernel(int *sink)
{
	extern __shared__ int sm[];

	if (sink && threadIdx.x == 0 && blockIdx.x == 1 << 30)
		*sink = sm[0];
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

enum { T_E0, T_E192, T_E192C, T_READ, T_ATTN0, T_ATTN4, NT };
static const char *tname[NT] = { "empty0", "empty192", "empty192c",
				 "read8M", "attn0", "attn4" };

struct ctx {
	cudaStream_t s;
	const uint4 *fbuf;
	uint64_t fn;
	uint4 *fsink;
	int sms;
	void *rbuf;
	uint64_t *rsink;
	struct kern_attn_args a;
};

static void launch_target(struct ctx *c, int t)
{
	switch (t) {
	case T_E0:
		empty_kernel<<<72, 128, 0, c->s>>>(NULL);
		CK(cudaGetLastError());
		break;
	case T_E192:
		empty_kernel<<<72, 128, 192 * 1024, c->s>>>(NULL);
		CK(cudaGetLastError());
		break;
	case T_E192C: {
		cudaLaunchConfig_t cfg = {};
		cudaLaunchAttribute at[1];

		cfg.gridDim = dim3(72);
		cfg.blockDim = dim3(128);
		cfg.dynamicSmemBytes = 192 * 1024;
		cfg.stream = c->s;
		at[0].id = cudaLaunchAttributeClusterDimension;
		at[0].val.clusterDim.x = 9;
		at[0].val.clusterDim.y = 1;
		at[0].val.clusterDim.z = 1;
		cfg.attrs = at;
		cfg.numAttrs = 1;
		CK(cudaLaunchKernelEx(&cfg, empty_kernel, (int *)NULL));
		break;
	}
	case T_READ:
		KK(kern_hbm_read(c->rbuf, 8u << 20, c->rsink, c->s, &err));
		break;
	case T_ATTN0:
	case T_ATTN4:
		c->a.variant = t == T_ATTN0 ? 0 : 4;
		KK(kern_sparse_decode_attn(&c->a, c->s, &err));
		break;
	}
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

int main(void)
{
	struct ctx c;
	cudaEvent_t e0, e1;
	const int R = 300;
	static double samp[3][NT][300];
	int dev;
	cudaDeviceProp pr;

	CK(cudaGetDevice(&dev));
	CK(cudaGetDeviceProperties(&pr, dev));
	c.sms = pr.multiProcessorCount;
	printf("device %s, %d SMs, L2 %d bytes\n", pr.name, c.sms, pr.l2CacheSize);
	CK(cudaStreamCreateWithFlags(&c.s, cudaStreamNonBlocking));
	CK(cudaEventCreate(&e0));
	CK(cudaEventCreate(&e1));
	c.fn = 4ull * pr.l2CacheSize / 16;
	CK(cudaMalloc((void **)&c.fbuf, c.fn * 16));
	CK(cudaMemset((void *)c.fbuf, 1, c.fn * 16));
	CK(cudaMalloc((void **)&c.fsink, 16));
	CK(cudaFuncSetAttribute(flush_b,
				cudaFuncAttributePreferredSharedMemoryCarveout,
				cudaSharedmemCarveoutMaxShared));
	CK(cudaFuncSetAttribute(empty_kernel,
				cudaFuncAttributeMaxDynamicSharedMemorySize,
				192 * 1024));
	CK(cudaFuncSetAttribute(empty_kernel,
				cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
	CK(cudaMalloc(&c.rbuf, 8u << 20));
	CK(cudaMemset(c.rbuf, 0, 8u << 20));
	CK(cudaMalloc((void **)&c.rsink, 8));
	CK(cudaMemset(c.rsink, 0, 8));

	/* the attention case */
	{
		const uint64_t n_slots = (2ull << 30) / 16384;
		const uint32_t H = 8, L = 64;
		uint16_t *cache, *q, *out;
		int32_t hs[8 * 64], hb[8 * 64], *slots, *bids;
		uint32_t hn[8], hc = 131072, *nl, *cl, ns;
		uint64_t wb;
		void *work;

		CK(cudaMalloc((void **)&cache, n_slots * 16384));
		fill_kernel<<<c.sms * 8, 256, 0, c.s>>>(cache, n_slots * 8192, 7);
		CK(cudaMalloc((void **)&q, 32 * 128 * 2));
		fill_kernel<<<1, 256, 0, c.s>>>(q, 32 * 128, 9);
		CK(cudaMalloc((void **)&out, 32 * 128 * 2));
		/* slots and block ids from a fixed hash (the probe needs
		 * scattered slots, not statistics) */
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
		wb = 0;
		for (int v = 0; v <= 4; v += 4) {
			uint64_t w;
			c.a.variant = (uint32_t)v;
			KK(kern_attn_plan(&c.a, &ns, &w, &err));
			printf("variant %d: %u splits, workspace %llu bytes\n", v,
			       ns, (unsigned long long)w);
			if (w > wb)
				wb = w;
		}
		CK(cudaMalloc(&work, wb + 16));
		c.a.work = (float *)work;
		c.a.work_bytes = wb + 16;
	}
	CK(cudaStreamSynchronize(c.s));

	/* warm-up: every target under every mode */
	for (int i = 0; i < 50; i++)
		for (int t = 0; t < NT; t++) {
			flush_a<<<c.sms * 8, 256, 0, c.s>>>(c.fbuf, c.fn, c.fsink);
			launch_target(&c, t);
			flush_b<<<c.sms * 8, 256, 0, c.s>>>(c.fbuf, c.fn, c.fsink);
			launch_target(&c, t);
		}
	CK(cudaStreamSynchronize(c.s));

	/* interleaved: repeat i runs every (mode, target) once */
	for (int i = 0; i < R; i++)
		for (int m = 0; m < 3; m++)
			for (int t = 0; t < NT; t++) {
				float ms;

				if (m == 0)
					flush_a<<<c.sms * 8, 256, 0, c.s>>>(
						c.fbuf, c.fn, c.fsink);
				else if (m == 1)
					flush_b<<<c.sms * 8, 256, 0, c.s>>>(
						c.fbuf, c.fn, c.fsink);
				else
					launch_target(&c, t);
				CK(cudaEventRecord(e0, c.s));
				launch_target(&c, t);
				CK(cudaEventRecord(e1, c.s));
				CK(cudaEventSynchronize(e1));
				CK(cudaEventElapsedTime(&ms, e0, e1));
				samp[m][t][i] = 1000.0 * ms;
			}
	printf("%-10s %-28s %8s %8s %8s\n", "target", "mode", "p10_us",
	       "median_us", "p90_us");
	for (int t = 0; t < NT; t++)
		for (int m = 0; m < 3; m++) {
			static const char *mn[3] = {
				"A: flush, default carveout",
				"B: flush, max-shared carveout",
				"C: no flush, after itself" };
			qsort(samp[m][t], R, sizeof(double), cmpd);
			printf("%-10s %-28s %8.2f %8.2f %8.2f\n", tname[t], mn[m],
			       samp[m][t][R / 10], samp[m][t][R / 2],
			       samp[m][t][R - 1 - R / 10]);
		}
	return 0;
}
