/*
 * exec_offload.c - the cost-model executor of the offload presets.
 *
 * One iteration, layer by layer (policy/offload.h owns the KV state; this
 * file owns virtual time and the link):
 *
 *   t += select_ns                      DSA scoring of the decode items
 *   off_layer_fetch                     selections, lookups, appends
 *     -> one H2D flow with the misses   (mechanism rate cap, shared link)
 *     -> SS_ERANGE: advance the link to its next event (a stall), retry
 *   wait for the loads                  (critical path: attention needs them)
 *   t += linear + misc + attention      of the tokens active at this layer
 *   off_layer_end -> one D2H flow per (request, layer) save, in the
 *                    background: they overlap the next layers and
 *                    iterations and share the link with the loads
 *   ... after the last layer: t += LM head, sampling, host overhead.
 *
 * Mechanisms: per-block cudaMemcpyAsync each way (XFER_MEMCPY_H2D/D2H) or
 * FlashH2D/FlashD2H (preset->flash). A flow's rate cap is the mechanism's
 * marginal rate for the block size, from cost_transfer_ns; the link adds
 * its own latency and shares each direction among its flows. Loads and
 * compute do not overlap within a layer (the paper's critical path).
 * The save mechanism can be chosen apart from the preset's
 * (offload.save_mech, sim_offload_configure).
 *
 * The save path (run_compute, wait_save_host, wait_save_room):
 *   - while a flow of a mechanism that takes SMs or memory bandwidth
 *     drains (FlashH2D prefetches, FlashD2H or GPU-scatter saves), the
 *     compute beside it runs slower by the measured factor of
 *     cost_copy_slowdown: linear and prefill attention as a GEMM,
 *     decode attention and the misc ops as memory-bound work (DSA
 *     selection, before the loads, is not charged);
 *   - per-block memcpy saves cost the host thread that launches the
 *     kernels the non-link part of each call (the series model's
 *     1/r_other per block); the host issues layer l's saves after
 *     launching layer l + 1, so layer l + 2 waits for them;
 *   - at most offload.save_buffer_mb of saves are in flight (pinned
 *     staging, the copy queue): a layer's saves wait for room.
 * The waits are counted in stall_ns, the slowdown in other_ns.
 *
 * The link and the saves in flight persist between iterations, unless
 * offload.drain_saves makes each iteration wait for its saves to land (our
 * live executor, live/live.c saves_tail).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy/offload.h"
#include "sim/config.h"
#include "sim/select_src.h"
#include "sim/sim.h"

#include "banned.h"

/* Flow tags: the top bit says load (1) or save (0), the next one whether
 * a load is a prefetch (its slots are in off->pf, else in off->miss); the
 * rest indexes. */
#define TAG_LOAD (1ull << 63)
#define TAG_PF (1ull << 62)

struct xo_save {
	struct off_save s;
	int32_t next_free; /* free-list link; -2 while in flight */
};

struct sim_offload {
	const struct cost_model *c;
	struct pol *p;
	struct link link;
	struct sel_source src;
	int src_open;
	double load_cap, save_cap;   /* bytes/s */
	struct xo_save *saves;       /* in-flight saves, by tag */
	size_t saves_alloc;
	int32_t free_save;           /* head of the free list (-1: none) */
	uint32_t loads_pending;      /* load flows of the current layer */
	uint32_t pf_pending;         /* prefetch flows (offload.prefetch) */
	enum xfer_mech save_mech;    /* D2H mechanism of the saves */
	uint64_t save_bb;            /* bytes of one real block-head */
	double slow_load[2], slow_save[2]; /* compute slowdown beside a
					      draining load / save flow:
					      [0] compute-, [1] memory-bound */
	double save_host_ns;         /* host ns per block a save issues */
	double save_buf;             /* bytes of saves in flight allowed
					(0: unbounded) */
	uint64_t save_inflight;      /* bytes of saves started, not done */
	int drain;                   /* offload.drain_saves */
	int64_t host_free_ns;        /* host done issuing every save */
	int64_t host_free_prev_ns;   /* ... every save but the last layer's */
	struct ss_err cb_err;        /* an error inside a link callback */
};

/* Marginal bytes/s of `mech` for `bb`-byte fragments (per-call overheads
 * excluded: the link charges its own latency per flow). */
static double mech_rate(const struct cost_model *c, enum xfer_mech mech,
			uint64_t bb)
{
	const uint64_t n = 4096;
	int64_t t1 = cost_transfer_ns(c, mech, bb, 1, 0);
	int64_t tn = cost_transfer_ns(c, mech, bb, n, 0);

	if (tn <= t1)
		return 0;
	return (double)(bb * (n - 1)) / (double)(tn - t1) * 1e9;
}

/* Save by `mech`: its rate cap, the compute slowdown beside it and, for
 * per-block memcpy, the host time of each call: the part of a block's
 * time that is not the link's (1/r_other of the series model). */
static void set_save_mech(struct sim_offload *x, enum xfer_mech mech)
{
	const struct cost_model *c = x->c;

	x->save_mech = mech;
	x->save_cap = mech_rate(c, mech, x->save_bb);
	x->slow_save[0] = cost_copy_slowdown(c, mech, 0);
	x->slow_save[1] = cost_copy_slowdown(c, mech, 1);
	x->save_host_ns = 0;
	if (mech == XFER_MEMCPY_D2H && x->save_cap > 0) {
		double per = (double)x->save_bb / x->save_cap -
			     (double)x->save_bb / hw_link_bw(c->hw, LINK_D2H);

		x->save_host_ns = per > 0 ? per * 1e9 : 0;
	}
}

int sim_offload_configure(struct sim_offload *x, const struct sim_config *cfg,
			  struct ss_err *err)
{
	static const enum xfer_mech mech[] = {
		[SIM_SAVE_MEMCPY] = XFER_MEMCPY_D2H,
		[SIM_SAVE_FLASH] = XFER_FLASH_D2H,
		[SIM_SAVE_GPU_SCATTER] = XFER_GPU_SCATTER_D2H,
	};

	if (cfg->save_mech > SIM_SAVE_GPU_SCATTER)
		return ss_error(err, SS_EINVAL,
				"key 'offload.save_mech': %u is not a save mechanism (0-3)",
				cfg->save_mech);
	if (!(cfg->save_buffer_mb >= 0))
		return ss_error(err, SS_EINVAL,
				"key 'offload.save_buffer_mb': must be >= 0, got %g",
				cfg->save_buffer_mb);
	if (cfg->save_mech != SIM_SAVE_PRESET)
		set_save_mech(x, mech[cfg->save_mech]);
	x->save_buf = cfg->save_buffer_mb * 1e6;
	x->drain = cfg->drain_saves;
	return 0;
}

struct sim_offload *sim_offload_alloc(const struct cost_model *c,
				      struct pol *p, const char *selection,
				      uint64_t seed, struct ss_err *err)
{
	struct sim_offload *x = calloc(1, sizeof(*x));
	struct link_config lc;
	int flash = p->preset->flash;
	uint64_t bb;

	if (!x) {
		ss_error(err, SS_ENOMEM, "out of memory");
		return NULL;
	}
	if (!p->off) {
		ss_error(err, SS_EINVAL, "policy '%s' is not an offload preset",
			 p->preset->name);
		goto fail;
	}
	x->c = c;
	x->p = p;
	x->free_save = -1;
	bb = kv_block_bytes(&p->off->shape); /* one real block-head */
	memset(&lc, 0, sizeof lc);
	lc.bw[LINK_H2D] = hw_link_bw(c->hw, LINK_H2D);
	lc.bw[LINK_D2H] = hw_link_bw(c->hw, LINK_D2H);
	lc.bidir_bw = hw_link_bidir_bw(c->hw);
	lc.latency_ns = hw_link_latency_ns(c->hw);
	if (link_init(&x->link, &lc, err))
		goto fail;
	x->load_cap = mech_rate(c, flash ? XFER_FLASH_H2D : XFER_MEMCPY_H2D, bb);
	x->slow_load[0] = cost_copy_slowdown(c, flash ? XFER_FLASH_H2D
						      : XFER_MEMCPY_H2D, 0);
	x->slow_load[1] = cost_copy_slowdown(c, flash ? XFER_FLASH_H2D
						      : XFER_MEMCPY_H2D, 1);
	x->save_bb = bb;
	set_save_mech(x, flash ? XFER_FLASH_D2H : XFER_MEMCPY_D2H);
	if (sel_open_spec(&x->src, selection, &p->off->sp, seed, err))
		goto fail;
	x->src_open = 1;
	pol_set_selection(p, &x->src);
	return x;
fail:
	sim_offload_free(x);
	return NULL;
}

void sim_offload_free(struct sim_offload *x)
{
	if (!x)
		return;
	if (x->p)
		pol_set_selection(x->p, NULL);
	if (x->src_open)
		sel_close(&x->src);
	link_release(&x->link);
	free(x->saves);
	free(x);
}

const struct link *sim_offload_link(const struct sim_offload *x)
{
	return &x->link;
}

void sim_offload_caps(const struct sim_offload *x, double *load_bps,
		      double *save_bps)
{
	*load_bps = x->load_cap;
	*save_bps = x->save_cap;
}

static void on_done(void *ctx, int32_t id, const struct link_flow *f,
		    int64_t now_ns)
{
	struct sim_offload *x = ctx;
	struct pol_off *o = x->p->off;

	(void)id;
	(void)now_ns;
	if (f->tag & TAG_LOAD) {
		uint64_t v = f->tag & ~(TAG_LOAD | TAG_PF);
		uint32_t first = (uint32_t)(v >> 32), n = (uint32_t)v;

		if (f->tag & TAG_PF) {
			BUG_ON(first + n > o->npf || !x->pf_pending);
			off_loads_done(x->p, o->pf + first, n);
			x->pf_pending--;
		} else {
			BUG_ON(first + n > o->nmiss || !x->loads_pending);
			off_loads_done(x->p, o->miss + first, n);
			x->loads_pending--;
		}
	} else {
		struct xo_save *sv = &x->saves[f->tag];

		BUG_ON(sv->next_free != -2);
		off_save_done(x->p, sv->s.kv, sv->s.layer, sv->s.first,
			      sv->s.count);
		sv->next_free = x->free_save;
		x->free_save = (int32_t)f->tag;
		BUG_ON(x->save_inflight < f->bytes);
		x->save_inflight -= f->bytes;
	}
}

static int start_save(struct sim_offload *x, int64_t t,
		      const struct off_save *s, struct ss_err *err)
{
	int32_t id = x->free_save;
	int32_t fid;

	if (id < 0) {
		size_t old = x->saves_alloc;

		if (ss_grow((void **)&x->saves, &x->saves_alloc, old + 1,
			    sizeof(*x->saves), err))
			return SS_ENOMEM;
		for (size_t i = x->saves_alloc; i-- > old;) {
			x->saves[i].next_free = x->free_save;
			x->free_save = (int32_t)i;
		}
		id = x->free_save;
	}
	x->free_save = x->saves[id].next_free;
	x->saves[id].s = *s;
	x->saves[id].next_free = -2;
	fid = link_start(&x->link, t, LINK_D2H, s->bytes, x->save_cap,
			 (uint64_t)id, err);
	if (fid < 0)
		return fid;
	x->save_inflight += s->bytes;
	return 0;
}

/* Start one H2D flow for the misses not started yet. */
static int start_loads(struct sim_offload *x, int64_t t, struct ss_err *err)
{
	struct pol_off *o = x->p->off;
	uint32_t first = (uint32_t)o->miss_taken;
	uint32_t n = (uint32_t)(o->nmiss - o->miss_taken);
	int32_t fid;

	if (!n)
		return 0;
	fid = link_start(&x->link, t, LINK_H2D, (uint64_t)n * o->block_bytes,
			 x->load_cap, TAG_LOAD | ((uint64_t)first << 32) | n, err);
	if (fid < 0)
		return fid;
	o->miss_taken = o->nmiss;
	x->loads_pending++;
	return 0;
}

/* offload.prefetch: predict layer l + 1 and start one H2D flow with its
 * misses at `t` (while layer l computes). */
static int start_prefetch(struct sim_offload *x, const struct pol_plan *plan,
			  uint32_t next, int64_t t, struct ss_err *err)
{
	struct pol_off *o = x->p->off;
	int32_t fid;
	int rc;

	BUG_ON(x->pf_pending);
	rc = off_prefetch(x->p, plan, next, err);
	if (rc || !o->npf)
		return rc;
	fid = link_start(&x->link, t, LINK_H2D, (uint64_t)o->npf * o->block_bytes,
			 x->load_cap, TAG_LOAD | TAG_PF | o->npf, err);
	if (fid < 0)
		return fid;
	x->pf_pending++;
	return 0;
}

/* Requests active in `layer`, and their prefill tokens there. */
static uint64_t layer_items(const struct pol_plan *plan, uint32_t layer)
{
	uint64_t n = 0;

	for (size_t k = 0; k < plan->n; k++)
		n += off_item_at(&plan->items[k], layer) != 0;
	return n;
}

/* the mean context (KV tokens before this iteration) of the decode
 * requests that run `layer`: what a hit's policy cost grows with
 * (cost_exec_host_ns); 0 with none */
static double layer_decode_ctx(const struct pol_plan *plan, uint32_t layer)
{
	uint64_t sum = 0, n = 0;

	for (size_t k = 0; k < plan->n; k++)
		if (plan->items[k].decode && off_item_at(&plan->items[k], layer)) {
			sum += plan->items[k].kv_prior;
			n++;
		}
	return n ? (double)sum / (double)n : 0;
}

static uint64_t layer_tokens(const struct pol_plan *plan, uint32_t layer)
{
	uint64_t n = 0;

	for (size_t k = 0; k < plan->n; k++)
		if (!plan->items[k].decode && off_item_at(&plan->items[k], layer))
			n += plan->items[k].q_tokens;
	return n;
}

void sim_layer_compute(const struct cost_model *c, const struct pol_plan *plan,
		       uint32_t layer, int sparse, int offload, int64_t *linear,
		       int64_t *attn, int64_t *other, int64_t *select)
{
	uint64_t tokens = 0, ndec = 0, ctx = 0, kv_read = 0, sel = 0;
	uint64_t nsel = 0, short_ctx = 0, ptok = 0, gather = 0;
	int64_t a = 0;

	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		if (!sim_item_at(it, layer, c->m->layers))
			continue;
		tokens += it->q_tokens;
		if (it->decode) {
			ndec++;
			ctx += it->kv_prior + 1;
			if (it->sel_blocks) {
				nsel++;
				kv_read += it->kv_read;
				sel += it->sel_blocks;
			} else {
				short_ctx += it->kv_prior + 1;
			}
		} else {
			a += cost_prefill_attn_ns(c, it->q_tokens, it->kv_prior);
			ptok += it->q_tokens;
			if (it->kv_prior)
				gather += it->kv_prior + it->q_tokens;
		}
	}
	/* under DSA, requests with blocks to select use the sparse kernel;
	 * contexts within the budget are read whole by the dense one */
	if (ndec && !sparse)
		a += cost_decode_attn_ns(c, ndec, ctx, 0);
	if (sparse && nsel)
		a += cost_decode_attn_ns(c, nsel, kv_read, 1);
	if (sparse && ndec > nsel)
		a += cost_decode_attn_ns(c, ndec - nsel, short_ctx, 0);
	*linear = cost_linear_ns(c, tokens);
	/* + the executor's own work (profiles with an executor section) */
	*other = cost_layer_misc_ns(c, tokens) +
		 cost_exec_layer_ns(c, ndec, sparse, ptok, gather, offload);
	*attn = a;
	*select = sparse && nsel ? cost_select_ns(c, nsel, sel * c->m->kv_heads)
				 : 0;
}

/* Prefill attention of the items active at `layer` (compute-bound). */
static int64_t layer_prefill_attn_ns(const struct cost_model *c,
				     const struct pol_plan *plan, uint32_t layer)
{
	int64_t a = 0;

	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		if (off_item_at(it, layer) && !it->decode)
			a += cost_prefill_attn_ns(c, it->q_tokens, it->kv_prior);
	}
	return a;
}

/* Slowdown of compute- [0] and memory-bound [1] work now: the largest
 * factor among the draining flows' mechanisms. */
static void contention(const struct sim_offload *x, double f[2])
{
	f[0] = f[1] = 1.0;
	for (uint32_t i = 0; i < x->link.nflows; i++) {
		const struct link_flow *fl = &x->link.flows[i];
		const double *s;

		if (fl->state != 2) /* draining (link.h) */
			continue;
		s = fl->tag & TAG_LOAD ? x->slow_load : x->slow_save;
		f[0] = s[0] > f[0] ? s[0] : f[0];
		f[1] = s[1] > f[1] ? s[1] : f[1];
	}
}

/*
 * Run `work[0]` ns of compute-bound then `work[1]` ns of memory-bound work
 * (their times alone) from `t`, each slowed by contention() between link
 * events; advances the link and returns the end time. With no contention
 * it is exactly t + work[0] + work[1].
 */
static int64_t run_compute(struct sim_offload *x, int64_t t,
			   const int64_t work[2])
{
	double rem[2] = { (double)work[0], (double)work[1] };
	int cls = 0;

	for (;;) {
		double f[2], need;
		int64_t next, end;

		while (cls < 2 && !(rem[cls] > 0))
			cls++;
		if (cls == 2)
			break;
		contention(x, f);
		need = rem[cls] * f[cls];
		end = t + (int64_t)ceil(need - need * 1e-12);
		next = link_next_event(&x->link);
		if (end <= next) {
			t = end;
			rem[cls] = 0;
			continue;
		}
		rem[cls] -= (double)(next - t) / f[cls];
		t = next;
		link_advance(&x->link, t, on_done, x);
	}
	link_advance(&x->link, t, on_done, x);
	return t;
}

/* Wait from `t` until `until`, processing the link; the wait is a stall. */
static int64_t stall_until(struct sim_offload *x, int64_t t, int64_t until,
			   struct sim_exec_result *res)
{
	if (until <= t)
		return t;
	res->stall_ns += until - t;
	link_advance(&x->link, until, on_done, x);
	return until;
}

/* Per-block memcpy saves: a layer's compute waits until the host has
 * issued every save but the previous layer's. */
static int64_t wait_save_host(struct sim_offload *x, int64_t t,
			      struct sim_exec_result *res)
{
	return stall_until(x, t, x->host_free_prev_ns, res);
}

/* Host time to issue `bytes` of saves ending a layer at `t`. */
static void issue_save_host(struct sim_offload *x, int64_t t, uint64_t bytes)
{
	double blocks = (double)bytes / (double)x->save_bb;

	x->host_free_prev_ns = x->host_free_ns;
	if (x->host_free_ns < t)
		x->host_free_ns = t;
	x->host_free_ns += (int64_t)ceil(blocks * x->save_host_ns);
}

/* Wait until `bytes` more of saves fit offload.save_buffer_mb (a save
 * larger than the buffer waits for the buffer to drain). */
static int64_t wait_save_room(struct sim_offload *x, int64_t t, uint64_t bytes,
			      struct sim_exec_result *res)
{
	while (x->save_buf > 0 && x->save_inflight > 0 &&
	       (double)(x->save_inflight + bytes) > x->save_buf) {
		int64_t next = link_next_event(&x->link);

		BUG_ON(next == INT64_MAX);
		t = stall_until(x, t, next, res);
	}
	return t;
}

static int offload_run(void *priv, struct pol *p, const struct pol_plan *plan,
		       struct sim_exec_result *res, struct ss_err *err)
{
	struct sim_offload *x = priv;
	struct pol_off *o = p->off;
	const struct cost_model *c = x->c;
	const struct kv_stats *st = kv_dir_stats(o->kv);
	uint64_t hits0 = o->hits, miss0 = o->misses, pf0 = o->pf_loaded;
	uint64_t saves0 = st->saves_started, evict0 = st->evictions;
	int64_t t = plan->start_ns, busy0[LINK_NDIR];
	uint64_t seqs = 0, tokens = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	link_advance(&x->link, t, on_done, x);
	busy0[LINK_H2D] = link_busy_ns(&x->link, LINK_H2D);
	busy0[LINK_D2H] = link_busy_ns(&x->link, LINK_D2H);
	off_iter_begin(p);
	for (uint32_t l = 0; l < p->m->layers; l++) {
		int64_t lin, attn, misc, sel, t_fetched, t_layer = t;
		uint64_t lhits = o->hits, lmisses = o->misses;

		/* no decode item past the budget: nothing to select, all
		 * dense */
		sim_layer_compute(c, plan, l,
				  p->preset->sparse && plan->sparse_layers &&
					  l >= p->cfg.dense_layers,
				  1, &lin, &attn, &misc, &sel);
		t += sel;
		link_advance(&x->link, t, on_done, x);
		for (;;) {
			rc = off_layer_fetch(p, plan, l, err);
			if (rc && rc != SS_ERANGE)
				return rc;
			if (start_loads(x, t, err))
				return err ? err->code : SS_EINVAL;
			if (!rc)
				break;
			/* no room: wait for the link to change something */
			if (!link_active(&x->link)) {
				char why[sizeof(err->msg)] = "";

				if (err)
					memcpy(why, err->msg, sizeof why);
				return ss_error(err, SS_ERANGE,
						"iteration %llu, layer %u: the batch of %zu requests (%u decodes, %u prefill tokens) does not fit the HBM cache of %u slots (%.2f GB) and no transfer is in flight to free one: %s",
						(unsigned long long)plan->iter,
						l, plan->n, plan->decode_seqs,
						plan->prefill_tokens,
						kv_nslots(o->kv),
						o->cache_bytes / 1e9, why);
			}
			{
				int64_t next = link_next_event(&x->link);

				res->stall_ns += next - t;
				t = next;
				link_advance(&x->link, t, on_done, x);
			}
		}
		t_fetched = t;
		/* the layer's loads, and its prefetch started one layer ago */
		while (x->loads_pending || x->pf_pending) {
			t = link_next_event(&x->link);
			BUG_ON(t == INT64_MAX);
			link_advance(&x->link, t, on_done, x);
		}
		/* the executor's own wait for a layer's loads (its block
		 * lists' upload, the load kernel's start) */
		if (o->misses > lmisses) {
			int64_t w = cost_exec_load_layer_ns(c);

			/* and its GPU work outside that wait, with the
			 * layer's compute */
			misc += cost_exec_load_gpu_ns(c);
			res->load_layers++;
			if (w > 0) {
				t += w;
				link_advance(&x->link, t, on_done, x);
			}
		}
		res->load_ns += t - t_fetched;
		if (p->cfg.prefetch && l + 1 < p->m->layers) {
			rc = start_prefetch(x, plan, l + 1, t, err);
			if (rc)
				return rc;
		}
		t = wait_save_host(x, t, res);
		{
			int64_t pa = layer_prefill_attn_ns(c, plan, l);
			int64_t work[2] = { lin + pa, attn - pa + misc };
			int64_t t0 = t;

			t = run_compute(x, t, work);
			res->other_ns += (t - t0) - (lin + attn + misc);
		}
		res->linear_ns += lin;
		res->attn_ns += attn;
		res->other_ns += misc;
		/* the layer cannot end before the host has issued it */
		if (cost_has_exec(c)) {
			int64_t host = t_layer +
				       cost_exec_host_ns(c, layer_items(plan, l),
							 layer_tokens(plan, l),
							 (o->hits - lhits) * o->head_scale,
							 (o->misses - lmisses) * o->head_scale,
							 1, layer_decode_ctx(plan, l));

			if (host > t) {
				res->other_ns += host - t;
				t = host;
				link_advance(&x->link, t, on_done, x);
			}
		}
		res->select_ns += sel;
		off_layer_end(p, plan, l);
		{
			uint64_t bytes = 0;

			for (size_t k = 0; k < o->nsaves; k++)
				bytes += o->saves[k].bytes;
			t = wait_save_room(x, t, bytes, res);
			issue_save_host(x, t, bytes);
		}
		for (size_t k = 0; k < o->nsaves; k++) {
			rc = start_save(x, t, &o->saves[k], err);
			if (rc)
				return rc;
			res->bytes_saved += o->saves[k].bytes;
		}
	}
	for (size_t k = 0; k < plan->n; k++)
		tokens += plan->items[k].q_tokens;
	seqs = plan->n;
	{
		/* with prefill, the executor's close after its saves: a
		 * floor on the time after the last layer, within which the
		 * simulated saves land (offload.drain_saves: the executor's
		 * way; the paper's system does not wait for them) */
		int64_t fixed = cost_iter_fixed_ns(c, seqs, tokens) +
				(plan->prefill_tokens && x->drain
					 ? cost_exec_prefill_tail_ns(c)
					 : 0);

		res->other_ns += fixed;
		if (x->drain) {
			/* offload.drain_saves: the iteration ends when its saves
			 * have landed and (per-block copies) the host has issued
			 * them all; they land while it finishes the iteration */
			int64_t land = SS_MAX(t, x->host_free_ns);

			link_advance(&x->link, land, on_done, x);
			while (x->save_inflight > 0) {
				land = link_next_event(&x->link);
				BUG_ON(land == INT64_MAX);
				link_advance(&x->link, land, on_done, x);
			}
			if (land > t + fixed)
				res->stall_ns += land - (t + fixed);
			t = SS_MAX(t + fixed, land);
		} else {
			t += fixed;
		}
	}
	link_advance(&x->link, t, on_done, x);
	res->dur_ns = t - plan->start_ns;
	res->busy_ns[LINK_H2D] = link_busy_ns(&x->link, LINK_H2D) - busy0[LINK_H2D];
	res->busy_ns[LINK_D2H] = link_busy_ns(&x->link, LINK_D2H) - busy0[LINK_D2H];
	/* counts in real block-heads (x head_scale in the sampled mode);
	 * loads: demand misses and prefetches, everything moved H2D */
	res->hits = (o->hits - hits0) * o->head_scale;
	res->blocks_loaded = o->misses - miss0 + (o->pf_loaded - pf0);
	res->bytes_loaded = res->blocks_loaded * o->block_bytes;
	res->blocks_loaded *= o->head_scale;
	res->blocks_saved = (st->saves_started - saves0) * o->head_scale;
	res->evictions = (st->evictions - evict0) * o->head_scale;
	return 0;
}

const struct sim_exec_ops sim_exec_offload = {
	.name = "offload",
	.run = offload_run,
};
