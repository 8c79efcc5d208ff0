/*
 * live.c - the live executor (live.h): one serving iteration of a
 * policy/ plan, carried out on the GPU.
 *
 * Per iteration:
 *   bind requests to request slots (dense presets: our own KV directory,
 *   whose blocks never move; offload presets: the policy's directory ids)
 *   x = synthetic embeddings (rows resumed by layer-segmented prefill:
 *       their saved hidden state)
 *   for each layer l:
 *     offload: off_layer_fetch (selections through a tee that records
 *              them), stalls wait for the saves in flight; the misses are
 *              loaded from the pinned pool (FlashH2D or one copy per block)
 *              on the compute stream, before the layer's kernels
 *     block-table updates (new blocks, loads) to the device copy
 *     kern_layer_forward over the rows active at l, with live_attend:
 *       KV append (+ digests), prefill attention over the gathered KV,
 *       decode attention: dense paged, or selection kernel + sparse
 *     offload: off_layer_end -> saves on the save stream (FlashD2H:
 *              gather to token-major staging, bulk copy, CPU scatter;
 *              else one copy per block)
 *   LM head for the rows that emit; wait for the GPU and the saves.
 *
 * The host runs ahead of the GPU within an iteration: every write of a
 * cache slot (loads, appends) is on the compute stream, in order, so a
 * slot the directory hands out again is not overwritten before the
 * kernels that read its old block have run.
 *
 * Threads (offload presets, unless live_opts.serial_host): the engine's
 * thread runs the policy (look-ups, table updates, saves decided) into one
 * of two layer buffers and hands it to the issue thread, which issues that
 * layer's GPU work while the policy works on the next one; the selection
 * thread draws the selection source's next layer in the policy's order
 * (same draws as on one thread). Only the issue thread touches the
 * streams, the upload arena and the save staging during the layer loop;
 * saves that land while it waits for staging room reach the policy through
 * `landed`. The copy thread issues per-block saves (vllm-so), the FlashD2H
 * threads scatter staged saves (kernels/flash_d2h.c).
 */
#include "live.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileio.h"
#include "kernels/copy_baseline.h"
#include "kernels/decode_attn.h"
#include "kernels/device.h"
#include "kernels/elementwise.h"
#include "kernels/flash_d2h.h"
#include "kernels/flash_h2d.h"
#include "kernels/gemm.h"
#include "kernels/kv_append.h"
#include "kernels/layer.h"
#include "kernels/prefill_attn.h"
#include "kernels/select.h"
#include "live_kern.h"
#include "model/kern_shape.h"
#include "policy/kvdir.h"
#include "policy/offload.h"
#include "sim/select_src.h"

#include "banned.h"

#define UP_BYTES (128ull << 20)     /* upload arena per iteration */
#define STAGE_BYTES (512ull << 20)  /* device staging for saves */
#define D2H_STAGE (32ull << 20)     /* one FlashD2H staging buffer */
#define D2H_STAGES 16u

struct tee {
	struct live *lv;
};

/* Per-block copies of one save, for the copy thread (vllm-so's saves). */
struct copy_job {
	uint32_t n;
	uint64_t *src, *dst;   /* cache slots, pool block-heads (malloc'd) */
	void *ev;              /* the layer's end on the compute stream */
};

/*
 * One layer's host-side products: what the policy decided (block-table
 * updates, loads, selections, saves), in the form the GPU work is issued
 * from.
 */
struct layer_buf {
	uint32_t l;
	uint64_t *upd_idx;           /* block-table updates */
	int32_t *upd_val;
	uint64_t *ld_src;            /* loads: pool block-head -> slot */
	uint32_t *ld_dst;
	size_t upd_n, upd_alloc, ld_n, ld_alloc;
	int32_t *sel;                /* [E][H][cap] the layer's selections */
	uint32_t *seln;              /* [E][H] */
	struct off_save *saves;      /* the layer's saves (off_layer_end) */
	struct copy_job *cjobs;      /* per-block copies: one per save */
	size_t nsaves, saves_alloc, cjobs_alloc;
};

struct live {
	struct model m;
	struct live_opts o;
	struct pol *p;
	size_t nreqs;                /* the policy's requests (kept: the
				      engine may release the policy first) */
	int sparse, offload, flash, lp;
	uint32_t L, H, NQ, D, E, MB, cap, max_list, topk;
	uint64_t bb;                 /* block-head bytes, K + V */
	uint64_t hidden_bytes;       /* one row of x */
	struct kern_model_shape shape;
	struct kern_rope rope;
	struct kern_dev_info dev;
	/* GPU state */
	void *s_comp, *s_save;
	void **ev_layer;             /* [L] layer-end events */
	void **ev_ld;                /* [2L] around each layer's loads */
	void **ev_ls, **ev_le;       /* [L] before and after each layer's GPU
					work: the GPU idles between layers
					where the host issued late */
	void *ev_it0, *ev_it1;       /* around the iteration's GPU work */
	uint8_t *ld_timed;           /* [L] loads were issued this layer */
	struct kern_blas *blas;
	struct kern_weights *w;
	kern_bf16 *lm_head, *final_norm;
	struct kern_layer_ws *ws;
	uint32_t ws_tokens;          /* rows of one layer call */
	uint32_t x_rows;             /* rows of one iteration */
	kern_bf16 *cache;
	uint32_t nslots;
	int32_t *d_table, *h_table;  /* [L][E][H][MB] */
	kern_bf16 *d_digest;         /* [L][E][H][MB][2][D] (sparse) */
	kern_bf16 *d_x, *d_xc;       /* [x_rows], [ws_tokens] x hidden */
	kern_bf16 *d_gather;         /* [max_tokens][2][H][D] */
	kern_bf16 *d_qe, *d_oe;      /* [E][NQ][D] */
	uint32_t *d_ctx;             /* [E] decode context, 0: none */
	float *d_work;
	uint64_t work_bytes;
	float *d_scores;             /* [E][H][MB] */
	int32_t *d_sel_ids;          /* [E][H][cap] */
	uint32_t *d_sel_n;           /* [E][H] */
	int32_t *d_lslots, *d_lids;  /* [E][H][max_list] */
	uint32_t *d_ln;              /* [E][H] */
	kern_bf16 *d_emit, *d_emit_n, *d_logits;
	uint32_t max_emit;
	uint8_t *h_up, *d_up;
	uint64_t up_used, up_flushed;
	uint64_t dev_bytes;
	/* offload */
	uint8_t *pool;
	uint64_t ngroups, ngfree;
	uint64_t *gfree;             /* free pool groups (H block-heads each) */
	int64_t *grp;                /* [E][L][MB] group, -1 */
	int32_t *kv_owner;           /* [E] request bound to the slot, -1 */
	struct kern_d2h *d2h;
	kern_bf16 *d_stage;
	uint64_t stage_used, stage_bytes;
	uint64_t *h_d2h;             /* FlashD2H dst_block arrays */
	uint32_t *h_d2h_row;
	uint64_t d2h_cap, d2h_used;
	struct off_save *pend;       /* saves in flight */
	size_t npend, pend_alloc;
	uint64_t *h_dst;             /* per-block load slots, 64-bit */
	size_t hidx_cap;
	/* the copy thread: issues per-block save copies so that the host
	 * thread issuing the layers is not held up by thousands of calls */
	pthread_t cp_thread;
	pthread_mutex_t cp_mu;
	pthread_cond_t cp_work, cp_idle;
	struct copy_job *cp_q;
	size_t cp_head, cp_len, cp_cap;
	int cp_busy, cp_stop, cp_started, cp_rc, cp_inited;
	struct ss_err cp_err;
	struct sel_source inner, tee;
	int inner_open, tee_open;
	/* one layer's host products (below): the policy thread fills wb,
	 * the GPU work is issued from rb; the same buffer when serial */
	struct layer_buf lb[2];
	struct layer_buf *wb, *rb;
	/* the issue thread (offload presets unless live_opts.serial_host):
	 * issues layer l's GPU work while the host thread runs the policy
	 * for layer l + 1. Jobs are numbered from 0 for the life of the
	 * executor; job k uses lb[k % 2], so at most one waits. */
	int pipe;
	pthread_t is_thread;
	pthread_mutex_t is_mu;
	pthread_cond_t is_work, is_idle;
	uint64_t is_posted, is_done;
	int is_stop, is_started, is_rc, is_inited;
	struct ss_err is_err;
	uint32_t it_rows;            /* this iteration's rows */
	/* the selection thread (with the issue thread): draws the selection
	 * source's layer l + 1 while the policy looks up layer l (sp_*, under
	 * sp_mu; the rows and buffers are set before an iteration starts) */
	pthread_t sp_thread;
	pthread_mutex_t sp_mu;
	pthread_cond_t sp_work, sp_idle;
	int sp_started, sp_stop, sp_on, sp_busy, sp_rc, sp_inited;
	uint32_t sp_fail;            /* the layer whose draw failed (sp_rc) */
	struct ss_err sp_err;
	uint32_t sp_l0, sp_l1;       /* the iteration's layers to draw */
	uint32_t sp_next;            /* the next layer the thread draws */
	uint32_t sp_used;            /* the policy is done with layers below */
	uint32_t sp_cur;             /* the layer the policy reads, or L */
	size_t sp_rows, sp_rows_alloc;
	int32_t *sp_kv;              /* [rows] request (directory id) */
	uint64_t *sp_step;           /* [rows] its decode step */
	uint32_t *sp_nfull;          /* [rows][L] its full blocks at a layer */
	int32_t *sp_row;             /* [E] row of a request, -1 */
	uint32_t *sp_buf;            /* [2][rows][H][3][cap] selections */
	uint32_t *sp_cnt;            /* [2][rows][H][3] their lengths */
	/* saves that landed while the issue thread waited for staging room,
	 * for the host thread to tell the policy (is_mu) */
	struct off_save *landed;
	size_t nlanded, landed_alloc;
	/* dense presets */
	struct kv_dir *dkv;
	/* per request index */
	int32_t *ent;                /* dense presets: request slot, -1 */
	kern_bf16 **hstate;          /* layer prefill: hidden rows by position */
	/* per iteration, host */
	uint32_t *row0;              /* [items + 1] first row of each item */
	int32_t *slot_of;            /* [items] request slot */
	int32_t *h_pos;              /* [rows] */
	int32_t *act;                /* parts of the slice being run: item, */
	uint32_t *act_j0, *act_n;    /* its rows j0 .. j0 + n - 1, */
	uint32_t *act_row;           /* at this compact row */
	size_t nact, act_alloc, act_cap, act_row_cap;
	int32_t *rowmap;             /* compact row -> full row */
	size_t items_alloc, rows_alloc;
	const struct pol_plan *plan;
	float **rec;                 /* record_logits: per request [out][K] */
	/* timing */
	double wall0, t_begin, t_end;
	int64_t v_begin, v_end;      /* the engine's clock at both ends */
	int started;
	struct live_totals tot;
};

/* ---- small helpers --------------------------------------------------- */

/*
 * The worker threads (copy, issue, selection) each wait on `work` under
 * `mu` and signal `idle`. worker_start sets them up and starts `fn`
 * (*inited, *started: what to undo); worker_stop raises *stop, joins the
 * thread and destroys the three.
 */
static int worker_start(pthread_t *t, void *(*fn)(void *), void *arg,
			pthread_mutex_t *mu, pthread_cond_t *work,
			pthread_cond_t *idle, int *inited, int *started,
			const char *what, struct ss_err *err)
{
	pthread_mutex_init(mu, NULL);
	pthread_cond_init(work, NULL);
	pthread_cond_init(idle, NULL);
	*inited = 1;
	if (pthread_create(t, NULL, fn, arg))
		return ss_error(err, SS_ENOMEM,
				"live: cannot start the %s thread", what);
	*started = 1;
	return 0;
}

static void worker_stop(pthread_t t, pthread_mutex_t *mu, pthread_cond_t *work,
			pthread_cond_t *idle, int inited, int started,
			int *stop)
{
	if (started) {
		pthread_mutex_lock(mu);
		*stop = 1;
		pthread_cond_broadcast(work);
		pthread_mutex_unlock(mu);
		pthread_join(t, NULL);
	}
	if (inited) {
		pthread_mutex_destroy(mu);
		pthread_cond_destroy(work);
		pthread_cond_destroy(idle);
	}
}

static int dmalloc(struct live *lv, void **p, uint64_t bytes, const char *what,
		   struct ss_err *err)
{
	if (!bytes) {
		*p = NULL;
		return 0;
	}
	if (kern_dev_malloc(p, bytes, err))
		return ss_error(err, SS_ENOMEM,
				"live: GPU out of memory allocating %s (%.2f GB; "
				"%.2f GB allocated before it): lower "
				"--hbm-budget or the trace's lengths",
				what, bytes / 1e9, lv->dev_bytes / 1e9);
	lv->dev_bytes += bytes;
	if (lv->o.verbose)
		fprintf(stderr, "live: %-28s %9.3f GB\n", what, bytes / 1e9);
	return 0;
}

/* Host arrays for the GPU go through one pinned arena and its device
 * mirror: upload() copies into the arena and returns the device address;
 * the copies gathered since the last flush go over in one transfer
 * (up_flush, on the compute stream, before the kernels that read them). */
static int up_flush(struct live *lv, struct ss_err *err)
{
	uint64_t a = lv->up_flushed, b = lv->up_used;

	lv->up_flushed = b;
	if (b <= a)
		return 0;
	return kern_copy_async(lv->d_up + a, lv->h_up + a, b - a, lv->s_comp,
			       err);
}

static void *upload(struct live *lv, const void *src, uint64_t bytes,
		    struct ss_err *err)
{
	uint64_t off = (lv->up_used + 255) & ~255ull;

	if (!bytes)
		return lv->d_up;
	if (bytes > UP_BYTES) {
		ss_error(err, SS_ERANGE,
			 "live: one upload of %llu bytes exceeds the %llu-byte "
			 "arena",
			 (unsigned long long)bytes,
			 (unsigned long long)UP_BYTES);
		return NULL;
	}
	if (off + bytes > UP_BYTES) {
		/* the GPU must have read the arena before it is reused */
		if (up_flush(lv, err) || kern_stream_sync(lv->s_comp, err))
			return NULL;
		off = 0;
		lv->up_flushed = 0;
	}
	if (lv->up_flushed < off && lv->up_flushed == lv->up_used)
		lv->up_flushed = off; /* skip the alignment gap */
	memcpy(lv->h_up + off, src, bytes);
	lv->up_used = off + bytes;
	return lv->d_up + off;
}

static uint64_t tab_idx(const struct live *lv, uint32_t l, uint32_t e,
			uint32_t h, uint32_t b)
{
	return (((uint64_t)l * lv->E + e) * lv->H + h) * lv->MB + b;
}

/* ---- the selection tee ----------------------------------------------- */

static int tee_init(void *priv, const struct sel_params *p, const char *arg,
		    void *rng, struct ss_err *err)
{
	(void)priv, (void)p, (void)arg, (void)rng, (void)err;
	return 0;
}

static void tee_release(void *priv) { (void)priv; }

static int tee_req_add(void *priv, int32_t req, uint64_t key,
		       uint64_t max_tokens, struct ss_err *err)
{
	struct tee *t = priv;

	BUG_ON(t->lv->sp_on); /* the selection thread draws from inner */
	return sel_req_add(&t->lv->inner, req, key, max_tokens, err);
}

static void tee_req_free(void *priv, int32_t req)
{
	struct tee *t = priv;

	BUG_ON(t->lv->sp_on);
	sel_req_free(&t->lv->inner, req);
}

static int sp_take(struct live *lv, int32_t req, uint32_t layer,
		   uint32_t head, uint64_t step, uint32_t nfull,
		   struct sel_out *out, struct ss_err *err);

static int tee_select(void *priv, int32_t req, uint32_t layer, uint32_t head,
		      uint64_t step, uint32_t nfull, struct sel_out *out,
		      struct ss_err *err)
{
	struct live *lv = ((struct tee *)priv)->lv;
	uint64_t at;
	int rc;

	/* bind_slots refused such ids before the layer loop began */
	BUG_ON(req < 0 || (uint32_t)req >= lv->E);
	rc = lv->sp_on ? sp_take(lv, req, layer, head, step, nfull, out, err)
		       : sel_select(&lv->inner, req, layer, head, step, nfull,
				    out, err);
	if (rc)
		return rc;
	BUG_ON(out->n > lv->cap);
	at = ((uint64_t)req * lv->H + head) * lv->cap;
	for (uint32_t i = 0; i < out->n; i++)
		lv->wb->sel[at + i] = (int32_t)out->blocks[i];
	lv->wb->seln[(uint64_t)req * lv->H + head] = out->n;
	return 0;
}

static const struct sel_source_ops tee_ops = {
	.name = "live-tee",
	.help = "records the selections of another source",
	.priv_size = sizeof(struct tee),
	.init = tee_init,
	.release = tee_release,
	.req_add = tee_req_add,
	.req_free = tee_req_free,
	.select = tee_select,
};

static void *copy_thread(void *arg);
static void *issue_thread(void *arg);
static void *sel_thread(void *arg);
static void cjobs_free(struct layer_buf *b);

/* Decode attention over the request slots: one row per slot (the slots
 * not decoding have context 0). */
static void attn_args_init(const struct live *lv, struct kern_attn_args *a)
{
	memset(a, 0, sizeof(*a));
	a->batch = lv->E;
	a->n_q_heads = lv->NQ;
	a->n_kv_heads = lv->H;
	a->head_dim = lv->D;
}

/* ---- creation and sizing ---------------------------------------------- */

int live_create(struct live **out, const struct model *m,
		const struct live_opts *o, struct ss_err *err)
{
	struct live *lv;

	*out = NULL;
	if (m->head_dim != KERN_HEAD_DIM)
		return ss_error(err, SS_EINVAL,
				"live: model '%s' has head_dim %u; the kernels "
				"support %u",
				m->name, m->head_dim, KERN_HEAD_DIM);
	if (m->heads % m->kv_heads || m->heads / m->kv_heads > 8 ||
	    (m->heads / m->kv_heads & (m->heads / m->kv_heads - 1)))
		return ss_error(err, SS_EINVAL,
				"live: model '%s': %u query heads over %u KV "
				"heads (the kernels take groups of 1, 2, 4 "
				"or 8)",
				m->name, m->heads, m->kv_heads);
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return ss_error(err, SS_ENOMEM, "out of memory");
	lv->m = *m;
	lv->o = *o;
	if (!lv->o.d2h_threads)
		lv->o.d2h_threads = 8;
	if (!lv->o.h2d_ctas)
		lv->o.h2d_ctas = KERN_H2D_DEFAULT_CTAS;
	if (lv->o.digest_gb <= 0)
		lv->o.digest_gb = 16;
	lv->L = m->layers;
	lv->H = m->kv_heads;
	lv->NQ = m->heads;
	lv->D = m->head_dim;
	lv->hidden_bytes = (uint64_t)m->hidden * sizeof(kern_bf16);
	lv->bb = 2ull * KERN_BLOCK_TOKENS * lv->D * sizeof(kern_bf16);
	lv->wb = lv->rb = &lv->lb[0];
	lv->stage_bytes = o->stage_bytes ? o->stage_bytes : STAGE_BYTES;
	/* one block of tokens, token-major */
	if (lv->stage_bytes <
	    (uint64_t)KERN_BLOCK_TOKENS * 2 * lv->H * lv->D * sizeof(kern_bf16)) {
		free(lv);
		return ss_error(err, SS_EINVAL,
				"live: save staging of %llu bytes holds no "
				"block of model '%s'",
				(unsigned long long)o->stage_bytes, m->name);
	}
	*out = lv;
	return 0;
}

static int attach(void *priv, struct pol *p, struct ss_err *err)
{
	struct live *lv = priv;
	const struct pol_preset *pre = p->preset;
	uint64_t L = lv->L, H = lv->H, D = lv->D, n_slots;
	uint64_t dig_entry;
	struct kern_attn_args aa;
	uint32_t splits;
	uint64_t wb1 = 0, wb2 = 0;
	int rc;

	lv->p = p;
	lv->sparse = pre->sparse;
	lv->offload = pre->offload;
	lv->flash = pre->flash;
	lv->lp = pre->layer_prefill;
	lv->MB = (uint32_t)((lv->o.max_tokens + KERN_BLOCK_TOKENS - 1) /
			    KERN_BLOCK_TOKENS);
	if (!lv->MB)
		lv->MB = 1;
	lv->E = SS_MIN(lv->o.n_requests, p->cfg.max_num_seqs);
	if (!lv->E)
		lv->E = 1;
	dig_entry = L * H * lv->MB * 2 * D * sizeof(kern_bf16);
	if (lv->sparse) {
		uint64_t cap_e = (uint64_t)(lv->o.digest_gb * 1e9) / dig_entry;

		if (!cap_e)
			return ss_error(err, SS_ERANGE,
					"live: one request's digests (%.2f GB "
					"at %u tokens) exceed --digest-gb %.1f",
					dig_entry / 1e9, lv->o.max_tokens,
					lv->o.digest_gb);
		if (cap_e < lv->E) {
			lv->E = (uint32_t)cap_e;
			fprintf(stderr,
				"live: warning: digests of %.2f GB a request "
				"leave room for %u request slots in --digest-gb "
				"%.1f; more requests at once stop the run (lower "
				"sched.max_num_seqs to %u, or raise --digest-gb)\n",
				dig_entry / 1e9, lv->E, lv->o.digest_gb, lv->E);
		}
	}
	{
		struct sel_params sp;

		sel_params_default(&sp, lv->L, lv->H);
		sp.block_tokens = p->cfg.block_tokens;
		sp.budget_tokens = p->cfg.token_budget;
		sp.sink_blocks = p->cfg.sink_blocks;
		sp.window_blocks = p->cfg.window_blocks;
		if (lv->offload)
			sp = p->off->sp;
		if (sel_params_check(&sp, err))
			return err->code;
		lv->cap = sel_max_blocks(&sp);
		lv->topk = sel_topk_blocks(&sp);
		lv->max_list = lv->cap + 1;
	}
	if (p->cfg.sample_heads && p->cfg.sample_heads != lv->H)
		return ss_error(err, SS_EINVAL,
				"live: offload.sample_heads %u: the sampled mode "
				"is the simulator's; the live executor runs every "
				"KV head",
				p->cfg.sample_heads);
	if (p->cfg.prefetch)
		return ss_error(err, SS_EINVAL,
				"live: offload.prefetch is not implemented in the "
				"live executor (the simulator only)");
	if (p->cfg.block_tokens != KERN_BLOCK_TOKENS)
		return ss_error(err, SS_EINVAL,
				"live: kv.block_tokens %u; the kernels use %u",
				p->cfg.block_tokens, KERN_BLOCK_TOKENS);
	if ((rc = kern_dev_probe(&lv->dev, err)))
		return rc;
	{
		struct kern_shape ks;

		if ((rc = kern_shape_of(&lv->m, 1, &ks, err)) ||
		    (rc = kern_rope_init(&lv->rope, lv->D, ks.theta, ks.scp,
					 err)))
			return rc;
		lv->shape = ks.s;
	}
	if ((rc = kern_stream_create(&lv->s_comp, err)) ||
	    (rc = kern_stream_create(&lv->s_save, err)) ||
	    (rc = kern_blas_create(&lv->blas, err)))
		return rc;
	lv->ev_layer = calloc(L, sizeof(void *));
	if (!lv->ev_layer)
		return ss_error(err, SS_ENOMEM, "out of memory");
	lv->ev_ld = calloc(2 * L, sizeof(void *));
	lv->ev_ls = calloc(L, sizeof(void *));
	lv->ev_le = calloc(L, sizeof(void *));
	lv->ld_timed = calloc(L, 1);
	if (!lv->ev_ld || !lv->ev_ls || !lv->ev_le || !lv->ld_timed)
		return ss_error(err, SS_ENOMEM, "out of memory");
	for (uint32_t l = 0; l < L; l++)
		if ((rc = kern_event_create(&lv->ev_layer[l], err)) ||
		    (rc = kern_event_create(&lv->ev_ld[2 * l], err)) ||
		    (rc = kern_event_create(&lv->ev_ld[2 * l + 1], err)) ||
		    (rc = kern_event_create(&lv->ev_ls[l], err)) ||
		    (rc = kern_event_create(&lv->ev_le[l], err)))
			return rc;
	if ((rc = kern_event_create(&lv->ev_it0, err)) ||
	    (rc = kern_event_create(&lv->ev_it1, err)))
		return rc;
	if ((rc = kern_weights_alloc(&lv->w, &lv->shape, lv->L, lv->o.seed,
				     lv->s_comp, err)))
		return ss_error_prefix(err, "live: model weights (%.1f GB)",
				       kern_layer_weight_bytes(&lv->shape) * L /
					       1e9);
	lv->dev_bytes += lv->w->bytes;
	/* rows per layer call: the batch's token budget, or a whole prompt
	 * under layer-segmented prefill */
	/* rows of one layer call: the batch's token budget (layer prefill:
	 * up to 8,192, its long layers run in slices of that); rows of one
	 * iteration: the budget, or under layer prefill maxInjectToken's
	 * tokens (each prefill advances at least one layer) plus decodes */
	lv->ws_tokens = p->cfg.max_batched_tokens;
	lv->x_rows = p->cfg.max_batched_tokens;
	if (lv->lp) {
		uint64_t inject = p->cfg.max_inject
					  ? p->cfg.max_inject
					  : (uint64_t)p->cfg.max_batched_tokens * L;
		uint64_t most = SS_MIN(inject, (uint64_t)lv->o.max_prompt *
						       p->cfg.max_num_seqs);

		lv->ws_tokens = SS_MAX(lv->ws_tokens, 8192u);
		lv->x_rows = (uint32_t)SS_MIN(most + p->cfg.max_num_seqs,
					      (uint64_t)INT32_MAX / 2);
		lv->x_rows = SS_MAX(lv->x_rows, lv->ws_tokens);
	}
	if ((rc = kern_layer_ws_alloc(&lv->ws, &lv->shape, lv->ws_tokens, err)))
		return rc;
	lv->dev_bytes += kern_layer_ws_bytes(&lv->shape, lv->ws_tokens);
	lv->max_emit = p->cfg.max_num_seqs;
	n_slots = lv->offload ? p->off->cache_bytes / lv->bb
			      : p->total_blocks * L * H;
	if (!n_slots || n_slots > INT32_MAX)
		return ss_error(err, SS_ERANGE,
				"live: %llu cache slots is out of range",
				(unsigned long long)n_slots);
	lv->nslots = (uint32_t)n_slots;
	{
		const uint64_t EH = (uint64_t)lv->E * H, row = lv->hidden_bytes;
		const uint64_t bf = sizeof(kern_bf16), i4 = sizeof(int32_t);
		/* what the executor holds on the GPU */
		const struct {
			void **p;
			uint64_t bytes;
			const char *what;
			int sparse_only;
		} allocs[] = {
			{ (void **)&lv->lm_head, (uint64_t)lv->m.vocab * row,
			  "LM head", 0 },
			{ (void **)&lv->final_norm, row, "final norm", 0 },
			{ (void **)&lv->cache, n_slots * lv->bb, "KV block cache", 0 },
			{ (void **)&lv->d_table, L * EH * lv->MB * i4,
			  "block table", 0 },
			{ (void **)&lv->d_digest, lv->sparse ? dig_entry * lv->E : 0,
			  "DSA digests", 0 },
			{ (void **)&lv->d_x, (uint64_t)lv->x_rows * row,
			  "hidden rows", 0 },
			{ (void **)&lv->d_xc, (uint64_t)lv->ws_tokens * row,
			  "hidden rows (compact)", 0 },
			{ (void **)&lv->d_gather,
			  (uint64_t)lv->o.max_tokens * 2 * H * D * bf,
			  "prefill KV gather", 0 },
			{ (void **)&lv->d_qe, (uint64_t)lv->E * lv->NQ * D * bf,
			  "decode queries", 0 },
			{ (void **)&lv->d_oe, (uint64_t)lv->E * lv->NQ * D * bf,
			  "decode outputs", 0 },
			{ (void **)&lv->d_ctx, lv->E * sizeof(uint32_t),
			  "decode contexts", 0 },
			{ (void **)&lv->d_emit, lv->max_emit * row, "emit rows", 0 },
			{ (void **)&lv->d_emit_n, lv->max_emit * row,
			  "emit rows (norm)", 0 },
			{ (void **)&lv->d_logits,
			  (uint64_t)lv->max_emit * lv->m.vocab * bf, "logits", 0 },
			{ (void **)&lv->d_up, UP_BYTES, "upload arena", 0 },
			{ (void **)&lv->d_stage,
			  lv->offload && lv->flash ? lv->stage_bytes : 0,
			  "save staging", 0 },
			{ (void **)&lv->d_scores, EH * lv->MB * sizeof(float),
			  "selection scores", 1 },
			{ (void **)&lv->d_sel_ids, EH * lv->cap * i4,
			  "selection ids", 1 },
			{ (void **)&lv->d_sel_n, EH * sizeof(uint32_t),
			  "selection counts", 1 },
			{ (void **)&lv->d_lslots, EH * lv->max_list * i4,
			  "sparse lists", 1 },
			{ (void **)&lv->d_lids, EH * lv->max_list * i4,
			  "sparse list ids", 1 },
			{ (void **)&lv->d_ln, EH * sizeof(uint32_t),
			  "sparse list lengths", 1 },
		};
		for (size_t i = 0; i < SS_ARRAY_SIZE(allocs); i++)
			if ((!allocs[i].sparse_only || lv->sparse) &&
			    (rc = dmalloc(lv, allocs[i].p, allocs[i].bytes,
					  allocs[i].what, err)))
				return rc;
	}
	if ((rc = kern_fill_uniform(lv->lm_head,
				    (uint64_t)lv->m.vocab * lv->m.hidden,
				    lv->o.seed ^ 0x1e4d, 0.0f, 0.02f, lv->s_comp,
				    err)) ||
	    (rc = kern_fill_uniform(lv->final_norm, lv->m.hidden,
				    lv->o.seed ^ 0xf1, 1.0f, 0.05f, lv->s_comp,
				    err)) ||
	    (rc = kern_memset_async(lv->d_table, 0xff,
				    L * lv->E * H * lv->MB * sizeof(int32_t),
				    lv->s_comp, err)) ||
	    (rc = kern_memset_async(lv->d_ctx, 0, lv->E * sizeof(uint32_t),
				    lv->s_comp, err)))
		return rc;
	/* decode attention workspace: the larger of dense and sparse plans */
	attn_args_init(lv, &aa);
	aa.max_list = lv->MB;
	if ((rc = kern_attn_plan(&aa, &splits, &wb1, err)))
		return rc;
	aa.max_list = lv->max_list;
	if ((rc = kern_attn_plan(&aa, &splits, &wb2, err)))
		return rc;
	lv->work_bytes = SS_MAX(wb1, wb2);
	if ((rc = dmalloc(lv, (void **)&lv->d_work, lv->work_bytes,
			  "attention workspace", err)))
		return rc;
	if ((rc = kern_host_alloc((void **)&lv->h_up, UP_BYTES, err)))
		return rc;
	lv->h_table = malloc(L * lv->E * H * lv->MB * sizeof(int32_t));
	lv->nreqs = p->nreqs;
	lv->o.record_logits = SS_MIN(lv->o.record_logits, lv->m.vocab);
	lv->ent = malloc(p->nreqs * sizeof(int32_t));
	lv->hstate = calloc(p->nreqs, sizeof(kern_bf16 *));
	lv->kv_owner = malloc(lv->E * sizeof(int32_t));
	if (!lv->h_table || !lv->ent || !lv->hstate || !lv->kv_owner)
		return ss_error(err, SS_ENOMEM, "out of memory");
	memset(lv->h_table, 0xff, L * lv->E * H * lv->MB * sizeof(int32_t));
	memset(lv->ent, 0xff, p->nreqs * sizeof(int32_t));
	memset(lv->kv_owner, 0xff, lv->E * sizeof(int32_t));
	if (!lv->offload) {
		struct kv_dir_config dc;

		memset(&dc, 0, sizeof dc);
		dc.shape.layers = lv->L;
		dc.shape.kv_heads = lv->H;
		dc.shape.head_dim = lv->D;
		dc.shape.block_tokens = KERN_BLOCK_TOKENS;
		dc.shape.dtype_bytes = sizeof(kern_bf16);
		dc.cache_bytes = n_slots * lv->bb;
		lv->dkv = kv_dir_alloc(&dc, err);
		if (!lv->dkv)
			return err->code;
	} else {
		uint64_t gbytes = H * lv->bb;

		lv->ngroups = lv->o.pool_bytes / gbytes;
		if (!lv->ngroups)
			return ss_error(err, SS_EINVAL,
					"live: the pinned pool of %.2f GB holds "
					"no block",
					lv->o.pool_bytes / 1e9);
		/* refuse before pinning what the host cannot give, rather
		 * than leave it to the kernel's OOM killer */
		{
			uint64_t avail;

			if (!ss_mem_available("/proc/meminfo",
					      "/sys/fs/cgroup/memory.max",
					      "/sys/fs/cgroup/memory.current",
					      "/sys/fs/cgroup/memory.stat",
					      &avail) &&
			    lv->ngroups * gbytes > avail / 10 * 9)
				return ss_error(err, SS_ENOMEM,
						"live: a pinned DRAM pool of %.1f GB "
						"does not fit the %.1f GB of host "
						"memory available (90%% of it at "
						"most; lower --dram-gb)",
						lv->ngroups * gbytes / 1e9,
						avail / 1e9);
		}
		if (lv->o.verbose)
			fprintf(stderr, "live: pinning %.1f GB of host memory "
					"for the DRAM pool\n",
				lv->ngroups * gbytes / 1e9);
		if ((rc = kern_host_alloc((void **)&lv->pool,
					  lv->ngroups * gbytes, err)))
			return ss_error_prefix(err,
					       "live: pinned DRAM pool of %.1f GB "
					       "(lower --dram-gb)",
					       lv->ngroups * gbytes / 1e9);
		lv->gfree = malloc(lv->ngroups * sizeof(uint64_t));
		lv->grp = malloc((uint64_t)lv->E * L * lv->MB * sizeof(int64_t));
		for (int i = 0; i < 2; i++) {
			lv->lb[i].sel = calloc((uint64_t)lv->E * H * lv->cap,
					       sizeof(int32_t));
			lv->lb[i].seln = calloc((uint64_t)lv->E * H,
						sizeof(uint32_t));
			if (!lv->lb[i].sel || !lv->lb[i].seln)
				return ss_error(err, SS_ENOMEM,
						"out of memory");
		}
		if (!lv->gfree || !lv->grp)
			return ss_error(err, SS_ENOMEM, "out of memory");
		for (uint64_t g = 0; g < lv->ngroups; g++)
			lv->gfree[g] = lv->ngroups - 1 - g;
		lv->ngfree = lv->ngroups;
		memset(lv->grp, 0xff,
		       (uint64_t)lv->E * L * lv->MB * sizeof(int64_t));
		if (!lv->flash &&
		    (rc = worker_start(&lv->cp_thread, copy_thread, lv,
				       &lv->cp_mu, &lv->cp_work, &lv->cp_idle,
				       &lv->cp_inited, &lv->cp_started,
				       "copy", err)))
			return rc;
		if (!lv->o.serial_host) {
			if ((rc = worker_start(&lv->is_thread, issue_thread, lv,
					       &lv->is_mu, &lv->is_work,
					       &lv->is_idle, &lv->is_inited,
					       &lv->is_started, "issue", err)))
				return rc;
			lv->pipe = 1;
			lv->sp_row = malloc(lv->E * sizeof(int32_t));
			if (!lv->sp_row)
				return ss_error(err, SS_ENOMEM, "out of memory");
			for (uint32_t e = 0; e < lv->E; e++)
				lv->sp_row[e] = -1;
			if ((rc = worker_start(&lv->sp_thread, sel_thread, lv,
					       &lv->sp_mu, &lv->sp_work,
					       &lv->sp_idle, &lv->sp_inited,
					       &lv->sp_started, "selection",
					       err)))
				return rc;
		}
		if (lv->flash) {
			struct kern_d2h_config dc = {
				.n_threads = lv->o.d2h_threads,
				.n_stages = D2H_STAGES,
				.stage_bytes = D2H_STAGE,
			};

			if ((rc = kern_d2h_create(&lv->d2h, &dc, err)))
				return rc;
		}
		if ((rc = sel_open_spec(&lv->inner, lv->o.selection, &p->off->sp,
					lv->o.seed, err)))
			return rc;
		lv->inner_open = 1;
		if ((rc = sel_open_ops(&lv->tee, &tee_ops, &p->off->sp, NULL,
				       NULL, err)))
			return rc;
		lv->tee_open = 1;
		((struct tee *)lv->tee.priv)->lv = lv;
		pol_set_selection(p, &lv->tee);
	}
	if ((rc = kern_stream_sync(lv->s_comp, err)))
		return rc;
	if (lv->o.verbose)
		fprintf(stderr,
			"live: %s on %s: %u request slots x %u blocks, %u "
			"cache slots (%.2f GB), %.2f GB on the GPU\n",
			pre->name, lv->dev.name, lv->E, lv->MB, lv->nslots,
			n_slots * lv->bb / 1e9, lv->dev_bytes / 1e9);
	snprintf(lv->tot.device, sizeof lv->tot.device, "%s", lv->dev.name);
	lv->tot.driver_version = lv->dev.driver_version;
	lv->tot.runtime_version = lv->dev.runtime_version;
	lv->tot.hbm_used = lv->dev_bytes;
	lv->wall0 = ss_wall_seconds();
	return 0;
}

void live_free(struct live *lv)
{
	if (!lv)
		return;
	/* the selection thread, the issue thread (it hands jobs to the copy
	 * thread), then the copy thread: it may still issue copies on the save
	 * stream, which the syncs below must cover */
	worker_stop(lv->sp_thread, &lv->sp_mu, &lv->sp_work, &lv->sp_idle,
		    lv->sp_inited, lv->sp_started, &lv->sp_stop);
	free(lv->sp_kv);
	free(lv->sp_step);
	free(lv->sp_nfull);
	free(lv->sp_buf);
	free(lv->sp_cnt);
	free(lv->sp_row);
	worker_stop(lv->is_thread, &lv->is_mu, &lv->is_work, &lv->is_idle,
		    lv->is_inited, lv->is_started, &lv->is_stop);
	worker_stop(lv->cp_thread, &lv->cp_mu, &lv->cp_work, &lv->cp_idle,
		    lv->cp_inited, lv->cp_started, &lv->cp_stop);
	free(lv->cp_q);
	if (lv->s_comp)
		kern_stream_sync(lv->s_comp, NULL);
	if (lv->s_save)
		kern_stream_sync(lv->s_save, NULL);
	kern_d2h_free(lv->d2h);

	if (lv->p && lv->offload)
		pol_set_selection(lv->p, NULL);
	if (lv->tee_open)
		sel_close(&lv->tee);
	if (lv->inner_open)
		sel_close(&lv->inner);
	if (lv->hstate)
		for (size_t i = 0; i < lv->nreqs; i++)
			kern_dev_free(lv->hstate[i]);
	free(lv->hstate);
	if (lv->rec)
		for (size_t i = 0; i < lv->nreqs; i++)
			free(lv->rec[i]);
	free(lv->rec);
	kv_dir_free(lv->dkv);
	kern_weights_free(lv->w);
	kern_layer_ws_free(lv->ws);
	kern_blas_destroy(lv->blas);
	void *dev[] = { lv->lm_head, lv->final_norm, lv->cache, lv->d_table,
			lv->d_digest, lv->d_x, lv->d_xc,
			lv->d_gather, lv->d_qe, lv->d_oe, lv->d_ctx,
			lv->d_work, lv->d_scores, lv->d_sel_ids, lv->d_sel_n,
			lv->d_lslots, lv->d_lids, lv->d_ln, lv->d_emit,
			lv->d_emit_n, lv->d_logits, lv->d_up, lv->d_stage };
	for (size_t i = 0; i < SS_ARRAY_SIZE(dev); i++)
		kern_dev_free(dev[i]);
	kern_host_free(lv->h_up);
	kern_host_free(lv->pool);
	if (lv->ev_layer)
		for (uint32_t l = 0; l < lv->L; l++)
			kern_event_destroy(lv->ev_layer[l]);
	if (lv->ev_ld)
		for (uint32_t l = 0; l < 2 * lv->L; l++)
			kern_event_destroy(lv->ev_ld[l]);
	kern_event_destroy(lv->ev_it0);
	kern_event_destroy(lv->ev_it1);
	free(lv->ev_layer);
	free(lv->ev_ld);
	for (uint32_t l = 0; l < lv->L; l++) {
		if (lv->ev_ls)
			kern_event_destroy(lv->ev_ls[l]);
		if (lv->ev_le)
			kern_event_destroy(lv->ev_le[l]);
	}
	free(lv->ev_ls);
	free(lv->ev_le);
	free(lv->ld_timed);
	kern_stream_destroy(lv->s_comp);
	kern_stream_destroy(lv->s_save);
	free(lv->h_table);
	free(lv->ent);
	free(lv->kv_owner);
	free(lv->gfree);
	free(lv->grp);
	for (int i = 0; i < 2; i++) {
		struct layer_buf *b = &lv->lb[i];

		cjobs_free(b);
		free(b->sel);
		free(b->seln);
		free(b->upd_idx);
		free(b->upd_val);
		free(b->ld_src);
		free(b->ld_dst);
		free(b->saves);
		free(b->cjobs);
	}
	free(lv->landed);
	free(lv->h_d2h);
	free(lv->h_d2h_row);
	free(lv->pend);
	free(lv->h_dst);
	free(lv->row0);
	free(lv->slot_of);
	free(lv->h_pos);
	free(lv->act);
	free(lv->act_j0);
	free(lv->act_n);
	free(lv->act_row);
	free(lv->rowmap);
	free(lv);
}

void live_get_totals(const struct live *lv, struct live_totals *t)
{
	*t = lv->tot;
}

/* ---- request slots ------------------------------------------------------ */

/* Forget the slot table rows of slot e (host mirror and device). */
static void slot_forget(struct live *lv, uint32_t e)
{
	for (uint32_t l = 0; l < lv->L; l++)
		memset(lv->h_table + tab_idx(lv, l, e, 0, 0), 0xff,
		       (uint64_t)lv->H * lv->MB * sizeof(int32_t));
	/* the device rows keep stale slots; nothing reads a block beyond a
	 * request's length, and every block it reaches is written first */
}

static void pool_release(struct live *lv, uint32_t e)
{
	int64_t *g = lv->grp + (uint64_t)e * lv->L * lv->MB;

	for (uint64_t i = 0; i < (uint64_t)lv->L * lv->MB; i++)
		if (g[i] >= 0) {
			lv->gfree[lv->ngfree++] = (uint64_t)g[i];
			g[i] = -1;
		}
}

/* Bind every planned request to a request slot; release the slots of
 * requests that left (finished, preempted). */
static int bind_slots(struct live *lv, const struct pol_plan *plan,
		      struct ss_err *err)
{
	struct pol *p = lv->p;
	int rc;

	/* every save landed at the end of the last iteration, so no request
	 * is a zombie and a freed id's pool blocks are free to reuse */
	BUG_ON(lv->npend || lv->nlanded);
	if (lv->offload) {
		for (uint32_t e = 0; e < lv->E; e++) {
			int32_t r = lv->kv_owner[e];

			if (r >= 0 && p->reqs[r].kv != (int32_t)e) {
				pool_release(lv, e);
				slot_forget(lv, e);
				lv->kv_owner[e] = -1;
			}
		}
		for (size_t k = 0; k < plan->n; k++) {
			uint32_t ri = plan->items[k].req;
			int32_t e = p->reqs[ri].kv;

			if (e < 0 || (uint32_t)e >= lv->E)
				return ss_error(err, SS_ERANGE,
						"live: request slot %d is beyond "
						"the %u the executor was sized "
						"for (lower sched.max_num_seqs)",
						e, lv->E);
			lv->kv_owner[e] = (int32_t)ri;
			lv->slot_of[k] = e;
		}
		return 0;
	}
	for (uint32_t e = 0; e < lv->E; e++) {
		int32_t r = lv->kv_owner[e];

		if (r < 0)
			continue;
		/* gone (finished, preempted) or restarting its prefill */
		if (p->reqs[r].state != POL_RUNNING) {
			if ((rc = kv_req_free(lv->dkv, (int32_t)e, err)))
				return rc;
			slot_forget(lv, e);
			lv->kv_owner[e] = -1;
			lv->ent[r] = -1;
		}
	}
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		const struct pol_req *r = &p->reqs[it->req];
		int32_t e = lv->ent[it->req];

		if (e >= 0 && !it->decode && it->kv_prior == 0 &&
		    kv_req_tokens(lv->dkv, e, 0) > 0) {
			/* preempted and readmitted within one plan */
			if ((rc = kv_req_free(lv->dkv, e, err)))
				return rc;
			slot_forget(lv, (uint32_t)e);
			lv->kv_owner[e] = -1;
			e = -1;
		}
		if (e < 0) {
			if ((rc = kv_req_add(lv->dkv,
					     (uint64_t)r->prompt_tokens +
						     r->output_tokens,
					     &e, err)))
				return rc;
			if ((uint32_t)e >= lv->E)
				return ss_error(err, SS_ERANGE,
						"live: request slot %d is beyond "
						"the %u the executor was sized "
						"for (lower sched.max_num_seqs)",
						e, lv->E);
			lv->ent[it->req] = e;
			lv->kv_owner[e] = (int32_t)it->req;
		}
		lv->slot_of[k] = e;
	}
	return 0;
}

/* ---- per-layer host work ------------------------------------------------- */

/* Room for entry n of two parallel arrays (*a of ea-byte, *b of eb-byte
 * elements) holding *alloc entries. */
static int grow2(void **a, size_t ea, void **b, size_t eb, size_t *alloc,
		 size_t n, struct ss_err *err)
{
	size_t cap;
	void *x;

	if (n < *alloc)
		return 0;
	cap = SS_MAX(*alloc * 2, (size_t)4096);
	while (cap <= n)
		cap *= 2;
	if (!(x = realloc(*a, cap * ea)))
		return ss_error(err, SS_ENOMEM, "out of memory");
	*a = x;
	if (!(x = realloc(*b, cap * eb)))
		return ss_error(err, SS_ENOMEM, "out of memory");
	*b = x;
	*alloc = cap;
	return 0;
}

static int push_update(struct live *lv, uint64_t idx, int32_t slot,
		       struct ss_err *err)
{
	struct layer_buf *w = lv->wb;

	if (lv->h_table[idx] == slot)
		return 0;
	if (grow2((void **)&w->upd_idx, sizeof(uint64_t),
		  (void **)&w->upd_val, sizeof(int32_t), &w->upd_alloc,
		  w->upd_n, err))
		return SS_ENOMEM;
	w->upd_idx[w->upd_n] = idx;
	w->upd_val[w->upd_n] = slot;
	w->upd_n++;
	lv->h_table[idx] = slot;
	return 0;
}

static int push_load(struct live *lv, uint64_t src, int32_t slot,
		     struct ss_err *err)
{
	struct layer_buf *w = lv->wb;

	if (grow2((void **)&w->ld_src, sizeof(uint64_t),
		  (void **)&w->ld_dst, sizeof(uint32_t), &w->ld_alloc,
		  w->ld_n, err))
		return SS_ENOMEM;
	w->ld_src[w->ld_n] = src;
	w->ld_dst[w->ld_n] = (uint32_t)slot;
	w->ld_n++;
	return 0;
}

/* The slot of a block-head the layer writes (a new token's block). */
static int need_block(struct live *lv, struct kv_dir *d, uint32_t e,
		      uint32_t l, uint32_t h, uint32_t b, struct ss_err *err)
{
	int32_t slot = kv_block_slot(d, (int32_t)e, l, h, b);

	BUG_ON(slot < 0);
	return push_update(lv, tab_idx(lv, l, e, h, b), slot, err);
}

/*
 * Table updates and loads for layer l, into lv->wb. A block-head changes
 * slot only when it is appended to (new blocks) or loaded (the policy's
 * misses), so those are all the device table needs; the hits keep the slot
 * they were given then. The loads come from the misses' owners in the
 * directory; the policy counts them done here, as every kernel that reads
 * them is issued after them, in stream order.
 */
static int layer_blocks(struct live *lv, const struct pol_plan *plan,
			uint32_t l, struct ss_err *err)
{
	struct kv_dir *d = lv->offload ? lv->p->off->kv : lv->dkv;
	int rc;

	lv->wb->l = l;
	lv->wb->upd_n = lv->wb->ld_n = 0;
	if (lv->offload) {
		struct pol_off *o = lv->p->off;

		for (size_t i = o->miss_taken; i < o->nmiss; i++) {
			int32_t slot = o->miss[i], e;
			uint32_t ml, h, b;
			int64_t g;
			int owned = kv_slot_owner(d, slot, &e, &ml, &h, &b);

			BUG_ON(!owned || ml != l || (uint32_t)e >= lv->E);
			g = lv->grp[((uint64_t)e * lv->L + l) * lv->MB + b];
			BUG_ON(g < 0); /* loaded blocks were saved first */
			if ((rc = push_update(lv, tab_idx(lv, l, (uint32_t)e, h, b),
					      slot, err)) ||
			    (rc = push_load(lv, (uint64_t)g * lv->H + h, slot,
					    err)))
				return rc;
		}
		BUG_ON(lv->wb->ld_n != o->nmiss - o->miss_taken);
		off_loads_done(lv->p, o->miss + o->miss_taken,
			       (uint32_t)lv->wb->ld_n);
		o->miss_taken = o->nmiss;
	}
	for (uint32_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		uint32_t e = (uint32_t)lv->slot_of[k];
		uint64_t end = (uint64_t)it->kv_prior + it->q_tokens;
		uint32_t b_lo = it->kv_prior / KERN_BLOCK_TOKENS;
		uint32_t b_hi = (uint32_t)((end + KERN_BLOCK_TOKENS - 1) /
					   KERN_BLOCK_TOKENS);

		if (!off_item_at(it, l))
			continue;
		if (end > (uint64_t)lv->MB * KERN_BLOCK_TOKENS)
			return ss_error(err, SS_ERANGE,
					"live: request of %llu tokens is longer "
					"than the %u the executor was sized for",
					(unsigned long long)end,
					lv->MB * KERN_BLOCK_TOKENS);
		for (uint32_t h = 0; h < lv->H; h++)
			for (uint32_t b = b_lo; b < b_hi; b++)
				if ((rc = need_block(lv, d, e, l, h, b, err)))
					return rc;
	}
	return 0;
}

/* Issue the loads of lv->rb on the compute stream. */
static int issue_loads(struct live *lv, struct ss_err *err)
{
	const struct layer_buf *r = lv->rb;
	uint32_t n = (uint32_t)r->ld_n;
	int rc;

	if (!n)
		return 0;
	lv->ld_timed[r->l] = 1;
	if ((rc = kern_event_record(lv->ev_ld[2 * r->l], lv->s_comp,
				    err)))
		return rc;
	if (lv->flash) {
		struct kern_h2d_args a;

		memset(&a, 0, sizeof a);
		a.src_base = lv->pool;
		a.dst_base = lv->cache;
		a.block_bytes = lv->bb;
		a.src_index = upload(lv, r->ld_src, n * sizeof(uint64_t), err);
		a.dst_index = upload(lv, r->ld_dst, n * sizeof(uint32_t), err);
		if (!a.src_index || !a.dst_index)
			return err->code;
		a.n_blocks = n;
		a.n_ctas = lv->o.h2d_ctas;
		rc = up_flush(lv, err);
		if (!rc)
			rc = kern_flash_h2d(&a, lv->s_comp, err);
	} else {
		struct kern_blocks_copy c;

		if (ss_grow((void **)&lv->h_dst, &lv->hidx_cap, n, sizeof(uint64_t),
			 err))
			return SS_ENOMEM;
		for (uint32_t i = 0; i < n; i++)
			lv->h_dst[i] = r->ld_dst[i];
		memset(&c, 0, sizeof c);
		c.dst_base = lv->cache;
		c.src_base = lv->pool;
		c.block_bytes = lv->bb;
		c.src_index = r->ld_src;
		c.dst_index = lv->h_dst;
		c.n_blocks = n;
		rc = kern_memcpy_blocks(&c, lv->s_comp, err);
	}
	if (rc || (rc = kern_event_record(lv->ev_ld[2 * r->l + 1],
					  lv->s_comp, err)))
		return rc;
	lv->tot.h2d_bytes += (uint64_t)n * lv->bb;
	return 0;
}

static int issue_updates(struct live *lv, struct ss_err *err)
{
	uint64_t *di;
	int32_t *dv;

	if (!lv->rb->upd_n)
		return 0;
	di = upload(lv, lv->rb->upd_idx, lv->rb->upd_n * sizeof(uint64_t), err);
	dv = upload(lv, lv->rb->upd_val, lv->rb->upd_n * sizeof(int32_t), err);
	if (!di || !dv || up_flush(lv, err))
		return err->code;
	return live_table_set(lv->d_table, di, dv, (uint32_t)lv->rb->upd_n,
			      lv->s_comp, err);
}

/* ---- saves --------------------------------------------------------------- */

static void *copy_thread(void *arg)
{
	struct live *lv = arg;

	pthread_mutex_lock(&lv->cp_mu);
	for (;;) {
		struct copy_job j;
		struct kern_blocks_copy c;
		int rc, skip;

		while (!lv->cp_len && !lv->cp_stop)
			pthread_cond_wait(&lv->cp_work, &lv->cp_mu);
		if (!lv->cp_len)
			break;
		j = lv->cp_q[lv->cp_head];
		lv->cp_head = (lv->cp_head + 1) % lv->cp_cap;
		lv->cp_len--;
		lv->cp_busy = 1;
		/* after an error or at teardown the jobs are only dropped */
		skip = lv->cp_rc || lv->cp_stop;
		pthread_mutex_unlock(&lv->cp_mu);
		memset(&c, 0, sizeof c);
		c.dst_base = lv->pool;
		c.src_base = lv->cache;
		c.block_bytes = lv->bb;
		c.src_index = j.src;
		c.dst_index = j.dst;
		c.n_blocks = j.n;
		rc = skip ? 0
		     : kern_stream_wait_event(lv->s_save, j.ev, &lv->cp_err);
		if (!rc && !skip)
			rc = kern_memcpy_blocks(&c, lv->s_save, &lv->cp_err);
		free(j.src);
		free(j.dst);
		pthread_mutex_lock(&lv->cp_mu);
		if (rc && !lv->cp_rc)
			lv->cp_rc = rc;
		lv->cp_busy = 0;
		if (!lv->cp_len)
			pthread_cond_broadcast(&lv->cp_idle);
	}
	pthread_mutex_unlock(&lv->cp_mu);
	return NULL;
}

static int copy_push(struct live *lv, const struct copy_job *j,
		     struct ss_err *err)
{
	pthread_mutex_lock(&lv->cp_mu);
	if (lv->cp_len == lv->cp_cap) {
		size_t cap = lv->cp_cap ? 2 * lv->cp_cap : 256;
		struct copy_job *q = malloc(cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&lv->cp_mu);
			return ss_error(err, SS_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < lv->cp_len; i++)
			q[i] = lv->cp_q[(lv->cp_head + i) % lv->cp_cap];
		free(lv->cp_q);
		lv->cp_q = q;
		lv->cp_head = 0;
		lv->cp_cap = cap;
	}
	lv->cp_q[(lv->cp_head + lv->cp_len) % lv->cp_cap] = *j;
	lv->cp_len++;
	pthread_cond_signal(&lv->cp_work);
	pthread_mutex_unlock(&lv->cp_mu);
	return 0;
}

/* Wait until the copy thread has issued everything queued. */
static int copy_drain(struct live *lv, struct ss_err *err)
{
	int rc;

	pthread_mutex_lock(&lv->cp_mu);
	while (lv->cp_len || lv->cp_busy)
		pthread_cond_wait(&lv->cp_idle, &lv->cp_mu);
	rc = lv->cp_rc;
	pthread_mutex_unlock(&lv->cp_mu);
	if (rc && err)
		*err = lv->cp_err;
	return rc;
}

/* Tell the policy of the saves that landed while the issue thread waited
 * for staging room. Host thread only. */
static void apply_landed(struct live *lv)
{
	if (!lv->pipe)
		return;
	pthread_mutex_lock(&lv->is_mu);
	for (size_t i = 0; i < lv->nlanded; i++) {
		const struct off_save *s = &lv->landed[i];

		off_save_done(lv->p, s->kv, s->layer, s->first, s->count);
	}
	lv->nlanded = 0;
	pthread_mutex_unlock(&lv->is_mu);
}

/*
 * Let every save in flight land, and tell the policy: now (the host
 * thread, with the issue thread idle) or, from the issue thread (`defer`),
 * through apply_landed at the host thread's next layer.
 */
static int saves_flush(struct live *lv, int defer, struct ss_err *err)
{
	int rc;

	if (!defer)
		apply_landed(lv);
	/* pieces of a save being issued are in flight before it is pending */
	if (!lv->npend && !lv->stage_used && !lv->d2h_used)
		return 0;
	rc = lv->flash ? kern_d2h_wait(lv->d2h, err)
		       : copy_drain(lv, err);
	if (!rc && !lv->flash)
		rc = kern_stream_sync(lv->s_save, err);
	if (rc)
		return rc;
	if (defer) {
		pthread_mutex_lock(&lv->is_mu);
		rc = ss_grow((void **)&lv->landed, &lv->landed_alloc,
			     lv->nlanded + lv->npend, sizeof(*lv->landed), err);
		if (!rc) {
			memcpy(lv->landed + lv->nlanded, lv->pend,
			       lv->npend * sizeof(*lv->pend));
			lv->nlanded += lv->npend;
		}
		pthread_mutex_unlock(&lv->is_mu);
		if (rc)
			return rc;
	}
	for (size_t i = 0; !defer && i < lv->npend; i++) {
		const struct off_save *s = &lv->pend[i];

		off_save_done(lv->p, s->kv, s->layer, s->first, s->count);
	}
	lv->npend = 0;
	lv->stage_used = 0;
	lv->d2h_used = 0;
	return 0;
}

/* The iteration's saves landing after its last kernel (timed). */
static int saves_tail(struct live *lv, double *t, struct ss_err *err)
{
	double t0 = ss_wall_seconds();
	int rc = saves_flush(lv, 0, err);

	*t = ss_wall_seconds() - t0;
	return rc;
}

/*
 * The host side of a save (host thread): its pool groups and, for
 * per-block copies, the copy job, from the directory's slots now.
 */
static int save_prep(struct live *lv, const struct off_save *s,
		     struct copy_job *j, struct ss_err *err)
{
	uint32_t H = lv->H, i = 0;
	int64_t *g = lv->grp +
		     ((uint64_t)s->kv * lv->L + s->layer) * lv->MB;

	for (uint32_t b = s->first; b < s->first + s->count; b++)
		if (g[b] < 0) {
			BUG_ON(!lv->ngfree); /* the policy accounts DRAM */
			g[b] = (int64_t)lv->gfree[--lv->ngfree];
		}
	if (lv->flash)
		return 0;
	j->n = s->count * H;
	j->src = malloc(j->n * sizeof(uint64_t));
	j->dst = malloc(j->n * sizeof(uint64_t));
	j->ev = lv->ev_layer[s->layer];
	if (!j->src || !j->dst)
		return ss_error(err, SS_ENOMEM, "out of memory");
	for (uint32_t b = s->first; b < s->first + s->count; b++)
		for (uint32_t h = 0; h < H; h++, i++) {
			int32_t slot = kv_block_slot(lv->p->off->kv, s->kv,
						     s->layer, h, b);

			BUG_ON(slot < 0);
			j->src[i] = (uint64_t)slot;
			j->dst[i] = (uint64_t)g[b] * H + h;
		}
	return 0;
}

/* The GPU side of a save, after its layer's kernels (issue thread). */
static int save_issue(struct live *lv, const struct off_save *s,
		      struct copy_job *j, struct ss_err *err)
{
	uint32_t e = (uint32_t)s->kv, H = lv->H;
	const int64_t *g = lv->grp +
			   ((uint64_t)e * lv->L + s->layer) * lv->MB;
	int rc;

	if (!lv->flash) {
		rc = copy_push(lv, j, err);
		if (!rc)
			j->src = NULL, j->dst = NULL; /* the copy thread's */
		return rc;
	}
	/* FlashD2H: token-major staging, pieces of at most one ring buffer */
	{
		uint64_t tok_bytes = 2ull * H * lv->D * sizeof(kern_bf16);
		uint32_t per = (uint32_t)(SS_MIN(D2H_STAGE, lv->stage_bytes) /
					  tok_bytes);
		uint32_t tokens = s->count * KERN_BLOCK_TOKENS;
		const int32_t *table = lv->d_table +
				       tab_idx(lv, s->layer, e, 0, 0);

		per -= per % KERN_BLOCK_TOKENS;
		BUG_ON(!per);
		for (uint32_t t0 = 0; t0 < tokens; t0 += per) {
			uint32_t n = SS_MIN(per, tokens - t0);
			uint64_t bytes = (uint64_t)n * tok_bytes;
			struct kern_d2h_layer dl;
			kern_bf16 *stage;

			if (lv->stage_used + bytes > lv->stage_bytes ||
			    lv->d2h_used + n > lv->d2h_cap) {
				/* room: let what is in flight land first */
				if ((rc = kern_stream_sync(lv->s_comp, err)) ||
				    (rc = saves_flush(lv, lv->pipe, err)))
					return rc;
				if (lv->d2h_cap < n) {
					free(lv->h_d2h);
					free(lv->h_d2h_row);
					lv->d2h_cap = SS_MAX(n, 1u << 20);
					lv->h_d2h = malloc(lv->d2h_cap *
							   sizeof(uint64_t));
					lv->h_d2h_row = malloc(lv->d2h_cap *
							       sizeof(uint32_t));
					if (!lv->h_d2h || !lv->h_d2h_row)
						return ss_error(err, SS_ENOMEM,
								"out of memory");
				}
			}
			stage = (kern_bf16 *)((uint8_t *)lv->d_stage +
					      lv->stage_used);
			if ((rc = live_kv_gather(lv->cache, table, lv->MB, H,
						 (uint64_t)s->first *
								 KERN_BLOCK_TOKENS +
							 t0,
						 n, LIVE_KV_SPLIT, stage,
						 lv->s_comp, err)) ||
			    (rc = kern_event_record(lv->ev_layer[s->layer],
						    lv->s_comp, err)) ||
			    (rc = kern_stream_wait_event(lv->s_save,
							 lv->ev_layer[s->layer],
							 err)))
				return rc;
			for (uint32_t t = 0; t < n; t++) {
				uint32_t b = s->first + (t0 + t) / KERN_BLOCK_TOKENS;

				lv->h_d2h[lv->d2h_used + t] = (uint64_t)g[b] * H;
				lv->h_d2h_row[lv->d2h_used + t] =
					(t0 + t) % KERN_BLOCK_TOKENS;
			}
			memset(&dl, 0, sizeof dl);
			dl.kv_new = stage;
			dl.n_tokens = n;
			dl.n_heads = H;
			dl.head_dim = lv->D;
			dl.block_tokens = KERN_BLOCK_TOKENS;
			dl.pool = lv->pool;
			dl.dst_block = lv->h_d2h + lv->d2h_used;
			dl.row = lv->h_d2h_row + lv->d2h_used;
			dl.head_stride = 1;
			{
				double tq = ss_wall_seconds();

				rc = kern_d2h_save(lv->d2h, &dl, lv->s_save, err);
				lv->tot.d2h_issue_s += ss_wall_seconds() - tq;
			}
			if (rc)
				return rc;
			lv->stage_used += (bytes + 255) & ~255ull;
			lv->d2h_used += n;
		}
	}
	return 0;
}

/* Free what the copy thread was not handed of a buffer's copy jobs. */
static void cjobs_free(struct layer_buf *b)
{
	for (size_t i = 0; i < b->nsaves; i++) {
		free(b->cjobs[i].src);
		free(b->cjobs[i].dst);
		b->cjobs[i].src = NULL;
		b->cjobs[i].dst = NULL;
	}
}

/* The saves of the layer just ended (off_layer_end) into lv->wb. */
static int saves_prep(struct live *lv, struct ss_err *err)
{
	const struct pol_off *o = lv->p->off;
	struct layer_buf *w = lv->wb;
	int rc;

	cjobs_free(w);
	w->nsaves = 0;
	if (!o->nsaves)
		return 0;
	if (ss_grow((void **)&w->saves, &w->saves_alloc, o->nsaves,
		    sizeof(*w->saves), err) ||
	    ss_grow((void **)&w->cjobs, &w->cjobs_alloc, o->nsaves,
		    sizeof(*w->cjobs), err))
		return SS_ENOMEM;
	memcpy(w->saves, o->saves, o->nsaves * sizeof(*w->saves));
	memset(w->cjobs, 0, o->nsaves * sizeof(*w->cjobs));
	w->nsaves = o->nsaves;
	for (size_t i = 0; i < w->nsaves; i++)
		if ((rc = save_prep(lv, &w->saves[i], &w->cjobs[i], err)))
			return rc;
	return 0;
}

/* Issue the saves of lv->rb; they are in flight (pending) from here. */
static int issue_saves(struct live *lv, struct ss_err *err)
{
	struct layer_buf *r = lv->rb;
	int rc;

	if (!r->nsaves)
		return 0;
	if (!lv->flash &&
	    (rc = kern_event_record(lv->ev_layer[r->l], lv->s_comp, err)))
		return rc;
	for (size_t i = 0; i < r->nsaves; i++) {
		if ((rc = save_issue(lv, &r->saves[i], &r->cjobs[i], err)))
			return rc;
		if (ss_grow((void **)&lv->pend, &lv->pend_alloc, lv->npend + 1,
			 sizeof(*lv->pend), err))
			return SS_ENOMEM;
		lv->pend[lv->npend++] = r->saves[i];
		lv->tot.d2h_bytes += r->saves[i].bytes;
	}
	return 0;
}

/* ---- attention ------------------------------------------------------------ */

/*
 * Decode attention over the request slots up to the last one decoding
 * (the rows after it have context 0), its splits planned from the longest
 * list of the launch (`bound`, 0: the table's capacity): with the whole
 * slot table and the longest possible context, a batch of 14k-token
 * contexts in a table sized for 32k ran as ~60,000 CTAs, most of them
 * empty, 1.6x the time the calibration measured for the same batch
 * (live LWM-7B at 1.5 req/s, 2026-11-29). Where the trimmed plan would
 * need more workspace than was planned, it forces as many splits as the
 * workspace holds: the launch always stops at `rows` (the sparse path
 * builds the lists of those rows only).
 */
static void attn_trim(const struct live *lv, struct kern_attn_args *da,
		      uint32_t rows, uint32_t bound)
{
	struct kern_attn_args t = *da;
	uint32_t splits;
	uint64_t need;
	struct ss_err e2;

	if (!rows)
		return;
	t.batch = SS_MIN(rows, da->batch);
	t.list_bound = bound;
	if (!kern_attn_plan(&t, &splits, &need, &e2) &&
	    need <= lv->work_bytes) {
		*da = t;
		return;
	}
	/* a bound can plan more splits per list than the table's capacity
	 * did (fewer blocks per warp); keep at least the trimmed batch */
	t.list_bound = 0;
	if (!kern_attn_plan(&t, &splits, &need, &e2) &&
	    need <= lv->work_bytes) {
		*da = t;
		return;
	}
	/* neither fits the workspace sized for every slot: as many splits
	 * as it holds (the kernel is correct for any count), so that the
	 * launch never reads the rows past `rows`, whose lists the sparse
	 * path did not build this layer */
	t.n_splits = 2;
	if (t.max_list >= 2 && !kern_attn_plan(&t, &splits, &need, &e2) &&
	    need) {
		uint64_t fit = lv->work_bytes / (need / 2);

		t.n_splits = (uint32_t)SS_MIN(SS_MIN(fit, t.max_list), 65535);
		if (t.n_splits < 2)
			t.n_splits = 1; /* one split needs no workspace */
	} else {
		t.n_splits = 1;
	}
	*da = t;
}

/* The decode rows of one attention launch: their request slots' contexts
 * (the other slots 0: idle), how many slots the launch spans and the
 * longest context. */
struct dec_set {
	uint32_t *ctxs;  /* [E] */
	uint32_t rows;   /* max slot + 1 */
	uint32_t max_ctx;
	uint32_t n;      /* rows in the set */
};

static void dec_set_add(struct dec_set *s, uint32_t e, uint32_t ctx)
{
	s->ctxs[e] = ctx;
	s->rows = SS_MAX(s->rows, e + 1);
	s->max_ctx = SS_MAX(s->max_ctx, ctx);
	s->n++;
}

/* Make `set` the contexts the next decode kernels on `stream` read. */
static int dec_ctx_upload(struct live *lv, const struct dec_set *set,
			  void *stream, struct ss_err *err)
{
	const uint32_t *d = upload(lv, set->ctxs, lv->E * sizeof(uint32_t),
				   err);
	int rc;

	if (!d)
		return err->code;
	if ((rc = up_flush(lv, err)))
		return rc;
	return kern_copy_async(lv->d_ctx, d, lv->E * sizeof(uint32_t), stream,
			       err);
}

/* Dense paged decode attention of `set` on layer l, into d_oe. */
static int dec_dense(struct live *lv, uint32_t l, const struct dec_set *set,
		     struct kern_attn_args da, void *stream, struct ss_err *err)
{
	da.slots = lv->d_table + tab_idx(lv, l, 0, 0, 0);
	da.max_list = lv->MB;
	attn_trim(lv, &da, set->rows,
		  (set->max_ctx + KERN_BLOCK_TOKENS - 1) / KERN_BLOCK_TOKENS);
	return kern_dense_decode_attn(&da, stream, err);
}

/*
 * Selection and sparse decode attention of `set` on layer l, into d_oe.
 * The selection kernel runs for every set, so its cost is real; the
 * offload policies attend over the policy's selections (the source shared
 * with the simulator), the others over the kernel's.
 */
static int dec_sparse(struct live *lv, uint32_t l, const struct dec_set *set,
		      struct kern_attn_args da, void *stream,
		      struct ss_err *err)
{
	struct kern_select_args sa;
	const int32_t *ids = lv->d_sel_ids;
	const uint32_t *cnt = lv->d_sel_n;
	uint32_t H = lv->H;
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.q = lv->d_qe;
	sa.digest = lv->d_digest + tab_idx(lv, l, 0, 0, 0) * 2 * lv->D;
	sa.ctx_len = lv->d_ctx;
	sa.batch = set->rows; /* the slots past it are idle */
	sa.n_q_heads = lv->NQ;
	sa.n_kv_heads = H;
	sa.head_dim = lv->D;
	sa.max_blocks = lv->MB;
	sa.topk = lv->topk;
	sa.n_sink = lv->p->cfg.sink_blocks;
	sa.n_window = lv->p->cfg.window_blocks;
	sa.scores = lv->d_scores;
	sa.out_ids = lv->d_sel_ids;
	sa.out_count = lv->d_sel_n;
	if ((rc = kern_select(&sa, stream, err)))
		return rc;
	lv->tot.kernel_select_calls++;
	if (lv->offload) {
		ids = upload(lv, lv->rb->sel,
			     (uint64_t)set->rows * H * lv->cap *
				     sizeof(int32_t),
			     err);
		cnt = upload(lv, lv->rb->seln,
			     (uint64_t)set->rows * H * sizeof(uint32_t), err);
		if (!ids || !cnt || up_flush(lv, err))
			return err->code;
	}
	/* the lists of slots with no context here (the dense set's) are
	 * empty */
	if ((rc = live_sparse_lists(lv->d_table + tab_idx(lv, l, 0, 0, 0),
				    lv->MB, ids, cnt, lv->cap, lv->d_ctx,
				    set->rows, H, lv->max_list, lv->d_lslots,
				    lv->d_lids, lv->d_ln, stream, err)))
		return rc;
	da.slots = lv->d_lslots;
	da.block_ids = lv->d_lids;
	da.n_list = lv->d_ln;
	da.max_list = lv->max_list;
	attn_trim(lv, &da, set->rows, 0);
	return kern_sparse_decode_attn(&da, stream, err);
}

/*
 * An offload policy's decode row read by the dense kernel must have every
 * full block of every head in HBM: the policy selects them all when the
 * context is within the budget (sel_count), so their slots are current.
 */
static void check_whole(const struct live *lv, uint32_t e, uint32_t ctx)
{
	uint32_t full = (ctx - 1) / KERN_BLOCK_TOKENS;

	for (uint32_t h = 0; h < lv->H; h++)
		BUG_ON(lv->rb->seln[(uint64_t)e * lv->H + h] != full);
}

static int attend(void *ctx, const struct kern_layer_attn *a, void *stream,
		  struct ss_err *err)
{
	struct live *lv = ctx;
	const struct pol_plan *plan = lv->plan;
	uint32_t l = a->layer, H = lv->H, D = lv->D, NQ = lv->NQ;
	/* an iteration with no decode row past the budget has nothing to
	 * select (pol_plan.sparse_layers 0): its layers run dense */
	int dsa_l = lv->sparse && l >= lv->p->cfg.dense_layers;
	int sparse_l = dsa_l && (plan->sparse_layers || lv->o.sparse_all);
	uint64_t n = a->n_tokens, nfill = 0, ndec = 0;
	uint32_t *slot, *row, *fslot;
	uint64_t *fdig;
	int32_t *drow, *dent;
	struct dec_set sel = { 0 }, whole = { 0 };
	struct kern_append_args ap;
	int rc;

	/* 1. append this layer's new K/V (and digest the filled blocks) */
	slot = malloc(n * H * sizeof(uint32_t));
	row = malloc(n * sizeof(uint32_t));
	fslot = malloc(n * H * sizeof(uint32_t));
	fdig = malloc(n * H * sizeof(uint64_t));
	/* decode rows: the sparse set's from the front, the dense set's
	 * from the back (moved after the sparse set's below) */
	drow = malloc(plan->n * sizeof(int32_t));
	dent = malloc(plan->n * sizeof(int32_t));
	sel.ctxs = calloc(lv->E, sizeof(uint32_t));
	whole.ctxs = calloc(lv->E, sizeof(uint32_t));
	if (!slot || !row || !fslot || !fdig || !drow || !dent || !sel.ctxs ||
	    !whole.ctxs) {
		rc = ss_error(err, SS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < lv->nact; i++) {
		uint32_t k = (uint32_t)lv->act[i];
		const struct pol_item *it = &plan->items[k];
		uint32_t e = (uint32_t)lv->slot_of[k];
		uint32_t r0 = lv->act_row[i];

		for (uint32_t j = 0; j < lv->act_n[i]; j++) {
			uint32_t pos = it->kv_prior + lv->act_j0[i] + j;
			uint32_t b = pos / KERN_BLOCK_TOKENS;

			row[r0 + j] = pos % KERN_BLOCK_TOKENS;
			for (uint32_t h = 0; h < H; h++) {
				uint64_t ti = tab_idx(lv, l, e, h, b);

				slot[(uint64_t)(r0 + j) * H + h] =
					(uint32_t)lv->h_table[ti];
				if (lv->sparse &&
				    pos % KERN_BLOCK_TOKENS ==
					    KERN_BLOCK_TOKENS - 1) {
					fslot[nfill] = (uint32_t)lv->h_table[ti];
					fdig[nfill++] = ti;
				}
			}
		}
		if (it->decode) {
			/* under DSA, only rows with blocks to select use
			 * the sparse kernel; the others are read whole */
			struct dec_set *s =
				sparse_l && (it->sel_blocks || lv->o.sparse_all)
					? &sel
					: &whole;
			size_t at = s == &sel ? sel.n
					      : plan->n - 1 - whole.n;

			drow[at] = (int32_t)r0;
			dent[at] = (int32_t)e;
			dec_set_add(s, e, it->kv_prior + 1);
			if (s == &whole && dsa_l && lv->offload)
				check_whole(lv, e, it->kv_prior + 1);
			ndec++;
		}
	}
	memset(&ap, 0, sizeof ap);
	ap.k_new = a->kv_new;
	ap.v_new = a->kv_new + (uint64_t)H * D;
	ap.kv_stride = 2ull * H * D;
	ap.n_tokens = (uint32_t)n;
	ap.n_heads = H;
	ap.head_dim = D;
	ap.cache = lv->cache;
	ap.slot = upload(lv, slot, n * H * sizeof(uint32_t), err);
	ap.row = upload(lv, row, n * sizeof(uint32_t), err);
	ap.n_fill = (uint32_t)nfill;
	ap.fill_slot = upload(lv, fslot, nfill * sizeof(uint32_t), err);
	ap.fill_digest = upload(lv, fdig, nfill * sizeof(uint64_t), err);
	ap.digest = lv->d_digest;
	ap.kind = KERN_DIGEST_CUBOID_MEAN;
	if (!ap.slot || !ap.row || !ap.fill_slot || !ap.fill_digest) {
		rc = err->code;
		goto out;
	}
	if ((rc = up_flush(lv, err)) ||
	    (rc = kern_kv_append(&ap, stream, err)))
		goto out;

	/* 2. prefill rows: causal attention over all the request's KV */
	for (size_t i = 0; i < lv->nact; i++) {
		uint32_t k = (uint32_t)lv->act[i];
		const struct pol_item *it = &plan->items[k];
		uint32_t e = (uint32_t)lv->slot_of[k];
		uint32_t r0 = lv->act_row[i];
		uint32_t q0 = it->kv_prior + lv->act_j0[i];
		uint32_t kv_len = q0 + lv->act_n[i];
		struct kern_prefill_args pa;

		if (it->decode)
			continue;
		memset(&pa, 0, sizeof pa);
		pa.q = a->q + (uint64_t)r0 * a->q_stride;
		pa.q_stride = a->q_stride;
		pa.out = a->out + (uint64_t)r0 * NQ * D;
		pa.out_stride = (uint64_t)NQ * D;
		pa.n_q_heads = NQ;
		pa.n_kv_heads = H;
		pa.head_dim = D;
		pa.scale = a->scale;
		pa.q_len = lv->act_n[i];
		pa.kv_len = kv_len;
		pa.n_seqs = 1;
		pa.kv_stride = 2ull * H * D;
		if (q0 == 0) {
			/* a whole prompt: its K/V are this call's rows */
			pa.k = a->kv_new + (uint64_t)r0 * 2 * H * D;
			pa.v = pa.k + (uint64_t)H * D;
			rc = kern_prefill_attn(&pa, stream, err);
		} else {
			rc = live_kv_gather(lv->cache,
					    lv->d_table + tab_idx(lv, l, e, 0, 0),
					    lv->MB, H, 0, kv_len,
					    LIVE_KV_INTERLEAVED, lv->d_gather,
					    stream, err);
			pa.k = lv->d_gather;
			pa.v = lv->d_gather + (uint64_t)H * D;
			if (!rc)
				rc = kern_chunked_prefill_attn(&pa, stream, err);
		}
		if (rc)
			goto out;
	}

	/* 3. decode rows: one query per request slot, the sparse set then
	 * the dense one, each copied out before the next launch reuses
	 * d_oe */
	if (dsa_l) {
		lv->tot.sparse_rows += sel.n;
		lv->tot.whole_rows += whole.n;
	}
	if (ndec) {
		struct kern_attn_args da;
		int32_t *d_drow, *d_dent;
		uint64_t qrow = (uint64_t)NQ * D * sizeof(kern_bf16);
		size_t w0 = sel.n; /* the dense set's first row */

		/* the dense set's rows right after the sparse set's */
		memmove(drow + w0, drow + plan->n - whole.n,
			whole.n * sizeof(int32_t));
		memmove(dent + w0, dent + plan->n - whole.n,
			whole.n * sizeof(int32_t));
		d_drow = upload(lv, drow, ndec * sizeof(int32_t), err);
		d_dent = upload(lv, dent, ndec * sizeof(int32_t), err);
		if (!d_drow || !d_dent) {
			rc = err->code;
			goto out;
		}
		if ((rc = up_flush(lv, err)) ||
		    (rc = live_rows(lv->d_qe, qrow, d_dent, a->q,
				    a->q_stride * sizeof(kern_bf16), d_drow,
				    (uint32_t)ndec, qrow, stream, err)))
			goto out;
		attn_args_init(lv, &da);
		da.q = lv->d_qe;
		da.cache = lv->cache;
		da.ctx_len = lv->d_ctx;
		da.scale = a->scale;
		da.out = lv->d_oe;
		da.work = lv->d_work;
		da.work_bytes = lv->work_bytes;
		if (sel.n &&
		    ((rc = dec_ctx_upload(lv, &sel, stream, err)) ||
		     (rc = dec_sparse(lv, l, &sel, da, stream, err)) ||
		     (rc = live_rows(a->out, qrow, d_drow, lv->d_oe, qrow,
				     d_dent, sel.n, qrow, stream, err))))
			goto out;
		if (whole.n &&
		    ((rc = dec_ctx_upload(lv, &whole, stream, err)) ||
		     (rc = dec_dense(lv, l, &whole, da, stream, err)) ||
		     (rc = live_rows(a->out, qrow, d_drow + w0, lv->d_oe,
				     qrow, d_dent + w0, whole.n, qrow, stream,
				     err))))
			goto out;
	}
out:
	free(slot);
	free(row);
	free(fslot);
	free(fdig);
	free(drow);
	free(dent);
	free(sel.ctxs);
	free(whole.ctxs);
	return rc;
}

static const struct kern_attn_ops live_attn_ops = {
	.name = "live",
	.attend = attend,
};

/* ---- one iteration ---------------------------------------------------------- */

static void begin(void *priv, int64_t now_ns)
{
	struct live *lv = priv;
	double now = ss_wall_seconds();

	if (lv->o.realtime) {
		double target = lv->wall0 + (double)now_ns * 1e-9;

		if (target > now) {
			struct timespec ts;
			double d = target - now;

			ts.tv_sec = (time_t)d;
			ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
			now = ss_wall_seconds();
		}
	} else if (lv->started && now_ns > lv->v_end) {
		lv->tot.idle_skipped_s += (double)(now_ns - lv->v_end) * 1e-9;
		lv->v_end = now_ns; /* counted once if nothing gets planned */
	}
	lv->t_begin = now;
	lv->v_begin = now_ns;
}

static int plan_rows(struct live *lv, const struct pol_plan *plan,
		     uint32_t *rows, struct ss_err *err)
{
	uint32_t r = 0;

	if (grow2((void **)&lv->row0, sizeof(uint32_t), (void **)&lv->slot_of,
		  sizeof(int32_t), &lv->items_alloc, plan->n, err))
		return SS_ENOMEM;
	for (size_t k = 0; k < plan->n; k++) {
		lv->row0[k] = r;
		r += plan->items[k].q_tokens;
	}
	lv->row0[plan->n] = r;
	if (r > lv->x_rows)
		return ss_error(err, SS_ERANGE,
				"live: an iteration of %u tokens exceeds the "
				"%u rows the executor was sized for",
				r, lv->x_rows);
	if (grow2((void **)&lv->h_pos, sizeof(int32_t), (void **)&lv->rowmap,
		  sizeof(int32_t), &lv->rows_alloc, r, err))
		return SS_ENOMEM;
	for (size_t k = 0; k < plan->n; k++)
		for (uint32_t j = 0; j < plan->items[k].q_tokens; j++)
			lv->h_pos[lv->row0[k] + j] =
				(int32_t)(plan->items[k].kv_prior + j);
	*rows = r;
	return 0;
}

/* Keep the first record_logits logits of every token emitted (tests). */
static int record_logits(struct live *lv, const struct pol_plan *plan,
			 uint32_t emit, struct ss_err *err)
{
	const struct pol *p = lv->p;
	uint64_t V = lv->m.vocab, K = SS_MIN(lv->o.record_logits, V);
	kern_bf16 *h = malloc(emit * V * sizeof(kern_bf16));
	uint32_t i = 0;
	int rc;

	if (!h)
		return ss_error(err, SS_ENOMEM, "out of memory");
	if ((rc = kern_copy(h, lv->d_logits, emit * V * sizeof(kern_bf16),
			    err))) {
		free(h);
		return rc;
	}
	if (!lv->rec) {
		lv->rec = calloc(p->nreqs, sizeof(float *));
		if (!lv->rec) {
			free(h);
			return ss_error(err, SS_ENOMEM, "out of memory");
		}
	}
	for (size_t k = 0; k < plan->n && i < emit; k++) {
		const struct pol_item *it = &plan->items[k];
		const struct pol_req *r = &p->reqs[it->req];

		if (!it->emits)
			continue;
		if (!lv->rec[it->req] &&
		    !(lv->rec[it->req] = calloc((uint64_t)r->output_tokens * K,
						 sizeof(float)))) {
			free(h);
			return ss_error(err, SS_ENOMEM, "out of memory");
		}
		if (r->generated < r->output_tokens)
			for (uint64_t c = 0; c < K; c++)
				lv->rec[it->req][r->generated * K + c] =
					kern_bf16_to_float(h[i * V + c]);
		i++;
	}
	free(h);
	return 0;
}

int live_warm_gemms(struct live *lv, double *seconds, struct ss_err *err)
{
	double t0 = ss_wall_seconds();
	int rc;

	if (!lv->ws || !lv->w || !lv->blas)
		return ss_error(err, SS_EINVAL,
				"live: GEMM warm-up before the executor is "
				"attached");
	if ((rc = kern_layer_warm_gemms(lv->blas, lv->ws, lv->w,
					SS_MIN(lv->ws_tokens, LIVE_WARM_DENSE),
					lv->ws_tokens, LIVE_WARM_STEP,
					lv->s_comp, err)))
		return rc;
	for (uint32_t e = 1; e <= lv->max_emit; e++)
		if ((rc = kern_linear(lv->blas, lv->d_emit_n, e, lv->m.hidden,
				      lv->lm_head, lv->m.vocab, lv->d_logits,
				      0, lv->s_comp, err))) {
			ss_error_prefix(err, "live: LM head warm-up, %u rows",
					e);
			return rc;
		}
	if ((rc = kern_stream_sync(lv->s_comp, err)))
		return rc;
	if (seconds)
		*seconds = ss_wall_seconds() - t0;
	return 0;
}

const float *live_logits(const struct live *lv, uint32_t req, uint32_t tok)
{
	if (!lv->rec || !lv->p || req >= lv->p->nreqs || !lv->rec[req] ||
	    tok >= lv->p->reqs[req].output_tokens)
		return NULL;
	return lv->rec[req] + (uint64_t)tok * lv->o.record_logits;
}

/* Free the hidden states of requests no longer mid layer-prefill. */
static void hstate_gc(struct live *lv)
{
	const struct pol *p = lv->p;

	for (size_t i = 0; i < p->nreqs; i++)
		if (lv->hstate[i] &&
		    (p->reqs[i].state != POL_RUNNING ||
		     p->reqs[i].kv_tokens >= p->reqs[i].prefill_target)) {
			kern_dev_free(lv->hstate[i]);
			lv->hstate[i] = NULL;
		}
}

/* Run layer l over the rows active there, in slices of at most the
 * workspace's rows; an item cut between slices attends, in the later
 * slice, to the KV its earlier rows appended (chunked prefill). */
static int layer_rows(struct live *lv, const struct pol_plan *plan,
		      uint32_t l, uint32_t rows, struct ss_err *err)
{
	size_t k = 0;
	uint32_t j = 0;
	int rc;

	while (k < plan->n) {
		uint32_t nrows = 0;
		int32_t *map, *pos;
		struct kern_layer_args la;
		int whole;

		lv->nact = 0;
		while (k < plan->n && nrows < lv->ws_tokens) {
			const struct pol_item *it = &plan->items[k];
			uint32_t take;

			if (!off_item_at(it, l) || j == it->q_tokens) {
				k++;
				j = 0;
				continue;
			}
			take = SS_MIN(it->q_tokens - j, lv->ws_tokens - nrows);
			if (lv->nact == lv->act_alloc &&
			    (grow2((void **)&lv->act_j0, sizeof(uint32_t),
				   (void **)&lv->act_n, sizeof(uint32_t),
				   &lv->act_alloc, lv->nact, err) ||
			     ss_grow((void **)&lv->act, &lv->act_cap,
				     lv->act_alloc, sizeof(int32_t), err) ||
			     ss_grow((void **)&lv->act_row, &lv->act_row_cap,
				     lv->act_alloc, sizeof(uint32_t), err)))
				return SS_ENOMEM;
			lv->act[lv->nact] = (int32_t)k;
			lv->act_j0[lv->nact] = j;
			lv->act_n[lv->nact] = take;
			lv->act_row[lv->nact++] = nrows;
			for (uint32_t i = 0; i < take; i++)
				lv->rowmap[nrows + i] =
					(int32_t)(lv->row0[k] + j + i);
			nrows += take;
			j += take;
		}
		if (!nrows)
			break;
		whole = nrows == rows;
		memset(&la, 0, sizeof la);
		la.blas = lv->blas;
		la.ws = lv->ws;
		la.w = lv->w;
		la.layer = l;
		la.rope = &lv->rope;
		la.n_tokens = nrows;
		la.ops = &live_attn_ops;
		la.attn_ctx = lv;
		if (whole) {
			/* every row, in order: in place */
			la.x = lv->d_x;
			la.positions = upload(lv, lv->h_pos,
					      nrows * sizeof(int32_t), err);
			if (!la.positions || up_flush(lv, err))
				return err->code;
			if ((rc = kern_layer_forward(&la, lv->s_comp, err)))
				return rc;
			continue;
		}
		pos = malloc(nrows * sizeof(int32_t));
		if (!pos)
			return ss_error(err, SS_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < nrows; i++)
			pos[i] = lv->h_pos[lv->rowmap[i]];
		la.positions = upload(lv, pos, nrows * sizeof(int32_t), err);
		free(pos);
		map = upload(lv, lv->rowmap, nrows * sizeof(int32_t), err);
		if (!la.positions || !map || up_flush(lv, err))
			return err->code;
		la.x = lv->d_xc;
		if ((rc = live_rows(lv->d_xc, lv->hidden_bytes, NULL, lv->d_x,
				    lv->hidden_bytes, map, nrows,
				    lv->hidden_bytes, lv->s_comp, err)) ||
		    (rc = kern_layer_forward(&la, lv->s_comp, err)) ||
		    (rc = live_rows(lv->d_x, lv->hidden_bytes, map, lv->d_xc,
				    lv->hidden_bytes, NULL, nrows,
				    lv->hidden_bytes, lv->s_comp, err)))
			return rc;
	}
	return 0;
}

/* ---- the selection thread ------------------------------------------------- */

/*
 * With the issue thread, the selection source also runs one layer ahead
 * of the policy: while the policy looks up layer l's selections, this
 * thread draws layer l + 1's. It draws them in the order the policy asks
 * for them (plan order, heads in order, layer by layer), so each request's
 * random draws come in the same sequence as on one thread (the source
 * draws per request, select_locality.c) and the selections are those of
 * the simulator. Layer l's go to buffer l % 2; the policy asking for layer
 * l releases the layers before it.
 */
static uint32_t *sp_arr(const struct live *lv, uint32_t layer, size_t row,
			uint32_t head, int which)
{
	return lv->sp_buf +
	       ((((uint64_t)(layer % 2) * lv->sp_rows + row) * lv->H + head) *
			3 +
		(uint64_t)which) *
		       lv->cap;
}

static uint32_t *sp_len(const struct live *lv, uint32_t layer, size_t row,
			uint32_t head)
{
	return lv->sp_cnt +
	       (((uint64_t)(layer % 2) * lv->sp_rows + row) * lv->H + head) * 3;
}

/* Draw every row's selections of one layer. */
static int sp_draw(struct live *lv, uint32_t layer, struct ss_err *err)
{
	for (size_t k = 0; k < lv->sp_rows; k++)
		for (uint32_t h = 0; h < lv->H; h++) {
			uint32_t *n = sp_len(lv, layer, k, h);
			struct sel_out o = {
				.cap = lv->cap,
				.blocks = sp_arr(lv, layer, k, h, 0),
				.added = sp_arr(lv, layer, k, h, 1),
				.removed = sp_arr(lv, layer, k, h, 2),
			};
			int rc = sel_select(&lv->inner, lv->sp_kv[k], layer, h,
					    lv->sp_step[k],
					    lv->sp_nfull[k * lv->L + layer], &o,
					    err);

			if (rc)
				return rc;
			BUG_ON(o.n > lv->cap || o.nadded > lv->cap ||
			       o.nremoved > lv->cap);
			n[0] = o.n;
			n[1] = o.nadded;
			n[2] = o.nremoved;
		}
	return 0;
}

static void *sel_thread(void *arg)
{
	struct live *lv = arg;

	pthread_mutex_lock(&lv->sp_mu);
	for (;;) {
		struct ss_err e = { 0 };
		uint32_t l;
		int rc;

		/* layer sp_next reuses the buffer of layer sp_next - 2 */
		while (!lv->sp_stop &&
		       !(lv->sp_on && !lv->sp_rc && lv->sp_next < lv->sp_l1 &&
			 lv->sp_next < lv->sp_used + 2))
			pthread_cond_wait(&lv->sp_work, &lv->sp_mu);
		if (lv->sp_stop)
			break;
		l = lv->sp_next;
		lv->sp_busy = 1;
		pthread_mutex_unlock(&lv->sp_mu);
		rc = sp_draw(lv, l, &e);
		pthread_mutex_lock(&lv->sp_mu);
		lv->sp_busy = 0;
		if (rc) { /* no layer after it is drawn */
			lv->sp_rc = rc;
			lv->sp_err = e;
			lv->sp_fail = l;
		} else {
			lv->sp_next++;
		}
		pthread_cond_broadcast(&lv->sp_idle);
	}
	pthread_mutex_unlock(&lv->sp_mu);
	return NULL;
}

/* The tee's selection from the thread's buffers (the policy's thread). */
static int sp_take(struct live *lv, int32_t req, uint32_t layer,
		   uint32_t head, uint64_t step, uint32_t nfull,
		   struct sel_out *out, struct ss_err *err)
{
	int32_t k = lv->sp_row[req];
	const uint32_t *n;
	int rc;

	/* the policy asks in the order the thread draws */
	BUG_ON(k < 0 || layer < lv->sp_l0 || layer >= lv->sp_l1 ||
	       lv->sp_step[k] != step ||
	       lv->sp_nfull[(size_t)k * lv->L + layer] != nfull ||
	       (lv->sp_cur != lv->L && layer < lv->sp_cur));
	if (layer != lv->sp_cur) {
		pthread_mutex_lock(&lv->sp_mu);
		lv->sp_used = layer;
		pthread_cond_broadcast(&lv->sp_work);
		while (lv->sp_next <= layer && !(lv->sp_rc && lv->sp_fail <= layer))
			pthread_cond_wait(&lv->sp_idle, &lv->sp_mu);
		/* a failure at a later layer is that layer's */
		rc = lv->sp_next <= layer ? lv->sp_rc : 0;
		if (rc)
			*err = lv->sp_err;
		pthread_mutex_unlock(&lv->sp_mu);
		if (rc)
			return rc;
		lv->sp_cur = layer;
	}
	n = sp_len(lv, layer, (size_t)k, head);
	BUG_ON(out->cap < n[0] || out->cap < n[1] || out->cap < n[2]);
	memcpy(out->blocks, sp_arr(lv, layer, (size_t)k, head, 0),
	       n[0] * sizeof(uint32_t));
	memcpy(out->added, sp_arr(lv, layer, (size_t)k, head, 1),
	       n[1] * sizeof(uint32_t));
	memcpy(out->removed, sp_arr(lv, layer, (size_t)k, head, 2),
	       n[2] * sizeof(uint32_t));
	out->n = n[0];
	out->nadded = n[1];
	out->nremoved = n[2];
	return 0;
}

/*
 * Before the layer loop: the rows whose selections the policy will ask
 * for (decode rows, on the layers past dsa.dense_layers), and the thread
 * started on them. Nothing to draw: the tee draws itself (sp_on 0).
 */
static int sp_begin(struct live *lv, const struct pol_plan *plan,
		    struct ss_err *err)
{
	const struct pol *p = lv->p;
	size_t rows = 0;

	if (!lv->sp_started || p->cfg.dense_layers >= lv->L)
		return 0;
	for (size_t k = 0; k < plan->n; k++)
		rows += plan->items[k].decode;
	if (!rows)
		return 0;
	if (rows > lv->sp_rows_alloc) {
		uint64_t per = (uint64_t)lv->H * 3;

		free(lv->sp_kv);
		free(lv->sp_step);
		free(lv->sp_nfull);
		free(lv->sp_buf);
		free(lv->sp_cnt);
		lv->sp_kv = malloc(rows * sizeof(int32_t));
		lv->sp_step = malloc(rows * sizeof(uint64_t));
		lv->sp_nfull = malloc(rows * lv->L * sizeof(uint32_t));
		lv->sp_buf = malloc(2 * rows * per * lv->cap * sizeof(uint32_t));
		lv->sp_cnt = malloc(2 * rows * per * sizeof(uint32_t));
		lv->sp_rows_alloc = rows;
		if (!lv->sp_kv || !lv->sp_step || !lv->sp_nfull || !lv->sp_buf ||
		    !lv->sp_cnt) {
			lv->sp_rows_alloc = 0;
			return ss_error(err, SS_ENOMEM, "out of memory");
		}
	}
	lv->sp_rows = 0;
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_req *r = &p->reqs[plan->items[k].req];
		size_t i = lv->sp_rows;

		if (!plan->items[k].decode)
			continue;
		BUG_ON(r->kv < 0 || (uint32_t)r->kv >= lv->E ||
		       lv->sp_row[r->kv] >= 0);
		lv->sp_kv[i] = r->kv;
		lv->sp_step[i] = r->dsteps;
		for (uint32_t l = 0; l < lv->L; l++)
			lv->sp_nfull[i * lv->L + l] =
				kv_req_nfull(p->off->kv, r->kv, l);
		lv->sp_row[r->kv] = (int32_t)i;
		lv->sp_rows++;
	}
	pthread_mutex_lock(&lv->sp_mu);
	lv->sp_l0 = lv->sp_next = lv->sp_used = p->cfg.dense_layers;
	lv->sp_l1 = lv->L;
	lv->sp_cur = lv->L;
	lv->sp_rc = 0;
	lv->sp_on = 1;
	pthread_cond_broadcast(&lv->sp_work);
	pthread_mutex_unlock(&lv->sp_mu);
	return 0;
}

/* After the layer loop (or its failure): the thread idle, the tee drawing
 * itself again. */
static void sp_end(struct live *lv)
{
	if (!lv->sp_on)
		return;
	pthread_mutex_lock(&lv->sp_mu);
	lv->sp_on = 0;
	while (lv->sp_busy)
		pthread_cond_wait(&lv->sp_idle, &lv->sp_mu);
	pthread_mutex_unlock(&lv->sp_mu);
	for (size_t k = 0; k < lv->sp_rows; k++)
		lv->sp_row[lv->sp_kv[k]] = -1;
	lv->sp_rows = 0;
}

/* ---- the issue thread ------------------------------------------------------ */

/* Layer lv->rb->l's GPU work: loads, table updates, kernels, saves,
 * between the layer's two events. */
static int issue_layer(struct live *lv, struct ss_err *err)
{
	uint32_t l = lv->rb->l;
	int rc;

	if ((rc = kern_event_record(lv->ev_ls[l], lv->s_comp, err)) ||
	    (lv->offload && (rc = issue_loads(lv, err))) ||
	    (rc = issue_updates(lv, err)) ||
	    (rc = layer_rows(lv, lv->plan, l, lv->it_rows, err)) ||
	    (lv->offload && (rc = issue_saves(lv, err))) ||
	    (rc = kern_event_record(lv->ev_le[l], lv->s_comp, err)))
		return rc;
	return 0;
}

static void *issue_thread(void *arg)
{
	struct live *lv = arg;

	pthread_mutex_lock(&lv->is_mu);
	for (;;) {
		struct ss_err e = { 0 };
		uint64_t k;
		int rc = 0, skip;
		double t0;

		while (lv->is_done == lv->is_posted && !lv->is_stop)
			pthread_cond_wait(&lv->is_work, &lv->is_mu);
		if (lv->is_done == lv->is_posted)
			break;
		k = lv->is_done;
		/* after an error or at teardown the jobs are only dropped */
		skip = lv->is_rc || lv->is_stop;
		pthread_mutex_unlock(&lv->is_mu);
		t0 = ss_wall_seconds();
		lv->rb = &lv->lb[k % 2];
		if (!skip)
			rc = issue_layer(lv, &e);
		lv->tot.issue_s += ss_wall_seconds() - t0;
		pthread_mutex_lock(&lv->is_mu);
		if (rc && !lv->is_rc) {
			lv->is_rc = rc;
			lv->is_err = e;
		}
		lv->is_done++;
		pthread_cond_broadcast(&lv->is_idle);
	}
	pthread_mutex_unlock(&lv->is_mu);
	return NULL;
}

/*
 * The layer in lv->wb is complete: issue it (serial), or hand it to the
 * issue thread and take the other buffer, once the job that used it last
 * is done.
 */
static int is_post(struct live *lv, struct ss_err *err)
{
	double t0;
	int rc;

	if (!lv->pipe) {
		lv->rb = lv->wb;
		return issue_layer(lv, err);
	}
	t0 = ss_wall_seconds();
	pthread_mutex_lock(&lv->is_mu);
	lv->is_posted++;
	pthread_cond_signal(&lv->is_work);
	while (lv->is_done + 1 < lv->is_posted)
		pthread_cond_wait(&lv->is_idle, &lv->is_mu);
	rc = lv->is_rc;
	if (rc)
		*err = lv->is_err;
	pthread_mutex_unlock(&lv->is_mu);
	lv->wb = &lv->lb[lv->is_posted % 2];
	lv->tot.host_wait_s += ss_wall_seconds() - t0;
	return rc;
}

/* Wait until the issue thread has issued every layer handed to it. */
static int is_drain(struct live *lv, struct ss_err *err)
{
	double t0;
	int rc;

	if (!lv->pipe)
		return 0;
	t0 = ss_wall_seconds();
	pthread_mutex_lock(&lv->is_mu);
	while (lv->is_done < lv->is_posted)
		pthread_cond_wait(&lv->is_idle, &lv->is_mu);
	rc = lv->is_rc;
	if (rc && err)
		*err = lv->is_err;
	pthread_mutex_unlock(&lv->is_mu);
	lv->tot.host_wait_s += ss_wall_seconds() - t0;
	return rc;
}

/* The layer loop: the policy's work on this thread, the GPU work issued
 * here (serial) or by the issue thread, one layer behind. */
static int layers(struct live *lv, struct pol *p, const struct pol_plan *plan,
		  struct sim_exec_result *res, struct ss_err *err)
{
	int rc = 0;

	for (uint32_t l = 0; l < lv->L; l++) {
		if (lv->offload) {
			apply_landed(lv);
			for (;;) {
				double t0;

				rc = off_layer_fetch(p, plan, l, err);
				if (rc != SS_ERANGE)
					break;
				/* a stall: let the saves in flight land */
				t0 = ss_wall_seconds();
				if ((rc = is_drain(lv, err)))
					return rc;
				if (!lv->npend && !lv->nlanded)
					return ss_error_prefix(err,
							       "live: iteration %llu, "
							       "layer %u: the batch "
							       "does not fit the HBM "
							       "cache of %u slots and "
							       "no save is in flight",
							       (unsigned long long)plan->iter,
							       l, lv->nslots);
				rc = saves_flush(lv, 0, err);
				res->stall_ns += (int64_t)((ss_wall_seconds() -
							    t0) * 1e9);
				if (rc)
					return rc;
			}
			if (rc)
				return rc;
		} else {
			for (size_t k = 0; k < plan->n; k++) {
				const struct pol_item *it = &plan->items[k];

				if (!off_item_at(it, l))
					continue;
				rc = kv_append(lv->dkv, lv->slot_of[k], l,
					       it->q_tokens, err);
				if (rc)
					return ss_error_prefix(err,
							       "live: KV append");
			}
		}
		if ((rc = layer_blocks(lv, plan, l, err)))
			return rc;
		if (lv->offload) {
			off_layer_end(p, plan, l);
			if ((rc = saves_prep(lv, err)))
				return rc;
		}
		if ((rc = is_post(lv, err)))
			return rc;
	}
	return is_drain(lv, err);
}

static int run(void *priv, struct pol *p, const struct pol_plan *plan,
	       struct sim_exec_result *res, struct ss_err *err)
{
	struct live *lv = priv;
	double t_run = ss_wall_seconds(), t_host, t_saves = 0;
	double issue0 = lv->tot.issue_s, wait0 = lv->tot.host_wait_s;
	uint64_t hits0 = 0, miss0 = 0, saves0 = 0, evict0 = 0;
	uint32_t rows = 0, emit = 0;
	int32_t *emit_rows = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	lv->plan = plan;
	lv->up_used = lv->up_flushed = 0;
	if (lv->offload) {
		hits0 = p->off->hits;
		miss0 = p->off->misses;
		saves0 = kv_dir_stats(p->off->kv)->saves_started;
		evict0 = kv_dir_stats(p->off->kv)->evictions;
	}
	hstate_gc(lv);
	if ((rc = plan_rows(lv, plan, &rows, err)) ||
	    (rc = bind_slots(lv, plan, err)))
		return rc;
	memset(lv->ld_timed, 0, lv->L);
	if ((rc = kern_event_record(lv->ev_it0, lv->s_comp, err)))
		return rc;
	/* x: synthetic embeddings of (request, position); layer-prefill
	 * rows resume their saved state instead */
	{
		uint64_t *key = malloc((rows ? rows : 1) * sizeof(uint64_t));
		const uint64_t *d_key;

		if (!key)
			return ss_error(err, SS_ENOMEM, "out of memory");
		for (size_t k = 0; k < plan->n; k++) {
			uint64_t id = p->reqs[plan->items[k].req].id;

			for (uint32_t j = 0; j < plan->items[k].q_tokens; j++)
				key[lv->row0[k] + j] =
					lv->o.seed * 0x9e3779b97f4a7c15ull ^
					(id << 24) ^
					(uint64_t)(plan->items[k].kv_prior + j);
		}
		d_key = upload(lv, key, rows * sizeof(uint64_t), err);
		free(key);
		if (!d_key || up_flush(lv, err))
			return err->code;
		if ((rc = live_embed(lv->d_x, d_key, rows, lv->m.hidden,
				     lv->s_comp, err)))
			return rc;
	}
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		BUG_ON(it->layer_lo > 0 && !lv->hstate[it->req]);
		if (it->layer_lo > 0 &&
		    (rc = kern_copy_async(lv->d_x + (uint64_t)lv->row0[k] *
							    lv->m.hidden,
					  lv->hstate[it->req] +
						  (uint64_t)it->kv_prior *
							  lv->m.hidden,
					  (uint64_t)it->q_tokens *
						  lv->hidden_bytes,
					  lv->s_comp, err)))
			return rc;
	}
	if (lv->offload)
		off_iter_begin(p);
	lv->it_rows = rows;
	if (lv->pipe) { /* idle since the last iteration's drain */
		pthread_mutex_lock(&lv->is_mu);
		BUG_ON(lv->is_done != lv->is_posted);
		lv->is_rc = 0;
		pthread_mutex_unlock(&lv->is_mu);
	}
	if (lv->offload && (rc = sp_begin(lv, plan, err)))
		return rc;
	rc = layers(lv, p, plan, res, err);
	sp_end(lv);
	if (rc) {
		is_drain(lv, NULL); /* nothing left issuing */
		return rc;
	}
	/* hidden states of layer prefills that continue next iteration */
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		const struct pol_req *r = &p->reqs[it->req];

		if (it->decode || it->layer_hi >= lv->L)
			continue;
		if (!lv->hstate[it->req] &&
		    (rc = dmalloc(lv, (void **)&lv->hstate[it->req],
				  (uint64_t)r->prefill_target *
					  lv->hidden_bytes,
				  "layer-prefill hidden state", err)))
			return rc;
		if ((rc = kern_copy_async(lv->hstate[it->req] +
						  (uint64_t)it->kv_prior *
							  lv->m.hidden,
					  lv->d_x + (uint64_t)lv->row0[k] *
							    lv->m.hidden,
					  (uint64_t)it->q_tokens *
						  lv->hidden_bytes,
					  lv->s_comp, err)))
			return rc;
	}
	/* LM head on the rows that emit a token */
	emit_rows = malloc((plan->n + 1) * sizeof(int32_t));
	if (!emit_rows)
		return ss_error(err, SS_ENOMEM, "out of memory");
	for (size_t k = 0; k < plan->n; k++)
		if (plan->items[k].emits) {
			BUG_ON(emit >= lv->max_emit); /* max_num_seqs */
			emit_rows[emit++] = (int32_t)(lv->row0[k + 1] - 1);
		}
	if (emit) {
		int32_t *d_er = upload(lv, emit_rows, emit * sizeof(int32_t), err);

		rc = !d_er || up_flush(lv, err) ? err->code
		     : live_rows(lv->d_emit, lv->hidden_bytes, NULL, lv->d_x,
				 lv->hidden_bytes, d_er, emit, lv->hidden_bytes,
				 lv->s_comp, err);
		if (!rc)
			rc = kern_rmsnorm(lv->d_emit, NULL, lv->final_norm,
					  lv->d_emit_n, emit, lv->m.hidden,
					  lv->shape.rms_eps, lv->s_comp, err);
		if (!rc)
			rc = kern_linear(lv->blas, lv->d_emit_n, emit,
					 lv->m.hidden, lv->lm_head, lv->m.vocab,
					 lv->d_logits, 0, lv->s_comp, err);
	}
	t_host = ss_wall_seconds();
	if (!rc)
		rc = kern_event_record(lv->ev_it1, lv->s_comp, err);
	if (rc || (rc = kern_stream_sync(lv->s_comp, err)) ||
	    (lv->offload && (rc = saves_tail(lv, &t_saves, err))) ||
	    (lv->o.record_logits && emit &&
	     (rc = record_logits(lv, plan, emit, err)))) {
		free(emit_rows);
		return rc;
	}
	free(emit_rows);
	lv->t_end = ss_wall_seconds();
	lv->started = 1;
	res->dur_ns = (int64_t)((lv->t_end - lv->t_begin) * 1e9);
	if (res->dur_ns <= 0)
		res->dur_ns = 1;
	lv->v_end = lv->v_begin + res->dur_ns;
	lv->tot.host_s += t_host - t_run;
	lv->tot.save_tail_s += t_saves;
	{
		float ms = 0;

		if ((rc = kern_event_elapsed_ms(lv->ev_it0, lv->ev_it1, &ms, err)))
			return rc;
		lv->tot.gpu_s += ms * 1e-3;
		res->gpu_ns = (int64_t)((double)ms * 1e6);
		for (uint32_t l = 0; l < lv->L; l++) {
			if (!lv->ld_timed[l])
				continue;
			if ((rc = kern_event_elapsed_ms(lv->ev_ld[2 * l],
							lv->ev_ld[2 * l + 1],
							&ms, err)))
				return rc;
			res->load_ns += (int64_t)(ms * 1e6);
			res->load_layers++;
		}
		lv->tot.load_s += (double)res->load_ns * 1e-9;
		/* the GPU idle between layers: each layer's first event
		 * after the last one's end */
		for (uint32_t l = 1; l < lv->L; l++) {
			if ((rc = kern_event_elapsed_ms(lv->ev_le[l - 1],
							lv->ev_ls[l], &ms, err)))
				return rc;
			if (ms > 0)
				res->gap_ns += (int64_t)((double)ms * 1e6);
		}
		lv->tot.gap_s += (double)res->gap_ns * 1e-9;
	}
	res->other_ns = (int64_t)((t_run - lv->t_begin) * 1e9);
	res->host_ns = (int64_t)((t_host - t_run) * 1e9);
	res->issue_ns = (int64_t)((lv->tot.issue_s - issue0) * 1e9);
	res->wait_ns = (int64_t)((lv->tot.host_wait_s - wait0) * 1e9);
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		if (!it->decode && it->kv_prior)
			res->gather_tokens += it->kv_prior + it->q_tokens;
	}
	if (lv->o.cost) {
		struct sim_exec_result cm;

		if ((rc = sim_exec_costmodel.run((void *)lv->o.cost, p, plan,
						 &cm, err)))
			return rc;
		res->model_ns = cm.dur_ns;
	}
	if (lv->offload) {
		struct pol_off *o = p->off;

		res->hits = o->hits - hits0;
		res->blocks_loaded = o->misses - miss0;
		res->bytes_loaded = res->blocks_loaded * o->block_bytes;
		res->blocks_saved = kv_dir_stats(o->kv)->saves_started - saves0;
		res->bytes_saved = res->blocks_saved * o->block_bytes;
		res->evictions = kv_dir_stats(o->kv)->evictions - evict0;
	}
	lv->tot.iterations++;
	lv->tot.wall_s += lv->t_end - lv->t_begin;
	lv->tot.host_plan_s += t_run - lv->t_begin;
	return 0;
}

const struct sim_exec_ops live_exec = {
	.name = "live",
	.run = run,
	.attach = attach,
	.begin = begin,
};
