/*
 * kern_shape.h - a model as the kernels see it: one GPU's share of its
 * layer shapes under tensor parallelism, and its rotary embedding
 * (rope_theta and rope_scaling from config.json). Used by the benchmarks
 * and the live executor, so both run exactly the shipped shapes.
 */
#ifndef SS_MODEL_KERN_SHAPE_H
#define SS_MODEL_KERN_SHAPE_H

#include <stdint.h>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "model/model.h"
#include "ss.h"

struct kern_shape {
	struct kern_model_shape s;     /* one GPU's share */
	struct kern_rope_scaling sc;   /* config.json's rope_scaling */
	const struct kern_rope_scaling *scp; /* &sc, or NULL: none */
	double theta;                  /* rope_theta (10000 when absent) */
};

/*
 * The share of `m` on one of `tp` GPUs (query heads, KV heads and FFN
 * split `tp` ways; hidden and layers whole). SS_EINVAL naming the model
 * when tp does not divide the heads or leaves an FFN share that is not a
 * multiple of 8, or when a llama3 rope_scaling lacks its frequency factors.
 */
int kern_shape_of(const struct model *m, uint32_t tp, struct kern_shape *ks,
		  struct ss_err *err);

#endif
