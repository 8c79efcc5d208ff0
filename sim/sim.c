/*
 * sim.c - the event loop and the cost-model executor.
 */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"

#include "banned.h"

int sim_kv_capacity(const struct cost_model *cost, const struct sim_config *cfg,
		    uint64_t *out, struct ss_err *err)
{
	/* the device total: gpu_mem_util is applied here, once */
	uint64_t hbm = hw_hbm_device_bytes(cost->hw);
	uint64_t usable = (uint64_t)((double)hbm * cfg->pol.gpu_mem_util);
	uint64_t act = cost_activation_bytes(cost, cfg->pol.max_batched_tokens);
	uint64_t need = cost->m->weight_bytes + act;
	int rc = cost_check_fit(cost, err);

	if (rc)
		return rc;
	if (usable <= need)
		return ss_error(err, SS_ERANGE,
				"model '%s' (%.1f GB weights + %.1f GB "
				"activations) leaves no KV space in %.0f%% of "
				"profile '%s' (%.1f GB HBM)",
				cost->m->name, cost->m->weight_bytes / 1e9,
				act / 1e9, cfg->pol.gpu_mem_util * 100,
				hw_profile_name(cost->hw), hbm / 1e9);
	*out = usable - need;
	if (cfg->hbm_budget_gb > 0 && (double)*out > cfg->hbm_budget_gb * 1e9)
		*out = (uint64_t)(cfg->hbm_budget_gb * 1e9);
	return 0;
}

/* Whether every item of the plan runs at every layer (all but layer-
 * segmented prefill plans). */
static int plan_all_layers(const struct pol_plan *plan, uint32_t L)
{
	for (size_t k = 0; k < plan->n; k++)
		if (!sim_item_at(&plan->items[k], 0, L) ||
		    !sim_item_at(&plan->items[k], L - 1, L))
			return 0;
	return 1;
}

/*
 * A plan whose prefill items run some layers only (layer-segmented
 * prefill, priced here for the live executor's model_s), layer by layer
 * as the offload executor prices it (sim_layer_compute), with the
 * iteration's sparse layers last.
 */
static void costmodel_layers(const struct cost_model *c,
			     const struct pol_plan *plan,
			     struct sim_exec_result *res, int64_t *exec_host)
{
	uint32_t L = c->m->layers;

	*exec_host = 0;
	for (uint32_t l = 0; l < L; l++) {
		uint64_t ptok = 0, items = 0;
		int64_t lin, attn, misc, sel;

		sim_layer_compute(c, plan, l, l >= L - plan->sparse_layers, 0,
				  &lin, &attn, &misc, &sel);
		res->linear_ns += lin;
		res->attn_ns += attn;
		res->other_ns += misc;
		res->select_ns += sel;
		for (size_t k = 0; k < plan->n; k++) {
			const struct pol_item *it = &plan->items[k];

			if (!sim_item_at(it, l, L))
				continue;
			items++;
			ptok += it->decode ? 0 : it->q_tokens;
		}
		*exec_host += cost_exec_host_ns(c, items, ptok, 0, 0, 0, 0);
	}
}

/* A plan whose items all run every layer: one layer's work times the
 * layers. */
static void costmodel_all_layers(const struct cost_model *c,
				 const struct pol_plan *plan,
				 struct sim_exec_result *res)
{
	const struct model *m = c->m;
	uint64_t tokens = (uint64_t)plan->prefill_tokens + plan->decode_seqs;
	uint32_t L = m->layers, sparse_L = plan->sparse_layers;
	int64_t prefill_attn = 0, decode_attn = 0, sel = 0;

	for (size_t k = 0; k < plan->n; k++) {
		const struct pol_item *it = &plan->items[k];

		if (!it->decode)
			prefill_attn += cost_prefill_attn_ns(c, it->q_tokens,
							     it->kv_prior);
	}
	if (plan->decode_seqs) {
		uint64_t ctx = 0, nsel = 0, sel_read = 0, short_ctx = 0;

		for (size_t k = 0; k < plan->n; k++) {
			const struct pol_item *it = &plan->items[k];

			if (!it->decode)
				continue;
			ctx += it->kv_prior + 1;
			if (it->sel_blocks) {
				nsel++;
				sel_read += it->kv_read;
			} else {
				short_ctx += it->kv_prior + 1;
			}
		}
		decode_attn = (int64_t)(L - sparse_L) *
			      cost_decode_attn_ns(c, plan->decode_seqs, ctx, 0);
		/* sparse layers: requests with blocks to select use the sparse
		 * kernel and pay the selection; shorter ones are read whole */
		if (sparse_L && nsel) {
			decode_attn += (int64_t)sparse_L *
				       cost_decode_attn_ns(c, nsel, sel_read, 1);
			sel = (int64_t)sparse_L *
			      cost_select_ns(c, nsel,
					     plan->sel_blocks * m->kv_heads);
		}
		if (sparse_L && nsel < plan->decode_seqs)
			decode_attn += (int64_t)sparse_L *
				       cost_decode_attn_ns(c,
							   plan->decode_seqs - nsel,
							   short_ctx, 0);
	}
	res->select_ns = sel;
	res->linear_ns = (int64_t)L * cost_linear_ns(c, tokens);
	res->attn_ns = (int64_t)L * prefill_attn + decode_attn;
	res->other_ns = (int64_t)L * cost_layer_misc_ns(c, tokens);
	/* the executor's own work (profiles with an executor section) */
	if (cost_has_exec(c)) {
		uint64_t gather = 0;
		int64_t host;

		for (size_t k = 0; k < plan->n; k++)
			if (!plan->items[k].decode && plan->items[k].kv_prior)
				gather += plan->items[k].kv_prior +
					  plan->items[k].q_tokens;
		res->other_ns +=
			(int64_t)(L - sparse_L) *
				cost_exec_layer_ns(c, plan->decode_seqs, 0,
						   plan->prefill_tokens, gather, 0) +
			(int64_t)sparse_L *
				cost_exec_layer_ns(c, plan->decode_seqs, 1,
						   plan->prefill_tokens, gather, 0);
		/* a layer cannot run faster than the host issues it */
		host = (int64_t)L * cost_exec_host_ns(c, plan->n, plan->prefill_tokens, 0, 0, 0, 0) -
		       (res->linear_ns + res->attn_ns + res->select_ns +
			res->other_ns);
		if (host > 0)
			res->other_ns += host;
	}
}

static int costmodel_run(void *priv, struct pol *p,
			 const struct pol_plan *plan,
			 struct sim_exec_result *res, struct ss_err *err)
{
	const struct cost_model *c = priv;
	uint64_t tokens = (uint64_t)plan->prefill_tokens + plan->decode_seqs;

	(void)err;
	(void)p;
	memset(res, 0, sizeof(*res));
	if (plan_all_layers(plan, c->m->layers)) {
		costmodel_all_layers(c, plan, res);
	} else {
		int64_t host;

		costmodel_layers(c, plan, res, &host);
		/* a layer cannot run faster than the host issues it */
		host -= res->linear_ns + res->attn_ns + res->select_ns +
			res->other_ns;
		if (cost_has_exec(c) && host > 0)
			res->other_ns += host;
	}
	res->other_ns += cost_iter_fixed_ns(c, plan->decode_seqs +
						       (plan->n - plan->decode_seqs),
					    tokens);
	res->dur_ns = res->linear_ns + res->attn_ns + res->select_ns +
		      res->other_ns;
	return 0;
}

const struct sim_exec_ops sim_exec_costmodel = {
	.name = "costmodel",
	.run = costmodel_run,
};

int sim_init(struct sim *s, const struct sim_opts *o, struct ss_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	if (!s->o.exec) {
		s->o.exec = &sim_exec_costmodel;
		s->o.exec_priv = (void *)o->cost;
	}
	rc = sim_kv_capacity(o->cost, o->cfg, &s->kv_capacity, err);
	if (rc)
		return rc;
	rc = pol_init_mem(&s->pol, o->preset, &o->cfg->pol, o->m,
			  s->kv_capacity,
			  o->dram_bytes ? o->dram_bytes
					: hw_dram_bytes(o->cost->hw),
			  o->trace->n, err);
	if (rc)
		return rc;
	if (o->exec && o->exec->attach) {
		rc = o->exec->attach(o->exec_priv, &s->pol, err);
		if (rc) {
			pol_release(&s->pol);
			return rc;
		}
	}
	if (o->preset->offload && !o->exec) {
		s->xo = sim_offload_alloc(o->cost, &s->pol, o->selection, o->seed,
					  err);
		if (!s->xo || sim_offload_configure(s->xo, o->cfg, err)) {
			sim_offload_free(s->xo);
			s->xo = NULL;
			pol_release(&s->pol);
			return err ? err->code : SS_EINVAL;
		}
		s->o.exec = &sim_exec_offload;
		s->o.exec_priv = s->xo;
	}
	pol_plan_init(&s->plan);
	evq_init(&s->q);
	if (o->trace->n &&
	    !evq_push(&s->q, o->trace->req[0].arrival_ns, SIM_EV_ARRIVAL, 0)) {
		sim_release(s);
		return ss_error(err, SS_ENOMEM, "out of memory");
	}
	return 0;
}

void sim_release(struct sim *s)
{
	sim_offload_free(s->xo);
	pol_release(&s->pol);
	pol_plan_release(&s->plan);
	evq_release(&s->q);
	free(s->iters);
	memset(s, 0, sizeof(*s));
}

static int start_iteration(struct sim *s, struct ss_err *err)
{
	struct sim_exec_result res;
	struct sim_iter_rec *rec;
	int rc;

	if (s->o.exec->begin)
		s->o.exec->begin(s->o.exec_priv, s->now);
	rc = pol_schedule(&s->pol, s->now, &s->plan, err);
	if (rc)
		return rc;
	if (s->o.cfg->check_invariants)
		pol_check(&s->pol);
	if (s->plan.n == 0)
		return 0; /* nothing could be admitted; wait for an event */
	rc = s->o.exec->run(s->o.exec_priv, &s->pol, &s->plan, &res, err);
	if (rc)
		return rc;
	if (s->o.cfg->check_invariants)
		pol_check(&s->pol);
	BUG_ON(res.dur_ns <= 0);
	s->totals.dur_ns += res.dur_ns;
	s->totals.linear_ns += res.linear_ns;
	s->totals.attn_ns += res.attn_ns;
	s->totals.select_ns += res.select_ns;
	s->totals.other_ns += res.other_ns;
	s->totals.load_ns += res.load_ns;
	s->totals.stall_ns += res.stall_ns;
	s->totals.busy_ns[LINK_H2D] += res.busy_ns[LINK_H2D];
	s->totals.busy_ns[LINK_D2H] += res.busy_ns[LINK_D2H];
	s->totals.hits += res.hits;
	s->totals.blocks_loaded += res.blocks_loaded;
	s->totals.bytes_loaded += res.bytes_loaded;
	s->totals.blocks_saved += res.blocks_saved;
	s->totals.bytes_saved += res.bytes_saved;
	if (ss_grow((void **)&s->iters, &s->iters_alloc, s->niters + 1,
		    sizeof(*s->iters), err))
		return SS_ENOMEM;
	rec = &s->iters[s->niters++];
	memset(rec, 0, sizeof(*rec));
	rec->start_ns = s->now;
	rec->dur_ns = res.dur_ns;
	rec->batch = (uint32_t)s->plan.n;
	rec->prefill_tokens = s->plan.prefill_tokens;
	rec->decode_seqs = s->plan.decode_seqs;
	rec->preempted = s->plan.preempted;
	rec->hbm_kv_bytes = s->plan.hbm_kv_bytes;
	rec->waiting = (uint32_t)s->pol.wait_len;
	rec->blocks_loaded = res.blocks_loaded;
	rec->bytes_loaded = res.bytes_loaded;
	rec->blocks_saved = res.blocks_saved;
	rec->bytes_saved = res.bytes_saved;
	rec->hits = res.hits;
	rec->evictions = res.evictions;
	rec->ws_sum = s->plan.ws_sum;
	rec->ws_budget = s->plan.ws_budget;
	rec->held_back = s->plan.held_back;
	rec->lp_layers = s->plan.lp_layers;
	rec->sparse_layers = s->plan.sparse_layers;
	if (s->plan.decode_seqs) {
		uint64_t ctx = 0;

		for (size_t k = 0; k < s->plan.n; k++)
			if (s->plan.items[k].decode)
				ctx += s->plan.items[k].kv_prior;
		rec->decode_ctx = (double)ctx / s->plan.decode_seqs;
	}
	rec->load_ns = res.load_ns;
	rec->stall_ns = res.stall_ns;
	rec->busy_ns[LINK_H2D] = res.busy_ns[LINK_H2D];
	rec->busy_ns[LINK_D2H] = res.busy_ns[LINK_D2H];
	rec->gpu_ns = res.gpu_ns;
	rec->host_ns = res.host_ns;
	rec->issue_ns = res.issue_ns;
	rec->wait_ns = res.wait_ns;
	rec->gap_ns = res.gap_ns;
	rec->model_ns = res.model_ns;
	rec->gather_tokens = res.gather_tokens;
	rec->load_layers = res.load_layers;
	/* the prefill work layer by layer, over the items that run there */
	for (uint32_t l = 0; s->plan.prefill_tokens && l < s->o.m->layers; l++) {
		int ran = 0;

		for (size_t k = 0; k < s->plan.n; k++) {
			const struct pol_item *it = &s->plan.items[k];

			if (it->decode || !sim_item_at(it, l, s->o.m->layers))
				continue;
			ran = 1;
			rec->prefill_layer_tokens += it->q_tokens;
			if (it->kv_prior)
				rec->gather_layer_tokens +=
					it->kv_prior + it->q_tokens;
		}
		rec->prefill_layers += (uint32_t)ran;
	}
	if (!evq_push(&s->q, s->now + res.dur_ns, SIM_EV_ITER_END, s->plan.iter))
		return ss_error(err, SS_ENOMEM, "out of memory");
	s->busy = 1;
	return 0;
}

int sim_step(struct sim *s, struct ss_err *err)
{
	struct evq_event ev;
	const struct trace *t = s->o.trace;

	if (!evq_pop(&s->q, &ev))
		return 0;
	BUG_ON(ev.time_ns < s->now);
	s->now = ev.time_ns;
	s->events++;
	switch (ev.kind) {
	case SIM_EV_ARRIVAL: {
		/* all requests arriving at this instant join together */
		do {
			const struct trace_request *r = &t->req[s->next_arrival];

			pol_add_request(&s->pol, (uint32_t)s->next_arrival, r->id,
					s->now, r->prompt_tokens,
					r->output_tokens, s->o.m->max_positions);
			s->next_arrival++;
		} while (s->next_arrival < t->n &&
			 t->req[s->next_arrival].arrival_ns == s->now);
		if (s->next_arrival < t->n &&
		    !evq_push(&s->q, t->req[s->next_arrival].arrival_ns,
			      SIM_EV_ARRIVAL, s->next_arrival))
			return ss_error(err, SS_ENOMEM, "out of memory");
		break;
	}
	case SIM_EV_ITER_END:
		pol_complete(&s->pol, &s->plan, s->now);
		s->busy = 0;
		break;
	default:
		BUG("unknown event kind %u", ev.kind);
	}
	/* plan only once every event of this instant is in: an arrival at
	 * the same nanosecond as an iteration end joins the next batch
	 * whichever was pushed first (vLLM adds requests, then schedules) */
	if (!s->busy && pol_has_work(&s->pol)) {
		const struct evq_event *next = evq_peek(&s->q);

		if (next && next->time_ns == s->now)
			return 1;
	}
	if (!s->busy && pol_has_work(&s->pol)) {
		int rc = start_iteration(s, err);

		if (rc)
			return rc;
	}
	return 1;
}

int sim_run(struct sim *s, struct ss_err *err)
{
	struct ss_progress prog;
	int rc;

	ss_progress_init(&prog);
	while ((rc = sim_step(s, err)) > 0) {
		if (s->o.stop && *s->o.stop) {
			rc = ss_error(err, SS_EINTR,
				      "interrupted at %.3f s of the run, %llu of "
				      "%zu requests done",
				      ss_ns_to_s(s->now),
				      (unsigned long long)(s->pol.nfinished +
							   s->pol.nrejected),
				      s->o.trace->n);
			break;
		}
		if ((s->events & 4095) == 0)
			ss_progress_update(&prog,
					   "%s: simulated %.0f s, %llu/%zu done",
					   s->o.preset->name, ss_ns_to_s(s->now),
					   (unsigned long long)(s->pol.nfinished +
								s->pol.nrejected),
					   s->o.trace->n);
	}
	ss_progress_done(&prog);
	if (rc < 0)
		return rc;
	if (s->pol.nfinished + s->pol.nrejected != s->o.trace->n)
		BUG("run ended with %zu requests unaccounted",
		    (size_t)(s->o.trace->n - s->pol.nfinished - s->pol.nrejected));
	return 0;
}
