/*
 * offload.c - KV directory, working sets, digest budget and the per-layer
 * loop of the offload presets (offload.h explains the protocol).
 *
 * Ownership: the directory, the estimator and the per-KV-id tables are
 * allocated once at off_init / grown at admission; the per-layer loop
 * reuses its buffers (no allocation in steady state).
 */
#include "offload.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int grow_ids(struct pol_off *o, int prefetch, size_t need,
		    struct ss_err *err)
{
	size_t old = o->ids_alloc, a1 = old, a2 = old, a3 = old;

	if (need <= old)
		return 0;
	if (ss_grow((void **)&o->owner, &a1, need, sizeof(*o->owner), err) ||
	    ss_grow((void **)&o->zombie, &a2, need, sizeof(*o->zombie), err))
		return SS_ENOMEM;
	if (prefetch &&
	    ss_grow((void **)&o->pred, &a3, need, sizeof(*o->pred), err))
		return SS_ENOMEM;
	o->ids_alloc = SS_MIN(a1, a2);
	if (prefetch)
		o->ids_alloc = SS_MIN(o->ids_alloc, a3);
	memset(o->zombie + old, 0, (o->ids_alloc - old) * sizeof(*o->zombie));
	if (prefetch)
		memset(o->pred + old, 0, (o->ids_alloc - old) * sizeof(*o->pred));
	return 0;
}

int off_init(struct pol *p, uint64_t hbm_bytes, struct ss_err *err)
{
	const struct model *m = p->m;
	struct pol_off *o = calloc(1, sizeof(*o));
	struct kv_dir_config kc;
	struct ws_config wc;
	uint32_t cap;

	if (!o)
		return ss_error(err, SS_ENOMEM, "out of memory");
	p->off = o;
	o->head_scale = 1;
	if (p->cfg.sample_heads) {
		if (p->cfg.sample_heads > m->kv_heads ||
		    m->kv_heads % p->cfg.sample_heads) {
			ss_error(err, SS_EINVAL,
				 "config key 'offload.sample_heads' = %u: must divide the %u KV heads of model '%s'",
				 p->cfg.sample_heads, m->kv_heads, m->name);
			goto fail;
		}
		o->head_scale = m->kv_heads / p->cfg.sample_heads;
	}
	o->shape.layers = m->layers;
	o->shape.kv_heads = m->kv_heads / o->head_scale;
	o->shape.head_dim = m->head_dim;
	o->shape.block_tokens = p->cfg.block_tokens;
	o->shape.dtype_bytes = m->dtype_bytes;
	if (kv_shape_check(&o->shape, err))
		goto fail;
	o->block_bytes = kv_block_bytes(&o->shape) * o->head_scale;
	if (!(p->cfg.meta_frac > 0 && p->cfg.meta_frac < 1)) {
		ss_error(err, SS_EINVAL,
			 "config key 'mem.meta_frac' = %g: must be in (0, 1)",
			 p->cfg.meta_frac);
		goto fail;
	}
	o->hbm_bytes = hbm_bytes;
	o->meta_budget = (uint64_t)(p->cfg.meta_frac * (double)hbm_bytes);
	memset(&kc, 0, sizeof kc);
	kc.shape = o->shape;
	kc.cache_bytes = hbm_bytes - o->meta_budget;
	if (kc.cache_bytes < o->block_bytes) {
		ss_error(err, SS_ERANGE,
			 "policy '%s': %llu bytes of HBM cache after the digest "
			 "budget hold no %llu-byte block",
			 p->preset->name, (unsigned long long)kc.cache_bytes,
			 (unsigned long long)o->block_bytes);
		goto fail;
	}
	kc.cache_bytes /= o->head_scale; /* slots of head_scale block-heads */
	o->kv = kv_dir_alloc(&kc, err);
	if (!o->kv)
		goto fail;
	o->cache_bytes = (uint64_t)kv_nslots(o->kv) * o->block_bytes;
	memset(&wc, 0, sizeof wc);
	wc.shape = o->shape;
	wc.window = p->cfg.ws_window;
	o->ws = ws_alloc(&wc, err);
	if (!o->ws)
		goto fail;
	sel_params_default(&o->sp, m->layers, m->kv_heads);
	o->sp.block_tokens = p->cfg.block_tokens;
	o->sp.budget_tokens = p->cfg.token_budget;
	o->sp.sink_blocks = p->cfg.sink_blocks;
	o->sp.window_blocks = p->cfg.window_blocks;
	if (sel_params_check(&o->sp, err))
		goto fail;
	o->max_inject = p->cfg.max_inject ? p->cfg.max_inject
					  : p->cfg.max_batched_tokens * m->layers;
	cap = sel_max_blocks(&o->sp);
	o->sel.cap = cap;
	o->sel.blocks = calloc(cap, sizeof(uint32_t));
	o->sel.added = calloc(cap, sizeof(uint32_t));
	o->sel.removed = calloc(cap, sizeof(uint32_t));
	if (!o->sel.blocks || !o->sel.added || !o->sel.removed) {
		ss_error(err, SS_ENOMEM, "out of memory");
		goto fail;
	}
	if (!(p->cfg.ws_fresh_factor >= 0)) {
		ss_error(err, SS_EINVAL,
			 "config key 'ws.fresh_factor' = %g: must be >= 0",
			 p->cfg.ws_fresh_factor);
		goto fail;
	}
	if (p->cfg.prefetch) {
		o->pf_mark = calloc(kv_nslots(o->kv), 1);
		if (!o->pf_mark) {
			ss_error(err, SS_ENOMEM, "out of memory");
			goto fail;
		}
	}
	return 0;
fail:
	off_release(p);
	return err ? err->code : SS_EINVAL;
}

void off_release(struct pol *p)
{
	struct pol_off *o = p->off;

	if (!o)
		return;
	kv_dir_free(o->kv);
	ws_free(o->ws);
	if (o->pred)
		for (size_t i = 0; i < o->ids_alloc; i++)
			free(o->pred[i]);
	free(o->pred);
	free(o->pf);
	free(o->pf_mark);
	free(o->owner);
	free(o->zombie);
	free(o->sel.blocks);
	free(o->sel.added);
	free(o->sel.removed);
	free(o->seq);
	free(o->scratch);
	free(o->miss);
	free(o->saves);
	free(o);
	p->off = NULL;
}

void pol_set_selection(struct pol *p, struct sel_source *src)
{
	if (p->off)
		p->off->src = src;
}

uint64_t off_meta_bytes(const struct pol *p, uint64_t tokens)
{
	const struct pol_off *o = p->off;

	return tokens / p->cfg.block_tokens * o->shape.layers *
	       o->shape.kv_heads * o->head_scale *
	       kv_meta_block_bytes(&o->shape);
}

int off_admit(struct pol *p, uint32_t idx, struct ss_err *err)
{
	struct pol_off *o = p->off;
	struct pol_req *r = &p->reqs[idx];
	uint64_t max_tokens = (uint64_t)r->prompt_tokens + r->output_tokens;
	int32_t id;
	int rc;

	if (!o->src)
		return ss_error(err, SS_EINVAL,
				"policy '%s': no selection source set "
				"(pol_set_selection)",
				p->preset->name);
	rc = kv_req_add(o->kv, max_tokens, &id, err);
	if (rc)
		return rc;
	rc = grow_ids(o, p->cfg.prefetch != 0, (size_t)id + 1, err);
	if (!rc && p->cfg.prefetch) {
		size_t lh = (size_t)o->shape.layers * o->shape.kv_heads;

		free(o->pred[id]);
		o->pred[id] = calloc(lh * (1 + (size_t)o->sel.cap),
				     sizeof(uint32_t));
		if (!o->pred[id])
			rc = ss_error(err, SS_ENOMEM,
				      "out of memory for the prefetch predictions of request %u",
				      idx);
	}
	if (!rc)
		rc = ws_req_add(o->ws, id, max_tokens, err);
	if (!rc) {
		rc = sel_req_add(o->src, id, r->id, max_tokens, err);
		if (rc)
			ws_req_free(o->ws, id);
	}
	if (rc) {
		kv_req_free(o->kv, id, NULL);
		return rc;
	}
	o->owner[id] = idx;
	o->zombie[id] = 0;
	r->kv = id;
	r->dsteps = 0;
	r->lp_layers = r->lp_tokens = 0;
	r->meta_bytes = off_meta_bytes(p, max_tokens);
	o->meta_used += r->meta_bytes;
	return 0;
}

void off_finish(struct pol *p, uint32_t idx)
{
	struct pol_off *o = p->off;
	struct pol_req *r = &p->reqs[idx];

	if (r->kv < 0)
		return;
	sel_req_free(o->src, r->kv);
	ws_req_free(o->ws, r->kv);
	if (o->pred) {
		free(o->pred[r->kv]);
		o->pred[r->kv] = NULL;
	}
	o->meta_used -= r->meta_bytes;
	r->meta_bytes = 0;
	/* saves still in flight: free when the last one lands */
	if (kv_req_free(o->kv, r->kv, NULL))
		o->zombie[r->kv] = 1;
	r->kv = -1;
}

/* ws.fresh_factor = 0: the ratio of working set to one step's selection
 * over the running requests with a full window of history (1 if none). */
static double fresh_ratio(const struct pol *p)
{
	const struct pol_off *o = p->off;
	uint64_t un = 0, sel = 0;

	for (size_t k = 0; k < p->nrunning; k++) {
		const struct pol_req *q = &p->reqs[p->running[k]];

		if (q->kv < 0 || q->dsteps < p->cfg.ws_window ||
		    !ws_has_history(o->ws, q->kv))
			continue;
		un += ws_blocks(o->ws, q->kv);
		sel += ws_selected(o->ws, q->kv);
	}
	return sel ? (double)un / (double)sel : 1.0;
}

uint64_t off_ws_bytes(const struct pol *p, const struct pol_req *r,
		      const struct pol_item *it)
{
	const struct pol_off *o = p->off;
	uint64_t L = o->shape.layers, H = o->shape.kv_heads;
	uint64_t bt = p->cfg.block_tokens, bb = o->block_bytes;
	uint64_t tails = L * H * bb; /* the partial tail of each layer-head */

	if (it->decode) {
		uint32_t nfull = (uint32_t)(r->kv_tokens / bt);

		if (r->kv >= 0 && ws_has_history(o->ws, r->kv))
			return ws_bytes(o->ws, r->kv) * o->head_scale + tails;
		/* no decode history yet: one step's selection (default), or
		 * ws.fresh_factor times it, at most the full blocks */
		uint64_t per = sel_count(&o->sp, nfull);
		double f = p->cfg.ws_fresh_factor;

		if (f == 0)
			f = fresh_ratio(p);
		if (f != 1.0) {
			double e = f * (double)per;
			uint64_t u = (uint64_t)e;

			u += (double)u < e; /* round up */
			per = SS_MIN(u, (uint64_t)nfull);
		}
		return per * L * H * bb + tails;
	}
	if (p->preset->layer_prefill) /* one layer, exact */
		return (it->kv_prior + it->q_tokens + bt - 1) / bt * H * bb;
	/* chunked: every earlier chunk across all layers plus this chunk */
	return (it->kv_prior + it->q_tokens + bt - 1) / bt * L * H * bb;
}

void off_iter_begin(struct pol *p)
{
	struct pol_off *o = p->off;

	o->cur_layer = UINT32_MAX;
	o->cur_item = 0;
	o->cur_head = 0;
	o->cur_phase = 0;
	o->have_sel = 0;
	o->nmiss = o->miss_taken = 0;
	o->nsaves = 0;
}

static int ensure_seq(struct pol_off *o, uint32_t n, struct ss_err *err)
{
	size_t old = o->seq_alloc, a = o->scratch_alloc;

	if (n <= old)
		return 0;
	if (ss_grow((void **)&o->seq, &o->seq_alloc, n, sizeof(*o->seq), err) ||
	    ss_grow((void **)&o->scratch, &a, o->seq_alloc,
		    sizeof(*o->scratch), err))
		return SS_ENOMEM;
	o->scratch_alloc = a;
	for (size_t i = old; i < o->seq_alloc; i++)
		o->seq[i] = (uint32_t)i;
	return 0;
}

/* Fetch blocks[0..n) of (kv, layer, head) and record the misses. */
static int fetch(struct pol *p, int32_t kv, uint32_t layer, uint32_t head,
		 const uint32_t *blocks, uint32_t n, struct ss_err *err)
{
	struct pol_off *o = p->off;
	struct kv_fetch_result fr;
	int rc;

	if (!n)
		return 0;
	if (n > o->scratch_alloc && ensure_seq(o, n, err))
		return SS_ENOMEM;
	rc = kv_fetch(o->kv, kv, layer, head, blocks, n, o->scratch, &fr, err);
	if (rc)
		return rc;
	o->hits += fr.nhit + fr.ninflight;
	if (!fr.nmiss)
		return 0;
	if (o->nmiss + fr.nmiss > o->miss_alloc &&
	    ss_grow((void **)&o->miss, &o->miss_alloc, o->nmiss + fr.nmiss,
		    sizeof(*o->miss), err))
		return SS_ENOMEM;
	memcpy(o->miss + o->nmiss, o->scratch, fr.nmiss * sizeof(*o->miss));
	if (o->pf_mark) /* a prefetched block evicted, its slot reused */
		for (uint32_t k = 0; k < fr.nmiss; k++)
			o->pf_mark[o->scratch[k]] = 0;
	o->nmiss += fr.nmiss;
	o->misses += fr.nmiss;
	return 0;
}

/* Remember the selection in o->sel as (kv, layer, head)'s prediction. */
static void pred_store(struct pol_off *o, int32_t kv, uint32_t layer,
		       uint32_t head)
{
	size_t lh = (size_t)o->shape.layers * o->shape.kv_heads;
	size_t j = (size_t)layer * o->shape.kv_heads + head;
	uint32_t *pr = o->pred[kv];

	BUG_ON(!pr || o->sel.n > o->sel.cap);
	pr[j] = o->sel.n;
	memcpy(pr + lh + j * o->sel.cap, o->sel.blocks,
	       o->sel.n * sizeof(uint32_t));
}

/* The selection in o->sel was fetched: its prefetched blocks were used. */
static void pf_count_used(struct pol_off *o, int32_t kv, uint32_t layer,
			  uint32_t head)
{
	for (uint32_t k = 0; k < o->sel.n; k++) {
		int32_t s = kv_block_slot(o->kv, kv, layer, head,
					  o->sel.blocks[k]);

		if (s >= 0 && o->pf_mark[s]) {
			o->pf_mark[s] = 0;
			o->pf_used++;
		}
	}
}

/* Close the open prefetch round: what was not used was wasted. */
static void pf_settle(struct pol_off *o)
{
	for (size_t k = 0; k < o->npf; k++)
		if (o->pf_mark[o->pf[k]]) {
			o->pf_mark[o->pf[k]] = 0;
			o->pf_wasted++;
		}
	o->npf = 0;
	o->pf_open = 0;
}

int off_prefetch(struct pol *p, const struct pol_plan *plan, uint32_t layer,
		 struct ss_err *err)
{
	struct pol_off *o = p->off;
	uint32_t H = o->shape.kv_heads, L = o->shape.layers;
	size_t lh = (size_t)L * H;

	if (!o->pred)
		return 0;
	if (o->pf_open)
		pf_settle(o);
	o->pf_open = 1;
	o->pf_layer = layer;
	if (layer >= L || !p->preset->sparse || layer < p->cfg.dense_layers)
		return 0;
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		const struct pol_req *r = &p->reqs[it->req];

		if (!it->decode || !off_item_at(it, layer) || r->kv < 0)
			continue;
		for (uint32_t h = 0; h < H; h++) {
			size_t j = (size_t)layer * H + h;
			const uint32_t *pr = o->pred[r->kv];
			uint32_t n = pr[j];
			struct kv_fetch_result fr;
			struct ss_err e2;
			int rc;

			if (!n)
				continue;
			if (n > o->scratch_alloc && ensure_seq(o, n, err))
				return SS_ENOMEM;
			rc = kv_fetch(o->kv, r->kv, layer, h, pr + lh + j * o->sel.cap,
				      n, o->scratch, &fr, &e2);
			if (rc == SS_ERANGE) /* best effort: no room, stop */
				return 0;
			if (rc) {
				if (err)
					*err = e2;
				return rc;
			}
			if (!fr.nmiss)
				continue;
			if (o->npf + fr.nmiss > o->pf_alloc &&
			    ss_grow((void **)&o->pf, &o->pf_alloc,
				    o->npf + fr.nmiss, sizeof(*o->pf), err))
				return SS_ENOMEM;
			for (uint32_t q = 0; q < fr.nmiss; q++) {
				o->pf[o->npf++] = o->scratch[q];
				o->pf_mark[o->scratch[q]] = 1;
			}
			o->pf_loaded += fr.nmiss;
		}
	}
	return 0;
}

int off_layer_fetch(struct pol *p, const struct pol_plan *plan,
		    uint32_t layer, struct ss_err *err)
{
	struct pol_off *o = p->off;
	uint32_t H = o->shape.kv_heads;
	int rc;

	if (o->cur_layer != layer) {
		o->cur_layer = layer;
		o->cur_item = 0;
		o->cur_head = 0;
		o->cur_phase = 0;
		o->have_sel = 0;
		o->nmiss = o->miss_taken = 0;
	}
	for (; o->cur_item < plan->n;
	     o->cur_item++, o->cur_head = 0, o->cur_phase = 0) {
		const struct pol_item *it = &plan->items[o->cur_item];
		struct pol_req *r = &p->reqs[it->req];
		int dense = !it->decode || layer < p->cfg.dense_layers;

		if (!off_item_at(it, layer))
			continue;
		BUG_ON(r->kv < 0);
		for (; o->cur_phase == 0 && o->cur_head < H; o->cur_head++) {
			uint32_t h = o->cur_head;

			if (dense) {
				uint32_t nfull = kv_req_nfull(o->kv, r->kv, layer);

				if (ensure_seq(o, nfull, err))
					return SS_ENOMEM;
				rc = fetch(p, r->kv, layer, h, o->seq, nfull, err);
				if (rc)
					return rc;
				continue;
			}
			if (!o->have_sel) {
				uint32_t nfull = kv_req_nfull(o->kv, r->kv, layer);

				rc = sel_select(o->src, r->kv, layer, h, r->dsteps,
						nfull, &o->sel, err);
				if (!rc)
					rc = ws_update(o->ws, r->kv, r->dsteps, layer,
						       h, o->sel.added,
						       o->sel.nadded,
						       o->sel.removed,
						       o->sel.nremoved, err);
				if (rc)
					return rc;
				if (o->pred)
					pred_store(o, r->kv, layer, h);
				o->have_sel = 1;
			}
			rc = fetch(p, r->kv, layer, h, o->sel.blocks, o->sel.n,
				   err);
			if (rc)
				return rc;
			if (o->pf_open && o->npf && o->pf_layer == layer)
				pf_count_used(o, r->kv, layer, h);
			o->have_sel = 0;
		}
		o->cur_phase = 1;
		rc = kv_append(o->kv, r->kv, layer, it->q_tokens, err);
		if (rc)
			return rc;
	}
	return 0;
}

void off_loads_done(struct pol *p, const int32_t *slots, uint32_t n)
{
	kv_load_end(p->off->kv, slots, n);
}

void off_layer_end(struct pol *p, const struct pol_plan *plan, uint32_t layer)
{
	struct pol_off *o = p->off;

	kv_unpin_all(o->kv);
	if (o->pf_open && o->pf_layer == layer)
		pf_settle(o);
	o->nsaves = 0;
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		const struct pol_req *r = &p->reqs[it->req];
		struct off_save sv;

		if (!off_item_at(it, layer))
			continue;
		kv_save_begin(o->kv, r->kv, layer, &sv.first, &sv.count);
		if (!sv.count)
			continue;
		sv.kv = r->kv;
		sv.layer = layer;
		sv.bytes = (uint64_t)sv.count * o->shape.kv_heads * o->block_bytes;
		if (o->nsaves == o->saves_alloc &&
		    ss_grow((void **)&o->saves, &o->saves_alloc, o->nsaves + 1,
			    sizeof(*o->saves), NULL))
			BUG("out of memory recording saves");
		o->saves[o->nsaves++] = sv;
	}
}

void off_save_done(struct pol *p, int32_t kv, uint32_t layer, uint32_t first,
		   uint32_t count)
{
	struct pol_off *o = p->off;
	const struct pol_req *r;

	kv_save_end(o->kv, kv, layer, first, count);
	if (o->zombie[kv]) {
		if (!kv_req_free(o->kv, kv, NULL))
			o->zombie[kv] = 0;
		return;
	}
	r = &p->reqs[o->owner[kv]];
	/* layer-segmented prefill: a saved prefill layer leaves HBM at once */
	if (p->preset->layer_prefill && r->state == POL_RUNNING &&
	    r->kv_tokens < r->prefill_target)
		kv_drop_clean(o->kv, kv, (int32_t)layer);
}
