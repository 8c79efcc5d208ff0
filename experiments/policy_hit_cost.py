#!/usr/bin/env python3
"""policy_hit_cost.py - the offload policy thread's cost per block-head
found in HBM, run by run (experiments/results/validation-h200.md "Session
13": the cost grows with the KV cache).

    policy_hit_cost.py [--bins] RUN.h5 [RUN.h5...]

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
Needs h5py and numpy.
"""
import sys

import h5py
import numpy as np

LAYERS = 32  # both shipped long-context models


def quartiles(label, key, cost):
    """median of cost in each quartile of key, as 'mean:median' pairs"""
    q = np.quantile(key, [0, .25, .5, .75, 1])
    out = []
    for lo, hi in zip(q[:-1], q[1:]):
        s = (key >= lo) & (key <= hi)
        out.append("%.1f:%.1f" % (key[s].mean(), np.median(cost[s])))
    print("    by %s (mean:ns/hit): %s" % (label, "  ".join(out)))


def main(paths, bins):
    print("%-44s %-16s %8s %6s %12s %8s %8s" %
          ("run", "model", "kv_gb", "iters", "hits/layer", "ns/hit",
           "ns/miss"))
    for path in paths:
        with h5py.File(path, "r") as f:
            group = next(iter(f.keys()))
            it = f[group + "/iterations"][:]
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
        if bins:
            per_hit = (policy - LAYERS * c[0] - r["blocks_loaded"] * c[2]) \
                / r["hits"] * 1e9
            traffic = (r["bytes_loaded"] + r["bytes_saved"]) / r["dur_s"] / 1e9
            quartiles("hits per layer", r["hits"] / LAYERS, per_hit)
            quartiles("load+save GB/s", traffic, per_hit)


if __name__ == "__main__":
    args = sys.argv[1:]
    bins = "--bins" in args
    args = [a for a in args if a != "--bins"]
    if not args:
        sys.exit("usage: policy_hit_cost.py [--bins] RUN.h5 [RUN.h5...]")
    main(args, bins)
