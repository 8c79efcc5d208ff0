#!/usr/bin/env python3
"""iteration_errors.py - where a simulated run's time differs from the live
run it models: mean iteration time of decode-only iterations by batch size,
and of iterations with prefill tokens, live against simulated (issue #7);
for decode-only batches of 1, 2 and 3, a least-squares line of the
iteration time on the KV bytes in HBM (intercept: the per-iteration cost;
slope: the time per GB of KV the attention reads each step).

    iteration_errors.py LIVE.h5 SIM.h5

Both are result files of the same trace, model, policy and seed
(`sparseserve live --out` and `sparseserve sim --out`)."""
import sys

import h5py
import numpy as np

BUCKETS = [(1, 4), (4, 8), (8, 16), (16, 24), (24, 32), (32, 1 << 30)]


def iterations(path):
    with h5py.File(path, "r") as f:
        pol = [k for k in f.keys() if "iterations" in f[k]]
        if len(pol) != 1:
            sys.exit("iteration_errors: %s: one policy expected" % path)
        return pol[0], f[pol[0] + "/iterations"][:]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pl, live = iterations(sys.argv[1])
    ps, sim = iterations(sys.argv[2])
    if pl != ps:
        sys.exit("iteration_errors: policies differ (%s, %s)" % (pl, ps))
    for name, sel in (("decode-only", lambda it: it["prefill_tokens"] == 0),
                      ("with prefill", lambda it: it["prefill_tokens"] > 0)):
        a, b = live[sel(live)], sim[sel(sim)]
        print("%s: live %d iterations, %.2f s; sim %d, %.2f s" %
              (name, len(a), a["dur_s"].sum(), len(b), b["dur_s"].sum()))
        if name == "with prefill" and len(a) and len(b):
            print("  mean %.2f ms live, %.2f ms sim (%+.1f%%); %.0f prefill "
                  "and %.0f gathered tokens an iteration (live)" %
                  (a["dur_s"].mean() * 1e3, b["dur_s"].mean() * 1e3,
                   100 * (b["dur_s"].mean() / a["dur_s"].mean() - 1),
                   a["prefill_tokens"].mean(), a["gather_tokens"].mean()))
            continue
        for lo, hi in BUCKETS:
            x = a[(a["decode_seqs"] >= lo) & (a["decode_seqs"] < hi)]
            y = b[(b["decode_seqs"] >= lo) & (b["decode_seqs"] < hi)]
            if len(x) and len(y):
                print("  batch %d-%s: %.2f ms live (%d), %.2f ms sim (%d), "
                      "%+.1f%%" % (lo, hi - 1 if hi < 1 << 30 else "",
                                   x["dur_s"].mean() * 1e3, len(x),
                                   y["dur_s"].mean() * 1e3, len(y),
                                   100 * (y["dur_s"].mean() /
                                          x["dur_s"].mean() - 1)))

    print("decode-only, time = a + b x KV in HBM (least squares):")
    for n in (1, 2, 3):
        row = []
        for it in (live, sim):
            d = it[(it["prefill_tokens"] == 0) & (it["decode_seqs"] == n)]
            if len(d) < 3:
                break
            gb = d["hbm_kv_bytes"] / 1e9
            A = np.vstack([np.ones(len(d)), gb]).T
            a, b = np.linalg.lstsq(A, d["dur_s"] * 1e3, rcond=None)[0]
            row.append((len(d), a, b, gb.mean()))
        if len(row) == 2:
            print("  batch %d: live %.3f ms + %.3f ms/GB (%d, %.2f GB), "
                  "sim %.3f + %.3f ms/GB (%d, %.2f GB)" %
                  (n, row[0][1], row[0][2], row[0][0], row[0][3],
                   row[1][1], row[1][2], row[1][0], row[1][3]))


if __name__ == "__main__":
    main()
