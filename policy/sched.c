/*
 * sched.c - the iteration scheduler shared by every executor.
 *
 * vLLM-style continuous batching with chunked prefill (vLLM v1 semantics):
 *  1. running requests first, in admission order: a decode needs one
 *     token, an unfinished prefill takes what is left of the token budget;
 *     when KV blocks run out, the most recently admitted running request is
 *     preempted by recompute (its blocks are freed and it goes back to the
 *     front of the waiting queue; its prompt and generated tokens will be
 *     prefilled again);
 *  2. then waiting requests in FCFS order while the token budget, the
 *     sequence limit and the free blocks (minus a watermark) allow; the
 *     first that does not fit stops admission (no skipping: FCFS).
 * A prefill that completes in an iteration emits a token at its end; so
 * does every decode.
 *
 * Paged KV accounting: a request holds ceil(kv_tokens / block_tokens)
 * blocks; a block covers all layers and KV heads, plus the DSA digests of
 * its full blocks when the policy is sparse (metadata counts against HBM).
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "offload.h"

#include "banned.h"

static const struct pol_preset preset_vllm = {
	.name = "vllm",
	.help = "dense attention, all KV in HBM, chunked prefill",
	.sparse = 0,
};

static const struct pol_preset preset_vllm_s = {
	.name = "vllm-s",
	.help = "DSA decode attention (top-k blocks within a token budget), "
		"all KV in HBM, chunked prefill",
	.sparse = 1,
};

static const struct pol_preset preset_vllm_so = {
	.name = "vllm-so",
	.help = "vllm-s + all KV in DRAM with an LRU block cache in HBM, "
		"one cudaMemcpyAsync per block each way (+Offload)",
	.sparse = 1,
	.offload = 1,
};

static const struct pol_preset preset_so_ft = {
	.name = "so-ft",
	.help = "vllm-so + FlashH2D loads and FlashD2H saves (+FT)",
	.sparse = 1,
	.offload = 1,
	.flash = 1,
};

static const struct pol_preset preset_so_ft_wc = {
	.name = "so-ft-wc",
	.help = "so-ft + working-set-aware batch control, Algorithm 1 (+WC)",
	.sparse = 1,
	.offload = 1,
	.flash = 1,
	.wsctl = 1,
};

static const struct pol_preset preset_sparseserve = {
	.name = "sparseserve",
	.help = "so-ft-wc + layer-segmented prefill (+LP): SparseServe",
	.sparse = 1,
	.offload = 1,
	.flash = 1,
	.wsctl = 1,
	.layer_prefill = 1,
};

const struct pol_preset *const pol_presets[] = {
	&preset_vllm,
	&preset_vllm_s,
	&preset_vllm_so,
	&preset_so_ft,
	&preset_so_ft_wc,
	&preset_sparseserve,
	NULL,
};

const struct pol_preset *pol_preset_find(const char *name)
{
	for (size_t i = 0; pol_presets[i]; i++)
		if (!strcmp(pol_presets[i]->name, name))
			return pol_presets[i];
	return NULL;
}

void pol_config_default(struct pol_config *c)
{
	memset(c, 0, sizeof(*c));
	c->block_tokens = 32;
	c->max_num_seqs = 256;
	c->max_batched_tokens = 2048;
	c->gpu_mem_util = 0.9;
	c->watermark = 0.01;
	c->token_budget = 2048;
	c->sink_blocks = 2;
	c->window_blocks = 2;
	c->dense_layers = 0;
	c->meta_frac = 0.25;
	c->ws_window = 12;
	c->max_inject = 0;
	c->ws_fresh_factor = 1.0;
	c->prefetch = 0;
	c->sample_heads = 0;
}

uint64_t pol_block_bytes(const struct pol_preset *preset,
			 const struct pol_config *cfg, const struct model *m)
{
	uint64_t kv = (uint64_t)cfg->block_tokens * m->kv_bytes_per_token;
	uint64_t digest = 0;

	if (preset->offload) /* DRAM block; digests are a separate budget */
		return kv;
	if (preset->sparse) /* 2 x head_dim values per block-head, all layers */
		digest = 2ull * m->head_dim * m->dtype_bytes * m->kv_heads *
			 m->layers;
	return kv + digest;
}

static uint64_t blocks_for(const struct pol *p, uint64_t tokens)
{
	return (tokens + p->cfg.block_tokens - 1) / p->cfg.block_tokens;
}

void pol_plan_init(struct pol_plan *plan) { memset(plan, 0, sizeof(*plan)); }

void pol_plan_release(struct pol_plan *plan)
{
	free(plan->items);
	memset(plan, 0, sizeof(*plan));
}

int pol_init(struct pol *p, const struct pol_preset *preset,
	     const struct pol_config *cfg, const struct model *m,
	     uint64_t kv_capacity_bytes, size_t nreqs, struct ss_err *err)
{
	return pol_init_mem(p, preset, cfg, m, kv_capacity_bytes, 0, nreqs,
			    err);
}

int pol_init_mem(struct pol *p, const struct pol_preset *preset,
		 const struct pol_config *cfg, const struct model *m,
		 uint64_t kv_capacity_bytes, uint64_t dram_bytes, size_t nreqs,
		 struct ss_err *err)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->preset = preset;
	p->cfg = *cfg;
	p->m = m;
	if (!cfg->block_tokens || !cfg->max_num_seqs || !cfg->max_batched_tokens)
		return ss_error(err, SS_EINVAL,
				"block_tokens, max_num_seqs and "
				"max_batched_tokens must be positive");
	p->block_bytes = pol_block_bytes(preset, cfg, m);
	p->total_blocks = kv_capacity_bytes / p->block_bytes;
	if (preset->offload)
		p->total_blocks = dram_bytes ? dram_bytes / p->block_bytes
					     : UINT32_MAX;
	if (p->total_blocks == 0)
		return ss_error(err, SS_ERANGE,
				"policy '%s': no KV block of %llu bytes fits "
				"the %llu bytes of HBM left for KV",
				preset->name,
				(unsigned long long)p->block_bytes,
				(unsigned long long)kv_capacity_bytes);
	p->free_blocks = p->total_blocks;
	p->nreqs = nreqs;
	p->reqs = calloc(nreqs ? nreqs : 1, sizeof(*p->reqs));
	p->waiting = calloc(nreqs ? nreqs : 1, sizeof(*p->waiting));
	p->running = calloc(nreqs ? nreqs : 1, sizeof(*p->running));
	p->wait_cap = nreqs ? nreqs : 1;
	if (!p->reqs || !p->waiting || !p->running) {
		pol_release(p);
		return ss_error(err, SS_ENOMEM, "out of memory for %zu requests",
				nreqs);
	}
	if (preset->offload) {
		rc = off_init(p, kv_capacity_bytes, err);
		if (rc) {
			pol_release(p);
			return rc;
		}
	}
	return 0;
}

void pol_release(struct pol *p)
{
	off_release(p);
	free(p->reqs);
	free(p->waiting);
	free(p->running);
	free(p->gaps);
	memset(p, 0, sizeof(*p));
}

static void wait_push_back(struct pol *p, uint32_t idx)
{
	BUG_ON(p->wait_len >= p->wait_cap);
	p->waiting[(p->wait_head + p->wait_len) % p->wait_cap] = idx;
	p->wait_len++;
}

static void wait_push_front(struct pol *p, uint32_t idx)
{
	BUG_ON(p->wait_len >= p->wait_cap);
	p->wait_head = (p->wait_head + p->wait_cap - 1) % p->wait_cap;
	p->waiting[p->wait_head] = idx;
	p->wait_len++;
}

static uint32_t wait_front(const struct pol *p)
{
	return p->waiting[p->wait_head];
}

static void wait_pop_front(struct pol *p)
{
	p->wait_head = (p->wait_head + 1) % p->wait_cap;
	p->wait_len--;
}

void pol_add_request(struct pol *p, uint32_t idx, uint64_t id, int64_t now,
		     uint32_t prompt_tokens, uint32_t output_tokens,
		     uint64_t max_positions)
{
	struct pol_req *r = &p->reqs[idx];

	BUG_ON(idx >= p->nreqs);
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->arrival_ns = now;
	r->prompt_tokens = prompt_tokens;
	r->output_tokens = output_tokens ? output_tokens : 1;
	r->prefill_target = prompt_tokens;
	r->first_sched_ns = r->first_token_ns = r->last_token_ns = -1;
	r->finish_ns = -1;
	r->kv = -1;
	if (max_positions &&
	    (uint64_t)prompt_tokens + r->output_tokens > max_positions) {
		r->state = POL_REJECTED;
		r->reject_reason = "longer than the model's max positions";
		p->nrejected++;
		return;
	}
	/* the last generated token is never fed back: at most
	 * prompt + output - 1 tokens ever hold KV */
	if (blocks_for(p, (uint64_t)prompt_tokens + r->output_tokens - 1) >
	    p->total_blocks) {
		r->state = POL_REJECTED;
		r->reject_reason = p->off ? "KV larger than the DRAM KV pool"
					  : "KV larger than the HBM KV capacity";
		p->nrejected++;
		return;
	}
	if (p->off && off_meta_bytes(p, (uint64_t)prompt_tokens +
						r->output_tokens) >
			      p->off->meta_budget) {
		r->state = POL_REJECTED;
		r->reject_reason = "DSA digests larger than their HBM budget";
		p->nrejected++;
		return;
	}
	r->state = POL_WAITING;
	wait_push_back(p, idx);
}

int pol_has_work(const struct pol *p)
{
	return p->wait_len > 0 || p->nrunning > 0;
}

static int plan_push(struct pol_plan *plan, const struct pol_item *it,
		     struct ss_err *err)
{
	if (plan->n == plan->alloc &&
	    ss_grow((void **)&plan->items, &plan->alloc, plan->n + 1,
		    sizeof(*plan->items), err))
		return SS_ENOMEM;
	plan->items[plan->n++] = *it;
	return 0;
}

/* Free a running request's blocks and send it back to the waiting front. */
static void preempt(struct pol *p, size_t run_pos)
{
	uint32_t idx = p->running[run_pos];
	struct pol_req *r = &p->reqs[idx];

	p->free_blocks += r->blocks;
	r->blocks = 0;
	r->kv_tokens = 0;
	/* recompute: prompt and the tokens generated so far are prefilled
	 * again, the last generated token included: the recompute prefill
	 * itself emits the next token */
	r->prefill_target = r->prompt_tokens + r->generated;
	r->preemptions++;
	p->preemptions++;
	r->state = POL_WAITING;
	memmove(&p->running[run_pos], &p->running[run_pos + 1],
		(p->nrunning - run_pos - 1) * sizeof(*p->running));
	p->nrunning--;
	wait_push_front(p, idx);
}

/* An iteration whose decode requests all fit the budget has nothing to
 * select: every layer reads them whole, by the dense kernel. */
static void no_selection_no_sparse(struct pol_plan *plan)
{
	if (!plan->sel_blocks)
		plan->sparse_layers = 0;
}

/* Decode attention work of one request under this policy. */
static void decode_work(const struct pol *p, const struct pol_req *r,
			struct pol_item *it)
{
	uint32_t ctx = r->kv_tokens + 1; /* the new token attends itself */

	it->kv_read = ctx;
	it->sel_blocks = 0;
	if (p->preset->sparse) {
		uint32_t bt = p->cfg.block_tokens;
		uint32_t full = r->kv_tokens / bt;
		uint32_t topk = p->cfg.token_budget / bt;
		uint32_t keep = topk + p->cfg.sink_blocks + p->cfg.window_blocks;
		uint32_t sel = full < keep ? full : keep;

		it->kv_read = sel * bt + (ctx - full * bt);
		/* a context within the budget has nothing to select: it is
		 * read whole, by the dense kernel (sel_blocks 0 says so) */
		it->sel_blocks = full > keep ? full : 0;
	}
}

/*
 * Plan one item of a running request under an offload preset: decode,
 * chunked prefill, or layer-segmented prefill within the token budget
 * `*budget` and the token x layer budget `*inject`. 0: nothing to run.
 */
static int offload_item(const struct pol *p, uint32_t idx, uint32_t *budget,
			uint64_t *inject, struct pol_item *it)
{
	const struct pol_req *r = &p->reqs[idx];
	uint32_t L = p->m->layers;

	memset(it, 0, sizeof(*it));
	it->req = idx;
	it->kv_prior = r->kv_tokens;
	it->layer_lo = 0;
	it->layer_hi = L;
	if (r->kv_tokens >= r->prefill_target) {
		if (*budget < 1)
			return 0;
		it->q_tokens = 1;
		it->decode = 1;
		it->emits = 1;
		decode_work(p, r, it);
		*budget -= 1;
		return 1;
	}
	if (!p->preset->layer_prefill) {
		it->q_tokens = SS_MIN(r->prefill_target - r->kv_tokens, *budget);
		if (!it->q_tokens)
			return 0;
		it->emits = r->kv_tokens + it->q_tokens >= r->prefill_target;
		*budget -= it->q_tokens;
		return 1;
	}
	/* layer-segmented: all tokens of floor(inject / P) layers, or, for
	 * a prompt longer than the whole budget, one layer chunked by
	 * tokens */
	uint64_t P = r->prefill_target;

	if (!*inject)
		return 0;
	/* a prompt that fits the whole budget waits for whole layers */
	if (r->lp_tokens == 0 && P <= p->off->max_inject && P > *inject)
		return 0;
	it->kv_prior = r->lp_tokens;
	it->layer_lo = r->lp_layers;
	if (r->lp_tokens == 0 && P <= *inject) {
		uint64_t nl = SS_MIN(*inject / P, (uint64_t)(L - r->lp_layers));

		it->q_tokens = (uint32_t)P;
		it->layer_hi = r->lp_layers + (uint32_t)nl;
		*inject -= nl * P;
	} else {
		it->q_tokens = (uint32_t)SS_MIN(P - r->lp_tokens, *inject);
		it->layer_hi = r->lp_layers + 1;
		*inject -= it->q_tokens;
	}
	it->emits = it->layer_hi == L && it->kv_prior + it->q_tokens == P;
	return 1;
}

/*
 * The offload presets' planner: Algorithm 1 of the paper.
 *  1. B_init: the vLLM FCFS candidate batch (running requests first, then
 *     waiting ones in order while the token budget, the sequence limit,
 *     the DRAM blocks and the digest budget allow; no skipping).
 *  2. Filter, with no break: a candidate is kept only if
 *     M_used + M_req <= M_avl (the HBM cache); a held-back running
 *     request stays running, a held-back waiting one stays waiting, in
 *     place. Without +WC every candidate is kept (M_req is still summed).
 *     If the filter kept nothing, the first candidate is kept anyway so
 *     the server always progresses (its layers stream through the cache).
 *  3. Admit the kept waiting candidates.
 */
static int schedule_offload(struct pol *p, int64_t now, struct pol_plan *plan,
			    struct ss_err *err)
{
	struct pol_off *o = p->off;
	uint32_t budget = p->cfg.max_batched_tokens;
	uint64_t inject = o->max_inject, free_blocks = p->free_blocks;
	uint64_t meta_free = o->meta_budget - o->meta_used, m_used = 0;
	size_t ncand, nwait_cand = 0, kept = 0;
	int rc;

	plan->ws_budget = o->cache_bytes;
	for (size_t i = 0; i < p->nrunning; i++) {
		struct pol_item it;

		if (!offload_item(p, p->running[i], &budget, &inject, &it))
			continue;
		it.ws_bytes = off_ws_bytes(p, &p->reqs[it.req], &it);
		if (plan_push(plan, &it, err))
			return SS_ENOMEM;
	}
	while (nwait_cand < p->wait_len &&
	       p->nrunning + nwait_cand < p->cfg.max_num_seqs) {
		uint32_t idx = p->waiting[(p->wait_head + nwait_cand) %
					  p->wait_cap];
		struct pol_req *r = &p->reqs[idx];
		uint64_t blocks = blocks_for(p, (uint64_t)r->prompt_tokens +
							r->output_tokens);
		uint64_t meta = off_meta_bytes(p, (uint64_t)r->prompt_tokens +
							  r->output_tokens);
		struct pol_item it;
		uint32_t b = budget;
		uint64_t inj = inject;

		if (blocks > free_blocks || meta > meta_free)
			break;
		r->kv_tokens = 0;
		r->lp_layers = r->lp_tokens = 0;
		if (!offload_item(p, idx, &b, &inj, &it))
			break;
		budget = b;
		inject = inj;
		free_blocks -= blocks;
		meta_free -= meta;
		it.ws_bytes = off_ws_bytes(p, r, &it);
		if (plan_push(plan, &it, err))
			return SS_ENOMEM;
		nwait_cand++;
	}
	ncand = plan->n;

	/* 2. the working-set filter, no break */
	for (size_t k = 0; k < ncand; k++) {
		struct pol_item *it = &plan->items[k];
		int keep = !p->preset->wsctl ||
			   m_used + it->ws_bytes <= o->cache_bytes;

		if (keep) {
			m_used += it->ws_bytes;
			plan->items[kept++] = *it;
		} else {
			plan->held_back++;
			p->reqs[it->req].held_back++;
		}
	}
	if (!kept && ncand) {
		/* progress: keep the first candidate alone (nothing was
		 * kept, so items[0] is still that candidate) */
		m_used = plan->items[0].ws_bytes;
		p->reqs[plan->items[0].req].held_back--;
		plan->held_back--;
		kept = 1;
	}
	plan->n = kept;
	plan->ws_sum = m_used;

	/* 3. admit the kept waiting candidates; the rest keep their place */
	if (nwait_cand) {
		uint32_t first[64], *cand = first;

		if (nwait_cand > SS_ARRAY_SIZE(first)) {
			cand = malloc(nwait_cand * sizeof(*cand));
			if (!cand)
				return ss_error(err, SS_ENOMEM, "out of memory");
		}
		for (size_t k = 0; k < nwait_cand; k++) {
			cand[k] = wait_front(p);
			wait_pop_front(p);
		}
		/* put the held-back ones back at the front, in order */
		for (size_t k = nwait_cand; k-- > 0;) {
			uint32_t idx = cand[k];
			int admitted = 0;

			for (size_t j = 0; j < plan->n; j++)
				if (plan->items[j].req == idx) {
					admitted = 1;
					break;
				}
			if (!admitted)
				wait_push_front(p, idx);
		}
		for (size_t k = 0; k < nwait_cand; k++) {
			uint32_t idx = cand[k];
			struct pol_req *r = &p->reqs[idx];

			if (r->state != POL_WAITING)
				continue;
			int admitted = 0;

			for (size_t j = 0; j < plan->n; j++)
				if (plan->items[j].req == idx) {
					admitted = 1;
					break;
				}
			if (!admitted)
				continue;
			rc = off_admit(p, idx, err);
			if (rc) {
				if (cand != first)
					free(cand);
				return rc;
			}
			r->blocks = (uint32_t)blocks_for(
				p, (uint64_t)r->prompt_tokens + r->output_tokens);
			p->free_blocks -= r->blocks;
			r->state = POL_RUNNING;
			if (r->first_sched_ns < 0)
				r->first_sched_ns = now;
			p->running[p->nrunning++] = idx;
		}
		if (cand != first)
			free(cand);
	}
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		if (it->decode) {
			plan->decode_seqs++;
			plan->decode_kv_read += it->kv_read;
			plan->sel_blocks += it->sel_blocks;
		} else {
			plan->prefill_tokens += it->q_tokens;
			if (p->preset->layer_prefill)
				plan->lp_layers += it->layer_hi - it->layer_lo;
		}
	}
	plan->hbm_kv_bytes = o->meta_used + kv_hbm_bytes(o->kv) * o->head_scale;
	no_selection_no_sparse(plan);
	p->iter++;
	return 0;
}

int pol_schedule(struct pol *p, int64_t now, struct pol_plan *plan,
		 struct ss_err *err)
{
	uint32_t budget = p->cfg.max_batched_tokens;
	uint64_t reserve = (uint64_t)(p->cfg.watermark * (double)p->total_blocks);
	size_t i = 0;

	plan->n = 0;
	plan->iter = p->iter;
	plan->start_ns = now;
	plan->prefill_tokens = plan->decode_seqs = plan->preempted = 0;
	plan->decode_kv_read = plan->sel_blocks = 0;
	plan->held_back = plan->lp_layers = 0;
	plan->ws_sum = plan->ws_budget = 0;
	plan->sparse_layers = p->preset->sparse
				      ? p->m->layers -
						SS_MIN(p->cfg.dense_layers, p->m->layers)
				      : 0;
	if (p->off)
		return schedule_offload(p, now, plan, err);

	/* 1. running requests, oldest admission first */
	while (i < p->nrunning) {
		uint32_t idx = p->running[i];
		struct pol_req *r = &p->reqs[idx];
		struct pol_item it = { .req = idx, .kv_prior = r->kv_tokens };
		uint64_t need_blocks;
		int self_preempted = 0;

		if (r->kv_tokens < r->prefill_target) {
			it.q_tokens = SS_MIN(r->prefill_target - r->kv_tokens,
					     budget);
			it.decode = 0;
		} else {
			it.q_tokens = 1;
			it.decode = 1;
		}
		if (it.q_tokens == 0 || it.q_tokens > budget) {
			i++;
			continue;
		}
		need_blocks = blocks_for(p, (uint64_t)r->kv_tokens + it.q_tokens);
		need_blocks = need_blocks > r->blocks ? need_blocks - r->blocks : 0;
		while (p->free_blocks < need_blocks) {
			size_t victim = p->nrunning - 1;

			plan->preempted++;
			if (victim == i) {
				preempt(p, i);
				self_preempted = 1;
				break;
			}
			preempt(p, victim);
		}
		if (self_preempted)
			continue; /* running[i] now holds the next request */
		p->free_blocks -= need_blocks;
		r->blocks += (uint32_t)need_blocks;
		if (it.decode) {
			decode_work(p, r, &it);
			plan->decode_seqs++;
			plan->decode_kv_read += it.kv_read;
			plan->sel_blocks += it.sel_blocks;
			it.emits = 1;
		} else {
			plan->prefill_tokens += it.q_tokens;
			it.emits = r->kv_tokens + it.q_tokens >= r->prefill_target;
		}
		budget -= it.q_tokens;
		if (plan_push(plan, &it, err))
			return SS_ENOMEM;
		i++;
	}

	/* 2. waiting requests, FCFS; none while preempting (vLLM v1) */
	while (!plan->preempted && p->wait_len && budget &&
	       p->nrunning < p->cfg.max_num_seqs) {
		uint32_t idx = wait_front(p);
		struct pol_req *r = &p->reqs[idx];
		struct pol_item it = { .req = idx, .kv_prior = 0 };
		uint64_t need_blocks;

		it.q_tokens = SS_MIN(r->prefill_target, budget);
		need_blocks = blocks_for(p, it.q_tokens);
		/* the watermark keeps room for running requests to grow;
		 * with nothing running there is nothing to keep room for */
		if (p->free_blocks < need_blocks ||
		    (p->nrunning && p->free_blocks - need_blocks < reserve))
			break;
		wait_pop_front(p);
		p->free_blocks -= need_blocks;
		r->blocks = (uint32_t)need_blocks;
		r->kv_tokens = 0;
		r->state = POL_RUNNING;
		if (r->first_sched_ns < 0)
			r->first_sched_ns = now;
		p->running[p->nrunning++] = idx;
		it.emits = it.q_tokens >= r->prefill_target;
		plan->prefill_tokens += it.q_tokens;
		budget -= it.q_tokens;
		if (plan_push(plan, &it, err))
			return SS_ENOMEM;
	}
	plan->hbm_kv_bytes = (p->total_blocks - p->free_blocks) * p->block_bytes;
	for (size_t k = 0; k < plan->n; k++)
		plan->items[k].layer_hi = p->m->layers;
	no_selection_no_sparse(plan);
	p->iter++;
	return 0;
}

static int gap_push(struct pol *p, uint32_t req, int64_t gap)
{
	if (p->ngaps == p->gaps_alloc &&
	    ss_grow((void **)&p->gaps, &p->gaps_alloc, p->ngaps + 1,
		    sizeof(*p->gaps), NULL))
		BUG("out of memory recording token gaps");
	p->gaps[p->ngaps].req = req;
	p->gaps[p->ngaps].gap_ns = gap;
	p->ngaps++;
	return 0;
}

static void finish(struct pol *p, uint32_t idx, int64_t now)
{
	struct pol_req *r = &p->reqs[idx];
	size_t k;

	for (k = 0; k < p->nrunning; k++)
		if (p->running[k] == idx)
			break;
	BUG_ON(k == p->nrunning);
	memmove(&p->running[k], &p->running[k + 1],
		(p->nrunning - k - 1) * sizeof(*p->running));
	p->nrunning--;
	p->free_blocks += r->blocks;
	r->blocks = 0;
	if (p->off)
		off_finish(p, idx);
	r->state = POL_FINISHED;
	r->finish_ns = now;
	p->nfinished++;
}

void pol_complete(struct pol *p, const struct pol_plan *plan, int64_t now)
{
	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];
		struct pol_req *r = &p->reqs[it->req];

		if (r->state != POL_RUNNING)
			continue; /* preempted after being planned: cannot happen */
		if (p->preset->layer_prefill && !it->decode) {
			/* layer-segmented: whole layers, or a token chunk of one */
			if (it->kv_prior + it->q_tokens < r->prefill_target) {
				r->lp_tokens = it->kv_prior + it->q_tokens;
			} else {
				r->lp_tokens = 0;
				r->lp_layers = it->layer_hi;
			}
			if (r->lp_layers == p->m->layers)
				r->kv_tokens = r->prefill_target;
		} else {
			r->kv_tokens += it->q_tokens;
		}
		if (it->decode)
			r->dsteps++;
		if (!it->emits)
			continue;
		if (r->first_token_ns < 0) {
			r->first_token_ns = now;
		} else {
			int64_t gap = now - r->last_token_ns;

			r->sum_tbt_ns += gap;
			if (gap > r->max_tbt_ns)
				r->max_tbt_ns = gap;
			gap_push(p, it->req, gap);
		}
		r->last_token_ns = now;
		r->generated++;
		if (r->generated >= r->output_tokens)
			finish(p, it->req, now);
	}
}

void pol_check(const struct pol *p)
{
	uint64_t used = 0;

	BUG_ON(p->free_blocks > p->total_blocks);
	for (size_t k = 0; k < p->nrunning; k++) {
		const struct pol_req *r = &p->reqs[p->running[k]];

		BUG_ON(r->state != POL_RUNNING);
		BUG_ON(r->blocks < blocks_for(p, r->kv_tokens));
		used += r->blocks;
	}
	for (size_t k = 0; k < p->wait_len; k++) {
		const struct pol_req *r =
			&p->reqs[p->waiting[(p->wait_head + k) % p->wait_cap]];
		BUG_ON(r->state != POL_WAITING || r->blocks != 0);
	}
	BUG_ON(used + p->free_blocks != p->total_blocks);
	BUG_ON(used * p->block_bytes > p->total_blocks * p->block_bytes);
	if (p->off) {
		struct ss_err err;
		uint64_t meta = 0;

		for (size_t k = 0; k < p->nrunning; k++)
			meta += p->reqs[p->running[k]].meta_bytes;
		BUG_ON(meta != p->off->meta_used);
		BUG_ON(p->off->meta_used > p->off->meta_budget);
		if (kv_dir_check(p->off->kv, &err))
			BUG("KV directory: %s", err.msg);
	}
}
