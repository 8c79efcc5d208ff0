/*
 * evq.h - the simulator's event queue: an array binary heap ordered by
 * (time_ns, seq). `seq` comes from a per-queue counter, so events at equal
 * times pop in insertion order and runs are reproducible. Events are
 * cancelled by tombstone (evq_cancel marks, evq_pop skips).
 */
#ifndef SS_EVQ_H
#define SS_EVQ_H

#include <stddef.h>
#include <stdint.h>

#include "ss.h"

struct evq_event {
	int64_t time_ns;  /* when it fires */
	uint64_t seq;     /* insertion order, tie-breaker */
	uint32_t kind;    /* caller's event kind */
	uint32_t cancelled;
	uint64_t arg;     /* caller's payload */
};

struct evq {
	struct evq_event *heap;
	size_t n, alloc;
	uint64_t next_seq;
	uint64_t pushed, popped; /* counters for speed reports */
};

void evq_init(struct evq *q);
void evq_release(struct evq *q);
/* Push an event; returns its seq (for evq_cancel) or 0 on OOM. */
uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint64_t arg);
/* Pop the earliest live event into *out; 0 if the queue is empty. */
int evq_pop(struct evq *q, struct evq_event *out);
/* Earliest live event without removing it; NULL if empty. */
const struct evq_event *evq_peek(struct evq *q);
/* Mark the event with `seq` cancelled; 1 if found. O(n). */
int evq_cancel(struct evq *q, uint64_t seq);
static inline size_t evq_size(const struct evq *q) { return q->n; }

#endif
