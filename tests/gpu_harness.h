/*
 * gpu_harness.h - what every GPU test program shares (include after
 * harness.h and kernels/device.h): the error carrier, KOK() for calls
 * that must succeed, the skip rule (no CUDA build or no device: every
 * case reports SKIP with the reason), the poison byte, a seeded
 * generator and a checked malloc.
 */
#ifndef SS_TEST_GPU_HARNESS_H
#define SS_TEST_GPU_HARNESS_H

#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "harness.h"
#include "kernels/device.h"

#define POISON 0xA5 /* byte written over every output before a launch */

static struct ss_err e;

#define KOK(x)                                                                \
	do {                                                                  \
		int kok_rc_ = (x);                                            \
		CHECK_MSG(kok_rc_ == 0, "%s = %d: %s", #x, kok_rc_, e.msg);   \
	} while (0)

static inline void need_gpu(void)
{
	struct kern_dev_info info;
	static char why[600];

	if (!HAVE_CUDA)
		TH_SKIP("built without CUDA");
	if (kern_dev_probe(&info, &e)) {
		snprintf(why, sizeof why, "no GPU (%s)", e.msg);
		TH_SKIP(why);
	}
}

static inline gsl_rng *rng_new(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	CHECK(r != NULL);
	gsl_rng_set(r, seed);
	return r;
}

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	CHECK(p != NULL);
	return p;
}

#endif
