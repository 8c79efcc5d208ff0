#!/usr/bin/env python3
"""policy_forms.py - session 18: forms of the policy thread's per-hit term compared by a
least-squares replication of the executor fit's policy regression (policy / L = h3 + hits/L h4
+ misses/L h5 + one extra column), every fourth iteration held out, and each form's mean
prediction of the live points' policy time. Not the C fit (calibrate/exec_fit.c): its row
selection differs, so the MAPEs differ a little from fit-exec.txt's.

    policy_forms.py --fit RUN.h5... --points POINT.h5...

The fit files are the executor calibration runs (calibrate/results/h200/README.md, the
extraction of session 16 and, for the 54-run variant, call 3's archives); the points are live
points' HDF5 files (e.g. session 16's call2/call4 points and session 18's call2, unpacked with
xz -dc). Prints per form: held-out MAPE, coefficients (ns), and the signed error (%) of the
mean predicted policy time for each point. Needs h5py and numpy.
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                                "experiments"))
from policy_hit_cost import kv_tracked  # noqa: E402

L = 32.0


def load(path):
    with h5py.File(path, "r") as f:
        g = next(iter(f.keys()))
        it, rq = f[g + "/iterations"][:], f[g + "/requests"][:]
        summ = {k.decode(): v for k, v in f[g + "/summary"][:]}
        heads = 32 if "lwm" in f.attrs["model"].decode() else 8
    return it, rq, summ, heads


def forms(it, rq, summ, heads, use):
    r = it[use]
    kv = kv_tracked(it, rq)[use]
    live = np.maximum(r["decode_seqs"], 1)
    hits, miss = r["hits"] / L, r["blocks_loaded"] / L
    base = np.c_[np.ones(len(r)), hits, miss]
    ctx = hits * np.log2(np.maximum(kv / live / 1024, 1))
    hpl = hits * np.log2(np.maximum(hits / 1024, 1))
    cap = hits * np.log2(max(summ.get("kv_capacity_gb", 1), 1))
    return ({"cap": np.c_[base, cap], "ctx": np.c_[base, ctx],
             "dir": np.c_[base, hits * np.log2(np.maximum(kv * heads / 8192, 1))],
             "hpl": np.c_[base, hpl], "ctx+hpl": np.c_[base, ctx, hpl]},
            (r["host_s"] - r["wait_s"]) / L)


def main(fit, points):
    A, y, ho = {}, [], []
    for p in fit:
        it, rq, summ, heads = load(p)
        if "issue_s" not in it.dtype.names:
            continue
        use = (it["issue_s"] > 0) & (it["hits"] + it["blocks_loaded"] > 0)
        use[0] = False  # the cold first iteration
        if not use.any():
            continue
        f, t = forms(it, rq, summ, heads, use)
        for k in f:
            A.setdefault(k, []).append(f[k])
        y.append(t)
        ho.append(np.arange(use.sum()) % 4 == 3)
    y, ho = np.concatenate(y), np.concatenate(ho)
    for k, parts in A.items():
        m = np.concatenate(parts)
        c = np.linalg.lstsq(m[~ho], y[~ho], rcond=None)[0]
        mape = np.mean(np.abs(m[ho] @ c - y[ho]) / y[ho]) * 100
        errs = []
        for p in points:
            it, rq, summ, heads = load(p)
            use = ((it["prefill_tokens"] == 0) & (it["issue_s"] > 0) &
                   (it["hits"] > 0) & (it["stall_s"] == 0))
            f, t = forms(it, rq, summ, heads, use)
            errs.append("%+.0f" % ((np.mean(f[k] @ c) / t.mean() - 1) * 100))
        print("%-8s held-out MAPE %.1f%%  coef(ns) %s  points: %s" %
              (k, mape, np.round(c * 1e9, 1), " ".join(errs)))


if __name__ == "__main__":
    a = sys.argv[1:]
    if "--fit" not in a or "--points" not in a:
        sys.exit("usage: policy_forms.py --fit RUN.h5... --points POINT.h5...")
    i, j = a.index("--fit"), a.index("--points")
    main(a[i + 1:j] if i < j else a[i + 1:], a[j + 1:] if j > i else a[j + 1:i])
