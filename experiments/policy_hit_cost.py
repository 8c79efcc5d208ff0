#!/usr/bin/env python3
"""policy_hit_cost.py - the offload policy thread's cost per block-head
found in HBM, run by run (experiments/results/validation-h200.md "Session
13"; calibrate/results/h200/README.md "Session 18": the profile prices it
by the requests' context).

    policy_hit_cost.py [--bins] [--tracked] [--time] [--evictions] RUN.h5 [RUN.h5...]

For each live result file (sparseserve live --out) of an offload policy run
with the issue thread: its decode iterations without a stall, and the least
squares of the policy thread's time (host_s - wait_s) on the model's layers,
the block-heads found (hits) and the block-heads loaded (misses). Prints the
model, the run's KV capacity (summary kv_capacity_gb), the iterations used,
the mean hits a layer and the fitted ns per hit and per miss. Runs with
fewer than 20 such iterations are skipped. --bins: each run's iterations
also in quartiles of hits per layer and of load and save traffic (GB/s
during the iteration), with the median cost per hit in each once the fitted
per-layer and per-miss parts are taken off (session 14: flat within a run).
--tracked: each run's iterations in quintiles of the KV tokens the
directory tracks at the iteration's start (live requests, from their first
token to their finish or, unfinished, the run's end: prompt plus the tokens
generated so far, taken as linear in time), with the policy thread's time
over the hits in each ("raw"), and the same once the run's fitted
per-layer and per-miss parts are taken off ("per hit"; loads grow with the
KV tracked). Session 17: on LWM-7B the raw figure grows within a run and
the per-hit one does not; both are higher under an HBM cap than with the
full HBM at the same KV tracked.
--time: each run's iterations in fifths by their order, the per-hit figure
in each and the most KV held in HBM (session 17: on LWM-7B both the capped
and the full-HBM run grow by about 15 ns over the run, the capped one
about 14 ns dearer throughout).
--evictions: for runs whose iterations table records `evictions` (slots the
replacement policy reclaimed; session 17 on): the least squares with a
fourth term per eviction, the per-hit figure of the iterations with and
without evictions, and by quintiles of the slots reclaimed so far (session
18: the capped LWM-7B runs pay 330-470 ns an eviction, but their cost per
hit does not grow with the slots recycled).
Needs h5py and numpy.
"""
import sys

import h5py
import numpy as np

LAYERS = 32  # both shipped long-context models


def bins_of(key, n):
    """masks of key's n quantile bins, each value in exactly one"""
    q = np.quantile(key, np.linspace(0, 1, n + 1))
    return [(key >= lo) & ((key < hi) if i < n - 1 else (key <= hi))
            for i, (lo, hi) in enumerate(zip(q[:-1], q[1:]))]


def quartiles(label, key, cost):
    """median of cost in each quartile of key, as 'mean:median' pairs"""
    out = ["%.1f:%.1f" % (key[s].mean(), np.median(cost[s]))
           for s in bins_of(key, 4) if s.any()]
    print("    by %s (mean:ns/hit): %s" % (label, "  ".join(out)))


def kv_tracked(it, rq):
    """KV tokens of the live requests at each iteration's start"""
    t = it["start_s"]
    end = (it["start_s"] + it["dur_s"]).max()
    kv = np.zeros(len(it))
    for q in rq:
        a, b = q["first_token_s"], q["finish_s"]
        if np.isnan(b) and a >= 0:
            b = end  # unfinished: tracked to the run's end
        if not b > a:
            continue
        m = (t >= a) & (t < b)
        kv[m] += q["prompt_tokens"] + q["generated"] * (t[m] - a) / (b - a)
    return kv


def evictions_view(it, use, r, policy, rest):
    """the per-eviction fit and the per-hit figure against evictions"""
    if "evictions" not in r.dtype.names:
        print("    evictions: not recorded in this file")
        return
    ev = r["evictions"].astype(float)
    x = np.c_[np.full(len(r), float(LAYERS)), r["hits"], r["blocks_loaded"],
              ev]
    c = np.linalg.lstsq(x, policy, rcond=None)[0]
    print("    evictions: %d in the run, %d in these iterations; with a term "
          "per eviction: %.1f ns/hit %.1f ns/miss %.1f ns/eviction" %
          (it["evictions"].sum(), ev.sum(), c[1] * 1e9, c[2] * 1e9,
           c[3] * 1e9))
    per_hit = rest / r["hits"] * 1e9
    some = ev > 0
    print("    per hit (median ns): %d iterations without evictions %.1f, "
          "%d with %.1f" %
          ((~some).sum(), np.median(per_hit[~some]) if (~some).any() else
           np.nan, some.sum(),
           np.median(per_hit[some]) if some.any() else np.nan))
    if not some.any():
        return
    done = np.cumsum(it["evictions"].astype(float))[use]
    out = ["%.2fM:%.1f" % (done[s].mean() / 1e6, np.median(per_hit[s]))
           for s in bins_of(done, 5) if s.any()]
    print("    by slots reclaimed so far (mean:median per-hit ns): %s" %
          "  ".join(out))


def main(paths, bins, tracked, time, evictions):
    print("%-44s %-16s %8s %6s %12s %8s %8s" %
          ("run", "model", "kv_gb", "iters", "hits/layer", "ns/hit",
           "ns/miss"))
    for path in paths:
        with h5py.File(path, "r") as f:
            group = next(iter(f.keys()))
            it = f[group + "/iterations"][:]
            rq = f[group + "/requests"][:]
            summ = {k.decode(): v for k, v in f[group + "/summary"][:]}
            model = f.attrs["model"].decode()
        if "issue_s" not in it.dtype.names:
            continue
        use = ((it["prefill_tokens"] == 0) & (it["issue_s"] > 0) &
               (it["hits"] > 0) & (it["stall_s"] == 0))
        r = it[use]
        if len(r) < 20:
            continue
        policy = r["host_s"] - r["wait_s"]
        x = np.c_[np.full(len(r), float(LAYERS)), r["hits"],
                  r["blocks_loaded"]]
        c = np.linalg.lstsq(x, policy, rcond=None)[0]
        print("%-44s %-16s %8.1f %6d %12.0f %8.1f %8.1f" %
              (path[-44:], model, summ.get("kv_capacity_gb", 0), len(r),
               r["hits"].mean() / LAYERS, c[1] * 1e9, c[2] * 1e9))
        # the policy thread's time less the fitted per-layer and per-miss
        # parts: what the hits cost
        rest = policy - LAYERS * c[0] - r["blocks_loaded"] * c[2]
        if bins:
            per_hit = rest / r["hits"] * 1e9
            traffic = (r["bytes_loaded"] + r["bytes_saved"]) / r["dur_s"] / 1e9
            quartiles("hits per layer", r["hits"] / LAYERS, per_hit)
            quartiles("load+save GB/s", traffic, per_hit)
        if tracked:
            kv = kv_tracked(it, rq)[use]
            out = ["%.0fk:%.1f/%.1f" % (kv[s].mean() / 1e3,
                                        policy[s].sum() / r["hits"][s].sum()
                                        * 1e9,
                                        rest[s].sum() / r["hits"][s].sum()
                                        * 1e9)
                   for s in bins_of(kv, 5) if s.any()]
            print("    by KV tokens tracked (mean:raw/per-hit ns): %s" %
                  "  ".join(out))
        if evictions:
            evictions_view(it, use, r, policy, rest)
        if time:
            out = ["%.0fs:%.1f/%.1fGB" % (r["start_s"][i[0]],
                                          rest[i].sum() / r["hits"][i].sum()
                                          * 1e9,
                                          r["hbm_kv_bytes"][i].max() / 1e9)
                   for i in np.array_split(np.arange(len(r)), 5)]
            print("    by fifth of the run (start:per-hit ns/most KV in HBM): %s"
                  % "  ".join(out))


if __name__ == "__main__":
    args = sys.argv[1:]
    bins = "--bins" in args
    tracked = "--tracked" in args
    time = "--time" in args
    evictions = "--evictions" in args
    args = [a for a in args
            if a not in ("--bins", "--tracked", "--time", "--evictions")]
    if not args:
        sys.exit("usage: policy_hit_cost.py [--bins] [--tracked] [--time] "
                 "[--evictions] RUN.h5 [RUN.h5...]")
    main(args, bins, tracked, time, evictions)
