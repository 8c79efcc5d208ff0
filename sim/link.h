/*
 * link.h - the shared, full-duplex host<->device link (PCIe) as a fluid
 * model of concurrent flows.
 *
 * A flow is one transfer: `bytes` in one direction (H2D or D2H). It first
 * waits `latency_ns` (setup: launch, DMA descriptor, first byte), taking no
 * bandwidth, then drains its bytes at a rate that the link recomputes every
 * time a flow joins or leaves (STYLE habit 5: bandwidth is shared, not
 * reserved). Rates are max-min fair (water-filling) under three limits:
 *   - each direction's bandwidth (bytes/s),
 *   - a cap on the sum of both directions (PCIe Gen5 on the H200: 55.3 and
 *     55.4 GB/s alone, 99.0 GB/s both at once; h200-limits.md),
 *   - each flow's own rate cap (a mechanism's ceiling: one cudaMemcpyAsync
 *     per 16 KiB block reaches 5.2 GB/s even alone on the link).
 *
 * A flow alone on the link completes at exactly
 *     start + latency_ns + ceil(bytes / min(bw, cap) in ns).
 * Times are int64 ns; a flow's finish time is rounded up to the next whole
 * ns (relative slack 1e-9 so that float noise never adds a ns). Completions
 * at equal times are reported in start order, so runs are reproducible.
 *
 * The caller owns the loop (STYLE habit 6): it asks link_next_event() for
 * the earliest time something happens on the link, and calls
 * link_advance() with that time (or any later time); completed flows are
 * reported through a callback. link_start() must not be given a time
 * earlier than the last advance, and the caller must have advanced past
 * every event before `now` (link_start checks this).
 *
 * Busy time: a direction is busy while at least one of its flows is
 * draining (setup latency alone is not busy); link_busy_ns() gives it, so
 * "PCIe busy fraction" = busy / elapsed.
 */
#ifndef SS_SIM_LINK_H
#define SS_SIM_LINK_H

#include <stdint.h>

#include "model/cost.h" /* enum link_dir */
#include "ss.h"

struct link_config {
	double bw[LINK_NDIR]; /* bytes/s each direction alone, > 0 */
	double bidir_bw;      /* bytes/s both directions together; 0 = no cap */
	int64_t latency_ns;   /* per-transfer setup time, ns, >= 0 */
};

/* One transfer; an entry of the link's flow table (read-only to callers). */
struct link_flow {
	uint64_t tag;       /* caller's value, handed back on completion */
	uint64_t bytes;     /* total bytes */
	double remaining;   /* bytes still to move */
	double rate_cap;    /* bytes/ns the mechanism allows; 0 = none */
	double rate;        /* bytes/ns now (0 during setup) */
	int64_t start_ns;   /* link_start time */
	int64_t ready_ns;   /* start_ns + latency: begins to drain */
	int64_t finish_ns;  /* predicted completion at the current rate */
	uint64_t seq;       /* start order, breaks ties */
	uint8_t dir;        /* enum link_dir */
	uint8_t state;      /* 0 free, 1 setup, 2 draining */
};

struct link {
	struct link_config cfg;
	double dir_cap[LINK_NDIR]; /* bytes/ns */
	double bidir_cap;          /* bytes/ns; +inf if none */
	struct link_flow *flows;   /* table, free entries have state 0 */
	uint32_t nflows;           /* entries in use (including free holes) */
	size_t alloc;              /* entries allocated */
	int32_t *free_ids;         /* stack of free entries */
	uint32_t nfree;
	size_t free_alloc;
	uint32_t active;           /* flows in setup or draining */
	uint64_t seq;              /* next start sequence number */
	int64_t now_ns;            /* time of the last start/advance */
	int64_t busy_ns[LINK_NDIR];   /* ns with >= 1 draining flow */
	uint64_t bytes_done[LINK_NDIR]; /* bytes of completed flows */
	uint64_t flows_done[LINK_NDIR]; /* completed flows */
};

/* Completion callback: flow `id` finished; `f` is a copy of its entry (the
 * id is already free, so the callback may start new flows). */
typedef void (*link_done_fn)(void *ctx, int32_t id, const struct link_flow *f,
			     int64_t now_ns);

/*
 * Validate `cfg` and set up an empty link at time 0. 0, or SS_EINVAL with
 * a message naming the bad field. Pair with link_release().
 */
int link_init(struct link *l, const struct link_config *cfg,
	      struct ss_err *err);
void link_release(struct link *l);

/*
 * Start a transfer of `bytes` (> 0) in `dir` at `now_ns` with an optional
 * mechanism rate cap in bytes/s (0 = only the link limits it). Returns the
 * flow id (>= 0) or a negative SS_E* code (bad argument, or `now_ns` before
 * the link's time or after an unprocessed event).
 */
int32_t link_start(struct link *l, int64_t now_ns, enum link_dir dir,
		   uint64_t bytes, double rate_cap, uint64_t tag,
		   struct ss_err *err);

/* Earliest time something changes on the link (a flow begins to drain or
 * finishes); INT64_MAX when idle. */
int64_t link_next_event(const struct link *l);

/*
 * Move the link to `now_ns`, processing every event up to and including it
 * in time order; each completed flow is reported through `done` (may be
 * NULL) in (finish time, start order) order, after the link is consistent
 * at that time (so `done` may call link_start with that time). Returns the
 * number of flows completed.
 */
uint32_t link_advance(struct link *l, int64_t now_ns, link_done_fn done,
		      void *ctx);

/* A flow's entry, or NULL if `id` is not a live flow. */
const struct link_flow *link_flow_get(const struct link *l, int32_t id);

/* Flows in flight (setup or draining). */
static inline uint32_t link_active(const struct link *l) { return l->active; }

/* ns during which `dir` had at least one draining flow, up to now. */
static inline int64_t link_busy_ns(const struct link *l, enum link_dir dir)
{
	return l->busy_ns[dir];
}

/*
 * Duration of one transfer of `bytes` alone on the link (closed form of
 * the model, for cost estimates and tests): latency + ceil(bytes / rate).
 */
int64_t link_solo_ns(const struct link *l, enum link_dir dir, uint64_t bytes,
		     double rate_cap);

#endif
