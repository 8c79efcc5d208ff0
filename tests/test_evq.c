/* test_evq.c - event queue ordering, ties, cancellation. */
#include <gsl/gsl_rng.h>

#include "harness.h"
#include "sim/evq.h"

static void t_orders_by_time_then_seq(void)
{
	struct evq q;
	struct evq_event e;

	evq_init(&q);
	evq_push(&q, 30, 1, 0);
	evq_push(&q, 10, 1, 1);
	evq_push(&q, 10, 1, 2); /* same time: after arg 1 */
	evq_push(&q, 20, 1, 3);
	evq_push(&q, 10, 1, 4);
	uint64_t want[] = { 1, 2, 4, 3, 0 };
	for (int i = 0; i < 5; i++) {
		CHECK(evq_pop(&q, &e));
		CHECK_EQ_U64(e.arg, want[i]);
	}
	CHECK(!evq_pop(&q, &e));
	evq_release(&q);
}

static void t_random_against_sorted(void)
{
	struct evq q;
	struct evq_event e;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	int64_t last_t = -1;
	uint64_t last_seq = 0;

	gsl_rng_set(r, 7);
	evq_init(&q);
	for (int i = 0; i < 20000; i++)
		evq_push(&q, (int64_t)gsl_rng_uniform_int(r, 500), 0, (uint64_t)i);
	for (int i = 0; i < 20000; i++) {
		CHECK(evq_pop(&q, &e));
		CHECK(e.time_ns > last_t ||
		      (e.time_ns == last_t && e.seq > last_seq));
		last_t = e.time_ns;
		last_seq = e.seq;
	}
	gsl_rng_free(r);
	evq_release(&q);
}

static void t_cancel_is_skipped(void)
{
	struct evq q;
	struct evq_event e;
	uint64_t s;

	evq_init(&q);
	evq_push(&q, 5, 0, 1);
	s = evq_push(&q, 1, 0, 2);
	CHECK(evq_cancel(&q, s));
	CHECK(!evq_cancel(&q, s));
	CHECK(evq_pop(&q, &e));
	CHECK_EQ_U64(e.arg, 1);
	CHECK(!evq_pop(&q, &e));
	evq_release(&q);
}

static const struct th_case cases[] = {
	TH_CASE(t_orders_by_time_then_seq),
	TH_CASE(t_random_against_sorted),
	TH_CASE(t_cancel_is_skipped),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
