/*
 * device.cu - the CUDA runtime behind device.h (plain C interface).
 * Built by meson when nvcc is found; kernels/stub.c stands in otherwise.
 */
#include <cublas_v2.h>
#include <stdio.h>

#include "device.h"
#include "kern_cuda.h"

extern "C" int kern_dev_probe(struct kern_dev_info *info, struct ss_err *err)
{
	cudaDeviceProp p;
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);

	if (e != cudaSuccess || n < 1) {
		cudaGetLastError();
		return ss_error(err, SS_ENODEV, "no CUDA device: %s",
				e != cudaSuccess ? cudaGetErrorString(e)
						 : "count is 0");
	}
	KCHECK(cudaSetDevice(0), err);
	KCHECK(cudaGetDeviceProperties(&p, 0), err);
	memset(info, 0, sizeof *info);
	snprintf(info->name, sizeof info->name, "%s", p.name);
	info->sm_count = p.multiProcessorCount;
	info->cc_major = p.major;
	info->cc_minor = p.minor;
	info->hbm_bytes = p.totalGlobalMem;
	info->l2_bytes = (uint64_t)p.l2CacheSize;
	info->mem_bus_bits = p.memoryBusWidth;
	cudaDeviceGetAttribute(&info->sm_clock_khz, cudaDevAttrClockRate, 0);
	cudaDeviceGetAttribute(&info->mem_clock_khz,
			       cudaDevAttrMemoryClockRate, 0);
	cudaGetLastError(); /* the clock attributes may be unsupported */
	KCHECK(cudaDriverGetVersion(&info->driver_version), err);
	KCHECK(cudaRuntimeGetVersion(&info->runtime_version), err);
	return 0;
}

extern "C" int kern_dev_malloc(void **p, uint64_t bytes, struct ss_err *err)
{
	*p = NULL;
	KCHECK(cudaMalloc(p, bytes), err);
	return 0;
}

extern "C" void kern_dev_free(void *p)
{
	if (p)
		cudaFree(p);
}

extern "C" int kern_host_alloc(void **p, uint64_t bytes, struct ss_err *err)
{
	*p = NULL;
	KCHECK(cudaHostAlloc(p, bytes,
			     cudaHostAllocMapped | cudaHostAllocPortable),
	       err);
	return 0;
}

extern "C" void kern_host_free(void *p)
{
	if (p)
		cudaFreeHost(p);
}

extern "C" int kern_stream_create(void **stream, struct ss_err *err)
{
	cudaStream_t s;

	KCHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), err);
	*stream = s;
	return 0;
}

extern "C" void kern_stream_destroy(void *stream)
{
	if (stream)
		cudaStreamDestroy(kern_stream(stream));
}

extern "C" int kern_stream_sync(void *stream, struct ss_err *err)
{
	KCHECK(cudaStreamSynchronize(kern_stream(stream)), err);
	return 0;
}

extern "C" int kern_dev_sync(struct ss_err *err)
{
	KCHECK(cudaDeviceSynchronize(), err);
	return 0;
}

extern "C" int kern_event_create(void **ev, struct ss_err *err)
{
	cudaEvent_t e;

	KCHECK(cudaEventCreate(&e), err);
	*ev = e;
	return 0;
}

extern "C" void kern_event_destroy(void *ev)
{
	if (ev)
		cudaEventDestroy((cudaEvent_t)ev);
}

extern "C" int kern_event_record(void *ev, void *stream, struct ss_err *err)
{
	KCHECK(cudaEventRecord((cudaEvent_t)ev, kern_stream(stream)), err);
	return 0;
}

extern "C" int kern_event_sync(void *ev, struct ss_err *err)
{
	KCHECK(cudaEventSynchronize((cudaEvent_t)ev), err);
	return 0;
}

extern "C" int kern_event_done(void *ev, struct ss_err *err)
{
	cudaError_t e = cudaEventQuery((cudaEvent_t)ev);

	if (e == cudaErrorNotReady)
		return 0;
	KCHECK(e, err);
	return 1;
}

extern "C" int kern_stream_wait_event(void *stream, void *ev,
				      struct ss_err *err)
{
	KCHECK(cudaStreamWaitEvent(kern_stream(stream), (cudaEvent_t)ev, 0),
	       err);
	return 0;
}

extern "C" int kern_event_elapsed_ms(void *start, void *stop, float *ms,
				     struct ss_err *err)
{
	KCHECK(cudaEventElapsedTime(ms, (cudaEvent_t)start,
				    (cudaEvent_t)stop),
	       err);
	return 0;
}

extern "C" int kern_copy_async(void *dst, const void *src, uint64_t bytes,
			       void *stream, struct ss_err *err)
{
	KCHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault,
			       kern_stream(stream)),
	       err);
	return 0;
}

extern "C" int kern_copy(void *dst, const void *src, uint64_t bytes,
			 struct ss_err *err)
{
	KCHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault), err);
	/* from pageable memory cudaMemcpy may return before the DMA to the
	 * device has landed; work queued next on a non-blocking stream would
	 * not wait for it (seen: t_d2h_pipeline_bitexact read a layer's KV
	 * before its upload finished). The copy is done when this returns. */
	KCHECK(cudaStreamSynchronize(cudaStreamLegacy), err);
	return 0;
}

extern "C" int kern_memset_async(void *dst, int byte, uint64_t bytes,
				 void *stream, struct ss_err *err)
{
	KCHECK(cudaMemsetAsync(dst, byte, bytes, kern_stream(stream)), err);
	return 0;
}

/*
 * Read every 16 bytes of `buf` once, grid-stride: the L2 ends up holding
 * the buffer's clean lines, and whatever was dirty in it (a previous
 * kernel's output) is written back during the sweep. The XOR of the
 * loads feeds a store to l2_sweep_sink that practically never happens
 * (one thread's XOR would have to equal a constant and the buffer be one
 * vector long), so the loads are not dropped.
 */
__device__ uint32_t l2_sweep_sink;

__global__ void l2_sweep_kernel(const uint4 *__restrict__ p, uint64_t n)
{
	uint32_t acc = 0;

	for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     i < n; i += (uint64_t)gridDim.x * blockDim.x) {
		uint4 v = p[i];

		acc ^= v.x ^ v.y ^ v.z ^ v.w;
	}
	if (acc == 0x9e3779b9u && n == 1)
		l2_sweep_sink = acc;
}

extern "C" int kern_l2_sweep(const void *buf, uint64_t bytes, void *stream,
			     struct ss_err *err)
{
	int sms = kern_dev_attr(cudaDevAttrMultiProcessorCount, 132);

	if (!buf || bytes < 16 || ((uintptr_t)buf & 15))
		return ss_error(err, SS_EINVAL,
				"l2_sweep: field 'buf' is NULL or not 16-byte "
				"aligned, or 'bytes' %llu < 16",
				(unsigned long long)bytes);
	l2_sweep_kernel<<<sms * 8, 256, 0, kern_stream(stream)>>>(
		(const uint4 *)buf, bytes / 16);
	KCHECK_LAUNCH("l2_sweep_kernel", err);
	return 0;
}

/*
 * kern_hbm_read: 2 CTAs of 1,024 threads per SM (a full SM at the 32
 * registers this needs), HBM_UNROLL loads issued before any is summed, so
 * a read of a few MB is one round of loads; then a warp sum and one
 * atomic per CTA (a few hundred on one address, rather than one per warp).
 */
#define HBM_THREADS 1024
#define HBM_UNROLL 4

/* the CTA's sum of its threads' acc, added to *sink by one atomic */
__device__ __forceinline__ void sink_add(unsigned long long acc,
					 unsigned long long *__restrict__ sink)
{
	__shared__ unsigned long long part[HBM_THREADS / 32];
	const uint32_t lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

	for (int o = 16; o; o >>= 1)
		acc += __shfl_xor_sync(0xffffffffu, acc, o);
	if (!lane)
		part[warp] = acc;
	__syncthreads();
	if (warp)
		return;
	acc = lane < blockDim.x / 32 ? part[lane] : 0;
	for (int o = 16; o; o >>= 1)
		acc += __shfl_xor_sync(0xffffffffu, acc, o);
	if (!lane)
		atomicAdd(sink, acc);
}

__device__ __forceinline__ unsigned long long words_sum(uint4 v)
{
	return (unsigned long long)v.x + v.y + v.z + v.w;
}

__global__ void __launch_bounds__(HBM_THREADS, 2)
	hbm_read_kernel(const uint4 *__restrict__ p, uint64_t n,
			unsigned long long *__restrict__ sink)
{
	const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
	unsigned long long acc = 0;

	for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     i < n; i += HBM_UNROLL * stride) {
		uint4 v[HBM_UNROLL];

#pragma unroll
		for (int u = 0; u < HBM_UNROLL; u++)
			v[u] = i + u * stride < n ? p[i + u * stride]
						  : make_uint4(0, 0, 0, 0);
#pragma unroll
		for (int u = 0; u < HBM_UNROLL; u++)
			acc += words_sum(v[u]);
	}
	sink_add(acc, sink);
}

/*
 * kern_hbm_gather: hbm_read_kernel's grid and loads over the blocks named
 * by `slots` (`per` 16-byte words a block, 1 << shift when POW2: a shift
 * and a mask in place of a 64-bit division and remainder a load); each
 * thread fetches the slots of a round's loads first, so each grid-stride
 * round costs one dependent round trip more than the read's (one round up
 * to 2 x SMs x 1,024 x 4 x 16 bytes, 17 MB on the H200).
 */
template <bool POW2>
__global__ void __launch_bounds__(HBM_THREADS, 2)
	hbm_gather_kernel(const uint4 *__restrict__ base, uint64_t per,
			  uint32_t shift, const int32_t *__restrict__ slots,
			  uint64_t n, unsigned long long *__restrict__ sink)
{
	const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
	unsigned long long acc = 0;

	for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
	     i < n; i += HBM_UNROLL * stride) {
		uint64_t at[HBM_UNROLL];
		uint4 v[HBM_UNROLL];

#pragma unroll
		for (int u = 0; u < HBM_UNROLL; u++) {
			const uint64_t j = i + u * stride;
			const uint64_t b = POW2 ? j >> shift : j / per;
			const uint64_t o = POW2 ? j & (per - 1) : j % per;

			at[u] = j < n ? (uint64_t)(uint32_t)slots[b] * per + o
				      : UINT64_MAX;
		}
#pragma unroll
		for (int u = 0; u < HBM_UNROLL; u++)
			v[u] = at[u] != UINT64_MAX ? base[at[u]]
						   : make_uint4(0, 0, 0, 0);
#pragma unroll
		for (int u = 0; u < HBM_UNROLL; u++)
			acc += words_sum(v[u]);
	}
	sink_add(acc, sink);
}

/* every SM full (2 CTAs of 1,024 threads), no more CTAs than have a load
 * to make */
static unsigned hbm_ctas(uint64_t n)
{
	int sms = kern_dev_attr(cudaDevAttrMultiProcessorCount, 132);

	return (unsigned)SS_MIN((uint64_t)sms * 2,
				(n + HBM_THREADS - 1) / HBM_THREADS);
}

extern "C" int kern_hbm_read(const void *buf, uint64_t bytes,
			     uint64_t *sink, void *stream, struct ss_err *err)
{
	uint64_t n = bytes / 16;

	if (!buf || !sink || ((uintptr_t)buf & 15) || !bytes || (bytes & 15))
		return ss_error(err, SS_EINVAL,
				"hbm_read: field 'buf' or 'sink' is NULL, or "
				"'buf' not 16-byte aligned, or 'bytes' %llu "
				"not a positive multiple of 16",
				(unsigned long long)bytes);
	hbm_read_kernel<<<hbm_ctas(n), HBM_THREADS, 0, kern_stream(stream)>>>(
		(const uint4 *)buf, n, (unsigned long long *)sink);
	KCHECK_LAUNCH("hbm_read_kernel", err);
	return 0;
}

extern "C" int kern_hbm_gather(const void *base, uint64_t block_bytes,
			       const int32_t *slots, uint64_t n_blocks,
			       uint64_t *sink, void *stream,
			       struct ss_err *err)
{
	const uint64_t per = block_bytes / 16;
	const uint32_t shift = (uint32_t)__builtin_ctzll(per ? per : 1);

	if (!base || !slots || !sink || ((uintptr_t)base & 15))
		return ss_error(err, SS_EINVAL,
				"hbm_gather: field 'base', 'slots' or 'sink' "
				"is NULL, or 'base' not 16-byte aligned");
	/* slot x per stays below 2^64 for any 32-bit slot, and the grid
	 * stride rounds of the word count cannot wrap */
	if (!block_bytes || (block_bytes & 15) || per > UINT32_MAX)
		return ss_error(err, SS_EINVAL,
				"hbm_gather: field 'block_bytes' %llu is not a "
				"positive multiple of 16 of at most 64 GiB",
				(unsigned long long)block_bytes);
	if (!n_blocks || n_blocks > (UINT64_MAX >> 2) / per)
		return ss_error(err, SS_EINVAL,
				"hbm_gather: field 'n_blocks' %llu is 0 or "
				"too large for blocks of %llu bytes",
				(unsigned long long)n_blocks,
				(unsigned long long)block_bytes);
	{
		void (*k)(const uint4 *, uint64_t, uint32_t, const int32_t *,
			  uint64_t, unsigned long long *) =
			per & (per - 1) ? hbm_gather_kernel<false>
					: hbm_gather_kernel<true>;

		k<<<hbm_ctas(n_blocks * per), HBM_THREADS, 0,
		    kern_stream(stream)>>>((const uint4 *)base, per, shift,
					   slots, n_blocks * per,
					   (unsigned long long *)sink);
	}
	KCHECK_LAUNCH("hbm_gather_kernel", err);
	return 0;
}

#define KBLAS(call, err)                                                      \
	do {                                                                  \
		cublasStatus_t kb_s_ = (call);                                \
		if (kb_s_ != CUBLAS_STATUS_SUCCESS)                           \
			return ss_error((err), SS_ECUDA, "%s:%d: %s: %s",     \
					__FILE__, __LINE__, #call,            \
					cublasGetStatusString(kb_s_));        \
	} while (0)

extern "C" int kern_gemm_create(void **handle, void *stream,
				struct ss_err *err)
{
	cublasHandle_t h;

	KBLAS(cublasCreate(&h), err);
	if (cublasSetStream(h, kern_stream(stream)) !=
	    CUBLAS_STATUS_SUCCESS) {
		cublasDestroy(h);
		return ss_error(err, SS_ECUDA, "cublasSetStream failed");
	}
	*handle = h;
	return 0;
}

extern "C" void kern_gemm_destroy(void *handle)
{
	if (handle)
		cublasDestroy((cublasHandle_t)handle);
}

extern "C" int kern_gemm_bf16(void *handle, int m, int n, int k,
			      const kern_bf16 *a, const kern_bf16 *b,
			      kern_bf16 *c, struct ss_err *err)
{
	const float one = 1.0f, zero = 0.0f;

	if (m <= 0 || n <= 0 || k <= 0)
		return ss_error(err, SS_EINVAL,
				"gemm: sizes must be positive (m=%d n=%d k=%d)",
				m, n, k);
	/* Row-major C = A B is column-major C^T = B^T A^T. */
	KBLAS(cublasGemmEx((cublasHandle_t)handle, CUBLAS_OP_N, CUBLAS_OP_N,
			   n, m, k, &one, b, CUDA_R_16BF, n, a, CUDA_R_16BF,
			   k, &zero, c, CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
			   CUBLAS_GEMM_DEFAULT),
	      err);
	return 0;
}
