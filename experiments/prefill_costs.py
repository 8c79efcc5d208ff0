#!/usr/bin/env python3
"""prefill_costs.py - what the executor's offload runs spend beyond the cost
model's kernels, where the simulator was short in session 12
(experiments/results/validation-h200.md "Session 12").

    prefill_costs.py RUN.h5 [RUN.h5...]

Over live result files (sparseserve live --out; files written since session
12 carry prefill_layers and bytes_saved per iteration), pooled:
  - the cold first iteration of each run against the median of the later
    iterations of the same plan (prefill tokens, layers, decode requests);
  - layer-segmented prefill iterations: the GPU window above the kernels'
    estimate and the loads (gpu_s - model_s - load_s) and the issue
    thread's time, for the first such iteration of a prompt (the previous
    iteration had no prefill) and for the others, with their mean layers;
  - iterations with prefill under offload: wall - GPU window (the close
    after the saves land), and its R^2 against the last layer's share of
    the saves (bytes_saved / prefill layers);
  - decode iterations under offload by batch: the policy thread's time
    (host_s - wait_s) per block-head found in HBM, and the share of them in
    which it reached 95% of the GPU window.
The first iteration is left out of all but the first line. Needs h5py and
numpy.
"""
import sys

import h5py
import numpy as np

BATCHES = [(1, 8), (8, 16), (16, 24), (24, 1 << 30)]


def iterations(path):
    with h5py.File(path, "r") as f:
        pol = [k for k in f.keys() if "iterations" in f[k]]
        if not pol:
            sys.exit("%s: no iterations table" % path)
        it = f[pol[0] + "/iterations"][:]
    for col in ("issue_s", "wait_s", "prefill_layers"):
        if col not in it.dtype.names:
            sys.exit("%s: no %s column (written before session 12)" %
                     (path, col))
    return it


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: prefill_costs.py RUN.h5 [RUN.h5...]")
    cold, first, later, tail, pol = [], [], [], [], []
    for path in sys.argv[1:]:
        it = iterations(path)
        plan = np.stack([it["prefill_tokens"], it["lp_layers"],
                         it["decode_seqs"]], axis=1)
        same = (plan[1:] == plan[0]).all(axis=1)
        if same.any():
            cold.append((it["dur_s"][0], np.median(it["dur_s"][1:][same])))
        for i in range(1, len(it)):
            r = it[i]
            piped = r["issue_s"] > 0
            if r["lp_layers"] and piped:
                row = (r["gpu_s"] - r["model_s"] - r["load_s"], r["issue_s"],
                       r["lp_layers"])
                (later if it[i - 1]["prefill_tokens"] else first).append(row)
            if r["prefill_tokens"] and piped and r["blocks_saved"]:
                tail.append((r["dur_s"] - r["gpu_s"], r["bytes_saved"] /
                             max(int(r["prefill_layers"]), 1)))
            if not r["prefill_tokens"] and piped and r["hits"]:
                pol.append((r["decode_seqs"], (r["host_s"] - r["wait_s"]),
                            r["hits"], r["gpu_s"]))
    if cold:
        c = np.array(cold) * 1e3
        print("cold first iteration: median %.1f ms (%.1f-%.1f over %d runs); "
              "the same plan later: median %.1f ms" %
              (np.median(c[:, 0]), c[:, 0].min(), c[:, 0].max(), len(c),
               np.median(c[:, 1])))
    for name, rows in (("first of a prompt", first), ("later", later)):
        if rows:
            a = np.array(rows, dtype=float)
            print("layer-prefill iterations, %s: %d, GPU above the kernels "
                  "%.2f ms mean (%.2f median), issue thread %.1f ms at %.1f "
                  "layers" % (name, len(a), a[:, 0].mean() * 1e3,
                              np.median(a[:, 0]) * 1e3, a[:, 1].mean() * 1e3,
                              a[:, 2].mean()))
    if len(tail) > 2:
        a = np.array(tail, dtype=float)
        r2 = np.corrcoef(a[:, 0], a[:, 1])[0, 1] ** 2
        print("prefill under offload: %d iterations close %.2f ms after the "
              "GPU window (median %.2f); R^2 against the last layer's saves "
              "%.2f" % (len(a), a[:, 0].mean() * 1e3,
                        np.median(a[:, 0]) * 1e3, r2))
    if pol:
        a = np.array(pol, dtype=float)
        for lo, hi in BATCHES:
            m = (a[:, 0] >= lo) & (a[:, 0] < hi)
            if m.any():
                print("decode, batch %d-%d: %d iterations, policy thread %.1f "
                      "ns per block-head found, at >= 95%% of the GPU window "
                      "in %.0f%%" %
                      (lo, min(hi, 999) - 1, m.sum(),
                       (a[m, 1] / a[m, 2]).mean() * 1e9,
                       (a[m, 1] >= 0.95 * a[m, 3]).mean() * 100))


if __name__ == "__main__":
    main()
