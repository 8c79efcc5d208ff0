/* test_link.c - the shared PCIe link: closed-form single transfers, fair
 * sharing, the bidirectional cap, rate caps, setup latency, hand-computed
 * completion orders and times, error paths. */
#include <math.h>
#include <string.h>

#include "harness.h"
#include "sim/link.h"

struct done_log {
	int n;
	int32_t id[64];
	uint64_t tag[64];
	int64_t t[64];
};

static void log_done(void *ctx, int32_t id, const struct link_flow *f,
		     int64_t now)
{
	struct done_log *g = ctx;

	CHECK(g->n < 64);
	g->id[g->n] = id;
	g->tag[g->n] = f->tag;
	g->t[g->n] = now;
	g->n++;
	CHECK_EQ_I64(f->finish_ns, now);
}

static void mk(struct link *l, double h2d, double d2h, double bidir,
	       int64_t lat)
{
	struct link_config c = { { h2d, d2h }, bidir, lat };
	struct ss_err e;

	CHECK_EQ_I64(link_init(l, &c, &e), 0);
}

/* Run the link to idle, logging completions. */
static void drain(struct link *l, struct done_log *g)
{
	int64_t t;

	while ((t = link_next_event(l)) != INT64_MAX)
		link_advance(l, t, log_done, g);
}

static int32_t start(struct link *l, int64_t now, enum link_dir d,
		     uint64_t bytes, double cap, uint64_t tag)
{
	struct ss_err e;
	int32_t id = link_start(l, now, d, bytes, cap, tag, &e);

	CHECK_MSG(id >= 0, "link_start: %s", e.msg);
	return id;
}

static void t_solo_exact(void)
{
	struct link l;
	struct done_log g = { 0 };

	/* 50 GB/s = 50 B/ns: 1e6 bytes drain in exactly 20,000 ns */
	mk(&l, 50e9, 50e9, 0, 1000);
	start(&l, 0, LINK_H2D, 1000000, 0, 7);
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 1);
	CHECK_EQ_U64(g.tag[0], 7);
	CHECK_EQ_I64(g.t[0], 1000 + 20000);
	CHECK_EQ_I64(link_solo_ns(&l, LINK_H2D, 1000000, 0), 21000);
	CHECK_EQ_I64(link_busy_ns(&l, LINK_H2D), 20000);
	CHECK_EQ_I64(link_busy_ns(&l, LINK_D2H), 0);
	CHECK_EQ_U64(l.bytes_done[LINK_H2D], 1000000);
	/* a non-integer duration rounds up: 1000 B at 3 B/ns = 333.3 ns */
	link_release(&l);
	mk(&l, 3e9, 3e9, 0, 5);
	g.n = 0;
	start(&l, 100, LINK_D2H, 1000, 0, 1);
	drain(&l, &g);
	CHECK_EQ_I64(g.t[0], 100 + 5 + 334);
	CHECK_EQ_I64(link_solo_ns(&l, LINK_D2H, 1000, 0), 5 + 334);
	/* the measured H200 link: 1 GiB alone at 55.3 GB/s */
	link_release(&l);
	mk(&l, 55.3e9, 55.4e9, 99.0e9, 0);
	g.n = 0;
	start(&l, 0, LINK_H2D, 1ull << 30, 0, 1);
	drain(&l, &g);
	CHECK_EQ_I64(g.t[0], (int64_t)ceil((double)(1ull << 30) / 55.3));
	link_release(&l);
}

static void t_two_flows_share(void)
{
	struct link l;
	struct done_log g = { 0 };
	int32_t a, b;

	mk(&l, 50e9, 50e9, 0, 0);
	a = start(&l, 0, LINK_H2D, 1000000, 0, 1);
	b = start(&l, 0, LINK_H2D, 2000000, 0, 2);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 25.0, 1e-12);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 25.0, 1e-12);
	/* A: 1e6 at 25 B/ns -> 40,000; B then alone: 1e6 left at 50 -> +20,000 */
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 2);
	CHECK_EQ_U64(g.tag[0], 1);
	CHECK_EQ_I64(g.t[0], 40000);
	CHECK_EQ_U64(g.tag[1], 2);
	CHECK_EQ_I64(g.t[1], 60000);
	CHECK_EQ_I64(link_busy_ns(&l, LINK_H2D), 60000);
	link_release(&l);

	/* equal flows finish together, reported in start order */
	mk(&l, 50e9, 50e9, 0, 0);
	g.n = 0;
	start(&l, 0, LINK_H2D, 1000000, 0, 11);
	start(&l, 0, LINK_H2D, 1000000, 0, 12);
	start(&l, 0, LINK_H2D, 1000000, 0, 13);
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 3);
	CHECK_EQ_U64(g.tag[0], 11);
	CHECK_EQ_U64(g.tag[1], 12);
	CHECK_EQ_U64(g.tag[2], 13);
	CHECK_EQ_I64(g.t[0], 60000);
	CHECK_EQ_I64(g.t[2], 60000);
	link_release(&l);
}

static void t_staggered_start(void)
{
	struct link l;
	struct done_log g = { 0 };

	mk(&l, 50e9, 50e9, 0, 0);
	start(&l, 0, LINK_H2D, 1000000, 0, 1);
	/* A alone for 10,000 ns moves 500,000 bytes */
	link_advance(&l, 10000, log_done, &g);
	CHECK_EQ_I64(g.n, 0);
	start(&l, 10000, LINK_H2D, 1000000, 0, 2);
	/* then 25 B/ns each: A's 500,000 take 20,000 -> 30,000; B has
	 * 500,000 left, alone at 50 B/ns: +10,000 -> 40,000 */
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 2);
	CHECK_EQ_I64(g.t[0], 30000);
	CHECK_EQ_I64(g.t[1], 40000);
	link_release(&l);
}

static void t_bidirectional_cap(void)
{
	struct link l;
	struct done_log g = { 0 };
	int32_t a, b, c;

	/* measured H200: 55.3 / 55.4 alone, 99.0 both at once */
	mk(&l, 55.3e9, 55.4e9, 99.0e9, 0);
	a = start(&l, 0, LINK_H2D, 99000000, 0, 1);
	b = start(&l, 0, LINK_D2H, 99000000, 0, 2);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 49.5, 1e-9);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 49.5, 1e-9);
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 2);
	CHECK_EQ_I64(g.t[0], 2000000); /* 99e6 B at 49.5 B/ns */
	CHECK_EQ_I64(g.t[1], 2000000);
	link_release(&l);

	/* two loads and a save: the loads fill H2D (27.65 each), the save
	 * gets what the bidirectional cap leaves: 99 - 55.3 = 43.7 */
	mk(&l, 55.3e9, 55.4e9, 99.0e9, 0);
	a = start(&l, 0, LINK_H2D, 1000000, 0, 1);
	b = start(&l, 0, LINK_H2D, 1000000, 0, 2);
	c = start(&l, 0, LINK_D2H, 1000000, 0, 3);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 27.65, 1e-9);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 27.65, 1e-9);
	CHECK_NEAR(link_flow_get(&l, c)->rate, 43.7, 1e-9);
	link_release(&l);

	/* without a bidirectional cap the directions are independent */
	mk(&l, 50e9, 50e9, 0, 0);
	a = start(&l, 0, LINK_H2D, 1000000, 0, 1);
	b = start(&l, 0, LINK_D2H, 1000000, 0, 2);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 50, 1e-12);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 50, 1e-12);
	link_release(&l);
}

static void t_rate_cap(void)
{
	struct link l;
	struct done_log g = { 0 };
	int32_t a, b;

	/* per-block memcpy capped at 5.2 GB/s: alone it still takes
	 * bytes / 5.2 */
	mk(&l, 50e9, 50e9, 0, 0);
	start(&l, 0, LINK_H2D, 5200000, 5.2e9, 1);
	drain(&l, &g);
	CHECK_EQ_I64(g.t[0], 1000000);
	CHECK_EQ_I64(link_solo_ns(&l, LINK_H2D, 5200000, 5.2e9), 1000000);
	link_release(&l);

	/* beside an uncapped flow it leaves the rest: 5.2 + 44.8 */
	mk(&l, 50e9, 50e9, 0, 0);
	g.n = 0;
	a = start(&l, 0, LINK_H2D, 5200000, 5.2e9, 1);
	b = start(&l, 0, LINK_H2D, 44800000, 0, 2);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 5.2, 1e-12);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 44.8, 1e-12);
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 2);
	CHECK_EQ_I64(g.t[0], 1000000);
	CHECK_EQ_I64(g.t[1], 1000000);
	link_release(&l);

	/* a cap above the fair share does not bind */
	mk(&l, 50e9, 50e9, 0, 0);
	a = start(&l, 0, LINK_H2D, 1000, 40e9, 1);
	b = start(&l, 0, LINK_H2D, 1000, 0, 2);
	CHECK_NEAR(link_flow_get(&l, a)->rate, 25, 1e-12);
	CHECK_NEAR(link_flow_get(&l, b)->rate, 25, 1e-12);
	link_release(&l);
}

static void t_latency_takes_no_bandwidth(void)
{
	struct link l;
	struct done_log g = { 0 };

	mk(&l, 50e9, 50e9, 0, 1000);
	start(&l, 0, LINK_H2D, 1000000, 0, 1);
	link_advance(&l, 5000, log_done, &g);
	start(&l, 5000, LINK_H2D, 1000000, 0, 2);
	/* A drains alone 1,000..6,000 (250,000 B); B joins at 6,000; A's
	 * 750,000 at 25 B/ns end at 36,000; B's last 250,000 alone: 41,000 */
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 2);
	CHECK_EQ_I64(g.t[0], 36000);
	CHECK_EQ_I64(g.t[1], 41000);
	CHECK_EQ_I64(link_busy_ns(&l, LINK_H2D), 40000);
	link_release(&l);
}

struct chain {
	struct link *l;
	int left;
	struct done_log g;
};

static void chain_done(void *ctx, int32_t id, const struct link_flow *f,
		       int64_t now)
{
	struct chain *c = ctx;

	log_done(&c->g, id, f, now);
	if (c->left-- > 0)
		CHECK(link_start(c->l, now, LINK_D2H, 500000, 0, f->tag + 1,
				 NULL) >= 0);
}

static void t_callback_starts_flows(void)
{
	struct link l;
	struct chain c = { &l, 2, { 0 } };
	int64_t t;

	mk(&l, 50e9, 50e9, 0, 100);
	start(&l, 0, LINK_D2H, 500000, 0, 1);
	while ((t = link_next_event(&l)) != INT64_MAX)
		link_advance(&l, t, chain_done, &c);
	/* each: 100 ns setup + 10,000 ns drain, back to back */
	CHECK_EQ_I64(c.g.n, 3);
	CHECK_EQ_I64(c.g.t[0], 10100);
	CHECK_EQ_I64(c.g.t[1], 20200);
	CHECK_EQ_I64(c.g.t[2], 30300);
	CHECK_EQ_U64(c.g.tag[2], 3);
	CHECK_EQ_I64(c.g.id[1], c.g.id[0]); /* the freed id is reused */
	CHECK_EQ_I64(link_busy_ns(&l, LINK_D2H), 30000);
	CHECK_EQ_U64(l.flows_done[LINK_D2H], 3);
	link_release(&l);
}

static void t_advance_past_many(void)
{
	struct link l;
	struct done_log g = { 0 };
	uint32_t n;

	mk(&l, 50e9, 50e9, 0, 0);
	start(&l, 0, LINK_H2D, 1000000, 0, 1);
	start(&l, 0, LINK_H2D, 2000000, 0, 2);
	start(&l, 0, LINK_D2H, 100000, 0, 3);
	/* one advance far ahead processes every event in order */
	n = link_advance(&l, 1000000, log_done, &g);
	CHECK_EQ_I64(n, 3);
	CHECK_EQ_U64(g.tag[0], 3);
	CHECK_EQ_I64(g.t[0], 2000);
	CHECK_EQ_I64(g.t[1], 40000);
	CHECK_EQ_I64(g.t[2], 60000);
	CHECK_EQ_I64(l.now_ns, 1000000);
	CHECK_EQ_I64(link_active(&l), 0);
	CHECK_EQ_I64(link_next_event(&l), INT64_MAX);
	link_release(&l);
}

/* Random flows: every completion no earlier than its solo time, caps
 * respected at every event, bytes conserved, and runs reproducible. */
static void run_random(int64_t *out, int nout)
{
	struct link l;
	struct done_log g = { 0 };
	uint64_t x = 12345, total = 0;
	int i;

	mk(&l, 55.3e9, 55.4e9, 99e9, 2000);
	for (i = 0; i < 40; i++) {
		int64_t now = (int64_t)i * 3000;
		uint64_t bytes;
		double cap;
		enum link_dir d;
		int64_t t;

		while ((t = link_next_event(&l)) <= now)
			link_advance(&l, t, log_done, &g);
		link_advance(&l, now, log_done, &g);
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		bytes = 16384 * (1 + (x >> 33) % 64);
		d = (x >> 20) & 1 ? LINK_D2H : LINK_H2D;
		cap = (x >> 21) & 1 ? 5.2e9 : 0;
		total += bytes;
		start(&l, now, d, bytes, cap, (uint64_t)i);
		{
			double sum[2] = { 0, 0 };
			uint32_t k;

			for (k = 0; k < l.nflows; k++)
				if (l.flows[k].state == 2) {
					sum[l.flows[k].dir] += l.flows[k].rate;
					if (l.flows[k].rate_cap > 0)
						CHECK(l.flows[k].rate <=
						      l.flows[k].rate_cap + 1e-9);
				}
			CHECK(sum[0] <= 55.3 + 1e-9 && sum[1] <= 55.4 + 1e-9);
			CHECK(sum[0] + sum[1] <= 99.0 + 1e-9);
		}
	}
	drain(&l, &g);
	CHECK_EQ_I64(g.n, 40);
	CHECK_EQ_U64(l.bytes_done[0] + l.bytes_done[1], total);
	for (i = 0; i < nout && i < g.n; i++)
		out[i] = g.t[i] * 64 + (int64_t)g.tag[i];
	link_release(&l);
}

static void t_random_reproducible(void)
{
	int64_t a[40], b[40];
	int i;

	run_random(a, 40);
	run_random(b, 40);
	for (i = 0; i < 40; i++)
		CHECK_EQ_I64(a[i], b[i]);
	for (i = 1; i < 40; i++)
		CHECK(a[i] / 64 >= a[i - 1] / 64); /* reported in time order */
}

static void t_errors(void)
{
	struct link l;
	struct link_config c = { { 50e9, 50e9 }, 0, 0 };
	struct ss_err e;

	c.bw[LINK_D2H] = 0;
	CHECK_EQ_I64(link_init(&l, &c, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "bw[d2h]");
	c.bw[LINK_D2H] = 50e9;
	c.bw[LINK_H2D] = NAN;
	CHECK_EQ_I64(link_init(&l, &c, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "bw[h2d]");
	c.bw[LINK_H2D] = 50e9;
	c.bidir_bw = -1;
	CHECK_EQ_I64(link_init(&l, &c, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "bidir_bw");
	c.bidir_bw = 0;
	c.latency_ns = -5;
	CHECK_EQ_I64(link_init(&l, &c, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "latency_ns");
	c.latency_ns = 0;
	CHECK_EQ_I64(link_init(&l, &c, &e), 0);
	CHECK_EQ_I64(link_start(&l, 0, LINK_H2D, 0, 0, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "0 bytes");
	CHECK_EQ_I64(link_start(&l, 0, LINK_H2D, 10, -1, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "rate cap");
	CHECK_EQ_I64(link_start(&l, 0, (enum link_dir)7, 10, 0, 0, &e),
		     SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "direction");
	CHECK(link_start(&l, 0, LINK_H2D, 1000, 0, 0, &e) >= 0); /* ends 20 */
	CHECK_EQ_I64(link_start(&l, 50, LINK_H2D, 10, 0, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "unprocessed link event at 20");
	link_advance(&l, 50, NULL, NULL);
	CHECK_EQ_I64(link_start(&l, 10, LINK_H2D, 10, 0, 0, &e), SS_EINVAL);
	CHECK_STR_CONTAINS(e.msg, "before the link's time 50");
	CHECK(link_flow_get(&l, 0) == NULL);
	CHECK(link_flow_get(&l, -1) == NULL);
	link_release(&l);
}

static const struct th_case cases[] = {
	TH_CASE(t_solo_exact),
	TH_CASE(t_two_flows_share),
	TH_CASE(t_staggered_start),
	TH_CASE(t_bidirectional_cap),
	TH_CASE(t_rate_cap),
	TH_CASE(t_latency_takes_no_bandwidth),
	TH_CASE(t_callback_starts_flows),
	TH_CASE(t_advance_past_many),
	TH_CASE(t_random_reproducible),
	TH_CASE(t_errors),
	{ 0 },
};

int main(int argc, char **argv) { return th_main(argc, argv, cases); }
