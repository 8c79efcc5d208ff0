/*
 * prefill_attn_impl.h - private to prefill_attn.cu and prefill_attn_sm90a.cu:
 * the kernel parameter block and the small PTX wrappers both use. Shared
 * tiles hold rows of 128 bf16; see the swizzles in each file.
 */
#ifndef SS_KERN_PREFILL_ATTN_IMPL_H
#define SS_KERN_PREFILL_ATTN_IMPL_H

#include <cuda_bf16.h>
#include <stdint.h>

#include "kern_ptx.h"
#include "prefill_attn.h"

#define PA_D 128
#define PA_BN 64
#define PA_LOG2E 1.4426950408889634f

__device__ __forceinline__ void mma16816(float c[4], const uint32_t a[4],
					 uint32_t b0, uint32_t b1)
{
	asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
		     "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
		     "{%0,%1,%2,%3};\n"
		     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
		     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0),
		       "r"(b1));
}

__device__ __forceinline__ uint32_t pack_bf2(float lo, float hi)
{
	__nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
	return *reinterpret_cast<uint32_t *>(&h);
}

struct pa_params {
	const __nv_bfloat16 *q, *k, *v;
	__nv_bfloat16 *out;
	uint64_t q_stride, kv_stride, out_stride;
	uint32_t group; /* n_q_heads / n_kv_heads */
	float scale_log2;
	uint32_t q_len, kv_len;
	const int32_t *cu_q, *cu_kv;
};

/*
 * Variant 6's plan (prefill_attn_sm90a.cu): the key range of the longest
 * 128-row tiles of one sequence split in two halves, each half a CTA, and
 * the grid's work items (tile, half) ordered longest first (item = tile
 * << 1 | half; tiles >= first_split are split, those below run whole as
 * half 0). A kernel parameter, so at most PA_SPLIT_MAX items.
 */
#define PA_SPLIT_MAX 1024

struct pa_split {
	uint32_t n_items;     /* grid.y */
	uint32_t n_tiles;     /* 128-row tiles of the sequence */
	uint32_t first_split; /* the split tiles are first_split .. n_tiles-1 */
	uint16_t item[PA_SPLIT_MAX];
};

/*
 * Plan variant 6 for `a` on a device of `sms` SMs: 1 and *sp filled when
 * the launch qualifies (one sequence, more than 64 queries, variant 4's
 * grid at most one wave of two CTAs per SM, so that its longest tiles
 * set the time), else 0. Pure host code.
 */
int pa_split_plan(const struct kern_prefill_args *a, int sms,
		  struct pa_split *sp);

/* Device workspace variant 6 needs for plan `sp`, bytes: per split tile,
 * head and half, 128 rows of 128 fp32 outputs and their log2-sum-exp. */
uint64_t pa_split_bytes(const struct pa_split *sp, uint32_t n_q_heads);

/*
 * The wgmma variants (prefill_attn_sm90a.cu), by `kind`: PA_WG_ONE is
 * variant 4 (128 query rows of one head per CTA), PA_WG_PAIR variant 5
 * (64 rows of two heads of one KV head per CTA; runs as 4 where the GQA
 * group is odd), PA_WG_PIPE variant 7 (variant 4's CTA with the products
 * of consecutive key tiles in flight together, one CTA per SM), PA_WG_WS
 * variant 8 (variant 7 with a warpgroup of its own loading the tiles); with
 * `split` (a plan of pa_split_plan; a->work holds pa_split_bytes; kind
 * PA_WG_ONE) variant 6: variant 4's CTAs over the plan's items, then a
 * kernel combining the halves. 0, or SS_ENODEV when the binary holds no
 * sm_90a code for this device, or SS_ECUDA. Arguments are checked by the
 * caller.
 */
enum { PA_WG_ONE = 0, PA_WG_PAIR = 1, PA_WG_PIPE = 2, PA_WG_WS = 3 };

int pa_launch_wgmma(const pa_params *p, const struct kern_prefill_args *a,
		    int kind, const struct pa_split *split, void *stream,
		    struct ss_err *err);

#endif
