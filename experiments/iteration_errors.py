#!/usr/bin/env python3
"""iteration_errors.py - where a simulated run's time differs from the live
run it models: mean iteration time of decode-only iterations by batch size,
and of iterations with prefill tokens, live against simulated (issue #7).

    iteration_errors.py LIVE.h5 SIM.h5

Both are result files of the same trace, model, policy and seed
(`sparseserve live --out` and `sparseserve sim --out`)."""
import sys

import h5py

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


if __name__ == "__main__":
    main()
