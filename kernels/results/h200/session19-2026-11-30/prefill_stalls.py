#!/usr/bin/env python3
"""prefill_stalls.py - session 19's analysis of the live executor's prefill
iterations (cuBLAS's first call of a row count) from result files'
iterations tables (sparseserve live / sim --out). Needs h5py and numpy.

    prefill_stalls.py newcounts LIVE.h5 POLICY
        prefill iterations whose row count (prefill tokens + decode
        requests, within 8) the run had not met before, against the others:
        their host time (ms), listed, and the others' median and maximum
    prefill_stalls.py excess POLICY LIVE.h5 [LIVE.h5...]
        per file, the prefill iterations' GPU window less the kernels'
        model (gpu_s - model_s, ms): median, mean, 90th percentile, maximum
    prefill_stalls.py chunks LIVE.h5 SIM.h5 POLICY
        the prefill iterations of a live run and its simulation side by
        side, in order: tokens, batch, blocks loaded, duration (ms)
    prefill_stalls.py decode POLICY LIVE.h5 [LIVE.h5...]
        per file, the median host time (ms) of decode-only iterations at
        batches 1, 2, 4 and 6
    prefill_stalls.py noprior POLICY LIVE.h5 [LIVE.h5...]
        per file, prefill iterations without earlier KV (gather_tokens 0,
        not layer-segmented), first-seen row counts left out: their
        gpu_s - model_s less the median of decode-only iterations within
        one request of their batch, per 2,048 prefill tokens (ms)
"""
import sys

import h5py
import numpy as np


def its(path, pol):
    with h5py.File(path, "r") as f:
        return f[pol + "/iterations"][:]


def first_seen(it):
    """True where the iteration's row count (within 8) is new in the run."""
    seen, out = set(), np.zeros(len(it), bool)
    for i, r in enumerate(it):
        b = (int(r["prefill_tokens"]) + int(r["decode_seqs"])) // 8
        out[i] = b not in seen
        seen.add(b)
    return out


def newcounts(path, pol):
    it = its(path, pol)
    new = first_seen(it)
    pf = it["prefill_tokens"] > 0
    hn = 1e3 * it["host_s"][pf & new]
    ho = 1e3 * it["host_s"][pf & ~new]
    print("%s: %d prefill iterations of a new row count, host ms: %s"
          % (path, len(hn), " ".join("%.1f" % h for h in hn)))
    print("  the other %d: median %.1f, max %.1f" % (len(ho), np.median(ho),
                                                     ho.max()))


def excess(pol, paths):
    for p in paths:
        it = its(p, pol)
        pf = it["prefill_tokens"] > 0
        ex = 1e3 * (it["gpu_s"] - it["model_s"])[pf]
        print("%s: %d prefill iterations, gpu - model ms: median %.2f mean "
              "%.2f p90 %.2f max %.2f" % (p, len(ex), np.median(ex), ex.mean(),
                                         np.percentile(ex, 90), ex.max()))


def chunks(live, sim, pol):
    a, b = its(live, pol), its(sim, pol)
    a = a[a["prefill_tokens"] > 0]
    b = b[b["prefill_tokens"] > 0]
    print(" k  t_live  tok_l  tok_s  b_l  b_s   blk_l   blk_s  dur_l  dur_s")
    for k in range(min(len(a), len(b))):
        x, y = a[k], b[k]
        print("%2d %7.2f %6d %6d %4d %4d %7d %7d %6.1f %6.1f"
              % (k, x["start_s"], x["prefill_tokens"], y["prefill_tokens"],
                 x["batch"], y["batch"], x["blocks_loaded"], y["blocks_loaded"],
                 1e3 * x["dur_s"], 1e3 * y["dur_s"]))


def decode(pol, paths):
    for p in paths:
        it = its(p, pol)
        dec = it["prefill_tokens"] == 0
        cells = []
        for b in (1, 2, 4, 6):
            m = dec & (it["batch"] == b)
            cells.append("b%d %.2f" % (b, 1e3 * np.median(it["host_s"][m]))
                         if m.sum() else "b%d -" % b)
        print("%s: decode host ms: %s" % (p, ", ".join(cells)))


def noprior(pol, paths):
    for p in paths:
        it = its(p, pol)
        keep = ~first_seen(it)
        keep[0] = False
        ex = 1e3 * (it["gpu_s"] - it["model_s"])
        dec = keep & (it["prefill_tokens"] == 0)
        m = (keep & (it["prefill_tokens"] > 0) & (it["gather_tokens"] == 0)
             & (it["lp_layers"] == 0))
        out = []
        for i in np.where(m)[0]:
            near = dec & (np.abs(it["batch"].astype(int)
                                 - int(it["batch"][i])) <= 1)
            if near.sum() > 3:
                out.append((ex[i] - np.median(ex[near]))
                           / max(int(it["prefill_tokens"][i]), 1) * 2048)
        if len(out) >= 3:
            print("%s: %d iterations, extra per 2,048 tokens: median %.2f ms"
                  % (p, len(out), np.median(out)))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "newcounts":
        newcounts(a[1], a[2])
    elif len(a) >= 3 and a[0] == "excess":
        excess(a[1], a[2:])
    elif len(a) == 4 and a[0] == "chunks":
        chunks(a[1], a[2], a[3])
    elif len(a) >= 3 and a[0] == "decode":
        decode(a[1], a[2:])
    elif len(a) >= 3 and a[0] == "noprior":
        noprior(a[1], a[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
