/*
 * link.c - fluid model of the shared, full-duplex PCIe link.
 *
 * Flows live in one table with a free-id stack (grown only when more flows
 * are in flight than ever before, so no allocation in steady state). Rates
 * are recomputed by progressive filling whenever the set of draining flows
 * changes; a handful of flows are in flight at a time, so the O(n^2)
 * filling and the O(n) event scan cost less than a heap would.
 */
#include "link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum { FLOW_FREE = 0, FLOW_SETUP = 1, FLOW_DRAIN = 2, FLOW_DONE = 3 };

int link_init(struct link *l, const struct link_config *cfg,
	      struct ss_err *err)
{
	int d;

	memset(l, 0, sizeof(*l));
	for (d = 0; d < LINK_NDIR; d++)
		if (!(cfg->bw[d] > 0) || !isfinite(cfg->bw[d]))
			return ss_error(err, SS_EINVAL,
					"link: field 'bw[%s]': must be a positive bandwidth in bytes/s, got %g",
					d == LINK_H2D ? "h2d" : "d2h", cfg->bw[d]);
	if (!(cfg->bidir_bw >= 0) || !isfinite(cfg->bidir_bw))
		return ss_error(err, SS_EINVAL,
				"link: field 'bidir_bw': must be >= 0 bytes/s (0 = no cap), got %g",
				cfg->bidir_bw);
	if (cfg->latency_ns < 0)
		return ss_error(err, SS_EINVAL,
				"link: field 'latency_ns': must be >= 0, got %lld",
				(long long)cfg->latency_ns);
	l->cfg = *cfg;
	for (d = 0; d < LINK_NDIR; d++)
		l->dir_cap[d] = cfg->bw[d] / 1e9;
	l->bidir_cap = cfg->bidir_bw > 0 ? cfg->bidir_bw / 1e9 : INFINITY;
	return 0;
}

void link_release(struct link *l)
{
	free(l->flows);
	free(l->free_ids);
	memset(l, 0, sizeof(*l));
}

/* ns to drain `remaining` bytes at `rate` bytes/ns, rounded up. */
static int64_t drain_ns(double remaining, double rate)
{
	double x;

	if (remaining <= 0)
		return 0;
	x = remaining / rate;
	/* the slack keeps float noise in `remaining` from adding a whole ns */
	x = ceil(x - x * 1e-9 - 1e-9);
	return x > 0 ? (int64_t)x : 0;
}

/* Drain every flow from l->now_ns to t at its current rate. */
static void progress(struct link *l, int64_t t)
{
	int64_t dt = t - l->now_ns;
	int busy[LINK_NDIR] = { 0, 0 };
	uint32_t i;

	BUG_ON(dt < 0);
	if (!dt)
		return;
	for (i = 0; i < l->nflows; i++) {
		struct link_flow *f = &l->flows[i];

		if (f->state != FLOW_DRAIN)
			continue;
		busy[f->dir] = 1;
		f->remaining -= f->rate * (double)dt;
		if (f->remaining < 0)
			f->remaining = 0;
	}
	l->busy_ns[LINK_H2D] += busy[LINK_H2D] ? dt : 0;
	l->busy_ns[LINK_D2H] += busy[LINK_D2H] ? dt : 0;
	l->now_ns = t;
}

/*
 * Max-min fair rates by progressive filling: every unfrozen flow has the
 * same rate `level`; raise it until a direction, the bidirectional cap or
 * a flow's own cap binds, freeze the flows that constraint covers, repeat.
 */
static void recompute(struct link *l)
{
	double frozen_dir[LINK_NDIR] = { 0, 0 }, frozen_all = 0;
	uint32_t i;

	for (i = 0; i < l->nflows; i++)
		if (l->flows[i].state == FLOW_DRAIN)
			l->flows[i].rate = -1; /* unfrozen */
	for (;;) {
		uint32_t n[LINK_NDIR] = { 0, 0 };
		double lim = INFINITY, mincap = INFINITY, v;
		int which = -1; /* dir, 2 = bidir, 3 = flow cap */
		int d;

		for (i = 0; i < l->nflows; i++) {
			const struct link_flow *f = &l->flows[i];

			if (f->state != FLOW_DRAIN || f->rate >= 0)
				continue;
			n[f->dir]++;
			if (f->rate_cap > 0 && f->rate_cap < mincap)
				mincap = f->rate_cap;
		}
		if (!n[0] && !n[1])
			break;
		for (d = 0; d < LINK_NDIR; d++) {
			if (!n[d])
				continue;
			v = (l->dir_cap[d] - frozen_dir[d]) / n[d];
			if (v < lim) {
				lim = v;
				which = d;
			}
		}
		v = (l->bidir_cap - frozen_all) / (n[0] + n[1]);
		if (v < lim) {
			lim = v;
			which = 2;
		}
		if (mincap <= lim) {
			lim = mincap;
			which = 3;
		}
		if (lim < 0)
			lim = 0;
		for (i = 0; i < l->nflows; i++) {
			struct link_flow *f = &l->flows[i];
			int freeze;

			if (f->state != FLOW_DRAIN || f->rate >= 0)
				continue;
			if (which == 3)
				freeze = f->rate_cap > 0 && f->rate_cap <= lim;
			else if (which == 2)
				freeze = 1;
			else
				freeze = f->dir == which;
			if (!freeze)
				continue;
			f->rate = lim;
			frozen_dir[f->dir] += lim;
			frozen_all += lim;
		}
	}
	for (i = 0; i < l->nflows; i++) {
		struct link_flow *f = &l->flows[i];

		if (f->state != FLOW_DRAIN)
			continue;
		BUG_ON(!(f->rate > 0));
		f->finish_ns = l->now_ns + drain_ns(f->remaining, f->rate);
	}
}

int64_t link_next_event(const struct link *l)
{
	int64_t t = INT64_MAX;
	uint32_t i;

	for (i = 0; i < l->nflows; i++) {
		const struct link_flow *f = &l->flows[i];

		if (f->state == FLOW_SETUP && f->ready_ns < t)
			t = f->ready_ns;
		else if (f->state == FLOW_DRAIN && f->finish_ns < t)
			t = f->finish_ns;
	}
	return t;
}

int64_t link_solo_ns(const struct link *l, enum link_dir dir, uint64_t bytes,
		     double rate_cap)
{
	double rate = l->dir_cap[dir];

	if (l->bidir_cap < rate)
		rate = l->bidir_cap;
	if (rate_cap > 0 && rate_cap / 1e9 < rate)
		rate = rate_cap / 1e9;
	return l->cfg.latency_ns + drain_ns((double)bytes, rate);
}

int32_t link_start(struct link *l, int64_t now_ns, enum link_dir dir,
		   uint64_t bytes, double rate_cap, uint64_t tag,
		   struct ss_err *err)
{
	struct link_flow *f;
	int32_t id;
	int64_t next;

	if (dir != LINK_H2D && dir != LINK_D2H)
		return ss_error(err, SS_EINVAL, "link_start: bad direction %d",
				(int)dir);
	if (!bytes)
		return ss_error(err, SS_EINVAL,
				"link_start: transfer of 0 bytes");
	if (!(rate_cap >= 0) || !isfinite(rate_cap))
		return ss_error(err, SS_EINVAL,
				"link_start: rate cap must be >= 0 bytes/s, got %g",
				rate_cap);
	if (now_ns < l->now_ns)
		return ss_error(err, SS_EINVAL,
				"link_start: time %lld ns is before the link's time %lld ns",
				(long long)now_ns, (long long)l->now_ns);
	next = link_next_event(l);
	if (now_ns > next)
		return ss_error(err, SS_EINVAL,
				"link_start: time %lld ns is after an unprocessed link event at %lld ns (call link_advance first)",
				(long long)now_ns, (long long)next);
	if (l->nfree) {
		id = l->free_ids[--l->nfree];
	} else {
		int rc = ss_grow((void **)&l->flows, &l->alloc, l->nflows + 1,
				 sizeof(*l->flows), err);
		if (rc)
			return rc;
		rc = ss_grow((void **)&l->free_ids, &l->free_alloc, l->alloc,
			     sizeof(*l->free_ids), err);
		if (rc)
			return rc;
		id = (int32_t)l->nflows++;
	}
	progress(l, now_ns);
	f = &l->flows[id];
	memset(f, 0, sizeof(*f));
	f->tag = tag;
	f->bytes = bytes;
	f->remaining = (double)bytes;
	f->rate_cap = rate_cap / 1e9;
	f->start_ns = now_ns;
	f->ready_ns = now_ns + l->cfg.latency_ns;
	f->seq = l->seq++;
	f->dir = (uint8_t)dir;
	f->state = FLOW_SETUP;
	l->active++;
	if (f->ready_ns == now_ns) {
		f->state = FLOW_DRAIN;
		recompute(l);
	}
	return id;
}

uint32_t link_advance(struct link *l, int64_t now_ns, link_done_fn done,
		      void *ctx)
{
	uint32_t ndone = 0, i;

	BUG_ON(now_ns < l->now_ns);
	for (;;) {
		int64_t e = link_next_event(l);
		int changed = 0;

		if (e > now_ns)
			break;
		progress(l, e);
		for (i = 0; i < l->nflows; i++) {
			struct link_flow *f = &l->flows[i];

			if (f->state == FLOW_DRAIN && f->finish_ns <= e) {
				f->state = FLOW_DONE;
				f->remaining = 0;
				f->rate = 0;
				changed = 1;
			} else if (f->state == FLOW_SETUP && f->ready_ns <= e) {
				f->state = FLOW_DRAIN;
				changed = 1;
			}
		}
		if (changed)
			recompute(l);
		/* report completions in start order; entries freed after */
		for (;;) {
			int32_t best = -1;

			for (i = 0; i < l->nflows; i++)
				if (l->flows[i].state == FLOW_DONE &&
				    (best < 0 ||
				     l->flows[i].seq < l->flows[best].seq))
					best = (int32_t)i;
			if (best < 0)
				break;
			{
				struct link_flow f = l->flows[best];

				l->bytes_done[f.dir] += f.bytes;
				l->flows_done[f.dir]++;
				l->active--;
				ndone++;
				f.finish_ns = e;
				l->flows[best].state = FLOW_FREE;
				l->free_ids[l->nfree++] = best;
				/* a copy: `done` may start flows that reuse the id */
				if (done)
					done(ctx, best, &f, e);
			}
		}
	}
	progress(l, now_ns);
	return ndone;
}

const struct link_flow *link_flow_get(const struct link *l, int32_t id)
{
	if (id < 0 || (uint32_t)id >= l->nflows ||
	    l->flows[id].state == FLOW_FREE)
		return NULL;
	return &l->flows[id];
}
