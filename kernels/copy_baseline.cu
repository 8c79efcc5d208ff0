/*
 * copy_baseline.cu - per-block cudaMemcpyAsync and cudaMemcpyBatchAsync
 * (see copy_baseline.h). Host code only; no kernels.
 */
#include <stdlib.h>

#include "copy_baseline.h"
#include "kern_cuda.h"

struct kern_batch_ws {
	uint32_t cap;      /* blocks */
	void **dsts;       /* [cap] */
	const void **srcs; /* [cap] */
	size_t *sizes;     /* [cap], bytes */
};

static int check_copy(const struct kern_blocks_copy *c, const char *who,
		      struct ss_err *err)
{
	if (!c->block_bytes)
		return ss_error(err, SS_EINVAL,
				"%s: field 'block_bytes' is 0", who);
	if (c->n_blocks && (!c->dst_base || !c->src_base ||
			    !c->src_index || !c->dst_index))
		return ss_error(err, SS_EINVAL,
				"%s: a pointer field is NULL (dst_base, "
				"src_base, src_index, dst_index)",
				who);
	return 0;
}

extern "C" int kern_memcpy_blocks(const struct kern_blocks_copy *c,
				  void *stream, struct ss_err *err)
{
	int rc = check_copy(c, "memcpy_blocks", err);

	if (rc)
		return rc;
	for (uint32_t i = 0; i < c->n_blocks; i++)
		KCHECK(cudaMemcpyAsync((char *)c->dst_base +
					       c->dst_index[i] * c->block_bytes,
				       (const char *)c->src_base +
					       c->src_index[i] * c->block_bytes,
				       c->block_bytes, cudaMemcpyDefault,
				       kern_stream(stream)),
		       err);
	return 0;
}

extern "C" int kern_batch_ws_alloc(struct kern_batch_ws **out, uint32_t cap,
				   struct ss_err *err)
{
	struct kern_batch_ws *ws = (struct kern_batch_ws *)calloc(1, sizeof *ws);

	*out = NULL;
	if (!ws)
		return ss_error(err, SS_ENOMEM, "batch_ws: out of host memory");
	ws->cap = cap;
	ws->dsts = (void **)calloc(cap ? cap : 1, sizeof *ws->dsts);
	ws->srcs = (const void **)calloc(cap ? cap : 1, sizeof *ws->srcs);
	ws->sizes = (size_t *)calloc(cap ? cap : 1, sizeof *ws->sizes);
	if (!ws->dsts || !ws->srcs || !ws->sizes) {
		kern_batch_ws_free(ws);
		return ss_error(err, SS_ENOMEM,
				"batch_ws: out of host memory (%u blocks)",
				cap);
	}
	*out = ws;
	return 0;
}

extern "C" void kern_batch_ws_free(struct kern_batch_ws *ws)
{
	if (!ws)
		return;
	free(ws->dsts);
	free(ws->srcs);
	free(ws->sizes);
	free(ws);
}

extern "C" int kern_memcpy_batch_blocks(const struct kern_blocks_copy *c,
					struct kern_batch_ws *ws, void *stream,
					struct ss_err *err)
{
	struct cudaMemcpyAttributes attr;
	size_t attr_idx = 0;
	int rc = check_copy(c, "memcpy_batch_blocks", err);

	if (rc)
		return rc;
	if (c->n_blocks > ws->cap)
		return ss_error(err, SS_EINVAL,
				"memcpy_batch_blocks: field 'n_blocks': %u "
				"exceeds the workspace's %u",
				c->n_blocks, ws->cap);
	if (!stream)
		return ss_error(err, SS_EINVAL,
				"memcpy_batch_blocks: the legacy default "
				"stream (NULL) is not allowed");
	if (!c->n_blocks)
		return 0;
	for (uint32_t i = 0; i < c->n_blocks; i++) {
		ws->dsts[i] = (char *)c->dst_base +
			      c->dst_index[i] * c->block_bytes;
		ws->srcs[i] = (const char *)c->src_base +
			      c->src_index[i] * c->block_bytes;
		ws->sizes[i] = c->block_bytes;
	}
	memset(&attr, 0, sizeof attr);
	attr.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
	KCHECK(cudaMemcpyBatchAsync(ws->dsts, ws->srcs, ws->sizes, c->n_blocks,
				    &attr, &attr_idx, 1, kern_stream(stream)),
	       err);
	return 0;
}
