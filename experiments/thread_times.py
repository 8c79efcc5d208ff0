#!/usr/bin/env python3
"""thread_times.py - where a live run's decode layers spend their time.

    thread_times.py RUN.h5 [RUN.h5...]

For each live result file (sparseserve live --out), the decode-only
iterations' means per layer: the GPU window (iterations.gpu_s), the issue
thread's time (issue_s) and the policy thread's time (host_s less its waits
for the issue thread, wait_s), and the share of iterations in which a thread
took 95% of the GPU window or more (the GPU waited on the host), and, where
the run recorded it (gap_s, builds since session 11), the GPU's idle time
between layers per iteration: a layer issued after the last one ran. Runs on one
host thread (--serial-host, or no offload) have issue_s 0: their host_s is
the single thread's. The first iteration (cold) is left out. Needs h5py and
numpy.
"""
import json
import os
import sys

import h5py
import numpy as np

CONFIGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "model", "configs")


def iterations(path):
    with h5py.File(path, "r") as f:
        pol = [k for k in f.keys() if "iterations" in f[k]]
        if not pol:
            sys.exit("%s: no iterations table" % path)
        return pol[0], f[pol[0] + "/iterations"][1:]


def layers_of(model):
    """The model's layers, from its shipped config (model/configs)."""
    path = os.path.join(CONFIGS, model + ".json")
    if not os.path.exists(path):
        sys.exit("model %s: no %s (a model given as a file?)" % (model, path))
    with open(path) as f:
        return int(json.load(f)["num_hidden_layers"])


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: thread_times.py RUN.h5 [RUN.h5...]")
    for path in sys.argv[1:]:
        pol, it = iterations(path)
        if "issue_s" not in it.dtype.names:
            sys.exit("%s: no issue_s column (written before session 11)" % path)
        with h5py.File(path, "r") as f:
            model = f.attrs["model"]
            model = model.decode() if isinstance(model, bytes) else str(model)
        L = layers_of(model)
        m = it["prefill_tokens"] == 0
        if not m.any():
            print("%s (%s): no decode-only iteration" % (path, pol))
            continue
        gpu = it["gpu_s"][m]
        issue = it["issue_s"][m]
        pol_t = (it["host_s"] - it["wait_s"])[m]
        bound = ((issue >= 0.95 * gpu) | (pol_t >= 0.95 * gpu)).mean()
        gap = ""
        if "gap_s" in it.dtype.names:
            gap = "; GPU idle between layers %.0f us an iteration" % (
                it["gap_s"][m].mean() * 1e6)
        print("%s (%s): %d decode iterations, per layer GPU %.0f us, "
              "issue thread %.0f us, policy thread %.0f us; a thread at "
              ">= 95%% of the GPU window in %.0f%%%s" %
              (path, pol, m.sum(), gpu.mean() / L * 1e6,
               issue.mean() / L * 1e6, pol_t.mean() / L * 1e6, bound * 100,
               gap))


if __name__ == "__main__":
    main()
