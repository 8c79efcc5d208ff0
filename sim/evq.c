/*
 * evq.c - binary min-heap of events keyed by (time_ns, seq).
 */
#include "evq.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int before(const struct evq_event *a, const struct evq_event *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	return a->seq < b->seq;
}

void evq_init(struct evq *q)
{
	memset(q, 0, sizeof(*q));
	q->next_seq = 1;
}

void evq_release(struct evq *q)
{
	free(q->heap);
	memset(q, 0, sizeof(*q));
}

uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint64_t arg)
{
	size_t i;
	struct evq_event ev;

	if (q->n == q->alloc &&
	    ss_grow((void **)&q->heap, &q->alloc, q->n + 1, sizeof(*q->heap),
		    NULL))
		return 0;
	ev.time_ns = time_ns;
	ev.seq = q->next_seq++;
	ev.kind = kind;
	ev.cancelled = 0;
	ev.arg = arg;
	i = q->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(&ev, &q->heap[parent]))
			break;
		q->heap[i] = q->heap[parent];
		i = parent;
	}
	q->heap[i] = ev;
	q->pushed++;
	return ev.seq;
}

static void pop_top(struct evq *q)
{
	struct evq_event last = q->heap[--q->n];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct evq_event *best = &last;

		if (l < q->n && before(&q->heap[l], best)) {
			m = l;
			best = &q->heap[l];
		}
		if (r < q->n && before(&q->heap[r], best))
			m = r;
		if (m == i)
			break;
		q->heap[i] = q->heap[m];
		i = m;
	}
	if (q->n)
		q->heap[i] = last;
}

const struct evq_event *evq_peek(struct evq *q)
{
	while (q->n && q->heap[0].cancelled)
		pop_top(q);
	return q->n ? &q->heap[0] : NULL;
}

int evq_pop(struct evq *q, struct evq_event *out)
{
	if (!evq_peek(q))
		return 0;
	*out = q->heap[0];
	pop_top(q);
	q->popped++;
	return 1;
}

int evq_cancel(struct evq *q, uint64_t seq)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->heap[i].seq == seq && !q->heap[i].cancelled) {
			q->heap[i].cancelled = 1;
			return 1;
		}
	return 0;
}
