#!/usr/bin/env python3
"""offload_extra.py - what an offload run's decode iterations cost the GPU
beyond the kernels' estimate, by batch size (session 14: the extra per
decode request grows with the model's KV heads, which off_dec_head_ns
prices).

    offload_extra.py RUN.h5 [RUN.h5...]

For each live result file of an offload policy (sparseserve live --out):
its decode-only iterations under offload but the first, the GPU window less
the loads' time (gpu_s - load_s) against the cost model's estimate of the
kernels (model_s); prints the median ratio, and the least-squares line of
the extra per layer (window - model, over the model's layers) on the batch:
its intercept (us a layer) and slope (us per decode request a layer).
Then, by model, the line over its runs of their median extra per layer on
their mean batch (session 14: about 4 us per request at Llama-3-8B's 8 KV
heads, 19 at LWM-7B's 32). Needs h5py and numpy.
"""
import sys

import h5py
import numpy as np

LAYERS = 32  # both shipped long-context models


def main(paths):
    runs = {}
    print("%-44s %-16s %6s %12s %10s %14s %12s" %
          ("run", "model", "iters", "model/window", "batch", "us/layer", "us/request"))
    for path in paths:
        with h5py.File(path, "r") as f:
            group = next(iter(f.keys()))
            it = f[group + "/iterations"][:]
            model = f.attrs["model"].decode()
        off = (it["hits"] > 0) | (it["blocks_loaded"] > 0)
        r = it[off & (it["prefill_tokens"] == 0) & (it["gpu_s"] > 0)][1:]
        if len(r) < 20:
            continue
        window = r["gpu_s"] - r["load_s"]
        extra = (window - r["model_s"]) / LAYERS * 1e6
        a, b = np.polyfit(r["batch"].astype(float), extra, 1)[::-1]
        runs.setdefault(model, []).append((r["batch"].mean(),
                                           np.median(extra)))
        print("%-44s %-16s %6d %12.3f %10.1f %14.1f %12.2f" %
              (path[-44:], model, len(r), np.median(r["model_s"] / window),
               r["batch"].mean(), a, b))
    for model, pts in sorted(runs.items()):
        if len(pts) < 2:
            continue
        x, y = np.array(pts).T
        b, a = np.polyfit(x, y, 1)
        print("%s, over %d runs' medians: %.1f us a layer + %.2f us per "
              "decode request" % (model, len(pts), a, b))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
