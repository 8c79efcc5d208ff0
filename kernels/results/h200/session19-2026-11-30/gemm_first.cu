/*
 * gemm_first.cu - session 19's probe: what does cuBLAS's first GEMM of a
 * new row count cost the host, and why? (The live executor's prefill
 * iterations of a token count not seen before took 10-17 ms more on the
 * host thread that issues the layers, with the GPU waiting; eager module
 * loading did not change it, call 1.)
 *
 * The four linear layers of Llama-3-8B (as kernels/gemm.cu's kern_linear
 * calls cublasGemmEx: y[M x out] = x[M x in] w^T), for row counts M, each
 * issued behind a 20 ms spin kernel on the stream, so that a call that
 * waits for the GPU shows it. Per M: the host time of the four calls, the
 * first time (new M) and the second time (same M again). Modes:
 *   default     the handle as cublasCreate leaves it
 *   workspace   cublasSetWorkspace with a 64 MiB buffer of ours
 *
 *   nvcc -O2 -arch=sm_90 -o gemm_first gemm_first.cu -lcublas
 *   ./gemm_first 0; ./gemm_first 1   (one process a mode)
 *
 * A probe kept as it ran, not part of the build.
 */
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CK(x)                                                                  \
	do {                                                                   \
		cudaError_t e_ = (x);                                          \
		if (e_ != cudaSuccess) {                                       \
			fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__,      \
				cudaGetErrorString(e_));                       \
			exit(1);                                               \
		}                                                              \
	} while (0)
#define CB(x)                                                                  \
	do {                                                                   \
		cublasStatus_t s_ = (x);                                       \
		if (s_ != CUBLAS_STATUS_SUCCESS) {                             \
			fprintf(stderr, "%s:%d cublas %d\n", __FILE__,         \
				__LINE__, (int)s_);                            \
			exit(1);                                               \
		}                                                              \
	} while (0)

__global__ void spin(long long ns)
{
	long long t0 = clock64();
	/* ~1.98 GHz: cycles = ns x 1.98 */
	while (clock64() - t0 < (long long)(ns * 1.98))
		;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

static const int shp[4][2] = { /* in, out */
	{ 4096, 6144 }, { 4096, 4096 }, { 4096, 28672 }, { 14336, 4096 }
};

static double four(cublasHandle_t h, cudaStream_t st, int M, __nv_bfloat16 *x,
		   __nv_bfloat16 *w, __nv_bfloat16 *y, int lead_spin)
{
	const float one = 1.0f, zero = 0.0f;
	double t0;

	if (lead_spin)
		spin<<<1, 1, 0, st>>>(20000000LL);
	t0 = now();
	for (int i = 0; i < 4; i++)
		CB(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, shp[i][1], M,
				shp[i][0], &one, w, CUDA_R_16BF, shp[i][0], x,
				CUDA_R_16BF, shp[i][0], &zero, y, CUDA_R_16BF,
				shp[i][1], CUBLAS_COMPUTE_32F,
				CUBLAS_GEMM_DEFAULT_TENSOR_OP));
	t0 = now() - t0;
	CK(cudaStreamSynchronize(st));
	return t0 * 1e3;
}

int main(int argc, char **argv)
{
	const int mode = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 0;
	static const int Ms[] = { 2049, 387, 392, 684, 1148, 1279, 1607,
				  1015, 123, 689, 2045, 1000, 1001, 1002, 1008 };
	const int nM = sizeof Ms / sizeof Ms[0];
	__nv_bfloat16 *x, *w, *y;
	void *ws;
	cudaStream_t st;

	CK(cudaMalloc(&x, 4096ull * 14336 * 2));
	CK(cudaMalloc(&w, 28672ull * 14336 * 2));
	CK(cudaMalloc(&y, 4096ull * 28672 * 2));
	CK(cudaMalloc(&ws, 64 << 20));
	CK(cudaMemset(x, 0, 4096ull * 14336 * 2));
	CK(cudaMemset(w, 0, 28672ull * 14336 * 2));
	CK(cudaStreamCreate(&st));
	{
		cublasHandle_t h;

		CB(cublasCreate(&h));
		CB(cublasSetStream(h, st));
		if (mode == 1)
			CB(cublasSetWorkspace(h, ws, 64 << 20));
		/* the handle's first call, and a warm M of 2048 (as the
		 * executor's warm-up leaves it) */
		four(h, st, 2048, x, w, y, 0);
		four(h, st, 2, x, w, y, 0);
		printf("mode %s (M, host ms first with spin ahead, again with "
		       "spin, first-time no-spin of M+%d)\n",
		       mode ? "workspace" : "default", 3 + mode);
		for (int k = 0; k < nM; k++) {
			int M = Ms[k];
			double a = four(h, st, M, x, w, y, 1);
			double b = four(h, st, M, x, w, y, 1);
			double c = four(h, st, M + 3 + mode, x, w, y, 0);

			printf("  M %5d  first %8.3f  again %8.3f  "
			       "first-no-spin %8.3f\n",
			       M, a, b, c);
		}
		CB(cublasDestroy(h));
	}
	return 0;
}
