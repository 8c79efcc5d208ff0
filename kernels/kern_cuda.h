/*
 * kern_cuda.h - private to the .cu files of kernels/: error checking of
 * runtime calls and launches. Not for C code (it includes CUDA headers).
 */
#ifndef SS_KERN_CUDA_H
#define SS_KERN_CUDA_H

#include <cuda_runtime.h>

#include "kern.h"

/* Return SS_ECUDA naming the call and the runtime's message. */
#define KCHECK(call, err)                                                     \
	do {                                                                  \
		cudaError_t kc_e_ = (call);                                   \
		if (kc_e_ != cudaSuccess)                                     \
			return ss_error((err), SS_ECUDA, "%s:%d: %s: %s",     \
					__FILE__, __LINE__, #call,            \
					cudaGetErrorString(kc_e_));           \
	} while (0)

/* After a <<<>>> launch: report a bad configuration or a sticky error. */
#define KCHECK_LAUNCH(name, err)                                              \
	do {                                                                  \
		cudaError_t kc_e_ = cudaGetLastError();                       \
		if (kc_e_ != cudaSuccess)                                     \
			return ss_error((err), SS_ECUDA,                      \
					"%s:%d: launch of %s: %s", __FILE__,  \
					__LINE__, (name),                     \
					cudaGetErrorString(kc_e_));           \
	} while (0)

static inline cudaStream_t kern_stream(void *s) { return (cudaStream_t)s; }

/* An attribute of the current device, or `fallback` where it cannot be
 * read (the error is cleared: not sticky). */
static inline int kern_dev_attr(cudaDeviceAttr what, int fallback)
{
	int v = fallback, dev = 0;

	if (cudaGetDevice(&dev) != cudaSuccess ||
	    cudaDeviceGetAttribute(&v, what, dev) != cudaSuccess) {
		(void)cudaGetLastError();
		v = fallback;
	}
	return v;
}

#endif
