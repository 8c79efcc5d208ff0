/*
 * select.c - selection-source parameters and the generic open/close.
 * The sources and their registry are in sim/ (select.h says why).
 */
#include "select.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

void sel_params_default(struct sel_params *p, uint32_t layers,
			uint32_t kv_heads)
{
	memset(p, 0, sizeof(*p));
	p->layers = layers;
	p->kv_heads = kv_heads;
	p->block_tokens = 32;
	p->budget_tokens = 2048;
	p->sink_blocks = 2;
	p->window_blocks = 2;
	p->budget_counts_fixed = 0;
}

int sel_params_check(const struct sel_params *p, struct ss_err *err)
{
	uint32_t budget_blocks;

	if (!p->layers || !p->kv_heads || !p->block_tokens)
		return ss_error(err, SS_EINVAL,
				"selection: fields 'layers', 'kv_heads', 'block_tokens' must be > 0 (got %u, %u, %u)",
				p->layers, p->kv_heads, p->block_tokens);
	budget_blocks = p->budget_tokens / p->block_tokens;
	if (!budget_blocks)
		return ss_error(err, SS_EINVAL,
				"selection: field 'budget_tokens' = %u: less than one block of %u tokens",
				p->budget_tokens, p->block_tokens);
	if (p->sink_blocks > 65536 || p->window_blocks > 65536)
		return ss_error(err, SS_EINVAL,
				"selection: fields 'sink_blocks' = %u, 'window_blocks' = %u: at most 65536",
				p->sink_blocks, p->window_blocks);
	if (p->budget_counts_fixed &&
	    budget_blocks <= p->sink_blocks + p->window_blocks)
		return ss_error(err, SS_EINVAL,
				"selection: field 'budget_tokens' = %u (%u blocks) leaves no top-k blocks beside %u sink and %u window blocks",
				p->budget_tokens, budget_blocks,
				p->sink_blocks, p->window_blocks);
	return 0;
}

uint32_t sel_topk_blocks(const struct sel_params *p)
{
	uint32_t b = p->budget_tokens / p->block_tokens;

	return p->budget_counts_fixed ? b - p->sink_blocks - p->window_blocks
				      : b;
}

uint32_t sel_max_blocks(const struct sel_params *p)
{
	return sel_topk_blocks(p) + p->sink_blocks + p->window_blocks;
}

uint32_t sel_count(const struct sel_params *p, uint32_t nfull)
{
	return SS_MIN(nfull, sel_max_blocks(p));
}

int sel_open_ops(struct sel_source *s, const struct sel_source_ops *ops,
		 const struct sel_params *p, const char *arg, void *rng,
		 struct ss_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = sel_params_check(p, err);
	if (rc)
		return rc;
	s->priv = calloc(1, ops->priv_size ? ops->priv_size : 1);
	if (!s->priv)
		return ss_error(err, SS_ENOMEM, "selection '%s': out of memory",
				ops->name);
	rc = ops->init(s->priv, p, arg, rng, err);
	if (rc) {
		/* release() must accept a partly initialised state: what init
		 * allocated before failing is freed there */
		ops->release(s->priv);
		free(s->priv);
		s->priv = NULL;
		return rc;
	}
	s->ops = ops;
	s->p = *p;
	return 0;
}

void sel_close(struct sel_source *s)
{
	if (s->ops)
		s->ops->release(s->priv);
	free(s->priv);
	memset(s, 0, sizeof(*s));
}
